import CLocale
import Foundation

/// A terminal colour: the terminal's default, or an xterm-256 index (0–15 are the ANSI colours).
public enum Color: Hashable, Sendable {
    case `default`
    case index(UInt8)

    public static let black = Color.index(0), red = Color.index(1), green = Color.index(2), yellow = Color.index(3)
    public static let blue = Color.index(4), magenta = Color.index(5), cyan = Color.index(6), white = Color.index(7)
    public static let gray = Color.index(8), brightRed = Color.index(9), brightGreen = Color.index(10)
    public static let brightYellow = Color.index(11), brightBlue = Color.index(12), brightMagenta = Color.index(13)
    public static let brightCyan = Color.index(14), brightWhite = Color.index(15)

    /// The nearest of the 16 ANSI colours, for terminals without 256.
    public var ansi16: Color {
        guard case .index(let i) = self, i >= 16 else { return self }
        let rgb: (Int, Int, Int)
        if i >= 232 { let v = Int(i - 232) * 10 + 8; rgb = (v, v, v) }
        else {
            let c = Int(i) - 16
            let steps = [0, 95, 135, 175, 215, 255]
            rgb = (steps[c / 36], steps[(c / 6) % 6], steps[c % 6])
        }
        let palette: [(Int, Int, Int)] = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
                                          (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
        var best = 0, bestD = Int.max
        for (k, p) in palette.enumerated() {
            let d = (p.0 - rgb.0) * (p.0 - rgb.0) + (p.1 - rgb.1) * (p.1 - rgb.1) + (p.2 - rgb.2) * (p.2 - rgb.2)
            if d < bestD { bestD = d; best = k }
        }
        return .index(UInt8(best))
    }
}

public struct Style: Hashable, Sendable {
    public var fg: Color = .default
    public var bg: Color = .default
    public var bold = false
    public var dim = false
    public var underline = false
    public var reverse = false
    public var italic = false
    public init(fg: Color = .default, bg: Color = .default, bold: Bool = false, dim: Bool = false,
                underline: Bool = false, reverse: Bool = false, italic: Bool = false) {
        self.fg = fg; self.bg = bg; self.bold = bold; self.dim = dim
        self.underline = underline; self.reverse = reverse; self.italic = italic
    }
    public static let plain = Style()

    /// This style's colours over another's background when it has none.
    public func over(_ base: Style) -> Style {
        var s = self
        if s.fg == .default { s.fg = base.fg }
        if s.bg == .default { s.bg = base.bg }
        return s
    }
    public func bolded() -> Style { var s = self; s.bold = true; return s }
}

/// One screen cell: a grapheme (or "" for the right half of a wide character) and its style.
public struct Cell: Equatable, Sendable {
    public var text: String
    public var style: Style
    public var width: UInt8
    public init(_ text: String = " ", style: Style = .plain, width: UInt8 = 1) {
        self.text = text; self.style = style; self.width = width
    }
    public static let blank = Cell()
    public var isContinuation: Bool { width == 0 }
}

public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public func inset(_ d: Int) -> Rect { Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d) }
    /// Splits off `n` rows from the top.
    public func top(_ n: Int) -> (Rect, Rect) {
        let n = min(max(0, n), height)
        return (Rect(x: x, y: y, width: width, height: n), Rect(x: x, y: y + n, width: width, height: height - n))
    }
    public func bottom(_ n: Int) -> (Rect, Rect) {
        let n = min(max(0, n), height)
        return (Rect(x: x, y: y, width: width, height: height - n), Rect(x: x, y: y + height - n, width: width, height: n))
    }
    public func left(_ n: Int) -> (Rect, Rect) {
        let n = min(max(0, n), width)
        return (Rect(x: x, y: y, width: n, height: height), Rect(x: x + n, y: y, width: width - n, height: height))
    }
    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}

