import RiskStore
import TerminalKit

// Help and the `:` palette, generated from the key bindings in force (the screen's first):
// what they show is what the keys do.

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
