import Foundation
import RiskStore
import TerminalKit

// The review queue: a keyset-paged list of accounts, sorted by any column, narrowed by
// stacked filters (shown as chips), marked rows for bulk labels.
public struct QueueScreen {
    var uid: Int
    public var query = QueueQuery()
    public var list = Paged<QueueRow>()
    /// A re-read of the rows in flight (`R`, or live updates listening again).
    var refreshing: QueueRefresh?
}

extension AppState {
    var queueBindings: [Binding] {
        [Binding([.char(" ")], .mark, keyLabel: "Space", help: "mark the row for a bulk label (1 2 3 label the marked)")] + listBindings + [
            Binding([.enter, .char("l"), .right], .open, keyLabel: "Enter", help: "open the account", hint: "open"),
            Binding([.char("s")], .sortNext, help: "sort by next column (:sort COLUMN sorts by any header)"),
            Binding([.char("S")], .sortReverse, help: "reverse the sort"),
            Binding([.char("y")], .copyAccount, help: "copy the account id (OSC 52)"),
        ]
    }

    func queueFetch(_ q: QueueScreen, _ f: Fetch) -> Effect {
        switch f {
        case .first: return .read(.queuePage(uid: q.uid, query: q.query, direction: .first, anchor: nil))
        case .last: return .read(.queuePage(uid: q.uid, query: q.query, direction: .last, anchor: nil))
        case .after: return .read(.queuePage(uid: q.uid, query: q.query, direction: .after, anchor: q.list.rows.last.map { ($0.key, $0.account) }))
        case .before: return .read(.queuePage(uid: q.uid, query: q.query, direction: .before, anchor: q.list.rows.first.map { ($0.key, $0.account) }))
        }
    }

    /// A page for a move. The first or last page replaces the window: a new uid, so a page
    /// still in flight for the old window (a prefetch, a refresh) is dropped, not merged in.
    mutating func queueJump(_ q: inout QueueScreen, _ f: Fetch) -> [Effect] {
        guard f == .first || f == .last else { return [queueFetch(q, f)] }
        q.uid = uid()
        q.refreshing = nil
        return [queueFetch(q, f)] + (q.list.total == nil ? [.read(.queueCount(uid: q.uid, query: q.query))] : [])
    }

    static let sortOrder: [QueueSort] = [.score, .events, .lastSeen, .created, .country, .account]
    mutating func resort(_ q: inout QueueScreen, _ sort: QueueSort, descending: Bool) -> [Effect] {
        q.query.sort = sort
        q.query.descending = descending
        restartQueue(&q)
        say("sorted by " + (sort == .created ? "age, \(descending ? "youngest" : "oldest") first" : "\(sort.rawValue.replacingOccurrences(of: "_", with: " ")) \(descending ? "descending" : "ascending")"))
        return [queueFetch(q, .first), .read(.queueCount(uid: q.uid, query: q.query))]
    }

    mutating func queueUpdate(_ action: Action, _ key: Key, _ q: inout QueueScreen) -> [Effect] {
        switch action {
        case .mark:
            // Space marks the row for a bulk label and moves on.
            guard let row = q.list.current else { return [] }
            if marked.contains(row.account) { marked.remove(row.account) } else { marked.insert(row.account) }
            say("\(marked.count) account\(marked.count == 1 ? "" : "s") marked — 1 2 3 labels them all")
            let nav = navigate(&q.list, .down, visible: listRows)
            return nav.fetch.map { queueJump(&q, $0) } ?? []
        case .move:
            let nav = navigate(&q.list, key, visible: listRows)
            return nav.fetch.map { queueJump(&q, $0) } ?? []
        case .open:
            guard let row = q.list.current else { return [] }
            return open(account: row.account)
        case .sortNext:
            // Score order only once a detection run has scored the store.
            let order = hasScores ? Self.sortOrder : Self.sortOrder.filter { $0 != .score }
            let i = order.firstIndex(of: q.query.sort) ?? 0
            let next = order[(i + 1) % order.count]
            return resort(&q, next, descending: next.descendingFirst)
        case .sortReverse:
            return resort(&q, q.query.sort, descending: !q.query.descending)
        case .pointer:
            guard case .click(let x, let y) = key.pointer else { return [] }
            if y == 1 {   // header row: sort by the clicked column
                if let sort = QueueView.sortForColumn(atX: x, width: width, rows: Array(q.list.rows.dropFirst(q.list.scroll).prefix(listRows))) {
                    return resort(&q, sort, descending: q.query.sort == sort ? !q.query.descending : sort.descendingFirst)
                }
                return []
            }
            guard let r = TableView.rowAt(y: y, area: contentArea) else { return [] }
            let idx = q.list.scroll + r
            guard q.list.rows.indices.contains(idx) else { return [] }
            q.list.cursor = idx
            if case .doubleClick = key { return open(account: q.list.rows[idx].account) }
            return []
        default: return []
        }
    }
}

enum QueueView {
    /// The columns at this width: "last seen" from 180 columns, where the reason keeps its room.
    static func columns(width: Int) -> [(Column, QueueSort?)] { width >= 180 ? allColumns : allColumns.filter { $0.1 != .lastSeen } }

    static let allColumns: [(Column, QueueSort?)] = [
        (Column("#", width: 7, align: .right), nil),
        (Column("account", width: 13, identifier: true), .account),
        (Column("score", width: 7, align: .right), .score),
        (Column("risk", width: 16), .risk),
        (Column("group", width: 13, identifier: true), .group),
        (Column("label", width: 6), .label),
        (Column("case", width: 16), .caseStatus),
        (Column("cc", width: 3), .country),
        (Column("events", width: 8, align: .right), .events),
        (Column("last seen", width: 16), .lastSeen),
        (Column("age", width: 5, align: .right), .created),
        (Column("top reason", flex: 1), nil),
    ]

