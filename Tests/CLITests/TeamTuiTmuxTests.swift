import Foundation
import RiskStore
import XCTest

/// The workbench on a team store, end to end: two processes on one PostgreSQL store. The
/// tui runs in tmux as analyst A; `riskdesk label` and `riskdesk cases --claim` run as
/// analyst B. A's screen shows B's label and claim within a second, with no key pressed
/// (LISTEN / NOTIFY, no table polling).
final class TeamTuiTmuxTests: TeamStoreTestCase {
    override func tearDown() {
        Tmux.killServer()
        super.tearDown()
    }

    /// Waits for a screen that holds (two captures alike) and satisfies `done`; returns the
    /// seconds it took, or nil after `timeout`.
    func settle(_ t: Tmux, timeout: TimeInterval, _ done: (String) -> Bool) -> (TimeInterval, String)? {
        let t0 = Date()
        var last = ""
        while Date().timeIntervalSince(t0) < timeout {
            let s = t.screen()
            if done(s) && s == last { return (Date().timeIntervalSince(t0), s) }
            last = s
            usleep(20_000)
        }
        return nil
    }

    func row(_ screen: String, _ account: String) -> String {
        screen.components(separatedBy: "\n").first { $0.contains(" \(account) ") } ?? ""
    }

    func testTuiShowsAnotherAnalystsLabelAndClaimWithinASecond() throws {
        guard Tmux.available else { throw XCTSkip("tmux not installed") }
        try seed(accounts: 30)
        // Each scored account with a finding, as detection leaves them: the queue opens on them.
        try PGConnection(url: ownerURL).run("UPDATE scores SET n_findings = 1")
        let ana = try addRole("ana", .analyst), bob = try addRole("bob", .analyst)
        let bobName = "\(dbName!)_bob"

        // --analyst is refused on a team store: you are your role.
        let refused = try CLI.run(["tui", "--store", ana, "--analyst", "mallory"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--analyst is refused on a team store"), refused.stderr)

        let t = Tmux("\(CLI.binary) tui --store '\(ana)'", width: 160, height: 40, env: ["TERM": "xterm-256color"])
        defer { t.kill() }
        let first = t.wait(for: "acct_00005")
        // The title names the team store (never its password).
        XCTAssertTrue(first.contains(dbName), first)
        XCTAssertFalse(first.contains(String(ana.split(separator: ":")[2].split(separator: "@")[0])), "password on screen:\n\(first)")
        XCTAssertFalse(row(first, "acct_00003").contains("fraud"))

        // B labels an account on A's screen: A's row shows it, with no key pressed.
        let label = try CLI.run(["label", "acct_00003", "--as", "fraud", "--category", "brushing", "--store", bob])
        XCTAssertEqual(label.status, 0, label.stderr)
        let seen = settle(t, timeout: 5) { row($0, "acct_00003").contains("fraud") }
        XCTAssertNotNil(seen, "A's screen never showed B's label:\n\(t.screen())")
        if let (secs, s) = seen {
            print("B's label on A's screen \(String(format: "%.3f", secs)) s after `riskdesk label` returned")
            XCTAssertLessThan(secs, 1.0, "B's label took \(secs) s to show:\n\(s)")
            XCTAssertTrue(s.contains("labelled acct_00003 fraud"), s)
        }

        // B claims another: A's row shows B as its assignee.
        let claim = try CLI.run(["cases", "--claim", "acct_00004", "--store", bob])
        XCTAssertEqual(claim.status, 0, claim.stderr)
        let claimed = settle(t, timeout: 5) { row($0, "acct_00004").contains("@" + bobName.prefix(6)) }
        XCTAssertNotNil(claimed, "A's screen never showed B's claim:\n\(t.screen())")
        if let (secs, s) = claimed {
            print("B's claim on A's screen \(String(format: "%.3f", secs)) s after `riskdesk cases --claim` returned")
            XCTAssertLessThan(secs, 1.0, "B's claim took \(secs) s to show:\n\(s)")
        }

        // A's own claim goes through the store's claim function as A's role.
        // The queue's order is read off the screen once it is still: B's label may have moved
        // acct_00003 (the re-read after a notification shows the queue as the store orders it).
        t.keys("j", "j", "j", "j", "j")
        let still = settle(t, timeout: 5) { _ in true }?.1 ?? t.screen()
        var shown: [String] = []
        for line in still.components(separatedBy: "\n") {
            guard let r = line.range(of: #"acct_[0-9]{5}"#, options: .regularExpression) else { continue }
            let a = String(line[r])
            if !shown.contains(a) { shown.append(a) }
        }
        XCTAssertGreaterThan(shown.count, 5, still)
        t.keys("c")
        t.wait(for: "yours to review")
        let owner = try PGConnection(url: ownerURL)
        XCTAssertEqual(try owner.rows("SELECT account_id, status FROM cases WHERE assignee = $1", [.text("\(dbName!)_ana")]).map { $0.map(\.description) },
                       [[shown.count > 5 ? shown[5] : "?", "in_review"]], still)
        t.keys("q")
    }
}
