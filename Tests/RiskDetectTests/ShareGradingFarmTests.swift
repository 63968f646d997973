import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// farm37: a group's strength follows how much of its jobs' crowds it makes. A crew that is
/// the whole crowd of its jobs outranks a larger group that is only just over half of its
/// crowds (bazaar 4311: a 317-account group of live-room fans, median share 0.54, held the
/// top K above a 76-account crew that was all of its crowds).
final class ShareGradingFarmTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testACrewThatIsItsCrowdsOutranksAGroupThatIsBarelyHalfOfThem() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 3711)
            let s = Scenario(seed: seed)
            let shop = s.account("shop", kind: "seller")
            let pool = (0..<400).map { s.item("p\($0)", seller: shop) }
            // Crew A: 15 accounts, 12 jobs on 12 quiet listings, nobody else there.
            // Group B: 40 accounts, 12 jobs on 12 other listings, each job's crowd also holds
            // about as many ordinary shoppers as B's members (B a bare half of its crowds).
            for f in 0..<15 { _ = s.account("crew\(f)") }
            for g in 0..<40 { _ = s.account("grp\(g)") }
            var walk = 0
            for j in 0..<12 {
                let a0 = Scenario.t0 + Int64(1 + 2 * j) * day + Int64(rng.int(2...20)) * hour
                for f in 0..<15 where rng.chance(0.8) {
                    s.event("crew\(f)", "view", at: a0 + Int64(rng.int(0...8)) * minute, ["item_id": pool[j], "device_id": "c\(f)"])
                }
                let b0 = Scenario.t0 + Int64(2 * j) * day + Int64(rng.int(2...20)) * hour
                var n = 0
                for g in 0..<40 where rng.chance(0.6) {
                    s.event("grp\(g)", "view", at: b0 + Int64(rng.int(0...8)) * minute, ["item_id": pool[100 + j], "device_id": "g\(g)"])
                    n += 1
                }
                // Ordinary shoppers in B's jobs: a few fewer than B's members there.
                for _ in 0..<max(0, n - 3) {
                    let w = s.account("walk\(walk)"); walk += 1
                    s.event(w, "view", at: b0 + Int64(rng.int(0...8)) * minute, ["item_id": pool[100 + j], "device_id": "w\(walk)"])
                    s.event(w, "view", at: b0 + Int64(rng.int(10...20)) * hour, ["item_id": pool[200 + rng.int(0...199)], "device_id": "w\(walk)"])
                }
            }
            let (_, t) = try s.build()
            func strengths(_ d: ClickFarmDetector) throws -> (crew: [Double], grp: [Double]) {
                let f = try d.run(t, cancel: CancelToken())
                return (f.strengths(t, prefix: "crew"), f.strengths(t, prefix: "grp"))
            }
            var d = ClickFarmDetector()
            d.equipmentGroups = false
            // The crew arrives within eight minutes and may be found in the 5-minute window too; the
            // tight-windows share (TightWindowFarmTests) is not what this test weighs (seed 6).
            d.tightWindows = false
            let on = try strengths(d)
            d.shareGrading = false
            let off = try strengths(d)
            XCTAssertGreaterThanOrEqual(on.crew.count, 12, "seed \(seed): the crew")
            XCTAssertFalse(off.grp.isEmpty, "seed \(seed): the bare-half group is found without grading")
            XCTAssertFalse(on.grp.isEmpty, "seed \(seed): the bare-half group is still found with grading")
            XCTAssertEqual(on.crew.sorted(), off.crew.sorted(), "seed \(seed): a crew that is its crowds keeps its strength")
            // Without grading the larger group is at least as strong as the crew (size, partners);
            // with it, every one of its members ranks under every crew member.
            if let gOff = off.grp.max(), let cOff = off.crew.min() {
                XCTAssertGreaterThanOrEqual(gOff, cOff - 0.05, "seed \(seed): the scenario no longer tests anything")
            }
            if let gOn = on.grp.max(), let cOn = on.crew.min() {
                XCTAssertLessThan(gOn, cOn, "seed \(seed): the bare-half group outranks the crew")
            }
        }
    }
}
