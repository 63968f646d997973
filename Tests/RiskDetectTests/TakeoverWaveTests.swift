import Foundation
import XCTest
@testable import RiskDetect

/// Credential stuffing: one source fails logins on many accounts within hours (a list of stolen
/// passwords tried against the store), and the few that worked are taken over — a login from a
/// stranger's device on a network the owner never used, and two ordinary orders to the owner's own
/// address with the owner's card. Nothing in the money or the goods' way is new, so without the wave
/// those victims look like an owner's new phone on the road. Two waves: one by an address block (a
/// new bot device every try), one by a device (a new address every try, one victim logging in from
/// the bot itself). The look-alikes stay low: travellers with a new phone abroad who typo the password
/// once and order twice; a household of eight on one NAT, logging in (and now and then typoing) there
/// every day; a corporate proxy whose users have used it for weeks and fail there all one day (a
/// password policy change), five of whom then log in from a new phone on a new network and order.
final class TakeoverWaveTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testStuffingVictimsAreFoundTypoTravellersHouseholdsAndProxiesAreNot() throws {
        try forEachSeed { seed in
            // 360 owners, half of them changing phones at home between days 5 and 20.
            let (s, ow) = PlainOwners.store(seed, salt: 38_038, owners: 360, phoneChange: 5...20)
            // Two waves, each on 24 bystanders and 2 victims within two hours, 1–3 tries each.
            var victims: [String] = []
            var bystanders: [String] = []
            for w in 0..<2 {
                let start = Scenario.t0 + Int64(8 + 9 * w) * day + Int64(ow.rng.int(0...12)) * hour
                var hit: [String] = []
                for i in 0..<24 {
                    let a = s.account("by\(w)-\(i)"); bystanders.append(a); hit.append(a)
                    ow.routine(a, device: { _ in "by\(w)-\(i)-phone" })
                }
                for i in 0..<2 {
                    let a = s.account("ato\(w)-\(i)"); victims.append(a); hit.append(a)
                    ow.routine(a, device: { _ in "v\(w)-\(i)-phone" })
                }
                for (n, a) in hit.enumerated() {
                    for _ in 0..<ow.rng.int(1...3) {
                        let at = start + Int64(ow.rng.int(0...7_199)) * 1000
                        // Wave 0: one block, a new bot device each try; wave 1: one device, an address anywhere.
                        let f: [String: Any] = w == 0
                            ? ["device_id": "bot0-\(n)-\(ow.rng.int(0...999_999))", "country": "NL", "ip": "203.0.113.\(ow.rng.int(2...250))", "status": "fail"]
                            : ["device_id": "bot1", "country": "NL", "ip": "100.\(ow.rng.int(64...127)).\(ow.rng.int(0...255)).\(ow.rng.int(2...250))", "status": "fail"]
                        s.event(a, "login", at: at, f)
                    }
                }
                // A quarter of the bystanders' owners log in within two hours of the wave on their own
                // phone, on mobile data they had not used, and order (review38: the bot's failed try
                // was taken for the device that got in).
                for i in stride(from: 0, to: 24, by: 4) {
                    let a = "by\(w)-\(i)", at = start + Int64(ow.rng.int(30...110)) * minute
                    let f: [String: Any] = ["device_id": "by\(w)-\(i)-phone", "country": "TH", "ip": "172.20.\(w).\(2 + i)"]
                    s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
                    s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: "by\(w)-\(i)-phone", address: "\(a)-home",
                            payment: "\(a)-card", amount: 12, ip: "172.20.\(w).\(2 + i)")
                }
                // The victims: a login within hours of the wave from a stranger's device on a network
                // the owner never used (the bot itself for one of wave 1's), two ordinary orders.
                for i in 0..<2 {
                    let a = "ato\(w)-\(i)"
                    let at = start + Int64(ow.rng.int(2...5)) * hour
                    let dev = w == 1 && i == 0 ? "bot1" : "thief\(w)-\(i)"
                    let ip = "198.51.\(100 + 3 * w + i).\(ow.rng.int(2...250))"
                    s.event(a, "login", at: at, ["device_id": dev, "country": "TH", "ip": ip, "status": "ok"])
                    for o in 0..<2 {
                        s.order(a, item: "socks", seller: "shop", at: at + Int64(5 + 9 * o) * minute, device: dev, address: "\(a)-home",
                                payment: "\(a)-card", amount: Double(ow.rng.int(8...16)), ip: ip)
                    }
                }
            }
            // Travellers with a new phone abroad: one typo, then two ordinary orders; home after two days.
            var travellers: [String] = []
            for i in 0..<16 {
                let a = s.account("trav\(i)"); travellers.append(a)
                let d = ow.rng.int(8...20)
                ow.routine(a, device: { $0 < d ? "tr\(i)-phone" : "tr\(i)-new" }, days: Array(0..<d) + Array((d + 2)..<28))
                let at = Scenario.t0 + Int64(d) * day + Int64(ow.rng.int(8...20)) * hour
                let ip = "172.\(16 + i % 8).\(i).\(ow.rng.int(2...200))"
                s.event(a, "login", at: at - minute, ["device_id": "tr\(i)-new", "country": "JP", "ip": ip, "status": "fail"])
                s.event(a, "login", at: at, ["device_id": "tr\(i)-new", "country": "JP", "ip": ip, "status": "ok"])
                for o in 0..<2 {
                    s.order(a, item: "socks", seller: "shop", at: at + Int64(6 + 20 * o) * minute, device: "tr\(i)-new", address: "\(a)-home",
                            payment: "\(a)-card", amount: Double(ow.rng.int(8...16)), ip: ip)
                }
            }
            // A household of eight on one NAT address: every member logs in there, now and then after a typo.
            var household: [String] = []
            for i in 0..<8 {
                let a = s.account("hh\(i)"); household.append(a)
                ow.routine(a, device: { _ in "hh\(i)-phone" }, net: { _ in "192.0.2.7" })
                for d in stride(from: ow.rng.int(0...6), to: 28, by: 7) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(ow.rng.int(8...20)) * hour
                    s.event(a, "login", at: at, ["device_id": "hh\(i)-phone", "country": "TH", "ip": "192.0.2.7", "status": "fail"])
                    s.event(a, "login", at: at + minute, ["device_id": "hh\(i)-phone", "country": "TH", "ip": "192.0.2.7", "status": "ok"])
                }
            }
            // A corporate proxy: 30 users there for weeks; on day 18 (a password policy change) each
            // fails there once or twice through the day, then logs in. Five of them that evening log in
            // from a new phone on a network they never used and order twice.
            var office: [String] = []
            for i in 0..<30 {
                let a = s.account("of\(i)"); office.append(a)
                ow.routine(a, device: { _ in "of\(i)-laptop" }, net: { _ in "198.18.0.\(10 + i % 3)" })
                let at = Scenario.t0 + 18 * day + 8 * hour + Int64(ow.rng.int(0...35_999)) * 1000
                for f in 0..<ow.rng.int(1...2) {
                    s.event(a, "login", at: at + Int64(f) * minute, ["device_id": "of\(i)-laptop", "country": "TH", "ip": "198.18.0.\(10 + i % 3)", "status": "fail"])
                }
                s.event(a, "login", at: at + 5 * minute, ["device_id": "of\(i)-laptop", "country": "TH", "ip": "198.18.0.\(10 + i % 3)", "status": "ok"])
                if i < 5 {
                    let ev = Scenario.t0 + 18 * day + 20 * hour
                    let ip = "100.64.\(200 + i).\(ow.rng.int(2...250))"
                    s.event(a, "login", at: ev, ["device_id": "of\(i)-phone", "country": "TH", "ip": ip, "status": "ok"])
                    for o in 0..<2 {
                        s.order(a, item: "socks", seller: "shop", at: ev + Int64(5 + 9 * o) * minute, device: "of\(i)-phone", address: "\(a)-home",
                                payment: "\(a)-card", amount: Double(ow.rng.int(8...16)), ip: ip)
                    }
                    for d in 19..<28 where ow.rng.chance(0.5) {
                        s.event(a, "view", at: Scenario.t0 + Int64(d) * day + 21 * hour, ["device_id": "of\(i)-phone", "country": "TH", "ip": ip,
                                                                                              "item_id": "socks", "seller_id": "shop"])
                    }
                }
            }
            // As shipped, and with a wave's tries counted once (`singleCount`, off by default: ato39).
            let (_, t) = try s.build()
            var once = TakeoverDetector()
            once.singleCount = true
            for det in [TakeoverDetector(), once] {
                let f = try det.run(t, cancel: CancelToken())
                let flagged = f.accounts(t)
                XCTAssertEqual(flagged.intersection(victims), Set(victims), "seed \(seed): victims missed: \(Set(victims).subtracting(flagged).sorted())")
                for (name, group) in [("traveller", travellers), ("household", household), ("office", office), ("bystander", bystanders)] {
                    XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: "
                                  + f.filter { group.contains(t.accountID($0.account)) }.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "; "))
                }
                XCTAssertTrue(flagged.subtracting(victims).isEmpty, "seed \(seed): owners: "
                              + f.filter { !victims.contains(t.accountID($0.account)) }.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "; "))
                for fd in f where victims.contains(t.accountID(fd.account)) {
                    XCTAssertTrue(fd.reason.contains("credential-stuffing wave"), fd.reason)
                }
            }
        }
    }

    /// ato39: a wave's tries on a victim are the wave's evidence, counted once. Two victims of one
    /// wave, alike in all else (the same days, orders, a stranger's device on a network new to them,
    /// two orders of the owner's basket): the far one's three tries all fall four hours before the
    /// stranger's login, the near one's last two in the two hours before it — where failed logins are
    /// counted for the change of hands. Counted once (`singleCount`, off by default), the near one's tries weigh in the
    /// wave's part only (the wave's tries before the login, at the store's rate of them): its evidence
    /// is below what the same tries gave counted twice (`singleCount` off, as before: failed logins of
    /// the change of hands *and* the wave), the far one's is the same either way (no try of its falls
    /// where failed logins are counted), and the near one is at least as strong as the far one (the
    /// tries just before the login tie the wave to it). The wave's bystanders stay out either way.
    func testAWaveVictimsTriesCountOnceWhereverTheyFall() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 39_039)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("socks", seller: "shop", price: 12)
            for i in 0..<360 {
                let a = s.account("p\(i)")
                let d0 = rng.int(5...20)
                for d in 0..<28 where rng.chance(0.6) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    let dev = i % 2 == 0 && d >= d0 ? "p\(i)-new" : "p\(i)-phone", ip = "10.\(i / 200).\(i % 200).\(rng.int(2...9))"
                    let f: [String: Any] = ["device_id": dev, "country": "TH", "ip": ip]
                    if rng.chance(0.5) { s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 }) }
                    s.event(a, "view", at: at + minute, f.merging(["item_id": "socks", "seller_id": "shop"]) { $1 })
                    if rng.chance(0.25) {
                        s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: dev, address: "\(a)-home",
                                payment: "\(a)-card", amount: Double(rng.int(8...16)), ip: ip)
                    }
                }
            }
            let start = Scenario.t0 + Int64(rng.int(8...18)) * day + Int64(rng.int(0...12)) * hour
            func tryLogin(_ a: String, at: Int64) {
                s.event(a, "login", at: at, ["device_id": "bot-\(rng.int(0...999_999_999))", "country": "NL",
                                             "ip": "203.0.113.\(rng.int(2...250))", "status": "fail"])
            }
            var bystanders: [String] = []
            for i in 0..<24 {
                let a = s.account("by\(i)"); bystanders.append(a)
                for d in 0..<28 where rng.chance(0.6) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour
                    s.event(a, "login", at: at, ["device_id": "by\(i)-phone", "country": "TH", "ip": "10.9.\(i).5", "status": "ok"])
                }
                for _ in 0..<rng.int(1...3) { tryLogin(a, at: start + Int64(rng.int(0...7_199)) * 1000) }
            }
            // review39 #7: an owner the wave hit, who four days later typoes twice on a new phone from the
            // carrier's /24 the wave also used, then logs in: the owner's own failed logins, not the wave's.
            let typo = s.account("typo")
            for d in 0..<28 where rng.chance(0.6) {
                s.event(typo, "login", at: Scenario.t0 + Int64(d) * day + 9 * hour, ["device_id": "typo-phone", "country": "TH", "ip": "10.9.99.5", "status": "ok"])
            }
            tryLogin(typo, at: start + 30 * minute)
            let typoAt = start + 4 * day + 2 * hour
            for m in [25, 15] as [Int64] {
                s.event(typo, "login", at: typoAt - m * minute, ["device_id": "typo-new", "country": "TH", "ip": "203.0.113.251", "status": "fail"])
            }
            s.event(typo, "login", at: typoAt, ["device_id": "typo-new", "country": "TH", "ip": "203.0.113.251", "status": "ok"])
            // The two victims: one life, every other day at noon, an order of 12 every sixth day.
            let victims = ["far", "near"]
            let login = start + 5 * hour
            for (v, a) in victims.enumerated() {
                _ = s.account(a)
                for d in stride(from: 0, to: 28, by: 2) {
                    let at = Scenario.t0 + Int64(d) * day + 12 * hour
                    if abs(at - login) < 2 * day { continue }
                    let f: [String: Any] = ["device_id": "\(a)-phone", "country": "TH", "ip": "10.8.\(v).5"]
                    s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 })
                    if d % 6 == 0 {
                        s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: "\(a)-phone", address: "\(a)-home",
                                payment: "\(a)-card", amount: 12, ip: "10.8.\(v).5")
                    }
                }
                // Three tries: all an hour into the wave, or the last two in the two hours before the login.
                let tries: [Int64] = a == "far" ? [60, 66, 72] : [60, 270, 280]
                for m in tries { tryLogin(a, at: start + m * minute) }
                let dev = "thief-\(a)", ip = "198.51.\(100 + v).7"
                s.event(a, "login", at: login, ["device_id": dev, "country": "TH", "ip": ip, "status": "ok"])
                for o in 0..<2 {
                    s.order(a, item: "socks", seller: "shop", at: login + Int64(5 + 9 * o) * minute, device: dev, address: "\(a)-home",
                            payment: "\(a)-card", amount: 12, ip: ip)
                }
            }
            let (_, t) = try s.build()
            let logOnce = DebugLines(), logTwice = DebugLines()
            var once = TakeoverDetector(debugLog: { logOnce.append($0) }), twice = TakeoverDetector(debugLog: { logTwice.append($0) })
            once.singleCount = true
            twice.singleCount = false
            var strengths: [String: [String: Double]] = [:]
            for (label, det) in [("once", once), ("twice", twice)] {
                let f = try det.run(t, cancel: CancelToken())
                let flagged = f.accounts(t)
                XCTAssertEqual(flagged.intersection(victims), Set(victims), "seed \(seed) \(label): victims missed")
                XCTAssertTrue(flagged.isDisjoint(with: bystanders), "seed \(seed) \(label): bystanders flagged")
                strengths[label] = Dictionary(uniqueKeysWithValues: f.map { (t.accountID($0.account), $0.strength) })
                if label == "once" {
                    let reason = f.first { t.accountID($0.account) == "near" }?.reason ?? ""
                    XCTAssertTrue(reason.contains("2 failed login(s) from a credential-stuffing wave's source"), reason)
                    XCTAssertFalse(reason.contains("2 failed login(s),"), reason)
                }
            }
            XCTAssertEqual(Set(strengths["once"]?.keys.filter { victims.contains($0) } ?? []), Set(victims))
            // The sequences' joint surprise (the debug log's, before the strength scale, which can
            // saturate at 0.97 in a store this small): the most of each victim's sequences.
            func surprise(_ log: DebugLines, _ who: String) -> Double? {
                log.lines.filter { $0.hasPrefix("ato seq: \(who) at ") }.compactMap { line -> Double? in
                    guard let r = line.range(of: " joint ") else { return nil }
                    return Double(line[r.upperBound...].prefix { $0 != " " })
                }.max()
            }
            guard let nearOnce = surprise(logOnce, "near"), let farOnce = surprise(logOnce, "far"),
                  let nearTwice = surprise(logTwice, "near"), let farTwice = surprise(logTwice, "far") else {
                return XCTFail("seed \(seed): no sequence logged for a victim")
            }
            XCTAssertLessThan(nearOnce, nearTwice, "seed \(seed): the near victim's tries still count twice")
            let typoLine = logOnce.lines.first { $0.hasPrefix("ato seq: typo at \(typoAt) ") } ?? ""
            XCTAssertTrue(typoLine.contains("waveFails 0") && typoLine.contains("fails1-2"), "seed \(seed): the owner's typos days from the wave: \(typoLine)")
            XCTAssertEqual(farOnce, farTwice, accuracy: 0.02, "seed \(seed): the far victim has no try to count twice")
            XCTAssertGreaterThanOrEqual(nearOnce, farOnce - 0.02, "seed \(seed): the tries before the login weigh nothing")
        }
    }

    /// ato39: the strength scale spans each sequence's own parts. A sequence's most is every part it
    /// shows unseen among the ordinary anchors; at that most it is 0.97 whether it has two parts or
    /// four, halfway along its own span it is halfway up the scale, and 10^4 beyond the bar caps the
    /// span in a big store for any number of parts.
    func testTheStrengthScaleIsOneSpanForTheStoreAndNeverFallsAsEvidenceGrows() {
        // A small store: 30 ordinary anchors of 40 tested (the span is under the cap of 4).
        let partMost = log10(32.0), bar = log10(40.0) - 0.5
        let top = Double(TakeoverDetector.JointRarity.spanParts) * partMost - bar
        XCTAssertLessThan(top, 4)
        XCTAssertGreaterThan(top, 0.5)
        XCTAssertEqual(TakeoverDetector.strength(excess: 0, partMost: partMost, bar: bar), 0.6, accuracy: 1e-12)
        XCTAssertEqual(TakeoverDetector.strength(excess: top, partMost: partMost, bar: bar), 0.97, accuracy: 1e-12)
        XCTAssertEqual(TakeoverDetector.strength(excess: top / 2, partMost: partMost, bar: bar), 0.785, accuracy: 1e-12)
        // Adding evidence (any step in any part adds a rarity ≥ 0 to the excess) never lowers strength
        // (review39a: with a span per sequence's part count, a common step in a new part did).
        var last = 0.0
        for i in 0...200 {
            let s = TakeoverDetector.strength(excess: Double(i) * 0.05, partMost: partMost, bar: bar)
            XCTAssertGreaterThanOrEqual(s, last)
            last = s
        }
        // A big store: 65,000 ordinary anchors, 70,000 tested: the span reaches the cap of 4.
        let big = log10(65_002.0), bigBar = log10(70_000.0) + 0.5
        XCTAssertEqual(TakeoverDetector.strength(excess: 2, partMost: big, bar: bigBar), 0.6 + 0.37 / 2, accuracy: 1e-12)
    }
}
