import Foundation
import RiskStore

/// One input of an import: a file (plain or gzip) or standard input, with its kind.
public struct ImportInput: Sendable {
    public var path: String          // "-" for standard input
    public var kind: ContractKind
    public var format: ContractFormat?
    public var displayName: String { path == "-" ? "<stdin>" : path }
}

public enum IndexMode: String, Sendable, CaseIterable {
    /// Drop and rebuild the identifier indexes when the input is much larger than the store.
    case auto
    /// Always update indexes row by row.
    case keep
    /// Always load in bulk mode (big batches, indexes rebuilt at the end).
    case rebuild
}

public struct ImportOptions {
    public var kind: ContractKind?
    public var format: ContractFormat?
    public var batchRows = 20_000
    /// True: an events input of more than ~20k rows (auto index mode, not --follow) commits
    /// every 250k rows instead (`riskdesk import --batch N` sets false: N is kept).
    public var autoBatch = true
    /// Link aggregate entries at which a batch writes its links mid-batch (tests lower it).
    var linkFlushEntries = LinkAggregator.stageFlushEntries
    /// Event keys the de-duplication set takes before merging them into its sorted run (tests lower it).
    public var dedupePendingMax = 1 << 18
    /// Event rows held before their identifiers are interned and written, and the identifiers
    /// cached between chunks (schema v14, `InternedWriter`; tests lower them).
    var internChunkRows = 65_536
    var internCacheEntries = 1 << 19
    /// Identifiers the import's dictionary keeps (every identifier seen, each looked up once);
    /// 0: the two-generation cache of `internCacheEntries` instead (`InternedWriter`).
    var internDictionaryEntries = 1 << 22
    /// An import into a store that keeps its timeline index (not a bulk load) may insert each
    /// chunk's rows in (account, ts) order, each with its id (`InternedWriter.timelineOrder`).
    /// Off: measured (imp37 in docs/benchmarks.md), it cost more than it saved — the table's rows
    /// then go in out of id order, and a 64k-row chunk still touches most of a big index's pages.
    var timelineOrder = false
    /// The daily case (an events input of more than ~20k rows into a store that keeps its
    /// indexes: auto index mode, no `--batch`, not a bulk load, not --follow) in one transaction
    /// per input file instead of one per 250k rows. Each page of the big store's random-order
    /// trees (the `(account_id, ts)` index, `idents`' unique index) then goes to the WAL and is
    /// checkpointed once per file, not once per batch. A failure or a kill stores none of the file's
    /// rows (a kill after their commit leaves the links merge and the event keys to the next
    /// writer's open, as for any import); an interrupt (Ctrl-C) and a damaged compressed tail
    /// commit the rows read before them, as any import does. Off by default (imp40 in docs/benchmarks.md): the import holds the write lock for the
    /// whole file (minutes for a big day), so the workbench's labels and other writers wait past
    /// their busy timeout, and the WAL grows to the day's dirty pages.
    public var dailyOneTransaction = false
    /// The links merge builds the accounts' activity indexes again instead of updating them
    /// account by account when its activity touches a quarter of the accounts or more
    /// (`Schema.mergePendingLinkRuns(rebuildAccountIndexes:)`; imp41 in docs/benchmarks.md: the same
    /// rows, the daily case's links merge −1.7 s of 9.9 at 4.5M). The hidden
    /// `riskdesk import --no-rebuild-account-indexes` turns it off, for measuring.
    public var rebuildAccountIndexes = true
    /// Rows per transaction of the daily case when it is not in one transaction (tests and the
    /// hidden `import --daily-batch-rows` lower it).
    public var dailyBatchRows = 250_000
    /// A bulk load's batch whose size was not asked for also commits once it has been open this
    /// long, past `bulkBatchTimedFromRows` rows: its batches grow with the input
    /// (`Importer.bulkBatchRows`), and a second writer — an analyst's label during a backfill —
    /// waits for the batch under way, inside the store's 10 s busy timeout. So a batch grown past
    /// the 250k rows bulk batches always took adds no wait beyond this (and its commit); below
    /// 250k rows the wait is what it was. nil: rows alone decide.
    public var bulkBatchSeconds: Double? = 5
    /// Rows a bulk batch takes before its time can end it (the 250k it always took; tests lower it).
    var bulkBatchTimedFromRows = 250_000
    public var follow = false
    public var indexMode = IndexMode.auto
    public var pollInterval = 0.2
    public var commitInterval = 1.0
    /// Times outside this window are rejected (default: 1970 to a year from now).
    public var timeWindow = Timestamp.Window.standard()
    /// Called at most ~10 times a second while importing.
    public var progress: ((ImportProgress) -> Void)?
    /// Notes for the user (files skipped, indexes rebuilt, …).
    public var note: ((String) -> Void)?
    /// Polled between rows: true asks the import to commit what it has and stop.
    public var shouldStop: () -> Bool = { false }
    /// Read every input through this mapping (`import --map`) instead of the contract's names.
    public var mapping: ImportMapping?
    /// Where a mapping's label column puts what it reads.
    public var labels: LabelCollector?
    /// SQLite page cache for the import's connection, in bytes (nil: 32 MiB). The caller
    /// sizes it from the memory it can spare; a large import's random-order b-tree work (the
    /// unique `event_id` index, the timeline index of a big store) misses it less.
    public var cacheBytes: Int?
    /// A large load (auto / rebuild, not --follow) stages links and account activity in
    /// `links_pending` and merges them once at the end; false keeps row-by-row upserts.
    public var stageLinks = true
    /// Staged links go packed into `links_pending_packed` (v17); false stages one
    /// `links_pending` row per entry as v16 did (tests compare the two).
    public var packStagedLinks = true
    /// SQLite's sorter worker threads (`PRAGMA threads`) for the sorts after a load's rows: the
    /// links merge, the event keys' sort and the index builds (0: SQLite's default, none). The
    /// caller picks it (the executable from the machine's cores); the stored bytes are the same.
    public var sorterThreads = 0
    /// SQLite page cache, in bytes, for a bulk load's sorts after the links merge (the event
    /// keys' `INSERT … ORDER BY` and the three index builds); nil: the 32 MiB the load used.
    /// SQLite's sorter cuts its sorted runs at the page cache's size (never below 250 pages,
    /// 3.9 MiB at the store's 16 KiB pages), so this is the size of each run sorted in memory:
    /// an 8 MiB run sorts largely in the CPU's caches, and the extra runs' merge costs less than
    /// that saves — 13–22 % less CPU in these phases at 1.0M and 5.9M rows, and in a synthetic
    /// 18.4M-row index build (imp39 in docs/benchmarks.md). The same rows in the same order: the same bytes.
    /// Clamped to 4 MiB … 1 GiB; the load's cache is set again once the index builds are done.
    public var sortCacheBytes: Int? = 8 << 20
    public init() {}
}

