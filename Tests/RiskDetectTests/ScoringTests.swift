import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The final score's layers on hand-built marketplaces: the anomaly layer ranks what no
/// detector catches, propagation lifts a thin ring member but not a hub's neighbours, and
/// the calibrated score neither saturates nor ties.
final class ScoringTests: XCTestCase {
    /// `n` ordinary buyers: each a few views a day on its own device and home IP, at human pace.
    /// Deterministic: varied by index, not by a random draw.
    func ordinary(_ s: Scenario, _ n: Int, prefix: String = "u", ip: ((Int) -> String)? = nil) -> [String] {
        s.account("s0", kind: "seller")
        for k in 0..<10 { s.item("i\(k)", seller: "s0") }
        var ids: [String] = []
        for k in 0..<n {
            let id = s.account("\(prefix)\(k)")
            ids.append(id)
            for day in 0..<(1 + k % 4) {
                var t = Scenario.t0 + Int64(day * 3 + k % 3) * Scenario.day + Int64(9 + k % 11) * Scenario.hour
                for v in 0..<(2 + (k * 7 + day) % 5) {
                    s.event(id, "view", at: t, ["item_id": "i\((k + v) % 10)", "seller_id": "s0", "device_id": "d-\(id)",
                                                "ip": ip?(k) ?? "10.1.\(k / 250).\(k % 250)"])
                    t += Int64(20_000 + (k * 13 + v * 37) % 300) * 1000 / 10
                }
            }
        }
        return ids
    }

    func score(_ s: Scenario, findings: (EventTable) -> [Finding] = { _ in [] }, layers: ScoringLayers = ScoringLayers())
        throws -> (scores: [String: AccountScore], table: EventTable) {
        let (_, t) = try s.build()
        let out = RiskScoring.score(t, findings: findings(t), layers: layers)
        var m: [String: AccountScore] = [:]
        for a in 0..<t.accountCount { m[t.accountID(Int32(a))] = out[a] }
        return (m, t)
    }

    func testAnAnomalousAccountNoDetectorCatchesRanksAboveOrdinaryOnesAndSaysWhy() throws {
        let s = Scenario()
        let users = ordinary(s, 200)
        // An account hopping over 12 devices and 3 cards: nothing any detector keys on.
        s.account("odd")
        for k in 0..<12 {
            let t = Scenario.t0 + Int64(k) * 7 * Scenario.hour
            s.event("odd", "view", at: t, ["item_id": "i\(k % 10)", "seller_id": "s0", "device_id": "odd-dev-\(k)", "ip": "10.9.9.1"])
            if k < 3 { s.order("odd", item: "i\(k)", seller: "s0", at: t + 60_000, device: "odd-dev-\(k)", address: "odd-home", payment: "odd-card-\(k)") }
        }
        let (m, _) = try score(s)
        let odd = m["odd"]!
        XCTAssertEqual(odd.findings, 0)
        for u in users { XCTAssertGreaterThan(odd.score, m[u]!.score, u) }
        let why = odd.reasons.joined(separator: "; ")
        XCTAssertTrue(why.contains("12 distinct devices"), why)
        XCTAssertTrue(why.contains("peers' median 1"), why)
        // Always on: nobody ties at zero.
        XCTAssertTrue(m.values.allSatisfy { $0.score > 0 })
        // And off, it's the detectors alone (all zero here).
        var off = ScoringLayers(); off.anomaly = false
        XCTAssertTrue(try score(Scenario.copy(s), layers: off).scores.values.allSatisfy { $0.score == 0 })
    }

