import Foundation

public enum Align: Sendable { case left, right, center }

/// A table column: a title, a width (or a share of what's left), an alignment.
public struct Column: Sendable {
    public var title: String
    public var width: Int
    public var flex: Int
    public var align: Align
    /// Holds identifiers (account ids): as wide as its widest cell, not truncated while it
    /// fits in half the table; the other columns give way first. `width` is then its least width.
    public var identifier: Bool
    public init(_ title: String, width: Int = 0, flex: Int = 0, align: Align = .left, identifier: Bool = false) {
        self.title = title; self.width = width; self.flex = flex; self.align = align; self.identifier = identifier
    }
}

public struct TableRow {
    public var cells: [String]
    public var style: Style?
    /// Per-cell styles (nil: the row's).
    public var cellStyles: [Style?]
    public init(_ cells: [String], style: Style? = nil, cellStyles: [Style?] = []) {
        self.cells = cells; self.style = style; self.cellStyles = cellStyles
    }
}

/// Draws a header and rows; `selected` is an index into `rows`. Rows are a window the caller
/// pages in; the table never sees more than fits.
public struct TableView {
    public var columns: [Column]
    public var rows: [TableRow]
    public var selected: Int?
    public var sortColumn: Int?
    public var sortDescending = false
    public var focused = true

    public init(columns: [Column], rows: [TableRow], selected: Int? = nil) {
        self.columns = columns; self.rows = rows; self.selected = selected
    }

    /// Column widths for a total width and the rows shown: identifier columns are sized to
    /// their content, then fixed widths, flex columns share the rest.
    public static func layout(_ columns: [Column], width: Int, rows: [TableRow]) -> [Int] {
        layout(TableLayout.sized(columns, cells: rows.map(\.cells)), width: width)
    }

    /// Column widths for a total width: fixed widths first, flex columns share the rest.
    public static func layout(_ columns: [Column], width: Int) -> [Int] {
        var columns = columns
        let gaps = max(0, columns.count - 1)
        // When the columns don't fit, an identifier wider than half the table is cut to that
        // half first: a 5,000-character id (hostile input) must not squeeze every other
        // column to nothing.
        if columns.reduce(gaps, { $0 + ($1.flex > 0 ? 1 : $1.width) }) > width {
            for i in columns.indices where columns[i].identifier && columns[i].flex == 0 && columns[i].width > width / 2 {
                columns[i].width = max(1, width / 2)
            }
        }
        let fixed = columns.reduce(0) { $0 + ($1.flex > 0 ? 0 : $1.width) } + gaps
        let flexTotal = columns.reduce(0) { $0 + $1.flex }
        var left = max(0, width - fixed)
        var out: [Int] = []
        for c in columns {
            if c.flex > 0 {
                let w = max(1, left * c.flex / max(1, flexTotal))
                out.append(w)
            } else { out.append(c.width) }
        }
        // Give rounding leftovers to the last flex column; shrink from the right when too narrow.
        let used = out.reduce(0, +) + gaps
        if let lastFlex = columns.lastIndex(where: { $0.flex > 0 }), used < width { out[lastFlex] += width - used }
        var over = out.reduce(0, +) + gaps - width
        // Identifier columns give way last.
        for ids in [false, true] {
            var i = out.count - 1
            while over > 0 && i >= 0 {
                if columns[i].identifier == ids {
                    let cut = min(over, max(0, out[i] - 1))
                    out[i] -= cut; over -= cut
                }
                i -= 1
            }
        }
        left = 0
        return out
    }

    public func render(into buf: Buffer, area: Rect, theme: Theme) {
        guard area.height > 0, area.width > 0 else { return }
        let widths = Self.layout(columns, width: area.width, rows: rows)
        let header = theme["header"]
        buf.fill(Rect(x: area.x, y: area.y, width: area.width, height: 1), style: header)
        var x = area.x
        for (i, c) in columns.enumerated() {
            var title = c.title
            if sortColumn == i { title += sortDescending ? " ▼" : " ▲" }
            draw(title, in: buf, x: x, y: area.y, width: widths[i], align: c.align, style: header)
            x += widths[i] + 1
        }
        let base = theme["base"]
        for (r, row) in rows.enumerated() {
            let y = area.y + 1 + r
            if y >= area.maxY { break }
            let isSel = r == selected
            var rowStyle = (row.style ?? base).over(base)
            buf.fill(Rect(x: area.x, y: y, width: area.width, height: 1), style: rowStyle)
            var x = area.x
            for (i, c) in columns.enumerated() where i < row.cells.count {
                let st = (i < row.cellStyles.count ? row.cellStyles[i] : nil)?.over(rowStyle) ?? rowStyle
                draw(row.cells[i], in: buf, x: x, y: y, width: widths[i], align: c.align, style: st)
                x += widths[i] + 1
            }
            if isSel {
                rowStyle = focused ? theme["selected"] : theme["selected.inactive"]
                let sel = rowStyle
                buf.restyle(Rect(x: area.x, y: y, width: area.width, height: 1)) { s in
                    if sel.reverse { s.reverse.toggle() } else { s.bg = sel.bg; if sel.fg != .default { s.fg = sel.fg } }
                    if sel.bold { s.bold = true }
                }
            }
        }
    }

