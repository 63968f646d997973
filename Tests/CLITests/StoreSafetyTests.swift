import Foundation
import RiskStore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The store side of issue 15, end to end with the real binary: a newer store is never
/// changed, readers read during an import and after a kill -9, killed runs are seen as
/// stopped, and time views stay bounded whatever the data.
extension CLITestCase {
    func smallStore() throws {
        var csv = header + "\n"
        for i in 0..<50 { csv += "e\(i),2026-03-01T12:00:\(String(format: "%02d", i))Z,a\(i % 5),view,d\(i % 3),,,,,,,,,,,,,,,,\n" }
        let r = try CLI.run(["import", "--store", store, "--quiet", write("events.csv", csv)])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func bytes(_ p: String) -> Data { (try? Data(contentsOf: URL(fileURLWithPath: p))) ?? Data() }

    /// Starts an import reading a FIFO, feeds it `rows` events and leaves it waiting for more
    /// in the middle of its batch. Returns the importer and the FIFO's write end.
    func stalledImport(rows: Int, extra: [String]) throws -> (Child, FileHandle, String) {
        let fifo = dir + "/events-live.csv"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let err = dir + "/import.err"
        let p = try CLI.start(["import", "--store", store, "--batch", "1000000"] + extra + [fifo], stderr: err)
        // Opens once the importer does; close-on-exec, so no child (a tmux server) keeps it open.
        let fd = open(fifo, O_WRONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let w = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var csv = header + "\n"
        for i in 0..<rows { csv += "f\(i),2026-03-0\(1 + i % 9)T12:00:00Z,b\(i % 40),view,d\(i % 7),,,,,,,,,,,,,,,,\n" }
        w.write(Data(csv.utf8))
        // Wait until the run is recorded and its rows are in its open transaction.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if (try? count("SELECT count(*) FROM import_runs WHERE status = 'running'")) == 1 { break }
            usleep(20_000)
        }
        usleep(500_000)
        XCTAssertTrue(p.isRunning)
        return (p, w, err)
    }

}

final class StoreSafetyTests: CLITestCase {
    func testANewerStoreIsNeverChangedByAnyCommand() throws {
        try smallStore()
        do {
            let db = try Database(path: store)
            _ = try db.scalar("PRAGMA journal_mode = DELETE")   // as an older build or a killed bulk load left it
            try db.exec("PRAGMA user_version = \(Schema.latestVersion + 1)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store + "-wal"))
        let before = bytes(store)
        let more = write("events-more.csv", header + "\nm1,2026-03-02T00:00:00Z,a1,view,,,,,,,,,,,,,,,,,\n")
        let labels = write("labels.csv", "account_id,label\na1,fraud\n")
        let writers: [[String]] = [
            ["import", more], ["label", "a1", "--as", "fraud"], ["label", "--from", labels], ["detect", "--no-rules"],
            ["cases", "--next"], ["cases", "--claim", "a1"], ["train"], ["query", "--write", "DELETE FROM events"],
            ["tui"], ["tui", "--read-only"],
            ["info"], ["query", "SELECT count(*) FROM events"], ["export", "scores"], ["rejects"],
        ]
        for w in writers {
            let r = try CLI.run(w + ["--store", store])
            XCTAssertNotEqual(r.status, 0, "\(w)")
            XCTAssertTrue(r.stderr.contains("newer riskdesk") && r.stderr.contains("the store was not changed"), "\(w): \(r.stderr)")
            XCTAssertEqual(bytes(store), before, "\(w) changed the store's bytes")
            XCTAssertFalse(FileManager.default.fileExists(atPath: store + "-wal"), "\(w) switched the journal")
        }
    }

    func testReadersReadAndWritersWaitThenFailClearlyDuringABulkImport() throws {
        try smallStore()
        let (p, w, err) = try stalledImport(rows: 3000, extra: ["--index-mode", "rebuild"])
        for r in [["info"], ["query", "SELECT count(*) FROM events"], ["export", "scores"], ["rejects"], ["cases"], ["dash", "--print"]] {
            let out = try CLI.run(r + ["--store", store])
            XCTAssertEqual(out.status, 0, "\(r) during an import: \(out.stderr)")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 50, "readers see the last commit")
        // A writer waits for the busy timeout, then says why; nothing is labelled.
        let t0 = Date()
        let label = try CLI.run(["label", "--store", store, "a1", "--as", "fraud"])
        XCTAssertEqual(label.status, 1)
        XCTAssertGreaterThan(Date().timeIntervalSince(t0), 5, "the writer waited")
        XCTAssertTrue(label.stderr.contains("the store is busy: another process is writing to it"), label.stderr)
        XCTAssertTrue(p.isRunning)
        w.closeFile()
        XCTAssertEqual(p.wait(timeout: 60), 0, String(decoding: bytes(err), as: UTF8.self))
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 3050)
        XCTAssertEqual(try count("SELECT count(*) FROM labels"), 0)
        XCTAssertEqual(try CLI.run(["label", "--store", store, "a1", "--as", "fraud"]).status, 0)
    }

    func testAfterAKilledImportEveryReaderWorksWithoutAWriter() throws {
        try smallStore()
        let (p, w, _) = try stalledImport(rows: 3000, extra: ["--index-mode", "rebuild"])
        p.signal(SIGKILL)
        p.wait()
        w.closeFile()
        for r in [["info"], ["query", "SELECT count(*) AS n FROM events"], ["export", "scores"], ["rejects"], ["export", "labels"]] {
            let out = try CLI.run(r + ["--store", store])
            XCTAssertEqual(out.status, 0, "\(r) after a killed import: \(out.stderr)")
            XCTAssertFalse(out.stderr.contains("readonly"), out.stderr)
        }
        let q = try CLI.run(["query", "--store", store, "--format", "csv", "SELECT count(*) AS n FROM events"])
        XCTAssertEqual(q.stdout, "n\n50\n", "the killed import's open batch is gone, the rest is there")
        let db = try Store(path: store, readOnly: true).db
        XCTAssertEqual(try db.scalar("PRAGMA integrity_check").string, "ok")
    }

    func testAKilledDetectionRunIsShownStoppedAndMarkedCancelled() throws {
        try smallStore()
        // A pid that surely ran and is gone: a child we started and reaped.
        let gone = try Spawn.start(["/bin/true"])
        gone.wait()
        do {
            let db = try Store(path: store).db
            try db.run("INSERT INTO detect_runs (started_at, pid) VALUES (?, ?)", [.int(Timestamp.nowMs()), .int(Int64(gone.pid))])
            try db.run("INSERT INTO detect_runs (started_at, pid) VALUES (?, ?)", [.int(Timestamp.nowMs()), .int(Int64(getpid()))])
        }
        // Readers show the dead one as stopped without writing.
        let info = try CLI.run(["info", "--store", store])
        XCTAssertTrue(info.stdout.contains("last detection run: #2") && info.stdout.contains("running"), info.stdout)
        try Database(path: store).run("DELETE FROM detect_runs WHERE id = 2")   // not through Store: no writer's healing
        let info2 = try CLI.run(["info", "--store", store])
        XCTAssertTrue(info2.stdout.contains("last detection run: #1") && info2.stdout.contains("stopped (detection stopped before finishing"), info2.stdout)
        XCTAssertEqual(try count("SELECT count(*) FROM detect_runs WHERE id = 1 AND status = 'running'"), 1, "info only reads")
        // The next writer marks it cancelled for good; a live run (this test process) was left alone above.
        XCTAssertEqual(try CLI.run(["label", "--store", store, "a1", "--as", "fraud"]).status, 0)
        let row = try Store(path: store, readOnly: true).db.rows("SELECT status, message, finished_at IS NOT NULL FROM detect_runs WHERE id = 1")[0]
        XCTAssertEqual(row[0], .text("cancelled"))
        XCTAssertTrue(row[1].string?.contains("process is gone") ?? false)
        XCTAssertEqual(row[2], .int(1))
    }

    func testANamedSettingsFileThatDoesNotExistIsAnError() throws {
        try smallStore()
        let r = try CLI.run(["tui", "--store", store, "--config", dir + "/nope.toml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(dir + "/nope.toml: no such settings file"), r.stderr)
        let e = try CLI.run(["tui", "--store", store], env: ["RISKDESK_CONFIG": dir + "/gone.toml"])
        XCTAssertTrue(e.stderr.contains(dir + "/gone.toml: no such settings file"), e.stderr)
    }

    func testStdinIsReadOnceAndLabelsComeFromAPipe() throws {
        try smallStore()
        let twice = try CLI.run(["import", "--store", store, "--kind", "events", "-", "-"], stdin: Data((header + "\nz1,0,a,view,,,,,,,,,,,,,,,,,\n").utf8))
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.contains("standard input (-) is named 2 times"), twice.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM events WHERE event_id = 'z1'"), 0)

        let viaStdin = try CLI.run(["label", "--store", store, "--from", "-"], stdin: Data("account_id,label\na1,fraud\na2,legit\n".utf8))
        XCTAssertEqual(viaStdin.status, 0, viaStdin.stderr)
        XCTAssertTrue(viaStdin.stdout.contains("labelled 2 accounts"), viaStdin.stdout)
        // A named pipe (as `--from <(…)` gives).
        let fifo = dir + "/labels.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let writer = Thread {
            let h = FileHandle(forWritingAtPath: fifo)!
            h.write(Data("account_id,label\na3,unsure\n".utf8))
            h.closeFile()
        }
        writer.start()
        let viaPipe = try CLI.run(["label", "--store", store, "--from", fifo])
        XCTAssertEqual(viaPipe.status, 0, viaPipe.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM labels"), 3)
    }

    func testTheAcceptedTimeWindowIsConfigurable() throws {
        let f = write("events-future.csv", header + "\nfut1,2300-01-01T00:00:00Z,a1,view,,,,,,,,,,,,,,,,,\nold1,1969-07-20T20:17:00Z,a1,view,,,,,,,,,,,,,,,,,\n")
        let r = try CLI.run(["import", "--store", store, "--json", f])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM rejects WHERE reason LIKE 'ts: % is outside the accepted time window 1970-01-01 – %'"), 2)
        let wide = try CLI.run(["import", "--store", store, "--quiet", "--earliest", "1900-01-01T00:00:00Z", "--latest", "2400-01-01T00:00:00Z", f])
        XCTAssertEqual(wide.status, 0, wide.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 2)
        let bad = try CLI.run(["import", "--store", store, "--latest", "soon", f])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--latest: 'soon' is not an RFC 3339 time"), bad.stderr)
    }

    func testTimeViewsStayBoundedWhateverTheData() throws {
        try smallStore()
        do {
            // Past the importer's checks: written by SQL, as a broken tool or an old build might.
            let db = try Store(path: store).db
            let far: Int64 = 99_999_999_999_999_999
            try db.run("INSERT INTO events (event_id, ts, account_id, type) VALUES ('far', ?, 'a1', 'view')", [.int(far)])
            try db.run("INSERT INTO event_hourly (hour, type, n) VALUES (?, 'view', 1)", [.int(far / 3_600_000)])
            try db.run("UPDATE accounts SET last_seen = ? WHERE account_id = 'a1'", [.int(far)])
            try db.run("INSERT INTO labels (ts, account_id, label, analyst, source) VALUES (?, 'a1', 'fraud', 't', 'test')", [.int(far)])
        }
        // Under a 3 GB address-space limit: one bucket per day of three million years would need far more.
        for range in ["all", "7d"] {
            let r = try Spawn.run(["/bin/sh", "-c", "ulimit -v 3000000; exec \"$0\" \"$@\"", CLI.binary, "dash", "--print", "--store", store, "--range", range],
                                  env: CLI.environment([:]), timeout: 60)
            XCTAssertEqual(r.status, 0, "dash --range \(range): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("Events per"), r.stdout)
        }
        let info = try CLI.run(["info", "--store", store])
        XCTAssertTrue(info.stdout.contains("to 3170843-11-07T09:46:39.999Z"), info.stdout)
    }
}

/// The workbench opens, reads and browses while an import writes.
final class ImportWorkbenchTests: TmuxTestCase {
    func testTheWorkbenchOpensDuringAnImport() throws {
        try smallStore()
        let (p, w, _) = try stalledImport(rows: 2000, extra: ["--index-mode", "rebuild"])
        for extra in ["", " --read-only"] {
            let t = Tmux("\(CLI.binary) tui --store \(store)\(extra)", env: ["TERM": "xterm-256color"])
            sessions.append(t)
            let s = t.wait(for: "/5 accounts", timeout: 8)
            XCTAssertTrue(s.contains("Queue"), s)
            t.keys("q")
        }
        XCTAssertTrue(p.isRunning)
        w.closeFile()
        XCTAssertEqual(p.wait(timeout: 60), 0)
    }
}
