import Assets
import Foundation
import RiskStore

/// A running query's rows, read on demand: the statement stays open and is stepped as
/// far as the grid needs; the last `keep` rows read are kept, so scrolling near them costs
/// nothing and memory stays flat however long the result. Going back beyond them re-runs
/// the statement and skips ahead (without reading columns).
final class ResultCursor {
    let qid: Int
    let statement: Statement
    private(set) var stepped = 0
    private(set) var cache: [[SQLValue]] = []
    private(set) var cacheStart = 0
    private(set) var done = false
    let keep: Int

    init(qid: Int, statement: Statement, keep: Int = 2000) {
        self.qid = qid
        self.statement = statement
        self.keep = keep
    }

    func rewind() {
        statement.reset()
        stepped = 0; cache = []; cacheStart = 0; done = false
    }

    /// Rows [from, from + count) (fewer at the end). `from < 0`: the last `count` rows.
    func fetch(from requested: Int, count: Int) throws -> (from: Int, rows: [[SQLValue]]) {
        let toEnd = requested < 0
        if !toEnd && requested < cacheStart { rewind() }
        let target = toEnd ? Int.max : requested + count
        let cols = statement.columnCount
        do {
            while stepped < target && !done {
                if try !statement.step() { done = true; break }
                // Read columns only for rows that can end up in the window.
                if toEnd || stepped >= target - keep {
                    cache.append((0..<cols).map(statement.value))
                    if cache.count > keep + keep / 2 { let cut = cache.count - keep; cache.removeFirst(cut); cacheStart += cut }
                } else {
                    // Skipped: what was kept is no longer contiguous with what comes.
                    if !cache.isEmpty { cache.removeAll(keepingCapacity: true) }
                    cacheStart = stepped + 1
                }
                stepped += 1
            }
        } catch {
            rewind()
            throw error
        }
        if cache.isEmpty { cacheStart = stepped }
        let from = toEnd ? max(cacheStart, stepped - count) : requested
        let lo = max(from, cacheStart) - cacheStart
        let hi = min(from + count, stepped) - cacheStart
        guard lo < hi, lo >= 0 else { return (from, []) }
        return (from, Array(cache[lo..<hi]))
    }
}

/// Runs the SQL console's statements on its own thread and its own connections: a
/// read-only one (`query_only`) by default, a writable one only once writing is allowed.
/// `interrupt()` (from the UI thread) stops whatever runs.
public final class SQLService {
    let path: String
    let analyst: String
    private var reader: Store?
    private var writer: Store?
    private var cursor: ResultCursor?
    private let lock = NSLock()
    /// Saved queries: built-in, the user's, the project's; `:save` writes to the catalog's writable folder.
    public var catalog: AssetCatalog {
        didSet { pg?.catalog = catalog }
    }
    /// A read-only session (`tui --read-only`): no writable connection, history kept in
    /// memory, `:save` refused — nothing is written to the store or the project.
    public var readOnly = false {
        didSet { pg?.readOnly = readOnly }
    }
    /// On a team store the console speaks PostgreSQL (SQLServicePG.swift).
    let pg: PGConsoleService?
    /// The dialect the console speaks, for its title.
    public var dialect: String { pg == nil ? "SQLite" : "PostgreSQL" }
    /// PII unmasked for the rest of the session (after an audited `:reveal REASON`).
    public private(set) var piiRevealed = false
    private var memoryHistory: [HistoryEntry] = []

    public init(path: String, analyst: String, catalog: AssetCatalog = .builtIn) {
        self.path = path
        self.analyst = analyst
        self.catalog = catalog
        if case .postgres(let url) = StoreLocation(path) { pg = PGConsoleService(url: url, analyst: analyst, catalog: catalog) } else { pg = nil }
    }

    public func interrupt() {
        pg?.interrupt()
        lock.lock()
        cancelRequested = true
        let r = reader, w = writer
        lock.unlock()
        r?.db.interrupt()
        w?.db.interrupt()
    }

