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
    func build(_ seed: UInt64, regulars: Bool = false, lateShow: Bool = false) throws -> EventTable {
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
            let viewers = (0..<15).map { s.account("viewer\($0)") }
            for k in 0..<8 {
                let start = Scenario.t0 + Int64(1 + 3 * k) * day + 19 * hour
                s.event(late, "login", at: start - Int64(rng.int(1...10)) * minute, ["device_id": "ln"])
                for f in 0..<15 where rng.chance(0.8) {
                    s.event(viewers[f], "live_view", at: start + Int64(rng.unit() * 300) * minute, ["target_id": late, "device_id": "vw\(f)", "ip": "10.9.0.\(f)"])
                }
                for k2 in stride(from: 2, to: 200, by: 5) where rng.chance(0.6) {
                    s.event("sub\(k2)", "live_view", at: start + Int64(190 + rng.unit() * 110) * minute, ["target_id": late, "device_id": "sd-\(k2)", "ip": exit])
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
            let start = Scenario.t0 + Int64(2 + 2 * j) * day + Int64(rng.int(1...22)) * hour
            let room = stars[j % 2]
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
