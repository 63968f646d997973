import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// farm39: a phone farm behind a carrier exit. Ten phones of a farm share a mobile carrier's
/// exit with 200 ordinary subscribers (bazaar 4307: exits of ~200 accounts with a phone farm's
/// members among them). The farm visits and follows two small creators' rooms in bursts, the
/// creators away; the subscribers live their own lives on the same exit — they browse a shop,
/// some are fans at a creator's live shows (creator live), and some visit the two small
/// creators' rooms now and then at their own times, so they share the farm's rooms and days.
/// The exit's crowd meets on hundreds of listings (no three-target seed) and the farm's bursts
/// make its away hours coincide: farm38's whole-exit seed. Only the farm's phones, whose own
/// hours coincide, may be reported; no subscriber.
final class CarrierExitCrewTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// `regulars`: 30 evening regulars of a corner shop (a seller with no events of its own) on the
    /// exit, each visiting it on 3–10 evenings at its own times between 19:00 and 22:00 (review39 #1:
    /// a null that places hours at random over the day flags them). `lateShow`: a creator's eight
    /// five-hour shows with a single login at the start; 15 fans from elsewhere arrive over the
    /// whole show, 40 of the exit's subscribers only after its first 3 h 10 min, past the owner's
    /// session (review39 #5: their hours are not the room's away hours, its viewers are there).
    ///
    /// farm41 (review40e): `lateViewers` — how many viewers from elsewhere the late show has (0: the
    /// exit's late fans alone keep it going after the owner's session); `lateStart`, the shows' start
    /// hours (each show's drawn from it); `lateFans`, how many of the exit's subscribers come late. `weeklyShow`: a small
    /// creator with no event of its own near its shows (it streams from a persistent login) holds
    /// a one-hour show at 20:00 on one weekday, four weeks; a family of four on one home network
    /// watches it, each member 85 % of the weeks, and nobody else does (N1: against the other days
    /// their company is rare, against other weeks it is the rule). `afterSession`: the farm's
    /// bursts are live views of the two small creators' rooms within the hour after the creator's
    /// three-hour session (a login), the only views in that hour (N2: the crew's own views kept
    /// farm40's room live); farm41b (review41c finding 1): each phone's live view is followed by a
    /// follow or profile view — live views alone are no owner's absence, the crew's follows are.
    /// `tinyShow` (review41c finding 1): a tiny show with a creator that has no event at all, twice a
    /// week on two evenings drawn anew each week, starting between 19:00 and 21:00, for twelve weeks;
    /// a household of four on one home network watches it (each 85 % of the shows) and at most one
    /// viewer from elsewhere drops in — the household is the show's crowd and, by events alone, the
    /// room is never its owner's. farm41b: the late fans and the weekly family open the creator's page
    /// (a profile view) as they come, so the room tests see them — live views alone are no owner's
    /// absence, and without the page views those twins would pass by that rule rather than fail.
    func build(_ seed: UInt64, regulars: Bool = false, lateShow: Bool = false, lateViewers: Int = 15, lateStart: ClosedRange<Int> = 19...19, lateFans: Int = 40,
               weeklyShow: Bool = false, afterSession: Bool = false, tinyShow: Bool = false) throws -> EventTable {
        var rng = SeededRandom(seed &+ 3907)
        let s = Scenario(seed: seed)
        let exit = "100.64.12.1"
        let shop = s.account("shop", kind: "seller")
        let pool = (0..<400).map { s.item("p\($0)", seller: shop) }
        // Live creators with shows (the creator logs in before each).
        let creators = (0..<3).map { s.account("creator\($0)", kind: "creator") }
        let shows = s.liveShows(creators, count: 9, hour: { c, _ in 19 + c }, &rng)
        // The farm's two target rooms: small creators seen once.
        let stars = (0..<2).map { s.account("star\($0)", kind: "creator") }
        for (k, st) in stars.enumerated() { s.event(st, "login", at: Scenario.t0 + Int64(k) * day, ["device_id": "sd\(k)"]) }
        func browse(_ a: String, device: String, ip: String, busy: Double) {
            s.browse(a, pool: pool, device: device, ip: ip, busy: busy, hours: 7...23, views: 2...6, gap: 90, &rng)
        }
        // 200 subscribers on the exit; every third a fan of the live creators; one in four visits
        // the small creators' rooms now and then, each at its own times.
        for k in 0..<200 {
            let a = s.account("sub\(k)")
            browse(a, device: "sd-\(k)", ip: exit, busy: 0.25)
            if k % 3 == 0 {
                let c = k % creators.count
                for st in shows[c] where rng.chance(0.6) {
                    s.event(a, "live_view", at: st + Int64(rng.exponential(8) * Double(minute)), ["target_id": creators[c], "device_id": "sd-\(k)", "ip": exit])
                }
            }
            if k % 4 == 1 {
                for d in 0..<28 where rng.chance(0.15) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...23)) * hour + Int64(rng.int(0...3_599)) * 1000
                    s.event(a, rng.chance(0.2) ? "follow" : "profile_view", at: at, ["target_id": stars[rng.int(0...1)], "device_id": "sd-\(k)", "ip": exit])
                }
            }
        }
        if regulars {
            let corner = s.account("corner", kind: "seller")
            for k in 0..<30 {
                let a = s.account("regular\(k)")
                browse(a, device: "rg-\(k)", ip: exit, busy: 0.2)
                var days = Set<Int>()
                let visits = rng.int(3...10)
                while days.count < visits { days.insert(rng.int(0...27)) }
                for d in days.sorted() {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(19...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    for _ in 0..<rng.int(1...2) {
                        s.event(a, rng.chance(0.2) ? "follow" : "profile_view", at: at, ["target_id": corner, "device_id": "rg-\(k)", "ip": exit])
                        at += Int64(rng.int(60...900)) * 1000
                    }
                }
            }
        }
        if lateShow {
            let late = s.account("latenight", kind: "creator")
            let viewers = (0..<lateViewers).map { s.account("viewer\($0)") }
            for k in 0..<8 {
                let start = Scenario.t0 + Int64(1 + 3 * k) * day + Int64(rng.int(lateStart)) * hour
                s.event(late, "login", at: start - Int64(rng.int(1...10)) * minute, ["device_id": "ln"])
                for f in 0..<lateViewers where rng.chance(0.8) {
                    s.event(viewers[f], "live_view", at: start + Int64(rng.unit() * 300) * minute, ["target_id": late, "device_id": "vw\(f)", "ip": "10.9.0.\(f)"])
                }
                for k2 in stride(from: 2, to: 200, by: 200 / lateFans) where rng.chance(0.6) {
                    // farm41b: each opens the creator's page, then watches (a live view alone is no
                    // owner's absence: without the page view the room tests would not see them).
                    let at = start + Int64(190 + rng.unit() * 110) * minute
                    s.event("sub\(k2)", "profile_view", at: at - 20_000, ["target_id": late, "device_id": "sd-\(k2)", "ip": exit])
                    s.event("sub\(k2)", "live_view", at: at, ["target_id": late, "device_id": "sd-\(k2)", "ip": exit])
                }
            }
        }
        if weeklyShow {
            let weekly = s.account("weekly", kind: "creator")
            let first = rng.int(0...6)
            let home = "198.51.100.\(rng.int(20...60))"
            for m in 0..<4 {
                let a = s.account("family\(m)")
                browse(a, device: "fam\(m)", ip: home, busy: 0.2)
                for w in 0..<4 where rng.chance(0.85) {
                    let start = Scenario.t0 + Int64(first + 7 * w) * day + 20 * hour
                    // farm41b: the creator's page opened as the show starts (as the late fans do).
                    s.event(a, "profile_view", at: start + Int64(rng.int(0...5)) * minute, ["target_id": weekly, "device_id": "fam\(m)", "ip": home])
                    for _ in 0..<rng.int(1...3) {
                        s.event(a, "live_view", at: start + Int64(rng.int(0...55)) * minute, ["target_id": weekly, "device_id": "fam\(m)", "ip": home])
                    }
                }
            }
        }
        if tinyShow {
            let tiny = s.account("tiny", kind: "creator")
            let home = "198.51.100.\(rng.int(70...120))"
            let members = (0..<4).map { s.account("household\($0)") }
            for (m, a) in members.enumerated() { browse(a, device: "hh\(m)", ip: home, busy: 0.2) }
            let drop = (0..<20).map { s.account("dropin\($0)") }
            for w in 0..<12 {
                var evenings = Set<Int>()
                while evenings.count < 2 { evenings.insert(rng.int(0...6)) }
                for d in evenings.sorted() {
                    let start = Scenario.t0 + Int64(7 * w + d) * day + Int64(rng.int(19...21)) * hour + Int64(rng.int(0...30)) * minute
                    for (m, a) in members.enumerated() where rng.chance(0.85) {
                        for _ in 0..<rng.int(1...3) {
                            s.event(a, "live_view", at: start + Int64(rng.int(0...55)) * minute, ["target_id": tiny, "device_id": "hh\(m)", "ip": home])
                        }
                    }
                    if rng.chance(0.5) {
                        let v = rng.int(0...19)
                        s.event(drop[v], "live_view", at: start + Int64(rng.int(0...55)) * minute, ["target_id": tiny, "device_id": "dv\(v)", "ip": "10.7.0.\(v)"])
                    }
                }
            }
        }
        // A store around them: shoppers elsewhere.
        for k in 0..<1000 {
            browse(s.account("shopper\(k)"), device: "sh\(k)", ip: "10.3.\(k / 250).\(k % 250)", busy: 0.1)
        }
        // The farm: ten phones on the exit, a little browsing of their own, and 14 bursts into the
        // two rooms at random hours (each phone joins ~60 %, within 30 minutes).
        for f in 0..<10 { browse(s.account("phone\(f)"), device: "ph\(f)", ip: exit, busy: 0.08) }
        for j in 0..<14 {
            let room = stars[j % 2]
            if afterSession {
                // The creator's login at hh:30, its session over at hh+3:30; the phones from hh+4:05
                // on, for up to 50 minutes, with the hour before the owner's (farm40's chain then
                // made the phones' hour the owner's too).
                let login = Scenario.t0 + Int64(2 + 2 * j) * day + Int64(rng.int(1...18)) * hour + 30 * minute
                s.event(room, "login", at: login, ["device_id": "sd\(j % 2)"])
                let start = login + 3 * hour + 35 * minute
                for f in 0..<10 where rng.chance(0.6) {
                    let at = start + Int64(rng.unit() * 40) * minute
                    s.event("phone\(f)", "live_view", at: at, ["target_id": room, "device_id": "ph\(f)", "ip": exit])
                    s.event("phone\(f)", rng.chance(0.5) ? "follow" : "profile_view", at: at + Int64(rng.int(30...600)) * 1000,
                            ["target_id": room, "device_id": "ph\(f)", "ip": exit])
                }
                continue
            }
            let start = Scenario.t0 + Int64(2 + 2 * j) * day + Int64(rng.int(1...22)) * hour
            for f in 0..<10 where rng.chance(0.6) {
                s.event("phone\(f)", rng.chance(0.5) ? "follow" : "profile_view", at: start + Int64(rng.unit() * 30) * minute,
                        ["target_id": room, "device_id": "ph\(f)", "ip": exit])
            }
        }
        return try s.build().1
    }

    func testAPhoneFarmBehindACarrierExitIsFoundAndTheExitsSubscribersAreNot() throws {
        try forEachSeed { seed in
            let t = try build(seed)
            let (flagged, dump) = try roomCrewRun(t, seed: seed)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("sub") || $0.hasPrefix("shopper") }.sorted(), [], "seed \(seed)\n\(dump)")
        }
    }

    /// Room crews on: the accounts flagged, a dump for failures (the IP groups' debug lines and every
    /// non-phone finding's reason), and the check that most of the ten phones are found.
    private func roomCrewRun(_ t: EventTable, seed: UInt64) throws -> (Set<String>, String) {
        let log = DebugLines()
        var det = ClickFarmDetector(debugLog: { log.append($0) })
        det.roomCrews = true
        let found = try det.run(t, cancel: CancelToken())
        let flagged = found.accounts(t)
        let dump = (log.lines.filter { $0.hasPrefix("identifier group (IP)") }
            + found.filter { !t.accountID($0.account).hasPrefix("phone") }.map { "\(t.accountID($0.account)): \($0.reason)" }).joined(separator: "\n")
        XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("phone") }.count, 7, "seed \(seed): \(flagged.filter { $0.hasPrefix("phone") }.sorted())\n\(dump)")
        return (flagged, dump)
    }

    /// review39 #1: evening regulars of a corner shop whose owner has no events (every hour is an
    /// away hour) come in the same few evening hours; with hours placed at random over the day they
    /// coincide far beyond chance. Against the same hours on other days (farm40) they do not; the
    /// phones are still found.
    func testEveningRegularsOfAShopWithNoOwnerEventsStayClean() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, regulars: true)
            let (flagged, dump) = try roomCrewRun(t, seed: seed)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("regular") || $0.hasPrefix("sub") || $0.hasPrefix("shopper") }.sorted(), [], "seed \(seed)\n\(dump)")
        }
    }

    /// review39 #5: a show that runs past the owner's session (one login, five hours), the exit's
    /// fans arriving late: the room is live while its viewers are there (farm40: `roomAround`), so
    /// their hours are not away hours and they are no crew. The phones are still found.
    func testALongShowsLateFansStayClean() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, lateShow: true)
            let (flagged, dump) = try roomCrewRun(t, seed: seed)
            // The room test adds no honest account to what the lockstep tests report without it (on
            // seed 3 they recruit a subscriber who joined two of the phones' bursts: not this test's).
            var plain = ClickFarmDetector()
            plain.roomCrews = false
            let before = try plain.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("viewer") || $0.hasPrefix("sub") || $0.hasPrefix("shopper") }.subtracting(before).sorted(), [], "seed \(seed)\n\(dump)")
        }
    }

    /// review40e N2(b) (farm41): the long show at a different hour each time (10:00–19:00) and eight
    /// of the exit's subscribers its late fans, so neither the same hours on other days nor a
    /// crowd's size hold their company (with forty late fans three at once is the rule at any hour
    /// and the group test holds them, viewers or not); 30 viewers from elsewhere over the whole
    /// show keep it live past the owner's session, and no late fan is reported.
    func testALongShowAtVaryingHoursWithViewersFromElsewhereKeepsItsLateFans() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, lateShow: true, lateViewers: 30, lateStart: 10...19, lateFans: 8)
            let (flagged, dump) = try roomCrewRun(t, seed: seed)
            var plain = ClickFarmDetector()
            plain.roomCrews = false
            let before = try plain.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("viewer") || $0.hasPrefix("sub") || $0.hasPrefix("shopper") }.subtracting(before).sorted(), [], "seed \(seed)\n\(dump)")
        }
    }

    /// Its twin: without the viewers from elsewhere the show is not live past the owner's session —
    /// the exit's late fans do not keep it live with their own views (farm41; farm40's chain let
    /// them) — and, their company unexplained by their hours, they are reported as a crew. So the
    /// test above holds for its stated reason, the viewers from elsewhere.
    func testALongShowKeptGoingOnlyByTheExitsOwnLateFansIsNoLiveRoom() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, lateShow: true, lateViewers: 0, lateStart: 10...19, lateFans: 8)
            var det = ClickFarmDetector()
            det.roomCrews = true
            let flagged = try det.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertFalse(flagged.filter { $0.hasPrefix("sub") }.isEmpty, "seed \(seed)")
        }
    }

    /// review40e N1 (farm41): a family of four on one home network watching a small creator's
    /// weekly show (one hour, one weekday, four weeks), the creator with no event near it — the
    /// show's hours are the room's away hours and the family most of its crowd. Against the same
    /// hour of other weeks their company is no surprise: the room test adds none of them. Its twin
    /// below shows the test can fail.
    func testAWeeklyShowsFamilyOnOneNetworkStaysClean() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, weeklyShow: true)
            let (flagged, dump) = try roomCrewRun(t, seed: seed)
            var plain = ClickFarmDetector()
            plain.roomCrews = false
            let before = try plain.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("family") || $0.hasPrefix("sub") || $0.hasPrefix("shopper") }.subtracting(before).sorted(), [], "seed \(seed)\n\(dump)")
        }
    }

    /// The twin: with the day-shift null alone (farm40's) the family is reported.
    func testAWeeklyShowsFamilyIsReportedUnderTheDayShiftNullAlone() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, weeklyShow: true)
            var det = ClickFarmDetector()
            det.roomCrews = true
            det.roomWeeklyNull = false
            let flagged = try det.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("family") }.count, 3, "seed \(seed): \(flagged.filter { $0.hasPrefix("family") }.sorted())")
        }
    }

    /// review40e N2(a) (farm41): a crew that bursts into the rooms right after the creator's
    /// session, a live view and then a follow or profile view each, the only viewers then. Its own
    /// views do not keep the room live: the phones are found (by their follows and profile views,
    /// farm41b: live views are no owner's absence). Its twin below: with farm40's rule (any viewer
    /// continues the owner's run) the crew's hours are the owner's and it is not found.
    func testACrewWatchingRightAfterTheOwnersSessionIsFound() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, afterSession: true)
            let (flagged, dump) = try roomCrewRun(t, seed: seed)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("sub") || $0.hasPrefix("shopper") }.sorted(), [], "seed \(seed)\n\(dump)")
            var det = ClickFarmDetector()
            det.roomCrews = true
            XCTAssertGreaterThanOrEqual(try roomPhones(det, t), 5, "seed \(seed)")
        }
    }

    func testACrewWatchingRightAfterTheOwnersSessionHidesWhenAnyViewerKeepsTheRoomLive() throws {
        try forEachSeed(also: [4, 5]) { seed in
            let t = try build(seed, afterSession: true)
            var det = ClickFarmDetector()
            det.roomCrews = true
            det.roomOutsideViewers = false
            XCTAssertEqual(try roomPhones(det, t), 0, "seed \(seed)")
        }
    }

    /// How many phones the room test reports (the reason names the owner's absence; with follows in
    /// their bursts the lockstep tests may find some phones too, farm41b).
    private func roomPhones(_ det: ClickFarmDetector, _ t: EventTable) throws -> Int {
        try det.run(t, cancel: CancelToken()).filter { t.accountID($0.account).hasPrefix("phone") && $0.reason.contains("owner away") }.count
    }

    /// review41c finding 1 (farm41b): a tiny show on irregular evenings (`tinyShow`), its creator
    /// with no event, watched by one household on one network and at most one viewer from
    /// elsewhere. No shift null holds a show on evenings drawn anew each week, but the household's
    /// only actions there are live views, and a live view is no sign of the owner's absence (the
    /// show was on): the room test adds none of them. Its twin below shows the test can fail.
    func testATinyIrregularShowsHouseholdOnOneNetworkStaysClean() throws {
        try forEachSeed(also: [4, 5, 6]) { seed in
            let t = try build(seed, tinyShow: true)
            let (flagged, dump) = try roomCrewRun(t, seed: seed)
            var plain = ClickFarmDetector()
            plain.roomCrews = false
            let before = try plain.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("household") || $0.hasPrefix("dropin") || $0.hasPrefix("sub") || $0.hasPrefix("shopper") }
                .subtracting(before).sorted(), [], "seed \(seed)\n\(dump)")
        }
    }

    /// The twin: with live views counted as the owner's absence (farm41's rule) the household is
    /// reported.
    func testATinyIrregularShowsHouseholdIsReportedWhenLiveViewsCountAsAbsence() throws {
        try forEachSeed(also: [4, 5, 6]) { seed in
            let t = try build(seed, tinyShow: true)
            var det = ClickFarmDetector()
            det.roomCrews = true
            det.roomLiveViewIsAbsence = true
            var plain = ClickFarmDetector()
            plain.roomCrews = false
            let before = try plain.run(t, cancel: CancelToken()).accounts(t)
            let added = try det.run(t, cancel: CancelToken()).accounts(t).filter { $0.hasPrefix("household") }.subtracting(before)
            XCTAssertGreaterThanOrEqual(added.count, 3, "seed \(seed): \(added.sorted())")
        }
    }

    /// The test above can fail: seeded by the whole exit (farm38), the subscribers who visit the
    /// farm's rooms are reported with it.
    func testWithoutAttributionTheExitsSubscribersAreReported() throws {
        try forEachSeed { seed in
            let t = try build(seed)
            var det = ClickFarmDetector()
            det.roomCrews = true
            det.roomCrewAttribution = false
            let flagged = try det.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertFalse(flagged.filter { $0.hasPrefix("sub") }.isEmpty, "seed \(seed)")
        }
    }
}
