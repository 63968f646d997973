import Foundation
import RiskStore
import XCTest

/// Issue 15 on the real binary: no partial export, no silent loss of output, no crash on a
/// full disk or closed stdout / stderr, PII masked in `query` and `export` unless revealed
/// (audited), and no terminal control sequences from imported text in human-readable output.
final class ReliabilityTests: CLITestCase {
    /// A small scored demo store with its truth file, built once and copied per test.
    static let demo: String = {
        let dir = NSTemporaryDirectory() + "riskdesk-reliability-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "riskdesk-reliability-\(getpid())") }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = try? CLI.run(["demo", "--store", dir + "/demo.db", "--accounts", "400", "--days", "7", "--seed", "11", "--no-open"])
        precondition(r?.status == 0, "demo store: \(r?.stderr ?? "not run")")
        _ = try? Store(path: dir + "/demo.db").db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        return dir + "/demo.db"
    }()

    func demoCopy() throws -> String {
        try FileManager.default.copyItem(atPath: Self.demo, toPath: store)
        try FileManager.default.copyItem(atPath: (Self.demo as NSString).deletingPathExtension + ".truth.csv", toPath: dir + "/s.truth.csv")
        return store
    }

    /// Runs a shell line (for redirections the spawner can't express: a closed descriptor).
    func sh(_ line: String) throws -> CLI.Result {
        try Spawn.run(["/bin/sh", "-c", line], env: CLI.environment([:]))
    }

    /// Every command whose output is the product: to /dev/full it fails, saying so.
    func testEveryOutputToAFullDeviceExitsNonZeroAndSaysSo() throws {
        let s = try demoCopy()
        _ = try CLI.run(["label", "--store", s, try firstAccount(s), "--as", "fraud"])
        let commands: [[String]] = [
            ["export", "scores", "--store", s], ["export", "labels", "--store", s],
            ["query", "--store", s, "SELECT * FROM events"], ["query", "--store", s, "--format", "json", "SELECT * FROM events"],
            ["rejects", "--store", s], ["eval", "--store", s, "--truth", dir + "/s.truth.csv"], ["info", "--store", s],
            ["cases", "--store", s],
        ]
        for args in commands {
            let c = try Spawn.start([CLI.binary] + args, env: CLI.environment([:]), stdout: "/dev/full", stderr: dir + "/err")
            let status = c.wait()
            let err = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
            XCTAssertEqual(status, 1, "\(args.joined(separator: " ")): \(err)")
            XCTAssertTrue(err.contains("standard output: write failed: No space left on device"), "\(args.joined(separator: " ")): \(err)")
        }
    }

    func firstAccount(_ s: String) throws -> String {
        try Store(path: s, readOnly: true).db.scalar("SELECT account_id FROM accounts ORDER BY account_id LIMIT 1").string ?? ""
    }

