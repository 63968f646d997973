import RiskDetect
import RiskStore
import TerminalKit

// Labelling in the workbench: 1 2 3 ask for a category and note on the command line; the
// label closes the case (config `close_case_on_label`) and the queue moves on; u undoes the
// last label as given — a bulk label as a whole — and Ctrl-R gives it back, note and all.
extension AppState {
    /// 1 2 3: a whole ring from its group row, the marked rows, or the account in view. The
    /// command line says how many accounts; Enter confirms, Esc cancels.
    mutating func startLabel(_ value: LabelValue) -> [Effect] {
        if case .pivot(let p) = top, p.kind == .groups, let g = p.list.current {
            ask("label-group \(g.account) \(value.rawValue) \(value == .legit ? "-" : g.riskType ?? "-") ",
                "Enter labels all \(g.events) accounts of \(g.account) \(value.rawValue) (add a note first); Esc cancels")
            return []
        }
        if case .queue = top, !marked.isEmpty {
            ask("label-marked \(value.rawValue) - ", "Enter labels the \(marked.count) marked accounts \(value.rawValue) (category, note); Esc cancels")
            return []
        }
        guard let target = labelTarget else { say("no account here to label", error: true); return [] }
        ask("label \(value.rawValue) \(value == .legit ? "-" : target.category ?? "-") ",
            "label \(target.account): category, then an optional note; Enter saves, Esc cancels")
        return []
    }

    /// The categories a fraud or unsure label may take: the risk types.
    static let labelCategories = RiskType.allCases.map(\.rawValue)

    /// `VALUE [CATEGORY|-] [NOTE]`, checked: the category is a risk type, and a legit label
    /// (or a withdrawal) takes none.
    static func parseLabel(_ words: [String], values: [LabelValue]) -> Result<(value: LabelValue, category: String?, note: String?), LabelArgError> {
        guard let first = words.first?.lowercased(), let value = LabelValue(rawValue: first), values.contains(value) else {
            return .failure(LabelArgError("\(values.map(\.rawValue).joined(separator: "|")) [CATEGORY|-] [NOTE]"))
        }
        let category = words.count > 1 && words[1] != "-" ? words[1].lowercased() : nil
        if let category {
            if value == .legit || value == .none {
                return .failure(LabelArgError("a \(value == .legit ? "legit label" : "withdrawal") takes no category (got '\(category)'): use - and a note"))
            }
            guard labelCategories.contains(category) else {
                return .failure(LabelArgError("'\(category)' is not a category; one of \(labelCategories.joined(separator: ", ")) (or -)"))
            }
        }
        // The note as typed, without the blanks around it (the prompt ends in a space, so a
        // note typed after one more came in as " note"); blank is none.
        let note = words.count > 2 ? words[2].trimmingCharacters(in: .whitespaces) : ""
        return .success((value, category, note.isEmpty ? nil : note))
    }

    /// `:label`, `:label-group GROUP …`, `:label-marked …`.
    mutating func labelCommand(_ cmd: String, _ arg: String) -> [Effect] {
        let isGroup = cmd == "label-group"
        var words = arg.split(separator: " ", maxSplits: isGroup ? 3 : 2, omittingEmptySubsequences: true).map(String.init)
        let group = isGroup && !words.isEmpty ? words.removeFirst() : nil
        let values: [LabelValue] = cmd == "label" ? [.fraud, .legit, .unsure, .none] : [.fraud, .legit, .unsure]
        let l: (value: LabelValue, category: String?, note: String?)
        switch Self.parseLabel(words, values: values) {
        case .failure(let e): say(":\(cmd) \(isGroup ? "GROUP " : "")" + e.message, error: true); return []
        case .success(let parsed): l = parsed
        }
        var accounts: [String]
        switch cmd {
        case "label-marked":
            if marked.isEmpty { say("no rows marked (Space marks)", error: true); return [] }
            accounts = marked.sorted()
        case "label-group": accounts = []
        default:
            guard let target = labelTarget else { say("no account here to label", error: true); return [] }
            accounts = [target.account]
        }
        let inputs = accounts.map { LabelInput(account: $0, label: l.value, category: l.category, note: l.note) }
        let template = [LabelInput(account: "", label: l.value, category: l.category, note: l.note)]
        let what = isGroup ? "group \(group ?? "")" : cmd == "label-marked" ? "marked rows" : nil
        return [.write(.label(LabelBatch(labels: isGroup ? template : inputs, group: group, edit: .new, what: what, closeCase: closeCaseOnLabel)))]
    }