public struct ImportProgress: Sendable {
    public var phase: String
    public var file: String
    public var bytesDone: Int64
    public var bytesTotal: Int64?
    public var rows: Int64
    public var elapsed: Double
}

public struct FileSummary: Codable, Sendable, Equatable {
    public var path: String
    public var kind: ContractKind
    public var format: ContractFormat
    public var rowsRead: Int64 = 0
    public var stored: Int64 = 0
    public var updated: Int64 = 0
    public var duplicate: Int64 = 0
    public var rejected: Int64 = 0
    public var rejectsAlreadyRecorded: Int64 = 0
    public var bytes: Int64 = 0
    public var error: String?
}

public struct ImportSummary: Codable, Sendable {
    public var runID: Int64
    public var status: String
    public var files: [FileSummary]
    public var skipped: [String]
    public var rowsRead: Int64 { files.reduce(0) { $0 + $1.rowsRead } }
    public var stored: Int64 { files.reduce(0) { $0 + $1.stored } }
    public var updated: Int64 { files.reduce(0) { $0 + $1.updated } }
    public var duplicate: Int64 { files.reduce(0) { $0 + $1.duplicate } }
    public var rejected: Int64 { files.reduce(0) { $0 + $1.rejected } }
    public var bytes: Int64 { files.reduce(0) { $0 + $1.bytes } }
    public var seconds: Double
    public var indexSeconds: Double
    public var bulkIndexes: Bool

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", status, files, skipped, rowsRead = "rows_read", stored, updated, duplicate,
             rejected, bytes, seconds, indexSeconds = "index_seconds", bulkIndexes = "bulk_indexes"
    }
    public func encode(to e: Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(runID, forKey: .runID); try c.encode(status, forKey: .status)
        try c.encode(files, forKey: .files); try c.encode(skipped, forKey: .skipped)
        try c.encode(rowsRead, forKey: .rowsRead); try c.encode(stored, forKey: .stored)
        try c.encode(updated, forKey: .updated); try c.encode(duplicate, forKey: .duplicate)
        try c.encode(rejected, forKey: .rejected); try c.encode(bytes, forKey: .bytes)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encode((indexSeconds * 1000).rounded() / 1000, forKey: .indexSeconds)
        try c.encode(bulkIndexes, forKey: .bulkIndexes)
    }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        runID = try c.decode(Int64.self, forKey: .runID); status = try c.decode(String.self, forKey: .status)
        files = try c.decode([FileSummary].self, forKey: .files); skipped = try c.decode([String].self, forKey: .skipped)
        seconds = try c.decode(Double.self, forKey: .seconds); indexSeconds = try c.decode(Double.self, forKey: .indexSeconds)
        bulkIndexes = try c.decode(Bool.self, forKey: .bulkIndexes)
    }
    init(runID: Int64, status: String, files: [FileSummary], skipped: [String], seconds: Double, indexSeconds: Double, bulkIndexes: Bool) {
        self.runID = runID; self.status = status; self.files = files; self.skipped = skipped
        self.seconds = seconds; self.indexSeconds = indexSeconds; self.bulkIndexes = bulkIndexes
    }

    /// "stored 1,000,000 new rows, 0 updated, 12 duplicates, 3 rejected …"
    public var line: String {
        var parts = ["read \(rowsRead.grouped) rows", "stored \(stored.grouped) new"]
        if updated > 0 { parts.append("updated \(updated.grouped)") }
        parts.append("\(duplicate.grouped) duplicate\(duplicate == 1 ? "" : "s")")
        parts.append("\(rejected.grouped) rejected")
        var s = parts.joined(separator: ", ")
        s += " in \(String(format: "%.2f", seconds)) s"
        if seconds > 0 && rowsRead > 0 { s += " (\(Int64(Double(rowsRead) / seconds).grouped) rows/s)" }
        let knownRejects = files.reduce(0) { $0 + $1.rejectsAlreadyRecorded }
        if rowsRead > 0 && stored == 0 && updated == 0 && rejected == knownRejects { s += " — nothing new: everything was already in the store" }
        else if stored == 0 && updated == 0 && rowsRead > 0 && rejected == rowsRead { s += " — every row was rejected" }
        if rejected > 0 { s += "; see `riskdesk rejects --run \(runID)`" }
        return s
    }
}


/// Resolves paths into inputs and opens them, before anything touches the store: a file
/// that can't be read at all stops the import here, with the store unchanged.
public final class ImportPlan {
    public private(set) var inputs: [ImportInput] = []
    public private(set) var skipped: [String] = []
    var readers: [RecordReader] = []
    var formats: [ContractFormat] = []
    public let totalBytes: Int64?
    let compressedInput: Bool

