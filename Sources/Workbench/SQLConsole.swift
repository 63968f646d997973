import Foundation
import RiskStore
import TerminalKit

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

    /// The queue, narrowed to a review batch. The batch is the list to review, so the
    /// queue's `flagged` narrowing goes: `:teach` picks accounts near the boundary (most of them
    /// unflagged) and `:detect shadow` the ones a candidate would newly flag, which the
    /// flagged view hid (20 accounts to label first, 2 shown).
    mutating func showBatch(_ name: String) -> [Effect] {
        var reqs = switchTab(.queue)
        stack = [stack[0]]
        guard case .queue(var q) = stack[0] else { return reqs }
        q.query.batch = name
        q.query.flaggedOnly = false
        reqs += resort(&q, q.query.sort, descending: q.query.descending)
        stack[0] = .queue(q)
        return reqs
    }
}
