import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer's `crowd_partners` (ContextFeatures.swift) and what it does to the queue
/// with the click-farm detector switched off (issue 11's leave-one-detector-out): a farm whose
/// members descend together on one quiet client page after another rises above its honest
/// peers; the fans of several creators, who arrive together whenever a live show starts and
/// meet show after show, stay far below it.
final class CrowdPartnersTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    struct World { var s: Scenario; var buyers: [String] = []; var fans: [String] = []; var farm: [String] = [] }

    /// 10 client shops with 8 items each, browsed by 300 ordinary buyers; 4 creators with 10
    /// evening shows each, 160 fans following two or three of them (a follow on some day of
    /// the past, then about half of the shows, arriving within minutes of the start — a few
    /// dozen a show); and, with `farm`, 16 accounts on their own phones and home IPs who each
    /// live an ordinary life and join 55–90 % of 12 jobs, each job 3–12 minutes on one client
    /// (a follow, a profile view or a view of its item).
    func world(seed: UInt64, farm: Bool) -> World {
        var rng = SeededRandom(seed &* 6_661 &+ 17)
        var w = World(s: Scenario(seed: seed))
        let s = w.s
        let clients = (0..<10).map { s.account("client\($0)", kind: "seller") }
        var pool: [(String, String)] = []
        for (k, c) in clients.enumerated() { for j in 0..<8 { pool.append((s.item("it\(k)-\(j)", seller: c), c)) } }
        let creators = (0..<4).map { s.account("creator\($0)", kind: "creator") }
        func life(_ a: String, device: String, ip: String) {
            for d in 0..<28 where rng.chance(0.3) {
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                for _ in 0..<rng.int(2...5) {
                    let (item, seller) = pool[rng.int(0...(pool.count - 1))]
                    s.event(a, "view", at: at, ["item_id": item, "seller_id": seller, "device_id": device, "ip": ip])
                    at += Int64(1000 * (5 + rng.exponential(60)))
                }
            }
            if rng.chance(0.3) {
                let (item, seller) = pool[rng.int(0...(pool.count - 1))]
                s.order(a, item: item, seller: seller, at: Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(9...21)) * hour,
                        device: device, address: "home-\(a)", payment: "card-\(a)", ip: ip)
            }
            if rng.chance(0.2) {
                s.event(a, "follow", at: Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(8...22)) * hour,
                        ["target_id": clients[rng.int(0...9)], "device_id": device, "ip": ip])
            }
        }
        for b in 0..<300 {
            let a = s.account("b\(b)")
            w.buyers.append(a)
            life(a, device: "phone-\(a)", ip: "10.1.\(b / 250).\(b % 250)")
        }
        let shows = Scenario.eveningShows(creators.count)
        for k in 0..<160 {
            let a = s.fan(k, of: creators, shows: shows, ip: "10.2.0.\(k)", rng: &rng)
            w.fans.append(a)
            life(a, device: "fd\(k)", ip: "10.2.0.\(k)")
        }
        if farm {
            for f in 0..<16 { let a = s.account("farm\(f)"); w.farm.append(a); life(a, device: "own\(f)", ip: "10.3.0.\(f)") }
            let join = (0..<16).map { _ in 0.55 + 0.35 * rng.unit() }
            for j in 0..<12 {
                let client = j % 10
                let start = Scenario.t0 + Int64(1 + j * 2) * day + Int64(rng.int(9...14)) * hour + Int64(rng.int(0...3_000)) * 1000
                let spread = Double(rng.int(3...12)) * Double(minute)
                for (f, a) in w.farm.enumerated() where rng.chance(join[f]) {
                    let at = start + Int64(rng.unit() * spread)
                    let fields: [String: Any] = ["device_id": "own\(f)", "ip": "10.3.0.\(f)"]
                    switch j % 3 {
                    case 0: s.event(a, "follow", at: at, fields.merging(["target_id": clients[client]]) { $1 })
                    case 1: s.event(a, "profile_view", at: at, fields.merging(["target_id": clients[client]]) { $1 })
                    default: s.event(a, "view", at: at, fields.merging(["item_id": "it\(client)-0", "seller_id": clients[client]]) { $1 })
                    }
                }
            }
        }
        return w
    }

    func testAFarmMeetsItsMatesInBurstsOnNewTargetsFansMeetTheirsInTheSameRooms() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, farm: true)
            let (_, t) = try w.s.build()
            let x = ContextFeatures.compute(t)
            let k = ContextFeatures.names.firstIndex(of: "crowd_partners")!, width = ContextFeatures.names.count
            func partners(_ id: String) -> Double { expm1(Double(x[Int(t.accounts.lookup(id)!) * width + k])) }
            // Most of the farm met several mates in bursts on three or more clients.
            let met = w.farm.filter { partners($0) >= 3 - 1e-3 }
            XCTAssertGreaterThanOrEqual(met.count, 12, "farm: \(w.farm.map { partners($0) })")
            // Fans meet in the rooms, show after show: not a crew moving on. The few fans met on
            // three rooms are a small share of the fans met on two: none comes near the farm.
            let farmQ1 = w.farm.map(partners).sorted()[w.farm.count / 4]
            let fans = w.fans.filter { partners($0) >= farmQ1 / 2 }
            XCTAssertLessThanOrEqual(fans.count, w.fans.count / 20,
                                     "fans at half the farm's lower quartile (\(farmQ1)) or more: \(fans.prefix(10).map { ($0, partners($0)) }); fans' largest \(w.fans.map(partners).max()!)")
            for a in w.buyers { XCTAssertEqual(partners(a), 0, accuracy: 1e-3, a) }
        }
    }

    func testWithTheClickFarmDetectorOffAFarmRanksAboveItsHonestPeersAndTheLiveAudienceDoesNot() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, farm: true)
            let (store, _) = try w.s.build()
            let (m, why) = try scores(store, without: "click_farm")
            let honest = (w.buyers + w.fans).map { m[$0]! }.sorted()
            let p95 = honest[honest.count * 95 / 100]
            let farm = w.farm.sorted { m[$0]! < m[$1]! }
            let above = farm.filter { m[$0]! > p95 }
            XCTAssertGreaterThanOrEqual(above.count, 12, "farm above the honest 95th percentile: \(above.count) of 16; lowest \(farm[0]): \(why[farm[0]] ?? "")")
            // The live audience, whose shows are bursts on its creators' rooms too, stays below
            // the farm: no more than one fan in twenty above the farm's median member.
            let fans = w.fans.map { m[$0]! }.sorted()
            let farmMedian = m[farm[farm.count / 2]]!
            XCTAssertLessThan(fans[fans.count * 9 / 10], farmMedian)
            XCTAssertLessThanOrEqual(w.fans.filter { m[$0]! > farmMedian }.count, w.fans.count / 20)
        }
    }
}

