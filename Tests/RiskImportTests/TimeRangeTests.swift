import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// Schema v13: no `ts` index. A time range without a type skip-scans `(type, ts)`, which the
/// planner does only with the `sqlite_stat1` row every import writes; type filters (every
/// shipped rule) keep their index; `info`'s first and last event come from seeks.
final class TimeRangeTests: ImportTestCase {
    /// A skewed world, as real ones are: most events are views, a few are password resets.
    func world(events n: Int, seed: UInt64) -> (csv: String, ts: [Int64], types: [String]) {
        var rng = SplitMix(seed: seed)
        let kinds: [(String, UInt64)] = [("view", 700), ("login", 150), ("order", 80), ("review", 40),
                                         ("coupon_redeem", 20), ("password_reset", 10)]
        let total = kinds.reduce(0) { $0 + $1.1 }
        var csv = "event_id,ts,account_id,type,device_id,status,rating,seller_id,text,coupon_id\n"
        var ts: [Int64] = [], types: [String] = []
        var t: Int64 = 1_790_000_000_000
        for i in 0..<n {
            t += Int64(rng.next() % 120_000)
            var r = rng.next() % total, type = kinds[0].0
            for (k, w) in kinds { if r < w { type = k; break }; r -= w }
            let acct = "a\(rng.next() % 200)"
            csv += "e\(i),\(t),\(acct),\(type),d\(rng.next() % 300),\(rng.next() % 4 == 0 ? "fail" : "ok"),5,s\(rng.next() % 20),great,c\(rng.next() % 5)\n"
            ts.append(t); types.append(type)
        }
        return (csv, ts, types)
    }

    func plan(_ db: Database, _ sql: String) throws -> String {
        try db.rows("EXPLAIN QUERY PLAN " + sql).map { $0.last?.string ?? "" }.joined(separator: "\n")
    }

    func testTimeRangesWithoutATypeSkipScanAndTypeFiltersKeepTheirIndex() throws {
        let w = world(events: 4000, seed: 1301)
        try importPaths([write("events.csv", w.csv)]) { $0.batchRows = 700 }
        let s = try store()   // a new connection: the planner reads the row from the file
        XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
        XCTAssertEqual(try s.missingIndexes(), [])
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_schema WHERE name = 'idx_events_ts'"), 0)
        XCTAssertEqual(try s.db.rows("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'events_i' ORDER BY idx"),
                       [[.text("idx_events_account_ts"), .text("4000 4000 10 5")], [.text("idx_events_type_ts"), .text("4000 \(Schema.typeRowsHint(events: 4000)) 1")]])

        // A time range, no type: a skip-scan of (type, ts), and the right rows.
        let lo = w.ts[1000], hi = w.ts[1400]
        let range = "SELECT count(*) FROM events WHERE ts >= \(lo) AND ts < \(hi)"
        let p = try plan(s.db, range)
        XCTAssertTrue(p.contains("idx_events_type_ts (ANY(type) AND ts>? AND ts<?)"), p)
        let expected = Int64(w.ts.filter { $0 >= lo && $0 < hi }.count)
        XCTAssertEqual(try s.db.int(range), expected)
        let rowsPlan = try plan(s.db, "SELECT id FROM events WHERE ts >= \(lo) ORDER BY ts")
        XCTAssertTrue(rowsPlan.contains("ANY(type) AND ts>?"), rowsPlan)

        // Every shipped rule still reaches its events by the type index (a rare type is not
        // taken for a tenth of the table, which would make the planner scan).
        let rulesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("queries/rules")
        let files = try FileManager.default.contentsOfDirectory(atPath: rulesDir.path).filter { $0.hasSuffix(".sql") }
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for f in files {
            let text = try String(contentsOf: rulesDir.appendingPathComponent(f), encoding: .utf8)
            let sql = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
                .joined(separator: "\n").trimmingCharacters(in: CharacterSet(charactersIn: "; \n"))
            let rp = try plan(s.db, sql)
            XCTAssertTrue(rp.contains("USING INDEX idx_events_type_ts (type=?"), "\(f):\n\(rp)")
            XCTAssertNoThrow(try s.db.rows(sql), f)
        }
        // An account's events by type (the timeline's filter) go by the account.
        let tl = try plan(s.db, "SELECT id FROM events WHERE account_id = 'a7' AND type IN ('login') AND ts < \(hi) ORDER BY ts DESC LIMIT 50")
        // v18: a skip-scan over the index's two tiers (TimelineTier.swift), then the account.
        XCTAssertTrue(tl.contains("idx_events_account_ts (ANY(<expr>) AND account_id=?"), tl)

        // First and last event, by seeks: with an untyped event and a type typed in by hand.
        var sum = try s.summary()
        XCTAssertEqual(sum.firstEventMs, w.ts.min())
        XCTAssertEqual(sum.lastEventMs, w.ts.max())
        XCTAssertEqual(sum.events, 4000)
        try s.db.exec("INSERT INTO events(event_id, ts, account_id, type) VALUES ('x1', 5, 'a1', NULL), ('x2', \(w.ts.max()! + 9), 'a1', 'zz_manual')")
        sum = try s.summary()
        XCTAssertEqual(sum.firstEventMs, 5)
        XCTAssertEqual(sum.lastEventMs, w.ts.max()! + 9)
        let span = try plan(s.db, Store.eventSpanSQL)
        XCTAssertFalse(span.contains("SCAN events"), span)
    }

