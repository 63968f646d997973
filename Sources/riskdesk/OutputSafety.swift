import ArgumentParser
import Foundation
import RiskStore

// Output that can fail without crashing or losing data silently (issue 15, items 3–4):
// stdout writes are checked (a full disk, /dev/full, a closed stdout give a message and
// exit 1), stderr writes never crash (FileHandle.write traps on an error), and `--output
// FILE` writes a temporary file beside FILE and renames it only when everything is written.

/// Standard output for streamed results: every write checked (see `guarded`).
let standardOutput = DescriptorOutput()

/// Writes to stderr, ignoring errors: a closed or full stderr must not stop the command.
func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    bytes.withUnsafeMutableBytes { p in
        var off = 0
        while off < p.count {
            let n = Glibc.write(2, p.baseAddress! + off, p.count - off)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}

enum StandardStreams {
    /// A closed descriptor 0, 1 or 2 would be handed to the next file opened (an export, a
    /// journal) and output meant for the terminal would land in it. Fill the gaps first:
    /// stdin and stderr with /dev/null, stdout with a read-only /dev/null so that every
    /// write to it fails and the command says so.
    static func secure() {
        for fd: Int32 in [0, 1, 2] where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let flags = fd == 2 ? O_WRONLY : O_RDONLY
            let n = open("/dev/null", flags)
            if n >= 0 && n != fd { dup2(n, fd); close(n) }
        }
    }

    /// Set once a lost output was reported (by `guarded`).
    nonisolated(unsafe) static var reported = false

    /// At exit (also after an error): what is still buffered goes out; output lost and not
    /// yet reported is reported, and the exit status becomes 1.
    static func finishAtExit() {
        guard let f = failure(), !reported else { return }
        reported = true
        writeStderr("riskdesk: \(f)\n")
        _exit(1)
    }

    /// The first failure of standard output so far (streamed or printed), as a message.
    static func failure() -> String? {
        try? standardOutput.flush()
        if let f = standardOutput.failure { return f.message }
        // Swift.print (ArgumentParser, `dash --print`) goes through C stdio.
        if fflush(stdout) != 0 { return "standard output: write failed: \(String(cString: strerror(errno)))" }
        if ferror(stdout) != 0 { return "standard output: write failed" }
        return nil
    }
}

/// `--output FILE`: where a result goes instead of standard output, written whole or not at all.
struct OutputOption: ParsableArguments {
    @Option(name: [.customShort("o"), .long], help: "Write to this file (whole or not at all) instead of standard output.")
    var output: String?

    /// Runs `body` with the destination; a file is renamed into place only when `body`
    /// returns and every write succeeded, otherwise removed (an older file stays as it was).
    func write(_ body: (CheckedOutput) throws -> Void) throws {
        guard let output else {
            try body(standardOutput)
            try standardOutput.finish()
            return
        }
        let file: FileOutput
        do { file = try FileOutput(path: output) } catch let e as StoreError { throw CLIError(e.message) }
        do { try body(file) } catch { file.discard(); throw error }
        do { try file.commit() } catch let e as StoreError { throw CLIError(e.message) }
    }
}

/// `--reveal-pii REASON`: free SQL and exports show e-mail and phone masked unless revealed;
/// a reveal needs a reason and is written to the audit trail (who, when, what, why) first.
struct RevealOption: ParsableArguments {
    @Option(name: .customLong("reveal-pii"), help: ArgumentHelp("Show e-mail and phone unmasked; the reason is written to the audit trail.", valueName: "reason"))
    var reason: String?
    @Option(help: "Who is asking, for the audit trail (default: $USER).")
    var analyst: String?

    var revealed: Bool { reason != nil }

    /// Without a reveal: nothing to do here (the store is opened with `maskPII: !revealed`).
    /// Revealed: audits the reveal first, refusing one without a reason. `account`: whose PII
    /// the output can show — one account (a query's `--param account_id=…`), or
    /// `PII.everyAccount` (`*`) for an export, `rejects` or a query over any account; never NULL.
    func audit(storePath: String, what: String, account: String = PII.everyAccount) throws {
        guard let reason else { return }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw CLIError("--reveal-pii needs a reason (it is written to the audit trail)") }
        if StoreLocation(storePath).isTeam {
            // On a team store the analyst is the login role; the server writes it.
            if analyst != nil { throw CLIError("--analyst is refused on a team store: you act as your PostgreSQL role") }
            let pg = try PGStore(url: storePath)
            try pg.conn.audit(analyst: "", source: "cli", action: "reveal_pii", account: account, new: String(what.prefix(500)), note: why)
            return
        }
        let who = analyst ?? ProcessInfo.processInfo.environment["USER"] ?? "analyst"
        let writer: Store
        do { writer = try Store(path: storePath, mustExist: true) } catch let e as StoreError {
            throw CLIError("\(e.message) — a PII reveal must be audited, and the audit trail can't be written")
        }
        try writer.db.audit(analyst: who, source: "cli", action: "reveal_pii", account: account,
                            new: String(what.prefix(500)), note: why)
    }
}

/// SQLite's refusal of a PII column, with the way out.
func explainRefusal(_ e: Error, write: Bool = false) -> Error {
    if let s = e as? StoreError, s.message.contains("is prohibited") { return CLIError("\(s.message) — \(PII.refusedHint)") }
    // Without --write, `accounts` is the masking view: a write to it fails as a write to a view.
    if !write, let s = e as? StoreError, s.message.contains("because it is a view") {
        return CLIError("the statement would change the store; refused (pass --write to allow it): \(s.message)")
    }
    return e
}

/// Every human-readable line the commands print goes through here (it shadows `Swift.print`
/// in this module): control characters from imported text — a screen clear, an OSC 52
/// clipboard write, a window title — are shown as `·`, never sent to the terminal.
/// Machine formats (CSV, JSON) escape them instead and don't pass through here.
/// It writes through `standardOutput`, so a failed write is caught with its reason.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    standardOutput.write(TerminalText.sanitize(text, newline: "\n") + terminator)
}
