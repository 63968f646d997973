import RiskStore

// Pivot lists (an identifier's accounts, the groups, a group's members): `s` sorts them by
// the next column, `G` reads on to the very end.

enum PivotOrder {
    /// The table column the sort marker goes on.
    static func column(_ p: PivotScreen) -> Int? {
        if p.kind == .groups {
            switch p.sort { case .account: return 0; case .events, .lastSeen: return 2; case .score: return 3 }
        }
        switch p.sort { case .account: return 0; case .score: return 1; case .events: return 5; case .lastSeen: return 8 }
    }
}

extension AppState {
    /// The page after the last row read, in the list's order.
    func pivotNext(_ p: PivotScreen) -> Effect {
        .read(.pivotPage(uid: p.uid, kind: p.kind, value: p.value, after: p.list.rows.last.map { (p.sort.key($0, kind: p.kind.rawValue), $0.account) }, sort: p.sort))
    }

    /// `s`: the next order, read again from the top.
    mutating func sortPivot(_ p: inout PivotScreen) -> [Effect] {
        let all: [PivotSort] = p.kind == .groups ? [.events, .score, .account] : PivotSort.allCases
        p.sort = all[((all.firstIndex(of: p.sort) ?? 0) + 1) % all.count]
        p.list = Paged()
        p.list.loading = true
        p.toEnd = false
        say("sorted by \(p.kind == .groups && p.sort == .events ? "size" : p.sort.rawValue)\(p.sort == .account ? "" : ", highest first")")
        return [.read(.pivotPage(uid: p.uid, kind: p.kind, value: p.value, after: nil, sort: p.sort))]
    }

    /// `G`: reads the rest of the list, then puts the cursor on its last row.
    mutating func pivotToEnd(_ p: inout PivotScreen) -> [Effect] {
        if p.list.atEnd || p.list.rows.isEmpty {
            p.list.loading = false
            p.list.cursor = max(0, p.list.rows.count - 1)
            p.list.follow(visible: listRows)
            return []
        }
        p.toEnd = true
        p.list.loading = true
        return [pivotNext(p)]
    }

    /// A page arrived: on to the end if `G` asked for it.
    mutating func pivotLoaded(_ p: inout PivotScreen) -> [Effect] {
        guard p.toEnd else { return [] }
        if p.list.atEnd { p.toEnd = false; return pivotToEnd(&p) }
        p.list.loading = true
        return [pivotNext(p)]
    }
}
