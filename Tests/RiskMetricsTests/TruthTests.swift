import Foundation
import RiskMetrics
import RiskStore
import XCTest

final class TruthTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskmetrics-truth-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ name: String, _ text: String) -> String {
        let p = dir + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func testReadsLabelsFamiliesAndLookalikesInAnySpelling() throws {
        let p = write("truth.csv", """
            Account_ID, Label ,attack,group,lookalike
            a1,fraud,brushing,ring-1,
            a2,1,ato,,
            a3,legit,,,power_buyer|reseller
            a4,No,,,
            "a,5",TRUE,"spam, mass",,

            """)
        let t = try Truth(path: p)
        XCTAssertEqual(t.source, p)
        XCTAssertEqual(t.label, ["a1": true, "a2": true, "a3": false, "a4": false, "a,5": true])
        XCTAssertEqual(t.attack, ["a1": "brushing", "a2": "ato", "a,5": "spam, mass"])
        XCTAssertEqual(t.lookalikes, ["a3": ["power_buyer", "reseller"]])
        XCTAssertEqual(t.fraudCount, 3)
        XCTAssertTrue(t.hasBothClasses)
    }

    /// Each broken file gets one message naming the file and, where it has one, the line.
    func testBrokenTruthFilesNameFileAndLine() throws {
        let cases: [(String, String, String)] = [
            ("bad-label.csv", "account_id,label\na1,fraud\na2,maybe\n", ":3: label 'maybe' is not fraud or legit"),
            ("no-label-col.csv", "account_id,attack\na1,ato\n", ":1: header must have account_id and label columns (got account_id,attack)"),
            ("short-row.csv", "attack,account_id,label\nato,a1,fraud\nspam\n", ":3: expected 3 columns, found 1"),
            ("open-quote.csv", "account_id,label\na1,fraud\n\"a2,legit\n", ":3: a quoted field is never closed"),
            ("quoted-newline.csv", "account_id,label,attack\na1,fraud,\"two\nlines\"\na2,bogus,x\n", ":4: label 'bogus' is not fraud or legit"),
            ("empty.csv", "", ": empty truth file"),
            ("header-only.csv", "account_id,label\n", ": no labelled rows"),
        ]
        for (name, text, expected) in cases {
            let p = write(name, text)
            XCTAssertThrowsError(try Truth(path: p), name) { e in
                XCTAssertEqual((e as? TruthError)?.description, p + expected, name)
            }
        }
        let missing = dir + "/nope.csv"
        XCTAssertThrowsError(try Truth(path: missing)) { XCTAssertEqual(($0 as? TruthError)?.description, missing + ": cannot read the truth file") }
        let binary = dir + "/bin.csv"
        FileManager.default.createFile(atPath: binary, contents: Data([0x61, 0xff, 0xfe, 0x0a]))
        XCTAssertThrowsError(try Truth(path: binary)) { XCTAssertEqual(($0 as? TruthError)?.description, binary + ": not UTF-8 text") }
    }

