import Assets
import Foundation
import RiskDetect
import RiskStore
import TerminalKit

/// Performs the store's reads and writes the reducer asks for: reads through the reader
/// handle, writes through the session's one writer.
public final class DataService {
    let reader: StoreReader
    let writer: StoreWriter
    let path: String
    let analyst: String

    /// Where dashboards and saved queries come from (built-in, user, project).
    public var catalog: AssetCatalog = .builtIn
    /// The themes `:theme` completes.
    public var themes = ThemeLibrary.builtIn

    /// `reader`: one the caller opened already (on a team store, the connection that checked
    /// the schema and the role: a login is a round of password exchange, not made twice).
    public init(path: String, analyst: String, reader opened: StoreReader? = nil) throws {
        self.path = path
        self.analyst = analyst
        reader = try opened ?? StoreReader(path: path)
        // The screens read pages of 100 rows by index: an 8 MiB page cache keeps them warm;
        // the 32 MiB default only grew the resident size by what one scan of a 100k-event
        // account touched once (measured with scripts/bench-tui, docs/benchmarks.md).
        // (A team store's cache is the server's.)
        if let local = reader.local { try local.db.exec("PRAGMA cache_size = -8192") }
        writer = StoreWriter(path: path)
    }

    public func interrupt() { reader.interrupt() }

    /// A read-only session (`tui --read-only`) owns no writer: every write is refused here,
    /// whatever the screens let through.
    public var readOnly: Bool {
        get { writer.readOnly }
        set { writer.readOnly = newValue }
    }

    /// Runs a read or a write; an error becomes the message the status line shows.
    func perform(_ work: () throws -> Loaded) -> Loaded {
        do { return try work() } catch let e as StoreError where e.isInterrupt {
            return .info("cancelled")
        } catch let e as PGError where e.isCancelled {
            return .info("cancelled")
        } catch {
            return .failed("\(error)")
        }
    }

    public func perform(_ r: StoreRead) -> Loaded { perform { try read(r) } }
    public func perform(_ w: StoreWrite) -> Loaded { perform { try write(w) } }

    func read(_ r: StoreRead) throws -> Loaded {
        let db = reader.db
        switch r {
        case .queuePage(let uid, let q, let dir, let anchor):
            return .queuePage(uid: uid, direction: dir, rows: try db.queuePage(q, direction: dir, anchor: anchor, limit: pageSize))
        case .queueCount(let uid, let q):
            return .queueCount(uid: uid, count: try db.queueCount(q))
        case .riskTypes(let uid):
            return .riskTypes(uid: uid, types: try db.riskTypeCounts())
        case .account(let uid, let id):
            let p = try db.accountProfile(id)
            let ids = p == nil ? [] : try db.identifiers(of: id)
            let linked = p == nil ? [] : try db.linkedAccounts(id)
            return .account(uid: uid, profile: p, identifiers: ids, linked: linked, daily: try dailyActivity(db, p))
        case .pivotPage(let uid, let kind, let value, let after, let sort):
            let rows = try db.pivotPage(kind: kind.rawValue, value: value, sort: sort, after: after, limit: pageSize)
            let sum = after == nil ? try db.pivotSummary(kind: kind.rawValue, value: value) : (0, 0)
            return .pivotPage(uid: uid, append: after != nil, rows: rows, accounts: sum.0, events: sum.1)
        case .timelinePage(let uid, let account, let types, let dir, let anchor, let from):
            return .timelinePage(uid: uid, direction: dir, rows: try db.timelinePage(account: account, types: types, direction: dir, anchor: anchor, from: from, limit: pageSize))
        case .activity(let uid, let account, let from, let to, let buckets):
            return .activity(uid: uid, lanes: try db.activity(account: account, from: from, to: to, buckets: buckets))
        case .eventDetail(let uid, let id):
            return .eventDetail(uid: uid, fields: try db.eventFields(id: id))
        case .complete(let prefix, _):
            return .completions(command: prefix, candidates: try completions(prefix))
        case .dashLoad(let uid, let name, let range):
            let panels = try Dashboards.build(db, name: name, range: range, catalog: catalog)
            // A team store has no version to poll: its changes arrive as messages (LiveChanges.swift).
            return .dash(.panels(uid: uid, panels: panels, version: try reader.dataVersion() ?? 0, available: Dashboards.available(catalog: catalog)))
        case .dashPoll(let uid):
            return .dash(.version(uid: uid, try reader.dataVersion() ?? 0))
        case .exportList(let list, let path):
            return try ListExporter(db: db).export(list, to: path)
        }
    }