    func draw(_ text: String, in buf: Buffer, x: Int, y: Int, width: Int, align: Align, style: Style) {
        guard width > 0 else { return }
        let t = TextWidth.truncate(text, to: width)
        let w = TextWidth.of(t)
        let dx: Int
        switch align {
        case .left: dx = 0
        case .right: dx = width - w
        case .center: dx = (width - w) / 2
        }
        buf.write(t, x: x + dx, y: y, style: style, maxWidth: width - dx)
    }

    /// Which row (index into `rows`) a click at screen row `y` hits.
    public static func rowAt(y: Int, area: Rect) -> Int? {
        let r = y - area.y - 1
        return r >= 0 && y < area.maxY ? r : nil
    }
}

/// Eighth-block sparklines: "▁▂▃▄▅▆▇█" (ASCII " .:-=+*#" without UTF-8).
public enum Sparkline {
    public static func text(_ values: [Double], width: Int? = nil) -> String {
        var vs = values
        if let width, width > 0, vs.count > width {
            // Bucket down to the width, summing.
            var out = Array(repeating: 0.0, count: width)
            for (i, v) in vs.enumerated() { out[i * width / vs.count] += v }
            vs = out
        }
        let ramp: [Character] = TextWidth.isUTF8 ? [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] : [" ", ".", ":", "-", "=", "+", "*", "#", "@"]
        let maxV = vs.max() ?? 0
        guard maxV > 0 else { return String(repeating: ramp[0], count: vs.count) }
        return String(vs.map { v -> Character in
            if v <= 0 { return ramp[0] }
            return ramp[max(1, min(8, Int((v / maxV * 8).rounded(.up))))]
        })
    }
}

/// Boxes and overlays.
public enum Box {
    public static func draw(_ buf: Buffer, _ r: Rect, style: Style, title: String? = nil, titleStyle: Style? = nil) {
        guard r.width >= 2, r.height >= 2 else { return }
        let utf = TextWidth.isUTF8
        let (h, v, tl, tr, bl, br) = utf ? ("─", "│", "┌", "┐", "└", "┘") : ("-", "|", "+", "+", "+", "+")
        buf.fill(r, style: style)
        for x in (r.x + 1)..<(r.maxX - 1) {
            buf.write(h, x: x, y: r.y, style: style, maxWidth: 1)
            buf.write(h, x: x, y: r.maxY - 1, style: style, maxWidth: 1)
        }
        for y in (r.y + 1)..<(r.maxY - 1) {
            buf.write(v, x: r.x, y: y, style: style, maxWidth: 1)
            buf.write(v, x: r.maxX - 1, y: y, style: style, maxWidth: 1)
        }
        buf.write(tl, x: r.x, y: r.y, style: style, maxWidth: 1)
        buf.write(tr, x: r.maxX - 1, y: r.y, style: style, maxWidth: 1)
        buf.write(bl, x: r.x, y: r.maxY - 1, style: style, maxWidth: 1)
        buf.write(br, x: r.maxX - 1, y: r.maxY - 1, style: style, maxWidth: 1)
        if let title, r.width > 4 {
            buf.write(" \(title) ", x: r.x + 2, y: r.y, style: titleStyle ?? style.bolded(), maxWidth: r.width - 4)
        }
    }

    /// A centred rect of at most w×h inside `area`.
    public static func centered(in area: Rect, width w: Int, height h: Int) -> Rect {
        let ww = min(w, area.width), hh = min(h, area.height)
        return Rect(x: area.x + (area.width - ww) / 2, y: area.y + (area.height - hh) / 2, width: ww, height: hh)
    }
}

/// A one-line text input with a cursor, for the command line and filters.
public struct TextField: Equatable, Sendable {
    public var text: String = ""
    public var cursor: Int = 0      // in characters
    public init(_ text: String = "") { self.text = text; cursor = text.count }

