import CSQLite
import Foundation

/// The case store: one SQLite file, WAL, foreign keys on, a busy timeout, created and
/// upgraded by `Schema.migrations`.
public final class Store {
    public let db: Database
    public let path: String
    public let readOnly: Bool
    let busyTimeoutMs: Int32

    /// Where a command finds the store: `--store` (`explicit`), else `$RISKDESK_STORE`
    /// (`environment`: the executable reads the variable), else ./riskdesk.db.
    public static func defaultPath(explicit: String?, environment: String? = nil) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let environment, !environment.isEmpty { return environment }
        return "riskdesk.db"
    }

    /// Opens (creating if needed, unless `readOnly` or `mustExist`) and migrates the store.
    /// Read-only: `SQLITE_OPEN_READONLY` and `query_only`, and nothing written on open (no
    /// migration, no index rebuild, no marking of dead imports).
    /// - Parameter migrateTo: stop migrating at this version (tests build old stores with it).
    /// - Parameter maskPII: e-mail and phone masked in everything run on this connection
    ///   (`Database.maskPII`); on a writable connection, refused instead of masked.
    public init(path: String, readOnly: Bool = false, mustExist: Bool = false,
                busyTimeoutMs: Int32 = 10_000, migrateTo: Int? = nil, maskPII: Bool = false) throws {
        // A team store's URL is never a file name (nor a message that shows its password).
        if PGConnection.isURL(path) {
            throw StoreError("\(PGConnection.redact(path)): this works on a local (SQLite) store only, not on a team store")
        }
        self.path = path
        self.readOnly = readOnly
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        // SQLite says "disk I/O error" (or "unable to open database file") for a folder.
        if exists && isDir.boolValue { throw StoreError("\(path): is a folder, not a store (name the store's .db file)") }
        // A device or FIFO (`--store /dev/null`) read as "schema v0 … upgrades it in place", and a
        // writer then failed with a bare "disk I/O error" naming nothing.
        var st = stat()
        if exists && stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            throw StoreError("\(path): is not a regular file (a device, FIFO or socket), not a store (name the store's .db file)")
        }
        if (readOnly || mustExist) && !exists {
            throw StoreError("\(path): no such store (create one with `riskdesk import` or `riskdesk demo`)")
        }
        db = try Database(path: path, flags: readOnly ? [.readOnly] : [.readWrite, .create])
        db.setBusyTimeout(ms: busyTimeoutMs)
        self.busyTimeoutMs = busyTimeoutMs
        do {
            try configure(fresh: !exists)
        } catch let e as StoreError {
            // SQLite's "file is not a database" etc: name the file.
            throw e.message.hasPrefix(path) ? e : StoreError("\(path): \(e.message)", code: e.code)
        }
        if !readOnly { try migrate(to: migrateTo ?? Schema.latestVersion) }
        else { try checkVersionReadable() }
        if maskPII { try db.maskPII(views: readOnly) }
        if readOnly { try db.exec("PRAGMA query_only = 1") }
    }

    private func configure(fresh: Bool) throws {
        // Touch the header first so a non-database file fails here with SQLite's own words.
        let appID = Int32(truncatingIfNeeded: try db.int("PRAGMA application_id"))
        let version = try db.int("PRAGMA user_version")
        let tables = try db.int("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")
        if appID != Schema.applicationID && (tables > 0 || version > 0) {
            throw StoreError("\(path): not a riskdesk store (a SQLite file, but with application_id \(appID) and \(tables) tables of its own)")
        }
        // A newer store is refused before anything is written to it (journal mode included).
        if version > Schema.latestVersion { throw newerStoreError(Int(version)) }
        try db.exec("PRAGMA foreign_keys = ON")
        if fresh && !readOnly {
            // 16 KiB pages: shallower b-trees; bulk loads measured ~10% faster than 4 KiB.
            try db.exec("PRAGMA page_size = 16384")
            // Pages a large import stages and empties (`links_pending`, merged event-key tiers)
            // are given back at its end (`PRAGMA incremental_vacuum`), so the file is no bigger
            // than its pages in use. Only settable before the first table.
            try db.exec("PRAGMA auto_vacuum = INCREMENTAL")
        }
        if !readOnly {
            if try db.scalar("PRAGMA journal_mode").string?.lowercased() != "wal" {
                let mode = try db.scalar("PRAGMA journal_mode = WAL").string ?? ""
                if mode.lowercased() != "wal" { throw StoreError("\(path): could not switch to WAL (got \(mode))") }
            }
            // NORMAL in WAL mode: a commit survives a killed process; only an OS crash
            // may roll back the last commits, never corrupt the file.
            try db.exec("PRAGMA synchronous = NORMAL")
        }
        try db.exec("PRAGMA cache_size = -32768")   // 32 MiB page cache per connection
        try db.exec("PRAGMA temp_store = MEMORY")
    }

    public var schemaVersion: Int { Int((try? db.int("PRAGMA user_version")) ?? 0) }

    private func checkVersionReadable() throws {
        let v = schemaVersion
        if v > Schema.latestVersion { throw newerStoreError(v) }
        if v < Schema.latestVersion {
            throw StoreError("\(path): store has schema v\(v); this build needs v\(Schema.latestVersion). This command only reads; one that writes upgrades it in place (e.g. `riskdesk tui`, or `riskdesk detect`).")
        }
    }

    private func newerStoreError(_ v: Int) -> StoreError {
        StoreError("\(path): this store has schema v\(v), made by a newer riskdesk; this build knows up to v\(Schema.latestVersion). Upgrade riskdesk to open it (the store was not changed).")
    }

    private func migrate(to target: Int) throws {
        // Migrations 14 and 15 rewrite every event and sort identifiers, 16 every link: their
        // sorts go through temporary files, not RAM, so a big store migrates in bounded memory.
        // So do the timeline index's builds (migration 18, an index healed below: a sort of every
        // event, 1 GB of RAM at 13M events with the temporary store in memory).
        try db.exec("PRAGMA temp_store = FILE")
        defer { try? db.exec("PRAGMA temp_store = MEMORY") }
        // Take the write lock before reading the version, so two processes opening a new
        // store at once don't both run migration 1.
        do { try db.exec("BEGIN IMMEDIATE") } catch let e as StoreError where e.isBusy {
            throw busyError(e)
        }
        do {
            let current = schemaVersion
            if current > Schema.latestVersion { throw newerStoreError(current) }
            if current == 0 { try db.exec("PRAGMA application_id = \(Schema.applicationID)") }
            for m in Schema.migrations where m.version > current && m.version <= target {
                do { try db.exec(m.sql) } catch let e as StoreError {
                    throw StoreError("\(path): migration to v\(m.version) (\(m.summary)) failed: \(e.message)", code: e.code)
                }
                try db.exec("PRAGMA user_version = \(m.version)")
            }
            if target >= 1 {
                // A run still marked running whose process is gone was killed.
                var importRunning = false
                for row in try db.rows("SELECT id, pid FROM import_runs WHERE status = 'running'") {
                    guard let id = row[0].int else { continue }
                    if Store.isAlive(pid: row[1].int) { importRunning = true; continue }
                    try db.run("UPDATE import_runs SET status = 'interrupted', message = coalesce(message, 'importer stopped before finishing (killed?)') WHERE id = ?", [.int(id)])
                }
                // Indexes a killed bulk import dropped; not while a live bulk import is loading.
                if !importRunning {
                    // Links and account activity a killed large import staged, then its dropped indexes.
                    if schemaVersion >= Schema.packedLinksVersion {
                        // Packed runs merged k-way (rows in links_pending, if any, by GROUP BY).
                        if try Schema.hasPendingLinks(db) { try Schema.mergePendingLinkRuns(db, runStarts: []) }
                    } else if schemaVersion >= Schema.pendingLinksVersion,
                       try db.int("SELECT EXISTS (SELECT 1 FROM links_pending)") == 1 {
                        for sql in Schema.mergePendingLinks(version: schemaVersion) { try db.exec(sql) }
                    }
                    // Keys of events a killed import stored but had not yet added to event_keys.
                    if schemaVersion >= Schema.eventKeysVersion,
                       try db.int("SELECT (SELECT coalesce(max(id), 0) FROM \(Schema.eventsTable(version: schemaVersion))) > (SELECT upto FROM event_keys_covered)") == 1 {
                        try EventKey.cover(db, version: schemaVersion)
                    }
                    try Store.createMissingIndexes(db, version: schemaVersion)
                }
                if schemaVersion >= Schema.detectPidVersion {
                    for row in try db.rows("SELECT id, pid FROM detect_runs WHERE status = 'running'") {
                        guard let id = row[0].int, !Store.isAlive(pid: row[1].int) else { continue }
                        try db.run("UPDATE detect_runs SET status = 'cancelled', finished_at = coalesce(finished_at, ?), message = coalesce(message, ?) WHERE id = ?",
                                   [.int(Timestamp.nowMs()), .text(Store.deadRunMessage), .int(id)])
                    }
                }
            }
            try db.exec("COMMIT")
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
    }

    /// True when a process with this id runs (a run's recorded owner). Nil or 0: unknown, dead.
    public static func isAlive(pid: Int64?) -> Bool {
        guard let pid, pid > 0, pid <= Int64(Int32.max) else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }

    public static let deadRunMessage = "detection stopped before finishing (its process is gone: killed?)"

    func busyError(_ e: StoreError) -> StoreError {
        StoreError("\(path): the store is busy: another process is writing to it (an import or a detection run?) and still held it after \(busyTimeoutMs / 1000) s; try again when it has finished (readers are not affected)", code: e.code)
    }

    /// Creates the rebuildable indexes a killed bulk import dropped. From v18 a timeline index
    /// that is not the block-grouped one (built by hand another way) is built again too, with
    /// its statistics row.
    static func createMissingIndexes(_ db: Database, version: Int) throws {
        let rebuild = try version >= Schema.timelineTierVersion && !TimelineTier.indexMatches(db)
        if rebuild { try db.exec("DROP INDEX IF EXISTS idx_events_account_ts") }
        for ix in Schema.rebuildableIndexes { try db.exec(Schema.indexSQL(ix.sql, version: version)) }
        if rebuild { for sql in Schema.eventStatsSQL { try db.exec(sql) } }
    }

    /// Indexes that should exist but do not (after a killed bulk import).
    public func missingIndexes() throws -> [String] {
        let have = Set(try db.rows("SELECT name FROM sqlite_schema WHERE type='index'").compactMap { $0[0].string })
        return Schema.rebuildableIndexes.map(\.name).filter { !have.contains($0) }
    }
}

