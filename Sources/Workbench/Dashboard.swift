import Assets
import Foundation
import RiskDetect
import RiskMetrics
import RiskStore
import TerminalKit

/// The time a dashboard looks at, counted back from the store's last event (data may be old).
public enum DashRange: String, CaseIterable, Sendable {
    case day = "24h", week = "7d", month = "30d", all = "all"
    public var label: String { self == .all ? "all data" : "last \(rawValue)" }
    var ms: Int64? {
        switch self {
        case .day: return 86_400_000
        case .week: return 7 * 86_400_000
        case .month: return 30 * 86_400_000
        case .all: return nil
        }
    }
}

public enum DashLoaded {
    case panels(uid: Int, panels: [PanelData], version: Int64, available: [String])
    case version(uid: Int, Int64)
}

/// A user dashboard: `queries/dashboards/NAME.sql`, panels separated by `;`, each headed by
/// comment lines `-- panel: TITLE`, `-- chart: KIND`, optional `-- x: …`, `-- y: …`, `-- note: …`.
/// Column 0 is the x label, the other numeric columns are series; with three columns whose
/// second is text (x, series, value) the rows are pivoted into series. Heatmaps take
/// (row, hour 0–23, value); gauges one value 0..1; tables any columns.
public struct DashboardFile: Equatable {
    public struct PanelSpec: Equatable {
        public var title: String
        public var kind: PanelData.Kind
        public var sql: String
        public var line: Int
        public var note: String?
        /// A header problem: the panel shows it instead of a chart.
        public var error: String?
    }
    public var name: String
    public var title: String
    public var panels: [PanelSpec]

    public static func parse(_ text: String, name: String, file: String) -> DashboardFile {
        var title = name
        var panels: [PanelSpec] = []
        let chars = Array(text)
        func lineOf(_ offset: Int) -> Int { chars[..<min(offset, chars.count)].filter { $0 == "\n" }.count + 1 }
        for range in SQLText.statements(text) {
            let body = String(chars[range])
            var spec = PanelSpec(title: "", kind: .table, sql: body, line: lineOf(range.lowerBound))
            var axes: [String] = []
            var lineNo = spec.line
            var first = true
            for raw in body.split(separator: "\n", omittingEmptySubsequences: false) {
                let t = raw.trimmingCharacters(in: .whitespaces)
                defer { lineNo += 1 }
                if first && t.isEmpty { spec.line += 1; continue }
                first = false
                guard t.hasPrefix("--") else { if !t.isEmpty { break } else { continue } }
                guard let (key, value) = SQLHeader.field(t) else { continue }
                switch key {
                case "dashboard": title = value
                case "panel": spec.title = value
                case "chart":
                    if let k = PanelData.Kind(rawValue: value.lowercased()) { spec.kind = k } else {
                        spec.error = "\(file):\(lineNo): unknown chart '\(value)' (one of \(PanelData.Kind.allCases.map(\.rawValue).joined(separator: ", ")))"
                    }
                case "x", "y": axes.append("\(key): \(value)")
                case "note": spec.note = value
                default:
                    if key.contains(" ") { continue }    // a sentence with a colon, not a header
                    spec.error = "\(file):\(lineNo): unknown header '\(key)' (panel, chart, x, y, note, dashboard)"
                }
            }
            if spec.title.isEmpty { spec.title = "panel at line \(spec.line)" }
            if spec.note == nil && !axes.isEmpty { spec.note = axes.joined(separator: " · ") }
            // A file's leading dashboard-only comment block with no SQL is not a panel.
            if SQLText.tokens(body).allSatisfy({ $0.kind == .space || $0.kind == .comment }) { continue }
            panels.append(spec)
        }
        return DashboardFile(name: name, title: title, panels: panels)
    }

