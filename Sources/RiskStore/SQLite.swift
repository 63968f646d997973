import CSQLite
import Foundation

/// An error from SQLite or from the store, with a message fit to show an analyst.
public struct StoreError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var code: Int32
    /// For SQL errors: where in the SQL text (in characters) SQLite found the problem.
    public var offset: Int?
    public init(_ message: String, code: Int32 = SQLITE_ERROR, offset: Int? = nil) {
        self.message = message
        self.code = code
        self.offset = offset
    }
    public var description: String { message }
    /// True when SQLite gave up because another connection held a lock.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
    public var isInterrupt: Bool { code & 0xff == SQLITE_INTERRUPT }
}

/// A value read from or bound to SQLite.
public enum SQLValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let v): return String(v)
        case .double(let v): return SQLValue.format(v)
        case .text(let s): return s
        case .blob(let b): return "x'" + b.map { String(format: "%02x", $0) }.joined() + "'"
        }
    }

    /// Doubles printed the way sqlite3 prints them: shortest round-trip, integral values with ".0".
    public static func format(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) + ".0" }
        return String(v)
    }

    public var int: Int64? {
        switch self {
        case .int(let v): return v
        case .double(let v): return Int64(v)
        case .text(let s): return Int64(s)
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .text(let s): return Double(s)
        default: return nil
        }
    }
    public var string: String? {
        switch self {
        case .null: return nil
        case .text(let s): return s
        default: return description
        }
    }
}

/// One SQLite connection. Not thread-safe: use one per thread (SQLite's WAL lets
/// readers and one writer work side by side).
public final class Database {
    public let handle: OpaquePointer
    public let path: String

