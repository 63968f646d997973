import Foundation
import RiskStore

/// A SQL rule: a `queries/rules/*.sql` file whose header comment names it and whose query
/// returns `account_id` (and optionally `reason` and `evidence` columns).
///
///     -- id: shared_device_new_user_coupon
///     -- risk_type: deal_hunter
///     -- severity: medium            (low | medium | high | critical)
///     -- description: A new-user coupon redeemed by 3+ accounts on one device
///     SELECT account_id, ... FROM ...
public struct Rule: Sendable, Equatable {
    public var id: String
    public var riskType: String
    public var severity: String
    public var description: String
    public var sql: String
    public var file: String

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
                guard ["id", "risk_type", "severity", "description"].contains(key) else {
                    if key.allSatisfy({ $0.isLetter || $0 == "_" }) && !key.isEmpty {
                        throw StoreError("\(file):\(n + 1): unknown header key '\(key)' (expected id, risk_type, severity, description)")
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
        return Rule(id: id, riskType: fields["risk_type"]!, severity: sev, description: fields["description"]!, sql: sql, file: file)
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

    public struct Hit: Sendable { public var account: String; public var reason: String?; public var evidence: String? }

    /// Runs the rule on a read-only connection; errors name the file and carry SQLite's message.
    public func run(storePath: String, cancel: CancelToken? = nil) throws -> [Hit] {
        let db = try Database(path: storePath, flags: [.readOnly])
        db.setBusyTimeout(ms: 10_000)
        try db.exec("PRAGMA query_only = ON")
        cancel?.whenCancelled { db.interrupt() }
        // sqlite3_interrupt stops only statements already running: a cancel that lands after
        // the check before this rule but before its statement starts would be lost, and a
        // long rule would run on. The interrupt check sees the token whenever it was set.
        if let cancel { db.setInterruptCheck { cancel.isCancelled } }
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
                let ri = names.firstIndex(of: "reason"), ei = names.firstIndex(of: "evidence")
                var seen = Set<String>()
                while try st.step() {
                    guard let a = st.value(ai).description.nilIfEmpty, st.value(ai) != .null, seen.insert(a).inserted else { continue }
                    hits.append(Hit(account: a, reason: ri.flatMap { st.text($0) }, evidence: ei.flatMap { st.text($0) }))
                }
            }
            if !ran { throw StoreError("the file holds no statement") }
            return hits
        } catch let e as StoreError {
            if cancel?.isCancelled == true { throw CancelledError() }
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
