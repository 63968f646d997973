import Foundation
import RiskStore
import XCTest

/// Upgrades from every older schema version, with a row in every table the old store has
/// (negative timestamps included), and a migration that fails part-way rolls everything back.
final class MigrationTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdesk-migrate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// One or more rows per table, by the version that created the table. A table a new
    /// migration adds needs its rows here (the test says which one is missing).
    static let rows: KeyValuePairs<String, [String]> = [
        "import_runs": ["INSERT INTO import_runs(id, started_at, finished_at, status, sources, rows_read, rows_stored) VALUES (1, -5000, -4000, 'done', '[\"a.csv\"]', 3, 3)"],
        "accounts": ["INSERT INTO accounts(account_id, created_at, kind, country, email, phone, in_profile, first_run, n_events, first_seen, last_seen) VALUES ('a1', -86400000, 'buyer', 'TH', 'a1@mail.example', '+66000001', 1, 1, 2, -3600001, 5000)"],
        "items": ["INSERT INTO items(item_id, seller_id, title, category, price, currency, limited, drop_at, first_run) VALUES ('i1', 's1', 'thing', 'misc', 9.5, 'USD', 1, -1000, 1)"],
        "events": ["INSERT INTO events(id, event_id, ts, account_id, type, device_id, amount, run_id) VALUES (1, 'e1', -3600001, 'a1', 'login', 'd1', NULL, 1)",
                   "INSERT INTO events(id, event_id, ts, account_id, type, device_id, amount, run_id) VALUES (2, 'e2', 5000, 'a1', 'order', 'd1', 12.5, 1)"],
        // v14: `events` is a view; the same two rows go through it into `events_i` and `idents`
        // (a session and an order id too, which v15 turns back into text).
        "events_i": [],
        "idents": ["INSERT INTO events(id, event_id, ts, account_id, type, device_id, session_id, order_id, amount, run_id) VALUES (1, 'e1', -3600001, 'a1', 'login', 'd1', 'sess-1', NULL, NULL, 1)",
                   "INSERT INTO events(id, event_id, ts, account_id, type, device_id, session_id, order_id, amount, run_id) VALUES (2, 'e2', 5000, 'a1', 'order', 'd1', 'sess-1', '0042', 12.5, 1)"],
        "links": ["INSERT INTO links(kind, value, account_id, events, first_ts, last_ts) VALUES ('device', 'd1', 'a1', 2, -3600001, 5000)"],
        "rejects": ["INSERT INTO rejects(run_id, source, line, kind, raw, reason, raw_hash) VALUES (1, 'a.csv', 3, 'events', 'e3,never', 'ts: not a timestamp', 42)"],
        "audit": ["INSERT INTO audit(ts, analyst, source, action, account_id, old_value, new_value) VALUES (-2000, 'ana', 'tui', 'reveal_pii', 'a1', NULL, NULL)"],
        "detect_runs": ["INSERT INTO detect_runs(id, started_at, finished_at, status, events, accounts, flagged, detectors, risk_types) VALUES (1, -7200000, -7100000, 'done', 2, 1, 1, '[]', '{\"scraping\":1}')",
                        "INSERT INTO detect_runs(id, started_at, finished_at, status, message) VALUES (2, -60000, -59000, 'cancelled', 'cancelled')"],
        "findings": ["INSERT INTO findings(run_id, account_id, detector, risk_type, strength, reason, evidence, group_id) VALUES (1, 'a1', 'scraping', 'scraping', 0.8, 'why', '{\"events\":[1,2]}', 'g1')"],
        "scores": ["INSERT INTO scores(account_id, run_id, score, risk_type, group_id, reasons, n_findings) VALUES ('a1', 1, 0.8, 'scraping', 'g1', 'why', 1)"],
        "groups": ["INSERT INTO groups(group_id, run_id, risk_type, size, score, reason) VALUES ('g1', 1, 'scraping', 1, 0.8, 'why')"],
        "labels": ["INSERT INTO labels(ts, account_id, label, category, note, analyst, source) VALUES (-1000, 'a1', 'fraud', 'scraping', 'seen', 'ana', 'cli')"],
        "cases": ["INSERT INTO cases(account_id, status, assignee, opened_at, updated_at) VALUES ('a1', 'in_review', 'ana', -1000, -900)"],
        "sql_history": ["INSERT INTO sql_history(ts, analyst, sql, duration_ms, rows, more, error) VALUES (-500, 'ana', 'SELECT 1', 0.5, 1, 0, NULL)"],
        "batches": ["INSERT INTO batches(name, account_id, added_at, analyst) VALUES ('b1', 'a1', -400, 'ana')"],
        "event_hourly": ["INSERT INTO event_hourly(hour, type, n) VALUES (-2, 'login', 1)", "INSERT INTO event_hourly(hour, type, n) VALUES (0, 'order', 1)"],
        "models": ["INSERT INTO models(created_at, kind, features, params, labels, positives, cv, current) VALUES (-300, 'logreg', '[\"a\"]', '{}', 10, 2, NULL, 1)"],
        "run_scores": ["INSERT INTO run_scores(run_id, account_id, score) VALUES (1, 'a1', 0.8)"],
        // v11 (events above exist by then): the keys of e1 and e2, and the mark covering them.
        "event_keys": ["INSERT INTO event_keys(key, id) SELECT riskdesk_event_key(event_id), id FROM events"],
        "event_keys_covered": ["UPDATE event_keys_covered SET upto = 2"],
        // v12: `event_keys` is a view over two tiers; e1's key in the main one, e2's in the recent one.
        "event_keys_main": ["INSERT INTO event_keys_main(key, id) SELECT riskdesk_event_key(event_id), id FROM events WHERE id = 1",
                            "UPDATE event_keys_covered SET main_upto = 1"],
        "event_keys_recent": ["INSERT INTO event_keys_recent(key, id) SELECT riskdesk_event_key(event_id), id FROM events WHERE id = 2"],
        // v16: `links` is a view (no table for the row above): the same row through it into `links_i`
        // (link_kinds is filled by the migration).
        "link_kinds": [],
        "links_i": ["INSERT INTO links(kind, value, account_id, events, first_ts, last_ts) VALUES ('device', 'd1', 'a1', 2, -3600001, 5000)"],
    ]

    /// Tables that are empty between commands by design (a writer's open drains them).
    static let drainedOnOpen: Set<String> = ["links_pending", "links_pending_packed"]

    func tables(_ db: Database) throws -> [String] {
        try db.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").compactMap { $0[0].string }
    }
    func columns(_ db: Database, _ table: String) throws -> [String] {
        try db.rows("SELECT name FROM pragma_table_info(?)", [.text(table)]).compactMap { $0[0].string }
    }
    /// The rows of `table` in these columns, sorted.
    func dump(_ db: Database, _ table: String, _ cols: [String]) throws -> [String] {
        try db.rows("SELECT \(cols.map { "\"\($0)\"" }.joined(separator: ", ")) FROM \"\(table)\"").map { $0.map { String(reflecting: $0) }.joined(separator: " | ") }.sorted()
    }

    /// A store at `version` with every table it has filled.
    func oldStore(_ version: Int, file: StaticString = #filePath, line: UInt = #line) throws -> (path: String, before: [String: (cols: [String], rows: [String])]) {
        let path = dir + "/v\(version).db"
        let old = try Store(path: path, migrateTo: version)
        XCTAssertEqual(old.schemaVersion, version, file: file, line: line)
        var before: [String: (cols: [String], rows: [String])] = [:]
        // In the order the tables were made (foreign keys point backwards).
        let present = Set(try tables(old.db))
        for (t, inserts) in Self.rows where present.contains(t) {
            for sql in inserts { try old.db.exec(sql) }
        }
        for t in try tables(old.db) where !Self.drainedOnOpen.contains(t) {
            XCTAssertNotNil(Self.rows.first { $0.key == t }, "table \(t) (schema v\(version)) has no rows in MigrationTests.rows: add some", file: file, line: line)
            let cols = try columns(old.db, t)
            before[t] = (cols, try dump(old.db, t, cols))
            XCTAssertFalse(before[t]?.rows.isEmpty ?? true, "v\(version) \(t)", file: file, line: line)
        }
        return (path, before)
    }

    func testEveryOlderVersionUpgradesKeepingEveryRow() throws {
        XCTAssertGreaterThan(Schema.latestVersion, 1)
        for version in 1..<Schema.latestVersion {
            let (path, before) = try oldStore(version)
            let s = try Store(path: path)
            XCTAssertEqual(s.schemaVersion, Schema.latestVersion, "from v\(version)")
            XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok", "from v\(version)")
            XCTAssertEqual(try s.db.rows("PRAGMA foreign_key_check"), [], "from v\(version)")
            // Every row of every old table, in every old column, unchanged.
            for (t, b) in before {
                // v15 turns v14's session and order ids back into text (checked through the view below).
                if version == Schema.internedEventsVersion && (t == "events_i" || t == "idents") { continue }
                XCTAssertEqual(try dump(s.db, t, b.cols), b.rows, "table \(t) migrated from v\(version)")
            }
            if version == Schema.internedEventsVersion {
                XCTAssertEqual(try s.db.rows("SELECT id, event_id, account_id, device_id, session_id, order_id, amount FROM events ORDER BY id"),
                               [[.int(1), .text("e1"), .text("a1"), .text("d1"), .text("sess-1"), .null, .null],
                                [.int(2), .text("e2"), .text("a1"), .text("d1"), .text("sess-1"), .text("0042"), .double(12.5)]])
                XCTAssertEqual(try s.db.rows("SELECT v FROM idents ORDER BY v"), [[.text("a1")], [.text("d1")]])
            }
            // The store is the latest schema: the same tables and columns as a new one.
            let fresh = try Store(path: dir + "/fresh\(version).db")
            XCTAssertEqual(try tables(s.db), try tables(fresh.db), "from v\(version)")
            for t in try tables(fresh.db) { XCTAssertEqual(try columns(s.db, t), try columns(fresh.db, t), "\(t) from v\(version)") }
            XCTAssertEqual(try s.missingIndexes(), [], "from v\(version)")
            // v18: the timeline index grouped by block of event ids.
            XCTAssertTrue(try TimelineTier.indexMatches(s.db), "from v\(version)")
            // Runs with negative timestamps read back; the hourly counts hold the old events
            // (built by migration 7 when the store predates it; floor division for ts < 0).
            XCTAssertEqual(try s.db.rows("SELECT id, started_at, finished_at, status FROM detect_runs ORDER BY id"),
                           version >= 4 ? [[.int(1), .int(-7_200_000), .int(-7_100_000), .text("done")],
                                           [.int(2), .int(-60_000), .int(-59_000), .text("cancelled")]] : [], "from v\(version)")
            XCTAssertEqual(try s.db.rows("SELECT hour, type, n FROM event_hourly ORDER BY hour"),
                           [[.int(-2), .text("login"), .int(1)], [.int(0), .text("order"), .int(1)]], "from v\(version)")
            XCTAssertEqual(try s.db.scalar("SELECT time FROM events_iso WHERE event_id = 'e1'").string, "1969-12-31T22:59:59.999Z")
            // And the upgraded store takes the newest kinds of rows.
            try s.db.run("INSERT INTO detect_runs(started_at, status, score_hist, model_id) VALUES (-1, 'done', '[]', NULL)")
            XCTAssertNoThrow(try Store(path: path, readOnly: true), "from v\(version)")
            // v11: event ids are kept unique through event_keys, not a unique index.
            XCTAssertEqual(try s.db.rows("SELECT id FROM event_keys WHERE key = riskdesk_event_key('e2')"), [[.int(2)]], "from v\(version)")
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM event_keys"), 2, "from v\(version)")
            XCTAssertEqual(try s.db.int("SELECT upto FROM event_keys_covered"), 2, "from v\(version)")
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM pragma_index_list('events') WHERE \"unique\""), 0, "from v\(version)")
        }
    }

    /// v10 → v11 on a store with many events: every row and id kept, every key added in key
    /// order, and events stored after the upgrade (or by a killed import) are covered on open.
    func testEventKeysMigrationCoversEveryEvent() throws {
        let path = dir + "/keys.db"
        do {
            let old = try Store(path: path, migrateTo: 10)
            try old.db.exec("""
                WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 5000)
                INSERT INTO events(id, event_id, ts, account_id, type) SELECT n * 3, 'ev-' || n, n * 1000, 'a' || (n % 50), 'view' FROM k
                """)
        }
        let s = try Store(path: path)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events"), 5000)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events e JOIN event_keys k ON k.id = e.id AND k.key = riskdesk_event_key(e.event_id)"), 5000)
        XCTAssertEqual(try s.db.int("SELECT upto FROM event_keys_covered"), 15000)
        XCTAssertEqual(try s.db.rows("SELECT event_id FROM events WHERE id IN (SELECT id FROM event_keys WHERE key = riskdesk_event_key('ev-77'))"), [[.text("ev-77")]])
        // The key is the documented hash, the same in Swift and in SQL.
        XCTAssertEqual(try s.db.int("SELECT riskdesk_event_key('ev-77')"), EventKey.hash("ev-77"))
        XCTAssertNotEqual(EventKey.hash("ev-77"), EventKey.hash("ev-78"))
        // Rows written without the importer (a killed import, SQL) are covered by the next writer's open.
        try s.db.exec("INSERT INTO events(event_id, ts, account_id) VALUES ('late-1', 0, 'a1'), ('late-2', 0, 'a1')")
        let again = try Store(path: path)
        XCTAssertEqual(try again.db.int("SELECT upto FROM event_keys_covered"), 15002)
        XCTAssertEqual(try again.db.rows("SELECT id FROM event_keys WHERE key = riskdesk_event_key('late-2')"), [[.int(15002)]])
        XCTAssertEqual(try again.db.scalar("PRAGMA integrity_check").string, "ok")
    }

    /// v11 → v13 on a store with events: the `ts` index is dropped, the planner's row for
    /// `(type, ts)` is written (from the id range), and a time range without a type skip-scans
    /// it at once, on the migrating connection and on a new one.
    func testTheTimeIndexGivesWayToASkipScanOnMigration() throws {
        let path = dir + "/v11.db"
        do {
            let old = try Store(path: path, migrateTo: 11)
            try old.db.exec("""
                WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 3000)
                INSERT INTO events(id, event_id, ts, account_id, type)
                    SELECT n, 'ev-' || n, n * 1000, 'a' || (n % 70), CASE WHEN n % 50 = 0 THEN 'password_reset' WHEN n % 7 = 0 THEN 'login' ELSE 'view' END FROM k
                """)
            try old.db.exec("INSERT INTO event_keys_covered(upto) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM event_keys_covered)")
            XCTAssertEqual(try old.db.int("SELECT count(*) FROM sqlite_schema WHERE name = 'idx_events_ts'"), 1)
        }
        let range = "SELECT count(*) FROM events WHERE ts >= 100000 AND ts < 200000"
        for s in [try Store(path: path), try Store(path: path, readOnly: true)] {
            XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_schema WHERE name = 'idx_events_ts'"), 0)
            XCTAssertEqual(try s.missingIndexes(), [])
            XCTAssertEqual(try s.db.rows("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'events_i' ORDER BY idx"),
                           [[.text("idx_events_account_ts"), .text("3000 3000 10 5")], [.text("idx_events_type_ts"), .text("3000 \(Schema.typeRowsHint(events: 3000)) 1")]])
            let plan = try s.db.rows("EXPLAIN QUERY PLAN " + range).map { $0.last?.string ?? "" }.joined(separator: "\n")
            XCTAssertTrue(plan.contains("idx_events_type_ts (ANY(type) AND ts>? AND ts<?)"), plan)
            XCTAssertEqual(try s.db.int(range), 100)
            let sum = try s.summary()
            XCTAssertEqual(sum.firstEventMs, 1000)
            XCTAssertEqual(sum.lastEventMs, 3_000_000)
            XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok")
        }
    }

    /// v13 → v14 on a store with events: every event rewritten into `events_i` with its
    /// identifiers in `idents`; `events` (now a view) reads exactly what the table held — NULLs,
    /// non-ASCII, the same string in several columns — on the migrating connection, a new one
    /// and a read-only one; the keys still find every event; writers through the view work.
    func testEventsMoveToInternedRowsAndTheViewReadsTheSame() throws {
        let path = dir + "/v13.db"
        let all = "SELECT id, event_id, ts, account_id, type, device_id, ip, country, session_id, item_id, seller_id, order_id, quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating, status, text, extra, run_id FROM events ORDER BY id"
        var before: [[SQLValue]] = []
        do {
            let old = try Store(path: path, migrateTo: 13)
            try old.db.exec("""
                WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 2000)
                INSERT INTO events(id, event_id, ts, account_id, type, device_id, ip, country, session_id, item_id, seller_id, order_id,
                                   quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating, status, text, extra, run_id)
                    SELECT n, 'ev-' || n, n * 1000, 'a' || (n % 70), CASE WHEN n % 7 = 0 THEN 'login' ELSE 'view' END,
                           CASE WHEN n % 5 = 0 THEN NULL WHEN n % 11 = 0 THEN 'same' ELSE 'd' || (n % 90) END,
                           CASE WHEN n % 13 = 0 THEN 'same' ELSE '10.0.0.' || (n % 40) END, 'TH', 's' || (n / 4),
                           CASE WHEN n % 3 = 0 THEN 'itém-' || (n % 9) END, CASE WHEN n % 4 = 0 THEN 'a' || (n % 30) END,
                           CASE WHEN n % 2 = 0 THEN 'o' || n END, n % 3, n * 0.5, 'THB', CASE WHEN n % 50 = 0 THEN 'c1' END,
                           CASE WHEN n % 6 = 0 THEN 'p' || (n % 17) END, CASE WHEN n % 8 = 0 THEN 'ad' || (n % 5) END,
                           CASE WHEN n % 9 = 0 THEN 'a' || (n % 70) END, CASE WHEN n % 10 = 0 THEN 5 END, 'ok',
                           CASE WHEN n % 10 = 0 THEN 'great, "really" 👍' END, CASE WHEN n % 3 = 0 THEN '{"app_version":"5.1"}' END, 1
                    FROM k
                """)
            try old.db.transaction { try EventKey.cover(old.db, version: 13) }
            before = try old.db.rows(all)
        }
        XCTAssertEqual(before.count, 2000)
        for s in [try Store(path: path), try Store(path: path), try Store(path: path, readOnly: true)] {
            XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
            XCTAssertEqual(try s.db.rows(all), before)
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_schema WHERE name = 'events' AND type = 'view'"), 1)
            XCTAssertEqual(try s.missingIndexes(), [])
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM events_i"), 2000)
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM idents WHERE v = 'same'"), 1)
            XCTAssertEqual(try s.db.rows("SELECT id FROM events WHERE id IN (SELECT id FROM event_keys WHERE key = riskdesk_event_key('ev-77'))"), [[.int(77)]])
            XCTAssertEqual(try s.summary().events, 2000)
            XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok")
        }
        let s = try Store(path: path)
        try s.db.exec("INSERT INTO events(event_id, ts, account_id, device_id) VALUES ('late', 1, 'a1', 'same')")
        XCTAssertEqual(try s.db.rows("SELECT id, device_id FROM events WHERE event_id = 'late'"), [[.int(2001), .text("same")]])
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM idents WHERE v = 'same'"), 1)
    }

    /// v14 → v15 on a store with events: `session_id` and `order_id` go back to text in
    /// `events_i`; the view reads exactly what it read before (NULLs, non-ASCII, a session
    /// string that is also a device id); the other columns keep their dictionary ids; `idents`
    /// keeps only what the interned columns use; writes through the view still work.
    func testSessionsAndOrdersLeaveTheDictionary() throws {
        let path = dir + "/v14.db"
        let all = "SELECT id, event_id, ts, account_id, type, device_id, ip, country, session_id, item_id, seller_id, order_id, quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating, status, text, extra, run_id FROM events ORDER BY id"
        let ids = "SELECT id, account_id, device_id, ip, item_id, seller_id, coupon_id, payment_id, address_id, target_id FROM events_i ORDER BY id"
        var before: [[SQLValue]] = [], idsBefore: [[SQLValue]] = []
        do {
            let old = try Store(path: path, migrateTo: 14)
            try old.db.exec("""
                WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 1500)
                INSERT INTO events(id, event_id, ts, account_id, type, device_id, ip, country, session_id, item_id, seller_id, order_id,
                                   quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating, status, text, extra, run_id)
                    SELECT n, 'ev-' || n, n * 1000, 'a' || (n % 70), CASE WHEN n % 7 = 0 THEN 'order' ELSE 'view' END,
                           CASE WHEN n % 5 = 0 THEN NULL ELSE 'd' || (n % 90) END, '10.0.0.' || (n % 40), 'TH',
                           CASE WHEN n % 11 = 0 THEN NULL WHEN n % 13 = 0 THEN 'd7' ELSE 'sé' || (n / 4) END,
                           CASE WHEN n % 3 = 0 THEN 'itém-' || (n % 9) END, NULL,
                           CASE WHEN n % 7 = 0 THEN '00' || n END, NULL, NULL, NULL, NULL, NULL, NULL,
                           CASE WHEN n % 9 = 0 THEN 'a' || (n % 70) END, NULL, 'ok', NULL, NULL, 1
                    FROM k
                """)
            try old.db.transaction { try EventKey.cover(old.db, version: 14) }
            XCTAssertEqual(try old.db.int("SELECT count(*) FROM events_i WHERE typeof(session_id) = 'integer'"), 1500 - 1500 / 11)
            XCTAssertGreaterThan(try old.db.int("SELECT count(*) FROM idents WHERE v LIKE 'sé%' OR v LIKE '00%'"), 300)
            before = try old.db.rows(all)
            idsBefore = try old.db.rows(ids)
        }
        XCTAssertEqual(before.count, 1500)
        for s in [try Store(path: path), try Store(path: path, readOnly: true)] {
            XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
            XCTAssertEqual(try s.db.rows(all), before)
            XCTAssertEqual(try s.db.rows(ids), idsBefore, "the interned columns keep their ids")
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM events_i WHERE typeof(session_id) NOT IN ('text', 'null') OR typeof(order_id) NOT IN ('text', 'null')"), 0)
            // '007' stays text (a numeric-looking order id is not turned into a number).
            XCTAssertEqual(try s.db.rows("SELECT order_id FROM events WHERE id = 7"), [[.text("007")]])
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM idents WHERE v LIKE 'sé%' OR v LIKE '00%'"), 0)
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM idents WHERE v = 'd7'"), 1, "a device's string stays")
            let distinct = Schema.internedColumns.map { "SELECT \($0) AS v FROM events WHERE \($0) IS NOT NULL" }.joined(separator: " UNION ")
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM idents"), try s.db.int("SELECT count(*) FROM (\(distinct))"))
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM idents"), 70 + 72 + 40 + 3)
            XCTAssertEqual(try s.missingIndexes(), [])
            XCTAssertEqual(try s.db.rows("SELECT id FROM events WHERE id IN (SELECT id FROM event_keys WHERE key = riskdesk_event_key('ev-77'))"), [[.int(77)]])
            XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok")
        }
        let s = try Store(path: path)
        try s.db.exec("INSERT INTO events(event_id, ts, account_id, session_id, order_id) VALUES ('late', 1, 'a1', 'sess-new', '0042')")
        XCTAssertEqual(try s.db.rows("SELECT session_id, order_id, account_id FROM events WHERE event_id = 'late'"), [[.text("sess-new"), .text("0042"), .text("a1")]])
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM idents WHERE v IN ('sess-new', '0042')"), 0)
        try s.db.exec("UPDATE events SET session_id = 'sess-2' WHERE event_id = 'late'")
        XCTAssertEqual(try s.db.rows("SELECT session_id FROM events_i WHERE event_id = 'late'"), [[.text("sess-2")]])
    }

    func testAFailedMigrationRollsEverythingBack() throws {
        // A user's own object named like one a later migration creates makes that migration fail.
        let later = Schema.migrations.reversed().lazy.compactMap { m -> (Int, String)? in
            guard m.version > 1, let r = m.sql.range(of: #"CREATE (TABLE|VIEW|INDEX) (?!IF\b)(\w+)"#, options: .regularExpression) else { return nil }
            return (m.version, String(m.sql[r].split(separator: " ")[2]))
        }.first
        let (failing, name) = try XCTUnwrap(later, "a migration after v1 creates something")
        let (path, before) = try oldStore(1)
        do {
            let db = try Database(path: path)
            try db.exec("CREATE TABLE \(name) (mine TEXT); INSERT INTO \(name) VALUES ('keep me')")
        }
        let tablesBefore = try tables(try Database(path: path))
        XCTAssertThrowsError(try Store(path: path)) { e in
            XCTAssertTrue("\(e)".contains("migration to v\(failing)") && "\(e)".contains(path) && "\(e)".contains("failed"), "\(e)")
        }
        let db = try Database(path: path)
        XCTAssertEqual(try db.int("PRAGMA user_version"), 1, "the version is unchanged")
        XCTAssertEqual(try tables(db), tablesBefore, "no table of v2…v\(failing) is left behind")
        XCTAssertEqual(try db.int("SELECT count(*) FROM sqlite_schema WHERE type = 'view'"), 0, "nor a view")
        for (t, b) in before { XCTAssertEqual(try dump(db, t, b.cols), b.rows, t) }
        XCTAssertEqual(try db.rows("SELECT mine FROM \(name)"), [[.text("keep me")]])
        XCTAssertEqual(try db.scalar("PRAGMA integrity_check").string, "ok")
    }
}
