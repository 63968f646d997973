import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// Lockstep inside a sale's crowd: a few friends browse a big seller's listings together in
/// the evening hour when many shoppers browse them too. The shoppers who browsed several of
/// those listings in that hour look like the friends' partial members, and counting them made
/// the friends most of the crowd. A recruit vouches for a job's share only when it would be a
/// member without that job; a real farm with partial participation keeps its recruits.
final class SaleCrowdTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// A store: eight sellers' 300 listings, a big seller's `hot` listings, and 600 shoppers
    /// who browse a few listings on some of 28 days.
    final class Store {
        let s: Scenario
        var rng: SeededRandom
        let pool: [String], mega: String, hot: [String]
        init(_ s: Scenario, rng: SeededRandom, hot n: Int) {
            self.s = s
            self.rng = rng
            let sellers = (0..<8).map { s.account("seller\($0)", kind: "seller") }
            pool = (0..<300).map { s.item("p\($0)", seller: sellers[$0 % 8]) }
            mega = s.account("mega", kind: "seller")
            hot = (0..<n).map { [mega] in s.item("m\($0)", seller: mega) }
            for k in 0..<600 { life(s.account("shopper\(k)"), device: "sd\(k)", days: 0.1 + 0.4 * self.rng.unit()) }
        }
        func life(_ a: String, device: String, days: Double) {
            for d in 0..<28 where rng.chance(days) {
                var at = Scenario.t0 + Int64(d) * Scenario.day + Int64(rng.int(8...22)) * Scenario.hour + Int64(rng.int(0...3_599)) * 1000
                for _ in 0..<rng.int(2...6) {
                    s.event(a, "view", at: at, ["item_id": pool[rng.int(0...299)], "device_id": device])
                    at += Int64(1000 * (5 + rng.exponential(90)))
                }
            }
        }
    }

    func testFriendsBrowsingASaleWithItsCrowdAreNoFarmAPartialFarmIsFound() throws {
        // Seed 16 draws the friends and a shopper at exactly half of their crowd (an audience, not a farm).
        try forEachSeed(also: [16]) { seed in
            let s = Scenario(seed: seed)
            let st = Store(s, rng: SeededRandom(seed &+ 4109), hot: 40)
            let (mega, hot) = (st.mega, st.hot)
            // The sale: day 12, 19:00–23:00; 400 shoppers each browse two to five of its 40
            // listings in one of those hours.
            let sale = Scenario.t0 + 12 * day + 20 * hour
            for k in 0..<400 {
                var seen = Set<Int>()
                let n = st.rng.int(2...5)
                while seen.count < n { seen.insert(st.rng.int(0...39)) }
                let at = sale + Int64(st.rng.int(-1...2)) * hour
                for i in seen.sorted() {
                    s.event("shopper\(k)", "view", at: at + Int64(st.rng.int(0...3_500)) * 1000, ["item_id": hot[i], "seller_id": mega, "device_id": "sd\(k)"])
                }
            }
            // Six friends on their own phones browse ten of the sale's listings in its second
            // hour, each all ten: lockstep at the hour's scale, a few of each listing's crowd.
            for f in 0..<6 {
                let a = s.account("friend\(f)")
                st.life(a, device: "fr\(f)", days: 0.3)
                for j in 0..<10 {
                    s.event(a, "view", at: sale + Int64(st.rng.int(0...3_500)) * 1000, ["item_id": hot[j], "seller_id": mega, "device_id": "fr\(f)"])
                }
            }
            // A farm paid to view the same listings: 30 accounts on their own phones, 10 jobs
            // on 10 mornings, each inside 7 minutes; a member joins 30–90 % of the jobs.
            var joined = [Int](repeating: 0, count: 30)
            for f in 0..<30 { st.life(s.account("farm\(f)"), device: "own\(f)", days: 0.2) }
            let join = (0..<30).map { _ in 0.3 + 0.6 * st.rng.unit() }
            for j in 0..<10 {
                let start = Scenario.t0 + Int64(2 + 2 * j) * day + Int64(st.rng.int(9...11)) * hour + Int64(st.rng.int(0...1_800)) * 1000
                for f in 0..<30 where st.rng.chance(join[f]) {
                    joined[f] += 1
                    s.event("farm\(f)", "view", at: start + Int64(st.rng.unit() * 7 * Double(minute)), ["item_id": hot[j], "seller_id": mega, "device_id": "own\(f)"])
                }
            }
            let (_, t) = try s.build()
            let flagged = try ClickFarmDetector().run(t, cancel: CancelToken()).accounts(t)
            let innocent = flagged.filter { !$0.hasPrefix("farm") }
            XCTAssertTrue(innocent.isEmpty, "friends or shoppers flagged: \(innocent.sorted())")
            let members = (0..<30).filter { joined[$0] >= 3 }.map { "farm\($0)" }
            let found = members.filter { flagged.contains($0) }
            XCTAssertGreaterThanOrEqual(Double(found.count), 0.9 * Double(members.count), "farm members found \(found.count) of \(members.count): \(found)")
        }
    }

    /// The crowd of the friends' listings in their four minutes is mostly shoppers who each
    /// browsed two of those six listings then: enough, for accounts that do nothing else, to be
    /// taken for the friends' partial members, and no longer so with either left out.
    /// Counted as members in every job, those shoppers would make the friends most of each
    /// crowd (a farm); counted only in jobs they would be members without, the friends are
    /// about a third of it (an audience), and neither friends nor shoppers are reported.
    func testShoppersRecruitedFromTheCrowdDoNotMakeFriendsAFarm() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            let st = Store(s, rng: SeededRandom(seed &+ 4111), hot: 6)
            let (mega, hot) = (st.mega, st.hot)
            // The store's first event at t0: windows of every length start at the sale's hour,
            // so the friends' four minutes fall in one window of each.
            s.event("shopper0", "view", at: Scenario.t0, ["item_id": st.pool[0], "device_id": "sd0"])
            let sale = Scenario.t0 + 12 * day + 20 * hour
            // Six friends browse all six listings within four minutes of the sale's start.
            let friends = (0..<6).map { s.account("friend\($0)") }
            for (f, a) in friends.enumerated() {
                st.life(a, device: "fr\(f)", days: 0.1)
                for j in 0..<6 {
                    s.event(a, "view", at: sale + Int64(st.rng.int(0...240)) * 1000, ["item_id": hot[j], "seller_id": mega, "device_id": "fr\(f)"])
                }
            }
            // Forty shoppers new to the store, come for the sale, each browse two of the six in
            // those four minutes.
            let fans = (0..<40).map { s.account("fan\($0)") }
            for (k, a) in fans.enumerated() {
                var seen = Set<Int>()
                while seen.count < 2 { seen.insert(st.rng.int(0...5)) }
                for j in seen.sorted() {
                    s.event(a, "view", at: sale + Int64(st.rng.int(0...240)) * 1000, ["item_id": hot[j], "seller_id": mega, "device_id": "fd\(k)"])
                }
            }
            let (_, t) = try s.build()
            let flagged = try ClickFarmDetector().run(t, cancel: CancelToken()).accounts(t)
            XCTAssertTrue(flagged.isEmpty, "friends or shoppers flagged: \(flagged.sorted())")
            // The friends are a lockstep group and shoppers are recruited to it: it is the
            // audience test that sets them aside.
            var noAudienceTest = ClickFarmDetector()
            noAudienceTest.audienceTest = false
            let grouped = try noAudienceTest.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertFalse(Set(friends).isDisjoint(with: grouped), "friends not found as a group: \(grouped.sorted())")
            XCTAssertGreaterThanOrEqual(Set(fans).intersection(grouped).count, 10, "shoppers recruited: \(grouped.sorted())")
        }
    }
}
