import Foundation
import RiskStore

/// Per-account truth gathered from a mapping's label column while importing: an account is
/// fraud when any of its rows says so.
public final class LabelCollector: @unchecked Sendable {
    public private(set) var fraud = Set<String>()
    public private(set) var seen = Set<String>()
    public init() {}
    func add(account: String, fraud isFraud: Bool) {
        seen.insert(account)
        if isFraud { fraud.insert(account) }
    }
    /// account_id -> true (fraud) / false (legit), sorted by account.
    public var truth: [(account: String, fraud: Bool)] { seen.sorted().map { ($0, fraud.contains($0)) } }
}

/// Reads any delimited / whitespace / JSONL / free-text file and hands the importer rows in
/// the contract's shape, as the mapping says. Values it builds (composed keys, converted
/// timestamps, constants) live in its own arena until the next row.
final class MappedReader: RecordReader {
    let buffer: InputBuffer
    var source: ByteSource { buffer.source }
    let mapping: ImportMapping
    let labels: LabelCollector?
    private(set) var line = 0
    private(set) var raw = Slice.absent
    private var nextLine = 1
    private var fileTag: [UInt8]
    /// The file's name, for ids made from lines (`name:line`); `name#2:line` after a followed
    /// file was rotated to a new one (its lines count from 1 again).
    private let baseTag: String
    private var generation = 1
    /// Set by `restart`: the preamble (skipped lines, header) is read again before the next row.
    private var preamblePending = false

    // Source columns of the current row (indexes into `columnNames`).
    private(set) var columnNames: [String] = []
    private var columnBytes: [[UInt8]] = []
    private var cols: [Slice] = []
    private var colKinds: [JSONValueKind] = []

    // Compiled mapping.
    private enum Op {
        case column(Int)
        case columns([Int], [UInt8])
        case constant([UInt8])
        case lineID
        case absent
    }
    private struct Compiled {
        var field: Int
        var op: Op
        var map: [[UInt8]: [UInt8]]
        var otherwise: [UInt8]?
        var defaultValue: [UInt8]?
        var time: TimeSpec?
        var tokens: [TimePattern.Token]?
        var scale: Double?
        var name: String
    }
    private var compiled: [Compiled] = []
    private var keptColumns: [Int] = []
    private var labelColumn = -1
    private var accountField = -1
    private var patternConstants: [[(Int, [UInt8])]] = []
    private var patternGroups: [[(Int, String)]] = []
    private var matchedPattern = -1
    /// Bytes a row's built values may need beyond twice the record's length.
    private var staticBound = 0
    private var usedJSONKeys = Set<String>()

    // Delimited scanning.
    private var fStart: [Int] = []
    private var fEnd: [Int] = []
    private var fEscaped: [Bool] = []
    private var arena = Arena()
    private var out = Arena()
    private var jsonl: JSONLReader?
    private var jsonSlots = RowSlots(fieldCount: ContractKind.events.fields.count)
    private var lineText = [UInt8]()

    init(buffer: InputBuffer, mapping: ImportMapping, labels: LabelCollector?) throws {
        self.buffer = buffer
        self.mapping = mapping
        self.labels = labels
        var tag = (buffer.source.name as NSString).lastPathComponent
        if tag.hasSuffix(".gz") { tag.removeLast(3) }
        baseTag = tag
        fileTag = Array((tag + ":").utf8)
        try readPreamble()
        noteDataStart()
    }

    /// Tells a followed file where its rows begin (after the header and skipped lines).
    private func noteDataStart() {
        if let f = buffer.source as? FollowSource { f.dataStart = f.fileOffset - Int64(buffer.available) }
    }

    /// `import --map M --follow`: the file was truncated or replaced and is read again from its
    /// start — its skipped lines and header read as such again (the header mapped anew: a
    /// rotated export may order its columns differently), lines counted from 1. A new file
    /// (`continues` false) gets a new generation of line ids (`name#2:7`), so its rows are not
    /// taken for the old file's; the same content again keeps them, and its rows are skipped
    /// as already stored.
    func restart(continues: Bool) {
        buffer.discardAll()
        line = 0
        nextLine = 1
        if !continues {
            generation += 1
            fileTag = Array((baseTag + "#\(generation):").utf8)
        }
        preamblePending = true
    }