    func testEvaluateCountsTopKByFamilyAndLookalikes() throws {
        let t = try Truth(csv: """
            account_id,label,attack,lookalike
            f1,fraud,brushing,
            f2,fraud,brushing,
            f3,fraud,ato,
            l1,legit,,power_buyer
            l2,legit,,power_buyer|night_owl
            l3,legit,,
            """, path: "t.csv")
        // K = 3: the top three are f1, l2, f3; f2 ranks below them; l3 has no score (counted 0).
        let e = t.evaluate(scores: ["f1": 0.9, "l2": 0.8, "f3": 0.7, "f2": 0.3, "l1": 0.2, "other": 1.0])
        XCTAssertEqual(e.accounts, 6)
        XCTAssertEqual(e.k, 3)
        XCTAssertEqual(e.missing, 1)
        XCTAssertEqual(e.families["brushing"], GroupRecall(accounts: 2, inTopK: 1))
        XCTAssertEqual(e.families["ato"], GroupRecall(accounts: 1, inTopK: 1))
        XCTAssertEqual(e.lookalikes["power_buyer"], GroupRecall(accounts: 2, inTopK: 1))
        XCTAssertEqual(e.lookalikes["night_owl"], GroupRecall(accounts: 1, inTopK: 1))
        XCTAssertEqual(try XCTUnwrap(e.precisionAtK), 2.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(e.recallAtK), 2.0 / 3, accuracy: 1e-9)
        // Pairs (fraud above legit) out of 9: f1 beats 3, f3 beats 2, f2 beats 2 = 7.
        XCTAssertEqual(try XCTUnwrap(e.auc), 7.0 / 9, accuracy: 1e-9)
        // A perfect ranking scores 1 everywhere.
        let perfect = t.evaluate(scores: ["f1": 0.9, "f2": 0.8, "f3": 0.7, "l1": 0.1, "l2": 0.1, "l3": 0.1])
        XCTAssertEqual(perfect.auc, 1)
        XCTAssertEqual(perfect.precisionAtK, 1)
        XCTAssertEqual(perfect.families["brushing"]?.recall, 1)
    }

    func testPrecisionOfFlaggedAccounts() throws {
        let t = try Truth(csv: "account_id,label,attack\nf1,fraud,spam\nf2,fraud,\nl1,legit,\n", path: "t.csv")
        let p = t.precision(flagged: ["f1", "l1", "unknown", "f2"])
        XCTAssertEqual(p.known, 3)
        XCTAssertEqual(p.truePositives, 2)
        XCTAssertEqual(p.positives, 2)
        XCTAssertEqual(p.families, ["spam": 1, "fraud": 1])
        XCTAssertEqual(try XCTUnwrap(p.precision), 2.0 / 3, accuracy: 1e-9)
        XCTAssertNil(t.precision(flagged: ["nobody"]).precision)
    }

    func testCompareIsPairedOnTheSameAccounts() throws {
        var text = "account_id,label\n"
        var a: [String: Double] = [:], b: [String: Double] = [:]
        for i in 0..<200 {
            let fraud = i % 4 == 0
            text += "x\(i),\(fraud ? "fraud" : "legit")\n"
            a["x\(i)"] = Double((i * 37) % 200) / 200          // unrelated to the label
            b["x\(i)"] = fraud ? 0.9 - Double(i) / 10_000 : Double(i % 50) / 100
        }
        let t = try Truth(csv: text, path: "t.csv")
        let c = t.compare(a, b, resamples: 100)
        XCTAssertEqual(c.k, 50)
        let diff = try XCTUnwrap(c.difference["auc"])
        XCTAssertGreaterThan(diff.low, 0, "b ranks every fraud account first; a does not")
        XCTAssertEqual(try XCTUnwrap(c.b["auc"]).value, 1, accuracy: 1e-9)
    }

    func testFromTheAnalystsLabelsAndLeavingThemOut() throws {
        let s = try Store(path: dir + "/s.db")
        try s.db.exec("INSERT INTO accounts (account_id) VALUES ('a'), ('b'), ('c'), ('d')")
        XCTAssertNil(try Truth(store: s), "nobody has labelled yet")
        _ = try s.addLabels([LabelInput(account: "a", label: .fraud, category: "brushing"), LabelInput(account: "b", label: .legit),
                             LabelInput(account: "c", label: .unsure)], analyst: "ana", source: "test")
        var t = try XCTUnwrap(try Truth(store: s))
        XCTAssertEqual(t.label, ["a": true, "b": false])
        XCTAssertEqual(t.attack, ["a": "brushing"])
        XCTAssertEqual(t.source, "analysts' labels")
        var file = try Truth(csv: "account_id,label\na,fraud\nb,legit\nd,legit\n", path: "t.csv")
        try file.removeLabelled(in: s)
        XCTAssertEqual(file.label, ["d": false])
        XCTAssertFalse(file.hasBothClasses)
        try t.removeLabelled(in: s)
        XCTAssertTrue(t.label.isEmpty)
    }
}
