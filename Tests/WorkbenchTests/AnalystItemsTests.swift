import Foundation
import RiskDetect
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// Issue 14's analyst items (2, 3, 5, 6, 7, 9, 14, 15, 18, 19): what a new analyst tripped
/// over, each on the in-memory terminal over a copy of the fixture store.
final class AnalystItemsTests: XCTestCase {
    var dir = ""
    var term: MemoryTerminal!
    var app: App!

    override func setUpWithError() throws {
        TextWidth.setUpLocale()
        dir = try Fixture.copy("items")
        term = MemoryTerminal(width: 120, height: 40)
        app = try App(storePath: dir + "/wb.db", terminal: term, theme: Theme.fallback, analyst: "tester", synchronous: true)
    }
    override func tearDown() {
        app = nil
        try? FileManager.default.removeItem(atPath: dir)
    }

    var screen: String { app.frame().text() }
    func lines() -> [String] { screen.components(separatedBy: "\n") }
    var status: String { lines().last ?? "" }
    func press(_ keys: Key...) { for k in keys { app.send(k) } }
    func type(_ s: String) { for c in s { app.send(c == "\n" ? .enter : .char(c)) } }
    func command(_ s: String) { press(.char(":")); type(s); press(.enter) }
    func reopen() throws {
        app = try App(storePath: dir + "/wb.db", terminal: term, theme: Theme.fallback, analyst: "tester", synchronous: true)
    }

    // MARK: item 3 — only a column of account ids opens or batches

    func testItem3EnterAndBatchNeedAColumnOfAccountIds() {
        command("sql")
        func run(_ sql: String) { press(.ctrl("l")); type(sql); press(.f(5), .esc) }
        // A count named `accounts` is no account id: Enter and b say so and stay.
        run("SELECT kind, count(*) AS accounts FROM accounts GROUP BY kind")
        press(.enter)
        XCTAssertTrue(app.state.top.isSQL, screen)
        XCTAssertTrue(status.contains("no account column"), status)
        press(.char("b"))
        XCTAssertTrue(status.contains("no account column"), status)
        guard case .normal = app.state.mode else { return XCTFail("b opened the command line: \(status)") }
        // A bare number neither.
        run("SELECT 17 AS n")
        press(.enter)
        XCTAssertTrue(app.state.top.isSQL, screen)
        XCTAssertFalse(screen.contains("Account 17"), screen)
        // The id column opens, even with the cursor on another column.
        run("SELECT n_events, account_id FROM accounts WHERE account_id = 'ring-a'")
        press(.enter)
        XCTAssertTrue(screen.contains("SQL › Account ring-a"), screen)
    }

    func testItem3AccountColumnNames() {
        for yes in ["account_id", "account", "ACCOUNT_ID", "buyer_account_id", "accountId", "target_account"] {
            XCTAssertTrue(AccountColumn.names(yes), yes)
        }
        for no in ["accounts", "n_accounts", "account_count", "n", "count(*)", "accounts_sharing", "id"] {
            XCTAssertFalse(AccountColumn.names(no), no)
        }
        XCTAssertNil(AccountColumn.pick(columns: ["account"], rows: [[.double(0.5)]], current: 0))
        XCTAssertEqual(AccountColumn.pick(columns: ["n", "account_id"], rows: [[.int(3), .text("a")]], current: 0), 1)
    }

    // MARK: item 5 — :date past the last event

    func testItem5DateAfterTheLastEventShowsTheLastOnesAndKeysRecover() {
        command("account ring-a")
        press(.char("t"))
        command("date 2026-04-01")
        XCTAssertFalse(screen.contains("No events"), screen)
        XCTAssertTrue(status.contains("no events on or after 2026-04-01"), status)
        guard case .timeline(let t) = app.state.top else { return XCTFail() }
        XCTAssertEqual(t.list.current.map { String(Timestamp.iso($0.ts).prefix(10)) }, "2026-03-03")
        press(.char("k"))
        guard case .timeline(let t2) = app.state.top else { return XCTFail() }
        XCTAssertEqual(t2.list.current.map { String(Timestamp.iso($0.ts).prefix(10)) }, "2026-03-02")
        press(.char("g"))
        guard case .timeline(let t3) = app.state.top else { return XCTFail() }
        XCTAssertEqual(t3.list.current?.eventID, "ring-a-0")
        press(.char("G"))
        guard case .timeline(let t4) = app.state.top else { return XCTFail() }
        XCTAssertEqual(t4.list.current?.eventID, "ring-a-5")
    }

    // MARK: item 6 — the case column and line follow c and :status; R keeps the cursor

    func testItem6CaseShowsAtOnceAndRefreshKeepsTheCursor() throws {
        press(.char("j"), .char("j"))
        let row = lines()[4]
        let account = try XCTUnwrap(row.split(separator: " ").dropFirst().first.map(String.init), row)
        press(.char("c"))
        XCTAssertTrue(lines()[4].contains("@tester"), screen)
        // :status on the drill-down: its case line says so at once.
        press(.enter)
        command("status escalated")
        XCTAssertTrue(screen.contains("escalated · held by tester"), screen)
        press(.esc)
        // R reads again and stays on the same account, on the same screen row.
        for _ in 0..<40 { press(.char("j")) }
        guard case .queue(let before) = app.state.top else { return XCTFail() }
        let onRow = before.list.cursor - before.list.scroll
        press(.char("R"))
        guard case .queue(let after) = app.state.top else { return XCTFail() }
        XCTAssertEqual(after.list.current?.account, before.list.current?.account)
        XCTAssertEqual(after.list.cursor - after.list.scroll, onRow)
        XCTAssertEqual(after.list.position, before.list.position)
        XCTAssertTrue(status.contains("\(before.list.position! + 1)/1.2k"), status)
        _ = account
    }
}
