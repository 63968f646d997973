import Foundation
import RiskStore
import TerminalKit

/// The SQL console: an editor over a streamed, virtualised results grid.
public struct SQLScreen {
    var uid: Int
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

let sqlPage = 200
let sqlWindow = 600

extension AppState {
    /// Editor rows, then result rows (header excluded), for the console's layout.
    var sqlLayout: (editor: Int, grid: Int) {
        let area = height - 2
        let editor = max(3, min(14, area * 2 / 5))
        return (editor, max(1, area - editor - 2))
    }

    /// Opens the command line with a command to complete, and says what it wants.
    mutating func ask(_ command: String, _ hint: String) {
        mode = .command(TextField(command))
        completions = []
        say(hint)
    }

    mutating func openSQL(saved name: String?) -> [Effect] {
        var reqs = switchTab(.sql)
        stack = [stack[0]]
        guard case .sql(var q) = stack[0] else { return reqs }
        if let name {
            if let s = q.catalog.saved.first(where: { $0.name == name }) { loadSaved(s, &q) } else if q.catalog.saved.isEmpty {
                // Opened when the catalog arrives (a new console has already asked for it).
                q.pendingOpen = name
                if !reqs.contains(where: { if case .console(.catalog) = $0 { return true } else { return false } }) { reqs.append(.console(.catalog(uid: q.uid))) }
            } else {
                say("no saved query '\(name)' — Tab after :sql lists them", error: true)
            }
        }
        stack[0] = .sql(q)
        return reqs
    }

    mutating func loadSaved(_ s: SavedQuery, _ q: inout SQLScreen) {
        q.editor.setText(s.sql.trimmingCharacters(in: .whitespacesAndNewlines))
        q.editor.moveTo(TextPos(0, 0))      // from the top: the description, then the query
        q.focusGrid = false
        say("\(s.name): \(s.description.isEmpty ? s.path : s.description) — F5 runs" + (s.parameters.isEmpty ? "" : " (asks for \(s.parameters.map { ":" + $0 }.joined(separator: ", ")))"))
    }

    /// Runs the selection, or the statement under the cursor (asking for its parameters first).
    mutating func runSQL(_ q: inout SQLScreen, explain: Bool) -> [Effect] {
        let text = q.editor.text
        let sql: String, base: Int
        if let sel = q.editor.selection, let t = q.editor.selectedText {
            sql = t; base = q.editor.offset(of: sel.start)
        } else {
            guard let r = SQLText.statement(in: text, at: q.editor.cursorOffset) else { say("nothing to run: type a statement", error: true); return [] }
            sql = String(Array(text)[r]); base = r.lowerBound
        }
        let names = SQLText.parameters(sql)
        if !names.isEmpty {
            mode = .prompt(Prompt(kind: .parameter(names: names, index: 0, sql: sql, base: base, explain: explain), label: ":" + names[0], field: TextField(q.params[names[0]] ?? "")))
            say("value for :\(names[0]) (Enter; Esc cancels)")
            return []
        }
        return startSQL(&q, sql: sql, base: base, explain: explain)
    }

    mutating func startSQL(_ q: inout SQLScreen, sql: String, base: Int, explain: Bool) -> [Effect] {
        if explain { return [.console(.explain(uid: q.uid, sql: sql, params: q.params))] }
        q.nextQID += 1
        q.result = SQLResult(qid: q.nextQID, sql: sql, base: base, params: q.params)
        q.completion = nil
        say("running… Ctrl-C cancels")
        return [.console(.run(uid: q.uid, qid: q.nextQID, sql: sql, params: q.params, write: q.write, sort: nil, pageRows: sqlPage))]
    }

