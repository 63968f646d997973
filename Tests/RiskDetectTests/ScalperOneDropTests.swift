import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// One-drop scalpers (scal39): a bot that buys one drop — at the head of the rush, many pieces,
/// no look at the item, an account opened for it — against honest look-alikes: a flash crowd
/// in which a fifth are households taking two units and a quarter look at the item only in the
/// last minute (so "bulk" and "blind" are common, as where crews and resellers crowd a drop),
/// fans whose whole life in the store is the drop, and resellers who take three pieces of one
/// drop and shop the store besides.
final class ScalperOneDropTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// The detector with both scal39 signs on (`gradedSigns` is off by default).
    var detector: ScalperDetector {
        var d = ScalperDetector()
        d.gradedSigns = true
        d.openedForDrops = true
        return d
    }

    /// The crowds of `Scenario.dropStore` with households taking two units (every fan visits the
    /// store on some other day too), plus a quarter more per drop who glance at the item in the
    /// last minute, half of them taking two pieces (a visit and 0–3 ordinary orders besides), `singles` fans per drop whose only events are the drop (a look minutes before,
    /// one piece, mid-pack), four resellers (three pieces of one drop each, after a look, and a
    /// shopping life), and 600 everyday buyers who browse on other days (every 40th only checks
    /// out once and is never seen again — the store's single-purpose shoppers).
    func store(_ s: Scenario, singles: Int) -> [(String, Int64)] {
        let drops = s.dropStore(households: true, brandShopping: true)
        // Fans are customers of the store: a visit on some other day.
        for k in 0..<3 { for f in 0..<120 { s.browse("fan\(k)-\(f)", day: Int(s.int(in: 0...27)), device: "fd\(k)-\(f)", items: ["everyday", "other"], seller: "shop", ip: "10.\(k).\(f).1") } }
        for (k, (item, at)) in drops.enumerated() {
            for f in 0..<30 {
                let a = s.account("late\(k)-\(f)")
                s.event(a, "view", at: at - s.int(in: 0...50_000), ["item_id": item, "seller_id": "brand", "device_id": "ld\(k)-\(f)"])
                let react = Int64(-log(1 - s.double(in: 0...0.999)) * 20_000) + 800
                s.order(a, item: item, seller: "brand", at: at + react, device: "ld\(k)-\(f)", address: "la\(k)-\(f)", payment: "lc\(k)-\(f)",
                        amount: 180, quantity: f % 2 == 0 ? 2 : 1, ip: "10.\(30 + k).\(f).1")
                s.browse(a, day: Int(s.int(in: 0...27)), device: "ld\(k)-\(f)", items: ["everyday", "other"], seller: "shop", ip: "10.\(30 + k).\(f).1")
                for _ in 0..<Int(s.int(in: 0...3)) {
                    s.order(a, item: "everyday", seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * day + s.int(in: 8...21) * hour,
                            device: "ld\(k)-\(f)", address: "la\(k)-\(f)", payment: "lc\(k)-\(f)", amount: 25, ip: "10.\(30 + k).\(f).1")
                }
            }
            for f in 0..<singles {
                let a = s.account("single\(k)-\(f)")
                s.event(a, "view", at: at - s.int(in: 2 * minute...20 * minute), ["item_id": item, "seller_id": "brand", "device_id": "sd\(k)-\(f)"])
                s.order(a, item: item, seller: "brand", at: at + s.int(in: 6_000...60_000), device: "sd\(k)-\(f)", address: "sa\(k)-\(f)",
                        payment: "sc\(k)-\(f)", amount: 180, ip: "10.\(40 + k).\(f).1")
            }
        }
        for r in 0..<4 {
            let a = s.account("reseller\(r)")
            let (item, at) = drops[r % 3]
            s.event(a, "view", at: at - 5 * minute, ["item_id": item, "seller_id": "brand", "device_id": "rd\(r)"])
            s.order(a, item: item, seller: "brand", at: at + s.int(in: 3_000...30_000), device: "rd\(r)", address: "ra\(r)",
                    payment: "rc\(r)", amount: 540, quantity: 3, ip: "10.200.\(r).1")
            for d in 0..<6 {
                s.browse(a, day: d * 4 + 1, device: "rd\(r)", items: ["everyday", "other"], seller: "shop", ip: "10.200.\(r).1")
                s.order(a, item: "everyday", seller: "shop", at: Scenario.t0 + Int64(d * 4 + 2) * day + 12 * hour, device: "rd\(r)",
                        address: "ra\(r)", payment: "rc\(r)", amount: 25, ip: "10.200.\(r).1")
            }
        }
        for b in 0..<600 {
            s.account("buyer\(b)")
            if b % 40 != 0 {
                for _ in 0..<3 { s.browse("buyer\(b)", day: Int(s.int(in: 0...27)), device: "bd\(b)", items: ["everyday"], seller: "shop", ip: "10.250.\(b % 250).\(b / 250 + 1)") }
            }
            s.order("buyer\(b)", item: "everyday", seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * day + s.int(in: 8...21) * hour,
                    device: "bd\(b)", address: "ba\(b)", payment: "bc\(b)", amount: 25, ip: "10.250.\(b % 250).\(b / 250 + 1)")
        }
        return drops
    }

    /// Three bots, one drop each: opened the day before (a sign-up and nothing else), checkout
    /// 0.3–2.5 s after the release with 5–8 pieces and no look at the item, each from its own
    /// address block, card and device — nothing shared, one drop, no cohort.
    func bots(_ s: Scenario, _ drops: [(String, Int64)]) {
        for (k, (item, at)) in drops.enumerated() {
            let a = s.account("bot\(k)", created: at - day)
            s.event(a, "signup", at: at - day, ["device_id": "xd\(k)", "ip": "203.0.\(113 + k).9"])
            s.event(a, "add_to_cart", at: at + s.int(in: 200...1_200), ["item_id": item, "seller_id": "brand", "device_id": "xd\(k)", "quantity": 6])
            s.order(a, item: item, seller: "brand", at: at + s.int(in: 1_300...2_500), device: "xd\(k)", address: "xa\(k)",
                    payment: "xc\(k)", amount: 1_080, quantity: Int(s.int(in: 5...8)), ip: "203.0.\(113 + k).\(s.int(in: 2...250))")
        }
    }

    /// The bots are found, each on its own; the households' two units, the fans who look in the
    /// last minute, the single-purpose fans, the resellers and the everyday buyers are not.
    func testOneDropBotsAreFoundTheirLookAlikesAreNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            let drops = store(s, singles: 3)
            bots(s, drops)
            let (f, t) = try s.run(detector)
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.filter { $0.hasPrefix("bot") }.count, 3, "\(flagged.sorted())")
            let fans = flagged.filter { $0.hasPrefix("fan") || $0.hasPrefix("late") }
            XCTAssertLessThanOrEqual(fans.count, 3, "honest fans: \(fans.sorted())")
            XCTAssertTrue(flagged.filter { $0.hasPrefix("reseller") || $0.hasPrefix("buyer") || $0.hasPrefix("single") }.isEmpty,
                          "\(flagged.sorted())")
            let why = f.first { t.accountID($0.account) == "bot0" }?.reason ?? ""
            XCTAssertTrue(why.contains("nothing in the store but the drop"), why)
        }
    }

    /// Without the graded tails and the opened-for-the-drop sign the same bots pass for fans:
    /// first third, more than one piece and no look are each common at these drops.
    func testWithoutTheNewSignsOneDropBotsAreMissed() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            bots(s, store(s, singles: 3))
            var d = ScalperDetector()
            d.gradedSigns = false
            d.openedForDrops = false
            let (f, t) = try s.run(d)
            XCTAssertTrue(f.accounts(t).filter { $0.hasPrefix("bot") }.isEmpty, "\(f.accounts(t).sorted())")
        }
    }

    /// Ten fans per drop whose whole life is the drop — a look minutes before, one piece, mid-pack
    /// — beside the single-purpose shoppers of the everyday shop: no bot, nobody flagged for it.
    func testFansWhoseLifeIsOneDropAreNotScalpers() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            _ = store(s, singles: 10)
            let (f, t) = try s.run(detector)
            let singles = f.accounts(t).filter { $0.hasPrefix("single") }
            XCTAssertLessThanOrEqual(singles.count, 1, "\(singles.sorted()): \(f.filter { t.accountID($0.account).hasPrefix("single") }.map(\.reason))")
        }
    }
}