    /// A panel's data from its query's rows.
    public static func panel(_ spec: PanelSpec, columns: [String], rows: [[SQLValue]]) -> PanelData {
        var p = PanelData(title: spec.title, kind: spec.kind, note: spec.note)
        switch spec.kind {
        case .table:
            p.columns = columns
            p.rows = rows.prefix(200).map { $0.map { v in if case .double(let d) = v { return String(format: "%.4g", d) }; return v.string ?? "NULL" } }
        case .heatmap:
            var order: [String] = []
            var by: [String: [Double]] = [:]
            for r in rows where r.count >= 3 {
                let l = r[0].string ?? "NULL"
                if by[l] == nil { order.append(l); by[l] = [Double](repeating: 0, count: 24) }
                if let h = r[1].int, h >= 0, h < 24 { by[l]![Int(h)] += r[2].double ?? 0 }
            }
            p.x = order
            p.series = order.map { PanelData.Series($0, by[$0]!) }
        case .gauge:
            // One value 0..1 and, optionally, a text naming it: the bar and its label agree.
            let g = DashGauge(columns: columns, rows: rows)
            p.x = [g.label]
            p.series = g.value.map { [PanelData.Series("value", [$0])] } ?? []
        default:
            if columns.count == 3, rows.contains(where: { if case .text = $0[1] { return true }; return false }) {
                // Long form: x, series, value.
                var xs: [String] = [], names: [String] = []
                var cell: [String: [String: Double]] = [:]
                for r in rows {
                    let x = r[0].string ?? "NULL", s = r[1].string ?? "NULL"
                    if cell[x] == nil { xs.append(x); cell[x] = [:] }
                    if !names.contains(s) { names.append(s) }
                    cell[x]![s, default: 0] += r[2].double ?? 0
                }
                p.x = xs
                p.series = names.map { n in PanelData.Series(n, xs.map { cell[$0]![n] ?? 0 }) }
            } else if spec.kind == .number, rows.count == 1, columns.count > 1 {
                p.x = columns
                p.series = [PanelData.Series("value", rows[0].map { $0.double ?? 0 })]
            } else if columns.count == 1 {
                p.x = rows.indices.map { String($0 + 1) }
                p.series = [PanelData.Series(columns[0], rows.map { $0[0].double ?? 0 })]
            } else {
                p.x = rows.map { $0[0].string ?? "NULL" }
                p.series = (1..<columns.count).map { c in PanelData.Series(columns[c], rows.map { c < $0.count ? $0[c].double ?? 0 : 0 }) }
            }
        }
        return p
    }
}

/// Builds dashboards' panels from the store (on the reads thread, or in `riskdesk dash`).
public enum Dashboards {
    /// The dashboards of one folder only.
    static func folder(_ directory: String?) -> AssetCatalog {
        AssetCatalog(folders: directory.map { [AssetFolder(kind: .dashboards, path: $0, origin: .explicit, source: $0)] } ?? [], includeBuiltIn: false)
    }

    public static func available(directory: String?) -> [String] { available(catalog: folder(directory)) }

    public static func available(catalog: AssetCatalog) -> [String] {
        ["overview"] + catalog.resolve(.dashboards).names.filter { $0 != "overview" }
    }

    public static func build(_ db: SQLDatabase, name: String, range: DashRange, directory: String?, now: Int64 = Timestamp.nowMs()) throws -> [PanelData] {
        try build(db, name: name, range: range, catalog: folder(directory), now: now)
    }

    /// The window a range covers, ending at the store's last event.
    static func window(_ db: SQLDatabase, _ range: DashRange) throws -> (Int64, Int64)? {
        guard let span = try StoreMetrics.dataSpan(db) else { return nil }
        guard let ms = range.ms else { return span }
        return (max(span.from, span.to - ms), span.to)
    }

