import Assets
import Foundation
import RiskStore

// The SQL console on a team store: it speaks PostgreSQL (the one part of the workbench that
// knows its backend, and says so in its title). Statements run as the login role, on the
// console's own connections: a read-only one (`default_transaction_read_only`) unless
// writing is allowed (F8). A result is a server-side SCROLL cursor read a window at a time
// (`MOVE ABSOLUTE` + `FETCH`), so a million rows cost what a hundred do; Ctrl-C sends
// PQcancel. PII is the server's business: an analyst can't SELECT e-mail or phone at all,
// and reveals them per account through `riskdesk_reveal_pii(account, reason, source)`,
// which writes the audit row first.

/// A result's rows on the server, read on demand.
final class PGResultCursor {
    let qid: Int
    let conn: PGConnection
    let columns: [String]
    /// Rows known to exist (read so far, or counted); `done`: that is all of them.
    private(set) var stepped = 0
    private(set) var done = false
    private var first: [[SQLValue]]

    init(qid: Int, conn: PGConnection, columns: [String], first: [[SQLValue]], requested: Int) {
        self.qid = qid; self.conn = conn; self.columns = columns; self.first = first
        stepped = first.count
        done = first.count < requested
    }

    /// Rows [from, from + count) (fewer at the end). `from < 0`: the last `count` rows.
    func fetch(from requested: Int, count: Int) throws -> (from: Int, rows: [[SQLValue]]) {
        if requested == 0 && count <= first.count { return (0, Array(first.prefix(count))) }
        var from = requested
        if requested < 0 {
            if !done {
                try conn.run("MOVE ABSOLUTE 0 IN riskdesk_console")
                stepped = try conn.run("MOVE FORWARD ALL IN riskdesk_console")
                done = true
            }
            from = max(0, stepped - count)
        }
        try conn.run("MOVE ABSOLUTE \(from) IN riskdesk_console")
        let rows = try conn.rows("FETCH FORWARD \(max(1, count)) FROM riskdesk_console")
        stepped = max(stepped, from + rows.count)
        if rows.count < count { done = true }
        return (from, rows)
    }
}

/// The console's work on a team store (see `SQLService`, which hands every request here).
final class PGConsoleService {
    let url: String
    let analyst: String
    var catalog: AssetCatalog
    var readOnly = false
    private var reader: PGConnection?
    private var writer: PGConnection?
    /// The connection holding the open cursor's transaction.
    private var cursorConn: PGConnection?
    private var cursor: PGResultCursor?
    private let lock = NSLock()
    private var cancelRequested = false
    private var memoryHistory: [HistoryEntry] = []

    init(url: String, analyst: String, catalog: AssetCatalog) {
        self.url = url
        self.analyst = analyst
        self.catalog = catalog
    }

    /// Ctrl-C: PQcancel on both connections (a statement not yet started is stopped before it runs).
    func interrupt() {
        lock.lock()
        cancelRequested = true
        let r = reader, w = writer
        lock.unlock()
        r?.cancel()
        w?.cancel()
    }

