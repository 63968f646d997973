import Foundation
import RiskStore
import TerminalKit

// The SQL console as a component: its state (below), its key bindings
// as data — the editor's, the results', the overlays' — resolved by the same Keymap as the
// other screens (the focused layer first, then the globals), and its update. Its view is
// SQLConsoleView.swift; its service glue (running, reading, results) SQLConsole.swift.

/// The SQL console: an editor over a streamed, virtualised results grid.
public struct SQLScreen {
    var uid: Int
    /// The dialect it speaks: SQLite, or PostgreSQL on a team store (shown in the title).
    public var dialect = "SQLite"
    public var editor = TextEditor()
    /// Keys go to the results grid (else to the editor).
    public var focusGrid = false
    public var result: SQLResult?
    public var catalog = SQLCatalog()
    /// A saved query asked for (`:sql NAME`) before the catalog arrived.
    var pendingOpen: String?
    public var completion: (word: String, items: [SQLCatalog.Candidate], index: Int)?
    /// A long cell, shown whole (JSON pretty-printed).
    public var inspector: (title: String, lines: [String], scroll: Int)?
    public var plan: [String]?
    public var history: (field: TextField, entries: [HistoryEntry], index: Int)?
    /// Writing allowed (F8, after a confirmation).
    public var write = false
    /// PII unmasked for this console session (`:reveal REASON`, audited).
    public var piiRevealed = false
    /// The last value given for each named parameter.
    public var params: [String: String] = [:]
    var nextQID = 0
}

/// A result: its columns and a window of its rows (absolute positions; the rest stay in SQLite).
public struct SQLResult {
    public var qid: Int
    public var sql: String
    /// Where the statement starts in the editor (to place SQLite's error position).
    public var base: Int
    public var params: [String: String]
    public var columns: [String] = []
    public var widths: [Int] = []
    public var rows: [[SQLValue]] = []
    public var offset = 0
    public var cursor = 0
    public var scroll = 0
    public var column = 0
    public var leftColumn = 0
    public var done = false
    public var total: Int?
    public var loading = false
    public var running = true
    public var elapsedMs: Double?
    public var changes: Int?
    public var error: String?
    public var errorOffset: Int?
    public var sort: (column: Int, descending: Bool)?
    var jumpToEnd = false

    public var current: [SQLValue]? {
        let i = cursor - offset
        return rows.indices.contains(i) ? rows[i] : nil
    }

    /// The column Enter opens accounts from: the current one if it holds account ids, else the first that does.
    public var accountColumn: Int? { AccountColumn.pick(columns: columns, rows: rows, current: column) }
}

/// What a console binding asks for; the key travels along (which way a move goes).
enum SQLAction: Hashable {
    // Both sides.
    case run, explain, toggleWrite, history, cancel, clear, save, openSaved
    // The editor (`edit`: a key the text editor takes — every printable key, as text).
    case toResults, complete, edit
    // The results.
    case toEditor, gridMove, gridColumn, gridFirst, gridLast, sort, inspect, copy, openRow, batch, export
    // The completion list over the editor.
    case completionNext, completionPrevious, completionInsert, completionClose
    // The cell inspector, the query plan, the history search.
    case inspectorScroll, inspectorCopy, closeOverlay, historyMove, historyPick, historyType
    /// A click, double-click or wheel turn (the key carries where).
    case pointer
}

extension AppState {
    /// The console's keymap. An overlay (inspector, plan, history) takes every key: its
    /// bindings alone, any other key closes it (history: types into its search). Otherwise
    /// the completion list (when open), then the focused side, then the globals — whose keys
    /// don't reach the editor (text typed there stays text; their palette names remain).
    func sqlKeymap(_ q: SQLScreen) -> Keymap<Action> {
        if let overlay = sqlOverlay(q) { return Keymap([overlay]) }
        var layers: [Keymap<Action>.Layer] = []
        if q.completion != nil { layers.append(.init("completion", sqlCompletionBindings)) }
        layers.append(.init(q.focusGrid ? "SQL results" : "SQL editor", sqlBindings(q)))
        let globals = globalBindings + paletteCommands
        layers.append(.init("everywhere", q.focusGrid ? globals : globals.map { var b = $0; b.keys = []; return b }))
        return Keymap(layers)
    }

