import Foundation
import RiskStore
import XCTest

/// `riskdesk_merge_import`'s shortcut for the common import (the client's aggregates, no sort of
/// all the staged ids, no join of the staged rows with the new ones) is taken only when it is
/// exact: every row the client left out (its 64-bit hash of the event id was seen before)
/// repeats an earlier row's text, and no row it counted is in the store already. A hash
/// collision, which no real file can be made to hit, is staged by hand here, as the importer
/// stages rows (as the owner, who may import), against a real server.
final class TeamMergeShortcutTests: TeamStoreTestCase {
    struct Row { let ord: Int64; let id: String; let device: String }

    /// Stages `rows` with the client's aggregates over `counted` (as PGImportAggregates counts
    /// them) and `skips` (the rows it left out), merges, commits.
    func merge(_ c: PGConnection, _ rows: [Row], skips: [Int64], counted: [Int64]) throws -> (stored: Int64, duplicate: Int64, countedBy: String) {
        let run = try c.int("INSERT INTO import_runs (started_at, sources) VALUES (0, '[]') RETURNING id")
        try c.exec("BEGIN")
        for r in rows {
            try c.run("INSERT INTO stage_events (id, event_id, ts, account_id, type, device_id) VALUES ($1, $2, $3, 'acct_1', 'login', $4)",
                      [.int(r.ord), .text(r.id), .int(1_780_000_000_000 + r.ord * 1000), .text(r.device)])
        }
        for k in skips { try c.run("INSERT INTO stage_event_skips (ord) VALUES ($1)", [.int(k)]) }
        let list = counted.map(String.init).joined(separator: ",")
        try c.exec("""
            INSERT INTO stage_agg_links (events, kind, value, account_id, first_ts, last_ts)
                SELECT count(*), 'device', device_id, account_id, min(ts), max(ts) FROM stage_events WHERE id IN (\(list)) GROUP BY 2, 3, 4;
            INSERT INTO stage_agg_accounts (n_events, account_id, first_seen, last_seen)
                SELECT count(*), account_id, min(ts), max(ts) FROM stage_events WHERE id IN (\(list)) GROUP BY 2;
            INSERT INTO stage_agg_hourly (n, hour, type)
                SELECT count(*), floor(ts / 3600000.0)::bigint, type FROM stage_events WHERE id IN (\(list)) GROUP BY 2, 3;
            """)
        try c.run("SELECT set_config('riskdesk.client_aggregates', $1, true)", [.text(String(counted.count))])
        let m = try c.rows("SELECT stored, duplicate FROM riskdesk_merge_import($1)", [.int(run)])[0]
        let by = try c.scalar("SELECT current_setting('riskdesk.merge_counted_by', true)").string ?? ""
        try c.exec("COMMIT")
        return (m[0].int ?? -1, m[1].int ?? -1, by)
    }

    func devices(_ c: PGConnection) throws -> [String] {
        try c.rows("SELECT value FROM links WHERE kind = 'device' ORDER BY value").map { $0[0].string ?? "" }
    }

    func testTheShortcutIsTakenOnlyWhenItCountsExactlyTheNewRows() throws {
        let c = try PGConnection(url: ownerURL)
        // A collision: b's hash matched a's, so the client left b out (and a's true repeat);
        // b is a new event all the same, and the server counts.
        var r = try merge(c, [Row(ord: 1, id: "a", device: "d1"), Row(ord: 2, id: "b", device: "d2"), Row(ord: 3, id: "a", device: "d3")],
                          skips: [2, 3], counted: [1])
        XCTAssertEqual(r.stored, 2); XCTAssertEqual(r.duplicate, 1); XCTAssertEqual(r.countedBy, "server")
        XCTAssertEqual(try c.rows("SELECT event_id, device_id FROM events ORDER BY id").map { "\($0[0].string ?? "")/\($0[1].string ?? "")" },
                       ["a/d1", "b/d2"])
        XCTAssertEqual(try devices(c), ["d1", "d2"])
        XCTAssertEqual(try c.int("SELECT n_events FROM accounts WHERE account_id = 'acct_1'"), 2)
        XCTAssertEqual(try c.int("SELECT count(*) FROM pg_indexes WHERE indexname IN ('event_ids_pkey', 'links_pkey', 'idx_links_account')"), 3)

        // Only true repeats left out, nothing already stored: the client's counts, as they are.
        r = try merge(c, [Row(ord: 1, id: "c", device: "d4"), Row(ord: 2, id: "c", device: "d5")], skips: [2], counted: [1])
        XCTAssertEqual(r.stored, 1); XCTAssertEqual(r.duplicate, 1); XCTAssertEqual(r.countedBy, "client")
        XCTAssertEqual(try devices(c), ["d1", "d2", "d4"])

        // A counted row the store already holds (a daily file repeating yesterday's events):
        // still the client's counts, less that row's — its account counted again from its new rows.
        r = try merge(c, [Row(ord: 1, id: "a", device: "d6"), Row(ord: 2, id: "e", device: "d7")], skips: [], counted: [1, 2])
        XCTAssertEqual(r.stored, 1); XCTAssertEqual(r.duplicate, 1); XCTAssertEqual(r.countedBy, "client")
        XCTAssertEqual(try devices(c), ["d1", "d2", "d4", "d7"])
        XCTAssertEqual(try c.int("SELECT n_events FROM accounts WHERE account_id = 'acct_1'"), 4)
        XCTAssertEqual(try c.int("SELECT count(*) FROM events e JOIN event_ids x USING (event_id) WHERE x.id = e.id"), 4)
    }

    /// Another import still streaming (its staged rows uncommitted, its lock on the staging
    /// tables held) doesn't hold up this one's merge: it empties only its own rows then (a
    /// TRUNCATE would wait for the other import, which would wait for this merge's lock), and
    /// the other's rows stay.
    func testAMergeDoesNotWaitForAnotherImportStillStreaming() throws {
        let other = try PGConnection(url: ownerURL)
        try other.exec("BEGIN")
        try other.exec("INSERT INTO stage_events (id, event_id, ts, account_id) VALUES (1, 'other-1', 1780000000000, 'acct_x')")
        let file = write("events.csv", header + "\n" + (0..<20).map { "e\($0),2026-03-01T10:00:0\($0 % 10)Z,acct_\($0 % 3),view,dev\($0 % 4),,,,,,,,,,,,,,,,\n" }.joined())
        let r = try CLI.run(["import", "--json", "--store", ownerURL, file], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try jsonObject(r.stdout)["stored"] as? Int, 20)
        XCTAssertEqual(try other.int("SELECT count(*) FROM stage_events WHERE event_id = 'other-1'"), 1)
        try other.exec("ROLLBACK")
        let c = try PGConnection(url: ownerURL)
        XCTAssertEqual(try c.int("SELECT count(*) FROM events"), 20)
        XCTAssertEqual(try c.int("SELECT count(*) FROM stage_events"), 0)
    }
}