    /// Events per day over the account's life, for its activity sparkline.
    func dailyActivity(_ db: SQLDatabase, _ p: AccountProfile?) throws -> [Double] {
        guard let p, let f = p.firstSeen, let l = p.lastSeen else { return [] }
        let days = Int((l - f) / 86_400_000) + 1
        var daily = Array(repeating: 0.0, count: min(days, 3650))
        for row in try db.rows("SELECT (ts - ?2) / 86400000, count(*) FROM events WHERE account_id = ?1 GROUP BY 1", [.text(p.account), .int(f)]) {
            if let d = row[0].int, d >= 0, Int(d) < daily.count { daily[Int(d)] = Double(row[1].int ?? 0) }
        }
        return daily
    }

    func write(_ w: StoreWrite) throws -> Loaded {
        let store = try writer.open()
        switch w {
        case .revealPII(let account, let reason):
            let values = try writer.revealPII(account, reason: reason, analyst: analyst, source: "tui")
            return .revealedPII(account: account, email: values?.email, phone: values?.phone,
                                message: "PII revealed for \(account) — in the audit trail as \(analyst)")
        case .label(let batch):
            return try LabelWriter(store: store, analyst: analyst).write(batch)
        case .setStatus(let account, let status):
            do { try store.setCaseStatus(account, status.rawValue, analyst: analyst, source: "tui") } catch let e as ClaimError { return .failed(e.description) }
            return .caseChanged(account: account, state: try store.database.caseState(account), message: "\(account): case \(status.rawValue)")
        case .claim(let account):
            do { try store.claim(account, analyst: analyst, takeover: false, source: "tui") } catch let e as ClaimError { return .failed(e.description) }
            return .caseChanged(account: account, state: try store.database.caseState(account), message: "\(account) claimed — yours to review")
        case .claimNext(let riskType):
            guard let id = try store.claimNext(analyst: analyst, riskType: riskType, source: "tui") else {
                return .info("no unclaimed, unlabelled case left\(riskType.map { " of \($0)" } ?? "")")
            }
            return .claimed(account: id, open: true)
        }
    }

    func completions(_ line: String) throws -> [String] {
        let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count <= 1 {
            let p = parts.first ?? ""
            return Commands.all.map { $0.0 }.filter { $0.hasPrefix(p) }.map { $0 + " " }
        }
        let cmd = parts[0], arg = parts[1]
        let like = arg.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "\\_") + "%"
        var values: [String] = []
        switch cmd {
        case "theme": values = themes.available.filter { $0.hasPrefix(arg) }
        case "sql", "open":
            values = SavedQuery.load(catalog: catalog).map(\.name).filter { $0.hasPrefix(arg) }
        case "dash":
            values = Dashboards.available(catalog: catalog).filter { $0.hasPrefix(arg) }
        case "batch":
            values = try reader.db.batches().map(\.name).filter { $0.hasPrefix(arg) }
        case "sort": values = QueueView.sortNames.filter { $0.hasPrefix(arg) }
        case "account", "a":
            values = try reader.db.rows("SELECT account_id FROM accounts WHERE account_id LIKE ? ESCAPE '\\' ORDER BY account_id LIMIT 20", [.text(like)]).compactMap { $0[0].string }
        default:
            if let kind = Commands.pivotKinds[cmd] {
                // The dictionary in string order, each entry checked for a link of the kind
                // (schema v16: `links` is a view ordered by id; this stops at the 20th value).
                values = try reader.db.rows("""
                    SELECT v FROM idents i WHERE v LIKE ?2 ESCAPE '\\' AND EXISTS (SELECT 1 FROM links_i l
                        WHERE l.kind = (SELECT code FROM link_kinds WHERE kind = ?1) AND l.value = i.id)
                    ORDER BY v LIMIT 20
                    """, [.text(kind.rawValue), .text(like)]).compactMap { $0[0].string }
            }
        }
        return values.map { "\(cmd) \($0)" }
    }
}

