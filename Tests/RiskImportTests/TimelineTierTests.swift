import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// Schema v18: the timeline index grouped by block of event ids (TimelineTier.swift). Pages of
/// a timeline read every block merged in time order; a store whose index is missing or not the
/// v18 one gets it back when it is next opened for writing; a big store's statistics keep
/// account queries on the account index.
final class TimelineTierTests: ImportTestCase {
    /// Events of `accounts` accounts; `late` ones carry times among the first file's (a late
    /// export), so the blocks' rows interleave in every timeline.
    func events(_ n: Int, from: Int, seed: UInt64, accounts: UInt64 = 12, late: Bool = false) -> String {
        var rng = SplitMix(seed: seed)
        var csv = "event_id,ts,account_id,type,device_id\n"
        let types = ["view", "login", "order", "review"]
        for i in from..<(from + n) {
            // Every tenth event of an account shares its time with another (the id breaks the tie).
            let base: Int64 = late ? 1_790_000_000_000 + Int64(rng.next() % 4_000) * 1000 : 1_790_000_000_000 + Int64(i) * 1000
            let ts = i % 10 == 0 ? base - base % 5000 : base
            csv += "e\(i),\(ts),a\(rng.next() % accounts),\(types[Int(rng.next() % 4)]),d\(rng.next() % 9)\n"
        }
        return csv
    }

    /// An account's whole timeline read page by page with `timelinePage`, forward and back.
    func paged(_ db: Database, _ account: String, types: [String]? = nil, limit: Int = 7) throws -> (forward: [Int64], backward: [Int64]) {
        var fwd: [Int64] = [], anchor: (Int64, Int64)? = nil
        while true {
            let page = try db.timelinePage(account: account, types: types, direction: anchor == nil ? .first : .after, anchor: anchor, limit: limit)
            fwd += page.map(\.id)
            guard page.count == limit, let last = page.last else { break }
            anchor = (last.ts, last.id)
        }
        var back: [Int64] = []
        anchor = nil
        while true {
            let page = try db.timelinePage(account: account, types: types, direction: anchor == nil ? .last : .before, anchor: anchor, limit: limit)
            back = page.map(\.id) + back
            guard page.count == limit, let first = page.first else { break }
            anchor = (first.ts, first.id)
        }
        return (fwd, back)
    }

    func reference(_ db: Database, _ account: String, types: [String]? = nil) throws -> [Int64] {
        let filter = types.map { " AND type IN (" + $0.map { "'\($0)'" }.joined(separator: ",") + ")" } ?? ""
        return try db.rows("SELECT id FROM events WHERE account_id = '\(account)'\(filter) ORDER BY ts, id").compactMap { $0[0].int }
    }

    /// Adds one event by SQL with this id (the next import's ids follow it).
    func jump(to id: Int64, _ s: Store, account: String = "a1") throws {
        try s.db.exec("INSERT INTO events(id, event_id, ts, account_id, type) VALUES (\(id), 'jump-\(id)', 1790000000500, '\(account)', 'view')")
    }

