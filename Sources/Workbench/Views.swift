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
    let right = " \(s.storeName) "
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

/// Help: every binding in force, the screen's first, as the keymap resolves them.
func helpLines(_ s: AppState) -> [(String, String)] {
    var out: [(String, String)] = []
    var layer = ""
    for (name, b) in s.keymap.visible where !b.help.isEmpty {
        if name != layer { if !out.isEmpty { out.append(("", "")) }; out.append(("", name == "everywhere" ? "Everywhere" : name)); layer = name }
        var keys = b.keysText
        if let n = b.name { keys = keys.isEmpty ? ":" + n : keys + "  :" + n }
        out.append((keys, b.help + (b.argument.map { " — :\(b.name ?? "") \($0)" } ?? "") + (b.enabled ? "" : " (off now)")))
    }
    return out
}

func helpOverlay(_ s: AppState, _ buf: Buffer, _ theme: Theme) {
    let items = helpLines(s)
    let keyW = min(28, (items.map { TextWidth.of($0.0) }.max() ?? 10) + 2)
    let w = max(40, s.width - 4), h = min(s.height - 2, items.count + 4)
    let r = Box.centered(in: buf.area, width: w, height: h)
    let room = max(1, h - 4)
    let scroll = max(0, min(s.helpScroll ?? 0, items.count - room))
    Box.draw(buf, r, style: theme["overlay"], title: "Keys — \(s.top.title)")
    for (i, (k, d)) in items.dropFirst(scroll).prefix(room).enumerated() {
        if k.isEmpty { buf.write(d, x: r.x + 2, y: r.y + 2 + i, style: theme["overlay"].bolded(), maxWidth: w - 4); continue }
        buf.write(k, x: r.x + 2, y: r.y + 2 + i, style: theme["overlay"].bolded(), maxWidth: keyW - 1)
        buf.write(d, x: r.x + 2 + keyW, y: r.y + 2 + i, style: theme["overlay"], maxWidth: w - keyW - 4)
    }
    let more = items.count > room ? "j k scroll (\(scroll + 1)–\(min(items.count, scroll + room)) of \(items.count)) · " : ""
    buf.write(more + "any other key closes", x: r.x + 2, y: r.maxY - 1, style: theme["overlay"], maxWidth: w - 4)
}

/// The palette over the status line while a command's name is typed: matches, fuzzy, with what they do.
func paletteOverlay(_ s: AppState, _ text: String, _ buf: Buffer, _ theme: Theme) {
    guard !text.contains(" ") else { return }
    let matches = s.keymap.palette(text)
    guard !matches.isEmpty else { return }
    let h = min(matches.count, max(1, s.height / 3))
    let w = min(s.width, 100)
    for (i, b) in matches.prefix(h).enumerated() {
        let y = s.height - 1 - h + i
        let st = i == 0 ? theme["selected"] : theme["overlay"]
        buf.fill(Rect(x: 0, y: y, width: w, height: 1), style: st)
        let head = ":" + b.name! + (b.argument.map { " " + $0 } ?? "")
        let used = buf.write(" " + head, x: 0, y: y, style: st.bolded(), maxWidth: min(40, w))
        buf.write("  " + b.help, x: used, y: y, style: st, maxWidth: max(0, w - used))
    }
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
    static func text(_ score: Double?) -> String { score.map { $0 > 0 ? String(format: "%.2f", $0) : "·" } ?? "—" }
    static func style(_ score: Double?, _ theme: Theme) -> Style { (score ?? 0) >= 0.7 ? theme["error"] : (score ?? 0) >= 0.4 ? theme["warn"] : theme["muted"] }
}

enum QueueView {
    /// The columns at this width: "last seen" from 180 columns, where the reason keeps its room.
    static func columns(width: Int) -> [(Column, QueueSort?)] { width >= 180 ? allColumns : allColumns.filter { $0.1 != .lastSeen } }

    static let allColumns: [(Column, QueueSort?)] = [
        (Column("#", width: 7, align: .right), nil),
        (Column("account", width: 13, identifier: true), .account),
        (Column("score", width: 7, align: .right), .score),
        (Column("risk", width: 16), .risk),
        (Column("group", width: 13), .group),
        (Column("label", width: 6), .label),
        (Column("case", width: 16), .caseStatus),
        (Column("cc", width: 3), .country),
        (Column("events", width: 8, align: .right), .events),
        (Column("last seen", width: 16), .lastSeen),
        (Column("age", width: 5, align: .right), .created),
        (Column("top reason", flex: 1), nil),
    ]

