import Foundation
import XCTest
@testable import RiskDetect

/// `EventPace` — the behaviour features' burst and median gap, shared by `AccountFeatures` and
/// `StrangerMessages` — against a brute-force reading of the same definitions.
final class EventPaceTests: XCTestCase {
    func testHandBuiltSeries() {
        var gaps: [Int64] = []
        // Three events in the first hour, one more an hour later; gaps 1 s, 1 s, ~1 h: median 1 s.
        let p = EventPace.measure([0, 1000, 2000, 3_702_000] as [Int64], gaps: &gaps)
        XCTAssertEqual(p.burst, Float(log1p(3.0)), accuracy: 1e-6)
        XCTAssertEqual(p.gap, 0, accuracy: 1e-6)
        // An event exactly one hour after the first shares its window.
        let q = EventPace.measure([0, 3_600_000] as [Int64], gaps: &gaps)
        XCTAssertEqual(q.burst, Float(log1p(2.0)), accuracy: 1e-6)
        XCTAssertEqual(q.gap, Float(log10(3600.0)), accuracy: 1e-5)
        // One event: a burst of one and no gap; none: zero and no gap.
        let one = EventPace.measure([42] as [Int64], gaps: &gaps)
        XCTAssertEqual(one.burst, Float(log1p(1.0)), accuracy: 1e-6)
        XCTAssertEqual(one.gap, -1)
        let none = EventPace.measure([] as [Int64], gaps: &gaps)
        XCTAssertEqual(none.burst, 0)
        XCTAssertEqual(none.gap, -1)
        // Gaps under a second read as one second (log10 1 = 0), not negative.
        XCTAssertEqual(EventPace.measure([0, 10, 20] as [Int64], gaps: &gaps).gap, 0)
    }

    func testAgreesWithBruteForceOnRandomSeries() {
        var gaps: [Int64] = []
        for seed in 0..<40 {
            var rng = SeededRandom(UInt64(seed) &+ 900)
            let n = rng.int(0...120)
            var ts: [Int64] = []
            var at: Int64 = 1_700_000_000_000
            for _ in 0..<n {
                // Bursts of seconds mixed with pauses of hours, and ties.
                at += rng.int(0...3) == 0 ? Int64(rng.int(0...7_200_000)) : Int64(rng.int(0...5000))
                ts.append(at)
            }
            var burst = 0
            for x in ts { burst = max(burst, ts.filter { $0 >= x - 3_600_000 && $0 <= x }.count) }
            let g = zip(ts.dropFirst(), ts).map { $0 - $1 }.sorted()
            let gap: Float = g.isEmpty ? -1 : Float(log10(max(1, Double(g[g.count / 2]) / 1000)))
            let p = EventPace.measure(ts, gaps: &gaps)
            XCTAssertEqual(p.burst, Float(log1p(Double(burst))), accuracy: 1e-6, "seed \(seed)")
            XCTAssertEqual(p.gap, gap, accuracy: 1e-6, "seed \(seed)")
            // Through a lazy view of event indices, as AccountFeatures calls it.
            let idx = Array(0..<Int32(ts.count))[...]
            let v = EventPace.measure(idx.lazy.map { ts[Int($0)] }, gaps: &gaps)
            XCTAssertEqual(v.burst, p.burst, "seed \(seed)")
            XCTAssertEqual(v.gap, p.gap, "seed \(seed)")
        }
    }
}
