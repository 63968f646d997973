import Assets
import Foundation
import RiskDetect
import RiskStore

/// What `:detect` runs: the same choices as the CLI (`detect`, `detect --no-model`,
/// `detect --model V`, `detect --shadow V`, `train --promote V`), and `:teach`.
public enum DetectChoice: Equatable, Sendable {
    /// With the current model, if any.
    case current
    case noModel
    /// With this stored version, without promoting it.
    case model(Int64)
    /// A shadow run of this version (nil: the newest candidate) against the current model; nothing is scored.
    case shadow(Int64?)
    /// Make this version current, then detect with it.
    case promote(Int64)
    /// Accounts to label first (`riskdesk teach`), as the review batch "teach".
    case teach(Int)

    /// Parses `:detect`'s argument: "", "no-model", "model V", "shadow [V]", "promote V".
    public static func parse(_ arg: String) -> DetectChoice? {
        let w = arg.split(separator: " ").map { String($0).lowercased() }
        func version(_ s: String) -> Int64? { Int64(s.hasPrefix("v") ? String(s.dropFirst()) : s) }
        switch (w.first, w.count) {
        case (nil, _): return .current
        case ("no-model"?, 1), ("without"?, 1), ("detectors"?, 1): return .noModel
        case ("model"?, 2): return version(w[1]).map { .model($0) }
        case ("shadow"?, 1): return .shadow(nil)
        case ("shadow"?, 2): return version(w[1]).map { .shadow($0) }
        case ("promote"?, 2): return version(w[1]).map { .promote($0) }
        default: return nil
        }
    }
}

enum WorkbenchLearning {
    static let teachBatch = "teach", enteringBatch = "shadow-entering", leavingBatch = "shadow-leaving"

    /// Runs one choice on its own connection; the answer for the reducer.
    static func perform(_ choice: DetectChoice, store: Store, rules: AssetCatalog?, analyst: String, cancel: CancelToken,
                        progress: @escaping (String, Double) -> Void) throws -> Loaded {
        let engine = DetectionEngine(rules: rules)
        let db = store.db
        func model(_ id: Int64) throws -> ModelRecord {
            guard let m = try ModelStore.get(db, id: id) else {
                let ids = try ModelStore.list(db).map { "v\($0.id)" }
                throw TrainError(description: "there is no readable model v\(id)" + (ids.isEmpty ? " (none trained yet: `riskdesk train`)" : " (stored: \(ids.joined(separator: ", ")))"))
            }
            return m
        }
        func replaceBatch(_ name: String, _ accounts: [String]) throws {
            try db.run("DELETE FROM batches WHERE name = ?", [.text(name)])
            if !accounts.isEmpty { _ = try db.addToBatch(name, accounts: accounts, analyst: analyst, source: "tui") }
        }
        switch choice {
        case .current, .noModel, .model, .promote:
            switch choice {
            case .noModel: engine.useModel = false
            case .model(let id): engine.modelOverride = try model(id)
            case .promote(let id): try ModelStore.promote(db, id: id)
            default: break
            }
            let report = try engine.run(store: store, cancel: cancel, progress: progress)
            let failed = report.detectors.filter { $0.error != nil }
            var msg = String(format: "detection done in %.1f s: %d accounts flagged in %d groups", report.seconds, report.flagged, report.groups)
            msg += report.modelID.map { " · model v\($0) blended in (calibrated score)" } ?? " · detectors alone"
            if case .promote(let id) = choice { msg = "model v\(id) is current · " + msg }
            if !report.warnings.isEmpty { msg += " · WARNING: " + report.warnings.joined(separator: "; ") }
            if !failed.isEmpty { msg += " · \(failed.count) detector(s)/rule(s) failed: " + failed.map { "\($0.name): \($0.error!)" }.joined(separator: "; ") }
            return .detectDone(msg)
        case .shadow(let id):
            guard let candidate = try id.map(model) ?? ModelStore.latestCandidate(db) else {
                throw TrainError(description: "no candidate model to shadow (`riskdesk train --shadow` stores one; :detect shadow V names one)")
            }
            let baseline = try ModelStore.current(db)
            let sh = try engine.shadow(store: store, baseline: baseline, candidate: candidate, cancel: cancel, progress: progress)
            try replaceBatch(enteringBatch, sh.entering.map(\.account))
            try replaceBatch(leavingBatch, sh.leaving.map(\.account))
            let msg = "shadow \(baseline.map { "v\($0.id)" } ?? "detectors") → v\(candidate.id): flagged \(sh.flaggedBefore) → \(sh.flaggedAfter); "
                + "top \(sh.k): \(sh.entering.count) enter, \(sh.leaving.count) leave · showing those entering; :batch \(leavingBatch) those leaving; "
                + ":detect promote \(candidate.id) makes it current"
            return .learnt(message: msg, batch: enteringBatch)
        case .teach(let count):
            let current = try ModelStore.current(db)
            let items = try Teacher(engine: engine).suggest(store: store, model: current, count: count, cancel: cancel, progress: progress)
            try replaceBatch(teachBatch, items.map(\.account))
            let msg = items.isEmpty ? "nothing to teach: no unlabelled account near the boundary"
                : "\(items.count) accounts to label first (\(current.map { "model v\($0.id) is" } ?? "no model yet: the detectors are") least sure about them) · :all shows every case"
            return .learnt(message: msg, batch: items.isEmpty ? nil : teachBatch)
        }
    }
}