    /// A sort by a header's name (`:sort cc`, `:sort last seen`): the store's sort, and
    /// whether it starts descending (age ▼ is the oldest first: created ascending).
    static func sort(named name: String) -> (QueueSort, descending: Bool)? {
        let n = name.lowercased().replacingOccurrences(of: "_", with: " ")
        switch n {
        case "age": return (.created, false)
        case "cc": return (.country, false)
        case "last", "last seen", "seen": return (.lastSeen, true)
        default:
            guard let s = allColumns.compactMap(\.1).first(where: { $0.rawValue.replacingOccurrences(of: "_", with: " ") == n }) ?? QueueSort(rawValue: n) else { return nil }
            return (s, s.descendingFirst)
        }
    }

    /// Names for `:sort`, as the headers say them.
    static let sortNames = ["account", "score", "risk", "group", "label", "case", "cc", "events", "last", "age"]

    /// The sort as the status line says it, by its header: "age↓" is the oldest first.
    static func sortLabel(_ q: QueueQuery) -> String {
        if q.sort == .created { return "age" + (q.descending ? "↑" : "↓") }
        return q.sort.rawValue + (q.descending ? "↓" : "↑")
    }

    static func sortForColumn(atX x: Int, width: Int, accounts: [String] = []) -> QueueSort? {
        let columns = columns(width: width)
        let widths = TableView.layout(TableLayout.sized(columns.map(\.0), cells: accounts.map { ["", $0] }), width: width)
        var cx = 0
        for (i, w) in widths.enumerated() {
            if x >= cx && x < cx + w { return columns[i].1 }
            cx += w + 1
        }
        return nil
    }

    static func render(_ q: QueueScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme, now: Int64) {
        let visible = max(0, area.height - 1)
        let start = q.list.scroll
        var rows: [TableRow] = []
        for i in start..<min(q.list.rows.count, start + visible) {
            let r = q.list.rows[i]
            let pos = (s.marked.contains(r.account) ? "● " : "") + (q.list.offsetKnown ? String(q.list.offset + i + 1) : "")
            let scoreText = ScoreCell.text(r.score)
            // The case: who holds it and for how long; past its risk type's SLA it is overdue.
            var caseText = ""
            var overdue = false
            if let opened = r.caseOpenedAt, let status = r.caseStatus {
                let open = status != "closed"
                let who = status == "closed" ? "closed" + (r.assignee.map { " @" + $0 } ?? "") : r.assignee.map { "@" + $0 } ?? status
                if open, let h = s.sla[r.riskType ?? ""] ?? s.sla["default"] {
                    let due = opened + Int64(h * 3_600_000)
                    overdue = now > due
                    caseText = overdue ? "LATE \(who) +\(Human.duration(ms: now - due))" : "\(who) due \(Human.duration(ms: due - now))"
                } else {
                    caseText = who + (open ? " " + ago(opened, now: now) : "")
                }
            }
            let scoreStyle = ScoreCell.style(r.score, theme)
            rows.append(TableRow([
                pos, r.account, scoreText, r.riskType ?? "", r.group ?? "", r.label ?? "", caseText, r.country ?? "", Human.count(Double(r.events)),
                r.lastSeen.map { String(Timestamp.iso($0).prefix(16)).replacingOccurrences(of: "T", with: " ") } ?? "—",
                ago(r.createdAt, now: now), r.reason ?? (r.kind.map { "(\($0))" } ?? ""),
            ], cellStyles: [theme["muted"], nil, scoreStyle, theme["accent"], theme["muted"], r.label == "fraud" ? theme["error"] : r.label == "legit" ? theme["muted"] : theme["warn"],
                            overdue ? theme["error"].bolded() : theme["muted"], nil, nil, theme["muted"], nil, r.reason == nil ? theme["muted"] : nil]))
        }
        let columns = columns(width: area.width)
        if columns.count < allColumns.count { for i in rows.indices { rows[i].cells.remove(at: 9); rows[i].cellStyles.remove(at: 9) } }
        var table = TableView(columns: columns.map(\.0), rows: rows, selected: q.list.cursor - start)
        table.sortColumn = columns.firstIndex { $0.1 == q.query.sort }
        // Age runs against creation: ▼ (oldest first) is created ascending.
        table.sortDescending = q.query.sort == .created ? !q.query.descending : q.query.descending
        table.render(into: buf, area: area, theme: theme)
        if q.list.rows.isEmpty && !q.list.loading {
            let chips = q.query.chips
            let msg = chips.isEmpty ? "The store has no accounts yet: riskdesk import FILES (or riskdesk demo)"
                : "No account matches " + chips.joined(separator: " · ") + " — / changes the filter; :all shows every account"
            buf.write(msg, x: 2, y: area.y + 2, style: theme["muted"], maxWidth: area.width - 4)
        }
    }
}

