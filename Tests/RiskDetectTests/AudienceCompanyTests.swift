import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// `audience-company` (AudienceCompany.swift): a crowd gathered for one target, judged without
/// itself. A crew hired to fill one small creator's live room, each visit from a fresh address, is a
/// large part of the newcomers of its activity, so its habit is half-ordinary in its own peer band;
/// judged against the band without the room's audience it is as unusual as it is. The room's real
/// viewers, the shows' fans and the store's mobile shoppers (many addresses, no crowd) keep their own
/// surprise.
final class AudienceCompanyTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    struct World { var s: Scenario; var buyers: [String] = []; var newcomers: [String] = []; var fans: [String] = []
                   var viewers: [String] = []; var casual: [String] = []; var regulars: [String] = []; var cozy: [String] = []
                   var crew: [String] = [] }

    /// 20 shops' items browsed by 300 long-time buyers and 240 newcomers (a fifth of each on mobile
    /// networks: a new address most days); 4 creators' evening shows and 120 fans; a small creator
    /// whose room 25 of the buyers visit once or twice; and, with `crew`, 30 newcomers who each join
    /// 50–90 % of 14 jobs on that room (a few minutes after the job's start, a fresh address each
    /// time, on their own phone) and browse a little.
    func world(seed: UInt64, crew: Bool) -> World {
        var rng = SeededRandom(seed &* 7_717 &+ 29)
        var w = World(s: Scenario(seed: seed))
        let s = w.s
        var pool: [(String, String)] = []
        for k in 0..<20 { let c = s.account("shop\(k)", kind: "seller"); for j in 0..<6 { pool.append((s.item("it\(k)-\(j)", seller: c), c)) } }
        let creators = (0..<4).map { s.account("creator\($0)", kind: "creator") }
        let small = s.account("small", kind: "creator")
        var fresh = 0
        func address(_ base: String, mobile: Bool) -> String {
            guard mobile else { return base }
            fresh += 1
            return "100.\(64 + fresh / 62_000).\(fresh / 250 % 250).\(fresh % 250)"
        }
        func life(_ a: String, from d0: Int, device: String, ip: String, mobile: Bool, keen: Double) {
            for d in d0..<28 where rng.chance(keen) {
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                let here = address(ip, mobile: mobile)
                for _ in 0..<rng.int(2...5) {
                    let (item, seller) = pool[rng.int(0...(pool.count - 1))]
                    s.event(a, "view", at: at, ["item_id": item, "seller_id": seller, "device_id": device, "ip": here])
                    at += Int64(1000 * (5 + rng.exponential(60)))
                }
            }
        }
        for b in 0..<300 {
            let a = s.account("b\(b)")
            w.buyers.append(a)
            life(a, from: 0, device: "phone-\(a)", ip: "10.1.\(b / 250).\(b % 250)", mobile: b % 5 == 0, keen: 0.3)
        }
        for b in 0..<240 {
            let d0 = rng.int(0...20)
            let a = s.account("n\(b)", created: Scenario.t0 + Int64(d0) * day)
            w.newcomers.append(a)
            s.event(a, "signup", at: Scenario.t0 + Int64(d0) * day + 1000, ["device_id": "phone-\(a)", "ip": "10.4.\(b / 250).\(b % 250)"])
            life(a, from: d0, device: "phone-\(a)", ip: "10.4.\(b / 250).\(b % 250)", mobile: b % 5 == 0, keen: 0.5)
        }
        let shows = Scenario.eveningShows(creators.count)
        for k in 0..<120 {
            let a = s.fan(k, of: creators, shows: shows, ip: "10.2.0.\(k)", rng: &rng)
            w.fans.append(a)
            life(a, from: 0, device: "fd\(k)", ip: "10.2.0.\(k)", mobile: false, keen: 0.2)
        }
        // Newcomers of the crew's own activity on the small room too: ten on mobile networks who looked
        // in once or twice among their shopping, eight who watch it most evenings from home.
        for k in 0..<10 {
            let a = w.newcomers[k * 5]   // n0, n5, …: mobile
            w.casual.append(a)
            for _ in 0..<rng.int(1...2) {
                s.event(a, "live_view", at: Scenario.t0 + Int64(rng.int(21...27)) * day + Int64(rng.int(18...22)) * hour,
                        ["target_id": small, "device_id": "phone-\(a)", "ip": address("", mobile: true)])
            }
        }
        for k in 0..<8 {
            let a = w.newcomers[k * 5 + 1]
            w.regulars.append(a)
            for d in 21..<28 where rng.chance(0.8) {
                for _ in 0..<rng.int(2...4) {
                    s.event(a, "live_view", at: Scenario.t0 + Int64(d) * day + Int64(rng.int(18...22)) * hour + Int64(rng.int(0...3_599)) * 1000,
                            ["target_id": small, "device_id": "phone-\(a)", "ip": "10.4.\((k * 5 + 1) / 250).\((k * 5 + 1) % 250)"])
                }
            }
        }
        // A cozy room of forty regulars, a fifth of them on mobile networks like the store.
        let cozy = s.account("cozy", kind: "creator")
        for k in 0..<40 {
            let a = s.account("cz\(k)")
            w.cozy.append(a)
            for d in 0..<28 where rng.chance(0.3) {
                for _ in 0..<rng.int(1...3) {
                    s.event(a, "live_view", at: Scenario.t0 + Int64(d) * day + Int64(rng.int(18...22)) * hour + Int64(rng.int(0...3_599)) * 1000,
                            ["target_id": cozy, "device_id": "phone-\(a)", "ip": address("10.5.0.\(k)", mobile: k % 5 == 0)])
                }
            }
            life(a, from: 0, device: "phone-\(a)", ip: "10.5.0.\(k)", mobile: k % 5 == 0, keen: 0.2)
        }
        for k in 0..<25 {
            let a = w.buyers[k * 12]
            w.viewers.append(a)
            for _ in 0..<rng.int(1...2) {
                s.event(a, "live_view", at: Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(18...22)) * hour,
                        ["target_id": small, "device_id": "phone-\(a)", "ip": "10.1.\(k * 12 / 250).\(k * 12 % 250)"])
            }
        }
        if crew {
            for f in 0..<30 {
                let d0 = rng.int(0...3)
                let a = s.account("crew\(f)", created: Scenario.t0 + Int64(d0) * day)
                w.crew.append(a)
                s.event(a, "signup", at: Scenario.t0 + Int64(d0) * day + 2000, ["device_id": "cp\(f)", "ip": address("", mobile: true)])
                life(a, from: d0 + 1, device: "cp\(f)", ip: "", mobile: true, keen: 0.08)
            }
            let join = (0..<30).map { _ in 0.5 + 0.4 * rng.unit() }
            for j in 0..<14 {
                let start = Scenario.t0 + Int64(4 + 2 * j) * day / 2 + Int64(rng.int(9...20)) * hour
                for (f, a) in w.crew.enumerated() where rng.chance(join[f]) {
                    s.event(a, "live_view", at: start + Int64(rng.unit() * 6 * Double(minute)),
                            ["target_id": small, "device_id": "cp\(f)", "ip": address("", mobile: true)])
                }
            }
        }
        return w
    }

    /// With the click-farm detector off (leave-one-detector-out), the crew is in the store's top 5 %
    /// with the sign, and mostly not without it; nobody honest is judged again.
    func testAOneRoomCrewIsJudgedWithoutItselfTheRoomsViewersAndFansAreNot() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, crew: true)
            let (store, t) = try w.s.build()
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let on = Anomaly.compute(t), off = Anomaly.compute(t, audienceCompany: false)
            let r = try XCTUnwrap(on.audience)
            let raised = Set(r.raised.map { $0.account })
            let honest = w.buyers + w.newcomers + w.fans + w.cozy
            XCTAssertEqual(honest.filter { raised.contains(index($0)) }, [], "honest accounts judged again")
            // The crew's room passes in distinct IPs; the cozy room (its regulars no more mobile than the
            // store) passes in nothing.
            let target: (String) -> Int64 = { Int64(t.items.count) + Int64(index($0)) }
            let ips = on.names.firstIndex(of: "distinct_ips")!
            let passed = r.passed.map { (target: $0.target, feature: $0.column) }
            XCTAssertTrue(passed.contains { $0.target == target("small") && $0.feature == ips }, "the crew's room passes in distinct IPs")
            XCTAssertFalse(passed.contains { $0.target == target("cozy") }, "the cozy room passes: \(passed.filter { $0.target == target("cozy") })")
            for a in w.casual + w.regulars { XCTAssertEqual(r.decades[index(a)], 0, "\(a) is not judged again") }
            // Judged again where it matters: a member at the top of its band already keeps its surprise.
            XCTAssertGreaterThanOrEqual(w.crew.filter { raised.contains(index($0)) }.count, w.crew.count / 2, "crew members judged again")
            for a in w.viewers { XCTAssertEqual(r.decades[index(a)], 0, "\(a) watched the room among its shopping: no own target") }
            let crewOn = w.crew.filter { on.rank[index($0)] >= 0.95 }.count, crewOff = w.crew.filter { off.rank[index($0)] >= 0.95 }.count
            XCTAssertGreaterThan(crewOn, crewOff)
            for a in w.crew where raised.contains(index(a)) {
                let why = on.explanation(index(a), t) ?? ""
                XCTAssertTrue(why.contains("judged without the crowd on the target it acts on most"), why)
                XCTAssertTrue(why.contains("distinct ips judged without"), "the column is named: \(why)")
                XCTAssertFalse(why.contains("small"), "the target is not named: \(why)")
            }

            let (score, why) = try scores(store, without: "click_farm")
            let ordered = score.values.sorted(by: >)
            let cut = ordered[max(0, ordered.count / 20 - 1)]
            let inTop = w.crew.filter { score[$0]! >= cut }
            XCTAssertGreaterThanOrEqual(inTop.count, w.crew.count / 2 + 1,
                                        w.crew.filter { score[$0]! < cut }.prefix(3).map { "\($0) \(score[$0]!): \(why[$0] ?? "")" }.joined(separator: " | "))
            let engine = DetectionEngine(rulesDirectory: nil)
            try engine.disable(["click_farm"])
            try engine.disableSigns(["audience-company"])
            _ = try engine.run(store: store)
            var offScore: [String: Double] = [:]
            for row in try store.storedScores() { offScore[row.account] = row.score }
            let offCut = offScore.values.sorted(by: >)[max(0, offScore.count / 20 - 1)]
            XCTAssertLessThan(w.crew.filter { offScore[$0]! >= offCut }.count, inTop.count, "the sign is what lifts the crew")
            XCTAssertLessThanOrEqual(w.viewers.filter { score[$0]! >= cut }.count, w.viewers.filter { offScore[$0]! >= offCut }.count + 1,
                                     "the room's real viewers do not rise with the crew")
        }
    }

    /// Without a crew, nobody is judged again: the layer's ranks and units are exactly as with the sign off.
    func testWithoutACrewTheLayerIsExactlyAsWithoutTheSign() throws {
        try forEachSeed { seed in
            let (_, t) = try world(seed: seed, crew: false).s.build()
            let on = Anomaly.compute(t), off = Anomaly.compute(t, audienceCompany: false)
            XCTAssertEqual(on.audience?.raised.count, 0)
            XCTAssertEqual(on.rank, off.rank)
            XCTAssertEqual(on.units, off.units)
        }
    }
}
