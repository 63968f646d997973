import Foundation
import RiskMetrics
import RiskStore

/// A stored model version.
public struct ModelRecord: Sendable {
    public var id: Int64
    public var createdAt: Int64
    public var kind: String
    public var features: [String]
    public var model: LearntModel
    public var labels: Int
    public var positives: Int
    /// Cross-validated metrics: "auc", "auc_sd", "p_at_k", "p_at_k_sd" (and per kind tried).
    public var cv: [String: Double]
    public var current: Bool
}

public enum ModelStore {
    public static func save(_ db: Database, kind: String, model: LearntModel, features: [String], labels: Int, positives: Int, cv: [String: Double]) throws -> Int64 {
        let params = String(decoding: try JSONEncoder().encode(model), as: UTF8.self)
        let feats = String(decoding: try JSONEncoder().encode(features), as: UTF8.self)
        let cvJSON = String(decoding: try JSONEncoder().encode(cv), as: UTF8.self)
        return try db.transaction {
            try db.run("UPDATE models SET current = 0 WHERE current = 1")
            try db.run("INSERT INTO models(created_at, kind, features, params, labels, positives, cv, current) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                       [.int(Timestamp.nowMs()), .text(kind), .text(feats), .text(params), .int(Int64(labels)), .int(Int64(positives)), .text(cvJSON)])
            return db.lastInsertRowID
        }
    }

    /// The model `detect` uses: the current one. Throws, naming it, when its stored
    /// parameters or feature list can't be read.
    public static func current(_ db: Database) throws -> ModelRecord? {
        guard try db.int("SELECT count(*) FROM sqlite_schema WHERE name = 'models'") > 0 else { return nil }
        if let m = try list(db, where: "current = 1").first { return m }
        if let id = try db.rows("SELECT id FROM models WHERE current = 1").first?[0].int {
            throw TrainError(description: "model v\(id) (current) can't be read from the store: its parameters or feature list are not valid JSON; `riskdesk train` stores a new one")
        }
        return nil
    }

    public static func list(_ db: Database, where cond: String = "1") throws -> [ModelRecord] {
        try db.rows("SELECT id, created_at, kind, features, params, labels, positives, cv, current FROM models WHERE \(cond) ORDER BY id DESC").compactMap { r in
            guard let feats = r[3].string.flatMap({ try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }),
                  let model = r[4].string.flatMap({ try? JSONDecoder().decode(LearntModel.self, from: Data($0.utf8)) }) else { return nil }
            let cv = r[7].string.flatMap { try? JSONDecoder().decode([String: Double].self, from: Data($0.utf8)) } ?? [:]
            return ModelRecord(id: r[0].int ?? 0, createdAt: r[1].int ?? 0, kind: r[2].string ?? "", features: feats, model: model,
                               labels: Int(r[5].int ?? 0), positives: Int(r[6].int ?? 0), cv: cv, current: (r[8].int ?? 0) == 1)
        }
    }
}

public struct TrainReport: Sendable {
    public var modelID: Int64
    public var kind: String
    public var labels: Int
    public var positives: Int
    public var k: Int
    /// Per kind tried: mean and sd over folds of AUC and precision at K.
    public var cv: [String: (auc: Double, aucSD: Double, pk: Double, pkSD: Double)]
    public var loadSeconds: Double
    /// Seconds per stage: load, features, cross-validation, final fit.
    public var stages: [String: Double] = [:]
    public var seconds: Double
}

public struct TrainError: Error, CustomStringConvertible {
    public let description: String
}

/// Trains on the analysts' current labels (fraud = 1, legit = 0; unsure is left out) over
/// per-account features and the latest detection run's findings; picks the kind with the
/// best cross-validated AUC (or the one asked for) and stores it as the current model.
public final class Trainer {
    public var folds = 5
    public var seed: UInt64 = 42
    /// Learn from behaviour only (default), or stacked on the detectors' strengths too.
    /// Behaviour-only models generalise past the detectors' thresholds: they learn what the
    /// labelled abuse looked like, and find the same behaviour the detectors did not flag.
    public var stacked = false
    public init() {}

