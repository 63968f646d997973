import Assets
import Foundation

/// SQL as text: tokens for highlighting, statement boundaries, parameters, completion words.
public enum SQLText {
    public enum Kind: Equatable, Sendable { case space, comment, string, quotedName, number, keyword, function, word, parameter, punct }

    public struct Token: Equatable, Sendable {
        public var kind: Kind
        public var start: Int      // character offsets, end exclusive
        public var end: Int
    }

    public static let keywords: Set<String> = [
        "ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS", "ANALYZE", "AND", "AS", "ASC", "ATTACH", "AUTOINCREMENT",
        "BEFORE", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST", "CHECK", "COLLATE", "COLUMN", "COMMIT", "CONFLICT",
        "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT",
        "DEFERRED", "DELETE", "DESC", "DETACH", "DISTINCT", "DO", "DROP", "EACH", "ELSE", "END", "ESCAPE", "EXCEPT", "EXCLUDE",
        "EXCLUSIVE", "EXISTS", "EXPLAIN", "FILTER", "FIRST", "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL", "GLOB", "GROUP",
        "GROUPS", "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED", "INNER", "INSERT", "INSTEAD", "INTERSECT",
        "INTO", "IS", "ISNULL", "JOIN", "KEY", "LAST", "LEFT", "LIKE", "LIMIT", "MATCH", "MATERIALIZED", "NATURAL", "NO", "NOT",
        "NOTHING", "NOTNULL", "NULL", "NULLS", "OF", "OFFSET", "ON", "OR", "ORDER", "OTHERS", "OUTER", "OVER", "PARTITION",
        "PLAN", "PRAGMA", "PRECEDING", "PRIMARY", "QUERY", "RANGE", "RECURSIVE", "REFERENCES", "REGEXP", "REINDEX", "RELEASE",
        "RENAME", "REPLACE", "RESTRICT", "RETURNING", "RIGHT", "ROLLBACK", "ROW", "ROWS", "SAVEPOINT", "SELECT", "SET", "TABLE",
        "TEMP", "TEMPORARY", "THEN", "TIES", "TO", "TRANSACTION", "TRIGGER", "UNBOUNDED", "UNION", "UNIQUE", "UPDATE", "USING",
        "VACUUM", "VALUES", "VIEW", "VIRTUAL", "WHEN", "WHERE", "WINDOW", "WITH", "WITHOUT",
    ]

    public static let functions: [String] = [
        "abs", "avg", "char", "coalesce", "count", "cume_dist", "date", "datetime", "dense_rank", "first_value", "format",
        "glob", "group_concat", "hex", "ifnull", "iif", "instr", "json", "json_array", "json_array_length", "json_each",
        "json_extract", "json_group_array", "json_group_object", "json_object", "json_tree", "julianday", "lag", "last_value",
        "lead", "length", "like", "lower", "ltrim", "max", "min", "nth_value", "ntile", "nullif", "percent_rank", "printf",
        "quote", "random", "rank", "replace", "round", "row_number", "rtrim", "sign", "strftime", "substr", "sum", "time",
        "total", "trim", "typeof", "unicode", "unixepoch", "upper",
    ]
    static let functionSet = Set(functions)

    public static func tokens(_ text: String) -> [Token] { tokens(Array(text)) }

    public static func tokens(_ c: [Character]) -> [Token] {
        var out: [Token] = []
        var i = 0
        let n = c.count
        func isIdent(_ ch: Character) -> Bool { ch.isLetter || ch.isNumber || ch == "_" || ch == "$" }
        while i < n {
            let start = i
            let ch = c[i]
            var kind: Kind
            if ch.isWhitespace {
                while i < n && c[i].isWhitespace { i += 1 }
                kind = .space
            } else if ch == "-" && i + 1 < n && c[i + 1] == "-" {
                while i < n && c[i] != "\n" { i += 1 }
                kind = .comment
            } else if ch == "/" && i + 1 < n && c[i + 1] == "*" {
                i += 2
                while i < n && !(c[i] == "*" && i + 1 < n && c[i + 1] == "/") { i += 1 }
                i = min(n, i + 2)
                kind = .comment
            } else if ch == "'" || ch == "\"" || ch == "`" || ch == "[" {
                let close: Character = ch == "[" ? "]" : ch
                i += 1
                while i < n {
                    if c[i] == close {
                        if close != "]" && i + 1 < n && c[i + 1] == close { i += 2; continue }   // '' inside a string
                        i += 1
                        break
                    }
                    i += 1
                }
                kind = ch == "'" ? .string : .quotedName
            } else if ch.isNumber || (ch == "." && i + 1 < n && c[i + 1].isNumber) {
                while i < n && (c[i].isNumber || c[i] == "." || c[i].isLetter || ((c[i] == "+" || c[i] == "-") && (c[i - 1] == "e" || c[i - 1] == "E"))) { i += 1 }
                kind = .number
            } else if (ch == ":" || ch == "@" || ch == "$") && i + 1 < n && isIdent(c[i + 1]) {
                i += 1
                while i < n && isIdent(c[i]) { i += 1 }
                kind = .parameter
            } else if ch == "?" {
                i += 1
                while i < n && c[i].isNumber { i += 1 }
                kind = .parameter
            } else if isIdent(ch) {
                while i < n && isIdent(c[i]) { i += 1 }
                let w = String(c[start..<i])
                if keywords.contains(w.uppercased()) { kind = .keyword }
                else {
                    var j = i
                    while j < n && c[j] == " " { j += 1 }
                    kind = j < n && c[j] == "(" && functionSet.contains(w.lowercased()) ? .function : .word
                }
            } else {
                i += 1
                kind = .punct
            }
            out.append(Token(kind: kind, start: start, end: i))
        }
        return out
    }