/// Workbench settings: the file the executable names (`--config`, `$RISKDESK_CONFIG`, else
/// ~/.config/riskdesk/config.toml); a file that isn't there means the defaults.
public struct WorkbenchConfig {
    public var theme: String?
    public var mouse = true
    public var analyst: String?
    /// Hours to review a case, per risk type (`[sla]` section: `ato = 4`; `default = 24` for the rest).
    public var sla: [String: Double] = [:]
    /// A label closes the account's case (`close_case_on_label = false` keeps it open).
    public var closeCaseOnLabel = true

    /// The longest review deadline a settings file may give: 100 years.
    public static let maxSLAHours = 876_000.0

    /// `path`: the settings file in effect (nil: none). `named`: someone named it (--config,
    /// RISKDESK_CONFIG), so it must exist; only the default one may be absent.
    public static func load(path: String?, named: Bool = false) throws -> WorkbenchConfig {
        var c = WorkbenchConfig()
        // A settings file someone named must exist; only the default one may be absent.
        if named, let path, !FileManager.default.fileExists(atPath: path) {
            throw ConfigError(file: path, line: 0, message: "no such settings file")
        }
        guard let path, FileManager.default.fileExists(atPath: path) else { return c }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= ConfigTOML.maxBytes else {
            throw ConfigError(file: path, line: 0, message: "too large for a settings file (\(size) bytes; at most \(ConfigTOML.maxBytes))")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(file: path, line: 0, message: "cannot read (not UTF-8 text?)")
        }
        for e in try ConfigTOML.parse(text, file: path) {
            let (key, value, line) = (e.key, e.value, e.line)
            switch key {
            case "theme":
                guard let s = value.string else { throw ConfigError(file: path, line: line, message: "theme must be a string, not \(value.typeName)") }
                c.theme = s
            case "mouse":
                guard case .bool(let b) = value else { throw ConfigError(file: path, line: line, message: "mouse must be true or false, not \(value.typeName)") }
                c.mouse = b
            case "close_case_on_label":
                guard case .bool(let b) = value else { throw ConfigError(file: path, line: line, message: "close_case_on_label must be true or false, not \(value.typeName)") }
                c.closeCaseOnLabel = b
            case "analyst":
                guard let s = value.string else { throw ConfigError(file: path, line: line, message: "analyst must be a string, not \(value.typeName)") }
                c.analyst = s
            case let k where k.hasPrefix("sla."):
                guard let hours = value.number else { throw ConfigError(file: path, line: line, message: "\(key) must be a number of hours") }
                guard hours > 0, hours.isFinite else { throw ConfigError(file: path, line: line, message: "\(key) must be more than 0 hours") }
                guard hours <= WorkbenchConfig.maxSLAHours else {
                    throw ConfigError(file: path, line: line, message: "\(key) must be at most \(Int(WorkbenchConfig.maxSLAHours)) hours (100 years)")
                }
                c.sla[String(k.dropFirst(4))] = hours
            default:
                throw ConfigError(file: path, line: line, message: "unknown setting '\(key)' (known: theme, mouse, analyst, close_case_on_label, [sla] RISK_TYPE = HOURS)")
            }
        }
        return c
    }
}

