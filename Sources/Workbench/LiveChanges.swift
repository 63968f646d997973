import Foundation
import RiskStore

// Live changes on a team store (issue 13): another analyst's claim, label or status change
// reaches every screen of this session within a second. The store announces each change
// when it commits (NOTIFY); a listener thread waits on its own connection's socket
// (`ChangeFeed`, no table polling) and hands the changes to the UI loop as a message, which
// puts them on the rows in view and reads again the account screens they touch.

extension AppState {
    /// Changes other sessions made (and this one's, echoed back: applying them again is harmless).
    mutating func applyStoreChanges(_ changes: [StoreChange]) -> [Effect] {
        var reqs: [Effect] = []
        var touched = false
        var reread = Set<String>()
        for c in changes {
            let visibleBefore = shows(c.account)
            switch c.kind {
            case .label:
                let label = c.label == "none" ? nil : c.label
                showLabel(label, on: [c.account])
            case .case:
                setCaseOnRows(c.account, status: c.status, assignee: c.assignee)
            }
            reread.insert(c.account)
            touched = touched || visibleBefore
        }
        // Account screens showing a changed account (or listing it as a neighbour) read it again.
        func accountReads(_ st: [Screen]) {
            for s in st {
                guard case .account(let a) = s else { continue }
                if reread.contains(a.id) || a.linked.contains(where: { reread.contains($0.account) }) {
                    reqs.append(.read(.account(uid: a.uid, id: a.id)))
                }
            }
        }
        accountReads(stack)
        for (_, st) in parkedTabs { accountReads(st) }
        // A dashboard in view redraws (labels per day, the queue panel…).
        if case .dash(var d) = top, d.autoRefresh, !d.loading {
            d.loading = true
            replaceTop(.dash(d))
            reqs.append(.read(.dashLoad(uid: d.uid, name: d.name, range: d.range)))
        }
        // Say what happened when it was someone else's and it shows here; never over a prompt.
        if touched, case .normal = mode, let c = changes.last(where: { $0.analyst != analyst }) {
            say(Self.describe(c))
        }
        return reqs
    }

    /// The feed's connection was lost (`down`) or listens again: the title bar says so while
    /// it is down; once back, the screens in view are read again (what changed meanwhile
    /// was never announced to this session).
    mutating func applyLiveFeed(down: Bool, message: String) -> [Effect] {
        if down {
            liveDown = true
            if case .normal = mode { say(message, error: true) }
            return []
        }
        liveDown = false
        var reqs: [Effect] = []
        if message.isEmpty {
            // Listening for the first time (after the first frame): the queue read again, quietly.
            if case .queue(var q) = top { reqs = refreshQueue(&q); replaceTop(.queue(q)) }
            return reqs
        }
        if case .queue = top { reqs = refresh() }
        if case .normal = mode { say(message) }
        return reqs
    }

    /// "bob labelled acct_1 fraud", "bob claimed acct_2", "bob set acct_3 escalated".
    static func describe(_ c: StoreChange) -> String {
        let who = c.analyst.isEmpty ? "someone" : c.analyst
        switch c.kind {
        case .label:
            return c.label == "none" ? "\(who) withdrew the label of \(c.account)" : "\(who) labelled \(c.account) \(c.label ?? "")"
        case .case:
            if let a = c.assignee, c.status == "in_review" { return a == who ? "\(who) claimed \(c.account)" : "\(who) gave \(c.account) to \(a)" }
            if c.assignee == nil, c.status == "open" { return "\(who) released \(c.account)" }
            return "\(who) set \(c.account) \(c.status ?? "")"
        }
    }

    /// True when a screen (in view or parked) shows the account: a queue row, its account screen.
    func shows(_ account: String) -> Bool {
        func has(_ st: [Screen]) -> Bool {
            st.contains { s in
                switch s {
                case .queue(let q): return q.list.rows.contains { $0.account == account }
                case .account(let a): return a.id == account || a.linked.contains { $0.account == account }
                case .pivot(let p): return p.list.rows.contains { $0.account == account }
                case .timeline(let t): return t.account == account
                default: return false
                }
            }
        }
        return has(stack) || parkedTabs.values.contains(where: has)
    }

