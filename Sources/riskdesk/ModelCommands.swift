import ArgumentParser
import Foundation
import RiskDetect
import RiskStore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Learn from the analysts' labels: a model over per-account features and the detectors' findings.",
        discussion: """
        Uses the current labels (fraud and legit; unsure is left out) and the latest detection run's findings. Reports \
        cross-validated AUC and precision at K for each kind tried, stores the best as the current model version; \
        the next `riskdesk detect` blends it into the score (--no-model there leaves it out).
        """)
    @OptionGroup var store: StoreOption
    @Option(help: "auto (best cross-validated AUC), gbdt (gradient-boosted trees) or logreg (logistic regression).") var kind = "auto"
    @Option(help: "Cross-validation folds.") var folds = 5
    @Flag(help: "Stack on the detectors' strengths too (default: behaviour features only, blended with the detectors like another one).") var stacked = false
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "List the stored model versions instead of training.") var list = false

    func run() throws {
        Interrupt.install()
        try guarded {
            guard ["auto", "gbdt", "logreg"].contains(kind) else { throw CLIError("--kind must be auto, gbdt or logreg (got '\(kind)')") }
            guard (2...20).contains(folds) else { throw CLIError("--folds must be between 2 and 20") }
            let s = try Store(path: store.path, mustExist: true)
            if list {
                for m in try ModelStore.list(s.db) {
                    let auc = m.cv["\(m.kind)_auc"].map { String(format: "%.4f", $0) } ?? "n/a"
                    print("v\(m.id)\(m.current ? " (current)" : "")  \(Timestamp.short(m.createdAt))  \(m.kind)  \(m.labels) labels (\(m.positives) fraud)  cv auc \(auc)")
                }
                return
            }
            guard try s.db.int("SELECT count(*) FROM detect_runs WHERE status = 'done'") > 0 else {
                throw CLIError("\(store.path): run `riskdesk detect` first (the model learns from the detectors' findings too)")
            }
            let cancel = CancelToken()
            let watcher = Thread {
                while !cancel.isCancelled { if Interrupt.isRequested { cancel.cancel(); break }; usleep(50_000) }
            }
            watcher.start()
            defer { cancel.cancel() }
            let t = Trainer()
            t.folds = folds
            t.stacked = stacked
            let bar = isatty(2) != 0 && !json
            let r: TrainReport
            do {
                r = try t.run(store: s, kind: kind, cancel: cancel) { stage in
                    if bar { writeStderr("\r\u{1b}[K\(stage)…") }
                }
            } catch let e as TrainError { throw CLIError(e.description) } catch is CancelledError {
                if bar { writeStderr("\r\u{1b}[K") }
                throw CLIError("cancelled; no model stored", code: 130)
            }
            if bar { writeStderr("\r\u{1b}[K") }
            if json {
                var cv: [String: Any] = [:]
                for (k, v) in r.cv { cv[k] = ["auc": v.auc, "auc_sd": v.aucSD, "precision_at_k": v.pk, "precision_at_k_sd": v.pkSD] }
                let o: [String: Any] = ["model_id": r.modelID, "kind": r.kind, "labels": r.labels, "positives": r.positives, "folds": folds,
                                        "cv": cv, "seconds": r.seconds, "load_seconds": r.loadSeconds, "stages": r.stages]
                print(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            print("learnt from \(r.labels) labelled accounts (\(r.positives) fraud), \(stacked ? AccountFeatures.names.count : AccountFeatures.behaviourNames.count) features\(stacked ? " (with the detectors')" : " of behaviour"), \(folds)-fold cross-validation:")
            print("kind     AUC               precision@K (K = fraud in the fold)")
            for (k, v) in r.cv.sorted(by: { $0.key < $1.key }) {
                print(k.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: " %.4f ± %.4f   %.4f ± %.4f", v.auc, v.aucSD, v.pk, v.pkSD) + (k == r.kind ? "   ← stored" : ""))
            }
            print(String(format: "model v%lld (%@) is current; `riskdesk detect` blends it in. %.1f s (%.1f s reading events)", r.modelID, r.kind, r.seconds, r.loadSeconds))
        }
    }
}
