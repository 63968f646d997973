import Foundation

/// Streams a statement's rows as an aligned table, CSV (RFC 4180) or JSON, writing the
/// header / keys once and never holding the whole result.
public enum ResultFormat: String, CaseIterable, Sendable {
    case table, csv, json, jsonl
}

public final class ResultWriter {
    let format: ResultFormat
    let out: (String) -> Void
    /// Rows sampled to size table columns before streaming the rest.
    let sampleRows: Int
    let maxColumnWidth: Int

    public init(format: ResultFormat, sampleRows: Int = 200, maxColumnWidth: Int = 60, out: @escaping (String) -> Void) {
        self.format = format
        self.out = out
        self.sampleRows = sampleRows
        self.maxColumnWidth = maxColumnWidth
    }

    /// Writes every row; returns how many.
    @discardableResult
    public func write(_ st: Statement, shouldStop: () -> Bool = { false }) throws -> Int {
        begin(st.columnNames)
        var n = 0
        while try st.step() {
            // The table's sample rows size its columns and are written whatever happens.
            if n >= sampleRows || format != .table, shouldStop() { break }
            row(st.row())
            n += 1
        }
        return end()
    }

    /// Streams a statement's result from either store; nil when the statement returns no
    /// rows (then nothing is written and `changed` says how many rows it changed).
    public func write(_ db: SQLDatabase, _ sql: String, _ args: [SQLValue] = [], changed: ((Int) -> Void)? = nil,
                      shouldStop: () -> Bool = { false }) throws -> Int? {
        var begun = false
        var n = 0
        let c = try db.stream(sql, args, columns: { begin($0); begun = true }) { r in
            if n >= sampleRows || format != .table, shouldStop() { return false }
            row(r.row())
            n += 1
            return true
        }
        guard begun else { changed?(c); return nil }
        return end()
    }

    // Push-based writing: `begin` with the column names, `row` for each, `end` returns the count.
    private var names: [String] = []
    private var count = 0
    private var buffered: [[String]] = []
    private var flushed = false
    private var numeric: [Bool] = []
    private var seenValue: [Bool] = []
    private var widths: [Int] = []

    public func begin(_ columns: [String]) {
        names = columns
        count = 0
        buffered = []
        flushed = false
        numeric = Array(repeating: true, count: names.count)
        seenValue = Array(repeating: false, count: names.count)
        switch format {
        case .csv: out(names.map(Self.csvField).joined(separator: ",") + "\n")
        case .json: out("{\"columns\":[" + names.map(Self.jsonString).joined(separator: ",") + "],\"rows\":[")
        case .jsonl, .table: break
        }
    }

    public func row(_ v: [SQLValue]) {
        switch format {
        case .csv:
            out((0..<names.count).map { Self.csvField(Self.plain(v[$0])) }.joined(separator: ",") + "\n")
        case .json:
            out((count == 0 ? "\n" : ",\n") + "[" + (0..<names.count).map { Self.json(v[$0]) }.joined(separator: ",") + "]")
        case .jsonl:
            out("{" + (0..<names.count).map { Self.jsonString(names[$0]) + ":" + Self.json(v[$0]) }.joined(separator: ",") + "}\n")
        case .table:
            if flushed {
                out(tableLine((0..<names.count).map { Self.cell(v[$0]) }))
            } else {
                // Numbers are right-aligned: a column is numeric when every sampled value is.
                buffered.append((0..<names.count).map { i in
                    switch v[i] {
                    case .int, .double: seenValue[i] = true
                    case .null: break
                    default: numeric[i] = false
                    }
                    return Self.cell(v[i])
                })
                if buffered.count >= sampleRows { flushTable() }
            }
        }
        count += 1
    }

    @discardableResult
    public func end() -> Int {
        switch format {
        case .json: out("\n]}\n")
        case .table:
            if !flushed { flushTable() }
            out("(\(count) row\(count == 1 ? "" : "s"))\n")
        case .csv, .jsonl: break
        }
        return count
    }

    private func flushTable() {
        for i in numeric.indices where !seenValue[i] { numeric[i] = false }
        let shown = names.map { TerminalText.sanitize($0) }
        widths = shown.map { DisplayWidth.of($0) }
        for r in buffered { for (i, c) in r.enumerated() { widths[i] = max(widths[i], DisplayWidth.of(c)) } }
        widths = widths.map { min($0, maxColumnWidth) }
        out(tableLine(shown))
        out(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n")
        for r in buffered { out(tableLine(r)) }
        buffered = []
        flushed = true
    }

    private func tableLine(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            let t = DisplayWidth.truncate(c, to: widths[i])
            return numeric[i] ? String(repeating: " ", count: max(0, widths[i] - DisplayWidth.of(t))) + t
                              : DisplayWidth.pad(t, to: widths[i])
        }
        .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
    }

    static func plain(_ v: SQLValue) -> String {
        switch v {
        case .null: return ""
        default: return v.description
        }
    }

