import Foundation
import RiskStore

/// A window over a byte source: bytes [start, end) of `base` are read and not yet consumed.
final class InputBuffer {
    let source: ByteSource
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var start = 0
    private(set) var end = 0
    private(set) var eof = false
    let chunk: Int
    let maxCapacity: Int

    init(source: ByteSource, prefix: [UInt8], chunk: Int = 1 << 20, maxCapacity: Int = maxBufferedRecordBytes + (1 << 20)) {
        self.source = source
        self.chunk = chunk
        self.maxCapacity = maxCapacity
        capacity = chunk * 2
        base = .allocate(capacity: capacity)
        for (i, b) in prefix.enumerated() { base[i] = b }
        end = prefix.count
    }

    deinit { base.deallocate() }

    var available: Int { end - start }
    /// True when the unconsumed bytes fill the largest buffer: a fill would return `.full`.
    var atLimit: Bool { capacity >= maxCapacity && capacity - available < chunk / 2 }

    /// Reads more bytes, moving unconsumed bytes to the front (pointers into the buffer
    /// are invalid afterwards). Returns false at the end of input or when idle.
    enum Fill { case more, eof, idle, full }
    func fill() throws -> Fill {
        if eof { return .eof }
        if start > 0 {
            let n = end - start
            if n > 0 { memmove(base, base + start, n) }
            start = 0
            end = n
        }
        if capacity - end < chunk / 2 {
            if capacity >= maxCapacity { return .full }
            let newCap = min(capacity * 2, maxCapacity)
            let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
            nb.update(from: base, count: end)
            base.deallocate()
            base = nb
            capacity = newCap
        }
        switch try source.read(into: base + end, capacity: capacity - end) {
        case .bytes(let n): end += n; return .more
        case .eof:
            eof = true
            if let g = source as? GzipSource, let why = g.breakMessage, brokenAt == nil {
                // The stream broke: a last line without its newline is cut short, not a record.
                var cut = end
                while cut > start && base[cut - 1] != 10 { cut -= 1 }
                brokenTail = Array(UnsafeBufferPointer(start: base + cut, count: end - cut))
                brokenAt = g.bytesDecoded - Int64(end - cut)
                breakMessage = why
                end = cut
            }
            return .eof
        case .idle: return .idle
        }
    }

    /// After a broken gzip stream: why, the decompressed offset of the last whole line's end,
    /// and the partial line after it (not imported).
    private(set) var breakMessage: String?
    private(set) var brokenAt: Int64?
    private(set) var brokenTail: [UInt8] = []

    /// Restart from the beginning of a followed file that was truncated.
    func discardAll() { start = 0; end = 0; eof = false }
}

/// A growable scratch area for unescaped values; stable while one record is processed.
struct Arena {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var used = 0
    init() { capacity = 1 << 16; base = .allocate(capacity: capacity) }
    /// Makes room for `n` bytes; call before handing out any pointer for a record.
    mutating func reset(reserving n: Int) {
        used = 0
        if n > capacity {
            base.deallocate()
            capacity = max(n, capacity * 2)
            base = .allocate(capacity: capacity)
        }
    }
    func free() { base.deallocate() }
}

enum ReadOutcome: Equatable {
    case row
    case bad(String)
    case end
    case idle
}

protocol RecordReader: AnyObject {
    /// 1-based line where the current record starts.
    var line: Int { get }
    /// The current record's bytes, verbatim (valid until the next call to `next`).
    var raw: Slice { get }
    var source: ByteSource { get }
    /// The buffer it reads through (nil for a stand-in that reads nothing).
    var inputBuffer: InputBuffer? { get }
    func next(into slots: inout RowSlots) throws -> ReadOutcome
}

extension CSVReader { var inputBuffer: InputBuffer? { buffer } }
extension JSONLReader { var inputBuffer: InputBuffer? { buffer } }

/// Largest field (CSV) or line (JSONL) stored; longer ones are rejected, saying how long.
/// A reject keeps at most this much of its raw text.
let maxRecordBytes = 1 << 20
/// Largest CSV record read whole to give it one verdict; a quote left open runs no further.
let maxBufferedRecordBytes = 1 << 26