extension Scenario {
    /// Ten evening shows per creator, on every other day from the creator's first.
    static func eveningShows(_ creators: Int) -> [[Int64]] {
        (0..<creators).map { c -> [Int64] in
            (0..<10).map { k -> Int64 in
                let d = Int64(c + 2 * k + 1), h = Int64(18 + (c + k) % 4)
                return t0 + d * day + h * hour
            }
        }
    }

    /// Fan `k` (device `fd<k>`) of two or three of `creators` (by k's parity): a follow on some
    /// day of the past, then a share (30–70 %) of their shows, arriving within minutes of the start.
    func fan(_ k: Int, of creators: [String], shows: [[Int64]], ip: String, rng: inout SeededRandom) -> String {
        let a = account("fan\(k)")
        var mine = Set<Int>()
        while mine.count < 2 + (k % 2) { mine.insert(rng.int(0...(creators.count - 1))) }
        let keen = 0.3 + 0.4 * rng.unit()
        for c in mine.sorted() {
            event(a, "follow", at: Scenario.t0 - Int64(rng.int(1...90)) * Scenario.day + Int64(rng.int(0...80_000)) * 1000,
                  ["target_id": creators[c], "device_id": "fd\(k)", "ip": ip])
            for start in shows[c] where rng.chance(keen) {
                event(a, "live_view", at: start + Int64(rng.exponential(6) * Double(Scenario.minute)),
                      ["target_id": creators[c], "device_id": "fd\(k)", "ip": ip])
            }
        }
        return a
    }
}

extension XCTestCase {
    /// Runs detection with `detector` switched off: each account's score and reasons.
    func scores(_ store: Store, without detector: String) throws -> (score: [String: Double], why: [String: String]) {
        let engine = DetectionEngine(rulesDirectory: nil)
        try engine.disable([detector])
        _ = try engine.run(store: store)
        var m: [String: Double] = [:], why: [String: String] = [:]
        for r in try store.storedScores() { m[r.account] = r.score; why[r.account] = r.reasons.joined(separator: "; ") }
        return (m, why)
    }
}
