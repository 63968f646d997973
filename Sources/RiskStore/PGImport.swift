import Foundation

/// Import into a team store. The importer (RiskImport) reads and checks the files into a local
/// staging store exactly as for a local import — the same parsing, the same rejects — and this
/// moves the result in: COPY (streamed) into the server's staging tables, then one merge on the
/// server (`riskdesk_merge_import`) that stores new events by event_id, upserts accounts and
/// items, and adds the counts of the new events only. All in one transaction: a killed import
/// leaves the team store as it was; importing the same files again stores nothing new.
extension PGStore {
    public struct MergeResult: Sendable, Equatable {
        public var runID: Int64
        public var staged: Int64
        public var stored: Int64
        public var duplicate: Int64
        public var updated: Int64
        public var rejected: Int64
    }

    /// Refuses early (before any file is read) when this role may not import.
    public func checkCanImport() throws {
        guard try isLead() else {
            throw PGError("\(displayURL): importing needs the riskdesk_lead role (you are \(try currentRole()), an analyst)", sqlstate: "42501")
        }
    }

    /// Moves a staging store's rows into the team store. `sources`: the files, for import_runs.
    public func mergeImport(from staging: Store, sources: [String], bytesRead: Int64 = 0,
                            progress: ((String) -> Void)? = nil) throws -> MergeResult {
        try checkCanImport()
        let json = "[" + sources.map(StoreCopy.jsonQuote).joined(separator: ",") + "]"
        let runID = try conn.scalar("INSERT INTO import_runs (started_at, sources, pid) VALUES (riskdesk_now_ms(), $1, $2) RETURNING id",
                                    [.text(json), .int(Int64(getpid()))]).int ?? 0
        do {
            let r = try conn.transaction { () -> MergeResult in
                let ev = ["id", "event_id", "ts", "account_id", "type", "device_id", "ip", "country", "session_id", "item_id", "seller_id",
                          "order_id", "quantity", "amount", "currency", "coupon_id", "payment_id", "address_id", "target_id", "rating",
                          "status", "text", "extra"]
                let staged = try copy(staging, "SELECT \(ev.joined(separator: ", ")) FROM events ORDER BY id", into: "stage_events", ev)
                progress?("events staged: \(staged)")
                let ac = ["account_id", "created_at", "kind", "country", "email", "phone", "extra"]
                _ = try copy(staging, "SELECT \(ac.joined(separator: ", ")) FROM accounts WHERE in_profile = 1", into: "stage_accounts", ac)
                let it = ["item_id", "seller_id", "title", "category", "price", "currency", "limited", "drop_at", "extra"]
                _ = try copy(staging, "SELECT \(it.joined(separator: ", ")) FROM items", into: "stage_items", it)
                let rj = ["source", "line", "kind", "raw", "reason", "raw_hash"]
                let rejected = try copy(staging, "SELECT \(rj.joined(separator: ", ")) FROM rejects", into: "stage_rejects", rj, bytea: ["raw"])
                let m = try conn.rows("SELECT stored, duplicate, updated FROM riskdesk_merge_import($1)", [.int(runID)])[0]
                let res = MergeResult(runID: runID, staged: Int64(staged), stored: m[0].int ?? 0, duplicate: m[1].int ?? 0,
                                      updated: m[2].int ?? 0, rejected: Int64(rejected))
                try conn.run("""
                    UPDATE import_runs SET finished_at = riskdesk_now_ms(), status = 'done', rows_read = $2, rows_stored = $3,
                        rows_duplicate = $4, rows_updated = $5, rows_rejected = $6, bytes_read = $7 WHERE id = $1
                    """, [.int(runID), .int(res.staged + res.rejected), .int(res.stored), .int(res.duplicate), .int(res.updated),
                          .int(res.rejected), .int(bytesRead)])
                return res
            }
            return r
        } catch {
            try? conn.run("UPDATE import_runs SET finished_at = riskdesk_now_ms(), status = 'failed', message = $2 WHERE id = $1",
                          [.int(runID), .text(String("\(error)".prefix(1000)))])
            throw error
        }
    }

    /// Streams a SQLite query's rows into a server table through COPY; returns the row count.
    private func copy(_ src: Store, _ sql: String, into table: String, _ cols: [String], bytea: Set<String> = []) throws -> Int {
        let st = try src.db.prepare(sql)
        var n = 0
        let isBytea = cols.map { bytea.contains($0) }
        try conn.copyIn("COPY \(table) (\(cols.joined(separator: ", "))) FROM STDIN") { send in
            var buf = [UInt8]()
            buf.reserveCapacity(1 << 20)
            while try st.step() {
                for i in 0..<cols.count {
                    if i > 0 { buf.append(9) }
                    StoreCopy.appendCopyText(&buf, st.value(i), bytea: isBytea[i])
                }
                buf.append(10)
                n += 1
                if buf.count >= 1 << 20 { try buf.withUnsafeBytes(send); buf.removeAll(keepingCapacity: true) }
            }
            try buf.withUnsafeBytes(send)
        }
        return n
    }
}