    static func cell(_ v: SQLValue) -> String {
        switch v {
        case .null: return "NULL"
        case .text(let s): return TerminalText.sanitize(s)
        default: return v.description
        }
    }

    /// One CSV cell, RFC 4180-quoted and safe to open in a spreadsheet (`SpreadsheetSafe`).
    public static func csvField(_ s: String) -> String {
        let s = SpreadsheetSafe.cell(s)
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// A JSON string literal. `alsoEscape` names scalars written as `\uXXXX` beyond the control
    /// characters (a TOML basic string, the same escapes, also escapes DEL, C1 and line separators).
    public static func jsonString(_ s: String) -> String { jsonString(s, alsoEscape: { _ in false }) }

    public static func jsonString(_ s: String, alsoEscape: (Unicode.Scalar) -> Bool) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || alsoEscape(u) { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    static func json(_ v: SQLValue) -> String {
        switch v {
        case .null: return "null"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .text(let s): return jsonString(s)
        case .blob: return jsonString(v.description)
        }
    }
}

/// CSV cells a spreadsheet would read as a formula (CSV injection, OWASP): a cell that begins
/// with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms `＝＋－＠`, which
/// some spreadsheets also take as a formula) gets a leading `'`, so it is shown as the text it
/// is. A plain decimal number (`-12.5`, `+3`, `1e-3`) is left as it is and stays a number.
/// A cell that already begins with `'` followed by one of those characters (or by another `'`)
/// also gets one, so the escape can be undone without ambiguity (`unescape`, used by riskdesk's
/// own CSV readers: label files, truth files).
public enum SpreadsheetSafe {
    static func isTrigger(_ u: Unicode.Scalar) -> Bool {
        switch u {
        case "=", "+", "-", "@", "\t", "\r", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}": return true
        default: return false
        }
    }

    /// A plain decimal number: an optional sign, digits with at most one point, an optional exponent.
    static func isNumber(_ s: String) -> Bool {
        var it = s.utf8.makeIterator()
        var c = it.next()
        if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
        var digits = 0, point = false
        while let d = c {
            if d >= 48 && d <= 57 { digits += 1 } else if d == UInt8(ascii: "."), !point { point = true } else { break }
            c = it.next()
        }
        guard digits > 0 else { return false }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            c = it.next()
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
            var exp = 0
            while let d = c, d >= 48 && d <= 57 { exp += 1; c = it.next() }
            guard exp > 0 else { return false }
        }
        return c == nil
    }

    /// The cell as a spreadsheet will show it: prefixed with `'` when it would be read as a formula.
    public static func cell(_ s: String) -> String {
        var u = s.unicodeScalars.makeIterator()
        guard let first = u.next() else { return s }
        if isTrigger(first) { return isNumber(s) ? s : "'" + s }
        if first == "'", let second = u.next(), second == "'" || isTrigger(second) { return "'" + s }
        return s
    }

    /// Undoes `cell`: drops the `'` it added (a `'` followed by a formula character or another `'`).
    public static func unescape(_ s: String) -> String {
        var u = s.unicodeScalars.makeIterator()
        guard u.next() == "'", let second = u.next(), second == "'" || isTrigger(second) else { return s }
        return String(s.unicodeScalars.dropFirst())
    }
}

/// Terminal display width of text (East Asian wide characters and emoji take two columns).
public enum DisplayWidth {
    public static func of(_ s: String) -> Int { s.unicodeScalars.reduce(0) { $0 + width($1) } }

    public static func width(_ u: Unicode.Scalar) -> Int {
        let v = u.value
        if v == 0 { return 0 }
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        // Combining marks and zero-width joiners / variation selectors.
        if (0x0300...0x036F).contains(v) || (0x200B...0x200F).contains(v) || (0xFE00...0xFE0F).contains(v)
            || (0x0E31 == v) || (0x0E34...0x0E3A).contains(v) || (0x0E47...0x0E4E).contains(v) || v == 0x20E3 { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x1F900...0x1F9FF).contains(v) || (0x1F680...0x1F6FF).contains(v) || (0x1FA70...0x1FAFF).contains(v)
            || (0x20000...0x3FFFD).contains(v) || (0x2600...0x26FF).contains(v) && u.properties.isEmojiPresentation {
            return 2
        }
        return 1
    }

    /// Cuts to `width` columns, ending with "…" when something was cut.
    public static func truncate(_ s: String, to width: Int) -> String {
        if of(s) <= width { return s }
        if width <= 0 { return "" }
        var out = String.UnicodeScalarView()
        var w = 0
        for u in s.unicodeScalars {
            let cw = self.width(u)
            if w + cw > width - 1 { break }
            out.append(u)
            w += cw
        }
        return String(out) + "…"
    }

    public static func pad(_ s: String, to width: Int) -> String {
        let w = of(s)
        return w >= width ? s : s + String(repeating: " ", count: width - w)
    }
}
