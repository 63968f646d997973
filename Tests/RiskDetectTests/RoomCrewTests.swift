import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// farm37: a follow farm on one creator. Twelve accounts behind one exit follow one small
/// creator (and now and then its shop) on a handful of days, each joining about half of the
/// campaigns, spread over two hours: no pair meets three times in one window, so no lockstep
/// group forms, and one or two targets fail the equipment groups' three-target bar. What they
/// share is the exit, and they are most of the creator's visitors on those days, with the
/// creator away. Households of fans on one exit who watch their creators' shows are a few of
/// each show's crowd, with the creator live.
final class RoomCrewTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testAFollowFarmOfTwelveOnOneCreatorIsFoundAndHouseholdsOfFansAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 3712)
            let s = Scenario(seed: seed)
            let creators = (0..<4).map { s.account("creator\($0)", kind: "creator") }
            let shop = s.account("shop", kind: "seller")
            let pool = (0..<200).map { s.item("p\($0)", seller: shop) }
            var shows: [[Int64]] = []
            for c in creators.indices {
                shows.append((0..<10).map { k in Scenario.t0 + Int64(c + 3 * k) * day + Int64(18 + (c + k) % 4) * hour })
                for st in shows[c] { s.event(creators[c], "login", at: st - Int64(rng.int(1...10)) * minute, ["device_id": "cd\(c)"]) }
            }
            func life(_ a: String, device: String, ip: String, busy: Double = 0.3) {
                for d in 0..<28 where rng.chance(busy) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                    for _ in 0..<rng.int(2...5) {
                        s.event(a, "view", at: at, ["item_id": pool[rng.int(0...199)], "device_id": device, "ip": ip])
                        at += Int64(1000 * (5 + rng.exponential(60)))
                    }
                }
            }
            // 300 fans; every 5th fan shares an exit with the next four (households of five),
            // who come to the same shows (the household watches together).
            for k in 0..<300 {
                let ip = "10.1.\(k / 5).1"
                let a = s.liveFan(k, creators: creators, shows: shows, &rng)
                life(a, device: "fd\(k)", ip: ip)
            }
            // A small creator, its own dozen regulars at its shows, the creator live each time.
            let small = s.account("small", kind: "creator")
            let smallShows = (0..<8).map { k in Scenario.t0 + Int64(3 + 3 * k) * day + 20 * hour }
            for st in smallShows { s.event(small, "login", at: st - 5 * minute, ["device_id": "sd"]) }
            for r in 0..<12 {
                let a = s.account("reg\(r)")
                life(a, device: "rd\(r)", ip: "10.2.\(r / 4).1")   // three households of four
                for st in smallShows where rng.chance(0.7) {
                    s.event(a, "live_view", at: st + Int64(rng.exponential(8) * Double(minute)), ["target_id": small, "device_id": "rd\(r)", "ip": "10.2.\(r / 4).1"])
                }
            }
            // The crew: 12 accounts behind one exit, a few days of browsing of their own, and 9
            // follow campaigns over two hours each: the target creator (rarely seen) mostly, its shop now and then.
            let target = s.account("star", kind: "creator")
            s.event(target, "login", at: Scenario.t0 + 1 * day, ["device_id": "stard"])
            for f in 0..<12 { life(s.account("crew\(f)"), device: "own\(f)", ip: "203.0.113.7", busy: 0.08) }
            for j in 0..<9 {
                let start = Scenario.t0 + Int64(2 + 3 * j) * day + Int64(rng.int(2...14)) * hour
                for f in 0..<12 where rng.chance(0.55) {
                    let to = rng.chance(0.7) ? target : shop
                    s.event("crew\(f)", "follow", at: start + Int64(rng.unit() * 120) * minute, ["target_id": to, "device_id": "own\(f)", "ip": "203.0.113.7"])
                }
            }
            let (_, t) = try s.build()
            let log = DebugLines()
            let flagged = try ClickFarmDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken()).accounts(t)
            let dump = log.lines.filter { $0.hasPrefix("identifier") && $0.contains("rooms") }.joined(separator: "\n")
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("crew") }.count, 9, "seed \(seed): the crew: \(flagged.sorted())\n\(dump)")
            XCTAssertTrue(flagged.filter { $0.hasPrefix("fan") || $0.hasPrefix("reg") }.isEmpty, "seed \(seed): fans: \(flagged.filter { $0.hasPrefix("fan") || $0.hasPrefix("reg") }.sorted())\n\(dump)")
            // Without the room test the crew is not found.
            var plain = ClickFarmDetector()
            plain.roomCrews = false
            XCTAssertTrue(try plain.run(t, cancel: CancelToken()).accounts(t).filter { $0.hasPrefix("crew") }.isEmpty, "seed \(seed)")
        }
    }
}
