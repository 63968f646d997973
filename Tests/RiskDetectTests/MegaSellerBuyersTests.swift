import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// A small store whose one seller takes nearly every order (small35, issue 11): 300 honest
/// buyers of it in households (one address, a tablet half the time) order two to five times,
/// a third of the orders with one of the store's coupons, some reviewed five stars; 700 accounts
/// browse as much and never order; ten small shops. A ring of four newcomers on one emulator
/// and one card, a coupon on every order, buys from the same seller.
///
/// What holds on main: no honest buyer gets a finding about the seller (brushing, a deal ring)
/// and the ring is flagged. What does not, and is not asserted here until it is fixed (issue 11;
/// docs/benchmarks.md, small35): the anomaly layer alone lifts 4, 5 and 4 of the 300 honest
/// buyers (seeds 1–3) to 0.51–0.64, for "4–5 coupon redeems, 3–4 distinct coupons" or "5 orders,
/// 3–5 reviews" against peers' median 0 — a buyer's purchase counts judged against an activity
/// band of browsers, as on the second generator's 5k world 4159 (docs/benchmarks.md, small35).
final class MegaSellerBuyersTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    func market(seed: UInt64) -> (s: Scenario, honest: [String], ring: [String]) {
        var rng = SeededRandom(seed &* 7919 &+ 35)
        let s = Scenario(seed: seed)
        s.account("mega", kind: "seller")
        let items = (0..<12).map { s.item("m\($0)", seller: "mega") }
        let coupons = ["SPRING5", "WELCOME10", "FREESHIP", "SALE3"]
        let short = ["Great!", "Love it", "Perfect", "Good", "Fast delivery"]
        func when(_ from: Int = 0) -> Int64 { Scenario.t0 + Int64(rng.int(from...27)) * day + Int64(rng.int(8...21)) * hour + Int64(rng.int(0...3_000)) * 1000 }
        var honest: [String] = []
        var h = 0
        while honest.count < 300 {
            let size = [1, 1, 2, 2, 3, 4][rng.int(0...5)]
            let tablet = rng.chance(0.5) ? "tab\(h)" : nil
            for _ in 0..<size {
                let a = s.account("hb\(honest.count)")
                let dev = tablet ?? "ph-\(a)"
                s.life(a, device: dev, items: items, seller: "mega", &rng)
                for _ in 0..<rng.int(2...5) {
                    let at = when(), it = items[rng.int(0...11)]
                    s.order(a, item: it, seller: "mega", at: at, device: dev, address: "house\(h)", payment: "card-\(a)",
                            coupon: rng.chance(0.33) ? coupons[rng.int(0...3)] : nil)
                    if rng.chance(0.3) {
                        s.event(a, "review", at: at + Int64(rng.int(2...6)) * day,
                                ["item_id": it, "seller_id": "mega", "rating": 5, "text": short[rng.int(0...4)], "device_id": dev])
                    }
                }
                honest.append(a)
            }
            h += 1
        }
        // Browsers as busy as the buyers, who never order.
        for k in 0..<700 {
            let a = s.account("w\(k)")
            s.life(a, device: "wph\(k)", items: items, seller: "mega", &rng)
            for _ in 0..<rng.int(1...4) { s.browse(a, day: rng.int(0...27), device: "wph\(k)", items: items, seller: "mega") }
        }
        s.smallShops(10, buyers: 10, &rng)
        // The ring: four newcomers signing up during the month on one emulator, paying with one
        // card to their own addresses, a coupon on every order, little else.
        var ring: [String] = []
        for r in 0..<4 {
            let created = Scenario.t0 + Int64(3 + 4 * r) * day
            let a = s.account("ring\(r)", created: created)
            s.event(a, "signup", at: created, ["device_id": "emu1"])
            s.browse(a, day: 3 + 4 * r, device: "emu1", items: items, seller: "mega")
            for n in 0..<3 {
                s.order(a, item: items[rng.int(0...11)], seller: "mega", at: created + Int64(n) * 2 * day + hour, device: "emu1",
                        address: "raddr\(r)", payment: "rcard", coupon: coupons[(r + n) % 4])
            }
            ring.append(a)
        }
        return (s, honest, ring)
    }

    func testARingOnAMegaSellerIsFlaggedAndNoHonestBuyerGetsAFindingAboutTheSeller() throws {
        try forEachSeed { seed in
            let (s, honest, ring) = market(seed: seed)
            let (store, _) = try s.build()
            _ = try detectScores(store, disabling: [])
            var rec: [String: ScoreRecord] = [:]
            for r in try store.storedScores() { rec[r.account] = r }
            // A finding (not the anomaly layer's ranking) about an honest buyer: a detector's risk type.
            let found = honest.filter { a in rec[a].map { $0.findings > 0 && ["brushing", "deal_hunter", "multi_accounting"].contains($0.riskType ?? "") } ?? false }
            XCTAssertTrue(found.isEmpty, "honest buyers with a finding: \(found.prefix(5).map { "\($0) \(rec[$0]!.riskType ?? "-") \(rec[$0]!.reasons.first ?? "")" })")
            XCTAssertNotEqual(rec["mega"]?.riskType, "brushing", "the seller: \(rec["mega"]?.reasons.first ?? "-")")
            for r in ring { XCTAssertGreaterThanOrEqual(rec[r]?.score ?? 0, 0.5, "\(r): \(rec[r]?.reasons.first ?? "-")") }
        }
    }
}
