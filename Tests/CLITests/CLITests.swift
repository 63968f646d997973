import Foundation
import RiskStore
import XCTest

/// Runs the real `riskdesk` binary (built next to the test bundle) as a separate process.
struct CLI {
    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["RISKDESK_BIN"] { return b }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("riskdesk").path
    }

    typealias Result = Spawn.Output

    static func environment(_ extra: [String: String]) -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e.removeValue(forKey: "RISKDESK_STORE")
        for (k, v) in extra { e[k] = v }
        return e
    }

    @discardableResult
    static func run(_ args: [String], stdin: Data? = nil, cwd: String? = nil, env: [String: String] = [:],
                    timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        try Spawn.run([binary] + args, env: environment(env), cwd: cwd, input: stdin, timeout: timeout, file: file, line: line)
    }

    /// Starts the binary in the background; stderr goes to `stderr` (a file path).
    static func start(_ args: [String], env: [String: String] = [:], stdin: String = "/dev/null", stderr: String = "/dev/null") throws -> Child {
        try Spawn.start([binary] + args, env: environment(env), stdin: stdin, stderr: stderr)
    }
}

final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
    func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}

class CLITestCase: XCTestCase {
    var dir: String!
    var store: String { dir + "/s.db" }
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdesk-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: CLI.binary) else {
            throw XCTSkip("riskdesk binary not built at \(CLI.binary)")
        }
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ name: String, _ text: String) -> String {
        let p = dir + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(text.utf8)))
        return p
    }
    /// `rules/forever.sql` (the folder made if missing): a rule that never ends, in SQL both
    /// stores run. Returns the file's path.
    func writeForeverRule() throws -> String {
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        return write("rules/forever.sql", """
            -- id: forever
            -- risk_type: scraping
            -- severity: low
            -- description: never finishes
            WITH RECURSIVE c(x) AS (SELECT CAST(1 AS bigint) UNION ALL SELECT x + 1 FROM c) SELECT 'x' AS account_id FROM c WHERE x < 0
            """)
    }
    /// A JSON object printed by the binary; fails (not crashes) when it is something else.
    func jsonObject(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text, file: file, line: line)
    }
    func count(_ sql: String, store path: String? = nil) throws -> Int64 {
        try Store(path: path ?? store, readOnly: true).db.int(sql)
    }
}

let header = "event_id,ts,account_id,type,device_id,ip,country,session_id,item_id,seller_id,order_id,quantity,amount,currency,coupon_id,payment_id,address_id,target_id,rating,status,text"

