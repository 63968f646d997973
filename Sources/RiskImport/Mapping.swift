import Foundation
import RiskStore
import TOMLKit

/// A mapping file that can't be used: names the file, the line and the key.
public struct MappingError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var key: String
    public var message: String
    public init(file: String, line: Int, key: String, message: String) {
        self.file = file; self.line = line; self.key = key; self.message = message
    }
    public var description: String {
        "\(file)\(line > 0 ? ":\(line)" : ""): \(key.isEmpty ? "" : key + ": ")\(message)"
    }
}

/// The shape of the files a mapping reads.
public enum SourceShape: String, Sendable, CaseIterable {
    /// Delimited text with RFC 4180 quoting (`delimiter`, default ",").
    case csv
    /// Tab-separated, quoting as CSV.
    case tsv
    /// Columns separated by runs of spaces or tabs; no quoting; leading blanks ignored.
    case whitespace
    /// One JSON object per line.
    case jsonl
    /// Free-text lines turned into rows by regular expressions with named groups.
    case lines
}

/// How a timestamp column is written.
public struct TimeSpec: Sendable, Equatable {
    public enum Form: Sendable, Equatable {
        /// RFC 3339 / ISO 8601 (`2026-03-01T12:34:56Z`, `2026-03-01 12:34:56`, `2026-03-01`); a missing offset means `timezone`.
        case iso
        /// A number of `unit`s since 1970-01-01T00:00:00Z.
        case epoch
        /// A number of `unit`s since `origin`.
        case relative
        /// A strftime-like pattern: %Y %y %m %d %e %H %M %S %f %b %p %z %j and literal text.
        case pattern(String)
    }
    public var form: Form
    /// Milliseconds per unit (s = 1000, ms = 1, us = 0.001, ns = 0.000001).
    public var msPerUnit: Double = 1000
    /// Epoch ms of the origin of relative timestamps.
    public var originMs: Int64 = 0
    /// Offset of local times from UTC, in minutes.
    public var offsetMinutes: Int = 0
    /// Year for patterns without one (syslog's `Dec 10 06:55:46`).
    public var year: Int = 1970
}

/// Where a contract field's value comes from.
public enum ValueSource: Sendable, Equatable {
    case column(String)
    /// Several columns joined (composed keys such as card1 + addr1).
    case columns([String], separator: String)
    case constant(String)
    /// `<file name>:<line>`: an id for rows that have none.
    case lineID
}

public struct FieldMapping: Sendable, Equatable {
    public var field: String
    public var source: ValueSource
    /// Value map: source value -> contract value.
    public var map: [String: String] = [:]
    /// Value for mapped values not in `map` (else they pass through).
    public var otherwise: String?
    /// Value when the source is empty.
    public var defaultValue: String?
    public var time: TimeSpec?
    /// Multiply numbers by this (e.g. cents to units).
    public var scale: Double?
    /// Line of the key in the mapping file.
    public var line: Int = 0
}

/// One regular expression of a `lines` mapping; its named groups are the row's columns.
public struct LinePattern: @unchecked Sendable {
    public var name: String
    public var regex: NSRegularExpression
    public var groups: [String]
    /// Contract fields set when this pattern matches (`type = "login"`, `status = "fail"`).
    public var constants: [String: String]
    public var line: Int
    /// The key and its line in the mapping file, for the message when a match gives up.
    public var key: String = ""
    public var regexLine: Int = 0
}

/// The label column: which value means fraud, and where the labels go.
public struct LabelSpec: Sendable, Equatable {
    public var column: String
    public var fraudValues: Set<String>
    /// Values that mean legit; empty = every other non-empty value.
    public var legitValues: Set<String>
    /// "truth" (a truth file for `eval` / benchmarks) or "labels" (analyst labels in the store).
    public var target: String
    public var line: Int
}

