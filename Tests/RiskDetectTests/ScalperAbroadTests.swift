import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// drops-abroad (s66): a crew spread over accounts opened with any profile — four countries — that
/// buys a drop through proxies of one other country, one piece each, arriving mid-pack after a look
/// at the item and paying at a person's pace, each on its own card, device, address and network. Its
/// only tells are that its accounts exist for the drop and that every purchase was made from outside
/// the account's own country. The store's customers set how unusual ordering from abroad is: one in
/// 25 of them did it once (a traveller).
final class ScalperAbroadTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// Three drops a week apart, each with 60 honest fans (home "TH": a look minutes before, a cart
    /// 2–60 s after the release, the order 2–25 s later, one piece, orders besides on other days) of
    /// whom `travellers` bought the drop from "JP" while their other orders are from home; and 400
    /// everyday buyers with 2–4 orders each (the customers), every 25th with one of them from "JP".
    /// The scalper bar is log10(drop buyers) + 0.5 ≈ 2.9; a crew account has "opened for the drop"
    /// (≈ 1.65) and, a third of them by chance, "fast" (0.48): short of the bar without the sign,
    /// over it with it (−log10 of about 17 / 522 ≈ 1.49: 16 everyday buyers and the share's +1, over
    /// 400 everyday buyers and some 120 fans with two ordinary orders or more, +2).
    func store(_ s: Scenario, travellers: Int = 3) -> [(String, Int64)] {
        let drops = s.dropStore(3, firstDay: 4)
        for (k, (item, at)) in drops.enumerated() {
            for f in 0..<60 {
                let a = s.account("fan\(k)-\(f)")
                let dev = "fd\(k)-\(f)", ip = "10.\(k).\(f).1"
                let place = f < travellers ? "JP" : "TH"
                s.event(a, "view", at: at - s.int(in: 2 * minute...30 * minute), ["item_id": item, "seller_id": "brand", "device_id": dev, "country": place])
                let cart = at + s.int(in: 2_000...60_000)
                s.event(a, "add_to_cart", at: cart, ["item_id": item, "seller_id": "brand", "device_id": dev, "quantity": 1, "country": place])
                s.order(a, item: item, seller: "brand", at: cart + s.int(in: 2_000...25_000), device: dev, address: "fa\(k)-\(f)",
                        payment: "fc\(k)-\(f)", amount: 180, ip: ip, country: place)
                s.browse(a, day: Int(s.int(in: 0...27)), device: dev, items: ["everyday"], seller: "shop", ip: ip)
                for _ in 0..<Int(s.int(in: 1...3)) {
                    s.order(a, item: "everyday", seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * day + s.int(in: 8...21) * hour,
                            device: dev, address: "fa\(k)-\(f)", payment: "fc\(k)-\(f)", amount: 25, ip: ip, country: "TH")
                }
            }
        }
        for b in 0..<400 {
            s.account("buyer\(b)")
            let ip = "10.250.\(b % 250).\(b / 250 + 1)"
            s.browse("buyer\(b)", day: Int(s.int(in: 0...27)), device: "bd\(b)", items: ["everyday"], seller: "shop", ip: ip)
            let n = Int(s.int(in: 2...4))
            for o in 0..<n {
                s.order("buyer\(b)", item: "everyday", seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * day + s.int(in: 8...21) * hour,
                        device: "bd\(b)", address: "ba\(b)", payment: "bc\(b)", amount: 25, ip: ip,
                        country: b % 25 == 0 && o == 0 ? "JP" : "TH")
            }
        }
        return drops
    }

    /// `size` crew accounts per drop, one drop each, profiles in four countries, every event of the
    /// drop made from "IT": opened the day before, a look minutes before the release, a cart 2–40 s
    /// after it and the order at a person's pace, one piece, nothing shared and nothing else.
    func crew(_ s: Scenario, _ drops: [(String, Int64)], size: Int, place: String = "IT") {
        let homes = ["TH", "VN", "MY", "SG"]
        for (k, (item, at)) in drops.enumerated() {
            for c in 0..<size {
                let a = s.account("crew\(k)-\(c)", created: at - day, country: homes[c % homes.count])
                let dev = "cd\(k)-\(c)", ip = "198.\(51 + k).\(c).\(s.int(in: 2...250))"
                s.event(a, "signup", at: at - day, ["device_id": dev, "ip": ip, "country": place])
                s.event(a, "view", at: at - s.int(in: 2 * minute...30 * minute), ["item_id": item, "seller_id": "brand", "device_id": dev, "country": place])
                let cart = at + s.int(in: 2_000...40_000)
                s.event(a, "add_to_cart", at: cart, ["item_id": item, "seller_id": "brand", "device_id": dev, "quantity": 1, "country": place])
                s.order(a, item: item, seller: "brand", at: cart + s.int(in: 2_000...25_000), device: dev, address: "ca\(k)-\(c)",
                        payment: "cc\(k)-\(c)", amount: 180, ip: ip, country: place)
            }
        }
    }

    /// The crew is found with the sign and missed without it; the travelling fans — the drop from
    /// abroad, everything else from home — are not reported, nor is any customer.
    func testACrewBuyingFromAbroadIsFoundAndTravellersAreNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            crew(s, store(s), size: 20)
            let (f, t) = try s.run(ScalperDetector())
            let found = f.accounts(t)
            XCTAssertGreaterThanOrEqual(found.filter { $0.hasPrefix("crew") }.count, 54, "\(found.filter { $0.hasPrefix("crew") }.count) of 60 crew accounts")
            XCTAssertEqual(found.filter { $0.hasPrefix("fan") }.sorted(), [])
            XCTAssertEqual(found.filter { $0.hasPrefix("buyer") }.sorted(), [])
            let why = f.first { t.accountID($0.account).hasPrefix("crew") }?.reason ?? ""
            XCTAssertTrue(why.contains("bought its drop(s) from outside its profile's country"), why)

            var without = ScalperDetector()
            without.dropsAbroad = false
            let (off, t2) = try s.run(without)
            // Without it, only those that chance made quick, or whose drop's crew is a cohort that
            // bought the same drop and nothing else beyond what chance allows, pass: a fifth at most.
            XCTAssertLessThanOrEqual(off.accounts(t2).filter { $0.hasPrefix("crew") }.count, 12, "without the sign the crew is fans who opened an account for the drop")
        }
    }

    /// review66 #2, the crew's honest twin: a fan who opened an account the day before the drop, looked,
    /// bought one piece and did nothing else — from abroad (a traveller, a VPN, a profile left at the
    /// form's default) — shows exactly what a crew member shows and is reported. Fresh fans at home
    /// are reported as often as without the sign; what tells the twin from the crew is the crew's number, which this sign does not count.
    func testTheCrewsHonestTwinIsReportedOnlyFromAbroad() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            let drops = store(s)
            for (k, (item, at)) in drops.enumerated() {
                for f in 0..<10 {
                    let place = f == 0 ? "JP" : "TH"
                    let a = s.account("fresh\(k)-\(f)", created: at - Scenario.day)
                    let dev = "nd\(k)-\(f)", ip = "10.8\(k).\(f).1"
                    s.event(a, "signup", at: at - Scenario.day, ["device_id": dev, "ip": ip, "country": place])
                    s.event(a, "view", at: at - s.int(in: 2 * minute...30 * minute), ["item_id": item, "seller_id": "brand", "device_id": dev, "country": place])
                    let cart = at + s.int(in: 2_000...60_000)
                    s.event(a, "add_to_cart", at: cart, ["item_id": item, "seller_id": "brand", "device_id": dev, "quantity": 1, "country": place])
                    s.order(a, item: item, seller: "brand", at: cart + s.int(in: 2_000...25_000), device: dev, address: "na\(k)-\(f)",
                            payment: "nc\(k)-\(f)", amount: 180, ip: ip, country: place)
                }
            }
            let (f, t) = try s.run(ScalperDetector())
            let fresh = f.accounts(t).filter { $0.hasPrefix("fresh") }
            XCTAssertEqual(fresh.filter { $0.hasSuffix("-0") }.sorted(), ["fresh0-0", "fresh1-0", "fresh2-0"], "the three who bought from abroad")
            // At home the sign changes nothing: whoever the other signs report by chance (a checkout
            // quicker than nine in ten customers', a cohort of accounts that bought one drop and
            // nothing else) is reported with it or without it.
            var off = ScalperDetector()
            off.dropsAbroad = false
            let (g, t2) = try s.run(off)
            let without = g.accounts(t2).filter { $0.hasPrefix("fresh") }
            XCTAssertEqual(fresh.filter { !$0.hasSuffix("-0") }.sorted(), without.filter { !$0.hasSuffix("-0") }.sorted())
        }
    }

    /// Where the store's customers order from abroad as often as not (a border town, a store of
    /// expatriates), buying a drop from abroad is no surprise and the crew is not found by it.
    func testWhereCustomersOftenOrderFromAbroadItIsNoSurprise() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            let drops = store(s)
            for b in 0..<300 {
                let a = s.account("expat\(b)")
                for _ in 0..<2 {
                    s.order(a, item: "everyday", seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * day + s.int(in: 8...21) * hour,
                            device: "xd\(b)", address: "xa\(b)", payment: "xc\(b)", amount: 25, ip: "10.240.\(b % 250).\(b / 250 + 1)", country: "JP")
                }
            }
            crew(s, drops, size: 20)
            let (f, t) = try s.run(ScalperDetector())
            XCTAssertLessThanOrEqual(f.accounts(t).filter { $0.hasPrefix("crew") }.count, 3)
        }
    }

    /// Who has the sign: every drop purchase that carries a country placed outside the profile's, its
    /// ordinary orders mostly at home; an account that moved (every order from its new country) and
    /// an account whose drop purchase carries no country do not. The reference counts the customers
    /// (two or more ordinary orders with a country) who ever ordered from abroad; fewer than
    /// `minReference` of them judge nobody; a store without countries is silent.
    func testWhoHasTheSignAndTheReference() throws {
        let s = Scenario(seed: 7)
        s.account("shop", kind: "seller")
        s.item("everyday", seller: "shop")
        let at = Scenario.t0 + 5 * day
        s.item("drop", seller: "shop", price: 100, limited: true, dropAt: at)
        func buy(_ a: String, drop country: String?, ordinary: [String]) {
            s.order(a, item: "drop", seller: "shop", at: at + 5_000, device: "d-\(a)", ip: "10.1.1.1", country: country)
            for (k, c) in ordinary.enumerated() {
                s.order(a, item: "everyday", seller: "shop", at: Scenario.t0 + Int64(10 + k) * day, device: "d-\(a)", ip: "10.1.1.1", country: c)
            }
        }
        for c in 0..<30 { s.account("cust\(c)"); buy("cust\(c)", drop: "TH", ordinary: c < 5 ? ["TH", "JP"] : ["TH", "TH"]) }
        s.account("away"); buy("away", drop: "IT", ordinary: [])
        s.account("away-home"); buy("away-home", drop: "IT", ordinary: ["TH", "TH", "JP"])
        s.account("moved"); buy("moved", drop: "JP", ordinary: ["JP", "JP"])
        s.account("unplaced"); buy("unplaced", drop: nil, ordinary: [])
        s.account("noprofile", country: ""); buy("noprofile", drop: "IT", ordinary: [])
        // A blank event country is none; a code in another case or with spaces is the same country.
        s.account("blank-event"); buy("blank-event", drop: " ", ordinary: [])
        s.account("spelled", country: " th"); buy("spelled", drop: "TH", ordinary: [])
        // Half its ordinary orders abroad is still "mostly not" (at most half); one drop at home and
        // one abroad is not "every drop abroad".
        s.account("half-away"); buy("half-away", drop: "IT", ordinary: ["TH", "JP"])
        s.account("mixed"); buy("mixed", drop: "IT", ordinary: [])
        s.order("mixed", item: "drop", seller: "shop", at: at + 9_000, device: "d-mixed", ip: "10.1.1.1", country: "TH")
        let (_, t) = try s.build()
        var byAccount: [Int32: [Int]] = [:]
        for e in 0..<t.count where t.kind[e] == .order && t.item[e] >= 0 && t.itemDropAt[Int(t.item[e])] != Int64.min {
            byAccount[t.account[e], default: []].append(e)
        }
        let r = try XCTUnwrap(ScalperDetector.dropsAbroad(t, byAccount: byAccount, minReference: 20))
        // 33 customers (30, "away-home", "moved", "half-away"), 8 of them ever abroad (5, "away-home",
        // "moved", "half-away").
        XCTAssertEqual(r.customers, 33)
        XCTAssertEqual(r.share, 9.0 / 35, accuracy: 1e-12)
        XCTAssertEqual(r.worth, -log10(9.0 / 35), accuracy: 1e-12)
        XCTAssertEqual(Set(r.accounts.map { t.accountID($0) }), ["away", "away-home", "half-away"])
        XCTAssertNil(ScalperDetector.dropsAbroad(t, byAccount: byAccount, minReference: 34))
        // The loader's view of the spellings.
        let blankEvent = try XCTUnwrap(t.accounts.lookup("blank-event"))
        XCTAssertTrue(t.events(of: Int(blankEvent)).allSatisfy { t.country[Int($0)] == -1 })
        let spelled = try XCTUnwrap(t.accounts.lookup("spelled"))
        XCTAssertGreaterThanOrEqual(t.homeCountry[Int(spelled)], 0)
        let placed = t.events(of: Int(spelled)).filter { t.country[Int($0)] >= 0 }
        XCTAssertFalse(placed.isEmpty)
        XCTAssertTrue(placed.allSatisfy { t.country[Int($0)] == t.homeCountry[Int(spelled)] })
    }

    /// A store whose events carry no country: the sign is silent and the findings are those without it.
    func testSilentWithoutCountries() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("everyday", seller: "shop")
            let at = Scenario.t0 + 5 * day
            s.item("drop", seller: "shop", price: 100, limited: true, dropAt: at)
            for c in 0..<40 {
                s.account("cust\(c)", country: c % 2 == 0 ? "TH" : "JP")
                s.order("cust\(c)", item: "drop", seller: "shop", at: at + s.int(in: 2_000...60_000), device: "d\(c)", ip: "10.1.\(c).1")
                for k in 0..<2 {
                    s.order("cust\(c)", item: "everyday", seller: "shop", at: Scenario.t0 + Int64(10 + k) * day, device: "d\(c)", ip: "10.1.\(c).1")
                }
            }
            let (_, t) = try s.build()
            let byAccount = Dictionary(grouping: (0..<t.count).filter { t.kind[$0] == .order && t.itemDropAt[Int(t.item[$0])] != Int64.min }, by: { t.account[$0] })
            XCTAssertNil(ScalperDetector.dropsAbroad(t, byAccount: byAccount, minReference: 20))
            var off = ScalperDetector()
            off.dropsAbroad = false
            let (a, ta) = try s.run(ScalperDetector()), (b, tb) = try s.run(off)
            XCTAssertEqual(a.accounts(ta), b.accounts(tb))
        }
    }

    /// The sign is on by default and switched off by name.
    func testSwitchedByName() throws {
        XCTAssertTrue(ScalperDetector().dropsAbroad)
        let engine = DetectionEngine(rulesDirectory: nil)
        try engine.disableSigns(["drops-abroad"])
        XCTAssertFalse(engine.detectors.compactMap { $0 as? ScalperDetector }.contains(where: \.dropsAbroad))
    }
}
