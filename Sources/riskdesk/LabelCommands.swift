import ArgumentParser
import Foundation
import RiskStore

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label accounts fraud, legit or unsure — one on the command line, or many from a CSV file.",
        discussion: """
        Labels are appended, never overwritten: an account's current label is its latest, and every
        label is in the audit trail. A file (columns account_id,label[,category,note]) is checked whole
        first and then stored in one transaction: all of it or none.
        """)
    @OptionGroup var store: StoreOption
    @Argument(help: "The account to label.") var account: String?
    @Option(name: .customLong("as"), help: "fraud, legit or unsure (none withdraws the label).") var label: LabelValue?
    @Option(help: "Risk category (e.g. brushing, ato).") var category: String?
    @Option(help: "A note.") var note: String?
    @Option(help: "Who labels (default: $USER).") var analyst: String?
    @Option(help: "CSV of account_id,label[,category,note] to label in bulk (- for standard input; pipes work).") var from: String?

    func run() throws {
        try guarded {
            let location = store.location
            try refuseAnalystOnTeamStore(analyst, location)
            let who = analyst ?? ProcessInfo.processInfo.environment["USER"] ?? "analyst"
            var inputs: [LabelInput] = []
            var lines: [Int] = []
            var source = "cli"
            if let from {
                if account != nil || label != nil { throw CLIError("give either ACCOUNT --as LABEL or --from FILE, not both") }
                (inputs, lines) = try LabelFile.readWithLines(from)
                source = "file:" + (from == "-" ? "<stdin>" : from)
            } else {
                guard let account, !account.isEmpty else { throw CLIError("which account? riskdesk label ACCOUNT --as fraud|legit|unsure (or --from FILE)") }
                guard let label else { throw CLIError("--as fraud|legit|unsure is required") }
                inputs = [LabelInput(account: account, label: label, category: category, note: note)]
            }
            let s = try openCaseStore(location, mustExist: true)
            /// An unknown account in a label file: said at its line (both stores name it as
            /// "no account ID in STORE").
            func located(_ message: String) -> String {
                guard let from, let i = inputs.indices.first(where: { message.hasPrefix("no account \(inputs[$0].account) in ") }) else { return message }
                return "\(from == "-" ? "<stdin>" : from):\(lines[i]): " + message
            }
            do {
                let n = try s.addLabels(inputs, analyst: who, source: source)
                print("labelled \(n) account\(n == 1 ? "" : "s") as \((s as? PGStore).map { (try? $0.currentRole()) ?? who } ?? who)")
            } catch let e as StoreError {
                throw CLIError(located(e.message))
            } catch let e as PGError where located(e.message) != e.message {
                throw CLIError(located(e.message))
            }
        }
    }
}

/// Reads a label file: RFC 4180 CSV with a header naming account_id and label.
enum LabelFile {
    /// The labels and, for each, the line of the file it starts on.
    static func readWithLines(_ path: String) throws -> (inputs: [LabelInput], lines: [Int]) {
        let data = try readAll(path)
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(path): not UTF-8 text") }
        let records = try parse(text, path: path)
        guard let (headerLine, header) = records.first else { throw CLIError("\(path): empty file") }
        let cols = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let ai = cols.firstIndex(of: "account_id"), let li = cols.firstIndex(of: "label") else {
            throw CLIError("\(path):\(headerLine): header must name account_id and label (got \(cols.joined(separator: ",")))")
        }
        let ci = cols.firstIndex(of: "category"), ni = cols.firstIndex(of: "note")
        var out: [LabelInput] = []
        var lines: [Int] = []
        for (line, fields) in records.dropFirst() {
            if fields.count == 1 && fields[0].isEmpty { continue }
            // A cell riskdesk's own CSV export escaped for spreadsheets ('=…) reads back as it was.
            let f = fields.map(SpreadsheetSafe.unescape)
            guard f.count > max(ai, li) else { throw CLIError("\(path):\(line): expected \(cols.count) columns, found \(f.count)") }
            let id = f[ai].trimmingCharacters(in: .whitespaces)
            if id.isEmpty { throw CLIError("\(path):\(line): empty account_id") }
            guard let v = LabelValue(rawValue: f[li].trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw CLIError("\(path):\(line): label '\(f[li])' is not fraud, legit or unsure")
            }
            func opt(_ i: Int?) -> String? { i.flatMap { $0 < f.count && !f[$0].isEmpty ? f[$0] : nil } }
            out.append(LabelInput(account: id, label: v, category: opt(ci), note: opt(ni)))
            lines.append(line)
        }
        return (out, lines)
    }

