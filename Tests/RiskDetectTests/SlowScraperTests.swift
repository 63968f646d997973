import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// With the scraping detector switched off, the always-on anomaly layer still puts a slow,
/// machine-regular scraper in the store's top 5 %: among buyers as busy as it is, one that
/// walks the whole catalogue with a page every minute or so, to the second, is unusual
/// (`browse_regularity`, PaceFeatures.swift). Heavy honest browsers — as many views, across
/// many shops, at a person's irregular pace — stay out of it.
final class SlowScraperTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    func testSlowRegularScraperLandsInTopFivePercentWithItsDetectorOffHeavyBrowsersDoNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 2100)
            let s = Scenario(seed: seed)
            let shops = 60, perShop = 10
            for k in 0..<shops {
                s.account("shop\(k)", kind: "seller")
                for j in 0..<perShop { s.item("i\(k)-\(j)", seller: "shop\(k)", price: Double(5 + j)) }
            }
            func item(_ shop: Int) -> (String, String) { ("i\(shop)-\(rng.int(0...(perShop - 1)))", "shop\(shop)") }
            // A session of views at a person's pace: gaps vary about as much as they last.
            func session(_ a: String, at start: Int64, views: Int, shops pool: [Int], device: String) -> Int64 {
                var at = start
                for _ in 0..<views {
                    let (it, shop) = item(pool[rng.int(0...(pool.count - 1))])
                    s.event(a, "view", at: at, ["item_id": it, "seller_id": shop, "device_id": device])
                    at += Int64(1000 * (3 + rng.exponential(45)))
                }
                return at
            }
            // Ordinary buyers: a few short visits to a few shops, now and then an order.
            for k in 0..<400 {
                let a = s.account("b\(k)")
                let pool = (0..<rng.int(1...4)).map { _ in rng.int(0...(shops - 1)) }
                for d in stride(from: rng.int(0...4), to: 28, by: rng.int(3...7)) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                    let end = session(a, at: at, views: rng.int(2...8), shops: pool, device: "\(a)-phone")
                    if rng.chance(0.3) {
                        let (it, shop) = item(pool[0])
                        s.order(a, item: it, seller: shop, at: end, device: "\(a)-phone", address: "\(a)-home", payment: "\(a)-card")
                    }
                }
            }
            // Heavy honest browsers: hundreds of views over weeks, across 20–45 shops (enough of
            // them to be each other's peers, as a store's busiest browsers are).
            var heavy: [String] = []
            for k in 0..<120 {
                let a = s.account("heavy\(k)"); heavy.append(a)
                let pool = Array((0..<shops).shuffled(using: &rng).prefix(rng.int(20...45)))
                var sessions = 0
                for d in 0..<28 where d % 4 != 3 {   // three days in four: their volume is steady
                    for _ in 0..<rng.int(1...2) {
                        let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                        let end = session(a, at: at, views: rng.int(8...24), shops: pool, device: "\(a)-phone")
                        sessions += 1
                        // An order every fifth visit (their order counts are not what this tests).
                        if sessions % 5 == 0 {
                            let (it, shop) = item(pool[0])
                            s.order(a, item: it, seller: shop, at: end, device: "\(a)-phone", address: "\(a)-home", payment: "\(a)-card")
                        }
                    }
                }
            }
            // Two slow scrapers: one page every 50–100 s (± 2 %), the whole catalogue in order,
            // no orders; as many views as a heavy browser.
            var scrapers: [String] = []
            for k in 0..<2 {
                let a = s.account("crawler\(k)"); scrapers.append(a)
                let period = Double(rng.int(50...100))
                var at = Scenario.t0 + Int64(rng.int(2...20)) * day + Int64(rng.int(0...23)) * hour
                for j in 0..<(shops * perShop) {
                    let shop = j / perShop
                    s.event(a, "view", at: at, ["item_id": "i\(shop)-\(j % perShop)", "seller_id": "shop\(shop)", "device_id": "\(a)-box"])
                    at += Int64(1000 * period * (1 + 0.02 * (2 * rng.unit() - 1)))
                }
            }
            let (store, t) = try s.build()
            let (score, why) = try detectScores(store, disabling: ["scraping"])
            let ranked = score.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let top = Set(ranked.prefix(Int((0.05 * Double(ranked.count)).rounded(.up))))
            for a in scrapers {
                XCTAssertTrue(top.contains(a), "\(a) at \(ranked.firstIndex(of: a)!) of \(ranked.count): \(why[a] ?? "")")
                XCTAssertTrue((why[a] ?? "").contains("regular pace"), "\(a): \(why[a] ?? "")")
            }
            let inTop = heavy.filter(top.contains)
            XCTAssertTrue(inTop.isEmpty, "heavy browsers in the top 5 %: \(inTop.map { "\($0) \(why[$0] ?? "")" })")
            let lowestScraper = scrapers.map { score[$0]! }.min()!
            let above = heavy.filter { score[$0]! >= lowestScraper || (why[$0] ?? "").contains("regular pace") }
            XCTAssertTrue(above.isEmpty, "heavy browsers at a scraper's score or called regular: \(above.map { "\($0) \(why[$0] ?? "")" })")
            // The feature itself: the scrapers' regularity is far above every heavy browser's.
            let pace = PaceFeatures.compute(t)
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let most = heavy.map { pace[index($0)] }.max()!
            for a in scrapers { XCTAssertGreaterThan(pace[index(a)], most + 1, a) }
        }
    }
}
