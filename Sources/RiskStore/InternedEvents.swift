import CSQLite

/// Schema v14: the events' identifiers interned.
///
/// Rows live in `events_i`, where the eleven identifier columns (account, device, IP, session,
/// item, seller, order, coupon, payment, address, target) hold integer ids into one
/// dictionary, `idents(id, v UNIQUE)`. `events` is a view that joins them back, column for
/// column as the v13 table, so analysts' SQL, queries/, rules and dashboards read it as
/// before; `INSTEAD OF` triggers make `INSERT` / `UPDATE` / `DELETE` through it work. The
/// importer writes `events_i` and `idents` directly (a batch's new identifiers looked up and
/// added in key order), and the bulk readers (detect, key coverage) read `events_i` themselves.
/// See docs/schema.md.
extension Schema {
    /// The version from which events are stored interned (`events_i` + `idents`).
    public static let internedEventsVersion = 14

    /// Every column of `events` (the view), in order.
    public static let eventColumns: [String] = [
        "id", "event_id", "ts", "account_id", "type", "device_id", "ip", "country", "session_id", "item_id",
        "seller_id", "order_id", "quantity", "amount", "currency", "coupon_id", "payment_id", "address_id",
        "target_id", "rating", "status", "text", "extra", "run_id",
    ]

    /// The identifier columns stored as ids into `idents` (v15): the ones whose values recur —
    /// an account, its devices and networks, the catalogue, coupons, payment instruments,
    /// addresses, the accounts acted upon. `session_id` and `order_id` name one visit or one
    /// order (a few events each, most of them new every day), so they are stored as text: a
    /// dictionary entry (row and unique-index entry, ~40 bytes) costs more than the string
    /// it saves, and a day's new entries land all over the dictionary's index.
    public static let internedColumns: [String] = [
        "account_id", "device_id", "ip", "item_id", "seller_id",
        "coupon_id", "payment_id", "address_id", "target_id",
    ]

    /// The interned columns of schema v14 (migration 14 makes that layout; 15 turns it into this one).
    static let internedColumnsV14: [String] = [
        "account_id", "device_id", "ip", "session_id", "item_id", "seller_id", "order_id",
        "coupon_id", "payment_id", "address_id", "target_id",
    ]

    /// The version from which `session_id` and `order_id` are stored as text in `events_i`.
    public static let textSessionsVersion = 15

    public static func isInterned(_ column: String) -> Bool { internedColumns.contains(column) }

    /// The table that holds the events' rows at a schema version: `events_i` from v14, where
    /// `events` is a view (reads of `id`, `event_id`, `ts`, `type`… go to the table directly).
    public static func eventsTable(version: Int) -> String { version >= internedEventsVersion ? "events_i" : "events" }

    /// A rebuildable index's SQL at a schema version (before v14 the event indexes are on `events`).
    public static func indexSQL(_ sql: String, version: Int) -> String {
        var s = version >= linksInternedVersion ? sql : sql.replacingOccurrences(of: " ON links_i(", with: " ON links(")
        if version < timelineTierVersion && s == timelineIndexSQL { s = timelineIndexSQLV17 }
        return version >= internedEventsVersion ? s : s.replacingOccurrences(of: " ON events_i(", with: " ON events(")
    }

    /// `events_i`'s definition (the same columns as `events`; interned ones INTEGER).
    static func eventsITableSQL(name: String = "events_i", interned: [String] = internedColumns) -> String {
        let decl: [String: String] = [
            "id": "INTEGER PRIMARY KEY", "event_id": "TEXT NOT NULL", "ts": "INTEGER NOT NULL",
            "account_id": interned.contains("account_id") ? "INTEGER NOT NULL" : "TEXT NOT NULL",
            "quantity": "INTEGER", "amount": "REAL", "rating": "INTEGER", "run_id": "INTEGER",
        ]
        let note: [String: String] = [
            "event_id": "unique: kept so by the importer (event_keys)", "ts": "epoch ms UTC",
            "account_id": "idents.id (so are the other interned identifiers)",
            "extra": "JSON object: fields beyond the contract", "run_id": "import run that stored the row",
        ]
        let cols = eventColumns.map { c -> String in
            let t = decl[c] ?? (interned.contains(c) ? "INTEGER" : "TEXT")
            return "    \(c) \(t)" + (note[c].map { " /* \($0) */" } ?? "")
        }
        return "CREATE TABLE \(name) (\n" + cols.joined(separator: ",\n") + "\n)"
    }

