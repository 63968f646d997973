import Foundation
import RiskDetect
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// Issue 14's analyst items (2, 3, 5, 6, 7, 9, 14, 15, 18, 19): what a new analyst tripped
/// over, each on the in-memory terminal over a copy of the fixture store.
final class AnalystItemsTests: WorkbenchCase {
    override class var tag: String { "items" }

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

    // MARK: item 7 — the shipped abuse_patterns dashboard, gauges and scrolling

    func testItem7FailedLoginsPanelReadsTheContractsValue() throws {
        let db = try Store(path: dir + "/wb.db").db
        XCTAssertGreaterThan(try db.int("SELECT count(*) FROM events WHERE type = 'login' AND status = 'fail'"), 0)
        let panels = try Dashboards.build(db, name: "abuse_patterns", range: .all, catalog: .builtIn)
        let heat = try XCTUnwrap(panels.first { $0.kind == .heatmap })
        XCTAssertNil(heat.error)
        XCTAssertEqual(heat.series.flatMap(\.values).reduce(0, +), 1)     // ring-a's one failed login
        let gauge = try XCTUnwrap(panels.first { $0.kind == .gauge })
        XCTAssertEqual(gauge.x.count, 1)
        XCTAssertTrue(gauge.x[0].hasSuffix("flagged accounts with a label"), gauge.x[0])
    }

    func testItem7GaugeShowsItsValueAndItsLabelAgrees() {
        let spec = DashboardFile.PanelSpec(title: "Share", kind: .gauge, sql: "", line: 1)
        let p = DashboardFile.panel(spec, columns: ["share", "what"], rows: [[.double(0.0808), .text("flagged accounts with a label")]])
        XCTAssertEqual(p.series.first?.values, [0.0808])
        XCTAssertEqual(p.x, ["8% flagged accounts with a label"])
        let buf = Buffer(width: 60, height: 4)
        Panel.render(p, into: buf, area: buf.area, theme: Theme.fallback, palette: [])
        XCTAssertTrue(buf.text().contains("  8%"), buf.text())
        XCTAssertFalse(buf.text().contains(" 0%"), buf.text())
    }

    func testItem7ScrollingMovesPanelsWholeNeverSquashesThem() {
        var panels: [PanelData] = []
        for k in 0..<6 {
            panels.append(PanelData(title: "bars \(k)", kind: .hbars, x: (0..<8).map { "bin \($0)" },
                                    series: [PanelData.Series("n", (0..<8).map { Double(($0 + 1) * (k + 1)) })]))
        }
        let width = 80
        let total = DashLayout.totalHeight(panels, width: width)
        let whole = Buffer(width: width, height: total)
        DashLayout.render(panels, into: whole, area: whole.area, scroll: 0, theme: Theme.fallback)
        let all = whole.text().components(separatedBy: "\n")
        for scroll in [1, 3, 7, 11, total - 12] {
            let view = Buffer(width: width, height: 12)
            DashLayout.render(panels, into: view, area: view.area, scroll: scroll, theme: Theme.fallback)
            XCTAssertEqual(view.text().components(separatedBy: "\n"), Array(all[scroll..<scroll + 12]), "scroll \(scroll)")
        }
    }

    // MARK: item 2 — a group's members are every account with a finding in it

