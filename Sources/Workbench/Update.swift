import Foundation
import RiskStore
import TerminalKit

let pageSize = 100
let windowRows = 400

enum Fetch { case after, before, first, last }

/// Moves a paged list for a navigation key; says which page to fetch, if any.
func navigate<R>(_ list: inout Paged<R>, _ key: Key, visible: Int) -> (handled: Bool, fetch: Fetch?) {
    let half = max(1, visible / 2)
    var target = list.cursor
    switch key {
    case .down, .char("j"): target += 1
    case .up, .char("k"): target -= 1
    case .pageDown, .char(" "): target += visible
    case .pageUp: target -= visible
    case .ctrl("d"): target += half
    case .ctrl("u"): target -= half
    case .wheelDown: target += 3
    case .wheelUp: target -= 3
    case .home, .char("g"):
        if list.atStart { list.cursor = 0; list.scroll = 0; return (true, nil) }
        list.loading = true
        return (true, .first)
    case .end, .char("G"):
        if list.atEnd { list.cursor = max(0, list.rows.count - 1); list.follow(visible: visible); return (true, nil) }
        list.loading = true
        return (true, .last)
    default: return (false, nil)
    }
    list.cursor = max(0, min(target, list.rows.count - 1))
    list.follow(visible: visible)
    return (true, prefetch(&list, visible: visible))
}

func prefetch<R>(_ list: inout Paged<R>, visible: Int) -> Fetch? {
    guard !list.loading, !list.rows.isEmpty else { return nil }
    if !list.atEnd && list.cursor >= list.rows.count - visible * 2 { list.loading = true; return .after }
    if !list.atStart && list.cursor < visible { list.loading = true; return .before }
    return nil
}

/// Merges a page into the window.
func merge<R>(_ list: inout Paged<R>, _ rows: [R], direction: PageDirection, visible: Int) {
    list.loading = false
    switch direction {
    case .first:
        list.rows = rows; list.cursor = 0; list.scroll = 0; list.offset = 0; list.offsetKnown = true
        list.atStart = true; list.atEnd = rows.count < pageSize
    case .last:
        list.rows = rows; list.cursor = max(0, rows.count - 1); list.atEnd = true; list.atStart = rows.count < pageSize
        if let t = list.total { list.offset = Int(t) - rows.count; list.offsetKnown = true } else { list.offsetKnown = list.atStart; list.offset = 0 }
        list.scroll = max(0, rows.count - visible)
    case .after:
        list.rows += rows
        if rows.count < pageSize { list.atEnd = true }
    case .before:
        list.rows.insert(contentsOf: rows, at: 0)
        list.cursor += rows.count; list.scroll += rows.count; list.offset -= rows.count
        if rows.count < pageSize { list.atStart = true; list.offset = 0; list.offsetKnown = list.offsetKnown || true }
    }
    list.trim(keep: windowRows)
    list.follow(visible: visible)
}

/// Help for each screen: (keys, what they do).
enum Bindings {
    static let global: [(String, String)] = [
        ("?", "this help"), (":", "command line (Tab completes)"), ("/", "filter the list"),
        ("Tab", "switch between the queue and the last drill-down"), ("Esc q h ←", "back (q on the queue quits)"),
        ("1 2 3", "label the account in view fraud / legit / unsure (then category, note)"),
        ("u Ctrl-R", "undo / redo a label"), ("c", "claim the case in view"), ("Space", "mark a queue row for a bulk label"), ("R", "refresh: read the queue or account again"),
        ("n", "claim and open the next unclaimed case of the queue view"), ("Ctrl-C", "quit"),
    ]
    static let lists: [(String, String)] = [
        ("j k ↓ ↑", "move"), ("Ctrl-d Ctrl-u", "half page"), ("PgDn PgUp", "page"), ("g G", "first / last"),
    ]
    static func screen(_ s: Screen) -> [(String, String)] {
        switch s {
        case .queue: return lists + [("Tab", "next main screen: queue → SQL → dashboard"), ("Enter", "open the account"), ("s S", "sort by next column / reverse"), ("click header", "sort by that column")]
        case .account: return lists + [("Enter", "open the identifier's accounts, or the linked account"), ("t", "event timeline"), ("r", "reveal email and phone (asks why; audited)")]
        case .pivot(let p): return lists + [("Enter", p.kind == "groups" ? "list the group's members" : "open the account"),
                                            ("s", "sort by the next column: events, score, account, last seen")]
        case .sql: return [
            ("F5  Ctrl-Enter", "run the statement under the cursor (or the selection); also Ctrl-J, Ctrl-G"), ("F6  Ctrl-P", "EXPLAIN QUERY PLAN of it"),
            ("Tab", "complete keyword, table, column, function, saved query"), ("Ctrl-R", "search the history"),
            ("Ctrl-C", "cancel a running query; copy the selection"), ("F8", "allow writing (asks) / read-only again"),
            ("Shift-arrows Ctrl-A", "select; select all"), ("Ctrl-Z Ctrl-Y", "undo / redo"), ("Ctrl-X Ctrl-V", "cut / paste"),
            ("Ctrl-←/→ Alt-b/f", "word left / right"), ("Ctrl-L", "clear the editor"), ("Ctrl-O  Ctrl-S", "open / save a query (queries/NAME.sql)"),
            ("Esc", "editor ⇄ results"), ("results: j k h l g G", "move by row / column, first / last row"),
            ("results: Enter", "open the row's account"), ("results: v", "show the cell whole (JSON pretty)"), ("results: s S", "sort by the column"),
            ("results: y Y", "copy cell / row (OSC 52)"), ("results: b", "make a review batch of the accounts"), ("results: x", "export (:export FILE)"),
        ]
        case .dash: return [("j k PgDn PgUp", "scroll"), ("[ ]  t", "time range: 24h, 7d, 30d, all"), ("n N", "next / previous dashboard"),
                            ("r", "refresh"), ("a", "auto-refresh when the store changes, on / off"), (":dash NAME RANGE", "open a dashboard")]
        case .timeline: return lists + [("Enter", "all fields of the event"), ("/", "filter by event type (e.g. login,order)"),
                                       ("/TEXT", "find the next event with TEXT (an IP, a device, an order…)"), ("e", "next ◆ evidence event"),
                                       ("+ -", "zoom the activity strip around the cursor"), ("0", "whole life"), (":date YYYY-MM-DD", "jump to a day")]
        }
    }
}

