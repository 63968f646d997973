import RiskStore

// Keeping what the screens show of a case current after `c`, `n` or `:status`, and `R`
// reading the queue again where the cursor is.

extension AppState {
    /// Puts a case's new state on the queue rows of its account (every stack, parked too)
    /// and reads the account screens showing it again.
    mutating func showCase(_ account: String, _ state: CaseState?) -> [Effect] {
        var reqs: [Effect] = []
        func fix(_ s: inout Screen) {
            switch s {
            case .queue(var q):
                for k in q.list.rows.indices where q.list.rows[k].account == account {
                    q.list.rows[k].caseStatus = state?.status
                    q.list.rows[k].assignee = state?.assignee
                    q.list.rows[k].caseOpenedAt = state?.openedAt ?? q.list.rows[k].caseOpenedAt
                }
                s = .queue(q)
            case .account(let a) where a.id == account:
                reqs.append(.read(.account(uid: a.uid, id: a.id)))
            default: break
            }
        }
        for i in stack.indices { fix(&stack[i]) }
        for (k, var st) in parkedTabs {
            for i in st.indices { fix(&st[i]) }
            parkedTabs[k] = st
        }
        return reqs
    }

    /// `R` on the queue: reads the rows again from the top of the screen down, the cursor
    /// staying on its account (or its row, if that account left the view).
    mutating func refreshQueue(_ q: inout QueueScreen) -> [Effect] {
        let keep = q.list.current.map { (account: $0.account, row: q.list.cursor - q.list.scroll) }
        let top = q.list.scroll
        let anchor = top > 0 ? q.list.rows[top - 1] : nil
        let offset = q.list.offset + top
        let known = q.list.offsetKnown
        let total = q.list.total
        q.list = Paged()
        q.list.total = total
        q.list.loading = true
        q.keepCursor = keep
        guard let anchor else { return [queueFetch(q, .first), .read(.queueCount(uid: q.uid, query: q.query))] }
        q.list.atStart = false
        q.list.offset = offset
        q.list.offsetKnown = known
        return [.read(.queuePage(uid: q.uid, query: q.query, direction: .after, anchor: (anchor.key, anchor.account))),
                .read(.queueCount(uid: q.uid, query: q.query))]
    }

    /// After the re-read page arrived: the cursor back on its account.
    static func restoreCursor(_ q: inout QueueScreen, visible: Int) {
        guard let keep = q.keepCursor else { return }
        q.keepCursor = nil
        guard !q.list.rows.isEmpty else { return }
        if let i = q.list.rows.firstIndex(where: { $0.account == keep.account }) { q.list.cursor = i }
        else { q.list.cursor = min(keep.row, q.list.rows.count - 1) }
        q.list.scroll = max(0, q.list.cursor - keep.row)
        q.list.follow(visible: visible)
    }
}
