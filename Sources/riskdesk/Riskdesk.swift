import ArgumentParser
import Foundation
import RiskStore

@main
struct Riskdesk: ParsableCommand {
    static func main() {
        StandardStreams.secure()
        atexit { StandardStreams.finishAtExit() }
        Self.main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "riskdesk",
        abstract: "A terminal workbench for e-commerce risk analysts, over a local SQLite case store.",
        discussion: """
        The store is --store PATH, else $RISKDESK_STORE, else riskdesk.db in the working directory.
        Start with `riskdesk demo` for a generated marketplace with injected attacks.
        """,
        subcommands: [Tui.self, Info.self, Import.self, Rejects.self, Detect.self, Label.self, Cases.self, Export.self, Eval.self, Train.self, Models.self, Teach.self, Rules.self, Query.self, Dash.self, Simulate.self, Demo.self, Doctor.self, Team.self, StoreCommand.self],
        defaultSubcommand: Tui.self
    )
}

struct StoreOption: ParsableArguments {
    @Option(name: .long, help: "Case store file (default: $RISKDESK_STORE, else riskdesk.db).")
    var store: String?

    var path: String { Store.defaultPath(explicit: store, environment: Folders.variable("RISKDESK_STORE")) }
    /// A SQLite path, or a team store (`postgresql://…`).
    var location: StoreLocation { StoreLocation(path) }
}

/// Writes a message to stderr (control characters from the data made visible).
func warn(_ s: String) {
    writeStderr(TerminalText.sanitize(s, newline: "\n") + "\n")
}

/// A failure the user caused or can fix: printed as one line, exit code 1 (no stack, no usage).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    var code: Int32 = 1
    init(_ d: String, code: Int32 = 1) { description = d; self.code = code }
}

extension ParsableCommand {
    /// Runs `body`, turning store/import errors into one clear line and an exit code.
    func guarded(_ body: () throws -> Void) throws {
        var failure: (message: String, code: Int32)?
        do { try body() } catch let e as CLIError {
            failure = (e.description, e.code)
        } catch let e as StoreError where e.isBusy && !e.message.contains("the store is busy") {
            failure = ("\(e.message): another process is writing to the store (an import or a detection run?); try again when it has finished", 1)
        } catch let e as ExitCode {
            _ = StandardStreams.failure()
            throw e
        } catch let e as CleanExit {
            _ = StandardStreams.failure()
            throw e
        } catch {
            failure = ("\(error)", 1)
        }
        // What was written so far goes out before the error; output that didn't arrive is
        // a failure, whatever the command did.
        let lost = StandardStreams.failure()
        if let failure {
            warn("riskdesk: \(failure.message)")
            throw ExitCode(failure.code)
        }
        if let lost {
            StandardStreams.reported = true
            warn("riskdesk: \(lost)")
            throw ExitCode(1)
        }
    }
}

/// Buffered stdout for streaming results; writes are checked (`standardOutput`).
final class StdoutBuffer {
    init() {}
    func write(_ s: String) { standardOutput.write(s) }
    /// True once a write failed: streaming loops stop.
    var failed: Bool { standardOutput.failed }
    func flush() { try? standardOutput.flush() }
}

