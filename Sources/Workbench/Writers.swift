import Foundation
import RiskStore

/// Labels as the workbench gives them: the accounts (or a group's members), the labels they
/// replace and the case each closes, all recorded so u and Ctrl-R can put them back.
struct LabelWriter {
    let store: CaseStore
    let analyst: String

    func write(_ batch: LabelBatch) throws -> Loaded {
        var inputs = batch.labels
        if let group = batch.group, let t = batch.labels.first {
            let ids = try store.database.groupMembers(group)
            if ids.isEmpty { return .failed("no accounts in group \(group)") }
            inputs = ids.map { LabelInput(account: $0, label: t.label, category: t.category, note: t.note) }
        }
        let before = try inputs.map { try store.currentLabel($0.account) }
        let cases = try inputs.map { try caseStatus($0.account) }
        try store.addLabels(inputs, analyst: analyst, source: "tui")
        var changes: [LabelChange] = []
        for (i, input) in inputs.enumerated() {
            var after = cases[i]
            switch batch.edit {
            case .new:
                if batch.closeCase, input.label != .none, after != CaseStatus.closed.rawValue { after = CaseStatus.closed.rawValue }
            case .undo, .redo:
                after = batch.changes[i].caseAfter
            }
            if after != cases[i] {
                // The labels are stored: a case another analyst holds (a team store refuses to
                // close it for you) stays as it was rather than failing the whole batch.
                do { try store.setCaseStatus(input.account, after ?? CaseStatus.open.rawValue, analyst: analyst, source: "tui") }
                catch let e as PGError where e.sqlstate == "55P03" { after = cases[i] }
            }
            let replaced = before[i].map { LabelInput(account: input.account, label: LabelValue(rawValue: $0.label) ?? .none, category: $0.category) }
            changes.append(LabelChange(given: input, replaced: replaced, caseBefore: cases[i], caseAfter: after))
        }
        return .labelled(changes: changes, edit: batch.edit, what: batch.what)
    }

    func caseStatus(_ account: String) throws -> String? {
        try store.database.rows("SELECT status FROM cases WHERE account_id = ?", [.text(account)]).first?[0].string
    }
}

/// `:export FILE` of a list in view (the queue view, a pivot, a group, a batch): what the
/// screen shows, never the masked PII; written beside FILE and renamed when whole.
struct ListExporter {
    let db: SQLDatabase

    func export(_ list: ListExport, to path: String) throws -> Loaded {
        let format: ResultFormat = path.lowercased().hasSuffix(".jsonl") ? .jsonl : path.lowercased().hasSuffix(".json") ? .json : .csv
        let (columns, rows) = try read(list)
        let file: FileOutput
        do { file = try FileOutput(path: path) } catch let e as StoreError { return .failed(e.message) }
        do {
            write(columns, rows, format: format, to: file)
            try file.commit()
        } catch let e as StoreError {
            file.discard()
            return .failed("export failed, nothing written: \(e.message)")
        }
        return .info("exported \(rows.count) rows to \(path) (\(format.rawValue))")
    }

    func read(_ list: ListExport) throws -> ([String], [[String?]]) {
        switch list {
        case .queue(let q):
            var rows: [[String?]] = []
            var anchor: (SQLValue, String)?
            while true {
                let page = try db.queuePage(q, direction: anchor == nil ? .first : .after, anchor: anchor, limit: 1000)
                rows += page.map { r in
                    [r.account, r.score.map { String(format: "%.4f", $0) }, r.riskType, r.group, r.label, r.caseStatus, r.assignee,
                     r.country, String(r.events), r.lastSeen.map(Timestamp.iso), r.reason]
                }
                guard page.count == 1000, let last = page.last else { break }
                anchor = (last.key, last.account)
            }
            return (["account_id", "score", "risk_type", "group_id", "label", "case", "assignee", "country", "events", "last_seen", "top_reason"], rows)
        case .pivot(let kind, let value, let sort):
            var rows: [[String?]] = []
            var after: (SQLValue, String)?
            while true {
                let page = try db.pivotPage(kind: kind.rawValue, value: value, sort: sort, after: after, limit: 1000)
                rows += page.map { r in
                    [r.account, r.score.map { String(format: "%.4f", $0) }, r.riskType, r.kind, r.country, String(r.events), String(r.accountEvents),
                     r.firstTs.map(Timestamp.iso), r.lastTs.map(Timestamp.iso), r.reason]
                }
                guard page.count == 1000, let last = page.last else { break }
                after = (sort.key(last, kind: kind.rawValue), last.account)
            }
            let n = kind == .groups ? "group_id" : "account_id"
            return ([n, "score", "risk_type", "kind", "country", kind == .groups ? "size" : "events", "account_events", "first", "last", "reason"], rows)
        }
    }

    func write(_ columns: [String], _ rows: [[String?]], format: ResultFormat, to out: FileOutput) {
        switch format {
        case .csv:
            out.write(columns.map(ResultWriter.csvField).joined(separator: ",") + "\n")
            for r in rows { out.write(r.map { ResultWriter.csvField($0 ?? "") }.joined(separator: ",") + "\n") }
        case .json, .jsonl:
            func object(_ r: [String?]) -> String {
                "{" + zip(columns, r).map { ResultWriter.jsonString($0) + ":" + ($1.map(ResultWriter.jsonString) ?? "null") }.joined(separator: ",") + "}"
            }
            if format == .jsonl { for r in rows { out.write(object(r) + "\n") } }
            else { out.write("[" + rows.map(object).joined(separator: ",\n") + "]\n") }
        default:
            out.write(columns.joined(separator: "\t") + "\n")
            for r in rows { out.write(r.map { $0 ?? "" }.joined(separator: "\t") + "\n") }
        }
    }
}
