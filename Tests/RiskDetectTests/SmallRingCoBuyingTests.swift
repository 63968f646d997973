import Foundation
import XCTest
@testable import RiskDetect

/// A small store's ring on its mega-seller (the shape of our simulator's 5k world, seed 162):
/// five accounts on two shared phones, two addresses and three cards order three of the mega-
/// seller's 150 listings four to seven times each and review nearly every order five stars (now
/// and then four) with a few template sentences. The seller has about 600 honest buyers in
/// households of one to four sharing an address, a tablet or a card, who re-order and leave
/// five-star reviews just as often — so at this seller "shares an identifier plus one more
/// sign" is what most sharers look like, the ring is a handful in dense blocks of hundreds,
/// and not every member shows every sign (a four-star review breaks "five-star only"). What
/// no household does is review the same few listings: each member buys and reviews its own things.
/// (This store does not hide the ring from the other block tests as the 5k world did: it checks
/// that the co-buying test finds the ring and leaves the households alone, not that it is needed.)
final class SmallRingCoBuyingTests: XCTestCase {
    let day = Scenario.day

    func market(seed: UInt64, ring: Bool) -> Scenario {
        var rng = SeededRandom(seed &* 7919 &+ 11)
        let s = Scenario(seed: seed)
        s.account("mega", kind: "seller")
        let listings = 150
        for k in 0..<listings { s.item("m\(k)", seller: "mega") }
        // Popularity falls off like a catalogue's: listing k drawn ∝ 1/(k+3).
        let weights = (0..<listings).map { 1 / Double($0 + 3) }
        let totalW = weights.reduce(0, +)
        func pick() -> Int {
            var u = rng.unit() * totalW
            for (k, w) in weights.enumerated() { u -= w; if u <= 0 { return k } }
            return listings - 1
        }
        let short = ["Great!", "Love it", "Perfect", "Good", "Great product", "Fast delivery", "ok"]
        let sentences = ["Great product, fast delivery", "Very good seller, will order again", "Item as described, five stars"]
        func review(_ a: String, item: String, at: Int64, dev: String, rating: Int, texts: [String]) {
            s.event(a, "review", at: at + Int64(rng.int(1...4)) * day,
                    ["item_id": item, "seller_id": "mega", "rating": rating, "text": texts[rng.int(0...texts.count - 1)], "device_id": dev])
        }
        // Households of one to five on one address, often a tablet and a card; many re-order
        // and review five stars.
        var b = 0
        while b < 600 {
            let size = [1, 1, 1, 2, 2, 3, 4][rng.int(0...6)]
            let tablet = rng.chance(0.5) ? "tablet\(b)" : nil
            let card = rng.chance(0.4) ? "hcard\(b)" : nil
            for m in 0..<size {
                let a = s.account("buyer\(b + m)")
                let dev = tablet ?? "phone\(b + m)"
                for _ in 0..<(rng.chance(0.6) ? rng.int(2...3) : 1) {
                    let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...86_000)) * 1000
                    let item = "m\(pick())"
                    s.order(a, item: item, seller: "mega", at: at, device: dev, address: "house\(b)", payment: card ?? "card-\(a)")
                    if rng.chance(0.7) { review(a, item: item, at: at, dev: dev, rating: rng.chance(0.9) ? 5 : 4, texts: short) }
                }
            }
            b += size
        }
        s.smallShops(20, buyers: 10, &rng)
        guard ring else { return s }
        let boosted = ["m40", "m77", "m120"]
        for r in 0..<5 {
            let a = s.account("ring\(r)")
            let dev = "rphone\(r < 4 ? 0 : 1)", address = "raddr\(r % 2)", card = "rcard\(r % 3)"
            for _ in 0..<rng.int(4...7) {
                let at = Scenario.t0 + Int64(rng.int(5...25)) * day + Int64(rng.int(0...86_000)) * 1000
                let item = boosted[rng.int(0...2)]
                s.order(a, item: item, seller: "mega", at: at, device: dev, address: address, payment: card)
                if rng.chance(0.9) { review(a, item: item, at: at, dev: dev, rating: rng.chance(0.8) ? 5 : 4, texts: sentences) }
            }
        }
        return s
    }

    func flagged(_ s: Scenario, coBuying: Bool) throws -> (ring: Int, households: [String], why: String) {
        var d = BrushingDetector()
        d.coBuying = coBuying
        let (f, t) = try s.run(d)
        let ids = f.accounts(t)
        let ring = (0..<5).filter { ids.contains("ring\($0)") }.count
        let households = ids.filter { $0.hasPrefix("buyer") }.sorted()
        let why = f.first { t.accountID($0.account).hasPrefix("ring") }?.reason ?? "no ring finding"
        return (ring, households, why)
    }

    func testASmallRingOnAMegaSellerIsFoundByWhatItReviewed() throws {
        try forEachSeed { seed in
            let on = try flagged(market(seed: seed, ring: true), coBuying: true)
            XCTAssertGreaterThanOrEqual(on.ring, 4, "seed \(seed): \(on.why)")
            XCTAssertEqual(on.households, [], "seed \(seed)")
            // Not asserted: that without the co-buying test the ring hides (as on the 5k world it was
            // written for). In this hand-built store the other block tests find it too.
        }
    }

    func testAMegaSellersHouseholdsStayLow() throws {
        try forEachSeed { seed in
            let v = try flagged(market(seed: seed, ring: false), coBuying: true)
            XCTAssertEqual(v.households, [], "seed \(seed)")
        }
    }
}