    public init(paths: [String], options: ImportOptions) throws {
        var inputs: [ImportInput] = []
        var skipped: [String] = []
        let fm = FileManager.default
        if paths.isEmpty { throw ImportError("nothing to import: give files, folders, or - for standard input") }
        let stdinCount = paths.filter { $0 == "-" }.count
        if stdinCount > 1 {
            throw ImportError("standard input (-) is named \(stdinCount) times; it can be read only once, so name it once")
        }
        for path in paths {
            if let mapping = options.mapping {
                inputs += try Self.mappedInputs(path, mapping: mapping, skipped: &skipped)
                continue
            }
            if path == "-" {
                guard let kind = options.kind else {
                    throw ImportError("<stdin>: say what it holds with --kind events|accounts|items")
                }
                inputs.append(ImportInput(path: "-", kind: kind, format: options.format))
                continue
            }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw ImportError("\(path): no such file or folder") }
            if isDir.boolValue {
                let names: [String]
                do { names = try fm.contentsOfDirectory(atPath: path).sorted() } catch {
                    throw ImportError("\(path): cannot list folder: \(error.localizedDescription)")
                }
                var found: [ImportInput] = []
                for name in names where !name.hasPrefix(".") {
                    let full = (path as NSString).appendingPathComponent(name)
                    var sub: ObjCBool = false
                    fm.fileExists(atPath: full, isDirectory: &sub)
                    if sub.boolValue { skipped.append("\(full) (a folder; not searched)"); continue }
                    if let (kind, format) = ContractKind.recognise(fileName: name) {
                        found.append(ImportInput(path: full, kind: kind, format: format))
                    } else {
                        skipped.append("\(full) (not an accounts/items/events file)")
                    }
                }
                // Profiles and catalogue first, then events.
                let order: [ContractKind: Int] = [.accounts: 0, .items: 1, .events: 2]
                found.sort { (order[$0.kind]!, $0.path) < (order[$1.kind]!, $1.path) }
                if found.isEmpty { throw ImportError("\(path): no accounts/items/events files in this folder") }
                inputs += found
            } else {
                let name = (path as NSString).lastPathComponent
                let recognised = ContractKind.recognise(fileName: name)
                guard let kind = options.kind ?? recognised?.0 else {
                    throw ImportError("\(path): cannot tell whether it holds accounts, items or events from its name; pass --kind")
                }
                inputs.append(ImportInput(path: path, kind: kind, format: options.format ?? recognised?.1))
            }
        }
        if options.follow {
            guard inputs.count == 1, inputs[0].path != "-" else {
                throw ImportError("--follow reads exactly one growing file")
            }
        }
        self.inputs = inputs
        self.skipped = skipped
        var total: Int64 = 0
        var knowTotal = true
        var compressed = false
        for input in inputs {
            let raw: ByteSource
            if input.path == "-" {
                raw = FileSource(fd: 0, name: "<stdin>")
                knowTotal = false
            } else if options.follow {
                raw = try FollowSource(path: input.path)
                knowTotal = false
            } else {
                raw = try FileSource(path: input.path)
                // stat follows symbolic links: a link to a 2 GB export counts 2 GB, not the link's length.
                if let size = Self.fileSize(input.path) { total += size }
            }
            let (decoded, prefix) = try openDecoded(raw)
            if decoded !== raw { compressed = true }
            let buffer = InputBuffer(source: decoded, prefix: prefix)
            // Sniff the encoding when the name doesn't say.
            var format = input.format
            if format == nil {
                while buffer.available < 1, try buffer.fill() == .more {}
                var k = buffer.start
                while k < buffer.end, [9, 10, 13, 32, 0xEF, 0xBB, 0xBF].contains(buffer.base[k]) { k += 1 }
                format = (k < buffer.end && buffer.base[k] == UInt8(ascii: "{")) ? .jsonl : .csv
            }
            do {
                if let mapping = options.mapping {
                    readers.append(try MappedReader(buffer: buffer, mapping: mapping, labels: options.labels))
                    formats.append(mapping.shape == .jsonl ? .jsonl : .csv)
                    continue
                }
                switch format! {
                case .csv: readers.append(try CSVReader(buffer: buffer, kind: input.kind))
                case .jsonl: readers.append(JSONLReader(buffer: buffer, kind: input.kind))
                }
            } catch let e as ImportError where e.message.contains("empty file") {
                skipped.append("\(input.displayName) (empty file)")
                self.skipped = skipped
                readers.append(EmptyReader(source: decoded))
            }
            formats.append(format!)
        }
        totalBytes = knowTotal ? total : nil
        compressedInput = compressed
    }

    /// Size of the file a path names, through symbolic links.
    static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    /// A mapped import reads every file it is given, and every file of a folder it is given.
    static func mappedInputs(_ path: String, mapping: ImportMapping, skipped: inout [String]) throws -> [ImportInput] {
        if path == "-" { return [ImportInput(path: "-", kind: mapping.kind, format: nil)] }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw ImportError("\(path): no such file or folder") }
        guard isDir.boolValue else { return [ImportInput(path: path, kind: mapping.kind, format: nil)] }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: path).sorted() } catch {
            throw ImportError("\(path): cannot list folder: \(error.localizedDescription)")
        }
        var out: [ImportInput] = []
        for name in names where !name.hasPrefix(".") {
            let full = (path as NSString).appendingPathComponent(name)
            var sub: ObjCBool = false
            fm.fileExists(atPath: full, isDirectory: &sub)
            if sub.boolValue { skipped.append("\(full) (a folder; not searched)"); continue }
            out.append(ImportInput(path: full, kind: mapping.kind, format: nil))
        }
        if out.isEmpty { throw ImportError("\(path): no files in this folder") }
        return out
    }
}

