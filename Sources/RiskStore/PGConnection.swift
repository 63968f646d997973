import CLibPQ
import Foundation

/// An error from PostgreSQL: the server's message, its SQLSTATE, and for COPY the input line.
public struct PGError: Error, CustomStringConvertible, Equatable {
    public var message: String
    /// The five-character SQLSTATE ("42501" insufficient privilege, "23505" unique violation…);
    /// empty for client-side errors (connection lost, bad URL).
    public var sqlstate: String
    public var detail: String?
    public var hint: String?
    /// For an error during COPY FROM STDIN: the 1-based line of the data the server stopped at.
    public var copyLine: Int?
    /// Where the statement was when it failed (the server's CONTEXT line), if it said.
    public var context: String?

    public init(_ message: String, sqlstate: String = "", detail: String? = nil, hint: String? = nil,
                copyLine: Int? = nil, context: String? = nil) {
        self.message = message; self.sqlstate = sqlstate; self.detail = detail; self.hint = hint
        self.copyLine = copyLine; self.context = context
    }

    public var description: String {
        var s = message
        if let copyLine { s += " (COPY line \(copyLine))" }
        if let detail, !detail.isEmpty { s += ": \(detail)" }
        if let hint, !hint.isEmpty { s += " (hint: \(hint))" }
        if !sqlstate.isEmpty { s += " [SQLSTATE \(sqlstate)]" }
        return s
    }

    public var isPermissionDenied: Bool { sqlstate == "42501" }
    public var isUniqueViolation: Bool { sqlstate == "23505" }
    public var isCancelled: Bool { sqlstate == "57014" }
    /// Raised by a trigger (`RAISE EXCEPTION`): labels and audit are append-only.
    public var isRaised: Bool { sqlstate == "P0001" }
}

/// A notification received on a LISTENed channel.
public struct PGNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var pid: Int32
}

/// The rows of a result, as SQLValues typed by the column's PostgreSQL type.
public struct PGRows: Sendable {
    public var columns: [String]
    public var rows: [[SQLValue]]
}

/// One PostgreSQL connection through libpq: synchronous, like `Database` for SQLite. Not
/// thread-safe (one per thread), except `cancel()`, which any thread may call.
///
/// Parameters are written `$1, $2…` and sent separately from the SQL text (never spliced in).
/// Values come back typed by the column's type: integers as `.int`, floating and numeric as
/// `.double`, booleans as `.int(0/1)`, bytea as `.blob`, everything else as `.text`.
public final class PGConnection {
    let conn: OpaquePointer
    private let cancelHandle: OpaquePointer?
    private let cancelLock = NSLock()
    /// The URL without its password: safe in messages.
    public let displayURL: String
    /// The URL as given (with its password): for opening more connections to the same store.
    let url: String

    /// True for a URL the team store understands (`postgresql://` or `postgres://`).
    public static func isURL(_ s: String) -> Bool {
        s.hasPrefix("postgresql://") || s.hasPrefix("postgres://")
    }