enum AccountView {
    static func render(_ a: AccountScreen, _ buf: Buffer, _ area: Rect, _ theme: Theme, now: Int64) {
        var y = area.y
        let x = 1, w = area.width - 2
        guard let p = a.profile else {
            buf.write(a.missing ? "No account \(a.id) in this store." : "loading \(a.id)…", x: x, y: y + 1, style: theme["muted"])
            return
        }
        let label = theme["muted"]
        var line1 = "\(p.kind ?? "account") · \(p.country ?? "??")"
        if let c = p.createdAt { line1 += " · created \(day(c)) (\(ago(c, now: now)) ago)" }
        if !p.inProfile { line1 += " · seen only in events" }
        var used = buf.write(p.account, x: x, y: y, style: theme["accent"].bolded())
        buf.write("  " + line1, x: x + used, y: y, style: theme["base"], maxWidth: w - used)
        y += 1
        let email = p.email.map { a.revealed ? $0 : PII.maskEmail($0) } ?? "—"
        let phone = p.phone.map { a.revealed ? $0 : PII.maskPhone($0) } ?? "—"
        used = buf.write("email ", x: x, y: y, style: label)
        used += buf.write(email, x: x + used, y: y, style: a.revealed ? theme["warn"] : theme["base"])
        used += buf.write("   phone ", x: x + used, y: y, style: label)
        used += buf.write(phone, x: x + used, y: y, style: a.revealed ? theme["warn"] : theme["base"])
        if !a.revealed { buf.write("   (r reveals, logged)", x: x + used, y: y, style: label) }
        y += 1
        var stats = "events \(Human.count(Double(p.events))) · first \(day(p.firstSeen)) · last \(day(p.lastSeen))"
        stats += " · orders \(p.orders)"
        if p.orders > 0 { stats += String(format: " (%.2f)", p.orderAmount) }
        stats += " · reviews \(p.reviews)"
        if let r = p.avgRating { stats += String(format: " (avg %.1f★)", r) }
        stats += " · refunds \(p.refunds) · failed logins \(p.loginFailures)"
        buf.write(stats, x: x, y: y, style: theme["base"], maxWidth: w)
        y += 1
        let spark = Sparkline.text(a.daily, width: max(10, w - 10))
        used = buf.write("activity  ", x: x, y: y, style: label)
        buf.write(spark, x: x + used, y: y, style: theme["accent"], maxWidth: w - used)
        y += 1
        let types = p.typeCounts.prefix(10).map { "\($0.0) \(Human.count(Double($0.1)))" }.joined(separator: " · ")
        buf.write("by type   " + types, x: x, y: y, style: label, maxWidth: w)
        y += 1
        if let l = p.labels.first {
            used = buf.write("label     ", x: x, y: y, style: label)
            let text = l.label == "none" ? "withdrawn" : l.label + (l.category.map { " · \($0)" } ?? "")
            used += buf.write(text, x: x + used, y: y, style: l.label == "fraud" ? theme["error"].bolded() : theme["base"].bolded())
            var rest = "  by \(l.analyst) \(Timestamp.short(l.ts))"
            if let n = l.note { rest += " — “\(n)”" }
            if p.labels.count > 1 { rest += " · \(p.labels.count - 1) earlier: " + p.labels.dropFirst().prefix(3).map { "\($0.label) by \($0.analyst)" }.joined(separator: ", ") }
            buf.write(rest, x: x + used, y: y, style: label, maxWidth: w - used)
            y += 1
        }
        if p.caseStatus != nil || !p.conflict.isEmpty {
            used = buf.write("case      ", x: x, y: y, style: label)
            var text = (p.caseStatus ?? "open") + (p.assignee.map { " · held by \($0)" } ?? " · unassigned")
            if !p.conflict.isEmpty { text += "   CONFLICT: " + p.conflict.joined(separator: " · ") }
            buf.write(text, x: x + used, y: y, style: p.conflict.isEmpty ? theme["base"] : theme["error"].bolded(), maxWidth: w - used)
            y += 1
        }
        if !p.audit.isEmpty {
            used = buf.write("audit     ", x: x, y: y, style: label)
            let text = p.audit.prefix(4).map { a in
                "\(Timestamp.short(a.ts).dropFirst(5).prefix(11)) \(a.analyst) \(a.action)" + (a.new.map { " → \($0)" } ?? "")
            }.joined(separator: " · ")
            buf.write(text, x: x + used, y: y, style: label, maxWidth: w - used)
            y += 1
        }
        let learnt = p.reasons.filter { $0.hasPrefix("learnt model") || $0.hasPrefix("behaves like") || $0.hasPrefix("unusual vs") || $0.hasPrefix("linked:") }
        if p.findings.isEmpty && !learnt.isEmpty {
            // Flagged by the learnt model alone: its score and why.
            used = buf.write("risk      ", x: x, y: y, style: label)
            used += buf.write(String(format: "%.2f", p.score ?? 0), x: x + used, y: y, style: ScoreCell.style(p.score, theme).bolded())
            buf.write("  \(p.riskType ?? "")  no detector finding; " + learnt.joined(separator: " · "), x: x + used, y: y, style: theme["base"], maxWidth: w - used)
            y += 2
        } else if p.findings.isEmpty {
            let why = p.score == nil ? "no detection run has scored this account (:detect runs one)" : "none — the latest detection run found nothing"
            buf.write("findings  " + why, x: x, y: y, style: label, maxWidth: w)
            y += 2
        } else {
            used = buf.write("risk      ", x: x, y: y, style: label)
            used += buf.write(String(format: "%.2f", p.score ?? 0), x: x + used, y: y, style: (p.score ?? 0) >= 0.7 ? theme["error"].bolded() : theme["warn"].bolded())
            buf.write("  \(p.riskType ?? "")" + (p.group.map { " · group \($0)" } ?? "") + " · \(p.findings.count) finding(s); t shows the timeline, evidence marked ◆",
                      x: x + used, y: y, style: theme["base"], maxWidth: w - used)
            y += 1
            for f in p.findings.prefix(max(1, min(4, (area.maxY - y) / 4))) {
                let head = String(format: "  %.2f  ", f.strength) + f.detector + "  "
                let hw = buf.write(head, x: x, y: y, style: theme["accent"], maxWidth: w)
                buf.write(f.reason, x: x + hw, y: y, style: theme["base"], maxWidth: w - hw)
                y += 1
                var ev: [String] = []
                if !f.events.isEmpty { ev.append("\(f.events.count) evidence event(s)") }
                if !f.identifiers.isEmpty { ev.append(f.identifiers.prefix(3).map { "\($0.kind) \($0.value)" }.joined(separator: ", ")) }
                if !f.accounts.isEmpty { ev.append("with " + f.accounts.prefix(5).joined(separator: " ") + (f.accounts.count > 5 ? " +\(f.accounts.count - 5)" : "")) }
                if !ev.isEmpty { buf.write("        " + ev.joined(separator: " · "), x: x, y: y, style: label, maxWidth: w); y += 1 }
            }
            if !learnt.isEmpty {
                buf.write("  " + learnt.joined(separator: " · "), x: x, y: y, style: theme["accent"], maxWidth: w)
                y += 1
            }
            y += 1
        }

        // One list: identifiers, then linked accounts.
        var lines: [(text: String, style: Style, item: Int?)] = []
        lines.append(("Identifiers — Enter lists every account that shares one", theme["header"], nil))
        if a.identifiers.isEmpty { lines.append(("  none recorded", label, nil)) }
        for (i, id) in a.identifiers.enumerated() {
            let shared = id.sharedBy > 1 ? "shared by \(Human.count(Double(id.sharedBy))) accounts" : "only this account"
            let text = "  " + TextWidth.pad(id.kind, to: 13) + TextWidth.pad(id.value, to: 26) + " "
                + TextWidth.pad("\(Human.count(Double(id.events))) events", to: 13) + shared
            lines.append((text, id.sharedBy > 1 ? theme["base"] : label, i))
        }
        lines.append(("", theme["base"], nil))
        lines.append(("Linked accounts — through a shared device, payment, address or IP", theme["header"], nil))
        let linkedRows = LinkedList.lines(a)
        if a.linked.isEmpty { lines.append(("  none", label, nil)) } else { lines.append((linkedRows.header, label, nil)) }
        for (i, text) in linkedRows.rows.enumerated() {
            lines.append((text, a.linked[i].label == "fraud" ? theme["error"] : theme["base"], a.identifiers.count + i))
        }
        for text in linkedRows.notListed { lines.append((text, label, nil)) }
        let room = area.maxY - y
        guard room > 0 else { return }
        let cursorLine = lines.firstIndex { $0.item == a.cursor } ?? 0
        let start = max(0, min(cursorLine - room / 2, lines.count - room))
        for (k, l) in lines[start...].prefix(room).enumerated() {
            var st = l.style
            if l.item == a.cursor && a.itemCount > 0 { st = theme["selected"].over(st) }
            buf.fill(Rect(x: 0, y: y + k, width: area.width, height: 1), style: l.item == a.cursor && a.itemCount > 0 ? st : theme["base"])
            buf.write(l.text, x: x, y: y + k, style: st, maxWidth: w)
        }
    }
}

