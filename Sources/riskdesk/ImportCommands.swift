import ArgumentParser
import Foundation
import MarketSimulator
import RiskImport
import RiskStore

extension ContractKind: ExpressibleByArgument {}
extension ContractFormat: ExpressibleByArgument {}
extension IndexMode: ExpressibleByArgument {}
extension SimFormat: ExpressibleByArgument {}
extension SimTimestamps: ExpressibleByArgument {}
extension SimWorld: ExpressibleByArgument {}
extension PGCopyFormat: ExpressibleByArgument {}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import marketplace event logs (CSV or JSONL, optionally gzip) into the store.",
        discussion: """
        PATH is a file, a folder (accounts/items/events files recognised by name), or - for
        standard input with --kind. Bad rows are kept in the store's rejects table (see
        `riskdesk rejects`); duplicate event_ids are stored once, so importing a file again
        changes nothing.
        """)

    @OptionGroup var store: StoreOption
    @Argument(help: "Files, folders, or - for standard input.") var paths: [String] = []
    @Option(help: "What the input holds: events, accounts or items (needed for -).") var kind: ContractKind?
    @Option(help: "csv or jsonl (default: from the name, else sniffed).") var format: ContractFormat?
    @Flag(help: "Keep reading a growing file, committing new rows every second, until interrupted.") var follow = false
    @Flag(help: "Print nothing but errors.") var quiet = false
    @Flag(help: "Print a machine-readable summary on stdout.") var json = false
    @Option(help: "Rows per transaction (default 20,000; 250,000 for an events input of more than ~20k rows, not --follow).") var batch: Int?
    @Option(help: "auto: a large load into a small store builds event indexes once at the end; keep: update them row by row; rebuild: always load in bulk.")
    var indexMode: IndexMode = .auto
    @Option(help: "Reject times before this (RFC 3339 or epoch ms; default 1970-01-01).") var earliest: String?
    @Option(help: "Reject times after this (RFC 3339 or epoch ms; default a year from now).") var latest: String?
    @Option(help: "A mapping file (TOML) that maps any CSV/TSV/whitespace/JSONL/log file onto the contract (docs/import-mapping.md).") var map: String?
    @Flag(help: "Write a starter mapping for the one file given (to --out, else stdout).") var infer = false
    @Option(help: "With --infer: where to write the mapping.") var out: String?
    @Flag(help: "With --map: show the first mapped rows and the rejects the import would make; change nothing.") var dryRun = false
    @Option(help: "With --dry-run: rows to read.") var rows = 1000
    @Option(help: "With --map and a [label] column: where to write the truth file (default: next to the store).") var truthOut: String?
    @Option(help: ArgumentHelp("Team store: COPY rows in binary or text format (scripts/bench-pg-import compares them).", visibility: .hidden))
    var copyFormat: PGCopyFormat = .binary
    @Option(help: ArgumentHelp("SQLite sorter worker threads for a load's final sorts ('cores', the default: the machine's cores less one, at most 4; 0: none). On an idle 2-core machine one thread took 9 % off a 20M-event load's wall time, at 8 % more CPU; on a loaded one no faster (docs/benchmarks.md, imp35, imp60).", visibility: .hidden))
    var sorterThreads: String?
    @Option(help: ArgumentHelp("MiB of SQLite page cache for a bulk load's final sorts, which sets the sorter's run size (default 8; 32 was the load's own; docs/benchmarks.md, imp39).", visibility: .hidden))
    var sortCacheMib: Int?
    @Option(help: ArgumentHelp("MiB of SQLite page cache for the import's writes (default: a sixteenth of the available memory, 32 to 96; docs/benchmarks.md, imp40, measures the daily case with more).", visibility: .hidden))
    var cacheMib: Int?
    @Flag(help: ArgumentHelp("A day's events into a big store in one transaction per file, not one per 250k rows (off by default: it holds the write lock for the whole file; docs/benchmarks.md, imp40).", visibility: .hidden))
    var dailyOneTransaction = false
    @Flag(inversion: .prefixedNo, help: ArgumentHelp("The links merge builds the accounts' activity indexes again when it touches a quarter of the accounts or more, instead of updating them account by account (default on; docs/benchmarks.md, imp41).", visibility: .hidden))
    var rebuildAccountIndexes = true
    @Option(help: ArgumentHelp("Rows per transaction of a day's events into a big store (default 250,000; tests lower it to tell --daily-one-transaction from the batches).", visibility: .hidden))
    var dailyBatchRows: Int?
    @Option(help: ArgumentHelp("Event ids the de-duplication set holds before it writes them to disk as a sorted run (default 262,144; tests lower it).", visibility: .hidden))
    var dedupeRunRows: Int?

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give files, folders, or - for standard input") }
        if infer && paths.count != 1 { throw ValidationError("--infer reads exactly one file") }
        if infer && map != nil { throw ValidationError("--infer writes a mapping; --map reads one: give one of them") }
        if dryRun && map == nil { throw ValidationError("--dry-run goes with --map") }
        if map != nil && (kind != nil || format != nil) { throw ValidationError("--map says what the files hold: drop --kind / --format") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let sortCacheMib, !(1...1024).contains(sortCacheMib) { throw ValidationError("--sort-cache-mib must be 1 to 1024") }
        if let cacheMib, !(2...4096).contains(cacheMib) { throw ValidationError("--cache-mib must be 2 to 4096") }
        if dailyOneTransaction && (batch != nil || follow) {
            throw ValidationError("--daily-one-transaction sets the day's transaction itself: drop \(batch != nil ? "--batch" : "--follow")")
        }
        if let dailyBatchRows {
            if !(1...(1 << 30)).contains(dailyBatchRows) { throw ValidationError("--daily-batch-rows must be 1 to \(1 << 30)") }
            if batch != nil || follow || dailyOneTransaction {
                throw ValidationError("--daily-batch-rows is the daily case's batch: drop \(batch != nil ? "--batch" : follow ? "--follow" : "--daily-one-transaction")")
            }
        }
        if let dedupeRunRows, !(1...(1 << 24)).contains(dedupeRunRows) { throw ValidationError("--dedupe-run-rows must be 1 to \(1 << 24)") }
        if let sorterThreads, sorterThreads != "cores", !(Int(sorterThreads).map { (0...8).contains($0) } ?? false) {
            throw ValidationError("--sorter-threads: '\(sorterThreads)' is not 0 to 8 or 'cores'")
        }
    }

    func run() throws {
        if infer { return try guarded { try MappedImport.infer(paths[0], out: out) } }
        var mapping: ImportMapping?
        var labels: LabelCollector?
        if let map {
            try guarded {
                mapping = try MappedImport.load(map)
                if mapping!.label != nil { labels = LabelCollector() }
            }
        }
        if let mapping, dryRun {
            return try guarded { try MappedImport.dryRun(paths, mapping: mapping, rows: rows) }
        }
        Interrupt.install()
        var options = ImportOptions()
        options.mapping = mapping
        options.labels = labels
        options.kind = kind
        options.format = format
        options.follow = follow
        if let batch { options.batchRows = batch; options.autoBatch = false }
        options.indexMode = indexMode
        if let dedupeRunRows { options.dedupePendingMax = dedupeRunRows }
        if let sortCacheMib { options.sortCacheBytes = sortCacheMib << 20 }
        options.dailyOneTransaction = dailyOneTransaction
        if let dailyBatchRows { options.dailyBatchRows = dailyBatchRows }
        options.rebuildAccountIndexes = rebuildAccountIndexes
        options.cacheBytes = cacheMib.map { $0 << 20 } ?? ImportMemory.pageCacheBytes()
        options.sorterThreads = (sorterThreads ?? "cores") == "cores" ? ImportMemory.sorterThreads() : Int(sorterThreads!) ?? 0
        for (name, value) in [("--earliest", earliest), ("--latest", latest)] {
            guard let value else { continue }
            guard let ms = Timestamp.parse(value) else { throw ValidationError("\(name): '\(value)' is not an RFC 3339 time or epoch milliseconds") }
            if name == "--earliest" { options.timeWindow.from = ms } else { options.timeWindow.to = ms }
        }
        if options.timeWindow.from > options.timeWindow.to { throw ValidationError("--earliest is after --latest") }
        options.shouldStop = { Interrupt.isRequested }
        let tty = isatty(2) != 0 && !quiet && !json
        let bar = ProgressBar(enabled: tty)
        options.progress = { bar.update($0) }
        options.note = { msg in if !quiet { bar.clear(); warn("note: \(msg)") } }
        var summary: ImportSummary?
        var failed: Error?
        try guarded {
            // Read and check every input before the store is opened: a file that can't be
            // read at all leaves the store as it was.
            let plan = try ImportPlan(paths: paths, options: options)
            if store.location.isTeam {
                // A team store: streamed in with COPY, merged on the server (TeamImport.swift).
                if follow { throw CLIError("--follow works on a local store only (a team store imports whole files)") }
                if mapping != nil && labels != nil { throw CLIError("a mapping with a [label] column works on a local store only, for now") }
                try TeamImport.run(url: store.path, plan: plan, options: options, format: copyFormat, quiet: quiet || json, json: json)
                return
            }
            let s = try Store(path: store.path)
            if follow && !quiet { warn("following \(plan.inputs[0].path); Ctrl-C to stop") }
            do {
                summary = try Importer(store: s, options: options).run(plan)
            } catch let f as ImportFailure {
                summary = f.summary
                failed = f.underlying
            }
        }
        bar.clear()
        guard let summary else { return }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(summary), as: UTF8.self))
        } else if !quiet {
            for f in summary.files where summary.files.count > 1 {
                warn("  \(f.path): \(f.rowsRead) read, \(f.stored) new, \(f.updated) updated, \(f.duplicate) duplicate, \(f.rejected) rejected")
            }
            if summary.bulkIndexes { warn("  identifier indexes built in \(String(format: "%.2f", summary.indexSeconds)) s") }
            warn("import #\(summary.runID) \(summary.status): \(summary.line)")
        }
        if let mapping, let labels, failed == nil {
            try guarded { try MappedImport.storeLabels(labels, mapping: mapping, storePath: store.path, truthOut: truthOut, quiet: quiet || json) }
        }
        if let failed {
            warn("riskdesk: \(failed)")
            warn("riskdesk: rows committed before the error are kept; run the same import again to finish (duplicates are skipped)")
            throw ExitCode(1)
        }
        if summary.status == "interrupted" && !follow { throw ExitCode(130) }
    }
}

