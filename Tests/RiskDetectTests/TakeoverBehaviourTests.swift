import Foundation
import XCTest
@testable import RiskDetect

/// A takeover with no technical footprint: a hijacked session on the owner's own device and
/// home network, no login, no reset. What gives it away is what the account does next — a
/// shipping address used at no other time, orders far above its own, messages to the owner's
/// contacts — both what is bought and where it goes, and what is done with the account's
/// contacts. The
/// look-alikes stay low: travellers (new place, same habits), forgotten passwords reset from
/// the owner's own phone, phones behind a carrier NAT (many accounts, a few addresses), movers
/// who update their profile and keep the new address, and an owner sending one expensive gift
/// to a friend's address (a break in spending only).
final class TakeoverBehaviourTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testHijackOnTheOwnersDeviceIsFoundByBehaviourLookAlikesAreNot() throws {
        // Pinned: seed 11 draws a traveller's first-ever search abroad on a day with one ordinary
        // order (unusual for the account at 5 %, no break in spending: not a first-ever activity's company).
        try forEachSeed(also: [11]) { seed in
            var rng = SeededRandom(seed &+ 9_300)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("gift-card", seller: "shop", price: 200)
            s.item("socks", seller: "shop", price: 8)
            var k = 0
            /// An owner's days on one device; now and then (rarely) a search (an unnamed type), a question
            /// to the seller, a cheap order. `ip` gives the address of day d.
            func routine(_ a: String, device: String, days: [Int] = Array(0..<28), ip: ((Int) -> String)? = nil,
                         address: (Int) -> String = { _ in "home" }) -> String {
                let home = "10.\(k / 200).\(k % 200)"
                k += 1
                for d in days where rng.chance(0.6) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    let addr = ip?(d) ?? "\(home).\(rng.int(2...9))"
                    if rng.chance(0.5) { s.event(a, "login", at: at, ["device_id": device, "country": "TH", "status": "ok", "ip": addr]) }
                    if rng.chance(0.05) { s.event(a, "search", at: at + 30_000, ["device_id": device, "country": "TH", "ip": addr]) }
                    for v in 0..<rng.int(1...4) {
                        s.event(a, "view", at: at + Int64(v + 1) * minute, ["device_id": device, "country": "TH", "item_id": "socks",
                                                                             "seller_id": "shop", "ip": addr])
                    }
                    if rng.chance(0.05) {
                        s.event(a, "message", at: at + 6 * minute, ["device_id": device, "target_id": "shop", "text": "size?", "ip": addr])
                    }
                    if rng.chance(0.15) {
                        s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: device, address: "\(a)-\(address(d))",
                                payment: "\(a)-card", amount: 8, ip: addr)
                    }
                }
                return home
            }
            for i in 0..<150 { _ = routine(s.account("p\(i)"), device: "p\(i)-phone") }
            // Hijacked sessions: the owner's own device and home network, no login, no reset.
            var hijacked: [String] = []
            for i in 0..<4 {
                let a = s.account("hij\(i)"); hijacked.append(a)
                let home = routine(a, device: "h\(i)-phone")
                let at = Scenario.t0 + Int64(13 + i) * day + 15 * hour, ip = "\(home).5"
                let f: [String: Any] = ["device_id": "h\(i)-phone", "country": "TH", "ip": ip]
                s.event(a, "account_update", at: at, f)
                s.event(a, "address_change", at: at + 3 * minute, f.merging(["address_id": "drop-\(i)"]) { $1 })
                for j in 0..<(2 + i % 2) {
                    s.order(a, item: j == 0 ? "tv" : "gift-card", seller: "shop", at: at + Int64(6 + 5 * j) * minute, device: "h\(i)-phone",
                            address: "drop-\(i)", payment: "\(a)-card", amount: j == 0 ? 640 : 200, ip: ip)
                }
                if i % 2 == 0 { s.event(a, "balance_transfer", at: at + 20 * minute, f.merging(["amount": 150]) { $1 }) }
                for c in 0..<(4 + i) {
                    s.event(a, "message", at: at + Int64(30 + c) * minute, f.merging(["target_id": "p\(c * 7 + i)", "text": "look hxxp://x"]) { $1 })
                }
            }
            // Travellers: their own phone abroad on hotel networks, the same habits.
            var travellers: [String] = []
            for i in 0..<30 {
                let a = s.account("trav\(i)"); travellers.append(a)
                let leave = rng.int(10...16), back = leave + rng.int(2...6)
                _ = routine(a, device: "trav\(i)-phone", ip: { d in d >= leave && d < back ? "172.\(16 + i % 8).\(d * 10 + i / 8).\(d + 2)" : "10.200.\(i).3" })
                s.event(a, "login", at: Scenario.t0 + Int64(leave) * day + 9 * hour,
                        ["device_id": "trav\(i)-phone", "country": "JP", "status": "ok", "ip": "172.\(16 + i % 8).\(leave * 10 + i / 8).50"])
            }
            // Forgotten passwords: a failed login, a reset and a login from the owner's own phone
            // at home, then ordinary shopping.
            var forgot: [String] = []
            for i in 0..<30 {
                let a = s.account("fp\(i)"); forgot.append(a)
                let home = routine(a, device: "fp\(i)-phone")
                let at = Scenario.t0 + Int64(rng.int(5...24)) * day + 20 * hour, f: [String: Any] = ["device_id": "fp\(i)-phone", "country": "TH", "ip": "\(home).4"]
                s.event(a, "login", at: at, f.merging(["status": "fail"]) { $1 })
                s.event(a, "password_reset", at: at + minute, f)
                s.event(a, "login", at: at + 3 * minute, f.merging(["status": "ok"]) { $1 })
                s.order(a, item: "socks", seller: "shop", at: at + 9 * minute, device: "fp\(i)-phone", address: "\(a)-home",
                        payment: "\(a)-card", amount: 8, ip: "\(home).4")
            }
            // Phones behind a carrier NAT: 60 accounts, 12 addresses in three blocks.
            var carrier: [String] = []
            for i in 0..<60 {
                let a = s.account("cn\(i)"); carrier.append(a)
                _ = routine(a, device: "cn\(i)-phone", ip: { _ in "100.70.\(rng.int(1...3)).\(rng.int(1...4))" })
            }
            // Movers: a profile update and a new address, kept; a bigger order there.
            var movers: [String] = []
            for i in 0..<20 {
                let a = s.account("mover\(i)"); movers.append(a)
                let d = rng.int(8...18)
                let home = routine(a, device: "mv\(i)-phone", address: { $0 < d ? "home" : "flat" })
                let at = Scenario.t0 + Int64(d) * day + 2 * hour, f: [String: Any] = ["device_id": "mv\(i)-phone", "country": "TH", "ip": "\(home).3"]
                s.event(a, "account_update", at: at - 2 * minute, f)
                s.event(a, "address_change", at: at, f.merging(["address_id": "\(a)-flat"]) { $1 })
                s.order(a, item: "tv", seller: "shop", at: at + 30 * minute, device: "mv\(i)-phone", address: "\(a)-flat",
                        payment: "\(a)-card", amount: 640, ip: "\(home).3")
            }
            // A gift: an expensive order to a friend's address, once, from the owner's phone at home.
            var gifts: [String] = []
            for i in 0..<15 {
                let a = s.account("gift\(i)"); gifts.append(a)
                let home = routine(a, device: "g\(i)-phone")
                let at = Scenario.t0 + Int64(rng.int(6...24)) * day + 19 * hour, f: [String: Any] = ["device_id": "g\(i)-phone", "country": "TH", "ip": "\(home).6"]
                s.event(a, "address_change", at: at, f.merging(["address_id": "friend-\(i)"]) { $1 })
                s.order(a, item: "tv", seller: "shop", at: at + 4 * minute, device: "g\(i)-phone", address: "friend-\(i)",
                        payment: "\(a)-card", amount: 640, ip: "\(home).6")
            }
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(hijacked), Set(hijacked), "seed \(seed): hijacks missed: \(Set(hijacked).subtracting(flagged).sorted())")
            for (name, group) in [("traveller", travellers), ("forgot password", forgot), ("carrier NAT", carrier), ("mover", movers), ("gift", gifts)] {
                XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: \(flagged.intersection(group).sorted())")
            }
            XCTAssertTrue(flagged.subtracting(hijacked).isEmpty, "seed \(seed): owners: \(flagged.subtracting(hijacked).sorted())")
            // The finding explains both: no change of hands, and the behaviour after.
            for fd in f where hijacked.contains(t.accountID(fd.account)) {
                XCTAssertTrue(fd.reason.contains("owner's own device") && fd.reason.contains("shipping address")
                              && fd.reason.contains("far beyond its own rate"), fd.reason)
            }
        }
    }
}
