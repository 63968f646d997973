import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// farm42 (`roomTimetable`): a room with no owner event — a show streamed from software, a room
/// whose regulars come at its hours — gathers the same accounts at the same hours on every day it
/// is live. To the owner-away lockstep test (`ownerAwayFarms`) that is a one-target crew in a room
/// whose owner is always away. What tells it from a farm is the room's own timetable: a regular's
/// visits find company at the same hours (give or take an hour) on the room's other live days, a
/// farm's bursts at hours of their own do not. Each scenario is a store around the rooms: four
/// creators who log in before their shows and 300 fans, so the store's room crowds gather with
/// their owner there. (The creators' fans are not this test's: on some seeds a group of them is
/// reported as a farm on two creators whatever the rooms below do.)
final class RoomTimetableTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// The detector with the room's timetable on (off by default, farm42; set here so the
    /// tests hold whatever the default).
    func timetabled(_ log: DebugLines? = nil) -> ClickFarmDetector {
        var d = log.map { l in ClickFarmDetector(debugLog: { l.append($0) }) } ?? ClickFarmDetector()
        d.roomTimetable = true
        return d
    }

    /// The store around the rooms, the regulars of an ownerless room (`every` days at `at` h, a
    /// half hour either way), and with `farm` a phone farm of 30 bursting on that room at hours of
    /// its own. Returns the table.
    func store(seed: UInt64, every: Int, at: Int, farm: Bool, weekly: Bool = false) throws -> EventTable {
        var rng = SeededRandom(seed &+ 4242)
        let s = Scenario(seed: seed)
        let creators = (0..<4).map { s.account("creator\($0)", kind: "creator") }
        let shop = s.account("shop", kind: "seller")
        let pool = (0..<200).map { s.item("p\($0)", seller: shop) }
        let shows = s.liveShows(creators, count: 10, hour: { c, k in 18 + (c + k) % 4 }, &rng)
        var homes = 0
        func life(_ a: String, device: String, busy: Double) {
            homes += 1
            s.browse(a, pool: pool, device: device, ip: "10.9.\(homes / 250).\(homes % 250)", busy: busy, hours: 8...22, views: 2...4, gap: 60, &rng)
        }
        // The fans' lives as OwnerAwayFarmTests has them (views on their own device, no network).
        for k in 0..<300 {
            let a = s.liveFan(k, creators: creators, shows: shows, &rng)
            for d in 0..<28 where rng.chance(0.35) {
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_599)) * 1000
                for _ in 0..<rng.int(2...5) {
                    s.event(a, "view", at: at, ["item_id": pool[rng.int(0...199)], "device_id": "fd\(k)"])
                    at += Int64(1000 * (5 + rng.exponential(60)))
                }
            }
        }
        // The ownerless room: an account with no event of its own; 16 regulars, each on its own
        // phone and network, come on its live days at its hour (the start drifts by up to half an
        // hour), three in four each time, arriving over the first minutes; some come back later.
        let room = s.account("room", kind: "creator")
        for r in 0..<16 { _ = s.account("reg\(r)") }
        for d in stride(from: rng.int(0...(every - 1)), to: 28, by: every) {
            let start = Scenario.t0 + Int64(d) * day + Int64(at) * hour + Int64(rng.int(-30...30)) * minute
            for r in 0..<16 where rng.chance(0.75) {
                let t = start + Int64(rng.exponential(Double(rng.int(1...20))) * Double(minute))
                s.event("reg\(r)", "live_view", at: t, ["target_id": room, "device_id": "rg\(r)", "ip": "10.7.\(r).1"])
                if rng.chance(0.2) {
                    s.event("reg\(r)", "live_view", at: t + Int64(rng.int(5...90)) * minute, ["target_id": room, "device_id": "rg\(r)", "ip": "10.7.\(r).1"])
                }
            }
        }
        for r in 0..<16 { life("reg\(r)", device: "rg\(r)", busy: 0.1) }
        if weekly {
            // A weekly show with no creator event: eight families of three or four watching together
            // on their home network every week at one hour (five weeks), and fifteen fans from
            // wherever they are.
            let show = s.account("show", kind: "creator")
            let wd = rng.int(0...1), h = rng.int(18...21)
            var fams: [(String, String, String)] = []   // account, device, ip
            for f in 0..<8 { for m in 0..<(3 + f % 2) { fams.append((s.account("fam\(f)x\(m)"), "fm\(f)x\(m)", "10.8.\(f).1")) } }
            let fans = (0..<15).map { (s.account("sfan\($0)"), "sf\($0)", "10.6.\($0).1") }
            for w in 0..<5 {
                let start = Scenario.t0 + Int64(wd + 7 * w) * day + Int64(h) * hour
                for (a, dv, ip) in fams where rng.chance(0.9) {
                    let t = start + Int64(rng.exponential(4) * Double(minute))
                    s.event(a, "live_view", at: t, ["target_id": show, "device_id": dv, "ip": ip])
                    if rng.chance(0.3) { s.event(a, "live_view", at: t + Int64(rng.int(5...60)) * minute, ["target_id": show, "device_id": dv, "ip": ip]) }
                }
                for (a, dv, ip) in fans where rng.chance(0.4) {
                    s.event(a, "live_view", at: start + Int64(rng.exponential(4) * Double(minute)), ["target_id": show, "device_id": dv, "ip": ip])
                }
            }
            for (a, dv, _) in fams + fans { life(a, device: dv, busy: 0.1) }
        }
        if farm {
            // The farm: 30 phones on a mobile proxy, 16 bursts into the room at hours of their own
            // (not the regulars'), each within 5–30 minutes; a phone joins 50–90 % of them.
            for f in 0..<30 { life(s.account("crew\(f)"), device: "ph\(f)", busy: 0.05) }
            let join = (0..<30).map { _ in 0.5 + 0.4 * rng.unit() }
            for j in 0..<16 {
                var h = rng.int(0...23)
                while abs(h - at) <= 3 { h = rng.int(0...23) }
                let start = Scenario.t0 + Int64(j + j / 2 + rng.int(0...5)) * day + Int64(h) * hour + Int64(rng.int(0...59)) * minute
                let spread = Double(rng.int(5...30)) * Double(minute)
                for f in 0..<30 where rng.chance(join[f]) {
                    s.event("crew\(f)", "live_view", at: start + Int64(rng.unit() * spread), ["target_id": room, "device_id": "ph\(f)", "ip": "172.20.\(rng.int(0...3)).\(rng.int(1...250))"])
                }
            }
        }
        return try s.build().1
    }

    func flagged(_ t: EventTable, _ d: ClickFarmDetector) throws -> Set<String> {
        try d.run(t, cancel: CancelToken()).accounts(t)
    }

    func testRegularsOfAnOwnerlessRoomAtItsHoursStayClean() throws {
        try forEachSeed(also: [4, 5]) { seed in
            for every in [1, 2, 3] {
                let t = try store(seed: seed, every: every, at: 20, farm: false)
                let log = DebugLines()
                let on = try flagged(t, timetabled(log))
                let dump = log.lines.filter { $0.hasPrefix("farm") }.joined(separator: "\n")
                XCTAssertTrue(on.filter { $0.hasPrefix("reg") }.isEmpty, "seed \(seed) every \(every): \(on.sorted())\n\(dump)")
                // The guard: without the room's timetable, the owner-away test reports them (a room
                // live every third day gives too few meetings for pairs on some seeds: clean either way).
                guard every < 3 else { continue }
                var off = ClickFarmDetector()
                off.roomTimetable = false
                XCTAssertGreaterThanOrEqual(try flagged(t, off).filter { $0.hasPrefix("reg") }.count, 5, "seed \(seed) every \(every): the twin")
            }
        }
    }

    func testAWeeklyShowsFamiliesAndFansStayClean() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try store(seed: seed, every: 2, at: 14, farm: false, weekly: true)
            let on = try flagged(t, timetabled())
            XCTAssertTrue(on.filter { $0.hasPrefix("fam") || $0.hasPrefix("sfan") || $0.hasPrefix("reg") }.isEmpty, "seed \(seed): \(on.sorted())")
            var off = ClickFarmDetector()
            off.roomTimetable = false
            let twin = try flagged(t, off)
            XCTAssertGreaterThanOrEqual(twin.filter { $0.hasPrefix("fam") || $0.hasPrefix("sfan") }.count, 3, "seed \(seed): the twin: \(twin.sorted())")
        }
    }

    func testAPhoneFarmBurstingOnALiveRoomAtOffHoursIsFound() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try store(seed: seed, every: 1, at: 20, farm: true)
            let log = DebugLines()
            let on = try flagged(t, timetabled(log))
            let dump = log.lines.filter { $0.hasPrefix("farm") }.joined(separator: "\n")
            XCTAssertGreaterThanOrEqual(on.filter { $0.hasPrefix("crew") }.count, 24, "seed \(seed): \(on.sorted())\n\(dump)")
            XCTAssertTrue(on.filter { $0.hasPrefix("reg") }.isEmpty, "seed \(seed): \(on.sorted())")
            // The owner-away test is what finds it (one target: the pair tests never report it) …
            var plain = timetabled()
            plain.ownerAwayFarms = false
            plain.equipmentGroups = false
            XCTAssertTrue(try flagged(t, plain).filter { $0.hasPrefix("crew") }.isEmpty, "seed \(seed)")
            // … and the timetable's drift is what keeps it: a room "live" at any hour of its live
            // days would take the farm's bursts for its own.
            var loose = timetabled()
            loose.timetableDriftHours = 12
            XCTAssertLessThan(try flagged(t, loose).filter { $0.hasPrefix("crew") }.count, 10, "seed \(seed): with a day's drift")
            // farm42b (off by default): the crew beyond the room's timetable takes a stronger base.
            var strong = timetabled()
            strong.timetableStrength = true
            var weak = timetabled()
            weak.timetableStrength = false
            func crewStrength(_ d: ClickFarmDetector) throws -> Double {
                let f = try d.run(t, cancel: CancelToken()).filter { t.accountID($0.account).hasPrefix("crew") }.map(\.strength)
                return f.reduce(0, +) / Double(max(1, f.count))
            }
            let base = try crewStrength(weak)
            XCTAssertGreaterThan(try crewStrength(strong), base + 0.02, "seed \(seed): the stronger base")
        }
    }
}
