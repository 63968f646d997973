import Foundation
import XCTest
@testable import RiskDetect

/// Brushing of one listing of a mega-seller: fifteen buyers, each on its own phone, address and
/// card, look at a new item of the store's biggest seller once, then order it again and again
/// and review every order five stars days later — no copied text, nothing bought blind, nothing
/// reviewed fast. Among the seller's 600 buyers they are a sliver (the seller-level crew test
/// sees the store's share), and they share nothing (the block test sees no ring); among the
/// item's buyers they are most. Beside them the look-alikes that must stay low: the
/// mega-seller's honest buyers, among them loyal customers who re-order a consumable and review
/// it five stars each time (as many per consumable as there are crew members, and more than the
/// store's share); short five-star reviewers; a household reviewing the same small shop; fans
/// of a limited drop who order it twice without looking and review it twice.
final class BrushingItemCrewTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    func market(seed: UInt64, crew: Bool) -> Scenario {
        var rng = SeededRandom(seed &* 6151 &+ 17)
        let s = Scenario(seed: seed)
        s.account("mega", kind: "seller")
        let megaItems = (0..<8).map { s.item("m\($0)", seller: "mega", price: 12) }
        let consumables = Set(megaItems.prefix(3))
        s.item("mnew", seller: "mega", price: 9)
        for k in 0..<60 { s.account("small\(k)", kind: "seller"); s.item("x\(k)", seller: "small\(k)", price: 25) }
        s.account("dropper", kind: "seller")
        s.item("drop", seller: "dropper", price: 90, limited: true, dropAt: Scenario.t0 + 10 * day)
        let texts = ["Great!", "Love it", "ok", "Good value", "fast shipping"]
        func review(_ a: String, item: String, seller: String, at: Int64, dev: String, rating: Int, text: String? = nil) {
            var f: [String: Any] = ["item_id": item, "seller_id": seller, "rating": rating, "device_id": dev]
            if let text { f["text"] = text }
            s.event(a, "review", at: at, f)
        }
        func life(_ a: String, dev: String) { s.life(a, device: dev, items: ["m3", "m4", "x0", "x1"], seller: "mega", &rng) }
        // The mega-seller's buyers: each views and orders one or two of its items; a third of them
        // review every order, days later, mostly five stars (short texts); a consumable is bought
        // again and again by a third of its buyers.
        // Twelve of them per consumable (a fixed count, not a draw: the draw alone gave ~8 a
        // consumable and fell short of a crew's size on seeds 7 and 12 of 1–20) are its loyal
        // customers: they re-order it two to four times and review every order five stars.
        for b in 0..<600 {
            let a = s.account("mb\(b)"), dev = "mbd\(b)"
            life(a, dev: dev)
            let loyal = b < 36
            let reviewer = loyal || rng.chance(0.35)
            for _ in 0..<(loyal ? 1 : rng.int(1...2)) {
                let item = loyal ? megaItems[b % 3] : megaItems[rng.int(0...megaItems.count - 1)]
                let times = loyal ? rng.int(2...4) : consumables.contains(item) && rng.chance(0.35) ? rng.int(2...4) : (rng.chance(0.03) ? 2 : 1)
                var at = Scenario.t0 + Int64(rng.int(0...6)) * day + Int64(rng.int(0...80_000)) * 1000
                s.event(a, "view", at: at - Int64(rng.int(60...3_000)) * 1000, ["item_id": item, "seller_id": "mega", "device_id": dev])
                for _ in 0..<times {
                    s.order(a, item: item, seller: "mega", at: at, device: dev, address: "addr-\(a)", payment: "card-\(a)", amount: 12)
                    if reviewer {
                        review(a, item: item, seller: "mega", at: at + Int64(rng.int(1...10)) * day, dev: dev,
                               rating: loyal || rng.chance(0.85) ? 5 : rng.int(3...4), text: texts[rng.int(0...texts.count - 1)])
                    }
                    at += Int64(rng.int(4...7)) * day
                }
            }
        }
        // Small shops and their own buyers (view, order once, now and then a five-star review).
        for k in 0..<60 {
            for j in 0..<rng.int(10...20) {
                let a = s.account("sb\(k)-\(j)"), dev = "sbd\(k)-\(j)"
                let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...80_000)) * 1000
                s.event(a, "view", at: at - 120_000, ["item_id": "x\(k)", "seller_id": "small\(k)", "device_id": dev])
                s.order(a, item: "x\(k)", seller: "small\(k)", at: at, device: dev, address: "addr-\(a)", payment: "card-\(a)", amount: 25)
                if rng.chance(0.25) { review(a, item: "x\(k)", seller: "small\(k)", at: at + Int64(rng.int(1...10)) * day, dev: dev, rating: 5, text: "Great!") }
            }
        }
        // A household of four on one address, card and tablet, each reviewing the same small shop.
        for h in 0..<4 {
            let a = s.account("home\(h)")
            let at = Scenario.t0 + Int64(5 + 3 * h) * day
            s.event(a, "view", at: at - 300_000, ["item_id": "x7", "seller_id": "small7", "device_id": "tablet"])
            s.order(a, item: "x7", seller: "small7", at: at, device: "tablet", address: "home-addr", payment: "home-card", amount: 25)
            review(a, item: "x7", seller: "small7", at: at + 2 * day, dev: "tablet", rating: 5, text: "Great!")
        }
        // Fans of a limited drop: two pieces each, at the drop, without a look first, each reviewed.
        for f in 0..<12 {
            let a = s.account("fan\(f)"), dev = "fand\(f)"
            for n in 0..<2 {
                let at = Scenario.t0 + 10 * day + Int64(rng.int(1...600)) * 1000 + Int64(n) * 2 * day
                s.order(a, item: "drop", seller: "dropper", at: at, device: dev, address: "addr-\(a)", payment: "card-\(a)", amount: 90)
                review(a, item: "drop", seller: "dropper", at: at + 3 * day, dev: dev, rating: 5)
            }
        }
        // Honest buyers of the new listing: a look, one order.
        for j in 0..<5 {
            let a = s.account("nb\(j)"), dev = "nbd\(j)"
            let at = Scenario.t0 + Int64(rng.int(2...20)) * day
            s.event(a, "view", at: at - 200_000, ["item_id": "mnew", "seller_id": "mega", "device_id": dev])
            s.order(a, item: "mnew", seller: "mega", at: at, device: dev, address: "addr-\(a)", payment: "card-\(a)", amount: 9)
        }
        guard crew else { return s }
        // The crew: own phone, address and card each; one look at the listing, then three or four
        // orders a few days apart, each reviewed five stars (no text) three to eight days later.
        for r in 0..<15 {
            let a = s.account("crew\(r)", created: Scenario.t0 - Int64(rng.int(60...400)) * day)
            let dev = "crewd\(r)"
            life(a, dev: dev)
            var at = Scenario.t0 + Int64(rng.int(1...6)) * day + Int64(rng.int(0...80_000)) * 1000
            s.event(a, "view", at: at - 90_000, ["item_id": "mnew", "seller_id": "mega", "device_id": dev])
            for _ in 0..<rng.int(3...4) {
                s.order(a, item: "mnew", seller: "mega", at: at, device: dev, address: "crewa\(r)", payment: "crewc\(r)", amount: 9)
                review(a, item: "mnew", seller: "mega", at: at + Int64(rng.int(3...8)) * day, dev: dev, rating: 5)
                at += Int64(rng.int(3...5)) * day
            }
        }
        return s
    }

    func honest(_ ids: Set<String>) -> [String] {
        ids.filter { !$0.hasPrefix("crew") }.sorted()
    }

    func testACrewOnOneListingOfAMegaSellerIsFoundByTheItemsBuyers() throws {
        try forEachSeed { seed in
            let (_, t) = try market(seed: seed, crew: true).build()
            let log = DebugLines()
            let f = try BrushingDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
            let flagged = f.accounts(t)
            let why = log.lines.filter { $0.hasPrefix("crews") }.joined(separator: "\n")
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("crew") }.count, 14, "seed \(seed): \(flagged.sorted())\n\(why)")
            // Not the seller (the listing is a sliver of its sales), none of its honest buyers, not
            // the loyal re-reviewers of its consumables, not the household or the drop's fans.
            XCTAssertEqual(honest(flagged), [], "seed \(seed)\n\(why)")
            // One crew: its members share a group, so propagation carries the crew's evidence.
            let groups = Set(f.filter { t.accountID($0.account).hasPrefix("crew") }.compactMap(\.group))
            XCTAssertEqual(groups.count, 1, "seed \(seed): \(groups)")
            // Without judging items the crew is invisible: the seller's share is the store's, and
            // nothing is shared or copied.
            var off = BrushingDetector(); off.crewItems = false
            let none = try off.run(t, cancel: CancelToken()).accounts(t).filter { $0.hasPrefix("crew") }
            XCTAssertEqual(none.sorted(), [], "seed \(seed): found without the item rule")
        }
    }

    func testLoyalReReviewersOfAConsumableAreTheItemsHabitNotACrew() throws {
        try forEachSeed { seed in
            let (_, t) = try market(seed: seed, crew: false).build()
            let log = DebugLines()
            let f = try BrushingDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
            XCTAssertEqual(f.accounts(t).sorted(), [], "seed \(seed)\n\(log.lines.filter { $0.hasPrefix("crews") }.joined(separator: "\n"))")
            // The consumables' loyal re-reviewers are as many as a crew and far more than the
            // store's share (a lift-only test would call the item boosted): they are a sixth or so of
            // its buyers (twelve loyal by construction plus those the draw makes), a crew is most
            // of its listing's.
            let consumables = log.lines.filter { $0.hasPrefix("crews: item m0 ") || $0.hasPrefix("crews: item m1 ") || $0.hasPrefix("crews: item m2 ") }
            let loud = consumables.filter { line in
                let w = line.split(separator: " ")
                guard let i = w.firstIndex(of: "boost-like"), i + 3 < w.count else { return false }
                let kn = w[i + 1].split(separator: "/").compactMap { Double($0) }
                let store = Double(w[i + 3].trimmingCharacters(in: CharacterSet(charactersIn: ",()"))) ?? 1
                return kn.count == 2 && kn[0] >= 10 && kn[0] / kn[1] >= 3 * store
            }
            XCTAssertFalse(loud.isEmpty, "seed \(seed): no consumable with as many re-reviewers as a crew: \(consumables)")
        }
    }
}