/// A parsed, checked mapping file.
public struct ImportMapping: @unchecked Sendable {
    public var path: String
    public var kind: ContractKind = .events
    public var shape: SourceShape = .csv
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var header = true
    public var columns: [String]?
    public var skipLines = 0
    public var commentPrefix: String?
    public var fields: [FieldMapping] = []
    /// Glob patterns (`*` and `?`) of columns kept in `extra`; nil = every unmapped column.
    public var keep: [String]?
    public var drop: [String] = []
    /// Store numeric extra values as JSON numbers (default true).
    public var extraNumbers = true
    public var label: LabelSpec?
    public var patterns: [LinePattern] = []
    /// Line of each top-level key / table, for errors found later (e.g. a column not in the header).
    var keyLines: [String: Int] = [:]

    public func line(of key: String) -> Int { keyLines[key] ?? 0 }

    public static func load(path: String) throws -> ImportMapping {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw MappingError(file: path, line: 0, key: "", message: "no such mapping file (--map takes the path of a .toml file; the shipped ones are in queries/mappings/ of the source tree)")
        }
        guard !isDir.boolValue else {
            throw MappingError(file: path, line: 0, key: "", message: "is a folder, not a mapping file (--map takes the path of a .toml file)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MappingError(file: path, line: 0, key: "", message: "cannot read the mapping file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MappingError(file: path, line: 0, key: "", message: "not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> ImportMapping {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw MappingError(file: path, line: e.source.begin.line, key: "", message: "not valid TOML: \(e.description)")
        }
        var p = MappingParser(path: path, lines: TOMLKeyLines(text))
        return try p.build(table)
    }

    /// Shell-style glob match of a column name.
    static func glob(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.unicodeScalars), s = Array(name.unicodeScalars)
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == s[si]) { pi += 1; si += 1 }
            else if pi < p.count && p[pi] == "*" { star = pi; mark = si; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; si = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    func isKept(_ column: String) -> Bool {
        if drop.contains(where: { Self.glob($0, column) }) { return false }
        guard let keep else { return true }
        return keep.contains { Self.glob($0, column) }
    }
}

/// The line of each key in a TOML text: TOMLKit keeps no positions, so they are found here
/// ("section.key" -> line; array-of-tables entries as "patterns[0].key").
struct TOMLKeyLines {
    var lines: [String: Int] = [:]
    init(_ text: String) {
        var section = ""
        var arrayCounts: [String: Int] = [:]
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[[") , let close = line.range(of: "]]") {
                let name = String(line[line.index(line.startIndex, offsetBy: 2)..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
                let i = arrayCounts[name, default: 0]
                arrayCounts[name] = i + 1
                section = "\(name)[\(i)]"
                lines[section] = n + 1
                continue
            }
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                var name = String(line[line.index(after: line.startIndex)..<close]).trimmingCharacters(in: .whitespaces)
                // A sub-table of the latest array entry: [patterns.fields] after [[patterns]].
                for (arr, count) in arrayCounts where name.hasPrefix(arr + ".") {
                    name = "\(arr)[\(count - 1)]" + name.dropFirst(arr.count)
                }
                section = name.replacingOccurrences(of: "\"", with: "")
                lines[section] = n + 1
                continue
            }
            guard let key = Self.leadingKey(line) else { continue }
            let full = section.isEmpty ? key : section + "." + key
            if lines[full] == nil { lines[full] = n + 1 }
        }
    }

    static func leadingKey(_ line: String) -> String? {
        guard let first = line.first, first != "#" else { return nil }
        if first == "\"" || first == "'" {
            let rest = line.dropFirst()
            guard let close = rest.firstIndex(of: first) else { return nil }
            let after = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
            return after.hasPrefix("=") ? String(rest[..<close]) : nil
        }
        guard let eq = line.firstIndex(of: "=") else { return nil }
        let key = line[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else { return nil }
        return key
    }

    func line(_ key: String) -> Int {
        if let l = lines[key] { return l }
        // Fall back to the enclosing table.
        var k = key
        while let dot = k.lastIndex(of: ".") {
            k = String(k[..<dot])
            if let l = lines[k] { return l }
        }
        return 0
    }
}

private struct MappingParser {
    let path: String
    let lines: TOMLKeyLines

    func fail(_ key: String, _ message: String) -> MappingError {
        MappingError(file: path, line: lines.line(key), key: key, message: message)
    }

