import Foundation
import RiskStore

/// Writes a starter mapping for a file: its shape from the first lines, then each column
/// placed by its name and a sample of its values (ids, timestamps and their unit, amounts,
/// IPs, countries, a 0/1 label). What it can't place is said in comments.
public enum MappingInference {
    public struct Column {
        public var name: String
        public var samples: [String] = []
        var nonEmpty = 0
        var total = 0
    }

    public static func infer(path: String, sampleRows: Int = 2000) throws -> String {
        let raw = try FileSource(path: path)
        let (decoded, prefix) = try openDecoded(raw)
        let buffer = InputBuffer(source: decoded, prefix: prefix)
        // Up to ~4 MiB or sampleRows lines.
        var bytes = [UInt8]()
        while bytes.count < 4 << 20 {
            if buffer.available == 0 { if try buffer.fill() != .more { break } }
            bytes.append(contentsOf: UnsafeBufferPointer(start: buffer.base + buffer.start, count: buffer.available))
            buffer.start = buffer.end
            if bytes.reduce(0, { $0 + ($1 == 10 ? 1 : 0) }) > sampleRows { break }
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        // Split bytes, not Characters: "\r\n" is one Character in Swift.
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: true).map { l -> String in
            String(decoding: l.last == 13 ? l.dropLast() : l[...], as: UTF8.self)
        }
        if bytes.count >= 4 << 20 && lines.count > 1 { lines.removeLast() }   // maybe cut short
        lines = Array(lines.prefix(sampleRows + 1)).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !lines.isEmpty else { throw ImportError("\(path): empty file: nothing to infer from") }
        let name = (path as NSString).lastPathComponent

        // Shape.
        if lines[0].trimmingCharacters(in: .whitespaces).hasPrefix("{") {
            return try inferJSONL(lines, name: name)
        }
        let candidates: [(Character, SourceShape)] = [(",", .csv), ("\t", .tsv), (";", .csv), ("|", .csv)]
        var best: (Character, SourceShape, Int)?
        for (c, shape) in candidates {
            let counts = lines.prefix(20).map { l in l.filter { $0 == c }.count }
            if let first = counts.first, first > 0, counts.filter({ $0 == first }).count * 10 >= counts.count * 8 {
                if best == nil || first > best!.2 { best = (c, shape, first) }
            }
        }
        var rows: [[String]]
        var shape: SourceShape
        var delimiter: Character = ","
        if let (c, s, _) = best {
            shape = s; delimiter = c
            rows = lines.map { splitQuoted($0, c) }
        } else {
            let split = lines.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
            let counts = split.prefix(50).map(\.count)
            if let first = counts.first, first > 1, counts.filter({ $0 == first }).count * 10 >= counts.count * 9 {
                shape = .whitespace
                rows = split
            } else {
                return inferLines(lines, name: name)
            }
        }
        // A header is a first row with no numbers whose next rows have some.
        let first = rows[0]
        let headerLooksNamed = first.allSatisfy { Double($0) == nil && !$0.isEmpty }
        let header = headerLooksNamed && rows.count > 1
        let names = header ? first.map { $0.trimmingCharacters(in: .whitespaces) } : (1...first.count).map { "col\($0)" }
        var columns = names.map { Column(name: $0) }
        for r in rows.dropFirst(header ? 1 : 0) where r.count == names.count {
            for (k, v) in r.enumerated() {
                columns[k].total += 1
                let t = v.trimmingCharacters(in: .whitespaces)
                if !t.isEmpty { columns[k].nonEmpty += 1; if columns[k].samples.count < 2000 { columns[k].samples.append(t) } }
            }
        }
        var out = "# Starter mapping written by `riskdesk import --infer \(oneLine(name))`: check every line, then\n"
        out += "#   riskdesk import --map THIS.toml --dry-run \(oneLine(name))\n"
        out += "[source]\nformat = \"\(shape.rawValue)\"\n"
        if shape == .csv && delimiter != "," { out += "delimiter = \"\(delimiter)\"\n" }
        if !header {
            out += "header = false\ncolumns = [\(names.map(q).joined(separator: ", "))]   # no header row: name them\n"
        }
        out += place(columns)
        return out
    }

