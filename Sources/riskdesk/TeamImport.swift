import Foundation
import RiskImport
import RiskStore

/// `riskdesk import --store postgresql://…`: the files are read and checked by the importer
/// into a local staging store (same parsing, same rejects), which `PGStore.mergeImport` then
/// streams into the team store with COPY and merges there in one transaction.
enum TeamImport {
    static func run(url: String, plan: ImportPlan, options: ImportOptions, quiet: Bool, json: Bool) throws {
        let team = try PGStore(url: url)
        try team.checkCanImport()
        let dir = NSTemporaryDirectory() + "riskdesk-team-import-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let staging = try Store(path: dir + "/staging.db")
        var o = options
        o.indexMode = .rebuild
        let t0 = Date()
        let local: ImportSummary
        do { local = try Importer(store: staging, options: o).run(plan) } catch let f as ImportFailure {
            throw CLIError("\(f.underlying) — nothing was written to the team store")
        }
        let t1 = Date()
        if !quiet { warn("read and checked: \(local.line); moving into \(team.displayURL)") }
        let r = try team.mergeImport(from: staging, sources: plan.inputs.map { $0.path == "-" ? "<stdin>" : $0.path },
                                     progress: quiet ? nil : { warn("  \($0)") })
        let secs = Date().timeIntervalSince(t0)
        if json {
            let out: [String: Any] = ["run_id": r.runID, "status": "done", "stored": r.stored, "duplicate": r.duplicate,
                                      "updated": r.updated, "rejected": r.rejected, "read_seconds": t1.timeIntervalSince(t0), "seconds": secs]
            print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
        } else if !quiet {
            warn("import #\(r.runID) done: \(r.stored) new events, \(r.duplicate) duplicate, \(r.updated) accounts/items updated, \(r.rejected) rejected in \(String(format: "%.2f", secs)) s")
        }
    }
}
