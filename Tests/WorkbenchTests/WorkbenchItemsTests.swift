import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// What a new analyst tripped over (issue 14 items 4, 10, 11, 12, 13, 16, 17), each on its
/// own copy of the fixture store; scored stores get a few flagged accounts.
final class WorkbenchItemsTests: WorkbenchCase {
    override class var tag: String { "wbitems" }
    override class var opensAtSetUp: Bool { false }

    /// Opens the workbench; `scored`: four accounts flagged by a detection run first.
    func start(scored: Bool = false, width: Int = 190, closeCase: Bool = true) throws {
        if scored {
            try Store(path: dir + "/wb.db").db.exec("""
                INSERT INTO detect_runs(id, started_at, status) VALUES (1, 0, 'done');
                INSERT INTO scores(account_id, run_id, score, risk_type, group_id, reasons, n_findings) VALUES
                  ('ring-a', 1, 0.95, 'multi_accounting', 'g1', 'shares a device and a card with 1 account', 1),
                  ('ring-b', 1, 0.90, 'multi_accounting', 'g1', 'shares a device and a card with 1 account', 1),
                  ('u00007', 1, 0.80, 'click_farm', NULL, 'acts in lockstep with 12 accounts', 1),
                  ('u00008', 1, 0.70, 'scalper', NULL, 'buys limited items within seconds of release', 1),
                  ('u00009', 1, 0.10, NULL, NULL, '', 0);
                """)
        }
        try open(width: width)
        app.closeCaseOnLabel = closeCase
    }

    func label(_ key: Character, note: String) { press(.char(key)); type(note); press(.enter) }
    var current: String? { if case .queue(let q) = app.state.stack[0] { return q.list.current?.account }; return nil }

    // Item 12: the queue opens on the work; :all is a key away; / finds reasons, labels, notes.
    func testAScoredQueueOpensOnFlaggedUnlabelledCasesAndFiltersShowAsChips() throws {
        try Store(path: dir + "/wb.db").addLabels([LabelInput(account: "u00008", label: .fraud, note: "chargeback ring")], analyst: "ana", source: "cli")
        try start(scored: true)
        XCTAssertTrue(status.contains("1/3 accounts · sort score↓ · flagged · unlabelled"), status)
        XCTAssertEqual((2...4).map { lines()[$0].split(separator: " ")[1] }, ["ring-a", "ring-b", "u00007"])
        command("all")
        XCTAssertTrue(status.contains("1/5 accounts · sort score↓"), status)       // every scored account
        XCTAssertFalse(status.contains("· flagged"), status)
        press(.char("/")); type("lockstep"); press(.enter)
        XCTAssertTrue(status.contains("1/1 accounts"), status)
        XCTAssertTrue(lines()[2].contains("u00007"), lines()[2])
        press(.char("/"), .ctrl("u")); type("chargeback"); press(.enter)       // a label's note
        XCTAssertTrue(lines()[2].contains("u00008") && status.contains("1/1 accounts"), screen)
        press(.char("/"), .ctrl("u")); type("fraud"); press(.enter)            // a label
        XCTAssertTrue(lines()[2].contains("u00008") && status.contains("1/1 accounts"), screen)
        command("flagged")
        press(.char("/"), .ctrl("u")); type("nobody-matches"); press(.enter)
        XCTAssertTrue(screen.contains("No account matches flagged · unlabelled · “nobody-matches”"), screen)
        XCTAssertTrue(status.contains("flagged · unlabelled · filter “nobody-matches”"), status)
    }

    // Item 11: a label closes the case and moves on; the case column shows it.
    func testALabelClosesTheCaseAndMovesToTheNextRow() throws {
        try start(scored: true)
        XCTAssertEqual(current, "ring-a")
        label("1", note: "ring")
        XCTAssertEqual(current, "ring-b")
        XCTAssertEqual(try db.scalar("SELECT status FROM cases WHERE account_id = 'ring-a'").string, "closed")
        XCTAssertTrue(lines()[2].contains(" fraud ") && lines()[2].contains("closed"), lines()[2])
        // From an account opened off the queue, the next row's account takes its place.
        press(.enter)
        XCTAssertEqual(app.state.stack.map(\.title), ["Queue", "Account ring-b"])
        label("2", note: "")
        XCTAssertEqual(app.state.stack.map(\.title), ["Queue", "Account u00007"])
        XCTAssertEqual(try db.scalar("SELECT status FROM cases WHERE account_id = 'ring-b'").string, "closed")
    }

