import CSQLite
import Foundation

/// PII in free SQL (the console, `riskdesk query`, exports): masked unless revealed.
///
/// `maskPII()` gives a connection temporary views that shadow `accounts` and every view
/// over its PII columns (`accounts_iso`): they show `PII.maskEmail` / `PII.maskPhone`
/// instead of the values, so `SELECT * FROM accounts` just works, masked. An authorizer
/// refuses every other read of a PII column (`main.accounts`, a view of the store's own,
/// a trigger) with "access to accounts.email is prohibited" — an alias, an expression or a
/// WHERE clause can't reach the raw value either, so a filter can't be used as an oracle.
/// Creating views or triggers, dropping temporary ones and ATTACH are refused on such a connection.
extension PII {
    /// Columns the schema marks as PII (docs/schema.md), and `rejects.raw`, which holds
    /// rejected accounts rows verbatim (their e-mail and phone with them).
    public static let columns: [(table: String, column: String)] = [("accounts", "email"), ("accounts", "phone"), ("rejects", "raw")]

    /// The hint added to SQLite's "access to … is prohibited".
    public static let refusedHint = "PII is masked: read the masked `accounts` / `accounts_iso` / `rejects`, or reveal it (audited, with a reason)"

    static func isPII(table: String, column: String) -> Bool {
        columns.contains { $0.table.caseInsensitiveCompare(table) == .orderedSame && $0.column.caseInsensitiveCompare(column) == .orderedSame }
    }
}

extension Database {
    /// Masks PII on this connection for everything run on it from now on (see `PII`).
    /// Call before `PRAGMA query_only`. `views: false` (a writable connection) only refuses
    /// PII reads: `accounts` stays the table, so writes to it work as before, and
    /// `SELECT email …` is refused rather than masked.
    public func maskPII(views: Bool = true) throws {
        if views { try createMaskingViews() }
        sqlite3_set_authorizer(handle, Database.piiAuthorizer, nil)
    }

    private func createMaskingViews() throws {
        try registerMaskFunctions()
        let piiColumns = Set(PII.columns.filter { $0.table == "accounts" }.map { $0.column.lowercased() })
        let cols = try rows("SELECT name FROM pragma_table_info('accounts') ORDER BY cid").compactMap { $0[0].string }
        guard !cols.isEmpty else { return }   // a store without accounts yet: nothing to mask
        let select = cols.map { c in
            piiColumns.contains(c.lowercased()) ? "riskdesk_mask_\(c.lowercased())(\"\(c)\") AS \"\(c)\"" : "\"\(c)\""
        }.joined(separator: ", ")
        try exec("DROP VIEW IF EXISTS temp.accounts")
        try exec("CREATE TEMP VIEW accounts AS SELECT \(select) FROM main.accounts")
        // Rejected accounts rows, verbatim in `raw`: their contact details masked.
        let rejectCols = try rows("SELECT name FROM pragma_table_info('rejects') ORDER BY cid").compactMap { $0[0].string }
        if rejectCols.contains("raw") && rejectCols.contains("kind") {
            let sel = rejectCols.map { $0 == "raw" ? "CASE WHEN kind = 'accounts' THEN riskdesk_mask_text(raw) ELSE raw END AS raw" : "\"\($0)\"" }
            try exec("DROP VIEW IF EXISTS temp.rejects")
            try exec("CREATE TEMP VIEW rejects AS SELECT \(sel.joined(separator: ", ")) FROM main.rejects")
        }
        // The store's views over PII columns, again as temporary views: their unqualified
        // `accounts` now finds the masked view (the temp schema is searched first).
        for row in try rows("SELECT name, sql FROM main.sqlite_schema WHERE type = 'view'") {
            guard let name = row[0].string, let sql = row[1].string else { continue }
            let lower = sql.lowercased()
            guard piiColumns.contains(where: { lower.contains($0) }),
                  let r = sql.range(of: #"^\s*CREATE\s+VIEW\s+"#, options: [.regularExpression, .caseInsensitive]) else { continue }
            try exec("DROP VIEW IF EXISTS temp.\"\(name)\"")
            try exec("CREATE TEMP VIEW " + sql[r.upperBound...])
        }
    }

    private static let piiAuthorizer: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                                     UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { _, action, a1, a2, db, inner in
            switch action {
            case SQLITE_READ:
                guard let a1, let a2 else { return SQLITE_OK }
                let table = String(cString: a1), column = String(cString: a2)
                guard PII.isPII(table: table, column: column) else { return SQLITE_OK }
                // The masking views' own (masked) columns are in `temp`; only the masking
                // view itself may read the raw column under it.
                let dbName = db.map { String(cString: $0) } ?? "main"
                if dbName == "temp" { return SQLITE_OK }
                let view = inner.map { String(cString: $0) }
                return view?.lowercased() == table.lowercased() ? SQLITE_OK : SQLITE_DENY
            case SQLITE_CREATE_TEMP_VIEW, SQLITE_DROP_TEMP_VIEW, SQLITE_CREATE_TEMP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER,
                 SQLITE_CREATE_TRIGGER, SQLITE_CREATE_VIEW, SQLITE_ATTACH:
                return SQLITE_DENY
            default:
                return SQLITE_OK
            }
        }

    private func registerMaskFunctions() throws {
        typealias Fn = @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void
        let email: Fn = { ctx, _, argv in Database.maskResult(ctx, argv, PII.maskEmail) }
        let phone: Fn = { ctx, _, argv in Database.maskResult(ctx, argv, PII.maskPhone) }
        let text: Fn = { ctx, _, argv in Database.maskResult(ctx, argv, PII.maskText) }
        for (name, fn) in [("riskdesk_mask_email", email), ("riskdesk_mask_phone", phone), ("riskdesk_mask_text", text)] {
            let rc = sqlite3_create_function_v2(handle, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, fn, nil, nil, nil)
            if rc != SQLITE_OK { throw error(rc, "registering \(name)") }
        }
    }

    private static func maskResult(_ ctx: OpaquePointer?, _ argv: UnsafeMutablePointer<OpaquePointer?>?, _ mask: (String) -> String) {
        guard let v = argv?[0], sqlite3_value_type(v) != SQLITE_NULL, let p = sqlite3_value_text(v) else {
            sqlite3_result_null(ctx); return
        }
        let s = String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_value_bytes(v))), as: UTF8.self)
        sqlite3_result_text(ctx, mask(s), -1, riskdesk_sqlite_transient())
    }
}