    func clearCancel() { lock.lock(); cancelRequested = false; lock.unlock() }
    private var cancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelRequested }

    func readConn() throws -> PGConnection {
        if let r = reader { return r }
        // As `riskdesk query` reads: read-only transactions, `accounts` / `rejects` as masked views.
        guard let c = (try SQLReader(StoreLocation(url), maskPII: true).store as? PGStore)?.conn else {
            throw PGError("\(PGConnection.redact(url)): not a team store")
        }
        lock.lock(); reader = c; lock.unlock()
        return c
    }

    func writeConn() throws -> PGConnection {
        if let w = writer { return w }
        if readOnly { throw PGError("read-only session (--read-only): nothing is written to the store") }
        let c = try PGConnection(url: url, applicationName: "riskdesk console")
        lock.lock(); writer = c; lock.unlock()
        return c
    }

    /// Ends the open result's transaction (its cursor with it).
    private func closeCursor() {
        if let c = cursorConn { try? c.exec("COMMIT") }
        cursorConn = nil
        cursor = nil
    }

    func perform(_ r: ConsoleRequest) -> Loaded {
        do { return try run(r) } catch { return .failed("\(error)") }
    }

    /// `:name` parameters → `$1, $2…` (a `::type` cast is not a parameter, `?` is jsonb's
    /// key-exists operator), with their values.
    static func numbered(_ sql: String, params: [String: String]) throws -> (String, [SQLValue]) {
        let c = Array(sql)
        var out = ""
        var names: [String] = []
        var last = 0
        for t in SQLText.tokens(c) where t.kind == .parameter {
            if c[t.start] == ":" && t.start > 0 && c[t.start - 1] == ":" { continue }
            // `?`, `?|`, `?&` are jsonb's key operators here, never placeholders: left as written.
            if c[t.start] == "?" { continue }
            let name = String(c[(t.start + 1)..<t.end])
            if !names.contains(name) { names.append(name) }
            out += String(c[last..<t.start]) + "$\(names.firstIndex(of: name)! + 1)"
            last = t.end
        }
        out += String(c[last...])
        let values: [SQLValue] = try names.map { n in
            guard let v = params[n] else { throw PGError("parameter :\(n) has no value") }
            return v.trimmingCharacters(in: .whitespaces).uppercased() == "NULL" ? .null : .text(v)
        }
        return (out, values)
    }

    /// Statements whose rows a cursor can hold (the rest run to completion).
    static func isQuery(_ sql: String) -> Bool {
        let c = Array(sql)
        guard let first = SQLText.tokens(c).first(where: { $0.kind != .space && $0.kind != .comment }) else { return false }
        let w = String(c[first.start..<first.end]).uppercased()
        return ["SELECT", "WITH", "VALUES", "TABLE", "("].contains(w)
    }

    /// Statements that answer rows without a cursor: SHOW, EXPLAIN, anything … RETURNING.
    static func returnsRows(_ sql: String) -> Bool {
        let c = Array(sql)
        let words = SQLText.tokens(c).filter { $0.kind == .keyword || $0.kind == .word }.map { String(c[$0.start..<$0.end]).uppercased() }
        return ["SHOW", "EXPLAIN"].contains(words.first ?? "") || words.contains("RETURNING")
    }

    static func sorted(_ sql: String, _ sort: (column: Int, descending: Bool)?) -> String {
        guard let sort else { return sql }
        return "SELECT * FROM (\n\(sql)\n) AS q ORDER BY \(sort.column + 1) \(sort.descending ? "DESC" : "ASC")"
    }

    func record(_ sql: String, ms: Double?, rows: Int?, more: Bool, error: String?) {
        if readOnly {
            memoryHistory.append(HistoryEntry(id: Int64(memoryHistory.count + 1), ts: Timestamp.nowMs(), analyst: analyst, sql: sql,
                                              durationMs: ms, rows: rows.map(Int64.init), more: more, error: error))
            return
        }
        // The analyst column is the login role (the server's default; not ours to set).
        _ = try? writeConn().run("INSERT INTO sql_history (ts, sql, duration_ms, rows, more, error) VALUES ($1, $2, $3, $4, $5, $6)",
                                 [.int(Timestamp.nowMs()), .text(sql), ms.map(SQLValue.double) ?? .null,
                                  rows.map { .int(Int64($0)) } ?? .null, .int(more ? 1 : 0), error.map(SQLValue.text) ?? .null])
    }

    /// A message fit for the status line, with what to do about the common refusals.
    static func explainFailure(_ e: PGError, write: Bool) -> String {
        var msg = "PostgreSQL: " + e.message
        if e.sqlstate == "25006" && !write {
            msg = "read-only: this statement would change the store — F8 allows writing (asks first). " + msg
        }
        if e.sqlstate == "42501" && (e.message.contains("accounts") || e.message.contains("column")) {
            msg += " — PII is masked on a team store: read accounts (masked here), or SELECT * FROM riskdesk_reveal_pii('ACCOUNT', 'reason', 'sql') with F8 (audited)"
        }
        if let h = e.hint { msg += " (hint: \(h))" }
        return msg
    }

    func run(_ r: ConsoleRequest) throws -> Loaded {
        switch r {
        case .catalog(let uid):
            let c = try readConn()
            closeCursor()
            var tables: [(String, [String])] = []
            var current: (String, [String])?
            for row in try c.rows("""
                SELECT table_name::text, column_name::text FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name NOT LIKE 'stage\\_%' AND table_name NOT LIKE 'events\\_2%'
                ORDER BY table_name, ordinal_position
                """) {
                guard let t = row[0].string, let col = row[1].string else { continue }
                if current?.0 != t { if let cur = current { tables.append(cur) }; current = (t, []) }
                current?.1.append(col)
            }
            if let cur = current { tables.append(cur) }
            let saved = SavedQuery.loadReporting(catalog: catalog)
            return .sqlCatalog(uid: uid, catalog: SQLCatalog(tables: tables, saved: saved.queries, problems: saved.problems))

        case .run(let uid, let qid, let sql, let params, let write, let sort, let pageRows):
            closeCursor()
            let c = try write ? writeConn() : readConn()
            let t0 = DispatchTime.now().uptimeNanoseconds
            func ms() -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 }
            let pieces = SQLText.statements(sql)
            let chars = Array(sql)
            do {
                guard !pieces.isEmpty else { throw PGError("nothing to run: the statement is empty or only a comment") }
                var changes = 0
                for (k, range) in pieces.enumerated() {
                    if cancelled { throw PGError("canceling statement due to user request", sqlstate: "57014") }
                    let isLast = k == pieces.count - 1
                    let text = String(chars[range])
                    let (stmt, args) = try Self.numbered(isLast ? Self.sorted(text, sort) : text, params: params)
                    if isLast && Self.isQuery(text) {
                        try c.exec(write ? "BEGIN" : "BEGIN READ ONLY")
                        cursorConn = c
                        try c.run("DECLARE riskdesk_console SCROLL CURSOR FOR " + stmt, args)
                        let page = try c.query("FETCH FORWARD \(max(1, pageRows)) FROM riskdesk_console")
                        let cur = PGResultCursor(qid: qid, conn: c, columns: page.columns, first: page.rows, requested: max(1, pageRows))
                        cursor = cur
                        let elapsed = ms()
                        record(sql, ms: elapsed, rows: cur.done ? cur.stepped : page.rows.count, more: !cur.done, error: nil)
                        return .sqlResult(uid: uid, qid: qid, columns: page.columns, rows: page.rows, done: cur.done, elapsedMs: elapsed, changes: nil)
                    }
                    if isLast && Self.returnsRows(text) {
                        // SHOW, EXPLAIN, … RETURNING: small results, shown whole.
                        let result = try c.query(stmt, args)
                        let elapsed = ms()
                        record(sql, ms: elapsed, rows: result.rows.count, more: false, error: nil)
                        return .sqlResult(uid: uid, qid: qid, columns: result.columns, rows: result.rows, done: true, elapsedMs: elapsed, changes: nil)
                    }
                    changes += try c.run(stmt, args)
                }
                let elapsed = ms()
                record(sql, ms: elapsed, rows: changes, more: false, error: nil)
                return .sqlResult(uid: uid, qid: qid, columns: [], rows: [], done: true, elapsedMs: elapsed, changes: changes)
            } catch let e as PGError {
                closeCursor()
                try? c.exec("ROLLBACK")
                let elapsed = ms()
                if e.isCancelled {
                    record(sql, ms: elapsed, rows: nil, more: false, error: "cancelled")
                    return .sqlFailed(uid: uid, qid: qid, message: String(format: "cancelled after %.1f s", elapsed / 1000), offset: nil, cancelled: true)
                }
                record(sql, ms: elapsed, rows: nil, more: false, error: e.message)
                return .sqlFailed(uid: uid, qid: qid, message: Self.explainFailure(e, write: write), offset: nil, cancelled: false)
            }

        case .fetch(let uid, let qid, let from, let count):
            guard let cur = cursor, cur.qid == qid else { return .info("") }
            do {
                let page = try cur.fetch(from: from, count: count)
                return .sqlRows(uid: uid, qid: qid, from: page.from, rows: page.rows, done: cur.done, total: cur.done ? cur.stepped : nil)
            } catch let e as PGError where e.isCancelled {
                closeCursor()
                return .sqlRows(uid: uid, qid: qid, from: -1, rows: [], done: false, total: nil)
            }

        case .explain(let uid, let sql, let params):
            let c = try readConn()
            closeCursor()
            guard let range = SQLText.statements(sql).last else { return .failed("nothing to explain") }
            let zeros = Dictionary(uniqueKeysWithValues: SQLText.parameters(sql).map { ($0, "0") })
            let (stmt, args) = try Self.numbered(String(Array(sql)[range]), params: params.merging(zeros) { a, _ in a })
            do {
                let lines = try c.rows("EXPLAIN " + stmt, args).compactMap { $0.first?.string }
                return .sqlPlan(uid: uid, lines: lines)
            } catch let e as PGError {
                try? c.exec("ROLLBACK")
                return .failed(Self.explainFailure(e, write: false))
            }

        case .history(let uid, let search):
            if readOnly {
                var seen = Set<String>()
                let entries = memoryHistory.reversed().filter { e in
                    (search.isEmpty || e.sql.localizedCaseInsensitiveContains(search)) && seen.insert(e.sql).inserted
                }
                return .sqlHistory(uid: uid, entries: entries)
            }
            let c = try readConn()
            closeCursor()
            // Row security: an analyst sees their own history.
            let rows = try c.rows("""
                SELECT h.id, h.ts, h.analyst, h.sql, h.duration_ms, h.rows, h.more, h.error FROM sql_history h
                WHERE h.id IN (SELECT max(id) FROM sql_history WHERE strpos(lower(sql), lower($1)) > 0 OR $1 = '' GROUP BY sql)
                ORDER BY h.id DESC LIMIT 200
                """, [.text(search)])
            return .sqlHistory(uid: uid, entries: rows.map {
                HistoryEntry(id: $0[0].int ?? 0, ts: $0[1].int ?? 0, analyst: $0[2].string ?? "", sql: $0[3].string ?? "",
                             durationMs: $0[4].double, rows: $0[5].int, more: ($0[6].int ?? 0) != 0, error: $0[7].string)
            })

        case .export(let sql, let params, let sort, let path):
            let c = try readConn()
            closeCursor()
            let format: ResultFormat = path.lowercased().hasSuffix(".json") ? .json : path.lowercased().hasSuffix(".jsonl") ? .jsonl : .csv
            guard let range = SQLText.statements(sql).last else { return .failed("nothing to export") }
            let (stmt, args) = try Self.numbered(Self.sorted(String(Array(sql)[range]), sort), params: params)
            let file: FileOutput
            do { file = try FileOutput(path: path) } catch let e as StoreError { return .failed(e.message) }
            var n = 0
            do {
                var columns: [String]?
                try c.cursor(stmt, args, batch: 5000) { page in
                    if columns == nil {
                        columns = page.columns
                        switch format {
                        case .csv: file.write(page.columns.map(ResultWriter.csvField).joined(separator: ",") + "\n")
                        case .json: file.write("{\"columns\":[" + page.columns.map(ResultWriter.jsonString).joined(separator: ",") + "],\"rows\":[")
                        default: break
                        }
                    }
                    for row in page.rows {
                        switch format {
                        case .csv: file.write(row.map { ResultWriter.csvField($0.string ?? "") }.joined(separator: ",") + "\n")
                        case .json: file.write((n == 0 ? "\n" : ",\n") + "[" + row.map(Self.json).joined(separator: ",") + "]")
                        default:
                            file.write("{" + zip(page.columns, row).map { ResultWriter.jsonString($0) + ":" + Self.json($1) }.joined(separator: ",") + "}\n")
                        }
                        n += 1
                    }
                    return !file.failed
                }
                if format == .json { file.write((columns == nil ? "{\"columns\":[],\"rows\":[" : "") + "\n]}\n") }
                try file.commit()
            } catch let e as StoreError {
                file.discard()
                return .failed("export failed, nothing written: \(e.message)")
            } catch let e as PGError {
                file.discard()
                return .failed("export failed, nothing written: \(Self.explainFailure(e, write: false))")
            }
            return .info("exported \(n) rows to \(path) (\(format.rawValue))")

        case .batch(let sql, let params, let column, let name):
            let c = try readConn()
            closeCursor()
            guard let range = SQLText.statements(sql).last else { return .failed("nothing to batch") }
            let (stmt, args) = try Self.numbered(String(Array(sql)[range]), params: params)
            var seen = Set<String>()
            var accounts: [String] = []
            var columnName = "\(column + 1)"
            try c.cursor(stmt, args, batch: 5000) { page in
                if page.columns.indices.contains(column) { columnName = page.columns[column] }
                for row in page.rows where row.indices.contains(column) {
                    if let a = row[column].string, !a.isEmpty, seen.insert(a).inserted { accounts.append(a) }
                }
                return true
            }
            guard !accounts.isEmpty else { return .failed("the result has no account ids in column \(columnName)") }
            let w = try writeConn()
            let added = try w.transaction { () -> Int in
                let n = try w.run("""
                    INSERT INTO batches (name, account_id, added_at) SELECT $1, a, $2 FROM unnest($3::text[]) a
                    ON CONFLICT DO NOTHING
                    """, [.text(name), .int(Timestamp.nowMs()), .text(StoreCopy.pgArray(accounts))])
                try w.run("INSERT INTO audit (source, action, new_value, note) VALUES ('sql', 'batch', $1, $2)",
                          [.text(name), .text("\(n) accounts added (\(accounts.count) in the result)")])
                return n
            }
            return .sqlBatched(name: name, accounts: accounts.count, added: added)

        case .reveal:
            return .failed("on a team store PII is revealed one account at a time, each reveal audited: SELECT * FROM riskdesk_reveal_pii('ACCOUNT', 'why', 'sql') — or r on the account")

        case .save, .cancel:
            return .info("")      // handled by SQLService
        }
    }

    static func json(_ v: SQLValue) -> String {
        switch v {
        case .null: return "null"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .text(let s): return ResultWriter.jsonString(s)
        case .blob(let b): return ResultWriter.jsonString(b.map { String(format: "%02x", $0) }.joined())
        }
    }
}
