import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// A lockstep farm's second partial-member test counts chance over the accounts that are not
/// suspects (one of the farm's own jobs at most). For a Poisson count, those with one landing against
/// those with none is the mean (P(1) / P(0) = λ); against every active account it is λe^−λ, which falls
/// behind as λ grows (`ClickFarmDetector.jobOdds`, s47c).
final class JobOddsTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    /// A farm that browses 60 listings a day in lockstep, ten at a time at any hour, has hundreds of own
    /// jobs; 400 shoppers who browse six days a week land in two or three of them by chance.
    func testBusyShoppersInABroadFarmsJobsAreJudgedByTheOddsOfLanding() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 4749)
            let s = Scenario(seed: seed)
            let items = 300
            _ = PhoneFarms.catalogue(s, items: items)
            var shoppers: [String] = []
            for k in 0..<400 {
                let a = s.account("u\(k)"); shoppers.append(a)
                PhoneFarms.browse(s, a, &rng, device: "ud\(k)", items: items, perWeek: 6)
            }
            let farm = (0..<20).map { s.account("farm\($0)") }
            for d in 0..<28 {
                for _ in 0..<6 {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour
                    for p in (0..<items).shuffled(using: &rng).prefix(10) {
                        for (m, a) in farm.enumerated() {
                            s.event(a, "view", at: at + Int64(rng.int(0...299)) * 1000, ["item_id": "p\(p)", "device_id": "fphone\(m)"])
                        }
                    }
                }
            }
            let (_, t) = try s.build()
            let flagged = try ClickFarmDetector().run(t, cancel: CancelToken()).accounts(t)
            XCTAssertGreaterThanOrEqual(farm.filter(flagged.contains).count, 18, "farm: \(flagged.sorted())")
            let withOdds = shoppers.filter(flagged.contains)
            var old = ClickFarmDetector()
            old.jobOdds = false
            let before = shoppers.filter(try old.run(t, cancel: CancelToken()).accounts(t).contains)
            // Seeds 1–10: 10–18 shoppers recruited before, 1–4 with the odds.
            XCTAssertGreaterThanOrEqual(before.count, 8, "one landing per active account: \(before)")
            XCTAssertLessThanOrEqual(withOdds.count * 3, before.count, "the odds: \(withOdds), before: \(before)")
        }
    }
}