    /// u00001 is in farm-1 (its primary group) and farm-2; u00002 only in farm-2.
    func overlappingGroups() throws {
        try Store(path: dir + "/wb.db").db.exec("""
            INSERT INTO detect_runs(id, started_at, status) VALUES (1, 0, 'done');
            INSERT INTO findings(run_id, account_id, detector, risk_type, strength, reason, group_id) VALUES
              (1, 'u00001', 'click_farm', 'click_farm', 0.9, 'lockstep', 'farm-1'),
              (1, 'u00001', 'click_farm', 'click_farm', 0.8, 'lockstep', 'farm-2'),
              (1, 'u00002', 'click_farm', 'click_farm', 0.8, 'lockstep', 'farm-2'),
              (1, 'u00003', 'click_farm', 'click_farm', 0.7, 'lockstep', 'farm-3');
            INSERT INTO scores(account_id, run_id, score, risk_type, group_id, reasons, n_findings) VALUES
              ('u00001', 1, 0.9, 'click_farm', 'farm-1', 'lockstep', 2), ('u00002', 1, 0.8, 'click_farm', 'farm-2', 'lockstep', 1),
              ('u00003', 1, 0.7, 'click_farm', 'farm-3', 'lockstep', 1);
            INSERT INTO groups(group_id, run_id, risk_type, size, score, reason) VALUES
              ('farm-1', 1, 'click_farm', 1, 0.9, 'lockstep'), ('farm-2', 1, 'click_farm', 2, 0.9, 'lockstep'), ('farm-3', 1, 'click_farm', 1, 0.7, 'lockstep');
            """)
    }

    func testItem2GroupSizesAgreeWithTheirMembers() throws {
        try overlappingGroups()
        command("groups")
        XCTAssertTrue(screen.contains("3 groups, 3 accounts"), screen)     // u00001 counted once
        guard case .pivot(let groups) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(groups.list.current?.account, "farm-2")
        XCTAssertEqual(groups.list.current?.events, 2)
        press(.enter)
        XCTAssertTrue(screen.contains("group farm-2 — 2 accounts"), screen)
        guard case .pivot(let members) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(Set(members.list.rows.map(\.account)), ["u00001", "u00002"])
        // Labelling the group labels the same two.
        press(.esc, .char("1"), .enter)
        XCTAssertTrue(status.contains("labelled 2 accounts"), status)
        let db = try Store(path: dir + "/wb.db").db
        XCTAssertEqual(try db.int("SELECT count(*) FROM current_labels WHERE label = 'fraud'"), 2)
    }

    // MARK: item 18 — identifier columns never truncate ids

    func testItem18LongAccountIdsShowWholeInTheQueueAndPivots() throws {
        let long = "uff591852735ab", longer = "acct-2026-0000000000000042"
        try Store(path: dir + "/wb.db").db.exec("""
            INSERT INTO accounts(account_id, kind, country, n_events, in_profile) VALUES ('\(long)', 'buyer', 'ID', 500, 1), ('\(longer)', 'buyer', 'TH', 400, 1);
            INSERT INTO links(kind, value, account_id, events) VALUES ('device', 'dev-long', '\(long)', 3), ('device', 'dev-long', '\(longer)', 2);
            """)
        try open()
        let rows = lines()
        XCTAssertTrue(rows[2].contains(" \(long) "), rows[2])
        XCTAssertTrue(rows[3].contains(" \(longer) "), rows[3])
        XCTAssertFalse(screen.contains("…  "), screen)
        // The header moves with the column: "score" starts where the scores do.
        let header = rows[1]
        let scoreAt = try XCTUnwrap(header.range(of: "score")).lowerBound.utf16Offset(in: header)
        XCTAssertGreaterThan(scoreAt, 8 + longer.count)
        // A pivot's account column too.
        command("device dev-long")
        XCTAssertTrue(screen.contains(" \(longer) ") || screen.contains("\(longer) "), screen)
        XCTAssertFalse(screen.contains("acct-2026-00000…"), screen)
    }

    func testItem18GroupIdsShowWholeInTheQueueAndOtherColumnsGiveWayWhenNarrow() throws {
        let group = "spam-aw9jd.top-ring-0042"
        try Store(path: dir + "/wb.db").db.exec("""
            INSERT INTO detect_runs(id, started_at, status) VALUES (1, 0, 'done');
            INSERT INTO scores(account_id, run_id, score, risk_type, group_id, reasons, n_findings) VALUES
              ('u00001', 1, 0.9, 'spam', '\(group)', 'sent near-identical messages linking to aw9jd.top to 126 accounts, 126 of whom never dealt with it', 2),
              ('u00002', 1, 0.8, 'spam', 'g-2', 'sent messages', 1);
            """)
        try open()
        XCTAssertTrue(screen.contains(" \(group) "), screen)
        for width in [120, 90, 72] {
            term.resize(width: width, height: 40)
            press(.resize)
            let row = try XCTUnwrap(lines().first { $0.contains("u00001") }, screen)
            XCTAssertTrue(row.contains(" \(group) "), "\(width) columns: \(row)")
            XCTAssertFalse(row.contains("spam-aw9jd.t…"), row)
            // The reason gave way instead.
            XCTAssertFalse(row.contains("126 of whom never dealt with it"), row)
        }
        // A click on the header's group title sorts by group: the header follows the widths.
        let header = lines()[1]
        let x = try XCTUnwrap(header.range(of: "group")).lowerBound.utf16Offset(in: header)
        press(.click(x: x + 1, y: 1))
        guard case .queue(let q) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(q.query.sort, .group, header)
    }

