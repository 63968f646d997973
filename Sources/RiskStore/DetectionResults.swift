import Foundation

// A detection run's results as the store keeps them: the run record (detect_runs), every
// finding (findings), one score per account (scores), the groups they form (groups) and the
// score history for comparing runs (run_scores). RiskDetect computes; this file persists.

/// What one detector, rule or scoring layer did in a run (detect_runs.detectors holds them as JSON).
public struct DetectorReport: Sendable, Equatable {
    public var name: String
    public var seconds: Double
    public var findings: Int
    public var accounts: Int
    public var error: String?

    public init(name: String, seconds: Double, findings: Int, accounts: Int, error: String?) {
        self.name = name; self.seconds = seconds; self.findings = findings; self.accounts = accounts; self.error = error
    }
}

/// One finding as written to `findings` (the account by id; evidence as JSON or a rule's text).
public struct FindingRecord: Sendable, Equatable {
    public var account: String
    public var detector: String
    public var riskType: String
    public var strength: Double
    public var reason: String
    public var evidence: String?
    public var group: String?

    public init(account: String, detector: String, riskType: String, strength: Double, reason: String,
                evidence: String?, group: String?) {
        self.account = account; self.detector = detector; self.riskType = riskType; self.strength = strength
        self.reason = reason; self.evidence = evidence; self.group = group
    }
}

/// One account's score as written to `scores`.
public struct ScoreRecord: Sendable, Equatable {
    public var account: String
    public var score: Double
    public var riskType: String?
    public var group: String?
    public var reasons: [String]
    public var findings: Int

    public init(account: String, score: Double, riskType: String?, group: String?, reasons: [String], findings: Int) {
        self.account = account; self.score = score; self.riskType = riskType; self.group = group
        self.reasons = reasons; self.findings = findings
    }
}

/// What "flagged" means, everywhere riskdesk counts or lists flagged accounts (the queue's
/// `flagged` view, `detect`'s summary and `detect_runs.flagged`, the dashboard, `train`'s and
/// the shadow run's counts): the latest run scored the account at least `threshold`, whoever
/// put it there — a detector, a SQL rule, the anomaly layer, propagation or the learnt model.
/// An account with only weak findings (a low-severity rule, a 0.35 takeover hint) scores below
/// it and is not flagged; a learnt model can clear a finding or flag an account with none.
public enum Flagged {
    public static let threshold = 0.5
    /// The test on a `scores` row (alias `s`, or none), for SQL on either store.
    public static func sql(_ alias: String? = "s") -> String { (alias.map { $0 + "." } ?? "") + "score >= 0.5" }
    public static func test(_ score: Double) -> Bool { score >= threshold }
}

/// The run's totals, written to its `detect_runs` row when its results are stored.
public struct DetectRunTotals: Sendable, Equatable {
    public var events: Int
    public var accounts: Int
    public var flagged: Int
    public var detectors: [DetectorReport]
    /// Flagged accounts by primary risk type.
    public var riskTypes: [String: Int]
    public var modelID: Int64?
    public var warnings: [String]

    public init(events: Int, accounts: Int, flagged: Int, detectors: [DetectorReport], riskTypes: [String: Int],
                modelID: Int64? = nil, warnings: [String] = []) {
        self.events = events; self.accounts = accounts; self.flagged = flagged; self.detectors = detectors
        self.riskTypes = riskTypes; self.modelID = modelID; self.warnings = warnings
    }
}

/// A finished or failed run as `detect_runs` holds it.
public struct DetectRunRecord: Sendable, Equatable {
    public var id: Int64
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var status: String
    public var events: Int64?
    public var accounts: Int64?
    public var flagged: Int64?
    public var detectors: [DetectorReport]
    public var riskTypes: [String: Int]
    /// Accounts per score bin (20 bins over 0…1).
    public var scoreHistogram: [Int]
    public var modelID: Int64?
    public var message: String?
}

extension SQLDatabase {
    /// Opens a run record (status running, with this process's id) and returns its id.
    public func beginDetectRun(pid: Int32 = getpid()) throws -> Int64 {
        try int("INSERT INTO detect_runs (started_at, pid) VALUES (?, ?) RETURNING id", [.int(Timestamp.nowMs()), .int(Int64(pid))])
    }

    /// Marks a run failed or cancelled with the error's words; the previous results stay.
    public func endDetectRun(_ runID: Int64, cancelled: Bool, message: String) throws {
        try run("UPDATE detect_runs SET status = ?, finished_at = ?, message = ? WHERE id = ?",
                   [.text(cancelled ? "cancelled" : "failed"), .int(Timestamp.nowMs()), .text(message), .int(runID)])
    }

    /// How many accounts the last finished run before `runID` flagged (nil: none recorded).
    public func flaggedBefore(run runID: Int64) throws -> Int? {
        try flaggedRecent(run: runID, limit: 1).first
    }

