import Foundation
import RiskStore
import TerminalKit

// An account: its profile, findings and evidence, then its identifiers and linked accounts
// (Enter walks the ring; PII masked until an audited reveal).
public struct AccountScreen {
    var uid: Int
    public var id: String
    public var profile: AccountProfile?
    public var missing = false
    public var identifiers: [IdentifierUse] = []
    public var linked: [LinkedAccount] = []
    public var daily: [Double] = []
    public var revealed = false
    /// The cursor moves over identifiers, then linked accounts.
    public var cursor = 0
    public var scroll = 0
    var itemCount: Int { identifiers.count + linked.count }
}

extension AppState {
    var accountBindings: [Binding] {
        [
            Binding(downKeys + upKeys, .move, keyLabel: "j k ↓ ↑", help: "move over identifiers and linked accounts", group: "move"),
            Binding([.ctrl("d"), .ctrl("u"), .pageDown, .pageUp], .move, keyLabel: "PgDn PgUp", help: "page", group: "move"),
            Binding([.char("g"), .char("G"), .home, .end], .move, keyLabel: "g G", help: "first / last", group: "move"),
            Binding([.enter, .char("l"), .right], .open, keyLabel: "Enter", help: "open the identifier's accounts, or the linked account", hint: "open"),
            Binding([.char("t")], .timeline, help: "event timeline", hint: "timeline"),
            Binding([.char("r")], .reveal, help: "reveal e-mail and phone (asks why; audited)"),
            Binding([.char("y")], .copyAccount, help: "copy the account id (OSC 52)"),
        ]
    }

    public mutating func open(account: String) -> [Effect] {
        let s = AccountScreen(uid: uid(), id: account)
        stack.append(.account(s))
        return [.read(.account(uid: s.uid, id: account))]
    }

    mutating func accountUpdate(_ action: Action, _ key: Key, _ a: inout AccountScreen) -> [Effect] {
        let visible = max(1, height - 14)
        let last = max(0, a.itemCount - 1)
        switch action {
        case .move:
            switch key {
            case .down, .char("j"): a.cursor = min(a.cursor + 1, last)
            case .up, .char("k"): a.cursor = max(0, a.cursor - 1)
            case .pageDown, .ctrl("d"): a.cursor = min(a.cursor + visible, last)
            case .pageUp, .ctrl("u"): a.cursor = max(0, a.cursor - visible)
            case .char("g"), .home: a.cursor = 0
            case .char("G"), .end: a.cursor = last
            case .wheelDown: a.cursor = min(a.cursor + 3, last)
            case .wheelUp: a.cursor = max(0, a.cursor - 3)
            default: break
            }
        case .timeline:
            return openTimeline(a)
        case .reveal:
            askToReveal(&a)
        case .open:
            if a.cursor < a.identifiers.count {
                let id = a.identifiers[a.cursor]
                guard let kind = PivotKind(rawValue: id.kind) else { say("no list of accounts by \(id.kind)", error: true); return [] }
                return open(pivot: kind, value: id.value)
            }
            let li = a.cursor - a.identifiers.count
            guard a.linked.indices.contains(li) else { return [] }
            return open(account: a.linked[li].account)
        default: return []
        }
        return []
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
        // Read masked (both backends); the revealed values replace them after the audit, and
        // are masked again when hidden (the mask of a masked value is itself).
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
                + TextWidth.pad("\(Human.count(Double(id.events))) event\(id.events == 1 ? "" : "s")", to: 13) + shared
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
