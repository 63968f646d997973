import Foundation
import RiskStore

/// Risk metrics read from the case store. Each reads small tables (hourly counts, scores,
/// findings, labels, cases), never the events, so a dashboard of a 10M-event store is quick.
public enum StoreMetrics {
    public static let hourMs: Int64 = 3_600_000
    public static let dayMs: Int64 = 86_400_000
    /// Most buckets any time series has, whatever the data's span: a store with one event in
    /// year 9999 (written by SQL past the importer's checks) gets wider buckets, not millions.
    public static let maxBuckets = 2_000
    /// Hours as far as epoch ms reach without overflow (±292 million years).
    static let hourLimit = Int64.max / hourMs - 1

    /// "Flagged", one meaning everywhere (`Flagged`): the latest detection run scored the
    /// account at least this (whether a detector, a rule or the learnt model put it there).
    public static let flagThreshold = Flagged.threshold

    /// First and last hour (epoch ms) with events.
    public static func dataSpan(_ db: SQLDatabase) throws -> (from: Int64, to: Int64)? {
        let r = try db.rows("SELECT min(hour), max(hour) FROM event_hourly")
        guard let lo = r.first?[0].int, let hi = r.first?[1].int else { return nil }
        let l = min(max(lo, -hourLimit), hourLimit - 1), h = min(max(hi, -hourLimit), hourLimit - 1)
        return (l * hourMs, (h + 1) * hourMs)
    }

    /// Days [d0, d1] in at most `maxBuckets` buckets of `step` days each.
    static func dayBuckets(_ d0: Int64, _ d1: Int64) -> (step: Int64, count: Int) {
        let days = max(0, d1 - d0 + 1)
        let step = max(1, (days + Int64(maxBuckets) - 1) / Int64(maxBuckets))
        return (step, Int((days + step - 1) / step))
    }

    /// Events per hour (or per day when the range is long) by type, the `top` busiest types
    /// as series and the rest summed as "other".
    public static func eventsOverTime(_ db: SQLDatabase, from: Int64, to: Int64, top: Int = 5) throws -> (bucketMs: Int64, starts: [Int64], series: [(String, [Double])]) {
        let span = max(1, to.subtractingReportingOverflow(from).overflow ? Int64.max / 2 : to - from)
        var bucket = span > 14 * dayMs ? dayMs : hourMs
        if span / bucket >= Int64(maxBuckets) { bucket = (span / Int64(maxBuckets) / dayMs + 1) * dayMs }
        let n = Int((span / bucket) + (span % bucket == 0 ? 0 : 1))
        let rows = try db.rows("SELECT hour, type, n FROM event_hourly WHERE hour >= ?1 AND hour < ?2", [.int(from / hourMs), .int((to + hourMs - 1) / hourMs)])
        var byType: [String: [Double]] = [:]
        for r in rows {
            guard let h = r[0].int, let t = r[1].string, let c = r[2].int else { continue }
            guard h > -hourLimit && h < hourLimit else { continue }
            let i = Int((h * hourMs - from) / bucket)
            guard i >= 0 && i < n else { continue }
            byType[t, default: [Double](repeating: 0, count: n)][i] += Double(c)
        }
        let ranked = byType.sorted { $0.value.reduce(0, +) > $1.value.reduce(0, +) }
        var series = ranked.prefix(top).map { ($0.key, $0.value) }
        if ranked.count > top {
            var other = [Double](repeating: 0, count: n)
            for (_, v) in ranked.dropFirst(top) { for i in 0..<n { other[i] += v[i] } }
            series.append(("other", other))
        }
        return (bucket, (0..<n).map { from + Int64($0) * bucket }, series)
    }

