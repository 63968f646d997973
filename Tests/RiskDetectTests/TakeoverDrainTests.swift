import Foundation
import XCTest
@testable import RiskDetect

/// A drain without a reset: a stolen password used directly (a failed try or none, then a login
/// from a stranger's device on a network the owner never used), and the account's own card spent
/// on several orders to the owner's own address within the hour — nothing new in the money or the
/// goods' way, only more spent than the owner ever spent in a day. The store prices in three
/// currencies (dollars, yen, dong): an amount means something only against the account's own
/// orders in the same currency, so a dong account's ordinary order is no "high value" and a dollar
/// account's drain is not lost under the dong prices. The look-alikes stay low: owners who get a
/// new phone at home and go on from it (with an ordinary order on it), travellers on a hotel
/// computer abroad who order one cheap thing, travellers on their own phone abroad who order twice
/// at half their usual price (half of them after a typoed login; review37), and owners who make one big but ordinary purchase
/// from their own phone at home.
final class TakeoverDrainTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testDrainsWithoutResetAreFoundInEveryCurrencyNewPhonesTravellersAndBigPurchasesAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 37_037)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("socks", seller: "shop", price: 12)
            s.item("gift", seller: "shop", price: 50)
            s.item("tv", seller: "shop", price: 700)
            // (code, price of an ordinary order): a dollar, a yen and a dong account's scale.
            let currencies: [(String, Double)] = [("USD", 12), ("JPY", 1_800), ("VND", 300_000)]
            var k = 0
            /// An owner's days on one phone (or `device(d)`) at home, now and then an ordinary order
            /// (0.5–1.5 times the currency's ordinary price) to the own address with the own card.
            @discardableResult
            func routine(_ a: String, currency c: Int, device: (Int) -> String, days: [Int] = Array(0..<28)) -> String {
                let home = "10.\(k / 200).\(k % 200)"
                k += 1
                let (code, price) = currencies[c]
                for d in days where rng.chance(0.6) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    let f: [String: Any] = ["device_id": device(d), "country": "TH", "ip": "\(home).\(rng.int(2...9))"]
                    if rng.chance(0.5) { s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 }) }
                    s.event(a, "view", at: at + minute, f.merging(["item_id": "socks", "seller_id": "shop"]) { $1 })
                    if rng.chance(0.25) {
                        s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: device(d), address: "\(a)-home",
                                payment: "\(a)-card", amount: (price * Double(rng.int(5...15)) / 10).rounded(), ip: "\(home).2",
                                currency: code)
                    }
                }
                return home
            }
            // Owners in the three currencies, some adding a tablet at home: the store's ordinary
            // changes of device.
            for i in 0..<240 {
                let a = s.account("p\(i)")
                let home = routine(a, currency: i % 3, device: { _ in "p\(i)-phone" })
                if i % 4 == 0 {
                    for d in rng.int(5...20)..<28 where d % 3 == 0 {
                        let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour
                        s.event(a, "login", at: at, ["device_id": "p\(i)-tablet", "country": "TH", "status": "ok", "ip": "\(home).5"])
                        s.event(a, "view", at: at + minute, ["device_id": "p\(i)-tablet", "country": "TH", "ip": "\(home).5",
                                                             "item_id": "socks", "seller_id": "shop"])
                    }
                }
            }
            // The drains: two victims per currency. A failed try or none, a login from a stranger's
            // device on a network the owner never used (same country), then 4–6 orders within the
            // hour, each 2–3 times the owner's ordinary, with the owner's card, to the owner's address.
            var drained: [String] = []
            for i in 0..<6 {
                let a = s.account("ato\(i)"); drained.append(a)
                let c = i % 3, (code, price) = currencies[c]
                routine(a, currency: c, device: { _ in "a\(i)-phone" })
                var at = Scenario.t0 + Int64(9 + 2 * i) * day + Int64(rng.int(0...5)) * hour
                let ip = "198.51.\(100 + i).\(rng.int(2...250))"
                let f: [String: Any] = ["device_id": "thief\(i)", "country": "TH", "ip": ip]
                if rng.chance(0.5) { s.event(a, "login", at: at, f.merging(["status": "fail"]) { $1 }); at += minute }
                s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
                for o in 0..<rng.int(4...6) {
                    s.order(a, item: "gift", seller: "shop", at: at + Int64(3 + 7 * o) * minute, device: "thief\(i)", address: "\(a)-home",
                            payment: "\(a)-card", amount: (price * Double(rng.int(20...30)) / 10).rounded(), ip: ip, currency: code)
                }
            }
            // New phones at home: the first order on the new phone is an ordinary one; life goes on from it.
            var newPhones: [String] = []
            for i in 0..<6 {
                let a = s.account("np\(i)"); newPhones.append(a)
                let c = i % 3, (code, price) = currencies[c]
                let d = rng.int(6...20)
                let home = routine(a, currency: c, device: { $0 < d ? "np\(i)-old" : "np\(i)-new" }, days: Array(0..<d) + Array((d + 1)..<28))
                let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...18)) * hour
                s.event(a, "login", at: at, ["device_id": "np\(i)-new", "country": "TH", "status": "ok", "ip": "\(home).3"])
                s.order(a, item: "socks", seller: "shop", at: at + 5 * minute, device: "np\(i)-new", address: "\(a)-home",
                        payment: "\(a)-card", amount: price, ip: "\(home).3", currency: code)
            }
            // An owner abroad for two days from a day d: its own routine otherwise, idle those days;
            // the moment it logs in abroad and the foreign network's address.
            func abroad(_ name: String, _ i: Int, phone: String, net: Int) -> (a: String, at: Int64, ip: String, code: String, price: Double) {
                let a = s.account(name)
                let c = i % 3, (code, price) = currencies[c]
                let d = rng.int(8...20)
                routine(a, currency: c, device: { _ in phone }, days: Array(0..<d) + Array((d + 2)..<28))
                let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
                return (a, at, "172.\(net + i % 8).\(i).\(rng.int(2...200))", code, price)
            }
            // Travellers: a hotel computer abroad, one ordinary order home; the own phone idle those days.
            var travellers: [String] = []
            for i in 0..<24 {
                let (a, at, ip, code, price) = abroad("trav\(i)", i, phone: "tr\(i)-phone", net: 16)
                travellers.append(a)
                s.event(a, "login", at: at, ["device_id": "hotel\(i)", "country": "JP", "status": "ok", "ip": ip])
                if i % 2 == 0 {
                    s.order(a, item: "socks", seller: "shop", at: at + 6 * minute, device: "hotel\(i)", address: "\(a)-home",
                            payment: "\(a)-card", amount: price / 2, ip: ip, currency: code)
                }
            }
            // A trip on the owner's own phone (review37): abroad on a network never used, every other
            // one after a typoed login, two orders at half the usual price.
            var trips: [String] = []
            for i in 0..<12 {
                let (a, at, ip, code, price) = abroad("trip\(i)", i, phone: "tp\(i)-phone", net: 24)
                trips.append(a)
                if i % 2 == 1 { s.event(a, "login", at: at - minute, ["device_id": "tp\(i)-phone", "country": "JP", "status": "fail", "ip": ip]) }
                s.event(a, "login", at: at, ["device_id": "tp\(i)-phone", "country": "JP", "status": "ok", "ip": ip])
                for m in [6, 26] {
                    s.order(a, item: "socks", seller: "shop", at: at + Int64(m) * minute, device: "tp\(i)-phone", address: "\(a)-home",
                            payment: "\(a)-card", amount: price / 2, ip: ip, currency: code)
                }
            }
            // A big but ordinary purchase: the owner's own phone at home, one order 50 times the usual.
            var bigBuyers: [String] = []
            for i in 0..<6 {
                let a = s.account("big\(i)"); bigBuyers.append(a)
                let c = i % 3, (code, price) = currencies[c]
                let home = routine(a, currency: c, device: { _ in "bb\(i)-phone" })
                let at = Scenario.t0 + Int64(rng.int(6...22)) * day + 20 * hour
                s.order(a, item: "tv", seller: "shop", at: at, device: "bb\(i)-phone", address: "\(a)-home",
                        payment: "\(a)-card", amount: 50 * price, ip: "\(home).2", currency: code)
            }
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(drained), Set(drained), "seed \(seed): drains missed: \(Set(drained).subtracting(flagged).sorted())")
            for (name, group) in [("new phone", newPhones), ("traveller", travellers), ("trip", trips), ("big purchase", bigBuyers)] {
                XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: \(flagged.intersection(group).sorted())")
            }
            XCTAssertTrue(flagged.subtracting(drained).isEmpty, "seed \(seed): owners: "
                          + f.filter { !drained.contains(t.accountID($0.account)) }.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "; "))
            for fd in f where drained.contains(t.accountID(fd.account)) {
                XCTAssertTrue(fd.reason.contains("worth more than the owner spent on any day"), fd.reason)
            }
        }
    }
}