/// Commands for the command line, with what they take.
enum Commands {
    static let all: [(String, String)] = [
        ("queue", "the review queue"), ("account", "ID — open an account"), ("device", "ID — accounts on a device"),
        ("ip", "ADDR — accounts on an IP"), ("payment", "ID — accounts using a payment instrument"),
        ("address", "ID — accounts shipping to an address"), ("coupon", "CODE — accounts redeeming a coupon"),
        ("item", "ID — accounts that carted, bought or reviewed an item"), ("seller", "ID — accounts that bought from a seller"),
        ("domain", "DOMAIN — accounts with that email domain"), ("target", "ID — accounts acting on an account"),
        ("date", "YYYY-MM-DD — jump the timeline to a day"), ("sort", "score|events|created|last_seen|country|account"),
        ("risk", "TYPE — only that risk type (brushing, click_farm, deal_hunter, multi_accounting, scalper, ato, scraping, spam, refund_abuse…); empty for all"),
        ("status", "open|in_review|escalated|closed — the case in view"), ("mine", "cases you hold"), ("unassigned", "cases nobody holds"), ("escalated", "escalated cases"), ("all", "every case again"),
        ("label", "fraud|legit|unsure|none [CATEGORY|-] [NOTE] — label the account in view (keys 1 2 3; u undo, Ctrl-R redo)"),
        ("groups", "rings, clusters and farms of the latest detection run; Enter lists members"), ("group", "ID — one group's members"),
        ("detect", "[no-model | model V | shadow [V] | promote V] — run detection now (off the UI thread); shadow shows how a model would change the queue"),
        ("teach", "[N] — the N unlabelled accounts the model is least sure about, to label first (batch “teach”)"), ("cancel", "stop a running detection"),
        ("sql", "[SAVED] — the SQL console (optionally with a saved query)"), ("dash", "[NAME] [24h|7d|30d|all] — dashboards (overview, queries/dashboards/*.sql)"),
        ("batch", "NAME — in the console: the result's accounts become a review batch; elsewhere: the queue of that batch"),
        ("save", "NAME — save the console's text as queries/NAME.sql (save! replaces)"), ("export", "FILE.csv|.json|.jsonl — the console's result"),
        ("explain", "the console's statement's query plan"), ("reveal", "REASON — show e-mail and phone (the account in view, or the console session); audited"), ("write", "[off] — let the console write (asks first)"),
        ("theme", "NAME — switch colour theme"), ("help", "key bindings"), ("q", "quit"),
    ]
    static let pivotKinds: [String: String] = ["device": "device", "ip": "ip", "payment": "payment", "address": "address",
                                               "coupon": "coupon", "item": "item", "seller": "seller", "domain": "email_domain",
                                               "email_domain": "email_domain", "target": "target", "group": "group"]
}

extension AppState {
    // MARK: keys

