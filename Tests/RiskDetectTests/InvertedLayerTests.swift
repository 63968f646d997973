import Foundation
import RiskMetrics
import RiskStore
import XCTest
@testable import RiskDetect

/// A layer whose score runs against the labels must not drag the learnt ranking down, and the
/// anomaly layer's tie order by history is tested on the labels instead of assumed.
final class InvertedLayerTests: XCTestCase {
    // MARK: a detector score the labels say is inverted

    struct World {
        let scenario: Scenario
        let store: Store
        let rules: String
        var fraud: [String] = [], legit: [String] = []
    }

    /// Takeovers (loud: failed logins, dear orders from shared attacker devices; sneaky: a few
    /// failed logins and a cheap order from their own device, like honest users who forgot their
    /// password, and outnumbered by them) against those forgetful users and honest buyers. The
    /// model can tell the loud ones and only guess at the sneaky ones (a low probability, just
    /// above the honest buyers'). The only detector is a SQL rule that flags "a clean login
    /// record" — every honest buyer, no takeover: inverted with respect to the fraud.
    func world(seed: UInt64) throws -> World {
        var rng = SplitMix(seed: seed)
        let s = Scenario(seed: seed)
        s.account("seller0", kind: "seller")
        for i in 0..<20 { s.item("it\(i)", seller: "seller0", price: Double(10 + 40 * i)) }
        func r(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        func start() -> Int64 { Scenario.t0 + Int64(r(0...20)) * Scenario.day + Int64(r(0...23)) * Scenario.hour }
        func views(_ a: String, _ t: Int64, device: String) -> Int64 {
            var t = t
            for _ in 0..<r(1...8) {
                s.event(a, "view", at: t, ["item_id": "it\(r(0...19))", "seller_id": "seller0", "device_id": device, "ip": "10.1.\(r(0...9)).1"])
                t += Int64(r(20...600)) * 1000
            }
            return t
        }
        func failedLogins(_ a: String, _ t: Int64, device: String, ip: String) -> Int64 {
            var t = t
            for _ in 0..<r(3...6) { s.event(a, "login", at: t, ["status": "fail", "device_id": device, "ip": ip]); t += Int64(r(5...40)) * 1000 }
            s.event(a, "login", at: t, ["status": "ok", "device_id": device, "ip": ip])
            return t + 60_000
        }
        var fraud: [String] = [], legit: [String] = []
        for i in 0..<50 {      // loud takeovers
            let a = s.account("loud\(i)"), dev = "attacker\(i % 6)", ip = "203.0.113.\(i % 6)"
            let t = failedLogins(a, start(), device: dev, ip: ip)
            for k in 0..<r(1...3) {
                s.order(a, item: "it\(r(12...19))", seller: "seller0", at: t + Int64(k + 1) * 600_000, device: dev, address: "drop\(i % 4)",
                        payment: "stolen\(i % 5)", amount: Double(r(400...900)), ip: ip)
            }
            fraud.append(a)
        }
        // Forgetful honest users and, among them one in ten, sneaky takeovers that behave alike.
        for i in 0..<100 {
            let sneaky = i % 10 == 0
            let a = s.account(sneaky ? "sneaky\(i)" : "fgt\(i)"), dev = "home-f\(i)", ip = "10.2.\(i).1"
            var t = failedLogins(a, start(), device: dev, ip: ip)
            t = views(a, t, device: dev)
            s.order(a, item: "it\(r(0...5))", seller: "seller0", at: t, device: dev, address: "addr-f\(i)", payment: "card-f\(i)",
                    amount: Double(r(15...60)), ip: ip)
            if sneaky { fraud.append(a) } else { legit.append(a) }
        }
        for i in 0..<150 {     // honest buyers
            let a = s.account("ok\(i)"), dev = "home\(i)", ip = "10.3.\(i).1"
            var t = start()
            s.event(a, "login", at: t, ["status": "ok", "device_id": dev, "ip": ip])
            t = views(a, t + 30_000, device: dev)
            for k in 0..<r(0...2) {
                s.order(a, item: "it\(r(0...8))", seller: "seller0", at: t + Int64(k) * Scenario.hour, device: dev,
                        address: "addr-\(i)", payment: "card-\(i)", amount: Double(r(15...80)), ip: ip)
            }
            legit.append(a)
        }
        let (store, _) = try s.build()
        let w = World(scenario: s, store: store, rules: s.dir + "/rules", fraud: fraud, legit: legit)
        try FileManager.default.createDirectory(atPath: w.rules, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: w.rules + "/clean_logins.sql", contents: Data("""
            -- id: clean_logins
            -- risk_type: ato
            -- severity: critical
            -- description: logged in without a failure
            SELECT account_id, 'no failed login' AS reason FROM events WHERE type = 'login' GROUP BY account_id HAVING sum(status = 'fail') = 0
            """.utf8))
        return w
    }

    func engine(_ w: World) -> DetectionEngine {
        let e = DetectionEngine(detectors: [], rulesDirectory: w.rules)
        e.layers.anomaly = false; e.layers.propagation = false; e.layers.calibration = false
        return e
    }

    func heldOutAUC(_ w: World, _ heldOut: [String]) throws -> Double {
        var s: [String: Double] = [:]
        for r in try w.store.db.rows("SELECT account_id, score FROM scores") { s[r[0].string!] = r[1].double! }
        let fraud = Set(w.fraud)
        return try XCTUnwrap(Ranking.auc(scores: heldOut.map { s[$0] ?? 0 }, labels: heldOut.map { fraud.contains($0) }))
    }

    func testALayerTheLabelsSayIsInvertedDoesNotDragTheModelDown() throws {
        try forEachSeed { seed in
            let w = try world(seed: seed)
            // Half of every family labelled (every other account), the rest held out.
            func half(_ v: [String], _ parity: Int) -> [String] { v.enumerated().filter { $0.offset % 2 == parity }.map(\.element) }
            let labelledFraud = half(w.fraud, 0), labelledLegit = half(w.legit, 0)
            let heldOut = half(w.fraud, 1) + half(w.legit, 1)
            _ = try w.store.addLabels(labelledFraud.map { LabelInput(account: $0, label: .fraud) } + labelledLegit.map { LabelInput(account: $0, label: .legit) },
                                      analyst: "test", source: "test")
            _ = try engine(w).run(store: w.store)
            let rule = try heldOutAUC(w, heldOut)
            XCTAssertLessThan(rule, 0.5, "the rule runs against the fraud")
            let t = Trainer()
            t.engine = engine(w)
            let r = try t.run(store: w.store)
            // The labels show it: the detectors' interval stays below chance, and the model alone is a choice.
            XCTAssertFalse(r.detectorsBeyondChance)
            XCTAssertLessThan(r.detectors.auc.high, 0.5)
            XCTAssertTrue(r.promoted, "\(r.warnings)")
            // The default (whatever weight CV chose) against the same model alone and at the old largest share.
            _ = try engine(w).run(store: w.store)
            let chosen = try heldOutAUC(w, heldOut)
            let alone = engine(w); alone.modelWeight = 1
            _ = try alone.run(store: w.store)
            let modelAlone = try heldOutAUC(w, heldOut)
            let old = engine(w); old.modelWeight = 0.85
            _ = try old.run(store: w.store)
            let share = try heldOutAUC(w, heldOut)
            XCTAssertGreaterThanOrEqual(chosen, modelAlone - 1e-9, "weight \(r.candidates[0].weight)")
            XCTAssertGreaterThan(chosen, share, "the inverted rule at a fixed share drags the held-out ranking down")
            XCTAssertGreaterThan(chosen, rule)
        }
    }

    func testADetectorTheLabelsConfirmKeepsItsShare() throws {
        // The same store with the rule turned the right way round (failed logins): beyond chance on
        // the labels, so weight 1 is not on offer and every candidate keeps the detectors' share.
        let w = try world(seed: TestSeed.first)
        FileManager.default.createFile(atPath: w.rules + "/clean_logins.sql", contents: Data("""
            -- id: failed_logins
            -- risk_type: ato
            -- severity: critical
            -- description: three or more failed logins
            SELECT account_id, count(*) || ' failed logins' AS reason FROM events WHERE type = 'login' AND status = 'fail' GROUP BY account_id HAVING count(*) >= 3
            """.utf8))
        func half(_ v: [String]) -> [String] { v.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) }
        _ = try w.store.addLabels(half(w.fraud).map { LabelInput(account: $0, label: .fraud) } + half(w.legit).map { LabelInput(account: $0, label: .legit) },
                                  analyst: "test", source: "test")
        let t = Trainer()
        t.engine = engine(w)
        let r = try t.run(store: w.store)
        XCTAssertTrue(r.detectorsBeyondChance)
        XCTAssertTrue(r.candidates.allSatisfy { $0.weight < 1 }, "\(r.candidates.map(\.weight))")
    }

