import Foundation
import RiskMetrics
import RiskStore

/// A stored model version.
public struct ModelRecord: Sendable {
    public var id: Int64
    public var createdAt: Int64
    public var kind: String
    public var features: [String]
    public var bundle: ModelBundle
    public var model: LearntModel { bundle.model }
    public var labels: Int
    public var positives: Int
    /// Cross-validated metrics of the candidates tried: "<candidate>_auc", "_auc_low", "_auc_high",
    /// "_p_at_k", "_p_at_k_low", "_p_at_k_high", "_weight"; "detectors_…" for the detectors alone.
    public var cv: [String: Double]
    public var current: Bool
}

public enum ModelStore {
    /// Stores a model version; it becomes the current one only when `current` is true.
    public static func save(_ db: SQLDatabase, bundle: ModelBundle, features: [String], labels: Int, positives: Int,
                            cv: [String: Double], current: Bool) throws -> Int64 {
        let params = String(decoding: try JSONEncoder().encode(bundle), as: UTF8.self)
        let feats = String(decoding: try JSONEncoder().encode(features), as: UTF8.self)
        let cvJSON = String(decoding: try JSONEncoder().encode(cv.filter { $0.value.isFinite }), as: UTF8.self)
        return try db.inTransaction {
            if current { try db.run("UPDATE models SET current = 0 WHERE current = 1") }
            return try db.int("INSERT INTO models(created_at, kind, features, params, labels, positives, cv, current) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                              [.int(Timestamp.nowMs()), .text(bundle.candidate), .text(feats), .text(params), .int(Int64(labels)),
                               .int(Int64(positives)), .text(cvJSON), .int(current ? 1 : 0)])
        }
    }

    /// Makes a stored version the current one (the one `detect` blends in).
    public static func promote(_ db: SQLDatabase, id: Int64) throws {
        guard try db.int("SELECT count(*) FROM models WHERE id = ?", [.int(id)]) > 0 else {
            let ids = try db.rows("SELECT id FROM models ORDER BY id DESC LIMIT 10").compactMap { $0[0].int }.map { "v\($0)" }
            throw TrainError(description: "there is no model v\(id)" + (ids.isEmpty ? " (none trained yet)" : " (stored: \(ids.joined(separator: ", ")))"))
        }
        guard try get(db, id: id) != nil else {
            throw TrainError(description: "model v\(id) can't be read from the store: its parameters or feature list are not valid JSON")
        }
        try db.inTransaction {
            try db.run("UPDATE models SET current = 0 WHERE current = 1")
            try db.run("UPDATE models SET current = 1 WHERE id = ?", [.int(id)])
        }
    }

    /// The model `detect` uses: the current one. Throws, naming it, when its stored
    /// parameters or feature list can't be read.
    public static func current(_ db: SQLDatabase) throws -> ModelRecord? {
        guard try db.hasTable("models") else { return nil }
        if let m = try list(db, where: "current = 1").first { return m }
        if let id = try db.rows("SELECT id FROM models WHERE current = 1").first?[0].int {
            throw TrainError(description: "model v\(id) (current) can't be read from the store: its parameters or feature list are not valid JSON; `riskdesk train` stores a new one")
        }
        return nil
    }

    /// One version by id (nil when there is none or it can't be read).
    public static func get(_ db: SQLDatabase, id: Int64) throws -> ModelRecord? {
        try list(db, where: "id = \(id)").first
    }

    /// The newest version that is not current (a candidate waiting for a shadow run or promotion).
    public static func latestCandidate(_ db: SQLDatabase) throws -> ModelRecord? {
        try list(db, where: "current = 0").first
    }

    public static func list(_ db: SQLDatabase, where cond: String = "1 = 1") throws -> [ModelRecord] {
        guard try db.hasTable("models") else { return [] }
        return try db.rows("SELECT id, created_at, kind, features, params, labels, positives, cv, current FROM models WHERE \(cond) ORDER BY id DESC").compactMap { r in
            guard let feats = r[3].string.flatMap({ try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }),
                  let bundle = r[4].string.flatMap({ ModelBundle.decode($0) }) else { return nil }
            let cv = r[7].string.flatMap { try? JSONDecoder().decode([String: Double].self, from: Data($0.utf8)) } ?? [:]
            return ModelRecord(id: r[0].int ?? 0, createdAt: r[1].int ?? 0, kind: r[2].string ?? "", features: feats, bundle: bundle,
                               labels: Int(r[5].int ?? 0), positives: Int(r[6].int ?? 0), cv: cv, current: (r[8].int ?? 0) == 1)
        }
    }
}

public struct TrainError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// One candidate's cross-validated result, measured on the out-of-fold scores of the labelled
/// accounts (each scored by a model that never saw its label), blended with the detectors as
/// `detect` would. Intervals: 95 % bootstrap over the labelled accounts.
public struct CandidateResult: Sendable {
    public var name: String
    /// The model's share of the blend that scored best for it.
    public var weight: Double
    public var auc: Bootstrap.Interval
    public var precisionAtK: Bootstrap.Interval
    /// Precision at K minus the detectors' alone, paired over the same resamples.
    public var gainOverDetectors: Bootstrap.Interval
    /// Per-fold spread (sd) of AUC and precision at K.
    public var foldAUCSD: Double
    public var foldPKSD: Double
    /// AUC minus the detectors' alone, paired over the same resamples.
    public var aucGainOverDetectors = Bootstrap.Interval(value: 0, low: 0, high: 0)
}