// MARK: - Typed queries used by the CLI and screens

public struct StoreSummary: Sendable, Equatable {
    public var accounts: Int64
    public var items: Int64
    public var events: Int64
    public var rejects: Int64
    public var firstEventMs: Int64?
    public var lastEventMs: Int64?
}

public struct ImportRunRecord: Sendable, Equatable {
    public var id: Int64
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var status: String
    public var sources: String
    public var rowsRead, rowsStored, rowsUpdated, rowsDuplicate, rowsRejected, bytesRead: Int64
    public var message: String?
}

public struct RejectRecord: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64?
    public var source: String
    public var line: Int64
    public var kind: String
    public var raw: String
    public var reason: String
}

extension Store {
    /// The first and last event time without a `ts` index (v13): per type, the ends of its
    /// run in the `(type, ts)` index (the distinct types found by seeking the index, so a type
    /// inserted by hand counts too), and the untyped events. A few dozen seeks, not a scan.
    public static let eventSpanSQL = eventSpanSQL(table: "events_i")

    /// `eventSpanSQL` over the table that holds the rows (`events` before v14).
    public static func eventSpanSQL(table e: String) -> String {
        """
        WITH RECURSIVE t(type) AS (
            SELECT (SELECT min(type) FROM \(e))
            UNION ALL SELECT (SELECT min(type) FROM \(e) WHERE type > t.type) FROM t WHERE t.type IS NOT NULL)
        SELECT min(lo), max(hi) FROM (
            SELECT (SELECT min(ts) FROM \(e) WHERE type = t.type) AS lo, (SELECT max(ts) FROM \(e) WHERE type = t.type) AS hi
            FROM t WHERE t.type IS NOT NULL
            UNION ALL SELECT (SELECT min(ts) FROM \(e) WHERE type IS NULL), (SELECT max(ts) FROM \(e) WHERE type IS NULL))
        """
    }