    func sqlOverlay(_ q: SQLScreen) -> Keymap<Action>.Layer? {
        func s(_ a: SQLAction) -> Action { .sql(a) }
        if q.inspector != nil {
            return .init("cell", [
                Binding(downKeys + upKeys + [.pageDown, .char(" "), .pageUp], s(.inspectorScroll), keyLabel: "j k PgDn PgUp", help: "scroll"),
                Binding([.char("y")], s(.inspectorCopy), help: "copy the cell (OSC 52)", hint: "copy"),
                Binding([.esc, .char("q")], s(.closeOverlay), keyLabel: "Esc (any other key)", help: "close", hint: "close"),
            ])
        }
        if q.plan != nil {
            return .init("query plan", [Binding([.esc, .char("q"), .enter], s(.closeOverlay), keyLabel: "Esc (any key)", help: "close", hint: "close")])
        }
        if q.history != nil {
            return .init("history", [
                Binding([.down, .ctrl("n"), .up, .ctrl("p"), .ctrl("r")], s(.historyMove), keyLabel: "↓ ↑ Ctrl-N Ctrl-P Ctrl-R", help: "choose a statement"),
                Binding([.enter], s(.historyPick), help: "put it in the editor", hint: "use"),
                Binding([.esc], s(.closeOverlay), help: "close", hint: "close"),
                Binding([], s(.historyType), keyLabel: "text", help: "search the statements run"),
            ])
        }
        return nil
    }

    var sqlCompletionBindings: [Binding] {
        [
            Binding([.tab, .down], .sql(.completionNext), keyLabel: "Tab ↓", help: "next completion", hint: "next"),
            Binding([.backTab, .up], .sql(.completionPrevious), keyLabel: "Shift-Tab ↑", help: "previous completion"),
            Binding([.enter], .sql(.completionInsert), help: "insert the completion", hint: "insert"),
            Binding([.esc], .sql(.completionClose), help: "close the list (any other key closes it and acts)"),
        ]
    }