    /// Keys of the console; false when the key is left to the global bindings.
    mutating func sqlKey(_ key: Key, _ q: inout SQLScreen) -> (Bool, [Effect]) {
        let layout = sqlLayout
        defer { q.editor.scrollIntoView(rows: layout.editor, cols: max(1, width - 6)) }
        // Overlays take every key.
        if var ins = q.inspector {
            switch key {
            case .down, .char("j"): ins.scroll = min(ins.scroll + 1, max(0, ins.lines.count - 1))
            case .up, .char("k"): ins.scroll = max(0, ins.scroll - 1)
            case .pageDown, .char(" "): ins.scroll = min(ins.scroll + 10, max(0, ins.lines.count - 1))
            case .pageUp: ins.scroll = max(0, ins.scroll - 10)
            case .char("y"):
                q.inspector = ins
                say("copied the cell (OSC 52)")
                return (true, [.copy(ins.lines.joined(separator: "\n"))])
            default: q.inspector = nil; return (true, [])
            }
            q.inspector = ins
            return (true, [])
        }
        if q.plan != nil { q.plan = nil; return (true, []) }
        if var h = q.history {
            switch key {
            case .esc: q.history = nil
            case .down, .ctrl("n"): h.index = min(h.index + 1, max(0, h.entries.count - 1)); q.history = h
            case .up, .ctrl("p"), .ctrl("r"): h.index = max(0, h.index - 1); q.history = h
            case .enter:
                if h.entries.indices.contains(h.index) { q.editor.setText(h.entries[h.index].sql); say("from history — F5 runs it") }
                q.history = nil
                q.focusGrid = false
            default:
                if h.field.handle(key) { h.index = 0; q.history = h; return (true, [.console(.history(uid: q.uid, search: h.field.text))]) }
            }
            return (true, [])
        }
        if var c = q.completion {
            switch key {
            case .tab, .down: c.index = (c.index + 1) % c.items.count; q.completion = c; return (true, [])
            case .backTab, .up: c.index = (c.index + c.items.count - 1) % c.items.count; q.completion = c; return (true, [])
            case .enter:
                q.editor.replaceBeforeCursor(count: c.word.count, with: c.items[c.index].insert)
                q.completion = nil
                return (true, [])
            case .esc: q.completion = nil; return (true, [])
            default: q.completion = nil
            }
        }
        switch key {
        case .f(5), .ctrl("j"), .ctrl("g"):
            return (true, runSQL(&q, explain: false))
        case .f(6), .ctrl("p"):
            return (true, runSQL(&q, explain: true))
        case .f(8):
            if q.write { q.write = false; say("read-only again"); return (true, []) }
            if readOnly { say("read-only workbench (--read-only): writing is off", error: true); return (true, []) }
            mode = .prompt(Prompt(kind: .confirmWrite, label: "allow writing to \(storeName)? y/N", field: TextField()))
            return (true, [])
        case .ctrl("r"):
            q.history = (TextField(), [], 0)
            return (true, [.console(.history(uid: q.uid, search: ""))])
        case .ctrl("c"):
            if q.result?.running == true || q.result?.loading == true { say("cancelling…"); return (true, [.console(.cancel)]) }
            if !q.focusGrid, let t = q.editor.selectedText { q.editor.clipboard = t; say("copied \(t.count) characters"); return (true, [.copy(t)]) }
            say("nothing running to cancel — :q quits")
            return (true, [])
        case .ctrl("l"):
            q.editor.clear()
            q.focusGrid = false
            say("editor cleared (Ctrl-Z undoes)")
            return (true, [])
        case .ctrl("s"):
            ask("save ", "name for the saved query (queries/NAME.sql); :save! replaces one")
            return (true, [])
        case .ctrl("o"):
            ask("sql ", "Tab lists the saved queries")
            return (true, [])
        default: break
        }
        if !q.focusGrid { return (true, editorKey(key, &q)) }
        return gridKey(key, &q)
    }

