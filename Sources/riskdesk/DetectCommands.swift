import ArgumentParser
import Assets
import Foundation
import RiskDetect
import RiskMetrics
import RiskStore

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every detector and SQL rule; write findings and one risk score per account.",
        discussion: "Replaces the previous run's findings and scores; the run history stays in detect_runs.")
    @OptionGroup var store: StoreOption
    @Option(help: "A folder of SQL rules, on top of the built-in ones, ~/.config/riskdesk/rules, ./queries/rules and $RISKDESK_RULES (same name: this one wins).") var rules: String?
    @Flag(help: "Skip the SQL rules.") var noRules = false
    @Flag(help: "Leave the learnt model out of the score (detectors and rules only).") var noModel = false
    @Option(help: "The learnt model's share of the score, 0…1 (default: the share chosen by cross-validation when it was trained).") var modelWeight: Double?
    @Option(help: "Blend this stored model version (e.g. 3 or v3) instead of the current one, without promoting it.") var model: String?
    @Option(help: "Shadow run of model VERSION: show how the queue would change against the current one (nothing is written).") var shadow: String?
    @Option(help: "K for --shadow's entering / leaving lists (default: the accounts flagged before).") var top: Int?
    @Option(name: .customLong("disable"), help: "Switch off a detector by name (repeatable), e.g. --disable ato; see `detect` output for the names.")
    var disabled: [String] = []
    @Option(name: .customLong("sign"), help: ArgumentHelp("Switch on a sign that is off by default (repeatable; for measuring it against the default ranking): graded-tails, referral-codes, refund-fdr, returner-spread, room-timetable, timetable-strength (with room-timetable) (docs/detection.md says why each is off).", visibility: .hidden))
    var signs: [String] = []
    @Option(name: .customLong("no-sign"), help: ArgumentHelp("Switch off a sign that is on by default (repeatable; for measuring the ranking without it): \(DetectionEngine.onSigns.joined(separator: ", ")) (docs/detection.md).", visibility: .hidden))
    var offSigns: [String] = []
    @Option(help: "Stop a SQL rule still running after this many seconds and report it as failed (0: no limit).")
    var ruleTimeLimit: Double = DetectionEngine.defaultRuleTimeLimit
    @Option(help: "When a shared identifier links accounts: a count of accounts (default 40), or 'derived' from the store (docs/detection.md \"When an identifier links\"; not yet the default).")
    var linkBound: String = "40"
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print nothing but errors.") var quiet = false

    func run() throws {
        Interrupt.install()
        try guarded {
            let s = try openCaseStore(store.location, mustExist: true)
            if shadow == nil { try requireLead(s, "detection (it writes runs, findings and scores)") }
            let cancel = CancelToken()
            let watcher = Thread {
                while !cancel.isCancelled {
                    if Interrupt.isRequested { cancel.cancel(); break }
                    usleep(50_000)
                }
            }
            watcher.start()
            defer { cancel.cancel() }
            let catalog = Folders.catalog(rules: rules)
            if !noRules { Folders.warnMissing(catalog, kinds: [.rules]) }
            let ruleSources = noRules ? [] : Rule.sources(catalog: catalog).rules
            let engine = DetectionEngine(detectors: standardDetectors(), rules: noRules ? nil : catalog)
            if let modelWeight, !(0...1).contains(modelWeight) { throw CLIError("--model-weight must be between 0 and 1 (got \(modelWeight))") }
            engine.useModel = !noModel
            engine.modelWeight = modelWeight
            guard ruleTimeLimit.isFinite, ruleTimeLimit >= 0 else { throw CLIError("--rule-time-limit must be a number of seconds, 0 or more (got \(ruleTimeLimit))") }
            engine.ruleTimeLimit = ruleTimeLimit > 0 ? ruleTimeLimit : nil
            if linkBound == "derived" { engine.linkRule = .derived } else if let n = Int(linkBound), n >= 2 {
                engine.linkRule = .fixed(n)
            } else { throw CLIError("--link-bound must be 'derived' or a number of accounts, 2 or more (got '\(linkBound)')") }
            try engine.disable(disabled)
            try engine.enableSigns(signs)
            try engine.disableSigns(offSigns)
            if noModel && (model != nil || shadow != nil) { throw CLIError("--no-model can't be combined with --model or --shadow") }
            if let top, top < 1 { throw CLIError("--top must be at least 1") }
            let bar = isatty(2) != 0 && !quiet
            var last = ""
            if let shadow {
                // Baseline: the model asked for with --model, else the current one; nothing is written.
                let candidate = shadow == "none" ? nil : try resolveModel(s, shadow)
                let baseline = try resolveModel(s, model)
                let sh = try engine.shadow(store: s, baseline: baseline, candidate: candidate, top: top, cancel: cancel) { stage, frac in
                    guard bar else { return }
                    FileHandle.standardError.write(String(format: "\r\u{1B}[2Kshadow %3.0f%%  %@", frac * 100, stage).data(using: .utf8)!)
                }
                if bar { FileHandle.standardError.write("\r\u{1B}[2K".data(using: .utf8)!) }
                if json { print(String(decoding: try JSONSerialization.data(withJSONObject: shadowJSON(sh), options: [.sortedKeys]), as: UTF8.self)) }
                else { printShadow(sh) }
                return
            }
            if let model { engine.modelOverride = try resolveModel(s, model) }
            let report: DetectReport
            do {
                report = try engine.run(store: s, cancel: cancel) { stage, frac in
                    guard bar else { return }
                    let line = String(format: "\r\u{1B}[2Kdetect %3.0f%%  %@", frac * 100, stage)
                    if line != last { writeStderr(line); last = line }
                }
            } catch is CancelledError {
                if bar { writeStderr("\r\u{1B}[2K") }
                throw CLIError("detection cancelled; the previous results are unchanged", code: 130)
            }
            if bar { writeStderr("\r\u{1B}[2K") }
            for d in report.detectors where d.error != nil && !d.error!.hasPrefix(DetectionEngine.skippedPrefix) { warn("riskdesk: \(d.name): \(d.error!)") }
            for w in report.warnings { warn("riskdesk: WARNING: \(w)") }
            if json {
                var o: [String: Any] = ["run": report.runID, "events": report.events, "accounts": report.accounts,
                                        "flagged": report.flagged, "groups": report.groups, "seconds": report.seconds,
                                        "load_seconds": report.loadSeconds, "risk_types": report.riskTypes, "warnings": report.warnings]
                o["rules"] = ruleSources.map { r -> [String: Any] in
                    ["id": r.rule.id, "origin": r.origin.description, "file": r.rule.file, "overrides": r.overrides]
                }
                o["missing_folders"] = noRules ? [] : catalog.missingFolders.map(\.path)
                o["model"] = report.modelID.map { NSNumber(value: $0) } ?? NSNull()
                o["detectors"] = report.detectors.map { d -> [String: Any] in
                    var x: [String: Any] = ["name": d.name, "seconds": d.seconds, "findings": d.findings, "accounts": d.accounts]
                    if let e = d.error { x["error"] = e }
                    return x
                }
                let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            if quiet { return }
            print("detect run #\(report.runID): \(report.events) events, \(report.accounts) accounts read in \(String(format: "%.2f", report.loadSeconds)) s")
            for d in report.detectors {
                let status = d.error.map { $0.hasPrefix(DetectionEngine.skippedPrefix) ? $0 : "FAILED: \($0)" } ?? "\(d.accounts) accounts, \(d.findings) findings"
                // Whole names: padding(toLength:) cut a long rule id or layer name mid-word.
                print("  \(d.name.padding(toLength: max(44, d.name.count), withPad: " ", startingAt: 0)) \(String(format: "%6.2f", d.seconds)) s  \(status)")
            }
            if noRules { print("rules: skipped (--no-rules)") } else {
                var counts: [AssetOrigin: Int] = [:]
                for r in ruleSources { counts[r.origin, default: 0] += 1 }
                let ran = report.detectors.filter { $0.name.hasPrefix("rule:") && $0.error == nil }.count
                print("rules: \(ran) of \(ruleSources.count) ran (" + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
                      + ruleSources.filter { !$0.overrides.isEmpty }.map { "; \($0.rule.id) from \($0.rule.file) overrides \($0.overrides.joined(separator: ", "))" }.joined())
            }
            print("flagged \(report.flagged) accounts (score ≥ 0.5) in \(report.groups) groups" + (report.riskTypes.isEmpty ? "" : ": " +
                  report.riskTypes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            if let id = report.modelID {
                let m = try ModelStore.get(s.database, id: id)
                print("learnt model v\(id) blended in" + (m?.bundle.calibration != nil ? "; scores are calibrated to the precision observed on \(m!.labels) labelled accounts (flagged = score ≥ 0.5)" : ""))
            }
            print(String(format: "done in %.2f s", report.seconds))
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export scores (one row per account) or labels as CSV or JSONL.",
        subcommands: [ExportScores.self, ExportLabels.self])
}

struct ExportScores: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scores",
        abstract: "Every account with its score, risk type, group and reasons (highest score first).")
    @OptionGroup var store: StoreOption
    @Option(help: "csv or jsonl.") var format: ExportFormat = .csv
    @OptionGroup var output: OutputOption
    @OptionGroup var reveal: RevealOption

    func run() throws {
        try guarded {
            try streamExport(store.path, format, output, reveal, what: "export scores", """
                SELECT a.account_id, coalesce(s.score, 0.0) AS score, s.risk_type, s.group_id, s.reasons
                FROM accounts a LEFT JOIN scores s USING (account_id)
                ORDER BY coalesce(s.score, 0.0) DESC, a.account_id
                """)
        }
    }
}

/// Streams a query's rows to stdout as CSV or JSONL (the export commands).
func streamExport(_ storePath: String, _ format: ExportFormat, _ output: OutputOption, _ reveal: RevealOption, what: String, _ sql: String) throws {
    let location = StoreLocation(storePath)
    try reveal.audit(storePath: storePath, what: what)
    let r = try SQLReader(location, maskPII: !reveal.revealed)
    let sql = sql.replacingOccurrences(of: "$ISO_TS", with: r.database.dialect.isoTime("ts"))
    try output.write { out in
        do {
            _ = try ResultWriter(format: format.result, out: out.write).write(r.database, sql, shouldStop: { Interrupt.isRequested || out.failed })
        } catch { throw SQLReader.explain(error, write: false).map { CLIError($0) } ?? error }
        if Interrupt.isRequested { throw CLIError("interrupted; nothing more written", code: 130) }
    }
}

/// The shipped detectors as the commands run them: $RISKDESK_DEBUG sends the brushing and
/// click-farm detectors' tuning numbers to stderr.
func standardDetectors() -> [Detector] {
    guard Folders.env["RISKDESK_DEBUG"] != nil else { return DetectionEngine.standardDetectors() }
    return DetectionEngine.standardDetectors(debugLog: debugToStderr)
}

@Sendable func debugToStderr(_ line: String) { writeStderr(line + "\n") }

/// Ground truth from --truth FILE (errors name the file and line) or the analysts' labels.
func loadTruth(_ path: String) throws -> Truth {
    do { return try Truth(path: path) } catch let e as TruthError { throw CLIError(e.description) }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the scores against ground truth: AUC, average precision, precision and recall at K.",
        discussion: "K is the number of true fraud accounts. Recall at K is also given per attack family, and how many innocent look-alikes reach the top K.")
    @OptionGroup var store: StoreOption
    @Option(help: "CSV with account_id,label[,attack,group,lookalike] (e.g. a simulation's truth.csv); default: the analysts' labels.") var truth: String?
    @Option(help: "text or json.") var format: EvalFormat = .text
    @Option(parsing: .upToNextOption, help: "Compare two detection runs (ids from `riskdesk info`, or 'latest' / 'previous'): metrics side by side with bootstrap intervals.")
    var compare: [String] = []
    @Flag(help: "Only accounts no analyst has labelled (what a model trained on the labels has not seen).") var unlabelledOnly = false
    @Option(help: "Bootstrap resamples for --compare.") var resamples = 500

    func run() throws {
        try guarded {
            let s = try SQLReader(store.location, maskPII: true).store
            guard try !s.database.finishedDetectRuns().isEmpty else {
                throw CLIError("\(store.path): no detection run yet; run `riskdesk detect` first")
            }
            var tr: Truth
            if let truth { tr = try loadTruth(truth) } else {
                guard let t = try Truth(store: s) else { throw CLIError("no --truth file and no analyst labels in \(store.path) to measure against") }
                tr = t
            }
            if unlabelledOnly {
                try tr.removeLabelled(in: s)
                guard tr.hasBothClasses else {
                    throw CLIError("--unlabelled-only leaves no fraud and legit accounts to measure")
                }
            }
            if !compare.isEmpty { try compareRuns(s, tr); return }
            let e = tr.evaluate(scores: try s.database.scoreByAccount())
            if format == .json {
                var o: [String: Any] = ["k": e.k, "accounts": e.accounts, "missing_from_store": e.missing]
                o["auc"] = e.auc ?? NSNull()
                o["avg_precision"] = e.avgPrecision ?? NSNull()
                o["precision_at_k"] = e.precisionAtK ?? NSNull()
                o["recall_at_k"] = e.recallAtK ?? NSNull()
                o["families"] = e.families.mapValues { ["accounts": $0.accounts, "in_top_k": $0.inTopK, "recall_at_k": $0.recall] }
                o["lookalikes_in_top_k"] = e.lookalikes.mapValues { ["accounts": $0.accounts, "in_top_k": $0.inTopK] }
                let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
            print("accounts \(e.accounts) (\(e.k) fraud = K)\(e.missing > 0 ? ", \(e.missing) without a score" : "")")
            print("auc             \(f(e.auc))")
            print("avg_precision   \(f(e.avgPrecision))")
            print("precision_at_k  \(f(e.precisionAtK))")
            print("recall_at_k     \(f(e.recallAtK))")
            print("\nfamily           accounts  in top K  recall@K")
            for (fam, x) in e.families.sorted(by: { $0.key < $1.key }) {
                print("  \(fam.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%8d  %8d  %8.3f", x.accounts, x.inTopK, x.recall))")
            }
            if !e.lookalikes.isEmpty {
                print("\nlook-alike       accounts  in top K")
                for (tag, x) in e.lookalikes.sorted(by: { $0.key < $1.key }) {
                    print("  \(tag.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%8d  %8d", x.accounts, x.inTopK))")
                }
            }
        }
    }

    /// Champion / challenger: two runs' scores (run_scores) on the same accounts.
    func compareRuns(_ s: CaseStore, _ tr: Truth) throws {
        guard compare.count == 2 else { throw CLIError("--compare takes two runs: RUN_A RUN_B (ids, or latest / previous)") }
        guard resamples >= 50 else { throw CLIError("--resamples must be at least 50") }
        let done = try s.database.finishedDetectRuns()
        func resolve(_ r: String) throws -> Int64 {
            switch r {
            case "latest": guard let x = done.first else { break }; return x
            case "previous": guard done.count > 1 else { break }; return done[1]
            default:
                guard let x = Int64(r) else { throw CLIError("--compare: '\(r)' is not a run id (or latest / previous)") }
                guard done.contains(x) else { throw CLIError("--compare: run \(r) is not a finished detection run (finished: \(done.prefix(10).map(String.init).joined(separator: ", ")))") }
                return x
            }
            throw CLIError("--compare: there is no \(r) run")
        }
        let ra = try resolve(compare[0]), rb = try resolve(compare[1])
        func scores(_ run: Int64) throws -> [String: Double] {
            let out = try s.database.runScores(run)
            if out.isEmpty { throw CLIError("run \(run) has no stored scores (runs before schema v8, or older than the last ten)") }
            return out
        }
        let sa = try scores(ra), sb = try scores(rb)
        let c = tr.compare(sa, sb, resamples: resamples)
        if format == .json {
            func j(_ m: [String: Bootstrap.Interval]) -> [String: Any] { m.mapValues { ["value": $0.value, "low": $0.low, "high": $0.high] } }
            let o: [String: Any] = ["run_a": ra, "run_b": rb, "accounts": tr.label.count, "k": c.k, "truth": tr.source, "resamples": resamples,
                                    "a": j(c.a), "b": j(c.b), "b_minus_a": j(c.difference)]
            print(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("accounts \(tr.label.count) (\(c.k) fraud = K) · truth: \(tr.source)\(unlabelledOnly ? " · unlabelled accounts only" : "") · 95% bootstrap intervals (\(resamples) resamples)")
        func f(_ i: Bootstrap.Interval) -> String { String(format: "%.4f [%.4f, %.4f]", i.value, i.low, i.high) }
        print("metric          run \(ra)".padding(toLength: 42, withPad: " ", startingAt: 0) + "run \(rb)".padding(toLength: 27, withPad: " ", startingAt: 0) + "run \(rb) − run \(ra)")
        for m in Bootstrap.metrics {
            print(m.padding(toLength: 16, withPad: " ", startingAt: 0) + f(c.a[m]!).padding(toLength: 26, withPad: " ", startingAt: 0)
                  + f(c.b[m]!).padding(toLength: 27, withPad: " ", startingAt: 0) + String(format: "%+.4f [%+.4f, %+.4f]", c.difference[m]!.value, c.difference[m]!.low, c.difference[m]!.high))
        }
    }
}

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List SQL rules, or backtest one before deploying it.",
        subcommands: [RulesList.self, RulesTest.self], defaultSubcommand: RulesList.self)
}