    /// After `restart`: reads the preamble once the new file holds all of it; false while it
    /// does not yet (the follower waits).
    private func readPendingPreamble() throws -> Bool {
        let need = mapping.skipLines + ((mapping.shape == .csv || mapping.shape == .tsv || mapping.shape == .whitespace) && mapping.header ? 1 : 0)
        while need > 0 && countNewlines(buffer.base + buffer.start, buffer.available) < need {
            switch try buffer.fill() {
            case .more: continue
            case .idle: return false
            case .eof, .full: break
            }
            break
        }
        compiled = []; keptColumns = []; patternConstants = []; patternGroups = []; labelColumn = -1
        try readPreamble()
        noteDataStart()
        preamblePending = false
        return true
    }

    /// The byte-order mark, `skip_lines` and the header; then the columns are mapped.
    private func readPreamble() throws {
        // Skip a UTF-8 byte-order mark.
        while buffer.available < 3, try buffer.fill() == .more {}
        if buffer.available >= 3, buffer.base[buffer.start] == 0xEF, buffer.base[buffer.start + 1] == 0xBB,
           buffer.base[buffer.start + 2] == 0xBF { buffer.start += 3 }
        for _ in 0..<mapping.skipLines { guard try skipLine() else { break } }

        switch mapping.shape {
        case .csv, .tsv, .whitespace:
            if mapping.header {
                var header: [String] = []
                while true {
                    switch try scanRecord() {
                    case .row:
                        if isSkippable() { continue }
                        header = (0..<fStart.count).map { fieldString($0).trimmingCharacters(in: .whitespaces) }
                    case .end: throw ImportError("\(buffer.source.name): empty file: no header row")
                    case .idle: throw ImportError("\(buffer.source.name): no header row yet")
                    case .bad(let why): throw ImportError("\(buffer.source.name):\(line): unreadable header: \(why)")
                    }
                    break
                }
                if let names = mapping.columns {
                    guard names.count == header.count else {
                        throw MappingError(file: mapping.path, line: mapping.line(of: "source.columns"), key: "source.columns",
                                           message: "names \(names.count) columns but the header of \(buffer.source.name) has \(header.count)")
                    }
                    header = names
                }
                var seen = Set<String>()
                for (k, h) in header.enumerated() {
                    if h.isEmpty { throw ImportError("\(buffer.source.name):\(line): header column \(k + 1) has no name") }
                    if !seen.insert(h).inserted { throw ImportError("\(buffer.source.name):\(line): header names column '\(h)' twice") }
                }
                columnNames = header
            } else {
                columnNames = mapping.columns ?? []
            }
        case .jsonl:
            jsonl = JSONLReader(buffer: buffer, kind: .events)
            columnNames = Self.referencedColumns(mapping)
        case .lines:
            var names: [String] = ["_line"]
            for p in mapping.patterns { for g in p.groups where !names.contains(g) { names.append(g) } }
            columnNames = names
        }
        columnBytes = columnNames.map { Array($0.utf8) }
        cols = Array(repeating: .absent, count: columnNames.count)
        colKinds = Array(repeating: .string, count: columnNames.count)
        try compile()
    }


    deinit { arena.free(); out.free() }

    /// Source columns a mapping names (JSONL has no header to list them).
    static func referencedColumns(_ m: ImportMapping) -> [String] {
        var names: [String] = []
        func add(_ n: String) { if !names.contains(n) { names.append(n) } }
        for f in m.fields {
            switch f.source {
            case .column(let c): add(c)
            case .columns(let cs, _): cs.forEach(add)
            default: break
            }
        }
        if let l = m.label { add(l.column) }
        return names
    }