    /// How many accounts each of the last `limit` finished runs before `runID` flagged, newest first.
    public func flaggedRecent(run runID: Int64, limit: Int) throws -> [Int] {
        try rows("SELECT flagged FROM detect_runs WHERE status = 'done' AND id < ? AND flagged IS NOT NULL ORDER BY id DESC LIMIT ?",
                 [.int(runID), .int(Int64(max(0, limit)))]).compactMap { $0[0].int.map(Int.init) }
    }

    /// Replaces the previous run's findings, scores and groups with this run's, records its
    /// totals and score history and marks it done — all in one transaction: an error (or a
    /// cancel: `check` throwing) rolls the whole write back and the previous results stay.
    /// Strengths are kept to four decimals, scores to eight (the queue's order: four decimals
    /// tied hundreds of accounts whose evidence differs). Returns how many groups were written.
    @discardableResult
    public func writeDetectResults<F: Sequence, S: Sequence>(run runID: Int64, findings: F, scores: S, totals: DetectRunTotals,
                                                             check: () throws -> Void = {}) throws -> Int
    where F.Element == FindingRecord, S.Element == ScoreRecord {
        var groupCount = 0
        try inTransaction {
            try exec("DELETE FROM findings; DELETE FROM scores; DELETE FROM groups;")
            // The score distribution (20 bins over 0..1), for drift between runs.
            var hist = [Int](repeating: 0, count: 20)
            if let db = self as? Database {
                try Database.insertResults(db, run: runID, findings: findings, scores: scores, hist: &hist, check: check)
            } else if let pg = self as? PGConnection {
                try Database.copyResults(pg, run: runID, findings: findings, scores: scores, hist: &hist, check: check)
            }
            groupCount = try run("""
                INSERT INTO groups (group_id, run_id, risk_type, size, score, reason)
                SELECT f.group_id, ?, (SELECT risk_type FROM findings g WHERE g.group_id = f.group_id GROUP BY risk_type ORDER BY count(*) DESC LIMIT 1),
                       count(DISTINCT f.account_id), max(s.score),
                       (SELECT reason FROM findings g WHERE g.group_id = f.group_id ORDER BY strength DESC LIMIT 1)
                FROM findings f JOIN scores s USING (account_id)
                WHERE f.group_id IS NOT NULL GROUP BY f.group_id
                """, [.int(runID)])
            try run("""
                UPDATE detect_runs SET status = 'done', finished_at = ?, events = ?, accounts = ?, flagged = ?,
                       detectors = ?, risk_types = ?, score_hist = ?, model_id = ?, message = ? WHERE id = ?
                """, [.int(Timestamp.nowMs()), .int(Int64(totals.events)), .int(Int64(totals.accounts)), .int(Int64(totals.flagged)),
                      .text(Database.detectorsJSON(totals.detectors)), .text(Database.riskTypesJSON(totals.riskTypes)),
                      .text("[" + hist.map(String.init).joined(separator: ",") + "]"),
                      totals.modelID.map { .int($0) } ?? .null,
                      totals.warnings.isEmpty ? .null : .text(totals.warnings.joined(separator: "; ")), .int(runID)])
            // Every run's scores, for comparing runs (champion / challenger); the last ten are kept.
            try run("DELETE FROM run_scores WHERE run_id NOT IN (SELECT id FROM detect_runs WHERE status = 'done' ORDER BY id DESC LIMIT 9)")
            try run("INSERT INTO run_scores(run_id, account_id, score) SELECT ?, account_id, score FROM scores", [.int(runID)])
            try check()
        }
        return groupCount
    }
}

