import Foundation
import RiskStore
import TerminalKit

public let minWidth = 60, minHeight = 15

/// The whole screen for a state: a pure function into a fresh buffer.
public func render(_ s: AppState, theme: Theme, now: Int64 = Timestamp.nowMs()) -> Buffer {
    let buf = Buffer(width: s.width, height: s.height)
    let base = theme["base"]
    buf.clear(base)
    if s.width < minWidth || s.height < minHeight {
        let msg = "Terminal too small: \(s.width)×\(s.height), need \(minWidth)×\(minHeight)"
        let lines = [msg, "resize, or q to quit"]
        for (i, l) in lines.enumerated() {
            let y = s.height / 2 - 1 + i
            buf.write(l, x: max(0, (s.width - TextWidth.of(l)) / 2), y: y, style: i == 0 ? theme["status.error"] : theme["muted"])
        }
        return buf
    }
    titleBar(s, buf, theme)
    let area = Rect(x: 0, y: 1, width: s.width, height: s.height - 2)
    switch s.top {
    case .queue(let q): QueueView.render(q, s, buf, area, theme, now: now)
    case .account(let a): AccountView.render(a, buf, area, theme, now: now)
    case .pivot(let p): PivotView.render(p, s, buf, area, theme)
    case .timeline(let t): TimelineView.render(t, s, buf, area, theme)
    case .sql(let q): SQLView.render(q, s, buf, area, theme)
    case .dash(let d): DashView.render(d, s, buf, area, theme)
    }
    statusBar(s, buf, theme)
    if s.help { helpOverlay(s, buf, theme) }
    if case .command(let f) = s.mode { paletteOverlay(s, f.text, buf, theme) }
    if case .timeline(let t) = s.top, let d = t.detail { detailOverlay(d, buf, theme) }
    return buf
}

func titleBar(_ s: AppState, _ buf: Buffer, _ theme: Theme) {
    let st = theme["title"]
    buf.fill(Rect(x: 0, y: 0, width: s.width, height: 1), style: st)
    // Main screens (Tab cycles), the one in view bold; then where it has been drilled into.
    let tabs = MainScreen.allCases.map { $0 == s.tab ? "[\($0.title)]" : $0.title }.joined(separator: " ")
    let right = s.liveDown ? " LIVE UPDATES DOWN · \(s.storeName) " : " \(s.storeName) "
    let used = buf.write(" riskdesk ", x: 0, y: 0, style: st.bolded())
    let room = max(0, s.width - used - TextWidth.of(right) - 2)
    buf.write(breadcrumb(tabs + " │ ", s.stack.map(\.title), width: room), x: used + 1, y: 0, style: st, maxWidth: room)
    buf.writeRight(right, x: 0, y: 0, width: s.width, style: st)
}

func statusBar(_ s: AppState, _ buf: Buffer, _ theme: Theme) {
    let y = s.height - 1
    let st = theme["status"]
    buf.fill(Rect(x: 0, y: y, width: s.width, height: 1), style: st)
    var right = ""
    switch s.top {
    case .queue(let q):
        let pos = q.list.rows.isEmpty ? "0" : q.list.position.map { "\($0 + 1)" } ?? "?"
        let total = q.list.total.map { Human.count(Double($0)) } ?? "…"
        right = "\(pos)/\(total) accounts · sort \(QueueView.sortLabel(q.query))"
        if q.query.flaggedOnly { right += " · flagged" }
        if q.query.unlabelledOnly { right += " · unlabelled" }
        if !q.query.text.isEmpty { right += " · filter “\(q.query.text)”" }
        // Every narrowing in force, so a short queue is never a surprise.
        if let r = q.query.riskType { right += " · risk \(r)" }
        if let b = q.query.batch { right += " · batch \(b)" }
        switch q.query.caseView {
        case .mine: right += " · mine"
        case .unassigned: right += " · unassigned"
        case .escalated: right += " · escalated"
        case nil: break
        }
    case .pivot(let p):
        right = "\(p.list.rows.isEmpty ? 0 : p.list.cursor + 1)/\(p.accounts) accounts · \(Human.count(Double(p.events))) events"
    case .timeline(let t):
        let pos = t.list.position.map { "\($0 + 1)" } ?? "~"
        right = "event \(pos)" + (t.types.map { " · \($0.joined(separator: ","))" } ?? "")
    case .account(let a):
        right = a.revealed ? "PII revealed" : "PII masked (r)"
    case .sql(let q):
        right = q.write ? "SQL · WRITING" : "SQL · read-only"
    case .dash(let d):
        right = "\(d.name) · \(d.range.label)" + (d.loadedAt.map { " · \(Timestamp.short($0).dropFirst(11).prefix(5))" } ?? "")
    }
    if s.top.isLoading { right = "loading… " + right }
    right = " " + right + " "
    let rw = TextWidth.of(right)
    switch s.mode {
    case .prompt(let p):
        let used = buf.write(p.label + " ", x: 0, y: y, style: theme["input"].bolded())
        p.field.render(into: buf, x: used, y: y, width: max(1, s.width - used - 1), style: theme["input"], cursorStyle: theme["input"].bolded().reversedToggled())
        return
    case .command(let f), .filter(let f):
        let prefix = { if case .command = s.mode { return ":" } else { return "/" } }()
        let used = buf.write(prefix, x: 0, y: y, style: theme["input"])
        // While a command is being edited, the message (e.g. how many accounts a bulk label
        // takes) replaces the counts on the right.
        if case .command = s.mode, !s.message.isEmpty {
            right = " " + s.message + " "
        }
        let rightW = TextWidth.of(right)
        f.render(into: buf, x: used, y: y, width: max(1, s.width - used - rightW - 1), style: theme["input"], cursorStyle: theme["input"].bolded().reversedToggled())
    case .normal:
        let msg = " " + (s.message.isEmpty ? s.keymap.footerText : s.message)
        buf.write(msg, x: 0, y: y, style: s.messageIsError ? theme["status.error"] : st, maxWidth: max(0, s.width - rw - 1))
    }
    buf.writeRight(right, x: 0, y: y, width: s.width, style: st)
}