    private func compile() throws {
        let fields = mapping.kind.fields
        func index(_ c: String, _ f: FieldMapping) throws -> Int {
            if let i = columnNames.firstIndex(of: c) { return i }
            if mapping.shape == .lines {
                throw MappingError(file: mapping.path, line: f.line, key: "fields." + f.field,
                                   message: "'\(c)' is not a named group of any pattern (groups: \(columnNames.joined(separator: ", ")))")
            }
            let shown = columnNames.count > 12 ? columnNames.prefix(12).joined(separator: ", ") + ", …" : columnNames.joined(separator: ", ")
            throw MappingError(file: mapping.path, line: f.line, key: "fields." + f.field,
                               message: "column '\(c)' is not in \(buffer.source.name) (columns: \(shown))")
        }
        for f in mapping.fields {
            guard let fi = fields.firstIndex(where: { $0.name == f.field }) else { continue }
            let op: Op
            switch f.source {
            case .column(let c): op = .column(try index(c, f))
            case .columns(let cs, let sep): op = .columns(try cs.map { try index($0, f) }, Array(sep.utf8))
            case .constant(let v): op = .constant(Array(v.utf8))
            case .lineID: op = .lineID
            }
            var tokens: [TimePattern.Token]?
            if case .pattern(let p)? = f.time?.form { tokens = TimePattern.compile(p) }
            var map: [[UInt8]: [UInt8]] = [:]
            for (k, v) in f.map { map[Array(k.utf8)] = Array(v.utf8) }
            compiled.append(Compiled(field: fi, op: op, map: map, otherwise: f.otherwise.map { Array($0.utf8) },
                                     defaultValue: f.defaultValue.map { Array($0.utf8) }, time: f.time, tokens: tokens,
                                     scale: f.scale, name: f.field))
        }
        accountField = fields.firstIndex { $0.name == "account_id" } ?? -1
        staticBound = 64 + fileTag.count
        for c in compiled {
            switch c.op {
            case .constant(let v): staticBound += v.count
            case .columns(let cs, let sep): staticBound += (cs.count + 1) * sep.count
            default: break
            }
            staticBound += 32 + max(c.otherwise?.count ?? 0, c.defaultValue?.count ?? 0, c.map.values.map(\.count).max() ?? 0)
        }
        for p in mapping.patterns { staticBound += p.constants.values.reduce(0) { $0 + $1.utf8.count } }
        usedJSONKeys = Set(Self.referencedColumns(mapping))
        if let l = mapping.label {
            guard let i = columnNames.firstIndex(of: l.column) else {
                throw MappingError(file: mapping.path, line: l.line, key: "label.column",
                                   message: "column '\(l.column)' is not in \(buffer.source.name)")
            }
            labelColumn = i
        }
        // Extra: every column no field reads, unless dropped; never the label.
        var used = Set<Int>()
        for c in compiled {
            switch c.op {
            case .column(let i): used.insert(i)
            case .columns(let cs, _): used.formUnion(cs)
            default: break
            }
        }
        if labelColumn >= 0 { used.insert(labelColumn) }
        if mapping.shape != .jsonl {
            keptColumns = columnNames.indices.filter { !used.contains($0) && columnNames[$0] != "_line" && mapping.isKept(columnNames[$0]) }
        }
        for p in mapping.patterns {
            patternConstants.append(p.constants.compactMap { k, v in fields.firstIndex { $0.name == k }.map { ($0, Array(v.utf8)) } })
            patternGroups.append(p.groups.map { g in (columnNames.firstIndex(of: g)!, g) })
        }
    }

    // MARK: reading

    func next(into slots: inout RowSlots) throws -> ReadOutcome {
        if preamblePending, try !readPendingPreamble() { return .idle }
        while true {
            let r: ReadOutcome
            switch mapping.shape {
            case .csv, .tsv, .whitespace:
                r = try scanRecord()
                if r == .row {
                    if isSkippable() { continue }
                    if fStart.count != columnNames.count {
                        return .bad("expected \(columnNames.count) columns\(mapping.header ? " (as in the header)" : ""), found \(fStart.count)")
                    }
                    fillColumns()
                }
            case .jsonl:
                r = try jsonl!.next(into: &jsonSlots)
                line = jsonl!.line
                raw = jsonl!.raw
                if r == .row { fillJSONColumns() }
            case .lines:
                r = try readLine()
                if r == .row {
                    if raw.len == 0 || isSkippable() { continue }
                    if let why = matchLine() { return .bad(why) }
                }
            }
            guard r == .row else { return r }
            if let why = apply(&slots) { return .bad(why) }
            return .row
        }
    }