struct RulesList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list",
        abstract: "List the rules in effect — built-in ones and overrides, with where each comes from — and files that don't parse.")
    @Option(help: "A folder of SQL rules on top of the others (as `detect --rules`).") var rules: String?

    func run() throws {
        try guarded {
            let catalog = Folders.catalog(rules: rules)
            Folders.warnMissing(catalog, kinds: [.rules])
            let (list, errors) = Rule.sources(catalog: catalog)
            var counts: [AssetOrigin: Int] = [:]
            for r in list { counts[r.origin, default: 0] += 1 }
            print("\(list.count) rule(s): " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            for s in list {
                let r = s.rule
                print("  \(r.id.padding(toLength: 38, withPad: " ", startingAt: 0)) \(r.riskType.padding(toLength: 16, withPad: " ", startingAt: 0)) \(r.severity.padding(toLength: 8, withPad: " ", startingAt: 0)) \(s.origin.description.padding(toLength: 12, withPad: " ", startingAt: 0)) \(r.description)")
                if s.origin != .builtIn { print("      from \(r.file)" + (s.overrides.isEmpty ? "" : ", overriding \(s.overrides.joined(separator: ", "))")) }
            }
            for e in errors { print("  BROKEN: \(e)") }
            if !errors.isEmpty { throw ExitCode(1) }
        }
    }
}

