import Foundation
import RiskStore
import TerminalKit

// The SQL console's view: the editor (coloured by token), the bar, the results grid, the overlays.

enum SQLView {
    static func render(_ q: SQLScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme) {
        let layout = s.sqlLayout
        let edArea = Rect(x: 0, y: area.y, width: area.width, height: layout.editor)
        // Colours by token, over the whole text (strings and comments span lines).
        let text = q.editor.text
        let chars = Array(text)
        var kinds = [SQLText.Kind](repeating: .space, count: chars.count)
        for t in SQLText.tokens(chars) { for i in t.start..<t.end { kinds[i] = t.kind } }
        var lineStart: [Int] = []
        var o = 0
        for l in q.editor.lines { lineStart.append(o); o += l.count + 1 }
        let styles: [SQLText.Kind: Style] = [
            .keyword: theme["sql.keyword"], .function: theme["sql.function"], .string: theme["sql.string"], .quotedName: theme["sql.string"],
            .number: theme["sql.number"], .comment: theme["sql.comment"], .parameter: theme["sql.param"],
        ]
        let errorAt = q.result?.errorOffset
        q.editor.render(into: buf, area: edArea, base: theme["base"], gutter: theme["sql.gutter"], selectionStyle: theme["sql.selection"],
                        matchStyle: theme["sql.match"], focused: !q.focusGrid && s.mode == .normal) { line, col in
            let i = lineStart[line] + col
            if let e = errorAt, i == e { return theme["status.error"] }
            return i < kinds.count ? styles[kinds[i]] : nil
        }
        if q.editor.isEmpty && !q.focusGrid {
            buf.write("type SQL — F5 runs the statement under the cursor · Tab completes · Ctrl-R history · Ctrl-O opens a saved query", x: 6, y: edArea.y,
                      style: theme["muted"], maxWidth: area.width - 7)
        }
        // The bar between editor and results: mode, keys, and the result's size and time.
        let barY = area.y + layout.editor
        let bar = q.write ? theme["sql.write"] : (q.focusGrid ? theme["header"] : theme["status"])
        buf.fill(Rect(x: 0, y: barY, width: area.width, height: 1), style: bar)
        let left = (q.write ? " WRITE " : " read-only ") + (q.piiRevealed ? "· PII REVEALED " : "") + "· F5 run  F6 plan  F8 write  Ctrl-R history  " + (q.focusGrid ? "i edit" : "Esc results")
        var right = ""
        if let r = q.result {
            if r.running { right = "running… Ctrl-C cancels" }
            else if r.error != nil { right = "error" }
            else if let c = r.changes, r.columns.isEmpty { right = "\(c) changed" }
            else {
                let count = r.total.map(\.grouped) ?? ((r.offset + r.rows.count).grouped + "+")
                right = "row \(r.rows.isEmpty ? "0" : (r.cursor + 1).grouped)/\(count)" + (r.elapsedMs.map { String(format: " · %.1f ms", $0) } ?? "")
                if let so = r.sort { right += " · by \(r.columns.indices.contains(so.column) ? r.columns[so.column] : "?")\(so.descending ? "↓" : "↑")" }
                if r.loading { right = "reading… " + right }
            }
        }
        right = " " + right + " "
        buf.write(left, x: 0, y: barY, style: bar, maxWidth: max(0, area.width - TextWidth.of(right) - 1))
        buf.writeRight(right, x: 0, y: barY, width: area.width, style: bar)
        let gridArea = Rect(x: 0, y: barY + 1, width: area.width, height: area.maxY - barY - 1)
        if let r = q.result { grid(r, focused: q.focusGrid, buf, gridArea, theme) }
        else {
            let hints = ["Results appear here, read from \(q.dialect) as you scroll — a million rows cost what a hundred do.",
                         "Saved investigations: Ctrl-O (or :sql NAME) — " + q.catalog.saved.prefix(6).map(\.name).joined(separator: ", ") + (q.catalog.saved.count > 6 ? ", …" : ""),
                         "Enter on a row opens its account; b turns the result's accounts into a review batch; x exports."]
            for (i, h) in hints.enumerated() { buf.write(h, x: 2, y: gridArea.y + 1 + i, style: theme["muted"], maxWidth: area.width - 4) }
        }
        if let c = q.completion { completionPopup(c, q, buf, edArea, theme) }
        if let ins = q.inspector { listOverlay(title: ins.title, lines: ins.lines, scroll: ins.scroll, footer: "j k scroll · y copies · any key closes", buf, theme) }
        if let p = q.plan { listOverlay(title: "Query plan", lines: p, scroll: 0, footer: "any key closes", buf, theme) }
        if let h = q.history { historyOverlay(h, buf, theme) }
    }

