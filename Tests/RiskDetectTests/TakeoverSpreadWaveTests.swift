import Foundation
import XCTest
@testable import RiskDetect

/// Session 46 (`spread-waves`, on by default): credential stuffing through a residential proxy pool. Every
/// try comes from a new device fingerprint and an address anywhere in the country, so no device and no
/// address block fails on more than one account — the per-source wave test has nothing to count. The
/// burst is what shows: within three hours, forty-odd accounts see a failed login from a device and a
/// network each of them never used. Its victims (a stranger's device on a network new to them, three
/// ordinary orders with the owner's card to the owner's address) look like an owner's new phone on the
/// road without it. The look-alikes stay low: travellers with a new phone abroad who typo once and
/// order (spread failures too, one a day or so, scattered over the month and the busy hours); an app
/// release that gives sixty owners' phones a new device id on one evening, a third typoing at home (a
/// burst, but on networks the owners used: no spread failure); the wave's bystanders (failures only).
final class TakeoverSpreadWaveTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    struct Store {
        var victims: [String] = [], bystanders: [String] = [], travellers: [String] = [], updaters: [String] = []
    }

    /// The store; `waves` spread waves starting on days 8, 13, 18 (1–3 of them; the owners go on for days after), each on `bystanders`
    /// accounts and two victims, its tries over `hours`.
    /// With `sleeper`, the first wave's second victim is a sleeper: the stranger gets in and only looks, then
    /// comes back on the same device four days later (past the entry's 3-day footprint) from another address anywhere and orders twice.
    func store(seed: UInt64, waves: Int, bystanders: Int = 40, hours: Int = 3, sleeper: Bool = false) throws -> (Store, EventTable) {
        let (s, ow) = PlainOwners.store(seed, salt: 46_046, owners: 800)
        var out = Store()
        // The app release on day 20, at 19:00–22:00: sixty owners' phones report a new device id; a third
        // typo the password first — at home, on the network they always use.
        for i in 0..<60 {
            let a = s.account("up\(i)"); out.updaters.append(a)
            let home = ow.routine(a, device: { $0 < 20 ? "up\(i)-phone" : "up\(i)-phone-v2" })
            let at = Scenario.t0 + 20 * day + 19 * hour + Int64(ow.rng.int(0...10_799)) * 1000
            let ip = "\(home).\(ow.rng.int(2...9))"
            if i % 3 == 0 { s.event(a, "login", at: at - minute, ["device_id": "up\(i)-phone-v2", "country": "TH", "ip": ip, "status": "fail"]) }
            s.event(a, "login", at: at, ["device_id": "up\(i)-phone-v2", "country": "TH", "ip": ip, "status": "ok"])
            s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: "up\(i)-phone-v2", address: "\(a)-home",
                    payment: "\(a)-card", amount: 12, ip: ip)
        }
        // Travellers: a new phone abroad, one typo, one or two ordinary orders; home after two days.
        for i in 0..<30 {
            let a = s.account("trav\(i)"); out.travellers.append(a)
            let d = ow.rng.int(3...25)
            ow.routine(a, device: { $0 < d ? "tr\(i)-phone" : "tr\(i)-new" }, days: Array(0..<d) + Array((d + 2)..<28))
            let at = Scenario.t0 + Int64(d) * day + Int64(ow.rng.int(8...21)) * hour
            let ip = ow.anywhere()
            s.event(a, "login", at: at - minute, ["device_id": "tr\(i)-new", "country": "JP", "ip": ip, "status": "fail"])
            s.event(a, "login", at: at, ["device_id": "tr\(i)-new", "country": "JP", "ip": ip, "status": "ok"])
            for o in 0..<ow.rng.int(1...2) {
                s.order(a, item: "socks", seller: "shop", at: at + Int64(6 + 20 * o) * minute, device: "tr\(i)-new", address: "\(a)-home",
                        payment: "\(a)-card", amount: Double(ow.rng.int(8...12)), ip: ip)
            }
        }
        for w in 0..<waves {
            let start = Scenario.t0 + Int64(8 + 5 * w) * day + Int64(ow.rng.int(0...20)) * hour
            var hit: [String] = []
            for i in 0..<bystanders {
                let a = s.account("by\(w)-\(i)"); out.bystanders.append(a); hit.append(a)
                ow.routine(a, device: { _ in "by\(w)-\(i)-phone" })
            }
            for i in 0..<2 {
                let a = s.account("ato\(w)-\(i)"); out.victims.append(a); hit.append(a)
                ow.routine(a, device: { _ in "v\(w)-\(i)-phone" })
            }
            // 1–3 tries on each, a new device and an address anywhere every try.
            var lastTry: [String: Int64] = [:]
            for a in hit {
                for _ in 0..<ow.rng.int(1...3) {
                    let at = start + Int64(ow.rng.int(0...(hours * 3_600 - 1))) * 1000
                    lastTry[a] = max(lastTry[a] ?? at, at)
                    s.event(a, "login", at: at, ["device_id": "rp-\(ow.rng.int(0...999_999_999))", "country": "TH", "ip": ow.anywhere(), "status": "fail"])
                }
            }
            // The victims: minutes to two hours after the tries on them, a stranger's device gets in from an
            // address anywhere; three ordinary orders.
            for i in 0..<2 {
                let a = "ato\(w)-\(i)"
                let at = lastTry[a]! + Int64(ow.rng.int(10...120)) * minute
                let dev = "thief\(w)-\(i)", ip = ow.anywhere()
                s.event(a, "login", at: at, ["device_id": dev, "country": "TH", "ip": ip, "status": "ok"])
                if sleeper && w == 0 && i == 1 {
                    s.event(a, "view", at: at + 2 * minute, ["device_id": dev, "country": "TH", "ip": ip, "item_id": "socks", "seller_id": "shop"])
                    let back = at + 4 * day + Int64(ow.rng.int(1...5)) * hour, ip2 = ow.anywhere()
                    s.event(a, "login", at: back, ["device_id": dev, "country": "TH", "ip": ip2, "status": "ok"])
                    for o in 0..<2 {
                        s.order(a, item: "socks", seller: "shop", at: back + Int64(5 + 9 * o) * minute, device: dev, address: "\(a)-home",
                                payment: "\(a)-card", amount: Double(ow.rng.int(8...16)), ip: ip2)
                    }
                    continue
                }
                for o in 0..<3 {
                    s.order(a, item: "socks", seller: "shop", at: at + Int64(5 + 9 * o) * minute, device: dev, address: "\(a)-home",
                            payment: "\(a)-card", amount: Double(ow.rng.int(8...16)), ip: ip)
                }
            }
        }
        let (_, t) = try s.build()
        return (out, t)
    }

    func testASpreadWavesVictimsAreFoundAnAppReleaseBystandersAndTravellersAreNotByIt() throws {
        try forEachSeed { seed in
            for waves in [1, 3] {
                let (st, t) = try store(seed: seed, waves: waves)
                let f = try TakeoverDetector().run(t, cancel: CancelToken())
                let flagged = f.accounts(t)
                XCTAssertEqual(flagged.intersection(st.victims), Set(st.victims),
                               "seed \(seed), \(waves) wave(s): victims missed: \(Set(st.victims).subtracting(flagged).sorted())")
                for fd in f {
                    let a = t.accountID(fd.account)
                    XCTAssertEqual(fd.reason.contains("each from a device and network new to the account"), st.victims.contains(a), "seed \(seed): \(a): \(fd.reason)")
                }
                for (name, group) in [("app updater", st.updaters), ("bystander", st.bystanders)] {
                    XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed), \(waves) wave(s): \(name) flagged: "
                                  + f.filter { group.contains(t.accountID($0.account)) }.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "; "))
                }
                // Without the sign the burst is no wave: no finding names it, and the sign adds no one but the victims (a traveller's trip is judged as before, wave or not).
                var off = TakeoverDetector()
                off.spreadWaves = false
                let g = try off.run(t, cancel: CancelToken())
                XCTAssertFalse(g.contains { $0.reason.contains("credential-stuffing wave") }, "seed \(seed): a wave without the sign")
                // The wave is evidence: no victim is weaker with it, and together they are stronger (on most seeds
                // some are not found at all without it).
                func strength(_ fs: [Finding], _ a: String) -> Double { fs.filter { t.accountID($0.account) == a }.map(\.strength).max() ?? 0 }
                for a in st.victims { XCTAssertGreaterThanOrEqual(strength(f, a), strength(g, a), "seed \(seed): \(a)") }
                XCTAssertGreaterThan(st.victims.map { strength(f, $0) }.reduce(0, +), st.victims.map { strength(g, $0) }.reduce(0, +), "seed \(seed), \(waves) wave(s)")
                // With one wave the sign adds no one but its victims. (With three, six strong victims leave the
                // ordinary anchors whose rates judge everyone: a traveller's trip with orders can then clear the bar
                // on its own steps — no finding but the victims' names the wave, asserted above.)
                if waves == 1 { XCTAssertEqual(flagged.subtracting(st.victims), g.accounts(t).subtracting(st.victims), "seed \(seed), \(waves) wave(s)") }
            }
        }
    }

    /// A sleeper entering in the wave: its device's whole life on the account is two bursts (the entry, the
    /// spree four days later), so the wave is carried to the entry, and the entry's change of hands to the spree.
    func testASleeperEnteringInTheWaveIsFoundByItsSpree() throws {
        try forEachSeed { seed in
            let (_, t) = try store(seed: seed, waves: 1, sleeper: true)
            let f = try TakeoverDetector().run(t, cancel: CancelToken())
            let sleeper = f.filter { t.accountID($0.account) == "ato0-1" }
            XCTAssertEqual(sleeper.count, 1, "seed \(seed): the sleeper missed")
            for fd in sleeper {
                // Its entry carries the wave (the spree, past the footprint, is linked to it — or the entry, with the
                // wave's try just before it, is the stronger finding).
                XCTAssertTrue(fd.reason.contains("each from a device and network new to the account"), fd.reason)
            }
            var off = TakeoverDetector()
            off.spreadWaves = false
            XCTAssertFalse(try off.run(t, cancel: CancelToken()).contains { t.accountID($0.account) == "ato0-1" }, "seed \(seed): found without the sign")
        }
    }

    /// The burst must be one: the same tries spread over two weeks (a failure from a new device and a
    /// network anywhere on an account every few hours), the victims still logging in from a stranger's
    /// device within two hours of the tries on them — no wave.
    func testTheSameTriesSpreadOverTwoWeeksAreNoWave() throws {
        try forEachSeed { seed in
            let (_, t) = try store(seed: seed, waves: 1, hours: 24 * 14)
            let f = try TakeoverDetector().run(t, cancel: CancelToken())
            XCTAssertFalse(f.contains { $0.reason.contains("credential-stuffing wave") },
                           "seed \(seed): " + f.filter { $0.reason.contains("credential-stuffing wave") }.map(\.reason).joined(separator: "; "))
        }
    }

    /// The window's expectation is the store's rate a day times the busiest hours' share of its logins,
    /// and the rate is estimated again without the first pass's waves.
    func testTheRateIsTheStoresOwnOutsideItsWaves() {
        var s = TakeoverDetector.SpreadFailures()
        let h: Int64 = 3_600_000, t0: Int64 = 1_700_000_000_000 / (24 * h) * (24 * h)
        // 30 days, logins only 18:00–23:59; one failure a day at 20:00.
        for d in 0..<30 {
            for hh in 18..<24 { s.see(t0 + Int64(d) * 24 * h + Int64(hh) * h, isLogin: true) }
            s.failures.append((t0 + Int64(d) * 24 * h + 20 * h, Int32(d), -1))
        }
        XCTAssertEqual(s.peakShare(hours: 6), 1, accuracy: 1e-9)
        XCTAssertEqual(s.peakShare(hours: 3), 0.5, accuracy: 1e-9)
        XCTAssertTrue(s.waves(span: 6 * h).isEmpty, "one a day is the store's rate")
        // Three more on day 9 near the day's own: four in a window, within the rate.
        var few = s
        for k in 0..<3 { few.failures.append((t0 + 9 * 24 * h + 20 * h + 600_000 + Int64(k) * 60_000, Int32(5_000 + k), -1)) }
        XCTAssertTrue(few.waves(span: 6 * h).isEmpty)
        // Two waves of 40 and three of 12. Against the rate with every failure counted (146 over 30
        // days) only the two large ones pass; against the rate outside them (66) the three of 12 do too.
        for (w, (d, n)) in [(5, 40), (8, 12), (12, 12), (19, 40), (24, 12)].enumerated() {
            for k in 0..<n { s.failures.append((t0 + Int64(d) * 24 * h + 2 * h + Int64(k) * 240_000, Int32(1_000 + w * 100 + k), -1)) }
        }
        let waves = s.waves(span: 6 * h)
        XCTAssertEqual(waves.map(\.accounts), [40, 12, 12, 40, 12])
        XCTAssertEqual(waves.map { Set($0.failures.map(\.account)).count }, [40, 12, 12, 40, 12])
        XCTAssertTrue(waves.allSatisfy { $0.failures.allSatisfy { $0.account >= 1_000 } }, "no day's own failure is in a wave")
        // Broken input: no failures; a store of one instant (no rate); no logins (the hours' share is their length's).
        XCTAssertTrue(TakeoverDetector.SpreadFailures().waves(span: 6 * h).isEmpty)
        var u = TakeoverDetector.SpreadFailures()
        for k in 0..<5 { u.failures.append((t0, Int32(k), -1)); u.see(t0, isLogin: false) }
        XCTAssertTrue(u.waves(span: 6 * h).isEmpty, "a store of one instant has no rate")
        XCTAssertEqual(u.peakShare(hours: 6), 0.25, accuracy: 1e-9)
        XCTAssertTrue(s.waves(span: 0).isEmpty)
    }
}
