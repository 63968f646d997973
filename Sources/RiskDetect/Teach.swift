import Foundation
import RiskStore

/// An unlabelled account worth an analyst's label: the model (or, without one, the detectors)
/// is least sure about it, so its label would change the model most.
public struct TeachItem: Sendable {
    public var account: String
    /// The queue's score (calibrated, with a model) and the model's own probability (nil without one).
    public var score: Double
    public var model: Double?
    public var detectors: Double
    /// 1 at the decision boundary (score 0.5), 0 far from it.
    public var uncertainty: Double
    public var riskType: String?
    public var group: String?
    public var why: String
}

/// Picks accounts for analysts to label first (uncertainty sampling, diversified): the
/// unlabelled accounts whose score sits nearest the boundary, skipping near-duplicates in
/// behaviour and taking at most two from any one ring / cluster, so that a batch of labels
/// teaches the model about several kinds of doubt rather than one.
public final class Teacher {
    public var engine: DetectionEngine
    /// How strongly similarity to an account already picked counts against a candidate.
    public var diversity = 0.5
    public var perGroup = 2

    public init(engine: DetectionEngine = DetectionEngine(rules: nil)) { self.engine = engine }

    /// `model`: the model to ask (nil: the detectors' score alone).
    public func suggest(store: CaseStore, model: ModelRecord?, count: Int = 20, cancel: CancelToken = CancelToken(),
                        progress: @escaping (String, Double) -> Void = { _, _ in }) throws -> [TeachItem] {
        let ev = try engine.evaluate(store: store, cancel: cancel, progress: progress)
        var scores = ev.scores
        let table = ev.table
        let x = AccountFeatures.compute(table, strengths: AccountFeatures.strengths(ev.findings, accounts: table.accountCount))
        var p: [Double]?
        if let model {
            try engine.applyModel(model, to: &scores, evaluation: ev, db: store.database)
            let xs = try ExtraFeatures.matrix(store.database, table, all: x, names: model.features) ?? []
            p = model.model.predict(xs, rows: table.accountCount, cols: model.features.count)
        }
        var labelled = Set<Int>()
        for r in try store.database.rows("SELECT account_id FROM current_labels") {
            if let id = r[0].string, let a = table.accounts.lookup(id) { labelled.insert(Int(a)) }
        }
        let n = table.accountCount
        let u = (0..<n).map { a -> Double in
            guard !labelled.contains(a), table.events(of: a).count > 0 else { return 0 }
            return 1 - abs(2 * scores[a].score - 1)
        }
        // A pool of the most uncertain, then a greedy pick that trades uncertainty for diversity.
        let pool = (0..<n).filter { u[$0] > 0 }.sorted { (u[$0], $1) > (u[$1], $0) }.prefix(max(50, count * 25))
        let names = AccountFeatures.behaviourNames
        let xb = AccountFeatures.select(x, rows: n, names: names)!
        let d = names.count
        let (mean, scale) = columnStats(xb, rows: n, cols: d)
        func z(_ a: Int) -> [Double] { (0..<d).map { (Double(xb[a * d + $0]) - mean[$0]) / scale[$0] } }
        let poolZ = Dictionary(uniqueKeysWithValues: pool.map { ($0, z($0)) })
        var chosen: [Int] = []
        var perGroupCount: [String: Int] = [:]
        var similarity = [Int: Double]()
        while chosen.count < count {
            var best: (value: Double, account: Int)?
            for a in pool where !chosen.contains(a) {
                if let g = scores[a].group, perGroupCount[g, default: 0] >= perGroup { continue }
                // Multiplicative: similarity discounts a doubt, never makes a sure account look doubtful.
                let v = u[a] * (1 - diversity * (similarity[a] ?? 0))
                if best == nil || v > best!.value || (v == best!.value && a < best!.account) { best = (v, a) }
            }
            guard let pick = best?.account else { break }
            chosen.append(pick)
            if let g = scores[pick].group { perGroupCount[g, default: 0] += 1 }
            let zp = poolZ[pick]!
            for a in pool {
                var s = 0.0
                let za = poolZ[a]!
                for j in 0..<d { let t = za[j] - zp[j]; s += t * t }
                // Near-duplicates (distance ≪ √(2d), two random accounts' distance) count as the same doubt.
                similarity[a] = max(similarity[a] ?? 0, exp(-s / Double(d)))
            }
        }
        return chosen.map { a in
            let s = scores[a]
            var why = model.map { m in String(format: "model v%lld says %.2f, detectors %.2f", m.id, p![a], ev.scores[a].score) }
                ?? String(format: "detectors %.2f, no current model", ev.scores[a].score)
            if let p, (p[a] >= 0.5) != (ev.scores[a].score >= 0.5) { why += " — they disagree" }
            if let r = s.reasons.first { why += "; " + r }
            return TeachItem(account: table.accountID(Int32(a)), score: s.score, model: p?[a], detectors: ev.scores[a].score,
                             uncertainty: u[a], riskType: s.riskType, group: s.group, why: why)
        }
    }
}
