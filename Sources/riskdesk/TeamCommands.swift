import ArgumentParser
import Foundation
import RiskStore

/// On a team store the analyst is the PostgreSQL login role: a self-declared one is refused.
func refuseAnalystOnTeamStore(_ analyst: String?, _ location: StoreLocation) throws {
    if analyst != nil, location.isTeam {
        throw CLIError("--analyst is refused on a team store: you act as your PostgreSQL role (connect as another role to act as someone else)")
    }
}

struct Team: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A team store on PostgreSQL: create it, add analysts and leads, watch changes (docs/team.md).",
        subcommands: [TeamInit.self, TeamAdd.self, TeamWatch.self, TeamSoak.self])
}

struct TeamStoreOption: ParsableArguments {
    @Option(name: .long, help: "The team store: postgresql://USER[:PASSWORD]@HOST:PORT/DB (default: $RISKDESK_STORE).")
    var store: String?

    func url() throws -> String {
        let s = Store.defaultPath(explicit: store)
        guard PGConnection.isURL(s) else {
            throw CLIError("a team store is a postgresql:// URL (got '\(s)'); a local store needs no team")
        }
        return s
    }
}

struct TeamInit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init",
        abstract: "Create or upgrade the team store's schema, and the roles riskdesk_analyst and riskdesk_lead (run as the database owner).")
    @OptionGroup var store: TeamStoreOption
    @Option(help: "How long a claim lasts before anyone may take the case, e.g. 2h, 30m, 90s (default 2h).") var claimTtl: String?

    func run() throws {
        try guarded {
            let ttl = try claimTtl.map(parseDuration)
            let url = try store.url()
            let r = try PGStore.teamInit(url: url, claimTTLSeconds: ttl)
            let at = PGConnection.redact(url)
            if r.from == r.to { print("\(at): team store at schema v\(r.to); roles and rights checked") }
            else { print("\(at): team store schema v\(r.from) → v\(r.to); roles riskdesk_analyst, riskdesk_lead") }
            print("next: riskdesk team add NAME --role analyst|lead --store URL")
        }
    }
}

/// "2h", "30m", "90s", "45" (seconds) → seconds.
func parseDuration(_ s: String) throws -> Int {
    let t = s.trimmingCharacters(in: .whitespaces).lowercased()
    let units: [(String, Int)] = [("h", 3600), ("m", 60), ("s", 1)]
    for (u, k) in units where t.hasSuffix(u) {
        if let n = Int(t.dropLast()), n > 0 { return n * k }
    }
    if let n = Int(t), n > 0 { return n }
    throw CLIError("duration '\(s)': expected a positive number with h, m or s (e.g. 2h)")
}

struct TeamAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add",
        abstract: "Create a login role for an analyst or a lead (run as the database owner); prints the password.")
    @OptionGroup var store: TeamStoreOption
    @Argument(help: "The role name (lower-case letters, digits, _).") var name: String
    @Option(help: "analyst or lead.") var role: String
    @Option(help: "The password (default: a generated one, printed).") var password: String?

    func run() throws {
        try guarded {
            guard let r = PGStore.TeamRole(rawValue: role.lowercased()) else { throw CLIError("--role must be analyst or lead (got '\(role)')") }
            let pw = try PGStore.teamAdd(url: try store.url(), name: name, role: r, password: password)
            print("\(name): \(r.rawValue)")
            if password == nil { print("password: \(pw)") }
        }
    }
}

struct TeamWatch: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "watch",
        abstract: "Print every claim, label and status change on the team store as it happens (LISTEN; one JSON line each).")
    @OptionGroup var store: TeamStoreOption
    @Option(help: "Stop after this many seconds (default: until interrupted).") var seconds: Double?
    @Option(help: "Stop after this many changes.") var count: Int?

    func run() throws {
        Interrupt.install()
        try guarded {
            let s = try PGStore(url: try store.url(), readOnly: true)
            try s.listenForChanges()
            print("listening")
            try? standardOutput.flush()
            let end = seconds.map { Date().addingTimeInterval($0) }
            var seen = 0
            while !Interrupt.isRequested {
                let left = end.map { $0.timeIntervalSinceNow } ?? 0.5
                if left <= 0 { break }
                for n in try s.conn.waitForNotifications(timeout: min(left, 0.5)) {
                    print(n.payload)
                    try? standardOutput.flush()
                    seen += 1
                    if let count, seen >= count { return }
                }
            }
        }
    }
}