    public struct OpenFlags: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        public static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        public static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
    }

    public init(path: String, flags: OpenFlags = [.readWrite, .create]) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags.rawValue | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw StoreError("\(path): cannot open: \(msg)", code: rc)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        try registerEventKeyFunction()   // event_keys (schema v11) is keyed by it
    }

    deinit { sqlite3_close_v2(handle) }

    /// Stops statements on this connection while `stop()` is true, checked every 1,000 VM steps:
    /// unlike `interrupt()`, it also reaches a statement that starts after the request
    /// (sqlite3_interrupt is a no-op while nothing runs). nil removes it.
    public func setInterruptCheck(_ stop: (() -> Bool)?) {
        interruptCheck = stop.map(InterruptCheck.init)
        if let box = interruptCheck {
            sqlite3_progress_handler(handle, 1000, { ctx in
                guard let ctx else { return 0 }
                return Unmanaged<InterruptCheck>.fromOpaque(ctx).takeUnretainedValue().stop() ? 1 : 0
            }, Unmanaged.passUnretained(box).toOpaque())
        } else {
            sqlite3_progress_handler(handle, 0, nil, nil)
        }
    }
    private var interruptCheck: InterruptCheck?

    public var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ rc: Int32, _ context: String? = nil) -> StoreError {
        let msg = lastErrorMessage
        return StoreError(context.map { "\($0): \(msg)" } ?? msg, code: rc)
    }

    /// Runs one or more statements that return no rows.
    public func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(err)
            throw StoreError(msg, code: rc)
        }
    }

    public func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            if rc == SQLITE_OK { throw StoreError("empty statement") }
            throw error(rc)
        }
        return Statement(db: self, handle: stmt)
    }

    /// All rows of a query (for small results; page large ones with `Statement.step`).
    public func rows(_ sql: String, _ args: [SQLValue] = []) throws -> [[SQLValue]] {
        let st = try prepare(sql)
        try st.bind(args)
        var out: [[SQLValue]] = []
        while try st.step() { out.append(st.row()) }
        return out
    }

    public func scalar(_ sql: String, _ args: [SQLValue] = []) throws -> SQLValue {
        let st = try prepare(sql)
        try st.bind(args)
        return try st.step() ? st.value(0) : .null
    }

    public func int(_ sql: String, _ args: [SQLValue] = []) throws -> Int64 {
        try scalar(sql, args).int ?? 0
    }

    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ args: [SQLValue] = []) throws -> Int {
        let st = try prepare(sql)
        try st.bind(args)
        while try st.step() {}
        return changes
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var totalChanges: Int { Int(sqlite3_total_changes(handle)) }

    /// Runs `body` in a transaction; commits when it returns, rolls back when it throws.
    public func transaction<T>(_ kind: String = "IMMEDIATE", _ body: () throws -> T) throws -> T {
        try exec("BEGIN \(kind)")
        do {
            let r = try body()
            try exec("COMMIT")
            return r
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// Asks a running statement on this connection to stop (safe from any thread).
    public func interrupt() { sqlite3_interrupt(handle) }

    public func setBusyTimeout(ms: Int32) { sqlite3_busy_timeout(handle, ms) }
}

/// A prepared statement. Bind, step, read columns; `reset` to reuse.
public final class Statement {
    public let handle: OpaquePointer
    unowned let db: Database

    init(db: Database, handle: OpaquePointer) {
        self.db = db
        self.handle = handle
    }

    deinit { sqlite3_finalize(handle) }

    public var sql: String { String(cString: sqlite3_sql(handle)) }
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }
    public func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(i))) }
    public var columnNames: [String] { (0..<columnCount).map(columnName) }
    public func parameterName(_ i: Int) -> String? {
        sqlite3_bind_parameter_name(handle, Int32(i)).map { String(cString: $0) }
    }

    /// Steps once; true while there is a row.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let e = db.error(rc)
        sqlite3_reset(handle)
        throw e
    }

    public func reset() {
        sqlite3_reset(handle)
    }

    public func clearBindings() { sqlite3_clear_bindings(handle) }

    public func bind(_ args: [SQLValue]) throws {
        sqlite3_reset(handle)
        for (i, v) in args.enumerated() { try bind(v, at: i + 1) }
    }

    public func bind(_ v: SQLValue, at i: Int) throws {
        let idx = Int32(i)
        let rc: Int32
        switch v {
        case .null: rc = sqlite3_bind_null(handle, idx)
        case .int(let x): rc = sqlite3_bind_int64(handle, idx, x)
        case .double(let x): rc = sqlite3_bind_double(handle, idx, x)
        case .text(let s): rc = sqlite3_bind_text(handle, idx, s, -1, riskdesk_sqlite_transient())
        case .blob(let b):
            rc = b.withUnsafeBytes { sqlite3_bind_blob(handle, idx, $0.baseAddress, Int32($0.count), riskdesk_sqlite_transient()) }
        }
        if rc != SQLITE_OK { throw db.error(rc, "binding parameter \(i)") }
    }

    // Hot-path binders (no enum boxing). Text pointers are copied by SQLite (TRANSIENT)
    // unless `stable` says the bytes outlive the next step.
    @inline(__always) public func bindNull(_ i: Int32) { sqlite3_bind_null(handle, i) }
    @inline(__always) public func bindInt(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(handle, i, v) }
    @inline(__always) public func bindDouble(_ i: Int32, _ v: Double) { sqlite3_bind_double(handle, i, v) }
    @inline(__always) public func bindText(_ i: Int32, _ p: UnsafeRawPointer, _ n: Int, stable: Bool = true) {
        sqlite3_bind_text(handle, i, p.assumingMemoryBound(to: CChar.self), Int32(n),
                          stable ? riskdesk_sqlite_static() : riskdesk_sqlite_transient())
    }
    @inline(__always) public func bindBlob(_ i: Int32, _ p: UnsafeRawPointer, _ n: Int, stable: Bool = true) {
        sqlite3_bind_blob(handle, i, p, Int32(n), stable ? riskdesk_sqlite_static() : riskdesk_sqlite_transient())
    }
    public func bindText(_ i: Int32, _ s: String) {
        sqlite3_bind_text(handle, i, s, -1, riskdesk_sqlite_transient())
    }

    /// Steps a statement that returns no rows and resets it for reuse.
    @inline(__always) public func execute() throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        if rc != SQLITE_DONE && rc != SQLITE_ROW { throw db.error(rc) }
    }

    public func value(_ i: Int) -> SQLValue {
        let c = Int32(i)
        switch sqlite3_column_type(handle, c) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(handle, c))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(handle, c))
        case SQLITE_TEXT: return .text(text(i) ?? "")
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(handle, c))
            guard n > 0, let p = sqlite3_column_blob(handle, c) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default: return .null
        }
    }

    public func row() -> [SQLValue] { (0..<columnCount).map(value) }

    public func text(_ i: Int) -> String? {
        let c = Int32(i)
        guard let p = sqlite3_column_text(handle, c) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, c))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    public func int(_ i: Int) -> Int64 { sqlite3_column_int64(handle, Int32(i)) }
    /// A blob column's bytes, valid until the statement steps or resets (nil: empty or null).
    public func blobBytes(_ i: Int) -> UnsafeRawBufferPointer? {
        let c = Int32(i)
        guard let p = sqlite3_column_blob(handle, c) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, c)))
    }
    public func double(_ i: Int) -> Double { sqlite3_column_double(handle, Int32(i)) }
    public func isNull(_ i: Int) -> Bool { sqlite3_column_type(handle, Int32(i)) == SQLITE_NULL }
    public func optionalInt(_ i: Int) -> Int64? { isNull(i) ? nil : int(i) }
    public func optionalDouble(_ i: Int) -> Double? { isNull(i) ? nil : double(i) }
}

extension Database {
    /// Prepares each statement of a script in turn (for consoles and `riskdesk query`).
    /// Returns nil for trailing whitespace or comments.
    public func prepareEach(_ sql: String, _ body: (Statement) throws -> Void) throws {
        let bytes = Array(sql.utf8) + [0]
        try bytes.withUnsafeBufferPointer { buf in
            let base = UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self)
            var cursor: UnsafePointer<CChar>? = base
            while var c = cursor, c.pointee != 0 {
                while c.pointee == 32 || c.pointee == 9 || c.pointee == 10 || c.pointee == 13 { c += 1 }
                if c.pointee == 0 { break }
                var stmt: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(handle, c, -1, &stmt, &tail)
                if rc != SQLITE_OK {
                    let start = c - base
                    let within = Int(sqlite3_error_offset(handle))
                    let at = within >= 0 ? start + within : start
                    let charOffset = String(decoding: bytes[0..<at], as: UTF8.self).count
                    throw StoreError("\(lastErrorMessage) (at character \(charOffset + 1))", code: rc, offset: charOffset)
                }
                cursor = tail
                guard let stmt else { continue }   // only whitespace or a comment
                try body(Statement(db: self, handle: stmt))
            }
        }
    }
}

/// The closure a connection's progress handler asks (kept alive by the connection).
final class InterruptCheck {
    let stop: () -> Bool
    init(_ stop: @escaping () -> Bool) { self.stop = stop }
}