    /// Applies an editing key; returns false if the key isn't an editing key.
    public mutating func handle(_ key: Key) -> Bool {
        // A combining mark or joiner typed or pasted after a character joins it (e + U+0301 is
        // one character, é): the text then has fewer characters than keys typed, and a cursor
        // counted by keys ran past the end and crashed the workbench (try21).
        cursor = min(max(0, cursor), text.count)
        defer { cursor = min(max(0, cursor), text.count) }
        switch key {
        case .char(let c):
            let at = text.index(text.startIndex, offsetBy: cursor)
            let head = String(text[..<at]) + String(c)
            text = head + text[at...]
            cursor = head.count
        case .backspace, .ctrl("h"):
            guard cursor > 0 else { return true }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor - 1)); cursor -= 1
        case .delete:
            guard cursor < text.count else { return true }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor))
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(text.count, cursor + 1)
        case .home, .ctrl("a"): cursor = 0
        case .end, .ctrl("e"): cursor = text.count
        case .ctrl("u"): text.removeFirst(cursor); cursor = 0
        case .ctrl("w"):
            var i = cursor
            let chars = Array(text)
            while i > 0 && chars[i - 1] == " " { i -= 1 }
            while i > 0 && chars[i - 1] != " " { i -= 1 }
            text = String(chars[..<i] + chars[cursor...]); cursor = i
        default: return false
        }
        return true
    }

    public func render(into buf: Buffer, x: Int, y: Int, width: Int, style: Style, cursorStyle: Style) {
        guard width > 0 else { return }
        // Scroll so the cursor stays visible.
        let chars = Array(text)
        let cursor = min(max(0, self.cursor), chars.count)
        var start = 0
        while TextWidth.of(String(chars[start..<cursor])) >= width { start += 1 }
        let visible = String(chars[start...])
        buf.write(visible, x: x, y: y, style: style, maxWidth: width)
        let cx = x + TextWidth.of(String(chars[start..<cursor]))
        if cx < x + width {
            let under = cursor < chars.count ? String(chars[cursor]) : " "
            buf.write(under, x: cx, y: y, style: cursorStyle, maxWidth: 2)
        }
    }
}

/// Human numbers and durations for labels: 1.2k, 3.4M, 5m, 2h 13m, 3d.
public enum Human {
    public static func count(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return fixed(v / 1e9, 1) + "G" }
        if a >= 1e6 { return fixed(v / 1e6, 1) + "M" }
        if a >= 1e4 { return fixed(v / 1e3, 0) + "k" }
        if a >= 1e3 { return fixed(v / 1e3, 1) + "k" }
        if v == v.rounded() { return String(Int(v)) }
        return fixed(v, 2)
    }

    /// `String(format: "%.Nf", v)` to the letter (the exact binary value rounded, ties to
    /// even), without Foundation's formatter, which costs microseconds a cell: lists format
    /// scores and counts for every row of every frame. N up to 3; other values go to
    /// the formatter.
    public static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite, (0...3).contains(decimals), abs(v) < 1e15 else { return String(format: "%.\(decimals)f", v) }
        let scale: UInt64 = decimals == 0 ? 1 : decimals == 1 ? 10 : decimals == 2 ? 100 : 1000
        // |v| = m · 2^e exactly; |v| · scale rounded, in integers.
        let bits = v.significandBitPattern, exp = Int(v.exponentBitPattern)
        let m: UInt64 = exp == 0 ? bits : bits | (1 << 52)
        let e = exp == 0 ? -1074 : exp - 1075
        var q: UInt64
        if m == 0 {
            q = 0
        } else if e >= 0 {
            q = (m << UInt64(e)) * scale          // < 1e15 · 1000 < 2^63
        } else if -e >= 64 {
            q = 0                                  // below 2^-11 · 1000 / 2^53: far under one half
        } else {
            let k = UInt64(-e)
            let p = m * scale                      // < 2^53 · 2^10
            q = p >> k
            let r = p & ((1 << k) - 1), half: UInt64 = 1 << (k - 1)
            if r > half || (r == half && q & 1 == 1) { q += 1 }
        }
        var out = v.sign == .minus ? "-" : ""
        out += String(q / scale)
        if decimals > 0 {
            let frac = String(q % scale)
            out += "." + String(repeating: "0", count: decimals - frac.count) + frac
        }
        return out
    }

    public static func duration(ms: Int64) -> String {
        let s = abs(ms) / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { let m = s / 60 % 60; return m == 0 ? "\(s / 3600)h" : "\(s / 3600)h \(m)m" }
        if s < 86_400 * 60 { return "\(s / 86_400)d" }
        if s < 86_400 * 730 { return "\(s / (86_400 * 30))mo" }
        return "\(s / (86_400 * 365))y"
    }
}

/// Widths from content.
public enum TableLayout {
    /// The columns with each identifier column widened to its title and widest cell.
    public static func sized(_ columns: [Column], cells: [[String]]) -> [Column] {
        var out = columns
        for i in out.indices where out[i].identifier && out[i].flex == 0 {
            let widest = cells.reduce(TextWidth.of(out[i].title)) { i < $1.count ? max($0, TextWidth.of($1[i])) : $0 }
            out[i].width = max(out[i].width, widest)
        }
        return out
    }
}