    /// The bindings of the side in focus, the keys both sides share first; and the console's
    /// palette commands.
    func sqlBindings(_ q: SQLScreen) -> [Binding] {
        func s(_ a: SQLAction) -> Action { .sql(a) }
        let both: [Binding] = [
            Binding([.f(5), .ctrl("j"), .ctrl("g")], s(.run), keyLabel: "F5 Ctrl-Enter", help: "run the statement under the cursor (or the selection); also Ctrl-J, Ctrl-G", hint: "run"),
            Binding([.f(6), .ctrl("p")], s(.explain), keyLabel: "F6 Ctrl-P", help: "EXPLAIN QUERY PLAN of it"),
            Binding([.f(8)], s(.toggleWrite), help: "allow writing (asks) / read-only again")
                .enabled(q.write || !readOnly, else: "read-only workbench (--read-only): writing is off"),
            Binding([.ctrl("r")], s(.history), help: "search the history"),
            Binding([.ctrl("c")], s(.cancel), help: "cancel the running query (in the editor, with nothing running: copy the selection)"),
            Binding([.ctrl("l")], s(.clear), help: "clear the editor"),
            Binding([.ctrl("o")], s(.openSaved), help: "open a saved query (queries/NAME.sql)"),
            Binding([.ctrl("s")], s(.save), help: "save the editor's text as a query (queries/NAME.sql)"),
        ]
        let side: [Binding]
        if !q.focusGrid {
            side = [
                Binding([.esc], s(.toResults), help: "to the results (i or a comes back)", hint: "results"),
                Binding([.tab], s(.complete), help: "complete keyword, table, column, function, saved query"),
                Binding([.left, .right, .up, .down, .home, .end, .pageUp, .pageDown, .ctrlHome, .ctrlEnd], s(.edit),
                        keyLabel: "arrows Home End PgUp PgDn", help: "move the cursor"),
                Binding([.ctrlLeft, .ctrlRight, .alt("b"), .alt("f")], s(.edit), keyLabel: "Ctrl-←/→ Alt-b/f", help: "word left / right"),
                Binding([.shiftLeft, .shiftRight, .shiftUp, .shiftDown, .shiftHome, .shiftEnd, .ctrl("a")], s(.edit),
                        keyLabel: "Shift-arrows Ctrl-A", help: "select; select all"),
                Binding([.ctrl("z"), .ctrl("y"), .ctrl("x"), .ctrl("v")], s(.edit), keyLabel: "Ctrl-Z Ctrl-Y  Ctrl-X Ctrl-V", help: "undo / redo; cut / paste"),
                Binding([.enter, .backspace, .delete, .ctrl("h"), .ctrl("k"), .ctrl("w"), .alt("d")], s(.edit),
                        keyLabel: "Enter Bksp Del Ctrl-K Ctrl-W", help: "new line; delete; to the line's end; word"),
                Binding([], s(.edit), keyLabel: "text", help: "every other key is typed into the statement"),
            ]
        } else if let r = q.result {
            let account = r.accountColumn != nil
            side = [
                Binding([.char("i"), .char("a")], s(.toEditor), keyLabel: "i a", help: "back to the editor", hint: "edit"),
                Binding([.esc], s(.toResults), help: "stay in the results (Esc never leads into the editor)"),
                Binding(downKeys + upKeys, s(.gridMove), keyLabel: "j k ↓ ↑", help: "move by row", group: "move"),
                Binding([.pageDown, .pageUp, .char(" "), .ctrl("d"), .ctrl("u")], s(.gridMove), keyLabel: "PgDn PgUp Ctrl-D Ctrl-U", help: "page; half page", group: "move"),
                Binding([.char("g"), .home], s(.gridFirst), keyLabel: "g Home", help: "first row", group: "move"),
                Binding([.char("G"), .end], s(.gridLast), keyLabel: "G End", help: "last row (reads to the end)", group: "move"),
                Binding([.char("h"), .left, .char("l"), .right, .char("0"), .char("$")], s(.gridColumn), keyLabel: "h l ← → 0 $", help: "column left / right, first / last", group: "move"),
                Binding([.enter], s(.openRow), help: "open the row's account (a column of account ids)", hint: "open")
                    .enabled(account, else: AccountColumn.none),
                Binding([.char("v")], s(.inspect), help: "show the cell whole (JSON pretty)", hint: "cell"),
                Binding([.char("s"), .char("S")], s(.sort), keyLabel: "s S", help: "sort by the column (ascending / descending; again reverses)", hint: "sort"),
                Binding([.char("y"), .char("Y")], s(.copy), keyLabel: "y Y", help: "copy cell / row (OSC 52)"),
                Binding([.char("b")], s(.batch), help: "make a review batch of the accounts").enabled(account, else: AccountColumn.none),
                Binding([.char("x")], s(.export), help: "export the result (:export FILE)"),
            ]
        } else {
            side = [Binding([.char("i"), .char("a"), .enter], s(.toEditor), keyLabel: "i a Enter", help: "back to the editor", hint: "edit")]
        }
        return both + side + [
            Binding([], .command("save"), name: "save", help: "save the console's text as queries/NAME.sql (save! replaces)", argument: "NAME"),
            Binding([], .command("export"), name: "export", help: "the console's result to a file", argument: "FILE.csv|.json|.jsonl"),
            Binding([], .command("explain"), name: "explain", help: "the console's statement's query plan"),
            Binding([], .command("write"), name: "write", help: "let the console write (asks first)", argument: "[off]"),
        ]
    }

