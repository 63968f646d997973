import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// Scalper crews that spread a drop over many accounts — one or two pieces each, so no account
/// buys much — against an honest flash-drop crowd that is just as quick but buys one piece each
/// with its own card and shops the rest of the store too.
final class ScalperSpreadTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// The store: a brand with three drops, each with an honest crowd of 120 fans (quick — an
    /// exponential reaction of ~20 s — one piece, their own card, device and address, a view of
    /// the item minutes before, ordinary orders besides; a fifth in households of two sharing
    /// an address and a tablet), five regulars of the brand (a piece at every drop, and heavy
    /// ordinary shoppers besides), and the everyday buyers of small shops.
    func store(_ s: Scenario) -> [(String, Int64)] {
        let drops = s.dropStore(households: true, brandShopping: true)
        for r in 0..<5 {
            let a = s.account("regular\(r)")
            for (item, at) in drops {
                s.event(a, "view", at: at - 10 * minute, ["item_id": item, "seller_id": "brand", "device_id": "rd\(r)"])
                s.order(a, item: item, seller: "brand", at: at + s.int(in: 2_000...60_000), device: "rd\(r)", address: "ra\(r)",
                        payment: "rc\(r)", amount: 180, ip: "10.200.\(r).1")
            }
            for d in 0..<10 {
                s.order(a, item: "everyday", seller: "shop", at: Scenario.t0 + Int64(d * 3) * day + 12 * hour, device: "rd\(r)",
                        address: "ra\(r)", payment: "rc\(r)", amount: 25, ip: "10.200.\(r).1")
            }
        }
        for b in 0..<300 {
            s.account("buyer\(b)")
            s.order("buyer\(b)", item: "everyday", seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * day + s.int(in: 8...21) * hour,
                    device: "bd\(b)", address: "ba\(b / 2)", payment: "bc\(b)", amount: 25, ip: "10.250.\(b).1")
        }
        return drops
    }

    /// Fourteen crew accounts, each on its own device, buying one or two pieces of every drop
    /// between 1 and 40 s after it opens, after a glance at the item, and nothing else.
    func crew(_ s: Scenario, _ drops: [(String, Int64)], address: (Int) -> String, payment: (Int) -> String, ip: (Int) -> String) {
        for c in 0..<14 {
            let a = s.account("crew\(c)")
            for (item, at) in drops {
                let t = at + s.int(in: 1_000...40_000)
                s.event(a, "view", at: t - s.int(in: 1_000...5 * minute), ["item_id": item, "seller_id": "brand", "device_id": "cd\(c)"])
                let q = Int(s.int(in: 1...2))
                s.order(a, item: item, seller: "brand", at: t + 2_000, device: "cd\(c)", address: address(c), payment: payment(c),
                        amount: 180, quantity: q, ip: ip(c))
            }
        }
    }

    /// A crew of 14 accounts on one card (each with its own address, device and network), one
    /// or two pieces of every drop between 1 and 40 s after it opens, a glance at the item
    /// first, nothing else bought — found, and reported as one group; the honest crowd is not.
    func testASpreadCrewOnOneCardIsFoundTheHonestCrowdIsNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            let drops = store(s)
            crew(s, drops, address: { "jig\($0)" }, payment: { _ in "crewcard" }, ip: { c in "172.16.\(c).\(s.int(in: 1...250))" })
            let (f, t) = try s.run(ScalperDetector())
            let flagged = f.accounts(t)
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("crew") }.count, 12, "\(flagged.sorted())")
            XCTAssertLessThanOrEqual(flagged.filter { $0.hasPrefix("fan") }.count, 3, "honest fans: \(flagged.filter { $0.hasPrefix("fan") }.sorted())")
            XCTAssertTrue(flagged.filter { $0.hasPrefix("regular") || $0.hasPrefix("buyer") }.isEmpty, "\(flagged.sorted())")
            let crewGroups = Set(f.filter { t.accountID($0.account).hasPrefix("crew") }.compactMap(\.group))
            XCTAssertEqual(crewGroups.count, 1, "one crew, one group: \(crewGroups)")
            let why = f.first { t.accountID($0.account).hasPrefix("crew") }?.reason ?? ""
            XCTAssertTrue(why.contains("payment"), why)
        }
    }

    /// The same crew on nothing shared (a residential proxy, its own card each): its accounts
    /// buy at every drop and nothing else, which the crowd's fans — one drop each — and the
    /// brand's regulars — who shop the store besides — do not.
    func testACrewSharingNothingIsFoundByBuyingOnlyDrops() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            let drops = store(s)
            crew(s, drops, address: { "ca\($0)" }, payment: { "cc\($0)" },
                 ip: { _ in "172.\(s.int(in: 16...31)).\(s.int(in: 0...250)).\(s.int(in: 1...250))" })
            let (f, t) = try s.run(ScalperDetector())
            let flagged = f.accounts(t)
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("crew") }.count, 10, "\(flagged.sorted())")
            XCTAssertLessThanOrEqual(flagged.filter { $0.hasPrefix("fan") }.count, 3, "honest fans: \(flagged.filter { $0.hasPrefix("fan") }.sorted())")
            XCTAssertTrue(flagged.filter { $0.hasPrefix("regular") || $0.hasPrefix("buyer") }.isEmpty, "\(flagged.sorted())")
        }
    }
}
