import Foundation
import XCTest
@testable import RiskDetect

/// A takeover of an account that never paid in the data: a stolen password used from a
/// stranger's device abroad, a profile update, and the account's balance moved out by an event
/// the contract does not name (`balance_transfer`) to an instrument the account never used —
/// sometimes after a gift bought with the stored card. With no instrument in the owner's own
/// life there was nothing for the transfer's to be "new" against, and a single ordinary order
/// is within the account's own rate: the takeover showed a change of hands and no change of
/// behaviour. Money moved out to an instrument the footprint did not pay with is that change.
/// The look-alikes stay low: owners without a payment history who get a new phone and pay two
/// orders with two cards the same day, travellers who pay for the first time abroad, and owners
/// who move their balance to their own card at home and go on paying with it.
final class TakeoverTransferTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testBalanceMovedOutOfAnAccountThatNeverPaidIsFoundTwoCardsAndTravellersAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 21_700)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("socks", seller: "shop", price: 12)
            s.item("gift", seller: "shop", price: 25)
            var k = 0
            /// An owner's days on one device (or `device(d)`) from the home network: logins and views,
            /// and (`pays`) now and then an order with the owner's card. Returns the home /24.
            @discardableResult
            func routine(_ a: String, device: (Int) -> String, days: [Int] = Array(0..<28), pays: Bool) -> String {
                let home = "10.\(k / 200).\(k % 200)"
                k += 1
                for d in days where rng.chance(0.6) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    let f: [String: Any] = ["device_id": device(d), "country": "TH", "ip": "\(home).\(rng.int(2...9))"]
                    if rng.chance(0.5) { s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 }) }
                    for v in 0..<rng.int(1...4) {
                        s.event(a, "view", at: at + Int64(v + 1) * minute, f.merging(["item_id": "socks", "seller_id": "shop"]) { $1 })
                    }
                    if pays && rng.chance(0.15) {
                        s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: device(d), address: "\(a)-home",
                                payment: "\(a)-card", amount: 12, ip: "\(home).2")
                    }
                }
                return home
            }
            for i in 0..<150 { routine(s.account("p\(i)"), device: { _ in "p\(i)-phone" }, pays: true) }
            for i in 0..<60 { routine(s.account("thin\(i)"), device: { _ in "thin\(i)-phone" }, pays: false) }
            // The takeovers: accounts that never paid; a login from a stranger's device abroad, a
            // profile update, (half) a gift on the stored card, the balance moved to the intruder's
            // instrument. The owner goes on from the own phone.
            var taken: [String] = []
            for i in 0..<4 {
                let a = s.account("ato\(i)"); taken.append(a)
                routine(a, device: { _ in "a\(i)-phone" }, pays: false)
                let at = Scenario.t0 + Int64(12 + 2 * i) * day + Int64(rng.int(1...5)) * hour
                let f: [String: Any] = ["device_id": "intruder\(i)", "country": "RU", "ip": "203.0.113.\(10 + i)"]
                s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
                s.event(a, "account_update", at: at + 3 * minute, f)
                if i % 2 == 0 {
                    s.order(a, item: "gift", seller: "shop", at: at + 6 * minute, device: "intruder\(i)", address: "\(a)-home",
                            payment: "\(a)-stored", amount: 25, ip: "203.0.113.\(10 + i)")
                }
                s.event(a, "balance_transfer", at: at + 12 * minute, f.merging(["payment_id": "mule-\(i)", "amount": 150.0]) { $1 })
            }
            // New phones at home on accounts that never paid: two orders the same day with two cards,
            // then life goes on from the new phone.
            var twoCards: [String] = []
            for i in 0..<20 {
                let a = s.account("np\(i)"); twoCards.append(a)
                let d = rng.int(6...20)
                let home = routine(a, device: { $0 < d ? "np\(i)-old" : "np\(i)-new" }, days: Array(0..<d) + Array((d + 1)..<28), pays: false)
                let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...18)) * hour
                s.event(a, "login", at: at, ["device_id": "np\(i)-new", "country": "TH", "status": "ok", "ip": "\(home).3"])
                s.order(a, item: "socks", seller: "shop", at: at + 5 * minute, device: "np\(i)-new", address: "\(a)-home",
                        payment: "\(a)-card1", amount: 12, ip: "\(home).3")
                s.order(a, item: "gift", seller: "shop", at: at + 3 * hour, device: "np\(i)-new", address: "\(a)-home",
                        payment: "\(a)-card2", amount: 25, ip: "\(home).3")
            }
            // Travellers who never paid before: their own phone abroad on hotel networks, a first
            // order there with their own card.
            var travellers: [String] = []
            for i in 0..<15 {
                let a = s.account("trav\(i)"); travellers.append(a)
                let leave = rng.int(10...16), back = leave + rng.int(2...5)
                routine(a, device: { _ in "tr\(i)-phone" }, days: Array(0..<leave) + Array(back..<28), pays: false)
                for d in leave..<back {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
                    let ip = "172.\(16 + i % 8).\(d * 10 + i / 8).\(rng.int(2...200))"
                    s.event(a, "login", at: at, ["device_id": "tr\(i)-phone", "country": "JP", "status": "ok", "ip": ip])
                    if d == leave {
                        s.order(a, item: "gift", seller: "shop", at: at + 5 * minute, device: "tr\(i)-phone", address: "\(a)-home",
                                payment: "\(a)-card", amount: 25, ip: ip)
                    }
                }
            }
            // Owners who move their balance to their own card at home, on their own phone, and pay
            // with that card later.
            var ownTransfer: [String] = []
            for i in 0..<15 {
                let a = s.account("own\(i)"); ownTransfer.append(a)
                let home = routine(a, device: { _ in "own\(i)-phone" }, pays: false)
                let d = rng.int(6...16)
                let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...18)) * hour
                s.event(a, "balance_transfer", at: at, ["device_id": "own\(i)-phone", "country": "TH", "ip": "\(home).4",
                                                        "payment_id": "\(a)-own", "amount": 40.0])
                s.order(a, item: "socks", seller: "shop", at: at + Int64(rng.int(3...8)) * day, device: "own\(i)-phone",
                        address: "\(a)-home", payment: "\(a)-own", amount: 12, ip: "\(home).4")
            }
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(taken), Set(taken), "seed \(seed): takeovers missed: \(Set(taken).subtracting(flagged).sorted())")
            for (name, group) in [("two cards on a new phone", twoCards), ("traveller", travellers), ("own transfer", ownTransfer)] {
                XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: \(flagged.intersection(group).sorted())")
            }
            XCTAssertTrue(flagged.subtracting(taken).isEmpty, "seed \(seed): owners: \(flagged.subtracting(taken).sorted())")
            // The finding names the instrument the money went to.
            for fd in f where taken.contains(t.accountID(fd.account)) {
                XCTAssertTrue(fd.reason.contains("a new payment instrument"), fd.reason)
            }
        }
    }
}