    private func isSkippable() -> Bool {
        if mapping.shape != .lines && fStart.count == 1 && fEnd[0] == fStart[0] { return true }   // blank line
        guard let c = mapping.commentPrefix, let p = raw.ptr else { return false }
        let cb = Array(c.utf8)
        var i = 0
        while i < raw.len && (p[i] == 32 || p[i] == 9) { i += 1 }
        return raw.len - i >= cb.count && memcmp(p + i, cb, cb.count) == 0
    }

    private func skipLine() throws -> Bool {
        while true {
            if buffer.available > 0, let nl = memchr(buffer.base + buffer.start, 10, buffer.available) {
                buffer.start = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - buffer.base + 1
                nextLine += 1
                return true
            }
            switch try buffer.fill() {
            case .more: continue
            case .full, .eof, .idle:
                buffer.start = buffer.end
                return false
            }
        }
    }

    private func fieldString(_ k: Int) -> String {
        var s = String(decoding: UnsafeBufferPointer(start: buffer.base + fStart[k], count: fEnd[k] - fStart[k]), as: UTF8.self)
        if fEscaped[k] { s = s.replacingOccurrences(of: "\"\"", with: "\"") }
        return s
    }

    private enum Scan { case record, needMore, bad(String) }

    /// One record from buffer.start: quoted delimited fields, or blank-separated columns.
    private func scanOnce(eof: Bool) -> (Scan, Int, Int) {
        let b = buffer.base
        let end = buffer.end
        var i = buffer.start
        fStart.removeAll(keepingCapacity: true)
        fEnd.removeAll(keepingCapacity: true)
        fEscaped.removeAll(keepingCapacity: true)
        if mapping.shape == .whitespace {
            guard let nl = memchr(b + i, 10, end - i) else {
                if !eof { return (.needMore, 0, 0) }
                return scanBlank(i, end, end)
            }
            let at = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - b
            return scanBlank(i, at, at + 1)
        }
        let delim = mapping.delimiter
        var newlines = 0
        let limit = buffer.start + maxRecordBytes
        while true {
            if i > limit { return (.bad("record longer than 1 MiB (an unterminated quoted field?)"), i, newlines) }
            if i < end && b[i] == UInt8(ascii: "\"") {
                let contentStart = i + 1
                var j = contentStart
                var escaped = false
                var closeAt = -1
                while true {
                    guard j < end, let q = memchr(b + j, Int32(UInt8(ascii: "\"")), end - j) else {
                        if eof { return (.bad("unterminated quoted field"), end, newlines) }
                        if end - buffer.start > maxRecordBytes { return (.bad("record longer than 1 MiB (an unterminated quoted field?)"), end, newlines) }
                        return (.needMore, 0, 0)
                    }
                    let qi = UnsafeMutablePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - b
                    newlines += countNewlines(b + j, qi - j)
                    if qi + 1 == end && !eof { return (.needMore, 0, 0) }
                    if qi + 1 < end && b[qi + 1] == UInt8(ascii: "\"") { escaped = true; j = qi + 2; continue }
                    closeAt = qi
                    break
                }
                fStart.append(contentStart); fEnd.append(closeAt); fEscaped.append(escaped)
                i = closeAt + 1
                if i < end {
                    let c = b[i]
                    if c != delim && c != 10 && c != 13 {
                        return (.bad("broken quoting: text after a closing quote in column \(fStart.count)"), i, newlines)
                    }
                }
            } else {
                var j = i
                while j < end {
                    let c = b[j]
                    if c == delim || c == 10 { break }
                    if c == 13 {
                        if j + 1 < end { if b[j + 1] == 10 { break } } else if !eof { return (.needMore, 0, 0) }
                    }
                    j += 1
                }
                if j == end && !eof { return (.needMore, 0, 0) }
                fStart.append(i); fEnd.append(j); fEscaped.append(false)
                i = j
            }
            if i >= end { return (.record, i, newlines) }
            let c = b[i]
            if c == delim { i += 1; if i == end && !eof { return (.needMore, 0, 0) }; continue }
            if c == 13 {
                if i + 1 < end && b[i + 1] == 10 { return (.record, i + 2, newlines + 1) }
                if i + 1 == end && !eof { return (.needMore, 0, 0) }
                return (.record, i + 1, newlines)
            }
            return (.record, i + 1, newlines + 1)
        }
    }