public struct TrainReport: Sendable {
    public var modelID: Int64
    /// The chosen candidate.
    public var kind: String
    public var features: Int
    public var labels: Int
    public var positives: Int
    /// K for precision at K: the fraud among the labelled accounts.
    public var k: Int
    /// Best first.
    public var candidates: [CandidateResult]
    /// The detectors alone on the same labelled accounts.
    public var detectors: (auc: Bootstrap.Interval, precisionAtK: Bootstrap.Interval)
    /// Became the current model.
    public var promoted: Bool
    /// Why it did not (or what to watch): too few labels, no gain over the detectors, flag volume.
    public var warnings: [String]
    /// Accounts the detectors flag, and accounts the model's calibrated score would flag (≥ 0.5).
    public var flaggedByDetectors: Int
    public var flaggedWithModel: Int
    public var calibrated: Bool
    public var loadSeconds: Double
    /// Seconds per stage: detection, features, cross-validation, final fit.
    public var stages: [String: Double] = [:]
    public var seconds: Double
    /// False when the labels could not show the detectors' score ranks better than chance
    /// (AUC interval reaching 0.5 or below): the model alone (weight 1) was then a choice too.
    public var detectorsBeyondChance = true
    /// The whole selection (candidate and weight chosen on inner folds) cross-validated on
    /// outer folds it never saw: the honest estimate that decides promotion. Nil when not run.
    public var nested: CandidateResult? = nil
    /// What each outer fold's inner selection picked ("gbdt 0.85").
    public var nestedPicks: [String] = []
    /// How many fold groups the labelled accounts formed (accounts sharing an identifier or a
    /// finding group are kept in one fold).
    public var foldGroups = 0
    /// Extra measurements of each candidate's blend against the detectors alone on the labelled
    /// accounts (paired bootstrap), reported in `train --json` as "diagnostics".
    public var diagnostics: [String: Double] = [:]
}

/// Trains on the analysts' current labels (fraud = 1, legit = 0; unsure is left out). The
/// candidates — boosted trees and logistic regression on behaviour features, and both stacked
/// on the detectors' strengths too — are cross-validated as `detect` would use them (blended
/// with the detectors' score) and the best by precision at K (then AUC) is kept, calibrated to
/// the observed precision of its out-of-fold scores. It becomes the current model only when
/// there are enough labels of each class, it beats the detectors alone, and its flag volume
/// stays sane; otherwise it is stored as a candidate and the old current model stays.
/// The kinds of model `Trainer` cross-validates: boosted trees and logistic regression on
/// behaviour features, and both stacked on the detectors' strengths.
public enum ModelKind: String, CaseIterable, Sendable {
    case gbdt, logreg, stacked, stackedLogreg = "stacked_logreg"
    /// Stacked on the detectors' strengths.
    public var isStacked: Bool { self == .stacked || self == .stackedLogreg }
}

/// The extra promotion test on the chosen blend's precision over depths K/2 … 2K (`Trainer.bandTest`).
public enum BandTest: String, CaseIterable, Sendable {
    case off, band, bandInterval = "band-interval"
}

public final class Trainer {
    public static let candidateNames = ModelKind.allCases.map(\.rawValue)
    public var folds = 5
    public var seed: UInt64 = 42
    /// Fewer labelled accounts than this in either class: too few to estimate a model.
    public var minPerClass = 20
    /// Promote even when a check fails (the warnings are still reported).
    public var force = false
    /// Store it without promoting it (a shadow run or `promote` decides later).
    public var promote = true
    /// A model whose calibrated flags exceed max(factor × the detectors' flags, theirs + slack) is not promoted.
    public var volumeFactor = 3.0
    public var volumeSlack = 100
    /// Blend weights tried per candidate. Not 1 while the labels show the detectors' score ranks
    /// better than chance: it (with its anomaly and propagation layers) then keeps a share, so a
    /// family the labels never showed the model is not pushed below honest accounts by a model
    /// that extrapolates (seen on a random world: stacked logistic regression at weight 1 cost
    /// 0.01 AUC on the unlabelled accounts). When they don't, 1 is tried too (see `run`).
    public var weights = [0.5, 0.7, 0.85]
    /// Folds keep labelled accounts that share a device, payment instrument, address or finding
    /// group together (see `ringGroups`). Off (the default, `train --nested` turns both on):
    /// plain stratified folds. Off by default because, measured with 10 % labels, the nested
    /// test refused a harmful model on one 20k world (4106) and a useful one on another (4102,
    /// which then fell to HistGradientBoosting's P@K) — see benchmarks.md, learn23.
    public var groupFolds = false
    /// Promotion is also decided on a nested cross-validation of the whole selection (see `run`).
    public var nested = false
    /// What promotion also asks of the chosen blend, beyond a cross-validated gain at K (see
    /// `bandRefusal`): `.band` (the default) a positive gain in precision averaged over the
    /// depths K/2 … 2K against the detectors alone; `.bandInterval` that gain's one-sided 95 %
    /// lower bound above 0 (stricter: with 10 % labels it also refused a useful model on a 20k
    /// world); `.off` nothing more (the rule before learn34). Measured: benchmarks.md, learn34.
    public var bandTest: BandTest = .band
    /// The detectors and rules the base score comes from (the same ones `detect` runs).
    public var engine = DetectionEngine(rulesDirectory: nil)
    public init() {}