    static func grid(_ r: SQLResult, focused: Bool, _ buf: Buffer, _ area: Rect, _ theme: Theme) {
        if let e = r.error {
            var y = area.y + 1
            var rest = Substring(e)
            let w = max(10, area.width - 4)
            while !rest.isEmpty && y < area.maxY {
                let chunk = rest.prefix(w)
                buf.write(String(chunk), x: 2, y: y, style: theme["error"], maxWidth: w)
                rest = rest.dropFirst(chunk.count)
                y += 1
            }
            return
        }
        if r.columns.isEmpty {
            if !r.running, let c = r.changes { buf.write("\(c) row\(c == 1 ? "" : "s") changed", x: 2, y: area.y + 1, style: theme["warn"]) }
            return
        }
        // Header.
        var x = 0
        var spans: [(col: Int, x: Int, w: Int)] = []
        for c in r.leftColumn..<r.columns.count {
            if x >= area.width { break }
            let w = min(r.widths[c], area.width - x)
            spans.append((c, x, w))
            x += w + 1
        }
        buf.fill(Rect(x: 0, y: area.y, width: area.width, height: 1), style: theme["header"])
        for s in spans {
            var name = r.columns[s.col]
            if let so = r.sort, so.column == s.col { name += so.descending ? "↓" : "↑" }
            let st = s.col == r.column && focused ? theme["header"].reversedToggled() : theme["header"]
            buf.write(name, x: s.x, y: area.y, style: st, maxWidth: s.w)
        }
        let visible = area.height - 1
        if r.rows.isEmpty && !r.running && !r.loading {
            buf.write("no rows", x: 2, y: area.y + 2, style: theme["muted"])
            return
        }
        for k in 0..<visible {
            let abs = r.scroll + k
            let i = abs - r.offset
            let y = area.y + 1 + k
            guard r.rows.indices.contains(i) else {
                if !r.done || abs < (r.total ?? 0) { if k == 0 || r.rows.indices.contains(i - 1) { buf.write("…", x: 1, y: y, style: theme["muted"]) } }
                continue
            }
            let row = r.rows[i]
            let selected = abs == r.cursor
            let rowStyle = selected ? (focused ? theme["selected"] : theme["selected.inactive"]) : theme["base"]
            if selected { buf.fill(Rect(x: 0, y: y, width: area.width, height: 1), style: rowStyle) }
            for s in spans where row.indices.contains(s.col) {
                let v = row[s.col]
                var st: Style
                let text: String
                var right = false
                switch v {
                case .null: text = "NULL"; st = theme["sql.null"]
                case .int, .double: text = v.description; st = theme["base"]; right = true
                default: text = v.description.replacingOccurrences(of: "\n", with: "⏎"); st = theme["base"]
                }
                if selected { st = rowStyle.over(st) }
                if selected && focused && s.col == r.column { st.reverse.toggle() }
                if right { buf.writeRight(text, x: s.x, y: y, width: s.w, style: st) }
                else { buf.write(text, x: s.x, y: y, style: st, maxWidth: s.w) }
            }
        }
    }

    static func completionPopup(_ c: (word: String, items: [SQLCatalog.Candidate], index: Int), _ q: SQLScreen, _ buf: Buffer, _ edArea: Rect, _ theme: Theme) {
        let h = min(8, c.items.count)
        let w = min(buf.width - 2, max(24, c.items.map { TextWidth.of($0.label) }.max() ?? 0) + 2)
        let cy = edArea.y + q.editor.cursor.line - q.editor.top + 1
        let cx = min(buf.width - w, max(0, 5 + q.editor.cursor.col - q.editor.left - c.word.count))
        let y0 = cy + h <= buf.height - 1 ? cy : max(0, cy - h - 1)
        let start = max(0, min(c.index - h + 1, c.items.count - h))
        for k in 0..<h {
            let i = start + k
            let st = i == c.index ? theme["selected"] : theme["overlay"]
            buf.fill(Rect(x: cx, y: y0 + k, width: w, height: 1), style: st)
            buf.write(" " + c.items[i].label, x: cx, y: y0 + k, style: st, maxWidth: w)
        }
    }

    static func listOverlay(title: String, lines: [String], scroll: Int, footer: String, _ buf: Buffer, _ theme: Theme) {
        let w = min(buf.width - 4, max(40, min(110, (lines.map { TextWidth.of($0) }.max() ?? 0) + 4)))
        let h = min(buf.height - 2, lines.count + 3)
        let r = Box.centered(in: buf.area, width: w, height: max(4, h))
        Box.draw(buf, r, style: theme["overlay"], title: title)
        for (k, l) in lines.dropFirst(scroll).prefix(r.height - 3).enumerated() {
            buf.write(l, x: r.x + 2, y: r.y + 1 + k, style: theme["overlay"], maxWidth: w - 4)
        }
        buf.write(footer, x: r.x + 2, y: r.maxY - 1, style: theme["overlay"], maxWidth: w - 4)
    }

    static func historyOverlay(_ h: (field: TextField, entries: [HistoryEntry], index: Int), _ buf: Buffer, _ theme: Theme) {
        let w = min(buf.width - 4, 110)
        let hgt = min(buf.height - 2, 20)
        let r = Box.centered(in: buf.area, width: w, height: hgt)
        Box.draw(buf, r, style: theme["overlay"], title: "History — type to search, Enter puts it in the editor")
        let used = buf.write("search: ", x: r.x + 2, y: r.y + 1, style: theme["overlay"].bolded())
        h.field.render(into: buf, x: r.x + 2 + used, y: r.y + 1, width: w - 6 - used, style: theme["input"], cursorStyle: theme["input"].reversedToggled())
        let room = r.height - 4
        let start = max(0, h.index - room + 1)
        if h.entries.isEmpty { buf.write("no statement matches", x: r.x + 2, y: r.y + 3, style: theme["muted"]) }
        for (k, e) in h.entries.dropFirst(start).prefix(room).enumerated() {
            let i = start + k
            let st = i == h.index ? theme["selected"] : theme["overlay"]
            let meta = "\(Timestamp.short(e.ts).dropFirst(5).prefix(11)) " + (e.error != nil ? "error" : e.rows.map { "\($0)\(e.more ? "+" : "") rows" } ?? "")
            buf.fill(Rect(x: r.x + 1, y: r.y + 3 + k, width: w - 2, height: 1), style: st)
            let mw = buf.write(TextWidth.pad(meta, to: 24), x: r.x + 2, y: r.y + 3 + k, style: i == h.index ? st : theme["overlay"].over(theme["muted"]), maxWidth: 24)
            buf.write(e.sql.replacingOccurrences(of: "\n", with: " "), x: r.x + 2 + mw + 1, y: r.y + 3 + k, style: st, maxWidth: w - mw - 5)
        }
    }
}
