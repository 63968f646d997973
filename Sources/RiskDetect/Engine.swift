import Assets
import Foundation
import RiskStore

public struct DetectReport: Sendable {
    public var runID: Int64
    public var events: Int
    public var accounts: Int
    public var flagged: Int
    public var loadSeconds: Double
    public var seconds: Double
    public var detectors: [DetectorReport]
    public var riskTypes: [String: Int]
    public var groups: Int
    /// The learnt model blended in, if any.
    public var modelID: Int64? = nil
    /// Loud warnings (e.g. a model whose flag volume exploded against the run before).
    public var warnings: [String] = []
}

/// Per-account result of combining findings.
public struct AccountScore: Sendable {
    public var score: Double
    public var riskType: String?
    public var group: String?
    public var reasons: [String]
    public var findings: Int
}

/// Runs every detector and SQL rule over the store, combines the findings into one score per
/// account, and replaces the previous run's findings and scores in one transaction (a run
/// that fails or is cancelled leaves the previous results in place). Keeps a run history.
public final class DetectionEngine {
    public var detectors: [Detector]
    /// Where SQL rules come from: built-in ones under the user's and the project's (nil: none).
    public var rules: AssetCatalog?
    /// Blend the current learnt model (if one was trained) into the score.
    public var useModel = true
    /// The model's share of a blended score (nil: the share chosen by cross-validation when it was trained).
    public var modelWeight: Double?
    /// Blend this model instead of the current one (`detect --model V`).
    public var modelOverride: ModelRecord?
    /// Flag volume guard: a run with a model that flags more than max(factor × the recent
    /// runs' median flags, that + slack) gets a loud warning (the median of the last
    /// `volumeRuns` finished runs, so one odd run does not set the baseline).
    public var volumeFactor = 3.0
    public var volumeSlack = 100
    /// The final score's layers beyond the detectors (Scoring.swift).
    public var layers = ScoringLayers()
    /// When a shared identifier links accounts, for every detector and feature (LinkBound.swift).
    /// Fixed at 40 accounts (as before bound23) until the derived rule's household scale is
    /// robust to a store whose few shared addresses are mostly lockers (docs/detection.md).
    public var linkRule: LinkBound.Rule = .fixed(40)
    /// Seconds one SQL rule may run before it is stopped and reported as failed (nil: no limit).
    public var ruleTimeLimit: Double? = DetectionEngine.defaultRuleTimeLimit
    /// Ten minutes: the shipped rules take well under a second a million events.
    public static let defaultRuleTimeLimit: Double = 600

    /// The shipped detectors; `debugLog` gets the brushing and click-farm detectors' tuning
    /// numbers (the executable sets it from RISKDESK_DEBUG).
    public static func standardDetectors(debugLog: (@Sendable (String) -> Void)? = nil) -> [Detector] {
        [BrushingDetector(debugLog: debugLog), ClickFarmDetector(debugLog: debugLog), IdentityDetector(debugLog: debugLog), ScalperDetector(),
         TakeoverDetector(debugLog: debugLog), ScrapingDetector(), SpamDetector(), RefundAbuseDetector()]
    }

    public init(detectors: [Detector] = DetectionEngine.standardDetectors(), rules: AssetCatalog? = .builtIn) {
        self.detectors = detectors
        self.rules = rules
    }

    /// The rules of one folder only (no built-in ones).
    public convenience init(detectors: [Detector] = DetectionEngine.standardDetectors(), rulesDirectory: String?) {
        self.init(detectors: detectors, rules: DetectionEngine.folder(rulesDirectory))
    }

    /// The last rules folder in effect; setting it means the rules of that one folder only.
    public var rulesDirectory: String? {
        get { rules?.folders(.rules).last?.path }
        set { rules = DetectionEngine.folder(newValue) }
    }

    static func folder(_ dir: String?) -> AssetCatalog? {
        dir.map { AssetCatalog(folders: [AssetFolder(kind: .rules, path: $0, origin: .explicit, source: $0)], includeBuiltIn: false) }
    }

    /// How a report names a rule written for the other store's dialect (not a failure).
    public static let skippedPrefix = "skipped: "