    func testPagesOfATimelineReadEveryBlockMergedInOrder() throws {
        let block = Int64(1) << Int64(Schema.timelineBlockShift)
        try importPaths([write("base.csv", events(1500, from: 0, seed: 1801))]) { $0.kind = .events; $0.indexMode = .rebuild; $0.batchRows = 1000 }
        XCTAssertTrue(try TimelineTier.indexMatches(store().db), "a bulk load builds the block-grouped index")
        // The next days' events get the next ids: they cross into a second block, then a third.
        try jump(to: block - 200, try store())
        try importPaths([write("day1.csv", events(700, from: 1500, seed: 1802, late: true))]) { $0.kind = .events; $0.batchRows = 100 }
        try jump(to: 2 * block + 10, try store())
        try importPaths([write("day2.csv", events(400, from: 2200, seed: 1803, late: true))]) { $0.kind = .events; $0.batchRows = 100 }
        let s = try store()
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events_i"), 2602)
        XCTAssertEqual(try s.db.rows("SELECT id >> \(Schema.timelineBlockShift), count(*) FROM events_i GROUP BY 1"),
                       [[.int(0), .int(1700)], [.int(1), .int(501)], [.int(2), .int(401)]])
        // The statistics an import writes past the type hint's floor (ids over 8.4M: the hint's ceiling).
        let n = try s.db.int("SELECT max(id) - min(id) + 1 FROM events_i")
        XCTAssertEqual(try s.db.rows("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'events_i' ORDER BY idx"),
                       [[.text("idx_events_account_ts"), .text("\(n) \(n) 10 5")], [.text("idx_events_type_ts"), .text("\(n) 1000 1")]])
        XCTAssertEqual(try s.db.timelineTierConditions(),
                       (0...3).map { "(id >> \(Schema.timelineBlockShift)) = \($0)" })
        // Every account's pages, forward and back, with and without a type filter, are its events in (ts, id) order.
        var crossings = 0
        for a in 0..<12 {
            let acct = "a\(a)"
            for types in [nil, ["login", "order"]] as [[String]?] {
                let want = try reference(s.db, acct, types: types)
                XCTAssertFalse(want.isEmpty)
                let got = try paged(s.db, acct, types: types)
                XCTAssertEqual(got.forward, want, "\(acct) \(types ?? [])")
                XCTAssertEqual(got.backward, want, "\(acct) \(types ?? [])")
            }
            let ids = try reference(s.db, acct)
            crossings += zip(ids, ids.dropFirst()).filter { ($0 >> Int64(Schema.timelineBlockShift)) != ($1 >> Int64(Schema.timelineBlockShift)) }.count
        }
        XCTAssertGreaterThan(crossings, 100, "the test must interleave the blocks in time")
        // A page (the statement `timelinePage` runs) reads each block in index order, and the
        // next one, and merges them: no sort, no other index.
        let page = try s.db.timelinePageSQL(account: "a3", types: ["login", "order"], direction: .after,
                                            anchor: (1_790_000_500_000, 10), limit: 50)
        let plan = try s.db.rows("EXPLAIN QUERY PLAN " + page.0, page.1).map { $0.last?.string ?? "" }.joined(separator: "\n")
        XCTAssertTrue(plan.contains("MERGE (UNION ALL)"), plan)
        XCTAssertEqual(plan.components(separatedBy: "idx_events_account_ts (<expr>=? AND account_id=?").count - 1, 4, plan)
        XCTAssertFalse(plan.contains("TEMP B-TREE"), plan)
        XCTAssertFalse(plan.contains("idx_events_type_ts"), plan)
        XCTAssertFalse(plan.contains("SCAN"), plan)
        XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok")

        // An import that commits into a new block between the blocks' read and the page's is
        // not missed: the statement built before it still returns its rows.
        let latest = try s.db.timelinePageSQL(account: "a3", types: nil, direction: .last, anchor: nil, limit: 5)
        try s.db.exec("INSERT INTO events(id, event_id, ts, account_id, type) VALUES (\(3 * block + 1), 'late-block', 1799000000000, 'a3', 'view')")
        XCTAssertEqual(try s.db.rows(latest.0, latest.1).first?[1], .text("late-block"))

        // Past `maxMergedBlocks` blocks with events, one arm that SQLite sorts: the same pages.
        // (Blocks without events do not count: one stray big id keeps the merge.)
        try jump(to: (TimelineTier.maxMergedBlocks + 5) * block, s, account: "a3")
        XCTAssertEqual(try s.db.timelineTierConditions().count, 6)
        for k in 4..<(TimelineTier.maxMergedBlocks + 1) { try jump(to: k * block + 7, s, account: "a\(k % 12)") }
        XCTAssertEqual(try s.db.timelineTierConditions(), ["1 = 1"])
        for a in [1, 3, 7] { XCTAssertEqual(try paged(s.db, "a\(a)").forward, try reference(s.db, "a\(a)")) }
    }