enum PivotView {
    static func render(_ p: PivotScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme) {
        let head: String
        switch p.kind {
        case .groups: head = "Rings, clusters and farms of the latest detection run — \(p.accounts) groups, \(Human.count(Double(p.events))) accounts · Enter lists members"
        case .group: head = "group \(p.value) — \(p.accounts) account\(p.accounts == 1 ? "" : "s"), \(Human.count(Double(p.events))) events"
        default: head = "\(p.kind.rawValue) \(p.value) — used by \(p.accounts) account\(p.accounts == 1 ? "" : "s"), \(Human.count(Double(p.events))) events"
        }
        buf.write(head, x: 1, y: area.y, style: theme["accent"].bolded(), maxWidth: area.width - 2)
        let tableArea = Rect(x: 0, y: area.y + 1, width: area.width, height: area.height - 1)
        let visible = max(0, tableArea.height - 1)
        let start = p.list.scroll
        var rows: [TableRow] = []
        func score(_ r: PivotRow) -> String { ScoreCell.text(r.score) }
        func scoreStyle(_ r: PivotRow) -> Style? { ScoreCell.style(r.score, theme) }
        let cols: [Column]
        if p.kind == .groups {
            for i in start..<min(p.list.rows.count, start + visible) {
                let r = p.list.rows[i]
                rows.append(TableRow([r.account, r.riskType ?? "", Human.count(Double(r.events)), score(r), r.reason ?? ""],
                                     cellStyles: [nil, theme["accent"], nil, scoreStyle(r), nil]))
            }
            cols = [Column("group", width: 16, identifier: true), Column("risk", width: 16), Column("size", width: 6, align: .right),
                    Column("score", width: 6, align: .right), Column("reason", flex: 1)]
        } else {
            for i in start..<min(p.list.rows.count, start + visible) {
                let r = p.list.rows[i]
                rows.append(TableRow([r.account, score(r), r.riskType ?? "", r.kind ?? "—", r.country ?? "", Human.count(Double(r.events)),
                                      Human.count(Double(r.accountEvents)), day(r.firstTs), day(r.lastTs), r.reason ?? ""],
                                     cellStyles: [nil, scoreStyle(r), theme["accent"], nil, nil, nil, nil, theme["muted"], theme["muted"], nil]))
            }
            cols = [Column("account", width: 14, identifier: true), Column("score", width: 6, align: .right), Column("risk", width: 16),
                    Column("kind", width: 8), Column("cc", width: 3),
                    Column(p.kind == .group ? "findings" : "with it", width: 8, align: .right), Column("all events", width: 10, align: .right),
                    Column("first", width: 10), Column("last", width: 10), Column("top reason", flex: 1)]
        }
        var table = TableView(columns: cols, rows: rows, selected: p.list.cursor - start)
        table.sortColumn = PivotOrder.column(p)
        table.sortDescending = p.sort != .account
        table.render(into: buf, area: tableArea, theme: theme)
    }
}

