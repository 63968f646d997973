import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// A farm on shared phones recruits accounts that joined its jobs beyond what their own activity
/// predicts (`ClickFarmDetector.recruitChance`). A power browser who looks at most of the
/// catalogue every day lands in most jobs on item pages by sheer volume: its chance must scale
/// with all of its activity. Bazaar 4308 (session 47): with the chance held at ten times the
/// mean account's, 81 power browsers joined an equipment farm at "chance 1 in 10^218".
final class PowerBrowserFarmTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// The store: 300 people, a farm of 24 accounts on 4 phones whose members each join about a
    /// third of 56 jobs (a view of one of 8 clients' items, two jobs a day), and `browsers` power
    /// browsers who every day look at each page of the catalogue, the clients' items included,
    /// with probability 0.9 — on their own devices and networks, at their own hours.
    func store(seed: UInt64, browsers: Int, quietJobs: Int = 0) throws -> (EventTable, farm: [String], browsers: [String]) {
        var rng = SeededRandom(seed &+ 4708)
        let s = Scenario(seed: seed)
        let items = 600
        let clients = PhoneFarms.catalogue(s, items: items)
        for k in 0..<300 { let a = s.account("u\(k)"); PhoneFarms.browse(s, a, &rng, device: "ud\(k)", items: items) }
        var pbs: [String] = []
        let pages = (0..<items).map { ("p\($0)", "shop\($0 % 10)") } + clients.map { ("item-\($0)", $0) }
        for k in 0..<browsers {
            let a = s.account("pb\(k)"); pbs.append(a)
            for d in 0..<28 {
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(6...10)) * hour
                for (item, seller) in pages.shuffled(using: &rng) where rng.chance(0.9) {
                    s.event(a, "view", at: at, ["item_id": item, "seller_id": seller, "device_id": "pb\(k)-laptop", "ip": "10.9.\(k).1"])
                    at += Int64(rng.int(2_000...9_000))
                }
            }
        }
        let (farm, jobs) = PhoneFarms.farm(s, &rng, clients: clients, jobs: 56, items: items)
        // "quiet": nothing but a view of the first `quietJobs` jobs' pages, each on its day, an hour after it began.
        if quietJobs > 0 {
            let q = s.account("quiet")
            for (c, start) in jobs.prefix(quietJobs) { s.event(q, "view", at: start + hour, ["item_id": "item-\(c)", "seller_id": c, "device_id": "quiet-phone"]) }
        }
        let (_, t) = try s.build()
        return (t, farm, pbs)
    }

    func testPowerBrowsersAreJudgedByAllOfTheirActivityTheFarmIsStillFound() throws {
        try forEachSeed { seed in
            let (t, farm, pbs) = try store(seed: seed, browsers: 3)
            let flagged = try ClickFarmDetector().run(t, cancel: CancelToken()).accounts(t)
            let found = farm.filter(flagged.contains).count
            XCTAssertGreaterThanOrEqual(found, 15, "farm members found: \(flagged.sorted())")
            XCTAssertTrue(pbs.filter(flagged.contains).isEmpty, "power browsers: \(flagged.sorted())")
            XCTAssertTrue(flagged.filter { $0.hasPrefix("u") }.isEmpty, "people: \(flagged.sorted())")
            // Each of the two rules that judge a recruit by its activity spares them alone: the ceiling
            // gone (`ownActivity`) with the span-wide chance only, and the per-day chance (`dayCohorts`,
            // which has no ceiling) with the ceiling back.
            for (own, days) in [(true, false), (false, true)] {
                var one = ClickFarmDetector()
                one.ownActivity = own
                one.dayCohorts = days
                let by = try one.run(t, cancel: CancelToken()).accounts(t)
                XCTAssertTrue(pbs.filter(by.contains).isEmpty, "own-activity \(own), day-cohorts \(days): \(by.sorted())")
            }
            // With the chance held at ten times the mean account's and the span-wide chance alone (the
            // rules before session 47), the same power browsers join the farm: the scenario reaches the case.
            var capped = ClickFarmDetector()
            capped.ownActivity = false
            capped.dayCohorts = false
            let old = try capped.run(t, cancel: CancelToken())
            XCTAssertEqual(pbs.filter(old.accounts(t).contains).count, pbs.count, "with the cap: \(old.accounts(t).sorted())")
        }
    }

    /// A quiet account that joined 15 of the farm's jobs is recruited: the rule weighs job hits
    /// against the account's activity, it does not spare accounts for being in the jobs' crowds.
    func testAQuietAccountInFifteenJobsIsRecruited() throws {
        try forEachSeed { seed in
            let (t, _, _) = try store(seed: seed, browsers: 3, quietJobs: 15)
            let findings = try ClickFarmDetector().run(t, cancel: CancelToken())
            XCTAssertTrue(findings.accounts(t).contains("quiet"), "a quiet account in 15 of 56 jobs: \(findings.accounts(t).sorted())")
        }
    }
}