    func testAHubDoesNotFlagItsNeighboursButARingMemberWithThinEvidenceInheritsSupport() throws {
        let s = Scenario()
        // 400 ordinary customers behind one carrier NAT IP, with 5 bots on it too.
        let users = ordinary(s, 400, ip: { _ in "100.64.0.1" })
        for b in 0..<5 {
            s.account("bot\(b)")
            s.event("bot\(b)", "view", at: Scenario.t0 + Int64(b) * Scenario.hour, ["item_id": "i1", "seller_id": "s0", "device_id": "bot-dev-\(b)", "ip": "100.64.0.1"])
        }
        // A ring: four accounts on one device and one card; three strongly flagged, one thin.
        for r in 0..<4 {
            s.account("ring\(r)")
            s.order("ring\(r)", item: "i2", seller: "s0", at: Scenario.t0 + Int64(r) * Scenario.day, device: "ring-dev", address: "ring-addr", payment: "ring-card")
        }
        let findings: (EventTable) -> [Finding] = { t in
            var f: [Finding] = []
            for b in 0..<5 { f.append(Finding(account: t.accounts.lookup("bot\(b)")!, detector: "scraping", riskType: .scraping, strength: 0.95, reason: "bot")) }
            for r in 0..<3 { f.append(Finding(account: t.accounts.lookup("ring\(r)")!, detector: "identity", riskType: .multiAccounting, strength: 0.9, reason: "ring", group: "cluster-1")) }
            f.append(Finding(account: t.accounts.lookup("ring3")!, detector: "brushing", riskType: .brushing, strength: 0.15, reason: "thin"))
            return f
        }
        // The ring is unusual in its own right (shared card, order then payment within seconds):
        // leave the anomaly layer out to see what propagation alone does.
        var prop = ScoringLayers(); prop.anomaly = false
        var noProp = prop; noProp.propagation = false
        let (m, _) = try score(s, findings: findings, layers: prop)
        let (before, _) = try score(Scenario.copy(s), findings: findings, layers: noProp)
        let thin = m["ring3"]!
        XCTAssertTrue(thin.reasons.contains { $0.hasPrefix("linked: shares a") }, "\(thin.reasons)")
        // The thin member inherits the ring's support…
        XCTAssertGreaterThan(thin.score, before["ring3"]!.score + 0.2)
        // …while the hub's 400 ordinary neighbours gain next to nothing from the bots behind it.
        for u in users { XCTAssertLessThan(m[u]!.score - before[u]!.score, 0.003, u) }
        XCTAssertFalse(users.contains { m[$0]!.reasons.contains { $0.hasPrefix("linked") } })
    }

    func testATakeoverDoesNotLiftTheVictimsHouseholdARingFindingDoes() throws {
        let s = Scenario()
        _ = ordinary(s, 200)
        // A household of three on one tablet, card and address.
        for m in 0..<3 {
            s.account("home\(m)")
            s.order("home\(m)", item: "i\(m)", seller: "s0", at: Scenario.t0 + Int64(m) * Scenario.day, device: "tablet", address: "house", payment: "family-card")
        }
        var only = ScoringLayers(); only.anomaly = false
        func run(_ group: String?) throws -> [String: AccountScore] {
            try score(Scenario.copy(s), findings: { t in
                [Finding(account: t.accounts.lookup("home0")!, detector: group == nil ? "ato" : "identity", riskType: group == nil ? .ato : .multiAccounting,
                         strength: 0.95, reason: "flagged", group: group)]
            }, layers: only).scores
        }
        // One member's takeover is that account's doing: the family gains nothing from it.
        let ato = try run(nil)
        XCTAssertGreaterThan(ato["home0"]!.score, 0.5)
        for m in 1..<3 { XCTAssertLessThan(ato["home\(m)"]!.score, 0.01, "home\(m)"); XCTAssertFalse(ato["home\(m)"]!.reasons.contains { $0.hasPrefix("linked") }) }
        // The same strength as a group finding (a ring) flows to what its member shares only
        // when a second flagged member corroborates it (fp37): one ring member's family is a
        // household, not the ring.
        let ring = try run("cluster-1")
        for m in 1..<3 { XCTAssertLessThan(ring["home\(m)"]!.score, 0.01, "home\(m)") }
    }