    private func scanBlank(_ from: Int, _ lineEnd: Int, _ next: Int) -> (Scan, Int, Int) {
        let b = buffer.base
        var e = lineEnd
        if e > from && b[e - 1] == 13 { e -= 1 }
        var i = from
        while true {
            while i < e && (b[i] == 32 || b[i] == 9) { i += 1 }
            if i >= e { break }
            let s = i
            while i < e && b[i] != 32 && b[i] != 9 { i += 1 }
            fStart.append(s); fEnd.append(i); fEscaped.append(false)
        }
        if fStart.isEmpty { fStart.append(from); fEnd.append(from); fEscaped.append(false) }   // blank line
        return (.record, next, next > lineEnd ? 1 : 0)
    }

    private func scanRecord() throws -> ReadOutcome {
        while true {
            if buffer.available == 0 {
                switch try buffer.fill() {
                case .eof: return .end
                case .idle: return .idle
                case .more, .full: continue
                }
            }
            let (scan, to, nl) = scanOnce(eof: buffer.eof)
            switch scan {
            case .needMore:
                switch try buffer.fill() {
                case .more, .eof: continue
                case .idle: return .idle
                case .full: return try recover("record too long for the read buffer")
                }
            case .bad(let why):
                return try recover(why)
            case .record:
                line = nextLine
                let recStart = buffer.start
                raw = Slice(ptr: UnsafePointer(buffer.base + recStart), len: trimmedEnd(to) - recStart)
                nextLine += max(nl, 1)
                buffer.start = to
                if !isValidUTF8(buffer.base + recStart, to - recStart) { return .bad("invalid UTF-8") }
                return .row
            }
        }
    }

    private func recover(_ why: String) throws -> ReadOutcome {
        line = nextLine
        while true {
            let b = buffer.base
            if let nl = memchr(b + buffer.start, 10, buffer.available) {
                let at = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - b
                raw = Slice(ptr: UnsafePointer(b + buffer.start), len: trimmedEnd(at + 1) - buffer.start)
                buffer.start = at + 1
                nextLine += 1
                return .bad(why)
            }
            if buffer.eof || buffer.available >= maxRecordBytes {
                raw = Slice(ptr: UnsafePointer(b + buffer.start), len: buffer.available)
                buffer.start = buffer.end
                return .bad(why)
            }
            switch try buffer.fill() {
            case .more, .eof: continue
            case .idle: return .idle
            case .full:
                raw = Slice(ptr: UnsafePointer(buffer.base + buffer.start), len: buffer.available)
                buffer.start = buffer.end
                return .bad(why)
            }
        }
    }

    private func trimmedEnd(_ to: Int) -> Int {
        var e = to
        if e > buffer.start && buffer.base[e - 1] == 10 { e -= 1 }
        if e > buffer.start && buffer.base[e - 1] == 13 { e -= 1 }
        return e
    }

    private func fillColumns() {
        var need = 0
        for k in 0..<fStart.count where fEscaped[k] { need += fEnd[k] - fStart[k] }
        arena.reset(reserving: need)
        let b = buffer.base
        for k in 0..<fStart.count {
            var n = fEnd[k] - fStart[k]
            var st = fStart[k]
            if !fEscaped[k] {   // trim blanks around unquoted values
                while n > 0 && (b[st] == 32 || b[st] == 9) { st += 1; n -= 1 }
                while n > 0 && (b[st + n - 1] == 32 || b[st + n - 1] == 9) { n -= 1 }
            }
            if n == 0 { cols[k] = .absent; continue }
            if fEscaped[k] {
                let dst = arena.base + arena.used
                var w = 0, r = fStart[k]
                while r < fEnd[k] { dst[w] = b[r]; w += 1; r += (b[r] == UInt8(ascii: "\"")) ? 2 : 1 }
                cols[k] = Slice(ptr: UnsafePointer(dst), len: w)
                arena.used += w
            } else {
                cols[k] = Slice(ptr: UnsafePointer(b + st), len: n)
            }
        }
    }

