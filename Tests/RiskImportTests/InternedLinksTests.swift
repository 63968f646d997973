import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// Schema v16: links are aggregated, staged and merged by interned id (`links_i`), and `links`
/// (the view) reads what the events said, whichever path the import took; a v15 store — with
/// what a killed v15 import staged — migrates; writes through the view keep the dictionary's ids.
final class InternedLinksTests: ImportTestCase {
    /// Events with every link column, views (no item / seller link) and other types, absent
    /// values, one string in several columns and as an account, and re-deliveries.
    func world(rows n: Int, seed: UInt64) -> (csv: String, links: [[SQLValue]], accounts: [[SQLValue]]) {
        var rng = SplitMix(seed: seed)
        func pick(_ k: UInt64) -> UInt64 { rng.next() % k }
        var lines: [String] = []
        var agg: [String: (n: Int64, lo: Int64, hi: Int64)] = [:]
        func add(_ key: String, _ ts: Int64) {
            if let o = agg[key] { agg[key] = (o.n + 1, min(o.lo, ts), max(o.hi, ts)) } else { agg[key] = (1, ts, ts) }
        }
        let kinds = [(4, "device"), (5, "ip"), (15, "payment"), (16, "address"), (14, "coupon"), (17, "target"), (8, "item"), (9, "seller")]
        for i in 0..<n {
            let ts = Int64(1_790_000_000_000) + Int64(pick(5_000_000))   // out of order
            let acct = "acc-\(pick(30))"
            let type = ["view", "view", "order", "login", "cart", "review"][Int(pick(6))]
            var f = Array(repeating: "", count: 21)
            f[0] = "e\(i)"; f[1] = "\(ts)"; f[2] = acct; f[3] = type
            f[4] = pick(4) == 0 ? "" : (pick(6) == 0 ? "acc-3" : "dev-\(pick(25))")
            f[5] = pick(7) == 0 ? "dev-1" : "10.0.\(pick(3)).\(pick(20))"
            f[8] = pick(3) == 0 ? "" : "itém-\(pick(15))"
            f[9] = pick(2) == 0 ? "" : "acc-\(pick(30))"
            f[14] = pick(5) == 0 ? "NEW\(pick(3))" : ""
            f[15] = pick(3) == 0 ? "card-\(pick(10))" : ""
            f[16] = pick(4) == 0 ? "addr \(pick(8)), \"x\"" : ""
            f[17] = pick(6) == 0 ? "acc-\(pick(30))" : ""
            add("\u{1}\(acct)", ts)
            for (col, kind) in kinds where !f[col].isEmpty {
                if type == "view" && (kind == "item" || kind == "seller") { continue }
                add("\(kind)\u{1}\(f[col])\u{1}\(acct)", ts)
            }
            let quoted = f.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
            lines.append(quoted.joined(separator: ","))
            if i % 13 == 0 { lines.append(lines[Int(pick(UInt64(lines.count)))]) }   // a re-delivery: counted once
        }
        var links: [[SQLValue]] = [], accounts: [[SQLValue]] = []
        for (k, v) in agg {
            let p = k.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
            if p[0].isEmpty { accounts.append([.text(p[1]), .int(v.n), .int(v.lo), .int(v.hi)]) }
            else { links.append([.text(p[0]), .text(p[1]), .text(p[2]), .int(v.n), .int(v.lo), .int(v.hi)]) }
        }
        func key(_ r: [SQLValue]) -> [String] { r.prefix(3).map { $0.string ?? "" } }
        links.sort { key($0).lexicographicallyPrecedes(key($1)) }
        accounts.sort { ($0[0].string ?? "") < ($1[0].string ?? "") }
        return (header + "\n" + lines.joined(separator: "\n") + "\n", links, accounts)
    }

    let linksSQL = "SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY kind, value, account_id"
    let accountsSQL = "SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY account_id"

