import Foundation
import RiskStore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// kill -9 at seeded random moments of import, detect and label, with a reader running the
/// whole time; after each kill the store must pass SQLite's integrity check and its counts
/// must agree. The seed is printed; RISKDESK_FAULT_SEED=N replays a run.
final class FaultInjectionTests: CLITestCase {
    struct Rng {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Runs `query` against the store in a loop until stopped; returns the failures seen.
    final class Reader: @unchecked Sendable {
        let failures = Locked([String]())
        let reads = Locked(0)
        private let stop = Locked(false)
        private let done = DispatchSemaphore(value: 0)
        init(store: String) {
            Thread {
                while !self.stop.value {
                    if let r = try? CLI.run(["query", "--store", store, "--format", "csv", "SELECT count(*) FROM events; SELECT count(*) FROM labels"]) {
                        if r.status != 0 { self.failures.mutate { $0.append(r.stderr) } } else { self.reads.mutate { $0 += 1 } }
                    }
                    usleep(20_000)
                }
                self.done.signal()
            }.start()
        }
        func finish() { stop.value = true; done.wait() }
    }

    func checkConsistent(_ note: String) throws {
        let db = try Store(path: store, readOnly: true).db
        XCTAssertEqual(try db.scalar("PRAGMA integrity_check").string, "ok", note)
        let events = try db.int("SELECT count(*) FROM events")
        XCTAssertEqual(try db.int("SELECT coalesce(sum(rows_stored), 0) FROM import_runs WHERE sources LIKE '%events.csv%'"), events, "every committed batch counted once: \(note)")
        // A large import stages account activity in links_pending (kind 0 since v16), packed since v17 (each block's
        // kind-0 events in `activity`), until it ends (or the next writer's open merges it).
        XCTAssertEqual(try db.int("SELECT coalesce(sum(n_events), 0) FROM accounts")
                       + (try db.int("SELECT coalesce(sum(events), 0) FROM links_pending WHERE kind = 0"))
                       + (try db.int("SELECT coalesce(sum(activity), 0) FROM links_pending_packed")), events, note)
        XCTAssertEqual(try db.int("SELECT coalesce(sum(n), 0) FROM event_hourly"), events, note)
        XCTAssertEqual(try db.int("SELECT count(*) FROM labels WHERE source LIKE 'file:%'") % labelRows, 0, "a label file is stored whole or not at all: \(note)")
        XCTAssertEqual(try db.int("SELECT count(*) FROM audit WHERE action = 'label'"), try db.int("SELECT count(*) FROM labels"), note)
        XCTAssertLessThanOrEqual(try db.int("SELECT count(DISTINCT run_id) FROM findings"), 1, note)
        XCTAssertEqual(try db.int("SELECT count(*) FROM findings f JOIN detect_runs r ON r.id = f.run_id WHERE r.status <> 'done'"), 0,
                       "findings only from a finished run: \(note)")
    }

    let labelRows: Int64 = 20_000

    func testKillNineAtRandomPointsLeavesAConsistentStore() throws {
        let seed = ProcessInfo.processInfo.environment["RISKDESK_FAULT_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
        print("fault injection: seed \(seed) (replay with RISKDESK_FAULT_SEED=\(seed))")
        var rng = Rng(s: seed)
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "2000", "--days", "10", "--seed", "5", "--quiet"]).status, 0)
        // Profiles first, so label files have accounts to name.
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", out + "/accounts.csv"]).status, 0)
        let ids = try Store(path: store, readOnly: true).db.rows("SELECT account_id FROM accounts ORDER BY account_id").compactMap { $0[0].string }
        let labels = write("labels.csv", "account_id,label,note\n" + (0..<Int(labelRows)).map { "\(ids[$0 % ids.count]),\($0 % 3 == 0 ? "fraud" : "legit"),n\($0)" }.joined(separator: "\n") + "\n")

