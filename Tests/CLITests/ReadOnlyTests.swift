import Foundation
import RiskStore
import XCTest

/// `tui --read-only` is truly read-only (issue 15 item 11): the real binary in tmux, one
/// test per guarded action, and after each the store's bytes are as they were — including
/// what opening a store for writing would "heal": a dead import still marked running, a
/// missing event index.
final class ReadOnlyWorkbenchTests: TmuxTestCase {
    var before = Data()
    var walBefore: Int64 = -1
    var queries: String { dir + "/queries" }

    /// A copy of the scored demo store with a dead import and a dropped index; its bytes.
    func open() throws -> Tmux {
        try FileManager.default.copyItem(atPath: ReliabilityTests.demo, toPath: store)
        do {
            let s = try Store(path: store)
            try s.db.exec("INSERT INTO import_runs(started_at, status, sources, pid) VALUES (1, 'running', '[]', 2147483000)")
            try s.db.exec("DROP INDEX idx_events_type_ts")
            try s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        before = try Data(contentsOf: URL(fileURLWithPath: store))
        walBefore = (try? FileManager.default.attributesOfItem(atPath: store + "-wal")[.size] as? Int64) ?? -1
        try FileManager.default.createDirectory(atPath: queries, withIntermediateDirectories: true)
        let t = Tmux("\(CLI.binary) tui --read-only --store \(store) --analyst ro", width: 140, height: 40,
                     env: ["TERM": "xterm-256color", "RISKDESK_QUERIES": queries])
        sessions.append(t)
        t.wait(for: "accounts · sort score")
        return t
    }

    /// Quits, then checks nothing was written.
    func quitAndCheckUnchanged(_ t: Tmux, file: StaticString = #filePath, line: UInt = #line) throws {
        t.command("q")
        t.wait(for: "EXIT:0", file: file, line: line)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store)), before, "the store file changed", file: file, line: line)
        let wal = (try? FileManager.default.attributesOfItem(atPath: store + "-wal")[.size] as? Int64) ?? -1
        XCTAssertTrue(wal == walBefore || wal <= 0, "the WAL grew to \(wal) bytes", file: file, line: line)
        let s = try Store(path: store, readOnly: true)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM import_runs WHERE status = 'running'"), 1, file: file, line: line)
        XCTAssertEqual(try s.missingIndexes(), ["idx_events_type_ts"], file: file, line: line)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM sql_history") + s.db.int("SELECT count(*) FROM labels")
                       + s.db.int("SELECT count(*) FROM cases") + s.db.int("SELECT count(*) FROM audit"), 0, file: file, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: queries), [], file: file, line: line)
    }

    func testLabelIsRefused() throws {
        let t = try open()
        t.keys("1")
        t.wait(for: "read-only: labelling and claiming are off")
        t.command("label fraud - ring")
        t.wait(for: "read-only: labelling and detection are off")
        try quitAndCheckUnchanged(t)
    }

    func testClaimAndStatusAreRefused() throws {
        let t = try open()
        t.keys("c")
        t.wait(for: "read-only: labelling and claiming are off")
        t.keys("Enter")
        t.wait(for: "Identifiers")
        t.command("status closed")
        t.wait(for: "read-only: case changes are off")
        try quitAndCheckUnchanged(t)
    }

    func testNoteIsRefused() throws {
        let t = try open()
        t.keys("Enter")
        t.wait(for: "Identifiers")
        t.command("label unsure - a note for the next shift")
        t.wait(for: "read-only: labelling and detection are off")
        try quitAndCheckUnchanged(t)
    }

    func testRevealAndDetectAreRefused() throws {
        let t = try open()
        t.keys("Enter")
        t.wait(for: "Identifiers")
        t.keys("r")
        t.wait(for: "read-only session: a PII reveal is audited")
        t.command("detect")
        t.wait(for: "read-only: labelling and detection are off")
        try quitAndCheckUnchanged(t)
    }

    func testSaveWritesNothing() throws {
        let t = try open()
        t.command("sql")
        t.wait(for: "read-only · F5 run")
        t.type("SELECT count(*) FROM accounts")
        t.keys("F5")
        t.wait(for: "1 row in")
        t.keys("Escape")
        t.command("save mine")
        t.wait(for: "read-only session: :save is off")
        try quitAndCheckUnchanged(t)
    }

    func testConsoleWriteIsRefused() throws {
        let t = try open()
        t.command("sql")
        t.wait(for: "read-only · F5 run")
        t.keys("F8")
        t.wait(for: "read-only workbench (--read-only): writing is off")
        t.type("DELETE FROM labels")
        t.keys("F5")
        t.wait(for: "read-only: this statement would change the store")
        t.keys("Escape")
        try quitAndCheckUnchanged(t)
    }

    func testHistoryIsKeptInMemoryOnly() throws {
        let t = try open()
        t.command("sql")
        t.wait(for: "read-only · F5 run")
        t.type("SELECT 4242 AS first_one")
        t.keys("F5")
        t.wait(for: "1 row in")
        t.keys("C-l")
        t.type("SELECT 1")
        t.keys("F5")
        t.keys("C-r")
        t.wait(for: "SELECT 4242 AS first_one")      // the session's history is there …
        t.keys("Escape", "Escape")
        try quitAndCheckUnchanged(t)                  // … and not in the store
    }
}
