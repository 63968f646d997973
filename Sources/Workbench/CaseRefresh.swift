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

    /// `R` on the queue (and live updates listening again): reads the rows again from the
    /// top of the screen down, the cursor staying on its account (or its row, if that
    /// account left the view). The rows stay in view meanwhile and the keys keep working:
    /// the page is asked for by the keyset of the screen's top row, and when it arrives it
    /// lands where the analyst is then (see `refreshed`). A new uid drops the answers to
    /// reads asked before (a page of the old rows arriving late would land on the new ones).
    mutating func refreshQueue(_ q: inout QueueScreen) -> [Effect] {
        q.uid = uid()
        q.refreshing = nil
        q.list.loading = true
        guard !q.list.rows.isEmpty else {
            let total = q.list.total
            q.list = Paged()
            q.list.total = total
            q.list.loading = true
            return [queueFetch(q, .first), .read(.queueCount(uid: q.uid, query: q.query))]
        }
        return [Self.askRefresh(&q), .read(.queueCount(uid: q.uid, query: q.query))]
    }

    /// The queue read again from its start for a new filter, sort or scope: a new uid, so
    /// a page of the old order still in flight is dropped, not merged into the new one.
    mutating func restartQueue(_ q: inout QueueScreen) {
        q.uid = uid()
        q.refreshing = nil
        q.list = Paged()
        q.list.loading = true
    }

    /// The read of a refresh, from where the screen starts now: the rows after the one above
    /// the screen's top (its keyset: sort key and account), or the queue's first page when
    /// the screen starts there. A screen whose top is the window's first row (the rows above
    /// were trimmed) keeps that row and reads the ones after it.
    static func askRefresh(_ q: inout QueueScreen) -> Effect {
        let top = max(0, min(q.list.scroll, q.list.rows.count - 1))
        var r = QueueRefresh(top: q.list.rows[top].account, kept: nil, atStart: false,
                             offset: q.list.offset + top, offsetKnown: q.list.offsetKnown)
        let anchor: QueueRow
        if top > 0 {
            anchor = q.list.rows[top - 1]
        } else if q.list.atStart {
            r.atStart = true; r.offset = 0; r.offsetKnown = true
            q.refreshing = r
            return .read(.queuePage(uid: q.uid, query: q.query, direction: .first, anchor: nil))
        } else {
            anchor = q.list.rows[0]
            r.kept = anchor
        }
        q.refreshing = r
        return .read(.queuePage(uid: q.uid, query: q.query, direction: .after, anchor: (anchor.key, anchor.account)))
    }

    /// A refresh's page arrived. If the screen still starts on the row it started on when
    /// the page was asked for, the page replaces the rows and the cursor goes back on the
    /// account selected now (the analyst may have moved it meanwhile), on the same screen
    /// row; if that account left, the cursor stays on its screen row. If the analyst turned
    /// pages meanwhile the page is stale: dropped, and the page at the screen's top now is
    /// asked for instead (the returned read).
    static func refreshed(_ q: inout QueueScreen, _ r: QueueRefresh, _ rows: [QueueRow], visible: Int) -> Effect? {
        q.refreshing = nil
        let screenTop = q.list.rows.indices.contains(q.list.scroll) ? q.list.rows[q.list.scroll].account : nil
        if let screenTop, screenTop != r.top { return askRefresh(&q) }
        let selected = q.list.current?.account
        let row = max(0, q.list.cursor - q.list.scroll)
        let fresh = (r.kept.map { [$0] } ?? []) + rows
        q.list.loading = false
        if fresh.isEmpty && !r.atStart {
            // Every row from the screen's top on has left the queue: its last page instead.
            q.list.rows = []
            q.list.loading = true
            q.list.atEnd = true
            return .read(.queuePage(uid: q.uid, query: q.query, direction: .last, anchor: nil))
        }
        q.list.rows = fresh
        q.list.atStart = r.atStart
        q.list.atEnd = rows.count < pageSize
        q.list.offset = r.offset
        q.list.offsetKnown = r.offsetKnown
        guard !fresh.isEmpty else { q.list.cursor = 0; q.list.scroll = 0; return nil }
        if let selected, let i = fresh.firstIndex(where: { $0.account == selected }) { q.list.cursor = i }
        else { q.list.cursor = min(row, fresh.count - 1) }
        q.list.scroll = max(0, q.list.cursor - row)
        q.list.follow(visible: visible)
        if !q.list.offsetKnown, q.list.atEnd, let t = q.list.total { q.list.offset = Int(t) - fresh.count; q.list.offsetKnown = true }
        return nil
    }
}

/// A refresh in flight: where the screen started when its page was asked for.
struct QueueRefresh {
    /// The account on the screen's top row then.
    var top: String
    /// That row itself, when the page is read after it (no row above it in the window).
    var kept: QueueRow?
    /// The page starts the queue.
    var atStart: Bool
    /// The page's first row's place in the queue.
    var offset: Int
    var offsetKnown: Bool
}
