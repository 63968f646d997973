import Foundation
import RiskStore

/// A SQL rule: a `queries/rules/*.sql` file whose header comment names it and whose query
/// returns `account_id` (and optionally `reason` and `evidence` columns).
///
///     -- id: shared_device_new_user_coupon
///     -- risk_type: deal_hunter
///     -- severity: medium            (low | medium | high | critical)
///     -- description: A new-user coupon redeemed by 3+ accounts on one device
///     -- dialect: sqlite              (optional: sqlite | postgresql; default both)
///     SELECT account_id, ... FROM ...
///
/// A rule runs on both stores when its SQL is portable (the team store has SQLite's
/// json_object / json_array / json_group_array / printf); one that needs one backend's
/// syntax says so with `-- dialect:` and is skipped, with a note, on the other.
public struct Rule: Sendable, Equatable {
    public var id: String
    public var riskType: String
    public var severity: String
    public var description: String
    public var sql: String
    public var file: String
    /// The one backend the rule is written for; nil: both.
    public var dialect: SQLDialect? = nil

    public static let severities = ["low": 0.2, "medium": 0.35, "high": 0.5, "critical": 0.7]
    public var strength: Double { Rule.severities[severity] ?? 0.35 }

    /// Parses a rule file; errors name the file and line.
    public static func parse(file: String, text: String) throws -> Rule {
        var fields: [String: String] = [:]
        var body: [Substring] = []
        var inHeader = true
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if inHeader && trimmed.hasPrefix("--") {
                guard let (key, value) = SQLHeader.field(trimmed) else { continue }   // a plain comment
                guard ["id", "risk_type", "severity", "description", "dialect"].contains(key) else {
                    if key.allSatisfy({ $0.isLetter || $0 == "_" }) && !key.isEmpty {
                        throw StoreError("\(file):\(n + 1): unknown header key '\(key)' (expected id, risk_type, severity, description, dialect)")
                    }
                    continue
                }
                if value.isEmpty { throw StoreError("\(file):\(n + 1): header '\(key)' has no value") }
                fields[key] = value
                continue
            }
            if inHeader && trimmed.isEmpty { continue }
            inHeader = false
            body.append(line)
        }
        for key in ["id", "risk_type", "severity", "description"] where fields[key] == nil {
            throw StoreError("\(file):1: rule header lacks '-- \(key): …'")
        }
        let sev = fields["severity"]!.lowercased()
        guard severities[sev] != nil else {
            throw StoreError("\(file): severity '\(fields["severity"]!)' is not one of low, medium, high, critical")
        }
        let sql = body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if sql.isEmpty { throw StoreError("\(file): rule has no query") }
        let id = fields["id"]!
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw StoreError("\(file): rule id '\(id)' may only hold letters, digits, '_' and '-'")
        }
        var dialect: SQLDialect?
        if let d = fields["dialect"]?.lowercased(), d != "any" {
            guard let v = SQLDialect(rawValue: d == "postgres" ? "postgresql" : d) else {
                throw StoreError("\(file): dialect '\(fields["dialect"]!)' is not one of sqlite, postgresql")
            }
            dialect = v
        }
        return Rule(id: id, riskType: fields["risk_type"]!, severity: sev, description: fields["description"]!, sql: sql, file: file,
                    dialect: dialect)
    }

    /// Every `*.sql` in `dir`, sorted by name: the rules that parse, and an error per file that doesn't.
    public static func load(dir: String) -> (rules: [Rule], errors: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return ([], []) }
        var rules: [Rule] = [], errors: [String] = []
        var seen: [String: String] = [:]
        for name in names.sorted() where name.hasSuffix(".sql") {
            let path = (dir as NSString).appendingPathComponent(name)
            do {
                guard let data = FileManager.default.contents(atPath: path) else { throw StoreError("\(path): cannot read") }
                guard let text = String(data: data, encoding: .utf8) else { throw StoreError("\(path): not UTF-8 text") }
                let r = try parse(file: path, text: text)
                if let other = seen[r.id] { throw StoreError("\(path): rule id '\(r.id)' is already used by \(other)") }
                seen[r.id] = path
                rules.append(r)
            } catch {
                errors.append("\(error)")
            }
        }
        return (rules, errors)
    }

    /// `group`: an optional column naming the set of accounts acting together that this hit
    /// belongs to (e.g. the seller and the copied text); hits with the same value form one group,
    /// numbered per rule, and a group's evidence flows to its members (docs/detection.md).
    public struct Hit: Sendable {
        public var account: String; public var reason: String?; public var evidence: String?; public var group: String? = nil
    }

    /// Runs the rule on its own read-only connection to the store, whichever backend.
    /// `timeLimit`: seconds the rule may run (nil: no limit); a rule still running then is
    /// stopped and fails with an error naming its file and the limit (one rule that never ends
    /// — a recursive CTE without a bound — must not hang `detect`).
    public func run(location: StoreLocation, cancel: CancelToken? = nil, timeLimit: Double? = nil) throws -> [Hit] {
        switch location {
        case .sqlite(let path): return try run(storePath: path, cancel: cancel, timeLimit: timeLimit)
        case .postgres(let url): return try run(postgresURL: url, cancel: cancel, timeLimit: timeLimit)
        }
    }

    private func timeLimitError(_ limit: Double) -> StoreError {
        let secs = limit == limit.rounded() ? String(Int(limit)) : String(format: "%.1f", limit)
        return StoreError("\(file): rule '\(id)' stopped after \(secs) s, the time limit for one rule (detect --rule-time-limit SECONDS; 0: none)")
    }

    /// Why this rule doesn't run on a store of `dialect` (nil: it does).
    public func skipped(on dialect: SQLDialect) -> String? {
        guard let mine = self.dialect, mine != dialect else { return nil }
        return "\(file): rule '\(id)' is written for \(mine.displayName) (-- dialect: \(mine.rawValue)); not run on this \(dialect.displayName) store"
    }

    /// On a team store: a read-only transaction on a connection of its own (cancel: PQcancel).
    func run(postgresURL url: String, cancel: CancelToken?, timeLimit: Double? = nil) throws -> [Hit] {
        if let why = skipped(on: .postgresql) { throw StoreError(why) }
        do {
            let pg = try PGConnection(url: url)
            try pg.exec("SET default_transaction_read_only = on")
            if let timeLimit { try pg.exec("SET statement_timeout = \(max(1, Int((timeLimit * 1000).rounded())))") }
            cancel?.whenCancelled { pg.cancel() }
            try cancel?.check()
            var hits: [Hit] = []
            var columns: (account: Int, reason: Int?, evidence: Int?, group: Int?)?
            var seen = Set<String>()
            try pg.each(sql, []) { r in
                if columns == nil {
                    let names = r.columnNames.map { $0.lowercased() }
                    guard let ai = names.firstIndex(of: "account_id") else {
                        throw StoreError("the query returns no account_id column (it returns \(names.joined(separator: ", ")))")
                    }
                    columns = (ai, names.firstIndex(of: "reason"), names.firstIndex(of: "evidence"), names.firstIndex(of: "group"))
                }
                let c = columns!
                guard let a = r.text(c.account), !a.isEmpty, seen.insert(a).inserted else { return true }
                hits.append(Hit(account: a, reason: c.reason.flatMap { r.text($0) }, evidence: c.evidence.flatMap { r.text($0) },
                                group: c.group.flatMap { r.text($0) }))
                return true
            }
            return hits
        } catch let e as PGError {
            if cancel?.isCancelled == true { throw CancelledError() }
            // 57014 is both a cancel and the statement timeout: without a cancel, the timeout.
            if e.isCancelled, let timeLimit { throw timeLimitError(timeLimit) }
            if e.isCancelled { throw CancelledError() }
            let what = e.message.contains("cannot insert multiple commands") ? "a rule is one SELECT statement" : e.description
            throw StoreError("\(file): rule '\(id)': \(what) (on PostgreSQL: write the rule in SQL both stores run, or head it `-- dialect: sqlite`)")
        } catch let e as StoreError {
            throw StoreError("\(file): rule '\(id)': \(e.message)", code: e.code)
        }
    }

    /// Runs the rule on a read-only connection; errors name the file and carry SQLite's message.
    public func run(storePath: String, cancel: CancelToken? = nil, timeLimit: Double? = nil) throws -> [Hit] {
        if let why = skipped(on: .sqlite) { throw StoreError(why) }
        let db = try Database(path: storePath, flags: [.readOnly])
        db.setBusyTimeout(ms: 10_000)
        try db.exec("PRAGMA query_only = ON")
        cancel?.whenCancelled { db.interrupt() }
        // sqlite3_interrupt stops only statements already running: a cancel that lands after
        // the check before this rule but before its statement starts would be lost, and a
        // long rule would run on. The interrupt check sees the token whenever it was set, and
        // the clock against the rule's time limit.
        let deadline = timeLimit.map { ProcessInfo.processInfo.systemUptime + $0 }
        func pastDeadline() -> Bool { deadline.map { ProcessInfo.processInfo.systemUptime >= $0 } ?? false }
        if cancel != nil || deadline != nil { db.setInterruptCheck { cancel?.isCancelled == true || pastDeadline() } }
        do {
            var hits: [Hit] = []
            var ran = false
            try db.prepareEach(sql) { st in
                guard !ran else { throw StoreError("a rule is one SELECT statement") }
                ran = true
                let names = st.columnNames.map { $0.lowercased() }
                guard let ai = names.firstIndex(of: "account_id") else {
                    throw StoreError("the query returns no account_id column (it returns \(names.joined(separator: ", ")))")
                }
                let ri = names.firstIndex(of: "reason"), ei = names.firstIndex(of: "evidence"), gi = names.firstIndex(of: "group")
                var seen = Set<String>()
                while try st.step() {
                    guard let a = st.value(ai).description.nilIfEmpty, st.value(ai) != .null, seen.insert(a).inserted else { continue }
                    hits.append(Hit(account: a, reason: ri.flatMap { st.text($0) }, evidence: ei.flatMap { st.text($0) },
                                    group: gi.flatMap { st.text($0) }))
                }
            }
            if !ran { throw StoreError("the file holds no statement") }
            return hits
        } catch let e as StoreError {
            if cancel?.isCancelled == true { throw CancelledError() }
            if let timeLimit, pastDeadline() { throw timeLimitError(timeLimit) }
            throw StoreError("\(file): rule '\(id)': \(e.message)", code: e.code)
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// The `-- key: value` comment lines that head rule and dashboard files.
public enum SQLHeader {
    /// Key (lower-cased) and value of a trimmed `-- key: value` line; nil for a comment
    /// without a colon or a line that isn't a comment.
    public static func field(_ trimmed: String) -> (key: String, value: String)? {
        guard trimmed.hasPrefix("--") else { return nil }
        let content = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
        guard let colon = content.firstIndex(of: ":") else { return nil }
        return (content[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
                content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}
