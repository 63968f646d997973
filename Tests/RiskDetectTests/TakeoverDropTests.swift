import Foundation
import XCTest
@testable import RiskDetect

/// A reshipping crew: stolen passwords used from strangers' devices on networks the owners never
/// used, each victim's goods sent to one drop address that no owner uses, with one ordinary
/// order each — no reset, no new card, nothing above the account's own. Each victim alone looks
/// like a hotel guest on a borrowed computer, or an owner whose new phone first ships to a parcel
/// locker; what gives them away
/// is that several unrelated accounts' changes of hands first used the same address, more than
/// its users would give by chance. The look-alikes stay low: owners who get a new phone and
/// first ship to the parcel locker that many owners use, a household that moves together on its
/// own phones; travellers on hotel computers make the victims' change of hands an ordinary one.
final class TakeoverDropTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testVictimsShippingToOneDropAreFoundLockerUsersMoversAndTravellersAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 36_036)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("socks", seller: "shop", price: 12)
            var k = 0
            /// An owner's days on one device (or `device(d)`) from the home network, with now and then
            /// an order to `address(d)` with the owner's card. Returns the home /24.
            @discardableResult
            func routine(_ a: String, device: (Int) -> String, address: (Int) -> String, days: [Int] = Array(0..<28),
                         movesOn moveDay: Int = Int.max) -> String {
                let oldHome = "10.\(k / 200).\(k % 200)"
                k += 1
                for d in days where rng.chance(0.6) {
                    let home = d < moveDay ? oldHome : "10.250.\(moveDay)"
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    let f: [String: Any] = ["device_id": device(d), "country": "TH", "ip": "\(home).\(rng.int(2...9))"]
                    if rng.chance(0.5) { s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 }) }
                    s.event(a, "view", at: at + minute, f.merging(["item_id": "socks", "seller_id": "shop"]) { $1 })
                    if rng.chance(0.2) {
                        s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: device(d), address: address(d),
                                payment: "\(a)-card", amount: 12, ip: "\(home).2")
                    }
                }
                return oldHome
            }
            // Owners (some shipping to a parcel locker all along) who add a tablet at home during the
            // month: the store's ordinary changes of device.
            for i in 0..<190 {
                let a = s.account("p\(i)")
                let home = routine(a, device: { _ in "p\(i)-phone" }, address: { _ in i < 150 ? "p\(i)-home" : "locker" })
                for d in rng.int(5...20)..<28 where d % 3 == 0 {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour
                    s.event(a, "login", at: at, ["device_id": "p\(i)-tablet", "country": "TH", "status": "ok", "ip": "\(home).5"])
                    s.event(a, "view", at: at + minute, ["device_id": "p\(i)-tablet", "country": "TH", "ip": "\(home).5", "item_id": "socks", "seller_id": "shop"])
                }
            }
            // The victims: a login from a stranger's device on a network the owner never used, the
            // drop set as the address, one ordinary order; the owner goes on from the own phone.
            var taken: [String] = []
            for i in 0..<5 {
                let a = s.account("ato\(i)"); taken.append(a)
                routine(a, device: { _ in "a\(i)-phone" }, address: { _ in "\(a)-home" })
                let at = Scenario.t0 + Int64(8 + 3 * i) * day + Int64(rng.int(1...5)) * hour
                let ip = "198.51.\(100 + i).\(rng.int(2...250))"
                let f: [String: Any] = ["device_id": "crew\(i)", "country": "TH", "ip": ip]
                s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
                s.event(a, "address_change", at: at + 2 * minute, f.merging(["address_id": "drop"]) { $1 })
                s.order(a, item: "socks", seller: "shop", at: at + 6 * minute, device: "crew\(i)", address: "drop",
                        payment: "\(a)-card", amount: 12, ip: ip)
            }
            // New phones at home whose first order goes to the locker; life goes on from the new phone.
            var lockerPhones: [String] = []
            for i in 0..<6 {
                let a = s.account("np\(i)"); lockerPhones.append(a)
                let d = rng.int(6...20)
                let home = routine(a, device: { $0 < d ? "np\(i)-old" : "np\(i)-new" }, address: { $0 < d ? "\(a)-home" : "locker" },
                                   days: Array(0..<d) + Array((d + 1)..<28))
                let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...18)) * hour
                s.event(a, "login", at: at, ["device_id": "np\(i)-new", "country": "TH", "status": "ok", "ip": "\(home).3"])
                s.event(a, "address_change", at: at + 2 * minute, ["device_id": "np\(i)-new", "country": "TH", "ip": "\(home).3", "address_id": "locker"])
                s.order(a, item: "socks", seller: "shop", at: at + 5 * minute, device: "np\(i)-new", address: "locker",
                        payment: "\(a)-card", amount: 12, ip: "\(home).3")
            }
            // A household of four that moves: each on the own phone, from the new home network, sets the
            // new address and goes on shipping there from that network.
            var movers: [String] = []
            let moveDay = rng.int(10...16)
            for i in 0..<4 {
                let a = s.account("mv\(i)"); movers.append(a)
                routine(a, device: { _ in "mv\(i)-phone" }, address: { $0 < moveDay ? "old-house" : "new-house" }, movesOn: moveDay)
                let at = Scenario.t0 + Int64(moveDay) * day + Int64(10 + i) * hour
                s.event(a, "address_change", at: at, ["device_id": "mv\(i)-phone", "country": "TH", "ip": "10.250.\(moveDay).\(2 + i)", "address_id": "new-house"])
            }
            // Travellers who look at the shop from a hotel computer abroad: the store's ordinary
            // strangers' devices on strange networks (the victims' change of hands is theirs); away
            // from home, the owner's own phone does not order there that day.
            var travellers: [String] = []
            for i in 0..<25 {
                let a = s.account("trav\(i)"); travellers.append(a)
                let d = rng.int(8...20)
                routine(a, device: { _ in "tr\(i)-phone" }, address: { _ in "\(a)-home" }, days: Array(0..<d) + Array((d + 2)..<28))
                let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
                let ip = "172.\(16 + i % 8).\(i).\(rng.int(2...200))"
                s.event(a, "login", at: at, ["device_id": "hotel\(i)", "country": "JP", "status": "ok", "ip": ip])
                s.event(a, "view", at: at + 4 * minute, ["device_id": "hotel\(i)", "country": "JP", "ip": ip, "item_id": "socks", "seller_id": "shop"])
            }
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(taken), Set(taken), "seed \(seed): takeovers missed: \(Set(taken).subtracting(flagged).sorted())")
            for (name, group) in [("locker on a new phone", lockerPhones), ("mover", movers), ("traveller", travellers)] {
                XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: \(flagged.intersection(group).sorted())")
            }
            XCTAssertTrue(flagged.subtracting(taken).isEmpty, "seed \(seed): owners: \(flagged.subtracting(taken).sorted())")
            for fd in f where taken.contains(t.accountID(fd.account)) {
                XCTAssertTrue(fd.reason.contains("(a drop)"), fd.reason)
            }
        }
    }

    /// A tiny store whose only anchor is one change of hands on a young account: the trimming pass
    /// takes every anchor out of the ordinary pool, and the rates must still be sized for every step
    /// (the pool's first sequence used to size them, and an empty pool trapped).
    func testATinyStoreWhoseOnlyAnchorClearsTheBarDoesNotTrap() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 900)
            s.item("socks", seller: "shop", price: 12)
            let a = s.account("young", created: Scenario.t0 - 6 * day)
            for d in 0..<4 {
                let at = Scenario.t0 + Int64(d) * day + 9 * hour + s.int(in: 0...(3 * hour))
                s.event(a, "login", at: at, ["device_id": "own-phone", "country": "TH", "status": "ok", "ip": "10.1.1.2"])
                s.event(a, "view", at: at + minute, ["device_id": "own-phone", "country": "TH", "ip": "10.1.1.2", "item_id": "socks", "seller_id": "shop"])
            }
            s.order(a, item: "socks", seller: "shop", at: Scenario.t0 + 2 * day + 10 * hour, device: "own-phone", address: "young-home",
                    payment: "young-card", amount: 12, ip: "10.1.1.2")
            let at = Scenario.t0 + 5 * day + 3 * hour
            s.event(a, "login", at: at, ["device_id": "stranger-pc", "country": "RU", "status": "ok", "ip": "91.7.7.7"])
            s.order(a, item: "tv", seller: "shop", at: at + 5 * minute, device: "stranger-pc", address: "drop-1",
                    payment: "young-card", amount: 900, ip: "91.7.7.7")
            let (f, t) = try s.run(TakeoverDetector())
            XCTAssertTrue(f.allSatisfy { t.accountID($0.account) == "young" }, "only the account there is: \(f.map(\.reason))")
        }
    }
}