    mutating func editorKey(_ key: Key, _ q: inout SQLScreen) -> [Effect] {
        switch key {
        case .esc:
            q.focusGrid = true
            say(q.result == nil ? "results (empty) — i or Enter edits; : commands; Tab switches screens" : "results — i edits; Enter opens an account; v shows a cell; s sorts")
        case .tab:
            let word = q.editor.wordBeforeCursor
            if word.isEmpty { q.editor.insert("    "); return [] }
            let text = q.editor.text
            let stmt = SQLText.statement(in: text, at: q.editor.cursorOffset).map { String(Array(text)[$0]) } ?? text
            let items = q.catalog.complete(word: word, sql: stmt)
            if items.isEmpty { say("no completion for '\(word)'"); return [] }
            if items.count == 1 { q.editor.replaceBeforeCursor(count: word.count, with: items[0].insert); return [] }
            q.completion = (word, items, 0)
            say("\(items.count) completions — Tab / ↑↓ choose, Enter inserts")
        case .click(let x, let y):
            let top = 1
            if y >= top && y < top + sqlLayout.editor {
                q.editor.moveTo(TextPos(q.editor.top + y - top, max(0, x - 5 + q.editor.left)))
            } else if y > top + sqlLayout.editor { q.focusGrid = true }
        default:
            if !q.editor.handle(key) { return [] }
        }
        return []
    }

    /// Reads the rows the view needs when the window doesn't hold them (or soon won't).
    /// The cursor may run ahead of what is read (a held PgDn): the view shows "…" there
    /// until the rows arrive.
    func gridFetch(_ q: SQLScreen, _ r: inout SQLResult) -> [Effect] {
        guard !r.loading, !r.running, r.error == nil, !r.columns.isEmpty else { return [] }
        let visible = sqlLayout.grid
        let end = r.offset + r.rows.count
        let wantHi = r.total.map { min($0, r.scroll + visible) } ?? (r.scroll + visible)
        let covered = r.scroll >= r.offset && wantHi <= end
        let nearEnd = !r.done && end - wantHi < 50
        guard !covered || nearEnd else { return [] }
        r.loading = true
        return [.console(.fetch(uid: q.uid, qid: r.qid, from: max(0, r.scroll - sqlWindow / 3), count: sqlWindow))]
    }

