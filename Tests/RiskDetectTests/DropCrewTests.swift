import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// A scalper crew racing limited drops has a brushing ring's shape — the same item ordered
/// again and again from shared addresses and cards — but it is the scalper detector's, and
/// the seller who ran the drop is boosted by no one.
final class DropCrewTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testAScalperCrewOnLimitedDropsIsNotBrushingARingOnOrdinaryListingsIs() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 202)
            let s = Scenario(seed: seed)
            s.account("dropshop", kind: "seller")
            s.account("tiny", kind: "seller")
            let drops = (0..<4).map { k in Scenario.t0 + Int64(2 + 6 * k) * day + 18 * hour }
            for (k, at) in drops.enumerated() { s.item("d\(k)", seller: "dropshop", price: 180, limited: true, dropAt: at) }
            s.item("dx", seller: "dropshop", price: 30)
            s.item("t0", seller: "tiny"); s.item("t1", seller: "tiny")
            // The crew: twelve accounts on three addresses and one card, two or three orders of
            // every drop within seconds of its start; no reviews.
            for c in 0..<12 {
                let a = s.account("crew\(c)")
                for (k, at) in drops.enumerated() {
                    for _ in 0..<rng.int(2...3) {
                        s.order(a, item: "d\(k)", seller: "dropshop", at: at + Int64(rng.int(200...4_000)), device: "cdev\(c)",
                                address: "caddr\(c % 3)", payment: "ccard", amount: 180)
                    }
                }
            }
            // Drop fans: one piece each, and the shop's everyday buyers.
            for h in 0..<80 {
                let a = s.account("dropfan\(h)")
                let k = rng.int(0...3)
                s.order(a, item: "d\(k)", seller: "dropshop", at: drops[k] + Int64(rng.int(1_000...60_000)), device: "fd\(h)",
                        address: "fa\(h)", payment: "fc\(h)", amount: 180)
                if rng.chance(0.5) {
                    s.order(a, item: "dx", seller: "dropshop", at: Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...80_000)) * 1000,
                            device: "fd\(h)", address: "fa\(h)", payment: "fc\(h)", amount: 30)
                }
            }
            // A ring of eight boosting a small seller: repeated orders on shared devices and
            // addresses, five-star reviews with copied texts.
            let texts = ["Great product, fast delivery", "great product fast delivery!!", "Excellent quality highly recommend."]
            for r in 0..<8 {
                let a = s.account("ring\(r)")
                for k in 0..<3 {
                    let at = Scenario.t0 + Int64(2 + r + k * 6) * day + Int64(rng.int(0...40_000)) * 1000
                    let item = k % 2 == 0 ? "t0" : "t1"
                    s.order(a, item: item, seller: "tiny", at: at, device: "rdev\(r % 2)", address: "raddr\(r % 3)", payment: "rcard\(r % 2)")
                    s.event(a, "review", at: at + day, ["item_id": item, "seller_id": "tiny", "rating": 5, "text": texts[rng.int(0...2)], "device_id": "rdev\(r % 2)"])
                }
            }
            // The rest of the store: small sellers and their ordinary buyers.
            let short = ["Great!", "Love it", "Perfect", "Good", "ok"]
            for k in 0..<15 {
                s.account("small\(k)", kind: "seller"); s.item("x\(k)", seller: "small\(k)")
                for j in 0..<12 {
                    let a = s.account("sb\(k)-\(j)")
                    let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...86_000)) * 1000
                    // in households of two or three sharing an address
                    s.order(a, item: "x\(k)", seller: "small\(k)", at: at, device: "sbd\(k)-\(j)", address: "sba\(k)-\(j / 3)", payment: "sbc\(k)-\(j)")
                    if rng.chance(0.4) {
                        s.event(a, "review", at: at + 2 * day, ["item_id": "x\(k)", "seller_id": "small\(k)", "rating": rng.int(3...5), "text": short[rng.int(0...4)]])
                    }
                }
            }
            let (_, t) = try s.build()
            let brushing = try BrushingDetector().run(t, cancel: CancelToken()).accounts(t)
            XCTAssertTrue(brushing.filter { $0.hasPrefix("crew") || $0.hasPrefix("dropfan") }.isEmpty, "the crew as brushing: \(brushing.sorted())")
            XCTAssertFalse(brushing.contains("dropshop"), "the drop's seller boosted by a ring")
            XCTAssertGreaterThanOrEqual(brushing.filter { $0.hasPrefix("ring") }.count, 7, "\(brushing.sorted())")
            XCTAssertTrue(brushing.contains("tiny"))
            // The crew is the scalper detector's to judge.
            let scalpers = try ScalperDetector().run(t, cancel: CancelToken()).accounts(t)
            XCTAssertFalse(scalpers.filter { $0.hasPrefix("crew") }.isEmpty, "\(scalpers.sorted())")
        }
    }
}