/// A load generator for the concurrency test and benchmark: one analyst process looping
/// take-next / label / release. Prints one JSON line: what it took, labelled, and the
/// take-next latencies.
struct TeamSoak: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "soak", abstract: "Loop take-next / label / release as this role (tests, benchmarks).",
                                                    shouldDisplay: false)
    @OptionGroup var store: TeamStoreOption
    @Option(help: "Run this long.") var seconds: Double = 30
    @Option(help: "Label one case in this many (the rest are released).") var labelEvery: Int = 2
    @Flag(help: "Take one case, then start labelling it and stop before committing (a test kills the process there).") var stall = false

    func run() throws {
        try guarded {
            let s = try PGStore(url: try store.url())
            if stall {
                guard let id = try s.claimNext(riskType: nil, source: "soak") else { throw CLIError("nothing to take") }
                try s.conn.exec("BEGIN")
                try s.conn.run("INSERT INTO labels (account_id, label, source) VALUES ($1, 'fraud', 'soak')", [.text(id)])
                try s.conn.run("INSERT INTO audit (source, action, account_id, new_value) VALUES ('soak', 'label', $1, 'fraud')", [.text(id)])
                print("stalled \(id)")
                try? standardOutput.flush()
                sleep(600)
                return
            }
            var taken: [String] = [], labelled: [String] = []
            var latenciesMs: [Double] = []
            let end = Date().addingTimeInterval(seconds)
            var i = 0
            while Date() < end {
                let t0 = DispatchTime.now().uptimeNanoseconds
                guard let id = try s.claimNext(riskType: nil, source: "soak") else { break }
                latenciesMs.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                taken.append(id)
                i += 1
                if i % max(labelEvery, 1) == 0 {
                    try s.addLabels([LabelInput(account: id, label: .fraud, note: "soak")], source: "soak")
                    labelled.append(id)
                } else {
                    try s.release(id, source: "soak")
                }
            }
            let out: [String: Any] = ["role": try s.currentRole(), "taken": taken, "labelled": labelled, "take_next_ms": latenciesMs]
            print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}

/// `riskdesk info` on a team store.
func printTeamInfo(_ url: String, json: Bool) throws {
    let s = try PGStore(url: url, readOnly: true)
    let sum = try s.summary()
    let role = try s.currentRole()
    let lead = try s.isLead()
    if json {
        let out: [String: Any] = [
            "store": s.displayURL, "backend": "postgresql", "schema_version": s.schemaVersion, "role": role, "lead": lead,
            "accounts": sum.accounts, "items": sum.items, "events": sum.events, "rejects": sum.rejects,
            "first_event": sum.firstEventMs.map(Timestamp.iso) as Any, "last_event": sum.lastEventMs.map(Timestamp.iso) as Any,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
        return
    }
    print("store     \(s.displayURL) (PostgreSQL team store, schema v\(s.schemaVersion))")
    print("you       \(role) (\(lead ? "lead" : "analyst"))")
    print("accounts  \(sum.accounts)")
    print("items     \(sum.items)")
    print("events    \(sum.events)" + (sum.firstEventMs.map { " from \(Timestamp.iso($0)) to \(Timestamp.iso(sum.lastEventMs!))" } ?? ""))
    print("rejects   \(sum.rejects)")
    let runs = try s.importRuns(limit: 5)
    if !runs.isEmpty {
        print("\nrecent imports:")
        for r in runs {
            print("  #\(r.id) \(Timestamp.short(r.startedAt)) \(r.status): read \(r.rowsRead), stored \(r.rowsStored), duplicate \(r.rowsDuplicate), rejected \(r.rowsRejected)")
        }
    }
}

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store",
        abstract: "Move case data between a local store and a team store.",
        subcommands: [StoreCopy.self])
}

