import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// Every place the workbench can show e-mail or phone: masked until an audited reveal
/// (issue 15 item 10, issue 14 item 8). Over a copy of the fixture store, whose ring-a has
/// joko.santoso@gmail.com / +628111222333.
final class PIITests: WorkbenchCase {
    override class var tag: String { "pii" }
    override class var subdirs: [String] { ["queries/rules"] }
    override class var width: Int { 140 }
    override func configure(_ app: App) { app.rulesDirectory = dir + "/queries/rules" }
    let rawEmail = "joko.santoso@gmail.com", rawPhone = "+628111222333"
    func run(_ sql: String) {
        if console?.focusGrid == true { press(.char("i")) }
        press(.ctrl("l")); type(sql); press(.f(5))
    }
    /// A `:` command from the console (its results have the keys, not the editor).
    func consoleCommand(_ s: String) {
        if console?.focusGrid == false { press(.esc) }
        command(s)
    }
    func audits() throws -> [[SQLValue]] {
        try Store(path: storePath, readOnly: true).db.rows("SELECT analyst, action, account_id, new_value, note FROM audit WHERE action = 'reveal_pii' ORDER BY id")
    }
    func leaks(_ s: String) -> Bool { s.contains(rawEmail) || s.contains(rawPhone) || s.contains("joko.santoso") }

    /// Each way a console statement can reach the PII columns: masked, or refused.
    func testConsoleMasksOrRefusesEveryWayToTheColumns() throws {
        command("sql")
        let masked = PII.maskEmail(rawEmail), maskedPhone = PII.maskPhone(rawPhone)
        let cases: [(sql: String, expect: String)] = [
            ("SELECT account_id, email, phone FROM accounts WHERE account_id = 'ring-a'", masked),
            ("SELECT * FROM accounts WHERE account_id = 'ring-a'", maskedPhone),
            ("SELECT upper(email) AS e FROM accounts a WHERE account_id = 'ring-a'", masked.uppercased()),
            ("SELECT email, phone FROM accounts_iso WHERE account_id = 'ring-a'", masked),
            ("SELECT count(*) AS n FROM accounts WHERE email = '\(rawEmail)'", "n"),   // no oracle: 0 rows match
            ("SELECT email FROM main.accounts WHERE account_id = 'ring-a'", "prohibited"),
            ("SELECT x FROM (SELECT email AS x FROM main.accounts)", "prohibited"),
            ("SELECT account_id FROM main.accounts WHERE email LIKE 'joko%'", "prohibited"),
            ("SELECT email FROM main.accounts_iso", "prohibited"),
        ]
        for c in cases {
            run(c.sql)
            let s = screen
            XCTAssertTrue(s.contains(c.expect), "\(c.sql):\n\(s)")
            if !leaks(c.sql) { XCTAssertFalse(leaks(s), "\(c.sql) leaked:\n\(s)") }
        }
        run("SELECT count(*) AS n FROM accounts WHERE email = '\(rawEmail)'")
        press(.esc)
        XCTAssertEqual(console?.result?.rows.first?.first, .int(0))
        // Escapes from the masking views are refused.
        for sql in ["DROP VIEW temp.accounts", "CREATE TEMP VIEW v AS SELECT 1"] {
            run(sql)
            XCTAssertNotNil(console?.result?.error, sql)
        }
        XCTAssertTrue(try audits().isEmpty)
    }