/// A copy of a reject's raw bytes that outlives the buffer (for records skipped past).
struct Spill {
    private var base: UnsafeMutablePointer<UInt8>?
    mutating func keep(_ p: UnsafePointer<UInt8>, _ n: Int) -> Slice {
        let n = min(n, maxRecordBytes)
        if base == nil { base = .allocate(capacity: maxRecordBytes) }
        base!.update(from: p, count: n)
        return Slice(ptr: UnsafePointer(base!), len: n)
    }
    func free() { base?.deallocate() }
}

// MARK: - CSV (RFC 4180)

final class CSVReader: RecordReader {
    let buffer: InputBuffer
    var source: ByteSource { buffer.source }
    let kind: ContractKind
    private(set) var line = 1
    private(set) var raw = Slice.absent
    private var nextLine = 1
    /// For each column: a contract field index, or -1 for a field beyond the contract.
    private(set) var columnTarget: [Int] = []
    private(set) var header: [String] = []
    private var headerBytes: [[UInt8]] = []
    private var fStart: [Int] = []
    private var fEnd: [Int] = []
    private var fEscaped: [Bool] = []
    private var arena = Arena()
    private var spill = Spill()

    /// Reads and checks the header. Throws when the file can't be an export of `kind`.
    init(buffer: InputBuffer, kind: ContractKind) throws {
        self.buffer = buffer
        self.kind = kind
        // Skip a UTF-8 byte-order mark.
        while buffer.available < 3, try buffer.fill() == .more {}
        if buffer.available >= 3, buffer.base[buffer.start] == 0xEF, buffer.base[buffer.start + 1] == 0xBB,
           buffer.base[buffer.start + 2] == 0xBF { buffer.start += 3 }
        var dummy = RowSlots(fieldCount: 0)
        switch try scanRecord(into: &dummy, isHeader: true) {
        case .row: break
        case .end: throw ImportError("\(buffer.source.name): empty file: no CSV header")
        case .idle: throw ImportError("\(buffer.source.name): no CSV header yet")
        case .bad(let why): throw ImportError("\(buffer.source.name):1: unreadable CSV header: \(why)")
        }
        try mapHeader()
    }

    /// Checks `header` and maps its columns to contract fields.
    private func mapHeader() throws {
        let fields = kind.fields
        var seen = Set<String>()
        columnTarget = []
        headerBytes = []
        for name in header {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { throw ImportError("\(buffer.source.name):1: CSV header has an empty column name") }
            if !seen.insert(trimmed).inserted { throw ImportError("\(buffer.source.name):1: CSV header names column '\(trimmed)' twice") }
            columnTarget.append(fields.firstIndex { $0.name == trimmed } ?? -1)
            headerBytes.append(Array(trimmed.utf8))
        }
        let missing = fields.filter { $0.required && !seen.contains($0.name) }.map(\.name)
        if !missing.isEmpty {
            throw ImportError("\(buffer.source.name):1: CSV header lacks required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) for \(kind.rawValue) (header: \(header.joined(separator: ",")))")
        }
    }

    deinit { arena.free(); spill.free() }

    /// Set by `restart()`: the next record is a header.
    private var headerPending = false

    /// `import --follow`: the file was truncated or replaced and is read again from its start,
    /// so its first record is a header again — read as one (its columns mapped anew: a
    /// rotated file may order them differently), not rejected as a row; lines count from 1.
    func restart() {
        buffer.discardAll()
        line = 1
        nextLine = 1
        headerPending = true
    }

    func next(into slots: inout RowSlots) throws -> ReadOutcome {
        if headerPending {
            if buffer.available < 3 { _ = try buffer.fill() }
            if buffer.available >= 3, buffer.base[buffer.start] == 0xEF, buffer.base[buffer.start + 1] == 0xBB,
               buffer.base[buffer.start + 2] == 0xBF { buffer.start += 3 }
            var dummy = RowSlots(fieldCount: 0)
            switch try scanRecord(into: &dummy, isHeader: true) {
            case .row: headerPending = false; try mapHeader()
            case .idle: return .idle
            case .end: return .end
            case .bad(let why): throw ImportError("\(buffer.source.name):\(line): unreadable CSV header: \(why)")
            }
        }
        while true {
            let r = try scanRecord(into: &slots, isHeader: false)
            if case .bad = r { return r }
            if r == .row && fStart.count == 1 && fEnd[0] == fStart[0] { continue }   // blank line
            return r
        }
    }

