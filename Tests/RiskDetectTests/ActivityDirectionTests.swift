import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer must not read "more activity" as "more unusual": power users are judged
/// against accounts as busy as they are (a scraper among them still stands out), and on a bare
/// review graph the prolific reviewers do not outrank one-off accounts.
final class ActivityDirectionTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testPowerUsersAreOrdinaryAmongBusyPeersAScraperAmongThemIsNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 900)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<40 { s.item("p\(k)", seller: "shop", price: Double(5 + k)) }
            func shopper(_ a: String, daysActive: Double, sessions: ClosedRange<Int>, reviews: Double) {
                for d in 0..<28 where rng.chance(daysActive) {
                    for _ in 0..<rng.int(sessions) {
                        var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                        let dev = "\(a)-phone"
                        for _ in 0..<rng.int(2...6) {
                            s.event(a, "view", at: at, ["item_id": "p\(rng.int(0...39))", "seller_id": "shop", "device_id": dev])
                            at += Int64(1000 * (5 + rng.exponential(90)))
                        }
                        if rng.chance(0.4) {
                            let it = "p\(rng.int(0...39))"
                            s.order(a, item: it, seller: "shop", at: at, device: dev, address: "\(a)-home", payment: "\(a)-card")
                            if rng.chance(reviews) {
                                s.event(a, "review", at: at + 2 * day, ["item_id": it, "seller_id": "shop", "rating": rng.int(3...5),
                                                                        "text": "review \(rng.int(0...99_999)) of \(it)", "device_id": dev])
                            }
                        }
                        if rng.chance(0.3) { s.event(a, "follow", at: at + minute, ["target_id": "shop", "device_id": dev]) }
                    }
                }
            }
            for k in 0..<200 { shopper(s.account("b\(k)"), daysActive: 0.25, sessions: 1...1, reviews: 0.2) }
            var power: [String] = []
            for k in 0..<60 {
                let a = s.account("pwr\(k)"); power.append(a)
                shopper(a, daysActive: 0.95, sessions: 3...6, reviews: 0.8)
            }
            var scrapers: [String] = []
            for k in 0..<2 {   // machine-regular profile walks at a busy account's volume
                let a = s.account("scr\(k)"); scrapers.append(a)
                for d in stride(from: 2, to: 28, by: 5) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(1...20)) * hour
                    for j in 0..<120 {
                        s.event(a, "profile_view", at: at, ["target_id": "b\((j + 7 * d) % 200)", "device_id": "\(a)-box"])
                        at += 20_000 + Int64(rng.int(0...800))
                    }
                }
            }
            let (_, t) = try s.build()
            let anomaly = Anomaly.compute(t)
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let rank: (String) -> Double = { anomaly.rank[index($0)] }
            for a in scrapers {
                XCTAssertGreaterThanOrEqual(rank(a), 0.95, "\(a): \(anomaly.explanation(index(a), t) ?? "no explanation")")
            }
            let lowestScraper = scrapers.map(rank).min()!
            let above = power.filter { rank($0) >= lowestScraper }
            XCTAssertTrue(above.isEmpty, "power users at or above a scraper: \(above.map { "\($0) \(anomaly.explanation(index($0), t) ?? "")" })")
            // Busy is not unusual: the power users' median rank is not in the store's top fifth.
            let ranks = power.map(rank).sorted()
            XCTAssertLessThan(ranks[ranks.count / 2], 0.8, "power users' median anomaly rank")
        }
    }

    /// busy-pace: a crew of headless scrapers that is the whole top activity band (sixty accounts,
    /// a thousand-odd item views each at one every ~3.4 s) is the band's ordinary by every column —
    /// within the band it masks itself. Its pace is judged against all the accounts at least as busy
    /// as the group's median (the power users and the busier half of the shoppers, browsing at a
    /// person's pace), so each scraper ranks above 95 % of the people; power users stay ordinary.
    /// With the sign off the crew is no more unusual than the bulk of them.
    func testACrewThatIsItsWholeActivityBandIsStillFastAgainstTheBusyHalf() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 1700)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<60 { s.item("p\(k)", seller: "shop", price: Double(5 + k)) }
            func shopper(_ a: String, daysActive: Double, sessions: ClosedRange<Int>) {
                for d in 0..<28 where rng.chance(daysActive) {
                    for _ in 0..<rng.int(sessions) {
                        var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                        for _ in 0..<rng.int(2...8) {
                            s.event(a, "view", at: at, ["item_id": "p\(rng.int(0...59))", "seller_id": "shop", "device_id": "\(a)-phone"])
                            at += Int64(1000 * (5 + rng.exponential(60)))
                        }
                        if rng.chance(0.3) { s.order(a, item: "p\(rng.int(0...59))", seller: "shop", at: at, device: "\(a)-phone") }
                    }
                }
            }
            for k in 0..<300 { shopper(s.account("b\(k)"), daysActive: 0.3, sessions: 1...2) }
            var power: [String] = []
            for k in 0..<60 { let a = s.account("pwr\(k)"); power.append(a); shopper(a, daysActive: 0.95, sessions: 3...6) }
            var crew: [String] = []
            for k in 0..<60 {
                let a = s.account("hl\(k)"); crew.append(a)
                var at = Scenario.t0 + Int64(rng.int(1...25)) * day + Int64(rng.int(0...20)) * hour
                let period = 3_300 + rng.int(0...200)
                for j in 0..<rng.int(1_000...1_400) {
                    s.event(a, "view", at: at, ["item_id": "p\((j * 7 + k) % 60)", "seller_id": "shop", "device_id": "\(a)-box"])
                    at += Int64(period + rng.int(0...150))
                }
            }
            let (_, t) = try s.build()
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let on = Anomaly.compute(t), off = Anomaly.compute(t, busyPace: false)
            let people = (0..<300).map { "b\($0)" } + power
            // The share of the shoppers and power users ranked below an account.
            func above(_ x: Anomaly, _ a: String) -> Double {
                Double(people.filter { x.rank[index($0)] < x.rank[index(a)] }.count) / Double(people.count)
            }
            for a in crew {
                XCTAssertGreaterThanOrEqual(above(on, a), 0.95, "\(a): \(on.explanation(index(a), t) ?? "no explanation")")
            }
            let offShares = crew.map { above(off, $0) }.sorted()
            XCTAssertLessThan(offShares[offShares.count / 2], 0.8, "without busy-pace the crew masks itself in its band")
            let powerRanks = power.map { on.rank[index($0)] }.sorted()
            XCTAssertLessThan(powerRanks[powerRanks.count / 2], 0.8, "power users' median anomaly rank")
        }
    }

    /// busy-pace is per account: a crew that is its whole activity band, a band that straddles the
    /// age group's median (honest activity bimodal around it), is judged on its pace against the
    /// group's busier half for every member at or above the median — not masked in its band because
    /// some of it sits below. And the explanation names that reference, not the band.
    func testACrewStraddlingTheMedianIsFastAgainstTheBusyHalfAccountByAccount() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 1750)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<60 { s.item("p\(k)", seller: "shop", price: Double(5 + k)) }
            var events: [String: Int] = [:]
            func shopper(_ a: String, views: ClosedRange<Int>) {
                let n = rng.int(views)
                events[a] = n
                var at = Scenario.t0 + Int64(rng.int(0...20)) * day + Int64(rng.int(7...22)) * hour
                for v in 0..<n {
                    s.event(a, "view", at: at, ["item_id": "p\(rng.int(0...59))", "seller_id": "shop", "device_id": "\(a)-phone"])
                    // Sessions of about five views a minute apart, then a day or so.
                    at += v % 5 == 4 ? Int64(rng.int(20...40)) * hour : Int64(1000 * (5 + rng.exponential(60)))
                }
            }
            var people: [String] = []
            for k in 0..<200 { let a = s.account("lo\(k)"); people.append(a); shopper(a, views: 8...15) }
            for k in 0..<200 { let a = s.account("hi\(k)"); people.append(a); shopper(a, views: 40...60) }
            var crew: [String] = []
            for k in 0..<60 {
                let a = s.account("cr\(k)"); crew.append(a)
                let n = rng.int(20...30)
                events[a] = n
                var at = Scenario.t0 + Int64(rng.int(1...25)) * day + Int64(rng.int(0...20)) * hour
                for j in 0..<n {
                    s.event(a, "view", at: at, ["item_id": "p\((j * 7 + k) % 60)", "seller_id": "shop", "device_id": "\(a)-box"])
                    at += Int64(2_800 + rng.int(0...400))
                }
            }
            let (_, t) = try s.build()
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let on = Anomaly.compute(t), off = Anomaly.compute(t, busyPace: false)
            // The crew is its own band (20–30 views; the people have 8–15 or 40–60), and the
            // group's median falls within it.
            let sorted = (people + crew).map { events[$0]! }.sorted()
            let median = sorted[sorted.count / 2]
            let upper = crew.filter { events[$0]! >= median }, lower = crew.filter { events[$0]! < median }
            XCTAssertFalse(upper.isEmpty); XCTAssertFalse(lower.isEmpty)
            func above(_ x: Anomaly, _ a: String) -> Double {
                Double(people.filter { x.rank[index($0)] < x.rank[index(a)] }.count) / Double(people.count)
            }
            for a in upper {
                XCTAssertGreaterThanOrEqual(above(on, a), 0.95, "\(a) (\(events[a]!) views): \(on.explanation(index(a), t) ?? "no explanation")")
                // Its pace is what is unusual, and the reference named is the busier half, not the band.
                let why = on.explanation(index(a), t) ?? ""
                XCTAssertTrue(why.contains("median gap") || why.contains("regular pace"), why)
                XCTAssertTrue(why.contains("median of the busier half of buyers"), why)
            }
            let offShares = upper.map { above(off, $0) }.sorted()
            XCTAssertLessThan(offShares[offShares.count / 2], 0.8, "without busy-pace the crew masks itself in its band")
            // Below the median the band stays the reference: those members are not judged against the busy.
            for a in lower { XCTAssertFalse((on.explanation(index(a), t) ?? "").contains("busier half"), a) }
            let hiRanks = people.filter { $0.hasPrefix("hi") }.map { on.rank[index($0)] }.sorted()
            XCTAssertLessThan(hiRanks[hiRanks.count / 2], 0.8, "the busy shoppers' median anomaly rank")
        }
    }

    /// A review graph with nothing but who reviewed what (no time, no identifiers): the many
    /// one-off reviewers are not outranked by the prolific ones.
    func testOnABareReviewGraphProlificReviewersDoNotOutrankOneOffs() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 901)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<30 { s.item("r\(k)", seller: "shop") }
            var prolific: [String] = [], oneOff: [String] = []
            for k in 0..<400 {
                let a = s.account("u\(k)", kind: "")
                let n = k < 60 ? rng.int(8...40) : 1
                if n > 1 { prolific.append(a) } else { oneOff.append(a) }
                for it in (0..<30).shuffled(using: &rng).prefix(min(n, 30)) {
                    s.event(a, "review", at: Scenario.t0, ["item_id": "r\(it)", "seller_id": "shop"])
                }
            }
            let (_, t) = try s.build()
            let anomaly = Anomaly.compute(t)
            let rank: (String) -> Double = { anomaly.rank[Int(t.accounts.lookup($0)!)] }
            // Before, every prolific reviewer ranked above every one-off; now at most the few at
            // the top of their own activity band may.
            let lowestOneOff = oneOff.map(rank).min()!
            let above = prolific.filter { rank($0) > lowestOneOff }
            XCTAssertLessThan(Double(above.count), 0.3 * Double(prolific.count), "prolific reviewers above a one-off: \(above.count) of \(prolific.count)")
        }
    }
}