    /// The label prompt ends in a space; a note typed after another one (or ending in blanks)
    /// is kept without them, not as “ chargeback”.
    func testALabelNoteIsKeptWithoutTheBlanksAroundIt() throws {
        try start(scored: true)
        label("1", note: "  chargeback ring  ")
        label("3", note: "   ")
        XCTAssertEqual(try db.rows("SELECT note FROM labels ORDER BY id").map { $0[0].string }, ["chargeback ring", nil])
    }

    func testClosingTheCaseIsConfigurable() throws {
        try start(scored: true, closeCase: false)
        label("1", note: "")
        XCTAssertEqual(current, "ring-b")
        XCTAssertEqual(try db.int("SELECT count(*) FROM cases"), 0)
        let path = dir + "/c.toml"
        try "close_case_on_label = false\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertFalse(try WorkbenchConfig.load(path: path, named: true).closeCaseOnLabel)
        XCTAssertTrue(try WorkbenchConfig.load(path: nil).closeCaseOnLabel)
    }

    // Item 4: u undoes the last label as given (a bulk one whole); Ctrl-R keeps the note.
    func testUndoTakesBackABulkLabelWholeAndRedoKeepsTheNote() throws {
        try start()
        label("1", note: "first")                        // ring-b, single; the cursor moves on
        press(.char(" "), .char(" "))                    // mark the next two rows
        press(.char("2")); press(.enter)
        XCTAssertTrue(status.contains("labelled 2 accounts legit (marked rows)"), status)
        let current = { (a: String) in try self.db.scalar("SELECT label FROM current_labels WHERE account_id = '\(a)'").string }
        let bulk = try db.rows("SELECT account_id FROM labels WHERE label = 'legit'").compactMap { $0[0].string }
        XCTAssertEqual(bulk.count, 2)
        press(.char("u"))
        for a in bulk { XCTAssertNil(try current(a), a) }
        XCTAssertEqual(try current("ring-b"), "fraud", "the earlier single label stays")
        press(.ctrl("r"))
        for a in bulk { XCTAssertEqual(try current(a), "legit", a) }
        press(.char("u"), .char("u"))
        XCTAssertNil(try current("ring-b"))
        XCTAssertEqual(try db.scalar("SELECT status FROM cases WHERE account_id = 'ring-b'").string, "open", "undo reopens the case")
        press(.ctrl("r"))
        XCTAssertEqual(try db.scalar("SELECT note FROM labels WHERE account_id = 'ring-b' ORDER BY id DESC LIMIT 1").string, "first")
        XCTAssertEqual(try db.scalar("SELECT status FROM cases WHERE account_id = 'ring-b'").string, "closed")
    }

    // Item 10: the next case replaces the one in view; H goes home; the breadcrumb keeps its end.
    func testNextCaseReplacesTheCaseInViewAndHomeIsOneKey() throws {
        try start(scored: true, width: 90)
        press(.char("n"))
        press(.char("n"))
        press(.char("n"))
        XCTAssertEqual(app.state.stack.count, 2, app.state.stack.map(\.title).joined(separator: " › "))
        press(.esc)
        XCTAssertEqual(app.state.stack.count, 1)
        command("account ring-a")
        press(.enter)                                     // an identifier's accounts
        press(.enter)                                     // one of them
        press(.char("t"))
        XCTAssertGreaterThan(app.state.stack.count, 3)
        let title = lines()[0]
        XCTAssertTrue(title.contains("Timeline"), "the end of the path shows: \(title)")
        XCTAssertTrue(title.contains("… › "), title)
        press(.char("H"))
        XCTAssertEqual(app.state.stack.count, 1)
    }

    // Item 13: q on the queue asks; a y/N question takes one key.
    func testQuitAsksAndYesNoTakesOneKey() throws {
        try start()
        press(.char("q"))
        XCTAssertTrue(status.contains("quit riskdesk? y/N"), status)
        press(.char("n"))
        XCTAssertFalse(app.state.quit)
        XCTAssertEqual(app.state.mode, .normal)
        press(.char("q"), .esc)
        XCTAssertEqual(app.state.mode, .normal)
        press(.char("q"), .char("x"))                     // not an answer: still asking
        XCTAssertNotEqual(app.state.mode, .normal)
        press(.char("y"))
        XCTAssertTrue(app.state.quit)
    }