    private enum Scan { case record, needMore, bad(String) }

    /// Scans one record starting at buffer.start; fills field boundaries.
    private func scanOnce(eof: Bool) -> (Scan, consumedTo: Int, newlines: Int) {
        let b = buffer.base
        let end = buffer.end
        var i = buffer.start
        var newlines = 0
        fStart.removeAll(keepingCapacity: true)
        fEnd.removeAll(keepingCapacity: true)
        fEscaped.removeAll(keepingCapacity: true)
        while true {
            if i < end && b[i] == UInt8(ascii: "\"") {
                // Quoted field.
                let contentStart = i + 1
                var j = contentStart
                var escaped = false
                var closeAt = -1
                while true {
                    guard j < end, let q = memchr(b + j, Int32(UInt8(ascii: "\"")), end - j) else {
                        if eof { return (.bad("unterminated quoted field"), end, newlines) }
                        return (.needMore, 0, 0)
                    }
                    let qi = UnsafeMutablePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - b
                    newlines += countNewlines(b + j, qi - j)
                    if qi + 1 == end && !eof { return (.needMore, 0, 0) }
                    if qi + 1 < end && b[qi + 1] == UInt8(ascii: "\"") {
                        escaped = true
                        j = qi + 2
                        continue
                    }
                    closeAt = qi
                    break
                }
                fStart.append(contentStart)
                fEnd.append(closeAt)
                fEscaped.append(escaped)
                i = closeAt + 1
                if i < end {
                    let c = b[i]
                    if c != UInt8(ascii: ",") && c != UInt8(ascii: "\n") && c != UInt8(ascii: "\r") {
                        return (.bad("broken quoting: text after a closing quote in field \(fStart.count)"), i, newlines)
                    }
                }
            } else {
                var j = i
                while j < end {
                    let c = b[j]
                    if c == UInt8(ascii: ",") || c == UInt8(ascii: "\n") { break }
                    if c == UInt8(ascii: "\r") {
                        if j + 1 < end { if b[j + 1] == UInt8(ascii: "\n") { break } }
                        else if !eof { return (.needMore, 0, 0) }
                    }
                    if c == UInt8(ascii: "\"") {
                        return (.bad("broken quoting: a quote inside unquoted field \(fStart.count + 1)"), j, newlines)
                    }
                    j += 1
                }
                if j == end && !eof { return (.needMore, 0, 0) }
                fStart.append(i)
                fEnd.append(j)
                fEscaped.append(false)
                i = j
            }
            // After a field: delimiter, end of record, or end of input.
            if i >= end {
                if i == buffer.start { return (.record, i, newlines) }
                return (.record, i, newlines)
            }
            let c = b[i]
            if c == UInt8(ascii: ",") { i += 1; if i == end && !eof { return (.needMore, 0, 0) }; continue }
            if c == UInt8(ascii: "\r") {
                if i + 1 < end && b[i + 1] == UInt8(ascii: "\n") { return (.record, i + 2, newlines + 1) }
                if i + 1 == end && !eof { return (.needMore, 0, 0) }
                return (.record, i + 1, newlines)
            }
            // '\n'
            return (.record, i + 1, newlines + 1)
        }
    }

