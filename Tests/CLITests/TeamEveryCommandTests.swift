import Foundation
import RiskStore
import XCTest

/// Issue 13's first ask, command by command: every store command works on a team store named
/// only by `RISKDESK_STORE` (no `--store`), run by the real binary from an empty folder as a
/// real analyst and a real lead, and leaves that folder empty (no stray local store). What a
/// role may not do is refused with a message that names the role and the right; a login role
/// in neither group is told so, not "permission denied for table riskdesk_schema".
final class TeamEveryCommandTests: TeamStoreTestCase {
    func testEveryCommandThroughRISKDESK_STOREFromAnEmptyFolder() throws {
        let sim = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", sim, "--accounts", "150", "--days", "3", "--seed", "11", "--quiet"]).status, 0)
        let lead = try addRole("lee", .lead), analyst = try addRole("ana", .analyst)
        let empty = dir + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        func run(_ as_: String, _ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
            try CLI.run(args, cwd: empty, env: ["RISKDESK_STORE": as_], file: file, line: line)
        }
        func ok(_ as_: String, _ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
            let r = try run(as_, args, file: file, line: line)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)", file: file, line: line)
            return r.stdout
        }
        func refused(_ as_: String, _ args: [String], _ says: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try run(as_, args, file: file, line: line)
            XCTAssertEqual(r.status, 1, "\(args) should be refused: \(r.stdout)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(says), "\(args): \(r.stderr)", file: file, line: line)
            XCTAssertFalse(r.stderr.contains("Fatal error"), "\(args): \(r.stderr)", file: file, line: line)
        }

        // import, detect: leads only; an analyst is told which role it takes.
        try refused(analyst, ["import", sim + "/accounts.csv", sim + "/items.csv", sim + "/events.csv"], "needs the riskdesk_lead role")
        _ = try ok(lead, ["import", sim + "/accounts.csv", sim + "/items.csv", sim + "/events.csv", "--quiet"])
        try refused(analyst, ["detect"], "needs the riskdesk_lead role")
        _ = try ok(lead, ["detect", "--json"])

        // info names the backend and the role.
        let info = try ok(analyst, ["info"])
        XCTAssertTrue(info.contains("PostgreSQL team store, schema v\(PGSchema.latestVersion)"), info)
        XCTAssertTrue(info.contains("\(dbName!)_ana (analyst)"), info)
        XCTAssertFalse(info.contains(":" + (URLComponents(string: analyst)?.password ?? "-") + "@"), "the password is never printed")

        // The queue: take-next, label (the analyst is the role), the case list, exports.
        let next = try ok(analyst, ["cases", "--next"]).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(next.isEmpty)
        // The claim lasts the default two hours (no --claim-ttl given to team init).
        let ttl = try PGConnection(url: ownerURL).int("SELECT claim_expires_at - updated_at FROM cases WHERE account_id = $1", [.text(next)])
        XCTAssertEqual(Double(ttl), 7_200_000, accuracy: 5_000)
        try refused(analyst, ["label", next, "--as", "fraud", "--analyst", "someone"], "--analyst is refused on a team store")
        _ = try ok(analyst, ["label", next, "--as", "fraud", "--category", "brushing"])
        let cases = try ok(analyst, ["cases"])
        XCTAssertTrue(cases.contains(next) && cases.contains("in_review") && cases.contains("fraud"), cases)
        XCTAssertTrue(cases.contains(" \(dbName!)_ana "), "the role's whole name, not cut to the column: \(cases)")
        XCTAssertEqual(try PGConnection(url: ownerURL).scalar("SELECT assignee FROM cases WHERE account_id = $1", [.text(next)]).string, "\(dbName!)_ana")
        let labels = try ok(analyst, ["export", "labels"])
        XCTAssertTrue(labels.contains("\(next),fraud,brushing,\(dbName!)_ana,"), labels)
        let scores = try ok(analyst, ["export", "scores"])
        XCTAssertEqual(scores.split(separator: "\n").count, 151, "a header and one row per account")

        // query (PostgreSQL's dialect, read-only), dash, eval, rejects, rules.
        XCTAssertTrue(try ok(analyst, ["query", "SELECT count(*) AS n FROM events", "--format", "csv"]).hasPrefix("n\n"))
        try refused(analyst, ["query", "--write", "DELETE FROM labels"], "permission denied")
        XCTAssertTrue(try ok(analyst, ["dash", "--print"]).contains("riskdesk dashboard"))
        try FileManager.default.copyItem(atPath: sim + "/truth.csv", toPath: dir + "/truth.csv")
        XCTAssertTrue(try ok(analyst, ["eval", "--truth", dir + "/truth.csv"]).contains("auc"))
        _ = try ok(analyst, ["rejects"])
        XCTAssertTrue(try ok(analyst, ["rules"]).contains("built-in"))

        // train, teach, models: what writes models or runs the detectors is a lead's.
        try refused(analyst, ["train"], "needs the riskdesk_lead role")
        try refused(analyst, ["teach"], "needs the riskdesk_lead role")
        try refused(analyst, ["models", "promote", "1"], "needs the riskdesk_lead role")
        let tooFew = try run(lead, ["train"])
        XCTAssertEqual(tooFew.status, 1)
        XCTAssertTrue(tooFew.stderr.contains("not enough labels"), tooFew.stderr)
        XCTAssertTrue(try ok(analyst, ["models"]).contains("no model trained yet"))
        let teach = try ok(lead, ["teach", "--count", "3", "--batch", "first"])
        XCTAssertTrue(teach.contains("stored as review batch 'first'"), teach)
        let owner = try PGConnection(url: ownerURL)
        XCTAssertEqual(try owner.int("SELECT count(*) FROM batches WHERE name = 'first'"), 3)
        XCTAssertEqual(try owner.scalar("SELECT analyst FROM audit WHERE action = 'batch'").string, "\(dbName!)_lee",
                       "the batch's audit row names the login role")
        let bad = try run(lead, ["models", "promote", "7"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertFalse(bad.stderr.contains("no such store"), bad.stderr)

        // Nothing of it went into a local file.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty), [])
    }

    func testARoleInNeitherGroupIsToldSoAndASinceDateCopiesFromThatDay() throws {
        try seed(accounts: 3)
        let owner = try PGConnection(url: ownerURL)
        let name = "\(dbName!)_nobody"
        try owner.exec("CREATE ROLE \(name) LOGIN PASSWORD 'pw-\(name)'")
        roles.append(name)
        let nobody = Self.url(ownerURL, user: name, password: "pw-\(name)")
        for args in [["info"], ["cases"], ["query", "SELECT 1"], ["export", "scores"], ["tui"]] {
            let r = try CLI.run(args + ["--store", nobody])
            XCTAssertEqual(r.status, 1, "\(args)")
            XCTAssertTrue(r.stderr.contains("\(name) is not an analyst or lead of this team store"), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("team add"), r.stderr)
            XCTAssertFalse(r.stderr.contains("pw-"), "the password is never printed")
        }

        // store copy --since takes a bare date (as its help says): events from that day on.
        let events = write("events.csv", """
            event_id,ts,account_id,type
            e1,2025-12-31T23:59:59.999Z,acct_00001,view
            e2,2026-01-01T00:00:00.000Z,acct_00001,view

            """)
        let imp = try CLI.run(["import", events, "--store", ownerURL, "--quiet"])
        XCTAssertEqual(imp.status, 0, imp.stderr)
        let out = dir + "/since.db"
        let r = try CLI.run(["store", "copy", ownerURL, out, "--since", "2026-01-01"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let ids = try Store(path: out, readOnly: true).db.rows("SELECT event_id FROM events ORDER BY 1").compactMap { $0[0].string }
        XCTAssertEqual(ids, ["e2"])
        let wrong = try CLI.run(["store", "copy", ownerURL, dir + "/x.db", "--since", "31/01/2026"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("--since '31/01/2026': not an ISO 8601 time"), wrong.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.db"))

        // A URL given where only a local store will do is refused as such, never opened as a
        // file name nor shown with its password.
        XCTAssertThrowsError(try Store(path: "postgresql://ana:s3cret@127.0.0.1:1/db", mustExist: true)) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("local (SQLite) store only") && m.contains("ana:***@"), m)
            XCTAssertFalse(m.contains("s3cret"), m)
        }
    }
}