    /// `kind`: "auto" (every candidate), one candidate's name, or "stacked-only" (the two stacked ones).
    public func run(store: CaseStore, kind: String = "auto", cancel: CancelToken = CancelToken(),
                    progress: @escaping (String) -> Void = { _ in }) throws -> TrainReport {
        let kinds: [ModelKind]
        switch kind {
        case "auto": kinds = ModelKind.allCases
        case "stacked-only": kinds = ModelKind.allCases.filter(\.isStacked)
        default:
            guard let k = ModelKind(rawValue: kind) else { throw TrainError(description: "unknown model kind '\(kind)' (auto, \(Self.candidateNames.joined(separator: ", ")))") }
            kinds = [k]
        }
        return try run(store: store, kinds: kinds, cancel: cancel, progress: progress)
    }

    /// Cross-validates these kinds (at least one) and keeps the best.
    public func run(store: CaseStore, kinds: [ModelKind], cancel: CancelToken = CancelToken(),
                    progress: @escaping (String) -> Void = { _ in }) throws -> TrainReport {
        precondition(!kinds.isEmpty, "no model kind to train")
        let db = store.database
        let t0 = Date()
        var labelled: [String: Bool] = [:]
        for r in try db.rows("SELECT account_id, label FROM current_labels WHERE label IN (?, ?)",
                             [.text(LabelValue.fraud.rawValue), .text(LabelValue.legit.rawValue)]) {
            if let a = r[0].string { labelled[a] = r[1].string == LabelValue.fraud.rawValue }
        }
        let positives = labelled.values.filter { $0 }.count
        let negatives = labelled.count - positives
        guard positives >= 5, negatives >= 5 else {
            throw TrainError(description: "not enough labels to learn from: \(positives) fraud and \(negatives) legit (need at least \(minPerClass) of each to become current, 5 to train at all; label with `riskdesk label`, or pick accounts with `riskdesk teach`)")
        }
        let names = kinds.map(\.rawValue)
        var stages: [String: Double] = [:]
        var mark = Date()
        func lap(_ name: String) { stages[name] = Date().timeIntervalSince(mark); mark = Date() }
        // The detectors' score, exactly as `detect` computes it before a model is blended in.
        progress("running the detectors")
        let ev = try engine.evaluate(store: store, cancel: cancel) { stage, _ in progress("detectors: \(stage)") }
        let table = ev.table
        let loadSeconds = ev.loadSeconds
        lap("detection")
        progress("features")
        // Numeric columns a mapped import kept (ExtraFeatures) are learnt from too: appended
        // after the behaviour and detector columns, offered to every candidate.
        let (x, all) = try ExtraFeatures.withExtras(db, table, AccountFeatures.compute(table, strengths: AccountFeatures.strengths(ev.findings, accounts: table.accountCount)),
                                                    names: AccountFeatures.names)
        let dAll = all.count
        let extraNames = all.filter(ExtraFeatures.isExtra)
        var rows: [Int] = []
        var y: [Bool] = []
        for (id, isFraud) in labelled.sorted(by: { $0.key < $1.key }) {
            guard let a = table.accounts.lookup(id) else { continue }
            rows.append(Int(a)); y.append(isFraud)
        }
        let n = rows.count
        let det = rows.map { ev.scores[$0].score }
        lap("features")
        // Folds: stratified, and grouped — labelled accounts that share a device, payment
        // instrument or address, or sit in one finding group (a ring, farm, cluster), go to the
        // same fold (`ringGroups`). Split across folds, a ring's members would be scored by a
        // model that learnt from their ring-mates, and cross-validation would promise more
        // than the model gives on the ring members nobody labelled.
        let posCount = y.filter { $0 }.count, negCount = n - posCount
        guard posCount >= 2, negCount >= 2 else {
            throw TrainError(description: "the labelled accounts are not in the store's events (\(posCount) fraud, \(negCount) legit found); import their events first")
        }
        var nFolds = max(2, min(folds, posCount, negCount))
        var group = groupFolds ? Self.ringGroups(table: table, findings: ev.findings, rows: rows, cap: max(1, n / (2 * nFolds)))
                               : Array(0..<n)
        // Fewer groups holding fraud (or legit) than folds: fewer folds; fewer than two: no grouping.
        let posGroups = Set((0..<n).filter { y[$0] }.map { group[$0] }).count
        let negGroups = Set((0..<n).filter { !y[$0] }.map { group[$0] }).count
        if min(posGroups, negGroups) < 2 { group = Array(0..<n) } else { nFolds = max(2, min(nFolds, posGroups, negGroups)) }
        let fold: [Int]
        if groupFolds {
            fold = Self.foldsByGroup(group: group, y: y, folds: nFolds, seed: seed)
        } else {
            // Stratified folds, shuffled with a fixed seed (as before grouping existed).
            var rng = SplitMix(seed: seed)
            var posIdx = (0..<n).filter { y[$0] }, negIdx = (0..<n).filter { !y[$0] }
            posIdx.shuffle(using: &rng); negIdx.shuffle(using: &rng)
            var f = [Int](repeating: 0, count: n)
            for (k, i) in posIdx.enumerated() { f[i] = k % nFolds }
            for (k, i) in negIdx.enumerated() { f[i] = k % nFolds }
            fold = f
        }
        func spec(_ c: String) -> (kind: String, features: [String]) {
            (c.hasSuffix("logreg") ? "logreg" : "gbdt", c.hasPrefix("stacked") ? all : AccountFeatures.behaviourNames + extraNames)
        }
        func matrix(_ features: [String], _ rowsOf: [Int]) -> [Float] {
            let idx = features.map { all.firstIndex(of: $0)! }
            var out = [Float](repeating: 0, count: rowsOf.count * idx.count)
            for (i, r) in rowsOf.enumerated() { for (j, c) in idx.enumerated() { out[i * idx.count + j] = x[rows[r] * dAll + c] } }
            return out
        }
        func fitPredict(_ c: String, train tr: [Int], test te: [Int]) -> [Double] {
            let (kd, feats) = spec(c)
            let m = LearntModel.fit(kind: kd, x: matrix(feats, tr), y: tr.map { y[$0] }, rows: tr.count, cols: feats.count)
            return m.predict(matrix(feats, te), rows: te.count, cols: feats.count)
        }
        // Nested: inside each outer fold's training part, the same grouped split again (the
        // selection — candidate and blend weight — is redone there without seeing the outer fold).
        let inner: [[Int]] = nested ? (0..<nFolds).map { o in
            let sub = (0..<n).filter { fold[$0] != o }
            let f = Self.foldsByGroup(group: sub.map { group[$0] }, y: sub.map { y[$0] }, folds: nFolds, seed: seed &+ UInt64(o + 1))
            var out = [Int](repeating: -1, count: n)
            for (j, i) in sub.enumerated() { out[i] = f[j] }
            return out
        } : []
        // Every (scope, candidate, fold) fit is independent: they run side by side on the cores.
        // Scope −1 is the plain cross-validation; scope o the inner one within outer fold o.
        progress("cross-validating \(names.joined(separator: ", ")), \(nFolds) folds" + (nested ? ", nested" : ""))
        let scopes = [-1] + (nested ? Array(0..<nFolds) : [])
        let tasks = scopes.flatMap { o in names.flatMap { c in (0..<nFolds).map { (o, c, $0) } } }
        var oofs = [Int: [String: [Double]]]()
        for o in scopes { oofs[o] = Dictionary(uniqueKeysWithValues: names.map { ($0, [Double](repeating: 0, count: n)) }) }
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: tasks.count) { i in
            if cancel.isCancelled { return }
            let (o, c, f) = tasks[i]
            let fo = o < 0 ? fold : inner[o]
            let tr = (0..<n).filter { fo[$0] >= 0 && fo[$0] != f }, te = (0..<n).filter { fo[$0] == f }
            let p = fitPredict(c, train: tr, test: te)
            lock.lock(); for (j, r) in te.enumerated() { oofs[o]![c]![r] = p[j] }; lock.unlock()
        }
        try cancel.check()
        let oof = oofs[-1]!
        let k = posCount
        func quality(_ s: [Double], _ yy: [Bool]) -> (Double, Double) {
            (Ranking.precisionAtK(scores: s, labels: yy, k: yy.filter { $0 }.count) ?? 0, Ranking.auc(scores: s, labels: yy) ?? 0)
        }
        func foldSD(_ s: [Double]) -> (Double, Double) {
            var aucs: [Double] = [], pks: [Double] = []
            for f in 0..<nFolds {
                let te = (0..<n).filter { fold[$0] == f }
                let ss = te.map { s[$0] }, yy = te.map { y[$0] }
                if let a = Ranking.auc(scores: ss, labels: yy) { aucs.append(a) }
                if let p = Ranking.precisionAtK(scores: ss, labels: yy, k: max(1, yy.filter { $0 }.count)) { pks.append(p) }
            }
            return (Self.sd(aucs), Self.sd(pks))
        }
        // The detectors' score keeps a share only while the labels show it ranks better than
        // chance (its AUC interval on the labelled accounts clears 0.5). A layer the labels say
        // is inverted or useless (on a one-event-type export: an order by volume that runs
        // against the fraud) would only drag the model down, so weight 1 — the model alone —
        // joins the weights cross-validation chooses from.
        let detectorsOnLabels = Bootstrap.compare(det, det, labels: y, resamples: 300, seed: seed).a["auc"]!
        let detectorsBeyondChance = detectorsOnLabels.low > 0.5
        let tried = detectorsBeyondChance ? weights : weights + [1]
        /// The selection rule on the accounts `idx`: each candidate's best weight, then the best
        /// candidate by precision at K, then AUC, then name.
        func select(_ o: [String: [Double]], _ idx: [Int]) -> [(name: String, weight: Double, quality: (Double, Double))] {
            let yy = idx.map { y[$0] }
            var out: [(name: String, weight: Double, quality: (Double, Double))] = []
            for c in names {
                let p = o[c]!
                let scored = tried.map { w in (w, quality(idx.map { ModelBundle.blend(detectors: det[$0], model: p[$0], weight: w) }, yy)) }
                let best = scored.max { a, b in a.1 < b.1 || (a.1 == b.1 && a.0 < b.0) }!
                out.append((c, best.0, best.1))
            }
            return out.sorted { ($0.quality.0, $0.quality.1, $1.name) > ($1.quality.0, $1.quality.1, $0.name) }
        }
        var results: [CandidateResult] = []
        var detectorsAlone: (auc: Bootstrap.Interval, precisionAtK: Bootstrap.Interval)?
        var blended: [String: [Double]] = [:]
        for (c, w, _) in select(oof, Array(0..<n)) {
            let p = oof[c]!
            let s = det.indices.map { ModelBundle.blend(detectors: det[$0], model: p[$0], weight: w) }
            blended[c] = s
            let cmp = Bootstrap.compare(det, s, labels: y, resamples: 300, seed: seed)
            if detectorsAlone == nil { detectorsAlone = (cmp.a["auc"]!, cmp.a["precision_at_k"]!) }
            let (aucSD, pkSD) = foldSD(s)
            results.append(CandidateResult(name: c, weight: w, auc: cmp.b["auc"]!, precisionAtK: cmp.b["precision_at_k"]!,
                                           gainOverDetectors: cmp.difference["precision_at_k"]!, foldAUCSD: aucSD, foldPKSD: pkSD,
                                           aucGainOverDetectors: cmp.difference["auc"]!))
        }
        results.sort { ($0.precisionAtK.value, $0.auc.value, $1.name) > ($1.precisionAtK.value, $1.auc.value, $0.name) }
        let best = results[0]
        var diagnostics: [String: Double] = [:]
        for r in results {
            let g = Self.bandGain(detectors: det, blended: blended[r.name]!, labels: y, resamples: 400, seed: seed)
            for (key, v) in g { diagnostics["\(r.name)_\(key)"] = v }
        }
        // The whole procedure, cross-validated: in each outer fold the candidate and weight are
        // chosen on the inner folds only, fitted on the outer training part and scored on the
        // outer fold. Picking the best of (candidates × weights) on the same out-of-fold scores
        // that then judge it against the detectors is optimistic — the winner of a dozen noisy
        // comparisons looks better than it is; this estimate is not, and it decides promotion.
        var nestedResult: CandidateResult?
        var nestedPicks: [String] = []
        if nested {
            var ns = [Double](repeating: 0, count: n)
            let picks = (0..<nFolds).map { o -> (String, Double) in
                let sub = (0..<n).filter { fold[$0] != o }
                let top = select(oofs[o]!, sub)[0]
                return (top.name, top.weight)
            }
            nestedPicks = picks.map { $0.0 + String(format: " %.2f", $0.1) }
            DispatchQueue.concurrentPerform(iterations: nFolds) { o in
                if cancel.isCancelled { return }
                let tr = (0..<n).filter { fold[$0] != o }, te = (0..<n).filter { fold[$0] == o }
                let p = fitPredict(picks[o].0, train: tr, test: te)
                lock.lock(); for (j, r) in te.enumerated() { ns[r] = ModelBundle.blend(detectors: det[r], model: p[j], weight: picks[o].1) }; lock.unlock()
            }
            try cancel.check()
            let cmp = Bootstrap.compare(det, ns, labels: y, resamples: 300, seed: seed)
            let (aucSD, pkSD) = foldSD(ns)
            nestedResult = CandidateResult(name: "nested", weight: .nan, auc: cmp.b["auc"]!, precisionAtK: cmp.b["precision_at_k"]!,
                                           gainOverDetectors: cmp.difference["precision_at_k"]!, foldAUCSD: aucSD, foldPKSD: pkSD,
                                           aucGainOverDetectors: cmp.difference["auc"]!)
        }
        lap("cross_validation")
        // Calibrated to observed precision: isotonic on the chosen candidate's out-of-fold blend.
        let calibration = IsotonicCalibration.fit(scores: blended[best.name]!, labels: y)
        progress("fitting \(best.name) on all \(n) labels")
        let (kd, feats) = spec(best.name)
        let model = LearntModel.fit(kind: kd, x: matrix(feats, Array(0..<n)), y: y, rows: n, cols: feats.count)
        let bundle = ModelBundle(candidate: best.name, model: model, weight: best.weight, calibration: calibration)
        // How many accounts it would flag across the whole store, against the detectors.
        let fIdx = feats.map { all.firstIndex(of: $0)! }
        var xs = [Float](repeating: 0, count: table.accountCount * feats.count)
        for r in 0..<table.accountCount { for (j, c) in fIdx.enumerated() { xs[r * feats.count + j] = x[r * dAll + c] } }
        let pAll = model.predict(xs, rows: table.accountCount, cols: feats.count)
        let flaggedWithModel = pAll.indices.filter { Flagged.test(bundle.score(detectors: ev.scores[$0].score, model: pAll[$0])) }.count
        let flaggedByDetectors = ev.scores.filter { Flagged.test($0.score) }.count
        var warnings: [String] = []
        if positives < minPerClass || negatives < minPerClass {
            warnings.append("too few labels to estimate a model: \(positives) fraud and \(negatives) legit (need at least \(minPerClass) of each)")
        }
        let da = detectorsAlone!
        if let why = Self.noGainOverDetectors(best, detectors: da) {
            warnings.append(why)
        } else if let nr = nestedResult, let why = Self.noGainOverDetectors(nr, detectors: da, nested: true) {
            warnings.append(why)
        }
        if warnings.isEmpty || !warnings.contains(where: { $0.hasPrefix("it does not beat") }) {
            if let why = Self.bandRefusal(test: bandTest, gain: Dictionary(uniqueKeysWithValues: diagnostics.compactMap { kv in
                kv.key.hasPrefix(best.name + "_") ? (String(kv.key.dropFirst(best.name.count + 1)), kv.value) : nil })) {
                warnings.append(why)
            }
        }
        let implied = Self.impliedFraudAccounts(positives: positives, labelled: n, accounts: table.accountCount)
        if flaggedWithModel > Self.flagVolumeLimit(detectors: flaggedByDetectors, implied: implied, factor: volumeFactor, slack: volumeSlack) {
            warnings.append("it would flag \(flaggedWithModel) accounts where the detectors flag \(flaggedByDetectors) and the labels' fraud share implies about \(implied)")
        }
        let promoted = promote && (warnings.isEmpty || force)
        var cvOut: [String: Double] = ["folds": Double(nFolds), "k": Double(k),
                                       "detectors_auc": da.auc.value, "detectors_auc_low": da.auc.low, "detectors_auc_high": da.auc.high,
                                       "detectors_p_at_k": da.precisionAtK.value, "detectors_p_at_k_low": da.precisionAtK.low,
                                       "detectors_p_at_k_high": da.precisionAtK.high,
                                       "flagged_by_detectors": Double(flaggedByDetectors), "flagged_with_model": Double(flaggedWithModel),
                                       "detectors_beyond_chance": detectorsBeyondChance ? 1 : 0]
        for r in results {
            cvOut["\(r.name)_auc"] = r.auc.value; cvOut["\(r.name)_auc_low"] = r.auc.low; cvOut["\(r.name)_auc_high"] = r.auc.high
            cvOut["\(r.name)_p_at_k"] = r.precisionAtK.value; cvOut["\(r.name)_p_at_k_low"] = r.precisionAtK.low
            cvOut["\(r.name)_p_at_k_high"] = r.precisionAtK.high; cvOut["\(r.name)_weight"] = r.weight
        }
        if let r = nestedResult {
            cvOut["nested_auc"] = r.auc.value; cvOut["nested_auc_low"] = r.auc.low; cvOut["nested_auc_high"] = r.auc.high
            cvOut["nested_p_at_k"] = r.precisionAtK.value; cvOut["nested_p_at_k_low"] = r.precisionAtK.low
            cvOut["nested_p_at_k_high"] = r.precisionAtK.high
            cvOut["nested_auc_gain_low"] = r.aucGainOverDetectors.low; cvOut["nested_auc_gain"] = r.aucGainOverDetectors.value
        }
        cvOut["fold_groups"] = Double(Set(group).count)
        let id = try ModelStore.save(db, bundle: bundle, features: feats, labels: n, positives: positives, cv: cvOut, current: promoted)
        lap("fit")
        return TrainReport(modelID: id, kind: best.name, features: feats.count, labels: n, positives: positives, k: k, candidates: results,
                           detectors: da, promoted: promoted, warnings: warnings, flaggedByDetectors: flaggedByDetectors,
                           flaggedWithModel: flaggedWithModel, calibrated: true, loadSeconds: loadSeconds, stages: stages,
                           seconds: Date().timeIntervalSince(t0), detectorsBeyondChance: detectorsBeyondChance,
                           nested: nestedResult, nestedPicks: nestedPicks, foldGroups: Set(group).count, diagnostics: diagnostics)
    }

    /// The band gain of `blended` over `detectors` on the labelled accounts: the mean over depths
    /// d = f × K (f = 0.5, 0.6 … 2.0, K = the labelled fraud) of precision at d, blended minus
    /// detectors — the top of the queue compared at several lengths instead of one, so a
    /// reordering is judged on every labelled account it moves across any of those depths, not
    /// only the few that cross K. Paired Poisson bootstrap (the same weights for both); returns
    /// the point gain ("band"), its 5th and 2.5th percentiles ("band_low90", "band_low95"), the
    /// share of resamples with a gain > 0 ("band_p_pos"), and the same for precision at K alone.
    public static func bandGain(detectors a: [Double], blended b: [Double], labels y: [Bool], resamples: Int, seed: UInt64) -> [String: Double] {
        let n = y.count
        func order(_ s: [Double]) -> [Int] { s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 } }
        let oa = order(a), ob = order(b)
        let fractions = stride(from: 0.5, through: 2.0001, by: 0.1).map { $0 }
        func curve(_ o: [Int], _ w: [Double], _ kw: Double) -> (band: Double, pk: Double) {
            // Weighted precision at each depth f × kw (the last account crossing a depth counts in part).
            var tp = 0.0, seen = 0.0, j = 0, sum = 0.0, pk = Double.nan
            let depths = fractions.map { $0 * kw }
            var vals = [Double](repeating: .nan, count: depths.count)
            for i in o {
                let wi = w[i]
                if wi == 0 { continue }
                while j < depths.count && seen + wi >= depths[j] {
                    let part = depths[j] - seen
                    vals[j] = (tp + (y[i] ? part : 0)) / max(depths[j], 1e-12); j += 1
                }
                if pk.isNaN && seen + wi >= kw { let part = kw - seen; pk = (tp + (y[i] ? part : 0)) / max(kw, 1e-12) }
                tp += y[i] ? wi : 0; seen += wi
            }
            for m in 0..<vals.count where vals[m].isNaN { vals[m] = tp / max(depths[m], 1e-12) }
            if pk.isNaN { pk = tp / max(kw, 1e-12) }
            for v in vals { sum += v }
            return (sum / Double(vals.count), pk)
        }
        let ones = [Double](repeating: 1, count: n)
        let k0 = Double(y.filter { $0 }.count)
        let pa = curve(oa, ones, k0), pb = curve(ob, ones, k0)
        var rng = SplitMix(seed: seed &+ 17)
        let cdf: [Double] = { var c: [Double] = [], p = exp(-1.0), t = 0.0; for k in 0..<12 { t += p; c.append(t); p /= Double(k + 1) }; return c }()
        func poisson1() -> Double {
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            var k = 0
            while k < cdf.count - 1 && u > cdf[k] { k += 1 }
            return Double(k)
        }
        var w = ones
        var bands: [Double] = [], pks: [Double] = []
        for _ in 0..<resamples {
            var kw = 0.0
            for i in 0..<n { w[i] = poisson1(); if y[i] { kw += w[i] } }
            guard kw > 0 else { continue }
            let ca = curve(oa, w, kw), cb = curve(ob, w, kw)
            bands.append(cb.band - ca.band); pks.append(cb.pk - ca.pk)
        }
        bands.sort(); pks.sort()
        func q(_ v: [Double], _ p: Double) -> Double { v.isEmpty ? .nan : v[Int((Double(v.count - 1) * p).rounded())] }
        func pos(_ v: [Double]) -> Double { v.isEmpty ? .nan : Double(v.filter { $0 > 0 }.count) / Double(v.count) }
        return ["band": pb.band - pa.band, "band_low90": q(bands, 0.05), "band_low95": q(bands, 0.025), "band_p_pos": pos(bands),
                "pk": pb.pk - pa.pk, "pk_low90": q(pks, 0.05), "pk_p_pos": pos(pks), "pk_p_neg": Double(pks.filter { $0 < 0 }.count) / Double(max(1, pks.count))]
    }

    /// Why `best` does not beat the detectors alone by cross-validation (nil when it does): it
    /// must have a higher precision at K, or the same precision at K and an AUC gain beyond the
    /// resampling noise (the paired interval's lower bound above 0). A tie at K broken by an AUC
    /// gain of a few ten-thousandths is noise, and promoting on it let a model reorder the top
    /// of the queue (the part analysts work) on no evidence — seen with 10 % labels on a 20k
    /// world: equal P@K and +0.0002 AUC in cross-validation, −0.02 P@K on the unlabelled rest.
    /// `nested`: `best` is the nested estimate of the whole selection (the message says so).
    public static func noGainOverDetectors(_ best: CandidateResult, detectors da: (auc: Bootstrap.Interval, precisionAtK: Bootstrap.Interval),
                                           nested: Bool = false) -> String? {
        let by = nested ? "by nested cross-validation (candidate and weight chosen without the fold they are judged on)" : "by cross-validation"
        if best.precisionAtK.value < da.precisionAtK.value {
            return "it does not beat the detectors alone \(by)" + String(format: " (precision@K %.3f vs %.3f, AUC %.3f vs %.3f)",
                          best.precisionAtK.value, da.precisionAtK.value, best.auc.value, da.auc.value)
        }
        if best.precisionAtK.value == da.precisionAtK.value && best.aucGainOverDetectors.low <= 0 {
            let g = best.aucGainOverDetectors
            return "it does not beat the detectors alone \(by)" + String(format: ": the same precision@K (%.3f) and an AUC gain of %+.4f, within the resampling noise (95 %% %+.4f … %+.4f)",
                          best.precisionAtK.value, g.value, g.low, g.high)
        }
        return nil
    }

    /// Why the chosen blend's band gain (`bandGain` of it against the detectors) does not
    /// justify promotion under `test` (nil when it does, or when the test is off). Precision at
    /// K alone judges a reordering by the few labelled accounts that cross depth K — with 10 %
    /// labels one account is about 0.0125 of it, and a harmful and a useful model both showed
    /// +1 there. Averaged over the depths K/2 … 2K, every labelled account the blend moves
    /// across any of those depths counts.
    public static func bandRefusal(test: BandTest, gain g: [String: Double]) -> String? {
        guard test != .off, let band = g["band"] else { return nil }
        let low = g["band_low90"] ?? .nan
        switch test {
        case .off: return nil
        case .band where band <= 0:
            return String(format: "it does not beat the detectors alone over the top of the queue: precision averaged over depths K/2 … 2K changes by %+.4f (one-sided 95 %% lower bound %+.4f)", band, low)
        case .bandInterval where !(low > 0):
            return String(format: "its gain over the detectors across the top of the queue is within the resampling noise: precision averaged over depths K/2 … 2K %+.4f, one-sided 95 %% lower bound %+.4f", band, low)
        default: return nil
        }
    }

    /// Fold groups for the labelled accounts `rows` (indices into the table): accounts that
    /// share a device, payment instrument or address, or one finding group (a ring, farm or
    /// cluster a detector named), are joined — union-find, the identifiers held by fewest
    /// labelled accounts first. A join that would make a group larger than `cap` (half a fold)
    /// is skipped, so a carrier NAT, a shop's shared device or a mega-seller's cluster cannot
    /// weld the labels into a few blocks that no fold split can balance. IP addresses are not
    /// used (shared by whole networks). Returns a group id per labelled account.
    public static func ringGroups(table t: EventTable, findings: [Finding], rows: [Int], cap: Int) -> [Int] {
        let n = rows.count
        var parent = Array(0..<n), size = [Int](repeating: 1, count: n)
        func find(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
        var holders: [String: Set<Int>] = [:]
        let rowOf = Dictionary(rows.enumerated().map { (Int32($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
        for (i, a) in rows.enumerated() {
            for e in t.events(of: a) {
                let e = Int(e)
                if t.device[e] >= 0 { holders["d\(t.device[e])", default: []].insert(i) }
                if t.payment[e] >= 0 { holders["p\(t.payment[e])", default: []].insert(i) }
                if t.address[e] >= 0 { holders["a\(t.address[e])", default: []].insert(i) }
            }
        }
        for f in findings {
            if let g = f.group, let i = rowOf[f.account] { holders["g" + g, default: []].insert(i) }
        }
        let sets = holders.values.filter { $0.count > 1 }.map { $0.sorted() }
            .sorted { ($0.count, $0.first!) < ($1.count, $1.first!) }
        for members in sets {
            for m in members.dropFirst() {
                let a = find(members[0]), b = find(m)
                guard a != b, size[a] + size[b] <= cap else { continue }
                let (big, small) = size[a] >= size[b] ? (a, b) : (b, a)
                parent[small] = big; size[big] += size[small]
            }
        }
        return (0..<n).map(find)
    }

    /// Stratified folds that keep each group whole: groups in a seeded random order, the ones
    /// with fraud first (most fraud first), each to the fold with the fewest of its larger class
    /// so far; then the all-legit groups, largest first, to the fold with the fewest legit.
    /// With every account its own group this is a plain stratified split.
    public static func foldsByGroup(group: [Int], y: [Bool], folds: Int, seed: UInt64) -> [Int] {
        var members: [Int: [Int]] = [:]
        for (i, g) in group.enumerated() { members[g, default: []].append(i) }
        var rng = SplitMix(seed: seed)
        var gs = members.keys.sorted()
        gs.shuffle(using: &rng)
        let pos = Dictionary(uniqueKeysWithValues: gs.map { g in (g, members[g]!.filter { y[$0] }.count) })
        let ordered = gs.enumerated().sorted { a, b in
            let pa = pos[a.element]!, pb = pos[b.element]!
            let sa = members[a.element]!.count, sb = members[b.element]!.count
            if (pa > 0) != (pb > 0) { return pa > 0 }
            if pa != pb { return pa > pb }
            if sa != sb { return sa > sb }
            return a.offset < b.offset
        }.map(\.element)
        var fp = [Int](repeating: 0, count: folds), fn = fp
        var out = [Int](repeating: 0, count: group.count)
        for g in ordered {
            let m = members[g]!, p = pos[g]!
            func key(_ f: Int) -> (Int, Int, Int) { p > 0 ? (fp[f], fp[f] + fn[f], f) : (fn[f], fp[f] + fn[f], f) }
            let f = (0..<folds).min { key($0) < key($1) }!
            for i in m { out[i] = f }
            fp[f] += p; fn[f] += m.count - p
        }
        return out
    }

    /// How many of the store's accounts the labelled fraud share implies. Analysts label the
    /// suspicious more often than the rest, so this leans high: a ceiling, not an estimate.
    public static func impliedFraudAccounts(positives: Int, labelled: Int, accounts: Int) -> Int {
        labelled > 0 ? Int((Double(positives) / Double(labelled) * Double(accounts)).rounded()) : 0
    }

    /// The most accounts a new model may flag and still become current without `--force`: a
    /// jump far past what the detectors flag AND past what the labels imply is an explosion; a
    /// store whose detectors find nothing (an export with one event type and no shared
    /// identifiers) still gets a model whose flags stay within the labels' fraud share.
    public static func flagVolumeLimit(detectors: Int, implied: Int, factor: Double, slack: Int) -> Int {
        max(Int(factor * Double(detectors)), detectors + slack, implied)
    }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
    static func sd(_ v: [Double]) -> Double {
        guard v.count > 1 else { return 0 }
        let m = mean(v)
        return sqrt(v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1))
    }
}