/// Stands in for an empty file.
final class EmptyReader: RecordReader {
    let source: ByteSource
    init(source: ByteSource) { self.source = source }
    var line: Int { 0 }
    var raw: Slice { .absent }
    var inputBuffer: InputBuffer? { nil }
    func next(into slots: inout RowSlots) throws -> ReadOutcome { .end }
}

/// Streams a plan's inputs into the store in batched transactions.
public final class Importer {
    public let store: Store
    var db: Database { store.db }
    public var options: ImportOptions

    private var eventWriter: InternedWriter!
    /// A bulk load's batch time (`ImportOptions.bulkBatchSeconds`); nil otherwise.
    private var timedBatch: Double?
    /// Transactions committed by `run` (for tests).
    private(set) var commits = 0
    private var insertAccount: Statement!
    private var updateAccount: Statement!
    private var insertItem: Statement!
    private var updateItem: Statement!
    private var insertReject: Statement!
    private var upsertLink: Statement!
    private var upsertAccountStats: Statement!
    private var emailDomainDelete: Statement!
    private var emailDomainInsert: Statement!
    /// Links and account activity by interned id (v16), fed by `eventWriter` chunk by chunk.
    private let links = LinkAggregator()
    /// Events per (hour, type) of the open batch, added to `event_hourly` when it commits
    /// (the dashboards read that, not the events). Types are few: found by a short scan.
    private var hourly: [Int64: Int64] = [:]
    private var hourlyTypes: [[UInt8]] = []
    private var upsertHourly: Statement!
    private var stageLink: Statement!
    /// Keeps event_id unique (schema v11: compact keys, no unique index over the strings).
    private var dedupe: EventDedupe?

    private func countHourly(type: Slice, ts: Int64) {
        var t = hourlyTypes.firstIndex { type.equals($0) }
        if t == nil { hourlyTypes.append(Array(type.raw)); t = hourlyTypes.count - 1 }
        let hour = ts >= 0 ? ts / 3_600_000 : (ts - 3_599_999) / 3_600_000
        hourly[hour &* 256 &+ Int64(t!), default: 0] += 1
    }

    private func flushHourly() throws {
        for (key, n) in hourly {
            let hour = key >= 0 ? key / 256 : (key - 255) / 256
            let t = Int(key - hour * 256)
            try upsertHourly.bind([.int(hour), .text(String(decoding: hourlyTypes[t], as: UTF8.self)), .int(n)])
            try upsertHourly.execute()
        }
        hourly.removeAll(keepingCapacity: true)
    }
    private var lastTs: Int64 = 0
    private lazy var checker = RowChecker(timeWindow: options.timeWindow)
    private var runID: Int64 = 0
    private var started = Date()
    private var lastProgress = Date.distantPast
    private var rowsAll: Int64 = 0

    /// Estimated rows above which an events import into an existing store commits every 250k rows.
    static let dailyBatchFromRows: Int64 = 20_000

    /// A bulk load's rows per transaction (the batch not asked for): a twentieth of the input's
    /// estimated rows, 250k to 1M. Each commit writes every page of `idents`' unique index that
    /// its batch touched — identifiers are random keys, so with millions of them most of the
    /// index — so fewer commits write less. Measured (imp60, docs/benchmarks.md): a 19.8M-event
    /// load at 1M rows a batch instead of 250k, −4 s of 138–142 s wall and −2.5 s of system CPU,
    /// in each of two rounds. The ceiling is what was measured, and `bulkBatchSeconds` ends a
    /// batch sooner on a slow machine (a second writer waits for it); so past ~20M rows the
    /// commits grow with the load again (review60). A kill loses at most the batch under way.
    static func bulkBatchRows(estimatedRows: Int64?) -> Int {
        Int(min(max((estimatedRows ?? 0) / 20, 250_000), 1_000_000))
    }

    /// The daily case's one condition: auto index mode, the batch not asked for, an estimate of
    /// more than `dailyBatchFromRows` rows, an events input (`--follow` never gets here).
    static func isDailyCase(_ options: ImportOptions, estimatedRows: Int64?, plan: ImportPlan) -> Bool {
        guard options.indexMode == .auto && options.autoBatch, let est = estimatedRows, est > dailyBatchFromRows else { return false }
        return plan.inputs.contains(where: { $0.kind == .events })
    }

    public init(store: Store, options: ImportOptions = ImportOptions()) {
        self.store = store
        self.options = options
    }