    /// Handles a key; returns the reads it needs.
    public mutating func handle(_ key: Key) -> [Request] {
        if key == .resize { return relayout() }
        var key = key
        // Ctrl-J is Enter, except in the SQL editor, where it runs the statement.
        if key == .ctrl("j") && !sqlEditorFocused { key = .enter }
        // In the SQL console Ctrl-C cancels a query (or copies); elsewhere it quits.
        if key == .ctrl("c") && !(top.isSQL && mode == .normal) { quit = true; return [] }
        switch mode {
        case .command(var field):
            return commandKey(key, &field)
        case .filter(var field):
            return filterKey(key, &field)
        case .prompt(var p):
            return promptKey(key, &p)
        case .normal: break
        }
        if help {
            help = false
            return []
        }
        if case .sql(var q) = top {
            let idx = stack.count - 1
            let (handled, reqs) = sqlKey(key, &q)
            stack[idx] = .sql(q)
            if handled { return reqs }
        }
        if case .timeline(var t) = top, t.detail != nil {
            if key == .esc || key == .char("q") || key == .enter { t.detail = nil; replaceTop(.timeline(t)) }
            return []
        }
        // Labelling, on whichever account is in view.
        if readOnly, [Key.char("1"), .char("2"), .char("3"), .char("c"), .char("n"), .char("u"), .ctrl("r")].contains(key) {
            say("read-only: labelling and claiming are off", error: true)
            return []
        }
        switch key {
        case .char("1"), .char("2"), .char("3"):
            let value = key == .char("1") ? "fraud" : key == .char("2") ? "legit" : "unsure"
            // A whole ring from its group row, or the marked rows: the command line says how
            // many accounts; Enter confirms, Esc cancels.
            if case .pivot(let p) = top, p.kind == "groups", let g = p.list.current {
                mode = .command(TextField("label-group \(g.account) \(value) \(g.riskType ?? "-") "))
                completions = []
                say("Enter labels all \(g.events) accounts of \(g.account) \(value) (add a note first); Esc cancels")
                return []
            }
            if case .queue = top, !marked.isEmpty {
                mode = .command(TextField("label-marked \(value) - "))
                completions = []
                say("Enter labels the \(marked.count) marked accounts \(value) (category, note); Esc cancels")
                return []
            }
            guard let target = labelTarget else { say("no account here to label", error: true); return [] }
            mode = .command(TextField("label \(value) \(target.category ?? "-") "))
            completions = []
            say("label \(target.account): category, then an optional note; Enter saves, Esc cancels")
            return []
        case .char("R"):
            // Read again: see what other analysts labelled or claimed meanwhile.
            switch top {
            case .queue(var q):
                let r = refreshQueue(&q)
                replaceTop(.queue(q))
                say("refreshed")
                return r
            case .account(let a):
                say("refreshed")
                return [.account(uid: a.uid, id: a.id)]
            default: return []
            }
        case .char("c"):
            guard let target = labelTarget else { say("no account here to claim", error: true); return [] }
            return [.claim(account: target.account)]
        case .char("n"):
            guard let q = queueRoot else { return [] }
            return [.claimNext(riskType: q.query.riskType)]
        case .char("u"):
            guard let last = labelUndo.popLast() else { say("nothing to undo", error: true); return [] }
            labelRedo.append(last)
            let prev = last.replaced?.split(separator: ":", maxSplits: 1).map(String.init)
            return [.label(account: last.account, value: prev?.first ?? "none", category: prev.flatMap { $0.count > 1 ? $0[1] : nil },
                           note: "undo", undo: true)]
        case .ctrl("r"):
            guard let next = labelRedo.popLast() else { say("nothing to redo", error: true); return [] }
            labelUndo.append(next)
            let given = next.given.split(separator: ":", maxSplits: 1).map(String.init)
            return [.label(account: next.account, value: given[0], category: given.count > 1 ? given[1] : nil, note: "redo", undo: true)]
        default: break
        }
        switch key {
        case .char("?"): help = true; return []
        case .char(":"): mode = .command(TextField()); completions = []; message = ""; return []
        case .char("/"): mode = .filter(TextField(currentFilter)); return []
        case .esc, .char("q"), .char("h"), .left:
            if stack.count > 1 { stack.removeLast(); message = ""; return [] }
            if key == .char("q") { quit = true }
            return []
        case .tab, .backTab:
            // Main screens in turn, each as it was left (drill-downs included).
            let all = MainScreen.allCases
            let i = all.firstIndex(of: tab)!
            let next = all[(i + (key == .tab ? 1 : all.count - 1)) % all.count]
            let r = switchTab(next)
            say("\(next == .queue ? "review queue" : next == .sql ? "SQL console" : "dashboard") — Tab: next screen")
            return r
        default: break
        }
        // Handlers may push screens: write the edited one back where it was.
        let idx = stack.count - 1
        switch top {
        case .queue(var q):
            let r = queueKey(key, &q)
            stack[idx] = .queue(q)
            return r
        case .account(var a):
            let r = accountKey(key, &a)
            stack[idx] = .account(a)
            return r
        case .pivot(var p):
            let r = pivotKey(key, &p)
            stack[idx] = .pivot(p)
            return r
        case .timeline(var t):
            let r = timelineKey(key, &t)
            stack[idx] = .timeline(t)
            return r
        case .sql:
            return []
        case .dash(var d):
            let r = dashKey(key, &d)
            stack[idx] = .dash(d)
            return r
        }
    }

    /// Shows a main screen, keeping the one left as it was; the first visit creates it.
    public mutating func switchTab(_ t: MainScreen) -> [Request] {
        if t == tab { return [] }
        parkedTabs[tab] = stack
        tab = t
        if let s = parkedTabs.removeValue(forKey: t) { stack = s; return relayout() }
        switch t {
        case .queue:
            var q = QueueScreen(uid: uid())
            q.list.loading = true
            stack = [.queue(q)]
            return [queueFetch(q, .first), .queueCount(uid: q.uid, query: q.query)]
        case .sql:
            let q = SQLScreen(uid: uid())
            stack = [.sql(q)]
            return [.sqlCatalog(uid: q.uid)]
        case .dash:
            return openDashboard()
        }
    }

    /// The queue's screen, wherever it is parked.
    var queueRoot: QueueScreen? {
        if tab == .queue, case .queue(let q) = stack[0] { return q }
        if let s = parkedTabs[.queue], case .queue(let q) = s[0] { return q }
        return nil
    }

    mutating func replaceTop(_ s: Screen) { stack[stack.count - 1] = s }

    /// Keys go to the SQL console's editor (not its results, a prompt or the help).
    var sqlEditorFocused: Bool {
        if case .sql(let q) = top { return !q.focusGrid && mode == .normal && !help }
        return false
    }

    /// Applies `f` to the screen with this uid, in view or parked on another main screen
    /// (a read's answer goes to the screen that asked, wherever it is now).
    mutating func updateScreens(uid: Int, _ f: (inout Screen) -> Void) {
        for i in stack.indices where stack[i].uid == uid { f(&stack[i]) }
        for (k, var st) in parkedTabs {
            for i in st.indices where st[i].uid == uid { f(&st[i]) }
            parkedTabs[k] = st
        }
    }

