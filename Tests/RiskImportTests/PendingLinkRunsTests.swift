import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// A large import stages each link-aggregate flush sorted by key, as a run of consecutive
/// rowids in `links_pending`, and merges the runs k-way at the end (`Schema.mergePendingLinkRuns`)
/// instead of `GROUP BY`-sorting every staged row. Whatever the run starts it is told, the
/// result is the `GROUP BY` merge's: a range out of key order makes it fall back.
final class PendingLinkRunsTests: ImportTestCase {
    /// A store with 40 accounts and 60 identifiers in `idents`, some links and accounts already
    /// there (the merge adds to them), and `runs` runs staged: each sorted by key, keys shared
    /// between runs, kind 0 (an account's activity) among them, some times null. Returns each
    /// run's first rowid. `live`: its import run is this process (an open merges nothing).
    func stage(_ path: String, runs: Int, seed: UInt64, live: Bool) throws -> [Int64] {
        let s = try Store(path: path)
        var rng = SplitMix(seed: seed)
        func pick(_ k: UInt64) -> Int64 { Int64(rng.next() % k) }
        try s.db.run("INSERT INTO import_runs(id, started_at, sources, pid) VALUES (1, 0, '[]', ?1), (2, 0, '[]', ?1)", [.int(live ? Int64(getpid()) : 0)])
        for i in 0..<40 { try s.db.run("INSERT INTO idents(v) VALUES (?)", [.text("acc-\(String(format: "%02d", 39 - i))")]) }
        for i in 0..<60 { try s.db.run("INSERT INTO idents(v) VALUES (?)", [.text("val-\(i)")]) }
        try s.db.exec("""
            INSERT INTO links_i(kind, value, account_id, events, first_ts, last_ts) VALUES (1, 41, 3, 7, 500, 9000), (2, 50, 1, 1, 20, 20);
            INSERT INTO accounts(account_id, n_events, first_seen, last_seen, first_run) VALUES ('acc-39', 4, 100, 200, 1);
            """)
        let st = try s.db.prepare("INSERT INTO links_pending(kind, value, account_id, events, first_ts, last_ts, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        var starts: [Int64] = []
        for _ in 0..<runs {
            var keys = Set<[Int64]>()
            for _ in 0..<(20 + Int(pick(60))) {
                let kind = pick(4)
                keys.insert([kind, kind == 0 ? 0 : 41 + pick(12), 1 + pick(40)])
            }
            for (n, k) in keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).enumerated() {
                let f = 1000 + pick(5000)
                try st.bind([.int(k[0]), .int(k[1]), .int(k[2]), .int(1 + pick(5)),
                              pick(9) == 0 ? .null : .int(f), pick(9) == 0 ? .null : .int(f + pick(900)), .int(1 + pick(2))])
                try st.execute()
                if n == 0 { starts.append(s.db.lastInsertRowID) }
            }
        }
        return starts
    }

    let linksSQL = "SELECT kind, value, account_id, events, first_ts, last_ts FROM links_i ORDER BY 1, 2, 3"
    let accountsSQL = "SELECT account_id, n_events, first_seen, last_seen, first_run FROM accounts ORDER BY 1"

    /// What the `GROUP BY` merge makes of the same staging.
    func groupByMerge(runs: Int, seed: UInt64) throws -> (links: [[SQLValue]], accounts: [[SQLValue]]) {
        let path = dir + "/groupby.db"
        try? FileManager.default.removeItem(atPath: path)
        _ = try stage(path, runs: runs, seed: seed, live: false)
        let s = try Store(path: path)   // the open merges it (GROUP BY)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending"), 0)
        return (try s.db.rows(linksSQL), try s.db.rows(accountsSQL))
    }