    func testConsoleRevealNeedsAReasonIsAuditedAndThenShowsTheValues() throws {
        command("sql")
        run("SELECT account_id, email FROM accounts WHERE account_id = 'ring-a'")
        XCTAssertFalse(leaks(screen), screen)
        consoleCommand("reveal")
        XCTAssertTrue(status.contains("needs a reason"), status)
        consoleCommand("reveal    ")
        XCTAssertTrue(try audits().isEmpty)
        consoleCommand("reveal chargeback dispute #4411")
        XCTAssertTrue(status.contains("PII revealed in this SQL console session"), status)
        let rows = try audits()
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?[0].string, "tester")
        XCTAssertEqual(rows.first?[2].string, PII.everyAccount)    // the session may read any account's
        XCTAssertEqual(rows.first?[3].string, "SQL console session")
        XCTAssertEqual(rows.first?[4].string, "chargeback dispute #4411")
        run("SELECT account_id, email FROM main.accounts WHERE account_id = 'ring-a'")
        XCTAssertTrue(screen.contains(rawEmail), screen)
        XCTAssertTrue(screen.contains("PII REVEALED"), screen)
    }

    func testExportOfAConsoleResultIsMasked() throws {
        command("sql")
        run("SELECT account_id, email, phone FROM accounts WHERE account_id LIKE 'ring-%' OR account_id = 'u00001' ORDER BY account_id")
        let out = dir + "/out.csv"
        consoleCommand("export \(out)")
        XCTAssertTrue(status.contains("exported 3 rows"), status)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains(PII.maskEmail(rawEmail)), text)
        XCTAssertFalse(leaks(text), text)
    }

    func testAccountRevealAsksWhyAndIsAudited() throws {
        command("account ring-a")
        XCTAssertTrue(screen.contains(PII.maskEmail(rawEmail)), screen)
        XCTAssertFalse(leaks(screen), screen)
        press(.char("r"))
        XCTAssertTrue(status.contains("why reveal ring-a"), status)
        press(.enter)                                  // no reason given
        XCTAssertTrue(status.contains("needs a reason"), status)
        XCTAssertFalse(leaks(screen), screen)
        XCTAssertTrue(try audits().isEmpty)
        press(.char("r")); type("ATO report from the buyer"); press(.enter)
        XCTAssertTrue(screen.contains(rawEmail) && screen.contains(rawPhone), screen)
        let rows = try audits()
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?[2].string, "ring-a")
        XCTAssertEqual(rows.first?[4].string, "ATO report from the buyer")
        press(.char("r"))                              // hides again, no reason needed
        XCTAssertFalse(leaks(screen), screen)
    }

    /// `/` matches only what the queue shows: not the hidden e-mail.
    func testQueueFilterDoesNotMatchHiddenEmail() {
        press(.char("/")); type("joko.santoso"); press(.enter)
        XCTAssertTrue(status.contains("0/0 accounts") || status.contains("/0 accounts"), status)
        press(.char("/"), .ctrl("u")); type("ring-"); press(.enter)
        XCTAssertTrue(status.contains("/2 accounts"), status)
    }

    func testReadOnlySessionRevealsNothingAndWritesNothing() throws {
        app.readOnly = true
        command("account ring-a")
        press(.char("r"))
        XCTAssertTrue(status.contains("read-only"), status)
        XCTAssertFalse(leaks(screen), screen)
        command("sql")
        consoleCommand("reveal because")
        XCTAssertTrue(status.contains("read-only"), status)
        run("SELECT email FROM accounts WHERE account_id = 'ring-a'")
        XCTAssertFalse(leaks(screen), screen)
        XCTAssertTrue(try audits().isEmpty)
    }

    /// `:export` to a full file system (a real 8 KiB tmpfs; root only, else skipped): an
    /// error on the status line naming the path, no file under the name, the workbench alive.
    func testExportToAFullFileSystemSaysSoAndLeavesNoFile() throws {
        let mnt = dir + "/full"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        guard run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", mnt]) == 0 else {
            throw XCTSkip("cannot mount a small tmpfs here (needs root / CAP_SYS_ADMIN)")
        }
        defer { _ = run(["umount", mnt]) }
        command("sql")
        run("SELECT * FROM events")
        consoleCommand("export \(mnt)/events.csv")
        XCTAssertTrue(app.state.messageIsError, status)
        let m = app.state.message
        XCTAssertTrue(m.contains("\(mnt)/events.csv") && m.contains("No space left on device") && m.contains("nothing written"), m)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mnt), [])
        // Still working: a small export fits.
        run("SELECT account_id FROM accounts WHERE account_id LIKE 'ring-%'")
        consoleCommand("export \(mnt)/ring.csv")
        XCTAssertTrue(status.contains("exported 2 rows"), status)
        XCTAssertEqual(try String(contentsOfFile: mnt + "/ring.csv", encoding: .utf8), "account_id\nring-a\nring-b\n")
    }

    /// Runs a program to completion; its exit status.
    func run(_ argv: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return 127 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
