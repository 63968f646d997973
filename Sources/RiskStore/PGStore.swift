import Foundation

/// The team store: the case store on PostgreSQL (docs/team.md). The analyst is the login
/// role (`current_user`); rights come from the group roles `riskdesk_analyst` / `riskdesk_lead`.
public final class PGStore {
    public let conn: PGConnection
    public let readOnly: Bool
    /// The URL without its password.
    public var displayURL: String { conn.displayURL }

    /// Opens a team store of this build's schema version. A newer one is refused untouched; an
    /// older one is migrated only by the database owner (`riskdesk team init`).
    public init(url: String, readOnly: Bool = false) throws {
        conn = try PGConnection(url: url)
        self.readOnly = readOnly
        let v = try PGStore.version(conn)
        guard let v else {
            throw PGError("\(conn.displayURL): not a riskdesk team store (no riskdesk_schema table); the database owner creates one with `riskdesk team init --store URL`")
        }
        if v > PGSchema.latestVersion { throw PGStore.newerError(conn, v) }
        if v < PGSchema.latestVersion {
            throw PGError("\(conn.displayURL): team store has schema v\(v); this build needs v\(PGSchema.latestVersion): the database owner upgrades it with `riskdesk team init --store URL`")
        }
        if readOnly { try conn.exec("SET default_transaction_read_only = on") }
    }

    static func version(_ c: PGConnection) throws -> Int? {
        guard try c.scalar("SELECT to_regclass('riskdesk_schema')::text") != .null else { return nil }
        // A login role in neither group (nor the owner) can't read even the version: say so,
        // not the server's bare "permission denied for table riskdesk_schema".
        if try c.scalar("SELECT has_table_privilege('riskdesk_schema', 'SELECT')").int != 1 {
            let who = try c.scalar("SELECT session_user::text").string ?? "?"
            throw PGError("\(c.displayURL): \(who) is not an analyst or lead of this team store (a member of neither riskdesk_analyst nor riskdesk_lead); the database owner adds one with `riskdesk team add NAME --role analyst|lead --store URL`", sqlstate: "42501")
        }
        return Int(try c.int("SELECT coalesce(max(version), 0) FROM riskdesk_schema"))
    }

    static func newerError(_ c: PGConnection, _ v: Int) -> PGError {
        PGError("\(c.displayURL): this team store has schema v\(v), made by a newer riskdesk; this build knows up to v\(PGSchema.latestVersion). Upgrade riskdesk to open it (the store was not changed).")
    }

    public var schemaVersion: Int { (try? PGStore.version(conn)).flatMap { $0 } ?? 0 }

    /// The login role: who this connection acts as.
    public func currentRole() throws -> String { try conn.scalar("SELECT session_user::text").string ?? "" }

    public func isLead() throws -> Bool { try conn.scalar("SELECT riskdesk_is_lead()").int == 1 }

    // MARK: - Team administration (the database owner)