    /// `progress(stage, fraction of the whole run)`.
    public func run(store: CaseStore, cancel: CancelToken = CancelToken(),
                    progress: @escaping (String, Double) -> Void = { _, _ in }) throws -> DetectReport {
        let started = Date()
        let runID = try store.database.beginDetectRun()
        do {
            let report = try runInner(store: store, runID: runID, started: started, cancel: cancel, progress: progress)
            return report
        } catch {
            try? store.database.endDetectRun(runID, cancelled: error is CancelledError, message: "\(error)")
            throw error
        }
    }

    /// What the detectors and rules say before a learnt model is blended in: the events read,
    /// every finding, each detector's report and the combined score per account. Writes nothing.
    public func evaluate(store: CaseStore, cancel: CancelToken = CancelToken(),
                         progress: @escaping (String, Double) -> Void = { _, _ in }) throws -> Evaluation {
        progress("loading events", 0)
        let t0 = Date()
        let table = try EventTable.load(from: store.database, cancel: cancel) { progress("loading events", 0.3 * $0) }
        table.linkRule = linkRule
        let loadSeconds = Date().timeIntervalSince(t0)
        let rules: (rules: [Rule], errors: [String]) = self.rules.map { Rule.load(catalog: $0) } ?? ([], [])
        // Detectors and SQL rules run side by side (each reads the table or opens its own
        // connection); results are kept in their fixed order, so the run is the same either way.
        let detectors = self.detectors
        let jobs = detectors.count + rules.rules.count
        let steps = Double(jobs + 1)
        let results = UnsafeMutableBufferPointer<(findings: [Finding], report: DetectorReport)?>.allocate(capacity: max(1, jobs))
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let lock = NSLock()
        var done = 0.0
        var cancelled: Error?
        let location = store.location
        let dialect = store.database.dialect
        // The anomaly layer reads only the table, not the findings: it runs beside the
        // detectors (as job `jobs`, started third, after the two longest detectors).
        let anomalyJob = layers.anomaly ? jobs : nil
        let anomalyBox = AnomalyBox()
        // Which way its ties go: the thin-history prior, tested on the store's labels if any.
        let history = layers.anomaly ? try HistoryOrder.fromLabels(store.database, table) : .thinFirst
        var order = Array(0..<jobs)
        if let anomalyJob { order.insert(anomalyJob, at: min(2, order.count)) }
        DispatchQueue.concurrentPerform(iterations: order.count) { k in
            let j = order[k]
            if cancel.isCancelled { return }
            if j == anomalyJob {
                let s = Date()
                // The leads are the engine's own scalper detector's (its signs as switched; none when it is off).
                let scalper = layers.scalperLeads ? detectors.lazy.compactMap { $0 as? ScalperDetector }.first : nil
                let a = Anomaly.compute(table, history: history, returnerSpread: layers.returnerSpread, scalperLeads: scalper, busyPace: layers.busyPace, tenthSpread: layers.tenthSpread, abroad: layers.abroad, cardStrangers: layers.cardStrangers, mailboxSharers: layers.mailboxSharers, audienceCompany: layers.audienceCompany, pageReturns: layers.pageReturns, repeatFollows: layers.repeatFollows, cancel: cancel)
                lock.lock(); anomalyBox.value = (a, Date().timeIntervalSince(s)); lock.unlock()
                return
            }
            // Each stage is reported as it starts (a cancel may land on that report).
            lock.lock()
            progress(j < detectors.count ? detectors[j].name : "rule \(rules.rules[j - detectors.count].id)", 0.3 + 0.65 * done / steps)
            lock.unlock()
            let s = Date()
            var out: (findings: [Finding], report: DetectorReport)
            if j < detectors.count {
                let d = detectors[j]
                do {
                    let f = try d.run(table, cancel: cancel)
                    out = (f, DetectorReport(name: d.name, seconds: Date().timeIntervalSince(s), findings: f.count,
                                             accounts: Set(f.map(\.account)).count, error: nil))
                } catch let e as CancelledError {
                    lock.lock(); cancelled = e; lock.unlock(); return
                } catch {
                    out = ([], DetectorReport(name: d.name, seconds: Date().timeIntervalSince(s), findings: 0, accounts: 0, error: "\(error)"))
                }
            } else {
                let r = rules.rules[j - detectors.count]
                if let why = r.skipped(on: dialect) {
                    out = ([], DetectorReport(name: "rule:\(r.id)", seconds: 0, findings: 0, accounts: 0, error: Self.skippedPrefix + why))
                    lock.lock(); results[j] = out; done += 1; lock.unlock()
                    return
                }
                do {
                    var fs: [Finding] = []
                    var accounts = Set<Int32>()
                    let hits = try r.run(location: location, cancel: cancel, timeLimit: ruleTimeLimit)
                    // A rule's `group` values, numbered in sorted order (short, stable ids; the
                    // value itself may be a seller and a review text): `rule<k>-<n>`.
                    let groupValues = Set(hits.compactMap { $0.group?.nilIfEmpty }).sorted()
                    let groupNo = Dictionary(uniqueKeysWithValues: groupValues.enumerated().map { ($1, $0 + 1) })
                    for hit in hits {
                        guard let a = table.accounts.lookup(hit.account) else { continue }
                        var f = Finding(account: a, detector: "rule:\(r.id)", riskType: r.riskType, strength: r.strength,
                                        reason: hit.reason.map { "\(r.description): \($0)" } ?? r.description)
                        if let ev = hit.evidence { f.rawEvidence = ev }
                        if let g = hit.group?.nilIfEmpty, let n = groupNo[g] { f.group = "rule\(j - detectors.count + 1)-\(n)" }
                        fs.append(f)
                        accounts.insert(a)
                    }
                    out = (fs, DetectorReport(name: "rule:\(r.id)", seconds: Date().timeIntervalSince(s), findings: fs.count, accounts: accounts.count, error: nil))
                } catch let e as CancelledError {
                    lock.lock(); cancelled = e; lock.unlock(); return
                } catch {
                    out = ([], DetectorReport(name: "rule:\(r.id)", seconds: Date().timeIntervalSince(s), findings: 0, accounts: 0, error: "\(error)"))
                }
            }
            lock.lock()
            results[j] = out
            done += 1
            lock.unlock()
        }
        if let cancelled { throw cancelled }
        try cancel.check()
        var findings: [Finding] = []
        var reports: [DetectorReport] = []
        // Each job's findings in a canonical order (detectors may build them from sets and
        // dictionaries, whose order changes from process to process): the same store gives the
        // same findings, in the same order, on every run.
        for j in 0..<detectors.count { if let r = results[j] { findings += Finding.canonicallyOrdered(r.findings); reports.append(r.report) } }
        for e in rules.errors { reports.append(DetectorReport(name: "rule", seconds: 0, findings: 0, accounts: 0, error: e)) }
        for j in detectors.count..<jobs { if let r = results[j] { findings += Finding.canonicallyOrdered(r.findings); reports.append(r.report) } }
        try cancel.check()
        progress("scoring", 0.95)
        findings = Finding.deduplicated(findings)
        let layered = RiskScoring.run(table, findings: findings, layers: layers, anomaly: anomalyBox.value)
        return Evaluation(table: table, findings: findings, reports: reports + layered.reports, scores: layered.scores, loadSeconds: loadSeconds)
    }

