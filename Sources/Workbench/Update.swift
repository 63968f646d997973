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

extension AppState {
    // MARK: keys

    /// Handles a key; returns the reads it needs.
    public mutating func handle(_ key: Key) -> [Effect] {
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
        if let help = helpScroll {
            // Help scrolls with the move keys; any other key closes it.
            switch key {
            case .down, .char("j"): helpScroll = help + 1
            case .up, .char("k"): helpScroll = max(0, help - 1)
            case .pageDown, .char(" "): helpScroll = help + max(1, height - 8)
            case .pageUp: helpScroll = max(0, help - max(1, height - 8))
            default: helpScroll = nil
            }
            return []
        }
        // The console's own bindings, its editor and overlays; the rest goes on to the globals.
        if let a = consoleAction(key) { return perform(a, key: key) }
        if case .timeline(var t) = top, t.detail != nil {
            if key == .esc || key == .char("q") || key == .enter { t.detail = nil; replaceTop(.timeline(t)) }
            return []
        }
        switch key {
        case .click, .doubleClick: return perform(.pointer, key: key)
        case .wheelUp, .wheelDown: return perform(Self.isDash(top) ? .scroll : .move, key: key)
        default: break
        }
        switch keymap.resolve(key) {
        case .run(let b): return perform(b.command, key: key)
        case .disabled(let b):
            if let why = b.disabledReason { say(why, error: true) }
            return []
        case .unbound: return []
        }
    }

    static func isDash(_ s: Screen) -> Bool { if case .dash = s { return true } else { return false } }


