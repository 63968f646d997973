import Foundation
import RiskDetect
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// `:cancel` in the workbench while detection runs a never-ending SQL rule: the UI says so,
/// the run is recorded cancelled and the previous scores stand.
final class WorkbenchDetectCancelTests: XCTestCase {
    var dir = ""
    var app: App?

    override func setUpWithError() throws {
        TextWidth.setUpLocale()
        dir = try Fixture.copy("wbcancel", subdirs: ["rules"])
    }
    override func tearDown() {
        app = nil
        try? FileManager.default.removeItem(atPath: dir)
    }

    func results(_ db: Database) throws -> [String] {
        try ["SELECT run_id, account_id, detector, strength, reason FROM findings ORDER BY id",
             "SELECT account_id, run_id, score, risk_type, reasons FROM scores ORDER BY account_id",
             "SELECT group_id, run_id, size, score FROM groups ORDER BY group_id"].map { sql in
            try db.rows(sql).map { "\($0)" }.joined(separator: "\n")
        }
    }

    func testCancelStopsARunningDetectionAndThePreviousScoresStand() throws {
        let path = dir + "/wb.db"
        _ = try DetectionEngine(rulesDirectory: nil).run(store: try Store(path: path))
        let before = try results(try Store(path: path, readOnly: true).db)
        let db0 = try Store(path: path, readOnly: true).db
        XCTAssertGreaterThanOrEqual(try db0.int("SELECT count(*) FROM scores"), try db0.int("SELECT count(*) FROM accounts"))
        XCTAssertEqual(try db0.int("SELECT count(*) FROM detect_runs"), 1)
        try Data("""
            -- id: forever
            -- risk_type: scraping
            -- severity: low
            -- description: never finishes
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT 'ring-a' AS account_id FROM c WHERE x < 0
            """.utf8).write(to: URL(fileURLWithPath: dir + "/rules/forever.sql"))
        let app = try App(storePath: path, terminal: MemoryTerminal(width: 140, height: 40), theme: Theme.fallback, analyst: "tester", synchronous: false)
        self.app = app
        app.rulesDirectory = dir + "/rules"
        func status() -> String { app.frame().text().components(separatedBy: "\n").last ?? "" }
        func command(_ s: String) { app.send(.char(":")); for c in s { app.send(.char(c)) }; app.send(.enter) }
        /// Drains answers until the status line shows `text`; fails with it if it never does.
        func wait(for text: String, _ seconds: TimeInterval = 60, line: UInt = #line) {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                app.drain()
                if status().contains(text) { return }
                usleep(10_000)
            }
            XCTFail("status never showed “\(text)”: \(status())", line: line)
        }
        command("detect")
        wait(for: "rule forever")
        XCTAssertTrue(status().contains(":cancel stops it"), status())
        command("cancel")
        wait(for: "detection cancelled; the previous results stand", 30)
        let db = try Store(path: path, readOnly: true).db
        XCTAssertEqual(try db.rows("SELECT status FROM detect_runs ORDER BY id"), [[.text("done")], [.text("cancelled")]])
        XCTAssertEqual(try results(db), before)
        command("cancel")
        XCTAssertTrue(status().contains("nothing to cancel"), status())
    }
}
