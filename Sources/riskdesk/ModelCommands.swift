import ArgumentParser
import Foundation
import RiskDetect
import RiskMetrics
import RiskStore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Learn from the analysts' labels: a model over per-account features and the detectors' findings.",
        discussion: """
        Uses the current labels (fraud and legit; unsure is left out). Runs the detectors (nothing is written), then \
        cross-validates every candidate — boosted trees (gbdt) and logistic regression (logreg) on behaviour features, \
        and both stacked on the detectors' strengths (stacked, stacked_logreg) — blended with the detectors' score as \
        `detect` would, and keeps the best by precision at K (then AUC), with 95% bootstrap intervals. Its score is \
        calibrated to the precision observed on the labelled accounts (isotonic, out-of-fold). It becomes the current \
        model only with at least 20 labels of each class, a cross-validated gain over the detectors alone (at K, and in \
        precision averaged over depths K/2 … 2K: --band-test) and a sane \
        flag volume; otherwise it is stored as a candidate and the current model stays (--force overrides). \
        --shadow stores it as a candidate and shows how the queue would change; --promote VERSION makes a stored \
        version current.
        """)
    @OptionGroup var store: StoreOption
    @Option(help: "auto (every candidate, best by cross-validation), gbdt, logreg, stacked or stacked_logreg.") var kind: TrainKind = .auto
    @Option(help: "Cross-validation folds.") var folds = 5
    @Flag(help: "Only the candidates stacked on the detectors' strengths.") var stacked = false
    @Flag(help: "Store it as a candidate (not current) and show how the queue would change with it.") var shadow = false
    @Option(help: "Make stored model VERSION current instead of training (e.g. 3 or v3).") var promote: String?
    @Flag(help: "Make it current even when a check fails (too few labels, no gain, flag volume).") var force = false
    @Flag(help: "Cross-validate on folds that keep accounts sharing a device, payment, address or finding group together, and decide promotion on a nested cross-validation of the selection (off by default: see docs/learning.md).") var nested = false
    @Option(help: "What promotion also asks: a gain in precision averaged over depths K/2 … 2K of the queue against the detectors alone — band (default: a positive gain), band-interval (its one-sided 95% lower bound above 0) or off. See docs/learning.md.") var bandTest: BandTest = .band
    @Option(help: "Least labels of each class for a model to become current.") var minPerClass = 20
    @Option(help: "Folder of SQL rules (default: $RISKDESK_RULES, else ./queries/rules).") var rules: String?
    @Flag(help: "Skip the SQL rules.") var noRules = false
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "List the stored model versions instead of training.") var list = false

    func run() throws {
        Interrupt.install()
        try guarded {
            guard (2...20).contains(folds) else { throw CLIError("--folds must be between 2 and 20") }
            guard minPerClass >= 5 else { throw CLIError("--min-per-class must be at least 5") }
            let s = try openCaseStore(store.location, mustExist: true)
            if list { try listModels(s); return }
            try requireLead(s, list ? "" : (promote != nil ? "promoting a model" : "training (it writes the models table)"))
            if let promote { try promoteModel(s, promote); return }
            if let dir = rules, !FileManager.default.fileExists(atPath: dir) { throw CLIError("\(dir): no such rules folder") }
            let cancel = CancelToken()
            let watcher = Thread {
                while !cancel.isCancelled { if Interrupt.isRequested { cancel.cancel(); break }; usleep(50_000) }
            }
            watcher.start()
            defer { cancel.cancel() }
            let t = Trainer()
            t.folds = folds
            t.force = force
            t.groupFolds = nested; t.nested = nested
            t.bandTest = bandTest
            t.promote = !shadow
            t.minPerClass = minPerClass
            t.engine = DetectionEngine(detectors: standardDetectors(), rules: noRules ? nil : Folders.catalog(rules: rules))
            let bar = isatty(2) != 0 && !json
            let r: TrainReport
            let before = try ModelStore.current(s.database)
            do {
                let kinds = kind.model.map { [$0] } ?? ModelKind.allCases.filter { !stacked || $0.isStacked }
                r = try t.run(store: s, kinds: kinds, cancel: cancel) { stage in
                    if bar { writeStderr("\r\u{1b}[K\(stage)…") }
                }
            } catch let e as TrainError { throw CLIError(e.description) } catch is CancelledError {
                if bar { writeStderr("\r\u{1b}[K") }
                throw CLIError("cancelled; no model stored", code: 130)
            }
            if bar { writeStderr("\r\u{1b}[K") }
            var shadowReport: ShadowReport?
            if shadow, let m = try ModelStore.get(s.database, id: r.modelID) {
                shadowReport = try t.engine.shadow(store: s, baseline: before, candidate: m, cancel: cancel)
            }
            if json {
                func iv(_ i: RiskMetricsInterval) -> [String: Double] { ["value": i.value, "low": i.low, "high": i.high] }
                var cv: [String: Any] = [:]
                for c in r.candidates {
                    cv[c.name] = ["auc": c.auc.value, "auc_low": c.auc.low, "auc_high": c.auc.high, "auc_sd": c.foldAUCSD,
                                  "precision_at_k": c.precisionAtK.value, "precision_at_k_low": c.precisionAtK.low,
                                  "precision_at_k_high": c.precisionAtK.high, "precision_at_k_sd": c.foldPKSD, "weight": c.weight,
                                  "gain_over_detectors": iv(c.gainOverDetectors)]
                }
                var o: [String: Any] = ["model_id": r.modelID, "kind": r.kind, "labels": r.labels, "positives": r.positives, "folds": folds,
                                        "k": r.k, "cv": cv, "detectors": ["auc": iv(r.detectors.auc), "precision_at_k": iv(r.detectors.precisionAtK)],
                                        "current": r.promoted, "warnings": r.warnings, "flagged_by_detectors": r.flaggedByDetectors,
                                        "flagged_with_model": r.flaggedWithModel, "calibrated": r.calibrated,
                                        "seconds": r.seconds, "load_seconds": r.loadSeconds, "stages": r.stages,
                                        "detectors_beyond_chance": r.detectorsBeyondChance]
                if let n = r.nested {
                    o["nested"] = ["auc": iv(n.auc), "precision_at_k": iv(n.precisionAtK), "gain_over_detectors": iv(n.gainOverDetectors),
                                   "auc_gain_over_detectors": iv(n.aucGainOverDetectors), "picks": r.nestedPicks]
                }
                o["fold_groups"] = r.foldGroups
                o["diagnostics"] = r.diagnostics
                if let sh = shadowReport { o["shadow"] = shadowJSON(sh) }
                print(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            print("learnt from \(r.labels) labelled accounts (\(r.positives) fraud = K), \(folds)-fold cross-validation, each candidate blended with the detectors as detect would; 95% bootstrap intervals:")
            print("candidate        weight  AUC                        precision@K                gain over detectors")
            func f(_ i: RiskMetricsInterval) -> String { String(format: "%.4f [%.4f, %.4f]", i.value, i.low, i.high) }
            print("detectors alone  " + "-".padding(toLength: 7, withPad: " ", startingAt: 0) + " " + f(r.detectors.auc).padding(toLength: 27, withPad: " ", startingAt: 0) + f(r.detectors.precisionAtK))
            for c in r.candidates {
                print(c.name.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + String(format: "%.2f", c.weight).padding(toLength: 7, withPad: " ", startingAt: 0)
                      + " " + f(c.auc).padding(toLength: 27, withPad: " ", startingAt: 0) + f(c.precisionAtK).padding(toLength: 27, withPad: " ", startingAt: 0)
                      + String(format: "%+.4f [%+.4f, %+.4f]", c.gainOverDetectors.value, c.gainOverDetectors.low, c.gainOverDetectors.high)
                      + (c.name == r.kind ? "   ← chosen" : ""))
            }
            if let n = r.nested {
                print("nested".padding(toLength: 16, withPad: " ", startingAt: 0) + " " + "-".padding(toLength: 7, withPad: " ", startingAt: 0)
                      + " " + f(n.auc).padding(toLength: 27, withPad: " ", startingAt: 0) + f(n.precisionAtK).padding(toLength: 27, withPad: " ", startingAt: 0)
                      + String(format: "%+.4f [%+.4f, %+.4f]", n.gainOverDetectors.value, n.gainOverDetectors.low, n.gainOverDetectors.high)
                      + "   the selection redone in each fold without it (\(r.nestedPicks.joined(separator: ", "))); decides promotion")
            }
            if let band = r.diagnostics["\(r.kind)_band"], let low = r.diagnostics["\(r.kind)_band_low90"] {
                print(String(format: "%@ against the detectors alone over depths K/2 … 2K: precision %+.4f on average (one-sided 95%% lower bound %+.4f)", r.kind, band, low))
            }
            if r.nested != nil {
                print("folds keep labelled accounts that share a device, payment instrument, address or finding group together: \(r.foldGroups) groups of \(r.labels) accounts")
            }
            if !r.detectorsBeyondChance {
                print("the labels do not show the detectors' score ranks better than chance (AUC interval reaches 0.5): the model alone (weight 1) was a choice too")
            }
            print("score calibrated to observed precision (isotonic on out-of-fold scores of \(r.labels) labelled accounts); it would flag \(r.flaggedWithModel) accounts (score ≥ 0.5), the detectors flag \(r.flaggedByDetectors)")
            for w in r.warnings { print("WARNING: model v\(r.modelID) \(w.hasPrefix("it ") ? String(w.dropFirst(3)) : "— " + w)") }
            if r.promoted {
                print(String(format: "model v%lld (%@) is current; `riskdesk detect` blends it in. %.1f s (%.1f s reading events)", r.modelID, r.kind, r.seconds, r.loadSeconds))
            } else {
                let keep = before.map { "model v\($0.id) stays current" } ?? "detection stays without a model"
                print("model v\(r.modelID) (\(r.kind)) is stored as a candidate, not current: \(keep). " +
                      "`riskdesk detect --shadow \(r.modelID)` shows what it would change; `riskdesk train --promote \(r.modelID)` makes it current.")
            }
            if let sh = shadowReport { printShadow(sh) }
        }
    }

    func promoteModel(_ s: CaseStore, _ v: String) throws {
        guard let id = Int64(v.hasPrefix("v") ? String(v.dropFirst()) : v) else { throw CLIError("--promote: '\(v)' is not a model version (e.g. 3 or v3)") }
        do { try ModelStore.promote(s.database, id: id) } catch let e as TrainError { throw CLIError(e.description) }
        print("model v\(id) is current; `riskdesk detect` blends it in")
    }
}

typealias RiskMetricsInterval = Bootstrap.Interval

func listModels(_ s: CaseStore) throws {
    let all = try ModelStore.list(s.database)
    if all.isEmpty { print("no model trained yet (`riskdesk train`)"); return }
    for m in all {
        func v(_ key: String) -> String { m.cv[key].map { String(format: "%.4f", $0) } ?? "n/a" }
        let iv = m.cv["\(m.kind)_p_at_k_low"].map { String(format: " [%.4f, %.4f]", $0, m.cv["\(m.kind)_p_at_k_high"] ?? .nan) } ?? ""
        print("v\(m.id)\(m.current ? " (current)" : " (candidate)")  \(Timestamp.short(m.createdAt))  \(m.kind)  \(m.labels) labels (\(m.positives) fraud)  "
              + "cv auc \(v("\(m.kind)_auc"))  p@k \(v("\(m.kind)_p_at_k"))\(iv)  detectors alone p@k \(v("detectors_p_at_k"))"
              + (m.bundle.calibration != nil ? "  calibrated" : ""))
    }
}

func shadowJSON(_ sh: ShadowReport) -> [String: Any] {
    func rows(_ r: [ShadowRow]) -> [[String: Any]] {
        r.map { ["account": $0.account, "before": $0.before, "after": $0.after, "risk_type": $0.riskType ?? NSNull(), "reason": $0.reason ?? NSNull()] }
    }
    return ["baseline": sh.baseline.map { NSNumber(value: $0) } ?? NSNull(), "candidate": sh.candidate.map { NSNumber(value: $0) } ?? NSNull(),
            "k": sh.k, "accounts": sh.accounts, "flagged_before": sh.flaggedBefore, "flagged_after": sh.flaggedAfter,
            "entering": rows(sh.entering), "leaving": rows(sh.leaving), "seconds": sh.seconds]
}

func printShadow(_ sh: ShadowReport, show: Int = 15) {
    let b = sh.baseline.map { "model v\($0)" } ?? "detectors alone"
    let a = sh.candidate.map { "model v\($0)" } ?? "detectors alone"
    print("\nshadow run (nothing written): \(b) → \(a)")
    print("flagged \(sh.flaggedBefore) → \(sh.flaggedAfter) accounts; top \(sh.k): \(sh.entering.count) enter, \(sh.leaving.count) leave")
    func list(_ title: String, _ rows: [ShadowRow]) {
        guard !rows.isEmpty else { return }
        print("\(title):")
        for r in rows.prefix(show) {
            print("  " + r.account.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: " %.2f → %.2f  ", r.before, r.after)
                  + (r.riskType ?? "-").padding(toLength: 14, withPad: " ", startingAt: 0) + " " + String((r.reason ?? "").prefix(90)))
        }
        if rows.count > show { print("  … \(rows.count - show) more (--json lists all)") }
    }
    list("entering the top \(sh.k)", sh.entering)
    list("leaving the top \(sh.k)", sh.leaving)
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stored model versions: list them, or promote one to current.",
        subcommands: [ModelsList.self, ModelsPromote.self], defaultSubcommand: ModelsList.self)
}

