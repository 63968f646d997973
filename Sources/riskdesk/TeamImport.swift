import Foundation
import RiskImport
import RiskStore

/// `riskdesk import --store postgresql://…`: the importer reads and checks the files (same
/// parsing, same rejects as a local import) and streams the good rows straight into the team
/// store's staging tables with COPY (`PGImportSink`); the server merges them in the same
/// transaction. No local staging file; a failed or interrupted import stores nothing.
enum TeamImport {
    static func run(url: String, plan: ImportPlan, options: ImportOptions, format: PGCopyFormat = .binary,
                    quiet: Bool, json: Bool) throws {
        let team = try PGStore(url: url)
        let t0 = Date()
        let sink = try PGImportSink(store: team, sources: StreamImporter<PGImportSink>.sourceNames(plan), format: format)
        let files: [StreamImporter<PGImportSink>.FileCount]
        do {
            files = try StreamImporter(sink: sink, options: options).run(plan)
        } catch {
            sink.abort(Interrupt.isRequested ? CancellationError() : error)
            if error is CancellationError || Interrupt.isRequested { throw interrupted() }
            throw CLIError("\(error) — nothing was written to the team store")
        }
        let t1 = Date()
        // SIGINT / SIGTERM during the merge (one long statement on the server): cancel it there;
        // the transaction rolls back and the exit code is the local import's (128 + signal).
        let watching = Watch()
        let watcher = Thread {
            while !watching.done {
                if Interrupt.isRequested { _ = team.conn.cancel(); return }
                usleep(20_000)
            }
        }
        watcher.start()
        let r: PGImportSink.Result
        do {
            if Interrupt.isRequested { throw CancellationError() }
            r = try sink.finish(bytesRead: files.reduce(0) { $0 + $1.bytes },
                                progress: quiet ? nil : { warn("  \($0)") })
            watching.done = true
        } catch {
            watching.done = true
            if Interrupt.isRequested {
                sink.abort(CancellationError())      // marks the run interrupted (finish already rolled back)
                throw interrupted()
            }
            throw error
        }
        let secs = Date().timeIntervalSince(t0)
        if json {
            let out: [String: Any] = ["run_id": r.runID, "status": "done", "rows_read": r.staged + r.rejected, "stored": r.stored,
                                      "duplicate": r.duplicate, "updated": r.updated, "rejected": r.rejected,
                                      "rejects_already_recorded": r.rejectsAlreadyRecorded, "copy_format": format.rawValue, "counted_by": r.countedBy,
                                      "read_seconds": t1.timeIntervalSince(t0), "seconds": secs]
            print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
        } else if !quiet {
            for f in files where files.count > 1 {
                warn("  \(f.path): \(f.rowsRead) read, \(f.rejected) rejected")
            }
            let rate = secs > 0 ? " (\(Int(Double(r.staged + r.rejected) / secs)) rows/s)" : ""
            var line = "import #\(r.runID) done: \(r.stored) new events, \(r.duplicate) duplicate, \(r.updated) accounts/items updated, \(r.rejected) rejected in \(String(format: "%.2f", secs)) s\(rate)"
            if r.rejected > 0 { line += "; see `riskdesk rejects --run \(r.runID)`" }
            warn(line)
        }
    }

    static func interrupted() -> CLIError {
        let sig = Interrupt.requested == SIGTERM ? SIGTERM : SIGINT
        return CLIError("interrupted — nothing was written to the team store", code: 128 + sig)
    }

    final class Watch: @unchecked Sendable {
        private let lock = NSLock()
        private var _done = false
        var done: Bool {
            get { lock.lock(); defer { lock.unlock() }; return _done }
            set { lock.lock(); _done = newValue; lock.unlock() }
        }
    }
}
