import Foundation
import RiskDetect
import RiskStore
import XCTest

/// Every command on a team store, run as the real binary with real roles: the same answers
/// as on the local store the same files went into, PII masked as on SQLite, and a lead's
/// rights where detection, models or imports write.
final class TeamCommandsTests: TeamStoreTestCase {
    var lead: String!
    var analyst: String!
    var sim: String!

    /// The same simulated files (with two rows the importer rejects, one an accounts row with
    /// an e-mail) imported into the local store and, by a lead, into the team store.
    func importBoth(accounts: Int = 150, seed: Int = 7) throws {
        sim = dir + "/sim"
        let r = try CLI.run(["simulate", "--out", sim, "--accounts", "\(accounts)", "--days", "3", "--seed", "\(seed)", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try FileManager.default.moveItem(atPath: sim + "/truth.csv", toPath: dir + "/truth.csv")
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: sim + "/accounts.csv"))
        h.seekToEndOfFile()
        h.write(Data("bad-acct,not-a-time,secret.person@example.org,+628123456789\n".utf8))
        h.closeFile()
        XCTAssertEqual(try CLI.run(["import", "--store", store, sim, "--quiet"]).status, 0)
        lead = try addRole("lee", .lead)
        analyst = try addRole("ana", .analyst)
        let t = try CLI.run(["import", "--store", lead, sim, "--quiet"])
        XCTAssertEqual(t.status, 0, t.stderr)
    }

