import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// tight-windows (session 70): a group that meets within the finest window is surer than one that
/// meets only within the widest. Look-alike 4402: a 56-account phone farm told to watch a live room
/// within minutes met in 5-minute buckets (92 jobs) and ranked under 16- and 230-account groups of a
/// room's regulars who meet only within the hour — all held the same base strength, 0.700.
final class TightWindowFarmTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// `views` views of the shop's other listings (the pool's last hundred), any hour of 24 days.
    func browse(_ s: Scenario, _ a: String, device: String, views: Int, pool: [String], _ rng: inout SeededRandom) {
        for _ in 0..<views {
            s.event(a, "view", at: Scenario.t0 + Int64(rng.int(0...(24 * 24))) * hour + Int64(rng.int(0...59)) * minute,
                    ["item_id": pool[200 + rng.int(0...99)], "device_id": device])
        }
    }

    func testAGroupThatMeetsWithinMinutesOutranksOneThatMeetsWithinTheHour() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 7013)
            let (s, pool) = Scenario.oneShop(seed)
            // Two groups alike in every way but one: 15 accounts each, 12 jobs on 12 quiet listings,
            // four in five members at each job. "tight" arrive within three minutes of the job's
            // start; "loose" over fifty minutes.
            for f in 0..<15 { _ = s.account("tight\(f)"); _ = s.account("loose\(f)") }
            for j in 0..<12 {
                let a0 = Scenario.t0 + Int64(1 + 2 * j) * day + Int64(rng.int(2...20)) * hour
                for f in 0..<15 where rng.chance(0.8) {
                    s.event("tight\(f)", "view", at: a0 + Int64(rng.int(0...180)) * 1000, ["item_id": pool[j], "device_id": "t\(f)"])
                }
                let b0 = Scenario.t0 + Int64(2 * j) * day + Int64(rng.int(2...20)) * hour
                for g in 0..<15 where rng.chance(0.8) {
                    s.event("loose\(g)", "view", at: b0 + Int64(rng.int(0...50)) * minute, ["item_id": pool[100 + j], "device_id": "l\(g)"])
                }
            }
            // Some ordinary shoppers, so the store has a life beyond the two groups.
            for w in 0..<60 { browse(s, s.account("walk\(w)"), device: "w\(w)", views: rng.int(1...6), pool: pool, &rng) }
            let (_, t) = try s.build()
            func strengths(_ d: ClickFarmDetector) throws -> (tight: [Double], loose: [Double]) {
                let f = try d.run(t, cancel: CancelToken())
                return (f.strengths(t, prefix: "tight"), f.strengths(t, prefix: "loose"))
            }
            var d = ClickFarmDetector()
            d.equipmentGroups = false
            let on = try strengths(d)
            d.tightWindows = false
            let off = try strengths(d)
            XCTAssertGreaterThanOrEqual(on.tight.count, 12, "seed \(seed): the tight group")
            XCTAssertGreaterThanOrEqual(on.loose.count, 12, "seed \(seed): the loose group is still found")
            XCTAssertEqual(on.loose.sorted(), off.loose.sorted(), "seed \(seed): a group found only in wider windows keeps its strength")
            // Off, the two groups are as strong as each other (the scenario tests something); on,
            // every member of the tight group ranks above every member of the loose one.
            if let tOff = off.tight.max(), let lOff = off.loose.max() {
                XCTAssertLessThanOrEqual(tOff, lOff + 0.02, "seed \(seed): the scenario no longer tests anything")
            }
            if let tOn = on.tight.min(), let lOn = on.loose.max() {
                XCTAssertGreaterThan(tOn, lOn, "seed \(seed): the loose group outranks the tight one")
            }
        }
    }

    /// review70 #2: recruits (members who joined a few of the farm's jobs, with lives of their own)
    /// take their strength from the group's base, so their findings in the finest window gain with it.
    /// (An account keeps its strongest finding over the windows: a recruit whose hour finding is
    /// stronger — a surer test there — keeps that one, and gains nothing.)
    func testRecruitsOfATightGroupGainToo() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 7014)
            let (s, pool) = Scenario.oneShop(seed)
            for f in 0..<15 { _ = s.account("tight\(f)") }
            for p in 0..<6 { _ = s.account("part\(p)") }
            var joins = [[Int]](repeating: [], count: 6)
            for p in 0..<6 { joins[p] = Array((0..<12).shuffled(using: &rng).prefix(4)) }
            for j in 0..<12 {
                let a0 = Scenario.t0 + Int64(1 + 2 * j) * day + Int64(rng.int(2...20)) * hour
                for f in 0..<15 where rng.chance(0.8) {
                    s.event("tight\(f)", "view", at: a0 + Int64(rng.int(0...180)) * 1000, ["item_id": pool[j], "device_id": "t\(f)"])
                }
                for p in 0..<6 where joins[p].contains(j) {
                    s.event("part\(p)", "view", at: a0 + Int64(rng.int(0...180)) * 1000, ["item_id": pool[j], "device_id": "q\(p)"])
                }
            }
            // The part-timers' own lives: forty views each of the shop's other listings, any day.
            for p in 0..<6 { browse(s, "part\(p)", device: "q\(p)", views: 40, pool: pool, &rng) }
            for w in 0..<60 { browse(s, s.account("walk\(w)"), device: "w\(w)", views: rng.int(1...6), pool: pool, &rng) }
            let (_, t) = try s.build()
            func parts(_ d: ClickFarmDetector) throws -> [String: (Double, String)] {
                let f = try d.runWindow(t, windowMs: 5 * 60_000, cancel: CancelToken())
                var by: [String: (Double, String)] = [:]
                for x in f where t.accountID(x.account).hasPrefix("part") { by[t.accountID(x.account)] = (x.strength, x.reason) }
                return by
            }
            var d = ClickFarmDetector()
            d.equipmentGroups = false
            let on = try parts(d)
            d.tightWindows = false
            let off = try parts(d)
            let recruits = on.filter { $0.value.1.hasPrefix("joined") }
            XCTAssertGreaterThanOrEqual(recruits.count, 3, "seed \(seed): the part-timers are recruited (\(on.mapValues(\.1)))")
            for (a, v) in recruits {
                guard let o = off[a] else { XCTFail("seed \(seed): \(a) recruited only with the sign on"); continue }
                XCTAssertGreaterThan(v.0, o.0 + 0.05, "seed \(seed): \(a) gains nothing from its group's tight window")
            }
        }
    }

    func testTightnessIsTheFinestWindowOnly() {
        var d = ClickFarmDetector()
        XCTAssertEqual(d.tightness(5 * 60_000), 1)
        XCTAssertEqual(d.tightness(15 * 60_000), 0)
        XCTAssertEqual(d.tightness(60 * 60_000), 0)
        XCTAssertEqual(d.tightness(10 * 60_000), 0, "a window doubled to fit the keys is no longer the finest")
        XCTAssertEqual(d.windowLengths, [5 * 60_000, 15 * 60_000, 60 * 60_000])
        d.windowFactors = [1]
        XCTAssertEqual(d.tightness(15 * 60_000), 0, "one window length: nothing to be finer than")
        d.windowFactors = [1.0 / 3, 1, 4]
        d.tightWindows = false
        XCTAssertEqual(d.tightness(5 * 60_000), 0)
    }
}
