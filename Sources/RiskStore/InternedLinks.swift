/// Schema v16: `links` stored with interned ids.
///
/// The rows live in `links_i(kind, value, account_id, events, first_ts, last_ts)`, `WITHOUT
/// ROWID`, primary key `(kind, value, account_id)` — all three integers: `kind` a code in
/// `link_kinds`, `value` and `account_id` ids into `idents` (the events' dictionary). `links`
/// is a view that joins the strings back, column for column as the v15 table, so analysts' SQL,
/// queries/, rules and the workbench read it as before; `INSTEAD OF` triggers make writes through
/// it work. A large import aggregates and stages its links as integers (`links_pending`, also
/// integer since v16) and merges them with an integer-key sort: no text comparisons, rows a
/// third of the size. See docs/schema.md.
extension Schema {
    /// The version from which `links` is a view over `links_i`.
    public static let linksInternedVersion = 16

    /// The code of each link kind in `link_kinds` / `links_i.kind` / `links_pending.kind`:
    /// `linkKinds` in order from 1, then `email_domain`. 0 in `links_pending` is an account's
    /// activity. Kinds written by hand through the view get the next free codes.
    public static let linkKindCodes: [(code: Int, kind: String)] =
        linkKinds.enumerated().map { ($0.offset + 1, $0.element.kind) } + [(linkKinds.count + 1, "email_domain")]

    static let linksViewSQL = """
        CREATE VIEW links(kind, value, account_id, events, first_ts, last_ts) AS
            SELECT k.kind, v.v, a.v, l.events, l.first_ts, l.last_ts FROM links_i l
            LEFT JOIN link_kinds k ON k.code = l.kind LEFT JOIN idents v ON v.id = l.value LEFT JOIN idents a ON a.id = l.account_id
        """

    /// Adds a string to `idents` unless it is there. Not `INSERT OR IGNORE`: an outer
    /// `INSERT OR REPLACE INTO links` would turn it into a REPLACE, giving the string a new id.
    private static func addIdent(_ expr: String) -> String {
        "INSERT INTO idents(v) SELECT \(expr) WHERE \(expr) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM idents WHERE v = \(expr));"
    }
    private static func code(_ expr: String) -> String { "(SELECT code FROM link_kinds WHERE kind = \(expr))" }
    private static func ident(_ expr: String) -> String { "(SELECT id FROM idents WHERE v = \(expr))" }

    static let linksTriggersSQL: [String] = {
        let addNew = """
            INSERT INTO link_kinds(kind) SELECT NEW.kind WHERE NEW.kind IS NOT NULL AND NOT EXISTS (SELECT 1 FROM link_kinds WHERE kind = NEW.kind);
                \(addIdent("NEW.value"))
                \(addIdent("NEW.account_id"))
            """
        let old = "kind = \(code("OLD.kind")) AND value = \(ident("OLD.value")) AND account_id = \(ident("OLD.account_id"))"
        return [
            """
            CREATE TRIGGER links_insert INSTEAD OF INSERT ON links BEGIN
                \(addNew)
                INSERT INTO links_i(kind, value, account_id, events, first_ts, last_ts)
                    VALUES (\(code("NEW.kind")), \(ident("NEW.value")), \(ident("NEW.account_id")), NEW.events, NEW.first_ts, NEW.last_ts);
            END
            """,
            """
            CREATE TRIGGER links_update INSTEAD OF UPDATE ON links BEGIN
                \(addNew)
                UPDATE links_i SET kind = \(code("NEW.kind")), value = \(ident("NEW.value")), account_id = \(ident("NEW.account_id")),
                    events = NEW.events, first_ts = NEW.first_ts, last_ts = NEW.last_ts WHERE \(old);
            END
            """,
            "CREATE TRIGGER links_delete INSTEAD OF DELETE ON links BEGIN DELETE FROM links_i WHERE \(old); END",
        ]
    }()