/// Runs the workbench: events → reducer → view → terminal, with reads on a worker thread.
public final class App {
    public private(set) var state: AppState
    public private(set) var theme: Theme
    let terminal: Terminal
    let data: DataService
    let baseTheme: Theme
    let noColor: Bool
    /// Tests run every read inline, so each key's effect is visible at once.
    let synchronous: Bool
    private let worker = DispatchQueue(label: "riskdesk.reads")
    private let lock = NSLock()
    private var inbox: [Loaded] = []
    private var inFlight = 0
    private var frameLog: FileHandle?
    private var detectCancel: CancelToken?
    let sql: SQLService
    private let sqlWorker = DispatchQueue(label: "riskdesk.sql")
    private var lastPoll: UInt64 = 0
    /// Another session's changes, as they commit (a team store; nil on a local one).
    private var listener: ChangeListener?
    /// Review deadlines per risk type, in hours.
    public var sla: [String: Double] {
        get { state.sla }
        set { state.sla = newValue }
    }
    /// A label closes the account's case (config `close_case_on_label`).
    public var closeCaseOnLabel: Bool {
        get { state.closeCaseOnLabel }
        set { state.closeCaseOnLabel = newValue }
    }
    /// Labelling, claiming and detection refused (`riskdesk tui --read-only`).
    public var readOnly: Bool {
        get { state.readOnly }
        set { state.readOnly = newValue; data.readOnly = newValue; sql.readOnly = newValue }
    }
    /// Where SQL rules, saved queries and dashboards come from (the executable layers the
    /// built-in ones under the user's and the project's folders).
    public var catalog: AssetCatalog = .builtIn {
        didSet { setQueryDirectories() }
    }
    /// The themes `:theme` knows.
    public var themes = ThemeLibrary.builtIn {
        didSet { data.themes = themes }
    }

    /// Only the rules, queries and dashboards of one `queries` folder (the folder above this
    /// rules folder), without the built-in ones.
    public var rulesDirectory: String? {
        get { catalog.folders(.rules).last?.path }
        set { catalog = newValue.map { AssetCatalog.queriesFolder(($0 as NSString).deletingLastPathComponent) } ?? AssetCatalog(includeBuiltIn: false) }
    }

    func setQueryDirectories() {
        sql.catalog = catalog
        data.catalog = catalog
    }

    /// `noColor`: the NO_COLOR convention (the executable reads it); `frameLog`: a file to
    /// write first-frame and per-frame timings to (RISKDESK_FRAME_LOG; nil: none).
    /// `reader`: the store's reader if the caller opened it already (see `DataService`).
    /// `launchedAt` (uptime ns) and `marks` (what the caller did before, and when): the frame
    /// log's start-up lines, so a slow first frame says where its time went.
    public init(storePath: String, terminal: Terminal, theme: Theme, analyst: String, synchronous: Bool = false,
                noColor: Bool = false, frameLog frameLogPath: String? = nil, reader: StoreReader? = nil,
                launchedAt: UInt64? = nil, marks: [(String, UInt64)] = []) throws {
        self.terminal = terminal
        self.synchronous = synchronous
        // A team store's listener connects on its own thread from now on (a second login the
        // first frame doesn't wait for; tests, synchronous, wait for it: see below).
        let feedConnecting = FeedConnecting(StoreLocation(storePath))
        var marks = marks
        func mark(_ what: String) { marks.append((what, DispatchTime.now().uptimeNanoseconds)) }
        mark("app")
        data = try DataService(path: storePath, analyst: analyst, reader: reader)
        mark("reader")
        sql = SQLService(path: storePath, analyst: analyst)
        self.noColor = noColor
        baseTheme = theme
        self.theme = theme.adapted(colors: terminal.colors, noColor: noColor)
        state = AppState(storeName: StoreLocation(storePath).shortName, width: terminal.width, height: terminal.height)
        state.analyst = analyst
        state.sqlDialect = sql.dialect
        setQueryDirectories()
        if let p = frameLogPath {
            FileManager.default.createFile(atPath: p, contents: nil)
            frameLog = FileHandle(forWritingAtPath: p)
        }
        if (try? data.reader.db.int("SELECT count(*) FROM (SELECT 1 FROM scores LIMIT 1) s")) == 1 { state.preferScoreOrder() }
        mark("scores")
        // Live: synchronous (tests) listens before the first page is read, so no change falls
        // between the two. Otherwise the first frame doesn't wait for the listener's login:
        // once it listens, the queue is read again, quietly, where the analyst is by then
        // (`refreshQueue`), which covers what changed before.
        if synchronous {
            if let feed = try feedConnecting.feed() {
                listener = ChangeListener(feed: feed) { [weak self] l in self?.deliver(l) }
            }
            listener?.start()
        } else if feedConnecting.connecting {
            listener = ChangeListener(connecting: feedConnecting) { [weak self] l in self?.deliver(l) }
        }
        // The first page is read before the first frame: it is one indexed page, ~1 ms.
        for r in state.start() {
            if case .read(let read) = r, case .queuePage = read { deliver(data.perform(read)) } else { submit(r) }
        }
        drain()
        // Not synchronous: the listener's login has been running since `feedConnecting` was
        // made; it is started (and may report "listening", which re-reads the queue) only now,
        // after the first page, so that re-read never overtakes the page and leaves the first
        // frame empty (a fast login on a quiet machine did).
        if !synchronous { listener?.start() }
        mark("first page")
        if let launchedAt {
            for (what, t) in marks { log("start \(what)", since: launchedAt, at: t) }
        }
    }

