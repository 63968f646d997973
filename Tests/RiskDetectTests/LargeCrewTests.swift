import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// `crowd_partners` (ContextFeatures.swift) for a crew bigger than the crowds an honest target
/// sees in a quarter hour, that keeps coming back to the same few clients — with the click-farm
/// detector switched off (issue 11's leave-one-detector-out). The crew meets on a third target
/// nearly everyone it meets on two; the fans of several creators, in audiences of a hundred,
/// meet different fans in each room; one flash sale's shoppers browse its items together once.
final class LargeCrewTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    struct World { var s: Scenario; var buyers: [String] = []; var fans: [String] = []; var shoppers: [String] = []; var farm: [String] = [] }

    /// 6 client shops with 6 items each and 500 ordinary buyers; 4 creators with 10 evening
    /// shows each and 400 fans following two or three of them (about half of the shows each,
    /// arriving within minutes of the start: a hundred or so a show); a flash sale of 8 items
    /// on one evening, browsed by 300 shoppers in 20 minutes; and a farm of 100 accounts on
    /// their own phones, each living an ordinary life and joining 50–80 % of 12 jobs on 4 of
    /// the clients (3 jobs each, 3–12 minutes: the client's page and one of its items), some
    /// 65 accounts a job. Every life visits the shops' pages on most of its active days, and
    /// lives range from quiet to busy: what a member adds in jobs is within honest volume.
    /// `join` and `jobMinutes`: each member's share of the jobs is drawn from `join`, each job
    /// lasts a number of minutes drawn from `jobMinutes` (CrewCompanyTests thins the crew out).
    static func world(seed: UInt64, join: ClosedRange<Double> = 0.5...0.8, jobMinutes: ClosedRange<Int> = 3...12) -> World {
        let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute
        var rng = SeededRandom(seed &* 7_919 &+ 29)
        var w = World(s: Scenario(seed: seed))
        let s = w.s
        let clients = (0..<6).map { s.account("client\($0)", kind: "seller") }
        var pool: [(String, String)] = []
        for (k, c) in clients.enumerated() { for j in 0..<6 { pool.append((s.item("it\(k)-\(j)", seller: c), c)) } }
        // Lives of every kind of busyness, with visits to the shops' pages: a crew member's
        // job visits are within what a busy honest customer does.
        func life(_ a: String, device: String, ip: String) {
            let busy = 0.1 + 0.5 * rng.unit()
            for d in 0..<28 where rng.chance(busy) {
                if rng.chance(0.8) {
                    s.event(a, "profile_view", at: Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000,
                            ["target_id": clients[rng.int(0...5)], "device_id": device, "ip": ip])
                }
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                for _ in 0..<rng.int(2...5) {
                    let (item, seller) = pool[rng.int(0...(pool.count - 1))]
                    s.event(a, "view", at: at, ["item_id": item, "seller_id": seller, "device_id": device, "ip": ip])
                    at += Int64(1000 * (5 + rng.exponential(60)))
                }
            }
            if rng.chance(0.2) {
                s.event(a, "follow", at: Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(8...22)) * hour,
                        ["target_id": clients[rng.int(0...5)], "device_id": device, "ip": ip])
            }
        }
        for b in 0..<500 {
            let a = s.account("b\(b)")
            w.buyers.append(a)
            life(a, device: "phone-\(a)", ip: "10.1.\(b / 250).\(b % 250)")
        }
        let creators = (0..<4).map { s.account("creator\($0)", kind: "creator") }
        let shows = Scenario.eveningShows(creators.count)
        for k in 0..<400 {
            let a = s.fan(k, of: creators, shows: shows, ip: "10.2.\(k / 250).\(k % 250)", rng: &rng)
            w.fans.append(a)
            life(a, device: "fd\(k)", ip: "10.2.\(k / 250).\(k % 250)")
        }
        let brand = s.account("brand", kind: "seller")
        let sale = (0..<8).map { s.item("sale\($0)", seller: brand) }
        let opening = Scenario.t0 + 14 * day + 20 * hour
        for k in 0..<300 {
            let a = s.account("shopper\(k)")
            w.shoppers.append(a)
            var at = opening + Int64(rng.int(0...600)) * 1000
            for item in sale.shuffled(using: &rng).prefix(rng.int(3...6)) {
                s.event(a, "view", at: at, ["item_id": item, "seller_id": brand, "device_id": "sp\(k)", "ip": "10.4.\(k / 250).\(k % 250)"])
                at += Int64(rng.int(20...120)) * 1000
            }
            life(a, device: "sp\(k)", ip: "10.4.\(k / 250).\(k % 250)")
        }
        for f in 0..<100 { let a = s.account("farm\(f)"); w.farm.append(a); life(a, device: "own\(f)", ip: "10.3.0.\(f)") }
        let join = (0..<100).map { _ in join.lowerBound + (join.upperBound - join.lowerBound) * rng.unit() }
        for j in 0..<12 {
            let client = j % 4
            let start = Scenario.t0 + Int64(1 + (j * 26) / 12) * day + Int64(rng.int(9...14)) * hour + Int64(rng.int(0...3_000)) * 1000
            let spread = Double(rng.int(jobMinutes)) * Double(minute)
            let (item, seller) = pool[client * 6 + j % 6]
            for (f, a) in w.farm.enumerated() where rng.chance(join[f]) {
                let at = start + Int64(rng.unit() * spread)
                let fields: [String: Any] = ["device_id": "own\(f)", "ip": "10.3.0.\(f)"]
                s.event(a, "profile_view", at: at, fields.merging(["target_id": clients[client]]) { $1 })
                s.event(a, "view", at: at + Int64(rng.int(5...60)) * 1000, fields.merging(["item_id": item, "seller_id": seller]) { $1 })
            }
        }
        return w
    }

    func testACrewOfAHundredAtItsClientsAgainMeetsItsMatesFansAndShoppersDoNot() throws {
        try forEachSeed { seed in
            let w = Self.world(seed: seed)
            let (_, t) = try w.s.build()
            let x = ContextFeatures.compute(t)
            let k = ContextFeatures.names.firstIndex(of: "crowd_partners")!, width = ContextFeatures.names.count
            func partners(_ id: String) -> Double { expm1(Double(x[Int(t.accounts.lookup(id)!) * width + k])) }
            let honest = (w.buyers + w.fans + w.shoppers).map(partners).sorted()
            let top = honest[honest.count * 99 / 100]
            let farm = w.farm.map(partners).sorted()
            // Nearly every member above the honest 99th percentile, by a margin.
            XCTAssertGreaterThanOrEqual(w.farm.filter { partners($0) > max(4 * top, 10) }.count, 90,
                                        "farm \(farm.prefix(12)); honest 99th percentile \(top)")
            // No fan or shopper comes near the farm's lowest decile.
            let low = farm[farm.count / 10]
            XCTAssertLessThan(honest.last!, low / 2, "fans \(w.fans.map(partners).max()!), shoppers \(w.shoppers.map(partners).max()!)")
        }
    }

    func testWithTheClickFarmDetectorOffALargeCrewRanksAboveTheAudienceAndTheSale() throws {
        try forEachSeed { seed in
            let w = Self.world(seed: seed)
            let (store, _) = try w.s.build()
            let (m, why) = try scores(store, without: "click_farm")
            let honest = (w.buyers + w.fans + w.shoppers).map { m[$0]! }.sorted()
            let p95 = honest[honest.count * 95 / 100]
            let farm = w.farm.sorted { m[$0]! < m[$1]! }
            let above = farm.filter { m[$0]! > p95 }
            XCTAssertGreaterThanOrEqual(above.count, 70, "farm above the honest 95th percentile: \(above.count) of 100; lowest \(farm[0]): \(why[farm[0]] ?? "")")
            // The live audience and the sale's shoppers stay below the farm's median member, but
            // for one in ten (fans are unusual buyers in their own right: live views, old follows).
            let farmMedian = m[farm[farm.count / 2]]!
            for (name, group) in [("fans", w.fans), ("shoppers", w.shoppers)] {
                let over = group.filter { m[$0]! > farmMedian }
                XCTAssertLessThanOrEqual(over.count, group.count / 10, "\(name) above the farm's median: \(over.prefix(5).map { "\($0): \(why[$0] ?? "")" })")
            }
        }
    }
}