    mutating func gridKey(_ key: Key, _ q: inout SQLScreen) -> (Bool, [Effect]) {
        guard var r = q.result else {
            if key == .char("i") || key == .enter || key == .char("a") { q.focusGrid = false; return (true, []) }
            return (false, [])
        }
        let visible = sqlLayout.grid
        var target = r.cursor
        switch key {
        case .char("i"), .char("a"): q.focusGrid = false; say("editing — Esc goes to the results"); return (true, [])
        case .esc:
            // Esc never leads into the editor: a `:save` typed after it is a command, not text.
            say("results — i edits the statement; : commands")
            return (true, [])
        case .down, .char("j"): target += 1
        case .up, .char("k"): target -= 1
        case .pageDown, .char(" "): target += visible
        case .pageUp: target -= visible
        case .ctrl("d"): target += visible / 2
        case .ctrl("u"): target -= visible / 2
        case .wheelDown: target += 3
        case .wheelUp: target -= 3
        case .char("g"), .home:
            if r.offset > 0 { r.loading = true; r.cursor = 0; r.scroll = 0; q.result = r; return (true, [.console(.fetch(uid: q.uid, qid: r.qid, from: 0, count: sqlWindow))]) }
            target = 0
        case .char("G"), .end:
            if !r.done {
                guard !r.loading else { return (true, []) }
                r.loading = true; r.jumpToEnd = true; q.result = r
                say("reading to the end… Ctrl-C stops")
                return (true, [.console(.fetch(uid: q.uid, qid: r.qid, from: -1, count: sqlWindow))])
            }
            target = (r.total ?? (r.offset + r.rows.count)) - 1
        case .left, .char("h"): r.column = max(0, r.column - 1)
        case .right, .char("l"): r.column = min(max(0, r.columns.count - 1), r.column + 1)
        case .char("0"): r.column = 0
        case .char("$"): r.column = max(0, r.columns.count - 1)
        case .char("s"), .char("S"):
            guard !r.columns.isEmpty, r.error == nil else { return (true, []) }
            let desc = r.sort?.column == r.column ? !(r.sort!.descending) : key == .char("S")
            q.nextQID += 1
            var n = SQLResult(qid: q.nextQID, sql: r.sql, base: r.base, params: r.params)
            n.sort = (r.column, desc)
            n.column = r.column; n.leftColumn = r.leftColumn
            n.columns = r.columns; n.widths = r.widths
            q.result = n
            say("sorting by \(r.columns[r.column]) \(desc ? "descending" : "ascending")…")
            return (true, [.console(.run(uid: q.uid, qid: n.qid, sql: r.sql, params: r.params, write: false, sort: n.sort, pageRows: sqlPage))])
        case .char("v"):
            guard let row = r.current, row.indices.contains(r.column) else { return (true, []) }
            q.inspector = (r.columns[r.column], Self.inspect(row[r.column]), 0)
            return (true, [])
        case .char("y"), .char("Y"):
            guard let row = r.current else { return (true, []) }
            let text = key == .char("y") ? (row.indices.contains(r.column) ? row[r.column].description : "")
                : r.columns.joined(separator: "\t") + "\n" + row.map(\.description).joined(separator: "\t")
            say(key == .char("y") ? "copied the cell (OSC 52)" : "copied the row with its header, tab-separated (OSC 52)")
            return (true, [.copy(text)])
        case .enter, .doubleClick:
            guard let row = r.current else { return (true, []) }
            guard let col = r.accountColumn else { say(AccountColumn.none, error: true); return (true, []) }
            guard row.indices.contains(col), let id = row[col].string else { say("no account id in this row", error: true); return (true, []) }
            q.result = r
            stack[stack.count - 1] = .sql(q)
            return (true, open(account: id))
        case .char("b"):
            guard r.accountColumn != nil else { say(AccountColumn.none, error: true); return (true, []) }
            let f = DateFormatter(); f.dateFormat = "yyyyMMdd-HHmm"; f.timeZone = TimeZone(identifier: "UTC")
            ask("batch sql-\(f.string(from: Date())) ", "name the review batch (its accounts become a queue view)")
            return (true, [])
        case .char("x"):
            ask("export result.csv", "export to a .csv, .json or .jsonl file")
            return (true, [])
        case .click(_, let y):
            let gridTop = 1 + sqlLayout.editor + 2
            if y < gridTop - 1 { q.focusGrid = false; return (true, editorKey(key, &q)) }
            target = r.scroll + (y - gridTop)
        default:
            return (false, [])
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
        return (true, reqs)
    }

    /// The first visible column so the current one fits on screen.
    static func fitColumn(_ r: SQLResult, width: Int) -> Int {
        var left = min(r.leftColumn, r.column)
        while left < r.column {
            let used = r.widths[left...r.column].reduce(0) { $0 + $1 + 1 }
            if used <= width - 1 { break }
            left += 1
        }
        return left
    }

    static func inspect(_ v: SQLValue) -> [String] {
        let s = v.description
        if case .text(let t) = v, let data = t.data(using: .utf8), let first = t.first, first == "{" || first == "[",
           let obj = try? JSONSerialization.jsonObject(with: data),
           let pretty = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]),
           let text = String(data: pretty, encoding: .utf8) {
            return text.components(separatedBy: "\n")
        }
        return s.components(separatedBy: "\n")
    }

    static func widths(_ columns: [String], _ rows: [[SQLValue]]) -> [Int] {
        columns.enumerated().map { i, name in
            var w = TextWidth.of(name)
            for r in rows.prefix(sqlPage) where r.indices.contains(i) {
                w = max(w, min(40, TextWidth.of(r[i].description.replacingOccurrences(of: "\n", with: "⏎"))))
            }
            return max(4, min(40, w))
        }
    }

