import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// An export that logs some sources to the whole second turns a crawler at 0.6 s a page into steps of
/// 0 s and 1 s — as irregular, step by step, as a person (CV ≈ 0.8). Measured over blocks of steps ten
/// seconds long, the rounding is a small part of each block and the metronome shows again; a person's
/// steps, irregular, stay irregular (`ScrapingDetector.coarseClocks`, s65; bazaar-unseen 4313: six
/// crawlers of a 17-account fleet at 0.61 s were missed).
final class CoarseClockScraperTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    /// Times as an export logs them that rounds two rows in three down to the second (which rows, by
    /// the time's own digits: no draw from the scenario's generator).
    static func coarse(_ at: Int64) -> Int64 { (at / 7) % 3 == 0 ? at : at - at % 1000 }

    func testACrawlerLoggedToTheSecondIsFoundAFastFlickingPersonIsNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            var rng = SeededRandom(seed &+ 6502)
            let items = 1_500
            _ = PhoneFarms.catalogue(s, items: items)
            // People browsing at human pace, logged by the same export.
            for k in 0..<300 {
                PhoneFarms.browse(s, s.account("u\(k)"), &rng, device: "d\(k)", items: items, perWeek: 3, stamp: Self.coarse)
            }
            // People flicking through a feed, logged to the second as well, fast enough to be measured over
            // blocks (a median step of about 1.1 s): 400 items, a step of 0.3 s plus an exponential of 1.2 s.
            let flickers = (0..<6).map { s.account("flick\($0)") }
            for (k, a) in flickers.enumerated() {
                var at = Scenario.t0 + Int64(3 + k) * day + 20 * hour
                for _ in 0..<400 {
                    s.event(a, "view", at: Self.coarse(at), ["item_id": "p\(rng.int(0...(items - 1)))", "device_id": "fd\(k)"])
                    at += Int64(1000 * (0.3 + rng.exponential(1.2)))
                }
            }
            // A crawler: the catalogue in turn, a page every 0.6 s (±35 %), 1,500 pages in 15 minutes.
            let bot = s.account("bot")
            var at = Scenario.t0 + 12 * day + 3 * hour
            for k in 0..<1_500 {
                s.event(bot, "view", at: Self.coarse(at), ["item_id": "p\((k * 7) % items)", "device_id": "botdev"])
                at += Int64(600 * (0.65 + 0.7 * rng.unit()))
            }
            let (f, t) = try s.run(ScrapingDetector())
            XCTAssertEqual(f.accounts(t), ["bot"], f.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "\n"))
            let b = try XCTUnwrap(f.first { t.accountID($0.account) == "bot" })
            XCTAssertTrue(b.reason.contains("over blocks of") && b.reason.contains("times logged to the second"), b.reason)
            // Without the blocks, the rounded steps hide it.
            var off = ScrapingDetector()
            off.coarseClocks = false
            let without = try off.run(t, cancel: CancelToken())
            XCTAssertFalse(without.accounts(t).contains("bot"), without.map(\.reason).joined(separator: "\n"))
        }
    }

    /// Times of a run: `n` steps of `step` ms ± `jitter` (a share of it), the first at `start`.
    func run(_ n: Int, step: Double, jitter: Double, start: Int64 = Scenario.t0 + 123, _ rng: inout SeededRandom) -> [Int64] {
        var at = Double(start), out: [Int64] = []
        for _ in 0..<n { out.append(Int64(at)); at += step * (1 - jitter + 2 * jitter * rng.unit()) }
        return out
    }

    func testWhichRunsAreMeasuredOverBlocks() throws {
        var rng = SeededRandom(TestSeed.first &+ 6504)
        func cv(_ ts: [Int64]) -> (cv: Double, m: Int)? { ScrapingDetector.blockCV(ts, paceMs: 5_000, blockMs: 10_000, minBlocks: 15) }
        // A crawler at 0.3 s a page, every time rounded down to the second: most steps are 0 s (their
        // median is 0), the span still gives its pace.
        let fast = run(1_000, step: 300, jitter: 0.3, &rng).map { $0 - $0 % 1000 }
        let f = try XCTUnwrap(cv(fast))
        XCTAssertLessThan(f.cv, 0.5)
        XCTAssertEqual(f.m, 34, "blocks of 10 s at 0.3 s a step")
        // The same crawler logged to the millisecond is not asked (its steps are the test).
        XCTAssertNil(cv(run(1_000, step: 300, jitter: 0.3, &rng)))
        // Under a quarter of the times whole seconds: not asked; a quarter: asked.
        let ms = run(1_000, step: 600, jitter: 0.3, &rng)
        func roundEvery(_ k: Int) -> [Int64] { ms.enumerated().map { $0.offset % k == 0 ? $0.element - $0.element % 1000 : $0.element } }
        XCTAssertNil(cv(roundEvery(10)), "a tenth whole seconds")
        XCTAssertNotNil(cv(roundEvery(4)), "a quarter")
        // A pace of 5 s or more: not asked.
        XCTAssertNil(cv(run(400, step: 5_200, jitter: 0.1, &rng).map { $0 - $0 % 1000 }))
        // Blocks: at 0.6 s a step, m = 17; 15 × 17 = 255 steps are enough, 14 × 17 are not.
        XCTAssertNotNil(cv(run(15 * 17 + 1, step: 600, jitter: 0.0, &rng).map { $0 - $0 % 1000 }))
        XCTAssertNil(cv(run(14 * 17 + 1, step: 600, jitter: 0.0, &rng).map { $0 - $0 % 1000 }))
        // Every step 0 (all at one second) and a single time: not asked, no division by zero.
        XCTAssertNil(cv([Int64](repeating: Scenario.t0, count: 500)))
        XCTAssertNil(cv([Scenario.t0]))
        // A person's independent steps (0.3 s plus an exponential of 1.2 s, CV ≈ 0.8), rounded: the
        // blocks keep their irregularity (scaled by √m, near the step's CV, far above 0.5).
        var at = Double(Scenario.t0), person: [Int64] = []
        for _ in 0..<2_000 { person.append(Int64(at) - Int64(at) % 1000); at += 1000 * (0.3 + rng.exponential(1.2)) }
        let p = try XCTUnwrap(cv(person))
        XCTAssertGreaterThan(p.cv, 0.6, "m \(p.m)")
    }
}