    public func run(store: Store, kind: String = "auto", cancel: CancelToken = CancelToken(),
                    progress: @escaping (String) -> Void = { _ in }) throws -> TrainReport {
        let db = store.db
        let t0 = Date()
        var labelled: [String: Bool] = [:]
        for r in try db.rows("SELECT account_id, label FROM current_labels WHERE label IN ('fraud','legit')") {
            if let a = r[0].string { labelled[a] = r[1].string == "fraud" }
        }
        let positives = labelled.values.filter { $0 }.count
        guard positives >= 5, labelled.count - positives >= 5 else {
            throw TrainError(description: "not enough labels to learn from: \(positives) fraud and \(labelled.count - positives) legit (need at least 5 of each; label with `riskdesk label` or in the workbench)")
        }
        progress("loading events")
        let table = try EventTable.load(from: db, cancel: cancel)
        let loadSeconds = Date().timeIntervalSince(t0)
        try cancel.check()
        var stages: [String: Double] = ["load": loadSeconds]
        var mark = Date()
        func lap(_ name: String) { stages[name] = Date().timeIntervalSince(mark); mark = Date() }
        progress("features")
        let strengths = try Self.latestStrengths(db, table)
        // Numeric columns a mapped import kept (ExtraFeatures) are learnt from too.
        let (x, featureNames) = try ExtraFeatures.withExtras(db, table, AccountFeatures.select(AccountFeatures.compute(table, strengths: strengths),
            rows: table.accountCount, names: stacked ? AccountFeatures.names : AccountFeatures.behaviourNames)!,
            names: stacked ? AccountFeatures.names : AccountFeatures.behaviourNames)
        let d = featureNames.count
        var rows: [Int] = []
        var y: [Bool] = []
        for (id, isFraud) in labelled.sorted(by: { $0.key < $1.key }) {
            guard let a = table.accounts.lookup(id) else { continue }
            rows.append(Int(a)); y.append(isFraud)
        }
        let n = rows.count
        var xs = [Float](repeating: 0, count: n * d)
        for (i, a) in rows.enumerated() { for j in 0..<d { xs[i * d + j] = x[a * d + j] } }
        lap("features")
        // Stratified folds, shuffled with a fixed seed.
        var rng = SplitMix(seed: seed)
        var posIdx = (0..<n).filter { y[$0] }, negIdx = (0..<n).filter { !y[$0] }
        posIdx.shuffle(using: &rng); negIdx.shuffle(using: &rng)
        var fold = [Int](repeating: 0, count: n)
        for (k, i) in posIdx.enumerated() { fold[i] = k % folds }
        for (k, i) in negIdx.enumerated() { fold[i] = k % folds }
        let kinds = kind == "auto" ? ["gbdt", "logreg"] : [kind]
        var cv: [String: (auc: Double, aucSD: Double, pk: Double, pkSD: Double)] = [:]
        // Every (kind, fold) fit is independent: they run side by side on the cores.
        progress("cross-validating \(kinds.joined(separator: " and ")), \(folds) folds")
        let tasks = kinds.flatMap { kd in (0..<folds).map { (kd, $0) } }
        var results = [(auc: Double?, pk: Double?)](repeating: (nil, nil), count: tasks.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: tasks.count) { i in
            if cancel.isCancelled { return }
            let (kd, f) = tasks[i]
            let tr = (0..<n).filter { fold[$0] != f }, te = (0..<n).filter { fold[$0] == f }
            let m = LearntModel.fit(kind: kd, x: Self.take(xs, tr, d), y: tr.map { y[$0] }, rows: tr.count, cols: d)
            let p = m.predict(Self.take(xs, te, d), rows: te.count, cols: d)
            let yt = te.map { y[$0] }
            let k = max(1, yt.filter { $0 }.count)
            let r = (Ranking.auc(scores: p, labels: yt), Ranking.precisionAtK(scores: p, labels: yt, k: k))
            lock.lock(); results[i] = r; lock.unlock()
        }
        try cancel.check()
        for kd in kinds {
            let mine = tasks.indices.filter { tasks[$0].0 == kd }.map { results[$0] }
            let aucs = mine.compactMap(\.auc), pks = mine.compactMap(\.pk)
            cv[kd] = (Self.mean(aucs), Self.sd(aucs), Self.mean(pks), Self.sd(pks))
        }
        lap("cross_validation")
        let chosen = kinds.max { (cv[$0]?.auc ?? 0, $0 == "gbdt" ? 1 : 0) < (cv[$1]?.auc ?? 0, $1 == "gbdt" ? 1 : 0) }!
        progress("fitting \(chosen) on all \(n) labels")
        let model = LearntModel.fit(kind: chosen, x: xs, y: y, rows: n, cols: d)
        var cvOut: [String: Double] = [:]
        for (kd, v) in cv { cvOut["\(kd)_auc"] = v.auc; cvOut["\(kd)_auc_sd"] = v.aucSD; cvOut["\(kd)_p_at_k"] = v.pk; cvOut["\(kd)_p_at_k_sd"] = v.pkSD }
        let id = try ModelStore.save(db, kind: chosen, model: model, features: featureNames, labels: n, positives: positives, cv: cvOut)
        lap("fit")
        return TrainReport(modelID: id, kind: chosen, labels: n, positives: positives, k: max(1, positives / folds), cv: cv,
                           loadSeconds: loadSeconds, stages: stages, seconds: Date().timeIntervalSince(t0))
    }

    /// Each detector's strongest finding per account from the latest run's findings.
    static func latestStrengths(_ db: Database, _ table: EventTable) throws -> [[Float]] {
        let rows = try db.rows("SELECT account_id, detector, max(strength) FROM findings GROUP BY 1, 2").compactMap { r -> (Int32, String, Double)? in
            guard let id = r[0].string, let det = r[1].string, let a = table.accounts.lookup(id) else { return nil }
            return (a, det, r[2].double ?? 0)
        }
        return AccountFeatures.strengths(rows, accounts: table.accountCount)
    }

    static func take(_ x: [Float], _ rows: [Int], _ d: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * d)
        for (i, r) in rows.enumerated() { for j in 0..<d { out[i * d + j] = x[r * d + j] } }
        return out
    }
    static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
    static func sd(_ v: [Double]) -> Double {
        guard v.count > 1 else { return 0 }
        let m = mean(v)
        return sqrt(v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1))
    }
}
