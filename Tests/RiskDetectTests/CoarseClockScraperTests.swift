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

    /// Times rounded down to the second, as the export does for `share` of the rows.
    func rounded(_ at: Int64, _ rng: inout SeededRandom, share: Double) -> Int64 {
        rng.chance(share) ? at - at % 1000 : at
    }

    func testACrawlerLoggedToTheSecondIsFoundAFastFlickingPersonIsNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            var rng = SeededRandom(seed &+ 6502)
            let shops = (0..<20).map { s.account("shop\($0)", kind: "seller") }
            let items = (0..<1_500).map { s.item("i\($0)", seller: shops[$0 % shops.count]) }
            // People browsing at human pace; an export that logs two thirds of the rows to the second.
            for k in 0..<300 {
                let a = s.account("u\(k)")
                for d in 0..<28 where rng.chance(0.3) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour
                    for _ in 0..<rng.int(2...12) {
                        s.event(a, "view", at: rounded(at, &rng, share: 0.67), ["item_id": items[rng.int(0...1_499)], "device_id": "d\(k)"])
                        at += Int64(1000 * (3 + rng.exponential(40)))
                    }
                }
            }
            // People flicking through a feed, logged to the second as well, fast enough to be measured over
            // blocks (a median step of about 1.1 s): 400 items, a step of 0.3 s plus an exponential of 1.2 s.
            let flickers = (0..<6).map { s.account("flick\($0)") }
            for (k, a) in flickers.enumerated() {
                var at = Scenario.t0 + Int64(3 + k) * day + 20 * hour
                for _ in 0..<400 {
                    s.event(a, "view", at: rounded(at, &rng, share: 0.67), ["item_id": items[rng.int(0...1_499)], "device_id": "fd\(k)"])
                    at += Int64(1000 * (0.3 + rng.exponential(1.2)))
                }
            }
            // A crawler: the catalogue in turn, a page every 0.6 s (±35 %), 1,500 pages in 15 minutes.
            let bot = s.account("bot")
            var at = Scenario.t0 + 12 * day + 3 * hour
            for k in 0..<1_500 {
                s.event(bot, "view", at: rounded(at, &rng, share: 0.67), ["item_id": items[(k * 7) % 1_500], "device_id": "botdev"])
                at += Int64(600 * (0.65 + 0.7 * rng.unit()))
            }
            let (f, t) = try s.run(ScrapingDetector())
            XCTAssertEqual(f.accounts(t), ["bot"], f.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "\n"))
            let b = try XCTUnwrap(f.first { t.accountID($0.account) == "bot" })
            XCTAssertGreaterThanOrEqual(b.strength, 0.6)
            // Without the blocks, the rounded steps hide it.
            var off = ScrapingDetector()
            off.coarseClocks = false
            let without = try off.run(t, cancel: CancelToken())
            XCTAssertFalse(without.accounts(t).contains("bot"), without.map(\.reason).joined(separator: "\n"))
        }
    }
}
