import Assets
import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// The SQL console on the in-memory terminal, over a copy of the fixture store.
final class SQLConsoleTests: WorkbenchCase {
    override class var tag: String { "sql" }
    override class var subdirs: [String] { ["queries/rules"] }

    override func prepare() throws {
        try Data("""
            -- Accounts sharing a device or card with :account_id
            SELECT DISTINCT o.account_id, l.kind FROM links l JOIN links o ON o.kind = l.kind AND o.value = l.value AND o.account_id <> l.account_id
            WHERE l.account_id = :account_id AND l.kind IN ('device', 'payment') ORDER BY 1, 2
            """.utf8).write(to: URL(fileURLWithPath: dir + "/queries/sharing.sql"))
    }
    override func configure(_ app: App) { app.rulesDirectory = dir + "/queries/rules" }

    func openConsole() {
        command("sql")
        XCTAssertNotNil(console, screen)
    }

    func run(_ sql: String) {
        press(.ctrl("l"))
        type(sql)
        press(.f(5))
    }

    func testTypeRunSeeTheGridScrollToTheEndAndBack() {
        openConsole()
        XCTAssertTrue(screen.contains("[SQL]"), screen)
        run("SELECT account_id, n_events, country FROM accounts ORDER BY account_id")
        let s = screen
        XCTAssertTrue(s.contains("account_id") && s.contains("n_events"), s)
        XCTAssertTrue(s.contains("ring-a"), s)
        XCTAssertTrue(status.contains("first 200+ rows"), status)
        // Esc: the results. G reads to the end and says how many.
        press(.esc, .char("G"))
        XCTAssertEqual(console?.result?.total, 1202)
        XCTAssertEqual(console?.result?.cursor, 1201)
        XCTAssertTrue(screen.contains("row 1,202/1,202"), screen)
        XCTAssertTrue(screen.contains("u01199"), screen)
        press(.char("g"))
        XCTAssertEqual(console?.result?.cursor, 0)
        XCTAssertTrue(screen.contains("ring-a"), screen)
        // Numbers are right-aligned, NULL shown as such.
        run("SELECT 7 AS n, NULL AS nada, 'x' AS t")
        let row = screen.components(separatedBy: "\n").first { $0.hasPrefix("   7") } ?? ""
        XCTAssertTrue(row.hasPrefix("   7 NULL x"), screen)
    }

