import Foundation

/// A place in a text: line and column (in characters).
public struct TextPos: Equatable, Comparable, Sendable {
    public var line: Int
    public var col: Int
    public init(_ line: Int, _ col: Int) { self.line = line; self.col = col }
    public static func < (a: TextPos, b: TextPos) -> Bool { a.line < b.line || (a.line == b.line && a.col < b.col) }
}

/// A multi-line text editor: cursor movement by character, word and line, selection
/// (Shift-arrows, Ctrl-A), undo / redo, cut / copy / paste, bracket matching. It knows
/// nothing of what the text is: colours come from a function the caller passes to `render`.
public struct TextEditor: Sendable {
    public private(set) var lines: [[Character]] = [[]]
    public private(set) var cursor = TextPos(0, 0)
    /// The other end of the selection, when there is one.
    public private(set) var anchor: TextPos?
    /// First visible line and column (kept so the cursor stays in view).
    public private(set) var top = 0
    public private(set) var left = 0
    /// The editor's own clipboard (the terminal's is set too, where it allows).
    public var clipboard = ""
    /// Rows the editor had when last drawn: what PgUp / PgDn move by.
    public var pageRows = 10

    private struct Snapshot: Sendable { var lines: [[Character]]; var cursor: TextPos }
    private var undoStack: [Snapshot] = []
    private var redoStack: [Snapshot] = []
    /// Consecutive typing is undone as one step.
    private var typing = false
    /// The column up / down aim for, across short lines.
    private var goalCol: Int?

    public init(_ text: String = "") {
        lines = Self.split(text)
        cursor = TextPos(lines.count - 1, lines[lines.count - 1].count)
    }

    static func split(_ text: String) -> [[Character]] {
        var out: [[Character]] = [[]]
        for ch in text {
            if ch == "\n" || ch == "\r\n" { out.append([]) } else if ch != "\r" { out[out.count - 1].append(ch) }
        }
        return out
    }

    public var text: String { lines.map { String($0) }.joined(separator: "\n") }
    public var isEmpty: Bool { lines.count == 1 && lines[0].isEmpty }
    public var canUndo: Bool { !undoStack.isEmpty }

    /// Character offset of a position in `text` (lines joined by one newline).
    public func offset(of p: TextPos) -> Int {
        var n = 0
        for i in 0..<min(p.line, lines.count) { n += lines[i].count + 1 }
        return n + p.col
    }

    public func position(ofOffset o: Int) -> TextPos {
        var rest = max(0, o)
        for (i, l) in lines.enumerated() {
            if rest <= l.count { return TextPos(i, rest) }
            rest -= l.count + 1
        }
        return TextPos(lines.count - 1, lines[lines.count - 1].count)
    }

    public var cursorOffset: Int { offset(of: cursor) }

    /// The selection, start before end; nil when nothing is selected.
    public var selection: (start: TextPos, end: TextPos)? {
        guard let a = anchor, a != cursor else { return nil }
        return a < cursor ? (a, cursor) : (cursor, a)
    }

    public var selectedText: String? {
        guard let s = selection else { return nil }
        return String(Array(text)[offset(of: s.start)..<offset(of: s.end)])
    }

    // MARK: editing

    private mutating func checkpoint(typing isTyping: Bool = false) {
        if isTyping && typing { return }
        undoStack.append(Snapshot(lines: lines, cursor: cursor))
        if undoStack.count > 500 { undoStack.removeFirst() }
        redoStack.removeAll()
        typing = isTyping
    }

    /// Replaces the whole text (an undoable step), cursor at the end.
    public mutating func setText(_ s: String) {
        checkpoint()
        lines = Self.split(s)
        cursor = TextPos(lines.count - 1, lines[lines.count - 1].count)
        anchor = nil
    }

    public mutating func clear() { setText("") }

    public mutating func undo() {
        guard let s = undoStack.popLast() else { return }
        redoStack.append(Snapshot(lines: lines, cursor: cursor))
        lines = s.lines; cursor = s.cursor; anchor = nil; typing = false
    }

    public mutating func redo() {
        guard let s = redoStack.popLast() else { return }
        undoStack.append(Snapshot(lines: lines, cursor: cursor))
        lines = s.lines; cursor = s.cursor; anchor = nil; typing = false
    }