    mutating func promptKey(_ key: Key, _ p: inout Prompt) -> [Effect] {
        if p.kind.isYesNo { return answer(p.kind, key) }
        switch key {
        case .esc:
            mode = .normal
            say("cancelled")
            return []
        case .enter:
            mode = .normal
            guard case .sql(var q) = top else { return [] }
            defer { replaceTop(.sql(q)) }
            switch p.kind {
            case .confirmWrite, .confirmQuit:
                return []
            case .parameter(let names, let index, let sql, let base, let explain):
                q.params[names[index]] = p.field.text
                if index + 1 < names.count {
                    let n = names[index + 1]
                    mode = .prompt(Prompt(kind: .parameter(names: names, index: index + 1, sql: sql, base: base, explain: explain), label: ":" + n, field: TextField(q.params[n] ?? "")))
                    say("value for :\(n)")
                    return []
                }
                return startSQL(&q, sql: sql, base: base, explain: explain)
            }
        default:
            _ = p.field.handle(key)
            mode = .prompt(p)
            return []
        }
    }

    /// A y/N question takes one key: y yes; n, Esc or Enter no; other keys are ignored.
    mutating func answer(_ kind: Prompt.Kind, _ key: Key) -> [Effect] {
        let yes = key == .char("y") || key == .char("Y")
        guard yes || [.char("n"), .char("N"), .esc, .enter].contains(key) else { return [] }
        mode = .normal
        switch kind {
        case .confirmQuit:
            if yes { quit = true } else { say("") }
        case .confirmWrite:
            guard case .sql(var q) = top else { return [] }
            if yes { q.write = true; say("WRITING ALLOWED: statements now change \(storeName) — F8 goes back to read-only") }
            else { say("still read-only") }
            replaceTop(.sql(q))
        case .parameter: break
        }
        return []
    }

    /// Console commands: :save NAME, :export PATH, :batch NAME, :explain, :write.
    mutating func sqlCommand(_ cmd: String, _ arg: String) -> [Effect]? {
        guard case .sql(var q) = top else { return nil }
        defer { replaceTop(.sql(q)) }
        switch cmd {
        case "save", "save!":
            if readOnly { say("read-only session: :save is off — nothing is written to the project or the store", error: true); return [] }
            guard !arg.isEmpty else { say(":save NAME", error: true); return [] }
            return [.console(.save(name: arg, text: q.editor.text, overwrite: cmd == "save!")), .console(.catalog(uid: q.uid))]
        case "export":
            guard let r = q.result, !r.columns.isEmpty, r.error == nil else { say("no result to export", error: true); return [] }
            guard !arg.isEmpty else { say(":export FILE.csv|.json|.jsonl", error: true); return [] }
            say("exporting…")
            return [.console(.export(sql: r.sql, params: r.params, sort: r.sort, path: arg))]
        case "batch":
            guard let r = q.result, let col = r.accountColumn, r.error == nil else { say("no result with an account column to batch", error: true); return [] }
            guard !arg.isEmpty, !arg.contains(" ") else { say(":batch NAME (one word)", error: true); return [] }
            if readOnly { say("read-only: batches are off", error: true); return [] }
            say("making batch \(arg)…")
            return [.console(.batch(sql: r.sql, params: r.params, column: col, name: arg))]
        case "explain":
            return runSQL(&q, explain: true)
        case "write":
            if arg == "off" { q.write = false; say("read-only again"); return [] }
            if readOnly { say("read-only workbench (--read-only): writing is off", error: true); return [] }
            mode = .prompt(Prompt(kind: .confirmWrite, label: "allow writing to \(storeName)? y/N", field: TextField()))
            return []
        default:
            return nil
        }
    }