    private func prepareStatements() throws {
        // Events go to events_i, their identifiers interned in idents (schema v14).
        eventWriter = try InternedWriter(db: db, fields: ContractKind.events.fields.map(\.name),
                                         chunkRows: options.internChunkRows, cacheEntries: options.internCacheEntries,
                                         dictionaryEntries: options.internDictionaryEntries)
        eventWriter.links = links
        eventWriter.linkFlushEntries = options.linkFlushEntries
        eventWriter.linksFull = { [unowned self] in
            try links.flush(link: upsertLink, account: upsertAccountStats, runID: runID)
        }
        let ac = ContractKind.accounts.fields.map(\.name)
        insertAccount = try db.prepare("""
            INSERT OR IGNORE INTO accounts(\(ac.joined(separator: ", ")), extra, in_profile, first_run)
            VALUES (\(Array(repeating: "?", count: ac.count + 1).joined(separator: ", ")), 1, ?)
            """)
        // An update only when something differs, so a re-import changes nothing.
        let acSet = ac.dropFirst().enumerated().map { "\($1) = ?\($0 + 2)" } + ["extra = ?\(ac.count + 1)", "in_profile = 1"]
        let acDiff = ac.dropFirst().enumerated().map { "\($1) IS NOT ?\($0 + 2)" } + ["extra IS NOT ?\(ac.count + 1)", "in_profile = 0"]
        updateAccount = try db.prepare("UPDATE accounts SET \(acSet.joined(separator: ", ")) WHERE account_id = ?1 AND (\(acDiff.joined(separator: " OR ")))")
        let it = ContractKind.items.fields.map(\.name)
        insertItem = try db.prepare("""
            INSERT OR IGNORE INTO items(\(it.joined(separator: ", ")), extra, first_run)
            VALUES (\(Array(repeating: "?", count: it.count + 2).joined(separator: ", ")))
            """)
        let itSet = it.dropFirst().enumerated().map { "\($1) = ?\($0 + 2)" } + ["extra = ?\(it.count + 1)"]
        let itDiff = it.dropFirst().enumerated().map { "\($1) IS NOT ?\($0 + 2)" } + ["extra IS NOT ?\(it.count + 1)"]
        updateItem = try db.prepare("UPDATE items SET \(itSet.joined(separator: ", ")) WHERE item_id = ?1 AND (\(itDiff.joined(separator: " OR ")))")
        insertReject = try db.prepare("""
            INSERT OR IGNORE INTO rejects(run_id, source, line, kind, raw, reason, raw_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        upsertLink = try db.prepare("""
            INSERT INTO links_i(kind, value, account_id, events, first_ts, last_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(kind, value, account_id) DO UPDATE SET events = events + excluded.events,
              first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)
            """)
        upsertAccountStats = try db.prepare("""
            INSERT INTO accounts(account_id, n_events, first_seen, last_seen, first_run)
                SELECT v, ?2, ?3, ?4, ?5 FROM idents WHERE id = ?1
            ON CONFLICT(account_id) DO UPDATE SET n_events = n_events + excluded.n_events,
              first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen),
              last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen)
            """)
        stageLink = try db.prepare("""
            INSERT INTO links_pending(kind, value, account_id, events, first_ts, last_ts, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """)
        upsertHourly = try db.prepare("""
            INSERT INTO event_hourly(hour, type, n) VALUES (?1, ?2, ?3) ON CONFLICT(hour, type) DO UPDATE SET n = n + excluded.n
            """)
        emailDomainDelete = try db.prepare("DELETE FROM links WHERE kind = 'email_domain' AND account_id = ?1")
        emailDomainInsert = try db.prepare("""
            INSERT OR REPLACE INTO links(kind, value, account_id, events, first_ts, last_ts)
            SELECT 'email_domain', lower(substr(email, instr(email, '@') + 1)), account_id, 1, created_at, created_at
            FROM accounts WHERE account_id = ?1 AND instr(email, '@') > 0
            """)
    }

    /// Runs the import. Throws only for errors that stop it (the store keeps every batch
    /// committed before); bad rows are rejects, not errors.
    public func run(_ plan: ImportPlan) throws -> ImportSummary {
        started = Date()
        // A bigger page cache for the writes; index builds sort through temp files, not RAM,
        // so memory stays flat whatever the input size.
        let cacheKiB = max(2048, (options.cacheBytes ?? 32 << 20) / 1024)
        try db.exec("PRAGMA cache_size = -\(cacheKiB)")
        try db.exec("PRAGMA temp_store = FILE")
        defer {
            try? db.exec("PRAGMA cache_size = -32768")
            try? db.exec("PRAGMA temp_store = MEMORY")
        }
        try prepareStatements()
        let sources = plan.inputs.map { $0.path == "-" ? "<stdin>" : absolute($0.path) }
        let sourcesJSON = "[" + sources.map { jsonString($0) }.joined(separator: ",") + "]"
        try db.run("INSERT INTO import_runs(started_at, sources, pid) VALUES (?, ?, ?)",
                   [.int(Timestamp.nowMs()), .text(sourcesJSON), .int(Int64(getpid()))])
        runID = db.lastInsertRowID
        for s in plan.skipped { options.note?("skipped \(s)") }

        // Bulk mode: a large load into a small store. Batches grow and the time index is built
        // once at the end. The journal stays WAL, so a killed import keeps whole batches and
        // other processes read throughout (writers wait for the busy timeout, then fail).
        var bulk = false
        var staged = false
        var estimatedRows: Int64?
        if let total = plan.totalBytes { estimatedRows = (plan.compressedInput ? total * 6 : total) / 160 }
        if options.indexMode != .keep && !options.follow {
            var large = options.indexMode == .rebuild
            var bigInput = large
            if !large, let total = plan.totalBytes {
                let estRows = (plan.compressedInput ? total * 6 : total) / 160
                let existing = try db.int("SELECT coalesce(max(id), 0) FROM events_i")
                bigInput = estRows > 200_000 && plan.inputs.contains(where: { $0.kind == .events })
                large = bigInput && estRows > existing * 2
            }
            // A large input into any store: links and account activity are staged and merged
            // once in key order, and batches are big, so each commit rewrites the pages of the
            // random-order indexes (event_id, account timeline) once per 250k rows, not per 20k.
            if bigInput && options.stageLinks {
                staged = true
                links.stage = stageLink
                links.stageDB = db
                // v17: each flush packed into blocks (~11 bytes an entry, no row per entry).
                if options.packStagedLinks && store.schemaVersion >= Schema.packedLinksVersion {
                    links.packed = try PackedLinkWriter(db: db)
                }
                if options.indexMode == .auto { options.batchRows = max(options.batchRows, 250_000) }
            }
            // The daily case (a day's events into a big store): one transaction per 250k rows
            // (`dailyBatchRows`) too, so each page of the random-order trees it touches (account
            // timeline, links, accounts) goes to the WAL once per batch, not once per 20k rows —
            // or one per file with `dailyOneTransaction` (not for a bulk load, whose batches are
            // set below). Small inputs (tests, a few edits) keep the batch asked for.
            if Self.isDailyCase(options, estimatedRows: estimatedRows, plan: plan) {
                options.batchRows = options.dailyOneTransaction && !large ? Int.max : options.dailyBatchRows
            }
            if large {
                bulk = true
                timedBatch = options.autoBatch ? options.bulkBatchSeconds : nil   // `--batch N` keeps N
                if options.indexMode == .auto {
                    options.batchRows = max(options.batchRows, options.autoBatch ? Self.bulkBatchRows(estimatedRows: estimatedRows) : 250_000)
                }
                try db.transaction {
                    for ix in Schema.rebuildableIndexes { try db.exec("DROP INDEX IF EXISTS \(ix.name)") }
                }
                // The store stays in WAL mode: readers (the workbench, `info`, `query`) keep
                // reading while the import writes, and need no writer to recover after a kill.
                try db.exec("PRAGMA synchronous = OFF")
                // Nothing is written in random key order now (no index, links staged): the
                // memory goes to the event-id sets instead of the page cache.
                try db.exec("PRAGMA cache_size = -32768")
                options.note?("large load into a small store: bigger batches, time index built once at the end")
            }
        }
        defer {
            if bulk {
                try? db.exec("PRAGMA synchronous = NORMAL")
            }
        }

        if plan.inputs.contains(where: { $0.kind == .events }) {
            dedupe = try EventDedupe(db: db, expectedRows: estimatedRows, pendingMax: options.dedupePendingMax,
                                     runDirectory: KeyRuns.directory(of: store.path))
            let w = eventWriter!
            w.runID = runID
            w.timelineOrder = options.timelineOrder && !bulk
            dedupe?.unwritten = { [unowned w] id, p, n in w.heldEventID(id: id, p, n) }
        }
        var files: [FileSummary] = []
        var status = "done"
        var failure: Error?
        for (i, input) in plan.inputs.enumerated() {
            var fs = FileSummary(path: sources[i], kind: input.kind, format: plan.formats[i])
            do {
                let stopped = try importFile(plan.readers[i], input: input, summary: &fs, totalBytes: plan.totalBytes)
                files.append(fs)
                if stopped { status = options.follow ? "done" : "interrupted"; break }
            } catch {
                fs.error = "\(error)"
                files.append(fs)
                status = "failed"
                failure = error
                break
            }
        }

        var indexSeconds = 0.0
        // SQLite's sorter (the merge's GROUP BY, index builds) may hold as much again as the
        // page cache: back to 32 MiB before sorting, so peak memory stays the load's. Not for
        // an import into an existing store (the daily case): its links merge inserts the new
        // links into `idx_links_account` in random order, and with 32 MiB a big store's index
        // misses on almost every one (each miss reads a page and spills a dirty one to the WAL);
        // the event-id sets are freed first, so peak memory stays about the load's.
        if bulk { try db.exec("PRAGMA cache_size = -32768") }
        // The sorts below are independent of the rows' parsing, which is done: SQLite's sorter
        // may sort and merge its runs on more cores (the same rows, the same order).
        if options.sorterThreads > 0 { try db.exec("PRAGMA threads = \(options.sorterThreads)") }
        defer { if options.sorterThreads > 0 { try? db.exec("PRAGMA threads = 0") } }
        // The event-id sets, the link aggregate and the row chunk are freed before the sorts. The staged links are merged (and
        // `links_pending` emptied) before the event keys are added, so the keys' new tree
        // reuses the pages the staging freed (as `Store.open` orders them after a kill).
        dedupe?.release()
        links.releaseMemory()
        eventWriter?.releaseMemory()
        if staged {
            links.stage = nil
            links.packed = nil
            report(phase: "merging links", file: "", done: 0, total: nil, force: true)
            let t0 = Date()
            do {
                // Each flush was staged sorted: merged as runs, not re-sorted.
                try db.transaction { try Schema.mergePendingLinkRuns(db, runStarts: links.runStarts, rebuildAccountIndexes: options.rebuildAccountIndexes) }
                links.forgetRuns()
            } catch {
                // Left staged: the next writer's open merges them.
                if failure == nil { status = "failed"; failure = error }
            }
            indexSeconds += Date().timeIntervalSince(t0)
        }
        if bulk, let bytes = options.sortCacheBytes {
            // The sorter's runs (see `ImportOptions.sortCacheBytes`): a tuning hint, so a failure to
            // set it is no failure of the import (review39b). Clamped to 4 MiB (SQLite's 250-page
            // minimum run at 16 KiB pages: below it every value acts the same) … 1 GiB (SQLite's
            // setting is 32-bit KiB). Back to the load's cache after the index builds.
            try? db.exec("PRAGMA cache_size = -\(min(max(bytes, 4 << 20), 1 << 30) / 1024)")
        }
        if dedupe != nil {
            // This import's event keys into event_keys, sorted: one pass over its rows.
            dedupe = nil
            report(phase: "adding event keys", file: "", done: 0, total: nil, force: true)
            let t0 = Date()
            do {
                try db.transaction { try EventKey.cover(db) }
            } catch {
                // Added when a writer next opens the store.
                if failure == nil { status = "failed"; failure = error }
            }
            indexSeconds += Date().timeIntervalSince(t0)
        }
        let missing = try store.missingIndexes()
        if bulk || !missing.isEmpty {
            let t0 = Date()
            for ix in Schema.rebuildableIndexes {
                report(phase: "indexing \(ix.name)", file: "", done: 0, total: nil, force: true)
                try db.exec(ix.sql)
            }
            indexSeconds += Date().timeIntervalSince(t0)
        }
        // The sorts are done: the statistics and the free-page return run at the load's cache, as measured.
        if bulk, options.sortCacheBytes != nil { try? db.exec("PRAGMA cache_size = -\(cacheKiB)") }
        // The planner's row for the (type, ts) index, so time ranges without a type skip-scan it
        // (v13). A hint, written in a few seeks; if it can't be written now, the last one stands.
        try? db.transaction { for sql in Schema.eventStatsSQL { try db.exec(sql) } }
        // What the import staged and emptied (`links_pending`, an event-key tier) is free pages:
        // given back, so the file is no bigger than its pages in use (`Store.returnFreePages`).
        if try store.hasReturnableFreePages() {
            report(phase: "returning free pages", file: "", done: 0, total: nil, force: true)
            // If it can't be done now (another writer), the next import reuses them.
            try? store.returnFreePages()
        }
        let elapsed = Date().timeIntervalSince(started)
        let summary = ImportSummary(runID: runID, status: status, files: files, skipped: plan.skipped,
                                    seconds: elapsed, indexSeconds: indexSeconds, bulkIndexes: bulk)
        try db.run("UPDATE import_runs SET finished_at = ?, status = ?, message = ? WHERE id = ?",
                   [.int(Timestamp.nowMs()), .text(status), failure.map { .text("\($0)") } ?? .null, .int(runID)])
        if let failure { throw ImportFailure(summary: summary, underlying: failure) }
        return summary
    }

    private func absolute(_ p: String) -> String {
        if p.hasPrefix("/") { return (p as NSString).standardizingPath }
        return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p) as NSString).standardizingPath
    }

    private func report(phase: String, file: String, done: Int64, total: Int64?, force: Bool = false) {
        guard let progress = options.progress else { return }
        let now = Date()
        if !force && now.timeIntervalSince(lastProgress) < 0.1 { return }
        lastProgress = now
        progress(ImportProgress(phase: phase, file: file, bytesDone: done, bytesTotal: total,
                                rows: rowsAll, elapsed: now.timeIntervalSince(started)))
    }

    /// Imports one file; returns true if asked to stop.
    private func importFile(_ reader: RecordReader, input: ImportInput, summary fs: inout FileSummary,
                            totalBytes: Int64?) throws -> Bool {
        let fields = input.kind.fields
        var slots = RowSlots(fieldCount: fields.count)
        let name = input.displayName
        let sourceName = fs.path
        var inBatch = 0
        var lastCommit = Date()
        var bytesBefore: Int64 = 0
        var pending = FileSummary(path: fs.path, kind: fs.kind, format: fs.format)
        try db.exec("BEGIN IMMEDIATE")
        var open = true
        if input.kind == .events { try dedupe?.catchUpOthers() }

        func commit() throws {
            guard open else { return }
            if input.kind == .events { try eventWriter.flush() }
            if !links.isEmpty { try links.flush(link: upsertLink, account: upsertAccountStats, runID: runID) }
            if !hourly.isEmpty { try flushHourly() }
            let bytesNow = reader.source.bytesConsumed
            try db.run("""
                UPDATE import_runs SET rows_read = rows_read + ?, rows_stored = rows_stored + ?, rows_updated = rows_updated + ?,
                  rows_duplicate = rows_duplicate + ?, rows_rejected = rows_rejected + ?, bytes_read = bytes_read + ? WHERE id = ?
                """, [.int(pending.rowsRead), .int(pending.stored), .int(pending.updated), .int(pending.duplicate),
                      .int(pending.rejected), .int(bytesNow - bytesBefore), .int(runID)])
            try db.exec("COMMIT")
            open = false
            commits += 1
            // Counted only once committed: a failed batch is not reported as stored.
            fs.rowsRead += pending.rowsRead; fs.stored += pending.stored; fs.updated += pending.updated
            fs.duplicate += pending.duplicate; fs.rejected += pending.rejected
            fs.rejectsAlreadyRecorded += pending.rejectsAlreadyRecorded
            fs.bytes = bytesNow
            bytesBefore = bytesNow
            pending = FileSummary(path: fs.path, kind: fs.kind, format: fs.format)
            inBatch = 0
            lastCommit = Date()
        }
        func begin() throws {
            if !open { try db.exec("BEGIN IMMEDIATE"); open = true; try dedupe?.catchUpOthers() }
        }

        do {
            loop: while true {
                if options.shouldStop() {
                    try commit()
                    return true
                }
                let outcome: ReadOutcome
                do {
                    outcome = try reader.next(into: &slots)
                } catch let signal as FollowSource.RestartSignal {
                    (reader as? CSVReader)?.restart()
                    (reader as? JSONLReader)?.restart()
                    (reader as? MappedReader)?.restart(continues: signal.continues)
                    options.note?(signal.continues
                        ? "\(name) was rewritten and starts as before; reading it again (rows already stored are skipped)"
                        : "\(name) was rotated or truncated; reading the new content from its start")
                    continue
                }
                switch outcome {
                case .end:
                    if let buf = reader.inputBuffer, let why = buf.breakMessage {
                        // Rows before the break are kept; the break itself is one reject that
                        // says where, so the loss is on record, and the next file is read.
                        let at = buf.brokenAt ?? 0
                        let reason = "\(name): \(why); rows up to decompressed byte \(at.grouped) (line \(reader.line)) were imported, "
                            + (buf.brokenTail.isEmpty ? "the rest of the file is missing" : "the cut-off line here and the rest of the file are missing")
                        pending.rowsRead += 1
                        try buf.brokenTail.withUnsafeBufferPointer { tail in
                            try reject(raw: Slice(ptr: tail.baseAddress, len: tail.count), line: reader.line + 1,
                                       source: sourceName, kind: input.kind, reason: reason, into: &pending)
                        }
                        fs.error = reason
                        options.note?(reason)
                    }
                    break loop
                case .idle:
                    if inBatch > 0 || Date().timeIntervalSince(lastCommit) >= options.commitInterval { try commit() }
                    report(phase: "following", file: name, done: reader.source.bytesConsumed, total: nil, force: false)
                    usleep(UInt32(options.pollInterval * 1_000_000))
                    try begin()
                    continue
                case .bad(let why):
                    pending.rowsRead += 1
                    try reject(reader, source: sourceName, kind: input.kind, reason: why, into: &pending)
                case .row:
                    pending.rowsRead += 1
                    switch input.kind {
                    case .events: try storeEvent(&slots, fields: fields, reader: reader, source: sourceName, into: &pending)
                    case .accounts: try storeProfile(&slots, fields: fields, reader: reader, source: sourceName, kind: .accounts, into: &pending)
                    case .items: try storeProfile(&slots, fields: fields, reader: reader, source: sourceName, kind: .items, into: &pending)
                    }
                }
                inBatch += 1
                rowsAll += 1
                if inBatch >= options.batchRows || (options.follow && Date().timeIntervalSince(lastCommit) >= options.commitInterval)
                    || (timedBatch != nil && inBatch >= options.bulkBatchTimedFromRows && inBatch & 4095 == 0
                        && Date().timeIntervalSince(lastCommit) >= timedBatch!) {
                    try commit()
                    try begin()
                }
                if rowsAll & 1023 == 0 {
                    report(phase: "importing", file: name, done: reader.source.bytesConsumed, total: totalBytes)
                }
            }
            try commit()
        } catch {
            if open { try? db.exec("ROLLBACK") }
            links.reset()
            eventWriter.discard()
            eventWriter.forgetCache()
            throw error
        }
        return false
    }

    private func reject(_ reader: RecordReader, source: String, kind: ContractKind, reason: String,
                        into fs: inout FileSummary) throws {
        try reject(raw: reader.raw, line: reader.line, source: source, kind: kind, reason: reason, into: &fs)
    }

    private func reject(raw: Slice, line: Int, source: String, kind: ContractKind, reason: String,
                        into fs: inout FileSummary) throws {
        var raw = raw
        raw.len = min(raw.len, maxRecordBytes)   // a huge record is kept as its first MiB
        let st = insertReject!
        st.bindInt(1, runID)
        st.bindText(2, source)
        st.bindInt(3, Int64(line))
        st.bindText(4, kind.rawValue)
        if let p = raw.ptr {
            if isValidUTF8(p, raw.len) { st.bindText(5, p, raw.len) } else { st.bindBlob(5, p, raw.len) }
        } else { st.bindText(5, "") }
        st.bindText(6, reason)
        st.bindInt(7, fnv1a(raw))
        try st.execute()
        fs.rejected += 1
        if db.changes == 0 { fs.rejectsAlreadyRecorded += 1 }
    }

    func fnv1a(_ s: Slice) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if let p = s.ptr { for i in 0..<s.len { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 } }
        return Int64(bitPattern: h)
    }

    /// Checks a row and binds its values (RowChecker.swift: the same checks for every store).
    private func bindFields<B: RowBinder>(_ st: B, _ slots: inout RowSlots, _ fields: [ContractField]) -> String? {
        checker.timeWindow = options.timeWindow
        let why = checker.bind(st, &slots, fields)
        lastTs = checker.lastTs
        return why
    }

    private func storeEvent(_ slots: inout RowSlots, fields: [ContractField], reader: RecordReader,
                            source: String, into fs: inout FileSummary) throws {
        let w = eventWriter!
        w.beginRow()
        if let why = bindFields(w, &slots, fields) {
            w.dropRow()
            try reject(reader, source: source, kind: .events, reason: why, into: &fs)
            return
        }
        let eventID = slots.values[0]
        let key = EventKey.hash(eventID.ptr, eventID.len)
        if let d = dedupe {
            if try d.contains(key: key, eventID.ptr!, eventID.len) { w.dropRow(); fs.duplicate += 1; return }
            let id = d.nextID
            w.keepRow(id: id)
            try d.add(key: key, id: id)
        } else {
            w.keepRow(id: nil)
        }
        if w.rows >= w.chunkRows { try w.flush() }
        fs.stored += 1
        // Links and account activity are aggregated by id when the chunk is written
        // (`InternedWriter.aggregateLinks`).
        countHourly(type: slots.values[3], ts: lastTs)
    }

    private func storeProfile(_ slots: inout RowSlots, fields: [ContractField], reader: RecordReader,
                              source: String, kind: ContractKind, into fs: inout FileSummary) throws {
        let ins = kind == .accounts ? insertAccount! : insertItem!
        let upd = kind == .accounts ? updateAccount! : updateItem!
        if let why = bindFields(ins, &slots, fields) {
            try reject(reader, source: source, kind: kind, reason: why, into: &fs)
            return
        }
        ins.bindInt(Int32(fields.count + 2), runID)
        try ins.execute()
        var inserted = false, updated = false
        if db.changes > 0 { fs.stored += 1; inserted = true } else {
            _ = bindFields(upd, &slots, fields)
            try upd.execute()
            if db.changes > 0 { fs.updated += 1; updated = true } else { fs.duplicate += 1 }
        }
        if kind == .accounts && (inserted || updated) {
            let id = slots.values[0]
            if updated {   // the email may have changed: forget the old domain
                emailDomainDelete.bindText(1, id.ptr!, id.len)
                try emailDomainDelete.execute()
            }
            emailDomainInsert.bindText(1, id.ptr!, id.len)
            try emailDomainInsert.execute()
        }
    }
}

/// An import that stopped on an error; `summary` says what was committed before it.
public struct ImportFailure: Error, CustomStringConvertible {
    public let summary: ImportSummary
    public let underlying: Error
    public var description: String { "\(underlying)" }
}

func jsonString(_ s: String) -> String { ResultWriter.jsonString(s) }