    /// Detection reads each event's currency from the team store as from the local one: takeovers
    /// judge amounts within their currency, so a scan that left the codes out (the team store's,
    /// before review37) scored a store of mixed currencies differently from its local copy.
    func testDetectionReadsTheEventsCurrenciesFromTheTeamStoreAsFromTheLocalStore() throws {
        try importBoth()
        // A later file of refund claims with words (a comma, a quote, an emoji, a line break), imported
        // into both stores: the small simulated store may hold no worded claim of its own.
        let claims = dir + "/claims.csv"
        try Data(("event_id,ts,account_id,type,order_id,amount,currency,status,text\n"
                  + "cl1,2026-10-03T10:00:00Z,claimer1,refund,o-cl1,20,USD,not_received,\"box was empty, \"\"really\"\" 📦\"\n"
                  + "cl2,2026-10-03T11:00:00Z,claimer2,refund,o-cl2,20,USD,item_missing,\"only packaging\nno product\"\n"
                  + "cl3,2026-10-03T12:00:00Z,claimer3,refund,o-cl3,20,USD,damaged,\n").utf8).write(to: URL(fileURLWithPath: claims))
        for target in [store, lead!] {
            let r = try CLI.run(["import", "--store", target, "--kind", "events", claims, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        func codes(_ t: EventTable) -> [String: Int] {
            var h: [String: Int] = [:]
            for c in t.currency { h[c == 255 ? "-" : t.currencies.string(Int32(c)), default: 0] += 1 }
            return h
        }
        let team = try EventTable.load(from: PGConnection(url: ownerURL))
        let local = try EventTable.load(from: Store(path: store, readOnly: true).db)
        XCTAssertEqual(team.count, local.count)
        XCTAssertEqual(team.currency.count, team.count, "one code an event")
        XCTAssertGreaterThan(codes(local)["USD"] ?? 0, 0, "the simulated orders carry USD")
        XCTAssertEqual(codes(team), codes(local))
        // Orders' and refunds' order ids, as keys, from both scans (refund-fdr reads them).
        XCTAssertEqual(team.orderKey.count, team.count)
        XCTAssertEqual(team.orderKey.sorted(), local.orderKey.sorted())
        XCTAssertTrue(local.orderKey.contains { $0 != 0 }, "the simulated orders carry ids")
        // Texts — reviews', messages' and refund claims' words (claim-scripts reads the last) — from both.
        func texts(_ t: EventTable, _ kind: EventKind) -> [String] {
            (0..<t.count).filter { t.kind[$0] == kind && t.textRef[$0] >= 0 }.map { t.texts[Int(t.textRef[$0])] }.sorted()
        }
        XCTAssertTrue(texts(local, .refund).contains("box was empty, \"really\" 📦"), "\(texts(local, .refund).prefix(5))")
        XCTAssertTrue(texts(local, .refund).contains("only packaging\nno product"))
        for kind in [EventKind.refund, .review, .message] { XCTAssertEqual(texts(team, kind), texts(local, kind), "\(kind)") }
    }

    func testDetectOnATeamStoreScoresAsTheLocalStoreDoesAndNeedsALead() throws {
        try importBoth()
        let refused = try CLI.run(["detect", "--store", analyst])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("needs the riskdesk_lead role"), refused.stderr)
        let pg = try PGConnection(url: ownerURL)
        XCTAssertEqual(try pg.int("SELECT count(*) FROM detect_runs"), 0, "an analyst's refused run leaves no trace")

        let local = try CLI.run(["detect", "--store", store, "--json"])
        XCTAssertEqual(local.status, 0, local.stderr)
        let team = try CLI.run(["detect", "--store", lead, "--json"])
        XCTAssertEqual(team.status, 0, team.stderr)
        let l = try jsonObject(local.stdout), t = try jsonObject(team.stdout)
        for key in ["events", "accounts", "flagged", "groups"] { XCTAssertEqual(l[key] as? Int, t[key] as? Int, key) }
        XCTAssertGreaterThan(t["flagged"] as? Int ?? 0, 0)
        // Every detector and rule ran on the server's events, none failed.
        let failed = (t["detectors"] as? [[String: Any]] ?? []).filter { $0["error"] != nil }
        XCTAssertTrue(failed.isEmpty, "\(failed)")
        XCTAssertEqual((t["detectors"] as? [[String: Any]])?.filter { ($0["name"] as? String)?.hasPrefix("rule:") == true }.count, 5)

        // The same scores, account by account, and the same findings.
        let ls = try CLI.run(["export", "scores", "--store", store]), ts = try CLI.run(["export", "scores", "--store", analyst])
        XCTAssertEqual(ts.status, 0, ts.stderr)
        XCTAssertEqual(ls.stdout, ts.stdout)
        let findings = "SELECT account_id, detector, risk_type, strength, reason, group_id FROM findings ORDER BY account_id, detector, strength, reason"
        XCTAssertEqual(try pg.rows(findings), try Store(path: store, readOnly: true).db.rows(findings))
        // Measured against the simulation's truth: the same numbers.
        let le = try CLI.run(["eval", "--store", store, "--truth", dir + "/truth.csv", "--format", "json"])
        let te = try CLI.run(["eval", "--store", analyst, "--truth", dir + "/truth.csv", "--format", "json"])
        XCTAssertEqual(te.status, 0, te.stderr)
        XCTAssertEqual(le.stdout, te.stdout)
    }

    func testQueryExportRejectsAndDashboardsOnATeamStoreKeepPIIMasked() throws {
        try importBoth()
        let pg = try PGConnection(url: ownerURL)
        let (account, email) = try XCTUnwrap(try pg.rows("SELECT account_id, email FROM accounts WHERE email LIKE '%@%' ORDER BY account_id LIMIT 1").first
            .map { ($0[0].string!, $0[1].string!) })

        // An analyst's SELECT of e-mail: masked, never the value.
        let q = try CLI.run(["query", "--store", analyst, "--format", "csv", "SELECT account_id, email, phone FROM accounts WHERE account_id = :id", "--param", "id=\(account)"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stdout.contains(account), q.stdout)
        XCTAssertFalse(q.stdout.contains(email), q.stdout)
        XCTAssertTrue(q.stdout.contains("***"), q.stdout)
        // The table itself is refused, with the way to an audited reveal.
        let raw = try CLI.run(["query", "--store", analyst, "SELECT email FROM public.accounts"])
        XCTAssertEqual(raw.status, 1)
        XCTAssertTrue(raw.stderr.contains("riskdesk_reveal_pii"), raw.stderr)
        XCTAssertFalse(raw.stdout.contains("@"))
        // --reveal-pii is per account on a team store: the audited function, which writes first.
        let bulk = try CLI.run(["query", "--store", analyst, "--reveal-pii", "case 7", "SELECT email FROM accounts"])
        XCTAssertEqual(bulk.status, 1)
        let reveal = try CLI.run(["query", "--store", analyst, "--write", "--format", "csv",
                                  "SELECT email FROM riskdesk_reveal_pii(:a, 'case 7', 'cli')", "--param", "a=\(account)"])
        XCTAssertEqual(reveal.status, 0, reveal.stderr)
        XCTAssertTrue(reveal.stdout.contains(email))
        XCTAssertEqual(try pg.int("SELECT count(*) FROM audit WHERE action = 'reveal_pii' AND account_id = $1 AND analyst = $2",
                                  [.text(account), .text(roles.last!)]), 1)
        // Read-only unless --write; several statements; PostgreSQL's own dialect.
        let w = try CLI.run(["query", "--store", analyst, "INSERT INTO sql_history(sql) VALUES ('x')"])
        XCTAssertEqual(w.status, 1)
        XCTAssertTrue(w.stderr.contains("pass --write"), w.stderr)
        let two = try CLI.run(["query", "--store", analyst, "--format", "csv", "SELECT count(*)::int AS n FROM accounts; SELECT 'a;b' AS s -- ; not a statement"])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertEqual(two.stdout, "n\n\(try pg.int("SELECT count(*) FROM accounts"))\ns\na;b\n")

        // Rejects: the raw row is the leads', masked unless revealed; analysts see the rest.
        let ar = try CLI.run(["rejects", "--store", analyst, "--format", "csv"])
        XCTAssertEqual(ar.status, 0, ar.stderr)
        XCTAssertTrue(ar.stdout.contains("accounts.csv"), ar.stdout)
        XCTAssertFalse(ar.stdout.contains("secret.person"), ar.stdout)
        let lr = try CLI.run(["rejects", "--store", lead, "--format", "csv"])
        XCTAssertTrue(lr.stdout.contains("bad-acct"), lr.stdout)
        XCTAssertFalse(lr.stdout.contains("secret.person@example.org"), lr.stdout)
        let lrv = try CLI.run(["rejects", "--store", lead, "--format", "csv", "--reveal-pii", "checking the feed"])
        XCTAssertTrue(lrv.stdout.contains("secret.person@example.org"), lrv.stdout + lrv.stderr)
        XCTAssertEqual(try pg.int("SELECT count(*) FROM audit WHERE action = 'reveal_pii' AND note = 'checking the feed'"), 1)

        // Exports and dashboards: the same as on the local store.
        for account in try pg.rows("SELECT account_id FROM accounts ORDER BY account_id LIMIT 3").compactMap({ $0[0].string }) {
            XCTAssertEqual(try CLI.run(["label", account, "--as", "fraud", "--store", analyst]).status, 0)
            XCTAssertEqual(try CLI.run(["label", account, "--as", "fraud", "--store", store, "--analyst", roles.last!]).status, 0)
        }
        let le = try CLI.run(["export", "labels", "--store", store, "--format", "jsonl"])
        let te = try CLI.run(["export", "labels", "--store", analyst, "--format", "jsonl"])
        XCTAssertEqual(te.status, 0, te.stderr)
        func withoutTimes(_ s: String) -> String { s.replacingOccurrences(of: #""ts":"[^"]*""#, with: "", options: .regularExpression) }
        XCTAssertEqual(withoutTimes(le.stdout), withoutTimes(te.stdout))
        XCTAssertEqual(te.stdout.split(separator: "\n").count, 3)
        let ld = try CLI.run(["dash", "--print", "--store", store, "--range", "all"])
        let td = try CLI.run(["dash", "--print", "--store", analyst, "--range", "all"])
        XCTAssertEqual(td.status, 0, td.stderr)
        func body(_ s: String) -> [Substring] { s.split(separator: "\n").dropFirst().map { $0 } }   // the title names the store
        XCTAssertEqual(body(ld.stdout), body(td.stdout))
        let abuse = try CLI.run(["dash", "--print", "--store", analyst, "--name", "abuse_patterns", "--range", "all"])
        XCTAssertEqual(abuse.status, 0, abuse.stderr)
    }

    func testARuleInSQLitesOwnSyntaxNamesItsFileOnPostgreSQLAndADialectHeaderSkipsIt() throws {
        try importBoth()
        let rules = dir + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        let lite = write("rules/recent_logins.sql", """
            -- id: recent_logins
            -- risk_type: ato
            -- severity: low
            -- description: logins, by SQLite's julianday
            SELECT account_id FROM events WHERE type = 'login' AND julianday(ts / 1000, 'unixepoch') > 0
            """)
        _ = write("rules/marked.sql", """
            -- id: marked_sqlite
            -- risk_type: ato
            -- severity: low
            -- description: says which dialect it is written in
            -- dialect: sqlite
            SELECT account_id FROM events WHERE strftime('%H', ts / 1000, 'unixepoch') = '03'
            """)
        let t = try CLI.run(["detect", "--store", lead, "--rules", rules])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stderr.contains(lite) && t.stderr.contains("rule 'recent_logins'") && t.stderr.contains("julianday"), t.stderr)
        XCTAssertTrue(t.stdout.contains("skipped: \(dir!)/rules/marked.sql: rule 'marked_sqlite' is written for SQLite"), t.stdout)
        XCTAssertFalse(t.stderr.contains("marked_sqlite"), t.stderr)
        let one = try CLI.run(["rules", "test", lite, "--store", lead])
        XCTAssertEqual(one.status, 1)
        XCTAssertTrue(one.stderr.contains(lite) && one.stderr.contains("dialect: sqlite"), one.stderr)
        // On the local store both run.
        let l = try CLI.run(["detect", "--store", store, "--rules", rules, "--json"])
        XCTAssertEqual(l.status, 0, l.stderr)
        XCTAssertTrue(((try jsonObject(l.stdout))["detectors"] as? [[String: Any]] ?? []).allSatisfy { $0["error"] == nil })
    }

    /// A rule that never ends on the server is stopped by the statement timeout and named;
    /// the run is not taken for cancelled.
    func testARuleThatNeverEndsOnPostgreSQLStopsAtTheTimeLimit() throws {
        try importBoth()
        let rules = dir + "/rules"
        let file = try writeForeverRule()
        let t = try CLI.run(["detect", "--store", lead, "--rules", rules, "--rule-time-limit", "1"], timeout: 180)
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue((t.stdout + t.stderr).contains("\(file): rule 'forever' stopped after 1 s, the time limit for one rule"), t.stdout + t.stderr)
        let pg = try PGConnection(url: ownerURL)
        XCTAssertEqual(try pg.int("SELECT count(*) FROM detect_runs WHERE status = 'done'"), 1)
    }

    func testTrainNeedsALeadAndTheTeamDemoSimulatesImportsAndDetectsOnTheServer() throws {
        lead = try addRole("lee", .lead)
        analyst = try addRole("ana", .analyst)
        let refused = try CLI.run(["train", "--store", analyst])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("needs the riskdesk_lead role"), refused.stderr)
        XCTAssertEqual(try CLI.run(["demo", "--store", analyst, "--accounts", "200", "--days", "2"], cwd: dir).status, 1)
        let d = try CLI.run(["demo", "--store", lead, "--accounts", "300", "--days", "3", "--seed", "3", "--no-open"], cwd: dir, timeout: 300)
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertTrue(d.stderr.contains("demo team store ready"), d.stderr)
        let pg = try PGConnection(url: ownerURL)
        XCTAssertGreaterThan(try pg.int("SELECT count(*) FROM events"), 1000)
        XCTAssertEqual(try pg.int("SELECT count(*) FROM detect_runs WHERE status = 'done'"), 1)
        XCTAssertGreaterThan(try pg.int("SELECT count(*) FROM scores WHERE score >= 0.5"), 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/riskdesk-team-demo.truth.csv"))
        let e = try CLI.run(["eval", "--store", analyst, "--truth", dir + "/riskdesk-team-demo.truth.csv", "--format", "json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertGreaterThan(try jsonObject(e.stdout)["auc"] as? Double ?? 0, 0.8)
        // Again: the store is there, nothing is rebuilt.
        let again = try CLI.run(["demo", "--store", lead, "--accounts", "300", "--days", "3", "--no-open"], cwd: dir)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try pg.int("SELECT count(*) FROM detect_runs"), 1)
    }

    /// The one-command team demo on an empty database: its owner gets a team store set up
    /// first; a database that is not a team store, given by someone else, is refused clearly.
    func testTheTeamDemoSetsUpAnEmptyDatabaseForItsOwner() throws {
        let admin = try PGConnection(url: adminURL)
        let fresh = dbName + "_demo"
        try admin.exec("CREATE DATABASE \(fresh)")
        defer { try? admin.exec("DROP DATABASE IF EXISTS \(fresh) WITH (FORCE)") }
        let ana = try addRole("ana", .analyst)
        let anaURL = Self.url(adminURL, database: fresh, user: URLComponents(string: ana)!.user, password: URLComponents(string: ana)!.password)
        let refused = try CLI.run(["demo", "--store", anaURL, "--accounts", "200", "--days", "2", "--no-open"], cwd: dir)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("must be run by the database's owner"), refused.stderr)
        let url = Self.url(adminURL, database: fresh)
        let d = try CLI.run(["demo", "--store", url, "--accounts", "300", "--days", "3", "--seed", "3", "--no-open"], cwd: dir, timeout: 300)
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertTrue(d.stderr.contains("set up a team store") && d.stderr.contains("demo team store ready"), d.stderr)
        let pg = try PGConnection(url: url)
        XCTAssertEqual(try pg.int("SELECT max(version) FROM riskdesk_schema"), Int64(PGSchema.latestVersion))
        XCTAssertGreaterThan(try pg.int("SELECT count(*) FROM events"), 1000)
        XCTAssertEqual(try pg.int("SELECT count(*) FROM detect_runs WHERE status = 'done'"), 1)
    }

    /// `store copy` out of (or into) a team store needs the database's owner: anyone else is
    /// told so before anything is read or written, and no local file is left behind.
    func testStoreCopyByANonOwnerIsRefusedUpFrontLeavingNoFile() throws {
        let lee = try addRole("lee", .lead)
        let out = dir + "/copy.db"
        let r = try CLI.run(["store", "copy", lee, out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("only the database owner") && r.stderr.contains("reads e-mail and phone"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let local = try CLI.run(["demo", "--store", dir + "/local.db", "--accounts", "200", "--days", "2", "--no-open"], cwd: dir, timeout: 300)
        XCTAssertEqual(local.status, 0, local.stderr)
        let into = try CLI.run(["store", "copy", dir + "/local.db", lee])
        XCTAssertEqual(into.status, 1)
        XCTAssertTrue(into.stderr.contains("only the database owner") && into.stderr.contains("writes labels and audit"), into.stderr)
        XCTAssertEqual(try PGConnection(url: ownerURL).int("SELECT count(*) FROM events"), 0)
    }
}