struct RulesTest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test",
        abstract: "Run one rule: how many accounts it would flag and, with ground truth, its precision.")
    @OptionGroup var store: StoreOption
    @Argument(help: "The rule file.") var file: String
    @Option(help: "Ground truth CSV (account_id,label,…) to measure precision against (default: the analysts' labels, if any).") var truth: String?
    @Option(help: "Show this many flagged accounts.") var show = 10
    @Option(help: "Stop the rule after this many seconds (0: no limit).")
    var timeLimit: Double = DetectionEngine.defaultRuleTimeLimit

    func run() throws {
        Interrupt.install()
        try guarded {
            guard timeLimit.isFinite, timeLimit >= 0 else { throw CLIError("--time-limit must be a number of seconds, 0 or more (got \(timeLimit))") }
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): cannot read") }
            let rule = try Rule.parse(file: file, text: String(decoding: data, as: UTF8.self))
            let reader = try SQLReader(store.location, maskPII: true)
            let start = Date()
            let hits = try rule.run(location: store.location, timeLimit: timeLimit > 0 ? timeLimit : nil)
            let secs = Date().timeIntervalSince(start)
            print("rule \(rule.id) (\(rule.riskType), \(rule.severity)): \(rule.description)")
            print("flags \(hits.count) account(s) in \(String(format: "%.2f", secs)) s")
            let tr = try truth.map { try loadTruth($0) } ?? Truth(store: reader.store)
            if let tr {
                let p = tr.precision(flagged: hits.map(\.account))
                if let precision = p.precision {
                    print(String(format: "precision %.3f (%d of %d flagged accounts with truth are fraud); recall %.3f of %d fraud accounts",
                                 precision, p.truePositives, p.known, p.recall, p.positives) + " — against \(tr.source)")
                    let fams = p.families
                    if !fams.isEmpty { print("true positives by family: " + fams.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) }
                } else {
                    print("precision n/a (none of the flagged accounts is in \(tr.source))")
                }
            }
            for h in hits.prefix(show) { print("  \(h.account)\(h.reason.map { "  \($0)" } ?? "")") }
        }
    }
}

/// On a team store, writing detection output, models or rules needs a lead: an analyst is
/// refused before anything runs (the server would refuse the writes anyway).
func requireLead(_ s: CaseStore, _ what: String) throws {
    guard !what.isEmpty, let pg = s as? PGStore, try !pg.isLead() else { return }
    throw CLIError("\(what) needs the riskdesk_lead role; \(try pg.currentRole()) is an analyst on \(pg.displayURL)")
}