    /// u: withdraw the last labels given in this session (restoring what they replaced).
    mutating func undoLabel() -> [Effect] {
        guard let last = labelUndo.popLast() else { say("nothing to undo", error: true); return [] }
        labelRedo.append(last)
        let back = last.map { c in
            LabelChange(given: c.replaced.map { LabelInput(account: $0.account, label: $0.label, category: $0.category, note: "undo") }
                        ?? LabelInput(account: c.given.account, label: .none, note: "undo"),
                        replaced: c.given, caseBefore: c.caseAfter, caseAfter: c.caseBefore)
        }
        return [.write(.label(LabelBatch(changes: back, edit: .undo, what: last.count > 1 ? "\(last.count) accounts" : nil)))]
    }

    /// Ctrl-R: give again what u withdrew, with the note it had.
    mutating func redoLabel() -> [Effect] {
        guard let next = labelRedo.popLast() else { say("nothing to redo", error: true); return [] }
        labelUndo.append(next)
        return [.write(.label(LabelBatch(changes: next, edit: .redo, what: next.count > 1 ? "\(next.count) accounts" : nil)))]
    }

    /// Labels were written: show them, remember them for undo, and move on.
    mutating func applyLabelled(_ changes: [LabelChange], edit: LabelBatch.Edit, what: String?) -> [Effect] {
        var reqs: [Effect] = []
        if edit == .new { labelUndo.append(changes); labelRedo.removeAll() }
        let accounts = Set(changes.map(\.given.account))
        for c in changes {
            showLabel(c.given.label == .none ? nil : c.given.label.rawValue, status: c.caseAfter, on: [c.given.account])
        }
        marked.subtract(accounts)
        for a in stack { if case .account(let s) = a, accounts.contains(s.id) { reqs.append(.read(.account(uid: s.uid, id: s.id))) } }
        let first = changes.first?.given
        let given = first.map { $0.label.rawValue + ($0.category.map { ":" + $0 } ?? "") } ?? ""
        switch (edit, changes.count, what) {
        case (.undo, _, let w?): say("undid the label of \(w)")
        case (.redo, _, let w?): say("labelled \(w) again")
        case (_, 1, nil):
            let account = first?.account ?? ""
            say(first?.label == LabelValue.none ? "label withdrawn from \(account)" : "labelled \(account) \(given)\(edit == .new ? " — u undoes" : "")")
        default: say("labelled \(changes.count) accounts \(first?.label.rawValue ?? "") (\(what ?? "marked rows"))")
        }
        if edit == .new && what == nil { reqs += moveOn(from: first?.account ?? "") }
        return reqs
    }

    /// After a label: the queue moves to its next row; an account opened from the queue
    /// gives way to the next row's account.
    mutating func moveOn(from account: String) -> [Effect] {
        guard tab == .queue, case .queue(var q) = stack[0], q.list.current?.account == account else { return [] }
        let nav = navigate(&q.list, .down, visible: listRows)
        var reqs = nav.fetch.map { [queueFetch(q, $0)] } ?? []
        stack[0] = .queue(q)
        if stack.count == 2, case .account = stack[1], let next = q.list.current, next.account != account {
            stack.removeLast()
            reqs += open(account: next.account)
        }
        return reqs
    }
}

struct LabelArgError: Error {
    var message: String
    init(_ m: String) { message = m }
}

extension AppState {
    /// `:export FILE` on a list in view: the queue view (a batch is one), a pivot, a group.
    mutating func exportList(_ path: String) -> [Effect] {
        guard !path.isEmpty else { say(":export FILE.csv|.json|.jsonl", error: true); return [] }
        let list: ListExport
        switch top {
        case .queue(let q): list = .queue(q.query)
        case .pivot(let p): list = .pivot(p.kind, p.value, p.sort)
        default: say(":export works on a list (queue, pivot, group, batch) or a console result", error: true); return []
        }
        say("exporting…")
        return [.read(.exportList(list, path: path))]
    }
}
