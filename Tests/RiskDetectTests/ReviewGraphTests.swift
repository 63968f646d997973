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
            let rank: (String) -> Double = { anomaly.rank[Int(t.accounts.lookup($0)!)] }
            // Share of (one-off, more) pairs in which the one-off ranks higher (ties half): 1 when
            // history alone orders them, about ½ when random columns do.
            let lo = oneOff.map(rank), hi = more.map(rank).sorted()
            var wins = 0.0
            for r in lo {
                let below = Double(lowerBound(hi.map(Float.init), Float(r)))
                let ties = Double(upperBound(hi.map(Float.init), Float(r))) - below
                wins += below + 0.5 * ties
            }
            let share = wins / Double(lo.count * hi.count)
            XCTAssertGreaterThan(share, 0.9, "one-off reviewers ranked above accounts with more history in \(share) of pairs")
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
}