    /// Ctrl-C stops the work in flight, even a statement the worker has not started yet
    /// (sqlite3_interrupt alone misses that moment); the next request the UI sends clears it.
    private var cancelRequested = false
    public func clearCancel() { pg?.clearCancel(); lock.lock(); cancelRequested = false; lock.unlock() }
    private func watchCancel(_ db: Database) {
        db.setInterruptCheck { [weak self] in
            guard let self else { return false }
            self.lock.lock(); defer { self.lock.unlock() }
            return self.cancelRequested
        }
    }

    func readDB() throws -> Database {
        if let r = reader { return r.db }
        let s = try Store(path: path, readOnly: true, maskPII: !piiRevealed)
        watchCancel(s.db)
        lock.lock(); reader = s; lock.unlock()
        return s.db
    }

    func writeDB() throws -> Database {
        if let w = writer { return w.db }
        if readOnly { throw StoreError("read-only session (--read-only): nothing is written to the store") }
        let s = try Store(path: path, maskPII: !piiRevealed)
        watchCancel(s.db)
        lock.lock(); writer = s; lock.unlock()
        return s.db
    }

    public func perform(_ r: ConsoleRequest) -> Loaded {
        if let pg {
            switch r {
            case .save, .cancel: break        // files and the UI: the same on both backends
            default: return pg.perform(r)
            }
        }
        do { return try run(r) } catch { return .failed("\(error)") }
    }

    /// A value typed for a parameter, as SQLite should see it: integers and decimals as
    /// numbers (comparisons with text columns still work by affinity), the rest as text.
    public static func bindValue(_ s: String) -> SQLValue {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.uppercased() == "NULL" { return .null }
        if let i = Int64(t), !(t.hasPrefix("0") && t.count > 1) { return .int(i) }
        if let d = Double(t), t.contains("."), !t.hasPrefix(".") { return .double(d) }
        return .text(s)
    }

    func prepare(_ db: Database, _ sql: String, params: [String: String]) throws -> Statement {
        var st: Statement?
        try db.prepareEach(sql) { s in if st == nil { st = s } }
        guard let st else { throw StoreError("nothing to run: the statement is empty or only a comment") }
        for i in 0..<st.parameterCount {
            guard let name = st.parameterName(i + 1) else { throw StoreError("positional parameter ?\(i + 1): name it (:name) to be asked for a value") }
            guard let v = params[String(name.dropFirst())] else { throw StoreError("parameter \(name) has no value") }
            try st.bind(Self.bindValue(v), at: i + 1)
        }
        return st
    }

    static func sorted(_ sql: String, _ sort: (column: Int, descending: Bool)?) -> String {
        guard let sort else { return sql }
        return "SELECT * FROM (\n\(sql)\n) ORDER BY \(sort.column + 1) \(sort.descending ? "DESC" : "ASC")"
    }

    func record(_ sql: String, ms: Double?, rows: Int?, more: Bool, error: String?) {
        // History is kept in the store; a read-only session keeps it in memory.
        if readOnly {
            memoryHistory.append(HistoryEntry(id: Int64(memoryHistory.count + 1), ts: Timestamp.nowMs(), analyst: analyst, sql: sql,
                                              durationMs: ms, rows: rows.map(Int64.init), more: more, error: error))
            return
        }
        _ = try? writeDB().recordHistory(analyst: analyst, sql: sql, durationMs: ms, rows: rows, more: more, error: error)
    }

    /// The in-memory history, as `Database.history` answers: newest first, one per statement.
    func sessionHistory(search: String) -> [HistoryEntry] {
        var seen = Set<String>()
        return memoryHistory.reversed().filter { e in
            (search.isEmpty || e.sql.localizedCaseInsensitiveContains(search)) && seen.insert(e.sql).inserted
        }
    }

