import RiskStore
import TerminalKit

extension AppState {
    /// Runs what a binding stands for. The screen's own actions go to that screen's update;
    /// the rest are the workbench's.
    mutating func perform(_ action: Action, key: Key) -> [Effect] {
        switch action {
        case .help: helpScroll = 0; return []
        case .commandLine: mode = .command(TextField()); completions = []; message = ""; return []
        case .filter: mode = .filter(TextField(currentFilter)); return []
        case .back:
            if stack.count > 1 { stack.removeLast(); message = "" }
            return []
        case .home:
            stack = [stack[0]]
            say("home — \(tab.title)")
            return relayout()
        case .quit: quit = true; return []
        case .askQuit:
            mode = .prompt(Prompt(kind: .confirmQuit, label: "quit riskdesk? y/N", field: TextField()))
            return []
        case .nextTab:
            // Main screens in turn, each as it was left (drill-downs included).
            let all = MainScreen.allCases
            let i = all.firstIndex(of: tab)!
            let next = all[(i + (key == .backTab ? all.count - 1 : 1)) % all.count]
            let r = switchTab(next)
            say("\(next == .queue ? "review queue" : next == .sql ? "SQL console" : "dashboard") — Tab: next screen")
            return r
        case .label: return startLabel(key == .char("1") ? .fraud : key == .char("2") ? .legit : .unsure)
        case .undo: return undoLabel()
        case .redo: return redoLabel()
        case .claim:
            guard let target = labelTarget else { say("no account here to claim", error: true); return [] }
            return [.write(.claim(account: target.account))]
        case .claimNext:
            guard let q = queueRoot else { return [] }
            return [.write(.claimNext(riskType: q.query.riskType))]
        case .refresh: return refresh()
        case .copyAccount:
            guard let target = labelTarget else { say("no account here to copy", error: true); return [] }
            say("copied \(target.account) (OSC 52)")
            return [.copy(target.account)]
        case .command(let name): return runCommand(name)
        case .move, .open, .mark, .sortNext, .sortReverse, .pointer, .timeline, .reveal, .eventDetail, .zoom, .nextEvidence,
             .scroll, .dashRefresh, .dashAutoRefresh, .dashRange, .dashNext, .sql:
            return updateTop(action, key)
        }
    }

    /// The screen in view handles its action; handlers may push screens, so the edited one
    /// is written back where it was.
    mutating func updateTop(_ action: Action, _ key: Key) -> [Effect] {
        let idx = stack.count - 1
        switch top {
        case .queue(var q): defer { stack[idx] = .queue(q) }; return queueUpdate(action, key, &q)
        case .account(var a): defer { stack[idx] = .account(a) }; return accountUpdate(action, key, &a)
        case .pivot(var p): defer { stack[idx] = .pivot(p) }; return pivotUpdate(action, key, &p)
        case .timeline(var t): defer { stack[idx] = .timeline(t) }; return timelineUpdate(action, key, &t)
        case .dash(var d): defer { stack[idx] = .dash(d) }; return dashUpdate(action, key, &d)
        case .sql(var q):
            guard case .sql(let a) = action else { return [] }
            defer { stack[idx] = .sql(q) }; return sqlUpdate(a, key, &q)
        }
    }

    /// R: read again, to see what other analysts labelled or claimed meanwhile.
    mutating func refresh() -> [Effect] {
        switch top {
        case .queue(var q):
            let r = refreshQueue(&q)
            replaceTop(.queue(q))
            say("refreshed")
            return r
        case .account(let a):
            say("refreshed")
            return [.read(.account(uid: a.uid, id: a.id))]
        default: return []
        }
    }
}