/// Ctrl-C / SIGTERM: the first sets a flag the long-running loops poll (an import commits the
/// batch it holds and finishes the store, which can take a while on a big one) and says so on
/// stderr; a second one ends the process at once by the signal's default action. That is safe:
/// every write is a SQLite transaction, and what an import left half-done (staged links, an
/// index not yet built) is finished by the next writer's open — the killed-import tests.
enum Interrupt {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0
    /// The notice, built before any handler can run (the handler only calls write(2)).
    nonisolated(unsafe) static var notice: UnsafeMutablePointer<UInt8>? = nil
    nonisolated(unsafe) static var noticeCount: Int = 0
    static func install() {
        if notice == nil {
            let text = Array("\nriskdesk: stopping; what is done is kept (signal again to stop at once)\n".utf8)
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: text.count)
            p.initialize(from: text, count: text.count)
            noticeCount = text.count
            notice = p
        }
        signal(SIGINT, handler)      // which signal: the exit code is 128 + it
        signal(SIGTERM, handler)
        signal(SIGPIPE, SIG_IGN)
    }
    /// Async-signal-safe: signal(2), raise(3), write(2) and a sig_atomic_t.
    static let handler: @convention(c) (Int32) -> Void = { s in
        if Interrupt.requested != 0 {
            signal(s, SIG_DFL)
            raise(s)
            return
        }
        Interrupt.requested = s
        if let p = Interrupt.notice { _ = write(2, p, Interrupt.noticeCount) }
    }
    static var isRequested: Bool { requested != 0 }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what the store holds: counts, time range, schema, recent imports.")
    @OptionGroup var store: StoreOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try guarded {
            if store.location.isTeam { try printTeamInfo(store.path, json: json); return }
            let s = try Store(path: store.path, readOnly: true)
            let sum = try s.summary()
            let runs = try s.importRuns(limit: 5)
            let space = try s.fileSpace()
            if json {
                let out: [String: Any] = [
                    "store": store.path, "schema_version": s.schemaVersion, "accounts": sum.accounts, "items": sum.items,
                    "file_bytes": space.fileBytes, "free_bytes": space.freeBytes,
                    "events": sum.events, "rejects": sum.rejects,
                    "first_event": sum.firstEventMs.map(Timestamp.iso) as Any, "last_event": sum.lastEventMs.map(Timestamp.iso) as Any,
                ]
                let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("store     \(store.path) (schema v\(s.schemaVersion))")
            print("accounts  \(sum.accounts)")
            print("items     \(sum.items)")
            print("events    \(sum.events)" + (sum.firstEventMs.map { " from \(Timestamp.iso($0)) to \(Timestamp.iso(sum.lastEventMs!))" } ?? ""))
            print("rejects   \(sum.rejects)")
            if space.freeBytes >= 1 << 20 {
                let mib = { (b: Int64) in String(format: "%.0f MiB", Double(b) / 1_048_576) }
                print("free      \(mib(space.freeBytes)) of the file's \(mib(space.fileBytes)) is free pages (a migration's old tables, deleted rows): imports reuse them; `sqlite3 \(store.path) VACUUM` returns them to the disk (it needs as much free disk again, and no other process on the store)")
            }
            if !runs.isEmpty {
                print("\nrecent imports:")
                for r in runs {
                    print("  #\(r.id) \(Timestamp.short(r.startedAt)) \(r.status): read \(r.rowsRead), stored \(r.rowsStored), duplicate \(r.rowsDuplicate), rejected \(r.rowsRejected)")
                }
            }
            if let d = try s.lastDetectRun() {
                print("\nlast detection run: #\(d.id) \(Timestamp.short(d.startedAt)) \(d.status)" + (d.message.map { " (\($0))" } ?? ""))
            }
            print("\nfolders (later override earlier by name; `riskdesk doctor` works without a store):")
            for l in Folders.report(Folders.catalog()) { print("  " + l) }
        }
    }
}

extension Rejects {
    /// On a team store the server masks the raw rows (`rejects_masked`: the same mask as a
    /// local store's, for analysts and leads); unmasked they are readable by leads only
    /// (column rights), after the audited reveal.
    func teamRejects() throws {
        let pg = try PGStore(url: store.path, readOnly: true)
        if reveal.revealed, try !pg.isLead() {
            throw CLIError("--reveal-pii: rejected rows' raw text is readable by leads only on a team store (\(try pg.currentRole()) is an analyst)")
        }
        try reveal.audit(storePath: store.path, what: "rejects")   // a lead's reveal, audited first
        var sql = "SELECT id, run_id, source, line, kind, reason, \(reveal.revealed ? "riskdesk_utf8(raw)" : "raw") AS raw FROM \(reveal.revealed ? "rejects" : "rejects_masked")"
        var args: [SQLValue] = []
        if let runID { sql += " WHERE run_id = ?"; args.append(.int(runID)) }
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(.int(Int64(limit)))
        try output.write { out in
            let w = ResultWriter(format: format, out: out.write)
            try pg.conn.stream(sql, args, columns: { w.begin($0) }) { r in
                w.row(r.row())
                return !out.failed
            }
            w.end()
        }
    }
}

struct Rejects: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List rows that imports rejected, with file, line, reason and the raw text.")
    @OptionGroup var store: StoreOption
    @Option(name: .customLong("run"), help: "Only this import run.") var runID: Int64?
    @Option(help: "At most this many rows (newest first).") var limit = 100
    @Option(help: "table, csv, json or jsonl.") var format: ResultFormat = .table
    @OptionGroup var output: OutputOption
    @OptionGroup var reveal: RevealOption

    func run() throws {
        try guarded {
            // Rejected accounts rows hold e-mail and phone verbatim: masked unless revealed.
            if store.location.isTeam { try teamRejects(); return }
            try reveal.audit(storePath: store.path, what: "rejects")
            let s = try Store(path: store.path, readOnly: true, maskPII: !reveal.revealed)
            var sql = "SELECT id, run_id, source, line, kind, reason, CAST(raw AS TEXT) AS raw FROM rejects"
            var args: [SQLValue] = []
            if let runID { sql += " WHERE run_id = ?"; args.append(.int(runID)) }
            sql += " ORDER BY id DESC LIMIT ?"
            args.append(.int(Int64(limit)))
            let st = try s.db.prepare(sql)
            try st.bind(args)
            try output.write { out in
                try ResultWriter(format: format, out: out.write).write(st, shouldStop: { out.failed })
            }
        }
    }
}