    func run(_ r: ConsoleRequest) throws -> Loaded {
        switch r {
        case .catalog(let uid):
            let db = try readDB()
            var tables: [(String, [String])] = []
            for row in try db.rows("SELECT name FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name") {
                guard let name = row[0].string else { continue }
                let cols = try db.rows("SELECT name FROM pragma_table_info(?)", [.text(name)]).compactMap { $0[0].string }
                tables.append((name, cols))
            }
            let saved = SavedQuery.loadReporting(catalog: catalog)
            return .sqlCatalog(uid: uid, catalog: SQLCatalog(tables: tables, saved: saved.queries, problems: saved.problems))

        case .run(let uid, let qid, let sql, let params, let write, let sort, let pageRows):
            cursor = nil
            let db = try write ? writeDB() : readDB()
            let t0 = DispatchTime.now().uptimeNanoseconds
            func ms() -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 }
            let pieces = SQLText.statements(sql)
            let chars = Array(sql)
            do {
                guard !pieces.isEmpty else { throw StoreError("nothing to run: the statement is empty or only a comment") }
                var changes = 0
                for (k, range) in pieces.enumerated() {
                    let text = String(chars[range])
                    let st: Statement
                    do {
                        st = try prepare(db, Self.sorted(text, k == pieces.count - 1 ? sort : nil), params: params)
                    } catch var e as StoreError {
                        if sort == nil, let o = e.offset { e.offset = range.lowerBound + o }
                        else if e.offset != nil { e.offset = nil }
                        throw e
                    }
                    if k < pieces.count - 1 || st.columnCount == 0 {
                        let meter = db.changeMeter()
                        while try st.step() {}
                        changes += meter()
                        if k == pieces.count - 1 {
                            let elapsed = ms()
                            record(sql, ms: elapsed, rows: changes, more: false, error: nil)
                            return .sqlResult(uid: uid, qid: qid, columns: [], rows: [], done: true, elapsedMs: elapsed, changes: changes)
                        }
                        continue
                    }
                    let c = ResultCursor(qid: qid, statement: st)
                    let first = try c.fetch(from: 0, count: pageRows)
                    cursor = c
                    let elapsed = ms()
                    record(sql, ms: elapsed, rows: c.done ? c.stepped : first.rows.count, more: !c.done, error: nil)
                    return .sqlResult(uid: uid, qid: qid, columns: st.columnNames, rows: first.rows, done: c.done, elapsedMs: elapsed, changes: nil)
                }
                return .sqlResult(uid: uid, qid: qid, columns: [], rows: [], done: true, elapsedMs: ms(), changes: changes)
            } catch let e as StoreError {
                let elapsed = ms()
                if e.isInterrupt {
                    record(sql, ms: elapsed, rows: nil, more: false, error: "cancelled")
                    return .sqlFailed(uid: uid, qid: qid, message: String(format: "cancelled after %.1f s", elapsed / 1000), offset: nil, cancelled: true)
                }
                var msg = e.message
                // (On the read connection `accounts` is the masking view: a write to it is refused as a view.)
                if !write, msg.contains("readonly database") || msg.contains("query_only") || msg.contains("read-only")
                            || msg.contains("because it is a view") {
                    msg = "read-only: this statement would change the store — F8 allows writing (asks first). SQLite: \(e.message)"
                }
                if msg.contains("is prohibited") { msg += " — PII is masked: read the masked accounts / accounts_iso, or :reveal REASON (audited)" }
                record(sql, ms: elapsed, rows: nil, more: false, error: e.message)
                return .sqlFailed(uid: uid, qid: qid, message: msg, offset: e.offset, cancelled: false)
            }

        case .fetch(let uid, let qid, let from, let count):
            guard let c = cursor, c.qid == qid else { return .info("") }
            do {
                let page = try c.fetch(from: from, count: count)
                return .sqlRows(uid: uid, qid: qid, from: page.from, rows: page.rows, done: c.done, total: c.done ? c.stepped : nil)
            } catch let e as StoreError where e.isInterrupt {
                return .sqlRows(uid: uid, qid: qid, from: -1, rows: [], done: false, total: nil)
            }

        case .explain(let uid, let sql, let params):
            let db = try readDB()
            guard let range = SQLText.statements(sql).last else { return .failed("nothing to explain") }
            let st = try prepare(db, "EXPLAIN QUERY PLAN " + String(Array(sql)[range]), params: params.merging(Dictionary(uniqueKeysWithValues: SQLText.parameters(sql).map { ($0, "0") })) { a, _ in a })
            var depth: [Int64: Int] = [0: -1]
            var lines: [String] = []
            while try st.step() {
                let id = st.int(0), parent = st.int(1)
                let d = (depth[parent] ?? -1) + 1
                depth[id] = d
                lines.append(String(repeating: "  ", count: d) + "└─ " + (st.text(3) ?? ""))
            }
            return .sqlPlan(uid: uid, lines: lines)

        case .history(let uid, let search):
            let entries: [HistoryEntry]
            if readOnly { entries = sessionHistory(search: search) }
            else if let e = try? writeDB().history(search: search) { entries = e } else { entries = try readDB().history(search: search) }
            return .sqlHistory(uid: uid, entries: entries)

        case .export(let sql, let params, let sort, let path):
            let db = try readDB()
            let format: ResultFormat = path.lowercased().hasSuffix(".json") ? .json : path.lowercased().hasSuffix(".jsonl") ? .jsonl : .csv
            guard let range = SQLText.statements(sql).last else { return .failed("nothing to export") }
            let st = try prepare(db, Self.sorted(String(Array(sql)[range]), sort), params: params)
            // Written beside `path` and renamed when whole: a full disk or a failed write
            // leaves no partial file under the name, and says so.
            let file: FileOutput
            do { file = try FileOutput(path: path) } catch let e as StoreError { return .failed(e.message) }
            let n: Int
            do {
                n = try ResultWriter(format: format, out: file.write).write(st, shouldStop: { file.failed })
                try file.commit()
            } catch let e as StoreError {
                file.discard()
                return .failed("export failed, nothing written: \(e.message)")
            }
            return .info("exported \(n) rows to \(path) (\(format.rawValue))")

        case .batch(let sql, let params, let column, let name):
            let db = try readDB()
            guard let range = SQLText.statements(sql).last else { return .failed("nothing to batch") }
            let st = try prepare(db, String(Array(sql)[range]), params: params)
            var seen = Set<String>()
            var accounts: [String] = []
            while try st.step() {
                if let a = st.text(column), !a.isEmpty, seen.insert(a).inserted { accounts.append(a) }
            }
            guard !accounts.isEmpty else { return .failed("the result has no account ids in column \(st.columnName(column))") }
            let added = try writeDB().addToBatch(name, accounts: accounts, analyst: analyst, source: "sql")
            return .sqlBatched(name: name, accounts: accounts.count, added: added)

        case .reveal(let reason):
            if readOnly { return .failed("read-only session (--read-only): a PII reveal is audited, which writes; it is off") }
            try Store(path: path).db.audit(analyst: analyst, source: "sql", action: "reveal_pii", account: PII.everyAccount,
                                           new: "SQL console session", note: reason)
            // Reopen both connections without the masking views.
            lock.lock()
            cursor = nil; reader = nil; writer = nil; piiRevealed = true
            lock.unlock()
            return .revealed(account: nil, message: "PII revealed in this SQL console session — in the audit trail as \(analyst); run the query again")

        case .save(let name, let text, let overwrite):
            if readOnly { return .failed("read-only session (--read-only): :save is off — nothing is written to the project or the store") }
            guard let dir = catalog.writableFolder(.queries) else { return .failed("no folder to save queries in (~/.config/riskdesk/queries, ./queries or $RISKDESK_QUERIES)") }
            guard name.range(of: #"^[A-Za-z0-9_\-]+$"#, options: .regularExpression) != nil else {
                return .failed("a saved query's name is letters, digits, _ and - (got '\(name)')")
            }
            let path = (dir as NSString).appendingPathComponent(name + ".sql")
            if FileManager.default.fileExists(atPath: path) && !overwrite {
                return .failed("\(path) exists: :save! \(name) replaces it")
            }
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try (text.hasSuffix("\n") ? text : text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                return .failed("\(path): cannot write (\(error.localizedDescription))")
            }
            return .info("saved \(path)")

        case .cancel:
            return .info("")      // the runtime interrupts; nothing runs here
        }
    }
}