    // MARK: item 19 — dashboards agree: one "flagged", current labels, every day, 0/0

    func testItem19PanelsAgreeOnFlaggedCountCurrentLabelsAndKeepEveryDay() throws {
        let store = try Store(path: dir + "/wb.db")
        let db = store.db
        try db.exec("""
            INSERT INTO detect_runs(id, started_at, status) VALUES (1, 0, 'done');
            INSERT INTO scores(account_id, run_id, score, risk_type, n_findings) VALUES
              ('u00001', 1, 0.9, 'brushing', 1), ('u00002', 1, 0.6, NULL, 0), ('ring-a', 1, 0.7, 'ato', 1), ('u00003', 1, 0.3, NULL, 0);
            INSERT INTO run_scores(run_id, account_id, score) SELECT run_id, account_id, score FROM scores;
            """)
        // fraud, undone, redone; and a legit label withdrawn.
        for v in [LabelValue.fraud, .none, .fraud] { try store.addLabels([LabelInput(account: "u00001", label: v, category: nil, note: nil)], analyst: "ana", source: "tui") }
        for v in [LabelValue.legit, .none] { try store.addLabels([LabelInput(account: "u00002", label: v, category: nil, note: nil)], analyst: "ana", source: "tui") }

        let panels = try Dashboards.overview(db, range: .all, now: Timestamp.nowMs())
        func panel(_ prefix: String) throws -> PanelData { try XCTUnwrap(panels.first { $0.title.hasPrefix(prefix) }, prefix) }
        let queue = try panel("Queue")
        XCTAssertEqual(queue.series[0].values[0], 3)                                   // flagged
        let perDay = try panel("Flagged accounts per day")
        XCTAssertEqual(perDay.x, ["03-01", "03-02", "03-03"])                          // the empty day stays
        let totals = perDay.x.indices.map { i in perDay.series.reduce(0) { $0 + $1.values[i] } }
        XCTAssertEqual(totals, [2, 0, 1])                                              // the one without a risk type too
        XCTAssertTrue(perDay.series.contains { $0.name == "other" })
        let runs = try panel("Flagged accounts per detection run")
        XCTAssertEqual(runs.series.flatMap(\.values).reduce(0, +), 3)
        let abuse = try Dashboards.build(db, name: "abuse_patterns", range: .all, catalog: .builtIn)
        XCTAssertEqual(try XCTUnwrap(abuse.first { $0.kind == .hbars }).series.flatMap(\.values).reduce(0, +), 3)
        // Current labels: one fraud, not two fraud and a legit.
        let labels = try panel("Labels per day")
        XCTAssertEqual(labels.series.flatMap(\.values).reduce(0, +), 1)
        XCTAssertEqual(try panel("Labels per analyst").rows.map { $0[2] }, ["1"])

        // A stacked chart too short for its days says it shows the latest ones.
        let month = PanelData(title: "days", kind: .stacked, x: (1...30).map { "d\($0)" }, series: [PanelData.Series("n", (1...30).map(Double.init))])
        let buf = Buffer(width: 60, height: 8)
        Panel.render(month, into: buf, area: buf.area, theme: Theme.fallback, palette: [])
        XCTAssertTrue(buf.text().contains("latest 5 of 30"), buf.text())

        // An empty list: 0/0, not 1/0.
        command("device no-such-device")
        XCTAssertTrue(status.contains(" 0/0 accounts"), status)
    }