    /// All bytes of a file, a pipe or FIFO, or standard input ("-"), read to the end.
    static func readAll(_ path: String) throws -> Data {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        let name = path == "-" ? "<stdin>" : path
        if fd < 0 { throw CLIError("\(name): cannot read: \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { throw CLIError("\(name): is a folder, not a label file") }
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n > 0 { out.append(contentsOf: buf[0..<n]); continue }
            if n == 0 { return out }
            if errno == EINTR { continue }
            throw CLIError("\(name): read failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Records with the line each starts on (RFC 4180; `CSVRecords`).
    static func parse(_ text: String, path: String) throws -> [(Int, [String])] {
        do { return try CSVRecords.parse(text, path: path).map { ($0.line, $0.fields) } } catch let e as StoreError { throw CLIError(e.message) }
    }
}

struct ExportLabels: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "labels",
        abstract: "Every labelled account's current label: account_id,label,category,analyst,ts,note.")
    @OptionGroup var store: StoreOption
    @Option(help: "csv or jsonl.") var format: ExportFormat = .csv
    @OptionGroup var output: OutputOption
    @OptionGroup var reveal: RevealOption

    func run() throws {
        try guarded {
            try streamExport(store.path, format, output, reveal, what: "export labels", """
                SELECT account_id, label, category, analyst, $ISO_TS AS ts, note
                FROM current_labels ORDER BY account_id
                """)
        }
    }
}

struct Cases: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List cases (status, assignee, label, disagreement), or claim one: --claim ACCOUNT, --next.")
    @OptionGroup var store: StoreOption
    @Option(help: "Only this status: open, in_review, escalated, closed.") var status: CaseStatus?
    @Option(help: "Only this assignee.") var assignee: String?
    @Option(help: "Claim this account's case for --analyst.") var claim: String?
    @Flag(help: "Claim the highest-scored unlabelled, unclaimed account for --analyst and print it.") var next = false
    @Option(help: "With --claim: set the case's status instead (open, in_review, escalated, closed).") var setStatus: CaseStatus?
    @Option(help: "Who acts (default: $USER; refused on a team store, where you act as your PostgreSQL role).") var analyst: String?
    @Flag(help: "With --claim: take over another analyst's live claim (a lead, on a team store).") var takeover = false
    @Option(help: "Give this account's claim back (the case stays, unassigned).") var release: String?
    @Option(help: "At most this many rows.") var limit = 200

    func run() throws {
        try guarded {
            let location = store.location
            try refuseAnalystOnTeamStore(analyst, location)
            let who = analyst ?? ProcessInfo.processInfo.environment["USER"] ?? "analyst"
            if next || claim != nil || release != nil {
                let s = try openCaseStore(location, mustExist: true)
                let me = (s as? PGStore).map { (try? $0.currentRole()) ?? who } ?? who
                do {
                    if next {
                        guard let id = try s.claimNext(analyst: who, riskType: nil, source: "cli") else { print("no unclaimed case left"); return }
                        print(id)
                    } else if let release {
                        print(try s.release(release, analyst: who, source: "cli") ? "\(release): released" : "\(release): was not claimed")
                    } else if let claim, let setStatus {
                        try s.setCaseStatus(claim, setStatus.rawValue, analyst: who, source: "cli")
                        print("\(claim): \(setStatus.rawValue)")
                    } else if let claim {
                        try s.claim(claim, analyst: who, takeover: takeover, source: "cli")
                        print("\(claim): claimed by \(me)")
                    }
                } catch let e as ClaimError { throw CLIError(e.description) }
                return
            }
            let s = try openCaseStore(location, readOnly: true)
            let rows = try s.cases(status: status?.rawValue, assignee: assignee, limit: limit)
            // Columns as wide as their longest value (never cut: a long account id or role name
            // must stay whole), at least the width they always had.
            let wa = max(14, rows.map(\.account.count).max() ?? 0)
            let wn = max(11, rows.map { ($0.assignee ?? "—").count }.max() ?? 0)
            func pad(_ v: String, _ n: Int) -> String { v.count >= n ? v : v + String(repeating: " ", count: n - v.count) }
            print("\(pad("account", wa)) \(pad("status", 11)) \(pad("assignee", wn)) \(pad("label", 8)) since             conflict")
            for c in rows {
                let conflict = try s.labelConflict(c.account)
                print("\(pad(c.account, wa)) \(pad(c.status, 11)) \(pad(c.assignee ?? "—", wn)) \(pad(c.label ?? "—", 8)) \(Timestamp.short(c.openedAt).prefix(16))  \(conflict.joined(separator: ", "))")
            }
            print("(\(rows.count) case\(rows.count == 1 ? "" : "s"))")
        }
    }
}
