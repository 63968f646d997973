import Foundation
import RiskStore
import XCTest

/// `riskdesk import --map / --infer / --dry-run`, through the real binary.
final class CLIMappedImportTests: CLITestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func repo(_ p: String) -> String { root.appendingPathComponent(p).path }

    func testMappedImportWritesTruthAndDryRunChangesNothing() throws {
        let map = Self.repo("queries/mappings/ieee-cis.toml")
        let csv = Self.repo("Tests/Fixtures/mapped/ieee-cis-sample.csv")
        // Dry run: the first rows and the rejects, and no store.
        let dry = try CLI.run(["import", "--store", store, "--map", map, "--dry-run", csv])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("event_id=2987000  ts=2017-12-02T00:"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("type=payment"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("ieee-cis-sample.csv:122: expected 121 columns"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("298 would be stored"), dry.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "a dry run creates no store")

        let r = try CLI.run(["import", "--store", store, "--map", map, csv])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("stored 298 new"), r.stderr)
        let truth = try String(contentsOfFile: dir + "/s.truth.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(truth.first, "account_id,label")
        let s = try Store(path: store)
        XCTAssertEqual(Int64(truth.count - 1), try s.db.int("SELECT count(DISTINCT account_id) FROM events"))
        XCTAssertTrue(truth.contains { $0.hasSuffix(",fraud") })
        // The truth file is what `label --from` and `eval --truth` read.
        XCTAssertEqual(try CLI.run(["label", "--store", store, "--from", dir + "/s.truth.csv"]).status, 0)
    }

    func testMappingErrorIsOneLineNamingFileLineAndKey() throws {
        let m = write("bad.toml", "[fields]\nevent_id = \"TransactionID\"\nts = { column = \"TransactionDT\", format = \"epoch\", unit = \"fortnights\" }\naccount_id = \"card1\"\n")
        let r = try CLI.run(["import", "--store", store, "--map", m, Self.repo("Tests/Fixtures/mapped/ieee-cis-sample.csv")])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "riskdesk: \(m):3: fields.ts.unit: unknown unit 'fortnights' (s, ms, us, ns, min, h or d)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store))
    }

    func testInferWritesAMappingTheImportAccepts() throws {
        let out = dir + "/cd.toml"
        let data = Self.repo("Tests/Fixtures/mapped/cdnow-sample.txt")
        let r = try CLI.run(["import", "--infer", data, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let i = try CLI.run(["import", "--store", store, "--map", out, data])
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertTrue(i.stderr.contains("stored 211 new"), i.stderr)
        XCTAssertTrue(i.stderr.contains("1 rejected"), i.stderr)
    }

    func testLabelColumnAsAnalystLabels() throws {
        let m = write("l.toml", """
            [fields]
            event_id = "id"
            ts = { column = "t", format = "epoch", unit = "s" }
            account_id = "user"
            [constants]
            type = "login"
            [label]
            column = "bad"
            fraud = ["yes", "y"]
            legit = "no"
            as = "labels"
            """)
        let csv = write("l.csv", "id,t,user,bad\n1,1700000000,u1,no\n2,1700000100,u1,y\n3,1700000200,u2,no\n4,1700000300,u3,maybe\n5,oops,u4,yes\n")
        let r = try CLI.run(["import", "--store", store, "--map", m, csv])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("labelled 2 accounts from bad (1 fraud)"), r.stderr)
        let s = try Store(path: store)
        let labels = try s.db.rows("SELECT account_id, label, analyst FROM current_labels ORDER BY account_id").map { "\($0[0].string!)=\($0[1].string!)/\($0[2].string!)" }
        // u3's value is neither fraud nor legit; u4's only row was rejected, so u4 is not in the store.
        XCTAssertEqual(labels, ["u1=fraud/import", "u2=legit/import"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.truth.csv"))
    }
}
