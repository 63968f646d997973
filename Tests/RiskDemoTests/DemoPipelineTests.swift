import Foundation
import RiskDemo
import RiskMetrics
import RiskStore
import XCTest

final class DemoPipelineTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdemo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testSimulatesImportsAndScoresThenReusesTheStore() throws {
        let path = dir + "/demo.db"
        var o = DemoPipeline.Options(storePath: path, workDirectory: dir + "/work")
        o.accounts = 300; o.days = 4; o.seed = 11
        var notes: [String] = []
        let r = try DemoPipeline.run(o, rules: nil, note: { notes.append($0) })
        XCTAssertTrue(r.built)
        XCTAssertEqual(r.truthPath, dir + "/demo.truth.csv")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/work"), "the work folder is removed")
        let s = try Store(path: path, readOnly: true)
        let sim = try XCTUnwrap(r.simulation)
        XCTAssertGreaterThan(try s.summary().events, Int64(sim.events / 2))
        XCTAssertEqual(try s.finishedDetectRuns().count, 1)
        XCTAssertEqual(r.detection?.runID, try s.finishedDetectRuns().first)
        XCTAssertTrue(notes.contains { $0.hasPrefix("simulating 300 accounts") }, "\(notes)")
        // The truth is never imported, and it measures the store's scores.
        let truth = try Truth(path: dir + "/demo.truth.csv")
        XCTAssertEqual(truth.fraudCount, sim.fraudAccounts)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%truth%'"), 0)
        let e = truth.evaluate(scores: try s.scoreByAccount())
        XCTAssertEqual(e.missing, 0, "every simulated account is in the store with a score")
        // A second run reuses the scored store: nothing simulated, nothing detected.
        notes = []
        let again = try DemoPipeline.run(o, rules: nil, note: { notes.append($0) })
        XCTAssertFalse(again.built)
        XCTAssertNil(again.detection)
        XCTAssertTrue(notes.isEmpty, "\(notes)")
        // fresh builds it again.
        o.fresh = true
        XCTAssertTrue(try DemoPipeline.run(o, rules: nil).built)
        XCTAssertEqual(try Store(path: path, readOnly: true).finishedDetectRuns().count, 1)
    }
}