/// A one-line progress bar on stderr: bytes, rows/s, ETA.
final class ProgressBar {
    let enabled: Bool
    private var shown = false
    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: ImportProgress) {
        guard enabled else { return }
        var line: String
        let rate = p.elapsed > 0 ? Double(p.rows) / p.elapsed : 0
        if let total = p.bytesTotal, total > 0, p.phase == "importing" {
            let frac = min(1, Double(p.bytesDone) / Double(total))
            let width = 24
            let filled = Int(frac * Double(width))
            let eta = frac > 0.01 ? p.elapsed * (1 - frac) / frac : 0
            line = "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "] "
            line += String(format: "%3.0f%%  %@ / %@  %@ rows  %@ rows/s  ETA %@", frac * 100, bytes(p.bytesDone), bytes(total),
                           human(Double(p.rows)), human(rate), clock(eta))
        } else {
            line = "\(p.phase) \(p.file)  \(bytes(p.bytesDone))  \(human(Double(p.rows))) rows  \(human(rate)) rows/s  \(clock(p.elapsed))"
        }
        writeStderr("\r\u{1B}[2K" + line)
        shown = true
    }

    func clear() {
        if shown { writeStderr("\r\u{1B}[2K"); shown = false }
    }

    func bytes(_ b: Int64) -> String {
        let d = Double(b)
        if d >= 1_073_741_824 { return String(format: "%.1f GiB", d / 1_073_741_824) }
        if d >= 1_048_576 { return String(format: "%.1f MiB", d / 1_048_576) }
        if d >= 1024 { return String(format: "%.0f KiB", d / 1024) }
        return "\(b) B"
    }
    func human(_ v: Double) -> String {
        if v >= 1e6 { return String(format: "%.1fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fk", v / 1e3) }
        return String(format: "%.0f", v)
    }
    func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a simulated marketplace export with injected attacks (and truth.csv) for demos, tests and benchmarks.")
    @Option(help: "Folder to write accounts, items, events and truth.csv into.") var out: String
    @Option(help: "Number of accounts.") var accounts = 20_000
    @Option(help: "Days of activity.") var days = 30
    @Option(help: "Random seed: the same seed writes the same files.") var seed: UInt64 = 1
    @Option(help: "csv or jsonl.") var format: SimFormat = .csv
    @Option(help: "rfc3339, epoch (milliseconds) or mixed.") var timestamps: SimTimestamps = .rfc3339
    @Flag(help: "gzip the files.") var gzip = false
    @Option(help: "standard, or random: the population structure and every attack's parameters drawn from the seed.") var world: SimWorld = .standard
    @Flag(help: "Print nothing.") var quiet = false

    func validate() throws {
        if accounts < 60 { throw ValidationError("--accounts must be at least 60") }
        if days < 2 || days > 3650 { throw ValidationError("--days must be between 2 and 3650") }
    }

    func run() throws {
        try guarded {
            var cfg = SimConfig()
            cfg.accounts = accounts; cfg.days = days; cfg.seed = seed
            cfg.format = format; cfg.timestamps = timestamps; cfg.gzip = gzip; cfg.world = world
            let s = try Simulator(cfg).run(outDir: out)
            if !quiet {
                warn("simulated \(s.accounts) accounts, \(s.items) items, \(s.events) events in \(String(format: "%.1f", s.seconds)) s")
                let fam = s.attacks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                warn("fraud accounts: \(s.fraudAccounts) (\(fam)); truth in \((out as NSString).appendingPathComponent("truth.csv"))")
            }
        }
    }
}

/// How much page cache an import may use: a sixteenth of the memory available now, between
/// 32 and 96 MiB (peak RSS stays under 300 MB whatever the input size).
enum ImportMemory {
    /// SQLite's sorter worker threads: one per core beside the import's own, at most 4 (each
    /// holds a run of the sort's memory).
    static func sorterThreads() -> Int {
        min(4, max(0, ProcessInfo.processInfo.activeProcessorCount - 1))
    }
    static func pageCacheBytes() -> Int {
        let floor = 32 << 20, ceiling = 96 << 20
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return floor }
        return min(ceiling, max(floor, kb * 1024 / 16))
    }
}