final class CLICommandTests: CLITestCase {
    func testHelpListsEverySubcommandWithOneLine() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0)
        for cmd in ["info", "import", "rejects", "query", "simulate", "demo"] {
            XCTAssertTrue(r.stdout.contains("\n  \(cmd) "), "help lacks \(cmd):\n\(r.stdout)")
        }
        XCTAssertTrue(try CLI.run(["import", "--help"]).stdout.contains("--store"))
    }

    func testStdinNeedsKindAndThenImports() throws {
        let csv = header + "\ne1,0,a,view,,,,,,,,,,,,,,,,,\ne2,1,b,view,,,,,,,,,,,,,,,,,\ne2,1,b,view,,,,,,,,,,,,,,,,,\n"
        let noKind = try CLI.run(["import", "--store", store, "-"], stdin: Data(csv.utf8))
        XCTAssertEqual(noKind.status, 1)
        XCTAssertTrue(noKind.stderr.contains("<stdin>") && noKind.stderr.contains("--kind"), noKind.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store))

        let r = try CLI.run(["import", "--store", store, "--kind", "events", "--json", "-"], stdin: Data(csv.utf8))
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try jsonObject(r.stdout)
        XCTAssertEqual(json["stored"] as? Int, 2)
        XCTAssertEqual(json["duplicate"] as? Int, 1)
        XCTAssertEqual(json["status"] as? String, "done")
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 2)
        // Gzip on stdin is recognised by its magic bytes.
        let plain = write("plain.csv", header + "\ne3,2,c,view,,,,,,,,,,,,,,,,,\n")
        XCTAssertEqual(try Spawn.run(["gzip", "-k", plain]).status, 0)
        let zipped = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--kind", "events", "--quiet", "-"], stdin: zipped).status, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 3)
    }

    func testUnreadableInputFailsClearlyAndLeavesTheStoreAlone() throws {
        let good = write("events.csv", header + "\ne1,0,a,view,,,,,,,,,,,,,,,,,\n")
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", good]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: store))
        let bad = write("events-2.csv", "who,when\n1,2\n")
        let r = try CLI.run(["import", "--store", store, good, dir + "/missing.csv", bad])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("missing.csv: no such file"), r.stderr)
        let r2 = try CLI.run(["import", "--store", store, bad])
        XCTAssertEqual(r2.status, 1)
        XCTAssertTrue(r2.stderr.contains("events-2.csv:1") && r2.stderr.contains("event_id"), r2.stderr)
        XCTAssertFalse(r2.stderr.contains("Fatal"), r2.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store)), before)
        XCTAssertEqual(try count("SELECT count(*) FROM import_runs"), 1)
    }

    func testRejectsAreListedWithFileLineAndReason() throws {
        let p = write("events.csv", header + "\ne1,0,a,view,,,,,,,,,,,,,,,,,\ne2,never,a,view,,,,,,,,,,,,,,,,,\n")
        let imp = try CLI.run(["import", "--store", store, p])
        XCTAssertEqual(imp.status, 0, imp.stderr)
        XCTAssertTrue(imp.stderr.contains("1 rejected") && imp.stderr.contains("riskdesk rejects --run 1"), imp.stderr)
        let r = try CLI.run(["rejects", "--store", store, "--format", "csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines[0], "id,run_id,source,line,kind,reason,raw")
        XCTAssertTrue(lines[1].contains("\(p),3,events,ts: not a timestamp: 'never'"), String(lines[1]))
        XCTAssertTrue(lines[1].hasSuffix("e2,never,a,view,,,,,,,,,,,,,,,,,\""), String(lines[1]))
    }

    func testQueryIsReadOnlyUnlessAskedAndStreamsFormats() throws {
        let p = write("events.csv", header + "\ne1,2026-03-01T00:00:00Z,a,view,,,,,,,,,,,,,,,,,\"x, \"\"y\"\"\"\ne2,2026-03-02T00:00:00Z,b,login,,,,,,,,,,,,,,,,ok,\n")
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", p]).status, 0)
        let refused = try CLI.run(["query", "--store", store, "DELETE FROM events"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("would change the store") && refused.stderr.contains("--write"), refused.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 2)

        let csv = try CLI.run(["query", "--store", store, "--format", "csv", "SELECT event_id, time, text FROM events_iso ORDER BY ts"])
        XCTAssertEqual(csv.stdout, "event_id,time,text\ne1,2026-03-01T00:00:00.000Z,\"x, \"\"y\"\"\"\ne2,2026-03-02T00:00:00.000Z,\n")
        let json = try CLI.run(["query", "--store", store, "--format", "json", "SELECT account_id, n_events FROM accounts ORDER BY 1"])
        let obj = try jsonObject(json.stdout)
        XCTAssertEqual(obj["columns"] as? [String], ["account_id", "n_events"])
        XCTAssertEqual((obj["rows"] as? [[Any]])?.count, 2)

        let bad = try CLI.run(["query", "--store", store, "SELECT nope FROM events"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("no such column: nope"), bad.stderr)

        let w = try CLI.run(["query", "--store", store, "--write", "DELETE FROM events WHERE event_id = 'e2'"])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertTrue(w.stdout.contains("1 row changed"), w.stdout)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 1)

        let missing = try CLI.run(["query", "--store", dir + "/none.db", "SELECT 1"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("none.db: no such store"), missing.stderr)
    }

    func testStoreFromEnvironmentAndNewerStoreRefused() throws {
        let p = write("events.csv", header + "\ne1,0,a,view,,,,,,,,,,,,,,,,,\n")
        XCTAssertEqual(try CLI.run(["import", "--quiet", p], env: ["RISKDESK_STORE": store]).status, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 1)
        // Default: riskdesk.db in the working directory.
        XCTAssertEqual(try CLI.run(["import", "--quiet", p], cwd: dir).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/riskdesk.db"))

        try Database(path: store).exec("PRAGMA user_version = 999")
        let r = try CLI.run(["info", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("newer riskdesk"), r.stderr)
        let r2 = try CLI.run(["import", "--store", store, p])
        XCTAssertEqual(r2.status, 1)
        XCTAssertTrue(r2.stderr.contains("newer riskdesk"), r2.stderr)
    }

    /// A migration that rewrites the events (v14, v15) leaves the old table's pages free in the
    /// file: `info` says how much, and how to get it back; a store without free pages says nothing.
    func testInfoTellsTheFreePagesAMigrationLeft() throws {
        do {
            let old = try Store(path: store, migrateTo: 13)
            try old.db.exec("""
                WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 20000)
                INSERT INTO events(id, event_id, ts, account_id, type, session_id, text)
                    SELECT n, 'ev-' || n, n * 1000, 'a' || (n % 70), 'view', 's' || n, hex(randomblob(40)) FROM k
                """)
        }
        let fresh = try CLI.run(["info", "--store", dir + "/new.db"])
        XCTAssertEqual(fresh.status, 1)   // no such store: info never creates one
        _ = try Store(path: store)        // migrates to the latest version
        let r = try CLI.run(["info", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("free ") }, r.stdout)
        XCTAssertTrue(line.contains("MiB of the file's") && line.contains("VACUUM"), String(line))
        let json = try jsonObject(try CLI.run(["info", "--store", store, "--json"]).stdout)
        XCTAssertGreaterThan((json["free_bytes"] as? Int) ?? 0, 1 << 20)
        try Database(path: store).exec("VACUUM")
        XCTAssertFalse(try CLI.run(["info", "--store", store]).stdout.contains("\nfree "))
    }

    func testSimulatedExportImportsWithoutRejects() throws {
        let out = dir + "/sim"
        let sim = try CLI.run(["simulate", "--out", out, "--accounts", "800", "--days", "7", "--seed", "3", "--format", "jsonl", "--timestamps", "mixed", "--gzip"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let r = try CLI.run(["import", "--store", store, "--json", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try jsonObject(r.stdout)
        XCTAssertEqual(json["rejected"] as? Int, 0)
        XCTAssertTrue((json["skipped"] as? [String])?.contains { $0.contains("truth.csv") } ?? false, "\(json)")
        XCTAssertGreaterThan(json["duplicate"] as? Int ?? 0, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM accounts"), 800)
        XCTAssertEqual(try count("SELECT count(*) FROM accounts WHERE in_profile = 0"), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM events WHERE json_extract(extra, '$.app_version') IS NOT NULL") > 0 ? 1 : 0, 1)
    }

    func testDemoBuildsAStoreWithTruthBeside() throws {
        let r = try CLI.run(["demo", "--store", store, "--accounts", "400", "--days", "5", "--no-open"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertGreaterThan(try count("SELECT count(*) FROM events"), 1000)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/s.truth.csv"))
        // A second run reuses it.
        let again = try CLI.run(["demo", "--store", store, "--no-open"])
        XCTAssertFalse(again.stderr.contains("simulating"), again.stderr)
    }

    func testQueryRunsASavedQueryFileWithNamedParameters() throws {
        XCTAssertEqual(try CLI.run(["demo", "--store", store, "--accounts", "300", "--days", "4", "--no-open"]).status, 0)
        let top = try CLI.run(["query", "--store", store, "--format", "csv", "SELECT account_id FROM accounts ORDER BY n_events DESC LIMIT 1"])
        let id = try XCTUnwrap(top.stdout.split(separator: "\n").dropFirst().first, top.stdout)
        let file = write("q.sql", "-- events of an account of at least a size\nSELECT count(*) AS n FROM events WHERE account_id = :account_id AND coalesce(amount, 0) >= :min;")
        let r = try CLI.run(["query", "--store", store, "--file", file, "--param", "account_id=\(id)", "--param", ":min=0", "--format", "csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Every event of the account has amount >= 0 or none: the count is its n_events.
        let nEvents = try count("SELECT n_events FROM accounts WHERE account_id = '\(id)'")
        XCTAssertGreaterThan(nEvents, 1)
        XCTAssertEqual(r.stdout, "n\n\(nEvents)\n")
        let missing = try CLI.run(["query", "--store", store, "--file", file, "--param", "account_id=\(id)"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("parameter :min has no value (pass --param min=VALUE)"), missing.stderr)
        XCTAssertTrue(try CLI.run(["query", "--store", store, "--file", file, "--param", "min"]).stderr.contains("--param 'min': expected NAME=VALUE"))
        XCTAssertTrue(try CLI.run(["query", "--store", store, "--file", dir + "/nope.sql"]).stderr.contains("nope.sql: cannot read"))
        XCTAssertTrue(try CLI.run(["query", "--store", store]).stderr.contains("as an argument or with --file"))
        // The shipped saved queries all prepare against a real store.
        let queries = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("queries").path
        for f in try FileManager.default.contentsOfDirectory(atPath: queries) where f.hasSuffix(".sql") {
            let r = try CLI.run(["query", "--store", store, "--file", queries + "/" + f, "--format", "csv",
                                 "--param", "account_id=\(id)", "--param", "min_accounts=2", "--param", "seconds=5", "--param", "risk_type=deal_hunter"])
            XCTAssertEqual(r.status, 0, "\(f): \(r.stderr)")
        }
    }

    func testDashPrintsTheOverviewAndUserDashboardsAsText() throws {
        XCTAssertEqual(try CLI.run(["demo", "--store", store, "--accounts", "400", "--days", "5", "--no-open"]).status, 0)
        let r = try CLI.run(["dash", "--store", store, "--print", "--width", "100", "--range", "all"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Events per hour by type"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Precision per detector"), r.stdout)
        XCTAssertTrue(r.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 }, r.stdout)
        // A user dashboard with one broken panel: the rest still draw, the broken one says why.
        try FileManager.default.createDirectory(atPath: dir + "/dash", withIntermediateDirectories: true)
        _ = write("dash/mine.sql", """
            -- panel: Accounts by country
            -- chart: hbars
            SELECT country, count(*) FROM accounts GROUP BY 1 ORDER BY 2 DESC;
            -- panel: Oops
            -- chart: bars
            SELECT * FROM missing_table;
            """)
        let u = try CLI.run(["dash", "--store", store, "--print", "--name", "mine"], env: ["RISKDESK_DASHBOARDS": dir + "/dash"])
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertTrue(u.stdout.contains("Accounts by country") && u.stdout.contains("█"), u.stdout)
        XCTAssertTrue(u.stdout.contains("mine.sql:4: no such table: missing_table"), u.stdout)
        XCTAssertTrue(try CLI.run(["dash", "--store", store, "--print", "--width", "30"]).stderr.contains("--width must be at least 40"))
        let bad = try CLI.run(["dash", "--store", store, "--print", "--range", "week"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("'week' is invalid for '--range <range>'") && bad.stderr.contains("'24h', '7d', '30d' or 'all'"), bad.stderr)
        let none = try CLI.run(["dash", "--store", store, "--print", "--name", "nope"], env: ["RISKDESK_DASHBOARDS": dir + "/dash"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("no dashboard 'nope'"), none.stderr)
    }
}

final class CLIProcessTests: CLITestCase {
    /// The big events file, simulated once for the class and only read by its tests.
    static let sharedDir = NSTemporaryDirectory() + "riskdesk-cli-big-\(getpid())"
    nonisolated(unsafe) static var big: (file: String, distinct: Int)?
    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: sharedDir)
        big = nil
        super.tearDown()
    }

    /// A big events file made by the simulator.
    func bigEvents() throws -> (file: String, distinct: Int) {
        if let b = Self.big { return b }
        let out = Self.sharedDir + "/big"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "3000", "--days", "20", "--seed", "4", "--quiet"]).status, 0)
        let lines = try String(contentsOfFile: out + "/events.csv", encoding: .utf8)
        var ids = Set<Substring>()
        // Count distinct event ids: first field of each record (records with text may span lines,
        // but every record starts with a 20-hex id followed by a comma).
        for l in lines.split(separator: "\n").dropFirst() {
            let f = l.prefix(21)
            if f.count == 21, f.last == ",", f.dropLast().allSatisfy({ $0.isHexDigit }) { ids.insert(f) }
        }
        Self.big = (out + "/events.csv", ids.count)
        return (out + "/events.csv", ids.count)
    }

    func killMidImport(extra: [String], batch: Int) throws {
        let (file, distinct) = try bigEvents()
        let p = try CLI.start(["import", "--store", store, "--quiet", "--batch", "\(batch)"] + extra + [file])
        // Wait until some batches are committed, then kill -9.
        let deadline = Date().addingTimeInterval(60)
        var seen: Int64 = 0
        while Date() < deadline && p.isRunning {
            seen = (try? count("SELECT count(*) FROM events")) ?? 0
            if seen >= Int64(batch) { break }
            usleep(5_000)
        }
        XCTAssertTrue(p.isRunning, "import finished before it could be killed; make the file bigger")
        p.signal(SIGKILL)
        p.wait()
        let s = try Store(path: store)   // opens, heals indexes, marks the run interrupted
        XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok")
        let kept = try s.db.int("SELECT count(*) FROM events")
        XCTAssertGreaterThan(kept, 0)
        XCTAssertLessThan(kept, Int64(distinct))
        // Whole batches only: every kept batch's rows are counted in its run's stats.
        XCTAssertEqual(try s.db.int("SELECT rows_stored FROM import_runs WHERE id = 1"), kept)
        XCTAssertEqual(try s.db.int("SELECT sum(n_events) FROM accounts"), kept)
        XCTAssertEqual(try s.importRuns().first { $0.id == 1 }?.status, "interrupted")
        XCTAssertEqual(try s.missingIndexes(), [])
        XCTAssertEqual(try s.db.scalar("PRAGMA journal_mode").string, "wal")
        // Running the same import again completes it, with no duplicates.
        let again = try CLI.run(["import", "--store", store, "--json"] + extra + [file])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), Int64(distinct))
        XCTAssertEqual(try count("SELECT count(DISTINCT event_id) FROM events"), Int64(distinct))
        XCTAssertEqual(try count("SELECT sum(n_events) FROM accounts"), Int64(distinct))
    }

    func testKillDuringImportKeepsWholeBatchesAndReimportCompletes() throws {
        try killMidImport(extra: ["--index-mode", "keep"], batch: 2000)
    }

    func testKillDuringBulkImportHealsOnReopen() throws {
        try killMidImport(extra: ["--index-mode", "rebuild"], batch: 5000)
    }

    func testTwoImportersAtOnceLoseNothing() throws {
        var a = header + "\n", b = header + "\n"
        for i in 0..<20_000 {
            a += "a\(i),\(i),acc\(i % 100),view,dev\(i % 50),,,,,,,,,,,,,,,,\n"
            b += "b\(i),\(i),acc\(i % 100),view,dev\(i % 50),,,,,,,,,,,,,,,,\n"
        }
        let pa = write("events-a.csv", a), pb = write("events-b.csv", b)
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", write("events-0.csv", header + "\n")]).status, 0)
        let g = DispatchGroup()
        let results = Locked([CLI.Result]())
        let storePath = store
        for f in [pa, pb] {
            g.enter()
            DispatchQueue.global().async {
                let r = (try? CLI.run(["import", "--store", storePath, "--batch", "500", "--index-mode", "keep", f]))
                    ?? CLI.Result(status: -1, stdout: "", stderr: "could not start riskdesk")
                results.mutate { $0.append(r) }
                g.leave()
            }
        }
        g.wait()
        XCTAssertEqual(results.value.count, 2)
        for r in results.value { XCTAssertEqual(r.status, 0, r.stderr) }
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 40_000)
        XCTAssertEqual(try count("SELECT sum(n_events) FROM accounts"), 40_000)
        XCTAssertEqual(try count("SELECT sum(events) FROM links WHERE kind = 'device'"), 40_000)
    }

    func testFollowCommitsGrowingFileAndStopsOnSIGINT() throws {
        let f = write("events.csv", header + "\ne1,0,a,view,,,,,,,,,,,,,,,,,\n")
        let errFile = dir + "/follow.err"
        let p = try CLI.start(["import", "--store", store, "--follow", f], stderr: errFile)
        func waitFor(_ n: Int64) {
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline { if (try? count("SELECT count(*) FROM events")) == n { return }; usleep(50_000) }
            XCTFail("store never reached \(n) events")
        }
        waitFor(1)
        let h = FileHandle(forWritingAtPath: f)!
        h.seekToEndOfFile()
        h.write(Data("e2,1,a,view,,,,,,,,,,,,,,,,,\ne3,2,b,view,,,,,,,,,,,,,,,,,\n".utf8))
        waitFor(3)
        h.write(Data("e4,3,b,view,,,,,,,,,,,,,,,,,\n".utf8))
        h.closeFile()
        waitFor(4)
        p.signal(SIGINT)
        XCTAssertEqual(p.wait(timeout: 30), 0)
        let stderr = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
        XCTAssertTrue(stderr.contains("stored 4 new"), stderr)
    }

    /// The first Ctrl-C asks an import to finish what it holds, which it can only do once its
    /// read returns; reading a pipe whose writer went quiet, that is never. A second one ends it
    /// at once, and the store is whole: what was committed is kept, the next import finishes.
    func testASecondSIGINTStopsAnImportAtOnceEvenOnAStalledPipe() throws {
        let fifo = dir + "/in.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let errFile = dir + "/import.err"
        // Opened read-write first (Linux never blocks that), so the child's read-only open of
        // its stdin finds a writer and does not block posix_spawn.
        let w = open(fifo, O_RDWR)
        XCTAssertGreaterThanOrEqual(w, 0)
        defer { close(w) }
        let p = try CLI.start(["import", "--store", store, "--kind", "events", "--format", "csv", "-"], stdin: fifo, stderr: errFile)
        let head = header + "\ne1,0,a,view,,,,,,,,,,,,,,,,,\n"
        XCTAssertEqual(head.utf8.count, head.withCString { Glibc.write(w, $0, strlen($0)) })
        usleep(500_000)                       // it has read the row and waits for more
        XCTAssertTrue(p.isRunning)
        p.signal(SIGINT)
        let deadline = Date().addingTimeInterval(10)
        var said = ""
        while Date() < deadline, !said.contains("signal again") {
            said = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
            usleep(20_000)
        }
        XCTAssertTrue(said.contains("stopping; what is done is kept (signal again to stop at once)"), said)
        p.signal(SIGINT)
        XCTAssertEqual(p.wait(timeout: 10), 128 + SIGINT)
        let s = try Store(path: store)
        XCTAssertEqual(try s.db.scalar("PRAGMA integrity_check").string, "ok")
        XCTAssertEqual(try s.missingIndexes(), [])
        let again = try CLI.run(["import", "--store", store, "--quiet", write("events.csv", head)])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM events"), 1)
    }
}

final class CLIDetectTests: CLITestCase {
    var rules: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("queries/rules").path }

    /// Simulated stores of two seeds and sizes: every family ranks in the top K. Thresholds sit
    /// below what the detectors reach at full size (see the closing notes), since tiny
    /// simulations hold only a handful of accounts per family.
    ///
    /// Measured (this build, with the calibrated and layered score): seed 202 ranks 5 of its 7
    /// brushing accounts in the top K (0.714: the boosted seller and one buyer sit at ranks 69–70
    /// of K = 58, among click-farm members at 0.73); every other family of both seeds reaches
    /// recall@K 1.000. Margins: recall@K 0.014 over 0.70 (one account of a 7-account family is
    /// 0.14); seed 202 AUC 0.9998 (margin 0.03 over 0.97), precision@K 0.966 (0.12 over 0.85).
    func testDetectRanksInjectedAttacksAboveLookalikesOnUnseenSeeds() throws {
        for (seed, accounts, days) in [(101, 3000, 14), (202, 2000, 20)] {
            let out = dir + "/sim\(seed)", db = dir + "/d\(seed).db"
            XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "\(accounts)", "--days", "\(days)", "--seed", "\(seed)", "--quiet"]).status, 0)
            XCTAssertEqual(try CLI.run(["import", "--store", db, out]).status, 0)
            let d = try CLI.run(["detect", "--store", db, "--rules", rules, "--json"], timeout: 300)
            XCTAssertEqual(d.status, 0, d.stderr)
            let report = try jsonObject(d.stdout)
            XCTAssertEqual(report["accounts"] as? Int, accounts)
            for det in try XCTUnwrap(report["detectors"] as? [[String: Any]], d.stdout) { XCTAssertNil(det["error"], "\(det)") }
            let e = try CLI.run(["eval", "--store", db, "--truth", out + "/truth.csv", "--format", "json"])
            XCTAssertEqual(e.status, 0, e.stderr)
            let m = try jsonObject(e.stdout)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(m["auc"] as? Double), 0.97, "seed \(seed) (measured 1.000): \(m)")
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(m["precision_at_k"] as? Double), 0.85, "seed \(seed) (measured 1.000): \(m)")
            let families = try XCTUnwrap(m["families"] as? [String: [String: Any]], "\(m)")
            XCTAssertGreaterThanOrEqual(families.count, 5)
            for (name, f) in families where (f["accounts"] as? Int ?? 0) >= 4 {
                XCTAssertGreaterThanOrEqual(f["recall_at_k"] as? Double ?? -1, 0.70, "seed \(seed) family \(name) (measured 0.714–1.000): \(f)")
            }
        }
    }

    func testExportScoresHasEveryAccountAndEvalRulesReportClearly() throws {
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "600", "--days", "7", "--seed", "5", "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["import", "--store", store, out]).status, 0)
        let noRun = try CLI.run(["eval", "--store", store, "--truth", out + "/truth.csv"])
        XCTAssertNotEqual(noRun.status, 0)
        XCTAssertTrue(noRun.stderr.contains("riskdesk detect"), noRun.stderr)
        XCTAssertEqual(try CLI.run(["detect", "--store", store, "--no-rules", "--quiet"]).status, 0)

        let csv = try CLI.run(["export", "scores", "--store", store, "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "account_id,score,risk_type,group_id,reasons")
        XCTAssertEqual(lines.count - 1, 600)
        let jsonl = try CLI.run(["export", "scores", "--store", store, "--format", "jsonl"])
        let firstLine = try XCTUnwrap(jsonl.stdout.split(separator: "\n").first)
        let first = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any], String(firstLine))
        XCTAssertEqual(Set(first.keys), ["account_id", "score", "risk_type", "group_id", "reasons"])
        // The first row is the top score, with the store's values.
        let top = try Store(path: store, readOnly: true).db.rows("SELECT account_id, score, reasons FROM scores ORDER BY score DESC, account_id LIMIT 1")
        XCTAssertEqual(first["score"] as? Double, top.first?[1].double)
        XCTAssertEqual(try Store(path: store, readOnly: true).db.scalar("SELECT score FROM scores WHERE account_id = ?", [.text(first["account_id"] as? String ?? "")]).double,
                       top.first?[1].double, "\(first)")
        XCTAssertEqual(first["reasons"] as? String, try Store(path: store, readOnly: true).db.scalar(
            "SELECT reasons FROM scores WHERE account_id = ?", [.text(first["account_id"] as? String ?? "")]).string)

        let text = try CLI.run(["eval", "--store", store, "--truth", out + "/truth.csv"])
        XCTAssertTrue(text.stdout.contains("auc") && text.stdout.contains("recall@K"), text.stdout)
        let badTruth = write("t.csv", "account_id,label\n1,maybe\n")
        let bt = try CLI.run(["eval", "--store", store, "--truth", badTruth])
        XCTAssertNotEqual(bt.status, 0)
        XCTAssertTrue(bt.stderr.contains("t.csv:2") && bt.stderr.contains("maybe"), bt.stderr)

        let list = try CLI.run(["rules", "list", "--rules", rules])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("drop_bulk_buy_within_3s"), list.stdout)
        let test = try CLI.run(["rules", "test", "--store", store, "--truth", out + "/truth.csv", "--show", "100000", rules + "/shared_device_coupon_reuse.sql"])
        XCTAssertEqual(test.status, 0, test.stderr)
        // Every number of the report, worked out from the listed hits and the truth file.
        let hits = test.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") }.compactMap { $0.split(separator: " ").first.map(String.init) }
        let truthRows = try String(contentsOfFile: out + "/truth.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let isFraud = Dictionary(truthRows.map { (String($0[0]), $0[1] == "fraud") }, uniquingKeysWith: { a, _ in a })
        let tp = hits.filter { isFraud[$0] == true }.count, known = hits.filter { isFraud[$0] != nil }.count
        let positives = isFraud.values.filter { $0 }.count
        XCTAssertGreaterThan(hits.count, 0, test.stdout)
        XCTAssertTrue(test.stdout.contains("\nflags \(hits.count) account(s) in "), test.stdout)
        XCTAssertTrue(test.stdout.contains(String(format: "\nprecision %.3f (%d of %d flagged accounts with truth are fraud); recall %.3f of %d fraud accounts — against ",
                                                  Double(tp) / Double(known), tp, known, Double(tp) / Double(positives), positives)), test.stdout)
        // Without --truth, the backtest measures against the analysts' labels once there are some.
        let unlabelled = try CLI.run(["rules", "test", "--store", store, rules + "/shared_device_coupon_reuse.sql"])
        XCTAssertFalse(unlabelled.stdout.contains("precision"), unlabelled.stdout)
        let firstHit = test.stdout.split(separator: "\n").first { $0.hasPrefix("  ") }?.split(separator: " ").first.map(String.init)
        let hit = try XCTUnwrap(firstHit, "the rule flags someone in the simulated store: \(test.stdout)")
        XCTAssertEqual(try CLI.run(["label", "--store", store, hit, "--as", "fraud", "--category", "deal_hunter"]).status, 0)
        let backtest = try CLI.run(["rules", "test", "--store", store, rules + "/shared_device_coupon_reuse.sql"])
        XCTAssertTrue(backtest.stdout.contains("precision 1.000 (1 of 1 flagged accounts with truth are fraud)")
                      && backtest.stdout.contains("against analysts' labels"), backtest.stdout)
        // A truth file is RFC 4180: quoted fields are read as such.
        let quoted = write("q.csv", "account_id,label,attack\r\n\"\(lines[1].split(separator: ",")[0])\",\"fraud\",\"a, b\"\r\n")
        XCTAssertEqual(try CLI.run(["eval", "--store", store, "--truth", quoted]).status, 0)
        let broken = write("broken.sql", "-- id: broken\n-- risk_type: spam\n-- severity: low\n-- description: d\nSELECT account_id FROM no_such_table")
        let bad = try CLI.run(["rules", "test", "--store", store, broken])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("broken.sql") && bad.stderr.contains("no such table"), bad.stderr)
    }
}

final class CLIModelTests: CLITestCase {
    func testTrainOnLabelsBlendIntoDetectAndCompareRunsWithIntervals() throws {
        XCTAssertEqual(try CLI.run(["demo", "--store", store, "--accounts", "1500", "--days", "8", "--seed", "31", "--no-open"]).status, 0)
        // Too few labels: a clear refusal, no model.
        let none = try CLI.run(["train", "--store", store])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("not enough labels"), none.stderr)
        XCTAssertTrue(try CLI.run(["train", "--store", store, "--kind", "forest"]).stderr.contains("'auto', 'gbdt', 'logreg', 'stacked' or 'stacked_logreg'"))
        // A third of the truth as analysts' labels (every third account, so both classes are in).
        let truth = try String(contentsOfFile: dir + "/s.truth.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        var labels = "account_id,label\n"
        for (i, l) in truth.enumerated() where i % 3 == 0 {
            let f = l.split(separator: ",", omittingEmptySubsequences: false)
            labels += "\(f[0]),\(f[1])\n"
        }
        _ = write("labels.csv", labels)
        XCTAssertEqual(try CLI.run(["label", "--store", store, "--from", dir + "/labels.csv", "--analyst", "t"]).status, 0)
        // A shadow training run: stored as a candidate, never current, and the queue change shown.
        let sh = try CLI.run(["train", "--store", store, "--shadow"])
        XCTAssertEqual(sh.status, 0, sh.stderr)
        XCTAssertTrue(sh.stdout.contains("stored as a candidate") && sh.stdout.contains("shadow run (nothing written)")
                      && sh.stdout.contains("flagged") && sh.stdout.contains("detectors alone"), sh.stdout)
        XCTAssertEqual(try count("SELECT count(*) FROM models WHERE current = 1"), 0)
        let t = try CLI.run(["train", "--store", store, "--json"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let o = try jsonObject(t.stdout)
        let cv = try XCTUnwrap(o["cv"] as? [String: [String: Any]], t.stdout)
        XCTAssertEqual(Set(cv.keys), ["gbdt", "logreg", "stacked", "stacked_logreg"])
        let kind = try XCTUnwrap(o["kind"] as? String, t.stdout)
        let chosen = try XCTUnwrap(cv[kind], t.stdout)
        XCTAssertGreaterThan(try XCTUnwrap(chosen["auc"] as? Double, t.stdout), 0.9)
        XCTAssertLessThanOrEqual(try XCTUnwrap(chosen["precision_at_k_low"] as? Double), try XCTUnwrap(chosen["precision_at_k"] as? Double))
        let id = try XCTUnwrap(o["model_id"] as? Int, t.stdout)
        // Promoted by hand when a check kept it a candidate (the warnings say which).
        if !(try XCTUnwrap(o["current"] as? Bool, t.stdout)) {
            XCTAssertFalse(try XCTUnwrap(o["warnings"] as? [String], t.stdout).isEmpty)
            XCTAssertEqual(try CLI.run(["models", "promote", "v\(id)", "--store", store]).status, 0)
        }
        XCTAssertTrue(try CLI.run(["models", "--store", store]).stdout.contains("v\(id) (current)"))
        XCTAssertTrue(try CLI.run(["models", "promote", "999", "--store", store]).stderr.contains("no model v999"))
        let teach = try CLI.run(["teach", "--store", store, "--count", "5", "--json"])
        XCTAssertEqual(teach.status, 0, teach.stderr)
        let picks = try XCTUnwrap(try jsonObject(teach.stdout)["accounts"] as? [[String: Any]], teach.stdout)
        XCTAssertEqual(picks.count, 5)
        let labelledIDs = Set(labels.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) })
        XCTAssertTrue(picks.allSatisfy { !labelledIDs.contains(($0["account"] as? String) ?? "") })
        // detect blends it in; --no-model leaves it out; the runs compare with intervals.
        XCTAssertEqual(try CLI.run(["detect", "--store", store, "--quiet"]).status, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM detect_runs WHERE model_id IS NOT NULL"), 1)
        // A shadow run writes nothing: the current model against the detectors alone.
        let runs = try count("SELECT count(*) FROM detect_runs")
        let shadow = try CLI.run(["detect", "--store", store, "--shadow", "none", "--json"])
        XCTAssertEqual(shadow.status, 0, shadow.stderr)
        let sj = try JSONSerialization.jsonObject(with: Data(shadow.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(sj["baseline"] as? Int, id)
        XCTAssertEqual((sj["entering"] as! [Any]).count, (sj["leaving"] as! [Any]).count)
        XCTAssertEqual(try count("SELECT count(*) FROM detect_runs"), runs)
        XCTAssertTrue(try CLI.run(["detect", "--store", store, "--shadow", "v77"]).stderr.contains("no readable model v77"))
        XCTAssertEqual(try CLI.run(["detect", "--store", store, "--quiet", "--no-model"]).status, 0)
        let c = try CLI.run(["eval", "--store", store, "--truth", dir + "/s.truth.csv", "--unlabelled-only", "--compare", "latest", "previous", "--format", "json", "--resamples", "100"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let j = try jsonObject(c.stdout)
        let a = try XCTUnwrap((j["a"] as? [String: [String: Double]])?["auc"], c.stdout)
        XCTAssertLessThanOrEqual(a["low"]!, a["value"]!)
        XCTAssertGreaterThanOrEqual(a["high"]!, a["value"]!)
        XCTAssertLessThan(try XCTUnwrap(j["accounts"] as? Int, c.stdout), truth.count)       // the labelled third left out
        // Against the analysts' labels (no --truth), in text.
        let text = try CLI.run(["eval", "--store", store, "--compare", "latest", "previous", "--resamples", "60"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("analysts' labels") && text.stdout.contains("precision_at_k"), text.stdout)
        let bad = try CLI.run(["eval", "--store", store, "--compare", "latest", "999"])
        XCTAssertTrue(bad.stderr.contains("run 999 is not a finished detection run"), bad.stderr)
        XCTAssertTrue(try CLI.run(["detect", "--store", store, "--model-weight", "2"]).stderr.contains("--model-weight"))
        // A stored model that can't be read: detection runs without it and names it.
        let db = try Store(path: store).db
        try db.run("UPDATE models SET params = '{broken' WHERE current = 1")
        let withBroken = try CLI.run(["detect", "--store", store, "--quiet"])
        XCTAssertEqual(withBroken.status, 0, withBroken.stderr)
        XCTAssertTrue(withBroken.stderr.contains("learnt model: model v") && withBroken.stderr.contains("can't be read"), withBroken.stderr)
        XCTAssertEqual(try count("SELECT model_id IS NULL FROM detect_runs ORDER BY id DESC LIMIT 1"), 1)
        XCTAssertGreaterThan(try count("SELECT count(*) FROM scores WHERE score > 0"), 0)
    }
}

final class CLILabelTests: CLITestCase {
    func simulated(_ accounts: Int = 300) throws -> [String] {
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "\(accounts)", "--days", "3", "--seed", "9", "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["import", "--store", store, out, "--quiet"]).status, 0)
        return try Store(path: store, readOnly: true).db.rows("SELECT account_id FROM accounts ORDER BY account_id").compactMap { $0[0].string }
    }

    func testLabelExportAndBadInputThatChangesNothing() throws {
        let ids = try simulated()
        let r = try CLI.run(["label", "--store", store, ids[0], "--as", "fraud", "--category", "brushing", "--note", "ring, \"seen\"", "--analyst", "ana"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try CLI.run(["label", "--store", store, ids[0], "--as", "legit", "--analyst", "bob"]).status, 0)
        let unknown = try CLI.run(["label", "--store", store, "no-such-account", "--as", "fraud"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("no-such-account") && unknown.stderr.contains("nothing was labelled"), unknown.stderr)
        let bad = try CLI.run(["label", "--store", store, ids[1], "--as", "maybe"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("'maybe' is invalid for '--as <as>'") && bad.stderr.contains("'fraud', 'legit', 'unsure' or 'none'"), bad.stderr)
        let file = write("l.csv", "account_id,label,category,note\n\(ids[2]),fraud,ato,\"two\nlines, and \"\"quotes\"\"\"\n\(ids[3]),frod,,\n")
        let badFile = try CLI.run(["label", "--store", store, "--from", file])
        XCTAssertNotEqual(badFile.status, 0)
        XCTAssertTrue(badFile.stderr.contains("l.csv:4") && badFile.stderr.contains("frod"), badFile.stderr)
        let missing = write("m.csv", "account_id,label\n\(ids[2]),fraud\nghost,legit\n")
        let ghost = try CLI.run(["label", "--store", store, "--from", missing]).stderr
        XCTAssertTrue(ghost.contains("m.csv:3: no account ghost in "), ghost)      // the line that names it
        XCTAssertEqual(try count("SELECT count(*) FROM labels"), 2, "the broken files changed nothing")
        let good = write("g.csv", "account_id,label,category,note\n\(ids[2]),fraud,ato,\"two\nlines, and \"\"quotes\"\"\"\n\(ids[3]),unsure,,\n")
        XCTAssertEqual(try CLI.run(["label", "--store", store, "--from", good, "--analyst", "cy"]).status, 0)
        let csv = try CLI.run(["export", "labels", "--store", store, "--format", "csv"]).stdout
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], "account_id,label,category,analyst,ts,note")
        XCTAssertTrue(csv.contains("\(ids[0]),legit,,bob,"), csv)          // the latest label is current
        XCTAssertTrue(csv.contains("\(ids[2]),fraud,ato,cy,"), csv)
        XCTAssertTrue(csv.contains("\"two\nlines, and \"\"quotes\"\"\""), csv)
        let jsonl = try CLI.run(["export", "labels", "--store", store, "--format", "jsonl"]).stdout
        XCTAssertEqual(jsonl.split(separator: "\n").count, 3)
        // Append-only, and every label audited with old → new.
        XCTAssertEqual(try count("SELECT count(*) FROM labels WHERE account_id = '\(ids[0])'"), 2)
        XCTAssertEqual(try Store(path: store, readOnly: true).db.scalar("SELECT old_value || '>' || new_value FROM audit WHERE action = 'label' AND analyst = 'bob'").string, "fraud:brushing>legit")
        XCTAssertThrowsError(try Store(path: store).db.exec("DELETE FROM labels"))
        // Labels survive re-import and re-detection.
        XCTAssertEqual(try CLI.run(["import", "--store", store, dir + "/sim", "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["detect", "--store", store, "--no-rules", "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["export", "labels", "--store", store, "--format", "csv"]).stdout, csv)
    }

    func testTwoProcessesLabellingAtOnceLoseNothing() throws {
        let ids = try simulated()
        // Overlapping halves: accounts 100..<200 are labelled by both.
        let a = write("a.csv", "account_id,label\n" + ids[0..<200].map { "\($0),fraud" }.joined(separator: "\n") + "\n")
        let b = write("b.csv", "account_id,label\n" + ids[100..<300].map { "\($0),legit" }.joined(separator: "\n") + "\n")
        var children: [Child] = []
        for (k, f) in [a, b, a, b, a, b].enumerated() {
            children.append(try CLI.start(["label", "--store", store, "--from", f, "--analyst", "p\(k % 2)"], stderr: dir + "/err\(k)"))
        }
        for c in children { XCTAssertEqual(c.wait(timeout: 120), 0) }
        XCTAssertEqual(try count("SELECT count(*) FROM labels"), 1200)
        XCTAssertEqual(try count("SELECT count(*) FROM audit WHERE action = 'label'"), 1200)
        XCTAssertEqual(try count("SELECT count(*) FROM current_labels"), 300)
    }

    func testTwoAnalystsTakingTheNextCaseAtOnceNeverGetTheSameOne() throws {
        let ids = try simulated(800)
        XCTAssertEqual(try CLI.run(["detect", "--store", store, "--no-rules", "--quiet"]).status, 0)
        let flagged = try count("SELECT count(*) FROM scores WHERE score > 0")
        XCTAssertGreaterThan(flagged, 10)
        // Each analyst takes the next case 5 times, both at once.
        var children: [Child] = []
        for k in 0..<10 {
            children.append(try CLI.start(["cases", "--store", store, "--next", "--analyst", k % 2 == 0 ? "ana" : "bob"], stderr: dir + "/e\(k)"))
        }
        for c in children { XCTAssertEqual(c.wait(timeout: 120), 0) }
        XCTAssertEqual(try count("SELECT count(*) FROM cases"), min(10, flagged))
        XCTAssertEqual(try count("SELECT count(DISTINCT account_id) FROM audit WHERE action = 'assign'"), min(10, flagged))
        XCTAssertEqual(try count("SELECT count(*) FROM audit WHERE action = 'assign'"), min(10, flagged), "no case handed out twice")
        // A case held by one analyst can't be claimed by another; its status changes are audited.
        let held = try Store(path: store, readOnly: true).db.scalar("SELECT account_id FROM cases WHERE assignee = 'ana' LIMIT 1").string!
        let steal = try CLI.run(["cases", "--store", store, "--claim", held, "--analyst", "bob"])
        XCTAssertNotEqual(steal.status, 0)
        XCTAssertTrue(steal.stderr.contains("claimed by ana"), steal.stderr)
        XCTAssertEqual(try CLI.run(["cases", "--store", store, "--claim", held, "--set-status", "escalated", "--analyst", "ana"]).status, 0)
        // Two analysts disagreeing show as a conflict.
        XCTAssertEqual(try CLI.run(["label", "--store", store, held, "--as", "fraud", "--analyst", "ana"]).status, 0)
        XCTAssertEqual(try CLI.run(["label", "--store", store, held, "--as", "legit", "--analyst", "bob"]).status, 0)
        let list = try CLI.run(["cases", "--store", store, "--status", "escalated"]).stdout
        XCTAssertTrue(list.contains(held) && list.contains("ana: fraud") && list.contains("bob: legit"), list)
        XCTAssertTrue(list.contains("(1 case)"), list)
        _ = ids
    }

    func testKillDuringABulkLabelLeavesAllOrNone() throws {
        let ids = try simulated()
        let rows = (0..<120_000).map { "\(ids[$0 % ids.count]),\($0 % 2 == 0 ? "fraud" : "legit"),cat\($0 % 7),note \($0)" }
        let f = write("big.csv", "account_id,label,category,note\n" + rows.joined(separator: "\n") + "\n")
        let c = try CLI.start(["label", "--store", store, "--from", f])
        // Kill it mid-write: once it has held the write lock for 100 ms without a break (well into
        // its one transaction; a label that committed row by row would release it in between,
        // and be killed after some rows, or not at all — both fail below).
        let probe = try Database(path: store)
        probe.setBusyTimeout(ms: 0)
        let deadline = Date().addingTimeInterval(60)
        var heldSince: Date?
        while Date() < deadline && c.isRunning {
            var busy = false
            do { try probe.exec("BEGIN IMMEDIATE"); try probe.exec("ROLLBACK") } catch { busy = true }
            if busy {
                let since = heldSince ?? Date()
                heldSince = since
                if Date().timeIntervalSince(since) >= 0.1 { break }
            } else {
                heldSince = nil
            }
            usleep(2_000)
        }
        XCTAssertTrue(heldSince != nil && c.isRunning, "label finished before it could be killed mid-write; make the file bigger")
        c.signal(SIGKILL)
        XCTAssertEqual(c.wait(timeout: 30), 128 + SIGKILL)
        let n = try count("SELECT count(*) FROM labels")
        XCTAssertTrue(n == 0 || n == 120_000, "\(n) labels: a part of the file")
        XCTAssertEqual(try CLI.run(["label", "--store", store, "--from", f]).status, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM labels"), n + 120_000)
    }
}

extension CLILabelTests {
    /// CSV injection (try21, item 1): hostile account ids, notes and item ids from an import
    /// come out of every CSV export prefixed with `'` (numbers stay numbers), and a label file
    /// exported by riskdesk reads back as the same accounts.
    func testHostileCellsAreSpreadsheetSafeInCSVExportsAndRoundTrip() throws {
        let hostile = ["=HYPERLINK(\"http://evil.example\",\"open\")", "@SUM(1+1)", "-2+3", "'=quoted", "+cmd|' /C calc'!A0"]
        let csv = header + "\n" + hostile.enumerated().map { i, a in
            "e\(i),\(i),\"\(a.replacingOccurrences(of: "\"", with: "\"\""))\",view,,,,,=item\(i),,,,,,,,,,,,\n"
        }.joined()
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--kind", "events", write("events.csv", csv), "--quiet"]).status, 0)
        for a in hostile {
            let r = try CLI.run(["label", "--store", store, "--as", "fraud", "--note", "=1+1 \(a)", "--analyst", "ana", "--", a])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let out = dir + "/labels.csv"
        XCTAssertEqual(try CLI.run(["export", "labels", "--store", store, "--output", out]).status, 0)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let records = try CSVRecords.parse(text, path: out).dropFirst()
        XCTAssertEqual(records.count, hostile.count)
        for r in records {
            for cell in r.fields { XCTAssertFalse(cell.first.map { "=+-@\t\r".contains($0) } ?? false, "\(cell.debugDescription) in \(text)") }
        }
        XCTAssertTrue(text.contains("'=HYPERLINK(\"\"http://evil.example\"\",\"\"open\"\")"), text)
        XCTAssertTrue(text.contains("''=quoted,"), text)
        // Query results and the scores export: the same escape; a negative number stays a number.
        let q = try CLI.run(["query", "--store", store, "--format", "csv", "SELECT account_id, -1.5 AS x, item_id FROM events ORDER BY event_id"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stdout.contains("'=HYPERLINK") && q.stdout.contains(",-1.5,'=item0"), q.stdout)
        XCTAssertFalse(q.stdout.split(separator: "\n").contains { $0.hasPrefix("=") || $0.hasPrefix("@") || $0.hasPrefix("-2") }, q.stdout)
        // Read back by riskdesk: the same accounts, labelled again.
        let again = try CLI.run(["label", "--store", store, "--from", out, "--analyst", "bo"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let st = try Store(path: store, readOnly: true)
        XCTAssertEqual(Set(try st.db.rows("SELECT account_id FROM current_labels WHERE analyst = 'bo'").compactMap { $0[0].string }), Set(hostile))
        XCTAssertEqual(Set(try st.db.rows("SELECT note FROM current_labels").compactMap { $0[0].string }), Set(hostile.map { "=1+1 \($0)" }))
    }
}

extension CLICommandTests {
    /// `doctor` listed a settings file and themes without reading them: a config.toml that
    /// doesn't parse and a theme with a bad colour passed as fine, and only the workbench said
    /// otherwise (try21's hostile pass). Now each is read and a broken one named with its line.
    func testDoctorReadsTheSettingsFileAndThemesItLists() throws {
        let home = dir + "/home", cfg = home + "/.config/riskdesk"
        try FileManager.default.createDirectory(atPath: cfg + "/themes", withIntermediateDirectories: true)
        let env = ["HOME": home, "XDG_CONFIG_HOME": home + "/.config"]
        let clean = try CLI.run(["doctor"], cwd: dir, env: env)
        XCTAssertEqual(clean.status, 0, clean.stdout + clean.stderr)
        XCTAssertFalse(clean.stdout.contains("BROKEN"), clean.stdout)
        try "theme = \"dark\"\nmouse = \"yes\"\n".write(toFile: cfg + "/config.toml", atomically: true, encoding: .utf8)
        try "name = \"odd\"\n[styles]\nbase = \"bolt\"\n".write(toFile: cfg + "/themes/odd.toml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["doctor"], cwd: dir, env: env)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("BROKEN: \(cfg)/config.toml:2: mouse must be true or false"), r.stdout)
        XCTAssertTrue(r.stdout.contains("BROKEN: \(cfg)/themes/odd.toml:3: styles.base: unknown style word 'bolt'"), r.stdout)
    }
}