    func testAMissingOrWrongIndexIsBuiltAgainAtTheNextWritersOpen() throws {
        try importPaths([write("base.csv", events(1500, from: 0, seed: 1807))]) { $0.kind = .events; $0.indexMode = .rebuild; $0.batchRows = 1000 }
        try jump(to: (Int64(1) << Int64(Schema.timelineBlockShift)) - 100, try store())
        try importPaths([write("day.csv", events(299, from: 1500, seed: 1808, late: true))]) { $0.kind = .events; $0.batchRows = 100 }
        let want = try reference(store().db, "a5")
        let n = try store().db.int("SELECT max(id) - min(id) + 1 FROM events_i")
        // Each damage: the index dropped (a killed bulk load), built by hand as before v18, or
        // grouped by another block size; the statistics row removed with it.
        let damages = [
            "DROP INDEX idx_events_account_ts",
            "DROP INDEX idx_events_account_ts; CREATE INDEX idx_events_account_ts ON events_i(account_id, ts)",
            "DROP INDEX idx_events_account_ts; CREATE INDEX idx_events_account_ts ON events_i((id >> 20), account_id, ts); DELETE FROM sqlite_stat1",
        ]
        for damage in damages {
            try store().db.exec(damage)
            // A reader of the damaged store still reads every timeline right (one arm, sorted).
            let ro = try Store(path: storePath, readOnly: true)
            XCTAssertEqual(try ro.db.timelineTierConditions(), ["1 = 1"], damage)
            XCTAssertEqual(try paged(ro.db, "a5").forward, want, damage)
            // The next writer's open builds the v18 index again, with its statistics row.
            let s = try store()
            XCTAssertTrue(try TimelineTier.indexMatches(s.db), damage)
            XCTAssertEqual(try s.missingIndexes(), [], damage)
            XCTAssertEqual(try s.db.timelineTierConditions().count, 3, damage)
            XCTAssertEqual(try paged(s.db, "a5").forward, want, damage)
            XCTAssertEqual(try s.db.rows("SELECT stat FROM sqlite_stat1 WHERE idx = 'idx_events_account_ts'"), [[.text("\(n) \(n) 10 5")]], damage)
        }
    }

    /// With the statistics a big store gets (written here as an import of 18M events would write
    /// them), an account's events still go by the account: a rule's join by account and hour,
    /// and an account's events of one type in time order. With the v17 type hint (100) the
    /// planner took the type index for both — every login of the hour, or of the whole store.
    func testABigStoresStatisticsKeepAccountQueriesOnTheAccountIndex() throws {
        try importPaths([write("base.csv", events(600, from: 0, seed: 1809))]) { $0.kind = .events; $0.indexMode = .rebuild; $0.batchRows = 1000 }
        let n: Int64 = 18_000_000
        XCTAssertEqual(Schema.typeRowsHint(events: n), 1000)
        XCTAssertEqual(Schema.typeRowsHint(events: 4000), 100)
        XCTAssertEqual(Schema.typeRowsHint(events: 20_000), 500)
        var s = try store()
        try s.db.exec("""
            UPDATE sqlite_stat1 SET stat = '\(n) \(Schema.typeRowsHint(events: n)) 1' WHERE idx = 'idx_events_type_ts';
            UPDATE sqlite_stat1 SET stat = '\(n) \(n) 10 5' WHERE idx = 'idx_events_account_ts';
            """)
        s = try store()
        func plan(_ sql: String) throws -> String {
            try s.db.rows("EXPLAIN QUERY PLAN " + sql).map { $0.last?.string ?? "" }.joined(separator: "\n")
        }
        let byType = try plan("SELECT id FROM events WHERE account_id = 'a3' AND type = 'login' ORDER BY ts DESC LIMIT 50")
        XCTAssertTrue(byType.contains("idx_events_account_ts (ANY(<expr>) AND account_id=?)"), byType)
        let rulesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("queries/rules")
        let text = try String(contentsOf: rulesDir.appendingPathComponent("failed_logins_then_reset_new_device.sql"), encoding: .utf8)
        let rule = try plan(text.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n"))
        XCTAssertTrue(rule.contains("idx_events_type_ts (type=?)"), rule)   // the resets, by type
        XCTAssertFalse(rule.contains("idx_events_type_ts (type=? AND ts>? AND ts<?)"), rule)   // not the hour's logins
        XCTAssertTrue(rule.contains("idx_events_account_ts (ANY(<expr>) AND account_id=? AND ts>? AND ts<?)"), rule)
    }
}
