import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// Lockstep that is not a farm: the fans of several creators arrive together whenever a live
/// show starts, and some of them meet show after show, on several creators. What a farm has
/// and they lack: a farm makes the crowd of its jobs, fans are a few of the many arriving.
final class AudienceTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testALiveShowCrowdOfRealFansStaysLowWhileAFarmInTheSameRoomIsFound() throws {
        // Seed 15 draws fans who are exactly half of their jobs' crowds (an audience, not a farm).
        try forEachSeed(also: [15]) { seed in
            var rng = SeededRandom(seed &+ 101)
            let s = Scenario(seed: seed)
            let creators = (0..<4).map { s.account("creator\($0)", kind: "creator") }
            let clients = (0..<6).map { s.account("client\($0)", kind: "seller") }
            for c in clients { s.item("item-\(c)", seller: c) }
            let pool = (0..<200).map { s.item("p\($0)", seller: clients[$0 % 6]) }
            // Each creator's shows: 10 in the month, in the evening.
            var shows: [[Int64]] = []
            for c in creators.indices {
                shows.append((0..<10).map { k in Scenario.t0 + Int64(c + 3 * k) * day + Int64(18 + (c + k) % 4) * hour })
            }
            // Fans: each follows two or three creators and comes to about half of their shows,
            // arriving within minutes of the start; each has a life of its own (browsing, orders).
            func life(_ a: String, device: String) {
                for d in 0..<28 where rng.chance(0.35) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                    for _ in 0..<rng.int(2...5) {
                        s.event(a, "view", at: at, ["item_id": pool[rng.int(0...199)], "device_id": device])
                        at += Int64(1000 * (5 + rng.exponential(60)))
                    }
                }
            }
            for k in 0..<400 {
                let a = s.liveFan(k, creators: creators, shows: shows, &rng)
                life(a, device: "fd\(k)")
            }
            // The farm, in the same rooms: 20 accounts on their own phones doing 14 jobs for
            // its clients and in two creators' live rooms (outside the shows) — views, follows,
            // live views, each job within 3 to 40 minutes; a member joins 60–90 % of the jobs.
            for f in 0..<20 { let a = s.account("farm\(f)"); life(a, device: "own\(f)") }
            let join = (0..<20).map { _ in 0.6 + 0.3 * rng.unit() }
            for j in 0..<14 {
                let start = Scenario.t0 + Int64(1 + j * 2) * day + Int64(rng.int(9...14)) * hour
                let spread = Double(rng.int(3...40)) * Double(minute)
                for f in 0..<20 where rng.chance(join[f]) {
                    let at = start + Int64(rng.unit() * spread)
                    switch j % 3 {
                    case 0: s.event("farm\(f)", "live_view", at: at, ["target_id": creators[j % 2], "device_id": "own\(f)"])
                    case 1: s.event("farm\(f)", "follow", at: at, ["target_id": clients[j % 6], "device_id": "own\(f)"])
                    default: s.event("farm\(f)", "view", at: at, ["item_id": "item-\(clients[j % 6])", "seller_id": clients[j % 6], "device_id": "own\(f)"])
                    }
                }
            }
            let (_, t) = try s.build()
            let log = DebugLines()
            let f = try ClickFarmDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
            let flagged = f.accounts(t)
            let farm = flagged.filter { $0.hasPrefix("farm") }, fans = flagged.filter { $0.hasPrefix("fan") }
            XCTAssertGreaterThanOrEqual(farm.count, 14, "seed \(seed): the farm: \(farm.sorted())\n\(log.lines.filter { $0.hasPrefix("farm") }.joined(separator: "\n"))")
            XCTAssertTrue(fans.isEmpty, "fans flagged: \(fans.count) \(fans.sorted().prefix(20))")
            XCTAssertTrue(flagged.subtracting(farm).subtracting(fans).isEmpty, "others: \(flagged.subtracting(farm).subtracting(fans).sorted())")
            // The fans do look like lockstep (the case this test is about): without the audience
            // test, a group of them is reported as a farm.
            var plain = ClickFarmDetector()
            plain.audienceTest = false
            let before = try plain.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertFalse(before.filter { $0.hasPrefix("fan") }.isEmpty, "no fan group was ever a farm candidate")
            XCTAssertEqual(before.filter { $0.hasPrefix("farm") }.count, farm.count, "the audience test costs the farm nothing")
        }
    }
}