    func merge(runs: Int, seed: UInt64, starts: ([Int64]) -> [Int64]) throws -> (merged: Bool, links: [[SQLValue]], accounts: [[SQLValue]]) {
        try? FileManager.default.removeItem(atPath: storePath)
        let real = try stage(storePath, runs: runs, seed: seed, live: true)
        let s = try store()
        XCTAssertGreaterThan(try s.db.int("SELECT count(*) FROM links_pending"), 0, "an open with a live import's pid merges nothing")
        let merged = try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: starts(real)) }
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending"), 0)
        return (merged, try s.db.rows(linksSQL), try s.db.rows(accountsSQL))
    }

    func testSortedRunsMergeToWhatGroupByMakesAndAnUnsortedRangeFallsBack() throws {
        for seed: UInt64 in [1, 2, 3] {
            let want = try groupByMerge(runs: 9, seed: seed)
            XCTAssertGreaterThan(want.links.count, 100)
            XCTAssertTrue(want.links.contains { $0[4] == .null }, "null times are merged too")
            // The true run starts: merged as runs.
            let runs = try merge(runs: 9, seed: seed) { $0 }
            XCTAssertTrue(runs.merged, "seed \(seed)")
            XCTAssertEqual(runs.links, want.links, "seed \(seed)")
            XCTAssertEqual(runs.accounts, want.accounts, "seed \(seed)")
            // Starts missing (two runs read as one range: out of order): the GROUP BY merge.
            let missing = try merge(runs: 9, seed: seed) { s in s.enumerated().filter { $0.offset != 4 }.map(\.element) }
            XCTAssertFalse(missing.merged, "seed \(seed)")
            XCTAssertEqual(missing.links, want.links)
            XCTAssertEqual(missing.accounts, want.accounts)
            // Extra starts inside a run split it into two sorted runs: still merged as runs.
            let extra = try merge(runs: 9, seed: seed) { s in (s + s.map { $0 + 3 }).reversed() }
            XCTAssertTrue(extra.merged)
            XCTAssertEqual(extra.links, want.links)
            XCTAssertEqual(extra.accounts, want.accounts)
        }
    }

    /// imp41: with `rebuildAccountIndexes` the merge drops the two indexes on the accounts'
    /// activity and builds them again when its activity touches a quarter of the accounts or
    /// more: the same links and accounts as the `GROUP BY` merge's, the indexes back with their
    /// own SQL and every entry (integrity ok, each index read alone gives the table's rows).
    /// Below the share (400 accounts already there, at most 40 touched) they are updated in place.
    /// A failure after the drop (a trigger refusing the accounts' writes) rolls the drop back.
    func testAMergeTouchingManyAccountsBuildsTheirIndexesAgain() throws {
        let indexSQL = "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'accounts' ORDER BY name"
        let statsSQL = "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx IN ('idx_accounts_events', 'idx_accounts_last_seen') ORDER BY idx"
        func byIndex(_ db: Database) throws -> [[[SQLValue]]] {
            try [db.rows("SELECT account_id, n_events FROM accounts INDEXED BY idx_accounts_events ORDER BY n_events, account_id"),
                 db.rows("SELECT account_id, coalesce(last_seen, -1) FROM accounts INDEXED BY idx_accounts_last_seen ORDER BY coalesce(last_seen, -1), account_id")]
        }
        for seed: UInt64 in [1, 2, 3] {
            for crowd in [0, 400] {
                // The GROUP BY merge of the same staging (its open merges it), then the runs with the rebuild.
                let refPath = dir + "/groupby-\(seed)-\(crowd).db"
                try? FileManager.default.removeItem(atPath: refPath)
                _ = try stage(refPath, runs: 9, seed: seed, live: true)
                let ref = try Store(path: refPath)
                // Accounts with no staged activity: with them the touched share falls under a quarter.
                for i in 0..<crowd { try ref.db.run("INSERT INTO accounts(account_id, n_events, first_seen, last_seen) VALUES (?, ?, ?, ?)", [.text("crowd-\(i)"), .int(Int64(i % 7)), .int(Int64(i)), .int(Int64(i * 3))]) }
                XCTAssertFalse(try ref.db.transaction { try Schema.mergePendingLinkRuns(ref.db, runStarts: []) }, "the GROUP BY merge")
                let want = (try ref.db.rows(linksSQL), try ref.db.rows(accountsSQL), try byIndex(ref.db))

                try? FileManager.default.removeItem(atPath: storePath)
                let starts = try stage(storePath, runs: 9, seed: seed, live: true)
                let s = try store()
                for i in 0..<crowd { try s.db.run("INSERT INTO accounts(account_id, n_events, first_seen, last_seen) VALUES (?, ?, ?, ?)", [.text("crowd-\(i)"), .int(Int64(i % 7)), .int(Int64(i)), .int(Int64(i * 3))]) }
                // Statistics on the two indexes (a store someone ran ANALYZE on): kept across the rebuild.
                try s.db.exec("ANALYZE accounts")
                let statsBefore = try s.db.rows(statsSQL)
                XCTAssertEqual(statsBefore.count, 2, "seed \(seed): ANALYZE wrote both indexes' rows")
                let schemaBefore = try s.db.rows(indexSQL)
                let rootsBefore = try s.db.rows("SELECT name, rootpage FROM sqlite_schema WHERE name IN ('idx_accounts_events', 'idx_accounts_last_seen') ORDER BY name")
                let touched = try s.db.int("SELECT count(DISTINCT account_id) FROM links_pending WHERE kind = 0")
                let total = try s.db.int("SELECT count(*) FROM accounts")
                // What the rule decides here: every account is touched with no crowd, a tenth or less with it.
                XCTAssertEqual(Double(touched) >= Schema.accountIndexRebuildShare * Double(total), crowd == 0, "seed \(seed), crowd \(crowd)")
                let merged = try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: starts, rebuildAccountIndexes: true) }
                XCTAssertTrue(merged, "seed \(seed)")
                XCTAssertEqual(try s.db.rows(linksSQL), want.0, "seed \(seed), crowd \(crowd)")
                XCTAssertEqual(try s.db.rows(accountsSQL), want.1, "seed \(seed), crowd \(crowd)")
                XCTAssertEqual(try s.db.rows(indexSQL), schemaBefore, "seed \(seed): the indexes back with their own SQL")
                XCTAssertEqual(try s.db.rows(statsSQL), statsBefore, "seed \(seed), crowd \(crowd): the statistics rows as they were")
                XCTAssertEqual(try byIndex(s.db), want.2, "seed \(seed), crowd \(crowd)")
                XCTAssertEqual(try s.db.rows("PRAGMA integrity_check"), [[.text("ok")]])
                let rootsAfter = try s.db.rows("SELECT name, rootpage FROM sqlite_schema WHERE name IN ('idx_accounts_events', 'idx_accounts_last_seen') ORDER BY name")
                if crowd > 0 { XCTAssertEqual(rootsAfter, rootsBefore, "seed \(seed): under the share, updated in place") }
            }
        }
        // The decision alone (review41b #5): an account already stored counts as an update, a new
        // one as half of one (an insert alone), against a quarter of the table the merge leaves
        // (the accounts before it plus the new ones). 100 accounts stored; `existing` of them and
        // `new` others touched. At 10 + 30 the old rule (touched ≥ a quarter of the accounts
        // before) rebuilt; 10 + 15 < 32.5 does not.
        try? FileManager.default.removeItem(atPath: storePath)
        let s = try store()
        for i in 0..<100 {
            try s.db.run("INSERT INTO accounts(account_id, n_events) VALUES (?, 1)", [.text("a-\(i)")])
            try s.db.run("INSERT INTO idents(id, v) VALUES (?, ?)", [.int(Int64(i + 1)), .text("a-\(i)")])
            try s.db.run("INSERT INTO idents(id, v) VALUES (?, ?)", [.int(Int64(1_001 + i)), .text("new-\(i)")])
        }
        try s.db.exec("ANALYZE accounts")
        let stats = try s.db.rows(statsSQL)
        XCTAssertEqual(stats.count, 2)
        for (existing, new, rebuilt) in [(24, 0, false), (25, 0, true), (10, 30, false), (30, 10, true), (0, 99, false), (0, 100, true)] {
            try s.db.transaction {
                try s.db.exec("CREATE TEMP TABLE links_pending_accounts (id INTEGER PRIMARY KEY, n INTEGER, f INTEGER, l INTEGER, r INTEGER)")
                for i in 0..<existing { try s.db.run("INSERT INTO temp.links_pending_accounts(id, n) VALUES (?, 1)", [.int(Int64(i + 1))]) }
                for i in 0..<new { try s.db.run("INSERT INTO temp.links_pending_accounts(id, n) VALUES (?, 1)", [.int(Int64(1_001 + i))]) }
                let r = try Schema.dropAccountIndexesForRebuild(s.db)
                let note = "\(existing) stored + \(new) new of 100"
                XCTAssertEqual(r.sql.count, rebuilt ? 2 : 0, note)
                XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_schema WHERE name IN ('idx_accounts_events', 'idx_accounts_last_seen')"), rebuilt ? 0 : 2, note)
                // SQLite drops an index's statistics with it; the rebuild puts them back (review41b #6).
                XCTAssertEqual(try s.db.rows(statsSQL).count, rebuilt ? 0 : 2, note)
                XCTAssertEqual(r.stats, rebuilt ? stats : [], note)
                try r.restore(s.db)
                XCTAssertEqual(try s.db.rows(statsSQL), stats, note)
                XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_schema WHERE name IN ('idx_accounts_events', 'idx_accounts_last_seen')"), 2, note)
                try s.db.exec("DROP TABLE temp.links_pending_accounts")
            }
        }
        // A staging of thousands between the bounds decides on a sample, the same way as counting:
        // 20,000 stored, 6,000 touched (5,000 stored + 1,000 new: 5,500 ≥ 5,250) rebuild;
        // 4,000 + 2,000 (5,000 < 5,500) does not.
        try? FileManager.default.removeItem(atPath: storePath)
        let big = try store()
        try big.db.transaction {
            for i in 0..<20_000 {
                try big.db.run("INSERT INTO accounts(account_id, n_events) VALUES (?, 1)", [.text("b-\(i)")])
                try big.db.run("INSERT INTO idents(id, v) VALUES (?, ?)", [.int(Int64(i + 1)), .text("b-\(i)")])
            }
            for i in 0..<3_000 { try big.db.run("INSERT INTO idents(id, v) VALUES (?, ?)", [.int(Int64(100_001 + i)), .text("nb-\(i)")]) }
        }
        for (existing, new, rebuilt) in [(5_000, 1_000, true), (4_000, 2_000, false)] {
            try big.db.transaction {
                try big.db.exec("CREATE TEMP TABLE links_pending_accounts (id INTEGER PRIMARY KEY, n INTEGER, f INTEGER, l INTEGER, r INTEGER)")
                // Stored ones spread over the ids (every fourth from 1, or every fifth), new ones after.
                let step = 20_000 / existing
                for i in 0..<existing { try big.db.run("INSERT INTO temp.links_pending_accounts(id, n) VALUES (?, 1)", [.int(Int64(1 + i * step))]) }
                for i in 0..<new { try big.db.run("INSERT INTO temp.links_pending_accounts(id, n) VALUES (?, 1)", [.int(Int64(100_001 + i))]) }
                XCTAssertEqual(try Schema.rebuildPays(big.db, touched: Int64(existing + new), total: 20_000), rebuilt, "\(existing) + \(new) of 20,000")
                try big.db.exec("DROP TABLE temp.links_pending_accounts")
            }
        }
        // A failure after the drop: the transaction rolls back, the indexes are there and whole.
        try? FileManager.default.removeItem(atPath: storePath)
        let starts = try stage(storePath, runs: 9, seed: 4, live: true)
        let f = try store()
        // The triggers fire only once the index is gone (review41b): the failure is after the drop.
        let dropped = "WHEN NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'idx_accounts_events')"
        try f.db.exec("CREATE TRIGGER imp41_fail BEFORE UPDATE ON accounts \(dropped) BEGIN SELECT RAISE(ABORT, 'injected after the drop'); END")
        try f.db.exec("CREATE TRIGGER imp41_fail2 BEFORE INSERT ON accounts \(dropped) BEGIN SELECT RAISE(ABORT, 'injected after the drop'); END")
        let before = try f.db.rows(indexSQL)
        XCTAssertThrowsError(try f.db.transaction { try Schema.mergePendingLinkRuns(f.db, runStarts: starts, rebuildAccountIndexes: true) }) {
            XCTAssertTrue("\($0)".contains("injected after the drop"), "\($0)")
        }
        XCTAssertEqual(try f.db.rows(indexSQL), before)
        XCTAssertEqual(try f.db.rows("PRAGMA integrity_check"), [[.text("ok")]])
        XCTAssertGreaterThan(try f.db.int("SELECT count(*) FROM links_pending"), 0, "the staging is kept for the next open")
    }

    func testTheImportersFlushesAreStagedAsSortedRuns() throws {
        // A staged import whose aggregate is flushed every 64 entries: every flush a run the
        // merge takes as one (never the fallback), and the links those of a row-by-row import.
        let s = try store()
        let agg = LinkAggregator()
        agg.stage = try s.db.prepare("INSERT INTO links_pending(kind, value, account_id, events, first_ts, last_ts, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        agg.stageDB = s.db
        var rng = SplitMix(seed: 20)
        let unused = try s.db.prepare("SELECT 1")
        var linkEvents: Int64 = 0
        for i in 0..<3000 {
            let kind = UInt8(rng.next() % 3)
            if kind > 0 { linkEvents += 1 }
            agg.add(kind: kind, value: Int64(rng.next() % 50), account: Int64(rng.next() % 30), ts: Int64(i))
            if agg.count >= 64 { try agg.flush(link: unused, account: unused, runID: 1) }
        }
        try agg.flush(link: unused, account: unused, runID: 1)
        XCTAssertGreaterThan(agg.runStarts.count, 20)
        let staged = try s.db.int("SELECT count(*) FROM links_pending")
        let groups = try s.db.int("SELECT count(*) FROM (SELECT 1 FROM links_pending WHERE kind > 0 GROUP BY kind, value, account_id)")
        XCTAssertGreaterThan(staged, groups + 500, "keys repeat across runs")
        let merged = try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: agg.runStarts) }
        XCTAssertTrue(merged)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_i"), groups)
        XCTAssertEqual(try s.db.int("SELECT sum(events) FROM links_i"), linkEvents)
    }
}