    private mutating func deleteSelection() -> Bool {
        guard let s = selection else { anchor = nil; return false }
        let head = Array(lines[s.start.line][..<s.start.col])
        let tail = Array(lines[s.end.line][s.end.col...])
        lines.replaceSubrange(s.start.line...s.end.line, with: [head + tail])
        cursor = s.start
        anchor = nil
        return true
    }

    /// Inserts text at the cursor, replacing the selection.
    public mutating func insert(_ s: String) {
        let isTyping = s.count == 1 && s != " " && s != "\n"
        checkpoint(typing: isTyping && selection == nil)
        _ = deleteSelection()
        let parts = Self.split(s)
        let line = lines[cursor.line]
        let head = Array(line[..<cursor.col]), tail = Array(line[cursor.col...])
        if parts.count == 1 {
            lines[cursor.line] = head + parts[0] + tail
            cursor.col += parts[0].count
        } else {
            var new = [head + parts[0]]
            new += parts[1..<(parts.count - 1)]
            new.append(parts[parts.count - 1] + tail)
            lines.replaceSubrange(cursor.line...cursor.line, with: new)
            cursor = TextPos(cursor.line + parts.count - 1, parts[parts.count - 1].count)
        }
        goalCol = nil
    }

    /// Replaces the characters from `start` up to the cursor (a completed word).
    public mutating func replaceBeforeCursor(count: Int, with s: String) {
        checkpoint()
        anchor = nil
        let n = min(count, cursor.col)
        lines[cursor.line].removeSubrange((cursor.col - n)..<cursor.col)
        cursor.col -= n
        insert(s)
    }

    public mutating func selectAll() {
        anchor = TextPos(0, 0)
        cursor = TextPos(lines.count - 1, lines[lines.count - 1].count)
    }

    public mutating func select(from a: TextPos, to b: TextPos) { anchor = a; cursor = b }

    /// Copies the selection (or the current line); returns what was copied.
    public mutating func copy() -> String {
        clipboard = selectedText ?? String(lines[cursor.line])
        return clipboard
    }

    public mutating func cut() -> String {
        let s = copy()
        checkpoint()
        if !deleteSelection() {
            // No selection: cut the whole line.
            if lines.count > 1 { lines.remove(at: cursor.line); cursor.line = min(cursor.line, lines.count - 1) } else { lines = [[]] }
            cursor.col = min(cursor.col, lines[cursor.line].count)
        }
        return s
    }

    public mutating func paste(_ s: String? = nil) { insert(s ?? clipboard) }

    public mutating func moveTo(_ p: TextPos, selecting: Bool = false) {
        if selecting { if anchor == nil { anchor = cursor } } else { anchor = nil }
        let line = max(0, min(p.line, lines.count - 1))
        cursor = TextPos(line, max(0, min(p.col, lines[line].count)))
        typing = false
    }

    static func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    func wordLeft(_ p: TextPos) -> TextPos {
        if p.col == 0 { return p.line > 0 ? TextPos(p.line - 1, lines[p.line - 1].count) : p }
        let l = lines[p.line]
        var c = p.col
        while c > 0 && !Self.isWord(l[c - 1]) { c -= 1 }
        while c > 0 && Self.isWord(l[c - 1]) { c -= 1 }
        return TextPos(p.line, c)
    }

    func wordRight(_ p: TextPos) -> TextPos {
        let l = lines[p.line]
        if p.col >= l.count { return p.line + 1 < lines.count ? TextPos(p.line + 1, 0) : p }
        var c = p.col
        while c < l.count && !Self.isWord(l[c]) { c += 1 }
        while c < l.count && Self.isWord(l[c]) { c += 1 }
        return TextPos(p.line, c)
    }

    /// The word (letters, digits, _ and .) just before the cursor: what completion completes.
    public var wordBeforeCursor: String {
        let l = lines[cursor.line]
        var c = cursor.col
        while c > 0 && (Self.isWord(l[c - 1]) || l[c - 1] == ".") { c -= 1 }
        return String(l[c..<cursor.col])
    }

    private mutating func vertical(_ d: Int, selecting: Bool) {
        let goal = goalCol ?? cursor.col
        moveTo(TextPos(cursor.line + d, goal), selecting: selecting)
        goalCol = goal
    }

