import Foundation
import RiskMetrics
import RiskStore
import XCTest

/// One SQL interface, two backends: the typed queries (Queries.swift, DetectionResults.swift,
/// StoreMetrics) give the same answers on a SQLite store and on the PostgreSQL store it was
/// copied to. The store is imported and detected locally, labelled by two analysts, then
/// copied (`store copy`), so both hold the same rows.
final class TeamSQLInterfaceTests: TeamStoreTestCase {
    func makeBoth() throws -> (lite: Database, pg: PGConnection) {
        let sim = dir + "/sim"
        let r = try CLI.run(["simulate", "--out", sim, "--accounts", "150", "--days", "3", "--seed", "11", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try? FileManager.default.removeItem(atPath: sim + "/truth.csv")
        XCTAssertEqual(try CLI.run(["import", "--store", store, sim]).status, 0)
        let d = try CLI.run(["detect", "--store", store, "--quiet"])
        XCTAssertEqual(d.status, 0, d.stderr)
        let s = try Store(path: store)
        let top = try s.db.rows("SELECT account_id FROM scores ORDER BY score DESC, account_id LIMIT 3").compactMap { $0[0].string }
        XCTAssertEqual(top.count, 3)
        try s.addLabels([LabelInput(account: top[0], label: .fraud, category: "brushing", note: "ring of five")], analyst: "maria", source: "cli")
        try s.addLabels([LabelInput(account: top[0], label: .legit)], analyst: "tomas", source: "cli")
        try s.addLabels([LabelInput(account: top[1], label: .legit, note: "known buyer")], analyst: "tomas", source: "tui")
        try s.claim(top[2], analyst: "maria", source: "cli")
        let c = try CLI.run(["store", "copy", store, ownerURL])
        XCTAssertEqual(c.status, 0, c.stderr)
        return (s.db, try PGConnection(url: ownerURL))
    }

    func testTypedQueriesAnswerTheSameOnSQLiteAndPostgreSQL() throws {
        let (lite, pg) = try makeBoth()
        XCTAssertEqual(lite.dialect, .sqlite)
        XCTAssertEqual(pg.dialect, .postgresql)
        // The same tables and views with the same columns (the team store may have more:
        // claim expiry, who imported); links_pending and links_pending_packed (staging) and event_keys (+ its two tiers) / event_keys_covered
        // (the event_id de-duplication index) are the SQLite importer's own, and so are events_i and
        // idents (v14: SQLite stores events interned; its `events` view has the team store's columns),
        // links_i and link_kinds (v16: links interned; its `links` view has the team store's columns).
        let importerOnly = ["links_pending", "links_pending_packed", "event_keys", "event_keys_main", "event_keys_recent", "event_keys_covered", "events_i", "idents", "links_i", "link_kinds"].map { "'\($0)'" }.joined(separator: ", ")
        for t in try lite.rows("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite%' AND name NOT IN (\(importerOnly))").compactMap({ $0[0].string }) {
            let cols = Set(try lite.rows("SELECT name FROM pragma_table_info(?)", [.text(t)]).compactMap { $0[0].string })
            let pgCols = Set(try pg.rows("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ?", [.text(t)]).compactMap { $0[0].string })
            XCTAssertTrue(cols.isSubset(of: pgCols), "\(t): the team store lacks \(cols.subtracting(pgCols).sorted())")
        }
        func same<T: Equatable>(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ f: (SQLDatabase) throws -> T) {
            XCTAssertEqual(try f(lite), try f(pg), what, file: file, line: line)
        }
        // Every queue order, both directions, two pages by keyset, and the filters.
        var q = QueueQuery()
        for sort in QueueSort.allCases {
            for desc in [true, false] {
                q.sort = sort; q.descending = desc
                let page: (SQLDatabase) throws -> [QueueRow] = { db in
                    let first = try db.queuePage(q, direction: .first, anchor: nil, limit: 20)
                    let next = try db.queuePage(q, direction: .after, anchor: first.last.map { ($0.key, $0.account) }, limit: 20)
                    // E-mail masked on both (the server's mask is the client's, `PII`): all must match.
                    return (first + next).map { var r = $0; if case .double(let d) = r.key { r.key = .double((d * 1e4).rounded()) }; return r }
                }
                same("queue by \(sort) \(desc ? "desc" : "asc")", page)
                XCTAssertEqual(try page(pg).count, 40, "\(sort)")
            }
        }
        let flagged = try lite.rows("SELECT account_id, risk_type, group_id FROM scores WHERE risk_type IS NOT NULL ORDER BY score DESC LIMIT 1")[0]
        for text in ["", "fraud", "legit", "ring", "known", flagged[0].string!.prefix(4).description, flagged[1].string!, "US", "buyer"] {
            q = QueueQuery(); q.text = text; q.sort = .score
            same("filter '\(text)'") { try $0.queueCount(q) }
            same("filter '\(text)' rows") { try $0.queuePage(q, direction: .first, anchor: nil, limit: 50).map(\.account) }
        }
        q = QueueQuery(); q.flaggedOnly = true; q.unlabelledOnly = true; q.caseView = .unassigned
        same("flagged unlabelled unassigned") { try $0.queueCount(q) }
        q.caseView = .mine("maria"); q.unlabelledOnly = false
        same("maria's cases") { try $0.queuePage(q, direction: .first, anchor: nil, limit: 10).map(\.account) }

        // An account in depth.
        for account in try lite.rows("SELECT account_id FROM scores ORDER BY score DESC, account_id LIMIT 5").compactMap({ $0[0].string }) {
            same("profile \(account)") { db -> [String] in
                let p = try XCTUnwrap(try db.accountProfile(account))
                return [p.account, "\(p.events)", "\(p.orders)", String(format: "%.2f", p.orderAmount), "\(p.loginFailures)", "\(p.refunds)",
                        p.typeCounts.map { "\($0.0)=\($0.1)" }.joined(separator: ","), "\(p.score ?? -1)", p.riskType ?? "",
                        p.reasons.joined(separator: "|"), p.labels.map { "\($0.label)/\($0.analyst)/\($0.note ?? "")" }.joined(separator: ","),
                        p.caseStatus ?? "", p.assignee ?? "", p.conflict.joined(separator: ","), "\(p.audit.count)", p.email ?? "no email", p.phone ?? "no phone"]
            }
            same("findings \(account)") { try $0.findings(of: account).map { "\($0.detector) \($0.strength) \($0.events) \($0.accounts) \($0.identifiers.map { $0.kind + $0.value })" } }
            same("identifiers \(account)") { try $0.identifiers(of: account) }
            same("linked \(account)") { try $0.linkedAccounts(account) }
            same("timeline \(account)") { db -> [EventRow] in
                let first = try db.timelinePage(account: account, types: nil, direction: .first, anchor: nil, limit: 15)
                let more = try db.timelinePage(account: account, types: ["login", "order", "view"], direction: .after,
                                               anchor: first.last.map { ($0.ts, $0.id) }, limit: 15)
                return first + more
            }
            same("activity \(account)") { try $0.activity(account: account, from: 0, to: 4_000_000_000_000, buckets: 30) }
            same("label history \(account)") { try $0.labelHistory(account) }
            same("conflict \(account)") { try $0.labelConflict(account) }
        }
        let eventID = try lite.int("SELECT min(id) FROM events")
        same("event fields") { try $0.eventFields(id: eventID).map { "\($0.0)=\($0.1)" } }

        // Pivots: an identifier, the groups, a group.
        let link = try lite.rows("SELECT kind, value FROM links WHERE kind = 'device' GROUP BY kind, value ORDER BY count(*) DESC, value LIMIT 1")[0]
        for sort in PivotSort.allCases {
            same("pivot device by \(sort)") { db -> [PivotRow] in
                let p = try db.pivotPage(kind: "device", value: link[1].string!, sort: sort, after: nil, limit: 5)
                return p.map { var r = $0; r.score = r.score.map { ($0 * 1e4).rounded() }; return r }
            }
            same("groups by \(sort)") { try $0.pivotPage(kind: "groups", value: "", sort: sort, after: nil, limit: 10).map(\.account) }
        }
        if let group = try lite.scalar("SELECT group_id FROM groups ORDER BY size DESC, group_id LIMIT 1").string {
            same("group members") { try $0.groupMembers(group) }
            same("group page") { try $0.pivotPage(kind: "group", value: group, sort: .events, after: nil, limit: 50).map(\.account) }
            same("group summary") { db -> [Int64] in let s = try db.pivotSummary(kind: "group", value: group); return [s.accounts, s.events] }
        }
        same("groups summary") { db -> [Int64] in let s = try db.pivotSummary(kind: "groups", value: ""); return [s.accounts, s.events] }

        // Detection results and the dashboard's metrics.
        same("runs") { try $0.finishedDetectRuns() }
        same("run record") { try $0.detectRun(try $0.finishedDetectRuns()[0]) }
        same("findings") { try $0.storedFindings() }
        same("scores") { try $0.storedScores() }
        same("metrics span") { try StoreMetrics.dataSpan($0).map { [$0.from, $0.to] } }
        let span = try XCTUnwrap(try StoreMetrics.dataSpan(lite))
        same("events over time") { db -> String in let e = try StoreMetrics.eventsOverTime(db, from: span.from, to: span.to); return "\(e.bucketMs) \(e.starts) \(e.series.map { "\($0.0)\($0.1)" })" }
        same("flags per day") { db -> String in let e = try StoreMetrics.flagsPerDay(db, from: span.from, to: span.to); return "\(e.days) \(e.series.map { "\($0.0)\($0.1)" })" }
        same("queue stats") { try StoreMetrics.queue($0, now: 4_000_000_000_000) }
        same("labels per analyst") { try StoreMetrics.labelsPerAnalyst($0, from: 0, to: 4_000_000_000_000).map { "\($0.analyst) \($0.labels) \($0.perDay)" } }
        same("agreement") { try StoreMetrics.analystAgreement($0).map { "\($0.a) \($0.b) \($0.shared) \($0.agree)" } }
        same("precision") { try StoreMetrics.precisionByDetector($0) }
        same("histogram") { db -> [[Double]] in let h = try StoreMetrics.scoreHistogram(db); return [h.fraud, h.legit, h.unlabelled] }
        same("alerts per run") { try StoreMetrics.alertsPerRun($0).map { "\($0.run) \($0.byType)" } }
    }

    func testStreamingStopsEarlyAndPlaceholdersAreNumberedOutsideLiterals() throws {
        let pg = try PGConnection(url: ownerURL)
        var seen = 0
        try pg.each("SELECT i, i * 0.5, 'row ' || i, i % 2 = 0 FROM generate_series(1, 100000) i", []) { r in
            seen += 1
            XCTAssertEqual(r.int(0), Int64(seen))
            XCTAssertEqual(r.double(1), Double(seen) * 0.5)
            XCTAssertEqual(r.text(2), "row \(seen)")
            XCTAssertEqual(r.value(3), .int(seen % 2 == 0 ? 1 : 0))
            return seen < 3
        }
        XCTAssertEqual(seen, 3)
        // The connection is usable after an early stop, and `?` in a literal is not a parameter.
        XCTAssertEqual(try pg.rows("SELECT ?, '?', ?2 || '?1', \"?column?\" FROM (SELECT 1 AS \"?column?\") t", [.text("a"), .text("b")]),
                       [[.text("a"), .text("?"), .text("b?1"), .int(1)]])
        let lite = try Database(path: ":memory:")
        for db in [lite as SQLDatabase, pg] {
            let t = try db.table("SELECT 1 AS n, 2.5 AS x, 'x' AS t, NULL AS z", [])
            XCTAssertEqual(t.columns, ["n", "x", "t", "z"])
            XCTAssertEqual(t.rows, [[.int(1), .double(2.5), .text("x"), .null]], "\(db.dialect)")
            XCTAssertThrowsError(try db.inTransaction { () -> Void in try db.run("SELECT nonsense_column FROM (SELECT 1 AS a) t") })
        }
    }
}