/// An in-memory grid of cells that views draw into; a Terminal puts it on screen.
public final class Buffer {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]
    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    public func clear(_ style: Style = .plain) {
        let blank = Cell(" ", style: style)
        cells.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = blank } }
    }

    public func fill(_ r: Rect, style: Style, char: String = " ") {
        let x0 = max(0, r.x), x1 = min(width, r.maxX), y0 = max(0, r.y), y1 = min(height, r.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let cell = Cell(char, style: style), w = width
        cells.withUnsafeMutableBufferPointer { p in
            for y in y0..<y1 {
                for x in x0..<x1 { p[y * w + x] = cell }
            }
        }
    }

    /// Writes text at (x, y), clipped to `maxWidth` columns (and the buffer), ending with "…"
    /// when cut. Wide characters take two cells; one that would straddle the edge is dropped.
    /// Returns the columns used.
    @discardableResult
    public func write(_ text: String, x: Int, y: Int, style: Style, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - x)
        if limit <= 0 { return 0 }
        if let n = TextWidth.asciiWidth(text) { return writeASCII(text, n, x: x, y: y, style: style, limit: limit) }
        let cut = TextWidth.exceeds(text, limit)
        let room = cut ? limit - 1 : limit
        var col = 0
        for ch in text {
            let (g, w) = TextWidth.display(ch)
            if w == 0 { continue }
            if col + w > room { break }
            let cx = x + col
            if cx >= 0 {
                // Overwriting half of a wide character blanks its other half.
                if self[cx, y].isContinuation, cx > 0 { self[cx - 1, y] = Cell(" ", style: self[cx - 1, y].style) }
                self[cx, y] = Cell(g, style: style, width: UInt8(w))
                if w == 2 { self[cx + 1, y] = Cell("", style: style, width: 0) }
                else if cx + 1 < width, self[cx + 1, y].isContinuation { self[cx + 1, y] = Cell(" ", style: style) }
            }
            col += w
        }
        if cut && x + col < width {
            if x + col >= 0 { self[x + col, y] = Cell("…", style: style) }
            col += 1
        }
        return col
    }

    /// `write` for printable ASCII (`n` bytes, one cell each): the same cells, without
    /// grapheme breaking.
    private func writeASCII(_ text: String, _ n: Int, x: Int, y: Int, style: Style, limit: Int) -> Int {
        let cut = n > limit
        let count = cut ? limit - 1 : n
        let w = width, row = y * width
        var col = 0
        cells.withUnsafeMutableBufferPointer { p in
            for b in text.utf8.prefix(count) {
                let cx = x + col
                col += 1
                guard cx >= 0 else { continue }
                let i = row + cx
                // Overwriting half of a wide character blanks its other half.
                if p[i].isContinuation, cx > 0 { p[i - 1] = Cell(" ", style: p[i - 1].style) }
                p[i] = Cell(TextWidth.asciiCells[Int(b)], style: style)
                if cx + 1 < w, p[i + 1].isContinuation { p[i + 1] = Cell(" ", style: style) }
            }
        }
        if cut && x + col < width {
            if x + col >= 0 { self[x + col, y] = Cell("…", style: style) }
            col += 1
        }
        return col
    }

    /// Writes text right-aligned to end at column `x + width`.
    @discardableResult
    public func writeRight(_ text: String, x: Int, y: Int, width w: Int, style: Style) -> Int {
        let tw = min(TextWidth.of(text), w)
        return write(text, x: x + w - tw, y: y, style: style, maxWidth: tw)
    }

    /// Applies a style change to every cell in a rect (e.g. reverse for the selected row).
    public func restyle(_ r: Rect, _ f: (inout Style) -> Void) {
        for y in max(0, r.y)..<min(height, r.maxY) {
            for x in max(0, r.x)..<min(width, r.maxX) { f(&cells[y * width + x].style) }
        }
    }

    /// The screen as text, one line per row, trailing spaces trimmed (golden screens in tests).
    public func text() -> String {
        (0..<height).map { line($0) }.joined(separator: "\n")
    }

    public func line(_ y: Int) -> String {
        var s = ""
        for x in 0..<width { let c = self[x, y]; if !c.isContinuation { s += c.text } }
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}