    /// Merges `links_pending` (v16: integer keys) into `links_i` and the accounts' activity.
    static let mergePendingLinksInterned: [String] = [
        """
        INSERT INTO links_i(kind, value, account_id, events, first_ts, last_ts)
            SELECT kind, value, account_id, sum(events), min(first_ts), max(last_ts) FROM links_pending
            WHERE kind > 0 GROUP BY kind, value, account_id ORDER BY kind, value, account_id
        ON CONFLICT(kind, value, account_id) DO UPDATE SET events = events + excluded.events,
            first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)
        """,
        """
        INSERT INTO accounts(account_id, n_events, first_seen, last_seen, first_run)
            SELECT i.v, p.n, p.f, p.l, p.r FROM (
                SELECT account_id, sum(events) AS n, min(first_ts) AS f, max(last_ts) AS l, min(run_id) AS r
                FROM links_pending WHERE kind = 0 GROUP BY account_id) p
            JOIN idents i ON i.id = p.account_id WHERE true ORDER BY i.v
        ON CONFLICT(account_id) DO UPDATE SET n_events = n_events + excluded.n_events,
            first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen),
            last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen)
        """,
        "DELETE FROM links_pending",
    ]

    /// Migration 16: what a killed v15 import staged is merged first (text keys); then every
    /// link's strings are added to `idents` (most are there: the events' identifiers), the rows
    /// copied into `links_i` in key order, `links` replaced by the view, and `links_pending`
    /// made integer.
    static var internedLinksSQL: String {
        let codes = linkKindCodes.map { "(\($0.code), '\($0.kind)')" }.joined(separator: ", ")
        var sql: [String] = mergePendingLinksV10.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        sql += [
            """
            -- Link kinds by code (links_i.kind); a kind written through the view gets the next code.
            CREATE TABLE link_kinds (
                code  INTEGER PRIMARY KEY,
                kind  TEXT NOT NULL UNIQUE
            )
            """,
            "INSERT INTO link_kinds(code, kind) VALUES \(codes)",
            "INSERT INTO link_kinds(kind) SELECT DISTINCT kind FROM links WHERE kind NOT IN (SELECT kind FROM link_kinds) ORDER BY kind",
            """
            INSERT INTO idents(v) SELECT v FROM (SELECT value AS v FROM links UNION SELECT account_id FROM links)
                WHERE v NOT IN (SELECT v FROM idents) ORDER BY v
            """,
            """
            CREATE TABLE links_i (
                kind        INTEGER NOT NULL,               -- link_kinds.code
                value       INTEGER NOT NULL,               -- idents.id: the identifier
                account_id  INTEGER NOT NULL,               -- idents.id: the account
                events      INTEGER NOT NULL,
                first_ts    INTEGER,
                last_ts     INTEGER,
                PRIMARY KEY (kind, value, account_id)
            ) WITHOUT ROWID
            """,
            """
            INSERT INTO links_i(kind, value, account_id, events, first_ts, last_ts)
                SELECT k.code, v.id, a.id, l.events, l.first_ts, l.last_ts FROM links l
                JOIN link_kinds k ON k.kind = l.kind JOIN idents v ON v.v = l.value JOIN idents a ON a.v = l.account_id
                ORDER BY 1, 2, 3
            """,
            "DROP TABLE links",
            "CREATE INDEX IF NOT EXISTS idx_links_account ON links_i(account_id, kind)",
            linksViewSQL,
        ]
        sql += linksTriggersSQL
        sql += [
            "DROP TABLE links_pending",
            """
            -- v16: integer keys as in links_i; kind 0 is an account's activity (value 0).
            CREATE TABLE links_pending (
                kind        INTEGER NOT NULL,
                value       INTEGER NOT NULL,
                account_id  INTEGER NOT NULL,
                events      INTEGER NOT NULL,
                first_ts    INTEGER,
                last_ts     INTEGER,
                run_id      INTEGER
            )
            """,
        ]
        return sql.joined(separator: ";\n") + ";\n"
    }
}
