import Foundation
import RiskImport
import RiskStore

/// `import --map`, `--infer` and `--dry-run`: the pieces beyond the contract importer.
enum MappedImport {
    static func load(_ path: String) throws -> ImportMapping {
        do { return try ImportMapping.load(path: path) } catch let e as MappingError { throw CLIError(e.description) }
    }

    static func infer(_ path: String, out: String?) throws {
        let text: String
        do { text = try MappingInference.infer(path: path) } catch let e as ImportError { throw CLIError(e.message) }
        guard let out else { print(text, terminator: ""); return }
        try writeAtomically(text, to: out)
        warn("wrote a starter mapping to \(out); check the lines marked EDIT / COULD NOT PLACE, then try it with --map \(out) --dry-run \(path)")
    }

    /// Writes through a temporary file and a rename: never a partial file under the final name.
    static func writeAtomically(_ text: String, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else {
            throw CLIError("\(path): cannot write (\(String(cString: strerror(errno))))")
        }
        if rename(tmp, path) != 0 {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw CLIError("\(path): cannot write (\(why))")
        }
    }

    /// Imports the first rows into a throw-away store and shows what the real import would store and reject.
    static func dryRun(_ paths: [String], mapping: ImportMapping, rows: Int) throws {
        let dir = NSTemporaryDirectory() + "riskdesk-dry-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = ImportOptions()
        options.mapping = mapping
        options.indexMode = .keep
        var polled = 0
        options.shouldStop = { polled += 1; return polled > rows }
        let plan = try ImportPlan(paths: paths, options: options)
        let store = try Store(path: dir + "/dry.db")
        let summary: ImportSummary
        do { summary = try Importer(store: store, options: options).run(plan) } catch let f as ImportFailure { summary = f.summary }
        let fields = mapping.kind.fields.map(\.name)
        let table = mapping.kind.rawValue
        let shown = try store.db.rows("SELECT \(fields.joined(separator: ", ")), extra FROM \(table) ORDER BY rowid LIMIT 10")
        print("dry run: \(mapping.path) over \(plan.inputs.map(\.displayName).joined(separator: ", ")) — nothing is changed")
        print("read \(summary.rowsRead) row\(summary.rowsRead == 1 ? "" : "s")\(polled > rows ? " (the first \(rows); --rows reads more)" : ""): \(summary.stored) would be stored, \(summary.duplicate) duplicate, \(summary.rejected) rejected")
        print("\nfirst mapped rows:")
        if shown.isEmpty { print("  (none)") }
        for r in shown {
            var parts: [String] = []
            for (i, f) in fields.enumerated() {
                let v = r[i]
                if case .null = v { continue }
                let isTime = mapping.kind.fields[i].type == .timestamp
                let text = isTime ? (v.int.map { Timestamp.iso($0) } ?? "\(v)") : (v.string ?? v.double.map { "\($0)" } ?? v.int.map { "\($0)" } ?? "")
                parts.append("\(f)=\(text)")
            }
            if let e = r[fields.count].string {
                parts.append("extra=" + (e.count > 120 ? String(e.prefix(120)) + "…" : e))
            }
            print("  " + parts.joined(separator: "  "))
        }
        let rejects = try store.db.rows("SELECT source, line, reason, raw FROM rejects ORDER BY id LIMIT 20")
        print("\nrejects\(summary.rejected > 20 ? " (first 20 of \(summary.rejected))" : ""):")
        if rejects.isEmpty { print("  (none)") }
        for r in rejects {
            let raw = r[3].string ?? "(binary)"
            let clipped = raw.count > 100 ? String(raw.prefix(100)) + "…" : raw
            print("  \(r[0].string ?? ""):\(r[1].int ?? 0): \(r[2].string ?? "")\n      \(clipped)")
        }
    }

    /// After a mapped import with a [label] column: a truth file for `eval`, or analyst labels.
    static func storeLabels(_ labels: LabelCollector, mapping: ImportMapping, storePath: String, truthOut: String?, quiet: Bool) throws {
        // Only accounts that made it into the store (a row rejected later has no account there).
        let s = try Store(path: storePath, mustExist: true)
        var stored = Set<String>()
        for r in try s.db.rows("SELECT account_id FROM accounts") { if let a = r[0].string { stored.insert(a) } }
        let truth = labels.truth.filter { stored.contains($0.account) }
        guard !truth.isEmpty, let spec = mapping.label else { return }
        let fraud = truth.filter(\.fraud).count
        if spec.target == "labels" {
            let inputs = truth.map { LabelInput(account: $0.account, label: $0.fraud ? .fraud : .legit, note: "from \(spec.column)") }
            do { _ = try s.addLabels(inputs, analyst: "import", source: "import:" + mapping.path) } catch let e as StoreError { throw CLIError(e.message) }
            if !quiet { warn("labelled \(truth.count) accounts from \(spec.column) (\(fraud) fraud)") }
            return
        }
        let path = truthOut ?? (((storePath as NSString).deletingPathExtension) + ".truth.csv")
        var text = "account_id,label\n"
        text.reserveCapacity(truth.count * 24)
        for t in truth {
            text += ResultWriter.csvField(t.account) + (t.fraud ? ",fraud\n" : ",legit\n")
        }
        try writeAtomically(text, to: path)
        if !quiet { warn("truth from \(spec.column): \(truth.count) accounts (\(fraud) fraud) in \(path)") }
    }
}