struct ModelsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every stored model version, current and candidates, with its cross-validated metrics.")
    @OptionGroup var store: StoreOption
    func run() throws { try guarded { try listModels(try openCaseStore(store.location, readOnly: true, mustExist: true)) } }
}

struct ModelsPromote: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Make a stored model version the current one.")
    @OptionGroup var store: StoreOption
    @Argument(help: "The version (e.g. 3 or v3).") var version: String
    func run() throws {
        try guarded {
            guard let id = Int64(version.hasPrefix("v") ? String(version.dropFirst()) : version) else { throw CLIError("'\(version)' is not a model version (e.g. 3 or v3)") }
            let s = try openCaseStore(store.location, mustExist: true)
            try requireLead(s, "promoting a model")
            do { try ModelStore.promote(s.database, id: id) } catch let e as TrainError { throw CLIError(e.description) }
            print("model v\(id) is current; `riskdesk detect` blends it in")
        }
    }
}

struct Teach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unlabelled accounts to label first: the ones whose label would change the model most.",
        discussion: """
        Uncertainty sampling, diversified: the accounts whose score sits nearest the decision boundary (0.5) under the \
        current model (or a given one; the detectors alone when there is none), skipping near-duplicates in behaviour \
        and taking at most two from any one group. Runs the detectors; writes nothing unless --batch NAME, which makes \
        them a review batch (the workbench's :batch NAME shows it).
        """)
    @OptionGroup var store: StoreOption
    @Option(help: "How many accounts.") var count = 20
    @Option(help: "Ask this model version instead of the current one.") var model: String?
    @Option(help: "Also store them as this review batch.") var batch: String?
    @Option(help: "Folder of SQL rules (default: $RISKDESK_RULES, else ./queries/rules).") var rules: String?
    @Flag(help: "Skip the SQL rules.") var noRules = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        Interrupt.install()
        try guarded {
            guard (1...1000).contains(count) else { throw CLIError("--count must be between 1 and 1000") }
            let s = try openCaseStore(store.location, mustExist: true)
            // On a team store the detectors read every account's e-mail stem: a lead's right, as for train.
            try requireLead(s, "teach (it runs the detectors over every account)")
            let m = try resolveModel(s, model)
            let teacher = Teacher(engine: DetectionEngine(detectors: standardDetectors(), rules: noRules ? nil : Folders.catalog(rules: rules)))
            let items: [TeachItem]
            do { items = try teacher.suggest(store: s, model: m, count: count) } catch let e as TrainError { throw CLIError(e.description) }
            if let batch {
                _ = try s.database.addToBatch(batch, accounts: items.map(\.account), analyst: ProcessInfo.processInfo.environment["USER"] ?? "analyst", source: "teach")
            }
            if json {
                let o: [String: Any] = ["model": m.map { NSNumber(value: $0.id) } ?? NSNull(), "accounts": items.map { i -> [String: Any] in
                    ["account": i.account, "score": i.score, "model": i.model ?? NSNull(), "detectors": i.detectors, "uncertainty": i.uncertainty,
                     "risk_type": i.riskType ?? NSNull(), "group": i.group ?? NSNull(), "why": i.why]
                }]
                print(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            if items.isEmpty { print("nothing to suggest: every account with events is labelled, or none is near the boundary"); return }
            print("label these first (\(m.map { "model v\($0.id)" } ?? "no current model: the detectors' score") is least sure about them; diversified):")
            for i in items {
                print("  " + i.account.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: " score %.2f  ", i.score)
                      + (i.riskType ?? "-").padding(toLength: 14, withPad: " ", startingAt: 0) + " " + String(i.why.prefix(110)))
            }
            if let batch { print("stored as review batch '\(batch)'") }
        }
    }
}

/// A model version by "3" / "v3", or the current one when nil.
func resolveModel(_ s: CaseStore, _ v: String?) throws -> ModelRecord? {
    guard let v else {
        do { return try ModelStore.current(s.database) } catch let e as TrainError { throw CLIError(e.description) }
    }
    guard let id = Int64(v.hasPrefix("v") ? String(v.dropFirst()) : v) else { throw CLIError("'\(v)' is not a model version (e.g. 3 or v3)") }
    guard let m = try ModelStore.get(s.database, id: id) else {
        let ids = try ModelStore.list(s.database).map { "v\($0.id)" }
        throw CLIError("there is no readable model v\(id)" + (ids.isEmpty ? " (none trained yet)" : " (stored: \(ids.joined(separator: ", ")))"))
    }
    return m
}