    /// The file's size and the part of it in free pages (left by a migration that rewrote a
    /// table, or by deleted rows): imports reuse them; `VACUUM` gives them back to the disk.
    public func fileSpace() throws -> (fileBytes: Int64, freeBytes: Int64) {
        let page = try db.int("PRAGMA page_size")
        return (try db.int("PRAGMA page_count") * page, try db.int("PRAGMA freelist_count") * page)
    }

    /// True when the store has free pages it can give back: made with auto_vacuum = INCREMENTAL
    /// (every store this build creates; an older one until `VACUUM`ed after
    /// `PRAGMA auto_vacuum = INCREMENTAL`).
    public func hasReturnableFreePages() throws -> Bool {
        try db.int("PRAGMA auto_vacuum") == 2 && db.int("PRAGMA freelist_count") > 0
    }

    /// Moves the last pages of the file into its free ones and truncates it, in one
    /// transaction (a kill leaves the store as it was). The file shrinks on disk when the WAL is
    /// next checkpointed (at the latest when the last connection closes).
    public func returnFreePages() throws {
        try db.exec("PRAGMA incremental_vacuum")
    }

    public func summary() throws -> StoreSummary {
        let e = Schema.eventsTable(version: schemaVersion)
        let r = try db.rows("""
            SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM items),
                   (SELECT count(*) FROM \(e)), (SELECT count(*) FROM rejects), span.*
            FROM (\(Self.eventSpanSQL(table: e))) span
            """)[0]
        return StoreSummary(accounts: r[0].int ?? 0, items: r[1].int ?? 0, events: r[2].int ?? 0,
                            rejects: r[3].int ?? 0, firstEventMs: r[4].int, lastEventMs: r[5].int)
    }