    /// The statements of a script: each one's character range (without its `;`), non-empty ones only.
    public static func statements(_ text: String) -> [Range<Int>] {
        let chars = Array(text)
        var out: [Range<Int>] = []
        var start = 0
        func close(_ end: Int) {
            let toks = tokens(Array(chars[start..<end]))
            if toks.contains(where: { $0.kind != .space && $0.kind != .comment }) { out.append(start..<end) }
        }
        for t in tokens(chars) where t.kind == .punct && chars[t.start] == ";" {
            close(t.start)
            start = t.end
        }
        close(chars.count)
        return out
    }

    /// The statement the cursor is in; in the gap after a statement, that statement.
    public static func statement(in text: String, at offset: Int) -> Range<Int>? {
        let all = statements(text)
        if let s = all.first(where: { offset >= $0.lowerBound && offset <= $0.upperBound }) { return s }
        return all.last { $0.upperBound <= offset } ?? all.first
    }

    /// Named parameters (`:account_id`, `@x`, `$x`) in order of first use, without the sigil.
    public static func parameters(_ sql: String) -> [String] {
        let c = Array(sql)
        var seen: [String] = []
        // `x::int` is a PostgreSQL cast, not a parameter `:int`.
        for t in tokens(c) where t.kind == .parameter && c[t.start] != "?" && !(c[t.start] == ":" && t.start > 0 && c[t.start - 1] == ":") {
            let name = String(c[(t.start + 1)..<t.end])
            if !seen.contains(name) { seen.append(name) }
        }
        return seen
    }

    /// Tables named after FROM / JOIN / UPDATE / INTO, with their aliases: alias (or name) → table.
    public static func tableAliases(_ sql: String) -> [String: String] {
        let c = Array(sql)
        let toks = tokens(c).filter { $0.kind != .space && $0.kind != .comment }
        func word(_ t: Token) -> String {
            var w = String(c[t.start..<t.end])
            if t.kind == .quotedName { w = String(w.dropFirst().dropLast()) }
            return w
        }
        var out: [String: String] = [:]
        var i = 0
        while i < toks.count {
            let w = word(toks[i]).uppercased()
            if toks[i].kind == .keyword && ["FROM", "JOIN", "UPDATE", "INTO"].contains(w), i + 1 < toks.count,
               toks[i + 1].kind == .word || toks[i + 1].kind == .quotedName {
                let table = word(toks[i + 1])
                out[table.lowercased()] = table
                var j = i + 2
                if j < toks.count, toks[j].kind == .keyword, word(toks[j]).uppercased() == "AS" { j += 1 }
                if j < toks.count, toks[j].kind == .word { out[word(toks[j]).lowercased()] = table }
                i = j
            }
            i += 1
        }
        return out
    }

    /// Whether a statement changes the store, by its first word (the read-only connection is the real guard).
    public static func isWrite(_ sql: String) -> Bool {
        let c = Array(sql)
        guard let first = tokens(c).first(where: { $0.kind != .space && $0.kind != .comment }) else { return false }
        let w = String(c[first.start..<first.end]).uppercased()
        return ["INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "VACUUM", "REINDEX", "ATTACH", "DETACH"].contains(w)
    }
}

/// What Tab can complete, from the live schema and the saved queries.
public struct SQLCatalog: Sendable {
    /// Table or view → its columns.
    public var tables: [(name: String, columns: [String])] = []
    public var saved: [SavedQuery] = []
    /// Saved-query files that could not be read.
    public var problems: [String] = []
    public init(tables: [(name: String, columns: [String])] = [], saved: [SavedQuery] = [], problems: [String] = []) {
        self.tables = tables; self.saved = saved; self.problems = problems
    }