enum TimelineView {
    static func render(_ t: TimelineScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme) {
        var y = area.y
        let label = theme["muted"]
        // Activity strip: one lane per event type over the window.
        if let w = t.window {
            let head = "activity  \(Timestamp.short(w.from)) → \(Timestamp.short(w.to))  (\(Human.duration(ms: w.to - w.from)))   + − zoom  0 all"
            buf.write(head, x: 1, y: y, style: label, maxWidth: area.width - 2)
            y += 1
            let laneW = max(10, area.width - 18)
            let cursorTs = t.list.current?.ts
            for (type, values) in t.lanes.prefix(8) {
                buf.write(TextWidth.pad(type, to: 15), x: 1, y: y, style: theme["event.\(type)"])
                buf.write(Sparkline.text(values, width: laneW), x: 17, y: y, style: theme["event.\(type)"], maxWidth: laneW)
                if let ts = cursorTs, ts >= w.from, ts < w.to {
                    let cx = 17 + Int(Double(ts - w.from) / Double(max(1, w.to - w.from)) * Double(laneW))
                    if cx < 17 + laneW { buf.restyle(Rect(x: cx, y: y, width: 1, height: 1)) { $0.reverse = true } }
                }
                y += 1
            }
            y += 1
        }
        // Events, grouped by day, with gaps between sessions shown.
        let header = Rect(x: 0, y: y, width: area.width, height: 1)
        buf.fill(header, style: theme["header"])
        buf.write(" time          type            device            ip               cc  details", x: 0, y: y, style: theme["header"], maxWidth: area.width)
        // The day of the top row stays in view when its day line has scrolled away.
        if t.list.rows.indices.contains(min(t.list.scroll, t.list.cursor)) {
            let top = t.list.rows[min(t.list.scroll, t.list.cursor)].ts
            buf.writeRight("\(weekday(top)) \(Timestamp.iso(top).prefix(10)) ", x: 0, y: y, width: area.width, style: theme["header"])
        }
        y += 1
        let room = area.maxY - y
        guard room > 0 else { return }
        if t.list.rows.isEmpty {
            buf.write(t.list.loading ? "loading…" : "No events" + (t.types.map { " of type \($0.joined(separator: ", "))" } ?? ""), x: 2, y: y, style: label)
            return
        }
        var lines: [(text: [(String, Style, Int)], row: Int?)] = []
        func build(from start: Int) -> [(text: [(String, Style, Int)], row: Int?)] {
            var out: [(text: [(String, Style, Int)], row: Int?)] = []
            var prev: EventRow? = start > 0 ? t.list.rows[start - 1] : nil
            var i = start
            while i < t.list.rows.count && out.count < room {
                let e = t.list.rows[i]
                let d = String(Timestamp.iso(e.ts).prefix { $0 != "T" })
                if prev == nil || String(Timestamp.iso(prev!.ts).prefix { $0 != "T" }) != d {
                    out.append(([("── \(weekday(e.ts)) \(d) " + String(repeating: "─", count: 60), theme["header.day"], 0)], nil))
                } else if let p = prev, e.ts - p.ts > 30 * 60_000 {
                    out.append(([("   ┄ \(Human.duration(ms: e.ts - p.ts)) later ┄", label, 0)], nil))
                }
                if out.count >= room { break }
                let time = String(Timestamp.iso(e.ts).dropFirst(11).prefix(12))
                let mark = t.evidence.contains(e.id)
                out.append(([(mark ? "◆" : " ", theme["error"].bolded(), -1), (time, mark ? theme["warn"].bolded() : theme["base"], 2), (e.type, theme["event.\(e.type)"], 15),
                             (e.device.map { String($0.prefix(16)) } ?? "", label, 33), (e.ip ?? "", label, 51), (e.country ?? "", label, 68),
                             (e.summary, theme["base"], 72)], i))
                prev = e
                i += 1
            }
            return out
        }
        // Start at scroll; move on until the cursor's line fits.
        var start = min(t.list.scroll, t.list.cursor)
        lines = build(from: start)
        while !lines.contains(where: { $0.row == t.list.cursor }) && start < t.list.cursor {
            start += 1
            lines = build(from: start)
        }
        for (k, l) in lines.enumerated() {
            let selected = l.row == t.list.cursor
            let rowStyle = selected ? theme["selected"] : theme["base"]
            buf.fill(Rect(x: 0, y: y + k, width: area.width, height: 1), style: rowStyle)
            for (text, st, col) in l.text {
                let x = col == 0 ? 1 : max(0, col)     // -1: the margin, for marks
                let next = l.text.first { $0.2 > col }?.2 ?? area.width
                let style = selected ? rowStyle.over(st) : st
                let room = min(next, area.width) - x
                buf.write(text, x: x, y: y + k, style: style, maxWidth: max(0, room <= 1 ? room : room - (col == 0 ? 0 : 1)))
            }
        }
    }

    static func weekday(_ ms: Int64) -> String {
        let days = Int((ms / 86_400_000)) + (ms < 0 && ms % 86_400_000 != 0 ? -1 : 0)
        return ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((days % 7) + 7) % 7]
    }
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