    func testAMillionRowResultIsReadAsScrolledWithAFlatWindow() {
        openConsole()
        run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000) SELECT x, x * 2 AS y FROM c")
        // A million rows are not counted up front: the first window, and "+" for more.
        XCTAssertTrue(status.contains("first 200+ rows in "), status)
        press(.esc)
        var most = 0
        for _ in 0..<300 { press(.pageDown); most = max(most, console?.result?.rows.count ?? 0) }
        let r = console!.result!
        XCTAssertGreaterThan(r.cursor, 300 * 15)
        XCTAssertLessThanOrEqual(most, sqlWindow)            // never more than a window in memory
        XCTAssertEqual(r.current?.first, .int(Int64(r.cursor + 1)))
        press(.char("G"))
        XCTAssertEqual(console?.result?.total, 1_000_000)
        XCTAssertEqual(console?.result?.current?.first, .int(1_000_000))
        for _ in 0..<5 { press(.pageUp) }
        XCTAssertEqual(console?.result?.current?.first, .int(Int64(console!.result!.cursor + 1)))
        press(.char("g"))
        XCTAssertEqual(console?.result?.current?.first, .int(1))
        // Sort by the second column, descending.
        press(.char("l"), .char("S"))
        XCTAssertEqual(console?.result?.current, [.int(1_000_000), .int(2_000_000)])
    }

    func testErrorsNamePositionAndWritesAreRefusedUntilAllowed() throws {
        openConsole()
        run("SELECT 1;\nSELECT * FROM nowhere")
        XCTAssertTrue(status.contains("no such table: nowhere") && status.contains("line 2"), status)
        run("SELECT 1;\nSELECT x FROM accounts WHERE ) 1")
        XCTAssertTrue(status.contains("syntax error") && status.contains("line 2, column 30"), status)
        XCTAssertEqual(console?.result?.errorOffset, 39)
        run("DELETE FROM accounts")
        XCTAssertTrue(status.contains("read-only"), status)
        let db = try Store(path: dir + "/wb.db").db
        XCTAssertEqual(try db.int("SELECT count(*) FROM accounts"), 1202)
        // F8 asks; n keeps read-only; y allows.
        press(.f(8)); type("n"); press(.enter)
        XCTAssertFalse(console!.write)
        press(.f(8))
        XCTAssertTrue(status.contains("allow writing"), status)
        type("y"); press(.enter)
        XCTAssertTrue(console!.write)
        run("DELETE FROM accounts WHERE account_id = 'u00001'")
        XCTAssertTrue(status.contains("1 row changed"), status)
        // A table made here is known to completion at once.
        run("CREATE TABLE scratch_notes(account_id TEXT, note TEXT)")
        press(.ctrl("l"))
        type("SELECT * FROM scratch_n")
        press(.tab)
        XCTAssertEqual(console?.editor.text, "SELECT * FROM scratch_notes")
        XCTAssertEqual(try db.int("SELECT count(*) FROM accounts"), 1201)
        // Labels stay append-only even so.
        run("DELETE FROM labels")
        XCTAssertEqual(console?.result?.error, nil)
        try db.run("INSERT INTO labels(ts, account_id, label, analyst, source) VALUES (1, 'x', 'fraud', 'a', 'cli')")
        run("DELETE FROM labels")
        XCTAssertTrue(status.contains("append-only"), status)
        press(.f(8))
        XCTAssertFalse(console!.write)
    }

    func testSavedQueryAsksForItsParameterAndEnterOpensTheAccount() {
        command("sql sharing")
        XCTAssertTrue(console?.editor.text.contains(":account_id") == true)
        press(.f(5))
        XCTAssertTrue(status.contains(":account_id"), status)
        type("ring-a"); press(.enter)
        XCTAssertTrue(screen.contains("ring-b"), screen)
        XCTAssertEqual(console?.result?.rows.count, 2)   // device and payment
        press(.esc, .enter)
        guard case .account(let a) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(a.id, "ring-b")
        press(.esc)
        XCTAssertNotNil(console)
        // The value is remembered for the next run.
        press(.char("i"), .f(5))
        XCTAssertTrue(status.contains("ring-a"), status)
    }

    /// With the executable's layering: the built-in saved queries and dashboards are there
    /// with nothing on disk, the user's own override them by name, `:save` writes to the
    /// user's folder (made on first use), and `:theme` knows a user theme.
    func testBuiltInQueriesUnderTheUsersAndSaveGoesToTheUsersFolder() throws {
        let config = dir + "/config", empty = dir + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: config + "/themes", withIntermediateDirectories: true)
        let catalog = AssetCatalog.standard(configDir: config, workingDirectory: empty)
        let builtIn = catalog.resolve(.queries).names
        XCTAssertGreaterThanOrEqual(builtIn.count, 5)
        app.catalog = catalog
        var light = try XCTUnwrap(AssetCatalog.builtIn.asset(.themes, named: "light")).text
        light = light.replacingOccurrences(of: "name = \"light\"", with: "name = \"mine\"")
        try light.write(toFile: config + "/themes/mine.toml", atomically: true, encoding: .utf8)
        app.themes = ThemeLibrary(catalog: catalog)
        command("theme mine")
        XCTAssertEqual(app.theme.name, "mine", status)
        openConsole()
        XCTAssertEqual(console?.catalog.saved.map(\.name), builtIn)
        run("SELECT 1 AS x")
        press(.esc)
        command("save \(builtIn[0])")
        let saved = config + "/queries/\(builtIn[0]).sql"
        XCTAssertEqual(try String(contentsOfFile: saved, encoding: .utf8), "SELECT 1 AS x\n", status)
        let mine = try XCTUnwrap(SavedQuery.load(catalog: catalog).first { $0.name == builtIn[0] })
        XCTAssertEqual(mine.path, saved, "the user's query overrides the built-in one of its name")
        XCTAssertEqual(SavedQuery.load(catalog: catalog).count, builtIn.count)
    }

    func testUnreadableSavedQueriesAndUnwritableExportsSaySo() throws {
        try Data([0x53, 0x45, 0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: dir + "/queries/broken.sql"))
        openConsole()
        XCTAssertTrue(app.state.message.hasSuffix("broken.sql: cannot read (not UTF-8 text?); left out of the saved queries"), app.state.message)
        XCTAssertTrue(app.state.messageIsError)
        XCTAssertEqual(console?.catalog.saved.map(\.name), ["sharing"])     // the readable one is still there
        run("SELECT 1 AS x")
        press(.esc)
        command("export \(dir)/no/such/dir/out.csv")
        XCTAssertTrue(app.state.message.contains("out.csv: cannot create the file"), app.state.message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/no/such/dir/out.csv"))
    }

    func testCompletionFromTheLiveSchema() {
        openConsole()
        type("SEL")
        press(.tab)      // SELECT, seller_id…: a list, keywords first
        XCTAssertTrue(screen.contains("seller_id  column of"), screen)
        press(.enter)
        XCTAssertEqual(console?.editor.text, "SELECT")
        type(" a.em")
        press(.tab)    // "a" is not yet an alias: nothing
        type(" FROM accounts a")
        for _ in 0..<16 { press(.left) }
        press(.tab)
        XCTAssertEqual(console?.editor.text, "SELECT a.email FROM accounts a")
        press(.ctrl("l"))
        type("SELECT * FROM acc")
        press(.tab)
        XCTAssertNotNil(console?.completion)
        XCTAssertTrue(screen.contains("accounts_iso"), screen)
        press(.tab, .enter)
        XCTAssertEqual(console?.editor.text, "SELECT * FROM accounts_iso")
        press(.ctrl("l"))
        type("sharing")
        press(.tab)
        XCTAssertTrue(console?.editor.text.contains("JOIN links o") == true)
    }

    func testHistoryIsKeptInTheStoreAndCtrlRFindsIt() throws {
        openConsole()
        run("SELECT count(*) AS n FROM events")
        run("SELECT country, count(*) FROM accounts GROUP BY 1")
        run("SELECT nonsense")
        let h = try Store(path: dir + "/wb.db").db.history()
        XCTAssertEqual(h.count, 3)
        XCTAssertTrue(h[0].error?.hasPrefix("no such column: nonsense") == true)
        XCTAssertEqual(h[2].rows, 1)
        XCTAssertEqual(h[2].analyst, "tester")
        press(.ctrl("l"), .ctrl("r"))
        XCTAssertTrue(screen.contains("History"), screen)
        type("count(*) AS")
        XCTAssertEqual(console?.history?.entries.count, 1)
        press(.enter)
        XCTAssertEqual(console?.editor.text, "SELECT count(*) AS n FROM events")
    }

    func testResultBecomesAReviewBatchQueueViewAndExports() throws {
        openConsole()
        run("SELECT account_id FROM accounts WHERE account_id LIKE 'ring-%'")
        press(.esc, .char("b"))
        guard case .command(let f) = app.state.mode else { return XCTFail("no command line") }
        XCTAssertTrue(f.text.hasPrefix("batch sql-"))
        press(.ctrl("u")); type("batch ring-review"); press(.enter)
        XCTAssertEqual(app.state.tab, .queue)
        guard case .queue(let q) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(q.query.batch, "ring-review")
        XCTAssertEqual(q.list.rows.map(\.account).sorted(), ["ring-a", "ring-b"])
        XCTAssertTrue(status.contains("1/2 accounts") && status.contains("batch ring-review"), status)
        XCTAssertEqual(try Store(path: dir + "/wb.db").db.int("SELECT count(*) FROM audit WHERE action = 'batch'"), 1)
        command("all")
        guard case .queue(let all) = app.state.top else { return XCTFail() }
        XCTAssertNil(all.query.batch)
        // Back to the console as it was left: export the result.
        press(.tab)
        XCTAssertNotNil(console?.result)
        command("export \(dir)/out.csv")
        XCTAssertTrue(status.contains("exported 2 rows"), status)
        XCTAssertEqual(try String(contentsOfFile: dir + "/out.csv", encoding: .utf8), "account_id\nring-a\nring-b\n")
        command("export \(dir)/out.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out.json"))) as? [String: Any]
        XCTAssertEqual((json?["rows"] as? [[String]]) ?? [], [["ring-a"], ["ring-b"]])
        // Copy a cell (OSC 52).
        press(.char("y"))
        XCTAssertEqual(term.clipboard.first, "ring-a")
    }

    func testExplainInspectorSaveAndTabCyclesMainScreens() throws {
        openConsole()
        type("SELECT * FROM events WHERE account_id = 'ring-a'")
        press(.f(6))
        XCTAssertTrue(screen.contains("Query plan"), screen)
        XCTAssertTrue(screen.contains("SEARCH e USING INDEX idx_events_account_ts"), screen)   // v14: events is a view over events_i
        press(.esc)
        press(.f(5), .esc, .char("$"))
        XCTAssertEqual(console?.result?.column, (console?.result?.columns.count ?? 0) - 1)
        press(.char("v"))
        XCTAssertNotNil(console?.inspector)
        press(.esc)
        command("save my_ring")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/queries/my_ring.sql"))
        command("save my_ring")
        XCTAssertTrue(status.contains("save!"), status)
        // Tab: queue → SQL → dashboard → queue, each kept as it was.
        press(.tab)
        XCTAssertEqual(app.state.tab, .dash)
        press(.tab)
        XCTAssertEqual(app.state.tab, .queue)
        press(.tab)
        XCTAssertEqual(console?.editor.text, "SELECT * FROM events WHERE account_id = 'ring-a'")
    }

    func testCtrlCCancelsANeverEndingQueryAndTheUIAnswersMeanwhile() throws {
        try open(synchronous: false)
        openConsole()
        run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
        // No pause: a Ctrl-C that lands before the worker starts the statement stops it too.
        app.drain()
        XCTAssertEqual(console?.result?.running, true, status)
        // Keys still work while it runs.
        type(" -- still typing")
        XCTAssertTrue(console?.editor.text.hasSuffix("-- still typing") == true)
        press(.ctrl("c"))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && console?.result?.running == true { usleep(20_000); app.drain() }
        XCTAssertEqual(console?.result?.running, false)
        XCTAssertTrue(status.contains("cancelled after"), status)
        XCTAssertFalse(app.state.quit)
        // Nothing running: Ctrl-C doesn't quit the console.
        press(.ctrl("c"))
        XCTAssertFalse(app.state.quit)
    }
}
