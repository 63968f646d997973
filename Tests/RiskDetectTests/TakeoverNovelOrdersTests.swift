import Foundation
import XCTest
@testable import RiskDetect

/// A phished account drained into the owner's own kind of order (`novel-orders`): a stranger's
/// device, used at no other time, logs in from an address block the owner never used, changes the
/// account's e-mail — something this account never did — and places one order of the owner's usual
/// size with the owner's card, to the owner's address. Then the owner goes on from their own phone.
/// There is no break in spending (no new card or address, nothing far beyond the account's rate, no
/// high value), so the change of the account itself used to count for nothing and the change of hands
/// alone could not clear the bar. The look-alikes: partners and friends who order once from their own
/// phone on their own network (a stranger's session with an order, but nothing changed on the
/// account); owners who change their e-mail on a new phone at home and shop on (the new phone is
/// their own, so no stranger's session); owners who change their e-mail on their own phone. And the
/// same store with many honest owners who change their e-mail on a hotel or office PC while away and
/// order there: where that is common, a first-ever e-mail change beside an order weighs little.
final class TakeoverNovelOrdersTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    struct Store {
        var victims: [String] = [], partners: [String] = [], newPhones: [String] = [], ownChanges: [String] = []
        var awayChangers: [String] = [], travellers: [String] = [], partnersAtHome: [String] = [], newPhonesMobile: [String] = []
    }

    /// The store; `away`: how many honest owners change their e-mail on a PC used once, away, and order there.
    func build(_ s: Scenario, seed: UInt64, away: Int) -> Store {
        var rng = SeededRandom(seed &+ 61_000)
        var out = Store()
        s.account("shop", kind: "seller")
        s.item("socks", seller: "shop", price: 30)
        s.item("giftcard", seller: "shop", price: 30)
        var k = 0
        /// An owner's days on their phone, at home or (`carrier`) on one of the three blocks of the
        /// carrier's pool that serve the owner's area, now and then another area's (roaming: a session
        /// on a network new to the account, as in any store with mobile buyers); now and then an order
        /// of about 30.
        func routine(_ a: String, device: (Int) -> String, carrier: Bool = false, days: [Int] = Array(0..<28), orders: Double = 0.25,
                     searches: Bool = false) -> String {
            let home = "10.\(k / 200).\(k % 200)"
            k += 1
            s.ownerDays(a, rng: &rng, device: device, home: home, carrier: carrier, area: k % 60, days: days,
                        searchChance: searches ? 0.5 : nil, views: 3, orders: orders)
            return home
        }
        /// The owner's own days around a session on day `d`: none that day or the next (the session's
        /// order is the only one in its 24 hours, so nothing but the e-mail change sets it apart). The
        /// owners with such a session order on most of their active days, so that one order is within
        /// their own rate (one who seldom orders shows an order beyond it: a step of its own).
        func apart(_ d: Int) -> [Int] { (0..<28).filter { $0 != d && $0 != d + 1 } }
        // A quarter of the owners search now and then: a habit (most who search do it many times).
        for i in 0..<400 { _ = routine(s.account("p\(i)"), device: { _ in "p\(i)-phone" }, carrier: i % 3 != 0, searches: i % 4 == 0) }
        /// A session on a device used at no other time, from `ip`: a login, an e-mail change when
        /// `change`, and one ordinary order with the owner's card to the owner's address.
        func session(_ a: String, device: String, ip: String, at: Int64, change: Bool, item: String, first: String = "email_change") {
            let f: [String: Any] = ["device_id": device, "country": "TH", "ip": ip]
            s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
            if change { s.event(a, first, at: at + Int64(rng.int(2...9)) * minute, f) }
            s.event(a, "view", at: at + 12 * minute, f.merging(["item_id": item, "seller_id": "shop"]) { $1 })
            s.order(a, item: item, seller: "shop", at: at + 14 * minute, device: device, address: "\(a)-home",
                    payment: "\(a)-card", amount: 30, ip: ip)
        }
        // The phished accounts: the owner's life on its phone, a stranger's session in the middle.
        /// An owner with a session on day `d`, at an hour in `hours`: the account and the session's time.
        func owner(_ a: String, on d: Int, hours: ClosedRange<Int> = 8...20) -> (String, Int64) {
            let a = s.account(a)
            _ = routine(a, device: { _ in "\(a)-phone" }, days: apart(d), orders: 0.8)
            return (a, Scenario.t0 + Int64(d) * day + Int64(rng.int(hours)) * hour)
        }
        for i in 0..<4 {
            let (a, at) = owner("vic\(i)", on: 10 + 2 * i, hours: 1...22); out.victims.append(a)
            session(a, device: "intruder\(i)", ip: "45.\(60 + i).\(rng.int(0...250)).\(rng.int(2...250))", at: at, change: true, item: "giftcard")
        }
        // Partners and friends: one order from their own phone on their own network, nothing changed
        // (as rare as such sessions are in a store: a stranger's device is a step because it is rare).
        for i in 0..<12 {
            let (a, at) = owner("pt\(i)", on: rng.int(5...24), hours: 8...21); out.partners.append(a)
            session(a, device: "pt\(i)-friend", ip: "10.9\(i % 10).\(i).\(rng.int(2...9))", at: at, change: false, item: "socks")
        }
        // New phones at home: the owner changes the e-mail on the new phone, orders, and goes on from it.
        /// An owner who moves to a new phone on a day drawn from 6–20 and lives on it from then on: its first
        /// session, on `ip(home)`, logs in, changes the e-mail `change` minutes later and orders `order` minutes in.
        func newPhone(_ a: String, orders: Double = 0.25, change: Int64, order: Int64, ip: (String) -> String) {
            let d = rng.int(6...20)
            let home = routine(a, device: { $0 < d ? "\(a)-old" : "\(a)-new" }, days: Array(0..<d) + Array((d + 1)..<28), orders: orders)
            let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
            let net = ip(home)
            let f: [String: Any] = ["device_id": "\(a)-new", "country": "TH", "ip": net]
            s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
            s.event(a, "email_change", at: at + change * minute, f)
            s.order(a, item: "socks", seller: "shop", at: at + order * minute, device: "\(a)-new", address: "\(a)-home",
                    payment: "\(a)-card", amount: 30, ip: net)
        }
        for i in 0..<30 {
            let a = s.account("np\(i)"); out.newPhones.append(a)
            newPhone(a, change: 2, order: 9) { "\($0).3" }
        }
        // Owners who change their e-mail on their own phone at home and order.
        for i in 0..<20 {
            let a = s.account("oc\(i)"); out.ownChanges.append(a)
            let home = routine(a, device: { _ in "oc\(i)-phone" })
            let at = Scenario.t0 + Int64(rng.int(5...24)) * day + Int64(rng.int(8...20)) * hour
            s.event(a, "email_change", at: at, ["device_id": "oc\(i)-phone", "country": "TH", "ip": "\(home).4"])
            s.order(a, item: "socks", seller: "shop", at: at + 5 * minute, device: "oc\(i)-phone", address: "\(a)-home",
                    payment: "\(a)-card", amount: 30, ip: "\(home).4")
        }
        // Travellers on a hotel's PC, used once: their first search ever there (a habit of many owners,
        // not a change of the account), and an order.
        for i in 0..<4 {
            let (a, at) = owner("tr\(i)", on: rng.int(5...24)); out.travellers.append(a)
            session(a, device: "tr\(i)-hotel", ip: "203.0.\(113 + i).\(rng.int(2...250))", at: at, change: true, item: "socks", first: "search")
        }
        // A partner's phone at home, used once: it updates the account's profile, and within the hour the owner
        // orders from their own phone at home (review61 #1: the owner's order is no stranger's).
        for i in 0..<6 {
            let d = rng.int(5...24)
            let a = s.account("hp\(i)"); out.partnersAtHome.append(a)
            let home = routine(a, device: { _ in "hp\(i)-phone" }, days: apart(d), orders: 0.8)
            let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
            let f: [String: Any] = ["device_id": "hp\(i)-partner", "country": "TH", "ip": "\(home).5"]
            s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
            s.event(a, "profile_update", at: at + 3 * minute, f)
            s.order(a, item: "socks", seller: "shop", at: at + 20 * minute, device: "hp\(i)-phone", address: "\(a)-home",
                    payment: "\(a)-card", amount: 30, ip: "\(home).6")
        }
        // An owner's new phone set up on mobile data (a carrier block the account never used): the e-mail changed
        // and an order there, and the owner lives on the new phone from then on (review61 #2: a new network and a
        // new device, but the device stays).
        for i in 0..<6 {
            let a = s.account("nm\(i)"); out.newPhonesMobile.append(a)
            newPhone(a, orders: 0.8, change: 4, order: 11) { _ in "100.70.\(i).\(rng.int(2...250))" }
        }
        // Owners away (a hotel's or an office's PC, used once): they change the e-mail there and order.
        for i in 0..<away {
            let (a, at) = owner("aw\(i)", on: rng.int(5...24)); out.awayChangers.append(a)
            session(a, device: "aw\(i)-pc", ip: "172.\(16 + i % 8).\(i).\(rng.int(2...250))", at: at, change: true, item: "giftcard")
        }
        return out
    }

    func testAPhishedAccountDrainedIntoAnOrdinaryOrderIsFoundItsLookAlikesAreNot() throws {
        // Pinned: seed 5 draws a new-phone owner whose first day in the log is on the old phone and the
        // next on the new one, changing the e-mail there (the log opens with the session: no owner's
        // life before it to be a stranger to).
        // Pinned: seed 19 draws a partner at home whose profile update the owner's own order at home follows
        // within the hour (an order on the anchor's network from the owner's phone is no stranger's).
        try forEachSeed(also: [5, 19]) { seed in
            var flaggedBy: [Bool: Set<String>] = [:]
            var st = Store()
            for on in [false, true] {
                let s = Scenario(seed: seed)
                st = build(s, seed: seed, away: 0)
                var d = TakeoverDetector()
                d.novelBesideOrders = on
                let (f, t) = try s.run(d)
                let flagged = f.accounts(t)
                flaggedBy[on] = flagged
                if on {
                    XCTAssertGreaterThanOrEqual(flagged.intersection(st.victims).count, 3, "seed \(seed): victims missed: \(Set(st.victims).subtracting(flagged).sorted())")
                    for fd in f where st.victims.contains(t.accountID(fd.account)) {
                        XCTAssertTrue(fd.reason.contains("first-ever email_change"), fd.reason)
                    }
                } else {
                    // Without the sign the e-mail change counts for nothing beside an ordinary order.
                    XCTAssertTrue(flagged.intersection(st.victims).isEmpty, "seed \(seed): off, found: \(flagged.intersection(st.victims).sorted())")
                }
            }
            // The sign adds no one but victims (a partner's session that also shows a drain is the
            // detector's either way; seed 13 draws one).
            let added = flaggedBy[true]!.subtracting(flaggedBy[false]!).subtracting(st.victims)
            XCTAssertTrue(added.isEmpty, "seed \(seed): the sign added owners: \(added.sorted())")
            for (name, group) in [("partner", st.partners), ("new phone", st.newPhones), ("own phone", st.ownChanges), ("traveller", st.travellers),
                                 ("partner at home", st.partnersAtHome), ("new phone on mobile data", st.newPhonesMobile)] {
                let more = flaggedBy[true]!.intersection(group).subtracting(flaggedBy[false]!)
                XCTAssertTrue(more.isEmpty, "seed \(seed): \(name) flagged with the sign only: \(more.sorted())")
            }
        }
    }

    /// A type is a habit when most of the accounts that did it did it more than once, and at least
    /// `habitMinDoers` did it: a few victims whose owners changed the e-mail back do not make it one.
    func testHabitTypesAreTheRepeatedOnesAmongEnoughDoers() throws {
        let s = Scenario()
        var n = 0
        /// `accounts` accounts that each do `type` `times` times.
        func doers(_ type: String, _ accounts: Int, times: Int) {
            for _ in 0..<accounts {
                let a = s.account("a\(n)"); n += 1
                for j in 0..<times { s.event(a, type, at: Scenario.t0 + Int64(n) * minute + Int64(j) * 1000, ["device_id": "\(a)-phone"]) }
            }
        }
        doers("search", 12, times: 3)
        doers("search", 3, times: 1)
        doers("email_change", 14, times: 1)
        doers("email_change", 3, times: 2)          // victims whose owners changed it back
        doers("account_update", 3, times: 2)        // repeated, but too few to say
        doers("wishlist", 5, times: 1); doers("wishlist", 5, times: 2)   // a tie: no habit
        let (_, t) = try s.run(TakeoverDetector())
        let habits = Set(TakeoverDetector.habitTypes(t).map { t.typeNames[Int($0)] })
        XCTAssertEqual(habits, ["search"])
    }

    /// Where honest owners often change their e-mail in a session on a PC used once and order there
    /// (60 of them: a tenth of the stranger sessions), the same session is ordinary: none of them is
    /// reported, and the phished accounts whose session is exactly theirs are not either — the weight
    /// is the store's share, not a fixed one.
    func testWhereOwnersOftenChangeTheirEmailAwayTheSameSessionIsOrdinary() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            let st = build(s, seed: seed, away: 60)
            var d = TakeoverDetector()
            d.novelBesideOrders = true
            let (f, t) = try s.run(d)
            let flagged = f.accounts(t)
            XCTAssertTrue(flagged.intersection(st.awayChangers).isEmpty, "seed \(seed): away owners flagged: \(flagged.intersection(st.awayChangers).sorted())")
            XCTAssertTrue(flagged.intersection(st.victims).isEmpty, "seed \(seed): victims found where their session is common: \(flagged.intersection(st.victims).sorted())")
        }
    }
}