    func testAnEmptyStoreHasNoRowAndTheNextImportWritesIt() throws {
        let empty = try Store(path: storePath)
        XCTAssertEqual(try empty.summary().firstEventMs, nil)
        try importPaths([write("e.csv", "event_id,ts,account_id,type\n")]) { $0.kind = .events }
        XCTAssertEqual(try one("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'events_i'"), .int(0))
        try importPaths([write("w.csv", world(events: 300, seed: 1302).csv)]) { $0.batchRows = 100; $0.kind = .events }
        XCTAssertEqual(try rows("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'events_i' ORDER BY idx"),
                       [[.text("idx_events_account_ts"), .text("300 300 10 5")], [.text("idx_events_type_ts"), .text("300 \(Schema.typeRowsHint(events: 300)) 1")]])
        // A later import refreshes it (no row for the tiny ANALYZE that makes the table exist).
        try importPaths([write("more.csv", "event_id,ts,account_id,type\nm1,1,a1,view\nm2,2,a1,login\n")]) { $0.kind = .events }
        XCTAssertEqual(try rows("SELECT tbl, stat FROM sqlite_stat1 ORDER BY idx"),
                       [[.text("events_i"), .text("302 302 10 5")], [.text("events_i"), .text("302 \(Schema.typeRowsHint(events: 302)) 1")]])
        // Every import writes the row, so it must cost seeks, not a scan of `events_i` (with
        // `max(id) - min(id)` in one query SQLite scanned a whole index: O(store) per import).
        let s = try store()
        for sql in Schema.eventStatsSQL where sql.contains("events_i") && !sql.hasPrefix("DELETE") {
            let p = try s.db.rows("EXPLAIN QUERY PLAN " + sql).map { $0.last?.string ?? "" }.joined(separator: "\n")
            XCTAssertFalse(p.contains("SCAN events_i"), p)
            XCTAssertTrue(p.contains("SEARCH events_i"), p)
        }
        // The same row after events are deleted from both ends (the range, not a count).
        try s.db.exec("DELETE FROM events_i WHERE id IN ((SELECT min(id) FROM events_i), (SELECT max(id) FROM events_i))")
        try s.db.transaction { for sql in Schema.eventStatsSQL { try s.db.exec(sql) } }
        XCTAssertEqual(try s.db.rows("SELECT stat FROM sqlite_stat1 WHERE tbl = 'events_i' ORDER BY idx"), [[.text("300 300 10 5")], [.text("300 \(Schema.typeRowsHint(events: 300)) 1")]])
        try s.db.exec("DELETE FROM events_i")
        try s.db.transaction { for sql in Schema.eventStatsSQL { try s.db.exec(sql) } }
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'events_i'"), 0)
    }
}