    public static func build(_ db: SQLDatabase, name: String, range: DashRange, catalog: AssetCatalog, now: Int64 = Timestamp.nowMs()) throws -> [PanelData] {
        if name == "overview" { return try overview(db, range: range, now: now) }
        let all = catalog.resolve(.dashboards)
        guard let a = all[name] else {
            throw StoreError("no dashboard '\(name)'; known: \((["overview"] + all.names).joined(separator: ", "))"
                             + (all.problems.isEmpty ? "" : " (\(all.problems.joined(separator: "; ")))"))
        }
        let path = a.path
        let file = DashboardFile.parse(a.text, name: name, file: path)
        let win = try window(db, range)
        return file.panels.map { spec in
            if let e = spec.error { return PanelData(title: spec.title, kind: spec.kind, error: e) }
            do {
                guard let db = db as? Database else { return try panel(spec, on: db, window: win, path: path) }
                // Panels may use :from and :to (epoch ms) for the chosen range.
                var st: Statement?
                try db.prepareEach(spec.sql) { s in if st == nil { st = s } }
                guard let st else { return PanelData(title: spec.title, kind: spec.kind, error: "\(path):\(spec.line): empty panel") }
                for i in 0..<st.parameterCount {
                    switch st.parameterName(i + 1) {
                    case ":from": try st.bind(.int(win?.0 ?? 0), at: i + 1)
                    case ":to": try st.bind(.int(win?.1 ?? Int64.max), at: i + 1)
                    case let n: throw StoreError("parameter \(n ?? "?") unknown (dashboards know :from and :to)")
                    }
                }
                let cols = st.columnNames
                var rows: [[SQLValue]] = []
                while try st.step(), rows.count < 5000 { rows.append(st.row()) }
                return DashboardFile.panel(spec, columns: cols, rows: rows)
            } catch {
                return PanelData(title: spec.title, kind: spec.kind, error: "\(path):\(spec.line): \(error)")
            }
        }
    }

    /// A panel on a store of another dialect (the team store): its first statement, :from / :to as parameters.
    static func panel(_ spec: DashboardFile.PanelSpec, on db: SQLDatabase, window win: (Int64, Int64)?, path: String) throws -> PanelData {
        guard let first = PGConnection.statements(spec.sql).first else {
            return PanelData(title: spec.title, kind: spec.kind, error: "\(path):\(spec.line): empty panel")
        }
        let (sql, names, _) = PGConnection.namedParameters(first)
        let args: [SQLValue] = try names.map { n in
            switch n {
            case "from": return .int(win?.0 ?? 0)
            case "to": return .int(win?.1 ?? Int64.max)
            default: throw StoreError("parameter :\(n) unknown (dashboards know :from and :to)")
            }
        }
        var cols: [String] = []
        var rows: [[SQLValue]] = []
        try db.stream(sql, args, columns: { cols = $0 }) { r in rows.append(r.row()); return rows.count < 5000 }
        return DashboardFile.panel(spec, columns: cols, rows: rows)
    }

    static func dayLabel(_ ms: Int64) -> String { String(Timestamp.iso(ms).dropFirst(5).prefix(5)) }