    private func runInner(store: CaseStore, runID: Int64, started: Date, cancel: CancelToken,
                          progress: @escaping (String, Double) -> Void) throws -> DetectReport {
        let db = store.database
        let ev = try evaluate(store: store, cancel: cancel, progress: progress)
        let table = ev.table, findings = ev.findings, loadSeconds = ev.loadSeconds
        var reports = ev.reports
        var scores = ev.scores
        // The learnt model (the current one, or the one asked for), blended with the detectors.
        var modelID: Int64?
        var model: ModelRecord?
        if useModel {
            // A model that can't be read is reported like a failed detector; the run goes on without it.
            do { model = try modelOverride ?? ModelStore.current(db) } catch {
                reports.append(DetectorReport(name: "learnt model", seconds: 0, findings: 0, accounts: 0, error: "\(error)"))
            }
        }
        if let m = model {
            progress("learnt model v\(m.id)", 0.95)
            do { try applyModel(m, to: &scores, evaluation: ev, db: db); modelID = m.id } catch let e as TrainError {
                reports.append(DetectorReport(name: "learnt model", seconds: 0, findings: 0, accounts: 0, error: e.description))
            }
        }
        try Self.sinkLabelledLegit(&scores, table: table, db: db)
        var riskTypes: [String: Int] = [:]
        var flagged = 0
        // Flagged = score ≥ 0.5 (`Flagged`), with or without a model: the count the queue's
        // flagged view and the dashboard show.
        for s in scores where Flagged.test(s.score) {
            flagged += 1
            // Flagged without a primary risk type (propagation, the anomaly layer): "other", as
            // the dashboard says, so the breakdown adds up to the flagged count.
            riskTypes[s.riskType ?? "other", default: 0] += 1
        }
        // A model whose flag volume explodes against the recent runs is flagged loudly. The
        // baseline is the median of the last few finished runs, so one odd run (a model since
        // replaced, a half-imported store) does not set it.
        var warnings: [String] = []
        let recent = try store.database.flaggedRecent(run: runID, limit: Self.volumeRuns)
        if let modelID, let base = Self.volumeBaseline(recent),
           Double(flagged) > max(volumeFactor * base, base + Double(volumeSlack)) {
            let what = recent.count == 1 ? "the run before flagged \(recent[0])"
                                         : "the last \(recent.count) runs flagged \(Int(base.rounded())) (median)"
            warnings.append("model v\(modelID) flags \(flagged) accounts where \(what): check it with `riskdesk detect --shadow` or run `riskdesk detect --no-model`")
        }
        // A cancel that arrives while the results are written rolls the whole write back:
        // the previous results stay and the run is recorded cancelled.
        progress("writing results", 0.97)
        let totals = DetectRunTotals(events: table.count, accounts: table.accountCount, flagged: flagged, detectors: reports,
                                     riskTypes: riskTypes, modelID: modelID, warnings: warnings)
        let groupCount = try store.database.writeDetectResults(run: runID, findings: findings.lazy.map { f in
            FindingRecord(account: table.accountID(f.account), detector: f.detector, riskType: f.riskType, strength: f.strength,
                          reason: f.reason, evidence: f.rawEvidence ?? f.evidenceJSON, group: f.group)
        }, scores: scores.enumerated().lazy.map { a, s in
            ScoreRecord(account: table.accountID(Int32(a)), score: s.score, riskType: s.riskType, group: s.group,
                        reasons: s.reasons, findings: s.findings)
        }, totals: totals, check: { try cancel.check() })
        progress("done", 1)
        return DetectReport(runID: runID, events: table.count, accounts: table.accountCount, flagged: flagged,
                            loadSeconds: loadSeconds, seconds: Date().timeIntervalSince(started), detectors: reports,
                            riskTypes: riskTypes, groups: groupCount, modelID: modelID, warnings: warnings)
    }

