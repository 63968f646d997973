import Foundation
import RiskStore
import TerminalKit

// Pivot lists: the accounts sharing an identifier, the groups of the latest detection run,
// a group's members.
public struct PivotScreen {
    var uid: Int
    public var kind: PivotKind
    public var value: String
    public var list = Paged<PivotRow>()
    public var accounts: Int64 = 0
    public var events: Int64 = 0
    /// The list's order (`s` cycles, `S` … ), and `G` reading on to the end.
    public var sort: PivotSort = .events
    var toEnd = false
}

extension AppState {
    func pivotBindings(_ p: PivotScreen) -> [Binding] {
        listBindings + [
            Binding([.enter, .char("l"), .right], .open, keyLabel: "Enter", help: p.kind == .groups ? "list the group's members" : "open the account", hint: "open"),
            Binding([.char("s")], .sortNext, help: "sort by the next column: events, score, account, last seen", hint: "sort"),
        ]
    }

    public mutating func open(pivot kind: PivotKind, value: String) -> [Effect] {
        var p = PivotScreen(uid: uid(), kind: kind, value: value)
        p.list.loading = true
        stack.append(.pivot(p))
        return [.read(.pivotPage(uid: p.uid, kind: kind, value: value, after: nil))]
    }

    mutating func pivotUpdate(_ action: Action, _ key: Key, _ p: inout PivotScreen) -> [Effect] {
        switch action {
        case .move:
            let nav = navigate(&p.list, key, visible: listRows)
            if let f = nav.fetch, f == .after || f == .last {
                if f == .last { return pivotToEnd(&p) }
                return [pivotNext(p)]
            }
            p.list.loading = false
            if nav.fetch == .first { p.list.cursor = 0; p.list.scroll = 0 }
            return []
        case .sortNext:
            return sortPivot(&p)
        case .open:
            // In the list of groups, Enter expands a group to its members.
            guard let row = p.list.current else { return [] }
            return p.kind == .groups ? open(pivot: .group, value: row.account) : open(account: row.account)
        case .pointer:
            if case .click(_, let y) = key.pointer, let r = TableView.rowAt(y: y, area: contentArea) {
                let idx = p.list.scroll + r
                if p.list.rows.indices.contains(idx) { p.list.cursor = idx }
            }
            return []
        default: return []
        }
    }
}

enum PivotView {
    static func render(_ p: PivotScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme) {
        let head: String
        switch p.kind {
        case .groups: head = "Rings, clusters and farms of the latest detection run — \(p.accounts) groups, \(Human.count(Double(p.events))) accounts · Enter lists members"
        case .group: head = "group \(p.value) — \(p.accounts) account\(p.accounts == 1 ? "" : "s"), \(Human.count(Double(p.events))) events"
        default: head = "\(p.kind.rawValue) \(p.value) — used by \(p.accounts) account\(p.accounts == 1 ? "" : "s"), \(Human.count(Double(p.events))) events"
        }
        buf.write(head, x: 1, y: area.y, style: theme["accent"].bolded(), maxWidth: area.width - 2)
        let tableArea = Rect(x: 0, y: area.y + 1, width: area.width, height: area.height - 1)
        let visible = max(0, tableArea.height - 1)
        let start = p.list.scroll
        var rows: [TableRow] = []
        func score(_ r: PivotRow) -> String { ScoreCell.text(r.score) }
        func scoreStyle(_ r: PivotRow) -> Style? { ScoreCell.style(r.score, theme) }
        let cols: [Column]
        if p.kind == .groups {
            for i in start..<min(p.list.rows.count, start + visible) {
                let r = p.list.rows[i]
                rows.append(TableRow([r.account, r.riskType ?? "", Human.count(Double(r.events)), score(r), r.reason ?? ""],
                                     cellStyles: [nil, theme["accent"], nil, scoreStyle(r), nil]))
            }
            cols = [Column("group", width: 16, identifier: true), Column("risk", width: 16), Column("size", width: 6, align: .right),
                    Column("score", width: 6, align: .right), Column("reason", flex: 1)]
        } else {
            for i in start..<min(p.list.rows.count, start + visible) {
                let r = p.list.rows[i]
                rows.append(TableRow([r.account, score(r), r.riskType ?? "", r.kind ?? "—", r.country ?? "", Human.count(Double(r.events)),
                                      Human.count(Double(r.accountEvents)), day(r.firstTs), day(r.lastTs), r.reason ?? ""],
                                     cellStyles: [nil, scoreStyle(r), theme["accent"], nil, nil, nil, nil, theme["muted"], theme["muted"], nil]))
            }
            cols = [Column("account", width: 14, identifier: true), Column("score", width: 6, align: .right), Column("risk", width: 16),
                    Column("kind", width: 8), Column("cc", width: 3),
                    Column(p.kind == .group ? "findings" : "with it", width: 8, align: .right), Column("all events", width: 10, align: .right),
                    Column("first", width: 10), Column("last", width: 10), Column("top reason", flex: 1)]
        }
        var table = TableView(columns: cols, rows: rows, selected: p.list.cursor - start)
        table.sortColumn = PivotOrder.column(p)
        table.sortDescending = p.sort != .account
        table.render(into: buf, area: tableArea, theme: theme)
    }
}