struct StoreCopy: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "copy",
        abstract: "Copy a local store into a team store, or a team store (or a slice) into a local one; ids, labels and audit kept.",
        discussion: """
        SRC and DST are each a SQLite path or a postgresql:// URL (one of each). Into a team store, run it as the
        database owner (labels and audit keep their analysts). Rows already in DST are left alone: a copy can be rerun.
        """)
    @Argument(help: "Source store (path or URL).") var source: String
    @Argument(help: "Destination store (path or URL).") var destination: String
    @Option(help: "Only the accounts listed in this file (one per line, or a CSV whose first column is account_id).") var accounts: String?
    @Option(help: "Only events at or after this time (ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z).") var since: String?

    func run() throws {
        try guarded {
            let src = StoreLocation(source), dst = StoreLocation(destination)
            var o = StoreCopyOptionsBuilder.options()
            if let accounts { o.accounts = try readAccountList(accounts) }
            if let since {
                // A bare date (2026-01-31) is that day's start in UTC, as the help says.
                let day = since.count == 10 && since.firstIndex(of: "T") == nil ? since + "T00:00:00Z" : since
                guard let ms = Timestamp.parse(day) else { throw CLIError("--since '\(since)': not an ISO 8601 time (e.g. 2026-01-31)") }
                o.sinceMs = ms
            }
            let counts: RiskStore.StoreCopy.Counts
            switch (src, dst) {
            case (.sqlite(let p), .postgres(let u)):
                let s = try Store(path: p, readOnly: true)
                let team = try PGStore(url: u)
                try Self.requireOwner(team, "copying into a team store writes labels and audit with their analysts")
                counts = try RiskStore.StoreCopy.sqliteToPG(s, team, o)
            case (.postgres(let u), .sqlite(let p)):
                // Refused before the local file is made; a copy that fails removes a file it made.
                let team = try PGStore(url: u, readOnly: true)
                try Self.requireOwner(team, "copying out of a team store reads e-mail and phone")
                let existed = FileManager.default.fileExists(atPath: p)
                do {
                    let d = try Store(path: p)
                    counts = try RiskStore.StoreCopy.pgToSQLite(team, d, o)
                } catch {
                    if !existed { for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: p + suffix) } }
                    throw error
                }
            default:
                throw CLIError("copy goes between a local store and a team store: one of SRC, DST must be a postgresql:// URL and the other a path")
            }
            for c in counts { print("\(c.table.padding(toLength: 12, withPad: " ", startingAt: 0)) \(c.rows)") }
            print("copied \(src.display) → \(dst.display)")
        }
    }

    /// Only the database's owner may run a copy (what needs it: `why`); say so up front, not as
    /// the server's "permission denied" half-way.
    static func requireOwner(_ team: PGStore, _ why: String) throws {
        let owner = try team.conn.scalar("""
            SELECT pg_get_userbyid(datdba) = session_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
            FROM pg_database WHERE datname = current_database()
            """).int == 1
        if !owner {
            let role = try team.currentRole()
            let db = try team.conn.scalar("SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()").string ?? "?"
            throw CLIError("\(team.displayURL): \(why), so only the database owner (\(db)) may run it; you are \(role). Run it with the owner's URL (the one `team init` took)")
        }
    }

    func readAccountList(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("\(path): cannot read (missing, or not UTF-8 text)") }
        var out: [String] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let first = raw.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let id = first.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            if id.isEmpty || (i == 0 && id == "account_id") { continue }
            out.append(id)
        }
        if out.isEmpty { throw CLIError("\(path): no account ids in it") }
        return out
    }
}

enum StoreCopyOptionsBuilder {
    static func options() -> RiskStore.StoreCopy.Options {
        RiskStore.StoreCopy.Options(progress: { line in writeStderr("copy: \(line)\n") })
    }
}