    // MARK: the history order of the anomaly layer's ties

    func testTheRankTestDecidesTheDirectionOnlyWhenTheLabelsShowIt() {
        var rng = SplitMix(seed: TestSeed.first)
        // Fraud busier: busiest first.
        var ev: [Int] = [], y: [Bool] = []
        for _ in 0..<300 { let f = Double.random(in: 0...1, using: &rng) < 0.2; ev.append(f ? Int.random(in: 3...20, using: &rng) : Int.random(in: 1...8, using: &rng)); y.append(f) }
        let busy = HistoryOrder.decide(events: ev, labels: y)
        XCTAssertEqual(busy.direction, 1)
        XCTAssertGreaterThan(busy.z ?? 0, HistoryOrder.zCritical)
        // Fraud thinner: the prior (thin first) stands.
        XCTAssertEqual(HistoryOrder.decide(events: ev.map { 30 - $0 }, labels: y).direction, -1)
        // Volume unrelated to the labels: the prior stands.
        let noise = (0..<300).map { _ in Int.random(in: 1...10, using: &rng) }
        let flat = HistoryOrder.decide(events: noise, labels: y)
        XCTAssertEqual(flat.direction, -1)
        XCTAssertLessThan(abs(flat.z ?? 99), HistoryOrder.zCritical)
        // Too few of a class to test: the prior, no z.
        let few = HistoryOrder.decide(events: [1, 5, 9, 12, 30, 40], labels: [false, false, false, false, true, true])
        XCTAssertEqual(few.direction, -1)
        XCTAssertNil(few.z)
    }

