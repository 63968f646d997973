import Foundation
import RiskStore
import XCTest

/// The daily import into a team store that holds the history (v8's merge): a file that
/// repeats some of the events already stored (the usual overlap of daily exports) still takes
/// the cheap path — the client's counts, less the repeats' — and ends exactly as a local import
/// of the same files; ANALYZE takes only what the import changed.
final class TeamDailyImportTests: TeamStoreTestCase {
    func testADailyFileRepeatingStoredEventsEndsAsALocalImportAndAnalyzesOnlyWhatChanged() throws {
        let sim = dir + "/sim"
        let r = try CLI.run(["simulate", "--out", sim, "--accounts", "200", "--days", "4", "--seed", "21", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try? FileManager.default.removeItem(atPath: sim + "/truth.csv")
        let lines = try String(contentsOfFile: sim + "/events.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0], rows = Array(lines[1...])
        let cut = rows.count * 9 / 10
        func folder(_ name: String, _ events: [String], profiles: Bool) throws -> String {
            let d = dir + "/" + name
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            try ([header] + events).joined(separator: "\n").appending("\n").write(toFile: d + "/events.csv", atomically: true, encoding: .utf8)
            if profiles {
                for f in ["accounts.csv", "items.csv"] where FileManager.default.fileExists(atPath: sim + "/" + f) {
                    try FileManager.default.copyItem(atPath: sim + "/" + f, toPath: d + "/" + f)
                }
            }
            return d
        }
        let history = try folder("history", Array(rows[..<cut]), profiles: true)
        // The day: its new events, 40 of yesterday's again (stored already, some with another
        // type: the stored row wins), and one new event twice in the file.
        var day = Array(rows[(cut - 40)...])
        for i in stride(from: 0, to: 40, by: 3) {
            var f = day[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[3] = f[3] == "view" ? "login" : "view"
            day[i] = f.joined(separator: ",")
        }
        day.append(day[day.count - 1])
        let daily = try folder("daily", day, profiles: false)
        // A few events of a month the store doesn't hold: a partition of its own.
        let old = try folder("old", rows[0..<30].map { line -> String in
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[0] = "old-" + f[0]; f[1] = "2025-02-1\(f[0].count % 9)T10:00:00Z"
            return f.joined(separator: ",")
        }, profiles: false)

        let owner = try PGConnection(url: ownerURL)
        for files in [history, daily, old] {
            let l = try CLI.run(["import", "--json", "--store", store, files])
            XCTAssertEqual(l.status, 0, l.stderr)
            // The count of rows stored since `events` was last analyzed whole, from nothing
            // before the last import: a small one (30 rows) must not analyze the whole store.
            if files == old { try owner.exec("UPDATE settings SET value = '0' WHERE key = 'events_stored_since_analyze'") }
            let t = try CLI.run(["import", "--json", "--store", ownerURL, files])
            XCTAssertEqual(t.status, 0, t.stderr)
            let (lo, to) = (try jsonObject(l.stdout), try jsonObject(t.stdout))
            XCTAssertGreaterThan(to["stored"] as? Int ?? 0, 0, files)
            XCTAssertEqual(to["duplicate"] as? Int, lo["duplicate"] as? Int, files)
            XCTAssertEqual(to["counted_by"] as? String, "client", files)
            if files == daily { XCTAssertGreaterThanOrEqual(to["duplicate"] as? Int ?? 0, 41, files) }
        }
        let s = try Store(path: store, readOnly: true)
        for q in ["SELECT event_id, ts, account_id, type, device_id, ip, item_id, seller_id, amount, text FROM events ORDER BY event_id",
                  "SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY account_id",
                  "SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY kind, value, account_id",
                  "SELECT hour, type, n FROM event_hourly ORDER BY hour, type"] {
            XCTAssertEqual(try owner.rows(q), try s.db.rows(q), q)
        }
        // The last import (30 rows, a new month, a small share of the store): its partition
        // analyzed (pg_statistic holds its columns), `events` as a whole not (the count since
        // goes on; a whole ANALYZE sets it back to 0).
        XCTAssertGreaterThan(try owner.int("SELECT count(*) FROM pg_stats WHERE tablename = 'events_2025_02'"), 0)
        XCTAssertEqual(try owner.scalar("SELECT value FROM settings WHERE key = 'events_stored_since_analyze'").string, "30")
    }
}