    /// Accounts the latest detection run flags (score ≥ `threshold`), by primary risk type and
    /// the day of their last activity: when the abuse was seen.
    /// An account flagged without a primary risk type counts as "other"; every day of the
    /// range is there, with zero where nothing was flagged.
    public static func flagsPerDay(_ db: SQLDatabase, from: Int64, to: Int64, threshold: Double = flagThreshold) throws -> (days: [Int64], series: [(String, [Double])]) {
        let d0 = from / dayMs, d1 = (to - 1) / dayMs
        let (step, n) = dayBuckets(d0, d1)
        var byType: [String: [Double]] = [:]
        for r in try db.rows("""
            SELECT a.last_seen / 86400000, coalesce(s.risk_type, 'other'), count(*) FROM scores s JOIN accounts a USING (account_id)
            WHERE s.score >= ?1 AND a.last_seen >= ?2 AND a.last_seen < ?3 GROUP BY 1, 2
            """, [.double(threshold), .int(from), .int(to)]) {
            guard let d = r[0].int, let t = r[1].string, let c = r[2].int, d >= d0, d <= d1 else { continue }
            let i = Int((d - d0) / step)
            guard i >= 0 && i < n else { continue }
            byType[t, default: [Double](repeating: 0, count: n)][i] += Double(c)
        }
        return ((0..<n).map { (d0 + Int64($0) * step) * dayMs }, byType.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    public struct QueueStats: Equatable, Sendable {
        public var flagged = 0            // accounts at or above the threshold
        public var unreviewed = 0         // flagged, no label
        public var open = 0, inReview = 0, escalated = 0, closed = 0
        /// Age of open cases (ms): p50, p90, max.
        public var ageP50: Double?, ageP90: Double?, ageMax: Double?
    }

    public static func queue(_ db: SQLDatabase, now: Int64, threshold: Double = flagThreshold) throws -> QueueStats {
        var q = QueueStats()
        q.flagged = Int(try db.int("SELECT count(*) FROM scores WHERE score >= ?", [.double(threshold)]))
        q.unreviewed = Int(try db.int("""
            SELECT count(*) FROM scores s WHERE s.score >= ?1
            AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.account_id = s.account_id AND l.label <> 'none'
                            AND l.id = (SELECT max(id) FROM labels m WHERE m.account_id = s.account_id))
            """, [.double(threshold)]))
        for r in try db.rows("SELECT status, count(*) FROM cases GROUP BY status") {
            let c = Int(r[1].int ?? 0)
            switch r[0].string { case "open": q.open = c; case "in_review": q.inReview = c; case "escalated": q.escalated = c; default: q.closed = c }
        }
        let ages = try db.rows("SELECT ?1 - opened_at FROM cases WHERE status <> 'closed'", [.int(now)]).compactMap { $0[0].double }
        if !ages.isEmpty {
            q.ageP50 = Distribution.percentile(ages, 50)
            q.ageP90 = Distribution.percentile(ages, 90)
            q.ageMax = ages.max()
        }
        return q
    }

    /// Time from a case being opened (claimed) to its account's first label after that (ms).
    public static func timeToLabel(_ db: SQLDatabase) throws -> [Double] {
        try db.rows("""
            SELECT (SELECT min(l.ts) FROM labels l WHERE l.account_id = c.account_id AND l.ts >= c.opened_at AND l.label <> 'none') - c.opened_at
            FROM cases c
            """).compactMap { $0[0].double }
    }

    /// Labels per day, by label value: each account's current label, on the day it was given
    /// (an undo or a redo is not another label; a withdrawn one counts no more).
    public static func labelsPerDay(_ db: SQLDatabase, from: Int64, to: Int64) throws -> (days: [Int64], series: [(String, [Double])]) {
        let d0 = from / dayMs, d1 = (to - 1) / dayMs
        let (step, n) = dayBuckets(d0, d1)
        var by: [String: [Double]] = [:]
        for r in try db.rows("SELECT ts / 86400000, label, count(*) FROM current_labels WHERE ts >= ?1 AND ts < ?2 GROUP BY 1, 2",
                             [.int(from), .int(to)]) {
            guard let d = r[0].int, let l = r[1].string, let c = r[2].int, d >= d0, d <= d1 else { continue }
            let i = Int((d - d0) / step)
            guard i >= 0 && i < n else { continue }
            by[l, default: [Double](repeating: 0, count: n)][i] += Double(c)
        }
        let order = ["fraud", "legit", "unsure"]
        return ((0..<n).map { (d0 + Int64($0) * step) * dayMs }, by.sorted { (order.firstIndex(of: $0.key) ?? 9) < (order.firstIndex(of: $1.key) ?? 9) }.map { ($0.key, $0.value) })
    }

    /// Labels per analyst in the range: total and per active day, current labels only (as
    /// `labelsPerDay`).
    public static func labelsPerAnalyst(_ db: SQLDatabase, from: Int64, to: Int64) throws -> [(analyst: String, labels: Int, perDay: Double)] {
        try db.rows("""
            SELECT analyst, count(*), count(*) * 1.0 / count(DISTINCT ts / 86400000) FROM current_labels
            WHERE ts >= ?1 AND ts < ?2 GROUP BY analyst ORDER BY 2 DESC, 1
            """, [.int(from), .int(to)]).map { ($0[0].string ?? "", Int($0[1].int ?? 0), $0[2].double ?? 0) }
    }

    /// Agreement between analysts who labelled the same accounts: each one's latest label of
    /// each account (fraud / legit / unsure), per pair of analysts with at least `minShared`.
    public static func analystAgreement(_ db: SQLDatabase, minShared: Int = 1) throws -> [(a: String, b: String, shared: Int, agree: Double, kappa: Double?)] {
        var by: [String: [String: String]] = [:]      // analyst → account → label
        for r in try db.rows("""
            SELECT account_id, analyst, label FROM labels l
            WHERE id = (SELECT max(id) FROM labels m WHERE m.account_id = l.account_id AND m.analyst = l.analyst) AND label <> 'none'
            """) {
            guard let acc = r[0].string, let who = r[1].string, let l = r[2].string else { continue }
            by[who, default: [:]][acc] = l
        }
        let names = by.keys.sorted()
        var out: [(String, String, Int, Double, Double?)] = []
        for (i, a) in names.enumerated() {
            for b in names[(i + 1)...] {
                let shared = by[a]!.keys.filter { by[b]![$0] != nil }.sorted()
                guard shared.count >= minShared else { continue }
                let la = shared.map { by[a]![$0]! }, lb = shared.map { by[b]![$0]! }
                let agree = Double(zip(la, lb).filter { $0 == $1 }.count) / Double(shared.count)
                out.append((a, b, shared.count, agree, Agreement.cohensKappa(la, lb)))
            }
        }
        return out.sorted { $0.2 > $1.2 }
    }

    public struct DetectorPrecision: Equatable, Sendable {
        public var detector: String
        public var flagged: Int       // accounts with a finding from it
        public var fraud: Int         // of those, currently labelled fraud
        public var legit: Int
        /// fraud / (fraud + legit): of its labelled accounts, how many were abuse.
        public var precision: Double? { fraud + legit > 0 ? Double(fraud) / Double(fraud + legit) : nil }
    }

    /// Precision of each detector and each SQL rule, from the analysts' current labels.
    public static func precisionByDetector(_ db: SQLDatabase) throws -> [DetectorPrecision] {
        try db.rows("""
            WITH cur AS (SELECT l.account_id, l.label FROM labels l
                         WHERE l.id = (SELECT max(id) FROM labels m WHERE m.account_id = l.account_id) AND l.label IN ('fraud','legit'))
            SELECT f.detector, count(DISTINCT f.account_id),
                   count(DISTINCT CASE WHEN c.label = 'fraud' THEN f.account_id END),
                   count(DISTINCT CASE WHEN c.label = 'legit' THEN f.account_id END)
            FROM findings f LEFT JOIN cur c USING (account_id) GROUP BY f.detector ORDER BY 2 DESC, 1
            """).map { DetectorPrecision(detector: $0[0].string ?? "", flagged: Int($0[1].int ?? 0), fraud: Int($0[2].int ?? 0), legit: Int($0[3].int ?? 0)) }
    }

    /// Score histogram (20 bins over 0..1) of the latest run, split by current label.
    public static func scoreHistogram(_ db: SQLDatabase) throws -> (fraud: [Double], legit: [Double], unlabelled: [Double]) {
        var all = [Double](repeating: 0, count: 20)
        if let h = try db.rows("SELECT score_hist FROM detect_runs WHERE status = 'done' AND score_hist IS NOT NULL ORDER BY id DESC LIMIT 1").first?[0].string {
            all = parseHist(h)
        } else {
            for r in try db.rows("SELECT \(db.dialect.least("19", db.dialect.truncInt("score * 20"))), count(*) FROM scores GROUP BY 1") {
                if let b = r[0].int, b >= 0, b < 20 { all[Int(b)] = Double(r[1].int ?? 0) }
            }
        }
        var fraud = [Double](repeating: 0, count: 20), legit = fraud
        for r in try db.rows("""
            SELECT \(db.dialect.least("19", db.dialect.greatest("0", db.dialect.truncInt("s.score * 20")))), l.label, count(*) FROM labels l JOIN scores s USING (account_id)
            WHERE l.id = (SELECT max(id) FROM labels m WHERE m.account_id = l.account_id) AND l.label IN ('fraud','legit') GROUP BY 1, 2
            """) {
            guard let b = r[0].int, b >= 0, b < 20 else { continue }
            if r[1].string == "fraud" { fraud[Int(b)] = Double(r[2].int ?? 0) } else { legit[Int(b)] = Double(r[2].int ?? 0) }
        }
        let unl = (0..<20).map { max(0, all[$0] - fraud[$0] - legit[$0]) }
        return (fraud, legit, unl)
    }

    static func parseHist(_ s: String) -> [Double] {
        let v = s.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        return v.count == 20 ? v : [Double](repeating: 0, count: 20)
    }

    /// Population stability index of the score distribution between the last two detection runs.
    public static func scoreDrift(_ db: SQLDatabase) throws -> (runA: Int64, runB: Int64, psi: Double)? {
        let r = try db.rows("SELECT id, score_hist FROM detect_runs WHERE status = 'done' AND score_hist IS NOT NULL ORDER BY id DESC LIMIT 2")
        guard r.count == 2, let a = r[1][1].string, let b = r[0][1].string,
              let psi = Distribution.psi(expectedCounts: parseHist(a), actualCounts: parseHist(b)) else { return nil }
        return (r[1][0].int ?? 0, r[0][0].int ?? 0, psi)
    }

    /// Accounts flagged per detection run (alert volume over runs), flagged as everywhere
    /// else: the run's score ≥ `flagThreshold`, from the scores each run kept (`run_scores`,
    /// the last ten runs; they keep no risk types, so one series, "flagged").
    public static func alertsPerRun(_ db: SQLDatabase, limit: Int = 12, threshold: Double = flagThreshold) throws -> [(run: Int64, at: Int64, byType: [String: Double])] {
        try db.rows("""
            SELECT r.id, r.started_at, (SELECT count(*) FROM run_scores x WHERE x.run_id = r.id AND x.score >= ?2)
            FROM detect_runs r WHERE r.status = 'done' AND EXISTS (SELECT 1 FROM run_scores x WHERE x.run_id = r.id)
            ORDER BY r.id DESC LIMIT ?1
            """, [.int(Int64(limit)), .double(threshold)]).reversed().map { r in
            (r[0].int ?? 0, r[1].int ?? 0, ["flagged": Double(r[2].int ?? 0)])
        }
    }
}
