import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// The workbench on a team store (PostgreSQL, a real server: RISKDESK_TEST_PG_URL, which
/// scripts/test sets from scripts/setup-postgres). The fixture store is copied into a
/// database of the test's own, with two analyst roles; the workbench runs as one of them in
/// an in-memory terminal. Without a server the tests are skipped (under CI=true they fail).
final class TeamWorkbenchTests: XCTestCase {
    var adminURL = ""
    var dbName = ""
    var ownerURL = ""
    var anaURL = ""
    var bobURL = ""
    var roles: [String] = []
    var term: MemoryTerminal!
    var app: App!

    static func url(_ base: String, database: String? = nil, user: String? = nil, password: String? = nil) -> String {
        var c = URLComponents(string: base)!
        if let database { c.path = "/" + database }
        if let user { c.user = user; c.password = password }
        return c.string!
    }

    override func setUpWithError() throws {
        TextWidth.setUpLocale()
        let env = ProcessInfo.processInfo.environment
        guard let url = env["RISKDESK_TEST_PG_URL"], !url.isEmpty else {
            if env["CI"] == "true" { XCTFail("CI=true but RISKDESK_TEST_PG_URL is not set: run scripts/setup-postgres (scripts/test does)") }
            throw XCTSkip("no PostgreSQL server (set RISKDESK_TEST_PG_URL; scripts/test runs scripts/setup-postgres)")
        }
        adminURL = url
        dbName = "rdw_" + UUID().uuidString.prefix(8).lowercased()
        try PGConnection(url: url).exec("CREATE DATABASE \(dbName)")
        ownerURL = Self.url(url, database: dbName)
        try PGStore.teamInit(url: ownerURL)
        // The fixture's accounts, events, links and audit, as a team store holds them.
        _ = try StoreCopy.sqliteToPG(try Store(path: Fixture.path, readOnly: true), try PGStore(url: ownerURL))
        for (name, keyPath) in [("ana", \TeamWorkbenchTests.anaURL), ("bob", \TeamWorkbenchTests.bobURL)] {
            let role = "\(dbName)_\(name)"
            let pw = try PGStore.teamAdd(url: ownerURL, name: role, role: .analyst)
            roles.append(role)
            self[keyPath: keyPath] = Self.url(ownerURL, user: role, password: pw)
        }
        term = MemoryTerminal(width: 140, height: 40)
        app = try App(storePath: anaURL, terminal: term, theme: Theme.fallback, analyst: "\(dbName)_ana", synchronous: true)
    }

    override func tearDown() {
        app = nil
        if !dbName.isEmpty, let admin = try? PGConnection(url: adminURL) {
            try? admin.exec("DROP DATABASE IF EXISTS \(dbName) WITH (FORCE)")
            for r in roles { try? admin.exec("DROP ROLE IF EXISTS \(r)") }
        }
    }

    var screen: String { app.frame().text() }
    func lines() -> [String] { screen.components(separatedBy: "\n") }
    func press(_ keys: Key...) { for k in keys { app.send(k) } }
    func type(_ s: String) { for c in s { app.send(.char(c)) } }
    func statusLine() -> String { lines().last ?? "" }
    func owner() throws -> PGConnection { try PGConnection(url: ownerURL) }

