import Foundation
import RiskStore
import XCTest

/// Schema v7: every text column compares and sorts in byte order (COLLATE "C"), so the
/// import's index builds and sorts skip strcoll. A v6 store with data, views, grants and a
/// row-level policy upgrades in place; an analyst still reads through the views, text sorts
/// as bytes (as SQLite's BINARY), and an import into the upgraded store still matches a
/// local one (the other team import tests).
final class TeamCollationTests: TeamStoreTestCase {
    func testAV6StoreUpgradesToByteOrderTextKeepingDataViewsGrantsAndPolicies() throws {
        let admin = try PGConnection(url: adminURL)
        let db6 = dbName + "_v6"
        try admin.exec("CREATE DATABASE \(db6)")
        defer { try? admin.exec("DROP DATABASE IF EXISTS \(db6) WITH (FORCE)") }
        let url6 = Self.url(adminURL, database: db6)
        XCTAssertEqual(try PGStore.teamInit(url: url6, upTo: 6).to, 6)
        let owner = try PGConnection(url: url6)
        // Text whose byte order differs from a language's order: upper before lower, an
        // accented letter (two bytes, 0xC3 …) after every ASCII letter.
        let ids = ["b", "B", "a", "Z", "é", "e", "_x", "10", "9"]
        for (i, id) in ids.enumerated() {
            try owner.run("INSERT INTO accounts (account_id, created_at, kind, country) VALUES ($1, $2, 'buyer', 'DE')",
                          [.text(id), .int(Int64(i))])
            try owner.run("INSERT INTO labels (ts, account_id, label, source) VALUES ($1, $2, 'fraud', 'test')",
                          [.int(Int64(i)), .text(id)])
        }
        try owner.exec("INSERT INTO sql_history (sql) VALUES ('SELECT 1')")
        let up = try PGStore.teamInit(url: url6)
        XCTAssertEqual(up.from, 6)
        XCTAssertEqual(up.to, PGSchema.latestVersion)

        // Every text column of every table (partitions and staging included) is in byte order.
        XCTAssertEqual(try owner.int("""
            SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
              AND a.atttypid = 'text'::regtype AND a.attcollation <> 'pg_catalog."C"'::regcollation
            """), 0)
        XCTAssertGreaterThan(try owner.int("""
            SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname IN ('events', 'event_ids', 'links', 'labels') AND a.attcollation = 'pg_catalog."C"'::regcollation
            """), 10)
        // The data is there, sorted as bytes (as SQLite sorts it).
        let sorted = try owner.rows("SELECT account_id FROM accounts ORDER BY account_id").map { $0[0].string ?? "" }
        XCTAssertEqual(sorted, ids.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        XCTAssertEqual(try owner.int("SELECT count(*) FROM current_labels"), Int64(ids.count))
        // The views are back, with their grants; the policy on sql_history too.
        XCTAssertEqual(try owner.int("""
            SELECT count(*) FROM pg_views WHERE schemaname = 'public'
              AND viewname IN ('current_labels', 'accounts_masked', 'events_iso', 'accounts_iso', 'import_runs_iso')
            """), 5)
        XCTAssertEqual(try owner.int("SELECT count(*) FROM pg_policies WHERE tablename = 'sql_history' AND policyname = 'sql_history_own'"), 1)
        let analyst = try addRoleOn(db6, "ana6", .analyst)
        let a = try PGConnection(url: analyst)
        XCTAssertEqual(try a.int("SELECT count(*) FROM events_iso"), 0)
        XCTAssertEqual(try a.int("SELECT count(*) FROM accounts_iso"), Int64(ids.count))
        XCTAssertEqual(try a.int("SELECT count(*) FROM current_labels WHERE account_id = 'é'"), 1)
        XCTAssertEqual(try a.int("SELECT count(*) FROM sql_history"), 0, "the policy still hides other roles' history")
        XCTAssertThrowsError(try a.rows("SELECT email FROM accounts"))
        // Idempotent: a second init changes nothing and fails on nothing.
        XCTAssertEqual(try PGStore.teamInit(url: url6).from, PGSchema.latestVersion)
    }

    private func addRoleOn(_ db: String, _ short: String, _ role: PGStore.TeamRole) throws -> String {
        let url = Self.url(adminURL, database: db)
        let name = "\(dbName!)_\(short)"
        let pw = try PGStore.teamAdd(url: url, name: name, role: role)
        roles.append(name)
        return Self.url(adminURL, database: db, user: name, password: pw)
    }
}
