import CLibPQ
import Foundation

// One SQL interface over both backends: SQLite's `Database` and PostgreSQL's `PGConnection`.
// The typed queries (Queries.swift, DetectionResults.swift, StoreMetrics, the rule runner)
// are written once against `SQLDatabase` in portable SQL; `dialect` covers the few true
// differences. Nothing above RiskStore needs to know which backend it talks to, except
// the SQL console, which speaks the backend's own dialect and says which.
//
// Placeholders are written `?` (or `?N`) on both: PGConnection numbers them `$N` outside
// string literals, quoted identifiers and comments before sending. Values come back the
// same way from both: integers (and booleans, 0 / 1) as `.int`, floating point and numeric
// as `.double`, text as `.text`, bytes as `.blob`, NULL as `.null`.

/// The SQL a backend speaks.
public enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgresql

    /// For the console's title and messages: "SQLite", "PostgreSQL".
    public var displayName: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    /// `expr` contains `needle` (both text; exact, not a pattern).
    public func contains(_ expr: String, _ needle: String) -> String {
        self == .sqlite ? "instr(\(expr), \(needle)) > 0" : "strpos(\(expr), \(needle)) > 0"
    }

    /// Values of `expr` joined by `separator` (a SQL string literal, e.g. `','`).
    public func stringAgg(_ expr: String, _ separator: String) -> String {
        self == .sqlite ? "group_concat(\(expr), \(separator))" : "string_agg(CAST(\(expr) AS text), \(separator))"
    }

    /// The text at `key` of a JSON object held as text in `expr`.
    public func jsonText(_ expr: String, _ key: String) -> String {
        self == .sqlite ? "json_extract(\(expr), '$.\(key)')" : "(CAST(\(expr) AS jsonb) ->> '\(key)')"
    }

    /// The smaller / larger of two values (SQLite's scalar min / max; PostgreSQL's least / greatest).
    public func least(_ a: String, _ b: String) -> String { self == .sqlite ? "min(\(a), \(b))" : "least(\(a), \(b))" }
    public func greatest(_ a: String, _ b: String) -> String { self == .sqlite ? "max(\(a), \(b))" : "greatest(\(a), \(b))" }

    /// A number truncated towards zero to an integer (PostgreSQL's CAST rounds).
    public func truncInt(_ expr: String) -> String {
        self == .sqlite ? "CAST(\(expr) AS INTEGER)" : "CAST(trunc(\(expr)) AS bigint)"
    }

    /// Epoch milliseconds as ISO-8601 UTC text (`2026-10-26T07:16:45.000Z`).
    public func isoTime(_ ms: String) -> String {
        self == .sqlite
            ? "strftime('%Y-%m-%dT%H:%M:%fZ', \(ms) / 1000.0, 'unixepoch')"
            : "to_char(to_timestamp(\(ms) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    /// Epoch milliseconds truncated to the start of its UTC bucket of `bucketMs` (integer division).
    public func timeBucket(_ ms: String, _ bucketMs: Int64) -> String { "(\(ms) / \(bucketMs)) * \(bucketMs)" }
}

/// One row while a result streams by (`SQLDatabase.each`). Valid only inside the callback.
public protocol SQLRow {
    var columnCount: Int { get }
    func columnName(_ i: Int) -> String
    func value(_ i: Int) -> SQLValue
    func text(_ i: Int) -> String?
    func int(_ i: Int) -> Int64
    func double(_ i: Int) -> Double
    func isNull(_ i: Int) -> Bool
}

extension SQLRow {
    public func optionalInt(_ i: Int) -> Int64? { isNull(i) ? nil : int(i) }
    public func optionalDouble(_ i: Int) -> Double? { isNull(i) ? nil : double(i) }
    public func row() -> [SQLValue] { (0..<columnCount).map(value) }
    public var columnNames: [String] { (0..<columnCount).map(columnName) }
}

/// A connection to a store's database, whichever backend. Not thread-safe (one per thread),
/// except `interrupt()`, which any thread may call.
public protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }
    /// All rows of a query (small results; stream big ones with `each`).
    func rows(_ sql: String, _ args: [SQLValue]) throws -> [[SQLValue]]
    /// The first column of the first row (NULL when there is none).
    func scalar(_ sql: String, _ args: [SQLValue]) throws -> SQLValue
    func int(_ sql: String, _ args: [SQLValue]) throws -> Int64
    /// Runs one statement; returns how many rows it changed.
    @discardableResult func run(_ sql: String, _ args: [SQLValue]) throws -> Int
    /// Runs a script of statements with no parameters.
    func exec(_ sql: String) throws
    /// Streams a result row by row (SQLite: stepping; PostgreSQL: single-row mode, no
    /// whole-result buffering). `body` returns false to stop early.
    func each(_ sql: String, _ args: [SQLValue], _ body: (SQLRow) throws -> Bool) throws
    /// `each` for free SQL (consoles, `riskdesk query`, exports): `columns` gets the result's
    /// column names first (also for an empty result; not for a statement without rows).
    /// Returns how many rows a statement without a result changed (0 for a query).
    @discardableResult
    func stream(_ sql: String, _ args: [SQLValue], columns: ([String]) throws -> Void, _ body: (SQLRow) throws -> Bool) throws -> Int
    /// Runs `body` in a write transaction; commits when it returns, rolls back when it throws.
    func inTransaction<T>(_ body: () throws -> T) throws -> T
    /// Asks the statement running on this connection to stop (from any thread).
    func interrupt()
}

