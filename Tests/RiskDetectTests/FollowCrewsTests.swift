import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// follow-crews (FollowCrews.swift, `ClickFarmDetector.followCrews`): a crew sent again and again to
/// follow a creator and its shop, over two hours each time, each member choosing one of the two — no
/// lockstep group forms (bazaar 22: a 91-account follow farm with no finding; the crew here is smaller
/// and lockstep finds some of it too), but from the followed
/// account's side many of its followers follow it again and again, each time in a crowd of its
/// followers. Fans who re-follow now and then on their own, and a toggle's taps on one day, are no
/// crew; in a store that logs a follow at every show visit, fans are repeaters in crowds at every
/// creator, and no creator's share stands out.
final class FollowCrewsTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// `followAtShows`: the store logs a fan's follow at each show it watches (a toggle re-sent per visit).
    func store(seed: UInt64, followAtShows: Bool) throws -> (EventTable, crew: [String], honest: [String]) {
        var rng = SeededRandom(seed &+ 7410)
        let s = Scenario(seed: seed)
        let (creators, shop, pool) = s.fanStage()
        var honest: [String] = []
        // Shows at hours of their own (a creator abroad, a night show): a fan's visits are at any hour.
        let shows = s.liveShows(creators, count: 10, hour: { c, k in (6 + 5 * c + 7 * k) % 24 }, &rng)
        for k in 0..<300 {
            let a = s.liveFan(k, creators: creators, shows: shows, &rng) { rng, a, c, at in
                if followAtShows { s.event(a, "follow", at: at + Int64(rng.int(0...20)) * 60_000, ["target_id": creators[c], "device_id": "fd\(k)"]) }
            }
            s.browsingLife(a, device: "fd\(k)", pool: pool, days: 0.3, views: 2...5, &rng)
            // Now and then a fan follows a creator again, at a moment of its own.
            if rng.chance(0.1) {
                for _ in 0..<rng.int(1...3) {
                    s.event(a, "follow", at: Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...86_399)) * 1000,
                            ["target_id": creators[rng.int(0...3)], "device_id": "fd\(k)"])
                }
            }
            honest.append(a)
        }
        // Twenty people tap a shop's follow toggle three or four times within a minute, one day each.
        for k in 0..<20 {
            let a = s.account("tapper\(k)"); honest.append(a)
            s.browsingLife(a, device: "td\(k)", pool: pool, days: 0.3, views: 2...5, &rng)
            let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(8...22)) * hour
            for i in 0..<rng.int(3...4) { s.event(a, "follow", at: at + Int64(i * 10_000), ["target_id": shop, "device_id": "td\(k)"]) }
        }
        // The crew: 40 accounts on phones of their own, browsing on most days; 8 bursts on different
        // days at random hours, each spread over two hours. A member joins three bursts in four and
        // follows the client creator or its shop account, one of the two at random.
        let client = s.account("client", kind: "creator"), clientShop = s.account("clientshop", kind: "seller")
        var crew: [String] = []
        for f in 0..<40 {
            let a = s.account("crew\(f)"); crew.append(a)
            s.browsingLife(a, device: "own\(f)", pool: pool, days: 0.9, views: 2...5, &rng)
        }
        for j in 0..<8 {
            let start = Scenario.t0 + Int64(3 * j + 1) * day + Int64(rng.int(0...21)) * hour
            for f in 0..<40 where rng.chance(0.75) {
                s.event(crew[f], "follow", at: start + Int64(rng.unit() * 120 * Double(minute)),
                        ["target_id": rng.chance(0.5) ? client : clientShop, "device_id": "own\(f)"])
            }
        }
        let (_, t) = try s.build()
        return (t, crew, honest)
    }

    /// The crew's members the rule can see: three follows or more of its client's two targets together,
    /// on two days or more, at hours four or more apart (the bursts are days apart, crowded, with the client away).
    func visible(_ t: EventTable, _ crew: [String]) -> [String] {
        var times: [String: [Int64]] = [:]
        for e in 0..<t.count where t.kind[e] == .follow && t.target[e] >= 0 && ["client", "clientshop"].contains(t.accountID(t.target[e])) {
            times[t.accountID(t.account[e]), default: []].append(t.ts[e])
        }
        // Two bursts at hours four or more apart (a crew sent at any hour; not on a timetable).
        return crew.filter { a in
            let x = times[a] ?? []
            return x.count >= 3 && Set(x.map { $0 / day }).count >= 2 && ClickFarmDetector.offTimetable(FollowCrews.hours(x))
        }
    }

    func testACrewSentAgainAndAgainToFollowIsFoundAndNoFanOrTapperIs() throws {
        try forEachSeed { seed in
            let (t, crew, honest) = try store(seed: seed, followAtShows: false)
            let log = DebugLines()
            let findings = try ClickFarmDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
            let found = findings.accounts(t)
            let dump = log.lines.filter { $0.hasPrefix("follow crew") }.joined(separator: "\n")
            let seen = visible(t, crew)
            XCTAssertGreaterThanOrEqual(seen.count, 20, "seed \(seed): the scenario gives the rule too few members to see")
            // The finder reports the crew's visible members, and only crew members.
            let crews = FollowCrews.find(t) { target, ts in !ClickFarmDetector().ownerAround(t, owner: Int(target), from: ts - self.hour, to: ts + self.hour) }
            let reported = Set(crews.flatMap { ($0.members + $0.joined).map { t.accountID($0.account) } })
            XCTAssertEqual(seen.filter { !reported.contains($0) }, [], "seed \(seed): crew members with three follows or more of the client's targets missed\n\(dump)")
            // The two targets' crews are one client's: each names the other.
            XCTAssertEqual(crews.count, 2, "seed \(seed)\n\(dump)")
            XCTAssertTrue(crews.allSatisfy { $0.partners.count == 1 }, "seed \(seed)\n\(dump)")
            XCTAssertEqual(reported.subtracting(crew).sorted(), [], "seed \(seed): honest accounts reported\n\(dump)")
            XCTAssertTrue(Set(crews.map { t.accountID($0.target) }).isSubset(of: ["client", "clientshop"]), "seed \(seed)\n\(dump)")
            // As findings of the detector, explained by the target and the crowd; nothing honest added.
            XCTAssertEqual(seen.filter { !found.contains($0) }, [], "seed \(seed)")
            let reason = ClickFarmDetector().followCrewFindings(t).first { t.accountID($0.account) == seen[0] }?.reason ?? ""
            XCTAssertTrue(reason.contains("in a crowd of its followers") && (reason.contains("client ") || reason.contains("clientshop ")), "seed \(seed): \(reason)")
            var off = ClickFarmDetector()
            off.followCrews = false
            let without = try off.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertEqual(honest.filter { found.contains($0) && !without.contains($0) }, [], "seed \(seed): honest accounts the sign added")
        }
    }

    /// A store that logs a follow at every show visit: fans follow their creators again and again, in
    /// crowds, at the shows' many hours — but with the creator live (logged in before the show), so none
    /// of those follows is crowded in the owner's absence and no fan is reported; the crew (its client
    /// never logs in) still is.
    func testFollowsLoggedAtEveryShowMakeNoCrewOfFans() throws {
        try forEachSeed { seed in
            let (t, _, honest) = try store(seed: seed, followAtShows: true)
            let found = try ClickFarmDetector().run(t, cancel: CancelToken()).accounts(t)
            var off = ClickFarmDetector()
            off.followCrews = false
            let without = try off.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertEqual(honest.filter { found.contains($0) && !without.contains($0) }, [], "seed \(seed): honest accounts the sign added")
            let crews = ClickFarmDetector().followCrewFindings(t)
            XCTAssertFalse(crews.isEmpty, "seed \(seed): the crew")
            XCTAssertEqual(crews.map { t.accountID($0.account) }.filter { !$0.hasPrefix("crew") }, [], "seed \(seed)")
            // The fans' follows at shows are crowded only without the owner's absence: with it, the store's
            // rate of repeaters is the crew's few; without it, most of the creators' fans are repeaters.
            let guarded = FollowCrews.find(t) { target, ts in !ClickFarmDetector().ownerAround(t, owner: Int(target), from: ts - self.hour, to: ts + self.hour) }
            let anyTime = FollowCrews.find(t, bar: -1_000)
            let rate = { (crews: [FollowCrews.Crew]) in crews.first { t.accountID($0.target) == "client" }?.storeRate ?? -1 }
            XCTAssertLessThan(rate(guarded), 0.05, "seed \(seed)")
            XCTAssertGreaterThan(rate(anyTime), 0.2, "seed \(seed)")
        }
    }

    func testTheRuleNeedsThreeFollowsCrowdedOnTwoOccasionsHalfADayApart() {
        let h = hour
        XCTAssertEqual(FollowCrews.occasions([]), 0)
        XCTAssertEqual(FollowCrews.occasions([5 * h, 0, 3 * h]), 1, "one evening")
        XCTAssertEqual(FollowCrews.occasions([0, 12 * h, 13 * h, 24 * h]), 3)
        XCTAssertEqual(FollowCrews.occasions([23 * h, 25 * h]), 1, "a burst across midnight is one occasion")
        XCTAssertEqual(FollowCrews.occasions([Int64.max - 1, Int64.max]), 1, "no overflow")
        XCTAssertTrue(FollowCrews.repeatsInCrowds(follows: 3, crowded: [0, 12 * h], minFollows: 3))
        XCTAssertFalse(FollowCrews.repeatsInCrowds(follows: 3, crowded: [20 * h, 24 * h + 20 * h + 30 * minute, 48 * h + 21 * h], minFollows: 3),
                       "every evening at one hour: a room's timetable")
        XCTAssertTrue(FollowCrews.repeatsInCrowds(follows: 3, crowded: [20 * h, 24 * h + 16 * h], minFollows: 3), "four hours apart")
        XCTAssertEqual(FollowCrews.hours([-1]), 1 << 23, "before 1970: the hour before midnight")
        XCTAssertFalse(FollowCrews.repeatsInCrowds(follows: 2, crowded: [0, 12 * h], minFollows: 3), "two follows")
        XCTAssertFalse(FollowCrews.repeatsInCrowds(follows: 4, crowded: [0, 10_000, 20_000, 30_000], minFollows: 3), "one burst of taps")
        XCTAssertFalse(FollowCrews.repeatsInCrowds(follows: 5, crowded: [3 * h], minFollows: 3), "re-follows on its own, in a crowd once")
    }

    /// Hand-counted: target "t0" with 10 followers, 4 of whom (r0…r3) follow it together three times a
    /// week apart, at hours six apart; 20 other targets ("o0"…"o19") with 8 followers each, one of whom (on the first four)
    /// also follows three times in a crowd there; 30 targets with one follower each (no room for a crowd,
    /// never tested, not in the rate). A self-follow crowd never counts, nor a pair that always follows together (at hours far apart): a
    /// crowd is three others or more.
    func testTheStoresRateAndTheCorrectionAreCountedOverTargetsWithRoomForACrowd() throws {
        let s = Scenario(seed: 1)
        let t0 = Scenario.t0
        func follow(_ a: String, _ x: String, _ at: Int64) { s.event(a, "follow", at: at, ["target_id": x, "device_id": "d-\(a)"]) }
        _ = s.account("t0", kind: "creator")
        for k in 0..<10 { _ = s.account("f\(k)") }
        // r0…r3 = f0…f3: three times a week apart (20:00, 14:00, 8:00), within minutes of each other.
        for w in 0..<3 { for k in 0..<4 { follow("f\(k)", "t0", t0 + Int64(7 * w) * day + Int64(20 - 6 * w) * hour + Int64(k) * minute) } }
        for k in 4..<10 { follow("f\(k)", "t0", t0 + Int64(k) * day + 9 * hour) }
        for o in 0..<20 {
            _ = s.account("o\(o)", kind: "seller")
            for k in 0..<8 {
                let a = s.account("o\(o)f\(k)")
                // On the first four targets their eight followers meet twice (an evening, a week later), and
                // one of them follows a third time alone: one repeater in crowds each.
                if o < 4 {
                    for w in 0..<2 { follow(a, "o\(o)", t0 + Int64(7 * w + 1) * day + Int64(21 - 6 * w) * hour + Int64(k) * minute) }
                    if k == 0 { follow(a, "o\(o)", t0 + 15 * day + 3 * hour) }
                } else {
                    follow(a, "o\(o)", t0 + Int64(k + o) * day + Int64(k) * hour)
                }
            }
        }
        for o in 0..<30 { _ = s.account("lone\(o)", kind: "seller"); follow(s.account("lf\(o)"), "lone\(o)", t0 + Int64(o) * hour) }
        // Three accounts that follow themselves together each evening, and a pair that always follows "t0" together.
        for k in 0..<3 { let a = s.account("self\(k)"); for w in 0..<3 { follow(a, a, t0 + Int64(7 * w) * day + 20 * hour) } }
        for k in 0..<2 { let a = s.account("pair\(k)"); for w in 0..<4 { follow(a, "t0", t0 + Int64(7 * w + 2) * day + Int64(5 + 5 * w) * hour + Int64(k) * minute) } }
        let (_, t) = try s.build()
        let crews = FollowCrews.find(t, bar: 0)
        let byTarget = Dictionary(uniqueKeysWithValues: crews.map { (t.accountID($0.target), $0) })
        // Tested: t0 and the 20 others (1 + 20 = 21 targets with room for a crowd); not the lone ones.
        let crew = try XCTUnwrap(byTarget["t0"])
        XCTAssertEqual(crew.targetsTested, 21)
        XCTAssertEqual(crew.followers, 12, "ten followers and the pair")
        XCTAssertEqual(crew.members.map { t.accountID($0.account) }, ["f0", "f1", "f2", "f3"], "not the pair, never in a crowd of three")
        // The store's rate without t0's pairs: 4 repeaters among the 20 × 8 = 160 other pairs, Laplace-smoothed.
        XCTAssertEqual(crew.storeRate, (4.0 + 1) / (160 + 2), accuracy: 1e-12)
        XCTAssertEqual(crew.surprise, Significance.surprise(Significance.logBinomialTail(4, 12, 5.0 / 162)) - log10(21.0), accuracy: 1e-9)
        XCTAssertEqual(crew.members.map(\.crowdedOccasions), [3, 3, 3, 3])
        // The four others with one repeater each are no crew at any bar (a target needs three).
        XCTAssertEqual(crews.count, 1)
        // At the default bar (2) t0 is reported: 4 of 12 at a rate of 5/162.
        XCTAssertEqual(FollowCrews.find(t).map { t.accountID($0.target) }, ["t0"])
    }

    /// The regulars of a room with no owner event (AwayPairsTests' store: 16 of them come at 20:00 on most
    /// days and follow it again now and then — on some evenings four or more of them): on the room's
    /// timetable, no crew — the sign reports none of its honest accounts (seed 5 did, before the hours rule).
    func testAnOwnerlessRoomsRegularsAreNoFollowCrew() throws {
        try forEachSeed { seed in
            let (t, _, honest) = try AwayPairsTests(name: "store", testClosure: { _ in }).store(seed: seed, crewHours: 0...23)
            let reported = Set(ClickFarmDetector().followCrewFindings(t).map { t.accountID($0.account) })
            XCTAssertEqual(honest.filter(reported.contains), [], "seed \(seed)")
        }
    }
}