    func testClosedStdoutAndStderrNeverCrash() throws {
        let s = try demoCopy()
        let b = CLI.binary
        // Closed stdout: the output can't arrive, so it's an error (on stderr).
        var r = try sh("'\(b)' query --store '\(s)' 'SELECT * FROM accounts' >&-")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("standard output: write failed"), r.stderr)
        r = try sh("'\(b)' export scores --store '\(s)' >&-")
        XCTAssertEqual(r.status, 1, r.stderr)
        r = try sh("'\(b)' info --store '\(s)' >&-")
        XCTAssertEqual(r.status, 1, r.stderr)
        // Closed stderr: an error is still an exit code, not a signal.
        r = try sh("'\(b)' query --store '\(s)' 'SELECT nope FROM events' 2>&-")
        XCTAssertEqual(r.status, 1)
        r = try sh("'\(b)' query --store '\(s)' --format csv 'SELECT count(*) AS n FROM events' 2>&-")
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("n\n"), r.stdout)
        // Both closed, and stderr full.
        r = try sh("'\(b)' query --store '\(s)' 'SELECT 1' >&- 2>&-")
        XCTAssertEqual(r.status, 1)
        r = try sh("'\(b)' query --store '\(s)' 'SELECT nope' 2>/dev/full")
        XCTAssertEqual(r.status, 1)
        r = try sh("'\(b)' detect --store '\(s)' 2>/dev/full >/dev/null")
        XCTAssertEqual(r.status, 0)
    }

    /// A real small file system (tmpfs of 8 KiB; needs root, else skipped): every `--output`
    /// export fails naming the path and leaves the old file as it was, with no temp file.
    func testFullFileSystemLeavesNoPartialExport() throws {
        let s = try demoCopy()
        _ = try CLI.run(["label", "--store", s, try firstAccount(s), "--as", "fraud", "--note", String(repeating: "n", count: 9000)])
        let bad = (1...300).map { "b\($0),never,a,view,,,,,,,,,,,,,,,,,\n" }.joined()
        XCTAssertEqual(try CLI.run(["import", "--store", s, "--quiet", "--kind", "events", write("bad-events.csv", header + "\n" + bad)]).status, 0)
        let mnt = try SmallFileSystem(at: dir + "/full", kib: 8)
        defer { mnt.unmount() }
        let target = mnt.path + "/out.csv"
        for args in [["export", "scores", "--store", s], ["export", "labels", "--store", s], ["rejects", "--store", s, "--limit", "1000"],
                     ["query", "--store", s, "--format", "csv", "SELECT * FROM events"]] {
            try Data("old\n".utf8).write(to: URL(fileURLWithPath: target))
            let r = try CLI.run(args + ["--output", target])
            XCTAssertEqual(r.status, 1, "\(args.joined(separator: " ")): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(target) && r.stderr.contains("No space left on device"), "\(args): \(r.stderr)")
            XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "old\n", "\(args)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mnt.path), ["out.csv"], "\(args)")
        }
        // The same export where there is room is whole.
        let ok = try CLI.run(["export", "scores", "--store", s, "--output", dir + "/scores.csv"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/scores.csv", encoding: .utf8).split(separator: "\n").count, 401)
    }

    func testQueryAndExportMaskPIIUnlessRevealedWithAReason() throws {
        let s = try demoCopy()
        let raw = try Store(path: s, readOnly: true).db.rows("SELECT account_id, email, phone FROM accounts WHERE email IS NOT NULL ORDER BY account_id LIMIT 1")[0]
        let id = raw[0].string!, email = raw[1].string!, phone = raw[2].string!
        let outputs: [[String]] = [
            ["query", "--store", s, "SELECT * FROM accounts WHERE account_id = '\(id)'"],
            ["query", "--store", s, "--format", "csv", "SELECT email, phone FROM accounts_iso WHERE account_id = '\(id)'"],
            ["query", "--store", s, "--format", "jsonl", "SELECT lower(email) AS e, phone || '' AS p FROM accounts WHERE account_id = '\(id)'"],
        ]
        for args in outputs {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stdout.contains(email) || r.stdout.contains(phone), "\(args): \(r.stdout)")
            XCTAssertTrue(r.stdout.lowercased().contains(PII.maskEmail(email).lowercased()), "\(args): \(r.stdout)")
        }
        for sql in ["SELECT email FROM main.accounts", "SELECT count(*) FROM main.accounts WHERE email = '\(email)'"] {
            let r = try CLI.run(["query", "--store", s, sql])
            XCTAssertEqual(r.status, 1, sql)
            XCTAssertTrue(r.stderr.contains("prohibited") && r.stderr.contains("reveal"), r.stderr)
        }
        XCTAssertEqual(try count("SELECT count(*) FROM audit WHERE action = 'reveal_pii'", store: s), 0)
        // A reveal without a reason is refused; with one it is audited and shows the values.
        let noReason = try CLI.run(["query", "--store", s, "--reveal-pii", "  ", "SELECT email FROM accounts"])
        XCTAssertEqual(noReason.status, 1)
        XCTAssertTrue(noReason.stderr.contains("needs a reason"), noReason.stderr)
        let sql = "SELECT email, phone FROM accounts WHERE account_id = '\(id)'"
        let shown = try CLI.run(["query", "--store", s, "--reveal-pii", "chargeback #881", "--analyst", "mia", sql])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains(email) && shown.stdout.contains(phone), shown.stdout)
        let audit = try Store(path: s, readOnly: true).db.rows("SELECT analyst, source, new_value, note, ts FROM audit WHERE action = 'reveal_pii'")
        XCTAssertEqual(audit.count, 1)
        XCTAssertEqual(audit.first?[0].string, "mia")
        XCTAssertEqual(audit.first?[1].string, "cli")
        XCTAssertEqual(audit.first?[2].string, "query: " + sql)
        XCTAssertEqual(audit.first?[3].string, "chargeback #881")
        XCTAssertGreaterThan(audit.first?[4].int ?? 0, 0)
        // Rejected accounts rows hold the contact details verbatim: masked too.
        let acc = write("accounts.csv", "account_id,created_at,kind,country,email,phone\nzz1,not-a-time,buyer,ID,secret.person@mail.com,+628999888777\n")
        XCTAssertEqual(try CLI.run(["import", "--store", s, "--quiet", acc]).status, 0)
        for args in [["rejects", "--store", s], ["rejects", "--store", s, "--format", "json"],
                     ["query", "--store", s, "SELECT raw FROM rejects"]] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("s***@m***.com"), "\(args): \(r.stdout)")
            XCTAssertFalse(r.stdout.contains("secret.person") || r.stdout.contains("8999888"), "\(args): \(r.stdout)")
        }
        XCTAssertEqual(try CLI.run(["query", "--store", s, "SELECT raw FROM main.rejects"]).status, 1)
        XCTAssertTrue(try CLI.run(["rejects", "--store", s, "--reveal-pii", "fix the import"]).stdout.contains("secret.person@mail.com"))
        // Exports: masked too; revealed only with a reason, audited.
        XCTAssertEqual(try CLI.run(["export", "scores", "--store", s, "--reveal-pii", ""]).status, 1)
        XCTAssertEqual(try CLI.run(["export", "scores", "--store", s, "--reveal-pii", "quarterly review"]).status, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM audit WHERE action = 'reveal_pii' AND new_value = 'export scores'", store: s), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM audit WHERE action = 'reveal_pii' AND new_value = 'rejects'", store: s), 1)
    }

    /// Imported text carrying a screen clear, an OSC 52 clipboard write and a window title.
    func testControlSequencesFromImportedTextNeverReachTheTerminal() throws {
        let evil = "\u{1B}[2J\u{1B}]52;c;cm0gLXJmIH4=\u{07}\u{1B}]0;pwned\u{07}\u{9B}31m"
        let p = write("events.csv", header + "\ne1,0,acct\(evil),review,,,,,,,,,,,,,,,5,,\"nice \(evil) item\"\ne2,never,x\(evil),view,,,,,,,,,,,,,,,,,\n")
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", p]).status, 0)
        let human: [[String]] = [
            ["query", "--store", store, "SELECT account_id, text FROM events"],
            ["query", "--store", store, "SELECT text AS \"h\(evil)\" FROM events"],
            ["rejects", "--store", store],
            ["query", "--store", store, "SELECT nope\(evil) FROM events"],       // the error message, on stderr
        ]
        for args in human {
            let r = try CLI.run(args)
            for out in [r.stdout, r.stderr] {
                XCTAssertFalse(out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }, "\(args): \(out.debugDescription)")
            }
            XCTAssertTrue((r.stdout + r.stderr).contains("·"), "\(args): \(r.stdout + r.stderr)")
        }
        // Machine formats escape instead: JSON keeps the text exactly.
        let json = try CLI.run(["query", "--store", store, "--format", "jsonl", "SELECT text FROM events WHERE event_id = 'e1'"])
        XCTAssertTrue(json.stdout.contains("\\u001b[2J"), json.stdout)
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        XCTAssertEqual(obj?["text"], "nice \(evil) item")
    }
}

/// A tmpfs of a few KiB, mounted for a test (root only; the test is skipped elsewhere).
struct SmallFileSystem {
    let path: String
    init(at path: String, kib: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let r = try Spawn.run(["mount", "-t", "tmpfs", "-o", "size=\(kib)k", "tmpfs", path])
        guard r.status == 0 else {
            throw XCTSkip("cannot mount a small tmpfs here (needs root / CAP_SYS_ADMIN): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
    func unmount() { _ = try? Spawn.run(["umount", path]) }
}