    static func splitQuoted(_ line: String, _ d: Character) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var it = line.makeIterator()
        while let c = it.next() {
            if quoted {
                if c == "\"" { quoted = false } else { cur.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == d { out.append(cur); cur = "" }
            else { cur.append(c) }
        }
        out.append(cur)
        return out
    }

    static func inferJSONL(_ lines: [String], name: String) throws -> String {
        var order: [String] = []
        var cols: [String: Column] = [:]
        for l in lines {
            guard let o = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any] else { continue }
            for (k, v) in o {
                if cols[k] == nil { cols[k] = Column(name: k); order.append(k) }
                cols[k]!.total += 1
                let s: String
                switch v {
                case is NSNull: continue
                case let n as NSNumber: s = n.stringValue
                case let t as String: s = t
                default: continue
                }
                if s.isEmpty { continue }
                cols[k]!.nonEmpty += 1
                if cols[k]!.samples.count < 2000 { cols[k]!.samples.append(s) }
            }
        }
        guard !order.isEmpty else { throw ImportError("\(name): no JSON objects in the first lines") }
        var out = "# Starter mapping written by `riskdesk import --infer \(oneLine(name))`: check every line.\n"
        out += "[source]\nformat = \"jsonl\"\n"
        out += place(order.map { cols[$0]! })
        return out
    }