extension Style {
    func reversedToggled() -> Style { var s = self; s.reverse.toggle(); return s }
}

extension Screen {
    var isLoading: Bool {
        switch self {
        case .queue(let q): return q.list.loading
        case .pivot(let p): return p.list.loading
        case .timeline(let t): return t.list.loading
        case .account(let a): return a.profile == nil && !a.missing
        case .sql(let q): return q.result?.running == true || q.result?.loading == true
        case .dash(let d): return d.loading
        }
    }
    var isSQL: Bool { if case .sql = self { return true } else { return false } }
}

func detailOverlay(_ fields: [(String, String)], _ buf: Buffer, _ theme: Theme) {
    let w = min(buf.width - 4, 100)
    var lines: [(String, String)] = []
    for (k, v) in fields {
        // Long values wrap onto following lines.
        let room = max(10, w - 18)
        var rest = v.replacingOccurrences(of: "\n", with: " ⏎ ")
        var first = true
        while !rest.isEmpty {
            var chunk = ""
            var cw = 0
            for ch in rest {
                let d = TextWidth.display(ch).1
                if cw + d > room { break }
                chunk.append(ch); cw += d
            }
            if chunk.isEmpty { break }
            rest.removeFirst(chunk.count)
            lines.append((first ? k : "", chunk))
            first = false
        }
    }
    let h = min(buf.height - 2, lines.count + 3)
    let r = Box.centered(in: buf.area, width: w, height: h)
    Box.draw(buf, r, style: theme["overlay"], title: "Event")
    for (i, (k, v)) in lines.enumerated() where i < h - 3 {
        buf.write(k, x: r.x + 2, y: r.y + 1 + i, style: theme["overlay"].bolded(), maxWidth: 14)
        buf.write(v, x: r.x + 16, y: r.y + 1 + i, style: theme["overlay"], maxWidth: w - 18)
    }
    buf.write("Esc closes", x: r.x + 2, y: r.maxY - 1, style: theme["overlay"], maxWidth: w - 4)
}

func ago(_ ms: Int64?, now: Int64) -> String {
    guard let ms else { return "—" }
    return Human.duration(ms: now - ms)
}

func day(_ ms: Int64?) -> String { ms.map { String(Timestamp.iso($0).prefix { $0 != "T" }) } ?? "—" }

/// A risk score in a list: two decimals, `·` for a scored account with nothing found, `—`
/// for one no detection run has scored; red from 0.7, amber from 0.4.
enum ScoreCell {
    static func text(_ score: Double?) -> String { score.map { $0 > 0 ? Human.fixed($0, 2) : "·" } ?? "—" }
    static func style(_ score: Double?, _ theme: Theme) -> Style { (score ?? 0) >= 0.7 ? theme["error"] : (score ?? 0) >= 0.4 ? theme["warn"] : theme["muted"] }
}

/// The tabs and the path drilled into; when it doesn't fit, the start of the path gives way
/// ("… ›") so the screen in view always shows.
func breadcrumb(_ tabs: String, _ titles: [String], width: Int) -> String {
    var parts = titles
    var dropped = false
    func text() -> String { tabs + (dropped ? "… › " : "") + parts.joined(separator: " › ") }
    while parts.count > 1 && TextWidth.of(text()) > width {
        parts.removeFirst()
        dropped = true
    }
    return text()
}
