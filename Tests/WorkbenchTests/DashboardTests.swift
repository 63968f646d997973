import Foundation
import RiskMetrics
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

final class DashboardTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        TextWidth.setUpLocale()
        dir = try Fixture.copy("dash", subdirs: ["queries/rules", "queries/dashboards"])
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testImporterKeepsHourlyCountsEqualToTheEvents() throws {
        let db = try Store(path: dir + "/wb.db").db
        XCTAssertEqual(try db.int("SELECT sum(n) FROM event_hourly"), try db.int("SELECT count(*) FROM events"))
        XCTAssertEqual(try db.rows("""
            SELECT hour, type, n FROM event_hourly EXCEPT SELECT ts / 3600000, type, count(*) FROM events GROUP BY 1, 2
            """).count, 0)
    }

    func testDashboardFileHeadersBrokenPanelsAndPivot() throws {
        let text = """
            -- dashboard: Test board
            -- panel: Views per account kind
            -- chart: hbars
            SELECT kind, count(*) FROM accounts GROUP BY 1 ORDER BY 1;

            -- panel: Broken
            -- chart: piechart
            SELECT 1;

            -- panel: Bad SQL
            -- chart: bars
            SELECT nope FROM nowhere;

            -- panel: Long form
            -- chart: stacked
            SELECT 'd1', 'a', 1 UNION ALL SELECT 'd1', 'b', 2 UNION ALL SELECT 'd2', 'a', 3;

            -- panel: Hours
            -- chart: heatmap
            SELECT 'mon', 3, 5 UNION ALL SELECT 'mon', 4, 1;

            -- panel: Ranged
            -- chart: number
            SELECT count(*) AS events FROM events WHERE ts >= :from AND ts < :to;
            """
        try text.write(toFile: dir + "/queries/dashboards/test.sql", atomically: true, encoding: .utf8)
        let f = DashboardFile.parse(text, name: "test", file: "test.sql")
        XCTAssertEqual(f.title, "Test board")
        XCTAssertEqual(f.panels.map(\.title), ["Views per account kind", "Broken", "Bad SQL", "Long form", "Hours", "Ranged"])
        XCTAssertEqual(f.panels[1].error, "test.sql:7: unknown chart 'piechart' (one of line, bars, histogram, hbars, stacked, heatmap, gauge, table, number)")
        let db = try Store(path: dir + "/wb.db").db
        let panels = try Dashboards.build(db, name: "test", range: .all, directory: dir + "/queries/dashboards")
        XCTAssertEqual(panels[0].x, ["buyer"])
        XCTAssertEqual(panels[0].series.first?.values, [1202])
        XCTAssertNotNil(panels[1].error)
        XCTAssertTrue(panels[2].error?.contains("no such table: nowhere") == true, panels[2].error ?? "")
        XCTAssertTrue(panels[2].error?.contains("test.sql:10") == true, panels[2].error ?? "")
        XCTAssertEqual(panels[3].x, ["d1", "d2"])
        XCTAssertEqual(panels[3].series.map(\.name), ["a", "b"])
        XCTAssertEqual(panels[3].series.map(\.values), [[1, 3], [2, 0]])
        XCTAssertEqual(panels[4].series.first?.values[3], Double(5))   // typed: TOMLKit's literal conformances are visible here
        XCTAssertEqual(panels[5].series.first?.values, [Double(try db.int("SELECT count(*) FROM events"))])
        // Drawn: the broken panels show their errors in place, the others their charts.
        let buf = Buffer(width: 120, height: DashLayout.totalHeight(panels, width: 120))
        DashLayout.render(panels, into: buf, area: buf.area, scroll: 0, theme: Theme.fallback)
        let s = buf.text()
        XCTAssertTrue(s.contains("unknown chart 'piechart'"), s)
        XCTAssertTrue(s.contains("no such table: nowhere"), s)
        XCTAssertTrue(s.contains("buyer █"), s)
        XCTAssertTrue(s.contains("■ a  ■ b"), s)
    }

    func testOverviewInTheWorkbenchFollowsLabelsAndRefreshesWhenTheStoreChanges() throws {
        let term = MemoryTerminal(width: 140, height: 60)
        let app = try App(storePath: dir + "/wb.db", terminal: term, theme: Theme.fallback, analyst: "tester", synchronous: true)
        app.rulesDirectory = dir + "/queries/rules"
        for c in ":dash" { app.send(.char(c)) }
        app.send(.enter)
        var s = app.frame().text()
        XCTAssertTrue(s.contains("Events per hour by type"), s)
        XCTAssertTrue(s.contains("Queue and aging"), s)
        XCTAssertTrue(s.contains("Score drift (PSI)"), s)
        XCTAssertTrue(s.contains("needs two detection runs"), s)
        // Another process labels two accounts: the next poll sees the change and reloads.
        let other = try Store(path: dir + "/wb.db")
        try other.addLabels([LabelInput(account: "ring-a", label: .fraud, category: "brushing", note: nil),
                             LabelInput(account: "ring-b", label: .legit, category: nil, note: nil)], analyst: "ana", source: "cli")
        guard case .dash(let d) = app.state.top else { return XCTFail() }
        app.send(.char("j"))
        app.submit(.read(.dashPoll(uid: d.uid)))
        app.drain()
        s = app.frame().text()
        for _ in 0..<40 { app.send(.char("j")); s += app.frame().text() }    // scroll the whole board
        XCTAssertTrue(s.contains("ana     "), s)            // labels per analyst
        XCTAssertTrue(s.contains("Analyst agreement"), s)
        // The range picker.
        app.send(.char("]"))
        guard case .dash(let d2) = app.state.top else { return XCTFail() }
        XCTAssertEqual(d2.range, .month)
    }

    func testAFirstVisitWithANameLoadsThatDashboardOnly() {
        var st = AppState(storeName: "s", width: 120, height: 40)
        let reqs = st.runCommand("dash abuse_patterns 30d")
        let loads = reqs.compactMap { r -> (String, DashRange)? in if case .read(.dashLoad(_, let n, let r)) = r { return (n, r) }; return nil }
        XCTAssertEqual(loads.map(\.0), ["abuse_patterns"])
        XCTAssertEqual(loads.map(\.1), [.month])
        // Later visits with no arguments load nothing new; with one, just that.
        _ = st.runCommand("queue")
        XCTAssertTrue(st.runCommand("dash").allSatisfy { if case .read(.dashLoad) = $0 { return false }; return true })
        XCTAssertEqual(st.runCommand("dash 24h").count, 1)
    }

    func testStoreMetricsAgainstHandComputedValues() throws {
        let store = try Store(path: dir + "/wb.db")
        let db = store.db
        // Two runs' findings and labels, by hand.
        try db.exec("""
            INSERT INTO detect_runs(id, started_at, status, risk_types, score_hist) VALUES
              (1, 0, 'done', '{"brushing":2}', '[10,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,10]'),
              (2, 1, 'done', '{"brushing":3,"spam":1}', '[5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,10]');
            INSERT INTO findings(run_id, account_id, detector, risk_type, strength, reason) VALUES
              (2, 'u00001', 'brushing', 'brushing', 0.9, 'r'), (2, 'u00002', 'brushing', 'brushing', 0.9, 'r'),
              (2, 'u00003', 'brushing', 'brushing', 0.9, 'r'), (2, 'u00003', 'spam', 'spam', 0.8, 'r');
            INSERT INTO cases(account_id, status, assignee, opened_at, updated_at) VALUES
              ('u00001', 'open', 'ana', 1000, 1000), ('u00002', 'escalated', 'bo', 3000, 3000), ('u00003', 'closed', 'bo', 0, 0);
            INSERT INTO run_scores(run_id, account_id, score) VALUES
              (1, 'u00001', 0.9), (1, 'u00002', 0.2), (2, 'u00001', 0.9), (2, 'u00002', 0.5), (2, 'u00003', 0.49);
            """)
        try store.addLabels([LabelInput(account: "u00001", label: .fraud, category: nil, note: nil),
                             LabelInput(account: "u00002", label: .legit, category: nil, note: nil)], analyst: "ana", source: "cli")
        try store.addLabels([LabelInput(account: "u00003", label: .fraud, category: nil, note: nil)], analyst: "bo", source: "cli")
        let p = try StoreMetrics.precisionByDetector(db)
        XCTAssertEqual(p.first { $0.detector == "brushing" }?.precision, 2.0 / 3.0)
        XCTAssertEqual(p.first { $0.detector == "spam" }?.precision, 1.0)
        let q = try StoreMetrics.queue(db, now: 11_000)
        XCTAssertEqual([q.open, q.escalated, q.closed], [1, 1, 1])
        XCTAssertEqual(q.ageMax, 10_000)
        XCTAssertEqual(q.ageP50, 9_000)        // ages 10,000 and 8,000
        let a = try StoreMetrics.labelsPerAnalyst(db, from: 0, to: Int64.max)
        XCTAssertEqual(a.map(\.analyst), ["ana", "bo"])
        XCTAssertEqual(a.map(\.labels), [2, 1])
        let drift = try StoreMetrics.scoreDrift(db)
        // Shares 0.5/0/.../0.5 → 0.25/0.25/.../0.5: PSI = (0.25-0.5)ln(0.5) + (0.25-ε)ln(0.25/ε).
        let eps = 1e-4
        XCTAssertEqual(drift?.psi ?? 0, (0.25 - 0.5) * log(0.25 / 0.5) + (0.25 - eps) * log(0.25 / eps), accuracy: 1e-9)
        let runs = try StoreMetrics.alertsPerRun(db)
        XCTAssertEqual(runs.map(\.run), [1, 2])
        XCTAssertEqual(runs.map { $0.byType["flagged"] }, [1, 2])      // score ≥ 0.5, as on every panel
        let ttl = try StoreMetrics.timeToLabel(db)
        XCTAssertEqual(ttl.count, 3)
        // Two analysts on the same four accounts: agree on 3; κ = (0.75 − 0.5) / (1 − 0.5).
        for (acc, a, b) in [("u00010", LabelValue.fraud, LabelValue.fraud), ("u00011", .fraud, .legit), ("u00012", .legit, .legit), ("u00013", .legit, .legit)] {
            try store.addLabels([LabelInput(account: acc, label: a, category: nil, note: nil)], analyst: "cy", source: "cli")
            try store.addLabels([LabelInput(account: acc, label: b, category: nil, note: nil)], analyst: "di", source: "cli")
        }
        let g = try StoreMetrics.analystAgreement(db, minShared: 2)
        XCTAssertEqual(g.count, 1)
        XCTAssertEqual(g[0].a, "cy"); XCTAssertEqual(g[0].shared, 4)
        XCTAssertEqual(g[0].agree, 0.75)
        XCTAssertEqual(g[0].kappa!, 0.5, accuracy: 1e-12)
    }
}

final class LearntFindingViewTests: XCTestCase {
    func testAnAccountOnlyTheModelFlagsShowsItsScoreAndWhy() throws {
        TextWidth.setUpLocale()
        let dir = try Fixture.copy("learnt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Store(path: dir + "/wb.db").db.exec("""
            INSERT INTO detect_runs(id, started_at, status) VALUES (1, 0, 'done');
            INSERT INTO scores(account_id, run_id, score, risk_type, reasons, n_findings) VALUES
              ('u00042', 1, 0.66, 'click_farm', 'learnt model v1: 0.94 (device sharers, n follow); behaves like accounts labelled click_farm', 0);
            """)
        let term = MemoryTerminal(width: 140, height: 40)
        let app = try App(storePath: dir + "/wb.db", terminal: term, theme: Theme.fallback, analyst: "t", synchronous: true)
        for c in ":account u00042" { app.send(.char(c)) }
        app.send(.enter)
        let s = app.frame().text()
        XCTAssertTrue(s.contains("risk      0.66  click_farm  no detector finding; learnt model v1: 0.94 (device sharers, n follow) · behaves like"), s)
        XCTAssertFalse(s.contains("found nothing"), s)
    }
}