    public struct Candidate: Equatable, Sendable {
        public var insert: String
        public var label: String       // what the list shows (with its kind)
    }

    /// Candidates for the word before the cursor in `sql`. `table.col` completes columns of
    /// that table (or alias); otherwise keywords, functions, tables, columns and saved queries.
    public func complete(word: String, sql: String) -> [Candidate] {
        let lowerWord = word.lowercased()
        let upperCase = word.first.map { $0.isUppercase } ?? false
        if let dot = word.lastIndex(of: ".") {
            let qualifier = word[..<dot].lowercased()
            let prefix = word[word.index(after: dot)...].lowercased()
            let aliases = SQLText.tableAliases(sql)
            let table = aliases[qualifier] ?? String(qualifier)
            guard let t = tables.first(where: { $0.name.lowercased() == table.lowercased() }) else { return [] }
            return t.columns.filter { $0.lowercased().hasPrefix(prefix) }
                .map { Candidate(insert: String(word[...dot]) + $0, label: $0 + "  column of \(t.name)") }
        }
        guard !word.isEmpty else { return [] }
        var out: [Candidate] = []
        var seen = Set<String>()
        func add(_ s: String, _ kind: String, insert: String? = nil) {
            guard s.lowercased().hasPrefix(lowerWord), !seen.contains(s.lowercased() + kind) else { return }
            seen.insert(s.lowercased() + kind)
            out.append(Candidate(insert: insert ?? s, label: "\(s)  \(kind)"))
        }
        // Columns of the tables the statement uses first: they are what one means.
        let used = Set(SQLText.tableAliases(sql).values.map { $0.lowercased() })
        for t in tables where used.contains(t.name.lowercased()) { for c in t.columns { add(c, "column of \(t.name)") } }
        for t in tables { add(t.name, "table") }
        for k in SQLText.keywords.sorted() { add(upperCase || word.isEmpty ? k : k.lowercased(), "keyword") }
        for f in SQLText.functions { add(f, "function", insert: f + "(") }
        for q in saved { add(q.name, "saved query", insert: q.sql) }
        for t in tables where !used.contains(t.name.lowercased()) { for c in t.columns { add(c, "column of \(t.name)") } }
        return out
    }
}

/// A saved investigation: `queries/NAME.sql`; leading `--` comment lines describe it.
public struct SavedQuery: Equatable, Sendable {
    public var name: String
    public var path: String
    public var description: String
    public var sql: String
    public var parameters: [String]

    public init(name: String, path: String, sql: String) {
        self.name = name
        self.path = path
        self.sql = sql
        var desc: [String] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("--") else { break }
            desc.append(t.dropFirst(2).trimmingCharacters(in: .whitespaces))
        }
        description = desc.joined(separator: " ")
        parameters = SQLText.parameters(sql)
    }

    /// Every `*.sql` directly in a directory (rules and dashboards live in subdirectories).
    public static func load(directory: String) -> [SavedQuery] { loadReporting(directory: directory).queries }

    /// The same, with a message naming each file that could not be read.
    public static func loadReporting(directory: String) -> (queries: [SavedQuery], problems: [String]) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var queries: [SavedQuery] = [], problems: [String] = []
        for f in files.sorted() where f.hasSuffix(".sql") {
            let path = (directory as NSString).appendingPathComponent(f)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                problems.append("\(path): cannot read (not UTF-8 text?); left out of the saved queries")
                continue
            }
            queries.append(SavedQuery(name: String(f.dropLast(4)), path: path, sql: text))
        }
        return (queries, problems)
    }

    /// The saved queries in effect (built-in, then the user's, then the project's, by name).
    public static func load(catalog: AssetCatalog) -> [SavedQuery] { loadReporting(catalog: catalog).queries }

    public static func loadReporting(catalog: AssetCatalog) -> (queries: [SavedQuery], problems: [String]) {
        let r = catalog.resolve(.queries)
        return (r.assets.map { SavedQuery(name: $0.name, path: $0.path, sql: $0.text) },
                r.problems.map { $0.hasSuffix("left out") ? $0 + " of the saved queries" : $0 })
    }
}
