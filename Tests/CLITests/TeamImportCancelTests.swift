import Foundation
import RiskStore
import XCTest

/// Ctrl-C / SIGTERM while the server runs the import's merge (`riskdesk_merge_import`, one
/// long statement): the client cancels it there (PQcancel), the transaction rolls back, the
/// exit code is the local import's (130 / 143) and the run is on record as `interrupted`.
/// A real server and the real binary. So that the signal lands inside the merge, not before
/// or after it, the test holds a lock the merge needs half-way (`links`, written after the
/// events and their ids): the merge has written events it can't commit when it is stopped,
/// and the test waits until `pg_stat_activity` shows the merge statement waiting there.
final class TeamImportCancelTests: TeamStoreTestCase {
    func events(_ prefix: String, _ n: Int) -> String {
        var text = header + "\n"
        for i in 0..<n {
            text += "\(prefix)\(i),2026-03-0\(1 + i % 9)T10:00:00Z,acct_\(i % 50),view,dev\(i % 7),10.0.0.\(i % 200),DE,s\(i),item\(i % 30),,,,,,,,,,,,\n"
        }
        return text
    }

    /// The import's backend once it waits for a lock inside the merge statement (60 s at most).
    func waitForBlockedMerge(_ owner: PGConnection, _ child: Child) throws -> Int64? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && child.isRunning {
            let pids = try owner.rows("""
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
                  AND query LIKE '%riskdesk_merge_import(%' AND wait_event_type = 'Lock'
                """)
            if let p = pids.first?[0].int { return p }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    func testASignalDuringTheMergeCancelsItOnTheServerAndLeavesNothingHalfMerged() throws {
        let owner = try PGConnection(url: ownerURL)
        // As the owner: pg_stat_activity shows another role's statement only to a privileged role.
        let lead = ownerURL!
        let file = write("events.csv", events("m", 5_000))
        for (sig, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let blocker = try PGConnection(url: ownerURL)
            try blocker.exec("BEGIN")
            try blocker.exec("LOCK TABLE links IN SHARE MODE")          // the merge's INSERT INTO links waits
            let child = try Spawn.start([CLI.binary, "import", "--store", lead, file], env: CLI.environment([:]),
                                        stdout: dir + "/m.out", stderr: dir + "/m.err")
            let err = { (try? String(contentsOfFile: self.dir + "/m.err", encoding: .utf8)) ?? "" }
            guard let pid = try waitForBlockedMerge(owner, child) else {
                child.signal(SIGKILL); _ = child.wait()
                return XCTFail("the merge never waited on links: \(err())")
            }
            // Half-way indeed: the merge has written event ids (a lock it holds on event_ids).
            XCTAssertEqual(try owner.int("""
                SELECT count(*) FROM pg_locks WHERE pid = $1 AND relation = 'event_ids'::regclass AND mode = 'RowExclusiveLock' AND granted
                """, [.int(pid)]), 1)
            child.signal(sig)
            // It stops while the lock is still held: the server's statement was cancelled, not finished.
            XCTAssertEqual(child.wait(timeout: 30), code, err())
            XCTAssertTrue(err().contains("interrupted — nothing was written to the team store"), err())
            XCTAssertEqual(try owner.int("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [.int(pid)]), 0,
                           "the merge still runs on the server")
            try blocker.exec("ROLLBACK")
            for t in ["events", "event_ids", "accounts", "links", "event_hourly", "stage_events"] {
                XCTAssertEqual(try owner.int("SELECT count(*) FROM \(t)"), 0, t)
            }
            XCTAssertEqual(try owner.int("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"), 0, "a partition left behind")
        }
        XCTAssertEqual(try owner.rows("SELECT status FROM import_runs ORDER BY id").map { $0[0].description }, ["interrupted", "interrupted"])
        // Nothing held over: the same file imports whole now.
        let r = try CLI.run(["import", "--json", "--store", lead, file])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try owner.int("SELECT count(*) FROM events"), 5_000)
        XCTAssertEqual(try owner.int("SELECT count(*) FROM links WHERE kind = 'device'"),
                       try owner.int("SELECT count(DISTINCT (account_id, device_id)) FROM events"))
    }
}
