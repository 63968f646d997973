import Foundation
import XCTest
@testable import RiskStore

/// The store's side of a detection run: findings, scores, groups and the run record written
/// in one transaction and read back.
final class DetectionResultsTests: XCTestCase {
    var dir = ""
    var store: Store!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskstore-results-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try Store(path: dir + "/s.db")
    }

    override func tearDown() {
        store = nil
        try? FileManager.default.removeItem(atPath: dir)
    }

    let findings = [
        FindingRecord(account: "a", detector: "brushing", riskType: "brushing", strength: 0.812345, reason: "ring", evidence: "{\"events\":[1,2]}", group: "ring-1"),
        FindingRecord(account: "b", detector: "brushing", riskType: "brushing", strength: 0.5, reason: "ring too", evidence: "{}", group: "ring-1"),
        FindingRecord(account: "b", detector: "rule:x", riskType: "spam", strength: 0.35, reason: "rule", evidence: nil, group: nil),
    ]
    let scores = [
        ScoreRecord(account: "a", score: 0.8123456789, riskType: "brushing", group: "ring-1", reasons: ["ring"], findings: 1),
        ScoreRecord(account: "b", score: 0.675, riskType: "brushing", group: "ring-1", reasons: ["ring too", "rule"], findings: 2),
        ScoreRecord(account: "c", score: 0, riskType: nil, group: nil, reasons: [], findings: 0),
    ]
    let totals = DetectRunTotals(events: 10, accounts: 3, flagged: 2,
                                 detectors: [DetectorReport(name: "brushing", seconds: 0.25, findings: 2, accounts: 2, error: nil),
                                             DetectorReport(name: "rule:\"odd\"", seconds: 0, findings: 0, accounts: 0, error: "no such table: x")],
                                 riskTypes: ["brushing": 2], modelID: nil, warnings: ["w1", "w2"])

    func testWritesAndReadsBackARun() throws {
        let run = try store.beginDetectRun(pid: 4242)
        XCTAssertEqual(try store.detectRun(run)?.status, "running")
        let groups = try store.writeDetectResults(run: run, findings: findings, scores: scores, totals: totals)
        XCTAssertEqual(groups, 1)
        // Strengths kept to four decimals, scores to eight; everything else as given.
        var expected = findings
        expected[0].strength = 0.8123
        XCTAssertEqual(try store.storedFindings(), expected)
        XCTAssertEqual(try store.storedFindings(account: "b").map(\.detector), ["brushing", "rule:x"])
        var expectedScores = scores
        expectedScores[0].score = 0.81234568
        XCTAssertEqual(try store.storedScores(), expectedScores)
        XCTAssertEqual(try store.scoreByAccount(), ["a": 0.81234568, "b": 0.675, "c": 0])
        XCTAssertEqual(try store.runScores(run), ["a": 0.81234568, "b": 0.675, "c": 0])
        let g = try store.db.rows("SELECT group_id, risk_type, size, score, reason FROM groups")
        XCTAssertEqual(g.count, 1)
        XCTAssertEqual(g[0][0].string, "ring-1")
        XCTAssertEqual(g[0][1].string, "brushing")
        XCTAssertEqual(g[0][4].string, "ring")
        XCTAssertEqual(g[0][2].int, 2)
        XCTAssertEqual(g[0][3].double, 0.81234568)
        let r = try XCTUnwrap(try store.detectRun(run))
        XCTAssertEqual(r.status, "done")
        XCTAssertEqual([r.events, r.accounts, r.flagged], [10, 3, 2])
        XCTAssertEqual(r.detectors, totals.detectors)
        XCTAssertEqual(r.riskTypes, ["brushing": 2])
        XCTAssertEqual(r.scoreHistogram.count, 20)
        XCTAssertEqual(r.scoreHistogram[0], 1)
        XCTAssertEqual(r.scoreHistogram[13], 1)
        XCTAssertEqual(r.scoreHistogram[16], 1)
        XCTAssertEqual(r.message, "w1; w2")
        XCTAssertEqual(try store.finishedDetectRuns(), [run])
        XCTAssertEqual(try store.flaggedBefore(run: run + 1), 2)
        XCTAssertNil(try store.flaggedBefore(run: run))
    }

    func testAFailedWriteLeavesThePreviousResults() throws {
        let first = try store.beginDetectRun()
        try store.writeDetectResults(run: first, findings: findings, scores: scores, totals: totals)
        let second = try store.beginDetectRun()
        struct Stop: Error {}
        var checks = 0
        XCTAssertThrowsError(try store.writeDetectResults(run: second, findings: [FindingRecord](), scores: [ScoreRecord](), totals: totals,
                                                          check: { checks += 1; throw Stop() }))
        XCTAssertGreaterThan(checks, 0)
        try store.endDetectRun(second, cancelled: true, message: "cancelled by the user")
        XCTAssertEqual(try store.storedFindings().count, 3)
        XCTAssertEqual(try store.scoreByAccount()["a"], 0.81234568)
        let r = try XCTUnwrap(try store.detectRun(second))
        XCTAssertEqual(r.status, "cancelled")
        XCTAssertEqual(r.message, "cancelled by the user")
        XCTAssertEqual(try store.finishedDetectRuns(), [first])
    }

    func testANewRunReplacesFindingsAndKeepsTenRunsOfScores() throws {
        var runs: [Int64] = []
        for i in 0..<12 {
            let run = try store.beginDetectRun()
            runs.append(run)
            let s = [ScoreRecord(account: "a", score: Double(i) / 20, riskType: nil, group: nil, reasons: [], findings: 0)]
            try store.writeDetectResults(run: run, findings: i == 11 ? [] : findings, scores: s, totals: totals)
        }
        XCTAssertTrue(try store.storedFindings().isEmpty)
        XCTAssertEqual(try store.scoreByAccount(), ["a": 0.55])
        // The oldest runs' scores are dropped, the recent ones kept.
        XCTAssertLessThanOrEqual(try store.db.int("SELECT count(DISTINCT run_id) FROM run_scores"), 10)
        XCTAssertTrue(try store.runScores(runs[0]).isEmpty)
        XCTAssertTrue(try store.runScores(runs[1]).isEmpty)
        XCTAssertEqual(try store.runScores(runs[5]), ["a": 0.25])
        XCTAssertEqual(try store.runScores(runs[11]), ["a": 0.55])
    }

    func testRecentFlagVolumesNewestFirstSkippingUnfinishedRuns() throws {
        var runs: [Int64] = []
        for flagged in [10, 12, 900, 11] {
            let run = try store.beginDetectRun()
            runs.append(run)
            var t = totals
            t.flagged = flagged
            try store.writeDetectResults(run: run, findings: findings, scores: scores, totals: t)
        }
        let failed = try store.beginDetectRun()
        try store.endDetectRun(failed, cancelled: false, message: "boom")
        let next = try store.beginDetectRun()
        XCTAssertEqual(try store.flaggedRecent(run: next, limit: 5), [11, 900, 12, 10])
        XCTAssertEqual(try store.flaggedRecent(run: next, limit: 2), [11, 900])
        XCTAssertEqual(try store.flaggedRecent(run: runs[0], limit: 5), [])
    }
}