    /// Applies an editing or movement key; false when the key isn't the editor's.
    public mutating func handle(_ key: Key) -> Bool {
        let keepGoal: Bool
        switch key {
        case .up, .down, .shiftUp, .shiftDown, .pageUp, .pageDown: keepGoal = true
        default: keepGoal = false
        }
        defer { if !keepGoal { goalCol = nil } }
        switch key {
        case .char(let c): insert(String(c))
        case .enter:
            // Keep the line's indentation.
            let indent = lines[cursor.line].prefix { $0 == " " || $0 == "\t" }
            insert("\n" + String(indent))
        case .backspace, .ctrl("h"):
            checkpoint()
            if deleteSelection() { return true }
            if cursor.col > 0 {
                lines[cursor.line].remove(at: cursor.col - 1); cursor.col -= 1
            } else if cursor.line > 0 {
                let l = lines.remove(at: cursor.line)
                cursor = TextPos(cursor.line - 1, lines[cursor.line - 1].count)
                lines[cursor.line] += l
            }
        case .delete:
            checkpoint()
            if deleteSelection() { return true }
            if cursor.col < lines[cursor.line].count { lines[cursor.line].remove(at: cursor.col) }
            else if cursor.line + 1 < lines.count { lines[cursor.line] += lines.remove(at: cursor.line + 1) }
        case .left:
            if let s = selection { moveTo(s.start) } else { moveTo(cursor.col > 0 ? TextPos(cursor.line, cursor.col - 1) : cursor.line > 0 ? TextPos(cursor.line - 1, lines[cursor.line - 1].count) : cursor) }
        case .right:
            if let s = selection { moveTo(s.end) } else { moveTo(cursor.col < lines[cursor.line].count ? TextPos(cursor.line, cursor.col + 1) : cursor.line + 1 < lines.count ? TextPos(cursor.line + 1, 0) : cursor) }
        case .shiftLeft:
            moveTo(cursor.col > 0 ? TextPos(cursor.line, cursor.col - 1) : cursor.line > 0 ? TextPos(cursor.line - 1, lines[cursor.line - 1].count) : cursor, selecting: true)
        case .shiftRight:
            moveTo(cursor.col < lines[cursor.line].count ? TextPos(cursor.line, cursor.col + 1) : cursor.line + 1 < lines.count ? TextPos(cursor.line + 1, 0) : cursor, selecting: true)
        case .up: vertical(-1, selecting: false)
        case .down: vertical(1, selecting: false)
        case .shiftUp: vertical(-1, selecting: true)
        case .shiftDown: vertical(1, selecting: true)
        case .pageUp: vertical(-max(1, pageRows - 1), selecting: false)
        case .pageDown: vertical(max(1, pageRows - 1), selecting: false)
        case .ctrlLeft, .alt("b"): moveTo(wordLeft(cursor))
        case .ctrlRight, .alt("f"): moveTo(wordRight(cursor))
        case .home, .shiftHome:
            // First non-blank, then column 0.
            let indent = lines[cursor.line].prefix { $0 == " " || $0 == "\t" }.count
            moveTo(TextPos(cursor.line, cursor.col == indent ? 0 : indent), selecting: key == .shiftHome)
        case .end, .shiftEnd: moveTo(TextPos(cursor.line, lines[cursor.line].count), selecting: key == .shiftEnd)
        case .ctrlHome: moveTo(TextPos(0, 0))
        case .ctrlEnd: moveTo(TextPos(lines.count - 1, lines[lines.count - 1].count))
        case .ctrl("a"): selectAll()
        case .ctrl("z"): undo()
        case .ctrl("y"): redo()
        case .ctrl("x"): _ = cut()
        case .ctrl("v"): paste()
        case .ctrl("k"):
            // Delete to the end of the line (or join the next).
            checkpoint()
            anchor = nil
            if cursor.col < lines[cursor.line].count { lines[cursor.line].removeSubrange(cursor.col...) }
            else if cursor.line + 1 < lines.count { lines[cursor.line] += lines.remove(at: cursor.line + 1) }
        case .alt("d"):
            checkpoint()
            anchor = cursor
            cursor = wordRight(cursor)
            _ = deleteSelection()
        case .ctrl("w"), .alt("\u{7f}"):
            checkpoint()
            anchor = cursor
            cursor = wordLeft(cursor)
            _ = deleteSelection()
        default: return false
        }
        if case .char = key {} else { typing = false }
        return true
    }

