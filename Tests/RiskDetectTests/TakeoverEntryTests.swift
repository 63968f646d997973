import Foundation
import XCTest
@testable import RiskDetect

/// Takeovers whose entry leaves little trace: a hijacked session (no login at all, the owner's
/// own device fingerprint), a sleeper (the spree a day or more after the entry, from the same
/// device), an entry from a home-country proxy (no foreign country). What gives them away is
/// the break in the account's own behaviour — a new shipping address, orders far above its
/// own — on a network the account never used before or after. The innocent look-alikes — a
/// new phone with ordinary shopping, a traveller buying abroad on the hotel's network, a
/// mover — stay unflagged.
final class TakeoverEntryTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testHijackSleeperAndHomeProxyAreFoundTravellersMoversAndNewPhonesAreNot() throws {
        // Pinned: seed 5 draws new phones whose ordinary orders are at the store's common price
        // (the plain 90th percentile, so "high value" until ties counted at their own frequency);
        // seed 6 a new phone's owner with three ordinary orders in three days (orders unusual and
        // rare for the account, summed as two steps in the first pass until counted once).
        try forEachSeed(also: [5, 6]) { seed in
            var rng = SeededRandom(seed &+ 7_100)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            var k = 0
            /// An owner's days on one device from the home network (returned: its /24); now and then a cheap order.
            @discardableResult
            func routine(_ a: String, device: (Int) -> String, days: [Int] = Array(0..<28), address: (Int) -> String = { _ in "home" }) -> String {
                let home = "10.\(k / 200).\(k % 200)"
                k += 1
                for d in days where rng.chance(0.6) {
                    let t = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    s.event(a, "login", at: t, ["device_id": device(d), "country": "TH", "status": "ok", "ip": "\(home).\(rng.int(2...9))"])
                    for v in 0..<rng.int(1...4) {
                        s.event(a, "view", at: t + Int64(v + 1) * minute, ["device_id": device(d), "country": "TH", "item_id": "socks",
                                                                            "seller_id": "shop", "ip": "\(home).\(rng.int(2...9))"])
                    }
                    if rng.chance(0.15) {
                        s.order(a, item: "socks", seller: "shop", at: t + 10 * minute, device: device(d), address: "\(a)-\(address(d))",
                                payment: "\(a)-card", amount: 8, ip: "\(home).2")
                    }
                }
                return home
            }
            for i in 0..<150 { routine(s.account("p\(i)"), device: { _ in "p\(i)-phone" }) }
            // New phones at home, ordinary shopping on them.
            var newPhones: [String] = []
            for i in 0..<40 {
                let a = s.account("np\(i)"); newPhones.append(a)
                let d = rng.int(6...20)
                routine(a, device: { $0 < d ? "np\(i)-old" : "np\(i)-new" })
            }
            // Travellers: their own phone abroad, on hotel networks for a few days; some buy
            // something expensive there, sent home.
            var travellers: [String] = []
            for i in 0..<30 {
                let a = s.account("trav\(i)"); travellers.append(a)
                let leave = rng.int(10...16), back = leave + rng.int(2...6)
                routine(a, device: { _ in "trav\(i)-phone" }, days: Array(0..<leave) + Array(back..<28))
                for d in leave..<back {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
                    let ip = "172.\(16 + i % 8).\(d * 10 + i / 8).\(rng.int(2...200))"
                    s.event(a, "login", at: at, ["device_id": "trav\(i)-phone", "country": "JP", "status": "ok", "ip": ip])
                    s.event(a, "view", at: at + minute, ["device_id": "trav\(i)-phone", "country": "JP", "item_id": "tv", "seller_id": "shop", "ip": ip])
                    if i < 8 && d == leave + 1 {
                        s.order(a, item: "tv", seller: "shop", at: at + 5 * minute, device: "trav\(i)-phone", address: "\(a)-home",
                                payment: "\(a)-card", amount: 640, ip: ip)
                    }
                }
            }
            // Movers: a new address from some day on, on their own phone and network, kept.
            var movers: [String] = []
            for i in 0..<20 {
                let a = s.account("mover\(i)"); movers.append(a)
                let d = rng.int(8...18)
                let home = routine(a, device: { _ in "mv\(i)-phone" }, address: { $0 < d ? "home" : "flat" })
                let at = Scenario.t0 + Int64(d) * day + 2 * hour
                s.event(a, "address_change", at: at, ["device_id": "mv\(i)-phone", "address_id": "\(a)-flat", "ip": "\(home).3", "country": "TH"])
                s.order(a, item: i < 5 ? "tv" : "socks", seller: "shop", at: at + 30 * minute, device: "mv\(i)-phone", address: "\(a)-flat",
                        payment: "\(a)-card", amount: i < 5 ? 640 : 8, ip: "\(home).3")
            }
            // Hijacked sessions: no login, the owner's own device fingerprint, a foreign
            // network and country; a new address and expensive orders.
            var hijacked: [String] = []
            for i in 0..<3 {
                let a = s.account("hij\(i)"); hijacked.append(a)
                routine(a, device: { _ in "h\(i)-phone" })
                let at = Scenario.t0 + Int64(14 + i) * day + 4 * hour, ip = "203.0.113.\(i + 20)"
                s.event(a, "view", at: at, ["device_id": "h\(i)-phone", "country": "BD", "item_id": "tv", "seller_id": "shop", "ip": ip])
                s.event(a, "address_change", at: at + 3 * minute, ["device_id": "h\(i)-phone", "address_id": "hdrop-\(i)", "ip": ip, "country": "BD"])
                for j in 0..<2 {
                    s.order(a, item: "tv", seller: "shop", at: at + Int64(6 + 4 * j) * minute, device: "h\(i)-phone", address: "hdrop-\(i)",
                            payment: "\(a)-card", amount: 640, ip: ip)
                }
            }
            // Sleepers: a login from a stranger's device on a new network, then nothing until
            // the spree 30–60 hours later from the same device and network.
            var sleepers: [String] = []
            for i in 0..<3 {
                let a = s.account("sleep\(i)"); sleepers.append(a)
                routine(a, device: { _ in "sl\(i)-phone" })
                let at = Scenario.t0 + Int64(12 + i) * day + 2 * hour, ip = "198.18.\(i).9"
                s.event(a, "login", at: at, ["device_id": "sl-intruder\(i)", "country": "TH", "status": "ok", "ip": ip])
                let spree = at + Int64(rng.int(30...60)) * hour
                s.event(a, "address_change", at: spree, ["device_id": "sl-intruder\(i)", "address_id": "sdrop-\(i)", "ip": ip, "country": "TH"])
                for j in 0..<2 {
                    s.order(a, item: "tv", seller: "shop", at: spree + Int64(5 + 4 * j) * minute, device: "sl-intruder\(i)", address: "sdrop-\(i)",
                            payment: "\(a)-card", amount: 640, ip: ip)
                }
            }
            // Entry from a home-country residential proxy after a reset: the owner's country,
            // a device and network the owner never used; a new address and expensive orders.
            var proxied: [String] = []
            for i in 0..<3 {
                let a = s.account("proxy\(i)"); proxied.append(a)
                routine(a, device: { _ in "px\(i)-phone" })
                let at = Scenario.t0 + Int64(17 + i) * day + 5 * hour, ip = "100.64.\(i + 40).77"
                s.event(a, "password_reset", at: at, ["device_id": "px-intruder\(i)", "country": "TH", "ip": ip])
                s.event(a, "login", at: at + 2 * minute, ["device_id": "px-intruder\(i)", "country": "TH", "status": "ok", "ip": ip])
                s.event(a, "address_change", at: at + 5 * minute, ["device_id": "px-intruder\(i)", "address_id": "pdrop-\(i)", "ip": ip, "country": "TH"])
                s.order(a, item: "tv", seller: "shop", at: at + 9 * minute, device: "px-intruder\(i)", address: "pdrop-\(i)",
                        payment: "\(a)-card", amount: 640, ip: ip)
            }
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            for (name, group) in [("hijacked session", hijacked), ("sleeper", sleepers), ("home proxy", proxied)] {
                XCTAssertEqual(flagged.intersection(group), Set(group), "seed \(seed): \(name) missed: \(Set(group).subtracting(flagged).sorted())")
            }
            for (name, group) in [("new phone", newPhones), ("traveller", travellers), ("mover", movers)] {
                XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: \(flagged.intersection(group).sorted())")
            }
            XCTAssertTrue(flagged.subtracting(hijacked + sleepers + proxied).isEmpty, "seed \(seed): owners: \(flagged.subtracting(hijacked + sleepers + proxied).sorted())")
            // The finding says what broke: the network and the behaviour after it.
            for fd in f where hijacked.contains(t.accountID(fd.account)) {
                XCTAssertTrue(fd.reason.contains("address block") && fd.reason.contains("shipping address"), fd.reason)
            }
        }
    }
}
