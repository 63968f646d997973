import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// Cancelling detection at each point it can be in — inside a detector, inside a SQL rule,
/// while the results are written — records the run cancelled and leaves the previous
/// run's findings, scores and groups exactly as they were.
final class DetectionCancelTests: XCTestCase {
    /// Reports that it started, then waits for the cancel (checking the token as detectors do).
    final class Blocking: Detector, @unchecked Sendable {
        let name = "blocking"
        let started = DispatchSemaphore(value: 0)
        func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
            started.signal()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                try cancel.check()
                usleep(1_000)
            }
            return []
        }
    }

    var scenario: Scenario!
    var store: Store!
    var rulesDir = ""

    /// A store with a scraper, scored once by a finished run.
    override func setUpWithError() throws {
        let s = Scenario()
        s.account("bot")
        for k in 0..<120 { s.account("u\(k)") }
        var at = Scenario.t0
        for k in 0..<120 { s.event("bot", "profile_view", at: at, ["target_id": "u\(k)"]); at += 3000 }
        for k in 0..<120 { s.event("u\(k)", "view", at: Scenario.t0 + Int64(k) * 99_000, ["item_id": "i"]) }
        (store, _) = try s.build()
        scenario = s
        rulesDir = s.dir + "/rules"
        try FileManager.default.createDirectory(atPath: rulesDir, withIntermediateDirectories: true)
        let r = try DetectionEngine(detectors: [ScrapingDetector()], rulesDirectory: nil).run(store: store)
        XCTAssertEqual(r.flagged, 1)
    }

    override func tearDown() {
        store = nil
        scenario = nil     // removes its folder
    }

    /// Findings, scores and groups as text, to compare before and after.
    func results() throws -> [String] {
        try ["SELECT run_id, account_id, detector, strength, reason FROM findings ORDER BY id",
             "SELECT account_id, run_id, score, risk_type, reasons FROM scores ORDER BY account_id",
             "SELECT group_id, run_id, size, score FROM groups ORDER BY group_id"].map { sql in
            try store.db.rows(sql).map { "\($0)" }.joined(separator: "\n")
        }
    }

    /// Runs the engine on its own thread; `arm(cancel, stage)` sees every progress stage.
    /// Returns the error the run ended with (nil: it finished), failing if it never ends.
    func runCancelled(_ engine: DetectionEngine, cancel: CancelToken, whileRunning: (() -> Void)? = nil,
                      onStage: @escaping (String) -> Void = { _ in }, file: StaticString = #filePath, line: UInt = #line) throws -> Error? {
        let before = try results()
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM scores WHERE score > 0.5"), 1, file: file, line: line)
        let done = DispatchSemaphore(value: 0)
        let outcome = ErrorBox()
        let path = store.path
        let t = Thread {
            do {
                let s = try Store(path: path)
                _ = try engine.run(store: s, cancel: cancel) { stage, _ in onStage(stage) }
            } catch { outcome.set(error) }
            done.signal()
        }
        t.stackSize = 8 << 20
        t.start()
        whileRunning?()
        guard done.wait(timeout: .now() + 30) == .success else {
            XCTFail("the cancelled run did not end within 30 s", file: file, line: line)
            cancel.cancel()
            return nil
        }
        XCTAssertEqual(try store.db.scalar("SELECT status FROM detect_runs ORDER BY id DESC LIMIT 1").string, "cancelled", file: file, line: line)
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM detect_runs WHERE status = 'done'"), 1, file: file, line: line)
        XCTAssertEqual(try results(), before, "the previous results are intact", file: file, line: line)
        XCTAssertEqual(try store.db.int("SELECT count(DISTINCT run_id) FROM run_scores"), 1, file: file, line: line)
        return outcome.get()
    }

    func testCancelInsideADetector() throws {
        let blocking = Blocking()
        let cancel = CancelToken()
        let error = try runCancelled(DetectionEngine(detectors: [ScrapingDetector(), blocking], rulesDirectory: nil), cancel: cancel,
                                     whileRunning: {
            XCTAssertEqual(blocking.started.wait(timeout: .now() + 30), .success, "the blocking detector started")
            cancel.cancel()
        })
        XCTAssertTrue(error is CancelledError, "\(String(describing: error))")
    }

    /// A rule that never ends: only the cancel can stop it.
    func writeForeverRule() throws {
        try Data("""
            -- id: forever
            -- risk_type: scraping
            -- severity: low
            -- description: never finishes
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT 'bot' AS account_id FROM c WHERE x < 0
            """.utf8).write(to: URL(fileURLWithPath: rulesDir + "/forever.sql"))
    }

    func testCancelWhileARuleRuns() throws {
        try writeForeverRule()
        let cancel = CancelToken()
        let ruleStarted = DispatchSemaphore(value: 0)
        let error = try runCancelled(DetectionEngine(detectors: [ScrapingDetector()], rulesDirectory: rulesDir), cancel: cancel,
                                     whileRunning: {
            XCTAssertEqual(ruleStarted.wait(timeout: .now() + 30), .success, "the rule started")
            // The statement is under way once its stage is reported and some steps ran; any
            // moment from here on is "mid-rule" (the query never ends on its own).
            usleep(100_000)
            cancel.cancel()
        }, onStage: { if $0 == "rule forever" { ruleStarted.signal() } })
        XCTAssertTrue(error is CancelledError, "\(String(describing: error))")
    }

    /// The cancel lands after the engine's check before the rule but before its statement
    /// starts: the rule must still stop (sqlite3_interrupt alone misses this moment).
    func testCancelJustBeforeARuleStatementStarts() throws {
        try writeForeverRule()
        let cancel = CancelToken()
        let error = try runCancelled(DetectionEngine(detectors: [ScrapingDetector()], rulesDirectory: rulesDir), cancel: cancel,
                                     onStage: { if $0 == "rule forever" { cancel.cancel() } })
        XCTAssertTrue(error is CancelledError, "\(String(describing: error))")
    }

    /// A rule that never ends is stopped at the time limit: the run finishes, the rule is
    /// reported failed with its file and the limit, and the other rules' findings stand.
    func testARuleThatNeverEndsStopsAtTheTimeLimitAndTheRunFinishes() throws {
        try writeForeverRule()
        try Data("""
            -- id: viewer
            -- risk_type: scraping
            -- severity: low
            -- description: the account that viewed profiles
            SELECT DISTINCT account_id FROM events WHERE type = 'profile_view'
            """.utf8).write(to: URL(fileURLWithPath: rulesDir + "/viewer.sql"))
        let engine = DetectionEngine(detectors: [ScrapingDetector()], rulesDirectory: rulesDir)
        engine.ruleTimeLimit = 0.5
        let started = Date()
        let r = try engine.run(store: store)
        XCTAssertLessThan(Date().timeIntervalSince(started), 25, "the limit stopped the rule")
        let forever = try XCTUnwrap(r.detectors.first { $0.name == "rule:forever" })
        let error = try XCTUnwrap(forever.error, "the stopped rule is reported failed")
        XCTAssertTrue(error.contains(rulesDir + "/forever.sql") && error.contains("rule 'forever' stopped after 0.5 s")
                      && error.contains("time limit"), error)
        let viewer = try XCTUnwrap(r.detectors.first { $0.name == "rule:viewer" })
        XCTAssertNil(viewer.error)
        XCTAssertEqual(viewer.accounts, 1)
        XCTAssertEqual(try store.db.scalar("SELECT status FROM detect_runs ORDER BY id DESC LIMIT 1").string, "done")
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM findings WHERE detector = 'rule:viewer'"), 1)
        // A slow rule under the limit is not stopped: the same engine, the limit far away.
        engine.ruleTimeLimit = 600
        try FileManager.default.removeItem(atPath: rulesDir + "/forever.sql")
        XCTAssertNil(try engine.run(store: store).detectors.first { $0.name == "rule:viewer" }?.error)
    }

    func testCancelWhileTheResultsAreWritten() throws {
        let cancel = CancelToken()
        let error = try runCancelled(DetectionEngine(detectors: [ScrapingDetector()], rulesDirectory: nil), cancel: cancel,
                                     onStage: { if $0 == "writing results" { cancel.cancel() } })
        XCTAssertTrue(error is CancelledError, "\(String(describing: error))")
    }
}

/// The error a run on another thread ended with.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ e: Error) { lock.lock(); error = e; lock.unlock() }
    func get() -> Error? { lock.lock(); defer { lock.unlock() }; return error }
}