    /// What a key does in the console: a console binding's action, the editor's (text), an
    /// overlay's default; nil when it is the globals' (on the results side).
    func consoleAction(_ key: Key) -> Action? {
        guard case .sql(let q) = top else { return nil }
        switch sqlKeymap(q).resolve(key) {
        case .run(let b):
            if case .sql = b.command { return b.command }
            return nil
        case .disabled: return nil      // the globals' path says why
        case .unbound:
            if q.inspector != nil || q.plan != nil { return .sql(.closeOverlay) }
            if q.history != nil { return .sql(.historyType) }
            switch key {
            case .click, .doubleClick, .wheelUp, .wheelDown: return .sql(.pointer)
            default: return q.focusGrid ? nil : .sql(.edit)
            }
        }
    }

    /// The console's update: what its bindings stand for.
    mutating func sqlUpdate(_ action: SQLAction, _ key: Key, _ q: inout SQLScreen) -> [Effect] {
        let layout = sqlLayout
        defer { q.editor.scrollIntoView(rows: layout.editor, cols: max(1, width - 6)) }
        switch action {
        case .completionNext, .completionPrevious, .completionInsert, .completionClose: break
        default: q.completion = nil      // any other key closes the list (and acts)
        }
        switch action {
        // Overlays.
        case .inspectorScroll:
            guard var ins = q.inspector else { return [] }
            let last = max(0, ins.lines.count - 1)
            switch key {
            case .down, .char("j"): ins.scroll = min(ins.scroll + 1, last)
            case .up, .char("k"): ins.scroll = max(0, ins.scroll - 1)
            case .pageDown, .char(" "): ins.scroll = min(ins.scroll + 10, last)
            default: ins.scroll = max(0, ins.scroll - 10)
            }
            q.inspector = ins
            return []
        case .inspectorCopy:
            guard let ins = q.inspector else { return [] }
            say("copied the cell (OSC 52)")
            return [.copy(ins.lines.joined(separator: "\n"))]
        case .closeOverlay:
            q.inspector = nil; q.plan = nil; q.history = nil
            return []
        case .historyMove:
            guard var h = q.history else { return [] }
            if key == .down || key == .ctrl("n") { h.index = min(h.index + 1, max(0, h.entries.count - 1)) } else { h.index = max(0, h.index - 1) }
            q.history = h
            return []
        case .historyPick:
            guard let h = q.history else { return [] }
            if h.entries.indices.contains(h.index) { q.editor.setText(h.entries[h.index].sql); say("from history — F5 runs it") }
            q.history = nil
            q.focusGrid = false
            return []
        case .historyType:
            guard var h = q.history, h.field.handle(key) else { return [] }
            h.index = 0
            q.history = h
            return [.console(.history(uid: q.uid, search: h.field.text))]
        // The completion list.
        case .completionNext, .completionPrevious:
            guard var c = q.completion else { return [] }
            c.index = (c.index + (action == .completionNext ? 1 : c.items.count - 1)) % c.items.count
            q.completion = c
            return []
        case .completionInsert:
            if let c = q.completion { q.editor.replaceBeforeCursor(count: c.word.count, with: c.items[c.index].insert) }
            q.completion = nil
            return []
        case .completionClose:
            q.completion = nil
            return []
        // Both sides.
        case .run: return runSQL(&q, explain: false)
        case .explain: return runSQL(&q, explain: true)
        case .toggleWrite:
            if q.write { q.write = false; say("read-only again"); return [] }
            if readOnly { say("read-only workbench (--read-only): writing is off", error: true); return [] }
            mode = .prompt(Prompt(kind: .confirmWrite, label: "allow writing to \(storeName)? y/N", field: TextField()))
            return []
        case .history:
            q.history = (TextField(), [], 0)
            return [.console(.history(uid: q.uid, search: ""))]
        case .cancel:
            if q.result?.running == true || q.result?.loading == true { say("cancelling…"); return [.console(.cancel)] }
            if !q.focusGrid, let t = q.editor.selectedText { q.editor.clipboard = t; say("copied \(t.count) characters"); return [.copy(t)] }
            say("nothing running to cancel — :q quits")
            return []
        case .clear:
            q.editor.clear()
            q.focusGrid = false
            say("editor cleared (Ctrl-Z undoes)")
            return []
        case .save:
            ask("save ", "name for the saved query (queries/NAME.sql); :save! replaces one")
            return []
        case .openSaved:
            ask("sql ", "Tab lists the saved queries")
            return []
        // The editor.
        case .toResults:
            if q.focusGrid { say("results — i edits the statement; : commands"); return [] }
            q.focusGrid = true
            say(q.result == nil ? "results (empty) — i or Enter edits; : commands; Tab switches screens" : "results — i edits; Enter opens an account; v shows a cell; s sorts")
            return []
        case .complete:
            let word = q.editor.wordBeforeCursor
            if word.isEmpty { q.editor.insert("    "); return [] }
            let text = q.editor.text
            let stmt = SQLText.statement(in: text, at: q.editor.cursorOffset).map { String(Array(text)[$0]) } ?? text
            let items = q.catalog.complete(word: word, sql: stmt)
            if items.isEmpty { say("no completion for '\(word)'"); return [] }
            if items.count == 1 { q.editor.replaceBeforeCursor(count: word.count, with: items[0].insert); return [] }
            q.completion = (word, items, 0)
            say("\(items.count) completions — Tab / ↑↓ choose, Enter inserts")
            return []
        case .edit:
            _ = q.editor.handle(key)
            return []
        case .pointer:
            return q.focusGrid ? gridUpdate(action, key, &q) : editorClick(key, &q)
        // The results.
        case .toEditor:
            q.focusGrid = false
            if q.result != nil { say("editing — Esc goes to the results") }
            return []
        case .gridMove, .gridColumn, .gridFirst, .gridLast, .sort, .inspect, .copy, .openRow, .batch, .export:
            return gridUpdate(action, key, &q)
        }
    }