    // MARK: brackets

    static let pairs: [Character: Character] = ["(": ")", "[": "]", "{": "}"]
    static let closers: [Character: Character] = [")": "(", "]": "[", "}": "{"]

    /// The bracket at (or just before) the cursor and its partner, if both exist.
    public func matchingBracket() -> (TextPos, TextPos)? {
        func at(_ p: TextPos) -> Character? { lines[p.line].indices.contains(p.col) ? lines[p.line][p.col] : nil }
        var candidates = [cursor]
        if cursor.col > 0 { candidates.append(TextPos(cursor.line, cursor.col - 1)) }
        for p in candidates {
            guard let c = at(p) else { continue }
            if let close = Self.pairs[c], let m = scan(from: p, open: c, close: close, forward: true) { return (p, m) }
            if let open = Self.closers[c], let m = scan(from: p, open: c, close: open, forward: false) { return (p, m) }
        }
        return nil
    }

    private func scan(from p: TextPos, open: Character, close: Character, forward: Bool) -> TextPos? {
        var depth = 0
        var l = p.line, c = p.col
        while l >= 0 && l < lines.count {
            while c >= 0 && c < lines[l].count {
                let ch = lines[l][c]
                if ch == open { depth += 1 } else if ch == close { depth -= 1; if depth == 0 { return TextPos(l, c) } }
                c += forward ? 1 : -1
            }
            l += forward ? 1 : -1
            if l >= 0 && l < lines.count { c = forward ? 0 : lines[l].count - 1 }
        }
        return nil
    }

    // MARK: drawing

    /// Keeps the cursor in a view of `rows` × `cols`.
    public mutating func scrollIntoView(rows: Int, cols: Int) {
        pageRows = max(1, rows)
        if cursor.line < top { top = cursor.line }
        if cursor.line >= top + rows { top = cursor.line - rows + 1 }
        top = max(0, min(top, max(0, lines.count - 1)))
        let cx = TextWidth.of(String(lines[cursor.line][..<cursor.col]))
        if cx < left { left = max(0, cx - 4) }
        if cx >= left + cols { left = cx - cols + 1 }
    }

    /// Draws the text with line numbers. `styleAt(line, col)` colours each character;
    /// the selection, the cursor and a matched bracket pair are shown over it.
    public func render(into buf: Buffer, area: Rect, base: Style, gutter: Style, selectionStyle: Style, matchStyle: Style,
                       focused: Bool, styleAt: (Int, Int) -> Style?) {
        buf.fill(area, style: base)
        guard area.width > 6, area.height > 0 else { return }
        let gw = max(3, String(lines.count).count) + 1
        let sel = selection
        let match = focused ? matchingBracket() : nil
        for row in 0..<area.height {
            let li = top + row
            let y = area.y + row
            guard li < lines.count else { break }
            buf.write(String(repeating: " ", count: gw - 1 - String(li + 1).count) + String(li + 1), x: area.x, y: y,
                      style: li == cursor.line && focused ? gutter.bolded() : gutter)
            var x = area.x + gw - left
            let line = lines[li]
            for (ci, ch) in line.enumerated() {
                let (g, w) = TextWidth.display(ch)
                defer { x += max(w, ch == "\t" ? 4 : 0) }
                if x < area.x + gw { continue }
                if x + w > area.maxX { break }
                var st = styleAt(li, ci)?.over(base) ?? base
                let p = TextPos(li, ci)
                if let s = sel, p >= s.start && p < s.end { st = selectionStyle.over(st) }
                if let m = match, p == m.0 || p == m.1 { st = matchStyle.over(st) }
                if focused && p == cursor { st.reverse.toggle() }
                if ch == "\t" { buf.write("    ", x: x, y: y, style: st); continue }
                buf.write(g, x: x, y: y, style: st)
            }
            // Selected line ends and the cursor past the end of a line.
            if let s = sel, li >= s.start.line && li < s.end.line, x >= area.x + gw, x < area.maxX { buf.write(" ", x: x, y: y, style: selectionStyle.over(base)) }
            if focused && li == cursor.line && cursor.col == line.count && x >= area.x + gw && x < area.maxX {
                var st = base; st.reverse.toggle()
                buf.write(" ", x: x, y: y, style: st)
            }
        }
    }
}