    /// The overview: traffic, flags, queue, labels, detector precision, scores, drift.
    public static func overview(_ db: SQLDatabase, range: DashRange, now: Int64) throws -> [PanelData] {
        var panels: [PanelData] = []
        func attempt(_ title: String, _ kind: PanelData.Kind, _ f: () throws -> PanelData) {
            do { panels.append(try f()) } catch { panels.append(PanelData(title: title, kind: kind, error: "\(error)")) }
        }
        let win = try window(db, range)
        attempt("Events by type", .line) {
            guard let (from, to) = win else { return PanelData(title: "Events by type", kind: .line, note: "no events yet") }
            let e = try StoreMetrics.eventsOverTime(db, from: from, to: to)
            let per = e.bucketMs == StoreMetrics.hourMs ? "hour" : e.bucketMs == StoreMetrics.dayMs ? "day" : "\(e.bucketMs / StoreMetrics.dayMs) days"
            return PanelData(title: "Events per \(per) by type", kind: .line,
                             x: e.starts.map { Timestamp.short($0).prefix(16).replacingOccurrences(of: "T", with: " ") },
                             series: e.series.map { PanelData.Series($0.0, $0.1) })
        }
        attempt("Flagged accounts per day", .stacked) {
            guard let (from, to) = win else { return PanelData(title: "Flagged accounts per day", kind: .stacked) }
            let f = try StoreMetrics.flagsPerDay(db, from: from, to: to)
            return PanelData(title: "Flagged accounts per day by risk type", kind: .stacked, x: f.days.map(dayLabel),
                             series: f.series.map { PanelData.Series($0.0, $0.1) }, note: "flagged: score ≥ \(StoreMetrics.flagThreshold), by day of last activity")
        }
        attempt("Queue", .number) {
            let q = try StoreMetrics.queue(db, now: now)
            let ttl = try StoreMetrics.timeToLabel(db)
            func dur(_ v: Double?) -> Double { (v ?? 0) / 3_600_000 }
            return PanelData(title: "Queue and aging (hours)", kind: .number,
                             x: ["flagged", "not yet labelled", "cases open", "in review", "escalated", "open case age p50 h", "open case age p90 h",
                                 "oldest open case h", "time to label p50 h", "time to label p90 h"],
                             series: [PanelData.Series("value", [Double(q.flagged), Double(q.unreviewed), Double(q.open), Double(q.inReview), Double(q.escalated),
                                                                 dur(q.ageP50), dur(q.ageP90), dur(q.ageMax),
                                                                 dur(Distribution.percentile(ttl, 50)), dur(Distribution.percentile(ttl, 90))])])
        }
        let labelWindow: (Int64, Int64) = range.ms.map { (now - $0, now + 1) } ?? (0, now + 1)
        attempt("Labels per day", .stacked) {
            let l = try StoreMetrics.labelsPerDay(db, from: labelWindow.0 == 0 ? (try db.int("SELECT coalesce(min(ts), 0) FROM labels")) : labelWindow.0, to: labelWindow.1)
            return PanelData(title: "Labels per day", kind: .stacked, x: l.days.map(dayLabel), series: l.series.map { PanelData.Series($0.0, $0.1) },
                             note: "by analysts' clock (\(range.label))")
        }
        attempt("Labels per analyst", .table) {
            let a = try StoreMetrics.labelsPerAnalyst(db, from: labelWindow.0, to: labelWindow.1)
            return PanelData(title: "Labels per analyst", kind: .table, columns: ["analyst", "per day", "labels"],
                             rows: a.map { [$0.analyst, String(format: "%.1f", $0.perDay), String($0.labels)] })
        }
        attempt("Analyst agreement", .table) {
            let g = try StoreMetrics.analystAgreement(db)
            return PanelData(title: "Analyst agreement (Cohen's kappa)", kind: .table, columns: ["analysts", "shared", "agree", "kappa"],
                             rows: g.prefix(10).map { ["\($0.a) · \($0.b)", String($0.shared), String(format: "%.0f%%", $0.agree * 100),
                                                      $0.kappa.map { String(format: "%.2f", $0) } ?? "n/a"] },
                             note: g.isEmpty ? "no account labelled by two analysts yet" : nil)
        }
        attempt("Precision per detector", .table) {
            let p = try StoreMetrics.precisionByDetector(db)
            return PanelData(title: "Precision per detector and rule (from labels)", kind: .table,
                             columns: ["detector", "found", "fraud", "legit", "precision"],
                             rows: p.map { [$0.detector, String($0.flagged), String($0.fraud), String($0.legit), $0.precision.map { String(format: "%.3f", $0) } ?? ""] })
        }
        attempt("Scores by label", .stacked) {
            let h = try StoreMetrics.scoreHistogram(db)
            // Ten bins, highest scores first: where the review capacity goes.
            let idx = Array((0..<10).reversed())
            func pair(_ v: [Double]) -> [Double] { idx.map { v[2 * $0] + v[2 * $0 + 1] } }
            return PanelData(title: "Score histogram by label", kind: .stacked,
                             x: idx.map { String(format: "%.1f–%.1f", Double($0) / 10, Double($0 + 1) / 10) },
                             series: [PanelData.Series("fraud", pair(h.fraud)), PanelData.Series("legit", pair(h.legit)),
                                      PanelData.Series("unlabelled", pair(h.unlabelled))])
        }
        attempt("Drift", .number) {
            guard let d = try StoreMetrics.scoreDrift(db) else {
                return PanelData(title: "Score drift (PSI)", kind: .number, note: "needs two detection runs")
            }
            let verdict = d.psi < 0.1 ? "stable" : d.psi < 0.25 ? "moderate shift" : "large shift — check detectors and data"
            return PanelData(title: "Score drift (PSI)", kind: .number, x: ["PSI run \(d.runA) → \(d.runB)"], series: [PanelData.Series("psi", [d.psi])],
                             note: verdict)
        }
        attempt("Alerts per detection run", .stacked) {
            let runs = try StoreMetrics.alertsPerRun(db)
            let types = Array(Set(runs.flatMap { $0.byType.keys })).sorted()
            return PanelData(title: "Flagged accounts per detection run", kind: .stacked, x: runs.map { "run \($0.run)" },
                             series: types.map { t in PanelData.Series(t, runs.map { $0.byType[t] ?? 0 }) }, note: "score ≥ \(StoreMetrics.flagThreshold), the last ten runs")
        }
        return panels
    }
}