    var currentFilter: String {
        switch top {
        case .queue(let q): return q.query.text
        case .timeline(let t): return t.types?.joined(separator: ",") ?? t.lastSearch
        default: return ""
        }
    }

    mutating func relayout() -> [Request] {
        var reqs: [Request] = []
        switch top {
        case .queue(var q):
            q.list.follow(visible: listRows)
            if let f = prefetch(&q.list, visible: listRows) { reqs.append(queueFetch(q, f)) }
            replaceTop(.queue(q))
        case .timeline(var t):
            t.list.follow(visible: timelineRows)
            replaceTop(.timeline(t))
            if let w = t.window { reqs.append(.activity(uid: t.uid, account: t.account, from: w.from, to: w.to, buckets: stripBuckets)) }
        default: break
        }
        return reqs
    }

    // MARK: screens

    func queueFetch(_ q: QueueScreen, _ f: Fetch) -> Request {
        switch f {
        case .first: return .queuePage(uid: q.uid, query: q.query, direction: .first, anchor: nil)
        case .last: return .queuePage(uid: q.uid, query: q.query, direction: .last, anchor: nil)
        case .after: return .queuePage(uid: q.uid, query: q.query, direction: .after, anchor: q.list.rows.last.map { ($0.key, $0.account) })
        case .before: return .queuePage(uid: q.uid, query: q.query, direction: .before, anchor: q.list.rows.first.map { ($0.key, $0.account) })
        }
    }

    /// The first load of the queue.
    public mutating func start() -> [Request] {
        guard case .queue(var q) = stack[0] else { return [] }
        q.list.loading = true
        stack[0] = .queue(q)
        return [queueFetch(q, .first), .queueCount(uid: q.uid, query: q.query)]
    }

    /// Opens on the risk ranking when a detection run has scored the store.
    public mutating func preferScoreOrder() {
        hasScores = true
        guard case .queue(var q) = stack[0] else { return }
        q.query.sort = .score
        q.query.descending = true
        stack[0] = .queue(q)
    }

    /// `VALUE [CATEGORY|-] [NOTE]` of the label commands.
    static func labelArgs(_ words: [String], values: Set<String>) -> (value: String, category: String?, note: String?)? {
        guard let value = words.first?.lowercased(), values.contains(value) else { return nil }
        return (value, words.count > 1 && words[1] != "-" ? words[1] : nil, words.count > 2 ? words[2] : nil)
    }

    /// Puts a new label on the queue rows of these accounts, without reading the page again.
    mutating func showLabel(_ label: String?, on accounts: Set<String>) {
        for i in stack.indices {
            guard case .queue(var q) = stack[i] else { continue }
            for k in q.list.rows.indices where accounts.contains(q.list.rows[k].account) { q.list.rows[k].label = label }
            stack[i] = .queue(q)
        }
    }

    /// The account labelling keys act on, with the category to suggest.
    var labelTarget: (account: String, category: String?)? {
        switch top {
        case .queue(let q): return q.list.current.map { ($0.account, $0.riskType) }
        case .account(let a): return a.profile.map { ($0.account, $0.riskType) }
        case .timeline(let t): return (t.account, nil)
        case .pivot(let p): return p.kind == "groups" ? nil : p.list.current.map { ($0.account, $0.riskType) }
        case .sql(let q):
            guard let r = q.result, let c = r.accountColumn, let row = r.current, row.indices.contains(c), let id = row[c].string else { return nil }
            return (id, nil)
        case .dash: return nil
        }
    }

    static let sortOrder: [QueueSort] = [.score, .events, .lastSeen, .created, .country, .account]

    mutating func resort(_ q: inout QueueScreen, _ sort: QueueSort, descending: Bool) -> [Request] {
        q.query.sort = sort
        q.query.descending = descending
        q.list = Paged()
        q.list.loading = true
        say("sorted by \(sort.rawValue.replacingOccurrences(of: "_", with: " ")) \(descending ? "descending" : "ascending")")
        return [queueFetch(q, .first), .queueCount(uid: q.uid, query: q.query)]
    }