        let commands: [(String, [String])] = [
            ("import", ["import", "--store", store, "--quiet", "--batch", "3000", out + "/events.csv"]),
            ("bulk import", ["import", "--store", store, "--quiet", "--index-mode", "rebuild", "--batch", "20000", out + "/events.csv"]),
            ("detect", ["detect", "--store", store, "--quiet", "--no-rules"]),
            ("label", ["label", "--store", store, "--from", labels]),
        ]
        for round in 0..<6 {
            let (name, args) = commands[round < commands.count ? round : rng.int(commands.count)]
            let delayMs = 100 + rng.int(2500)
            let note = "seed \(seed), round \(round): \(name) killed after \(delayMs) ms"
            let reader = Reader(store: store)
            let p = try CLI.start(args)
            usleep(UInt32(delayMs) * 1000)
            let finished = !p.isRunning
            p.signal(SIGKILL)
            p.wait()
            reader.finish()
            print("\(note)\(finished ? " (it had finished)" : ""); \(reader.reads.value) reads alongside")
            XCTAssertEqual(reader.failures.value, [], "a reader failed while \(name) ran: \(note)")
            try checkConsistent(note)
        }
        // A writer opening afterwards heals what the kills left: indexes, runs marked stopped.
        XCTAssertEqual(try CLI.run(["label", "--store", store, ids[0], "--as", "unsure"]).status, 0)
        let db = try Store(path: store, readOnly: true).db
        XCTAssertEqual(try db.int("SELECT count(*) FROM import_runs WHERE status = 'running'"), 0)
        XCTAssertEqual(try db.int("SELECT count(*) FROM detect_runs WHERE status = 'running'"), 0)
        XCTAssertEqual(try Store(path: store, readOnly: true).missingIndexes(), [])
        XCTAssertEqual(try db.int("SELECT count(*) FROM links_pending"), 0, "staged links merged")
        XCTAssertEqual(try db.int("SELECT coalesce(sum(n_events), 0) FROM accounts"), try db.int("SELECT count(*) FROM events"))
        // And the interrupted import completes on a rerun, with nothing twice.
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", out + "/events.csv"]).status, 0)
        XCTAssertEqual(try db.int("SELECT count(*) FROM events"), try db.int("SELECT count(DISTINCT event_id) FROM events"))
        // Every event's key is in event_keys (schema v11), whatever the kills interrupted.
        XCTAssertEqual(try db.int("SELECT upto FROM event_keys_covered"), try db.int("SELECT coalesce(max(id), 0) FROM events"))
        XCTAssertEqual(try db.int("SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_keys k WHERE k.key = riskdesk_event_key(e.event_id) AND k.id = e.id)"), 0)
        try checkConsistent("after the rerun")
    }

    /// imp38: the event-id set writes this import's ids as sorted runs to a temporary file (and
    /// merges 256 runs into one). kill -9 while it does, with a run every 40 rows: the store is
    /// as before or after each batch, no temporary file is left beside it, and a rerun stores
    /// every event exactly once.
    func testKillNineWhileTheEventIDRunsAreWrittenAndMerged() throws {
        let seed = ProcessInfo.processInfo.environment["RISKDESK_FAULT_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
        print("fault injection (runs): seed \(seed) (replay with RISKDESK_FAULT_SEED=\(seed))")
        var rng = Rng(s: seed)
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "1500", "--days", "8", "--seed", "9", "--quiet"]).status, 0)
        // The store exists (migrated) before the first kill.
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", out + "/accounts.csv"]).status, 0)
        let dirOfStore = (store as NSString).deletingLastPathComponent
        func leftovers() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dirOfStore).filter { $0.hasPrefix(".riskdesk-keys-") } }
        for round in 0..<4 {
            let delayMs = 150 + rng.int(2500)
            let note = "seed \(seed), round \(round): import killed after \(delayMs) ms"
            let args = ["import", "--store", store, "--quiet", "--dedupe-run-rows", "40", "--batch", "2000"]
                + (round % 2 == 1 ? ["--index-mode", "rebuild", "--sort-cache-mib", "1"] : []) + [out + "/events.csv"]
            let p = try CLI.start(args)
            usleep(UInt32(delayMs) * 1000)
            let finished = !p.isRunning
            p.signal(SIGKILL)
            p.wait()
            print("\(note)\(finished ? " (it had finished)" : "")")
            XCTAssertEqual(try leftovers(), [], note)
            let db = try Store(path: store, readOnly: true).db
            XCTAssertEqual(try db.scalar("PRAGMA integrity_check").string, "ok", note)
            XCTAssertEqual(try db.int("SELECT coalesce(sum(rows_stored), 0) FROM import_runs WHERE sources LIKE '%events.csv%'"), try db.int("SELECT count(*) FROM events"), note)
            XCTAssertEqual(try db.int("SELECT count(*) FROM events"), try db.int("SELECT count(DISTINCT event_id) FROM events"), note)
        }
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", "--dedupe-run-rows", "40", out + "/events.csv"]).status, 0)
        XCTAssertEqual(try leftovers(), [])
        let db = try Store(path: store, readOnly: true).db
        // The same events as one uninterrupted import into an empty store.
        let clean = dir + "/clean.db"
        XCTAssertEqual(try CLI.run(["import", "--store", clean, "--quiet", out + "/events.csv"]).status, 0)
        let q = "SELECT group_concat(event_id || ':' || ts || ':' || account_id, ',') FROM (SELECT * FROM events ORDER BY event_id)"
        XCTAssertEqual(try db.scalar(q).string, try Store(path: clean, readOnly: true).db.scalar(q).string)
        XCTAssertEqual(try db.int("SELECT count(*) FROM events"), try db.int("SELECT count(DISTINCT event_id) FROM events"))
        XCTAssertEqual(try db.int("SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_keys k WHERE k.key = riskdesk_event_key(e.event_id) AND k.id = e.id)"), 0)
    }

    /// imp40: a day's import in one transaction (`--daily-one-transaction`) killed with -9 at
    /// seeded random moments, each round on a fresh copy of the head store: the store then holds
    /// none of the day's rows or all of them — never some batches of it (the rows commit in one
    /// transaction; a kill after that, in the links merge or the event keys, leaves them to the
    /// next writer's open, as for any import) — with integrity ok; a rerun stores what one
    /// uninterrupted import of the day stores.
    func testKillNineDuringADailyImportInOneTransaction() throws {
        let seed = ProcessInfo.processInfo.environment["RISKDESK_FAULT_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
        print("fault injection (one-transaction day): seed \(seed) (replay with RISKDESK_FAULT_SEED=\(seed))")
        var rng = Rng(s: seed)
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "6000", "--days", "8", "--seed", "11", "--quiet"]).status, 0)
        let lines = try String(contentsOfFile: out + "/events.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let cut = 1 + (lines.count - 1) * 2 / 3
        let headCSV = write("events-head.csv", lines[0..<cut].joined(separator: "\n") + "\n")
        let dayCSV = write("events-day.csv", ([lines[0]] + lines[cut...]).joined(separator: "\n") + "\n")
        let head = dir + "/head.db"
        XCTAssertEqual(try CLI.run(["import", "--store", head, "--quiet", headCSV]).status, 0)
        func fresh(_ path: String) throws {
            for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) }
            try FileManager.default.copyItem(atPath: head, toPath: path)
        }
        let q = "SELECT group_concat(event_id || ':' || ts || ':' || account_id, ',') FROM (SELECT * FROM events ORDER BY id)"
        // The reference: the day uninterrupted, in one transaction.
        let ref = dir + "/ref.db"
        try fresh(ref)
        let r = try CLI.run(["import", "--store", ref, "--json", "--daily-one-transaction", dayCSV])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\"bulk_indexes\":false"), "the day is the daily case: \(r.stdout)")
        let headEvents = try Store(path: head, readOnly: true).db.int("SELECT count(*) FROM events")
        let refEvents = try Store(path: ref, readOnly: true).db.int("SELECT count(*) FROM events")
        XCTAssertGreaterThan(refEvents - headEvents, 20_000)
        var killedInside = 0
        for round in 0..<4 {
            try fresh(store)
            let delayMs = 50 + rng.int(1500)
            let note = "seed \(seed), round \(round): the day killed after \(delayMs) ms"
            let p = try CLI.start(["import", "--store", store, "--quiet", "--daily-one-transaction", dayCSV])
            usleep(UInt32(delayMs) * 1000)
            let finished = !p.isRunning
            p.signal(SIGKILL)
            p.wait()
            let db = try Store(path: store, readOnly: true).db
            let n = try db.int("SELECT count(*) FROM events")
            print("\(note)\(finished ? " (it had finished)" : ""): \(n - headEvents) of the day's \(refEvents - headEvents) rows")
            XCTAssertTrue(n == headEvents || n == refEvents, "none or all of the day: \(n) events, head \(headEvents), whole \(refEvents); \(note)")
            if n == headEvents { killedInside += 1 }
            XCTAssertEqual(try db.scalar("PRAGMA integrity_check").string, "ok", note)
        }
        print("killed before the day's rows committed: \(killedInside) of 4 rounds")
        // The last round's store, the day run again: what the uninterrupted import stored.
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", "--daily-one-transaction", dayCSV]).status, 0)
        XCTAssertEqual(try Store(path: store, readOnly: true).db.scalar(q).string, try Store(path: ref, readOnly: true).db.scalar(q).string)

        // review40a I1: the same day in 4,000-row batches (the hidden `--daily-batch-rows`; the
        // default 250k would hold this whole day, as one transaction does) and in one transaction,
        // each killed the moment a reader first sees any of the day's rows committed. The batches
        // have then committed part of the day and not all of it; the one transaction all of it.
        // Each store, the day run again, stores what the uninterrupted import stores.
        func killAtFirstCommit(_ extra: [String], _ note: String) throws -> Int64 {
            try fresh(store)
            // The head's last row read before the import starts (review41b: read after, a first
            // batch committed in between would be taken for the head).
            let reader = try Store(path: store, readOnly: true).db
            let headMax = try reader.int("SELECT coalesce(max(id), 0) FROM events_i")
            let p = try CLI.start(["import", "--store", store, "--quiet"] + extra + [dayCSV])
            let deadline = Date().addingTimeInterval(120)
            var seen = headMax
            while p.isRunning && Date() < deadline {
                seen = try reader.int("SELECT coalesce(max(id), 0) FROM events_i")
                if seen > headMax { break }
                usleep(500)
            }
            p.signal(SIGKILL)
            p.wait()
            XCTAssertGreaterThan(seen, headMax, "\(note): the reader saw the day's rows before the import ended")
            let db = try Store(path: store, readOnly: true).db
            let n = try db.int("SELECT count(*) FROM events")
            print("\(note): killed at the first commit seen: \(n - headEvents) of the day's \(refEvents - headEvents) rows")
            XCTAssertEqual(try db.scalar("PRAGMA integrity_check").string, "ok", note)
            return n
        }
        let batched = try killAtFirstCommit(["--daily-batch-rows", "4000"], "4,000-row batches")
        XCTAssertGreaterThan(batched, headEvents, "the batches committed part of the day")
        XCTAssertLessThan(batched, refEvents, "the batches had not committed all of the day")
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", "--daily-batch-rows", "4000", dayCSV]).status, 0)
        XCTAssertEqual(try Store(path: store, readOnly: true).db.scalar(q).string, try Store(path: ref, readOnly: true).db.scalar(q).string)
        let whole = try killAtFirstCommit(["--daily-one-transaction"], "one transaction")
        XCTAssertEqual(whole, refEvents, "the one transaction committed the whole day at once")
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", "--daily-one-transaction", dayCSV]).status, 0)
        XCTAssertEqual(try Store(path: store, readOnly: true).db.scalar(q).string, try Store(path: ref, readOnly: true).db.scalar(q).string)
    }

    /// The hidden run-size option refuses what would overflow or ask for gigabytes (review38),
    /// naming the option, and leaves no store behind.
    func testAnOutOfRangeRunSizeIsRefused() throws {
        let dir = NSTemporaryDirectory() + "riskdesk-runsize-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "event_id,ts,account_id,type\ne1,2026-10-01T00:00:00Z,a1,login\n".write(toFile: dir + "/e.csv", atomically: true, encoding: .utf8)
        for bad in ["0", "-5", "9223372036854775807", "1000000000"] {
            let r = try CLI.run(["import", "--store", dir + "/s.db", "--quiet", "--dedupe-run-rows", bad, dir + "/e.csv"])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains("--dedupe-run-rows"), "\(bad): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.db"), bad)
        }
        // imp39: the sorts' page cache, likewise.
        for bad in ["0", "-1", "1025", "9223372036854775807"] {
            let r = try CLI.run(["import", "--store", dir + "/s.db", "--quiet", "--sort-cache-mib", bad, dir + "/e.csv"])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains("--sort-cache-mib"), "\(bad): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.db"), bad)
        }
        // imp40: the import's page cache, likewise (a value past 4 GiB would overflow SQLite's KiB).
        for bad in ["0", "1", "-2", "4097", "9223372036854775807"] {
            let r = try CLI.run(["import", "--store", dir + "/s.db", "--quiet", "--cache-mib", bad, dir + "/e.csv"])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains("--cache-mib"), "\(bad): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.db"), bad)
        }
        // imp41: the daily case's batch, likewise; and not beside the options that set the batch themselves.
        for bad in ["0", "-1", "1073741825", "9223372036854775807"] {
            let r = try CLI.run(["import", "--store", dir + "/s.db", "--quiet", "--daily-batch-rows", bad, dir + "/e.csv"])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains("--daily-batch-rows"), "\(bad): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.db"), bad)
        }
        for (extra, named) in [(["--batch", "5000"], "--batch"), (["--follow"], "--follow"), (["--daily-one-transaction"], "--daily-one-transaction")] {
            let r = try CLI.run(["import", "--store", dir + "/s.db", "--quiet", "--daily-batch-rows", "4000"] + extra + [dir + "/e.csv"])
            XCTAssertNotEqual(r.status, 0, named)
            XCTAssertTrue(r.stderr.contains("--daily-batch-rows") && r.stderr.contains(named), "\(named): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.db"), named)
        }
        // A day in one transaction sets its own batch: with --batch or --follow it is refused, not ignored (review40a I3).
        for (extra, named) in [(["--batch", "5000"], "--batch"), (["--follow"], "--follow")] {
            let r = try CLI.run(["import", "--store", dir + "/s.db", "--quiet", "--daily-one-transaction"] + extra + [dir + "/e.csv"])
            XCTAssertNotEqual(r.status, 0, named)
            XCTAssertTrue(r.stderr.contains("--daily-one-transaction") && r.stderr.contains(named), "\(named): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.db"), named)
        }
    }
}