extension Database {
    /// SQLite: prepared inserts, bound without boxing.
    static func insertResults<F: Sequence, S: Sequence>(_ db: Database, run runID: Int64, findings: F, scores: S, hist: inout [Int],
                                                         check: () throws -> Void) throws
    where F.Element == FindingRecord, S.Element == ScoreRecord {
            let ins = try db.prepare("""
                INSERT INTO findings (run_id, account_id, detector, risk_type, strength, reason, evidence, group_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (i, f) in findings.enumerated() {
                if i & 0xFFF == 0 { try check() }
                ins.bindInt(1, runID)
                ins.bindText(2, f.account)
                ins.bindText(3, f.detector)
                ins.bindText(4, f.riskType)
                ins.bindDouble(5, fourDecimals(f.strength))
                ins.bindText(6, f.reason)
                if let e = f.evidence { ins.bindText(7, e) } else { ins.bindNull(7) }
                if let g = f.group { ins.bindText(8, g) } else { ins.bindNull(8) }
                try ins.execute()
            }
            let sc = try db.prepare("INSERT INTO scores (account_id, run_id, score, risk_type, group_id, reasons, n_findings) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for (i, s) in scores.enumerated() {
                if i & 0xFFF == 0 { try check() }
                hist[min(19, max(0, Int(s.score * 20)))] += 1
                sc.bindText(1, s.account)
                sc.bindInt(2, runID)
                sc.bindDouble(3, scoreDecimals(s.score))
                if let r = s.riskType { sc.bindText(4, r) } else { sc.bindNull(4) }
                if let g = s.group { sc.bindText(5, g) } else { sc.bindNull(5) }
                if s.reasons.isEmpty { sc.bindNull(6) } else { sc.bindText(6, s.reasons.joined(separator: "; ")) }
                sc.bindInt(7, Int64(s.findings))
                try sc.execute()
            }
    }

    /// PostgreSQL: both tables streamed in with COPY (text format).
    static func copyResults<F: Sequence, S: Sequence>(_ pg: PGConnection, run runID: Int64, findings: F, scores: S, hist: inout [Int],
                                                       check: () throws -> Void) throws
    where F.Element == FindingRecord, S.Element == ScoreRecord {
        let run = String(runID)
        try pg.copyIn("COPY findings (run_id, account_id, detector, risk_type, strength, reason, evidence, group_id) FROM STDIN") { send in
            var buf = PGCopyBuffer()
            for (i, f) in findings.enumerated() {
                if i & 0xFFF == 0 { try check() }
                try buf.row([run, f.account, f.detector, f.riskType, String(fourDecimals(f.strength)), f.reason, f.evidence, f.group], send)
            }
            try buf.flush(send)
        }
        var histogram = hist
        try pg.copyIn("COPY scores (account_id, run_id, score, risk_type, group_id, reasons, n_findings) FROM STDIN") { send in
            var buf = PGCopyBuffer()
            for (i, s) in scores.enumerated() {
                if i & 0xFFF == 0 { try check() }
                histogram[min(19, max(0, Int(s.score * 20)))] += 1
                try buf.row([s.account, run, String(scoreDecimals(s.score)), s.riskType, s.group,
                             s.reasons.isEmpty ? nil : s.reasons.joined(separator: "; "), String(s.findings)], send)
            }
            try buf.flush(send)
        }
        hist = histogram
    }
}

extension SQLDatabase {
    // MARK: reading results back

    /// One run's record (nil: no such run).
    public func detectRun(_ id: Int64) throws -> DetectRunRecord? {
        guard let r = try rows("""
            SELECT id, started_at, finished_at, status, events, accounts, flagged, detectors, risk_types, score_hist, model_id, message
            FROM detect_runs WHERE id = ?
            """, [.int(id)]).first else { return nil }
        var detectors: [DetectorReport] = []
        if let text = r[7].string, let arr = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] {
            detectors = arr.map { d in
                DetectorReport(name: d["name"] as? String ?? "", seconds: (d["seconds"] as? NSNumber)?.doubleValue ?? 0,
                               findings: (d["findings"] as? NSNumber)?.intValue ?? 0, accounts: (d["accounts"] as? NSNumber)?.intValue ?? 0,
                               error: d["error"] as? String)
            }
        }
        var riskTypes: [String: Int] = [:]
        if let text = r[8].string, let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: NSNumber] {
            riskTypes = obj.mapValues(\.intValue)
        }
        var hist: [Int] = []
        if let text = r[9].string, let arr = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber] {
            hist = arr.map(\.intValue)
        }
        return DetectRunRecord(id: r[0].int ?? id, startedAt: r[1].int ?? 0, finishedAt: r[2].int, status: r[3].string ?? "",
                               events: r[4].int, accounts: r[5].int, flagged: r[6].int, detectors: detectors, riskTypes: riskTypes,
                               scoreHistogram: hist, modelID: r[10].int, message: r[11].string)
    }

    /// The ids of finished runs, newest first.
    public func finishedDetectRuns() throws -> [Int64] {
        try rows("SELECT id FROM detect_runs WHERE status = 'done' ORDER BY id DESC").compactMap { $0[0].int }
    }

    /// The latest run's findings (every account, or one), in the order they were written.
    public func storedFindings(account: String? = nil) throws -> [FindingRecord] {
        var out: [FindingRecord] = []
        try forEach("SELECT account_id, detector, risk_type, strength, reason, evidence, group_id FROM findings"
                    + (account == nil ? "" : " WHERE account_id = ?") + " ORDER BY id", account.map { [.text($0)] } ?? []) { st in
            out.append(FindingRecord(account: st.text(0) ?? "", detector: st.text(1) ?? "", riskType: st.text(2) ?? "",
                                     strength: st.double(3), reason: st.text(4) ?? "", evidence: st.text(5), group: st.text(6)))
        }
        return out
    }

    /// The latest run's scores, by account id.
    public func storedScores() throws -> [ScoreRecord] {
        var out: [ScoreRecord] = []
        try forEach("SELECT account_id, score, risk_type, group_id, reasons, n_findings FROM scores ORDER BY account_id") { st in
            out.append(ScoreRecord(account: st.text(0) ?? "", score: st.double(1), riskType: st.text(2), group: st.text(3),
                                   reasons: (st.text(4) ?? "").components(separatedBy: "; ").filter { !$0.isEmpty },
                                   findings: Int(st.int(5))))
        }
        return out
    }

    /// The latest run's score per account (`scores`).
    public func scoreByAccount() throws -> [String: Double] {
        var out: [String: Double] = [:]
        try forEach("SELECT account_id, score FROM scores") { st in out[st.text(0) ?? ""] = st.double(1) }
        return out
    }

    /// A finished run's score per account (`run_scores`; the last ten runs are kept). Empty
    /// for runs before schema v8 or older than the last ten.
    public func runScores(_ runID: Int64) throws -> [String: Double] {
        var out: [String: Double] = [:]
        try forEach("SELECT account_id, score FROM run_scores WHERE run_id = ?", [.int(runID)]) { st in out[st.text(0) ?? ""] = st.double(1) }
        return out
    }

}

extension Database {
    static func fourDecimals(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
    static func scoreDecimals(_ x: Double) -> Double { (x * 100_000_000).rounded() / 100_000_000 }

    static func detectorsJSON(_ reports: [DetectorReport]) -> String {
        "[" + reports.map { r in
            "{\"name\":\(ResultWriter.jsonString(r.name)),\"seconds\":\(String(format: "%.3f", r.seconds)),\"findings\":\(r.findings),\"accounts\":\(r.accounts)" +
            (r.error.map { ",\"error\":\(ResultWriter.jsonString($0))" } ?? "") + "}"
        }.joined(separator: ",") + "]"
    }

    static func riskTypesJSON(_ types: [String: Int]) -> String {
        "{" + types.sorted { $0.key < $1.key }.map { "\(ResultWriter.jsonString($0.key)):\($0.value)" }.joined(separator: ",") + "}"
    }
}

// The results API on a store (its connection's, forwarded).
extension Store {
    public func beginDetectRun(pid: Int32 = getpid()) throws -> Int64 { try db.beginDetectRun(pid: pid) }
    public func endDetectRun(_ runID: Int64, cancelled: Bool, message: String) throws {
        try db.endDetectRun(runID, cancelled: cancelled, message: message)
    }
    public func flaggedBefore(run runID: Int64) throws -> Int? { try db.flaggedBefore(run: runID) }
    public func flaggedRecent(run runID: Int64, limit: Int) throws -> [Int] { try db.flaggedRecent(run: runID, limit: limit) }
    @discardableResult
    public func writeDetectResults<F: Sequence, S: Sequence>(run runID: Int64, findings: F, scores: S, totals: DetectRunTotals,
                                                             check: () throws -> Void = {}) throws -> Int
    where F.Element == FindingRecord, S.Element == ScoreRecord {
        try db.writeDetectResults(run: runID, findings: findings, scores: scores, totals: totals, check: check)
    }
    public func detectRun(_ id: Int64) throws -> DetectRunRecord? { try db.detectRun(id) }
    public func finishedDetectRuns() throws -> [Int64] { try db.finishedDetectRuns() }
    public func storedFindings(account: String? = nil) throws -> [FindingRecord] { try db.storedFindings(account: account) }
    public func storedScores() throws -> [ScoreRecord] { try db.storedScores() }
    public func scoreByAccount() throws -> [String: Double] { try db.scoreByAccount() }
    public func runScores(_ runID: Int64) throws -> [String: Double] { try db.runScores(runID) }
}

/// Rows for `COPY … FROM STDIN` in text format, buffered and sent in 256 KiB chunks.
/// NULL is `\N`; backslash, tab, newline and carriage return are escaped.
struct PGCopyBuffer {
    private var bytes: [UInt8] = []
    init() { bytes.reserveCapacity(1 << 18) }
    mutating func row(_ fields: [String?], _ send: (UnsafeRawBufferPointer) throws -> Void) throws {
        for (i, f) in fields.enumerated() {
            if i > 0 { bytes.append(9) }
            guard let f else { bytes.append(92); bytes.append(78); continue }
            for c in f.utf8 {
                switch c {
                case 92: bytes.append(92); bytes.append(92)
                case 9: bytes.append(92); bytes.append(116)
                case 10: bytes.append(92); bytes.append(110)
                case 13: bytes.append(92); bytes.append(114)
                default: bytes.append(c)
                }
            }
        }
        bytes.append(10)
        if bytes.count >= 1 << 18 { try flush(send) }
    }
    mutating func flush(_ send: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try send($0) }
        bytes.removeAll(keepingCapacity: true)
    }
}
