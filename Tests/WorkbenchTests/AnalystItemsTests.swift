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
}