    /// The latest detection run, as readers should show it: a run marked running whose
    /// process is gone is reported as stopped (a writer marks it cancelled when it next opens).
    public func lastDetectRun() throws -> (id: Int64, startedAt: Int64, status: String, message: String?)? {
        let hasPid = schemaVersion >= Schema.detectPidVersion
        guard let r = try db.rows("SELECT id, started_at, status, message, \(hasPid ? "pid" : "NULL") FROM detect_runs ORDER BY id DESC LIMIT 1").first,
              let id = r[0].int else { return nil }
        var status = r[2].string ?? "", message = r[3].string
        if status == "running" && !Store.isAlive(pid: r[4].int) { status = "stopped"; message = message ?? Store.deadRunMessage }
        return (id, r[1].int ?? 0, status, message)
    }

    public func importRuns(limit: Int = 20) throws -> [ImportRunRecord] {
        let st = try db.prepare("""
            SELECT id, started_at, finished_at, status, sources, rows_read, rows_stored, rows_updated,
                   rows_duplicate, rows_rejected, bytes_read, message
            FROM import_runs ORDER BY id DESC LIMIT ?
            """)
        try st.bind([.int(Int64(limit))])
        var out: [ImportRunRecord] = []
        while try st.step() {
            out.append(ImportRunRecord(id: st.int(0), startedAt: st.int(1), finishedAt: st.optionalInt(2),
                                       status: st.text(3) ?? "", sources: st.text(4) ?? "",
                                       rowsRead: st.int(5), rowsStored: st.int(6), rowsUpdated: st.int(7),
                                       rowsDuplicate: st.int(8), rowsRejected: st.int(9), bytesRead: st.int(10),
                                       message: st.text(11)))
        }
        return out
    }

    /// Rejected rows, newest first, a page at a time (keyset on id).
    public func rejects(run: Int64? = nil, beforeID: Int64? = nil, limit: Int = 100) throws -> [RejectRecord] {
        var sql = "SELECT id, run_id, source, line, kind, raw, reason FROM rejects WHERE 1"
        var args: [SQLValue] = []
        if let run { sql += " AND run_id = ?"; args.append(.int(run)) }
        if let beforeID { sql += " AND id < ?"; args.append(.int(beforeID)) }
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(.int(Int64(limit)))
        let st = try db.prepare(sql)
        try st.bind(args)
        var out: [RejectRecord] = []
        while try st.step() {
            let raw: String
            switch st.value(5) {
            case .blob(let b): raw = String(decoding: b, as: UTF8.self)   // invalid bytes shown as U+FFFD
            case let v: raw = v.string ?? ""
            }
            out.append(RejectRecord(id: st.int(0), runID: st.optionalInt(1), source: st.text(2) ?? "",
                                    line: st.int(3), kind: st.text(4) ?? "", raw: raw, reason: st.text(6) ?? ""))
        }
        return out
    }
}