    // MARK: item 15 — the timeline: text search, next evidence, country, the date, lanes

    /// ring-b gets 300 more views on 2026-03-05, then one login from 1.2.3.4; a finding cites
    /// its one password_reset and one address_change (among ten busier types).
    func busyTakeover() throws {
        let db = try Store(path: dir + "/wb.db").db
        let d5: Int64 = 1_772_668_800_000     // 2026-03-05T00:00:00Z
        try db.exec("""
            WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 299)
            INSERT INTO events(event_id, ts, account_id, type, device_id, ip, country) SELECT 'rb-v' || n, \(d5) + n * 60000, 'ring-b', 'view', 'dev-shared', '10.9.9.8', 'ID' FROM k;
            INSERT INTO events(event_id, ts, account_id, type, device_id, ip, country) VALUES ('rb-last', \(d5) + 300 * 60000, 'ring-b', 'login', 'dev-new', '1.2.3.4', 'BR');
            """)
        var values: [String] = []
        for (k, type) in ["search", "add_to_cart", "order", "payment", "message", "follow", "click", "review"].enumerated() {
            for j in 0..<2 { values.append("('rb-\(type)-\(j)', \(d5 - 86_400_000 + Int64(k * 10 + j) * 60_000), 'ring-b', '\(type)')") }
        }
        values.append("('rb-reset', \(d5 - 3_600_000), 'ring-b', 'password_reset')")
        values.append("('rb-addr', \(d5 - 3_000_000), 'ring-b', 'address_change')")
        try db.exec("INSERT INTO events(event_id, ts, account_id, type) VALUES " + values.joined(separator: ", "))
        let reset = try db.int("SELECT id FROM events WHERE event_id = 'rb-reset'"), addr = try db.int("SELECT id FROM events WHERE event_id = 'rb-addr'")
        try db.exec("""
            INSERT INTO detect_runs(id, started_at, status) VALUES (1, 0, 'done');
            INSERT INTO findings(run_id, account_id, detector, risk_type, strength, reason, evidence) VALUES
              (1, 'ring-b', 'ato', 'ato', 0.9, 'takeover', '{"events":[\(reset),\(addr)]}');
            INSERT INTO scores(account_id, run_id, score, risk_type, reasons, n_findings) VALUES ('ring-b', 1, 0.9, 'ato', 'takeover', 1);
            UPDATE accounts SET last_seen = \(d5) + 300 * 60000, n_events = (SELECT count(*) FROM events WHERE account_id = 'ring-b') WHERE account_id = 'ring-b';
            """)
    }

    var timeline: TimelineScreen? { if case .timeline(let t) = app.state.top { return t }; return nil }

    func testItem15SearchJumpToEvidenceCountryDateAndLanes() throws {
        try busyTakeover()
        command("account ring-b")
        press(.char("t"))
        // The evidence types have lanes, beside the busiest ones; ties in name order.
        let laneNames = try XCTUnwrap(timeline).lanes.prefix(8).map(\.0)
        XCTAssertTrue(laneNames.contains("password_reset") && laneNames.contains("address_change"), "\(laneNames)")
        XCTAssertEqual(laneNames.first, "view")
        let twos = laneNames.filter { !["view", "password_reset", "address_change"].contains($0) }
        XCTAssertEqual(twos, twos.sorted(), "ties in name order: \(laneNames)")
        // e: the next evidence event, then the one after, then none.
        press(.char("e"))
        XCTAssertEqual(timeline?.list.current?.eventID, "rb-reset")
        press(.char("e"))
        XCTAssertEqual(timeline?.list.current?.eventID, "rb-addr")
        press(.char("e"))
        XCTAssertTrue(status.contains("no further ◆ evidence event"), status)
        // /1.2.3.4 searches (reading pages on) instead of filtering by a type called so.
        press(.char("/")); type("1.2.3.4"); press(.enter)
        XCTAssertEqual(timeline?.list.current?.eventID, "rb-last", status)
        XCTAssertNil(timeline?.types)
        // The country column, and the day stays in view though its day line scrolled away.
        let row = try XCTUnwrap(lines().first { $0.contains("1.2.3.4") })
        XCTAssertEqual(String(Array(row)[68..<70]), "BR", row)
        XCTAssertFalse(screen.contains("── Thu 2026-03-05"), screen)
        let header = try XCTUnwrap(lines().first { $0.hasPrefix(" time ") })
        XCTAssertTrue(header.contains("Thu 2026-03-05"), header)
        // A type still filters.
        press(.char("/"), .ctrl("u")); type("password_reset"); press(.enter)
        XCTAssertEqual(timeline?.types, ["password_reset"])
        XCTAssertEqual(timeline?.list.rows.map(\.eventID), ["rb-reset"])
    }