    deinit { listener?.stop() }

    /// Sends each effect to its executor: store reads and writes to the worker (in order),
    /// the console's work to its thread, detection to its own; synchronous mode runs them now.
    func submit(_ e: Effect) {
        switch e {
        case .read(let r): enqueue(on: worker) { [data] in data.perform(r) }
        case .write(let w): enqueue(on: worker) { [data] in data.perform(w) }
        case .console(.cancel): sql.interrupt()
        case .console(let c):
            sql.clearCancel()     // a Ctrl-C before this request was for the work before it
            enqueue(on: sqlWorker) { [sql] in sql.perform(c) }
        case .detect(.run(let choice)): startDetection(choice)
        case .detect(.cancel): detectCancel?.cancel()
        case .copy(let text): terminal.copyToClipboard(text)
        }
    }

    /// Runs `work` on a queue (inline in synchronous mode); its answer lands in the inbox.
    private func enqueue(on queue: DispatchQueue, _ work: @escaping () -> Loaded) {
        if synchronous { deliver(work()); return }
        lock.lock(); inFlight += 1; lock.unlock()
        queue.async {
            let result = work()
            self.lock.lock()
            self.inbox.append(result)
            self.inFlight -= 1
            self.lock.unlock()
        }
    }

    /// Detection on its own thread and its own (writable) connection; progress and the
    /// result arrive as messages like any read. The UI keeps answering keys meanwhile.
    func startDetection(_ choice: DetectChoice = .current) {
        if readOnly { deliver(.detectDone("read-only session: detection writes its results; it is off")); return }
        if StoreLocation(data.path).isTeam {
            deliver(.detectDone("on a team store detection runs from the command line, by a lead: riskdesk detect --store URL — the queue shows its scores when it is done"))
            return
        }
        let cancel = CancelToken()
        detectCancel = cancel
        let path = data.path, rules = catalog, analyst = state.analyst
        let work = { [weak self] in
            var last = -1
            do {
                let store = try Store(path: path)
                let done = try WorkbenchLearning.perform(choice, store: store, rules: rules, analyst: analyst, cancel: cancel) { stage, frac in
                    let pct = Int(frac * 100)
                    guard pct != last else { return }
                    last = pct
                    self?.deliver(.detectProgress("\(choice == .current ? "detecting" : "working") \(pct)% · \(stage) — :cancel stops it"))
                }
                self?.deliver(done)
            } catch let e as TrainError {
                self?.deliver(.detectDone("\(e.description)"))
            } catch is CancelledError {
                self?.deliver(.detectDone("detection cancelled; the previous results stand"))
            } catch {
                self?.deliver(.detectDone("detection failed: \(error)"))
            }
        }
        if synchronous { work(); return }
        lock.lock(); inFlight += 1; lock.unlock()
        let t = Thread { work(); self.lock.lock(); self.inFlight -= 1; self.lock.unlock() }
        t.stackSize = 8 << 20
        t.start()
    }

    func deliver(_ l: Loaded) {
        lock.lock(); inbox.append(l); lock.unlock()
    }