extension SQLDatabase {
    public func rows(_ sql: String) throws -> [[SQLValue]] { try rows(sql, []) }
    public func scalar(_ sql: String) throws -> SQLValue { try scalar(sql, []) }
    public func int(_ sql: String) throws -> Int64 { try int(sql, []) }
    @discardableResult public func run(_ sql: String) throws -> Int { try run(sql, []) }
    public func each(_ sql: String, _ body: (SQLRow) throws -> Bool) throws { try each(sql, [], body) }

    /// True when the store has this table or view.
    public func hasTable(_ name: String) throws -> Bool {
        dialect == .sqlite
            ? try int("SELECT count(*) FROM sqlite_schema WHERE name = ?", [.text(name)]) > 0
            : try int("SELECT CASE WHEN to_regclass(CAST(? AS text)) IS NULL THEN 0 ELSE 1 END", [.text(name)]) > 0
    }

    /// Every row through `body` (no early stop).
    public func forEach(_ sql: String, _ args: [SQLValue] = [], _ body: (SQLRow) throws -> Void) throws {
        try each(sql, args) { try body($0); return true }
    }

    /// The column names and all rows of a query.
    public func table(_ sql: String, _ args: [SQLValue] = []) throws -> (columns: [String], rows: [[SQLValue]]) {
        var columns: [String]?
        var out: [[SQLValue]] = []
        try each(sql, args) { r in
            if columns == nil { columns = r.columnNames }
            out.append(r.row())
            return true
        }
        return (columns ?? [], out)
    }
}

// MARK: - SQLite

extension Statement: SQLRow {}

extension Database: SQLDatabase {
    public var dialect: SQLDialect { .sqlite }

    public func each(_ sql: String, _ args: [SQLValue], _ body: (SQLRow) throws -> Bool) throws {
        let st = try prepare(sql)
        try st.bind(args)
        while try st.step() {
            if try !body(st) { break }
        }
        st.reset()
    }

    public func stream(_ sql: String, _ args: [SQLValue], columns: ([String]) throws -> Void, _ body: (SQLRow) throws -> Bool) throws -> Int {
        let st = try prepare(sql)
        try st.bind(args)
        if st.columnCount == 0 {
            try st.step()
            return changes
        }
        try columns(st.columnNames)
        while try st.step() {
            if try !body(st) { break }
        }
        st.reset()
        return 0
    }

    public func inTransaction<T>(_ body: () throws -> T) throws -> T { try transaction("IMMEDIATE", body) }
}

// MARK: - PostgreSQL

extension PGConnection: SQLDatabase {
    public var dialect: SQLDialect { .postgresql }

    public func interrupt() { cancel() }

    public func inTransaction<T>(_ body: () throws -> T) throws -> T { try transaction("BEGIN", body) }

    /// Streams in libpq's single-row mode: one round trip, one row in memory at a time.
    public func each(_ sql: String, _ args: [SQLValue], _ body: (SQLRow) throws -> Bool) throws {
        try stream(sql, args, columns: { _ in }, body)
    }

    @discardableResult
    public func stream(_ sql: String, _ args: [SQLValue], columns: ([String]) throws -> Void, _ body: (SQLRow) throws -> Bool) throws -> Int {
        try sendParams(sql, args)
        var changed = 0
        var named = false
        if PQsetSingleRowMode(conn) != 1 { /* already started: results come whole, still correct */ }
        var stop = false
        var failure: Error?
        var serverError: PGError?
        while let r = PQgetResult(conn) {
            defer { PQclear(r) }
            let status = PQresultStatus(r)
            if status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK {
                guard !stop, failure == nil else { continue }
                let row = PGResultRow(result: r)
                if !named {
                    named = true
                    do { try columns(row.columnNames) } catch { failure = error; stop = true; cancel(); continue }
                }
                for i in 0..<Int32(PQntuples(r)) {
                    row.index = i
                    do {
                        if try !body(row) { stop = true; cancel(); break }
                    } catch { failure = error; stop = true; cancel(); break }
                }
            } else if status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY {
                changed += Int(String(cString: PQcmdTuples(r))) ?? 0
            } else if serverError == nil {
                serverError = pgError(of: r)
            }
        }
        if let failure { throw failure }
        if let serverError, !(stop && serverError.isCancelled) { throw serverError }
        return changed
    }
}