    /// fp37's two-witness rule. A ring (cluster-1: three members strongly flagged, a fourth
    /// with only a thin finding) on one phone and card; one member also shares a tablet and
    /// an address with an honest partner at home, who has no finding. The thin member still
    /// inherits the ring's level; the partner, with one flagged account beside it, inherits
    /// nothing — under the rule before (`corroborate: false`) it inherited as much as the ring's
    /// own member, and ranked above a lone account whose behaviour is extreme.
    func testOneFlaggedAccountsHouseholdPartnerInheritsNothingWhileARingsThinMemberStillDoes() throws {
        let s = Scenario()
        let users = ordinary(s, 200)
        for r in 0..<4 {
            s.account("ring\(r)")
            s.order("ring\(r)", item: "i2", seller: "s0", at: Scenario.t0 + Int64(r) * Scenario.day, device: "ring-dev", address: "ring-addr-\(r)", payment: "ring-card", ip: "10.5.0.\(r)")
        }
        s.account("mate")
        for (k, who) in ["ring0", "mate", "mate"].enumerated() {
            s.order(who, item: "i\(3 + k)", seller: "s0", at: Scenario.t0 + Int64(5 + k) * Scenario.day, device: "home-tablet", address: "home-of-ring0", payment: "card-\(who)", ip: "10.6.0.1")
        }
        // A lone account no detector caught, unusual on its own: twelve devices, three cards.
        s.account("odd")
        for k in 0..<12 {
            let t = Scenario.t0 + Int64(k) * 7 * Scenario.hour
            s.event("odd", "view", at: t, ["item_id": "i\(k % 10)", "seller_id": "s0", "device_id": "odd-dev-\(k)", "ip": "10.9.9.1"])
            if k < 3 { s.order("odd", item: "i\(k)", seller: "s0", at: t + 60_000, device: "odd-dev-\(k)", address: "odd-home", payment: "odd-card-\(k)", ip: "10.9.9.1") }
        }
        let findings: (EventTable) -> [Finding] = { t in
            var f: [Finding] = []
            for r in 0..<3 { f.append(Finding(account: t.accounts.lookup("ring\(r)")!, detector: "identity", riskType: .multiAccounting, strength: 0.9, reason: "ring", group: "cluster-1")) }
            f.append(Finding(account: t.accounts.lookup("ring3")!, detector: "brushing", riskType: .brushing, strength: 0.15, reason: "thin"))
            return f
        }
        var noProp = ScoringLayers(); noProp.propagation = false
        let (m, t) = try score(s, findings: findings)
        let (before, _) = try score(Scenario.copy(s), findings: findings, layers: noProp)
        XCTAssertGreaterThan(m["ring3"]!.score, before["ring3"]!.score + 0.2)
        XCTAssertTrue(m["ring3"]!.reasons.contains { $0.hasPrefix("linked: shares a") }, "\(m["ring3"]!.reasons)")
        XCTAssertLessThan(m["mate"]!.score - before["mate"]!.score, 0.001)
        XCTAssertFalse(m["mate"]!.reasons.contains { $0.hasPrefix("linked") }, "\(m["mate"]!.reasons)")
        // The lone unusual account ranks above the ring's household partner and every ordinary account.
        XCTAssertGreaterThan(m["odd"]!.score, m["mate"]!.score)
        for u in users { XCTAssertGreaterThan(m["odd"]!.score, m[u]!.score, u) }
        XCTAssertGreaterThan(m["ring0"]!.score, m["odd"]!.score)
        // The test can fail: the rule before passed ring0's evidence to its partner in full.
        let f = findings(t)
        let e = RiskScoring.detectorEvidence(f, accounts: t.accountCount, calibrate: true, collectiveOnly: true).map { 1 - exp(-$0) }
        let mate = Int(t.accounts.lookup("mate")!), thin = Int(t.accounts.lookup("ring3")!)
        let old = Propagation.compute(t, findings: f, evidence: e, corroborate: false)
        let now = Propagation.compute(t, findings: f, evidence: e)
        XCTAssertGreaterThan(old.support[mate], 0.5)
        XCTAssertEqual(now.support[mate], 0)
        XCTAssertGreaterThan(now.support[thin], 0.5)
        XCTAssertEqual(now.support[thin], old.support[thin], accuracy: 0.05)
    }