    /// Shows a main screen, keeping the one left as it was; the first visit creates it.
    public mutating func switchTab(_ t: MainScreen) -> [Effect] {
        if t == tab { return [] }
        parkedTabs[tab] = stack
        tab = t
        if let s = parkedTabs.removeValue(forKey: t) { stack = s; return relayout() }
        switch t {
        case .queue:
            var q = QueueScreen(uid: uid())
            q.list.loading = true
            stack = [.queue(q)]
            return [queueFetch(q, .first), .read(.queueCount(uid: q.uid, query: q.query))]
        case .sql:
            var q = SQLScreen(uid: uid())
            q.dialect = sqlDialect
            stack = [.sql(q)]
            return [.console(.catalog(uid: q.uid))]
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

    mutating func relayout() -> [Effect] {
        var reqs: [Effect] = []
        switch top {
        case .queue(var q):
            q.list.follow(visible: listRows)
            if let f = prefetch(&q.list, visible: listRows) { reqs.append(queueFetch(q, f)) }
            replaceTop(.queue(q))
        case .timeline(var t):
            t.list.follow(visible: timelineRows)
            replaceTop(.timeline(t))
            if let w = t.window { reqs.append(.read(.activity(uid: t.uid, account: t.account, from: w.from, to: w.to, buckets: stripBuckets))) }
        default: break
        }
        return reqs
    }

    // MARK: screens

    /// The first load of the queue.
    public mutating func start() -> [Effect] {
        guard case .queue(var q) = stack[0] else { return [] }
        q.list.loading = true
        stack[0] = .queue(q)
        return [queueFetch(q, .first), .read(.queueCount(uid: q.uid, query: q.query))]
    }

    /// Opens on the risk ranking when a detection run has scored the store.
    public mutating func preferScoreOrder() {
        hasScores = true
        guard case .queue(var q) = stack[0] else { return }
        q.query.sort = .score
        q.query.descending = true
        // The work: flagged cases nobody has labelled yet, riskiest first; :all shows every account.
        q.query.flaggedOnly = true
        q.query.unlabelledOnly = true
        stack[0] = .queue(q)
    }

    /// Puts a new label on the queue rows of these accounts, without reading the page again.
    mutating func showLabel(_ label: String?, status: String? = nil, on accounts: Set<String>) {
        func update(_ s: inout Screen) {
            guard case .queue(var q) = s else { return }
            for k in q.list.rows.indices where accounts.contains(q.list.rows[k].account) {
                q.list.rows[k].label = label
                if let status {
                    q.list.rows[k].caseStatus = status
                    q.list.rows[k].caseOpenedAt = q.list.rows[k].caseOpenedAt ?? Timestamp.nowMs()
                }
            }
            s = .queue(q)
        }
        for i in stack.indices { update(&stack[i]) }
        for (k, var st) in parkedTabs { for i in st.indices { update(&st[i]) }; parkedTabs[k] = st }
    }

    /// The account labelling keys act on, with the category to suggest.
    var labelTarget: (account: String, category: String?)? {
        switch top {
        case .queue(let q): return q.list.current.map { ($0.account, $0.riskType) }
        case .account(let a): return a.profile.map { ($0.account, $0.riskType) }
        case .timeline(let t): return (t.account, nil)
        case .pivot(let p): return p.kind == .groups ? nil : p.list.current.map { ($0.account, $0.riskType) }
        case .sql(let q):
            guard let r = q.result, let c = r.accountColumn, let row = r.current, row.indices.contains(c), let id = row[c].string else { return nil }
            return (id, nil)
        case .dash: return nil
        }
    }


    var contentArea: Rect { Rect(x: 0, y: 1, width: width, height: height - 2) }

    // MARK: filter and command line

    mutating func filterKey(_ key: Key, _ field: inout TextField) -> [Effect] {
        mode = .normal
        if key == .enter { return applyFilter(field.text) }
        if key != .esc { _ = field.handle(key); mode = .filter(field) }
        return []
    }

    mutating func applyFilter(_ text: String) -> [Effect] {
        switch top {
        case .queue(var q):
            q.query.text = text
            restartQueue(&q)
            replaceTop(.queue(q))
            say(text.isEmpty ? "filter cleared" : "filter: \(text)")
            return [queueFetch(q, .first), .read(.queueCount(uid: q.uid, query: q.query))]
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

    mutating func commandKey(_ key: Key, _ field: inout TextField) -> [Effect] {
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
            if !field.text.contains(" ") {
                // The command's name: the palette's best matches, fuzzy (`grp` finds groups).
                return apply(.completions(command: field.text, candidates: keymap.palette(field.text).compactMap(\.name).map { $0 + " " }))
            }
            return [.read(.complete(prefix: field.text, command: field.text))]
        default:
            completions = []
            _ = field.handle(key)
            mode = .command(field)
            return []
        }
    }

    public mutating func runCommand(_ line: String) -> [Effect] {
        let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
        guard let cmd = parts.first else { return [] }
        let arg = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch cmd {
        case "q", "quit", "q!":
            quit = true
        case "queue":
            let r = switchTab(.queue)
            stack = [stack[0]]
            say("review queue")
            return r
        case "sql", "open":
            if arg.isEmpty { say("SQL console") }
            return openSQL(saved: arg.isEmpty ? nil : arg)
        case "dash":
            let fresh = tab != .dash && parkedTabs[.dash] == nil
            let opened = switchTab(.dash)
            let configured = dashCommand(arg)
            // A first visit with a name or range loads once, with them (not the overview first).
            return fresh && !configured.isEmpty ? configured : opened + configured
        case "help", "h":
            helpScroll = 0
        case "reveal":
            return reveal(reason: arg)
        case "account", "a":
            guard !arg.isEmpty else { say(":account needs an account id", error: true); return [] }
            return open(account: arg)
        case "theme":
            guard !arg.isEmpty else { say(":theme needs a name", error: true); return [] }
            themeRequest = arg
            say("theme \(arg)…")
        case "groups":
            return open(pivot: .groups, value: "")
        case "mine", "unassigned", "escalated", "all", "flagged":
            let t = switchTab(.queue)
            guard case .queue(var q) = stack[0] else { return t }
            stack = [stack[0]]
            q.query.caseView = cmd == "mine" ? .mine(analyst) : cmd == "unassigned" ? .unassigned : cmd == "escalated" ? .escalated : nil
            if cmd == "all" { q.query = QueueQuery(sort: q.query.sort, descending: q.query.descending) }
            if cmd == "flagged" { q.query.flaggedOnly = true; q.query.unlabelledOnly = true }
            let r = t + resort(&q, q.query.sort, descending: q.query.descending)
            stack[0] = .queue(q)
            say(cmd == "all" ? "showing every account — :flagged shows the flagged, unlabelled ones" : cmd == "mine" ? "showing the cases \(analyst) holds"
                : cmd == "flagged" ? "showing flagged, unlabelled cases — :all shows every account" : "showing \(cmd) cases")
            return r
        case "label" where readOnly, "detect" where readOnly, "teach" where readOnly, "label-group" where readOnly, "label-marked" where readOnly:
            say("read-only: labelling and detection are off", error: true)
        case "status":
            if readOnly { say("read-only: case changes are off", error: true); return [] }
            guard let target = labelTarget else { say("no account here", error: true); return [] }
            guard let status = CaseStatus(rawValue: arg) else {
                say(":status " + CaseStatus.allCases.map(\.rawValue).joined(separator: "|"), error: true); return []
            }
            return [.write(.setStatus(account: target.account, status: status))]
        case "label-group", "label-marked", "label":
            return labelCommand(cmd, arg)
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
            return choice == .current ? [.detect(.run(.current))] : [.detect(.run(choice))]
        case "cancel":
            guard detecting else { say("nothing to cancel", error: true); return [] }
            return [.detect(.cancel)]
        case "batch" where top.isSQL:
            return sqlCommand(cmd, arg) ?? []
        case "batch":
            guard !arg.isEmpty else { say(":batch NAME — a review batch made in the SQL console (b on a result)", error: true); return [] }
            say("batch \(arg) — :all shows every case")
            return showBatch(arg)
        case "export" where !top.isSQL:
            return exportList(arg)
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
            guard let (s, descending) = QueueView.sort(named: arg) else {
                say("sort by a column: \(QueueView.sortNames.joined(separator: ", "))", error: true); return []
            }
            let t = switchTab(.queue)
            guard case .queue(var q) = stack[0] else { return t }
            stack = [stack[0]]
            let r = t + resort(&q, s, descending: descending)
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
            return [.read(.timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .first, anchor: nil, from: day))]
        default:
            if let kind = Commands.pivotKinds[cmd] {
                guard !arg.isEmpty else { say(":\(cmd) needs a value", error: true); return [] }
                return open(pivot: kind, value: kind == .emailDomain ? arg.lowercased() : arg)
            }
            let guess = keymap.palette(cmd).first?.name
            say("unknown command :\(cmd)" + (guess.map { " — did you mean :\($0)? (Tab completes)" } ?? " — Tab lists commands"), error: true)
        }
        return []
    }

    // MARK: loads

    public mutating func apply(_ loaded: Loaded) -> [Effect] {
        var reqs: [Effect] = []
        func withScreen(_ uid: Int, _ f: (inout Screen) -> Void) { updateScreens(uid: uid, f) }
        let visible = listRows
        let tlRows = timelineRows
        switch loaded {
        case .queuePage(let uid, let direction, let rows):
            withScreen(uid) { s in
                guard case .queue(var q) = s else { return }
                if let r = q.refreshing {
                    if let again = AppState.refreshed(&q, r, rows, visible: visible) { reqs.append(again) }
                } else {
                    merge(&q.list, rows, direction: direction, visible: visible)
                }
                if let f = prefetch(&q.list, visible: visible) { reqs.append(queueFetch(q, f)) }
                s = .queue(q)
            }
        case .queueCount(let uid, let count):
            withScreen(uid) { s in
                guard case .queue(var q) = s else { return }
                q.list.total = count
                if !q.list.offsetKnown && q.list.atEnd { q.list.offset = Int(count) - q.list.rows.count; q.list.offsetKnown = true }
                // `:risk TYPE` that matches nothing (a typo, or a type this store never had):
                // say which types there are rather than show an empty queue without a word.
                if count == 0, q.query.riskType != nil { reqs.append(.read(.riskTypes(uid: uid))) }
                s = .queue(q)
            }
        case .riskTypes(let uid, let types):
            var asked: String?
            withScreen(uid) { s in
                guard case .queue(let q) = s, q.list.total == 0, let t = q.query.riskType else { return }
                asked = t
            }
            if let asked, case .normal = mode {
                let list = types.prefix(12).map { "\($0.type) (\($0.accounts))" }.joined(separator: ", ")
                say(types.isEmpty ? "no account has risk type \(asked): no account has a risk type yet (run detect) — :risk alone shows all"
                                  : "no account has risk type \(asked) — this store's: \(list)\(types.count > 12 ? ", …" : "") — :risk alone shows all",
                    error: true)
            }
        case .account(let uid, let profile, let ids, let linked, let daily):
            withScreen(uid) { s in
                guard case .account(var a) = s else { return }
                // Read again while revealed: keep what the audited reveal gave (a team store's
                // reads hold only masked values).
                let shown = a.revealed ? (a.profile?.email, a.profile?.phone) : nil
                a.profile = profile
                if let shown, a.profile != nil { a.profile?.email = shown.0; a.profile?.phone = shown.1 }
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
                case .queue(var q): q.list.loading = false; q.refreshing = nil; stack[i] = .queue(q)
                case .timeline(var t): t.list.loading = false; stack[i] = .timeline(t)
                case .pivot(var p): p.list.loading = false; stack[i] = .pivot(p)
                default: break
                }
            }
        case .info(let msg):
            say(msg)
        case .labelled(let changes, let edit, let what):
            reqs += applyLabelled(changes, edit: edit, what: what)
        case .caseChanged(let account, let state, let message):
            reqs += showCase(account, state)
            say(message)
        case .claimed(let account, let openIt):
            reqs += showCase(account, CaseState(status: "in_review", assignee: analyst, openedAt: nil))
            say("\(account) claimed — yours to review")
            if openIt {
                // The next case replaces the one in view: n through many cases is one Esc from the queue.
                if case .account = top { stack.removeLast() }
                reqs += open(account: account)
            }
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
        case .revealedPII(let account, let email, let phone, let message):
            for i in stack.indices {
                guard case .account(var a) = stack[i], a.id == account else { continue }
                if email != nil || phone != nil { a.profile?.email = email; a.profile?.phone = phone }
                stack[i] = .account(a)
            }
            applyRevealed(account: account, message: message)
        case .storeChanged(let changes):
            reqs += applyStoreChanges(changes)
        case .liveFeed(let down, let message):
            reqs += applyLiveFeed(down: down, message: message)
        }
        return reqs
    }
}