    static func inferLines(_ lines: [String], name: String) -> String {
        var out = "# Starter mapping written by `riskdesk import --infer \(oneLine(name))`.\n"
        out += "# The lines have no columns: COULD NOT PLACE anything. Write one [[patterns]] per kind of line,\n"
        out += "# a regular expression whose named groups (?<name>…) are the columns [fields] maps.\n"
        out += "# First lines:\n"
        for l in lines.prefix(5) { out += "#   \(oneLine(l.prefix(160)))\n" }
        out += "[source]\nformat = \"lines\"\n\n"
        // syslog: "Dec 10 06:55:46 host proc[pid]: message"
        let syslog = try? NSRegularExpression(pattern: #"^[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \S+ [^:\[ ]+(\[\d+\])?: "#)
        let hits = lines.prefix(200).filter { l in syslog?.firstMatch(in: l, range: NSRange(location: 0, length: (l as NSString).length)) != nil }.count
        if hits * 10 >= min(lines.count, 200) * 8 {
            out += "# syslog lines: the prefix is recognised; add what the message says (user, IP) as groups.\n"
            out += "[[patterns]]\nname = \"syslog\"\n"
            out += "regex = '^(?<ts>\\w{3} +\\d+ \\d\\d:\\d\\d:\\d\\d) (?<host>\\S+) (?<proc>[^:\\[ ]+)(?:\\[(?<pid>\\d+)\\])?: (?<message>.*)$'\n"
            out += "type = \"log\"   # EDIT: one pattern per kind of line, e.g. type = \"login\", status = \"fail\"\n\n"
            out += "[fields]\nts = { column = \"ts\", format = \"%b %d %H:%M:%S\", year = \(Calendar(identifier: .gregorian).component(.year, from: Date())), timezone = \"UTC\" }   # EDIT: syslog has no year\n"
            out += "account_id = \"host\"   # COULD NOT PLACE the account: capture it from the message with a named group\n"
            out += "session_id = { columns = [\"host\", \"pid\"], separator = \":\" }\n"
            return out
        }
        out += "[[patterns]]\nname = \"example\"\nregex = '^(?<ts>\\S+ \\S+) (?<user>\\S+) (?<message>.*)$'   # EDIT\ntype = \"login\"\n\n"
        out += "[fields]\nts = { column = \"ts\", format = \"%Y-%m-%d %H:%M:%S\" }   # EDIT\naccount_id = \"user\"\n"
        return out
    }

    enum Guess { case eventID, ts(String, note: String = ""), account, amount, ip, country, device, session, item, order, status, type, quantity, label, currency, email }

    static func place(_ columns: [Column]) -> String {
        var fields: [(String, String, String)] = []   // field, value, comment
        var taken = Set<String>()
        var placed = Set<String>()
        var label: String?
        var unplaced: [String] = []
        func sample(_ c: Column) -> String {
            let s = Array(Set(c.samples.prefix(200))).sorted().prefix(3).map { $0.count > 24 ? String($0.prefix(24)) + "…" : $0 }
            return "e.g. " + s.joined(separator: ", ") + (c.total > 0 && c.nonEmpty < c.total ? String(format: "; %.0f%% empty", 100 * Double(c.total - c.nonEmpty) / Double(c.total)) : "")
        }
        for c in columns {
            let g = guess(c)
            switch g {
            case .label?:
                if label == nil { label = c.name; placed.insert(c.name); continue }
            case .ts(let spec, let note)? where !taken.contains("ts"):
                taken.insert("ts"); placed.insert(c.name)
                fields.append(("ts", "{ column = \(q(c.name)), \(spec) }", note + sample(c)))
                continue
            case let g? :
                let f: String
                switch g {
                case .eventID: f = "event_id"
                case .account: f = "account_id"
                case .amount: f = "amount"
                case .ip: f = "ip"
                case .country: f = "country"
                case .device: f = "device_id"
                case .session: f = "session_id"
                case .item: f = "item_id"
                case .order: f = "order_id"
                case .status: f = "status"
                case .type: f = "type"
                case .quantity: f = "quantity"
                case .currency: f = "currency"
                default: f = ""
                }
                if !f.isEmpty && !taken.contains(f) {
                    taken.insert(f); placed.insert(c.name)
                    fields.append((f, q(c.name), sample(c)))
                    continue
                }
            case nil: break
            }
            unplaced.append(c.name)
        }
        var out = "\n[fields]\n"
        for (f, v, c) in fields { out += "\(f) = \(v)   # \(oneLine(c))\n" }
        if !taken.contains("event_id") { out += "# event_id: no unique id column found; each row gets <file name>:<line>\n" }
        if !taken.contains("account_id") {
            out += "account_id = \"COULD_NOT_PLACE\"   # EDIT: the column (or [\"a\", \"b\"] columns) that identifies the account\n"
        }
        if !taken.contains("ts") {
            out += "ts = \"COULD_NOT_PLACE\"   # EDIT: the time column, with format = iso | epoch | relative | \"%Y%m%d\"\n"
        }
        if !taken.contains("type") {
            out += "\n[constants]\ntype = \"payment\"   # EDIT: what every row is (payment, order, login, …)\n"
        }
        if let label {
            out += "\n[label]   # a 0/1 column that looks like the truth: it is not stored with the events\ncolumn = \(q(label))\nfraud = \"1\"\n"
        }
        if !unplaced.isEmpty {
            let names = unplaced.map { oneLine($0) }
            let shown = names.count > 30 ? names.prefix(30).joined(separator: ", ") + ", … (\(names.count) in all)" : names.joined(separator: ", ")
            out += "\n# Could not place: \(shown).\n# They are kept with each event as extra JSON; drop the ones you don't need:\n[extra]\ndrop = []\n"
        }
        return out
    }

    /// A TOML basic string: quotes and backslashes escaped, and every control character and
    /// line separator as an escape, so a name from the file can't end the string or the line.
    static func q(_ s: String) -> String {
        ResultWriter.jsonString(s) { (0x7F..<0xA0).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029 }
    }

    /// Text from the file inside a comment: one line, control characters and line separators
    /// shown (`⏎`, `·`). A carriage return once ended the comment when printed, and what followed
    /// it became mapping keys.
    static func oneLine<S: StringProtocol>(_ s: S) -> String {
        TerminalText.sanitize(String(s).replacingOccurrences(of: "\u{2028}", with: "⏎").replacingOccurrences(of: "\u{2029}", with: "⏎"), newline: "⏎")
    }

    static func guess(_ c: Column) -> Guess? {
        let n = c.name.lowercased().replacingOccurrences(of: "-", with: "_")
        let s = c.samples
        guard !s.isEmpty else { return nil }
        // Mostly numbers: a stray bad cell doesn't hide what the column is.
        let ints = s.filter { Int64($0) != nil }.count * 100 >= s.count * 95
        let nums = s.filter { Double($0) != nil }.count * 100 >= s.count * 95
        let distinct = Set(s).count
        func has(_ words: [String]) -> Bool { words.contains { n.contains($0) } }
        if Set(s).isSubset(of: ["0", "1"]) && has(["fraud", "label", "is_bad", "chargeback", "target"]) { return .label }
        // Timestamps.
        func most(_ ok: (String) -> Bool) -> Bool { s.filter(ok).count * 100 >= s.count * 95 }
        if most({ TimePattern.parseISO(Array($0.utf8), offsetMinutes: 0) != nil }) {
            return .ts("format = \"iso\", timezone = \"UTC\"")
        }
        if ints && most({ $0.count == 8 }), most({ v in
            guard let i = Int(v) else { return false }; let y = i / 10000, m = i / 100 % 100, d = i % 100
            return (1900...2100).contains(y) && (1...12).contains(m) && (1...31).contains(d)
        }) { return .ts("format = \"%Y%m%d\", timezone = \"UTC\"") }
        if nums && has(["time", "date", "ts", "dt", "when", "stamp"]) && !has(["amt", "amount"]) {
            let vals = s.compactMap(Double.init)
            let mx = vals.max() ?? 0, mn = vals.min() ?? 0
            if mn >= 1e9 && mx < 1e10 { return .ts("format = \"epoch\", unit = \"s\"") }
            if mn >= 1e12 && mx < 1e13 { return .ts("format = \"epoch\", unit = \"ms\"") }
            if mn >= 1e15 && mx < 1e16 { return .ts("format = \"epoch\", unit = \"us\"") }
            return .ts("format = \"relative\", unit = \"s\", origin = \"2017-12-01T00:00:00Z\"", note: "COULD NOT PLACE the origin (values run \(Int64(mn))–\(Int64(mx)) s): set the real start; ")
        }
        let ipv4 = s.allSatisfy { v in
            let p = v.split(separator: ".", omittingEmptySubsequences: false)
            return p.count == 4 && p.allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
        }
        if ipv4 || (has(["ip"]) && s.allSatisfy { $0.contains(":") && $0.allSatisfy { $0.isHexDigit || $0 == ":" } }) { return .ip }
        if s.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isUppercase && $0.isASCII } }) && (has(["country", "cc", "geo"]) || distinct > 3) { return .country }
        if s.allSatisfy({ $0.count == 3 && $0.allSatisfy { $0.isUppercase } }) && has(["currency", "ccy", "cur"]) { return .currency }
        if has(["email", "mail"]) { return .email }
        if nums && has(["amt", "amount", "price", "value", "total", "sum", "revenue", "dollar"]) { return .amount }
        if ints && has(["qty", "quantity", "count", "number_of", "units"]) { return .quantity }
        if has(["device", "fingerprint"]) { return .device }
        if has(["session"]) { return .session }
        if has(["status", "result", "outcome"]) && distinct <= 20 { return .status }
        if has(["event_type", "type", "action", "kind"]) && distinct <= 50 && !nums { return .type }
        if has(["order"]) && has(["id"]) { return .order }
        if has(["item", "product", "sku"]) && has(["id"]) { return .item }
        if has(["user", "customer", "account", "member", "buyer", "client", "uid", "card"]) { return .account }
        if (has(["transaction", "event", "txn", "record"]) || n == "id") && distinct == s.count && s.count > 1 { return .eventID }
        return nil
    }
}