    mutating func queueKey(_ key: Key, _ q: inout QueueScreen) -> [Request] {
        // Space marks the row for a bulk label and moves on.
        if key == .char(" "), let row = q.list.current {
            if marked.contains(row.account) { marked.remove(row.account) } else { marked.insert(row.account) }
            say("\(marked.count) account\(marked.count == 1 ? "" : "s") marked — 1 2 3 labels them all")
            let nav = navigate(&q.list, .down, visible: listRows)
            return nav.fetch.map { [queueFetch(q, $0)] } ?? []
        }
        let nav = navigate(&q.list, key, visible: listRows)
        if nav.handled { return nav.fetch.map { [queueFetch(q, $0)] } ?? [] }
        switch key {
        case .enter, .char("l"), .right:
            guard let row = q.list.current else { return [] }
            return open(account: row.account)
        case .char("s"):
            // Score order only once a detection run has scored the store.
            let order = hasScores ? Self.sortOrder : Self.sortOrder.filter { $0 != .score }
            let i = order.firstIndex(of: q.query.sort) ?? 0
            let next = order[(i + 1) % order.count]
            return resort(&q, next, descending: next != .account && next != .country)
        case .char("S"):
            return resort(&q, q.query.sort, descending: !q.query.descending)
        case .click(let x, let y), .doubleClick(let x, let y):
            if y == 1 {   // header row: sort by the clicked column
                if let sort = QueueView.sortForColumn(atX: x, width: width, accounts: q.list.rows.dropFirst(q.list.scroll).prefix(listRows).map(\.account)) {
                    return resort(&q, sort, descending: q.query.sort == sort ? !q.query.descending : sort != .account && sort != .country)
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

    var contentArea: Rect { Rect(x: 0, y: 1, width: width, height: height - 2) }

    public mutating func open(account: String) -> [Request] {
        let s = AccountScreen(uid: uid(), id: account)
        stack.append(.account(s))
        return [.account(uid: s.uid, id: account)]
    }

    public mutating func open(pivot kind: String, value: String) -> [Request] {
        var p = PivotScreen(uid: uid(), kind: kind, value: value)
        p.list.loading = true
        stack.append(.pivot(p))
        return [.pivotPage(uid: p.uid, kind: kind, value: value, after: nil)]
    }

    mutating func openTimeline(_ a: AccountScreen) -> [Request] {
        var t = TimelineScreen(uid: uid(), account: a.id)
        t.firstSeen = a.profile?.firstSeen
        t.lastSeen = a.profile?.lastSeen
        t.evidence = Set(a.profile?.findings.flatMap(\.events) ?? [])
        t.list.loading = true
        var reqs: [Request] = [.timelinePage(uid: t.uid, account: a.id, types: nil, direction: .first, anchor: nil, from: nil)]
        if let f = t.firstSeen, let l = t.lastSeen {
            t.window = (f, l + 1)
            reqs.append(.activity(uid: t.uid, account: a.id, from: f, to: l + 1, buckets: stripBuckets))
        }
        stack.append(.timeline(t))
        return reqs
    }

    var stripBuckets: Int { max(10, width - 18) }
    /// Timeline rows under the strip (lanes take up to 8 rows + 2).
    var timelineRows: Int { max(3, height - 4 - stripHeight) }
    var stripHeight: Int {
        if case .timeline(let t) = top { return min(8, t.lanes.count) + 2 }
        return 0
    }

    mutating func accountKey(_ key: Key, _ a: inout AccountScreen) -> [Request] {
        let visible = max(1, height - 14)
        switch key {
        case .down, .char("j"): a.cursor = min(a.cursor + 1, max(0, a.itemCount - 1))
        case .up, .char("k"): a.cursor = max(0, a.cursor - 1)
        case .pageDown, .ctrl("d"): a.cursor = min(a.cursor + visible, max(0, a.itemCount - 1))
        case .pageUp, .ctrl("u"): a.cursor = max(0, a.cursor - visible)
        case .char("g"), .home: a.cursor = 0
        case .char("G"), .end: a.cursor = max(0, a.itemCount - 1)
        case .char("t"):
            return openTimeline(a)
        case .char("r"):
            askToReveal(&a)
        case .enter, .char("l"), .right:
            if a.cursor < a.identifiers.count {
                let id = a.identifiers[a.cursor]
                return open(pivot: id.kind, value: id.value)
            }
            let li = a.cursor - a.identifiers.count
            guard a.linked.indices.contains(li) else { return [] }
            return open(account: a.linked[li].account)
        default: return []
        }
        return []
    }

    mutating func pivotKey(_ key: Key, _ p: inout PivotScreen) -> [Request] {
        if key == .char("s") { return sortPivot(&p) }
        let nav = navigate(&p.list, key, visible: listRows)
        if nav.handled {
            if let f = nav.fetch, f == .after || f == .last {
                if f == .last { return pivotToEnd(&p) }
                return [pivotNext(p)]
            }
            p.list.loading = false
            if nav.fetch == .first { p.list.cursor = 0; p.list.scroll = 0 }
            return []
        }
        if key == .enter || key == .char("l") || key == .right, let row = p.list.current {
            // In the list of groups, Enter expands a group to its members.
            return p.kind == "groups" ? open(pivot: "group", value: row.account) : open(account: row.account)
        }
        if case .click(_, let y) = key, let r = TableView.rowAt(y: y, area: contentArea) {
            let idx = p.list.scroll + r
            if p.list.rows.indices.contains(idx) { p.list.cursor = idx }
        }
        return []
    }

    func timelineFetch(_ t: TimelineScreen, _ f: Fetch) -> Request {
        switch f {
        case .first: return .timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .first, anchor: nil, from: nil)
        case .last: return .timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .last, anchor: nil, from: nil)
        case .after: return .timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .after, anchor: t.list.rows.last.map { ($0.ts, $0.id) }, from: nil)
        case .before: return .timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .before, anchor: t.list.rows.first.map { ($0.ts, $0.id) }, from: nil)
        }
    }

