import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The worst cases of the unseen random worlds, built by hand: a click-farm whose members each
/// join only one or two jobs (too few for any pair to stand out) but work from a handful of
/// shared phones; households that share a phone too; and, with the takeover detector off, a
/// stolen password used from a fresh device next to travellers, VPN users and power users.
final class EquipmentFarmTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func browse(_ s: Scenario, _ a: String, _ rng: inout SeededRandom, device: String, items: Int, perWeek: Int = 3) {
        PhoneFarms.browse(s, a, &rng, device: device, items: items, perWeek: perWeek)
    }

    func testAFarmWhoseMembersJoinFewJobsIsFoundThroughItsPhonesHouseholdsAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 700)
            let s = Scenario(seed: seed)
            let items = 600
            let clients = PhoneFarms.catalogue(s, items: items)
            for k in 0..<300 { let a = s.account("u\(k)"); browse(s, a, &rng, device: "ud\(k)", items: items) }
            // Households: four people on one tablet, each browsing on their own; now and then
            // two of them look at the same thing the same day.
            for h in 0..<10 {
                let members = (0..<4).map { s.account("hh\(h)-\($0)") }
                for a in members { browse(s, a, &rng, device: "tablet\(h)", items: items) }
                for _ in 0..<2 {
                    let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(9...21)) * hour
                    let item = "p\(rng.int(0...(items - 1)))"
                    for a in members.prefix(2) { s.event(a, "view", at: at + Int64(rng.int(0...3_600)) * 1000, ["item_id": item, "device_id": "tablet\(h)"]) }
                }
            }
            // The farm: 24 accounts on 4 phones, 12 jobs (a client's item, a follow, a live
            // room), each member joining a job with probability 0.3 — a pair of members meets
            // about once, as often as chance would have two strangers meet.
            var jobs: [(client: String, start: Int64, kind: Int)] = []
            for j in 0..<12 { jobs.append((clients[j % 8], Scenario.t0 + Int64(1 + j * 2) * day + Int64(rng.int(9...18)) * hour, j % 3)) }
            var farm: [String] = []
            for f in 0..<24 {
                let a = s.account("farm\(f)")
                farm.append(a)
                let phone = "fphone\(f % 4)"
                browse(s, a, &rng, device: phone, items: items, perWeek: 1)
                for (c, start, kind) in jobs where rng.chance(0.3) {
                    let at = start + Int64(rng.unit() * 90 * Double(minute))
                    switch kind {
                    case 0: s.event(a, "live_view", at: at, ["target_id": c, "device_id": phone])
                    case 1: s.event(a, "follow", at: at, ["target_id": c, "device_id": phone])
                    default: s.event(a, "view", at: at, ["item_id": "item-\(c)", "seller_id": c, "device_id": phone])
                    }
                }
            }
            let (f, t) = try s.run(ClickFarmDetector())
            let flagged = f.accounts(t)
            let found = flagged.filter { $0.hasPrefix("farm") }.count
            XCTAssertGreaterThanOrEqual(found, 15, "farm members found: \(flagged.sorted())")
            XCTAssertTrue(flagged.filter { $0.hasPrefix("hh") || $0.hasPrefix("u") }.isEmpty, "households and people: \(flagged.sorted())")
            // Without the equipment test, the same farm is (mostly) invisible to pair lockstep.
            var pairOnly = ClickFarmDetector()
            pairOnly.equipmentGroups = false
            let f2 = try pairOnly.run(t, cancel: CancelToken())
            XCTAssertLessThan(f2.accounts(t).filter { $0.hasPrefix("farm") }.count, found, "the equipment test adds members")
        }
    }

    /// With the takeover detector switched off, the anomaly layer alone puts a stolen password
    /// used from a fresh device (address change, expensive orders) in the store's top 5 %,
    /// above travellers who take their phone abroad and VPN users who appear in another
    /// country every day; power users who order a lot from three devices are unusual for their
    /// volume, but not for a fresh device.
    func testAFreshDeviceTakeoverStandsOutInTheAnomalyLayerTravellersAndVPNUsersDoNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 800)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            func routine(_ a: String, device: String, country: (Int) -> String = { _ in "TH" }, days: Range<Int> = 0..<28,
                         orders: Double = 0.25, devices: [String]? = nil) {
                for d in days where rng.chance(0.7) {
                    let dev = devices.map { $0[rng.int(0...($0.count - 1))] } ?? device
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...20)) * hour + Int64(rng.int(0...3_599)) * 1000
                    s.event(a, "login", at: at, ["device_id": dev, "country": country(d), "status": "ok", "ip": "10.\(a.count).\(d).1"])
                    s.event(a, "view", at: at + minute, ["item_id": rng.chance(0.2) ? "tv" : "socks", "seller_id": "shop", "device_id": dev])
                    if rng.chance(orders) {
                        s.order(a, item: "socks", seller: "shop", at: at + 5 * minute, device: dev, address: "\(a)-home",
                                payment: "\(a)-card", amount: 8 + Double(rng.int(0...20)))
                    }
                }
            }
            for k in 0..<300 { routine(s.account("p\(k)"), device: "p\(k)-phone") }
            var lookalikes: [String] = []
            for k in 0..<10 {   // travellers: their own phone, a week abroad, shopping there
                let a = s.account("trav\(k)"); lookalikes.append(a)
                let away = rng.int(5...18)
                routine(a, device: "trav\(k)-phone", country: { (away..<(away + 7)).contains($0) ? "JP" : "TH" }, orders: 0.5)
            }
            for k in 0..<10 {   // VPN users: a different exit country every day
                let a = s.account("vpn\(k)"); lookalikes.append(a)
                routine(a, device: "vpn\(k)-laptop", country: { ["US", "DE", "NL", "SG", "JP"][$0 % 5] })
            }
            for k in 0..<10 {   // power users: three devices, orders most days
                let a = s.account("pwr\(k)"); lookalikes.append(a)
                routine(a, device: "", orders: 0.9, devices: ["pwr\(k)-phone", "pwr\(k)-laptop", "pwr\(k)-tablet"])
            }
            var victims: [String] = []
            for k in 0..<3 {    // no reset, no failed login: the password simply works
                let a = s.account("victim\(k)"); victims.append(a)
                routine(a, device: "victim\(k)-phone")
                let at = Scenario.t0 + Int64(rng.int(12...24)) * day + Int64(rng.int(1...5)) * hour
                s.event(a, "login", at: at, ["device_id": "thief\(k)", "country": "RU", "status": "ok", "ip": "198.51.100.\(k)"])
                s.event(a, "address_change", at: at + 6 * minute, ["device_id": "thief\(k)", "address_id": "drop\(k)"])
                for j in 0..<2 {
                    s.order(a, item: "tv", seller: "shop", at: at + Int64(15 + 20 * j) * minute, device: "thief\(k)",
                            address: "drop\(k)", payment: "stolen\(k)", amount: 640)
                }
            }
            let (_, t) = try s.build()
            let anomaly = Anomaly.compute(t)
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let rank: (String) -> Double = { anomaly.rank[index($0)] }
            let fresh = anomaly.names.firstIndex(of: "new_device_sensitive")!
            let freshValue: (String) -> Float = { anomaly.x[index($0) * anomaly.d + fresh] }
            for v in victims {
                let why = anomaly.explanation(index(v), t) ?? "no explanation"
                XCTAssertGreaterThanOrEqual(rank(v), 0.95, "\(v): \(why)")
                XCTAssertTrue(why.contains("fresh device"), why)
            }
            // Travellers and VPN users are not unusual at all next to a takeover.
            let lowestVictim = victims.map(rank).min()!
            let above = lookalikes.filter { !$0.hasPrefix("pwr") && rank($0) >= lowestVictim }
            XCTAssertTrue(above.isEmpty, "travellers / VPN users ranked at or above a victim (\(lowestVictim)): \(above.map { "\($0) \(rank($0))" })")
            // Power users are unusual for their volume (that is the layer's job), but their
            // devices are not "fresh": a rarely used tablet at home weighs less than a
            // stranger's device abroad; travellers and VPN users have none.
            let lowestFresh = victims.map(freshValue).min()!
            for a in lookalikes {
                if a.hasPrefix("pwr") { XCTAssertLessThan(freshValue(a), lowestFresh, a) } else { XCTAssertEqual(freshValue(a), 0, a) }
            }
        }
    }
}