    private func scanRecord(into slots: inout RowSlots, isHeader: Bool) throws -> ReadOutcome {
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
                if buffer.atLimit {
                    return try recover("record longer than \(maxBufferedRecordBytes >> 20) MiB (an unterminated quoted field?)")
                }
                // Read until the window has doubled before scanning again, so a long record
                // costs a few scans, not one per read.
                let target = max(buffer.available * 2, buffer.chunk)
                var r: InputBuffer.Fill
                repeat { r = try buffer.fill() } while r == .more && buffer.available < target
                if r == .idle { return .idle }
                continue
            case .bad(let why):
                return try recover(why)
            case .record:
                line = nextLine
                let recStart = buffer.start
                raw = Slice(ptr: UnsafePointer(buffer.base + recStart), len: trimmedEnd(to) - recStart)
                nextLine += nl
                buffer.start = to
                if !isValidUTF8(buffer.base + recStart, to - recStart) { return .bad("invalid UTF-8") }
                if isHeader {
                    header = (0..<fStart.count).map { k in
                        var s = String(decoding: UnsafeBufferPointer(start: buffer.base + fStart[k], count: fEnd[k] - fStart[k]), as: UTF8.self)
                        if fEscaped[k] { s = s.replacingOccurrences(of: "\"\"", with: "\"") }
                        return s
                    }
                    return .row
                }
                if fStart.count == 1 && fEnd[0] == fStart[0] { return .row }   // blank line, skipped by caller
                if fStart.count != columnTarget.count {
                    return .bad("expected \(columnTarget.count) fields (as in the header), found \(fStart.count)")
                }
                for k in 0..<fStart.count where fEnd[k] - fStart[k] > maxRecordBytes {
                    return .bad("field too long: \((fEnd[k] - fStart[k]).grouped) bytes in field \(k + 1) (\(header[k])); the limit is \((maxRecordBytes >> 20)) MiB")
                }
                fillSlots(&slots)
                return .row
            }
        }
    }

    /// After a malformed record: keep its first physical line as the reject and go on
    /// with the next line, so one stray quote can't swallow the rest of the file.
    private func recover(_ why: String) throws -> ReadOutcome {
        line = nextLine
        while true {
            let b = buffer.base
            if let nl = memchr(b + buffer.start, Int32(UInt8(ascii: "\n")), buffer.available) {
                let at = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - b
                raw = Slice(ptr: UnsafePointer(b + buffer.start), len: trimmedEnd(at + 1) - buffer.start)
                buffer.start = at + 1
                nextLine += 1
                return .bad(why)
            }
            if buffer.eof {
                raw = Slice(ptr: UnsafePointer(b + buffer.start), len: buffer.available)
                buffer.start = buffer.end
                return .bad(why)
            }
            if buffer.available >= maxRecordBytes || buffer.atLimit {
                // One verdict for the whole line: keep its start, skip to its end.
                raw = spill.keep(UnsafePointer(b + buffer.start), buffer.available)
                buffer.start = buffer.end
                let skipped = try skipPastNewline()
                if skipped > 0 { nextLine += 1 }
                return .bad(why)
            }
            switch try buffer.fill() {
            case .more, .eof, .full: continue
            case .idle: return .idle
            }
        }
    }

    /// Drops input up to and including the next newline; returns the bytes dropped.
    private func skipPastNewline() throws -> Int {
        var n = 0
        while true {
            let b = buffer.base
            if buffer.available > 0, let nl = memchr(b + buffer.start, 10, buffer.available) {
                let at = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - b
                n += at + 1 - buffer.start
                buffer.start = at + 1
                return n
            }
            n += buffer.available
            buffer.start = buffer.end
            switch try buffer.fill() {
            case .more: continue
            default: return n
            }
        }
    }

    /// End of a record's text without its line break.
    private func trimmedEnd(_ to: Int) -> Int {
        var e = to
        if e > buffer.start && buffer.base[e - 1] == UInt8(ascii: "\n") { e -= 1 }
        if e > buffer.start && buffer.base[e - 1] == UInt8(ascii: "\r") { e -= 1 }
        return e
    }

    private func fillSlots(_ slots: inout RowSlots) {
        slots.clear()
        var needArena = 0
        for k in 0..<fStart.count where fEscaped[k] { needArena += fEnd[k] - fStart[k] }
        if needArena > 0 { arena.reset(reserving: needArena) }
        arena.used = 0
        let b = buffer.base
        for k in 0..<fStart.count {
            let n = fEnd[k] - fStart[k]
            if n == 0 { continue }   // empty field = absent
            var s = Slice(ptr: UnsafePointer(b + fStart[k]), len: n)
            if fEscaped[k] {
                // Undouble quotes into the arena.
                let dst = arena.base + arena.used
                var w = 0
                var r = fStart[k]
                while r < fEnd[k] {
                    dst[w] = b[r]
                    w += 1
                    r += (b[r] == UInt8(ascii: "\"")) ? 2 : 1
                }
                s = Slice(ptr: UnsafePointer(dst), len: w)
                arena.used += w
            }
            let t = columnTarget[k]
            if t >= 0 {
                slots.values[t] = s
            } else {
                headerBytes[k].withUnsafeBufferPointer { hb in
                    slots.extraKeys.append(Slice(ptr: hb.baseAddress, len: hb.count))
                }
                slots.extraValues.append(s)
                slots.extraKinds.append(.string)
            }
        }
    }
}