    /// One event type, no shared identifiers: an account is a card whose label is "any payment
    /// was fraud", so the busier carry more fraud. Unlabelled, the anomaly layer's ties go
    /// thinnest first (the prior); with labels that show the opposite, busiest first, and the
    /// unlabelled accounts' ranking is no longer upside down.
    func testOnAOneEventTypeExportTheLabelsTurnTheTieOrder() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            var rng = SplitMix(seed: seed)
            var truth: [String: Bool] = [:]
            for i in 0..<400 {
                let a = s.account("card\(i)")
                var t = Scenario.t0 + Int64.random(in: 0...(20 * Scenario.day), using: &rng)
                var fraud = false
                for _ in 0..<Int.random(in: 1...12, using: &rng) {
                    s.event(a, "payment", at: t, ["amount": Double(Int.random(in: 10...300, using: &rng)), "status": "ok"])
                    fraud = fraud || Double.random(in: 0...1, using: &rng) < 0.08
                    t += Int64.random(in: 1...(2 * Scenario.day), using: &rng)
                }
                truth[a] = fraud
            }
            let (store, _) = try s.build()
            let ids = truth.keys.sorted().shuffled(using: &rng)
            let labelled = Array(ids.prefix(200)), heldOut = Array(ids.dropFirst(200))
            func run() throws -> (auc: Double, note: String) {
                let e = DetectionEngine(detectors: [], rulesDirectory: nil)
                let out = try e.run(store: store)
                var sc: [String: Double] = [:]
                for r in try store.db.rows("SELECT account_id, score FROM scores") { sc[r[0].string!] = r[1].double! }
                let note = out.detectors.first { $0.name.hasPrefix("layer: anomaly") }?.name ?? ""
                return (try XCTUnwrap(Ranking.auc(scores: heldOut.map { sc[$0] ?? 0 }, labels: heldOut.map { truth[$0]! })), note)
            }
            let before = try run()
            XCTAssertTrue(before.note.contains("thinnest history first"), before.note)
            _ = try store.addLabels(labelled.map { LabelInput(account: $0, label: truth[$0]! ? .fraud : .legit) }, analyst: "test", source: "test")
            let after = try run()
            XCTAssertTrue(after.note.contains("busiest first"), after.note)
            XCTAssertGreaterThan(after.auc, 0.5)
            XCTAssertGreaterThan(after.auc, before.auc)
        }
    }
}
