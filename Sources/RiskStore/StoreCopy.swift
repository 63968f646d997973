import Foundation

/// `riskdesk store copy SRC DST`: a local store to a team store and back, whole or a slice
/// (some accounts, events since a time). Ids, labels, audit and cases are kept as they are;
/// rows already in the destination (same key) are left alone, so a copy can be run again.
/// Into PostgreSQL it streams through COPY; out of it, through a cursor.
public struct StoreCopy {
    public struct Options: Sendable {
        /// Only these accounts (their events, links, labels, cases, findings, audit…).
        public var accounts: [String]?
        /// Only events at or after this time (epoch ms); accounts and cases are copied whole.
        public var sinceMs: Int64?
        public var progress: (@Sendable (String) -> Void)?
        public init(accounts: [String]? = nil, sinceMs: Int64? = nil, progress: (@Sendable (String) -> Void)? = nil) {
            self.accounts = accounts; self.sinceMs = sinceMs; self.progress = progress
        }
    }

    /// Rows copied per table (rows read from the source; those already there are skipped).
    public typealias Counts = [(table: String, rows: Int)]

    /// Tables in copy order, and how a slice filters them.
    enum Filter { case account, events, none, audit }
    static let tables: [(name: String, key: [String], filter: Filter)] = [
        ("import_runs", ["id"], .none), ("accounts", ["account_id"], .account), ("items", ["item_id"], .none),
        ("events", ["event_id"], .events), ("links", ["kind", "value", "account_id"], .account),
        ("rejects", ["id"], .none),
        ("detect_runs", ["id"], .none), ("findings", ["id"], .account), ("scores", ["account_id"], .account),
        ("groups", ["group_id"], .none), ("models", ["id"], .none), ("run_scores", ["run_id", "account_id"], .account),
        ("labels", ["id"], .account), ("cases", ["account_id"], .account), ("audit", ["id"], .audit),
        ("sql_history", ["id"], .none), ("batches", ["name", "account_id"], .account),
    ]

    // MARK: - SQLite → PostgreSQL