    func string(_ v: TOMLValueConvertible?, _ key: String) throws -> String? {
        guard let v else { return nil }
        if let s = v.string { return s }
        if let i = v.int { return String(i) }
        if let d = v.double { return String(d) }
        if let b = v.bool { return b ? "true" : "false" }
        throw fail(key, "expected a string, found \(v.type)")
    }

    func stringList(_ v: TOMLValueConvertible?, _ key: String) throws -> [String]? {
        guard let v else { return nil }
        if let s = v.string { return [s] }
        guard let a = v.array else { throw fail(key, "expected a string or an array of strings, found \(v.type)") }
        return try a.map { e -> String in
            guard let s = try string(e, key) else { throw fail(key, "empty entry") }
            return s
        }
    }

    func checkKeys(_ t: TOMLTable, _ allowed: [String], _ section: String) throws {
        for k in t.keys where !allowed.contains(k) {
            let key = section.isEmpty ? k : section + "." + k
            throw fail(key, "unknown key '\(k)' (expected one of: \(allowed.joined(separator: ", ")))")
        }
    }

    mutating func build(_ t: TOMLTable) throws -> ImportMapping {
        var m = ImportMapping(path: path)
        m.keyLines = lines.lines
        try checkKeys(t, ["source", "target", "kind", "fields", "constants", "values", "time", "extra", "label", "patterns"], "")
        if let k = try string(t["kind"], "kind") ?? (t["target"]?.table).flatMap({ try? string($0["kind"], "target.kind") }) {
            guard let kind = ContractKind(rawValue: k) else { throw fail(t["kind"] != nil ? "kind" : "target.kind", "'\(k)' is not events, accounts or items") }
            m.kind = kind
        }
        if let tgt = t["target"] {
            guard let tt = tgt.table else { throw fail("target", "expected a table") }
            try checkKeys(tt, ["kind"], "target")
        }
        // [source]
        if let sv = t["source"] {
            guard let s = sv.table else { throw fail("source", "expected a table ([source])") }
            try checkKeys(s, ["format", "delimiter", "header", "columns", "skip_lines", "comment"], "source")
            if let f = try string(s["format"], "source.format") {
                guard let shape = SourceShape(rawValue: f.lowercased()) else {
                    throw fail("source.format", "'\(f)' is not one of \(SourceShape.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                m.shape = shape
            }
            if m.shape == .tsv { m.delimiter = 9 }
            if let d = try string(s["delimiter"], "source.delimiter") {
                let dd = d == "\\t" || d.lowercased() == "tab" ? "\t" : d
                guard dd.utf8.count == 1, let b = dd.utf8.first, b != UInt8(ascii: "\""), b != 10, b != 13 else {
                    throw fail("source.delimiter", "a delimiter is one character other than a quote or line break (got '\(d)')")
                }
                guard m.shape == .csv || m.shape == .tsv else { throw fail("source.delimiter", "only csv and tsv sources have a delimiter") }
                m.delimiter = b
            }
            if let h = s["header"] {
                guard let b = h.bool else { throw fail("source.header", "expected true or false") }
                m.header = b
            }
            m.columns = try stringList(s["columns"], "source.columns")
            if let n = s["skip_lines"] {
                guard let i = n.int, i >= 0 else { throw fail("source.skip_lines", "expected a whole number ≥ 0") }
                m.skipLines = i
            }
            m.commentPrefix = try string(s["comment"], "source.comment")
            if m.commentPrefix?.isEmpty == true { m.commentPrefix = nil }
        }
        if m.shape == .jsonl || m.shape == .lines { m.header = false }
        if !m.header && m.columns == nil && (m.shape == .csv || m.shape == .tsv || m.shape == .whitespace) {
            throw fail("source.header", "without a header row, name the columns: columns = [\"a\", \"b\", …]")
        }

        // [time]: defaults for every timestamp field.
        var timeDefaults: TOMLTable?
        if let tv = t["time"] {
            guard let tt = tv.table else { throw fail("time", "expected a table") }
            try checkKeys(tt, ["format", "unit", "origin", "timezone", "year"], "time")
            timeDefaults = tt
        }

        // [patterns] for lines.
        if let pv = t["patterns"] {
            guard m.shape == .lines else { throw fail("patterns", "patterns are for format = \"lines\"") }
            guard let arr = pv.array else { throw fail("patterns", "expected [[patterns]] tables") }
            for (i, e) in arr.enumerated() {
                let sec = "patterns[\(i)]"
                guard let pt = e.table else { throw fail(sec, "expected a table") }
                guard let rx = try string(pt["regex"], sec + ".regex") else { throw fail(sec, "a pattern needs regex = '…'") }
                let regex: NSRegularExpression
                do { regex = try NSRegularExpression(pattern: rx) } catch {
                    throw fail(sec + ".regex", "not a valid regular expression: \(rx)")
                }
                let groups = Self.groupNames(rx)
                if groups.isEmpty { throw fail(sec + ".regex", "has no named groups (?<name>…): nothing to map") }
                var constants: [String: String] = [:]
                for k in pt.keys where k != "regex" && k != "name" {
                    guard m.kind.fields.contains(where: { $0.name == k }) else {
                        throw fail(sec + "." + k, "'\(k)' is not a field of \(m.kind.rawValue) (a pattern sets contract fields: type = \"login\")")
                    }
                    constants[k] = try string(pt[k], sec + "." + k)
                }
                let name = try string(pt["name"], sec + ".name") ?? "pattern \(i + 1)"
                m.patterns.append(LinePattern(name: name, regex: regex, groups: groups, constants: constants, line: lines.line(sec),
                                              key: sec + ".regex", regexLine: lines.line(sec + ".regex")))
            }
        }
        if m.shape == .lines && m.patterns.isEmpty {
            throw fail("source.format", "format = \"lines\" needs at least one [[patterns]] with a regex")
        }

        // [fields], [constants], [values].
        let names = m.kind.fields.map(\.name)
        var byField: [String: FieldMapping] = [:]
        if let fv = t["fields"] {
            guard let ft = fv.table else { throw fail("fields", "expected a table ([fields])") }
            for k in ft.keys {
                let key = "fields." + k
                guard names.contains(k) else { throw fail(key, "'\(k)' is not a field of \(m.kind.rawValue) (fields: \(names.joined(separator: ", ")))") }
                var fm = try field(k, ft[k]!, key: key, timeDefaults: timeDefaults, kind: m.kind)
                fm.line = lines.line(key)
                byField[k] = fm
            }
        }
        if let cv = t["constants"] {
            guard let ct = cv.table else { throw fail("constants", "expected a table ([constants])") }
            for k in ct.keys {
                let key = "constants." + k
                guard names.contains(k) else { throw fail(key, "'\(k)' is not a field of \(m.kind.rawValue)") }
                if byField[k] != nil { throw fail(key, "'\(k)' is mapped in [fields] too") }
                byField[k] = FieldMapping(field: k, source: .constant(try string(ct[k], key) ?? ""), line: lines.line(key))
            }
        }
        if let vv = t["values"] {
            guard let vt = vv.table else { throw fail("values", "expected a table ([values.FIELD])") }
            for k in vt.keys {
                let key = "values." + k
                guard byField[k] != nil else { throw fail(key, "value map for '\(k)', which [fields] does not map") }
                guard let mt = vt[k]?.table else { throw fail(key, "expected a table of \"source value\" = \"value\"") }
                for (from, to) in mt { byField[k]!.map[from] = try string(to, key) }
            }
        }
        // Every field takes its time spec from [time] unless it says otherwise.
        for f in m.kind.fields where f.type == .timestamp {
            if var fm = byField[f.name], fm.time == nil, case .column = fm.source {
                fm.time = try timeSpec(timeDefaults, key: "time", base: nil)
                byField[f.name] = fm
            } else if var fm = byField[f.name], fm.time == nil, case .columns = fm.source {
                fm.time = try timeSpec(timeDefaults, key: "time", base: nil)
                byField[f.name] = fm
            }
        }
        if m.kind == .events && byField["event_id"] == nil { byField["event_id"] = FieldMapping(field: "event_id", source: .lineID) }
        for f in m.kind.fields where f.required && byField[f.name] == nil {
            let inPatterns = !m.patterns.isEmpty && m.patterns.allSatisfy { $0.constants[f.name] != nil }
            if !inPatterns { throw fail("fields", "no mapping for required field \(f.name) (add \(f.name) = \"COLUMN\" under [fields])") }
        }
        m.fields = names.compactMap { byField[$0] }

        // [extra]
        if let ev = t["extra"] {
            guard let et = ev.table else { throw fail("extra", "expected a table ([extra])") }
            try checkKeys(et, ["keep", "drop", "numbers"], "extra")
            m.keep = try stringList(et["keep"], "extra.keep")
            m.drop = try stringList(et["drop"], "extra.drop") ?? []
            if let n = et["numbers"] {
                guard let b = n.bool else { throw fail("extra.numbers", "expected true or false") }
                m.extraNumbers = b
            }
        }
        // [label]
        if let lv = t["label"] {
            guard let lt = lv.table else { throw fail("label", "expected a table ([label])") }
            try checkKeys(lt, ["column", "fraud", "legit", "as"], "label")
            guard let col = try string(lt["column"], "label.column") else { throw fail("label", "needs column = \"NAME\"") }
            guard let fraud = try stringList(lt["fraud"], "label.fraud"), !fraud.isEmpty else {
                throw fail("label", "say which value means fraud: fraud = \"1\"")
            }
            let legit = try stringList(lt["legit"], "label.legit") ?? []
            let target = try string(lt["as"], "label.as") ?? "truth"
            guard target == "truth" || target == "labels" else { throw fail("label.as", "'\(target)' is not truth or labels") }
            m.label = LabelSpec(column: col, fraudValues: Set(fraud), legitValues: Set(legit), target: target, line: lines.line("label.column"))
        }
        return m
    }

    /// `field = "COL"`, `["A", "B"]` or `{ column = …, map = {…}, … }`.
    func field(_ name: String, _ v: TOMLValueConvertible, key: String, timeDefaults: TOMLTable?, kind: ContractKind) throws -> FieldMapping {
        let isTime = kind.fields.first { $0.name == name }?.type == .timestamp
        if let s = v.string { return FieldMapping(field: name, source: .column(s)) }
        if let a = v.array {
            let cols = try stringList(a, key)!
            guard !cols.isEmpty else { throw fail(key, "an empty list of columns") }
            return FieldMapping(field: name, source: .columns(cols, separator: ":"))
        }
        guard let t = v.table else { throw fail(key, "expected a column name, a list of columns or an inline table, found \(v.type)") }
        try checkKeys(t, ["column", "columns", "separator", "value", "map", "else", "default", "format", "unit", "origin", "timezone", "year", "scale"], key)
        var fm: FieldMapping
        let sep = try string(t["separator"], key + ".separator") ?? ":"
        if let c = t["column"] {
            guard let s = try string(c, key + ".column") else { throw fail(key, "empty column") }
            fm = FieldMapping(field: name, source: .column(s))
        } else if let cs = try stringList(t["columns"], key + ".columns") {
            guard !cs.isEmpty else { throw fail(key + ".columns", "an empty list of columns") }
            fm = FieldMapping(field: name, source: cs.count == 1 ? .column(cs[0]) : .columns(cs, separator: sep))
        } else if let c = try string(t["value"], key + ".value") {
            fm = FieldMapping(field: name, source: .constant(c))
        } else {
            throw fail(key, "say where the value comes from: column = \"NAME\", columns = [\"A\", \"B\"] or value = \"CONSTANT\"")
        }
        if let mv = t["map"] {
            guard let mt = mv.table else { throw fail(key + ".map", "expected an inline table { \"source value\" = \"value\" }") }
            for (from, to) in mt { fm.map[from] = try string(to, key + ".map") }
        }
        fm.otherwise = try string(t["else"], key + ".else")
        fm.defaultValue = try string(t["default"], key + ".default")
        if let s = t["scale"] {
            guard let d = s.double ?? s.int.map(Double.init) else { throw fail(key + ".scale", "expected a number") }
            fm.scale = d
        }
        let hasTimeKeys = ["format", "unit", "origin", "timezone", "year"].contains { t[$0] != nil }
        if hasTimeKeys {
            guard isTime else { throw fail(key, "format/unit/origin/timezone apply to timestamp fields only") }
            fm.time = try timeSpec(t, key: key, base: timeDefaults)
        }
        return fm
    }

    func timeSpec(_ t: TOMLTable?, key: String, base: TOMLTable?) throws -> TimeSpec {
        func get(_ k: String) -> (TOMLValueConvertible, String)? {
            if let v = t?[k] { return (v, key + "." + k) }
            if let v = base?[k] { return (v, "time." + k) }
            return nil
        }
        var spec = TimeSpec(form: .iso)
        if let (v, k) = get("format") {
            let f = try string(v, k) ?? "iso"
            switch f.lowercased() {
            case "iso", "rfc3339", "iso8601": spec.form = .iso
            case "epoch", "unix": spec.form = .epoch
            case "relative", "offset": spec.form = .relative
            default:
                guard f.contains("%") else { throw fail(k, "'\(f)' is not iso, epoch, relative or a %-pattern such as \"%Y%m%d\"") }
                if let bad = TimePattern.check(f) { throw fail(k, bad) }
                spec.form = .pattern(f)
            }
        }
        if let (v, k) = get("unit") {
            switch (try string(v, k) ?? "").lowercased() {
            case "s", "sec", "seconds": spec.msPerUnit = 1000
            case "ms", "milliseconds": spec.msPerUnit = 1
            case "us", "µs", "microseconds": spec.msPerUnit = 0.001
            case "ns", "nanoseconds": spec.msPerUnit = 0.000_001
            case "min", "minutes": spec.msPerUnit = 60_000
            case "h", "hours": spec.msPerUnit = 3_600_000
            case "d", "days": spec.msPerUnit = 86_400_000
            case let u: throw fail(k, "unknown unit '\(u)' (s, ms, us, ns, min, h or d)")
            }
        } else if spec.form == .epoch {
            spec.msPerUnit = 1000
        }
        if let (v, k) = get("timezone") {
            let z = try string(v, k) ?? ""
            guard let off = TimePattern.offsetMinutes(z) else { throw fail(k, "'\(z)' is not UTC or an offset such as +08:00") }
            spec.offsetMinutes = off
        }
        if let (v, k) = get("origin") {
            guard spec.form == .relative else { throw fail(k, "origin is for format = \"relative\"") }
            let o = try string(v, k) ?? ""
            guard let ms = TimePattern.parseISO(Array(o.utf8), offsetMinutes: spec.offsetMinutes) else {
                throw fail(k, "'\(o)' is not an ISO date or date-time")
            }
            spec.originMs = ms
        } else if spec.form == .relative {
            throw fail(key, "format = \"relative\" needs origin = \"YYYY-MM-DDTHH:MM:SSZ\"")
        }
        if let (v, k) = get("year") {
            guard let y = v.int, (1...9999).contains(y) else { throw fail(k, "expected a year") }
            spec.year = y
        }
        return spec
    }

    /// Names of `(?<name>…)` groups, in order.
    static func groupNames(_ rx: String) -> [String] {
        var out: [String] = []
        let s = Array(rx.utf8)
        var i = 0
        while i + 3 < s.count {
            if s[i] == UInt8(ascii: "\\") { i += 2; continue }
            if s[i] == UInt8(ascii: "("), s[i + 1] == UInt8(ascii: "?"), s[i + 2] == UInt8(ascii: "<"),
               s[i + 3] != UInt8(ascii: "="), s[i + 3] != UInt8(ascii: "!") {
                var j = i + 3
                while j < s.count, s[j] != UInt8(ascii: ">") { j += 1 }
                out.append(String(decoding: s[(i + 3)..<j], as: UTF8.self))
                i = j
            }
            i += 1
        }
        return out
    }
}