/// Lays panels out in a grid (two columns when there is room) and draws them.
public enum DashLayout {
    public static func panelHeight(_ p: PanelData) -> Int {
        switch p.kind {
        case .number: return max(5, p.x.count + 2 + (p.note == nil ? 0 : 1))
        case .gauge: return 4
        case .table: return min(14, max(5, p.rows.count + 3))
        case .stacked, .hbars: return max(5, min(14, p.x.count + (p.kind == .stacked ? 3 : 2) + (p.note == nil ? 0 : 1)))
        default: return 12
        }
    }

    /// Rows of panels: (y offset, height, panels with x, width).
    static func layout(_ panels: [PanelData], width: Int) -> [(y: Int, height: Int, items: [(Int, Int, Int)])] {
        let cols = width >= 110 ? 2 : 1
        var out: [(Int, Int, [(Int, Int, Int)])] = []
        var y = 0
        var i = 0
        while i < panels.count {
            let group = Array(i..<min(panels.count, i + cols))
            let h = group.map { panelHeight(panels[$0]) }.max() ?? 8
            let w = width / group.count
            out.append((y, h, group.enumerated().map { (k, p) in (p, k * w, k == group.count - 1 ? width - k * w : w) }))
            y += h
            i += cols
        }
        return out
    }

    public static func totalHeight(_ panels: [PanelData], width: Int) -> Int {
        layout(panels, width: width).reduce(0) { $0 + $1.height }
    }

    public static func render(_ panels: [PanelData], into buf: Buffer, area: Rect, scroll: Int, theme: Theme) {
        let palette = (1...6).map { theme["chart.\($0)"] }
        for row in layout(panels, width: area.width) {
            let y = area.y + row.y - scroll
            guard y + row.height > area.y, y < area.maxY else { continue }
            for (p, x, w) in row.items {
                // Drawn whole, then the part inside the area shown: a panel cut by an edge
                // scrolls, it is never squashed.
                let whole = Buffer(width: w, height: row.height)
                Panel.render(panels[p], into: whole, area: whole.area, theme: theme, palette: palette)
                buf.copy(whole, to: area.x + x, y, clip: area)
            }
        }
    }
}


/// A gauge panel's row: the first number is the value (0..1), the first text its label
/// (else the value's column name); the label carries the same number as the bar, in %.
struct DashGauge {
    var value: Double?
    var label: String
    init(columns: [String], rows: [[SQLValue]]) {
        let row = rows.first ?? []
        let vi = row.indices.first { if case .text = row[$0] { return false }; return row[$0] != .null }
        value = vi.flatMap { row[$0].double }
        let name = row.indices.first { if case .text = row[$0] { return true }; return false }.flatMap { row[$0].string }
            ?? vi.map { columns[$0] } ?? columns.first ?? ""
        label = value.map { String(format: "%.0f%% ", min(1, max(0, $0)) * 100) + name } ?? name
    }
}
