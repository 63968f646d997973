import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The `refund_abuse` detector's lone-claimant test (RefundKinds.swift, refund40): accounts that
/// share nothing with anyone, a handful of pricey orders, most of them ending in claims of kinds
/// where nothing comes back ("item missing", "wrong item", "not
/// received") are found; serial returners (many claims, of the kinds where goods go back — one of
/// them only ever the wrong size), customers with one lost parcel, and a store whose courier lost
/// a district's parcels for a week (many honest "not received", some twice) stay clean.
final class RefundLoneClaimantTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    struct World {
        var s: Scenario
        var buyers: [String] = [], serial: [String] = [], unlucky: [String] = [], district: [String] = [], lone: [String] = []
    }

    /// Ordinary claims: mostly goods going back, now and then a lost or missing parcel.
    static let honest = ["wrong_size", "changed_mind", "not_as_described", "damaged", "late_delivery", "not_received",
                         "wrong_size", "changed_mind", "not_as_described", "damaged", "late_delivery", "item_missing"]

    /// 1,400 ordinary buyers (own phone, card, home; 1–10 orders of 15–120, each claimed with
    /// probability 3 % for an ordinary reason, the whole price refunded); 12 serial returners
    /// (10–20 orders, 45 % claimed: wrong size, changed mind, not as described — the last of them
    /// only ever the wrong size); 10 unlucky customers (2–4 orders, one "not received"); with
    /// `courier`, 80 buyers in one district whose orders in the second week were each lost with
    /// probability ½ (one or more "not received" each); with `lone`, 4 accounts alone (own
    /// phone, card, home) with 5–9 orders of 150–400, about 70 % of them claimed: most claims
    /// "wrong item" (a reason no honest buyer here gives — the claimant's script), the rest "item
    /// missing" or "not received".
    /// With `fee`, the store keeps a 15 % restocking fee on every return of goods ("wrong size",
    /// "changed mind"), whoever sends them back. Every refund names its order.
    func world(seed: UInt64, courier: Bool, lone: Bool, fee: Bool = false) -> World {
        var rng = SeededRandom(seed &* 7_919 &+ 40)
        var w = World(s: Scenario(seed: seed))
        let s = w.s
        for k in 0..<5 { s.account("shop\(k)", kind: "seller"); for j in 0..<6 { s.item("it\(k)-\(j)", seller: "shop\(k)", price: 20) } }
        var ipOf: [String: String] = [:]
        func buy(_ a: String, at: Int64, price: Double, claim: String?, refunded: Double? = nil) {
            let k = rng.int(0...4)
            let n = ipOf.count
            let ip = ipOf[a] ?? "10.\(n / 250).\(n % 250).9"
            ipOf[a] = ip
            let o = s.order(a, item: "it\(k)-\(rng.int(0...5))", seller: "shop\(k)", at: at, device: "phone-\(a)", address: "home-\(a)",
                            payment: "card-\(a)", amount: price, ip: ip)
            if let claim {
                let kept = fee && ["wrong_size", "changed_mind"].contains(claim) ? (price * 0.85 * 100).rounded() / 100 : price
                s.event(a, "refund", at: at + Int64(rng.int(3...9)) * day + Int64(rng.int(0...40_000)) * 1000,
                        ["amount": refunded ?? kept, "status": claim, "device_id": "phone-\(a)", "order_id": o])
            }
        }
        func when() -> Int64 { Scenario.t0 + Int64(rng.int(0...22)) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_000_000)) }
        func price(_ lo: Int, _ hi: Int) -> Double { Double(rng.int(lo * 100...hi * 100)) / 100 }
        for b in 0..<1400 {
            let a = s.account("b\(b)", created: Scenario.t0 - Int64(rng.int(40...1500)) * day)
            w.buyers.append(a)
            for _ in 0..<rng.int(1...10) {
                buy(a, at: when(), price: price(15, 120), claim: rng.chance(0.03) ? Self.honest[rng.int(0...11)] : nil)
            }
        }
        let goBack = ["wrong_size", "changed_mind", "not_as_described", "wrong_size"]
        for r in 0..<12 {
            let a = s.account("serial\(r)", created: Scenario.t0 - Int64(rng.int(200...1500)) * day)
            w.serial.append(a)
            for _ in 0..<rng.int(10...20) {
                buy(a, at: when(), price: price(20, 150), claim: rng.chance(0.45) ? (r == 11 ? "wrong_size" : goBack[rng.int(0...3)]) : nil)
            }
        }
        for u in 0..<10 {
            let a = s.account("unlucky\(u)")
            w.unlucky.append(a)
            let n = rng.int(2...4)
            for o in 0..<n { buy(a, at: when(), price: price(30, 300), claim: o == 0 ? "not_received" : nil) }
        }
        if courier {
            for d in 0..<80 {
                let a = s.account("district\(d)", created: Scenario.t0 - Int64(rng.int(60...1500)) * day)
                w.district.append(a)
                var lost = 0
                for o in 0..<rng.int(2...5) {
                    let at = Scenario.t0 + Int64(7 + rng.int(0...6)) * day + Int64(rng.int(8...22)) * hour
                    let gone = rng.chance(0.5) || (o == 1 && lost == 0)
                    if gone { lost += 1 }
                    buy(a, at: at, price: price(15, 120), claim: gone ? "not_received" : nil)
                }
            }
        }
        if lone {
            for l in 0..<4 {
                let a = s.account("lone\(l)", created: Scenario.t0 - Int64(rng.int(30...400)) * day)
                w.lone.append(a)
                let n = rng.int(5...9)
                var claimed = 0
                for o in 0..<n {
                    let p = price(150, 400)
                    let claim = rng.chance(0.7) || (o == n - 1 && claimed < 3)
                    guard claim else { buy(a, at: when(), price: p, claim: nil); continue }
                    claimed += 1
                    switch rng.int(0...7) {
                    case 0: buy(a, at: when(), price: p, claim: "item_missing")
                    case 1...5: buy(a, at: when(), price: p, claim: "wrong_item")
                    default: buy(a, at: when(), price: p, claim: "not_received")
                    }
                }
            }
        }
        return w
    }

    /// The accounts the lone-claimant test passes (Benjamini–Hochberg at the detector's rate).
    func found(_ t: EventTable, fdr: Double = RefundAbuseDetector().loneFDR) -> Set<String> {
        guard let r = LoneClaimants.test(t, fdr: fdr) else { return [] }
        return Set(r.claimants.indices.filter { r.rank[$0] <= r.passing }.map { t.accountID(Int32(r.claimants[$0].account)) })
    }

    func testLoneClaimantsAreFoundSerialReturnersAndTheUnluckyAreNot() throws {
        try forEachSeed(also: [4, 5, 6]) { seed in
            let w = world(seed: seed, courier: false, lone: true)
            var det = RefundAbuseDetector()
            det.loneClaimants = true
            let (f, t) = try w.s.run(det)
            // Only lone claimants, and most of them (at a 5 % false-discovery rate one with three
            // claims, two of them "not received", can stay below the bar).
            let got = found(t)
            XCTAssertTrue(got.isSubset(of: w.lone), "\(got.subtracting(w.lone).sorted())")
            XCTAssertGreaterThanOrEqual(got.count, 2, "\(got.sorted())")
            // In the queue: what the test found (or the ring-of-one rule before it); a
            // lone-claimant finding on nobody else; the unlucky and the ordinary buyers on no
            // finding at all.
            let flagged = f.accounts(t)
            XCTAssertTrue(flagged.isSuperset(of: got), "\(got.subtracting(flagged).sorted())")
            let lone = Set(f.filter { $0.reason.hasPrefix("lone claimant:") }.map { t.accountID($0.account) })
            XCTAssertTrue(lone.isSubset(of: w.lone), "\(lone.sorted())")
            XCTAssertTrue(flagged.isDisjoint(with: w.unlucky + w.buyers), "\(flagged.intersection(w.unlucky + w.buyers).sorted())")
            for x in f where x.reason.hasPrefix("lone claimant:") {
                XCTAssertNil(x.group)
                XCTAssertTrue(x.reason.contains("false-discovery rate"), x.reason)
            }
        }
    }

    /// A courier lost a district's parcels for a week: many honest "not received", some twice —
    /// "not received" is then a common kind among the one-off claims, and the lone claimants'
    /// "item missing" and "wrong item" still are not. The district's repeat claims
    /// also make people look more alike in repeating a kind (ρₖ), which costs the test power: it
    /// finds most of the lone claimants, and none of the district.
    func testABadCourierLeavesTheDistrictClean() throws {
        try forEachSeed(also: [4, 5, 6]) { seed in
            let w = world(seed: seed, courier: true, lone: true)
            let (_, t) = try w.s.run(RefundAbuseDetector())
            let got = found(t)
            XCTAssertTrue(got.isDisjoint(with: w.district + w.serial + w.unlucky + w.buyers), "\(got.subtracting(w.lone).sorted())")
            XCTAssertGreaterThanOrEqual(got.intersection(w.lone).count, 2, "\(got.sorted())")
        }
    }

    /// No abuse at all: the test finds nobody, whatever the courier did.
    func testAnHonestStoreHasNoLoneClaimants() throws {
        try forEachSeed(also: [4, 5]) { seed in
            for courier in [false, true] {
                let w = world(seed: seed, courier: courier, lone: false)
                let (f, t) = try w.s.run(RefundAbuseDetector())
                // The serial returners are tested (two claims or more) and none passes.
                let r = try XCTUnwrap(LoneClaimants.test(t, fdr: RefundAbuseDetector().loneFDR))
                XCTAssertGreaterThanOrEqual(r.tested, 12)
                XCTAssertEqual(r.passing, 0, "courier \(courier)")
                XCTAssertFalse(f.contains { $0.reason.hasPrefix("lone claimant:") })
            }
        }
    }

    /// Off, an account alone is judged only like a ring of one (binomial on its claims at the
    /// store's rate): no lone-claimant finding; the serial returners' many claims are beyond
    /// that chance — what the lone-claimant test's spread between people and its kinds of claim
    /// spare them (the ring-of-one rule stays as it was with the test on).
    func testOffJudgesAnAccountAloneLikeARingOfOne() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, courier: false, lone: true)
            var off = RefundAbuseDetector()
            off.loneClaimants = false
            let (f, t) = try w.s.run(off)
            let flagged = f.accounts(t)
            XCTAssertFalse(flagged.isDisjoint(with: w.serial), "\(flagged.sorted())")
            XCTAssertFalse(f.contains { $0.reason.hasPrefix("lone claimant:") })
        }
    }

    /// review40c's and review59's look-alikes beside the world's lone claimants, in a store that
    /// keeps a 15 % restocking fee on every return of goods:
    /// - the serial returners, most of whose claims are now part refunds — a part refunded is no
    ///   kind of its own, so neither is the fee;
    /// - 6 buyers whose three claims are all of orders placed before the log began (the refunds
    ///   name order ids the log does not hold), "wrong item" — the lone claimants' own kind — on
    ///   two logged orders: such claims are left out;
    /// - 6 buyers with two claims on three orders, one ordinary and one of a reason no one else
    ///   in the store gives: one odd claim decides nothing;
    /// - 6 buyers who twice sent back one line of a two-line order;
    /// - 6 buyers whose one claim ("wrong item", the lone claimants' own reason) was refunded in
    ///   two rows (half to a gift card, half to the card): one order refunded is one claim.
    /// None of them is found, and a lone claimant still ranks above all of them.
    func testReview40cLookAlikesAreNotFound() throws {
        try forEachSeed(also: [4, 5, 6]) { seed in
            let w = world(seed: seed, courier: false, lone: true, fee: true)
            let s = w.s
            var rng = SeededRandom(seed &* 104_729 &+ 59)
            func when() -> Int64 { Scenario.t0 + Int64(rng.int(0...22)) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_000_000)) }
            func buy(_ a: String, price: Double) -> (String, Int64) {
                let k = rng.int(0...4), at = when()
                let o = s.order(a, item: "it\(k)-\(rng.int(0...5))", seller: "shop\(k)", at: at, device: "phone-\(a)",
                                address: "home-\(a)", payment: "card-\(a)", amount: price, ip: "10.250.\(rng.int(0...250)).7")
                return (o, at)
            }
            func refund(_ a: String, order: String, at: Int64, amount: Double, _ reason: String) {
                s.event(a, "refund", at: at + Int64(rng.int(3...9)) * day, ["amount": amount, "status": reason, "order_id": order,
                                                                            "device_id": "phone-\(a)"])
            }
            var beforeLog: [String] = [], odd: [String] = [], lines: [String] = [], split: [String] = []
            for r in 0..<6 {
                let a = s.account("old\(r)", created: Scenario.t0 - Int64(rng.int(400...1500)) * day)
                beforeLog.append(a)
                for _ in 0..<2 { _ = buy(a, price: 40) }
                for j in 0..<3 { refund(a, order: "old-\(a)-\(j)", at: when(), amount: 180, "wrong_item") }
            }
            for r in 0..<6 {
                let a = s.account("odd\(r)", created: Scenario.t0 - Int64(rng.int(100...1500)) * day)
                odd.append(a)
                let orders = (0..<3).map { _ in buy(a, price: 60) }
                refund(a, order: orders[0].0, at: orders[0].1, amount: 60, "not_as_described")
                refund(a, order: orders[1].0, at: orders[1].1, amount: 60, "lost_in_a_fire_\(r)")
            }
            for r in 0..<6 {
                let a = s.account("lines\(r)", created: Scenario.t0 - Int64(rng.int(100...1500)) * day)
                lines.append(a)
                for j in 0..<4 {
                    let at = when()
                    // Two lines of one order: two order rows with one order id.
                    s.event(a, "order", at: at, ["order_id": "two-\(a)-\(j)", "item_id": "it0-1", "seller_id": "shop0", "amount": 30,
                                                 "currency": "USD", "device_id": "phone-\(a)", "address_id": "home-\(a)"])
                    s.event(a, "order", at: at, ["order_id": "two-\(a)-\(j)", "item_id": "it1-2", "seller_id": "shop1", "amount": 55,
                                                 "currency": "USD", "device_id": "phone-\(a)", "address_id": "home-\(a)"])
                    if j < 2 { refund(a, order: "two-\(a)-\(j)", at: at, amount: 55, "not_as_described") }
                }
            }
            for r in 0..<6 {
                let a = s.account("split\(r)", created: Scenario.t0 - Int64(rng.int(100...1500)) * day)
                split.append(a)
                let orders = (0..<3).map { _ in buy(a, price: 80) }
                refund(a, order: orders[0].0, at: orders[0].1, amount: 40, "wrong_item")
                refund(a, order: orders[0].0, at: orders[0].1 + 60_000, amount: 40, "wrong_item")
            }
            let (_, t) = try s.build()
            let got = found(t)
            XCTAssertTrue(got.isDisjoint(with: beforeLog + odd + lines + split + w.serial + w.buyers), "\(got.subtracting(w.lone).sorted())")
            let r = try XCTUnwrap(LoneClaimants.test(t, fdr: RefundAbuseDetector().loneFDR))
            // The test still ranks a lone claimant above every look-alike (whether it passes the
            // bar depends on how many the world draws with few claims).
            let rankOf = Dictionary(uniqueKeysWithValues: r.claimants.indices.map { (t.accountID(Int32(r.claimants[$0].account)), r.rank[$0]) })
            let firstLone = try XCTUnwrap(w.lone.compactMap { rankOf[$0] }.min())
            let lookAlikes = (odd + lines + w.serial).compactMap { rankOf[$0] }
            XCTAssertFalse(lookAlikes.isEmpty)
            XCTAssertLessThan(firstLone, lookAlikes.min()!, "\(rankOf.filter { $0.value <= 5 })")
            // The claims of orders before the log are not counted, and a refund in two rows is one
            // claim: those buyers are not even tested.
            let tested = Set(r.claimants.map { t.accountID(Int32($0.account)) })
            XCTAssertTrue(tested.isDisjoint(with: beforeLog + split), "\(tested.intersection(beforeLog + split).sorted())")
            XCTAssertTrue(tested.isSuperset(of: odd + lines), "\(Set(odd + lines).subtracting(tested).sorted())")
            // The kinds are the reasons: the fee makes none.
            XCTAssertEqual(Set(r.kindNames).count, r.kindNames.count)
            XCTAssertFalse(r.kindNames.contains { $0.contains("part") }, "\(r.kindNames)")
        }
    }

    /// A store too small to say what an honest claim looks like (fewer one-claim accounts than
    /// `minOneOff`) tests nobody, however many claims an account has.
    func testTooFewOneOffClaimsTestNobody() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &* 31 &+ 5)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller"); s.item("it", seller: "shop", price: 20)
            var oneOff = 0
            for b in 0..<(2 * LoneClaimants.minOneOff + 40) {
                let a = s.account("b\(b)", created: Scenario.t0 - 400 * day)
                // One fewer than minOneOff accounts with one claim each, every other buyer; the rest
                // claim nothing.
                let claims = oneOff < LoneClaimants.minOneOff - 1 && b % 2 == 0
                if claims { oneOff += 1 }
                let at = Scenario.t0 + Int64(rng.int(0...20)) * day
                let o = s.order(a, item: "it", seller: "shop", at: at, device: "d-\(a)", address: "h-\(a)", payment: "c-\(a)")
                if claims { s.event(a, "refund", at: at + 4 * day, ["amount": 20, "status": "wrong_size", "order_id": o]) }
            }
            for l in 0..<3 {
                let a = s.account("lone\(l)", created: Scenario.t0 - 100 * day)
                for j in 0..<6 {
                    let at = Scenario.t0 + Int64(j * 3) * day
                    let o = s.order(a, item: "it", seller: "shop", at: at, device: "d-\(a)", address: "h-\(a)", payment: "c-\(a)")
                    if j > 0 { s.event(a, "refund", at: at + 4 * day, ["amount": 20, "status": "item_missing", "order_id": o]) }
                }
            }
            let (_, t) = try s.build()
            XCTAssertEqual(oneOff, LoneClaimants.minOneOff - 1)
            XCTAssertNil(LoneClaimants.test(t, fdr: RefundAbuseDetector().loneFDR))
            // One more one-off claim and there is a mix: the three lone claimants are tested and found.
            let a = s.account("one-more", created: Scenario.t0 - 400 * day)
            let o = s.order(a, item: "it", seller: "shop", at: Scenario.t0, device: "d-x", address: "h-x", payment: "c-x")
            s.event(a, "refund", at: Scenario.t0 + 4 * day, ["amount": 20, "status": "wrong_size", "order_id": o])
            let (_, t2) = try s.build()
            XCTAssertEqual(found(t2), ["lone0", "lone1", "lone2"])
        }
    }

    /// An export whose refunds name their orders but whose orders carry no order id (a mapping
    /// that left the column out) has no order to match: every refund row is a claim of its own,
    /// as in a store without order ids — the claims are not all dropped as orders before the log.
    func testRefundsNamingOrdersWithoutIdsAreStillClaims() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &* 977 &+ 3)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller"); s.item("it", seller: "shop", price: 20)
            func order(_ a: String, at: Int64) {
                s.event(a, "order", at: at, ["item_id": "it", "seller_id": "shop", "amount": 20, "currency": "USD", "device_id": "d-\(a)"])
            }
            for b in 0..<(2 * LoneClaimants.minOneOff + 40) {
                let a = s.account("b\(b)", created: Scenario.t0 - 400 * day)
                let at = Scenario.t0 + Int64(rng.int(0...20)) * day
                order(a, at: at); order(a, at: at + day)
                if b % 2 == 0 {
                    s.event(a, "refund", at: at + 4 * day, ["amount": 20, "status": ["wrong_size", "changed_mind"][b % 4 / 2], "order_id": "x-\(a)"])
                }
            }
            for l in 0..<3 {
                let a = s.account("lone\(l)", created: Scenario.t0 - 100 * day)
                for j in 0..<6 {
                    let at = Scenario.t0 + Int64(j * 3) * day
                    order(a, at: at)
                    if j > 0 { s.event(a, "refund", at: at + 4 * day, ["amount": 20, "status": "item_missing", "order_id": "x-\(a)-\(j)"]) }
                }
            }
            let (_, t) = try s.build()
            XCTAssertEqual(found(t), ["lone0", "lone1", "lone2"])
        }
    }

    func testBetaBinomialTailAndBenjaminiHochberg() {
        // ρ → 0 is the binomial.
        let (a0, b0) = Significance.betaParameters(mean: 0.03, rho: 1e-6)
        XCTAssertEqual(Significance.logBetaBinomialTail(4, 12, a0, b0), Significance.logBinomialTail(4, 12, 0.03), accuracy: 1e-3)
        // People differing makes many claims likelier, and the tail falls with k.
        let (a, b) = Significance.betaParameters(mean: 0.03, rho: 0.2)
        XCTAssertGreaterThan(Significance.logBetaBinomialTail(4, 12, a, b), Significance.logBinomialTail(4, 12, 0.03) + 2)
        XCTAssertLessThan(Significance.logBetaBinomialTail(5, 12, a, b), Significance.logBetaBinomialTail(4, 12, a, b))
        // BB(2, 1, 1) is uniform on 0, 1, 2: P(X ≥ 1) = 2/3.
        XCTAssertEqual(Significance.logBetaBinomialTail(1, 2, 1, 1), log(2.0 / 3), accuracy: 1e-9)
        XCTAssertEqual(Significance.logBetaBinomialTail(0, 5, a, b), 0)
        XCTAssertEqual(Significance.logBetaBinomialTail(6, 5, a, b), -.infinity)
        // Benjamini–Hochberg: p = .001, .008, .039, .041, .9 at q = .05 (m = 5) → bars .01, .02,
        // .03, .04, .05: the first two pass (.039 > .03, .041 > .04).
        let (pass, rank) = Significance.benjaminiHochberg([0.041, 0.001, 0.9, 0.008, 0.039].map { log($0) }, q: 0.05)
        XCTAssertEqual(pass, 2)
        XCTAssertEqual(rank, [4, 1, 5, 2, 3])
        // Step-up: p = .04, .04 at q = .05 (m = 2) both pass at rank 2.
        XCTAssertEqual(Significance.benjaminiHochberg([0.04, 0.04].map { log($0) }, q: 0.05).passing, 2)
    }
}
