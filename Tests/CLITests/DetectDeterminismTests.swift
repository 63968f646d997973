import Foundation
import RiskStore
import XCTest

/// The same store gives the same findings, scores and queue order on every `detect`: each run
/// is a separate process, so sets and dictionaries iterate in a different order each time
/// (Swift seeds its hashing per process) and anything that leaks that order into the output
/// or a tie-break shows up as a difference between the two stores.
final class DetectDeterminismTests: CLITestCase {
    func testTwoDetectProcessesOnOneStoreWriteIdenticalFindingsScoresAndQueue() throws {
        let out = dir + "/sim"
        let sim = try CLI.run(["simulate", "--world", "random", "--out", out, "--accounts", "2500", "--days", "12", "--seed", "31", "--quiet"],
                              timeout: 300)
        XCTAssertEqual(sim.status, 0, sim.stderr)
        XCTAssertEqual(try CLI.run(["import", "--store", store, out, "--quiet"], timeout: 300).status, 0)
        let copy = dir + "/t.db"
        try FileManager.default.copyItem(atPath: store, toPath: copy)

        var tables: [[String: [String]]] = []
        for path in [store, copy] {
            let d = try CLI.run(["detect", "--store", path, "--quiet"], timeout: 600)
            XCTAssertEqual(d.status, 0, d.stderr)
            let db = try Store(path: path, readOnly: true).db
            func dump(_ sql: String) throws -> [String] {
                try db.rows(sql).map { row in row.map { "\($0)" }.joined(separator: "|") }
            }
            tables.append([
                "findings": try dump("SELECT id, account_id, detector, risk_type, strength, reason, evidence, group_id FROM findings ORDER BY id"),
                "scores": try dump("SELECT account_id, score, risk_type, group_id, reasons, n_findings FROM scores ORDER BY account_id"),
                "queue": try dump("SELECT account_id FROM scores ORDER BY score DESC, account_id"),
            ])
        }
        // The run has something to order: findings from several detectors, groups, many scores.
        XCTAssertGreaterThan(tables[0]["findings"]!.count, 20)
        XCTAssertGreaterThan(Set(tables[0]["findings"]!.map { $0.split(separator: "|")[2] }).count, 3)
        XCTAssertGreaterThan(tables[0]["scores"]!.count, 2000)
        for name in ["findings", "scores", "queue"] {
            let a = tables[0][name]!, b = tables[1][name]!
            XCTAssertEqual(a.count, b.count, name)
            if let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) {
                XCTFail("\(name) differ at row \(i):\n\(a[i])\n\(b[i])")
            }
        }
    }
}
