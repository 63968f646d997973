import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer on a review graph (who reviewed what, sometimes with ratings and dates):
/// columns that say nothing about the accounts must not reorder them, while an account that is
/// unusual on several counts beyond chance still rises to the top.
final class ReviewGraphTests: XCTestCase {
    let day = Scenario.day, minute = Scenario.minute

    /// Ratings and dates drawn at random carry no signal. Without a correction for the number of
    /// features tested, every account's largest chance surprise (a one-review account's
    /// five-star share, a two-review account's short gap) reordered the graph; now the
    /// one-off reviewers keep their place ahead of accounts with more history.
    func testRandomRatingsAndDatesDoNotReorderTheGraph() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 1_101)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<40 { s.item("r\(k)", seller: "shop") }
            var oneOff: [String] = [], more: [String] = []
            for k in 0..<900 {
                let a = s.account("u\(k)", kind: "")
                // Heavy-tailed history: most accounts review once, some a few times.
                let n = k < 500 ? 1 : rng.int(2...6)
                if n == 1 { oneOff.append(a) } else { more.append(a) }
                for it in (0..<40).shuffled(using: &rng).prefix(n) {
                    let stars = [1, 2, 3, 4, 4, 4, 5, 5, 5, 5][rng.int(0...9)]
                    s.event(a, "review", at: Scenario.t0 + Int64(rng.int(0...700)) * day + Int64(rng.int(0...86_399)) * 1000,
                            ["item_id": "r\(it)", "seller_id": "shop", "rating": stars])
                }
            }
            let (_, t) = try s.build()
            let anomaly = Anomaly.compute(t)
            // Share of (one-off, more) pairs in which the one-off ranks higher (ties half): 1 when
            // history alone orders them, about ½ when random columns do.
            func share(_ score: [Double]) -> Double {
                let lo = oneOff.map { score[Int(t.accounts.lookup($0)!)] }
                let hi = more.map { score[Int(t.accounts.lookup($0)!)] }.sorted()
                var wins = 0.0
                for r in lo {
                    var below = 0, upTo = 0
                    while below < hi.count && hi[below] < r { below += 1 }
                    upTo = below
                    while upTo < hi.count && hi[upTo] == r { upTo += 1 }
                    wins += Double(below) + 0.5 * Double(upTo - below)
                }
                return wins / Double(lo.count * hi.count)
            }
            let corrected = share(anomaly.rank), uncorrected = share(anomaly.raw)
            XCTAssertGreaterThan(corrected, 0.85, "one-off reviewers ranked above accounts with more history in \(corrected) of pairs")
            // The random columns do mislead a ranking that takes every surprise at face value.
            XCTAssertLessThan(uncorrected, corrected - 0.05, "uncorrected \(uncorrected), corrected \(corrected)")
        }
    }

    /// The correction keeps what is beyond chance: a reviewer that posted thirty reviews within
    /// half an hour among peers as prolific who spread theirs over months is the most unusual
    /// account of the graph, and says why.
    func testABurstReviewerAmongSteadyReviewersStillRanksFirst() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 1_102)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<60 { s.item("r\(k)", seller: "shop") }
            for k in 0..<300 {
                let a = s.account("u\(k)", kind: "")
                let n = k < 200 ? rng.int(1...3) : rng.int(20...40)
                for it in (0..<60).shuffled(using: &rng).prefix(n) {
                    s.event(a, "review", at: Scenario.t0 + Int64(rng.int(0...300)) * day + Int64(rng.int(0...86_399)) * 1000,
                            ["item_id": "r\(it)", "seller_id": "shop", "rating": rng.int(1...5)])
                }
            }
            let bot = s.account("bot", kind: "")
            var at = Scenario.t0 + 100 * day
            for it in (0..<60).shuffled(using: &rng).prefix(30) {
                s.event(bot, "review", at: at, ["item_id": "r\(it)", "seller_id": "shop", "rating": 5])
                at += minute
            }
            let (_, t) = try s.build()
            let anomaly = Anomaly.compute(t)
            let b = Int(t.accounts.lookup(bot)!)
            let top = (0..<t.accountCount).max { anomaly.rank[$0] < anomaly.rank[$1] }!
            XCTAssertEqual(top, b, "most unusual: \(t.accountID(Int32(top))) \(anomaly.explanation(top, t) ?? "")")
            XCTAssertNotNil(anomaly.explanation(b, t))
        }
    }

    /// Rating deviation: accounts that rate every item about three stars from what its other
    /// reviewers give it (bashing good products) stand out among reviewers who agree with the
    /// crowd give or take a star; an honest critic's single low rating does not.
    func testOneSidedRatersStandOutAndSayWhy() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 1_103)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            var quality: [Int] = []
            for k in 0..<50 { s.item("r\(k)", seller: "shop"); quality.append(rng.int(4...5)) }
            var critics: [String] = []
            for k in 0..<400 {
                let a = s.account("u\(k)", kind: "")
                let n = rng.int(3...8)
                for (j, it) in (0..<50).shuffled(using: &rng).prefix(n).enumerated() {
                    var stars = min(5, max(1, quality[it] + rng.int(-1...1)))
                    if k < 20 && j == 0 { stars = 1 }   // an honest critic: one bad experience
                    s.event(a, "review", at: Scenario.t0 + Int64(rng.int(0...200)) * day + Int64(rng.int(0...86_399)) * 1000,
                            ["item_id": "r\(it)", "seller_id": "shop", "rating": stars])
                }
                if k < 20 { critics.append(a) }
            }
            var bashers: [String] = []
            for k in 0..<3 {
                let a = s.account("bash\(k)", kind: ""); bashers.append(a)
                for it in (0..<50).shuffled(using: &rng).prefix(rng.int(4...7)) {
                    s.event(a, "review", at: Scenario.t0 + Int64(rng.int(0...200)) * day + Int64(rng.int(0...86_399)) * 1000,
                            ["item_id": "r\(it)", "seller_id": "shop", "rating": 1])
                }
            }
            let (_, t) = try s.build()
            let anomaly = Anomaly.compute(t)
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let rank: (String) -> Double = { anomaly.rank[index($0)] }
            for b in bashers {
                XCTAssertGreaterThanOrEqual(rank(b), 0.99, "\(b) rank \(rank(b))")
                XCTAssertTrue(anomaly.explanation(index(b), t)?.contains("stars from the item's other reviewers") == true,
                              "\(b): \(anomaly.explanation(index(b), t) ?? "no explanation")")
            }
            let lowestBasher = bashers.map(rank).min()!
            let above = critics.filter { rank($0) >= lowestBasher }
            XCTAssertTrue(above.isEmpty, "honest critics at or above a basher: \(above)")
        }
    }

    /// Review bursts: five accounts that review each of four items together on that item's one
    /// day (four different days, so their own pace is like everyone's), on items that otherwise
    /// get a review every week or so, stand out and say why; the same accounts with their
    /// reviews spread like everyone's do not.
    func testReviewersOfAnItemsBurstDayStandOut() throws {
        for planted in [true, false] {
            try forEachSeed { seed in
                var rng = SeededRandom(seed &+ 1_104)
                let s = Scenario(seed: seed)
                s.account("shop", kind: "seller")
                for k in 0..<60 { s.item("r\(k)", seller: "shop") }
                for k in 0..<300 {
                    let a = s.account("u\(k)", kind: "")
                    for it in (0..<60).shuffled(using: &rng).prefix(rng.int(3...8)) {
                        s.event(a, "review", at: Scenario.t0 + Int64(rng.int(0...200)) * day + Int64(rng.int(0...86_399)) * 1000,
                                ["item_id": "r\(it)", "seller_id": "shop", "rating": rng.int(3...5)])
                    }
                }
                var fakes: [String] = []
                let targets = Array((0..<60).shuffled(using: &rng).prefix(4))
                let burstDays = targets.map { _ in Int64(rng.int(20...180)) }
                for k in 0..<5 {
                    let a = s.account("fake\(k)", kind: ""); fakes.append(a)
                    for (j, it) in targets.enumerated() {
                        let d = planted ? burstDays[j] : Int64(rng.int(0...200))
                        s.event(a, "review", at: Scenario.t0 + d * day + Int64(rng.int(0...86_399)) * 1000,
                                ["item_id": "r\(it)", "seller_id": "shop", "rating": 5])
                    }
                }
                let (_, t) = try s.build()
                let anomaly = Anomaly.compute(t)
                let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
                let ranks = fakes.map { anomaly.rank[index($0)] }
                if planted {
                    for (a, r) in zip(fakes, ranks) {
                        let why = anomaly.explanation(index(a), t) ?? "no explanation"
                        XCTAssertGreaterThanOrEqual(r, 0.97, "\(a): \(why)")
                        XCTAssertTrue(why.contains("burst day"), "\(a): \(why)")
                    }
                } else {
                    XCTAssertLessThan(ranks.sorted()[2], 0.97, "spread reviews ranked like a burst: \(ranks)")
                }
            }
        }
    }
}