    /// How many finished runs the flag-volume warning looks back on.
    public static let volumeRuns = 5

    /// The flag volume a run is compared with: the median of the recent runs' (nil: none).
    public static func volumeBaseline(_ recent: [Int]) -> Double? {
        guard !recent.isEmpty else { return nil }
        let v = recent.sorted().map(Double.init)
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    /// Noisy-OR of the findings: each detector (and each rule) counts once, by its strongest
    /// finding, so strengths read as "how likely this alone means abuse" and independent
    /// evidence adds up. The primary risk type and group come from the strongest finding.
    public static func combine(_ findings: [Finding], accounts: Int) -> [AccountScore] {
        var out = [AccountScore](repeating: AccountScore(score: 0, riskType: nil, group: nil, reasons: [], findings: 0), count: accounts)
        let byAccount = Dictionary(grouping: findings.filter { Int($0.account) < accounts }, by: \.account)
        for (a, fs) in byAccount {
            var best: [String: Finding] = [:]
            for f in fs where (best[f.detector]?.strength ?? -1) < f.strength { best[f.detector] = f }
            let ranked = best.values.sorted { ($0.strength, $1.detector) > ($1.strength, $0.detector) }
            var keep = 1.0
            for f in ranked { keep *= 1 - f.strength }
            let top = ranked[0]
            out[Int(a)] = AccountScore(score: 1 - keep, riskType: top.riskType,
                                       group: ranked.first { $0.group != nil }?.group,
                                       reasons: ranked.prefix(3).map(\.reason), findings: fs.count)
        }
        return out
    }
}

/// The anomaly layer's result, computed beside the detectors, and the seconds it took.
private final class AnomalyBox: @unchecked Sendable {
    var value: (anomaly: Anomaly, seconds: Double)?
}