    func testLinksByIdAreWhatTheEventsSayWhicheverPath() throws {
        let w = world(rows: 3000, seed: 1903)
        let half = w.csv.split(separator: "\n", omittingEmptySubsequences: false)
        let first = write("events-1.csv", half[..<1500].joined(separator: "\n") + "\n")
        let second = write("events-2.csv", header + "\n" + half[1500...].joined(separator: "\n"))
        let all = write("events.csv", w.csv)
        let paths: [(String, [String], (inout ImportOptions) -> Void)] = [
            // Row by row: each batch's aggregate upserted into links_i and accounts.
            ("upserts", [all], { $0.indexMode = .keep; $0.batchRows = 250 }),
            // Staged by id, packed (v17; flushed every 50 entries, ids from a tiny cache), merged at the end.
            ("staged", [all], { $0.indexMode = .rebuild; $0.linkFlushEntries = 50; $0.internChunkRows = 40; $0.internCacheEntries = 16 }),
            // The same staged one `links_pending` row per entry (v16's way).
            ("staged as rows", [all], { $0.indexMode = .rebuild; $0.linkFlushEntries = 50; $0.internChunkRows = 40; $0.internCacheEntries = 16; $0.packStagedLinks = false }),
            // A second file into the store the first made: staged links merged into existing ones.
            ("two imports", [first, second], { $0.indexMode = .rebuild; $0.linkFlushEntries = 70 }),
        ]
        for (name, files, configure) in paths {
            try? FileManager.default.removeItem(atPath: storePath)
            for f in files { try importPaths([f], configure) }
            XCTAssertEqual(try rows(linksSQL), w.links, name)
            XCTAssertEqual(try rows(accountsSQL), w.accounts, name)
            XCTAssertEqual(try one("SELECT count(*) FROM links_pending"), .int(0), name)
            XCTAssertEqual(try one("SELECT count(*) FROM links_pending_packed"), .int(0), name)
            XCTAssertEqual(try one("SELECT count(*) FROM links_i WHERE typeof(kind) || typeof(value) || typeof(account_id) <> 'integerintegerinteger'"), .int(0), name)
            XCTAssertEqual(try store().missingIndexes(), [], name)
        }
        XCTAssertGreaterThan(w.links.count, 400)
        XCTAssertTrue(w.links.contains { $0[0] == .text("ip") && $0[1] == .text("dev-1") }, "a string in two columns links under each kind")
    }

    /// The readers' shapes: an account's links through `idx_links_account`, an identifier's
    /// accounts through the primary key, both starting from the dictionary's unique index.
    func testTheViewsPlansSeekByAccountAndByIdentifier() throws {
        let w = world(rows: 600, seed: 7)
        try importPaths([write("events.csv", w.csv)]) { $0.indexMode = .keep; $0.batchRows = 100 }
        let s = try store()
        func plan(_ sql: String) throws -> String {
            try s.db.rows("EXPLAIN QUERY PLAN " + sql).map { $0.last?.string ?? "" }.joined(separator: "\n")
        }
        let byAccount = try plan("SELECT kind, value, events FROM links WHERE account_id = 'acc-3' AND kind IN ('device', 'ip')")
        XCTAssertTrue(byAccount.contains("idx_links_account"), byAccount)
        XCTAssertFalse(byAccount.contains("SCAN"), byAccount)
        let byValue = try plan("SELECT account_id FROM links WHERE kind = 'device' AND value = 'dev-1'")
        XCTAssertTrue(byValue.contains("SEARCH l USING PRIMARY KEY (kind=? AND value=?)"), byValue)
        XCTAssertFalse(byValue.contains("SCAN"), byValue)
        let shared = "SELECT count(*) FROM links o JOIN links l ON o.kind = l.kind AND o.value = l.value WHERE l.account_id = 'acc-3'"
        let sharedPlan = try plan(shared)
        XCTAssertFalse(sharedPlan.contains("SCAN"), sharedPlan)
        XCTAssertEqual(try s.db.int(shared), Int64(w.links.filter { l in
            w.links.contains { $0[2] == .text("acc-3") && $0[0] == l[0] && $0[1] == l[1] } }.count))
    }