    private func fillJSONColumns() {
        let names = ContractKind.events.fields
        for k in cols.indices {
            cols[k] = .absent
            colKinds[k] = .string
            let nb = columnBytes[k]
            if let fi = names.firstIndex(where: { $0.nameBytes == nb }) {
                cols[k] = jsonSlots.values[fi]; colKinds[k] = jsonSlots.jsonKinds[fi]
                continue
            }
            for e in 0..<jsonSlots.extraKeys.count where jsonSlots.extraKeys[e].equals(nb) {
                cols[k] = jsonSlots.extraValues[e]; colKinds[k] = jsonSlots.extraKinds[e]
                if colKinds[k] == .null { cols[k] = .absent }
                break
            }
        }
    }

    private func readLine() throws -> ReadOutcome {
        while true {
            if buffer.available > 0, let nl = memchr(buffer.base + buffer.start, 10, buffer.available) {
                let at = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - buffer.base
                line = nextLine
                nextLine += 1
                raw = Slice(ptr: UnsafePointer(buffer.base + buffer.start), len: trimmedEnd(at + 1) - buffer.start)
                buffer.start = at + 1
                break
            }
            switch try buffer.fill() {
            case .more: continue
            case .idle: return .idle
            case .eof, .full:
                if buffer.available == 0 { return .end }
                line = nextLine
                nextLine += 1
                raw = Slice(ptr: UnsafePointer(buffer.base + buffer.start), len: buffer.available)
                buffer.start = buffer.end
            }
            break
        }
        if !isValidUTF8(raw.ptr!, raw.len) { return .bad("invalid UTF-8") }
        return .row
    }

    enum BoundedMatch { case match(NSTextCheckingResult), none, gaveUp }

    /// ICU's regex engine calls back (`.reportProgress`) about every 10,000 steps of a match.
    static let stepsPerTick = 10_000

    /// A pattern may spend at most this many callbacks (about 10,000 steps each) on one line:
    /// 100 (a million steps, ~0.1 s) and one more per 100 UTF-16 units of the line, far above
    /// what a pattern that does not backtrack needs (a 100,000-character line: no callback at
    /// all), far below the minutes a catastrophic pattern takes on a hostile line. Counted in
    /// steps, not seconds, so a row gives up (or not) the same way on any machine and load.
    static func matchBudget(utf16Length: Int) -> Int { 100 + utf16Length / 100 }

    /// The first match of `regex` in `range`, or `.gaveUp` when it took more than `ticks`
    /// progress callbacks.
    static func boundedFirstMatch(_ regex: NSRegularExpression, in text: String, range: NSRange, ticks: Int) -> BoundedMatch {
        var result = BoundedMatch.none
        var spent = 0
        regex.enumerateMatches(in: text, options: [.reportProgress], range: range) { m, flags, stop in
            if let m { result = .match(m); stop.pointee = true; return }
            if flags.contains(.progress) {
                spent += 1
                if spent > ticks { result = .gaveUp; stop.pointee = true }
            }
        }
        return result
    }