    /// Applies finished reads; returns true if anything changed.
    @discardableResult
    func drain() -> Bool {
        var changed = false
        while true {
            lock.lock()
            let batch = inbox
            inbox.removeAll()
            lock.unlock()
            if batch.isEmpty { return changed }
            for l in batch { for r in state.apply(l) { submit(r) } }
            changed = true
        }
    }

    /// Feeds one key through the reducer (and, in synchronous mode, its reads).
    public func send(_ key: Key) {
        if key == .resize { state.width = terminal.width; state.height = terminal.height }
        let before = state.stack.count, tabBefore = state.tab
        for r in state.handle(key) { submit(r) }
        if state.stack.count < before && state.tab == tabBefore { data.interrupt() }   // left a screen: stop its reads
        if let name = state.themeRequest {
            state.themeRequest = nil
            do {
                theme = try themes.load(name).adapted(colors: terminal.colors, noColor: noColor)
                state.say("theme \(theme.name)")
            } catch { state.say("\(error)", error: true) }
        }
        drain()
    }

    /// Shows a message in the status line (e.g. a warning from start-up).
    public func say(_ text: String, error: Bool = false) { state.say(text, error: error) }

    /// Runs a command-line command (as if typed after `:`).
    public func command(_ line: String) {
        for r in state.runCommand(line) { submit(r) }
        drain()
    }

    public func frame() -> Buffer { render(state, theme: theme) }

    /// The event loop, until quit. `launchedAt` (uptime ns) lets the frame log report the
    /// first frame's time since start.
    public func run(launchedAt: UInt64? = nil) {
        terminal.draw(frame())
        log("first-frame", since: launchedAt)
        var dirty = false
        var lastKeyAt: UInt64 = 0
        var lastKey = ""
        while !state.quit {
            lock.lock(); let busy = inFlight > 0 || !inbox.isEmpty; lock.unlock()
            if let key = terminal.nextEvent(timeoutMs: busy ? 4 : 200) {
                lastKeyAt = DispatchTime.now().uptimeNanoseconds
                lastKey = "\(key)"
                send(key)
                terminal.draw(frame())
                dirty = false
                log("key \(lastKey)", since: lastKeyAt)
                continue
            }
            if drain() { dirty = true }
            // A dashboard in view redraws when another process changes the store (import --follow, labels).
            let now = DispatchTime.now().uptimeNanoseconds
            if case .dash(let d) = state.top, d.autoRefresh, !d.loading, now - lastPoll > 2_000_000_000 {
                lastPoll = now
                submit(.read(.dashPoll(uid: d.uid)))
            }
            if dirty {
                terminal.draw(frame())
                dirty = false
                // A read finished after a key: how long the key took to show its data.
                log("loaded \(lastKey)", since: lastKeyAt)
            }
        }
        terminal.restore()
    }

    private func log(_ what: String, since t0: UInt64?, at t: UInt64? = nil) {
        guard let frameLog, let t0 else { return }
        let ms = Double(Int64(bitPattern: (t ?? DispatchTime.now().uptimeNanoseconds) &- t0)) / 1e6
        // A diagnostics log on a full disk must not stop the workbench (FileHandle.write traps).
        try? frameLog.write(contentsOf: Data("\(what)\t\(String(format: "%.3f", ms))\n".utf8))
    }
}

/// A team store's change feed, connecting on a thread of its own from the moment it is made;
/// `feed()` waits for it. A local store has none (nil at once).
final class FeedConnecting: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<ChangeFeed?, Error> = .success(nil)
    /// A team store: a feed is on its way.
    let connecting: Bool
    private let location: StoreLocation

    init(_ location: StoreLocation) {
        self.location = location
        guard case .postgres = location else { connecting = false; return }
        connecting = true
        Thread.detachNewThread { [self] in
            result = Result { try ChangeFeed.open(location) }
            done.signal()
        }
    }

    /// The listening feed (nil for a local store); throws what connecting threw.
    func feed() throws -> ChangeFeed? {
        guard connecting else { return nil }
        done.wait()
        done.signal()       // a second call returns the same answer
        return try result.get()
    }

    /// A new feed, when the first one could not connect (the listener tries again).
    func again() throws -> ChangeFeed? { try ChangeFeed.open(location) }
}
