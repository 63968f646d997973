import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer's company term (Scoring.swift, `Anomaly.company`): a crew whose members
/// each joined only a third to a half of its jobs, spread over half an hour, is judged member by
/// member thinly (a few partners each, little else unusual), yet the accounts each member keeps
/// meeting in bursts are unusual too. With the click-farm detector off (issue 11's
/// leave-one-detector-out), the crew must still rank above the honest 95th percentile; the
/// fans of several creators — who meet fellow fans in their rooms, ordinary people otherwise —
/// and one flash sale's shoppers must not rise with it. The world is LargeCrewTests' (500
/// buyers, 400 fans in audiences of a hundred, 300 shoppers, a crew of 100 on its own phones at
/// 4 of 6 client shops, 12 jobs), with thinner participation and longer jobs.
final class CrewCompanyTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    struct World { var s: Scenario; var buyers: [String] = []; var fans: [String] = []; var shoppers: [String] = []; var farm: [String] = [] }

    func world(seed: UInt64) -> World {
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
        let join = (0..<100).map { _ in 0.3 + 0.2 * rng.unit() }
        for j in 0..<12 {
            let client = j % 4
            let start = Scenario.t0 + Int64(1 + (j * 26) / 12) * day + Int64(rng.int(9...14)) * hour + Int64(rng.int(0...3_000)) * 1000
            let spread = Double(rng.int(20...40)) * Double(minute)
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

    func testAThinCrewKeepsUnusualCompanyFansAndShoppersDoNot() throws {
        try forEachSeed { seed in
            let w = world(seed: seed)
            let (_, t) = try w.s.build()
            let a = Anomaly.compute(t)
            func company(_ id: String) -> Double { a.company[Int(t.accounts.lookup(id)!)] }
            let farm = w.farm.map(company).sorted()
            let honest = (w.buyers + w.fans + w.shoppers).map(company).sorted()
            // Most members keep unusual company; at most 1 % of honest accounts reach half the
            // crew's median, and none reaches the median.
            XCTAssertGreaterThanOrEqual(farm.filter { $0 >= 1 }.count, 70, "crew's company \(farm.prefix(20))")
            XCTAssertLessThan(honest[honest.count * 99 / 100], farm[farm.count / 2] / 2, "honest company, top: \(honest.suffix(5))")
            XCTAssertLessThan(honest.last!, farm[farm.count / 2], "honest company, top: \(honest.suffix(5))")
        }
    }

    func testWithTheClickFarmDetectorOffAThinCrewRanksAboveTheAudienceAndTheSale() throws {
        try forEachSeed { seed in
            let w = world(seed: seed)
            let (store, _) = try w.s.build()
            let (m, why) = try scores(store, without: "click_farm")
            let honest = (w.buyers + w.fans + w.shoppers).map { m[$0]! }.sorted()
            let p95 = honest[honest.count * 95 / 100]
            let farm = w.farm.sorted { m[$0]! < m[$1]! }
            let above = farm.filter { m[$0]! > p95 }
            XCTAssertGreaterThanOrEqual(above.count, 70, "crew above the honest 95th percentile: \(above.count) of 100; lowest \(farm[0]): \(why[farm[0]] ?? "")")
            let farmMedian = m[farm[farm.count / 2]]!
            for (name, group) in [("fans", w.fans), ("shoppers", w.shoppers)] {
                let over = group.filter { m[$0]! > farmMedian }
                XCTAssertLessThanOrEqual(over.count, group.count / 20, "\(name) above the crew's median: \(over.prefix(5).map { "\($0): \(why[$0] ?? "")" })")
            }
        }
    }
}
