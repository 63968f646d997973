import Foundation

/// A statement run in the SQL console.
public struct HistoryEntry: Equatable, Sendable {
    public var id: Int64
    public var ts: Int64
    public var analyst: String
    public var sql: String
    public var durationMs: Double?
    public var rows: Int64?
    public var more: Bool
    public var error: String?

    public init(id: Int64, ts: Int64, analyst: String, sql: String, durationMs: Double?, rows: Int64?, more: Bool, error: String?) {
        self.id = id; self.ts = ts; self.analyst = analyst; self.sql = sql
        self.durationMs = durationMs; self.rows = rows; self.more = more; self.error = error
    }
}

extension SQLDatabase {
    /// Records a console statement (sql_history).
    public func recordHistory(analyst: String, sql: String, durationMs: Double?, rows: Int?, more: Bool, error: String?) throws {
        // On a team store the analyst is the login role (the column's default).
        let own = dialect == .sqlite
        try run("INSERT INTO sql_history(ts, \(own ? "analyst, " : "")sql, duration_ms, rows, more, error) VALUES (?, \(own ? "?, " : "")?, ?, ?, ?, ?)",
                [.int(Timestamp.nowMs())] + (own ? [.text(analyst)] : []) + [.text(sql), durationMs.map { .double($0) } ?? .null,
                 rows.map { .int(Int64($0)) } ?? .null, .int(more ? 1 : 0), error.map { .text($0) } ?? .null])
    }

    /// History, newest first, one entry per distinct statement; `search` matches anywhere in it.
    public func history(search: String = "", limit: Int = 200) throws -> [HistoryEntry] {
        let like = "%" + search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try rows("""
            SELECT h.id, h.ts, h.analyst, h.sql, h.duration_ms, h.rows, h.more, h.error FROM sql_history h
            WHERE h.id IN (SELECT max(id) FROM sql_history WHERE sql LIKE ?1 ESCAPE '\\' GROUP BY sql)
            ORDER BY h.id DESC LIMIT ?2
            """, [.text(like), .int(Int64(limit))]).map {
            HistoryEntry(id: $0[0].int ?? 0, ts: $0[1].int ?? 0, analyst: $0[2].string ?? "", sql: $0[3].string ?? "",
                         durationMs: $0[4].double, rows: $0[5].int, more: ($0[6].int ?? 0) != 0, error: $0[7].string)
        }
    }

    /// Adds accounts to a named review batch (one transaction, audited); returns how many were new.
    @discardableResult
    public func addToBatch(_ name: String, accounts: [String], analyst: String, source: String) throws -> Int {
        try inTransaction {
            let before = try int("SELECT count(*) FROM batches WHERE name = ?", [.text(name)])
            let own = dialect == .sqlite
            let insert = "INSERT INTO batches(name, account_id, added_at\(own ? ", analyst" : "")) VALUES (?, ?, ?\(own ? ", ?" : "")) ON CONFLICT DO NOTHING"
            let now = Timestamp.nowMs()
            for a in accounts {
                try run(insert, [.text(name), .text(a), .int(now)] + (own ? [.text(analyst)] : []))
            }
            let added = Int(try int("SELECT count(*) FROM batches WHERE name = ?", [.text(name)]) - before)
            try audit(analyst: analyst, source: source, action: "batch", account: nil, new: name, note: "\(added) accounts added (\(accounts.count) in the result)")
            return added
        }
    }

    /// Named batches with their sizes, newest first.
    public func batches() throws -> [(name: String, size: Int64, created: Int64)] {
        try rows("SELECT name, count(*), min(added_at) FROM batches GROUP BY name ORDER BY 3 DESC, 1").map {
            ($0[0].string ?? "", $0[1].int ?? 0, $0[2].int ?? 0)
        }
    }
}
