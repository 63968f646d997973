import Foundation
import XCTest

/// String options with a fixed set of values are enums: a bad value is refused before
/// anything runs, with ArgumentParser's error naming the option and listing the choices.
final class TypedOptionsTests: CLITestCase {
    func testABadValueIsRefusedWithTheChoicesAndNothingRuns() throws {
        let cases: [([String], String)] = [
            (["eval", "--format", "xml"], "'xml' is invalid for '--format <format>'. Please provide one of 'text' and 'json'."),
            (["export", "scores", "--format", "table"], "'table' is invalid for '--format <format>'. Please provide one of 'csv' and 'jsonl'."),
            (["export", "labels", "--format", "json"], "Please provide one of 'csv' and 'jsonl'."),
            (["cases", "--status", "in-review"], "'in-review' is invalid for '--status <status>'. Please provide one of 'open', 'in_review', 'escalated' or 'closed'."),
            (["cases", "--claim", "a1", "--set-status", "done"], "'done' is invalid for '--set-status <set-status>'"),
            (["train", "--kind", "forest"], "Please provide one of 'auto', 'gbdt', 'logreg', 'stacked' or 'stacked_logreg'."),
            (["train", "--band-test", "strict"], "Please provide one of 'off', 'band' or 'band-interval'."),
            (["label", "a1", "--as", "bad"], "Please provide one of 'fraud', 'legit', 'unsure' or 'none'."),
            (["query", "--format", "xlsx", "SELECT 1"], "Please provide one of 'table', 'csv', 'json' or 'jsonl'."),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args + ["--store", store])
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty, "\(args): \(r.stdout)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: store), "\(args) ran: the store was created")
        }
    }

    func testEveryTrainKindIsAModelKindOrAuto() throws {
        // The help lists exactly the kinds the trainer knows.
        let help = try CLI.run(["train", "--help"]).stdout
        XCTAssertTrue(help.contains("--kind <kind>"), help)
        let r = try CLI.run(["train", "--store", store, "--kind", "stacked_logreg"])
        // A valid kind passes parsing and fails later, on the missing store.
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no such store"), r.stderr)
    }

    func testLabelsParseInAnyCase() throws {
        // FRAUD is fraud: parsing passes and the command fails later, on the missing store.
        let r = try CLI.run(["label", "a1", "--as", "FRAUD", "--store", store])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no such store"), r.stderr)
    }
}