    /// owned-ips: a ring's spare accounts — signed up on the ring's own IP and nothing since — inherit
    /// the ring's evidence through that IP, which counts as a device does once the flagged accounts
    /// on it are far beyond the store's share of flagged accounts, damped only by its strangers.
    /// Customers behind a carrier exit where a few ring members also browse, and the customers a
    /// credential-stuffing source tried (failed log-ins from its phone and IP, as on the ring's
    /// accounts), inherit nothing; those behind an exit the whole ring used inherit next to nothing.
    func testARingsOwnIPCarriesItsEvidenceACarrierExitAndAStuffingSourceDoNot() throws {
        let s = Scenario()
        let homes = ordinary(s, 300)
        let carrier = ordinary(s, 150, prefix: "c", ip: { _ in "100.64.0.1" })
        // A second exit the whole ring also used: beyond chance, so owned — its 120 customers are
        // still strangers to the ring and to each other.
        let exit = ordinary(s, 120, prefix: "x", ip: { _ in "100.64.0.2" })
        let ringIP = "203.0.113.7"
        for r in 0..<12 {
            s.account("ring\(r)")
            let t = Scenario.t0 + Int64(r) * Scenario.hour
            s.order("ring\(r)", item: "i\(r % 10)", seller: "s0", at: t, device: "ring-dev-\(r)", address: "ring-addr-\(r)",
                    payment: "ring-card-\(r)", ip: ringIP)
            if r < 4 { s.event("ring\(r)", "view", at: t + Scenario.day, ["item_id": "i1", "seller_id": "s0", "device_id": "ring-dev-\(r)", "ip": "100.64.0.1"]) }
            s.event("ring\(r)", "view", at: t + 2 * Scenario.day, ["item_id": "i2", "seller_id": "s0", "device_id": "ring-dev-\(r)", "ip": "100.64.0.2"])
        }
        let spares = (0..<8).map { k -> String in
            let id = s.account("spare\(k)", created: Scenario.t0 + 2 * Scenario.day)
            s.event(id, "signup", at: Scenario.t0 + 2 * Scenario.day + Int64(k) * 60_000, ["device_id": "spare-dev-\(k)", "ip": ringIP])
            return id
        }
        // Households: twenty homes of two or three accounts on one address each (the store's
        // household scale H is 3), and two of the ring living with a housemate on one home network.
        for h in 0..<20 {
            for m in 0..<(2 + h % 2) {
                s.account("home\(h)-\(m)")
                s.order("home\(h)-\(m)", item: "i\(m)", seller: "s0", at: Scenario.t0 + Int64(h) * Scenario.hour + Int64(m) * 60_000,
                        device: "home-dev-\(h)-\(m)", address: "house-\(h)", payment: "home-card-\(h)-\(m)", ip: "192.0.3.\(h)")
            }
        }
        s.account("mate")
        for (k, who) in ["ring0", "ring1", "mate", "mate"].enumerated() {
            s.event(who, "view", at: Scenario.t0 + 3 * Scenario.day + Int64(k) * Scenario.hour, ["item_id": "i3", "seller_id": "s0", "device_id": who == "mate" ? "mate-phone" : "ring-dev-\(who.suffix(1))", "ip": "192.0.2.50"])
        }
        // A stuffing source tries four of the ring's accounts and six customers.
        let tried = Array(homes.prefix(6))
        for (k, a) in (tried + (0..<4).map { "ring\($0)" }).enumerated() {
            s.event(a, "login", at: Scenario.t0 + 5 * Scenario.day + Int64(k) * 20_000, ["device_id": "stuffer", "ip": "198.51.100.9", "status": "fail"])
        }
        let findings: (EventTable) -> [Finding] = { t in
            (0..<12).map { Finding(account: t.accounts.lookup("ring\($0)")!, detector: "scalper", riskType: .scalper, strength: 0.9, reason: "crew", group: "crew-1") }
        }
        var prop = ScoringLayers(); prop.anomaly = false
        var noProp = prop; noProp.propagation = false
        let (m, t) = try score(s, findings: findings, layers: prop)
        let (before, _) = try score(Scenario.copy(s), findings: findings, layers: noProp)
        for a in spares {
            XCTAssertGreaterThan(m[a]!.score, before[a]!.score + 0.2, a)
            XCTAssertTrue(m[a]!.reasons.contains { $0.hasPrefix("linked: shares an IP a ring owns") }, "\(m[a]!.reasons)")
            for u in homes + carrier + exit { XCTAssertGreaterThan(m[a]!.score, m[u]!.score + 0.1, "\(a) vs \(u)") }
        }
        for u in carrier + tried { XCTAssertLessThan(m[u]!.score - before[u]!.score, 0.003, u) }
        for u in exit { XCTAssertLessThan(m[u]!.score - before[u]!.score, 0.05, u) }
        // The test can fail: at a fifth of a device's weight the spares inherit little, and with the
        // failed log-ins counted the tried customers inherit the ring's evidence through the stuffer's phone.
        let e = RiskScoring.detectorEvidence(findings(t), accounts: t.accountCount, calibrate: true, collectiveOnly: true).map { 1 - exp(-$0) }
        let off = Propagation.compute(t, findings: findings(t), evidence: e, ownedIPs: false)
        let counted = Propagation.compute(t, findings: findings(t), evidence: e, skipFailedLogins: false)
        let on = Propagation.compute(t, findings: findings(t), evidence: e)
        for a in spares { let i = Int(t.accounts.lookup(a)!); XCTAssertLessThan(off.support[i], 0.1); XCTAssertGreaterThan(on.support[i], 0.25) }
        for a in tried { let i = Int(t.accounts.lookup(a)!); XCTAssertGreaterThan(counted.support[i], 0.1, a); XCTAssertEqual(on.support[i], 0, a) }
        // The ring's own flagged members made the IP owned: it is their evidence again, and they
        // get no more from it than from a plain IP.
        for r in 0..<12 { let i = Int(t.accounts.lookup("ring\(r)")!); XCTAssertEqual(on.support[i], off.support[i], accuracy: 0.01, "ring\(r)") }
        // A home network with two flagged housemates holds no more flagged accounts than a home
        // does: not owned, and the third housemate inherits what a plain IP gives.
        let mate = Int(t.accounts.lookup("mate")!)
        XCTAssertEqual(on.support[mate], off.support[mate], accuracy: 0.01)
        XCTAssertLessThan(on.support[mate], 0.15)
        // The owned exit's customers: damped by its strangers, not lifted by the ring's share.
        for a in exit {
            let i = Int(t.accounts.lookup(a)!)
            XCTAssertLessThan(on.support[i], 0.03, a)
            XCTAssertGreaterThan(on.support[i], 2 * off.support[i], "the exit is owned: \(a)")
        }
    }

