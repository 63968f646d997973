import Foundation
import XCTest
@testable import RiskDetect

/// Brushing by a crew that shares nothing: twelve buyers, each on its own phone, address and
/// card, boosting three small sellers with cheap orders bought without looking at the item and
/// short five-star reviews written within hours. No ring in the identifiers, no copied text.
/// Beside them the look-alikes that must stay low: a big honest seller's 400 buyers (some buy
/// again without viewing, some review fast and five-star — more of them in absolute numbers
/// than the crew), and a flash sale's 150 buyers who all order within one hour (after viewing).
final class BrushingCrewTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    func market(seed: UInt64, crew: Bool, spammers: Int = 0) -> Scenario {
        var rng = SeededRandom(seed &* 7919 &+ 29)
        let s = Scenario(seed: seed)
        s.account("big", kind: "seller")
        for k in 0..<6 { s.item("b\(k)", seller: "big", price: 40) }
        s.account("flash", kind: "seller")
        s.item("f0", seller: "flash", price: 15)
        for k in 0..<3 { s.account("boost\(k)", kind: "seller"); s.item("c\(k)", seller: "boost\(k)", price: 3) }
        for k in 0..<20 { s.account("small\(k)", kind: "seller"); s.item("x\(k)", seller: "small\(k)", price: 25) }
        let texts = ["Great!", "Love it", "the quality is better than I expected", "fits perfectly", "works as described", "ok", "Good value"]
        // An honest buyer: views the item (usually), orders, sometimes reviews days later
        // (now and then within hours), mostly five stars.
        func honest(_ a: String, item: String, seller: String, at: Int64, dev: String, view: Bool = true) {
            if view { s.event(a, "view", at: at - Int64(rng.int(60...3_000)) * 1000, ["item_id": item, "seller_id": seller, "device_id": dev]) }
            s.order(a, item: item, seller: seller, at: at, device: dev, address: "addr-\(a)", payment: "card-\(a)", amount: 30)
            guard rng.chance(0.25) else { return }
            let delay = rng.chance(0.15) ? Int64(rng.int(1...6)) * hour : Int64(rng.int(2...12)) * day
            let rating = rng.chance(0.75) ? 5 : rng.int(2...4)
            s.event(a, "review", at: at + delay, ["item_id": item, "seller_id": seller, "rating": rating,
                                                  "text": texts[rng.int(0...texts.count - 1)], "device_id": dev])
        }
        func life(_ a: String, dev: String) { s.life(a, device: dev, items: ["b0", "b1", "x0", "x1"], seller: "big", &rng) }
        // The big seller's buyers: a fifth buy again from their order history (no view).
        for b in 0..<400 {
            let a = s.account("bb\(b)"), dev = "bbd\(b)"
            life(a, dev: dev)
            for n in 0..<rng.int(1...3) {
                let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...80_000)) * 1000
                honest(a, item: "b\(rng.int(0...5))", seller: "big", at: at, dev: dev, view: n == 0 || rng.chance(0.8))
            }
        }
        // The flash sale: 150 buyers, every order inside one hour on day 14, after a look.
        for b in 0..<150 {
            let a = s.account("fb\(b)"), dev = "fbd\(b)"
            life(a, dev: dev)
            honest(a, item: "f0", seller: "flash", at: Scenario.t0 + 14 * day + 20 * hour + Int64(rng.int(0...3_500)) * 1000, dev: dev)
        }
        // Small sellers (the boosted ones included) and their own ordinary buyers.
        let small = (0..<20).map { ("x\($0)", "small\($0)") } + (0..<3).map { ("c\($0)", "boost\($0)") }
        for (item, seller) in small {
            for j in 0..<rng.int(12...25) {
                let a = s.account("sb-\(seller)-\(j)"), dev = "sbd-\(seller)-\(j)"
                life(a, dev: dev)
                honest(a, item: item, seller: seller, at: Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...80_000)) * 1000, dev: dev)
            }
        }
        // Review spammers (fp36): each orders the cheap items of four small sellers without
        // looking and reviews each order within two hours, one or five stars by turns, the text
        // a link. Half their reviews are five-star, so towards two of the four sellers each
        // looks boost-like, and the four sellers' share of such buyers is far above the store's.
        for r in 0..<spammers {
            let a = s.account("spam\(r)", created: Scenario.t0 + Int64(rng.int(0...5)) * day)
            let dev = "spamd\(r)"
            var at = Scenario.t0 + Int64(rng.int(6...20)) * day + Int64(rng.int(0...80_000)) * 1000
            let first = rng.int(0...1)
            for k in 0..<4 {
                s.order(a, item: "x\(k)", seller: "small\(k)", at: at, device: dev, address: "spama\(r)", payment: "spamc\(r)", amount: 25)
                s.event(a, "review", at: at + Int64(rng.int(10...110)) * 60_000, ["item_id": "x\(k)", "seller_id": "small\(k)",
                                                                                    "rating": (k + first) % 2 == 0 ? 5 : 1,
                                                                                    "text": "earn $500 a day at qx\(r).top/j", "device_id": dev])
                at += Int64(rng.int(1...4)) * hour
            }
        }
        guard crew else { return s }
        // The crew: own phone, address and card each; a login, then cheap orders to the three
        // boosted sellers without viewing, each reviewed five-star within hours.
        for r in 0..<12 {
            let a = s.account("crew\(r)", created: Scenario.t0 - Int64(rng.int(30...400)) * day)
            let dev = "crewd\(r)"
            var at = Scenario.t0 + Int64(rng.int(3...20)) * day + Int64(rng.int(0...80_000)) * 1000
            s.event(a, "login", at: at - 60_000, ["device_id": dev, "ip": "10.9.\(r).1"])
            for k in 0..<3 {
                for _ in 0..<rng.int(1...2) {
                    s.order(a, item: "c\(k)", seller: "boost\(k)", at: at, device: dev, address: "crewa\(r)", payment: "crewc\(r)", amount: 3)
                    s.event(a, "review", at: at + Int64(rng.int(1...5)) * hour, ["item_id": "c\(k)", "seller_id": "boost\(k)", "rating": 5,
                                                                                  "text": texts[rng.int(0...texts.count - 1)], "device_id": dev])
                    at += Int64(rng.int(1...3)) * day
                }
            }
        }
        return s
    }

    func testACrewSharingNothingIsFoundByItsOrdersAndReviews() throws {
        try forEachSeed { seed in
            let (_, t) = try market(seed: seed, crew: true).build()
            let log = DebugLines()
            let f = try BrushingDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
            let flagged = f.accounts(t)
            let why = log.lines.filter { $0.hasPrefix("crews") }.joined(separator: "\n")
            let crew = flagged.filter { $0.hasPrefix("crew") }
            XCTAssertGreaterThanOrEqual(crew.count, 11, "seed \(seed): \(flagged.sorted())\n\(why)")
            for k in 0..<3 { XCTAssertTrue(flagged.contains("boost\(k)"), "seed \(seed): boosted seller boost\(k)\n\(why)") }
            let honest = flagged.filter { $0.hasPrefix("bb") || $0.hasPrefix("fb") || ($0.hasPrefix("sb") && !$0.hasPrefix("sb-boost")) || $0 == "big" || $0 == "flash" || $0.hasPrefix("small") }
            XCTAssertTrue(honest.isEmpty, "seed \(seed): honest accounts flagged \(honest.sorted().prefix(20))\n\(why)")
            // The boosted sellers' own honest buyers: one who happened to review five stars within
            // hours looks boost-like towards that seller (a known limit, detection.md); few of
            // them, and each weaker than every crew member, who boosts several sellers.
            let bystanders = f.filter { t.accountID($0.account).hasPrefix("sb-boost") }
            let own = Set((0..<t.accountCount).map { t.accountID(Int32($0)) }.filter { $0.hasPrefix("sb-boost") }).count
            XCTAssertLessThanOrEqual(bystanders.count * 10, own, "seed \(seed): \(bystanders.map { t.accountID($0.account) })")
            let weakestCrew = f.filter { t.accountID($0.account).hasPrefix("crew") }.map(\.strength).min() ?? 0
            for b in bystanders { XCTAssertLessThan(b.strength, weakestCrew, "seed \(seed): \(t.accountID(b.account)) \(b.reason)") }
            // One crew: the members and the sellers they boost share a group.
            let groups = Set(f.filter { t.accountID($0.account).hasPrefix("crew") }.compactMap(\.group))
            XCTAssertEqual(groups.count, 1, "seed \(seed): \(groups)")
            // Without the rule the crew is invisible: nothing is shared, no text is copied.
            var off = BrushingDetector(); off.crews = false
            let none = try off.run(t, cancel: CancelToken()).accounts(t).filter { $0.hasPrefix("crew") }
            XCTAssertTrue(none.isEmpty, "seed \(seed): the block test alone found \(none.sorted())")
        }
    }

    func testABigSellersAndAFlashSalesBuyersStayLow() throws {
        try forEachSeed { seed in
            let (_, t) = try market(seed: seed, crew: false).build()
            let log = DebugLines()
            let f = try BrushingDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
            // The big seller has more boost-like buyers than the crew in absolute numbers; the
            // share is the store's, so nothing stands out.
            let bigBoostLike = log.lines.first { $0.hasPrefix("crews: seller big ") } ?? ""
            XCTAssertTrue(f.isEmpty, "seed \(seed): \(f.accounts(t).sorted().prefix(20))\n\(log.lines.filter { $0.hasPrefix("crews") }.joined(separator: "\n"))")
            if let k = bigBoostLike.split(separator: " ").drop(while: { $0 != "boost-like" }).dropFirst().first?.split(separator: "/").first.flatMap({ Int($0) }) {
                XCTAssertGreaterThan(k, 12, "seed \(seed): the big seller should have more boost-like buyers than a crew: \(bigBoostLike)")
            } else {
                XCTFail("seed \(seed): the big seller was not judged: \(log.lines.filter { $0.hasPrefix("crews") })")
            }
        }
    }

    /// fp36: sellers whose items review spammers rated five stars half the time are not
    /// brushers. The spammers praise two sellers and slate two, so their five stars do not
    /// favour anyone; the boosted sellers' crew, which never gives a low rating, is still found.
    func testSellersPraisedByEvenHandedReviewSpammersAreNotAccused() throws {
        try forEachSeed { seed in
            let (_, t) = try market(seed: seed, crew: true, spammers: 30).build()
            let log = DebugLines()
            let f = try BrushingDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
            let why = log.lines.filter { $0.hasPrefix("crews") }.joined(separator: "\n")
            let flagged = f.accounts(t)
            // The scenario exercises the rule: on all their boost-like buyers, spammed sellers pass the test.
            let raw = (0..<4).filter { k in log.lines.contains { $0.hasPrefix("crews: seller small\(k) ") && $0.hasSuffix(": boosted") } }
            XCTAssertGreaterThanOrEqual(raw.count, 1, "seed \(seed): the spammers should make sellers look boosted\n\(why)")
            let accused = (0..<4).map { "small\($0)" }.filter { flagged.contains($0) }
            XCTAssertTrue(accused.isEmpty, "seed \(seed): spammed sellers accused \(accused)\n\(why)")
            for k in 0..<3 { XCTAssertTrue(flagged.contains("boost\(k)"), "seed \(seed): boosted seller boost\(k)\n\(why)") }
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("crew") }.count, 11, "seed \(seed): \(flagged.sorted())")
        }
    }
}