/// scalper-leads: a crew spread over fresh accounts, one drop and one piece each, mid-pack,
/// nothing shared, shows too little for a finding — but it shows more scalper signs than the
/// flash crowd, and the anomaly layer orders the store's remainder by them.
extension ScalperOneDropTests {
    /// One account per drop, opened the day before, a look 1–4 minutes before the release, one
    /// piece 6–9 s after it, its own device, card, address and network, and nothing else.
    func spread(_ s: Scenario, _ drops: [(String, Int64)]) {
        for (k, (item, at)) in drops.enumerated() {
            let a = s.account("spread\(k)", created: at - day)
            s.event(a, "signup", at: at - day, ["device_id": "pd\(k)", "ip": "198.51.\(100 + k).7"])
            s.event(a, "view", at: at - s.int(in: minute...4 * minute), ["item_id": item, "seller_id": "brand", "device_id": "pd\(k)"])
            s.event(a, "add_to_cart", at: at + s.int(in: 3_000...4_000), ["item_id": item, "seller_id": "brand", "device_id": "pd\(k)", "quantity": 1])
            s.order(a, item: item, seller: "brand", at: at + s.int(in: 6_000...9_000), device: "pd\(k)", address: "pa\(k)",
                    payment: "pc\(k)", amount: 180, ip: "198.51.\(100 + k).\(s.int(in: 8...250))")
        }
    }