    /// A case's status and assignee on the queue rows of its account (every stack, parked too).
    mutating func setCaseOnRows(_ account: String, status: String?, assignee: String?) {
        func fix(_ s: inout Screen) {
            guard case .queue(var q) = s else { return }
            for k in q.list.rows.indices where q.list.rows[k].account == account {
                q.list.rows[k].caseStatus = status
                q.list.rows[k].assignee = assignee
                q.list.rows[k].caseOpenedAt = q.list.rows[k].caseOpenedAt ?? Timestamp.nowMs()
            }
            s = .queue(q)
        }
        for i in stack.indices { fix(&stack[i]) }
        for (k, var st) in parkedTabs {
            for i in st.indices { fix(&st[i]) }
            parkedTabs[k] = st
        }
    }
}

/// The listener: a thread waiting on the feed's socket; each batch of changes becomes one
/// message in the UI loop's inbox. Stopped (and its connection closed) with the app.
final class ChangeListener {
    private var feed: ChangeFeed?
    private let connecting: FeedConnecting?
    private let lock = NSLock()
    private var stopped = false
    private let deliver: (Loaded) -> Void

    /// Listening already.
    init(feed: ChangeFeed, deliver: @escaping (Loaded) -> Void) {
        self.feed = feed
        connecting = nil
        self.deliver = deliver
    }

    /// Listening once `connecting` has connected (on the listener's thread): then the queue
    /// is read again, quietly (an empty `liveFeed` message), for what changed before.
    init(connecting: FeedConnecting, deliver: @escaping (Loaded) -> Void) {
        self.connecting = connecting
        self.deliver = deliver
    }

    func start() {
        let t = Thread { [self] in loop() }
        t.name = "riskdesk.listen"
        t.start()
    }

    func stop() { lock.lock(); stopped = true; lock.unlock() }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Seconds between attempts to listen again after the connection was lost (growing to
    /// `maxRetryDelay`); tests shorten them.
    var retryDelay = 0.5
    var maxRetryDelay = 5.0

    private func loop() {
        if feed == nil, let connecting {
            do {
                feed = try connecting.feed()
                if feed != nil, !isStopped { deliver(.liveFeed(down: false, message: "")) }
            } catch {
                if isStopped { return }
                guard reconnect(after: error) else { return }
            }
        }
        guard feed != nil else { return }
        while !isStopped, let feed {
            do {
                // A short wait so a stop is noticed promptly; a change is delivered as soon as it arrives.
                let changes = try feed.wait(timeout: 0.25)
                if !changes.isEmpty && !isStopped { deliver(.storeChanged(changes)) }
            } catch {
                // The connection was lost (server restarted, backend terminated, network):
                // the screen says so while it is down, and the listener keeps trying.
                if isStopped { return }
                guard reconnect(after: error) else { return }
            }
        }
    }

    /// Down: says so, then tries again (with a growing delay) until it listens or is stopped.
    private func reconnect(after error: Error) -> Bool {
        deliver(.liveFeed(down: true, message: "live updates down (\(Self.brief(error))) — reconnecting; R reads the queue again"))
        var delay = retryDelay
        while !isStopped {
            sleepUnlessStopped(delay)
            if isStopped { return false }
            do {
                if let feed { try feed.reconnect() } else { feed = try connecting?.again() }
                guard feed != nil else { return false }
                // Changes committed while nobody listened are not replayed: the queue is read again.
                deliver(.liveFeed(down: false, message: "live updates back — the queue read again"))
                return true
            } catch {
                delay = min(maxRetryDelay, delay * 2)
            }
        }
        return false
    }

    private func sleepUnlessStopped(_ seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while !isStopped, Date() < end { usleep(20_000) }
    }

    /// The first line of an error, short enough for the status line.
    static func brief(_ error: Error) -> String {
        let s = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
        return s.count > 80 ? String(s.prefix(79)) + "…" : s
    }
}
