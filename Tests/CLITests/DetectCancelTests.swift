import Foundation
import RiskStore
import XCTest

/// SIGINT to a real `riskdesk detect` while a SQL rule runs: the run is recorded cancelled,
/// the exit code says so, and the previous run's results are untouched.
final class CLIDetectCancelTests: CLITestCase {
    func results() throws -> [String] {
        let db = try Store(path: store, readOnly: true).db
        return try ["SELECT run_id, account_id, detector, strength, reason FROM findings ORDER BY id",
                    "SELECT account_id, run_id, score, risk_type, reasons FROM scores ORDER BY account_id",
                    "SELECT group_id, run_id, size, score FROM groups ORDER BY group_id",
                    "SELECT run_id, account_id, score FROM run_scores ORDER BY 1, 2"].map { sql in
            try db.rows(sql).map { "\($0)" }.joined(separator: "\n")
        }
    }

    /// Open descriptors of `pid` on the store file (the engine's connection, then the rule's).
    func storeHandles(_ pid: pid_t) -> Int {
        let fds = "/proc/\(pid)/fd"
        let target = URL(fileURLWithPath: store).resolvingSymlinksInPath().path
        return ((try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? []).filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + $0)) == target
        }.count
    }

    func testSIGINTWhileARuleRunsRecordsTheRunCancelledAndKeepsThePreviousResults() throws {
        guard FileManager.default.fileExists(atPath: "/proc/self/fd") else { throw XCTSkip("needs /proc to see the rule's connection") }
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "300", "--days", "3", "--seed", "9", "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", out]).status, 0)
        XCTAssertEqual(try CLI.run(["detect", "--store", store, "--no-rules", "--quiet"]).status, 0)
        let before = try results()
        XCTAssertGreaterThan(try count("SELECT count(*) FROM scores WHERE score > 0"), 0)
        let rules = dir + "/rules"
        _ = try writeForeverRule()
        let err = dir + "/detect.err"
        let p = try CLI.start(["detect", "--store", store, "--rules", rules], stderr: err)
        // The rule runs once the process holds a second connection to the store.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && p.isRunning && storeHandles(p.pid) < 2 { usleep(10_000) }
        XCTAssertTrue(p.isRunning, "detect ended before it could be interrupted: \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
        XCTAssertGreaterThanOrEqual(storeHandles(p.pid), 2, "the rule's connection never opened")
        p.signal(SIGINT)
        XCTAssertEqual(p.wait(timeout: 30), 130)
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        XCTAssertTrue(stderr.contains("detection cancelled; the previous results are unchanged"), stderr)
        XCTAssertEqual(try Store(path: store, readOnly: true).db.rows("SELECT status FROM detect_runs ORDER BY id"),
                       [[.text("done")], [.text("cancelled")]])
        XCTAssertEqual(try results(), before)
    }
    /// `--rule-time-limit`: a rule that never ends is stopped, named with its file, and the run
    /// finishes with the other detectors' results; a limit that is no number of seconds is refused.
    func testARuleThatNeverEndsIsStoppedAtTheTimeLimitAndNamed() throws {
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "300", "--days", "3", "--seed", "9", "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["import", "--store", store, "--quiet", out]).status, 0)
        let rules = dir + "/rules"
        let file = try writeForeverRule()
        let r = try CLI.run(["detect", "--store", store, "--rules", rules, "--rule-time-limit", "1"], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("\(file): rule 'forever' stopped after 1 s, the time limit for one rule"), r.stdout + r.stderr)
        XCTAssertEqual(try Store(path: store, readOnly: true).db.rows("SELECT status FROM detect_runs ORDER BY id"), [[.text("done")]])
        XCTAssertGreaterThan(try count("SELECT count(*) FROM scores WHERE score > 0"), 0)
        for bad in ["-1", "nan", "soon"] {
            let b = try CLI.run(["detect", "--store", store, "--rules", rules, "--rule-time-limit", bad])
            XCTAssertNotEqual(b.status, 0, bad)
            XCTAssertTrue(b.stderr.contains("rule-time-limit"), b.stderr)
        }
        let t = try CLI.run(["rules", "test", file, "--store", store, "--time-limit", "1"], timeout: 60)
        XCTAssertEqual(t.status, 1, t.stdout)
        XCTAssertTrue(t.stderr.contains("rule 'forever' stopped after 1 s"), t.stderr)
    }
}