@inline(__always)
func countNewlines(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    var c = 0
    var q = p
    var left = n
    while left > 0, let f = memchr(q, 10, left) {
        let at = UnsafePointer<UInt8>(f.assumingMemoryBound(to: UInt8.self))
        c += 1
        left -= (at - q) + 1
        q = at + 1
    }
    return c
}

// MARK: - JSONL

final class JSONLReader: RecordReader {
    let buffer: InputBuffer
    var source: ByteSource { buffer.source }
    let kind: ContractKind
    private let fieldNames: [[UInt8]]
    private(set) var line = 0
    private(set) var raw = Slice.absent
    private var arena = Arena()
    private var spill = Spill()

    init(buffer: InputBuffer, kind: ContractKind) {
        self.buffer = buffer
        self.kind = kind
        fieldNames = kind.fields.map(\.nameBytes)
    }

    deinit { arena.free(); spill.free() }

    /// `import --follow`: the file is read again from its start; lines count from 1.
    func restart() {
        buffer.discardAll()
        line = 0
    }

    func next(into slots: inout RowSlots) throws -> ReadOutcome {
        while true {
            // Find a whole line.
            var lineEnd = -1
            var consumed = 0
            while true {
                let b = buffer.base
                if buffer.available > 0, let nl = memchr(b + buffer.start, 10, buffer.available) {
                    lineEnd = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - b
                    consumed = lineEnd + 1
                    break
                }
                if buffer.available > maxRecordBytes {
                    line += 1
                    raw = spill.keep(UnsafePointer(b + buffer.start), buffer.available)
                    let had = buffer.available
                    buffer.start = buffer.end
                    // The rest of the overlong line is skipped until its newline: one verdict.
                    let total = had + (try skipRestOfLine())
                    return .bad("line too long: \(total.grouped) bytes; the limit is \(maxRecordBytes >> 20) MiB")
                }
                if buffer.eof {
                    if buffer.available == 0 { return .end }
                    lineEnd = buffer.end
                    consumed = buffer.end
                    break
                }
                switch try buffer.fill() {
                case .more, .eof: continue
                case .idle: return .idle
                case .full: continue
                }
            }
            line += 1
            let b = buffer.base
            let s = buffer.start
            if lineEnd - s > maxRecordBytes {
                // Found whole in the buffer, but past the limit: the same verdict as when not.
                raw = Slice(ptr: UnsafePointer(b + s), len: maxRecordBytes)
                buffer.start = consumed
                return .bad("line too long: \((lineEnd - s).grouped) bytes; the limit is \(maxRecordBytes >> 20) MiB")
            }
            var e = lineEnd
            if e > s && b[e - 1] == UInt8(ascii: "\r") { e -= 1 }
            raw = Slice(ptr: UnsafePointer(b + s), len: e - s)
            buffer.start = consumed
            // Blank lines are skipped.
            var k = s
            while k < e && (b[k] == 32 || b[k] == 9) { k += 1 }
            if k == e { continue }
            if !isValidUTF8(b + s, e - s) { return .bad("invalid UTF-8") }
            arena.reset(reserving: e - s)
            slots.clear()
            if let err = parseObject(UnsafePointer(b), from: k, to: e, into: &slots) { return .bad(err) }
            return .row
        }
    }

    /// Skips to just past the next newline; returns the bytes skipped before it.
    private func skipRestOfLine() throws -> Int {
        var n = 0
        while true {
            let b = buffer.base
            if buffer.available > 0, let nl = memchr(b + buffer.start, 10, buffer.available) {
                let at = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - b
                n += at - buffer.start
                buffer.start = at + 1
                return n
            }
            n += buffer.available
            buffer.start = buffer.end
            switch try buffer.fill() {
            case .more: continue
            default: return n
            }
        }
    }