    /// Lets the listener's messages in until `done` holds; false after `timeout` seconds.
    func pump(timeout: TimeInterval, _ done: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            app.drain()
            if done() { return true }
            usleep(10_000)
        }
        return false
    }

    func testQueueOnATeamStoreIsTheSameQueueAsOnTheLocalStore() throws {
        let l = lines()
        XCTAssertTrue(l[0].contains("\(dbName)_ana@127.0.0.1") || l[0].contains("\(dbName)_ana@"), l[0])
        XCTAssertFalse(l[0].contains(":***") || l[0].contains(anaURL.split(separator: "@")[0].split(separator: ":").last!), l[0])
        XCTAssertTrue(l[2].contains("ring-b") && l[2].contains("60"), l[2])
        XCTAssertTrue(statusLine().contains("1/1.2k accounts"), statusLine())
        XCTAssertFalse(screen.contains("joko.santoso"))
        // Walk the whole queue by pages on both backends: the same accounts in the same order,
        // and never more than a window of rows in memory.
        let local = try App(storePath: Fixture.path, terminal: MemoryTerminal(width: 140, height: 40), theme: Theme.fallback,
                            analyst: "t", synchronous: true)
        var seenPG: [String] = [], seenLocal: [String] = []
        for _ in 0..<40 {
            guard case .queue(let q) = app.state.top, case .queue(let ql) = local.state.top else { return XCTFail() }
            XCTAssertLessThanOrEqual(q.list.rows.count, windowRows + pageSize)
            if let c = q.list.current { seenPG.append(c.account) }
            if let c = ql.list.current { seenLocal.append(c.account) }
            press(.pageDown)
            local.send(.pageDown)
        }
        XCTAssertEqual(seenPG, seenLocal)
        press(.char("G"))
        XCTAssertTrue(statusLine().contains("1202/1.2k"), statusLine())
        // A filter runs on the server too.
        press(.char("g"), .char("/")); type("u0119"); press(.enter)
        guard case .queue(let f) = app.state.top else { return XCTFail() }
        XCTAssertEqual(Set(f.list.rows.map(\.account)), Set((1190...1199).map { String(format: "u%05d", $0) }))
    }

    func testAccountMaskedUntilRevealedThroughTheAuditedFunctionThenTimeline() throws {
        press(.enter)
        var s = screen
        XCTAssertTrue(s.contains("Account ring-b"), s)
        XCTAssertFalse(s.contains("joko.santoso1@gmail.com"), s)
        XCTAssertTrue(s.contains("device       dev-shared"), s)
        XCTAssertTrue(s.contains("ring-a"), s)
        press(.char("r")); type("ring check"); press(.enter)
        s = screen
        XCTAssertTrue(s.contains("joko.santoso1@gmail.com"), s)
        XCTAssertTrue(s.contains("+628111222334"), s)
        let audit = try owner().rows("SELECT analyst, source, action, note FROM audit WHERE account_id = 'ring-b' AND action = 'reveal_pii'")
        XCTAssertEqual(audit.map { $0.map(\.description) }, [["\(dbName)_ana", "tui", "reveal_pii", "ring check"]])
        // Hidden again with r; no new audit row for hiding.
        press(.char("r"))
        XCTAssertFalse(screen.contains("joko.santoso1@gmail.com"))
        // The timeline pages the account's events from the partitioned table.
        press(.char("t"))
        s = screen
        XCTAssertTrue(s.contains("Timeline ring-b"), s)
        XCTAssertTrue(s.contains("── Sun 2026-03-01"), s)
        XCTAssertTrue(s.contains("view"), s)
    }

    func testLabelAndClaimAsTheLoginRoleThroughTheCaseStorePaths() throws {
        // `1` labels the row in view fraud: the label and its audit row carry ana's role.
        let first = try XCTUnwrap({ if case .queue(let q) = app.state.top { return q.list.current?.account } else { return nil } }())
        press(.char("c"))
        XCTAssertTrue(statusLine().contains("claimed"), statusLine())
        let o = try owner()
        XCTAssertEqual(try o.scalar("SELECT assignee FROM cases WHERE account_id = $1", [.text(first)]).string, "\(dbName)_ana")
        press(.char("1"), .enter)
        XCTAssertTrue(statusLine().contains("labelled \(first) fraud"), statusLine())
        XCTAssertEqual(try o.rows("SELECT label, analyst, source FROM labels WHERE account_id = $1", [.text(first)]).map { $0.map(\.description) },
                       [["fraud", "\(dbName)_ana", "tui"]])
        XCTAssertEqual(try o.int("SELECT count(*) FROM audit WHERE account_id = $1 AND action = 'label' AND analyst = $2", [.text(first), .text("\(dbName)_ana")]), 1)
        // The label closed the case (the workbench's default), through the status function.
        XCTAssertEqual(try o.scalar("SELECT status FROM cases WHERE account_id = $1", [.text(first)]).string, "closed")
        // u undoes: a `none` label appended (labels are append-only), the case reopened.
        press(.char("k"), .char("u"))
        XCTAssertEqual(try o.scalar("SELECT label FROM labels WHERE account_id = $1 ORDER BY id DESC LIMIT 1", [.text(first)]).string, "none")
        XCTAssertEqual(try o.int("SELECT count(*) FROM labels WHERE account_id = $1", [.text(first)]), 2)
        // A case bob holds: ana's label is stored, bob's claim stays (the server won't close it for her).
        guard case .queue(let q) = app.state.top, let held = q.list.rows.dropFirst(3).first?.account else { return XCTFail() }
        try PGStore(url: bobURL).claim(held, source: "cli")
        type(":account \(held)"); press(.enter)
        press(.char("2"), .enter)
        XCTAssertTrue(statusLine().contains("labelled \(held) legit"), statusLine())
        XCTAssertEqual(try o.rows("SELECT status, assignee FROM cases WHERE account_id = $1", [.text(held)]).map { $0.map(\.description) },
                       [["in_review", "\(dbName)_bob"]])
        XCTAssertEqual(try o.scalar("SELECT label FROM current_labels WHERE account_id = $1", [.text(held)]).string, "legit")
    }

    func testAnotherAnalystsLabelClaimAndStatusReachEveryScreenWithoutPolling() throws {
        // ana has the queue in view and ring-a open on another stack (the SQL tab keeps its own).
        guard case .queue(let q) = app.state.top else { return XCTFail() }
        let rows = q.list.rows.prefix(5).map(\.account)
        let bob = try PGStore(url: bobURL)
        let bobRole = "\(dbName)_bob"
        try bob.addLabels([LabelInput(account: rows[2], label: .fraud, category: "brushing")], source: "cli")
        XCTAssertTrue(pump(timeout: 2) {
            guard case .queue(let q) = app.state.top else { return false }
            return q.list.rows.first { $0.account == rows[2] }?.label == "fraud"
        }, "bob's label never reached ana's queue:\n\(screen)")
        XCTAssertTrue(statusLine().contains("\(bobRole) labelled \(rows[2]) fraud"), statusLine())
        XCTAssertTrue(lines().first { $0.contains(" \(rows[2]) ") }?.contains("fraud") == true, screen)

        try bob.claim(rows[3], source: "cli")
        XCTAssertTrue(pump(timeout: 2) {
            guard case .queue(let q) = app.state.top else { return false }
            return q.list.rows.first { $0.account == rows[3] }?.assignee == bobRole
        }, "bob's claim never reached ana's queue:\n\(screen)")
        XCTAssertTrue(statusLine().contains("\(bobRole) claimed \(rows[3])"), statusLine())

        // An account screen showing the account reads it again: its label history and case.
        type(":account \(rows[4])"); press(.enter)
        XCTAssertTrue(screen.contains("Account \(rows[4])"), screen)
        try bob.claim(rows[4], source: "cli")
        try bob.setCaseStatus(rows[4], "escalated", source: "cli")
        XCTAssertTrue(pump(timeout: 2) {
            guard case .account(let a) = app.state.top else { return false }
            return a.profile?.caseStatus == "escalated" && a.profile?.assignee == bobRole
        }, "bob's status change never reached ana's account screen:\n\(screen)")
        // And the queue under it has the new status too. The claim and the status change are
        // two notifications: the account screen's read after the first may already see the
        // second's commit before the listener hands the second over, so wait for it as well.
        XCTAssertTrue(pump(timeout: 2) {
            guard case .queue(let q2) = app.state.stack[0] else { return false }
            return q2.list.rows.first { $0.account == rows[4] }?.caseStatus == "escalated"
        }, "bob's status change never reached the queue under the account screen:\n\(screen)")
    }

    func testDashboardOnATeamStoreRedrawsWhenAnotherAnalystLabels() throws {
        app.command("dash")
        guard case .dash(let d) = app.state.top else { return XCTFail(screen) }
        XCTAssertFalse(d.panels.isEmpty, screen)
        XCTAssertTrue(d.panels.allSatisfy { $0.error == nil }, d.panels.compactMap(\.error).joined(separator: "\n"))
        let before = d.loadedAt ?? 0
        usleep(5_000)
        // No version to poll on a team store: bob's label arrives as a message and the dashboard reads again.
        try PGStore(url: bobURL).addLabels([LabelInput(account: "ring-a", label: .fraud)], source: "cli")
        XCTAssertTrue(pump(timeout: 2) {
            guard case .dash(let d) = app.state.top else { return false }
            return (d.loadedAt ?? 0) > before && !d.loading
        }, "the dashboard never read again after bob's label:\n\(screen)")
    }

    var console: SQLScreen? { if case .sql(let q) = app.state.top { return q }; return nil }
    func run(_ sql: String) { press(.ctrl("l")); type(sql); press(.f(5)) }

    func testSQLConsoleSpeaksPostgreSQLAsTheRoleWithPIIRefused() throws {
        app.command("sql")
        XCTAssertNotNil(console, screen)
        XCTAssertTrue(lines()[0].contains("SQL (PostgreSQL)"), lines()[0])
        XCTAssertTrue(screen.contains("read from PostgreSQL as you scroll"), screen)
        // PostgreSQL syntax (a cast, ||), a :parameter asked for.
        run("SELECT account_id, n_events::text AS n FROM accounts_masked WHERE account_id LIKE :p || '%' ORDER BY account_id")
        XCTAssertTrue(statusLine().contains(":p"), statusLine())
        type("ring"); press(.enter)
        XCTAssertEqual(console?.result?.columns, ["account_id", "n"])
        XCTAssertEqual(console?.result?.rows.map { $0[0].string ?? "" }, ["ring-a", "ring-b"])
        XCTAssertEqual(console?.result?.rows.map { $0[1] }, [.text("6"), .text("60")])
        // A long result is a server-side cursor: G reads to the end and counts, g goes back.
        run("SELECT account_id FROM accounts_masked ORDER BY account_id")
        press(.esc, .char("G"))
        XCTAssertEqual(console?.result?.total, 1202)
        XCTAssertTrue(screen.contains("u01199"), screen)
        press(.char("g"))
        XCTAssertTrue(screen.contains("ring-a"), screen)
        // PII: a plain SELECT of e-mail is refused by the server, and the message says where to go.
        press(.char("i"))
        run("SELECT account_id, email FROM accounts WHERE account_id = 'ring-a'")
        XCTAssertEqual(console?.result?.rows.first?[1], .text(PII.maskEmail("joko.santoso@gmail.com")))   // the masked view: the one mask, as on SQLite
        run("SELECT email FROM public.accounts")
        let denied = console?.result?.error ?? ""
        XCTAssertTrue(denied.contains("permission denied"), denied)
        XCTAssertTrue(denied.contains("riskdesk_reveal_pii"), denied)
        // The read connection is read-only until F8: a write is refused with the way to allow it.
        run("INSERT INTO sql_history (sql) VALUES ('x')")
        XCTAssertTrue(console?.result?.error?.contains("F8 allows writing") == true, console?.result?.error ?? statusLine())
        // The history is the role's own, on the server.
        let o = try owner()
        XCTAssertGreaterThanOrEqual(try o.int("SELECT count(*) FROM sql_history WHERE analyst = $1", [.text("\(dbName)_ana")]), 3)
    }

    func testCtrlCCancelsALongStatementOnTheServer() throws {
        app = try App(storePath: anaURL, terminal: term, theme: Theme.fallback, analyst: "x", synchronous: false)
        app.command("sql")
        run("SELECT pg_sleep(30)")
        app.drain()
        XCTAssertEqual(console?.result?.running, true, statusLine())
        press(.ctrl("c"))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && console?.result?.running == true { usleep(20_000); app.drain() }
        XCTAssertEqual(console?.result?.running, false)
        XCTAssertTrue(statusLine().contains("cancelled after"), statusLine())
        // The console works again at once.
        run("SELECT 1 AS one")
        let end = Date().addingTimeInterval(10)
        while Date() < end && console?.result?.columns != ["one"] { usleep(20_000); app.drain() }
        XCTAssertEqual(console?.result?.rows.first?.first, .int(1))
    }

    /// The listener's connection is ended by the server (pg_terminate_backend) while the
    /// role can't log in again: the title bar says live updates are down, and stays so while
    /// reconnecting fails; once the role may log in, the listener is back by itself, the queue
    /// is read again (bob's label made meanwhile shows) and later changes arrive live again.
    func testLiveUpdatesReconnectAfterTheServerDropsTheListener() throws {
        guard case .queue(let q) = app.state.top else { return XCTFail() }
        let rows = q.list.rows.prefix(3).map(\.account)
        let admin = try PGConnection(url: adminURL)
        let ana = "\(dbName)_ana"
        let listening = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'riskdesk listen' AND usename = $2"
        XCTAssertEqual(try admin.rows(listening, [.text(dbName), .text(ana)]).count, 1)
        try admin.exec("ALTER ROLE \(ana) NOLOGIN")
        try admin.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'riskdesk listen'",
                      [.text(dbName)])
        XCTAssertTrue(pump(timeout: 5) { app.state.liveDown }, "the lost connection was never noticed:\n\(screen)")
        XCTAssertTrue(lines()[0].contains("LIVE UPDATES DOWN"), lines()[0])
        XCTAssertTrue(statusLine().contains("live updates down"), statusLine())
        // Still down while the server refuses the login (several attempts).
        XCTAssertFalse(pump(timeout: 1.5) { !app.state.liveDown }, "back although the role can't log in:\n\(screen)")
        XCTAssertTrue(lines()[0].contains("LIVE UPDATES DOWN"), lines()[0])
        // A change made while nobody listens for ana: never announced to her.
        try PGStore(url: bobURL).addLabels([LabelInput(account: rows[1], label: .fraud)], source: "cli")
        try admin.exec("ALTER ROLE \(ana) LOGIN")
        XCTAssertTrue(pump(timeout: 10) { !app.state.liveDown }, "the listener never came back:\n\(screen)")
        XCTAssertFalse(lines()[0].contains("LIVE UPDATES DOWN"), lines()[0])
        XCTAssertEqual(try admin.rows(listening, [.text(dbName), .text(ana)]).count, 1)
        // The queue was read again: the label made while down is on its row.
        XCTAssertTrue(pump(timeout: 2) {
            guard case .queue(let q) = app.state.top else { return false }
            return q.list.rows.first { $0.account == rows[1] }?.label == "fraud"
        }, "the label made while down never showed:\n\(screen)")
        // And live again: a claim arrives as a notification.
        try PGStore(url: bobURL).claim(rows[2], source: "cli")
        XCTAssertTrue(pump(timeout: 2) {
            guard case .queue(let q) = app.state.top else { return false }
            return q.list.rows.first { $0.account == rows[2] }?.assignee == "\(dbName)_bob"
        }, "bob's claim never arrived after the reconnect:\n\(screen)")
    }

    /// jsonb's key operators `?`, `?|`, `?&` are operators on PostgreSQL, not placeholders;
    /// a :name parameter beside them is still asked for.
    func testJSONBQuestionMarkOperatorsInThePostgreSQLConsole() throws {
        XCTAssertEqual(try PGConsoleService.numbered("SELECT j ? 'a', j ?| array['b'], j ?& array['c'] FROM t WHERE x = :p AND y::int = :p",
                                                     params: ["p": "1"]).0,
                       "SELECT j ? 'a', j ?| array['b'], j ?& array['c'] FROM t WHERE x = $1 AND y::int = $1")
        app.command("sql")
        run(#"SELECT account_id, '{"a": 1, "b": 2}'::jsonb ? 'a' AS has_a, '{"a": 1}'::jsonb ?| array['x', 'a'] AS any_of, '{"a": 1}'::jsonb ?& array['a', 'x'] AS all_of FROM accounts_masked WHERE account_id = :acct"#)
        XCTAssertTrue(statusLine().contains(":acct"), statusLine())
        type("ring-a"); press(.enter)
        XCTAssertNil(console?.result?.error, console?.result?.error ?? "")
        XCTAssertEqual(console?.result?.columns, ["account_id", "has_a", "any_of", "all_of"])
        XCTAssertEqual(console?.result?.rows.first?.map(\.description), ["ring-a", "1", "1", "0"])
    }

    /// Outside tests the first frame doesn't wait for the listener's login: the queue is on
    /// screen and keys work at once; once it listens, the queue is read again, quietly, where
    /// the analyst is by then, with what changed before it listened.
    func testTheListenerConnectsBesideTheFirstFrameAndTheQueueIsReadAgainWhereTheAnalystIs() throws {
        guard case .queue(let q0) = app.state.top else { return XCTFail() }
        let rows = q0.list.rows.prefix(8).map(\.account)
        app = nil
        app = try App(storePath: anaURL, terminal: term, theme: Theme.fallback, analyst: "\(dbName)_ana", synchronous: false)
        guard case .queue(let q1) = app.state.top else { return XCTFail() }
        XCTAssertEqual(q1.list.rows.prefix(8).map(\.account), rows, "the first page is read before the first frame")
        for _ in 0..<5 { press(.down) }
        try PGStore(url: bobURL).addLabels([LabelInput(account: rows[1], label: .fraud)], source: "cli")
        let admin = try PGConnection(url: adminURL)
        let listening = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'riskdesk listen'"
        XCTAssertTrue(pump(timeout: 10) {
            guard case .queue(let q) = app.state.top, !q.list.loading else { return false }
            return q.list.rows.first { $0.account == rows[1] }?.label == "fraud"
                && (try? admin.int(listening, [.text(dbName)])) == 1
        }, "bob's label never showed, or never listening:\n\(screen)")
        guard case .queue(let q2) = app.state.top else { return XCTFail() }
        XCTAssertEqual(q2.list.current?.account, rows[5], "the re-read moved the cursor")
        XCTAssertFalse(app.state.liveDown)
        XCTAssertFalse(statusLine().contains("refreshed"), statusLine())
        // And live from then on: a claim arrives as a notification.
        try PGStore(url: bobURL).claim(rows[2], source: "cli")
        XCTAssertTrue(pump(timeout: 3) {
            guard case .queue(let q) = app.state.top else { return false }
            return q.list.rows.first { $0.account == rows[2] }?.assignee == "\(dbName)_bob"
        }, "bob's claim never arrived:\n\(screen)")
        XCTAssertTrue(statusLine().contains("claimed \(rows[2])"), statusLine())
    }
}