/// A row of a PostgreSQL result, read in place (text format, typed by the column's type).
final class PGResultRow: SQLRow {
    let result: OpaquePointer
    var index: Int32 = 0
    private let types: [Oid]
    init(result: OpaquePointer) {
        self.result = result
        types = (0..<PQnfields(result)).map { PQftype(result, $0) }
    }
    var columnCount: Int { types.count }
    func columnName(_ i: Int) -> String { String(cString: PQfname(result, Int32(i))) }
    func isNull(_ i: Int) -> Bool { PQgetisnull(result, index, Int32(i)) == 1 }
    func value(_ i: Int) -> SQLValue {
        if isNull(i) { return .null }
        return PGConnection.value(PQgetvalue(result, index, Int32(i))!, Int(PQgetlength(result, index, Int32(i))), type: types[i])
    }
    func text(_ i: Int) -> String? {
        if isNull(i) { return nil }
        switch types[i] {
        case 16: return value(i).description
        case 17, 700, 701, 1700: return value(i).description
        default:
            let p = PQgetvalue(result, index, Int32(i))!
            let n = Int(PQgetlength(result, index, Int32(i)))
            return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
        }
    }
    func int(_ i: Int) -> Int64 {
        if isNull(i) { return 0 }
        let p = PQgetvalue(result, index, Int32(i))!
        if types[i] == 16 { return p.pointee == CChar(UInt8(ascii: "t")) ? 1 : 0 }
        var end: UnsafeMutablePointer<CChar>?
        let v = strtoll(p, &end, 10)
        if let end, end.pointee == 0 { return v }
        let d = strtod(p, nil)                 // numeric or float text: truncated, as SQLite reads a REAL as an integer
        return d.isFinite && abs(d) < 9.2e18 ? Int64(d) : 0
    }
    func double(_ i: Int) -> Double {
        if isNull(i) { return 0 }
        if types[i] == 16 { return Double(int(i)) }
        return strtod(PQgetvalue(result, index, Int32(i))!, nil)
    }
}

extension PGConnection {
    /// A script's statements, split at `;` outside literals, quoted identifiers, dollar-quoted
    /// bodies and comments; blank ones dropped.
    public static func statements(_ sql: String) -> [String] {
        var out: [String] = []
        var current: [UInt8] = []
        scan(sql) { piece, isCode in
            if !isCode { current += piece; return }
            for c in piece {
                if c == UInt8(ascii: ";") { out.append(String(decoding: current, as: UTF8.self)); current = [] } else { current.append(c) }
            }
        }
        out.append(String(decoding: current, as: UTF8.self))
        return out.filter { s in
            // Blank, or only comments: nothing to run.
            var code = false
            scan(s) { piece, isCode in if isCode && piece.contains(where: { $0 > 32 }) { code = true } }
            return code
        }
    }