    @inline(__always) private func skipWS(_ b: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) {
        while i < end {
            let c = b[i]
            if c == 32 || c == 9 || c == 13 || c == 10 { i += 1 } else { break }
        }
    }

    /// Parses one flat JSON object; nil on success, else the reason.
    private func parseObject(_ b: UnsafePointer<UInt8>, from: Int, to end: Int, into slots: inout RowSlots) -> String? {
        var i = from
        guard b[i] == UInt8(ascii: "{") else { return "invalid JSON: not an object" }
        i += 1
        skipWS(b, &i, end)
        if i < end && b[i] == UInt8(ascii: "}") {
            i += 1
            skipWS(b, &i, end)
            return i == end ? nil : "invalid JSON: text after the object"
        }
        while true {
            guard i < end, b[i] == UInt8(ascii: "\"") else { return "invalid JSON: expected a key at column \(i - from + 1)" }
            var key = Slice.absent
            if let err = parseString(b, &i, end, &key) { return err }
            skipWS(b, &i, end)
            guard i < end, b[i] == UInt8(ascii: ":") else { return "invalid JSON: expected ':' at column \(i - from + 1)" }
            i += 1
            skipWS(b, &i, end)
            guard i < end else { return "invalid JSON: missing value" }
            var value = Slice.absent
            var vkind = JSONValueKind.string
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                if let err = parseString(b, &i, end, &value) { return err }
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                let st = i
                if let err = skipComposite(b, &i, end) { return err }
                value = Slice(ptr: b + st, len: i - st)
                vkind = .composite
            } else if c == UInt8(ascii: "t") || c == UInt8(ascii: "f") || c == UInt8(ascii: "n") {
                let st = i
                while i < end, b[i] >= UInt8(ascii: "a"), b[i] <= UInt8(ascii: "z") { i += 1 }
                let lit = Slice(ptr: b + st, len: i - st)
                if lit.equals(Self.trueLit) || lit.equals(Self.falseLit) { vkind = .bool; value = lit }
                else if lit.equals(Self.nullLit) { vkind = .null }
                else { return "invalid JSON: unknown literal at column \(st - from + 1)" }
            } else if c == UInt8(ascii: "-") || (c >= 48 && c <= 57) {
                let st = i
                i += 1
                while i < end {
                    let d = b[i]
                    if (d >= 48 && d <= 57) || d == UInt8(ascii: ".") || d == UInt8(ascii: "e") || d == UInt8(ascii: "E")
                        || d == UInt8(ascii: "+") || d == UInt8(ascii: "-") { i += 1 } else { break }
                }
                value = Slice(ptr: b + st, len: i - st)
                if !JSONCheck.isNumber(value) {
                    return "invalid JSON: bad number '\(value.string.prefix(40))' at column \(st - from + 1)"
                }
                vkind = .number
            } else {
                return "invalid JSON: unexpected '\(Character(Unicode.Scalar(c)))' at column \(i - from + 1)"
            }
            if !assign(key: key, value: value, kind: vkind, into: &slots) {
                // Which one counts would be a guess (`"account_id":"a1", "account_id":"a2"`).
                return "duplicate key '\(key.string)'"
            }
            skipWS(b, &i, end)
            guard i < end else { return "invalid JSON: object not closed" }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                skipWS(b, &i, end)
                continue
            }
            if b[i] == UInt8(ascii: "}") {
                i += 1
                skipWS(b, &i, end)
                return i == end ? nil : "invalid JSON: text after the object at column \(i - from + 1)"
            }
            return "invalid JSON: expected ',' or '}' at column \(i - from + 1)"
        }
    }

    static let trueLit = Array("true".utf8), falseLit = Array("false".utf8), nullLit = Array("null".utf8)

    /// False when the row already gave this contract field a value (a duplicate key).
    @inline(__always)
    private func assign(key: Slice, value: Slice, kind: JSONValueKind, into slots: inout RowSlots) -> Bool {
        for (idx, name) in fieldNames.enumerated() where name.count == key.len {
            if name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, key.ptr!, key.len) == 0 }) {
                // A null after a value would erase it as silently as a second value replaces it.
                if !slots.values[idx].isAbsent { return false }
                slots.values[idx] = kind == .null ? .absent : value
                slots.jsonKinds[idx] = kind
                return true
            }
        }
        if kind == .null { return true }   // absent and null mean the same
        slots.extraKeys.append(key)
        slots.extraValues.append(value)
        slots.extraKinds.append(kind)
        return true
    }

    /// Parses a string at b[i] == '"'; the value points into the line, or into the arena
    /// when it had escapes.
    private func parseString(_ b: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, _ out: inout Slice) -> String? {
        i += 1
        let st = i
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") { out = Slice(ptr: b + st, len: i - st); i += 1; return nil }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { return "invalid JSON: control character in a string" }
            i += 1
        }
        if i >= end { return "invalid JSON: unterminated string" }
        // Slow path: unescape into the arena.
        let dst = arena.base + arena.used
        var w = 0
        memcpy(dst, b + st, i - st)
        w = i - st
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                out = Slice(ptr: UnsafePointer(dst), len: w)
                arena.used += w
                i += 1
                return nil
            }
            if c < 0x20 { return "invalid JSON: control character in a string" }
            if c != UInt8(ascii: "\\") { dst[w] = c; w += 1; i += 1; continue }
            guard i + 1 < end else { return "invalid JSON: unterminated string" }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): dst[w] = 0x22; w += 1
            case UInt8(ascii: "\\"): dst[w] = 0x5C; w += 1
            case UInt8(ascii: "/"): dst[w] = 0x2F; w += 1
            case UInt8(ascii: "b"): dst[w] = 0x08; w += 1
            case UInt8(ascii: "f"): dst[w] = 0x0C; w += 1
            case UInt8(ascii: "n"): dst[w] = 0x0A; w += 1
            case UInt8(ascii: "r"): dst[w] = 0x0D; w += 1
            case UInt8(ascii: "t"): dst[w] = 0x09; w += 1
            case UInt8(ascii: "u"):
                guard var cp = hex4(b, i, end) else { return "invalid JSON: bad \\u escape" }
                i += 4
                if cp >= 0xD800 && cp <= 0xDBFF {
                    guard i + 1 < end, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                          let lo = hex4(b, i + 2, end), lo >= 0xDC00, lo <= 0xDFFF
                    else { return "invalid JSON: unpaired surrogate in \\u escape" }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    i += 6
                } else if cp >= 0xDC00 && cp <= 0xDFFF {
                    return "invalid JSON: unpaired surrogate in \\u escape"
                }
                if cp < 0x80 { dst[w] = UInt8(cp); w += 1 }
                else if cp < 0x800 { dst[w] = UInt8(0xC0 | (cp >> 6)); dst[w + 1] = UInt8(0x80 | (cp & 0x3F)); w += 2 }
                else if cp < 0x10000 {
                    dst[w] = UInt8(0xE0 | (cp >> 12)); dst[w + 1] = UInt8(0x80 | ((cp >> 6) & 0x3F))
                    dst[w + 2] = UInt8(0x80 | (cp & 0x3F)); w += 3
                } else {
                    dst[w] = UInt8(0xF0 | (cp >> 18)); dst[w + 1] = UInt8(0x80 | ((cp >> 12) & 0x3F))
                    dst[w + 2] = UInt8(0x80 | ((cp >> 6) & 0x3F)); dst[w + 3] = UInt8(0x80 | (cp & 0x3F)); w += 4
                }
            default: return "invalid JSON: bad escape '\\\(Character(Unicode.Scalar(e)))'"
            }
        }
        return "invalid JSON: unterminated string"
    }

    private func hex4(_ b: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> UInt32? {
        guard i + 4 <= end else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = b[i + k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    /// Skips a nested object or array (kept verbatim when it's a field beyond the contract).
    private func skipComposite(_ b: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) -> String? {
        var depth = 0
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                while i < end && b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
                if i >= end { return "invalid JSON: unterminated string" }
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { i += 1; return nil }
            }
            i += 1
        }
        return "invalid JSON: unclosed object or array"
    }
}
