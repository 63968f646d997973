import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// `:detect` offers the CLI's choices, `:teach` lists what to label first; both run off the
/// UI thread like detection and say what they did.
final class LearningWorkbenchTests: RulesWorkbenchCase {
    override class var tag: String { "wblearn" }

    /// Runs a `:` command; the screen after it.
    func screen(after c: String) -> String {
        command(c)
        return app.frame().text()
    }

    func testDetectChoicesParseLikeTheCLI() {
        XCTAssertEqual(DetectChoice.parse(""), .current)
        XCTAssertEqual(DetectChoice.parse("no-model"), .noModel)
        XCTAssertEqual(DetectChoice.parse("model v3"), .model(3))
        XCTAssertEqual(DetectChoice.parse("shadow"), .shadow(nil))
        XCTAssertEqual(DetectChoice.parse("shadow 7"), .shadow(7))
        XCTAssertEqual(DetectChoice.parse("promote v2"), .promote(2))
        XCTAssertNil(DetectChoice.parse("model"))
        XCTAssertNil(DetectChoice.parse("bogus"))
    }

    func testDetectWithoutAModelShadowWithoutACandidateAndTeach() throws {
        try writeSharedDeviceRule()
        try open()
        var s = screen(after: "detect bogus")
        XCTAssertTrue(s.contains(":detect [no-model | model V | shadow [V] | promote V]"), s)
        s = screen(after: "detect no-model")
        XCTAssertTrue(s.contains("detection done") && s.contains("detectors alone"), s)
        s = screen(after: "detect shadow")
        XCTAssertTrue(s.contains("no candidate model to shadow"), s)
        s = screen(after: "detect model 4")
        XCTAssertTrue(s.contains("no readable model v4"), s)
        // :teach without a model: the detectors' boundary, shown as the review batch "teach".
        s = screen(after: "teach 2")
        XCTAssertTrue(s.contains("2 accounts to label first") && s.contains("no model yet"), s)
        XCTAssertTrue(s.contains("/2 accounts"), s)
        XCTAssertEqual(try Store(path: dir + "/wb.db").db.int("SELECT count(*) FROM batches WHERE name = 'teach'"), 2)
        s = screen(after: "teach 0")
        XCTAssertTrue(s.contains(":teach [N]"), s)
    }

    /// A scored store's queue opens on the flagged cases; `:teach` must still show every
    /// account it picked (most are near the boundary, unflagged): it once said "20 accounts to
    /// label first" over a queue of 2.
    func testTeachShowsEveryAccountItPickedOverTheFlaggedView() throws {
        try writeSharedDeviceRule()
        try open()
        var s = screen(after: "detect no-model")
        XCTAssertTrue(s.contains("detection done"), s)
        try open()                                        // scored: the queue opens flagged
        guard case .queue(let first) = app.state.top else { return XCTFail(app.frame().text()) }
        XCTAssertTrue(first.query.flaggedOnly)
        s = screen(after: "teach 20")
        XCTAssertTrue(s.contains("20 accounts to label first (no model yet: the detectors are least sure"), s)
        let db = try Store(path: dir + "/wb.db").db
        let picked = try db.int("SELECT count(*) FROM batches WHERE name = 'teach'")
        let unflagged = try db.int("SELECT count(*) FROM batches b JOIN scores s USING (account_id) WHERE b.name = 'teach' AND s.n_findings = 0")
        XCTAssertEqual(picked, 20)
        XCTAssertGreaterThan(unflagged, 0, "the fixture must put unflagged accounts in the batch")
        XCTAssertTrue(s.contains("/20 accounts"), s)
        guard case .queue(let q) = app.state.top else { return XCTFail(s) }
        XCTAssertEqual(q.query.batch, "teach")
        XCTAssertFalse(q.query.flaggedOnly)
    }
}