    // MARK: item 14 — linked accounts and pivot lists

    func testItem14LinkedAccountsNameTheirColumnsShowScoresLabelsAndWhatIsNotListed() throws {
        let store = try Store(path: dir + "/wb.db")
        try store.db.exec("""
            INSERT INTO detect_runs(id, started_at, status) VALUES (1, 0, 'done');
            INSERT INTO scores(account_id, run_id, score, risk_type, n_findings) VALUES ('ring-a', 1, 0.73, 'ato', 1);
            WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 1299)
            INSERT INTO links(kind, value, account_id, events, last_ts) SELECT 'ip', '10.0.0.99', printf('x%05d', n), 1 + n % 5, n FROM k;
            INSERT INTO links(kind, value, account_id, events) VALUES ('ip', '10.0.0.99', 'ring-b', 9);
            """)
        try store.addLabels([LabelInput(account: "ring-a", label: .fraud, category: nil, note: nil)], analyst: "ana", source: "cli")
        command("account ring-b")
        let l = lines()
        let header = try XCTUnwrap(l.first { $0.contains("account") && $0.contains("link") && $0.contains("score") && $0.contains("label") }, screen)
        XCTAssertTrue(header.contains("shared with it"), header)
        let row = try XCTUnwrap(l.first { $0.hasPrefix("   ring-a ") }, screen)
        XCTAssertTrue(row.contains("0.73") && row.contains("fraud") && row.contains("device dev-shared"), row)
        XCTAssertTrue(screen.contains("ip 10.0.0.99 shared by 1.3k accounts — not listed"), screen)
    }

    func testItem14PivotListsSortAndGReachesTheEnd() throws {
        try Store(path: dir + "/wb.db").db.exec("""
            WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 1299)
            INSERT INTO links(kind, value, account_id, events, last_ts) SELECT 'ip', '10.0.0.99', printf('x%05d', n), 1 + n % 5, n FROM k;
            """)
        command("ip 10.0.0.99")
        guard case .pivot(let p0) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(p0.list.rows.first?.events, 5)
        press(.char("G"))
        guard case .pivot(let p1) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(p1.list.cursor, 1299)
        XCTAssertEqual(Set(p1.list.rows.map(\.account)).count, 1300)
        XCTAssertTrue(status.contains("1300/1300 accounts"), status)
        XCTAssertEqual(p1.list.current?.events, 1)
        // s: by score, then by account id (ascending), then last seen; each read from the top.
        press(.char("s"), .char("s"))
        guard case .pivot(let p2) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(p2.sort, .account)
        XCTAssertEqual(p2.list.rows.prefix(3).map(\.account), ["x00000", "x00001", "x00002"])
        XCTAssertTrue(lines()[2].contains("account ▲"), lines()[2])
        for _ in 0..<150 { press(.char("j")) }
        guard case .pivot(let p3) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(p3.list.current?.account, "x00150")                      // paged on in that order
        press(.char("s"))
        guard case .pivot(let p4) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(p4.list.rows.first?.account, "x01299")                  // last seen, latest first
        press(.char("G"))
        guard case .pivot(let p5) = app.state.top else { return XCTFail(screen) }
        XCTAssertEqual(p5.list.current?.account, "x00000")
    }
}