    mutating func timelineKey(_ key: Key, _ t: inout TimelineScreen) -> [Request] {
        let nav = navigate(&t.list, key, visible: timelineRows)
        if nav.handled { return nav.fetch.map { [timelineFetch(t, $0)] } ?? [] }
        switch key {
        case .enter:
            guard let e = t.list.current else { return [] }
            return [.eventDetail(uid: t.uid, id: e.id)]
        case .char("e"):
            return find(.evidence, in: &t, from: t.list.cursor + 1)
        case .char("+"), .char("="), .char("-"), .char("0"):
            guard let f = t.firstSeen, let l = t.lastSeen else { return [] }
            let (from, to) = t.window ?? (f, l + 1)
            let center = t.list.current?.ts ?? (from + to) / 2
            var span = to - from
            if key == .char("0") { t.window = (f, l + 1) }
            else {
                span = key == .char("-") ? min(span * 2, l + 1 - f) : max(60_000, span / 2)
                let lo = max(f, center - span / 2)
                t.window = (lo, min(l + 1, lo + span))
            }
            let w = t.window!
            say("activity strip: \(Timestamp.short(w.from)) → \(Timestamp.short(w.to)) (\(Human.duration(ms: w.to - w.from)))")
            return [.activity(uid: t.uid, account: t.account, from: w.from, to: w.to, buckets: stripBuckets)]
        default: return []
        }
    }

    // MARK: filter and command line

    mutating func filterKey(_ key: Key, _ field: inout TextField) -> [Request] {
        switch key {
        case .esc:
            mode = .normal
            return []
        case .enter:
            mode = .normal
            return applyFilter(field.text)
        default:
            _ = field.handle(key)
            mode = .filter(field)
            return []
        }
    }

    mutating func applyFilter(_ text: String) -> [Request] {
        switch top {
        case .queue(var q):
            q.query.text = text
            q.list = Paged()
            q.list.loading = true
            replaceTop(.queue(q))
            say(text.isEmpty ? "filter cleared" : "filter: \(text)")
            return [queueFetch(q, .first), .queueCount(uid: q.uid, query: q.query)]
        case .timeline(var t) where !text.isEmpty && !t.isTypeFilter(text):
            let r = find(.text(text), in: &t, from: t.list.cursor + 1)
            replaceTop(.timeline(t))
            return r
        case .timeline(var t):
            let types = text.split(whereSeparator: { $0 == "," || $0 == " " }).map { String($0).lowercased() }
            t.types = types.isEmpty ? nil : types
            t.list = Paged()
            t.list.loading = true
            replaceTop(.timeline(t))
            say(types.isEmpty ? "showing every event type" : "showing \(types.joined(separator: ", "))")
            return [timelineFetch(t, .first)]
        default:
            say("this screen has no filter")
            return []
        }
    }

    mutating func commandKey(_ key: Key, _ field: inout TextField) -> [Request] {
        switch key {
        case .esc:
            mode = .normal
            return []
        case .enter:
            mode = .normal
            return runCommand(field.text)
        case .tab:
            // Cycle through candidates; ask for them the first time.
            if !completions.isEmpty {
                completionIndex = (completionIndex + 1) % completions.count
                field = TextField(completions[completionIndex])
                mode = .command(field)
                return []
            }
            mode = .command(field)
            return [.complete(prefix: field.text, command: field.text)]
        default:
            completions = []
            _ = field.handle(key)
            mode = .command(field)
            return []
        }
    }