    /// The URL with any password replaced by `***`.
    public static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        guard let at = rest.firstIndex(of: "@") else { return url }
        let userinfo = rest[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<schemeEnd.upperBound]) + userinfo[..<colon] + ":***" + rest[at...]
    }

    public init(url: String, applicationName: String = "riskdesk") throws {
        displayURL = PGConnection.redact(url)
        self.url = url
        try PGConnection.loadLibPQ()
        let keys = ["dbname", "application_name", "client_encoding", "connect_timeout"]
        let values = [url, applicationName, "UTF8", "10"]
        // expand_dbname: the first "dbname" is a full URL; the rest add to it.
        let c: OpaquePointer? = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let c else { throw PGError("\(PGConnection.redact(url)): out of memory connecting") }
        if PQstatus(c) != CONNECTION_OK {
            let msg = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(c)
            throw PGError("\(PGConnection.redact(url)): cannot connect: \(msg)", sqlstate: "08001")
        }
        conn = c
        cancelHandle = PQgetCancel(c)
        // Notices (e.g. "relation already exists, skipping") are not an analyst's business.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
    }

    /// Loads libpq (once per process: it is opened by dlopen only when a team store is, so runs
    /// that never touch one don't pay for it and its ~20 libraries). Throws when it can't be.
    static func loadLibPQ() throws {
        var err = [CChar](repeating: 0, count: 512)
        if riskdesk_pq_load(&err, err.count) == 1 { return }
        let library = String(cString: riskdesk_pq_library)
        let reason = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw PGError("libpq (\(library)) could not be loaded: \(reason) — install libpq5 (apt install libpq5) to use a PostgreSQL store")
    }

    deinit {
        cancelLock.lock()
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        cancelLock.unlock()
        PQfinish(conn)
    }

    /// The server's process id for this connection (what `pg_terminate_backend` takes).
    public var backendPID: Int32 { PQbackendPID(conn) }

    /// Asks the server to stop the statement running on this connection (from any thread).
    /// The statement then fails with SQLSTATE 57014. False if the request could not be sent.
    @discardableResult
    public func cancel() -> Bool {
        cancelLock.lock(); defer { cancelLock.unlock() }
        guard let cancelHandle else { return false }
        var buf = [CChar](repeating: 0, count: 256)
        return PQcancel(cancelHandle, &buf, Int32(buf.count)) == 1
    }

    // MARK: - Statements

    /// Runs one or more statements with no parameters (a script: schema, BEGIN / COMMIT).
    public func exec(_ sql: String) throws {
        let r = PQexec(conn, sql)
        defer { PQclear(r) }
        try check(r)
    }

    /// Runs one statement with parameters; returns its rows (all of them: for small results).
    @discardableResult
    public func query(_ sql: String, _ args: [SQLValue] = []) throws -> PGRows {
        let r = try execParams(sql, args)
        defer { PQclear(r) }
        return PGConnection.rows(of: r)
    }

    public func rows(_ sql: String, _ args: [SQLValue] = []) throws -> [[SQLValue]] {
        try query(sql, args).rows
    }

    public func scalar(_ sql: String, _ args: [SQLValue] = []) throws -> SQLValue {
        try query(sql, args).rows.first?.first ?? .null
    }

    public func int(_ sql: String, _ args: [SQLValue] = []) throws -> Int64 {
        try scalar(sql, args).int ?? 0
    }

    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ args: [SQLValue] = []) throws -> Int {
        let r = try execParams(sql, args)
        defer { PQclear(r) }
        return Int(String(cString: PQcmdTuples(r))) ?? 0
    }

    /// Runs `body` in a transaction; commits when it returns, rolls back when it throws.
    public func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        try exec(begin)
        do {
            let v = try body()
            try exec("COMMIT")
            return v
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// Reads a big result a batch at a time through a server-side cursor (in its own
    /// transaction unless one is open): memory stays bounded by `batch`. `body` returns false to stop.
    public func cursor(_ sql: String, _ args: [SQLValue] = [], batch: Int = 10_000,
                       _ body: (PGRows) throws -> Bool) throws {
        let inTransaction = PQtransactionStatus(conn) != PQTRANS_IDLE
        if !inTransaction { try exec("BEGIN READ ONLY") }
        do {
            try run("DECLARE riskdesk_cursor NO SCROLL CURSOR FOR " + sql, args)
            while true {
                let page = try query("FETCH \(batch) FROM riskdesk_cursor")
                if page.rows.isEmpty { break }
                if try !body(page) { break }
                if page.rows.count < batch { break }
            }
            try exec("CLOSE riskdesk_cursor")
            if !inTransaction { try exec("COMMIT") }
        } catch {
            if !inTransaction { try? exec("ROLLBACK") }
            throw error
        }
    }

    // MARK: - COPY

    /// `COPY … FROM STDIN`: `produce` is called with a `send` function to stream the data
    /// (text or CSV, as the COPY statement says) in chunks of any size. Returns the rows the
    /// server stored. An error in the data names the line (`PGError.copyLine`).
    @discardableResult
    public func copyIn(_ sql: String, _ produce: (_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Int {
        let start = PQexec(conn, sql)
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            try check(start)
            throw PGError("expected COPY FROM STDIN, got \(String(cString: PQresStatus(status)))")
        }
        PQclear(start)
        var failure: Error?
        do {
            try produce { buf in
                guard buf.count > 0 else { return }
                let rc = PQputCopyData(self.conn, buf.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buf.count))
                if rc != 1 { throw PGError("COPY: sending data failed: \(self.lastError)") }
            }
        } catch { failure = error }
        let endRC = failure == nil ? PQputCopyEnd(conn, nil) : PQputCopyEnd(conn, "client stopped the COPY")
        if endRC != 1 { failure = failure ?? PGError("COPY: ending failed: \(lastError)") }
        let (stored, serverError) = drainCopyResults()
        if let failure { throw failure }
        if let serverError { throw serverError }
        return stored
    }

    /// `COPY … TO STDOUT`: `consume` gets the data a row (a line) at a time, as the server
    /// sends it — streaming, for reads of any size. `consume` returns false to stop early
    /// (the rest is drained and dropped; the server is cancelled).
    public func copyOut(_ sql: String, _ consume: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let start = PQexec(conn, sql)
        let status = PQresultStatus(start)
        if status != PGRES_COPY_OUT {
            defer { PQclear(start) }
            try check(start)
            throw PGError("expected COPY TO STDOUT, got \(String(cString: PQresStatus(status)))")
        }
        PQclear(start)
        var stop = false
        var failure: Error?
        while true {
            var p: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(conn, &p, 0)
            if n == -1 { break }                                  // done
            if n == -2 { failure = PGError("COPY out: \(lastError)"); break }
            guard let p else { continue }
            if !stop && failure == nil {
                do {
                    if try !consume(UnsafeRawBufferPointer(start: p, count: Int(n))) { stop = true; cancel() }
                } catch { failure = error; stop = true; cancel() }
            }
            PQfreemem(p)
        }
        var serverError: PGError?
        while let r = PQgetResult(conn) {
            if PQresultStatus(r) != PGRES_COMMAND_OK, serverError == nil { serverError = error(of: r) }
            PQclear(r)
        }
        if let failure { throw failure }
        if let serverError, !(stop && serverError.isCancelled) { throw serverError }
    }

    // MARK: - LISTEN / NOTIFY

    /// Subscribes this connection to a channel (an identifier: letters, digits, underscores).
    public func listen(_ channel: String) throws {
        try exec("LISTEN " + PGConnection.quoteIdentifier(channel))
    }

    /// Sends a notification (delivered when the sending transaction commits).
    public func notify(_ channel: String, _ payload: String) throws {
        try run("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    /// Waits up to `timeout` seconds on the connection's socket (poll, no table polling)
    /// for notifications; returns those that arrived (empty on timeout).
    public func waitForNotifications(timeout: Double) throws -> [PGNotification] {
        var out = drainNotifications()
        if !out.isEmpty { return out }
        let fd = PQsocket(conn)
        if fd < 0 { throw PGError("connection lost: \(lastError)", sqlstate: "08006") }
        let deadline = Date().addingTimeInterval(timeout)
        while out.isEmpty {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, Int32(min(left * 1000, Double(Int32.max)).rounded(.up)))
            if rc < 0 && errno == EINTR { continue }
            if rc < 0 { throw PGError("poll failed: \(String(cString: strerror(errno)))") }
            if rc == 0 { break }
            if PQconsumeInput(conn) != 1 { throw PGError("connection lost: \(lastError)", sqlstate: "08006") }
            out = drainNotifications()
        }
        return out
    }

    private func drainNotifications() -> [PGNotification] {
        PQconsumeInput(conn)
        var out: [PGNotification] = []
        while let n = PQnotifies(conn) {
            out.append(PGNotification(channel: String(cString: n.pointee.relname), payload: String(cString: n.pointee.extra),
                                      pid: n.pointee.be_pid))
            PQfreemem(n)
        }
        return out
    }

    // MARK: - Quoting (for identifiers and the few statements that can't take parameters)

    public static func quoteIdentifier(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A string literal (for DDL such as `CREATE ROLE … PASSWORD`, which takes no parameters).
    public static func quoteLiteral(_ s: String) -> String {
        let body = s.replacingOccurrences(of: "'", with: "''")
        return s.contains("\\") ? "E'" + body.replacingOccurrences(of: "\\", with: "\\\\") + "'" : "'" + body + "'"
    }

    // MARK: - Internals

    var lastError: String {
        String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func execParams(_ sql: String, _ args: [SQLValue]) throws -> OpaquePointer? {
        let sql = args.isEmpty ? sql : PGConnection.numberedPlaceholders(sql)
        let r = PGConnection.withParams(args) { n, ptr in PQexecParams(conn, sql, n, nil, ptr, nil, nil, 0) }
        do { try check(r) } catch { PQclear(r); throw error }
        return r
    }

    /// Sends a statement without waiting for its result (then `PQgetResult` until nil).
    func sendParams(_ sql: String, _ args: [SQLValue]) throws {
        let sql = args.isEmpty ? sql : PGConnection.numberedPlaceholders(sql)
        let ok = PGConnection.withParams(args) { n, ptr in PQsendQueryParams(conn, sql, n, nil, ptr, nil, nil, 0) }
        if ok != 1 { throw PGError(lastError.isEmpty ? "could not send the statement (connection lost?)" : lastError, sqlstate: "08006") }
    }

    /// Parameters as text (the server infers their types from the statement).
    static func withParams<R>(_ args: [SQLValue], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let texts: [String?] = args.map { v in
            switch v {
            case .null: return nil
            case .int(let i): return String(i)
            case .double(let d): return d.isFinite ? String(d) : (d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))
            case .text(let s): return s
            case .blob(let b): return "\\x" + b.map { String(format: "%02x", $0) }.joined()
            }
        }
        var cstrs: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } ?? nil }
        defer { for p in cstrs { free(p) } }
        if cstrs.isEmpty { return body(0, nil) }
        return cstrs.withUnsafeMutableBufferPointer { buf -> R in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) { ptr in
                body(Int32(texts.count), UnsafePointer(ptr))
            }
        }
    }

    func check(_ r: OpaquePointer?) throws {
        guard let r else { throw PGError(lastError.isEmpty ? "no result (connection lost?)" : lastError, sqlstate: "08006") }
        switch PQresultStatus(r) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT: return
        default: throw error(of: r)
        }
    }

    /// Reads a finished COPY's results: the rows it stored, and the server's first error.
    func drainCopyResults() -> (stored: Int, error: PGError?) {
        var stored = 0
        var serverError: PGError?
        while let r = PQgetResult(conn) {
            if PQresultStatus(r) == PGRES_COMMAND_OK {
                stored = Int(String(cString: PQcmdTuples(r))) ?? 0
            } else if serverError == nil {
                serverError = error(of: r)
            }
            PQclear(r)
        }
        return (stored, serverError)
    }

    func pgError(of r: OpaquePointer) -> PGError { error(of: r) }

    func error(of r: OpaquePointer) -> PGError {
        func field(_ code: Int32) -> String? {
            guard let p = PQresultErrorField(r, code) else { return nil }
            return String(cString: p)
        }
        let primary = field(Int32(UInt8(ascii: "M"))) ?? String(cString: PQresultErrorMessage(r)).trimmingCharacters(in: .whitespacesAndNewlines)
        let context = field(Int32(UInt8(ascii: "W")))
        var line: Int?
        if let context, let m = context.range(of: #"COPY [^,]+, line ([0-9]+)"#, options: .regularExpression) {
            line = Int(context[m].split(separator: " ").last ?? "")
        }
        return PGError(primary.isEmpty ? lastError : primary, sqlstate: field(Int32(UInt8(ascii: "C"))) ?? "",
                       detail: field(Int32(UInt8(ascii: "D"))), hint: field(Int32(UInt8(ascii: "H"))),
                       copyLine: line, context: context)
    }

    static func rows(of r: OpaquePointer?) -> PGRows {
        guard let r else { return PGRows(columns: [], rows: []) }
        let nf = Int(PQnfields(r)), nt = Int(PQntuples(r))
        let names = (0..<nf).map { String(cString: PQfname(r, Int32($0))) }
        let types = (0..<nf).map { PQftype(r, Int32($0)) }
        var out: [[SQLValue]] = []
        out.reserveCapacity(nt)
        for i in 0..<Int32(nt) {
            var row: [SQLValue] = []
            row.reserveCapacity(nf)
            for j in 0..<Int32(nf) {
                if PQgetisnull(r, i, j) == 1 { row.append(.null); continue }
                let p = PQgetvalue(r, i, j)!
                let n = Int(PQgetlength(r, i, j))
                row.append(value(p, n, type: types[Int(j)]))
            }
            out.append(row)
        }
        return PGRows(columns: names, rows: out)
    }

    /// Text-format value → SQLValue by type OID (pg_type.h).
    static func value(_ p: UnsafeMutablePointer<CChar>, _ n: Int, type: Oid) -> SQLValue {
        let s = String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
        switch type {
        case 20, 21, 23, 26: return Int64(s).map(SQLValue.int) ?? .text(s)            // int8, int2, int4, oid
        case 700, 701, 1700: return Double(s).map(SQLValue.double) ?? .text(s)         // float4, float8, numeric
        case 16: return .int(s == "t" ? 1 : 0)                                           // bool
        case 17:                                                                          // bytea
            var len = 0
            guard let q = p.withMemoryRebound(to: UInt8.self, capacity: n, { PQunescapeBytea($0, &len) }) else { return .blob([]) }
            defer { PQfreemem(q) }
            return .blob(Array(UnsafeBufferPointer(start: q, count: len)))
        default: return .text(s)
        }
    }
}

/// C strings for libpq's NULL-terminated keyword / value arrays.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) { body($0) }
    }
}
