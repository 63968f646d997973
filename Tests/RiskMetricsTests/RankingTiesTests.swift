import RiskMetrics
import XCTest

final class RankingTiesTests: XCTestCase {
    func testMidRanksShareTiesAndCountThem() {
        let r = Ranking.midRanks([3.0, 1, 3, 2, 3, 0])
        XCTAssertEqual(r.ranks, [5, 2, 5, 3, 5, 1])
        XCTAssertEqual(r.tieTerm, 24)                 // one group of three: 27 − 3
        let i = Ranking.midRanks([2, 2, 1, 1])
        XCTAssertEqual(i.ranks, [3.5, 3.5, 1.5, 1.5])
        XCTAssertEqual(i.tieTerm, 12)                 // two pairs: 2 × (8 − 2)
        XCTAssertEqual(Ranking.midRanks([Int]()).ranks, [])
    }

    func testAUCCountsTiedPairsAsHalf() throws {
        // Positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5, 0.9>0.1, 0.5=0.5, 0.5>0.1) = 3.5 of 4.
        let auc = try XCTUnwrap(Ranking.auc(scores: [0.5, 0.9, 0.1, 0.5], labels: [false, true, false, true]))
        XCTAssertEqual(auc, 3.5 / 4, accuracy: 1e-12)
        XCTAssertNil(Ranking.auc(scores: [0.1, 0.2], labels: [true, true]))
    }
}
