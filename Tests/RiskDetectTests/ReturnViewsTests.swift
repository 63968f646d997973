import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// page-returns (ReturnViews.swift): a program that walks a catalogue fetches each page once (or
/// walks the same list again, each page as often as the next); people come back to a few pages
/// and glance at the rest. With the scraping detector off and the crawlers' delays drawn like a
/// person's (no regular pace to see), the anomaly layer still puts them in the store's top 5 %,
/// and heavy honest browsers stay out of it.
final class ReturnViewsTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    /// The features on hand-counted accounts: values, the minimums, pages of two kinds kept apart.
    func testFeatureValuesOnCountedAccounts() throws {
        let s = Scenario(seed: 1)
        s.account("shop", kind: "seller")
        for j in 0..<130 { s.item("i\(j)", seller: "shop") }
        var at = Scenario.t0
        func view(_ a: String, _ item: String) { s.event(a, "view", at: at, ["item_id": item, "seller_id": "shop"]); at += 7_000 }
        s.account("once")      // 120 views, 120 pages: no return
        for j in 0..<120 { view("once", "i\(j)") }
        s.account("fivefold")  // 120 views, 24 pages × 5: 96 returns, even
        for _ in 0..<5 { for j in 0..<24 { view("fivefold", "i\(j)") } }
        s.account("uneven")    // 120 views: 1 page × 91, 29 pages × 1 → 90 returns
        for _ in 0..<91 { view("uneven", "i0") }
        for j in 1..<30 { view("uneven", "i\(j)") }
        s.account("fewreturns") // 100 views of 90 pages (10 of them twice): 10 returns, too few to ask evenness
        for j in 0..<90 { view("fewreturns", "i\(j)") }
        for j in 0..<10 { view("fewreturns", "i\(j)") }
        s.account("r19")       // 119 views of 100 pages: 19 returns, one short of asking evenness
        for j in 0..<100 { view("r19", "i\(j)") }
        for j in 0..<19 { view("r19", "i\(j)") }
        s.account("r20")       // 120 views of 100 pages: 20 returns, evenness asked
        for j in 0..<100 { view("r20", "i\(j)") }
        for j in 0..<20 { view("r20", "i\(j)") }
        s.account("few")       // 99 views: missing
        for j in 0..<99 { view("few", "i\(j)") }
        s.account("mixed")     // 60 item views of i0…i59 and 60 profile views of 60 accounts: 120 pages
        for j in 0..<60 { view("mixed", "i\(j)") }
        for j in 0..<60 { s.event("mixed", "profile_view", at: at, ["target_id": "p\(j)"]); at += 7_000 }
        s.account("bare")      // views without an item: not pages
        for _ in 0..<130 { s.event("bare", "view", at: at, [:]); at += 7_000 }
        let (_, t) = try s.build()
        let x = ReturnViews.compute(t), w = ReturnViews.names.count
        func f(_ a: String, _ j: Int) -> Float { x[Int(t.accounts.lookup(a)!) * w + j] }
        let even = Float(log1p(1 / ReturnViews.minCV))
        XCTAssertEqual(f("once", 0), Float(log(120.0)), accuracy: 1e-5)
        XCTAssertEqual(f("once", 1), -1, "no returns: evenness is not asked")
        XCTAssertEqual(f("fivefold", 0), Float(log(120.0 / 97)), accuracy: 1e-5)
        XCTAssertEqual(f("fivefold", 1), even, accuracy: 1e-5, "every page as often: no spread")
        XCTAssertEqual(f("uneven", 0), Float(log(120.0 / 91)), accuracy: 1e-5)
        // mean 4 per page; deviations 87 and twenty-nine of 3: sd = sqrt((7569 + 29 × 9) / 30)
        let cv = ((7569.0 + 29 * 9) / 30).squareRoot() / 4
        XCTAssertEqual(f("uneven", 1), Float(log1p(1 / cv)), accuracy: 1e-4)
        XCTAssertEqual(f("fewreturns", 0), Float(log(100.0 / 11)), accuracy: 1e-5)
        XCTAssertEqual(f("fewreturns", 1), -1)
        XCTAssertEqual(f("r19", 1), -1)
        XCTAssertEqual(f("r19", 0), Float(log(119.0 / 20)), accuracy: 1e-5)
        // 20 pages twice, 80 once: mean 1.2, sd = sqrt((20 × 0.64 + 80 × 0.04) / 100) = 0.4
        XCTAssertEqual(f("r20", 1), Float(log1p(1.2 / 0.4)), accuracy: 1e-4)
        XCTAssertEqual(f("few", 0), -1)
        XCTAssertEqual(f("few", 1), -1)
        XCTAssertEqual(f("mixed", 0), Float(log(120.0)), accuracy: 1e-5, "item i0 and profile p0 are different pages")
        XCTAssertEqual(f("mixed", 1), -1)
        XCTAssertEqual(f("bare", 0), -1)
        XCTAssertEqual(f("shop", 0), -1)
    }

    /// The fence: a cluster beyond an empty stretch is judged against the bulk; a tail that goes on
    /// from the bulk, a bulk under 50, or nothing beyond leaves the band as it is.
    func testTheFenceTakesOnlyAClusterBeyondAnEmptyStretch() throws {
        // A bulk of 80 values 1.0 … 1.79 (median 1.4, scale floored at 0.3: fence at 2.9).
        let bulk = (0..<80).map { 1 + Float($0) / 100 }
        XCTAssertNil(ReturnViews.fence(Reference(bulk)!), "nothing beyond")
        // A fleet of 30 at 6–6.3: beyond, after an empty stretch.
        let fleet = (0..<30).map { 6 + Float($0) / 100 }
        let band = Reference(bulk + fleet)!
        let (at, inner) = try XCTUnwrap(ReturnViews.fence(band))
        XCTAssertEqual(at, band.median + ReturnViews.fenceScales * band.scale, accuracy: 1e-6)
        XCTAssertEqual(inner.values, bulk)
        // Judged against the bulk, a fleet member is as unusual as one alone; against the band it is not.
        XCTAssertGreaterThan(inner.surpriseCountingItself(6), band.surprise(6, direction: 1) + 1)
        // A tail that goes on from the bulk (values every 0.1 from 1.8 to 6.3, steps under a scale): no fence.
        let tail = (0..<46).map { 1.8 + Float($0) / 10 }
        XCTAssertNil(ReturnViews.fence(Reference(bulk + tail)!))
        // A bulk of 40 with a fleet of 30 beyond: under the band minimum, no fence.
        XCTAssertNil(ReturnViews.fence(Reference(Array(bulk.prefix(40)) + fleet)!))
    }

    /// `shops` sellers `shop<k>` with `perShop` items `i<k>-<j>` each (no randomness drawn).
    func openShops(_ s: Scenario, _ shops: Int, _ perShop: Int) {
        for k in 0..<shops {
            s.account("shop\(k)", kind: "seller")
            for j in 0..<perShop { s.item("i\(k)-\(j)", seller: "shop\(k)", price: Double(5 + j)) }
        }
    }

    func testCrawlersAtAPersonsPaceLandInTopFivePercentWithScrapingOffHeavyBrowsersDoNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 5800)
            let s = Scenario(seed: seed)
            let shops = 60, perShop = 15
            openShops(s, shops, perShop)
            // A person's gap: varies about as much as it lasts.
            func gap() -> Int64 { Int64(1000 * (3 + rng.exponential(45))) }
            func item(_ shop: Int) -> (String, String) { ("i\(shop)-\(rng.int(0...(perShop - 1)))", "shop\(shop)") }
            // A session of views; a person with favourites comes back to one of them now and then.
            func session(_ a: String, at start: Int64, views: Int, shops pool: [Int], favourites: [(String, String)] = [], device: String) -> Int64 {
                var at = start
                for _ in 0..<views {
                    let (it, shop) = !favourites.isEmpty && rng.chance(0.2) ? favourites[rng.int(0...(favourites.count - 1))]
                                                                              : item(pool[rng.int(0...(pool.count - 1))])
                    s.event(a, "view", at: at, ["item_id": it, "seller_id": shop, "device_id": device])
                    at += gap()
                }
                return at
            }
            var ordinary: [String] = []
            for k in 0..<400 {
                let a = s.account("b\(k)"); ordinary.append(a)
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
            // Heavy honest browsers, about as many views as the crawlers (600–900), over 30–55 shops.
            var heavy: [String] = []
            for k in 0..<120 {
                let a = s.account("heavy\(k)"); heavy.append(a)
                let pool = Array((0..<shops).shuffled(using: &rng).prefix(rng.int(30...55)))
                let favourites = (0..<8).map { _ in item(pool[rng.int(0...(pool.count - 1))]) }
                var sessions = 0
                for d in 0..<28 where d % 4 != 3 {
                    for sitting in 0..<2 {
                        let at = Scenario.t0 + Int64(d) * day + Int64(sitting == 0 ? rng.int(7...12) : rng.int(15...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                        let end = session(a, at: at, views: rng.int(14...22), shops: pool, favourites: favourites, device: "\(a)-phone")
                        sessions += 1
                        if sessions % 5 == 0 {
                            let (it, shop) = item(pool[0])
                            s.order(a, item: it, seller: shop, at: end, device: "\(a)-phone", address: "\(a)-home", payment: "\(a)-card")
                        }
                    }
                }
            }
            // Two crawlers that walk 700 of the catalogue's pages once, and two that walk a list of 100
            // items seven times over: each a page after a person's delay, in two sittings a day of a
            // person's length — as busy, as fast and as irregular as the heavy browsers.
            var walkers: [String] = [], rewalkers: [String] = []
            func crawl(_ a: String, pages: [(String, String)]) {
                var next = pages[...]
                for d in 0..<28 where !next.isEmpty {
                    for sitting in 0..<2 where !next.isEmpty {
                        var at = Scenario.t0 + Int64(d) * day + Int64(sitting == 0 ? rng.int(7...12) : rng.int(15...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                        let k = rng.int(14...22)
                        for (it, shop) in next.prefix(k) {
                            s.event(a, "view", at: at, ["item_id": it, "seller_id": shop, "device_id": "\(a)-box"])
                            at += gap()
                        }
                        next = next.dropFirst(k)
                    }
                }
            }
            let catalogue = (0..<(shops * perShop)).map { ("i\($0 / perShop)-\($0 % perShop)", "shop\($0 / perShop)") }
            for k in 0..<2 {
                let a = s.account("walker\(k)"); walkers.append(a)
                crawl(a, pages: Array(catalogue.shuffled(using: &rng).prefix(700)))
            }
            for k in 0..<2 {
                let a = s.account("rewalker\(k)"); rewalkers.append(a)
                let list = Array(catalogue.shuffled(using: &rng).prefix(100))
                crawl(a, pages: Array((0..<7).map { _ in list }.joined()))
            }
            let (store, t) = try s.build()
            let crawlers = walkers + rewalkers
            let (score, why) = try detectScores(store, disabling: ["scraping"])
            let ranked = score.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let cut = Int((0.05 * Double(ranked.count)).rounded(.up))
            let top = Set(ranked.prefix(cut))
            for a in walkers {
                XCTAssertTrue(top.contains(a), "\(a) at \(ranked.firstIndex(of: a)!) of \(ranked.count): \(why[a] ?? "")")
                XCTAssertTrue((why[a] ?? "").contains("views per return to a page it had seen"), "\(a): \(why[a] ?? "")")
            }
            for a in rewalkers {
                XCTAssertTrue(top.contains(a), "\(a) at \(ranked.firstIndex(of: a)!) of \(ranked.count): \(why[a] ?? "")")
                XCTAssertTrue((why[a] ?? "").contains("views spread evenly over its pages"), "\(a): \(why[a] ?? "")")
            }
            let lowest = crawlers.map { score[$0]! }.min()!
            let above = heavy.filter { score[$0]! >= lowest }
            XCTAssertTrue(above.isEmpty, "heavy browsers at a crawler's score: \(above.map { "\($0) \(why[$0] ?? "")" })")
            let called = heavy.filter { (why[$0] ?? "").contains("views per return") || (why[$0] ?? "").contains("views spread evenly") }
            XCTAssertTrue(called.isEmpty, "heavy browsers called crawler-like: \(called.map { "\($0) \(why[$0] ?? "")" })")
            // Without the sign, the crawlers at a person's pace are not all found: it is what finds them;
            // and no heavy browser is in the top 5 % with it that was not there without it.
            let (without, whyWithout) = try detectScores(store, disabling: ["scraping"], offSigns: ["page-returns"])
            let rankedWithout = without.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let topWithout = Set(rankedWithout.prefix(cut))
            XCTAssertLessThan(crawlers.filter(topWithout.contains).count, crawlers.count,
                              "all crawlers in the top 5 % without page-returns: \(crawlers.map { "\(rankedWithout.firstIndex(of: $0)!) \(whyWithout[$0] ?? "")" })")
            let risen = (heavy + ordinary).filter { top.contains($0) && !topWithout.contains($0) }
            XCTAssertTrue(risen.isEmpty, "honest accounts lifted into the top 5 % by the sign: \(risen.map { "\($0) \(why[$0] ?? "")" })")
            // The features themselves: every crawler beyond every heavy browser in its kind of walk.
            let x = ReturnViews.compute(t), w = ReturnViews.names.count
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let mostReturnless = heavy.map { x[index($0) * w] }.max()!
            for a in walkers { XCTAssertGreaterThan(x[index(a) * w], mostReturnless + 1, a) }
            let mostEven = heavy.map { x[index($0) * w + 1] }.max()!
            for a in rewalkers { XCTAssertGreaterThan(x[index(a) * w + 1], mostEven + 1, a) }
        }
    }

    /// A fleet of new accounts that crawl is most of the store's busy new accounts: judged within
    /// their age group's activity band they would be each other's peers (the band's only values of the
    /// page columns). Judged within role × activity band, every age together, they are found.
    func testANewCrawlerFleetThatIsItsAgeGroupsBusiestBandIsFound() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 5810)
            let s = Scenario(seed: seed)
            let shops = 60, perShop = 15
            openShops(s, shops, perShop)
            func gap() -> Int64 { Int64(1000 * (3 + rng.exponential(45))) }
            func item(_ shop: Int) -> (String, String) { ("i\(shop)-\(rng.int(0...(perShop - 1)))", "shop\(shop)") }
            func sitting(_ a: String, day d: Int, _ k: Int, views: Int, pages: () -> (String, String)) {
                var at = Scenario.t0 + Int64(d) * day + Int64(k == 0 ? rng.int(7...12) : rng.int(15...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                for _ in 0..<views {
                    let (it, shop) = pages()
                    s.event(a, "view", at: at, ["item_id": it, "seller_id": shop, "device_id": "\(a)-phone"])
                    at += gap()
                }
            }
            // Old ordinary buyers and old heavy browsers (favourites come back), as in the test above.
            for k in 0..<800 {
                let a = s.account("b\(k)")
                let pool = (0..<rng.int(1...4)).map { _ in rng.int(0...(shops - 1)) }
                for d in stride(from: rng.int(0...4), to: 28, by: rng.int(3...7)) {
                    sitting(a, day: d, rng.int(0...1), views: rng.int(2...8)) { item(pool[rng.int(0...(pool.count - 1))]) }
                }
            }
            var heavy: [String] = []
            for k in 0..<120 {
                let a = s.account("heavy\(k)"); heavy.append(a)
                let pool = Array((0..<shops).shuffled(using: &rng).prefix(rng.int(30...55)))
                let favourites = (0..<8).map { _ in item(pool[rng.int(0...(pool.count - 1))]) }
                for d in 0..<28 where d % 4 != 3 {
                    for k in 0..<2 {
                        sitting(a, day: d, k, views: rng.int(14...22)) {
                            rng.chance(0.2) ? favourites[rng.int(0...(favourites.count - 1))] : item(pool[rng.int(0...(pool.count - 1))])
                        }
                    }
                }
            }
            // New buyers (signed up in the last three weeks): a few light visits each.
            let recent = Scenario.t0 + 7 * day
            var newcomers: [String] = []
            for k in 0..<80 {
                let a = s.account("new\(k)", created: recent + Int64(rng.int(0...6)) * day); newcomers.append(a)
                let pool = (0..<rng.int(1...3)).map { _ in rng.int(0...(shops - 1)) }
                for d in stride(from: 8 + rng.int(0...6), to: 28, by: rng.int(3...6)) {
                    sitting(a, day: d, rng.int(0...1), views: rng.int(2...8)) { item(pool[rng.int(0...(pool.count - 1))]) }
                }
            }
            // New heavy browsers: 15 people who signed up and browse as much as the old heavy ones.
            var newHeavy: [String] = []
            for k in 0..<15 {
                let a = s.account("newheavy\(k)", created: recent); newHeavy.append(a)
                let pool = Array((0..<shops).shuffled(using: &rng).prefix(rng.int(30...55)))
                let favourites = (0..<8).map { _ in item(pool[rng.int(0...(pool.count - 1))]) }
                for d in 7..<28 {
                    for k in 0..<2 {
                        sitting(a, day: d, k, views: rng.int(14...22)) {
                            rng.chance(0.2) ? favourites[rng.int(0...(favourites.count - 1))] : item(pool[rng.int(0...(pool.count - 1))])
                        }
                    }
                }
            }
            // A fleet of 40 new accounts, each walking 500 of the catalogue's pages once, at a person's pace
            // and in a person's sittings: most of the busy new accounts (a band of their own).
            let catalogue = (0..<(shops * perShop)).map { ("i\($0 / perShop)-\($0 % perShop)", "shop\($0 / perShop)") }
            var fleet: [String] = []
            for k in 0..<40 {
                let a = s.account("fleet\(k)", created: recent); fleet.append(a)
                var next = catalogue.shuffled(using: &rng).prefix(500)
                for d in 7..<28 where !next.isEmpty {
                    for k in 0..<2 where !next.isEmpty {
                        let n = rng.int(14...22)
                        var walk = next.prefix(n).makeIterator()
                        sitting(a, day: d, k, views: min(n, next.count)) { walk.next()! }
                        next = next.dropFirst(n)
                    }
                }
            }
            let (store, _) = try s.build()
            let (score, why) = try detectScores(store, disabling: ["scraping"])
            let ranked = score.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let top = Set(ranked.prefix(Int((0.05 * Double(ranked.count)).rounded(.up))))
            for a in fleet {
                XCTAssertTrue(top.contains(a), "\(a) at \(ranked.firstIndex(of: a)!) of \(ranked.count): \(why[a] ?? "")")
                XCTAssertTrue((why[a] ?? "").contains("views per return to a page it had seen (median of buyers"), "\(a): \(why[a] ?? "")")
            }
            let honest = heavy + newcomers + newHeavy
            let lowest = fleet.map { score[$0]! }.min()!
            let above = honest.filter { score[$0]! >= lowest }
            XCTAssertTrue(above.isEmpty, "honest accounts at a crawler's score: \(above.map { "\($0) \(why[$0] ?? "")" })")
        }
    }
}