    /// Runs the patterns over the line; nil when one matched (its groups are the columns).
    private func matchLine() -> String? {
        let text = raw.string
        let ns = text as NSString
        let whole = NSRange(location: 0, length: ns.length)
        for k in cols.indices { cols[k] = .absent }
        cols[0] = raw
        let budget = Self.matchBudget(utf16Length: ns.length)
        for (pi, p) in mapping.patterns.enumerated() {
            let found: NSTextCheckingResult?
            switch Self.boundedFirstMatch(p.regex, in: text, range: whole, ticks: budget) {
            case .match(let m): found = m
            case .none: found = nil
            case .gaveUp:
                matchedPattern = -1
                return "\(mapping.path):\(p.regexLine): \(p.key): gave up on \(buffer.source.name):\(line) after "
                    + "\((budget * Self.stepsPerTick).grouped) matching steps (nested quantifiers like (a+)+ backtrack "
                    + "exponentially on a line they almost match: anchor the pattern, match separators explicitly)"
            }
            guard let m = found else { continue }
            matchedPattern = pi
            // Group texts into the arena (UTF-16 ranges -> UTF-8 bytes).
            var values: [(Int, [UInt8])] = []
            for (ci, g) in patternGroups[pi] {
                let r = m.range(withName: g)
                if r.location == NSNotFound || r.length == 0 { continue }
                values.append((ci, Array(ns.substring(with: r).utf8)))
            }
            arena.reset(reserving: values.reduce(0) { $0 + $1.1.count })
            for (ci, v) in values {
                let dst = arena.base + arena.used
                v.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: v.count) }
                cols[ci] = Slice(ptr: UnsafePointer(dst), len: v.count)
                arena.used += v.count
            }
            return nil
        }
        matchedPattern = -1
        return "no pattern matched the line"
    }

    // MARK: mapping a row

    /// Fills the contract slots from the source columns; nil on success, else the reject reason.
    private func apply(_ slots: inout RowSlots) -> String? {
        slots.clear()
        out.reset(reserving: raw.len * 2 + staticBound)
        for c in compiled {
            var v: Slice
            switch c.op {
            case .column(let i): v = cols[i]
            case .columns(let cs, let sep):
                if cs.allSatisfy({ cols[$0].isAbsent }) { v = .absent; break }
                let start = out.used
                for (n, i) in cs.enumerated() {
                    if n > 0 { put(sep) }
                    let s = cols[i]
                    if let p = s.ptr { put(p, s.len) }
                }
                v = Slice(ptr: UnsafePointer(out.base + start), len: out.used - start)
            case .constant(let b): v = stash(b)
            case .lineID:
                let start = out.used
                put(fileTag)
                putInt(Int64(line))
                v = Slice(ptr: UnsafePointer(out.base + start), len: out.used - start)
            case .absent: v = .absent
            }
            if !v.isAbsent && !c.map.isEmpty {
                if let to = c.map[Array(v.raw)] { v = to.isEmpty ? .absent : stash(to) }
                else if let o = c.otherwise { v = o.isEmpty ? .absent : stash(o) }
            }
            if v.isAbsent, let d = c.defaultValue { v = stash(d) }
            if v.isAbsent { continue }
            if let t = c.time {
                guard let ms = convertTime(v, t, c.tokens) else {
                    return "\(c.name): '\(clip(v))' is not a timestamp in the mapped format (\(describe(t)))"
                }
                let start = out.used
                putInt(ms)
                v = Slice(ptr: UnsafePointer(out.base + start), len: out.used - start)
            } else if let s = c.scale {
                guard let d = ValueParse.decimal(v) else { return "\(c.name): not a number: '\(clip(v))'" }
                let text = Array(String(d * s).utf8)
                v = stash(text)
            }
            slots.values[c.field] = v
        }
        if matchedPattern >= 0 {
            for (fi, b) in patternConstants[matchedPattern] { slots.values[fi] = stash(b) }
        }
        for k in keptColumns {
            let v = cols[k]
            guard let p = v.ptr else { continue }
            columnBytes[k].withUnsafeBufferPointer { slots.extraKeys.append(Slice(ptr: $0.baseAddress, len: $0.count)) }
            slots.extraValues.append(v)
            slots.extraKinds.append(mapping.extraNumbers && Self.isJSONNumber(p, v.len) ? .number : .string)
        }
        if mapping.shape == .jsonl { keepJSONExtras(&slots) }
        if let labels, labelColumn >= 0, accountField >= 0 {
            let a = slots.values[accountField]
            let l = cols[labelColumn]
            if !a.isAbsent, !l.isAbsent, let spec = mapping.label {
                let value = l.string
                if spec.fraudValues.contains(value) { labels.add(account: a.string, fraud: true) }
                else if spec.legitValues.isEmpty || spec.legitValues.contains(value) { labels.add(account: a.string, fraud: false) }
            }
        }
        return nil
    }

    /// JSONL keys the mapping doesn't read are kept, as they came (numbers stay numbers).
    private func keepJSONExtras(_ slots: inout RowSlots) {
        let names = ContractKind.events.fields
        let used = usedJSONKeys
        for (fi, f) in names.enumerated() where !jsonSlots.values[fi].isAbsent && !used.contains(f.name) && mapping.isKept(f.name) {
            f.nameBytes.withUnsafeBufferPointer { slots.extraKeys.append(Slice(ptr: $0.baseAddress, len: $0.count)) }
            slots.extraValues.append(jsonSlots.values[fi])
            slots.extraKinds.append(jsonSlots.jsonKinds[fi])
        }
        for e in 0..<jsonSlots.extraKeys.count {
            let key = jsonSlots.extraKeys[e].string
            if used.contains(key) || !mapping.isKept(key) { continue }
            slots.extraKeys.append(jsonSlots.extraKeys[e])
            slots.extraValues.append(jsonSlots.extraValues[e])
            slots.extraKinds.append(jsonSlots.extraKinds[e])
        }
    }

    private func convertTime(_ v: Slice, _ t: TimeSpec, _ tokens: [TimePattern.Token]?) -> Int64? {
        guard let p = v.ptr else { return nil }
        switch t.form {
        case .iso:
            if let ms = TimePattern.parseISO(p, v.len, offsetMinutes: t.offsetMinutes) { return ms }
            return Timestamp.parse(v.raw).flatMap { ValueParse.integer(v) == nil ? $0 : nil }
        case .epoch, .relative:
            let base = t.form == .relative ? t.originMs : 0
            if let i = ValueParse.integer(v) {
                if t.msPerUnit == 1 { return base + i }
                if t.msPerUnit >= 1 { let m = Int64(t.msPerUnit); return base + i * m }
                return base + Int64((Double(i) * t.msPerUnit).rounded(.down))
            }
            guard let d = ValueParse.decimal(v) else { return nil }
            let ms = d * t.msPerUnit
            guard ms.isFinite, abs(ms) < 1e17 else { return nil }
            return base + Int64(ms.rounded())
        case .pattern:
            return TimePattern.parse(tokens!, p, v.len, year: t.year, offsetMinutes: t.offsetMinutes)
        }
    }

    private func describe(_ t: TimeSpec) -> String {
        switch t.form {
        case .iso: return "ISO date-time"
        case .epoch: return "epoch number"
        case .relative: return "number since the origin"
        case .pattern(let p): return "'\(p)'"
        }
    }

    private func clip(_ s: Slice) -> String {
        let t = s.string
        return t.count > 40 ? String(t.prefix(40)) + "…" : t
    }

    @inline(__always) private func put(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { put($0.baseAddress!, $0.count) }
    }
    @inline(__always) private func put(_ p: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        (out.base + out.used).update(from: p, count: n)
        out.used += n
    }
    private func putInt(_ v: Int64) {
        var x = v.magnitude
        var tmp = [UInt8](repeating: 0, count: 20)
        var k = 20
        repeat { k -= 1; tmp[k] = UInt8(48 + x % 10); x /= 10 } while x > 0
        if v < 0 { put([UInt8(ascii: "-")]) }
        tmp.withUnsafeBufferPointer { put($0.baseAddress! + k, 20 - k) }
    }
    private func stash(_ b: [UInt8]) -> Slice {
        let start = out.used
        put(b)
        return Slice(ptr: UnsafePointer(out.base + start), len: b.count)
    }

    /// A JSON number exactly as written: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?
    static func isJSONNumber(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        if i < n && p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n, p[i] >= 48, p[i] <= 57 else { return false }
        if p[i] == 48 { i += 1 } else { while i < n, p[i] >= 48, p[i] <= 57 { i += 1 } }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            let s = i
            while i < n, p[i] >= 48, p[i] <= 57 { i += 1 }
            if i == s { return false }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            let s = i
            while i < n, p[i] >= 48, p[i] <= 57 { i += 1 }
            if i == s { return false }
        }
        return i == n
    }
}

extension MappedReader { var inputBuffer: InputBuffer? { buffer } }