    /// A click in the editor places the cursor; below it, focuses the results.
    mutating func editorClick(_ key: Key, _ q: inout SQLScreen) -> [Effect] {
        guard case .click(let x, let y) = key else { _ = q.editor.handle(key); return [] }
        let top = 1
        if y >= top && y < top + sqlLayout.editor {
            q.editor.moveTo(TextPos(q.editor.top + y - top, max(0, x - 5 + q.editor.left)))
        } else if y > top + sqlLayout.editor { q.focusGrid = true }
        return []
    }

    /// The results grid's actions (and clicks / wheel turns on it).
    mutating func gridUpdate(_ action: SQLAction, _ key: Key, _ q: inout SQLScreen) -> [Effect] {
        guard var r = q.result else { return [] }
        let visible = sqlLayout.grid
        var target = r.cursor
        switch action {
        case .gridMove:
            switch key {
            case .down, .char("j"): target += 1
            case .up, .char("k"): target -= 1
            case .pageDown, .char(" "): target += visible
            case .pageUp: target -= visible
            case .ctrl("d"): target += visible / 2
            case .ctrl("u"): target -= visible / 2
            default: return []
            }
        case .gridFirst:
            if r.offset > 0 { r.loading = true; r.cursor = 0; r.scroll = 0; q.result = r; return [.console(.fetch(uid: q.uid, qid: r.qid, from: 0, count: sqlWindow))] }
            target = 0
        case .gridLast:
            if !r.done {
                guard !r.loading else { return [] }
                r.loading = true; r.jumpToEnd = true; q.result = r
                say("reading to the end… Ctrl-C stops")
                return [.console(.fetch(uid: q.uid, qid: r.qid, from: -1, count: sqlWindow))]
            }
            target = (r.total ?? (r.offset + r.rows.count)) - 1
        case .gridColumn:
            switch key {
            case .left, .char("h"): r.column = max(0, r.column - 1)
            case .right, .char("l"): r.column = min(max(0, r.columns.count - 1), r.column + 1)
            case .char("0"): r.column = 0
            default: r.column = max(0, r.columns.count - 1)
            }
        case .sort:
            guard !r.columns.isEmpty, r.error == nil else { return [] }
            let desc = r.sort?.column == r.column ? !(r.sort!.descending) : key == .char("S")
            q.nextQID += 1
            var n = SQLResult(qid: q.nextQID, sql: r.sql, base: r.base, params: r.params)
            n.sort = (r.column, desc)
            n.column = r.column; n.leftColumn = r.leftColumn
            n.columns = r.columns; n.widths = r.widths
            q.result = n
            say("sorting by \(r.columns[r.column]) \(desc ? "descending" : "ascending")…")
            return [.console(.run(uid: q.uid, qid: n.qid, sql: r.sql, params: r.params, write: false, sort: n.sort, pageRows: sqlPage))]
        case .inspect:
            guard let row = r.current, row.indices.contains(r.column) else { return [] }
            q.inspector = (r.columns[r.column], Self.inspect(row[r.column]), 0)
            return []
        case .copy:
            guard let row = r.current else { return [] }
            let text = key == .char("y") ? (row.indices.contains(r.column) ? row[r.column].description : "")
                : r.columns.joined(separator: "\t") + "\n" + row.map(\.description).joined(separator: "\t")
            say(key == .char("y") ? "copied the cell (OSC 52)" : "copied the row with its header, tab-separated (OSC 52)")
            return [.copy(text)]
        case .openRow:
            return openRow(r, &q)
        case .batch:
            guard r.accountColumn != nil else { say(AccountColumn.none, error: true); return [] }
            let f = DateFormatter(); f.dateFormat = "yyyyMMdd-HHmm"; f.timeZone = TimeZone(identifier: "UTC")
            ask("batch sql-\(f.string(from: Date())) ", "name the review batch (its accounts become a queue view)")
            return []
        case .export:
            ask("export result.csv", "export to a .csv, .json or .jsonl file")
            return []
        case .pointer:
            switch key {
            case .doubleClick: return openRow(r, &q)
            case .wheelDown: target += 3
            case .wheelUp: target -= 3
            case .click(_, let y):
                let gridTop = 1 + sqlLayout.editor + 2
                if y < gridTop - 1 { q.focusGrid = false; return editorClick(key, &q) }
                target = r.scroll + (y - gridTop)
            default: return []
            }
        default: return []
        }
        // Until the end is known the cursor may run ahead of what is read; reads follow it.
        let maxRow = r.total.map { max(0, $0 - 1) } ?? Int.max
        r.cursor = max(0, min(target, maxRow))
        if r.cursor < r.scroll { r.scroll = r.cursor }
        if r.cursor >= r.scroll + visible { r.scroll = r.cursor - visible + 1 }
        if r.column < r.leftColumn { r.leftColumn = r.column }
        r.leftColumn = Self.fitColumn(r, width: width)
        let reqs = gridFetch(q, &r)
        q.result = r
        return reqs
    }

    /// Enter (or a double-click) on a row: its account.
    mutating func openRow(_ r: SQLResult, _ q: inout SQLScreen) -> [Effect] {
        guard let row = r.current else { return [] }
        guard let col = r.accountColumn else { say(AccountColumn.none, error: true); return [] }
        guard row.indices.contains(col), let id = row[col].string else { say("no account id in this row", error: true); return [] }
        q.result = r
        stack[stack.count - 1] = .sql(q)
        return open(account: id)
    }
}
