import ArgumentParser
import Assets
import Foundation
import RiskDetect
import RiskDemo
import RiskImport
import RiskStore
import Workbench

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run SQL against the store and stream the rows (read-only unless --write).",
        discussion: "Tables: accounts, items, events, rejects, import_runs; views with ISO times: events_iso, accounts_iso. See docs/schema.md.")
    @OptionGroup var store: StoreOption
    @Argument(help: "SQL; several statements separated by ';' run in turn.") var sql: String?
    @Option(help: "Read the SQL from a file, or a saved query by name (built-in, ~/.config/riskdesk/queries, ./queries).") var file: String?
    @Option(help: "A value for a named parameter: --param account_id=123 (repeatable).") var param: [String] = []
    @Option(help: "table, csv, json or jsonl.") var format: ResultFormat = .table
    @Flag(help: "Allow statements that change the store.") var write = false
    @OptionGroup var output: OutputOption
    @OptionGroup var reveal: RevealOption

    func run() throws {
        Interrupt.install()
        try guarded {
            guard (sql == nil) != (file == nil) else { throw CLIError("give the SQL as an argument or with --file, one of them") }
            var text = sql ?? ""
            if let file {
                if !FileManager.default.fileExists(atPath: file), !file.contains("/"),
                   let saved = Folders.catalog().asset(.queries, named: file.hasSuffix(".sql") ? String(file.dropLast(4)) : file) {
                    text = saved.text      // a saved query by name: built-in, the user's or the project's
                } else {
                    guard let t = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError("\(file): cannot read (missing, or not UTF-8 text)") }
                    text = t
                }
            }
            var values: [String: String] = [:]
            for p in param {
                guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw CLIError("--param '\(p)': expected NAME=VALUE") }
                values[String(p[..<eq]).trimmingCharacters(in: CharacterSet(charactersIn: ":@$ "))] = String(p[p.index(after: eq)...])
            }
            if store.location.isTeam {
                if reveal.revealed {
                    throw CLIError("--reveal-pii: on a team store PII is revealed one account at a time, audited by the server: riskdesk query --write \"SELECT * FROM riskdesk_reveal_pii('ACCOUNT', 'REASON', 'cli')\"")
                }
                let r = try SQLReader(store.location, maskPII: true, write: write)
                try output.write { out in try runTeamStatements(text, values: values, db: r.database, out: out) }
                return
            }
            try reveal.audit(storePath: store.path, what: "query: " + text,
                             account: values["account_id"].map { $0.isEmpty ? PII.everyAccount : $0 } ?? PII.everyAccount)
            let s = try Store(path: store.path, readOnly: !write, mustExist: true, maskPII: !reveal.revealed)
            do {
                try output.write { out in try runStatements(text, values: values, store: s, out: out) }
            } catch { throw explainRefusal(error, write: write) }
        }
    }

    /// On a team store (PostgreSQL's dialect): each statement in turn, `:name` parameters
    /// from --param, read-only transactions unless --write.
    func runTeamStatements(_ text: String, values: [String: String], db: SQLDatabase, out: CheckedOutput) throws {
        let statements = PGConnection.statements(text)
        if statements.isEmpty { throw CLIError("no SQL statement to run") }
        for (k, statement) in statements.enumerated() {
            let index = k + 1
            let (sql, names, _) = PGConnection.namedParameters(statement)
            let args: [SQLValue] = try names.map { name in
                guard let v = values[name] else {
                    throw CLIError("statement \(index): parameter :\(name) has no value (pass --param \(name)=VALUE)")
                }
                return SQLService.bindValue(v)
            }
            do {
                _ = try ResultWriter(format: format, out: out.write).write(db, sql, args, changed: { c in
                    if write { out.write("ok (\(c) row\(c == 1 ? "" : "s") changed)\n") }
                }, shouldStop: { Interrupt.isRequested || out.failed })
            } catch {
                if let why = SQLReader.explain(error, write: write) {
                    throw CLIError("statement \(index): \(why): \(statement.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80))")
                }
                throw CLIError("statement \(index): \(error)")
            }
            if Interrupt.isRequested { throw CLIError("interrupted; nothing more written", code: 130) }
        }
    }

    /// Runs each statement in turn, streaming its rows to `out`.
    func runStatements(_ text: String, values: [String: String], store s: Store, out: CheckedOutput) throws {
        var index = 0
        try s.db.prepareEach(text) { st in
            index += 1
            if !write && !st.isReadOnly {
                throw CLIError("statement \(index) would change the store; refused (pass --write to allow it): \(st.sql.prefix(80))")
            }
            for i in 0..<st.parameterCount {
                guard let name = st.parameterName(i + 1) else {
                    throw CLIError("statement \(index): positional parameter ?\(i + 1); name it (:name) and pass --param name=VALUE")
                }
                guard let v = values[String(name.dropFirst())] else {
                    throw CLIError("statement \(index): parameter \(name) has no value (pass --param \(name.dropFirst())=VALUE)")
                }
                try st.bind(SQLService.bindValue(v), at: i + 1)
            }
            if st.columnCount == 0 {
                let meter = s.db.changeMeter()
                try st.step()
                let n = meter()
                if write { out.write("ok (\(n) row\(n == 1 ? "" : "s") changed)\n") }
                return
            }
            try ResultWriter(format: format, out: out.write).write(st, shouldStop: { Interrupt.isRequested || out.failed })
            if Interrupt.isRequested { throw CLIError("interrupted; nothing more written", code: 130) }
        }
    }
}