    mutating func applySQL(_ loaded: Loaded) -> [Effect] {
        var reqs: [Effect] = []
        func withSQL(_ uid: Int, _ f: (inout SQLScreen) -> Void) {
            updateScreens(uid: uid) { s in if case .sql(var q) = s { f(&q); s = .sql(q) } }
        }
        switch loaded {
        case .sqlCatalog(let uid, let catalog):
            if let first = catalog.problems.first {
                say(first + (catalog.problems.count > 1 ? " (+\(catalog.problems.count - 1) more)" : ""), error: true)
            }
            withSQL(uid) { q in
                q.catalog = catalog
                if let name = q.pendingOpen {
                    q.pendingOpen = nil
                    if let s = catalog.saved.first(where: { $0.name == name }) { loadSaved(s, &q) } else { say("no saved query '\(name)'", error: true) }
                }
            }
        case .sqlResult(let uid, let qid, let columns, let rows, let done, let elapsed, let changes):
            withSQL(uid) { q in
                guard var r = q.result, r.qid == qid else { return }
                r.running = false
                r.columns = columns
                if r.widths.count != columns.count || r.sort == nil { r.widths = Self.widths(columns, rows) }
                r.rows = rows; r.offset = 0; r.cursor = 0; r.scroll = 0
                r.done = done
                r.total = done ? rows.count : nil
                r.elapsedMs = elapsed
                r.changes = changes
                r.column = min(r.column, max(0, columns.count - 1))
                if let changes, columns.isEmpty {
                    say(String(format: "done: %d row%@ changed in %.1f ms", changes, changes == 1 ? "" : "s", elapsed))
                    reqs.append(.console(.catalog(uid: q.uid)))     // a write may have changed the schema: complete from the new one
                } else {
                    say(String(format: "%@%@ row%@ in %.1f ms", done ? "" : "first ", rows.count.grouped + (done ? "" : "+"), rows.count == 1 && done ? "" : "s", elapsed)
                        + (rows.isEmpty ? "" : " — Esc: results, Enter opens an account, b makes a review batch"))
                }
                reqs += gridFetch(q, &r)
                q.result = r
            }
        case .sqlFailed(let uid, let qid, let message, let offset, let cancelled):
            withSQL(uid) { q in
                guard var r = q.result, r.qid == qid else { return }
                r.running = false
                r.loading = false
                r.error = message
                r.errorOffset = offset.map { r.base + $0 }
                if let o = r.errorOffset {
                    let p = q.editor.position(ofOffset: o)
                    say("\(message) — line \(p.line + 1), column \(p.col + 1)", error: true)
                } else { say(message, error: !cancelled) }
                q.result = r
            }
        case .sqlRows(let uid, let qid, let from, let rows, let done, let total):
            withSQL(uid) { q in
                guard var r = q.result, r.qid == qid else { return }
                r.loading = false
                if from < 0 { r.jumpToEnd = false; q.result = r; say("stopped reading (Ctrl-C)"); return }
                r.rows = rows; r.offset = from; r.done = done
                if let total { r.total = total }
                let visible = sqlLayout.grid
                if r.jumpToEnd {
                    r.jumpToEnd = false
                    r.cursor = max(0, from + rows.count - 1)
                    say("\((r.total ?? 0).grouped) rows")
                }
                if let t = r.total, r.cursor >= t { r.cursor = max(0, t - 1) }
                if r.cursor < r.scroll || r.cursor >= r.scroll + visible { r.scroll = max(0, r.cursor - visible + 1) }
                reqs += gridFetch(q, &r)
                q.result = r
            }
        case .sqlPlan(let uid, let lines):
            withSQL(uid) { q in q.plan = lines.isEmpty ? ["(no plan)"] : lines }
        case .sqlHistory(let uid, let entries):
            withSQL(uid) { q in
                guard var h = q.history else { return }
                h.entries = entries
                h.index = min(h.index, max(0, entries.count - 1))
                q.history = h
            }
        case .sqlBatched(let name, let accounts, let added):
            say("batch \(name): \(accounts) accounts (\(added) new) — shown in the queue; :all shows every case")
            reqs += showBatch(name)
        case .revealed(let account, let message):
            applyRevealed(account: account, message: message)
        default: break
        }
        return reqs
    }

    /// The queue, narrowed to a review batch.
    mutating func showBatch(_ name: String) -> [Effect] {
        var reqs = switchTab(.queue)
        stack = [stack[0]]
        guard case .queue(var q) = stack[0] else { return reqs }
        q.query.batch = name
        reqs += resort(&q, q.query.sort, descending: q.query.descending)
        stack[0] = .queue(q)
        return reqs
    }
}

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
            let hints = ["Results appear here, read from SQLite as you scroll — a million rows cost what a hundred do.",
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