    /// Named parameters (`:name`, `@name`) numbered `$N` outside literals and comments (`::`
    /// casts left alone); returns the SQL and the names in number order. Positional `?` stay.
    public static func namedParameters(_ sql: String) -> (sql: String, names: [String], positional: Bool) {
        var out: [UInt8] = []
        var names: [String] = []
        var positional = false
        scan(sql) { piece, isCode in
            guard isCode else { out += piece; return }
            var i = 0
            while i < piece.count {
                let c = piece[i]
                let prev = i > 0 ? piece[i - 1] : (out.last ?? 32)
                func isNameStart(_ b: UInt8) -> Bool { b == 95 || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
                if (c == UInt8(ascii: ":") || c == UInt8(ascii: "@")), prev != UInt8(ascii: ":"), i + 1 < piece.count, isNameStart(piece[i + 1]) {
                    var j = i + 1
                    while j < piece.count && (isNameStart(piece[j]) || (piece[j] >= 48 && piece[j] <= 57)) { j += 1 }
                    let name = String(decoding: piece[(i + 1)..<j], as: UTF8.self)
                    if !names.contains(name) { names.append(name) }
                    out += Array("$\(names.firstIndex(of: name)! + 1)".utf8)
                    i = j
                    continue
                }
                if c == UInt8(ascii: "?") { positional = true }
                out.append(c)
                i += 1
            }
        }
        return (String(decoding: out, as: UTF8.self), names, positional)
    }

    /// Walks SQL text in pieces: code, or a literal / quoted identifier / comment / dollar-quoted body.
    static func scan(_ sql: String, _ body: ([UInt8], Bool) -> Void) {
        let b = Array(sql.utf8)
        var i = 0, codeStart = 0
        func flushCode(_ end: Int) { if end > codeStart { body(Array(b[codeStart..<end]), true) } }
        while i < b.count {
            let c = b[i]
            var end: Int?
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                var j = i + 1
                while j < b.count {
                    if b[j] == c { if j + 1 < b.count && b[j + 1] == c { j += 2; continue } else { break } }
                    j += 1
                }
                end = min(j + 1, b.count)
            } else if c == UInt8(ascii: "-"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "-") {
                var j = i
                while j < b.count && b[j] != 10 { j += 1 }
                end = j
            } else if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                var j = i + 2
                while j + 1 < b.count && !(b[j] == UInt8(ascii: "*") && b[j + 1] == UInt8(ascii: "/")) { j += 1 }
                end = min(j + 2, b.count)
            } else if c == UInt8(ascii: "$") {
                var j = i + 1
                while j < b.count && (b[j] == 95 || (b[j] >= 65 && b[j] <= 90) || (b[j] >= 97 && b[j] <= 122) || (b[j] >= 48 && b[j] <= 57 && j > i + 1)) { j += 1 }
                if j < b.count && b[j] == UInt8(ascii: "$") {
                    let tag = Array(b[i...j])
                    var k = j + 1
                    end = b.count
                    while k + tag.count <= b.count {
                        if Array(b[k..<(k + tag.count)]) == tag { end = k + tag.count; break }
                        k += 1
                    }
                }
            }
            if let end {
                flushCode(i)
                body(Array(b[i..<end]), false)
                i = end
                codeStart = end
            } else {
                i += 1
            }
        }
        flushCode(b.count)
    }

    /// SQL written with `?` / `?N` placeholders, numbered `$N` for PostgreSQL. `?` inside
    /// string literals, quoted identifiers, dollar-quoted bodies and comments is left alone;
    /// a bare `?` takes the number after the highest so far (as SQLite numbers them).
    /// A statement that already has `$N` placeholders is PostgreSQL's own (the console's,
    /// `riskdesk query`'s `:name`s numbered): returned as it is, so jsonb's `?`, `?|` and `?&`
    /// operators in it stay operators.
    public static func numberedPlaceholders(_ sql: String) -> String {
        guard sql.utf8.contains(UInt8(ascii: "?")) else { return sql }
        let b = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count + 16)
        var i = 0, highest = 0, native = false
        func copyUntil(_ end: Int) { out.append(contentsOf: b[i..<min(end, b.count)]); i = min(end, b.count) }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A literal or quoted identifier: doubled quotes stay inside.
                var j = i + 1
                while j < b.count {
                    if b[j] == c { if j + 1 < b.count && b[j + 1] == c { j += 2; continue } else { break } }
                    j += 1
                }
                copyUntil(j + 1)
            case UInt8(ascii: "-") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "-"):
                var j = i
                while j < b.count && b[j] != 10 { j += 1 }
                copyUntil(j)
            case UInt8(ascii: "/") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "*"):
                var j = i + 2
                while j + 1 < b.count && !(b[j] == UInt8(ascii: "*") && b[j + 1] == UInt8(ascii: "/")) { j += 1 }
                copyUntil(j + 2)
            case UInt8(ascii: "$"):
                // $tag$ … $tag$ (a dollar-quoted body); $N stays as it is.
                var j = i + 1
                while j < b.count && (b[j] == 95 || (b[j] >= 65 && b[j] <= 90) || (b[j] >= 97 && b[j] <= 122) || (b[j] >= 48 && b[j] <= 57 && j > i + 1)) { j += 1 }
                if j < b.count && b[j] == UInt8(ascii: "$") {
                    let tag = Array(b[i...j])
                    var k = j + 1
                    var found = b.count
                    while k + tag.count <= b.count {
                        if Array(b[k..<(k + tag.count)]) == tag { found = k + tag.count; break }
                        k += 1
                    }
                    copyUntil(found)
                } else {
                    var k = i + 1
                    while k < b.count && b[k] >= 48 && b[k] <= 57 { k += 1 }
                    if k > i + 1, let n = Int(String(decoding: b[(i + 1)..<k], as: UTF8.self)) { highest = max(highest, n); native = true }
                    copyUntil(max(k, i + 1))
                }
            case UInt8(ascii: "?"):
                var j = i + 1
                while j < b.count && b[j] >= 48 && b[j] <= 57 { j += 1 }
                let n: Int
                if j > i + 1 { n = Int(String(decoding: b[(i + 1)..<j], as: UTF8.self)) ?? 0 } else { n = highest + 1 }
                highest = max(highest, n)
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: Array(String(n).utf8))
                i = j
            default:
                out.append(c)
                i += 1
            }
        }
        return native ? sql : String(decoding: out, as: UTF8.self)
    }
}