    /// Creates or upgrades the schema, the group roles and their rights. Run by the database
    /// owner (a role with CREATEROLE for the group roles). Idempotent. `upTo` stops at a
    /// version (tests of migrations): the tables of that version, without the functions and
    /// rights, which exist only in their latest form.
    @discardableResult
    public static func teamInit(url: String, claimTTLSeconds: Int? = nil, upTo: Int? = nil) throws -> (from: Int, to: Int) {
        let c = try PGConnection(url: url)
        let owner = try c.scalar("""
            SELECT pg_get_userbyid(datdba) = session_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
            FROM pg_database WHERE datname = current_database()
            """)
        guard owner.int == 1 else {
            throw PGError("\(c.displayURL): `team init` must be run by the database's owner (connected as \(try c.scalar("SELECT session_user::text").string ?? "?"))", sqlstate: "42501")
        }
        for role in [PGSchema.analystRole, PGSchema.leadRole] {
            if try c.int("SELECT count(*) FROM pg_roles WHERE rolname = $1", [.text(role)]) == 0 {
                do { try c.exec("CREATE ROLE \(role) NOLOGIN") } catch let e as PGError where e.sqlstate == "42710" {
                    // Created by a concurrent init: fine.
                }
            }
        }
        return try c.transaction {
            // One init at a time (two owners, or a test suite in parallel).
            try c.run("SELECT pg_advisory_xact_lock(hashtext('riskdesk_team_init'))")
            if try c.scalar("SELECT to_regclass('riskdesk_schema')::text") == .null {
                try c.exec("CREATE TABLE riskdesk_schema (version integer PRIMARY KEY, summary text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            }
            let from = Int(try c.int("SELECT coalesce(max(version), 0) FROM riskdesk_schema"))
            if from > PGSchema.latestVersion { throw newerError(c, from) }
            let target = upTo ?? PGSchema.latestVersion
            for m in PGSchema.migrations where m.version > from && m.version <= target {
                do { try c.exec(m.sql) } catch let e as PGError {
                    throw PGError("\(c.displayURL): migration to v\(m.version) (\(m.summary)) failed: \(e.message)",
                                  sqlstate: e.sqlstate, detail: e.detail, context: e.context)
                }
                try c.run("INSERT INTO riskdesk_schema (version, summary) VALUES ($1, $2)", [.int(Int64(m.version)), .text(m.summary)])
            }
            // The functions and rights are the latest version's (they name its tables and
            // columns): installed only on a store brought to it. `upTo` below it leaves the
            // schema of that version alone (a migration test's starting point), which no
            // command opens (an older schema is refused until `team init` upgrades it).
            if target >= PGSchema.latestVersion {
                try c.exec(PGSchema.functions)
                try c.exec("GRANT SELECT ON riskdesk_schema TO riskdesk_analyst")
                try c.exec(PGSchema.grants)
                if let claimTTLSeconds {
                    try c.run("UPDATE settings SET value = $1 WHERE key = 'claim_ttl_seconds'", [.text(String(claimTTLSeconds))])
                }
            }
            return (from, max(from, target))
        }
    }

    public enum TeamRole: String, CaseIterable, Sendable { case analyst, lead }

    /// Creates a login role in a group (or moves an existing one to it, with a new password).
    /// Returns the password (generated unless given).
    public static func teamAdd(url: String, name: String, role: TeamRole, password: String? = nil) throws -> String {
        guard name.range(of: #"^[a-z_][a-z0-9_]{0,62}$"#, options: .regularExpression) != nil,
              !name.hasPrefix("pg_"), !name.hasPrefix("riskdesk_") else {
            throw PGError("role name '\(name)': use lower-case letters, digits and _ (not starting with a digit, pg_ or riskdesk_), at most 63")
        }
        let c = try PGConnection(url: url)
        guard try version(c) != nil else {
            throw PGError("\(c.displayURL): not a riskdesk team store yet; run `riskdesk team init --store URL` first")
        }
        let pw = password ?? PGStore.generatePassword()
        let q = PGConnection.quoteIdentifier(name)
        try c.transaction {
            if try c.int("SELECT count(*) FROM pg_roles WHERE rolname = $1", [.text(name)]) == 0 {
                try c.exec("CREATE ROLE \(q) LOGIN PASSWORD \(PGConnection.quoteLiteral(pw))")
            } else {
                try c.exec("ALTER ROLE \(q) LOGIN PASSWORD \(PGConnection.quoteLiteral(pw))")
            }
            let group = role == .lead ? PGSchema.leadRole : PGSchema.analystRole
            let other = role == .lead ? PGSchema.analystRole : PGSchema.leadRole
            try c.exec("GRANT \(group) TO \(q)")
            if try c.int("SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = $1 AND u.rolname = $2",
                         [.text(other), .text(name)]) > 0 {
                try c.exec("REVOKE \(other) FROM \(q)")
            }
        }
        return pw
    }

    static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }

    // MARK: - Reads

    public func summary() throws -> StoreSummary {
        let r = try conn.rows("""
            SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM items),
                   (SELECT count(*) FROM events), (SELECT count(*) FROM rejects),
                   (SELECT min(ts) FROM events), (SELECT max(ts) FROM events)
            """)[0]
        return StoreSummary(accounts: r[0].int ?? 0, items: r[1].int ?? 0, events: r[2].int ?? 0,
                            rejects: r[3].int ?? 0, firstEventMs: r[4].int, lastEventMs: r[5].int)
    }

    public func importRuns(limit: Int = 20) throws -> [ImportRunRecord] {
        try conn.rows("""
            SELECT id, started_at, finished_at, status, sources, rows_read, rows_stored, rows_updated,
                   rows_duplicate, rows_rejected, bytes_read, message
            FROM import_runs ORDER BY id DESC LIMIT $1
            """, [.int(Int64(limit))]).map { r in
            ImportRunRecord(id: r[0].int ?? 0, startedAt: r[1].int ?? 0, finishedAt: r[2].int, status: r[3].string ?? "",
                            sources: r[4].string ?? "", rowsRead: r[5].int ?? 0, rowsStored: r[6].int ?? 0,
                            rowsUpdated: r[7].int ?? 0, rowsDuplicate: r[8].int ?? 0, rowsRejected: r[9].int ?? 0,
                            bytesRead: r[10].int ?? 0, message: r[11].string)
        }
    }

    public func currentLabel(_ account: String) throws -> (label: String, category: String?)? {
        guard let r = try conn.rows("SELECT label, category FROM current_labels WHERE account_id = $1", [.text(account)]).first,
              let l = r[0].string else { return nil }
        return (l, r[1].string)
    }

    public func cases(status: String? = nil, assignee: String? = nil, limit: Int = 1000) throws -> [CaseRecord] {
        var sql = """
            SELECT c.account_id, c.status, c.assignee, c.opened_at, c.updated_at,
                   (SELECT label FROM labels l WHERE l.account_id = c.account_id ORDER BY id DESC LIMIT 1)
            FROM cases c WHERE true
            """
        var args: [SQLValue] = []
        if let status { args.append(.text(status)); sql += " AND c.status = $\(args.count)" }
        if let assignee { args.append(.text(assignee)); sql += " AND c.assignee = $\(args.count)" }
        args.append(.int(Int64(limit)))
        sql += " ORDER BY c.updated_at DESC, c.account_id LIMIT $\(args.count)"
        return try conn.rows(sql, args).map { r in
            CaseRecord(account: r[0].string ?? "", status: r[1].string ?? "", assignee: r[2].string,
                       openedAt: r[3].int ?? 0, updatedAt: r[4].int ?? 0, label: r[5].string)
        }
    }

    public func labelHistory(_ account: String, limit: Int = 1000) throws -> [LabelRecord] {
        try conn.rows("SELECT id, ts, account_id, label, category, note, analyst, source FROM labels WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
                      [.text(account), .int(Int64(limit))]).map { r in
            LabelRecord(id: r[0].int ?? 0, ts: r[1].int ?? 0, account: r[2].string ?? "", label: r[3].string ?? "",
                        category: r[4].string, note: r[5].string, analyst: r[6].string ?? "", source: r[7].string ?? "")
        }
    }

    public func labelConflict(_ account: String) throws -> [String] {
        let rows = try conn.rows("""
            SELECT analyst, label FROM labels l WHERE account_id = $1 AND label <> 'none'
              AND id = (SELECT max(id) FROM labels m WHERE m.account_id = $1 AND m.analyst = l.analyst)
            ORDER BY analyst
            """, [.text(account)])
        let verdicts = Set(rows.compactMap { $0[1].string })
        return verdicts.count > 1 ? rows.compactMap { r in r[0].string.map { "\($0): \(r[1].string ?? "")" } } : []
    }

    // MARK: - Case work

    /// Appends labels in one transaction — all or none — each with its audit row. The analyst
    /// is the login role (the column is not the caller's to set).
    @discardableResult
    public func addLabels(_ labels: [LabelInput], source: String) throws -> Int {
        guard !labels.isEmpty else { return 0 }
        return try conn.transaction {
            for l in labels where try conn.int("SELECT count(*) FROM accounts WHERE account_id = $1", [.text(l.account)]) == 0 {
                throw PGError("no account \(l.account) in \(displayURL); nothing was labelled")
            }
            let auditSource = source.hasPrefix("file:") ? "cli" : source
            for l in labels {
                let old = try conn.scalar("SELECT label || coalesce(':' || category, '') FROM labels WHERE account_id = $1 ORDER BY id DESC LIMIT 1",
                                          [.text(l.account)]).string
                try conn.run("INSERT INTO labels (account_id, label, category, note, source) VALUES ($1, $2, $3, $4, $5)",
                             [.text(l.account), .text(l.label.rawValue), l.category.map(SQLValue.text) ?? .null,
                              l.note.map(SQLValue.text) ?? .null, .text(source)])
                try conn.run("INSERT INTO audit (source, action, account_id, old_value, new_value, note) VALUES ($1, 'label', $2, $3, $4, $5)",
                             [.text(auditSource), .text(l.account), old.map(SQLValue.text) ?? .null,
                              .text(l.label.rawValue + (l.category.map { ":" + $0 } ?? "")), l.note.map(SQLValue.text) ?? .null])
            }
            return labels.count
        }
    }

    /// Claims the highest-scored unlabelled account nobody holds (FOR UPDATE SKIP LOCKED).
    public func claimNext(riskType: String? = nil, source: String) throws -> String? {
        try conn.scalar("SELECT riskdesk_take_next($1, $2)", [riskType.map(SQLValue.text) ?? .null, .text(source)]).string
    }

    /// Claims one account's case; another's live claim is refused unless `takeover` by a lead.
    /// Returns the previous holder.
    @discardableResult
    public func claim(_ account: String, takeover: Bool = false, source: String) throws -> String? {
        try conn.scalar("SELECT riskdesk_claim($1, $2, $3)", [.text(account), .int(takeover ? 1 : 0), .text(source)]).string
    }

    /// Gives a claim back. False when there was none.
    @discardableResult
    public func release(_ account: String, source: String) throws -> Bool {
        try conn.scalar("SELECT riskdesk_release($1, $2)", [.text(account), .text(source)]).int == 1
    }

    public func setCaseStatus(_ account: String, _ status: String, source: String) throws {
        try conn.run("SELECT riskdesk_set_status($1, $2, $3)", [.text(account), .text(status), .text(source)])
    }

    /// An account's e-mail and phone, after the reveal is in the audit trail.
    public func revealPII(_ account: String, reason: String, source: String) throws -> (email: String?, phone: String?)? {
        guard let r = try conn.rows("SELECT email, phone FROM riskdesk_reveal_pii($1, $2, $3)",
                                    [.text(account), .text(reason), .text(source)]).first else { return nil }
        return (r[0].string, r[1].string)
    }

    /// Waits up to `timeout` seconds for claim / label / status changes made by anyone.
    public func listenForChanges() throws { try conn.listen(PGSchema.channel) }
}
