import Foundation
import RiskStore
import TerminalKit

// The dashboard screen: panels in a grid, a time range, the next dashboard, auto-refresh
// when another process changes the store.

public struct DashScreen {
    var uid: Int
    public var name = "overview"
    public var range: DashRange = .week
    public var panels: [PanelData] = []
    public var loading = true
    public var loadedAt: Int64?
    /// SQLite's data_version when loaded: a change means another connection committed.
    var dataVersion: Int64?
    public var scroll = 0
    public var autoRefresh = true
    public var available: [String] = []
}

extension AppState {
    func dashBindings(_ d: DashScreen) -> [Binding] {
        let several = d.available.count > 1
        return [
            Binding(downKeys + upKeys + [.pageDown, .pageUp, .ctrl("d"), .ctrl("u"), .char(" "), .char("g"), .char("G"), .home, .end],
                    .scroll, keyLabel: "j k PgDn PgUp g G", help: "scroll", group: "move"),
            Binding([.char("]"), .char("t")], .dashRange(forward: true), keyLabel: "] t", help: "next time range: 24h, 7d, 30d, all", hint: "range"),
            Binding([.char("[")], .dashRange(forward: false), help: "previous time range"),
            Binding([.char("n")], .dashNext(forward: true), help: "next dashboard", hint: "next dashboard")
                .enabled(several, else: "only one dashboard (add queries/dashboards/NAME.sql)"),
            Binding([.char("N")], .dashNext(forward: false), help: "previous dashboard").enabled(several, else: "only one dashboard"),
            Binding([.char("r")], .dashRefresh, help: "refresh"),
            Binding([.char("a")], .dashAutoRefresh, help: "auto-refresh when the store changes, on / off"),
        ]
    }

    mutating func openDashboard() -> [Effect] {
        let d = DashScreen(uid: uid())
        stack = [.dash(d)]
        return [.read(.dashLoad(uid: d.uid, name: d.name, range: d.range))]
    }

    /// `:dash [NAME] [RANGE]`.
    mutating func dashCommand(_ arg: String) -> [Effect] {
        guard case .dash(var d) = stack[0] else { return [] }
        stack = [stack[0]]
        for w in arg.split(separator: " ").map(String.init) {
            if let r = DashRange(rawValue: w) { d.range = r } else { d.name = w }
        }
        if arg.isEmpty { stack[0] = .dash(d); return [] }
        d.loading = true
        d.scroll = 0
        stack[0] = .dash(d)
        return [.read(.dashLoad(uid: d.uid, name: d.name, range: d.range))]
    }

    mutating func dashUpdate(_ action: Action, _ key: Key, _ d: inout DashScreen) -> [Effect] {
        let visible = height - 2
        let total = DashLayout.totalHeight(d.panels, width: width)
        switch action {
        case .scroll:
            switch key {
            case .down, .char("j"), .wheelDown: d.scroll = min(max(0, total - visible), d.scroll + 2)
            case .up, .char("k"), .wheelUp: d.scroll = max(0, d.scroll - 2)
            case .pageDown, .char(" "), .ctrl("d"): d.scroll = min(max(0, total - visible), d.scroll + visible / 2)
            case .pageUp, .ctrl("u"): d.scroll = max(0, d.scroll - visible / 2)
            case .char("g"), .home: d.scroll = 0
            case .char("G"), .end: d.scroll = max(0, total - visible)
            default: break
            }
        case .dashRefresh:
            d.loading = true
            say("refreshing \(d.name)…")
            return [.read(.dashLoad(uid: d.uid, name: d.name, range: d.range))]
        case .dashAutoRefresh:
            d.autoRefresh.toggle()
            say(d.autoRefresh ? "auto-refresh on: redraws when the store changes" : "auto-refresh off")
        case .dashRange(let forward):
            let all = DashRange.allCases
            let i = all.firstIndex(of: d.range)!
            d.range = all[(i + (forward ? 1 : all.count - 1)) % all.count]
            d.loading = true
            say("range: \(d.range.label)")
            return [.read(.dashLoad(uid: d.uid, name: d.name, range: d.range))]
        case .dashNext(let forward):
            guard !d.available.isEmpty else { return [] }
            let i = d.available.firstIndex(of: d.name) ?? 0
            d.name = d.available[(i + (forward ? 1 : d.available.count - 1)) % d.available.count]
            d.loading = true
            d.scroll = 0
            say("dashboard \(d.name)")
            return [.read(.dashLoad(uid: d.uid, name: d.name, range: d.range))]
        default: break
        }
        return []
    }

    mutating func applyDash(_ loaded: Loaded) -> [Effect] {
        guard case .dash(let l) = loaded else { return [] }
        var reqs: [Effect] = []
        func with(_ uid: Int, _ f: (inout DashScreen) -> Void) {
            updateScreens(uid: uid) { s in if case .dash(var d) = s { f(&d); s = .dash(d) } }
        }
        switch l {
        case .panels(let uid, let panels, let version, let available):
            with(uid) { d in
                d.panels = panels; d.loading = false; d.dataVersion = version; d.available = available
                d.loadedAt = Timestamp.nowMs()
            }
        case .version(let uid, let v):
            with(uid) { d in
                guard d.autoRefresh, !d.loading, let old = d.dataVersion, old != v else { return }
                d.loading = true
                reqs.append(.read(.dashLoad(uid: d.uid, name: d.name, range: d.range)))
            }
        }
        return reqs
    }
}

enum DashView {
    static func render(_ d: DashScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme) {
        let head = "\(d.name) · \(d.range.label) · [ ] range  n next dashboard  r refresh  a auto-refresh \(d.autoRefresh ? "on" : "off")  j k scroll"
        buf.write(head, x: 1, y: area.y, style: theme["accent"], maxWidth: area.width - 2)
        let body = Rect(x: 0, y: area.y + 1, width: area.width, height: area.height - 1)
        if d.panels.isEmpty {
            buf.write(d.loading ? "loading…" : "nothing to show", x: 2, y: body.y + 1, style: theme["muted"])
            return
        }
        DashLayout.render(d.panels, into: buf, area: body, scroll: d.scroll, theme: theme)
    }
}
