import Foundation
import XCTest

/// Issue 14's analyst items end to end, the real binary in tmux over the demo store: the SQL
/// console refuses to open or batch a result without account ids (item 3), a group opens with
/// as many members as its size (item 2), a timeline asked for a day after its last event
/// shows the last events and `g` still works (item 5), a pivot list sorts and `G` reaches its
/// end (item 14), and `/TEXT` searches the timeline (item 15).
final class AnalystItemsTmuxTests: TmuxTestCase {
    func testConsoleGroupsTimelineAndPivotNavigation() throws {
        try DemoStore.copy(to: store)
        let t = Tmux("\(CLI.binary) tui --store \(store)", width: 120, height: 40, env: ["TERM": "xterm-256color"])
        sessions.append(t)
        t.wait(for: "accounts · sort score")

        // Item 3: counts are no account ids.
        t.command("sql")
        t.wait(for: "read-only · F5 run")
        t.type("SELECT risk_type, count(*) AS accounts FROM scores GROUP BY 1 ORDER BY 2 DESC")
        t.keys("F5")
        t.wait(for: "rows in")
        t.keys("Escape", "Enter")
        var s = t.wait(for: "no account column in this result")
        XCTAssertFalse(s.contains("SQL › Account"), s)
        t.keys("b")
        s = t.wait(for: "no account column in this result")
        XCTAssertFalse(s.contains(":batch"), s)

        // Item 2: the biggest group opens with as many members as its size.
        t.command("groups")
        /// The first group row under the table header: id, risk type, size, …
        func firstRow(_ s: String) -> [String]? {
            let rows = s.components(separatedBy: "\n")
            guard let h = rows.firstIndex(where: { $0.hasPrefix("group ") }), rows.indices.contains(h + 1) else { return nil }
            let cells = rows[h + 1].split(separator: " ").map(String.init)
            return cells.count >= 3 ? cells : nil
        }
        s = t.wait(until: "the groups") { $0.contains("Rings, clusters and farms") && firstRow($0) != nil }
        guard let first = firstRow(s) else { return XCTFail("no group row:\n\(s)") }
        let (group, size) = (first[0], first[2])
        t.keys("Enter")
        s = t.wait(for: "group \(group) — \(size) account")

        // Item 14: s sorts the members by score, G reaches the last of them.
        t.keys("s")
        t.wait(for: "sorted by score, highest first")
        t.keys("G")
        t.wait(for: " \(size)/\(size) accounts")

        // Item 5: a day after the last event shows the last events; g goes to the first.
        t.command("queue")
        t.wait(for: "accounts · sort score")
        t.keys("Enter")
        t.wait(for: "PII masked")
        /// The status line ends with the cursor's event number.
        func atEvent(_ n: String) -> (String) -> Bool {
            { $0.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces).hasSuffix("event \(n)") } ?? false }
        }
        t.keys("t")
        t.wait(until: "event 1", atEvent("1"))
        t.command("date 2099-01-01")
        s = t.wait(for: "no events on or after 2099-01-01")
        XCTAssertFalse(s.contains("No events"), s)
        // The last page read: the cursor on a later event (its number unknown, "~", on a long timeline).
        s = t.wait(until: "the last events") { !$0.contains("loading…") && !$0.contains("No events") && !atEvent("1")($0) }
        t.keys("g")
        t.wait(until: "event 1", atEvent("1"))

        // Item 15: /TEXT searches (here the device of the first event), it filters nothing.
        t.keys("/"); t.type("zz-no-such-thing"); t.keys("Enter")
        s = t.wait(for: "no further event matching “zz-no-such-thing”")
        XCTAssertFalse(s.contains("No events"), s)
        t.command("q")
        t.wait(for: "EXIT:0")
    }
}
