import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer's company term (Scoring.swift, `Anomaly.company`): a crew whose members
/// each joined only a third to a half of its jobs, spread over half an hour, is judged member by
/// member thinly (a few partners each, little else unusual), yet the accounts each member keeps
/// meeting in bursts are unusual too. With the click-farm detector off (issue 11's
/// leave-one-detector-out), the crew must still rank above the honest 95th percentile; the
/// fans of several creators — who meet fellow fans in their rooms, ordinary people otherwise —
/// and one flash sale's shoppers must not rise with it. The world is LargeCrewTests' (500
/// buyers, 400 fans in audiences of a hundred, 300 shoppers, a crew of 100 on its own phones at
/// 4 of 6 client shops, 12 jobs), with thinner participation and longer jobs.
final class CrewCompanyTests: XCTestCase {

    /// LargeCrewTests' world with a third to a half of the jobs per member, each job 20–40 minutes.
    func world(seed: UInt64) -> LargeCrewTests.World { LargeCrewTests.world(seed: seed, join: 0.3...0.5, jobMinutes: 20...40) }

    func testAThinCrewKeepsUnusualCompanyFansAndShoppersDoNot() throws {
        try forEachSeed { seed in
            let w = world(seed: seed)
            let (_, t) = try w.s.build()
            let a = Anomaly.compute(t)
            func company(_ id: String) -> Double { a.company[Int(t.accounts.lookup(id)!)] }
            let farm = w.farm.map(company).sorted()
            let honest = (w.buyers + w.fans + w.shoppers).map(company).sorted()
            // Most members keep unusual company; at most 1 % of honest accounts reach half the
            // crew's median, and none reaches the median.
            XCTAssertGreaterThanOrEqual(farm.filter { $0 >= 1 }.count, 70, "crew's company \(farm.prefix(20))")
            XCTAssertLessThan(honest[honest.count * 99 / 100], farm[farm.count / 2] / 2, "honest company, top: \(honest.suffix(5))")
            XCTAssertLessThan(honest.last!, farm[farm.count / 2], "honest company, top: \(honest.suffix(5))")
        }
    }

    func testWithTheClickFarmDetectorOffAThinCrewRanksAboveTheAudienceAndTheSale() throws {
        try forEachSeed { seed in
            let w = world(seed: seed)
            let (store, _) = try w.s.build()
            let (m, why) = try scores(store, without: "click_farm")
            let honest = (w.buyers + w.fans + w.shoppers).map { m[$0]! }.sorted()
            let p95 = honest[honest.count * 95 / 100]
            let farm = w.farm.sorted { m[$0]! < m[$1]! }
            let above = farm.filter { m[$0]! > p95 }
            XCTAssertGreaterThanOrEqual(above.count, 70, "crew above the honest 95th percentile: \(above.count) of 100; lowest \(farm[0]): \(why[farm[0]] ?? "")")
            let farmMedian = m[farm[farm.count / 2]]!
            for (name, group) in [("fans", w.fans), ("shoppers", w.shoppers)] {
                let over = group.filter { m[$0]! > farmMedian }
                XCTAssertLessThanOrEqual(over.count, group.count / 20, "\(name) above the crew's median: \(over.prefix(5).map { "\($0): \(why[$0] ?? "")" })")
            }
        }
    }
}
