import Foundation
import XCTest
@testable import RiskDetect

/// Brushing with the `brushing` detector off (leave-one-detector-out): the anomaly layer's
/// `linked_cobuyers` (LinkedCobuyers.swift). A ring of eighteen on three prepaid cards (six each) (own
/// phones and homes) orders a small shop's item and reviews it five stars; the store around it
/// has a mega-seller whose 700 honest buyers live in households of one to four sharing an
/// address, a tablet or a card (and re-order, and write short five-star reviews), parcel lockers
/// of a dozen strangers, small shops, and households that all buy from their own corner shop.
/// The ring's linked accounts buy from its seller far beyond that seller's share of the store's
/// buyers; a household buying together is no bigger than a household, and the mega-seller's
/// share of buyers is most of the store.
final class LinkedCobuyersTests: XCTestCase {
    let day = Scenario.day

    struct World { var s: Scenario; var ring: [String]; var households: [String]; var corner: [String]; var lockers: [String] }

    func market(seed: UInt64, ring ringSize: Int) -> World {
        var rng = SeededRandom(seed &* 7919 &+ 11)
        let s = Scenario(seed: seed)
        s.account("mega", kind: "seller")
        for k in 0..<8 { s.item("m\(k)", seller: "mega") }
        let short = ["Great!", "Love it", "Perfect", "Good", "Great product", "Fast delivery", "ok"]
        func at() -> Int64 { Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...86_000)) * 1000 }
        func buy(_ a: String, item: String, seller: String, dev: String, address: String, card: String, reviewChance: Double, times: Int) {
            for _ in 0..<times {
                let when = at()
                // A look or two at the item first, minutes apart, as everyone here (ring included) does.
                var look = when - Int64(rng.int(2...40)) * Scenario.minute
                for _ in 0..<rng.int(1...3) {
                    s.event(a, "view", at: look, ["item_id": item, "seller_id": seller, "device_id": dev])
                    look += Int64(rng.int(20...300)) * 1000
                }
                s.order(a, item: item, seller: seller, at: when, device: dev, address: address, payment: card)
                if rng.chance(reviewChance) {
                    s.event(a, "review", at: when + Int64(rng.int(1...5)) * day,
                            ["item_id": item, "seller_id": seller, "rating": rng.chance(0.8) ? 5 : rng.int(3...4),
                             "text": short[rng.int(0...short.count - 1)], "device_id": dev])
                }
            }
        }
        var households: [String] = [], corner: [String] = [], lockers: [String] = []
        // Households of one to four on one address, often a tablet and a card; every fifth home
        // of three or four also buys together from its own corner shop (nobody else's).
        var b = 0, homes = 0
        while b < 700 {
            let size = [1, 1, 2, 2, 3, 4][rng.int(0...5)]
            let tablet = rng.chance(0.5) ? "tablet\(b)" : nil
            let card = rng.chance(0.4) ? "hcard\(b)" : nil
            let local = size >= 3 && homes % 5 == 0
            if local { s.account("corner\(homes)", kind: "seller"); s.item("c\(homes)", seller: "corner\(homes)") }
            for m in 0..<size {
                let a = s.account("buyer\(b + m)")
                if size >= 2 { households.append(a) }
                let dev = tablet ?? "phone\(b + m)", cardID = card ?? "card-\(a)"
                buy(a, item: "m\(rng.int(0...2))", seller: "mega", dev: dev, address: "house\(b)", card: cardID,
                    reviewChance: 0.5, times: rng.chance(0.3) ? rng.int(2...3) : 1)
                if local {
                    corner.append(a)
                    buy(a, item: "c\(homes)", seller: "corner\(homes)", dev: dev, address: "house\(b)", card: cardID, reviewChance: 0.5, times: rng.int(1...2))
                }
            }
            homes += 1
            b += size
        }
        // Parcel lockers: a dozen strangers each on one delivery address, buying at the mega-seller.
        for l in 0..<4 {
            for m in 0..<12 {
                let a = s.account("locker\(l)-\(m)")
                lockers.append(a)
                buy(a, item: "m\(rng.int(0...7))", seller: "mega", dev: "lphone\(l)-\(m)", address: "locker\(l)", card: "lcard\(l)-\(m)",
                    reviewChance: 0.4, times: rng.int(1...2))
            }
        }
        // Small shops and their ordinary buyers; shop 0 is the one the ring boosts.
        s.smallShops(15, buyers: 12, &rng) { rng, a, k, when in
            if rng.chance(0.4) {
                s.event(a, "review", at: when + Int64(rng.int(1...6)) * Scenario.day,
                        ["item_id": "x\(k)", "seller_id": "small\(k)", "rating": rng.chance(0.7) ? 5 : 4, "text": "Good", "device_id": "sbd\(k)-0"])
            }
        }
        // The ring: own phones and homes, three prepaid cards passed round; each member orders
        // the shop's item once or twice and reviews it five stars. No repeated text.
        var ring: [String] = []
        let cards = max(1, ringSize / 6)
        for r in 0..<ringSize {
            let a = s.account("ring\(r)")
            ring.append(a)
            buy(a, item: "x0", seller: "small0", dev: "rphone\(r)", address: "raddr\(r)", card: "prepaid\(r % cards)", reviewChance: 1.1, times: rng.int(1...2))
        }
        return World(s: s, ring: ring, households: households, corner: corner, lockers: lockers)
    }

    func testWithTheBrushingDetectorOffARingRisesAboveHouseholdsAndTheMegaSellersBuyers() throws {
        try forEachSeed { seed in
            let w = market(seed: seed, ring: 18)
            let (store, _) = try w.s.build()
            let (score, why) = try detectScores(store, disabling: ["brushing", "identity"])
            let ranked = score.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let top = Set(ranked.prefix(Int((0.05 * Double(ranked.count)).rounded(.up))))
            let inTop = w.ring.filter(top.contains)
            XCTAssertGreaterThanOrEqual(inTop.count, w.ring.count * 3 / 4,
                                        "seed \(seed): \(inTop.count) of \(w.ring.count) ring members in the top 5 %: " +
                                        w.ring.filter { !top.contains($0) }.map { "\($0) at \(ranked.firstIndex(of: $0) ?? -1): \(why[$0] ?? "")" }.joined(separator: " | "))
            // The honest sharers are not lifted by the ring's column (a few are in the top 5 % for
            // reasons of their own: five orders, a two-star critic), and few of them reach the
            // ring's median score.
            let honest = Set(w.households + w.corner + w.lockers)
            let cited = honest.filter { top.contains($0) && (why[$0] ?? "").contains("linked accounts buying") }
            XCTAssertTrue(cited.isEmpty, "seed \(seed): honest sharers in the top 5 % for their linked co-buyers: " +
                          cited.sorted().prefix(8).map { "\($0): \(why[$0] ?? "")" }.joined(separator: " | "))
            let ringMedian = w.ring.map { score[$0] ?? 0 }.sorted()[w.ring.count / 2]
            let above = honest.filter { (score[$0] ?? 0) >= ringMedian }
            XCTAssertLessThanOrEqual(above.count, honest.count / 50, "seed \(seed): \(above.count) of \(honest.count) honest sharers at or above the ring's median score: \(above.sorted().prefix(8))")
        }
    }

    /// The feature itself: the ring's members far above every household, corner-shop family and
    /// locker user (who share identifiers too, and buy together).
    func testTheRingsLinkedAccountsBuyFromItsSellerBeyondTheSellersShareHouseholdsDoNot() throws {
        try forEachSeed { seed in
            let w = market(seed: seed, ring: 18)
            let (_, t) = try w.s.build()
            let v = LinkedCobuyers.compute(t)
            let of: (String) -> Float = { v[Int(t.accounts.lookup($0)!)] }
            let honest = (w.households + w.corner + w.lockers).map(of).max()!
            XCTAssertLessThan(honest, 1, "seed \(seed): an honest sharer's value \(honest)")
            XCTAssertEqual(w.corner.map(of).max()!, 0, "seed \(seed): a household at its corner shop")
            for a in w.ring { XCTAssertGreaterThan(of(a), honest + 1, "seed \(seed): \(a)") }
        }
    }

    /// A ring no bigger than a household (three on one card) is not judged by this column (left
    /// to the detectors).
    func testARingNoBiggerThanAHouseholdIsNotCounted() throws {
        let w = market(seed: TestSeed.first, ring: 3)
        let (_, t) = try w.s.build()
        let v = LinkedCobuyers.compute(t)
        for a in w.ring { XCTAssertEqual(v[Int(t.accounts.lookup(a)!)], 0, a) }
    }
}