    /// A crew that shares a phone two by two (pairs, no larger node) and was found as a group:
    /// the group carries its members; the phone pairs, each with one flagged partner, add nothing
    /// to an unflagged pair member, however many such pairs the store holds.
    func testPairsOfSharedPhonesDoNotCarryAFlaggedPartnersEvidence() throws {
        let s = Scenario()
        _ = ordinary(s, 200)
        for p in 0..<6 {
            for w in 0..<2 {
                let id = s.account("p\(p)-\(w)")
                s.order(id, item: "i\(p % 10)", seller: "s0", at: Scenario.t0 + Int64(p) * Scenario.day + Int64(w) * Scenario.hour, device: "pair-dev-\(p)", address: "addr-\(id)", payment: "card-\(id)", ip: "10.8.\(p).\(w)")
            }
        }
        let (m, _) = try score(s, findings: { t in
            (0..<6).map { p in Finding(account: t.accounts.lookup("p\(p)-0")!, detector: "click_farm", riskType: .clickFarm, strength: 0.9, reason: "crew", group: "crew-1") }
        })
        for p in 0..<6 {
            XCTAssertGreaterThan(m["p\(p)-0"]!.score, 0.5)
            XCTAssertFalse(m["p\(p)-1"]!.reasons.contains { $0.hasPrefix("linked") }, "p\(p)-1")
            XCTAssertLessThan(m["p\(p)-1"]!.score, 0.3, "p\(p)-1")
        }
    }

    func testCalibratedScoresNeverSaturateAndMoreEvidenceRanksHigher() throws {
        let s = Scenario()
        _ = ordinary(s, 100)
        let (m, t) = try score(s) { t in
            var f: [Finding] = []
            // u0: three detectors all certain; u1: two; u2: one.
            for (k, dets) in [["a", "b", "c"], ["a", "b"], ["a"]].enumerated() {
                for d in dets { f.append(Finding(account: t.accounts.lookup("u\(k)")!, detector: d, riskType: .other, strength: 1.0, reason: d)) }
            }
            return f
        }
        _ = t
        XCTAssertLessThan(m["u0"]!.score, 0.995)
        XCTAssertGreaterThan(m["u0"]!.score, m["u1"]!.score)
        XCTAssertGreaterThan(m["u1"]!.score, m["u2"]!.score)
        XCTAssertGreaterThan(m["u2"]!.score, m["u50"]!.score)
    }

    func testADetectorFlaggingAQuarterOfTheStoreIsDiscounted() throws {
        // The same strength means less from a detector that fires on 25 % of accounts than
        // from one that fires on 1 %.
        let n = 400
        var findings: [Finding] = []
        for a in 0..<n / 4 { findings.append(Finding(account: Int32(a), detector: "noisy", riskType: .other, strength: 0.8, reason: "")) }
        for a in (n / 4)..<(n / 4 + 4) { findings.append(Finding(account: Int32(a), detector: "sharp", riskType: .other, strength: 0.8, reason: "")) }
        let u = RiskScoring.detectorEvidence(findings, accounts: n, calibrate: true)
        XCTAssertGreaterThan(u[n / 4], 2 * u[0])
        let plain = RiskScoring.detectorEvidence(findings, accounts: n, calibrate: false)
        XCTAssertEqual(plain[0], plain[n / 4], accuracy: 1e-12)
    }
}

extension Scenario {
    /// A fresh scenario with the same accounts, items and events (a second store to score).
    static func copy(_ s: Scenario) -> Scenario {
        let c = Scenario()
        c.accounts = s.accounts; c.items = s.items; c.events = s.events
        return c
    }
}