    /// A sort by a header's name (`:sort cc`, `:sort last seen`): the store's sort, and
    /// whether it starts descending (age ▼ is the oldest first: created ascending).
    static func sort(named name: String) -> (QueueSort, descending: Bool)? {
        let n = name.lowercased().replacingOccurrences(of: "_", with: " ")
        switch n {
        case "age": return (.created, false)
        case "cc": return (.country, false)
        case "last", "last seen", "seen": return (.lastSeen, true)
        default:
            guard let s = allColumns.compactMap(\.1).first(where: { $0.rawValue.replacingOccurrences(of: "_", with: " ") == n }) ?? QueueSort(rawValue: n) else { return nil }
            return (s, s.descendingFirst)
        }
    }

    /// Names for `:sort`, as the headers say them.
    static let sortNames = ["account", "score", "risk", "group", "label", "case", "cc", "events", "last", "age"]

    /// The sort as the status line says it, by its header: "age↓" is the oldest first.
    static func sortLabel(_ q: QueueQuery) -> String {
        if q.sort == .created { return "age" + (q.descending ? "↑" : "↓") }
        return q.sort.rawValue + (q.descending ? "↓" : "↑")
    }

    /// The column under a click on the header, laid out as `render` lays out these rows.
    static func sortForColumn(atX x: Int, width: Int, rows: [QueueRow] = []) -> QueueSort? {
        let columns = columns(width: width)
        // The identifier columns (account, group) take their widths from the rows shown.
        let cells = rows.map { ["", $0.account, "", "", $0.group ?? ""] }
        let widths = TableView.layout(TableLayout.sized(columns.map(\.0), cells: cells), width: width)
        var cx = 0
        for (i, w) in widths.enumerated() {
            if x >= cx && x < cx + w { return columns[i].1 }
            cx += w + 1
        }
        return nil
    }

    /// `2026-10-29 16:04`: a time to the minute.
    static func minute(_ ms: Int64) -> String {
        var b = Array(Timestamp.iso(ms).utf8.prefix(16))
        if b.count > 10 { b[10] = UInt8(ascii: " ") }
        return String(decoding: b, as: UTF8.self)
    }

    static func render(_ q: QueueScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme, now: Int64) {
        let visible = max(0, area.height - 1)
        let start = q.list.scroll
        let columns = columns(width: area.width)
        let lastSeenShown = columns.count == allColumns.count
        var rows: [TableRow] = []
        rows.reserveCapacity(visible)
        let muted = theme["muted"], accent = theme["accent"], error = theme["error"], warn = theme["warn"], late = theme["error"].bolded()
        for i in start..<min(q.list.rows.count, start + visible) {
            let r = q.list.rows[i]
            let pos = (s.marked.contains(r.account) ? "● " : "") + (q.list.offsetKnown ? String(q.list.offset + i + 1) : "")
            let scoreText = ScoreCell.text(r.score)
            // The case: who holds it and for how long; past its risk type's SLA it is overdue.
            var caseText = ""
            var overdue = false
            if let opened = r.caseOpenedAt, let status = r.caseStatus {
                let open = status != "closed"
                let who = status == "closed" ? "closed" + (r.assignee.map { " @" + $0 } ?? "") : r.assignee.map { "@" + $0 } ?? status
                if open, let h = s.sla[r.riskType ?? ""] ?? s.sla["default"] {
                    // Clamped to 10^12 hours: a deadline past any date (an `sla` of 1e300) must not trap.
                    let due = opened + Int64(h.isFinite ? min(max(h, 0), 1e12) * 3_600_000 : 0)
                    overdue = now > due
                    caseText = overdue ? "LATE \(who) +\(Human.duration(ms: now - due))" : "\(who) due \(Human.duration(ms: due - now))"
                } else {
                    caseText = who + (open ? " " + ago(opened, now: now) : "")
                }
            }
            let scoreStyle = ScoreCell.style(r.score, theme)
            var cells = [pos, r.account, scoreText, r.riskType ?? "", r.group ?? "", r.label ?? "", caseText, r.country ?? "", Human.count(Double(r.events))]
            var styles: [Style?] = [muted, nil, scoreStyle, accent, muted, r.label == "fraud" ? error : r.label == "legit" ? muted : warn, overdue ? late : muted, nil, nil]
            // The last-seen column only where it is shown (it is the dearest cell to build).
            if lastSeenShown { cells.append(r.lastSeen.map(minute) ?? "—"); styles.append(muted) }
            cells += [ago(r.createdAt, now: now), r.reason ?? (r.kind.map { "(\($0))" } ?? "")]
            styles += [nil, r.reason == nil ? muted : nil]
            rows.append(TableRow(cells, cellStyles: styles))
        }
        var table = TableView(columns: columns.map(\.0), rows: rows, selected: q.list.cursor - start)
        table.sortColumn = columns.firstIndex { $0.1 == q.query.sort }
        // Age runs against creation: ▼ (oldest first) is created ascending.
        table.sortDescending = q.query.sort == .created ? !q.query.descending : q.query.descending
        table.render(into: buf, area: area, theme: theme)
        if q.list.rows.isEmpty && !q.list.loading {
            let chips = q.query.chips
            let msg = chips.isEmpty ? "The store has no accounts yet: riskdesk import FILES (or riskdesk demo)"
                : "No account matches " + chips.joined(separator: " · ") + " — / changes the filter; :all shows every account"
            buf.write(msg, x: 2, y: area.y + 2, style: theme["muted"], maxWidth: area.width - 4)
        }
    }
}
