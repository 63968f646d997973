import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// shopper-groups (session 72): a lockstep group whose members order as often as the store's active
/// accounts is an audience of the store's customers (a live room's regulars, a weekly show's families)
/// and keeps half its strength; a farm of accounts that never buy keeps all of it, and so does a group
/// on shared phones whatever its accounts buy. Look-alike 4402: a 230-account group of a room's
/// regulars and live fans at 60 minutes, 60 of its 69 reported members with orders, held 23 places of
/// the top K at 0.48–0.73, with the store's rate of ordering 0.65.
final class ShopperGroupTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// One shop of 300 listings: jobs on the first hundred and twenty (ten per group), browsing and orders
    /// on the last hundred.
    func shopStore(_ seed: UInt64) -> (Scenario, [String]) {
        let s = Scenario(seed: seed)
        let shop = s.account("shop", kind: "seller")
        return (s, (0..<300).map { s.item("p\($0)", seller: shop) })
    }

    /// Views of the shop's other listings at any hour of 24 days, and an order now and then.
    func life(_ s: Scenario, _ a: String, device: String, views: Int, orders: Int, pool: [String], _ rng: inout SeededRandom) {
        for _ in 0..<views {
            s.event(a, "view", at: Scenario.t0 + Int64(rng.int(0...(24 * 24))) * hour + Int64(rng.int(0...59)) * minute,
                    ["item_id": pool[200 + rng.int(0...99)], "device_id": device])
        }
        for _ in 0..<orders {
            s.order(a, item: pool[200 + rng.int(0...99)], seller: "shop", at: Scenario.t0 + Int64(rng.int(0...(24 * 24))) * hour,
                    device: device, address: "home-\(a)", payment: "card-\(a)")
        }
    }

    /// `members` accounts named `prefix0…`, twelve jobs within minutes on ten listings of their own
    /// (`first`…), four in five at each, on every other day from `firstDay` (two groups on the same
    /// days would meet at the shop, one target in the shop pass); `device(f)` is member f's phone.
    func group(_ s: Scenario, _ prefix: String, members: Int, first: Int, firstDay: Int = 1, pool: [String], device: (Int) -> String, _ rng: inout SeededRandom) {
        for f in 0..<members { _ = s.account("\(prefix)\(f)") }
        for j in 0..<12 {
            let t0 = Scenario.t0 + Int64(firstDay + 2 * j) * day + Int64(rng.int(2...20)) * hour
            for f in 0..<members where rng.chance(0.8) {
                s.event("\(prefix)\(f)", "view", at: t0 + Int64(rng.int(0...180)) * 1000, ["item_id": pool[first + j % 10], "device_id": device(f)])
            }
        }
    }

    /// The store: 150 customers, two in three of whom order (the store's rate), browsing at any hour.
    func customers(_ s: Scenario, pool: [String], _ rng: inout SeededRandom) {
        for w in 0..<150 {
            life(s, s.account("walk\(w)"), device: "w\(w)", views: rng.int(3...8), orders: rng.chance(0.67) ? rng.int(1...3) : 0, pool: pool, &rng)
        }
    }

    func testCustomersInLockstepKeepHalfAFarmThatNeverBuysKeepsAll() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 7201)
            let (s, pool) = shopStore(seed)
            // Two groups alike in their lockstep: "fans" order as the store does, "farm" never.
            group(s, "fans", members: 15, first: 0, pool: pool, device: { "f\($0)" }, &rng)
            group(s, "farm", members: 15, first: 100, firstDay: 0, pool: pool, device: { "x\($0)" }, &rng)
            for f in 0..<15 {
                life(s, "fans\(f)", device: "f\(f)", views: rng.int(2...6), orders: rng.chance(0.7) ? rng.int(1...3) : 0, pool: pool, &rng)
                life(s, "farm\(f)", device: "x\(f)", views: rng.int(2...6), orders: 0, pool: pool, &rng)
            }
            customers(s, pool: pool, &rng)
            let (_, t) = try s.build()
            var d = ClickFarmDetector()
            d.equipmentGroups = false
            let on = try d.run(t, cancel: CancelToken())
            d.shopperGroups = false
            let off = try d.run(t, cancel: CancelToken())
            XCTAssertEqual(on.accounts(t), off.accounts(t), "seed \(seed): which accounts are reported is unchanged")
            let onS = on.strengthByAccount(t), offS = off.strengthByAccount(t)
            let fans = offS.keys.filter { $0.hasPrefix("fans") }, farm = offS.keys.filter { $0.hasPrefix("farm") }
            XCTAssertGreaterThanOrEqual(fans.count, 12, "seed \(seed): the customers' group is found (the scenario tests something)")
            XCTAssertGreaterThanOrEqual(farm.count, 12, "seed \(seed): the farm is found")
            for a in farm { XCTAssertEqual(onS[a]!, offS[a]!, accuracy: 1e-12, "seed \(seed): \(a), a farm that never buys, loses strength") }
            for a in fans { XCTAssertEqual(onS[a]!, offS[a]! / 2, accuracy: 1e-9, "seed \(seed): \(a), a customer, is not halved") }
            XCTAssertLessThan(fans.compactMap { onS[$0] }.max() ?? 1, farm.compactMap { onS[$0] }.min() ?? 0,
                              "seed \(seed): a customer outranks a farm member")
        }
    }

    /// A farm of recruited customers on the farm's own phones (five phones for fifteen accounts, as
    /// `riskdesk simulate` makes them) orders as the store does, and keeps its strength: shared
    /// equipment, not shopping, decides there.
    func testRecruitedCustomersOnSharedPhonesKeepTheirStrength() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 7202)
            let (s, pool) = shopStore(seed)
            group(s, "crew", members: 15, first: 0, pool: pool, device: { "phone\($0 % 5)" }, &rng)
            for f in 0..<15 {
                life(s, "crew\(f)", device: "own\(f)", views: rng.int(2...6), orders: rng.chance(0.7) ? rng.int(1...3) : 0, pool: pool, &rng)
            }
            customers(s, pool: pool, &rng)
            let (_, t) = try s.build()
            var d = ClickFarmDetector()
            d.equipmentGroups = false
            let on = try d.run(t, cancel: CancelToken()).strengthByAccount(t)
            d.shopperGroups = false
            let off = try d.run(t, cancel: CancelToken()).strengthByAccount(t)
            let crew = off.keys.filter { $0.hasPrefix("crew") }
            XCTAssertGreaterThanOrEqual(crew.count, 12, "seed \(seed): the crew is found")
            for a in crew { XCTAssertEqual(on[a]!, off[a]!, accuracy: 1e-12, "seed \(seed): \(a), on the farm's phones, loses strength") }
        }
    }

    /// The factor itself: a significant shortfall of buyers keeps a group whole, a share like the
    /// store's halves it, and in between it is graded; shared devices keep any group whole.
    func testTheFactorFollowsTheShortfallsSignificance() {
        let f = ClickFarmDetector.shopperFactor
        XCTAssertEqual(f(20, 0, 0.65, 1, 0), 1, "no buyer in twenty where two in three buy")
        XCTAssertEqual(f(20, 13, 0.65, 1, 0), 0.5, "the store's own share")
        XCTAssertEqual(f(20, 20, 0.65, 1, 0), 0.5, "more buyers than the store")
        XCTAssertEqual(f(20, 13, 0.65, 1, 0.5), 1, "half the members on one another's devices")
        XCTAssertEqual(f(20, 13, 0.65, 1, 0.45), 0.5, "a few families on their home tablets")
        // Graded in between, and never rising with the buyers.
        let byBuyers = (0...20).map { f(20, $0, 0.65, 1, 0) }
        XCTAssertTrue(byBuyers.contains { $0 > 0.5 && $0 < 1 }, "graded between: \(byBuyers)")
        XCTAssertEqual(byBuyers, byBuyers.sorted(by: >), "more buyers never raise the factor")
        // The same shortfall among many groups is less surprising.
        XCTAssertLessThan(f(20, 8, 0.65, 100, 0), f(20, 8, 0.65, 1, 0))
        // Where even no buyer at all would be no significant shortfall, the test cannot tell: whole.
        XCTAssertEqual(f(3, 0, 0.65, 1, 0), 1, "three members: 0.35³ ≈ 0.043 is no shortfall to go by")
        XCTAssertEqual(f(20, 0, 1.0 / 22, 1, 0), 1, "a store where nobody orders")
        XCTAssertEqual(f(20, 0, 0.65, 1, 0), 1)
        XCTAssertEqual(f(0, 0, 0.65, 1, 0), 1, "no members")
    }
}
