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
        let creators = (0..<4).map { s.account("creator\($0)", kind: "creator") }
        let shop = s.account("shop", kind: "seller")
        let pool = (0..<200).map { s.item("p\($0)", seller: shop) }
        var honest: [String] = []
        let shows = s.liveShows(creators, count: 10, hour: { c, k in 18 + (c + k) % 4 }, &rng)
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

    /// The crew's members the rule can see: three follows or more of one of the two targets, on two days or more.
    func visible(_ t: EventTable, _ crew: [String]) -> [String] {
        var n: [String: [String: Set<Int64>]] = [:]
        var count: [String: [String: Int]] = [:]
        for e in 0..<t.count where t.kind[e] == .follow && t.target[e] >= 0 {
            let a = t.accountID(t.account[e]), x = t.accountID(t.target[e])
            n[a, default: [:]][x, default: []].insert(t.ts[e] / day)
            count[a, default: [:]][x, default: 0] += 1
        }
        return crew.filter { a in (count[a] ?? [:]).contains { $0.value >= 3 && (n[a]?[$0.key]?.count ?? 0) >= 2 } }
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
            let reported = Set(crews.flatMap { $0.members.map { t.accountID($0.account) } })
            XCTAssertEqual(seen.filter { !reported.contains($0) }, [], "seed \(seed): crew members with three follows or more of one target missed\n\(dump)")
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
    /// crowds, on many days — but with the creator live (logged in before the show), so none of those
    /// follows is crowded in the owner's absence and no fan is reported; the crew (its client never
    /// logs in) still is.
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
            // Without the owner's absence, the fans would be reported: the guard is what keeps them out.
            let anyTime = Set(FollowCrews.find(t).flatMap { $0.members.map { t.accountID($0.account) } })
            XCTAssertFalse(honest.filter(anyTime.contains).isEmpty, "seed \(seed): the scenario should tempt the rule")
        }
    }

    func testTheRuleNeedsThreeFollowsOnTwoDaysTwoOfThemCrowded() {
        XCTAssertTrue(FollowCrews.repeatsInCrowds(3, 2, 2, minFollows: 3))
        XCTAssertFalse(FollowCrews.repeatsInCrowds(2, 2, 2, minFollows: 3), "two follows")
        XCTAssertFalse(FollowCrews.repeatsInCrowds(4, 1, 1, minFollows: 3), "a toggle's taps on one day")
        XCTAssertFalse(FollowCrews.repeatsInCrowds(5, 4, 1, minFollows: 3), "re-follows on its own, in a crowd once")
    }
}
