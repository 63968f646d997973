import Foundation
import RiskStore
import XCTest

/// `simulate --world random` and `detect --disable` driven through the real binary.
final class CLIRobustTests: CLITestCase {
    func testRandomWorldDetectWithADetectorOrLayerSwitchedOffAndAnUnknownName() throws {
        let out = dir + "/sim"
        let sim = try CLI.run(["simulate", "--world", "random", "--out", out, "--accounts", "600", "--days", "6", "--seed", "4"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        XCTAssertTrue(sim.stderr.contains("refund_abuse"), sim.stderr)
        XCTAssertEqual(try CLI.run(["import", "--store", store, out, "--quiet"]).status, 0)

        let d = try CLI.run(["detect", "--store", store, "--no-rules"], timeout: 300)
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertTrue(d.stdout.contains("layer: anomaly") && d.stdout.contains("layer: propagation"), d.stdout)
        XCTAssertEqual(try count("SELECT count(*) FROM scores WHERE score <= 0"), 0, "the anomaly layer ranks every account")
        XCTAssertEqual(try count("SELECT count(*) FROM scores WHERE score >= 0.995"), 0, "no saturation")
        XCTAssertGreaterThan(try count("SELECT count(*) FROM scores WHERE reasons LIKE '%unusual vs %peers'' median%'"), 0)

        let off = try CLI.run(["detect", "--store", store, "--no-rules", "--disable", "ato", "--disable", "anomaly", "--json"], timeout: 300)
        XCTAssertEqual(off.status, 0, off.stderr)
        let names = (try JSONSerialization.jsonObject(with: Data(off.stdout.utf8)) as! [String: Any])["detectors"] as! [[String: Any]]
        XCTAssertFalse(names.contains { $0["name"] as? String == "ato" })
        XCTAssertFalse(names.contains { ($0["name"] as? String)?.hasPrefix("layer: anomaly") == true })
        XCTAssertTrue(names.contains { $0["name"] as? String == "scraping" })

        let before = try count("SELECT count(*) FROM detect_runs")
        let bad = try CLI.run(["detect", "--store", store, "--disable", "atto"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("no detector or layer named 'atto'") && bad.stderr.contains("ato"), bad.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM detect_runs"), before, "a bad switch runs nothing")
        let badSign = try CLI.run(["detect", "--store", store, "--sign", "refund-fdrs"])
        XCTAssertEqual(badSign.status, 1)
        XCTAssertTrue(badSign.stderr.contains("no sign named 'refund-fdrs'") && badSign.stderr.contains("refund-fdr"), badSign.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM detect_runs"), before, "a bad sign runs nothing")
        // review41a #8: a sign on by default switches off by name; a name that is not one is refused first.
        let badOff = try CLI.run(["detect", "--store", store, "--no-sign", "sleeper"])
        XCTAssertEqual(badOff.status, 1)
        XCTAssertTrue(badOff.stderr.contains("no sign on by default named 'sleeper'") && badOff.stderr.contains("sleepers"), badOff.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM detect_runs"), before, "a bad off sign runs nothing")
        let noSleepers = try CLI.run(["detect", "--store", store, "--no-rules", "--no-sign", "sleepers", "--quiet"], timeout: 300)
        XCTAssertEqual(noSleepers.status, 0, noSleepers.stderr)
        XCTAssertEqual(try count("SELECT count(*) FROM detect_runs"), before + 1)
    }
}
