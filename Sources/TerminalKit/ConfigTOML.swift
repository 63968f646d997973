import Foundation
@_implementationOnly import TOMLKit   // not re-exported: its literal-convertible types would leak into every client's type checking

/// An error in a settings or theme file, naming the file and line.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let message: String
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    public init(file: String, line: Int, message: String) { self.file = file; self.line = line; self.message = message }
}

/// Settings and theme files, read by a real TOML parser (TOMLKit, i.e. toml++) and handed
/// back flattened: `[sla] ato = 4` is the key `sla.ato`, each with the line it is set on, so
/// every error (bad syntax, a wrong type, an unknown key) names the file and the line.
public enum ConfigTOML {
    public indirect enum Value: Equatable, Sendable {
        case string(String), int(Int), double(Double), bool(Bool), array([Value])
        /// Dates, times, and tables inside arrays: kept as their TOML text, for messages.
        case other(type: String, text: String)

        public var string: String? { if case .string(let s) = self { return s }; return nil }
        /// A number of either kind.
        public var number: Double? {
            switch self {
            case .int(let i): return Double(i)
            case .double(let d): return d
            default: return nil
            }
        }
        /// "a string", "an integer", … for messages.
        public var typeName: String {
            switch self {
            case .string: return "a string"
            case .int: return "an integer"
            case .double: return "a number"
            case .bool: return "true or false"
            case .array: return "an array"
            case .other(let t, _): return "a \(t)"
            }
        }
    }

    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: Value
        public var line: Int
    }

    /// Settings and themes are a few kB; a larger file is refused before parsing.
    public static let maxBytes = 1 << 20
    /// Keys nested deeper than this are refused (nobody writes them; they only cost stack).
    public static let maxDepth = 32

    /// Parses `text` (the contents of `file`); entries come in file order.
    public static func parse(_ text: String, file: String) throws -> [Entry] {
        let bytes = text.utf8.count
        guard bytes <= maxBytes else {
            throw ConfigError(file: file, line: 0, message: "too large (\(bytes) bytes; a settings or theme file is at most \(maxBytes))")
        }
        if let nul = text.firstIndex(of: "\0") {
            throw ConfigError(file: file, line: text[..<nul].filter { $0 == "\n" }.count + 1, message: "NUL byte: not a text file")
        }
        let lines = try keyLines(text, file: file)
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ConfigError(file: file, line: e.source.begin.line, message: e.description)
        }
        var out: [Entry] = []
        flatten(table, path: [], lines: lines, into: &out)
        return out.sorted { ($0.line, $0.key) < ($1.line, $1.key) }
    }

    static func flatten(_ t: TOMLTable, path: [String], lines: [String: Int], into out: inout [Entry]) {
        for (k, v) in t {
            let p = path + [k]
            if v.type == .table, let sub = v.table {
                flatten(sub, path: p, lines: lines, into: &out)
            } else {
                out.append(Entry(key: p.joined(separator: "."), value: value(v), line: line(p, lines)))
            }
        }
    }

    static func value(_ v: TOMLValueConvertible) -> Value {
        switch v.type {
        case .string: return .string(v.string ?? "")
        case .int: return .int(v.int ?? 0)
        case .double: return .double(v.double ?? 0)
        case .bool: return .bool(v.bool ?? false)
        case .array: return .array((v.array.map { Array($0) } ?? []).map { value($0) })
        case .table: return .other(type: "table", text: "{…}")
        case .date: return .other(type: "date", text: "\(v)")
        case .time: return .other(type: "time", text: "\(v)")
        case .dateTime: return .other(type: "date-time", text: "\(v)")
        }
    }

    /// The line a key path is set on: its own line, else the nearest enclosing table's.
    static func line(_ path: [String], _ lines: [String: Int]) -> Int {
        var p = path
        while !p.isEmpty {
            if let n = lines[p.joined(separator: "\u{1}")] { return n }
            p.removeLast()
        }
        return 0
    }

    /// Where each key and table header first appears. A light scan beside the real parser
    /// (TOMLKit reports no positions for values); it also refuses absurdly nested keys.
    static func keyLines(_ text: String, file: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        var table: [String] = []
        var multiline: String?      // inside a """ or ''' string
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = i + 1
            var s = Substring(raw)
            if let d = multiline {
                guard let r = s.range(of: d) else { continue }
                _ = r
                multiline = nil
                continue
            }
            s = s.drop { $0 == " " || $0 == "\t" }
            guard let first = s.first, first != "#", first != "\r" else { continue }
            func record(_ keys: [String]) throws {
                guard keys.count + (first == "[" ? 0 : table.count) <= maxDepth else {
                    throw ConfigError(file: file, line: n, message: "keys nested more than \(maxDepth) deep")
                }
                let full = first == "[" ? keys : table + keys
                for k in 1...max(1, full.count) where !full.isEmpty {
                    let key = full.prefix(k).joined(separator: "\u{1}")
                    if out[key] == nil { out[key] = n }
                }
            }
            if first == "[" {
                let double = s.hasPrefix("[[")
                var rest = s.dropFirst(double ? 2 : 1)
                guard let keys = parseKeys(&rest), rest.first == "]" else { continue }
                try record(keys)
                table = keys
                continue
            }
            var rest = s
            guard let keys = parseKeys(&rest), rest.first == "=" else { continue }
            try record(keys)
            let value = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            for d in ["\"\"\"", "'''"] where value.hasPrefix(d) {
                if value.dropFirst(3).range(of: d) == nil { multiline = d }
            }
        }
        return out
    }

    /// Reads `a.b."c.d"` and the blanks after it; nil when the text isn't a key.
    static func parseKeys(_ s: inout Substring) -> [String]? {
        var keys: [String] = []
        func blanks() { s = s.drop { $0 == " " || $0 == "\t" } }
        while true {
            blanks()
            guard let c = s.first else { return nil }
            if c == "\"" || c == "'" {
                var k = ""
                var i = s.index(after: s.startIndex)
                var closed = false
                while i < s.endIndex {
                    let ch = s[i]
                    if ch == "\\" && c == "\"" {
                        i = s.index(after: i)
                        if i < s.endIndex { k.append(s[i]) }
                    } else if ch == c { closed = true; break } else { k.append(ch) }
                    if i < s.endIndex { i = s.index(after: i) }
                }
                guard closed else { return nil }
                keys.append(k)
                s = s[s.index(after: i)...]
            } else {
                let k = s.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
                guard !k.isEmpty else { return nil }
                keys.append(String(k))
                s = s.dropFirst(k.count)
            }
            blanks()
            guard s.first == "." else { return keys }
            s = s.dropFirst()
        }
    }
}
