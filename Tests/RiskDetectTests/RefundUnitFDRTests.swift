import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// `refund-fdr`: the refund units judged by Benjamini–Hochberg instead of Bonferroni. A dozen
/// claimants who share nothing, each with 3 "item missing" claims on 6 orders, are each about
/// 1 in 10^4 at the store's rate — below a Bonferroni bar over every claimant unit and reason,
/// above the bar Benjamini–Hochberg sets once a dozen units pass together. Ordinary buyers (one
/// claim now and then) and thirty unlucky customers (three claims of three ordinary reasons on
/// four orders: about 1 in 10^2.2 after the views, a quarter of the claimant units) stay clean
/// either way — each alone is past 1 %, but thirty of them are what chance gives among a hundred
/// and more units, and judged with no correction they would be taken; where no one abuses,
/// the first step of the procedure is Bonferroni's bar, so an honest store gets nothing new.
final class RefundUnitFDRTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    static let honest = ["wrong_size", "changed_mind", "not_as_described", "damaged", "late_delivery", "not_received",
                         "wrong_size", "changed_mind", "not_as_described", "damaged", "late_delivery", "item_missing"]

    /// 600 ordinary buyers (own phone, card, home, IP; 1–8 orders, each claimed with probability
    /// 3 % for an ordinary reason); 30 unlucky customers (4 orders, 3 claimed, for three
    /// different ordinary reasons); with `abusers`, 12 accounts alone, 6 orders each, 3 of them
    /// claimed "item missing" (the whole price).
    /// `prelog`: 30 customers more, each with one order in the log and four claims on orders
    /// placed before it began (their order ids, with `ids`, name no order in the log).
    func world(seed: UInt64, abusers: Bool, prelog: Bool = false, ids: Bool = true)
        -> (s: Scenario, buyers: [String], abusers: [String], unlucky: [String], prelog: [String]) {
        var rng = SeededRandom(seed &* 6_271 &+ 51)
        let s = Scenario(seed: seed)
        for k in 0..<4 { s.account("shop\(k)", kind: "seller"); for j in 0..<5 { s.item("it\(k)-\(j)", seller: "shop\(k)", price: 40) } }
        var n = 0
        func buy(_ a: String, claim: String?) {
            let k = rng.int(0...3)
            let at = Scenario.t0 + Int64(rng.int(0...22)) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_000_000))
            let price = Double(rng.int(1500...12000)) / 100
            n += 1
            s.order(a, item: "it\(k)-\(rng.int(0...4))", seller: "shop\(k)", at: at, device: "phone-\(a)", address: "home-\(a)",
                    payment: "card-\(a)", amount: price, ip: "10.\(n / 250).\(n % 250).7")
            if let claim {
                s.event(a, "refund", at: at + Int64(rng.int(3...9)) * day, ["amount": price, "status": claim, "device_id": "phone-\(a)"])
            }
        }
        var buyers: [String] = [], bad: [String] = [], unlucky: [String] = [], old: [String] = []
        for b in 0..<600 {
            let a = s.account("b\(b)", created: Scenario.t0 - Int64(rng.int(40...1500)) * day)
            buyers.append(a)
            for _ in 0..<rng.int(1...8) { buy(a, claim: rng.chance(0.03) ? Self.honest[rng.int(0...11)] : nil) }
        }
        let ordinary = ["wrong_size", "changed_mind", "not_as_described", "damaged", "late_delivery", "not_received"]
        for u in 0..<30 {
            let a = s.account("unlucky\(u)", created: Scenario.t0 - Int64(rng.int(40...1500)) * day)
            unlucky.append(a)
            for r in ordinary.shuffled(using: &rng).prefix(3) { buy(a, claim: r) }
            buy(a, claim: nil)
        }
        if abusers {
            for x in 0..<12 {
                let a = s.account("quiet\(x)", created: Scenario.t0 - Int64(rng.int(30...400)) * day)
                bad.append(a)
                let claimed = Set((0..<6).shuffled(using: &rng).prefix(3))
                for o in 0..<6 { buy(a, claim: claimed.contains(o) ? "item_missing" : nil) }
            }
        }
        if prelog {
            for p in 0..<30 {
                let a = s.account("prelog\(p)", created: Scenario.t0 - Int64(rng.int(200...1500)) * day)
                old.append(a)
                buy(a, claim: nil)
                for i in 0..<4 {
                    var f: [String: Any] = ["amount": Double(rng.int(1500...12000)) / 100, "status": ordinary[rng.int(0...5)], "device_id": "phone-\(a)"]
                    if ids { f["order_id"] = "before-\(a)-\(i)" }
                    s.event(a, "refund", at: Scenario.t0 + Int64(rng.int(0...20)) * day + Int64(rng.int(8...22)) * hour, f)
                }
            }
        }
        return (s, buyers, bad, unlucky, old)
    }

    /// The units alone (the lone-claimant test, on by default since lone59, off), by
    /// Benjamini–Hochberg or by Bonferroni.
    func flagged(_ s: Scenario, fdr: Bool) throws -> (Set<String>, [Finding], EventTable) {
        var d = RefundAbuseDetector()
        d.unitFDR = fdr
        d.loneClaimants = false
        let (f, t) = try s.run(d)
        return (f.accounts(t), f, t)
    }

    func testQuietClaimantsPassTogetherOrdinaryBuyersDoNot() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, abusers: true)
            let (on, f, _) = try flagged(w.s, fdr: true)
            let (off, _, _) = try flagged(w.s, fdr: false)
            XCTAssertTrue(on.isDisjoint(with: w.buyers + w.unlucky), "\(on.intersection(w.buyers + w.unlucky).sorted())")
            XCTAssertGreaterThanOrEqual(on.intersection(w.abusers).count, 10, "\(on.sorted())")
            // The scenario holds the case: Bonferroni over the units misses most of them.
            XCTAssertLessThanOrEqual(off.intersection(w.abusers).count, 3, "\(off.sorted())")
            XCTAssertTrue(off.isSubset(of: on), "Benjamini–Hochberg's bar is never above Bonferroni's")
            for x in f { XCTAssertTrue(x.reason.contains("“item missing”"), x.reason) }
        }
    }

    func testAnHonestStoreGetsNothingNew() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let w = world(seed: seed, abusers: false)
            let (on, _, _) = try flagged(w.s, fdr: true)
            let (off, _, _) = try flagged(w.s, fdr: false)
            XCTAssertEqual(on, off)
            XCTAssertTrue(on.isDisjoint(with: w.buyers + w.unlucky), "\(on.sorted())")
        }
    }

    /// Claims of orders placed before the log began (a refund whose order id names no order of
    /// the account in the log) say nothing about how often the account claims: with `refund-fdr`
    /// they are left out. Thirty such customers (one order in the log, four claims on older
    /// orders) beside the quiet claimants are not flagged; the same claims without order ids
    /// (nothing to tell them apart) are counted, and the lower bar takes some of them.
    func testClaimsOnOrdersBeforeTheLogAreLeftOut() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, abusers: true, prelog: true)
            let (on, _, _) = try flagged(w.s, fdr: true)
            XCTAssertTrue(on.isDisjoint(with: w.prelog), "\(on.intersection(w.prelog).sorted())")
            XCTAssertGreaterThanOrEqual(on.intersection(w.abusers).count, 10, "\(on.sorted())")
            let blind = world(seed: seed, abusers: true, prelog: true, ids: false)
            let (counted, _, _) = try flagged(blind.s, fdr: true)
            XCTAssertFalse(counted.isDisjoint(with: blind.prelog), "the scenario holds the case")
        }
    }
}