    /// One join alias per interned column.
    private static func alias(_ c: String) -> String { "j_" + c }

    /// The `events` view: `events_i` with each interned column turned back into its string.
    /// `account_id` by a LEFT JOIN on the dictionary's rowid: a `WHERE account_id = ?` (the
    /// timeline, rules joining an account's events) becomes an inner join that starts from
    /// `idents`' unique index, then the `(account_id, ts)` index; a query that doesn't use the
    /// column leaves the join out (SQLite does so for non-aggregate queries). The other ten are
    /// scalar subqueries on the rowid, evaluated only when a query uses the column (in an
    /// aggregate too); a filter on one of them scans, as it did before v14 (no index on them).
    static func eventsViewSQL(interned: [String] = internedColumns) -> String {
        let cols = eventColumns.map { c in
            c == "account_id" ? "j_account.v AS account_id"
                : interned.contains(c) ? "(SELECT v FROM idents WHERE id = e.\(c)) AS \(c)" : "e.\(c) AS \(c)"
        }
        return "CREATE VIEW events AS SELECT " + cols.joined(separator: ", ")
            + " FROM events_i e LEFT JOIN idents j_account ON j_account.id = e.account_id"
    }

    /// Adds NEW's identifiers to the dictionary (NULLs are skipped: `v` is NOT NULL, OR IGNORE).
    private static func addNewIdents(_ interned: [String]) -> String {
        "INSERT OR IGNORE INTO idents(v) VALUES " + interned.map { "(NEW.\($0))" }.joined(separator: ", ") + ";"
    }

    /// `INSTEAD OF` triggers: SQL that writes `events` writes `events_i` (and `idents`).
    static func eventsTriggersSQL(interned: [String] = internedColumns) -> [String] {
        let cols = eventColumns
        let addNewIdents = addNewIdents(interned)
        func newValue(_ c: String) -> String {
            interned.contains(c) ? "(SELECT id FROM idents WHERE v = NEW.\(c))" : "NEW.\(c)"
        }
        return [
            """
            CREATE TRIGGER events_insert INSTEAD OF INSERT ON events BEGIN
                \(addNewIdents)
                INSERT INTO events_i(\(cols.joined(separator: ", "))) VALUES (\(cols.map(newValue).joined(separator: ", ")));
            END
            """,
            """
            CREATE TRIGGER events_update INSTEAD OF UPDATE ON events BEGIN
                \(addNewIdents)
                UPDATE events_i SET \(cols.map { "\($0) = \(newValue($0))" }.joined(separator: ", ")) WHERE id = OLD.id;
            END
            """,
            "CREATE TRIGGER events_delete INSTEAD OF DELETE ON events BEGIN DELETE FROM events_i WHERE id = OLD.id; END",
        ]
    }

    static let eventsISOViewSQL = """
        CREATE VIEW events_iso AS
            SELECT id, event_id, strftime('%Y-%m-%dT%H:%M:%fZ', ts / 1000.0, 'unixepoch') AS time,
                   account_id, type, device_id, ip, country, session_id, item_id, seller_id,
                   order_id, quantity, amount, currency, coupon_id, payment_id, address_id,
                   target_id, rating, status, text, extra, ts
            FROM events
        """

