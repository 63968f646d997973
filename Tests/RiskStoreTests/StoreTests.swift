import CSQLite
import Foundation
import XCTest
@testable import RiskStore

final class TimestampTests: XCTestCase {
    func testRFC3339Forms() {
        XCTAssertEqual(Timestamp.parse("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(Timestamp.parse("2026-03-01T12:34:56.789Z"), 1_772_368_496_789)
        XCTAssertEqual(Timestamp.parse("2026-03-01T12:34:56Z"), 1_772_368_496_000)
        // The same instant with offsets, a lower-case separator and a space.
        XCTAssertEqual(Timestamp.parse("2026-03-01T19:34:56.789+07:00"), 1_772_368_496_789)
        XCTAssertEqual(Timestamp.parse("2026-03-01T07:04:56.789-05:30"), 1_772_368_496_789)
        XCTAssertEqual(Timestamp.parse("2026-03-01t12:34:56.789z"), 1_772_368_496_789)
        XCTAssertEqual(Timestamp.parse("2026-03-01 12:34:56.789Z"), 1_772_368_496_789)
        // Fractions: fewer or more than three digits.
        XCTAssertEqual(Timestamp.parse("2026-03-01T12:34:56.7Z"), 1_772_368_496_700)
        XCTAssertEqual(Timestamp.parse("2026-03-01T12:34:56.789999Z"), 1_772_368_496_789)
        // Leap day, and a leap second clamps to :59.
        XCTAssertEqual(Timestamp.parse("2024-02-29T00:00:00Z"), 1_709_164_800_000)
        XCTAssertEqual(Timestamp.parse("2016-12-31T23:59:60Z"), Timestamp.parse("2016-12-31T23:59:59Z"))
    }

    func testEpochMilliseconds() {
        XCTAssertEqual(Timestamp.parse("1772368496789"), 1_772_368_496_789)
        XCTAssertEqual(Timestamp.parse("0"), 0)
        XCTAssertEqual(Timestamp.parse("-1000"), -1000)
    }

    func testRejectsWhatIsNotATimestamp() {
        for bad in ["", "-", "yesterday", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-01T24:00:00Z",
                    "2026-03-01T12:34:56", "2026-03-01T12:34:56+0700", "2026-03-01T12:34:56.Z", "2026-03-01",
                    "1.5e12", "12:34", "2026-03-01T12:34:56Zjunk", "123456789012345678901"] {
            XCTAssertNil(Timestamp.parse(bad), bad)
        }
    }

    func testISORoundTrip() {
        for ms: Int64 in [0, 1_772_368_496_789, 951_782_400_000, -86_400_001, 4_102_444_800_000] {
            XCTAssertEqual(Timestamp.parse(Timestamp.iso(ms)), ms)
        }
        XCTAssertEqual(Timestamp.iso(1_772_368_496_789), "2026-03-01T12:34:56.789Z")
        XCTAssertEqual(Timestamp.short(1_772_368_496_789), "2026-03-01 12:34:56")
    }
}

final class StoreTests: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdesk-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testNewStoreIsWALWithForeignKeysAndLatestSchema() throws {
        let s = try Store(path: dir + "/a.db")
        XCTAssertEqual(try s.db.scalar("PRAGMA journal_mode").string, "wal")
        XCTAssertEqual(try s.db.int("PRAGMA foreign_keys"), 1)
        XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
        XCTAssertEqual(Int32(try s.db.int("PRAGMA application_id")), Schema.applicationID)
        for t in ["accounts", "items", "events_i", "idents", "rejects", "import_runs", "links_i", "link_kinds"] {
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_schema WHERE type='table' AND name=?", [.text(t)]), 1, t)
        }
        XCTAssertEqual(try s.missingIndexes(), [])
        // Foreign keys are enforced: a reject must point at a real import run.
        XCTAssertThrowsError(try s.db.run("INSERT INTO rejects(run_id, source, line, kind, raw, reason, raw_hash) VALUES (999, 'f', 1, 'events', 'x', 'r', 1)"))
    }

    func testOlderStoreIsUpgradedInPlace() throws {
        let path = dir + "/old.db"
        do {
            let old = try Store(path: path, migrateTo: 1)
            XCTAssertEqual(old.schemaVersion, 1)
            try old.db.run("INSERT INTO events(event_id, ts, account_id, type) VALUES ('e1', 0, 'a1', 'login')")
        }
        // A read-only opening can't upgrade it: it says which command will.
        XCTAssertThrowsError(try Store(path: path, readOnly: true)) { e in
            XCTAssertTrue("\(e)".contains("schema v1; this build needs v\(Schema.latestVersion)") && "\(e)".contains("riskdesk detect"), "\(e)")
        }
        let s = try Store(path: path)
        XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
        // Data kept, and the later migration's views work on it; the hourly counts were
        // built from the events already there.
        XCTAssertEqual(try s.db.scalar("SELECT time FROM events_iso WHERE event_id = 'e1'").string, "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(try s.db.rows("SELECT hour, type, n FROM event_hourly"), [[.int(0), .text("login"), .int(1)]])
    }

    func testNewerStoreIsRefusedAndLeftUntouched() throws {
        let path = dir + "/new.db"
        do {
            let s = try Store(path: path)
            try s.db.exec("PRAGMA user_version = \(Schema.latestVersion + 5)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for readOnly in [false, true] {
            XCTAssertThrowsError(try Store(path: path, readOnly: readOnly)) { e in
                let msg = "\(e)"
                XCTAssertTrue(msg.contains("newer riskdesk"), msg)
                XCTAssertTrue(msg.contains(path), msg)
                XCTAssertTrue(msg.contains("v\(Schema.latestVersion + 5)"), msg)
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testForeignFilesAreRefusedWithTheirName() throws {
        let text = dir + "/notes.txt"
        try "just some notes, not a database at all, long enough to have a header........................................................".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Store(path: text)) { XCTAssertTrue("\($0)".contains(text), "\($0)") }

        let other = dir + "/other.db"
        let db = try Database(path: other)
        try db.exec("CREATE TABLE t(x)")
        XCTAssertThrowsError(try Store(path: other)) { e in
            XCTAssertTrue("\(e)".contains("not a riskdesk store"), "\(e)")
        }
        XCTAssertThrowsError(try Store(path: dir + "/missing.db", readOnly: true)) { e in
            XCTAssertTrue("\(e)".contains("no such store"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/missing.db"))
        // A folder given as the store: said so (SQLite's words were "disk I/O error").
        let folder = dir + "/cases.db"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for readOnly in [false, true] {
            XCTAssertThrowsError(try Store(path: folder, readOnly: readOnly)) { e in
                XCTAssertEqual("\(e)", folder + ": is a folder, not a store (name the store's .db file)")
            }
        }
        // A device or a FIFO: refused by name, never "upgraded in place" (try21's hostile pass).
        let fifo = dir + "/pipe.db"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for p in ["/dev/null", fifo] {
            for readOnly in [false, true] {
                XCTAssertThrowsError(try Store(path: p, readOnly: readOnly)) { e in
                    XCTAssertEqual("\(e)", p + ": is not a regular file (a device, FIFO or socket), not a store (name the store's .db file)")
                }
            }
        }
    }

    func testMissingIndexesAreRebuiltOnOpen() throws {
        let path = dir + "/i.db"
        do {
            let s = try Store(path: path)
            try s.db.exec("DROP INDEX idx_events_type_ts; DROP INDEX idx_events_account_ts")
            XCTAssertEqual(Set(try s.missingIndexes()), ["idx_events_type_ts", "idx_events_account_ts"])
        }
        XCTAssertEqual(try Store(path: path).missingIndexes(), [])
    }

    func testKilledImportRunIsMarkedInterrupted() throws {
        let path = dir + "/k.db"
        do {
            let s = try Store(path: path)
            // A run left 'running' by a process that no longer exists.
            try s.db.run("INSERT INTO import_runs(started_at, sources, pid) VALUES (1, '[]', 2147483646)")
            try s.db.run("INSERT INTO import_runs(started_at, sources, pid) VALUES (1, '[]', ?)", [.int(Int64(getpid()))])
        }
        let runs = try Store(path: path).importRuns()
        XCTAssertEqual(runs.first { $0.id == 1 }?.status, "interrupted")
        XCTAssertEqual(runs.first { $0.id == 2 }?.status, "running")   // this process is alive
    }

    func testReadOnlyStoreCannotWrite() throws {
        let path = dir + "/r.db"
        _ = try Store(path: path)
        let s = try Store(path: path, readOnly: true)
        XCTAssertThrowsError(try s.db.run("INSERT INTO import_runs(started_at, sources) VALUES (1, '[]')"))
    }

    func testPrepareEachReportsPosition() throws {
        let s = try Store(path: dir + "/p.db")
        var n = 0
        try s.db.prepareEach("SELECT 1; -- a comment\n SELECT 2;  ") { st in
            n += 1
            XCTAssertTrue(try st.step())
        }
        XCTAssertEqual(n, 2)
        XCTAssertThrowsError(try s.db.prepareEach("SELECT 1; SELEC 2") { _ in }) { e in
            XCTAssertEqual((e as? StoreError)?.offset, 10, "\(e)")
        }
        XCTAssertThrowsError(try s.db.prepareEach("SELECT nope FROM events") { _ in }) { e in
            XCTAssertTrue("\(e)".contains("no such column: nope"), "\(e)")
        }
    }
}

final class ResultWriterTests: XCTestCase {
    func run(_ sql: String, _ f: ResultFormat) throws -> String {
        let db = try Database(path: ":memory:")
        var out = ""
        let st = try db.prepare(sql)
        try ResultWriter(format: f, out: { out += $0 }).write(st)
        return out
    }

    func testCSVQuotesAndStreamsHeaderOnce() throws {
        let out = try run("SELECT 'a,b' AS x, 'say \"hi\"' AS y, NULL AS z, 1.5 AS w UNION ALL SELECT 'l1\nl2', '', 3, 2", .csv)
        XCTAssertEqual(out, "x,y,z,w\n\"a,b\",\"say \"\"hi\"\"\",,1.5\n\"l1\nl2\",,3,2\n")
    }

    func testJSONKeysOnceAndTypes() throws {
        let out = try run("SELECT 1 AS n, 'x\"' AS s, NULL AS z UNION ALL SELECT 2, 'é', 0.5", .json)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], out)
        XCTAssertEqual(obj["columns"] as? [String], ["n", "s", "z"])
        let rows = try XCTUnwrap(obj["rows"] as? [[Any]], out)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0][1] as? String, "x\"")
        XCTAssertTrue(rows[0][2] is NSNull)
    }

    func testTableAlignsWideCharacters() throws {
        let out = try run("SELECT '好评' AS t, 1 AS n UNION ALL SELECT 'ok', 22", .table)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "t      n")
        XCTAssertEqual(lines[2], "好评   1")
        XCTAssertEqual(lines[3], "ok    22")
        XCTAssertEqual(lines.last, "(2 rows)")
        XCTAssertEqual(DisplayWidth.truncate("好评好评", to: 5), "好评…")
    }
}