    func testTheConsolesWriteQuestionTakesOneKey() throws {
        try start()
        command("sql")
        press(.f(8))
        XCTAssertTrue(status.contains("allow writing"), status)
        press(.char("y"))
        guard case .sql(let q) = app.state.top else { return XCTFail() }
        XCTAssertTrue(q.write)
        XCTAssertEqual(app.state.mode, .normal)
    }

    // Item 13: Esc in the console never leads into the editor, so a later :save is a command.
    func testEscInTheConsoleResultsLeavesTheEditorAloneAndSaveIsACommand() throws {
        try FileManager.default.createDirectory(atPath: dir + "/queries", withIntermediateDirectories: true)
        try start()
        app.rulesDirectory = dir + "/queries/rules"
        command("sql")
        type("SELECT 1 AS x")
        press(.f(5), .esc)                                // to the results
        press(.esc)                                       // once more: still the results
        guard case .sql(let q) = app.state.top else { return XCTFail() }
        XCTAssertTrue(q.focusGrid, screen)
        command("save esc_check")
        guard case .sql(let after) = app.state.top else { return XCTFail() }
        XCTAssertEqual(after.editor.text, "SELECT 1 AS x", "nothing typed into the editor")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/queries/esc_check.sql"), status)
        press(.char("i"))
        guard case .sql(let editing) = app.state.top else { return XCTFail() }
        XCTAssertFalse(editing.focusGrid)
    }

    // Item 16: every column sorts by its header's name; age ▼ is the oldest first.
    func testEveryColumnSortsByItsHeaderName() throws {
        try start(scored: true)
        command("all")
        command("sort cc")        // every account: no score order
        XCTAssertTrue(status.contains("sort country↑"), status)
        XCTAssertTrue(lines()[2].contains(" GB "), lines()[2])
        command("sort age")
        XCTAssertTrue(status.contains("sort age↓"), status)
        XCTAssertTrue(lines()[1].contains("age ▼"), lines()[1])
        let ages = (2...6).compactMap { (l: Int) -> String? in
            guard case .queue(let q) = app.state.top, q.list.rows.indices.contains(l - 2) else { return nil }
            return q.list.rows[l - 2].createdAt.map(String.init)
        }
        XCTAssertEqual(ages, ages.sorted(), "oldest first")
        command("sort risk")      // A to Z, accounts without one last
        XCTAssertTrue(lines()[2].contains("click_farm") && lines()[3].contains("multi_accounting"), screen)
        command("sort last")
        XCTAssertTrue(lines()[1].contains("last seen ▼"), lines()[1])
        XCTAssertTrue(status.contains("sort last_seen↓"), status)
        command("sort label")
        XCTAssertTrue(status.contains("sort label"), status)
        command("sort nonsense")
        XCTAssertTrue(status.contains("sort by a column: account, score, risk, group, label, case, cc, events, last, age"), status)
    }

    // Item 17: y copies the id; :export on any list; label categories are checked.
    func testCopyExportAndCheckedLabelCategories() throws {
        try start()
        press(.char("y"))
        XCTAssertEqual(term.clipboard.first, "ring-b")
        press(.enter, .char("y"))
        XCTAssertEqual(term.clipboard.first, "ring-b")
        command("label fraud bananas")
        XCTAssertTrue(status.contains("'bananas' is not a category"), status)
        command("label legit ato")
        XCTAssertTrue(status.contains("a legit label takes no category"), status)
        XCTAssertEqual(try db.int("SELECT count(*) FROM labels"), 0)
        command("label fraud ato taken over")
        XCTAssertEqual(try db.scalar("SELECT category FROM labels").string, "ato")
        press(.esc)
        command("device dev-shared")
        command("export \(dir)/pivot.csv")
        let pivot = try String(contentsOfFile: dir + "/pivot.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(pivot.count, 3, "\(pivot)")
        XCTAssertTrue(pivot[0].hasPrefix("account_id,score"), "\(pivot)")
        press(.esc)
        press(.char("/")); type("GB"); press(.enter)
        command("export \(dir)/queue.jsonl")
        let queue = try String(contentsOfFile: dir + "/queue.jsonl", encoding: .utf8)
        XCTAssertEqual(queue.split(separator: "\n").count, 300)
        XCTAssertFalse(queue.contains("@mail"), "no PII in an export")
        XCTAssertTrue(status.contains("exported 300 rows"), status)
    }
}
