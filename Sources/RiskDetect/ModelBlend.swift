import Foundation
import RiskMetrics
import RiskStore

/// What the detectors and rules say about a store before a learnt model is blended in.
public struct Evaluation {
    public var table: EventTable
    public var findings: [Finding]
    public var reports: [DetectorReport]
    /// Per account, the detectors' combined score.
    public var scores: [AccountScore]
    public var loadSeconds: Double
}

/// One account whose place in the queue a shadow run changes.
public struct ShadowRow: Sendable {
    public var account: String
    public var before: Double
    public var after: Double
    public var riskType: String?
    public var reason: String?
}

/// How the queue would change if a model were promoted: flag counts, and the accounts entering
/// and leaving the top K (K = the queue's flagged accounts before, unless given).
public struct ShadowReport: Sendable {
    public var baseline: Int64?
    public var candidate: Int64?
    public var accounts: Int
    public var k: Int
    public var flaggedBefore: Int
    public var flaggedAfter: Int
    /// Highest score after first.
    public var entering: [ShadowRow]
    /// Highest score before first.
    public var leaving: [ShadowRow]
    public var seconds: Double
}

extension DetectionEngine {
    /// Blends a learnt model into the detectors' scores: the model's probability and the
    /// detectors' score mix at the model's weight, then its calibration maps the blend to the
    /// precision observed at that score. A mixture, not a noisy-OR: a model confident an account
    /// is legit pulls a detector's finding down (the finding stays on record, the reason says so).
    public func applyModel(_ m: ModelRecord, to scores: inout [AccountScore], evaluation ev: Evaluation, db: SQLDatabase) throws {
        let table = ev.table
        guard let x = try ExtraFeatures.matrix(db, table, all: AccountFeatures.compute(table, strengths: AccountFeatures.strengths(ev.findings, accounts: table.accountCount)),
                                               names: m.features) else {
            let unknown = m.features.filter { !AccountFeatures.names.contains($0) && !ExtraFeatures.isExtra($0) }
            throw TrainError(description: "model v\(m.id) was trained on features this version does not compute (\(unknown.prefix(5).joined(separator: ", "))); train a new one")
        }
        let d = m.features.count
        let p = m.model.predict(x, rows: table.accountCount, cols: d)
        let w = modelWeight ?? m.bundle.weight
        let calibrated = m.bundle.calibration != nil
        func label(_ names: [String]) -> String { names.isEmpty ? "" : " (" + names.map { $0.replacingOccurrences(of: "_", with: " ") }.joined(separator: ", ") + ")" }
        for a in scores.indices {
            let det = scores[a].score
            let b = ModelBundle.blend(detectors: det, model: p[a], weight: w)
            let final = m.bundle.calibration?.apply(b) ?? b
            scores[a].score = final
            let shown = calibrated ? String(format: "; score %.2f = precision observed at this score (calibrated on labels)", final) : ""
            if p[a] >= 0.5 && final >= 0.5 {
                // Explained: the behaviour that pushed it up most.
                scores[a].reasons.append(String(format: "learnt model v%lld: %.2f", m.id, p[a]) + label(m.model.topReasons(x, row: a, names: m.features)) + shown)
                if scores[a].riskType == nil { scores[a].riskType = "learnt" }
            } else if det >= 0.5 && final < 0.5 {
                // Overruled: the detectors flagged it, the model (from the labels) says otherwise.
                scores[a].reasons.insert(String(format: "learnt model v%lld lowers it: %.2f, resembles accounts labelled legit", m.id, p[a])
                                         + label(m.model.topReasons(x, row: a, names: m.features, down: true)) + shown, at: 0)
            }
        }
        // Accounts only the model flags get the category of the labelled fraud they resemble.
        let only = scores.indices.filter { scores[$0].riskType == "learnt" }
        var labelled: [(row: Int, category: String)] = []
        for r in try db.rows("SELECT account_id, category FROM current_labels WHERE label = 'fraud' AND category IS NOT NULL") {
            if let id = r[0].string, let c = r[1].string, let a = table.accounts.lookup(id) { labelled.append((Int(a), c)) }
        }
        for (a, c) in AccountFeatures.nearestCategories(x, cols: d, rows: table.accountCount, labelled: labelled, queries: only) {
            scores[a].riskType = c
            scores[a].reasons.append("behaves like accounts labelled \(c)")
        }
    }

    /// Analysts' verdicts outrank the detectors in the queue: an account whose current label
    /// is legit sinks (its findings stay, for the record and for metrics).
    static func sinkLabelledLegit(_ scores: inout [AccountScore], table: EventTable, db: SQLDatabase) throws {
        guard try db.hasTable("current_labels") else { return }
        for row in try db.rows("SELECT account_id, analyst FROM current_labels WHERE label = 'legit'") {
            guard let id = row[0].string, let a = table.accounts.lookup(id), Int(a) < scores.count, scores[Int(a)].score > 0 else { continue }
            scores[Int(a)].score *= 0.1
            scores[Int(a)].reasons.insert("labelled legit by \(row[1].string ?? "an analyst")", at: 0)
        }
    }

    /// A shadow run: the detectors run once and nothing is written; the queue with `baseline`
    /// (nil: the detectors alone) is compared with the queue with `candidate` (nil: the
    /// detectors alone). `top`: K for entering / leaving (default: the flagged count before).
    public func shadow(store: CaseStore, baseline: ModelRecord?, candidate: ModelRecord?, top: Int? = nil,
                       cancel: CancelToken = CancelToken(), progress: @escaping (String, Double) -> Void = { _, _ in }) throws -> ShadowReport {
        let t0 = Date()
        let ev = try evaluate(store: store, cancel: cancel, progress: progress)
        progress("shadow scoring", 0.95)
        func queue(_ m: ModelRecord?) throws -> (scores: [AccountScore], flagged: Int) {
            var s = ev.scores
            if let m { try applyModel(m, to: &s, evaluation: ev, db: store.database) }
            try Self.sinkLabelledLegit(&s, table: ev.table, db: store.database)
            return (s, s.filter { Flagged.test($0.score) }.count)
        }
        let before = try queue(baseline), after = try queue(candidate)
        let n = ev.table.accountCount
        let k = max(1, min(n, top ?? before.flagged))
        let topBefore = Set(Ranking.topK(scores: before.scores.map(\.score), k: k))
        let topAfter = Set(Ranking.topK(scores: after.scores.map(\.score), k: k))
        func row(_ a: Int) -> ShadowRow {
            ShadowRow(account: ev.table.accountID(Int32(a)), before: before.scores[a].score, after: after.scores[a].score,
                      riskType: after.scores[a].riskType ?? before.scores[a].riskType, reason: after.scores[a].reasons.first)
        }
        let entering = topAfter.subtracting(topBefore).map(row).sorted { ($0.after, $1.account) > ($1.after, $0.account) }
        let leaving = topBefore.subtracting(topAfter).map(row).sorted { ($0.before, $1.account) > ($1.before, $0.account) }
        return ShadowReport(baseline: baseline?.id, candidate: candidate?.id, accounts: n, k: k, flaggedBefore: before.flagged,
                            flaggedAfter: after.flagged, entering: entering, leaving: leaving, seconds: Date().timeIntervalSince(t0))
    }
}
