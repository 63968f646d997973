import Foundation
import RiskMetrics
import RiskStore
import XCTest
@testable import RiskDetect

/// Learning that can overrule, on a hand-built store: a SQL rule (≥ 3 failed logins) flags
/// account takeovers and, just as strongly, a look-alike family of honest users who forgot
/// their password. With labels, the model must pull the look-alikes down, keep the takeovers up,
/// refuse to become current on too few labels, show the change in a shadow run, and send the
/// accounts it is unsure about to the analysts first. Every draw is seeded.
final class LearningTests: XCTestCase {
    struct World {
        let scenario: Scenario
        let store: Store
        let rules: String
        var takeovers: [String] = [], forgetful: [String] = [], normal: [String] = [], ambiguous: [String] = []
    }

    func world(seed: UInt64, takeovers: Int = 60, forgetful: Int = 60, normal: Int = 150, ambiguous: Int = 0) throws -> World {
        var rng = SplitMix(seed: seed)
        let s = Scenario()
        s.account("seller0", kind: "seller")
        for i in 0..<20 { s.item("it\(i)", seller: "seller0", price: Double(10 + 40 * i)) }
        func r(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        func views(_ a: String, _ t: Int64, device: String, n: Int) -> Int64 {
            var t = t
            for _ in 0..<n {
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
        var ato: [String] = [], fgt: [String] = [], ok: [String] = [], amb: [String] = []
        // The look-alikes first (ids and rows before the takeovers): ties in the queue go their way.
        for i in 0..<forgetful {
            let a = s.account("fgt\(i)")
            var t = Scenario.t0 + Int64(r(0...20)) * Scenario.day
            t = failedLogins(a, t, device: "home-f\(i)", ip: "10.2.\(i).1")
            t = views(a, t, device: "home-f\(i)", n: r(4...10))
            s.order(a, item: "it\(r(0...5))", seller: "seller0", at: t, device: "home-f\(i)", address: "addr-f\(i)", payment: "card-f\(i)",
                    amount: Double(r(15...60)), ip: "10.2.\(i).1")
            fgt.append(a)
        }
        for i in 0..<takeovers {
            let a = s.account("to\(i)")
            var t = Scenario.t0 + Int64(r(0...20)) * Scenario.day
            t = failedLogins(a, t, device: "attacker\(i % 7)", ip: "203.0.113.\(i % 7)")
            for k in 0..<r(2...4) {
                s.order(a, item: "it\(r(12...19))", seller: "seller0", at: t + Int64(k) * 600_000, device: "attacker\(i % 7)",
                        address: "drop\(i % 4)", payment: "stolen\(i % 5)", amount: Double(r(400...900)), ip: "203.0.113.\(i % 7)")
            }
            ato.append(a)
        }
        for i in 0..<normal {
            let a = s.account("ok\(i)")
            var t = Scenario.t0 + Int64(r(0...20)) * Scenario.day
            s.event(a, "login", at: t, ["status": "ok", "device_id": "home-n\(i)", "ip": "10.3.\(i % 200).1"])
            t = views(a, t + 30_000, device: "home-n\(i)", n: r(2...10))
            for k in 0..<r(0...2) {
                s.order(a, item: "it\(r(0...8))", seller: "seller0", at: t + Int64(k) * Scenario.hour, device: "home-n\(i)", address: "addr-n\(i)",
                        payment: "card-n\(i)", amount: Double(r(15...80)), ip: "10.3.\(i % 200).1")
            }
            ok.append(a)
        }
        // Half one, half the other: failed logins and a mid-priced order from a second device.
        for i in 0..<ambiguous {
            let a = s.account("amb\(i)")
            var t = Scenario.t0 + Int64(r(0...20)) * Scenario.day
            t = failedLogins(a, t, device: "second-a\(i)", ip: "10.4.\(i).1")
            t = views(a, t, device: "home-a\(i)", n: r(1...3))
            s.order(a, item: "it\(r(6...12))", seller: "seller0", at: t, device: "second-a\(i)", address: "addr-a\(i)", payment: "card-a\(i)",
                    amount: Double(r(150...350)), ip: "10.4.\(i).1")
            amb.append(a)
        }
        let (store, _) = try s.build()
        let w = World(scenario: s, store: store, rules: s.dir + "/rules", takeovers: ato, forgetful: fgt, normal: ok, ambiguous: amb)
        try FileManager.default.createDirectory(atPath: w.rules, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: w.rules + "/failed_logins.sql", contents: Data("""
            -- id: failed_logins
            -- risk_type: ato
            -- severity: critical
            -- description: three or more failed logins
            SELECT account_id, count(*) || ' failed logins' AS reason FROM events WHERE type = 'login' AND status = 'fail' GROUP BY account_id HAVING count(*) >= 3
            """.utf8))
        return w
    }

    /// The rule alone, without the unsupervised layers (anomaly, propagation, per-detector
    /// calibration): the look-alikes are then exactly as suspect as the takeovers, and only
    /// the labels can tell them apart.
    func engine(_ w: World) -> DetectionEngine {
        let e = DetectionEngine(detectors: [], rulesDirectory: w.rules)
        e.layers.anomaly = false; e.layers.propagation = false; e.layers.calibration = false
        return e
    }

    func label(_ w: World, fraud: [String], legit: [String]) throws {
        _ = try w.store.addLabels(fraud.map { LabelInput(account: $0, label: .fraud, category: "ato") } + legit.map { LabelInput(account: $0, label: .legit) },
                                  analyst: "test", source: "test")
    }

    /// Half of each family labelled (30 takeovers fraud; 30 forgetful and 75 ordinary legit); the other half is what tests judge on.
    func labelHalf(_ w: World) throws {
        try label(w, fraud: Array(w.takeovers.prefix(30)), legit: Array(w.forgetful.prefix(30)) + Array(w.normal.prefix(75)))
    }

    /// A world whose detectors have run once and whose half is labelled.
    func labelledWorld(seed: UInt64) throws -> World {
        let w = try world(seed: seed)
        _ = try engine(w).run(store: w.store)
        try labelHalf(w)
        return w
    }

    func scores(_ w: World) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for r in try w.store.db.rows("SELECT account_id, score FROM scores") { out[r[0].string!] = r[1].double! }
        return out
    }

    func trainer(_ w: World) -> Trainer {
        let t = Trainer()
        t.engine = engine(w)
        return t
    }

    func testTheModelPullsDownAFalsePositiveFamilyAndKeepsTheFraud() throws {
        let w = try world(seed: 1)
        // Without a model the rule flags both families alike.
        let plain = try engine(w).run(store: w.store)
        let before = try scores(w)
        XCTAssertEqual(plain.flagged, w.takeovers.count + w.forgetful.count)
        XCTAssertEqual(before[w.forgetful[40]]!, before[w.takeovers[40]]!, accuracy: 1e-9)
        // Half of each family labelled; the other half is what we judge on.
        try labelHalf(w)
        let r = try trainer(w).run(store: w.store)
        XCTAssertTrue(r.promoted, "\(r.warnings)")
        XCTAssertEqual(Set(r.candidates.map(\.name)), Set(Trainer.candidateNames))
        XCTAssertGreaterThan(r.candidates[0].precisionAtK.value, r.detectors.precisionAtK.value)
        // The intervals bracket their estimates.
        for c in r.candidates { XCTAssertLessThanOrEqual(c.auc.low, c.auc.value + 1e-9); XCTAssertGreaterThanOrEqual(c.auc.high, c.auc.value - 1e-9) }
        let withModel = try engine(w).run(store: w.store)
        XCTAssertEqual(withModel.modelID, r.modelID)
        let after = try scores(w)
        let heldOutFgt = w.forgetful.dropFirst(30), heldOutAto = w.takeovers.dropFirst(30)
        // Every held-out look-alike is pulled below the flag line, every held-out takeover stays above it.
        for a in heldOutFgt { XCTAssertLessThan(after[a]!, 0.5, a); XCTAssertLessThan(after[a]!, before[a]!, a) }
        for a in heldOutAto { XCTAssertGreaterThanOrEqual(after[a]!, 0.5, a) }
        XCTAssertLessThan(withModel.flagged, plain.flagged)
        // …and says why, on the record.
        let why = try w.store.db.rows("SELECT reasons FROM scores WHERE account_id = ?", [.text(w.forgetful[45])])[0][0].string ?? ""
        XCTAssertTrue(why.contains("lowers it"), why)
        XCTAssertEqual(try w.store.db.int("SELECT count(*) FROM findings WHERE account_id = ?", [.text(w.forgetful[45])]), 1)   // the finding stays
        // At detect, a model run whose flag count jumps past the guard against the run before is flagged loudly.
        let strict = engine(w)
        strict.volumeFactor = 0.01; strict.volumeSlack = -50     // a guard set tight: any run above 10 flags
        let loud = try strict.run(store: w.store)
        XCTAssertEqual(loud.modelID, r.modelID)
        XCTAssertTrue(loud.warnings.contains { $0.contains("model v\(r.modelID) flags") }, "\(loud.warnings)")
        XCTAssertTrue(try w.store.db.rows("SELECT message FROM detect_runs ORDER BY id DESC LIMIT 1")[0][0].string?.contains("flags") ?? false)
        // The default guard leaves an ordinary run alone.
        XCTAssertEqual(try engine(w).run(store: w.store).warnings, [])
    }

    /// `train --nested` (grouped folds, promotion on the nested estimate) keeps a model that learnt
    /// something general: the look-alikes are told apart by behaviour, on folds it never saw.
    func testWithNestedCrossValidationAUsefulModelIsStillPromoted() throws {
        for seed: UInt64 in [1, 5] {
            let w = try labelledWorld(seed: seed)
            let t = trainer(w)
            t.groupFolds = true; t.nested = true
            let r = try t.run(store: w.store)
            let n = try XCTUnwrap(r.nested)
            XCTAssertGreaterThan(n.precisionAtK.value, r.detectors.precisionAtK.value, "seed \(seed)")
            XCTAssertGreaterThanOrEqual(r.nestedPicks.count, 2)   // one per outer fold (fewer folds when the fraud forms few groups)
            XCTAssertTrue(r.promoted, "seed \(seed): \(r.warnings)")
            // The takeovers share 7 attacker devices, 5 stolen cards and 4 drop addresses: grouped, not 30 singletons.
            XCTAssertLessThan(r.foldGroups, r.labels)
        }
    }

    /// The band test (`train --band-test`), on hand-built label sets: 1,000 labelled accounts, 80
    /// fraud, the detectors' ranking holding 60 fraud in its top 80 and the rest spread below.
    /// Two blends with the same +1 account at K: one that also pushes fraud out of the top K/2 …
    /// 2K elsewhere (harmful — refused), one that lifts fraud across that band (useful — kept).
    func testTheBandTestRefusesAReorderingThatOnlyWinsAtKAndKeepsOneThatWinsAcrossTheTop() {
        let n = 1000, k = 80
        var y = [Bool](repeating: false, count: n)
        // Detectors' order = index order (score 1 − i/n). Fraud: 60 of the first 80, then 20 more at 80…400.
        let det = (0..<n).map { 1 - Double($0) / Double(n) }
        var rng = SplitMix(seed: 3)
        var top = Array(0..<80); top.shuffle(using: &rng)
        for i in top.prefix(60) { y[i] = true }
        var low = Array(80..<400); low.shuffle(using: &rng)
        for i in low.prefix(20) { y[i] = true }
        let frauds = (0..<n).filter { y[$0] }, legits = (0..<n).filter { !y[$0] }
        // A blend given as an order of accounts (best first).
        func ranked(_ order: [Int]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            for (pos, i) in order.enumerated() { out[i] = 1 - Double(pos) / Double(n) }
            return out
        }
        // Useful: every fraud first (the top 80's, then the 20 from below), then the rest in the detectors' order.
        let useful = ranked(frauds + legits)
        // Harmful: one fraud from below lifted to the top and one legit pushed out of the top 80 (+1
        // at K), but within the top 80 the legit go first, and the fraud at 80 … 160 fall below 160.
        let lifted = frauds.first { $0 >= 80 }!
        let topLegit = legits.filter { $0 < 80 }, topFraud = frauds.filter { $0 < 80 }
        let band = (80..<160).filter { $0 != lifted }
        var order: [Int] = [lifted]
        order.append(contentsOf: topLegit.prefix(19))
        order.append(contentsOf: topFraud)
        order.append(topLegit[19])
        order.append(contentsOf: band.filter { !y[$0] })
        order.append(contentsOf: band.filter { y[$0] })
        order.append(contentsOf: (160..<n).filter { $0 != lifted })
        let harmful = ranked(order)
        func pk(_ s: [Double]) -> Double { Ranking.precisionAtK(scores: s, labels: y, k: k)! }
        XCTAssertGreaterThan(pk(harmful), pk(det))          // precision at K alone would promote it
        XCTAssertGreaterThan(pk(useful), pk(det))
        let gh = Trainer.bandGain(detectors: det, blended: harmful, labels: y, resamples: 300, seed: 1)
        let gu = Trainer.bandGain(detectors: det, blended: useful, labels: y, resamples: 300, seed: 1)
        XCTAssertLessThan(gh["band"]!, 0, "\(gh)")
        XCTAssertGreaterThan(gh["pk"]!, 0, "\(gh)")
        XCTAssertGreaterThan(gu["band_low90"]!, 0, "\(gu)")
        XCTAssertLessThanOrEqual(gu["band_low90"]!, gu["band"]!)
        for t in [BandTest.band, .bandInterval] {
            let why = Trainer.bandRefusal(test: t, gain: gh)
            XCTAssertNotNil(why, "\(t)")
            XCTAssertTrue(why!.contains("K/2 … 2K"), why!)
            XCTAssertNil(Trainer.bandRefusal(test: t, gain: gu), "\(t)")
        }
        XCTAssertNil(Trainer.bandRefusal(test: .off, gain: gh))
        // The same blend against itself: no gain, refused by both tests (a tie is not a gain).
        let same = Trainer.bandGain(detectors: det, blended: det, labels: y, resamples: 100, seed: 1)
        XCTAssertEqual(same["band"]!, 0, accuracy: 1e-12)
        XCTAssertNotNil(Trainer.bandRefusal(test: .band, gain: same))
    }

    /// Through `Trainer`: with the band test on, a model that learnt the look-alikes apart is still
    /// promoted; labels that carry no signal (fraud drawn at random from ordinary accounts) give
    /// no model, and detection keeps its queue (no current model).
    func testWithTheBandTestAUsefulModelIsPromotedAndANoiseOneIsNot() throws {
        for seed: UInt64 in [1, 5] {
            let w = try labelledWorld(seed: seed)
            let t = trainer(w)
            t.bandTest = .bandInterval
            let r = try t.run(store: w.store)
            XCTAssertTrue(r.promoted, "seed \(seed): \(r.warnings)")
            XCTAssertGreaterThan(r.diagnostics["\(r.kind)_band_low90"] ?? -1, 0, "seed \(seed): \(r.diagnostics)")
        }
        for seed: UInt64 in [2, 6] {
            let w = try world(seed: seed)
            _ = try engine(w).run(store: w.store)
            var rng = SplitMix(seed: seed)
            let pool = w.normal.shuffled(using: &rng)
            try label(w, fraud: Array(pool.prefix(30)), legit: Array(pool.dropFirst(30).prefix(90)))
            let t = trainer(w)
            t.bandTest = .band
            let r = try t.run(store: w.store)
            XCTAssertFalse(r.promoted, "seed \(seed): \(r.diagnostics)")
            XCTAssertNil(try ModelStore.current(w.store.db), "seed \(seed)")
        }
    }

    func testATieAtKBrokenByAnAUCGainWithinTheNoiseDoesNotBeatTheDetectors() {
        func iv(_ v: Double, _ lo: Double, _ hi: Double) -> Bootstrap.Interval { Bootstrap.Interval(value: v, low: lo, high: hi) }
        let det = (auc: iv(0.9971, 0.990, 1.0), precisionAtK: iv(0.975, 0.947, 1.0))
        func cand(pk: Double, auc: Double, gain: Bootstrap.Interval) -> CandidateResult {
            CandidateResult(name: "gbdt", weight: 0.85, auc: iv(auc, auc - 0.01, 1), precisionAtK: iv(pk, pk - 0.03, 1),
                            gainOverDetectors: iv(pk - 0.975, -0.02, 0.02), foldAUCSD: 0, foldPKSD: 0, aucGainOverDetectors: gain)
        }
        // The same precision at K and +0.0002 AUC whose paired interval straddles 0: no gain.
        let noise = Trainer.noGainOverDetectors(cand(pk: 0.975, auc: 0.9973, gain: iv(0.0002, -0.0011, 0.0019)), detectors: det)
        XCTAssertNotNil(noise)
        XCTAssertTrue(noise!.contains("within the resampling noise") && noise!.contains("+0.0002"), noise!)
        // The same precision at K and an AUC gain clear of 0: a gain.
        XCTAssertNil(Trainer.noGainOverDetectors(cand(pk: 0.975, auc: 0.9990, gain: iv(0.0019, 0.0004, 0.0041)), detectors: det))
        // A higher precision at K is a gain whatever the AUC; a lower one is not.
        XCTAssertNil(Trainer.noGainOverDetectors(cand(pk: 0.9875, auc: 0.9960, gain: iv(-0.001, -0.004, 0.002)), detectors: det))
        let lower = Trainer.noGainOverDetectors(cand(pk: 0.9625, auc: 0.9995, gain: iv(0.0024, 0.0009, 0.004)), detectors: det)
        XCTAssertTrue(lower?.contains("precision@K 0.963 vs 0.975") ?? false, lower ?? "nil")
    }

    func testCalibratedScoresMatchObservedPrecision() throws {
        // Isotonic: monotone, within [0, 1], and on a step it reports each side's observed rate.
        var rng = SplitMix(seed: 5)
        var s: [Double] = [], y: [Bool] = []
        for _ in 0..<2000 {
            let v = Double.random(in: 0...1, using: &rng)
            s.append(v); y.append(Double.random(in: 0...1, using: &rng) < (v < 0.5 ? 0.1 : 0.8))
        }
        let c = IsotonicCalibration.fit(scores: s, labels: y)
        var prev = -1.0
        for v in stride(from: 0.0, through: 1.0, by: 0.01) { let m = c.apply(v); XCTAssertGreaterThanOrEqual(m, prev); XCTAssertTrue((0...1).contains(m)); prev = m }
        XCTAssertEqual(c.apply(0.25), 0.1, accuracy: 0.05)
        XCTAssertEqual(c.apply(0.75), 0.8, accuracy: 0.05)
        // Order within a flat stretch is kept, and survives storing scores to four decimals.
        XCTAssertGreaterThan(c.apply(0.8), c.apply(0.7))
        let low = [0.00001, 0.0001, 0.001, 0.003].map { (c.apply($0) * 10_000).rounded() }
        XCTAssertEqual(low, low.sorted())
        XCTAssertEqual(Set(low).count, low.count, "\(low)")
    }

    func testTooFewOrOneSidedLabelsDoNotBecomeCurrent() throws {
        let w = try world(seed: 2)
        _ = try engine(w).run(store: w.store)
        // Fewer than five of a class: no model at all, a clear message.
        try label(w, fraud: Array(w.takeovers.prefix(3)), legit: Array(w.normal.prefix(60)))
        XCTAssertThrowsError(try trainer(w).run(store: w.store)) { XCTAssertTrue("\($0)".contains("3 fraud"), "\($0)") }
        // Eight fraud against 60 legit: trained and stored, but too one-sided to become current.
        try label(w, fraud: Array(w.takeovers[3..<8]), legit: [])
        let r = try trainer(w).run(store: w.store)
        XCTAssertFalse(r.promoted)
        XCTAssertTrue(r.warnings.contains { $0.contains("too few labels") && $0.contains("8 fraud") }, "\(r.warnings)")
        XCTAssertNil(try ModelStore.current(w.store.db))
        XCTAssertEqual(try ModelStore.latestCandidate(w.store.db)?.id, r.modelID)
        // The next detect runs without it.
        XCTAssertNil(try engine(w).run(store: w.store).modelID)
        // Promoting it by hand is the analyst's call.
        try ModelStore.promote(w.store.db, id: r.modelID)
        XCTAssertEqual(try ModelStore.current(w.store.db)?.id, r.modelID)
        XCTAssertThrowsError(try ModelStore.promote(w.store.db, id: 999)) { XCTAssertTrue("\($0)".contains("no model v999"), "\($0)") }
    }

    func testAShadowRunShowsWhoEntersAndLeavesWithoutWriting() throws {
        let w = try world(seed: 3)
        _ = try engine(w).run(store: w.store)
        try labelHalf(w)
        let t = trainer(w)
        t.promote = false
        let r = try t.run(store: w.store)
        XCTAssertNil(try ModelStore.current(w.store.db))
        let runs = try w.store.db.int("SELECT count(*) FROM detect_runs")
        let m = try XCTUnwrap(try ModelStore.get(w.store.db, id: r.modelID))
        let sh = try engine(w).shadow(store: w.store, baseline: nil, candidate: m, top: w.takeovers.count)
        XCTAssertEqual(try w.store.db.int("SELECT count(*) FROM detect_runs"), runs)     // nothing written
        // Flagged = score ≥ 0.5 (try21): the 30 look-alikes labelled legit have sunk below it;
        // the detectors' findings still name every takeover and look-alike.
        XCTAssertEqual(sh.flaggedBefore, w.takeovers.count + w.forgetful.count - 30)
        XCTAssertLessThan(sh.flaggedAfter, sh.flaggedBefore)
        let leaving = Set(sh.leaving.map(\.account)), entering = Set(sh.entering.map(\.account))
        XCTAssertTrue(leaving.isSubset(of: Set(w.forgetful)), "\(leaving)")
        XCTAssertTrue(entering.isSubset(of: Set(w.takeovers)), "\(entering)")
        // Before, the labelled look-alikes sank (labelled legit) and the tie at the rule's score went the
        // other look-alikes' way; after, the top 60 is every takeover: the held-out halves swap places.
        XCTAssertEqual(entering, Set(w.takeovers.dropFirst(30)))
        XCTAssertEqual(leaving, Set(w.forgetful.dropFirst(30)))
        for row in sh.leaving { XCTAssertLessThan(row.after, row.before) }
    }

    func testTeachPicksTheAccountsTheModelIsUnsureAbout() throws {
        let w = try world(seed: 4, ambiguous: 12)
        _ = try engine(w).run(store: w.store)
        // Without a model: the detectors' boundary; a critical rule scores 0.7, nothing else flags.
        let cold = try Teacher(engine: engine(w)).suggest(store: w.store, model: nil, count: 5)
        XCTAssertEqual(cold.count, 5)
        XCTAssertTrue(cold.allSatisfy { !w.normal.contains($0.account) }, "\(cold.map(\.account))")
        try labelHalf(w)
        let r = try trainer(w).run(store: w.store)
        let m = try XCTUnwrap(try ModelStore.get(w.store.db, id: r.modelID))
        let picks = try Teacher(engine: engine(w)).suggest(store: w.store, model: m, count: 8)
        XCTAssertEqual(picks.count, 8)
        let labelled = Set(w.takeovers.prefix(30) + w.forgetful.prefix(30) + w.normal.prefix(75))
        XCTAssertTrue(picks.allSatisfy { !labelled.contains($0.account) })
        // Boundary cases first: the half-and-half family, never a clear-cut honest account.
        XCTAssertGreaterThanOrEqual(picks.filter { w.ambiguous.contains($0.account) }.count, 4, "\(picks.map { ($0.account, $0.score) })")
        let clear = Set(w.normal.dropFirst(75))
        XCTAssertTrue(picks.allSatisfy { !clear.contains($0.account) || $0.uncertainty > 0.2 })
        XCTAssertTrue(picks.allSatisfy { $0.uncertainty > 0.05 }, "\(picks.map(\.uncertainty))")
    }
}

/// The flag-volume guard judges a model against what the detectors flag and what the labels imply.
final class FlagVolumeGuardTests: XCTestCase {
    func testDetectorsThatFlagNothingDoNotBlockAModelWithinTheLabelsFraudShare() {
        // An export where the detectors find nothing: 366 of 3,997 labelled accounts are fraud,
        // 39,974 accounts in all → about 3,660 implied; a model flagging 1,910 is no explosion.
        let implied = Trainer.impliedFraudAccounts(positives: 366, labelled: 3_997, accounts: 39_974)
        XCTAssertEqual(implied, 3_660)
        let limit = Trainer.flagVolumeLimit(detectors: 0, implied: implied, factor: 3, slack: 100)
        XCTAssertEqual(limit, 3_660)
        XCTAssertLessThanOrEqual(1_910, limit)
        // Past both references it is one: 36 labels (8 fraud) on 20,000 accounts imply 4,444; the
        // detectors flag 403 (limit 1,209 from them); 5,087 flags stay refused.
        let small = Trainer.impliedFraudAccounts(positives: 8, labelled: 36, accounts: 20_000)
        XCTAssertEqual(small, 4_444)
        XCTAssertGreaterThan(5_087, Trainer.flagVolumeLimit(detectors: 403, implied: small, factor: 3, slack: 100))
        // The detectors' own reference still counts when it is the larger.
        XCTAssertEqual(Trainer.flagVolumeLimit(detectors: 2_000, implied: 100, factor: 3, slack: 100), 6_000)
        XCTAssertEqual(Trainer.impliedFraudAccounts(positives: 0, labelled: 0, accounts: 10), 0)
    }
}