    /// Copies a local store into a team store. The destination's owner runs it (labels and
    /// audit keep their analysts, which only the owner may write).
    public static func sqliteToPG(_ src: Store, _ dst: PGStore, _ o: Options = Options()) throws -> Counts {
        let pg = dst.conn
        var counts: Counts = []
        let accountsJSON = o.accounts.map { "[" + $0.map(ResultWriter.jsonString).joined(separator: ",") + "]" }
        try pg.transaction {
            for t in tables {
                let srcCols = try src.db.rows("SELECT name FROM pragma_table_info('\(t.name)') ORDER BY cid").compactMap { $0[0].string }
                let dstCols = try pgColumns(pg, t.name)
                let cols = srcCols.filter { dstCols.keys.contains($0) }
                guard !cols.isEmpty else { continue }
                var sql = "SELECT \(cols.map { "\"\($0)\"" }.joined(separator: ", ")) FROM \(t.name) WHERE 1"
                var args: [SQLValue] = []
                if let accountsJSON, t.filter != .none {
                    sql += t.filter == .audit ? " AND (account_id IS NULL OR account_id IN (SELECT value FROM json_each(?)))"
                                              : " AND account_id IN (SELECT value FROM json_each(?))"
                    args.append(.text(accountsJSON))
                }
                if let since = o.sinceMs, t.filter == .events { sql += " AND ts >= ?"; args.append(.int(since)) }
                let st = try src.db.prepare(sql)
                try st.bind(args)
                let stage = "riskdesk_copy_" + t.name
                try pg.exec("DROP TABLE IF EXISTS pg_temp.\(stage); CREATE TEMP TABLE \(stage) (LIKE \(t.name) INCLUDING DEFAULTS) ON COMMIT DROP")
                let types = cols.map { dstCols[$0]! }
                var n = 0
                let colList = cols.map { "\"\($0)\"" }.joined(separator: ", ")
                try pg.copyIn("COPY \(stage) (\(colList)) FROM STDIN") { send in
                    var buf = [UInt8]()
                    buf.reserveCapacity(1 << 20)
                    while try st.step() {
                        for i in 0..<cols.count {
                            if i > 0 { buf.append(9) }
                            appendCopyText(&buf, st.value(i), bytea: types[i] == "bytea")
                        }
                        buf.append(10)
                        n += 1
                        if buf.count >= 1 << 20 { try buf.withUnsafeBytes(send); buf.removeAll(keepingCapacity: true) }
                    }
                    try buf.withUnsafeBytes(send)
                }
                if t.name == "events" {
                    // Partitions for the months that hold rows (a stray old time: one partition, not every month since).
                    try pg.run("SELECT riskdesk_ensure_event_partitions(d * 86400000, d * 86400000) FROM (SELECT DISTINCT floor(ts / 86400000.0)::bigint AS d FROM \(stage)) days")
                    try pg.exec("""
                        CREATE TEMP TABLE riskdesk_copy_new ON COMMIT DROP AS
                        WITH fresh AS (INSERT INTO event_ids (event_id, id) SELECT event_id, id FROM \(stage) ON CONFLICT DO NOTHING RETURNING event_id)
                        SELECT event_id FROM fresh;
                        INSERT INTO events (\(colList)) SELECT \(cols.map { "s.\"\($0)\"" }.joined(separator: ", ")) FROM \(stage) s JOIN riskdesk_copy_new USING (event_id);
                        SELECT setval('events_id_seq', greatest((SELECT max(id) FROM event_ids), 1));
                        """)
                } else {
                    if t.name == "cases" && !cols.contains("claim_expires_at") {
                        // A live claim from a local store (where claims don't expire) gets the
                        // team store's expiry: the team's claim lifetime from the copy on.
                        try pg.exec("""
                            INSERT INTO cases (\(colList), claim_expires_at)
                            SELECT \(colList), CASE WHEN assignee IS NOT NULL AND status <> 'closed'
                                                    THEN riskdesk_now_ms() + riskdesk_claim_ttl_ms() END
                            FROM \(stage) ON CONFLICT DO NOTHING
                            """)
                    } else {
                        try pg.exec("INSERT INTO \(t.name) (\(colList)) SELECT \(colList) FROM \(stage) ON CONFLICT DO NOTHING")
                    }
                    if t.key == ["id"] {
                        try pg.exec("SELECT setval(pg_get_serial_sequence('\(t.name)', 'id'), greatest((SELECT max(id) FROM \(t.name)), 1))")
                    }
                }
                counts.append((t.name, n))
                o.progress?("\(t.name): \(n)")
            }
            // Hourly counts: derived, recomputed from what the destination now holds.
            try pg.exec("""
                DELETE FROM event_hourly;
                INSERT INTO event_hourly (hour, type, n) SELECT floor(ts / 3600000.0)::bigint, type, count(*) FROM events WHERE type IS NOT NULL GROUP BY 1, 2;
                """)
        }
        // Planner statistics for what was just copied (autovacuum never analyzes the
        // partitioned `events`; the owner runs the copy, and may). Best effort.
        _ = try? pg.exec("ANALYZE")
        return counts
    }

    // MARK: - PostgreSQL → SQLite

    /// Copies a team store (or a slice of it) into a local store, for offline work.
    public static func pgToSQLite(_ src: PGStore, _ dst: Store, _ o: Options = Options()) throws -> Counts {
        let pg = src.conn
        var counts: Counts = []
        let accountsArray = o.accounts.map(pgArray)
        try dst.db.transaction {
            for t in tables {
                let dstCols = try dst.db.rows("SELECT name FROM pragma_table_info('\(t.name)') ORDER BY cid").compactMap { $0[0].string }
                let srcCols = try pgColumns(pg, t.name)
                let cols = dstCols.filter { srcCols.keys.contains($0) }
                guard !cols.isEmpty else { continue }
                // bytea (a reject's raw record) comes as bytes: text again when it is valid
                // UTF-8, else a blob, as a local import stores it.
                let byteaAt = cols.enumerated().filter { srcCols[$0.element] == "bytea" }.map(\.offset)
                let select = cols.map { "\"\($0)\"" }
                var sql = "SELECT \(select.joined(separator: ", ")) FROM \(t.name) WHERE true"
                var args: [SQLValue] = []
                if let accountsArray, t.filter != .none {
                    args.append(.text(accountsArray))
                    sql += t.filter == .audit ? " AND (account_id IS NULL OR account_id = ANY($\(args.count)::text[]))"
                                              : " AND account_id = ANY($\(args.count)::text[])"
                }
                if let since = o.sinceMs, t.filter == .events { args.append(.int(since)); sql += " AND ts >= $\(args.count)" }
                var insSQL = "INSERT OR IGNORE INTO \(t.name) (\(cols.map { "\"\($0)\"" }.joined(separator: ", "))) SELECT \((1...cols.count).map { "?\($0)" }.joined(separator: ", "))"
                if t.name == "events", let e = cols.firstIndex(of: "event_id") {
                    // No unique index on event_id (schema v11): an event the store already holds is skipped through event_keys.
                    insSQL += " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id IN (SELECT id FROM event_keys WHERE key = riskdesk_event_key(?\(e + 1))) AND e.event_id = ?\(e + 1))"
                }
                let ins = try dst.db.prepare(insSQL)
                var n = 0
                try pg.cursor(sql, args, batch: 20_000) { page in
                    for var r in page.rows {
                        for i in byteaAt { if case .blob(let b) = r[i], let text = String(validatingUTF8Bytes: b) { r[i] = .text(text) } }
                        try ins.bind(r)
                        try ins.execute()
                        n += 1
                    }
                    return true
                }
                counts.append((t.name, n))
                o.progress?("\(t.name): \(n)")
            }
            try EventKey.cover(dst.db)   // the copied events' keys
            try dst.db.exec("""
                DELETE FROM event_hourly;
                INSERT INTO event_hourly(hour, type, n)
                  SELECT CASE WHEN ts >= 0 THEN ts / 3600000 ELSE (ts - 3599999) / 3600000 END, type, count(*) FROM events WHERE type IS NOT NULL GROUP BY 1, 2;
                """)
        }
        return counts
    }

    // MARK: - Helpers

    /// Column name → type name of a PostgreSQL table.
    static func pgColumns(_ pg: PGConnection, _ table: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for r in try pg.rows("""
            SELECT a.attname::text, format_type(a.atttypid, NULL) FROM pg_attribute a
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            """, [.text(table)]) {
            if let n = r[0].string { out[n] = r[1].string ?? "" }
        }
        return out
    }

    /// One value in COPY's text format: \N for NULL; backslash, tab, newline, CR escaped.
    static func appendCopyText(_ buf: inout [UInt8], _ v: SQLValue, bytea: Bool) {
        switch v {
        case .null: buf.append(contentsOf: [92, 78])
        case .int(let i): buf.append(contentsOf: String(i).utf8)
        case .double(let d): buf.append(contentsOf: String(d).utf8)
        case .text(let s):
            if bytea { appendByteaHex(&buf, Array(s.utf8)) } else { appendEscaped(&buf, s.utf8) }
        case .blob(let b):
            if bytea { appendByteaHex(&buf, b) } else { appendEscaped(&buf, String(decoding: b, as: UTF8.self).utf8) }
        }
    }

    static func appendByteaHex(_ buf: inout [UInt8], _ b: [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        buf.append(contentsOf: [92, 92, 120])   // \\x: a literal backslash, then x
        for x in b { buf.append(hex[Int(x >> 4)]); buf.append(hex[Int(x & 15)]) }
    }

    static func appendEscaped<S: Sequence>(_ buf: inout [UInt8], _ bytes: S) where S.Element == UInt8 {
        for c in bytes {
            switch c {
            case 92: buf.append(92); buf.append(92)
            case 9: buf.append(92); buf.append(116)
            case 10: buf.append(92); buf.append(110)
            case 13: buf.append(92); buf.append(114)
            case 0: continue    // PostgreSQL text can't hold NUL
            default: buf.append(c)
            }
        }
    }

    /// A PostgreSQL text[] literal: {"a","b"} with quotes and backslashes escaped.
    public static func pgArray(_ xs: [String]) -> String { "{" + xs.map(pgArrayQuote).joined(separator: ",") + "}" }

    static func pgArrayQuote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

extension String {
    /// The bytes as a String if they are valid UTF-8 (nil otherwise: never a lossy repair).
    init?(validatingUTF8Bytes b: [UInt8]) {
        var it = b.makeIterator()
        var codec = UTF8()
        loop: while true {
            switch codec.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(decoding: b, as: UTF8.self)
    }
}