/// Display width in terminal columns, from libc's wcwidth in a UTF-8 locale.
public enum TextWidth {
    /// Call once at start-up (the terminal backends do): widths need a UTF-8 locale.
    /// Returns false when the locale can't be UTF-8 (the UI then draws ASCII only).
    @discardableResult
    public static func setUpLocale() -> Bool {
        if let cached = utf8Cache { return cached }
        let ok = rd_locale_utf8() != 0
        utf8Cache = ok
        return ok
    }
    nonisolated(unsafe) static var utf8Cache: Bool?
    public static var isUTF8: Bool { utf8Cache ?? setUpLocale() }

    /// A grapheme as it will be drawn (control characters made visible) and its width.
    @inline(__always)
    public static func display(_ ch: Character) -> (String, Int) {
        if ch.isASCII {
            let v = ch.asciiValue!
            if v >= 32 && v < 127 { return (String(ch), 1) }
            if ch == "\n" || ch == "\r\n" { return ("⏎", 1) }
            if ch == "\t" { return (" ", 1) }
            return ("·", 1)
        }
        let scalars = ch.unicodeScalars
        let first = scalars.first!
        if first.value < 0xA0 && first.value >= 0x7F { return ("·", 1) }
        _ = isUTF8
        var w = Int(rd_wcwidth(first.value))
        if w < 0 { w = 1 }
        // Emoji presentation (VS16) and flags draw two columns wide.
        if scalars.count > 1 && (scalars.contains { $0.value == 0xFE0F } || first.properties.isEmojiPresentation) { w = 2 }
        if w == 0 { return (String(ch), 0) }
        return (String(ch), min(w, 2))
    }

    /// The width of text made only of printable ASCII (one column a byte), nil for any other
    /// text. Tables are mostly ids, numbers and English: this skips grapheme breaking.
    @inline(__always)
    public static func asciiWidth(_ s: String) -> Int? {
        var n = 0
        for b in s.utf8 {
            if b < 32 || b >= 127 { return nil }
            n += 1
        }
        return n
    }

    /// One-character strings for the ASCII bytes (a cell's text without building one).
    static let asciiCells: [String] = (0..<128).map { String(UnicodeScalar(UInt8($0))) }

    /// Whether `s` is wider than `limit` columns; reads no further than that.
    public static func exceeds(_ s: String, _ limit: Int) -> Bool {
        if let n = asciiWidth(s) { return n > limit }
        var n = 0
        for ch in s {
            n += display(ch).1
            if n > limit { return true }
        }
        return false
    }

    public static func of(_ s: String) -> Int {
        if let n = asciiWidth(s) { return n }
        var n = 0
        for ch in s { n += display(ch).1 }
        return n
    }

    /// Cuts to `width` columns with a trailing "…". Reads only as far as the cut (a long
    /// reason costs what its first `width` columns cost).
    public static func truncate(_ s: String, to width: Int) -> String {
        if let n = asciiWidth(s) {
            if n <= width { return s }
            if width <= 0 { return "" }
            return String(decoding: s.utf8.prefix(width - 1), as: UTF8.self) + "…"
        }
        var w = 0
        var fits = s.startIndex   // the end of what fits in `width - 1` columns
        var i = s.startIndex
        while i < s.endIndex {
            let cw = display(s[i]).1
            if w + cw <= width - 1 { fits = s.index(after: i) }
            w += cw
            if w > width { break }
            i = s.index(after: i)
        }
        if w <= width { return s }
        if width <= 0 { return "" }
        return String(s[..<fits]) + "…"
    }

    public static func pad(_ s: String, to width: Int) -> String {
        let t = truncate(s, to: width)
        return t + String(repeating: " ", count: max(0, width - of(t)))
    }
}

extension Buffer {
    /// Copies `source` with its top-left corner at (x, y), only the cells inside `clip` (and
    /// this buffer): a picture drawn whole, shown in part.
    public func copy(_ source: Buffer, to x: Int, _ y: Int, clip: Rect) {
        let x0 = max(x, clip.x, 0), x1 = min(x + source.width, clip.maxX, width)
        let y0 = max(y, clip.y, 0), y1 = min(y + source.height, clip.maxY, height)
        guard x0 < x1, y0 < y1 else { return }
        for ty in y0..<y1 {
            for tx in x0..<x1 { self[tx, ty] = source[tx - x, ty - y] }
        }
    }
}
