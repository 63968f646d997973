import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// A farm told to view one shop's listings (bazaar 4312's miss: 46 phones on a mobile proxy, 2-minute
/// bursts, half of them at each burst, every member a few of the shop's listings at random): two
/// members rarely share a listing in a window, always the shop. Beside it, in the same store, the
/// honest crowds that meet at one shop: a shop's daily-deal regulars, who come at eight in the
/// evening and look at the day's deal and a listing or two; a shop's Friday-noon drop fans; and
/// ordinary shoppers browsing twenty shops at their own hours. And those review43 found the first
/// rule reported: a shop's own team (the seller and six staff checking the shop at any hour), a
/// seller's live shows at varying hours whose viewers open its listings, and eight friends opening
/// the shop links a group chat shares (no shared equipment, accounts years old: a crew by company
/// alone, reported under the flag line).
final class ShopCrewTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute, second: Int64 = 1000

    /// The store, and per farm member the bursts it joined.
    func store(seed: UInt64) throws -> (EventTable, [String: Int]) {
        var rng = SeededRandom(seed &+ 4312)
        let s = Scenario(seed: seed)
        let shops = (0..<20).map { s.account("shop\($0)", kind: "seller") }
        let listings = shops.map { sh in (0..<40).map { s.item("\(sh)-l\($0)", seller: sh) } }
        func view(_ a: String, _ shop: Int, _ k: Int, at: Int64, device: String) {
            s.event(a, "view", at: at, ["item_id": listings[shop][k], "seller_id": shops[shop], "device_id": device])
        }
        // Ordinary shoppers: on about a third of the days, one or two shops at an hour of their own.
        func life(_ a: String, device: String, days: Double) {
            for d in 0..<28 where rng.chance(days) {
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...23)) * hour + Int64(rng.int(0...3_599)) * second
                for _ in 0..<rng.int(1...2) {
                    let shop = rng.int(0...19)
                    for _ in 0..<rng.int(2...6) { view(a, shop, rng.int(0...39), at: at, device: device); at += Int64(5 + rng.exponential(60)) * second }
                    at += Int64(rng.int(1...40)) * minute
                }
            }
        }
        for k in 0..<400 { life(s.account("shopper\(k)"), device: "d\(k)", days: 0.3) }
        // Shop 1's daily deal at 20:00: 120 regulars, each on about half the evenings, arriving within
        // minutes, the day's deal first and a listing or two after.
        for k in 0..<120 {
            let a = s.account("regular\(k)")
            let come = 0.3 + 0.4 * rng.unit()
            for d in 0..<28 where rng.chance(come) {
                var at = Scenario.t0 + Int64(d) * day + 20 * hour + Int64(rng.exponential(4 * 60)) * second
                view(a, 1, d % 40, at: at, device: "r\(k)")
                for _ in 0..<rng.int(0...2) { at += Int64(rng.int(10...120)) * second; view(a, 1, rng.int(0...39), at: at, device: "r\(k)") }
            }
            life(a, device: "r\(k)", days: 0.2)
        }
        // Shop 2's drop every Friday at noon: 60 fans, each on most Fridays.
        for k in 0..<60 {
            let a = s.account("fan\(k)")
            for w in 0..<4 where rng.chance(0.75) {
                var at = Scenario.t0 + Int64(1 + 7 * w) * day + 12 * hour + Int64(rng.exponential(3 * 60)) * second
                for _ in 0..<rng.int(1...3) { view(a, 2, rng.int(0...39), at: at, device: "f\(k)"); at += Int64(rng.int(10...90)) * second }
            }
            life(a, device: "f\(k)", days: 0.25)
        }
        // Shop 3's own team: the seller and six staff, each checking the shop one to four times a
        // day at any hour, a listing or two each time; often two or three of them at once.
        for k in 0..<7 {
            let a = k == 0 ? shops[3] : s.account("staff\(k)")
            for d in 0..<28 {
                for _ in 0..<rng.int(1...4) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...21)) * hour + Int64(rng.int(0...3)) * 15 * minute
                    for _ in 0..<rng.int(1...2) { view(a, 3, rng.int(0...39), at: at, device: k == 0 ? "owner" : "st\(k)"); at += Int64(rng.int(10...90)) * second }
                }
            }
            if k > 0 { life(a, device: "st\(k)", days: 0.2) }
        }
        // Shop 4's seller goes live 15 times at varying hours (a login before each show); 25 viewers
        // come to most shows and open one to three of its listings during them.
        let shows = (0..<15).map { k in Scenario.t0 + Int64(1 + (k * 28) / 15) * day + Int64(rng.int(10...22)) * hour }
        for st in shows { s.event(shops[4], "login", at: st - 5 * minute, ["device_id": "live-rig"]) }
        for k in 0..<25 {
            let a = s.account("viewer\(k)")
            for st in shows where rng.chance(0.7) {
                var at = st + Int64(rng.exponential(5 * 60)) * second
                s.event(a, "live_view", at: at, ["target_id": shops[4], "device_id": "v\(k)"])
                for _ in 0..<rng.int(1...3) { at += Int64(rng.int(30...600)) * second; view(a, 4, rng.int(0...39), at: at, device: "v\(k)") }
            }
            life(a, device: "v\(k)", days: 0.15)
        }
        // Eight friends in a group chat: 12 links to shop 5 shared at random hours; each opens most
        // and looks at one or two of the shop's listings.
        var chat: [String] = []
        for k in 0..<8 { let a = s.account("friend\(k)"); chat.append(a); life(a, device: "fr\(k)", days: 0.15) }
        for _ in 0..<12 {
            let posted = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(9...23)) * hour
            for (k, a) in chat.enumerated() where rng.chance(0.8) {
                let at = posted + Int64(rng.exponential(4 * 60)) * second
                view(a, 5, rng.int(0...39), at: at, device: "fr\(k)")
                if rng.chance(0.5) { view(a, 5, rng.int(0...39), at: at + Int64(rng.int(20...120)) * second, device: "fr\(k)") }
            }
        }
        // The farm: 36 phones on a mobile proxy's six exits, opened in the data's first days, with a
        // little browsing of their own; 18 bursts on shop 0 at random hours over the month, each
        // within 2–10 minutes; a member joins half of them and views one to five of the shop's
        // listings at random, seconds apart.
        var joined: [String: Int] = [:]
        let members = (0..<36).map { f -> String in
            let a = s.account("farm\(f)", created: Scenario.t0 + Int64(rng.int(0...3)) * day)
            life(a, device: "p\(f)", days: 0.1)
            return a
        }
        for _ in 0..<18 {
            let start = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...23)) * hour + Int64(rng.int(0...3_599)) * second
            let window = Int64(rng.int(2...10)) * minute
            for (f, a) in members.enumerated() where rng.chance(0.5) {
                joined[a, default: 0] += 1
                var at = start + Int64(rng.unit() * Double(window))
                let exit = "100.64.7.\(rng.int(1...6))"
                for _ in 0..<rng.int(1...5) {
                    s.event(a, "view", at: at, ["item_id": listings[0][rng.int(0...39)], "seller_id": shops[0], "device_id": "p\(f)", "ip": exit])
                    at += Int64(rng.int(2...20)) * second
                }
            }
        }
        let (_, t) = try s.build()
        return (t, joined)
    }

    func testAViewFarmOnOneShopIsFoundAndTheShopsRegularsAreNot() throws {
        try forEachSeed { seed in
            let (t, joined) = try store(seed: seed)
            let log = DebugLines()
            var on = ClickFarmDetector(debugLog: { log.append($0) })
            on.shopCrews = true
            let findings = try on.run(t, cancel: CancelToken())
            // The flag line for a click-farm finding: strength 0.5. A crew by company alone (review43
            // (d)) is reported under it: ranked above the store's bulk, not flagged.
            let flagged = Set(findings.filter { $0.strength >= 0.5 }.map { t.accountID($0.account) })
            let innocents = flagged.filter { !$0.hasPrefix("farm") }.sorted()
            let shopLines = log.lines.filter { $0.hasPrefix("shop crew") }.joined(separator: "\n")
            let whyInnocent = findings.filter { innocents.contains(t.accountID($0.account)) }.prefix(4).map { "\(t.accountID($0.account)) \($0.strength): \($0.reason)" }
            XCTAssertTrue(innocents.isEmpty, "seed \(seed): innocents flagged: \(innocents.prefix(20))\n\(whyInnocent.joined(separator: "\n"))\n\(shopLines)\n\(log.lines.filter { $0.hasPrefix("listing") || $0.hasPrefix("farm") }.joined(separator: "\n"))")
            let thrice = joined.filter { $0.value >= 3 }.keys.sorted()
            let found = thrice.filter { flagged.contains($0) }
            XCTAssertGreaterThanOrEqual(Double(found.count), 0.8 * Double(thrice.count),
                                        "seed \(seed): members in ≥ 3 bursts found \(found.count) of \(thrice.count)\n\(shopLines)")
            // Without the shop pass the item-level lockstep sees none of it: a listing in a window
            // is shared by two or three members at most.
            var itemLevel = ClickFarmDetector()
            itemLevel.shopCrews = false
            let off = try itemLevel.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertLessThan(thrice.filter { off.contains($0) }.count, found.count / 2, "seed \(seed): the item-level lockstep finds the farm alone")
            // What each guard does alone (the others' corroboration off too, since none of these
            // honest groups shares equipment or is new): without the team and show guard, the team or
            // the viewers are a crew.
            var noTeam = on
            noTeam.shopTeamGuard = false
            noTeam.shopCrewCorroboration = false
            noTeam.debugLog = nil
            let unteamed = try noTeam.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertGreaterThan(unteamed.filter { $0.hasPrefix("staff") || $0.hasPrefix("viewer") }.count, 3, "seed \(seed): without the team guard the team and viewers are clean too: what it guards is not in this store")
            // And the corroboration: without it the chat's friends are a crew of the shop.
            var alone = on
            alone.shopCrewCorroboration = false
            alone.debugLog = nil
            let uncorroborated = try alone.run(t, cancel: CancelToken()).filter { $0.strength >= 0.5 }.accounts(t)
            XCTAssertGreaterThan(uncorroborated.filter { $0.hasPrefix("friend") }.count, 3, "seed \(seed): without corroboration the chat's friends are clean too")
            // Without the timetable test the daily deal's regulars are a crew of the shop: they meet
            // at eight on most evenings, most of the shop's viewers then (and, at the item level, a
            // group on a new listing every evening: many targets, as a farm's). Before shop43 the
            // item-level pass reported them on some seeds (`off` below: shop crews and the
            // timetable both off).
            var unguarded = on
            unguarded.shopTimetableGuard = false
            unguarded.shopCrewCorroboration = false
            unguarded.debugLog = nil
            let bare = try unguarded.run(t, cancel: CancelToken()).accounts(t)
            XCTAssertGreaterThan(bare.filter { $0.hasPrefix("regular") }.count, 10, "seed \(seed): the regulars pass without the timetable test: what it guards is not in this store")
            print("ShopCrewTests seed \(seed): members in ≥ 3 bursts \(thrice.count), found \(found.count), item-level \(thrice.filter { off.contains($0) }.count); regulars without the timetable test \(bare.filter { $0.hasPrefix("regular") }.count), before shop43 \(off.filter { $0.hasPrefix("regular") }.count)")
        }
    }

    /// The switch by name: `shop-crews` is a sign (engine), on or off as `Disable.swift` lists it.
    func testTheSignSwitchesTheShopPass() throws {
        let (t, joined) = try store(seed: TestSeed.first)
        let engine = DetectionEngine(rulesDirectory: nil)
        let isOn = DetectionEngine.onSigns.contains("shop-crews")
        if isOn { try engine.disableSigns(["shop-crews"]) } else { try engine.enableSigns(["shop-crews"]) }
        let farm = engine.detectors.compactMap { $0 as? ClickFarmDetector }.first!
        XCTAssertEqual(farm.shopCrews, !isOn)
        let flagged = try farm.run(t, cancel: CancelToken()).accounts(t)
        XCTAssertEqual(flagged.contains { joined[$0, default: 0] >= 3 }, !isOn)
    }
}
