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
        case .sqlKey: return []
        case .move, .open, .mark, .sortNext, .sortReverse, .pointer, .timeline, .reveal, .eventDetail, .zoom, .nextEvidence,
             .scroll, .dashRefresh, .dashAutoRefresh, .dashRange, .dashNext:
            return updateTop(action, key)
        }
    }

    /// The screen in view handles its action; handlers may push screens, so the edited one
    /// is written back where it was.
    mutating func updateTop(_ action: Action, _ key: Key) -> [Effect] {
        let idx = stack.count - 1
        switch top {
        case .queue(var q):
            let r = queueUpdate(action, key, &q)
            stack[idx] = .queue(q)
            return r
        case .account(var a):
            let r = accountUpdate(action, key, &a)
            stack[idx] = .account(a)
            return r
        case .pivot(var p):
            let r = pivotUpdate(action, key, &p)
            stack[idx] = .pivot(p)
            return r
        case .timeline(var t):
            let r = timelineUpdate(action, key, &t)
            stack[idx] = .timeline(t)
            return r
        case .sql:
            return []
        case .dash(var d):
            let r = dashUpdate(action, key, &d)
            stack[idx] = .dash(d)
            return r
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