    func testWritesThroughTheViewKeepTheDictionarysIds() throws {
        let w = world(rows: 300, seed: 11)
        try importPaths([write("events.csv", w.csv)]) { $0.indexMode = .keep }
        let s = try store()
        let accID = try s.db.int("SELECT id FROM idents WHERE v = 'acc-3'")
        try s.db.exec("""
            INSERT INTO links(kind, value, account_id, events, first_ts, last_ts) VALUES ('phone', '+66 1', 'acc-3', 2, 5, 9);
            INSERT OR REPLACE INTO links(kind, value, account_id, events, first_ts, last_ts) VALUES ('phone', '+66 1', 'acc-3', 4, 1, 9);
            """)
        XCTAssertEqual(try s.db.int("SELECT id FROM idents WHERE v = 'acc-3'"), accID, "OR REPLACE replaces the link, not the account's id")
        XCTAssertEqual(try s.db.rows("SELECT events, first_ts FROM links WHERE kind = 'phone'"), [[.int(4), .int(1)]])
        try s.db.exec("UPDATE links SET value = '+66 2', events = events + 1 WHERE kind = 'phone' AND account_id = 'acc-3'")
        XCTAssertEqual(try s.db.rows("SELECT value, events FROM links WHERE kind = 'phone'"), [[.text("+66 2"), .int(5)]])
        try s.db.exec("DELETE FROM links WHERE kind = 'phone'")
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links WHERE kind = 'phone'"), 0)
        XCTAssertEqual(try s.db.rows(linksSQL), w.links, "the importer's links untouched")
    }

    /// A v15 store holding links, and what a killed v15 import staged (text keys), opened by
    /// this build: the staged rows merged, every link moved to `links_i`, the view reading them.
    func testAV15StoreWithStagedTextLinksMigrates() throws {
        do {
            let old = try Store(path: storePath, migrateTo: 15)
            try old.db.exec("""
                INSERT INTO import_runs(id, started_at, sources, pid) VALUES (1, 0, '[]', 0);
                INSERT INTO links(kind, value, account_id, events, first_ts, last_ts) VALUES
                  ('device', 'd1', 'a1', 2, 10, 20), ('ip', 'd1', 'a2', 1, 5, 5), ('email_domain', 'mail.example', 'a1', 1, 0, 0),
                  ('lanyard', 'x', 'a3', 1, 1, 1);
                INSERT INTO links_pending VALUES ('device', 'd1', 'a1', 3, 1, 30, 1), ('device', 'd2', 'a2', 1, 7, 7, 1), ('', '', 'a2', 4, 5, 40, 1);
                INSERT INTO accounts(account_id, n_events, first_seen, last_seen) VALUES ('a2', 1, 5, 5);
                """)
        }
        let s = try store()
        XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
        XCTAssertEqual(try s.db.rows(linksSQL), [
            [.text("device"), .text("d1"), .text("a1"), .int(5), .int(1), .int(30)],
            [.text("device"), .text("d2"), .text("a2"), .int(1), .int(7), .int(7)],
            [.text("email_domain"), .text("mail.example"), .text("a1"), .int(1), .int(0), .int(0)],
            [.text("ip"), .text("d1"), .text("a2"), .int(1), .int(5), .int(5)],
            [.text("lanyard"), .text("x"), .text("a3"), .int(1), .int(1), .int(1)],
        ])
        XCTAssertEqual(try s.db.rows("SELECT n_events, first_seen, last_seen FROM accounts WHERE account_id = 'a2'"), [[.int(5), .int(5), .int(40)]])
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending"), 0)
        XCTAssertEqual(try s.db.rows("SELECT type FROM sqlite_schema WHERE name = 'links'"), [[.text("view")]])
        XCTAssertEqual(try s.db.int("SELECT count(DISTINCT value) FROM links_i WHERE value IN (SELECT id FROM idents WHERE v = 'd1')"), 1)
        XCTAssertEqual(try s.missingIndexes(), [])
        XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok")
        // An import into the migrated store adds to the moved links.
        try importPaths([write("events.csv", header + "\ne1,1000,a1,login,d1,,,,,,,,,,,,,,,ok,\n")]) { $0.indexMode = .rebuild }
        XCTAssertEqual(try rows("SELECT events, last_ts FROM links WHERE kind = 'device' AND value = 'd1' AND account_id = 'a1'"), [[.int(6), .int(1000)]])
    }
}