extension Demo {
    /// `demo --store postgresql://…` (a lead): simulate, import with COPY, detect on the server.
    func teamDemo(url: String) throws {
        if fresh { throw CLIError("--fresh would empty a shared team store; give the demo a database of its own instead") }
        // The one-command team demo: into a database that is not a team store yet, its owner
        // sets one up first (`team init`; anyone else is told to ask the owner).
        if try PGConnection(url: url).scalar("SELECT to_regclass('riskdesk_schema')::text") == .null {
            let r = try PGStore.teamInit(url: url)
            warn("set up a team store (schema v\(r.to), roles riskdesk_analyst / riskdesk_lead); add people with `riskdesk team add NAME --role analyst|lead --store URL`")
        }
        let team = try PGStore(url: url)
        try requireLead(team, "the team demo (it imports and detects)")
        var o = DemoPipeline.Options(storePath: url, workDirectory: (NSTemporaryDirectory() as NSString).appendingPathComponent("riskdesk-demo-\(getpid())"))
        o.accounts = accounts; o.days = days; o.seed = seed
        let catalog = Folders.catalog()
        let truth = "riskdesk-team-demo.truth.csv"
        let r = try DemoPipeline.runTeam(o, store: team, truthPath: truth, rules: catalog, detectors: standardDetectors(), note: { warn($0) }) { dir in
            var options = ImportOptions()
            options.shouldStop = { Interrupt.isRequested }
            try TeamImport.run(url: url, plan: try ImportPlan(paths: [dir], options: options), options: options, quiet: false, json: false)
        }
        if !r.built && r.detection == nil { warn("the team store already holds events and a detection run: nothing to do") }
        warn("demo team store ready: \(team.displayURL)" + (r.truthPath.map { " (ground truth: \($0); `riskdesk eval --truth \($0)`)" } ?? ""))
        // Then the workbench on it, as a local demo opens its store (you act as your role).
        if !noOpen { try openWorkbench(storePath: url, theme: theme, config: nil, analyst: nil) }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a marketplace, import it into a demo store, and open the workbench on it.")
    @Option(name: .long, help: "Demo store (default: riskdesk-demo.db, or $RISKDESK_STORE).") var store: String?
    @Option(help: "Accounts to simulate.") var accounts = 20_000
    @Option(help: "Days to simulate.") var days = 30
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Flag(help: "Build the store again even if it exists.") var fresh = false
    @Flag(help: "Build the store but don't open the workbench.") var noOpen = false
    @Option(help: "Colour theme for the workbench.") var theme: String?

    func run() throws {
        Interrupt.install()
        try guarded {
            let path = store ?? Folders.variable("RISKDESK_STORE") ?? "riskdesk-demo.db"
            if StoreLocation(path).isTeam { try teamDemo(url: path); return }
            var o = DemoPipeline.Options(storePath: path,
                                         workDirectory: (NSTemporaryDirectory() as NSString).appendingPathComponent("riskdesk-demo-\(getpid())"))
            o.accounts = accounts; o.days = days; o.seed = seed; o.fresh = fresh
            let catalog = Folders.catalog()
            let bar = ProgressBar(enabled: isatty(2) != 0)
            _ = try DemoPipeline.run(o, rules: catalog, detectors: standardDetectors(), note: { line in
                bar.clear()
                warn(line)
                if line.hasPrefix("detecting") { Folders.warnMissing(catalog, kinds: [.rules]) }
            }, importProgress: { bar.update($0) }, shouldStop: { Interrupt.isRequested })
            bar.clear()
            warn("demo store ready: \(path)")
            if noOpen { return }
            try openWorkbench(storePath: path, theme: theme, config: nil, analyst: nil)
        }
    }
}