    /// Migration 14: rewrites every event. The dictionary is filled in key order (one sorted
    /// pass over the distinct identifiers), then the rows copied in id order with their ids.
    static var internedEventsSQL: String {
        let internedColumns = internedColumnsV14
        func isInterned(_ c: String) -> Bool { internedColumns.contains(c) }
        let distinct = internedColumns.map { "SELECT \($0) AS v FROM events WHERE \($0) IS NOT NULL" }.joined(separator: " UNION ")
        let copyCols = eventColumns.map { c in isInterned(c) ? "\(alias(c)).id" : "e.\(c)" }
        let copyJoins = internedColumns.map { c in "LEFT JOIN idents \(alias(c)) ON \(alias(c)).v = e.\(c)" }
        var sql: [String] = [
            "DROP VIEW IF EXISTS events_iso",
            """
            -- The dictionary of identifiers: each distinct string once. `v` is unique (the index the
            -- view's lookups by identifier use); `id` is what events_i stores.
            CREATE TABLE idents (
                id  INTEGER PRIMARY KEY,
                v   TEXT NOT NULL UNIQUE
            )
            """,
            "INSERT INTO idents(v) SELECT v FROM (\(distinct)) ORDER BY v",
            eventsITableSQL(interned: internedColumns),
            "INSERT INTO events_i(\(eventColumns.joined(separator: ", "))) SELECT \(copyCols.joined(separator: ", ")) FROM events e \(copyJoins.joined(separator: " ")) ORDER BY e.id",
            "DROP TABLE events",
        ]
        sql += rebuildableIndexes.filter { $0.name.hasPrefix("idx_events") }.map { indexSQL($0.sql, version: internedEventsVersion) }
        sql += [eventsViewSQL(interned: internedColumns), eventsISOViewSQL] + eventsTriggersSQL(interned: internedColumns)
        sql += v14StatsSQL
        return sql.joined(separator: ";\n") + ";\n"
    }

    /// Migration 15: `session_id` and `order_id` back to text. Rewrites every event (their ids
    /// turned back into strings, the other columns as they are), then keeps in `idents` only
    /// the entries the interned columns use (same ids, so no other column changes).
    static var textSessionsSQL: String {
        let back = Set(internedColumnsV14).subtracting(internedColumns)
        let copyCols = eventColumns.map { c in back.contains(c) ? "(SELECT v FROM idents WHERE id = e.\(c))" : "e.\(c)" }
        let used = internedColumns.map { "SELECT \($0) FROM events_i WHERE \($0) IS NOT NULL" }.joined(separator: " UNION ")
        var sql: [String] = [
            "DROP VIEW IF EXISTS events_iso",
            "DROP VIEW IF EXISTS events",   // and its INSTEAD OF triggers
            eventsITableSQL(name: "events_i15"),
            "INSERT INTO events_i15(\(eventColumns.joined(separator: ", "))) SELECT \(copyCols.joined(separator: ", ")) FROM events_i e ORDER BY e.id",
            "DROP TABLE events_i",
            "ALTER TABLE events_i15 RENAME TO events_i",
            "CREATE TABLE idents15 (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)",
            "INSERT INTO idents15(id, v) SELECT id, v FROM idents WHERE id IN (\(used)) ORDER BY id",
            "DROP TABLE idents",
            "ALTER TABLE idents15 RENAME TO idents",
        ]
        sql += rebuildableIndexes.filter { $0.name.hasPrefix("idx_events") }.map { indexSQL($0.sql, version: internedEventsVersion) }
        sql += [eventsViewSQL(), eventsISOViewSQL] + eventsTriggersSQL()
        sql += v14StatsSQL
        return sql.joined(separator: ";\n") + ";\n"
    }
}

extension Database {
    /// Measures the rows the next statement changes, as `changes` does, but counting the rows a
    /// write through the `events` view changed (v14: its INSTEAD OF triggers write `events_i`,
    /// which SQLite's `changes()` leaves out), not the dictionary entries the trigger added.
    /// Call before stepping the statement; the returned closure after.
    public func changeMeter() -> () -> Int {
        let total0 = Int(sqlite3_total_changes(handle))
        let idents0 = (try? int("SELECT coalesce((SELECT max(id) FROM idents), 0)")) ?? 0
        return { [self] in
            let direct = self.changes
            if direct > 0 { return direct }
            let idents1 = (try? self.int("SELECT coalesce((SELECT max(id) FROM idents), 0)")) ?? 0
            return max(0, Int(sqlite3_total_changes(self.handle)) - total0 - Int(idents1 - idents0))
        }
    }
}