    public mutating func runCommand(_ line: String) -> [Request] {
        let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
        guard let cmd = parts.first else { return [] }
        let arg = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch cmd {
        case "q", "quit", "q!":
            quit = true
        case "queue":
            let r = switchTab(.queue)
            stack = [stack[0]]
            return r
        case "sql", "open":
            return openSQL(saved: arg.isEmpty ? nil : arg)
        case "dash":
            let fresh = tab != .dash && parkedTabs[.dash] == nil
            let opened = switchTab(.dash)
            let configured = dashCommand(arg)
            // A first visit with a name or range loads once, with them (not the overview first).
            return fresh && !configured.isEmpty ? configured : opened + configured
        case "help", "h":
            help = true
        case "reveal":
            return reveal(reason: arg)
        case "account", "a":
            guard !arg.isEmpty else { say(":account needs an account id", error: true); return [] }
            return open(account: arg)
        case "theme":
            guard !arg.isEmpty else { say(":theme needs a name", error: true); return [] }
            themeRequest = arg
        case "groups":
            return open(pivot: "groups", value: "")
        case "mine", "unassigned", "escalated", "all":
            let t = switchTab(.queue)
            guard case .queue(var q) = stack[0] else { return t }
            stack = [stack[0]]
            q.query.caseView = cmd == "mine" ? .mine(analyst) : cmd == "unassigned" ? .unassigned : cmd == "escalated" ? .escalated : nil
            if cmd == "all" { q.query.batch = nil }
            let r = t + resort(&q, q.query.sort, descending: q.query.descending)
            stack[0] = .queue(q)
            say(cmd == "all" ? "showing every case" : cmd == "mine" ? "showing the cases \(analyst) holds" : "showing \(cmd) cases")
            return r
        case "label" where readOnly, "detect" where readOnly, "teach" where readOnly, "label-group" where readOnly, "label-marked" where readOnly:
            say("read-only: labelling and detection are off", error: true)
        case "status":
            if readOnly { say("read-only: case changes are off", error: true); return [] }
            guard let target = labelTarget else { say("no account here", error: true); return [] }
            guard ["open", "in_review", "escalated", "closed"].contains(arg) else {
                say(":status open|in_review|escalated|closed", error: true); return []
            }
            return [.setStatus(account: target.account, status: arg)]
        case "label-group", "label-marked":
            var words = arg.split(separator: " ", maxSplits: cmd == "label-group" ? 3 : 2, omittingEmptySubsequences: true).map(String.init)
            let group = cmd == "label-group" && !words.isEmpty ? words.removeFirst() : nil
            guard let l = Self.labelArgs(words, values: ["fraud", "legit", "unsure"]) else {
                say(":\(cmd) \(cmd == "label-group" ? "GROUP " : "")fraud|legit|unsure [CATEGORY|-] [NOTE]", error: true); return []
            }
            if cmd == "label-marked" && marked.isEmpty { say("no rows marked (Space marks)", error: true); return [] }
            let accounts = cmd == "label-marked" ? marked.sorted() : []
            return [.labelMany(accounts: accounts, group: group, value: l.value, category: l.category, note: l.note)]
        case "label":
            guard let target = labelTarget else { say("no account here to label", error: true); return [] }
            let words = arg.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
            guard let l = Self.labelArgs(words, values: ["fraud", "legit", "unsure", "none"]) else {
                say(":label fraud|legit|unsure [CATEGORY|-] [NOTE]", error: true); return []
            }
            return [.label(account: target.account, value: l.value, category: l.category, note: l.note, undo: false)]
        case "detect", "teach":
            if detecting { say("detection is already running (:cancel stops it)", error: true); return [] }
            let choice: DetectChoice?
            if cmd == "teach" { choice = arg.isEmpty ? .teach(20) : Int(arg).flatMap { (1...500).contains($0) ? .teach($0) : nil } }
            else { choice = DetectChoice.parse(arg) }
            guard let choice else {
                say(cmd == "teach" ? ":teach [N] — N accounts to label first (1…500)" : ":detect [no-model | model V | shadow [V] | promote V]", error: true)
                return []
            }
            detecting = true
            say(choice == .current ? "detection starting…" : "\(cmd) \(arg) starting…")
            return choice == .current ? [.detect] : [.detectWith(choice)]
        case "cancel":
            guard detecting else { say("nothing to cancel", error: true); return [] }
            return [.cancelDetect]
        case "batch" where top.isSQL:
            return sqlCommand(cmd, arg) ?? []
        case "batch":
            guard !arg.isEmpty else { say(":batch NAME — a review batch made in the SQL console (b on a result)", error: true); return [] }
            say("batch \(arg) — :all shows every case")
            return showBatch(arg)
        case "save", "save!", "export", "explain", "write":
            guard let r = sqlCommand(cmd, arg) else { say(":\(cmd) works in the SQL console (:sql)", error: true); return [] }
            return r
        case "risk":
            let t = switchTab(.queue)
            guard case .queue(var q) = stack[0] else { return t }
            stack = [stack[0]]
            q.query.riskType = arg.isEmpty ? nil : arg.lowercased()
            let r = t + resort(&q, q.query.sort, descending: q.query.descending)
            stack[0] = .queue(q)
            say(arg.isEmpty ? "showing every risk type" : "showing risk type \(arg.lowercased())")
            return r
        case "sort":
            guard let s = QueueSort(rawValue: arg.replacingOccurrences(of: " ", with: "_")) else {
                say("sort by one of: \(QueueSort.allCases.map(\.rawValue).joined(separator: ", "))", error: true); return []
            }
            let t = switchTab(.queue)
            guard case .queue(var q) = stack[0] else { return t }
            stack = [stack[0]]
            let r = t + resort(&q, s, descending: s != .account && s != .country)
            stack[0] = .queue(q)
            return r
        case "date":
            guard case .timeline(var t) = top else { say(":date works in a timeline", error: true); return [] }
            guard let day = Timestamp.parse(arg.count == 10 ? arg + "T00:00:00Z" : arg) else {
                say("not a date: \(arg) (use YYYY-MM-DD)", error: true); return []
            }
            t.list = Paged()
            t.list.loading = true
            t.list.atStart = false
            t.list.offsetKnown = false
            t.jumpTo = day
            replaceTop(.timeline(t))
            say("jumped to \(arg)")
            return [.timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .first, anchor: nil, from: day)]
        default:
            if let kind = Commands.pivotKinds[cmd] {
                guard !arg.isEmpty else { say(":\(cmd) needs a value", error: true); return [] }
                return open(pivot: kind, value: kind == "email_domain" ? arg.lowercased() : arg)
            }
            say("unknown command :\(cmd) — Tab lists commands", error: true)
        }
        return []
    }

    // MARK: loads

    public mutating func apply(_ loaded: Loaded) -> [Request] {
        var reqs: [Request] = []
        func withScreen(_ uid: Int, _ f: (inout Screen) -> Void) { updateScreens(uid: uid, f) }
        let visible = listRows
        let tlRows = timelineRows
        switch loaded {
        case .queuePage(let uid, let direction, let rows):
            withScreen(uid) { s in
                guard case .queue(var q) = s else { return }
                merge(&q.list, rows, direction: direction, visible: visible)
                AppState.restoreCursor(&q, visible: visible)
                if let f = prefetch(&q.list, visible: visible) { reqs.append(queueFetch(q, f)) }
                s = .queue(q)
            }
        case .queueCount(let uid, let count):
            withScreen(uid) { s in
                guard case .queue(var q) = s else { return }
                q.list.total = count
                if !q.list.offsetKnown && q.list.atEnd { q.list.offset = Int(count) - q.list.rows.count; q.list.offsetKnown = true }
                s = .queue(q)
            }
        case .account(let uid, let profile, let ids, let linked, let daily):
            withScreen(uid) { s in
                guard case .account(var a) = s else { return }
                a.profile = profile
                a.missing = profile == nil
                a.identifiers = ids
                a.linked = linked
                a.daily = daily
                s = .account(a)
            }
            if profile == nil { say("no such account", error: true) }
        case .pivotPage(let uid, let append, let rows, let accounts, let events):
            withScreen(uid) { s in
                guard case .pivot(var p) = s else { return }
                p.list.loading = false
                if append { p.list.rows += rows } else { p.list.rows = rows; p.accounts = accounts; p.events = events }
                p.list.atEnd = rows.count < pageSize
                p.list.total = p.accounts
                reqs += pivotLoaded(&p)
                s = .pivot(p)
            }
        case .timelinePage(let uid, let direction, let rows):
            withScreen(uid) { s in
                guard case .timeline(var t) = s else { return }
                if let day = t.jumpTo, direction == .first, rows.isEmpty {
                    // Nothing on or after that day: show the last events before it instead.
                    t.jumpTo = nil
                    t.list.atStart = false; t.list.atEnd = true
                    reqs.append(timelineFetch(t, .last))
                    say("no events on or after \(Timestamp.iso(day).prefix(10)) — showing the last ones", error: true)
                } else if t.jumpTo != nil && direction == .first {
                    t.jumpTo = nil
                    t.list.loading = false
                    t.list.rows = rows; t.list.cursor = 0; t.list.scroll = 0
                    t.list.atStart = rows.isEmpty; t.list.atEnd = rows.count < pageSize
                    if let f = prefetch(&t.list, visible: tlRows) { reqs.append(timelineFetch(t, f)) }
                } else {
                    let lastID = t.list.rows.last?.id
                    merge(&t.list, rows, direction: direction, visible: tlRows)
                    if t.finding != nil && direction == .after { reqs += continueFind(&t, after: lastID) }
                    else if let f = prefetch(&t.list, visible: tlRows) { reqs.append(timelineFetch(t, f)) }
                }
                let known = t.evidenceTypes
                t.evidenceTypes.formUnion(rows.filter { t.evidence.contains($0.id) }.map(\.type))
                if t.evidenceTypes != known { t.lanes = TimelineScreen.orderLanes(Dictionary(t.lanes, uniquingKeysWith: { a, _ in a }), evidenceTypes: t.evidenceTypes) }
                s = .timeline(t)
            }
        case .activity(let uid, let lanes):
            withScreen(uid) { s in
                guard case .timeline(var t) = s else { return }
                t.lanes = TimelineScreen.orderLanes(lanes, evidenceTypes: t.evidenceTypes)
                s = .timeline(t)
            }
        case .eventDetail(let uid, let fields):
            withScreen(uid) { s in
                guard case .timeline(var t) = s else { return }
                t.detail = fields
                s = .timeline(t)
            }
        case .completions(let command, let candidates):
            guard case .command = mode else { break }
            completions = candidates
            completionIndex = 0
            if let first = candidates.first {
                mode = .command(TextField(first))
                say(candidates.count > 1 ? "Tab: \(candidates.prefix(8).joined(separator: "  "))" + (candidates.count > 8 ? " …" : "") : "")
            } else {
                say("no completions for '\(command)'")
            }
        case .failed(let msg):
            say(msg, error: true)
            for i in stack.indices {
                switch stack[i] {
                case .queue(var q): q.list.loading = false; stack[i] = .queue(q)
                case .timeline(var t): t.list.loading = false; stack[i] = .timeline(t)
                case .pivot(var p): p.list.loading = false; stack[i] = .pivot(p)
                default: break
                }
            }
        case .info(let msg):
            say(msg)
        case .labelled(let account, let value, let category, let previous, let undo):
            let given = value + (category.map { ":" + $0 } ?? "")
            if !undo { labelUndo.append((account, given, previous)); labelRedo.removeAll() }
            showLabel(value == "none" ? nil : value, on: [account])
            for a in stack { if case .account(let s) = a, s.id == account { reqs.append(.account(uid: s.uid, id: s.id)) } }
            say(value == "none" ? "label withdrawn from \(account)" : "labelled \(account) \(given)\(undo ? "" : " — u undoes")")
        case .labelledMany(let accounts, let value, let what):
            let set = Set(accounts)
            showLabel(value, on: set)
            marked.subtract(set)
            say("labelled \(accounts.count) accounts \(value) (\(what))")
        case .caseChanged(let account, let state, let message):
            reqs += showCase(account, state)
            say(message)
        case .claimed(let account, let openIt):
            reqs += showCase(account, CaseState(status: "in_review", assignee: analyst, openedAt: nil))
            say("\(account) claimed — yours to review")
            if openIt { reqs += open(account: account) }
        case .detectProgress(let msg):
            detecting = true
            say(msg)
        case .detectDone(let msg):
            detecting = false
            hasScores = true
            // Show the new ranking.
            if tab == .queue, case .queue(var q) = stack[0] {
                reqs += resort(&q, .score, descending: true)
                stack[0] = .queue(q)
            } else if var st = parkedTabs[.queue], case .queue(var q) = st[0] {
                reqs += resort(&q, .score, descending: true)
                st[0] = .queue(q)
                parkedTabs[.queue] = st
            }
            say(msg)
        case .learnt(let msg, let batch):
            detecting = false
            if let batch { reqs += showBatch(batch) }
            say(msg)
        case .sqlCatalog, .sqlResult, .sqlFailed, .sqlRows, .sqlPlan, .sqlHistory, .sqlBatched, .revealed:
            reqs += applySQL(loaded)
        case .dash:
            reqs += applyDash(loaded)
        }
        return reqs
    }
}