    /// With the sign on, each spread account ranks above nine in ten of the everyday buyers and of
    /// the flash crowd's fans (who shop besides), and above every one-checkout shopper, with no
    /// finding of its own; the reason names the signs; no account's outlier score carries its lead.
    func testSpreadCrewShortOfTheBarIsOrderedByItsSigns() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            spread(s, store(s, singles: 3))
            let (f, t) = try s.run(ScalperDetector())
            XCTAssertTrue(f.accounts(t).filter { $0.hasPrefix("spread") }.isEmpty, "a lead, not a finding: \(f.accounts(t).sorted())")
            let off = Anomaly.compute(t, scalperLeads: nil), on = Anomaly.compute(t)
            let ids = (0..<t.accountCount).map { t.accountID(Int32($0)) }
            func ninth(_ prefix: String) -> Double {
                let r = ids.indices.filter { ids[$0].hasPrefix(prefix) }.map { on.rank[$0] }.sorted()
                return r[r.count * 9 / 10]
            }
            let buyers = ninth("buyer"), fans = ninth("fan")
            for k in 0..<3 {
                let i = ids.firstIndex(of: "spread\(k)")!
                XCTAssertGreaterThan(on.rank[i], buyers, "spread\(k) among the everyday buyers")
                XCTAssertGreaterThan(on.rank[i], fans, "spread\(k) among the flash crowd")
                let why = on.explanation(i, t) ?? ""
                XCTAssertTrue(why.contains("scalper signs"), why)
            }
            // Everyday buyers who checked out once and were never seen again are as thin as the
            // spread accounts: as outliers alone they rank among them; the signs set them apart.
            let once = ids.indices.filter { ids[$0].hasPrefix("buyer") && Int(ids[$0].dropFirst(5))! % 40 == 0 }
            let spread = ids.indices.filter { ids[$0].hasPrefix("spread") }
            let onceOn = once.map { on.rank[$0] }.max()!, onceOff = once.map { off.rank[$0] }.max()!
            XCTAssertTrue(spread.allSatisfy { on.rank[$0] > onceOn }, "\(spread.map { on.rank[$0] }) vs \(onceOn) (without the sign \(spread.map { off.rank[$0] }) vs \(onceOff))")
            // The lead orders the rank only: an account's outlier score is what it was without the
            // sign (for every account with no order in the first five seconds of a drop — the column
            // the lead replaces), however large its lead.
            let fiveSeconds = Set(ids.indices.filter { a in
                t.events(of: a).contains { e in
                    let e = Int(e), it = t.item[e]
                    return t.kind[e] == .order && it >= 0 && t.itemDropAt[Int(it)] != Int64.min && t.ts[e] >= t.itemDropAt[Int(it)] && t.ts[e] - t.itemDropAt[Int(it)] <= 5000
                }
            })
            let leads = try ScalperDetector().assess(t, cancel: CancelToken()).surprise
            XCTAssertGreaterThan(leads.count, 100)
            for (a, v) in leads where !fiveSeconds.contains(Int(a)) && v > 0 {
                XCTAssertEqual(on.raw[Int(a)], off.raw[Int(a)], accuracy: 1e-9, "\(ids[Int(a)]): lead \(v) in its outlier score")
            }
        }
    }

    /// The leads are the engine's scalper detector's: `detect --disable scalper` (leave-one-detector-
    /// out) leaves no scalper evidence in the anomaly layer either, and `--no-sign scalper-leads` none.
    func testLeadsComeFromTheEnginesScalperDetectorOnly() throws {
        let s = Scenario(seed: TestSeed.first)
        spread(s, store(s, singles: 3))
        let (store, _) = try s.build()
        let on = try detectScores(store, disabling: [])
        XCTAssertTrue((0..<3).contains { on.why["spread\($0)"]?.contains("scalper signs") == true }, "\((0..<3).map { on.why["spread\($0)"] ?? "" })")
        let loo = try detectScores(store, disabling: ["scalper"])
        XCTAssertFalse(loo.why.values.contains { $0.contains("scalper signs") }, "the layer ran the detector the run switched off")
        let engine = DetectionEngine(rulesDirectory: nil)
        try engine.disableSigns(["scalper-leads"])
        _ = try engine.run(store: store)
        XCTAssertFalse(try store.storedScores().contains { $0.reasons.joined().contains("scalper signs") })
    }
}

