import CSQLite
import Foundation
import RiskStore

/// Features from the text columns a mapped import kept in `events.extra` (a product code, an
/// e-mail domain, a device name): per account, for each text key,
///
/// - `extra_share:KEY=VALUE` — the share of the account's events with that value, for the key's
///   frequent values only (at most `valuesPerKey`, each at least `minValueShare` of the events
///   that have the key, in a sample spread over the store);
/// - `extra_other:KEY` — the share with any other value;
/// - `extra_missing:KEY` — the share without the key (absent, empty or JSON null);
/// - `extra_distinct:KEY` — how many distinct values the account used (capped at `distinctCap`).
///
/// The frequent values are learnt from the store when training and then live in the feature
/// names, so a stored model asks for exactly the values it learnt from. One streaming pass over
/// the events; memory is per account × feature, never per event. Nothing here is specific to
/// one export: any string-valued key that is not an identifier (too many distinct values) counts.
public enum CategoricalFeatures {
    public static let sharePrefix = "extra_share:"
    public static let otherPrefix = "extra_other:"
    public static let missingPrefix = "extra_missing:"
    public static let distinctPrefix = "extra_distinct:"
    static let prefixes = [sharePrefix, otherPrefix, missingPrefix, distinctPrefix]

    /// At most this many text keys (the most often present).
    public static var maxKeys = 24
    /// At most this many frequent values per key.
    public static var valuesPerKey = 8
    /// A frequent value covers at least this share of the sampled events that have the key.
    public static var minValueShare = 0.01
    /// Values longer than this (bytes, as stored) never become a named value.
    public static var maxValueBytes = 64
    /// Keys longer than this are skipped.
    public static var maxKeyBytes = 64
    /// Distinct values per account and key are counted up to this.
    public static var distinctCap = 32
    /// Events sampled (spread over the store) to choose keys and frequent values.
    public static var sampleSize = 20_000

    public static func isCategorical(_ name: String) -> Bool { prefixes.contains { name.hasPrefix($0) } }

    /// A text key and its frequent values, most frequent first.
    public struct Key: Equatable, Sendable {
        public var name: String
        public var values: [String]
        public init(name: String, values: [String]) { self.name = name; self.values = values }
    }

    /// The feature names of keys: per key its shares, other, missing, distinct.
    public static func names(_ keys: [Key]) -> [String] {
        var out: [String] = []
        for k in keys {
            for v in k.values { out.append(sharePrefix + k.name + "=" + v) }
            out.append(otherPrefix + k.name)
            out.append(missingPrefix + k.name)
            out.append(distinctPrefix + k.name)
        }
        return out
    }

    /// The keys (and values) a list of feature names asks for, in order of first mention.
    public static func keys(in names: [String]) -> [Key] {
        var out: [Key] = []
        func slot(_ k: String) -> Int {
            if let i = out.firstIndex(where: { $0.name == k }) { return i }
            out.append(Key(name: k, values: [])); return out.count - 1
        }
        for n in names {
            if n.hasPrefix(sharePrefix) {
                let rest = n.dropFirst(sharePrefix.count)
                guard let eq = rest.firstIndex(of: "=") else { continue }
                let i = slot(String(rest[..<eq]))
                let v = String(rest[rest.index(after: eq)...])
                if !out[i].values.contains(v) { out[i].values.append(v) }
            } else if let p = prefixes.first(where: { n.hasPrefix($0) }) {
                _ = slot(String(n.dropFirst(p.count)))
            }
        }
        return out
    }

    /// Text keys of the store and their frequent values, from a sample of events spread over it.
    /// A key counts when it is present in at least 1 % of the sampled events, holds a JSON string
    /// in most of them, and is not an identifier (at most half as many distinct values as
    /// events, in a sample of at least 20). Sorted by name.
    public static func keys(_ db: SQLDatabase) throws -> [Key] {
        guard let maxID = try db.rows("SELECT max(id) FROM events").first?[0].int, maxID > 0 else { return [] }
        let step = max(1, maxID / Int64(sampleSize))
        struct Tally { var present = 0, strings = 0, values: [String: Int] = [:], distinctOverflow = false }
        var tally: [String: Tally] = [:]
        var n = 0
        try eachText(db, "SELECT extra FROM events WHERE id % ? = 0 AND extra IS NOT NULL ORDER BY id LIMIT ?",
                     [.int(step), .int(Int64(sampleSize))]) { _, _, p0, len in
            guard let p = p0 else { return }
            n += 1
            scan(p, len) { key, kind, value in
                guard kind != .null else { return }
                let k = String(decoding: UnsafeBufferPointer(start: key.0, count: key.1), as: UTF8.self)
                tally[k, default: Tally()].present += 1
                if kind == .string { tally[k]!.strings += 1 }
                if value.1 <= maxValueBytes && kind != .nested {
                    tally[k]!.values[String(decoding: UnsafeBufferPointer(start: value.0, count: value.1), as: UTF8.self), default: 0] += 1
                } else {
                    tally[k]!.distinctOverflow = true
                }
            }
        }
        guard n > 0 else { return [] }
        var chosen: [(Key, Int)] = []
        for (k, t) in tally {
            guard t.present * 100 >= n, t.strings * 2 > t.present else { continue }
            guard k.utf8.count <= maxKeyBytes, !k.contains("="), k.unicodeScalars.allSatisfy({ $0.value >= 32 }) else { continue }
            if t.present >= 20 && t.values.count * 2 > t.present { continue }     // an identifier or free text
            if t.values.count <= 1 && t.present == n && !t.distinctOverflow { continue }  // constant
            let floor = max(2, Int((minValueShare * Double(t.present)).rounded(.up)))
            let vals = t.values.filter { $0.value >= floor && !$0.key.isEmpty }
                .sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(valuesPerKey).map(\.key)
            chosen.append((Key(name: k, values: vals), t.present))
        }
        return chosen.sorted { ($0.1, $1.0.name) > ($1.1, $0.0.name) }.prefix(maxKeys).map(\.0).sorted { $0.name < $1.name }
    }

    /// `accountCount × names.count`, row-major, in the order of `names` (names that are not
    /// categorical features get 0). One pass over the events.
    public static func compute(_ db: SQLDatabase, _ table: EventTable, names: [String]) throws -> [Float] {
        let na = table.accountCount, d = names.count
        let keys = self.keys(in: names)
        guard !keys.isEmpty, na > 0 else { return [Float](repeating: 0, count: na * d) }
        let nk = keys.count
        var keyIndex = Interner(capacity: nk)
        for k in keys { keyIndex.intern(k.name) }
        // Per key, its named values; slot numbers into the per-account value counts.
        var valueIndex: [Interner] = []
        var valueBase: [Int] = []
        var nv = 0
        for k in keys {
            var it = Interner(capacity: max(1, k.values.count))
            for v in k.values { it.intern(v) }
            valueIndex.append(it); valueBase.append(nv); nv += k.values.count
        }
        var rows = [Int32](repeating: 0, count: na)
        var present = [Int32](repeating: 0, count: na * nk)
        var hits = [Int32](repeating: 0, count: na * max(1, nv))
        var distinct = [UInt16](repeating: 0, count: na * nk)
        var seen = Set<UInt64>()
        let cap = UInt16(max(1, distinctCap))
        var lastKeyEvent = [Int](repeating: -1, count: nk)
        var event = 0
        try eachText(db, "SELECT account_id, extra FROM events", []) { ap0, alen, p0, len in
            guard let ap = ap0 else { return }
            guard let a32 = table.accounts.lookup(UnsafeRawBufferPointer(start: ap, count: alen)) else { return }
            let a = Int(a32)
            rows[a] += 1
            event += 1
            guard let p = p0 else { return }
            scan(p, len) { key, kind, value in
                guard kind != .null,
                      let ki32 = keyIndex.lookup(UnsafeRawBufferPointer(start: key.0, count: key.1)) else { return }
                let ki = Int(ki32)
                // A key repeated inside one object counts once (the first).
                guard lastKeyEvent[ki] != event else { return }
                lastKeyEvent[ki] = event
                present[a * nk + ki] += 1
                let vb = UnsafeRawBufferPointer(start: value.0, count: value.1)
                if kind != .nested, value.1 <= maxValueBytes, let vi = valueIndex[ki].lookup(vb) {
                    hits[a * nv + valueBase[ki] + Int(vi)] += 1
                }
                if distinct[a * nk + ki] < cap {
                    let h = (UInt64(UInt32(a32)) << 32) | (UInt64(ki & 0x3f) << 26) | (fnv(vb) & 0x3ff_ffff)
                    if seen.insert(h).inserted { distinct[a * nk + ki] += 1 }
                }
            }
        }
        // Column of each name.
        enum Col { case share(Int, Int), other(Int), missing(Int), distinct(Int), none }
        let cols: [Col] = names.map { n in
            for (ki, k) in keys.enumerated() {
                if n.hasPrefix(sharePrefix), n.dropFirst(sharePrefix.count).hasPrefix(k.name + "="),
                   let vi = k.values.firstIndex(of: String(n.dropFirst(sharePrefix.count + k.name.count + 1))) { return .share(ki, valueBase[ki] + vi) }
                if n == otherPrefix + k.name { return .other(ki) }
                if n == missingPrefix + k.name { return .missing(ki) }
                if n == distinctPrefix + k.name { return .distinct(ki) }
            }
            return .none
        }
        var x = [Float](repeating: 0, count: na * d)
        for a in 0..<na {
            let r = Float(max(1, rows[a]))
            for (j, c) in cols.enumerated() {
                let v: Float
                switch c {
                case .share(_, let slot): v = Float(hits[a * nv + slot]) / r
                case .other(let ki):
                    var named: Int32 = 0
                    for s in 0..<keys[ki].values.count { named += hits[a * nv + valueBase[ki] + s] }
                    v = Float(present[a * nk + ki] - named) / r
                case .missing(let ki): v = rows[a] == 0 ? 1 : 1 - Float(present[a * nk + ki]) / r
                case .distinct(let ki): v = Float(distinct[a * nk + ki])
                case .none: v = 0
                }
                x[a * d + j] = v
            }
        }
        return x
    }

    @inline(__always) static func fnv(_ p: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h ^ (h >> 31)
    }

    enum Kind { case string, number, literal, null, nested }

    /// Walks a flat JSON object, calling back for each member: key bytes, the value's kind and
    /// its bytes (a string's content as stored, escapes kept; a number or literal as written; a
    /// nested object or array whole). Stops quietly at anything malformed.
    static func scan(_ p: UnsafePointer<UInt8>, _ n: Int, _ body: ((UnsafePointer<UInt8>, Int), Kind, (UnsafePointer<UInt8>, Int)) -> Void) {
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
        var i = 0
        while i < n && isSpace(p[i]) { i += 1 }
        guard i < n, p[i] == UInt8(ascii: "{") else { return }
        i += 1
        while i < n {
            while i < n && (isSpace(p[i]) || p[i] == UInt8(ascii: ",")) { i += 1 }
            guard let k = JSONBytes.string(p, n, at: i) else { return }
            let key = k.content
            i = k.next
            while i < n && isSpace(p[i]) { i += 1 }
            guard i < n, p[i] == UInt8(ascii: ":") else { return }
            i += 1
            while i < n && isSpace(p[i]) { i += 1 }
            guard i < n else { return }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                guard let v = JSONBytes.string(p, n, at: i) else { return }
                i = v.next
                body(key, v.content.1 == 0 ? .null : .string, v.content)
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                let vs = i
                let (end, closed) = JSONBytes.nestedEnd(p, n, from: i)
                i = end
                guard closed else { return }
                body(key, .nested, (p + vs, i - vs))
            } else {
                let vs = i
                while i < n && p[i] != UInt8(ascii: ",") && p[i] != UInt8(ascii: "}") && !isSpace(p[i]) { i += 1 }
                let len = i - vs
                guard len > 0 else { return }
                if len == 4 && memcmp(p + vs, "null", 4) == 0 { body(key, .null, (p + vs, 0)) }
                else if c == UInt8(ascii: "-") || (c >= 48 && c <= 57) { body(key, .number, (p + vs, len)) }
                else { body(key, .literal, (p + vs, len)) }
            }
            while i < n && isSpace(p[i]) { i += 1 }
            if i < n && p[i] == UInt8(ascii: "}") { return }
        }
    }
}

/// Streams two text columns as bytes: SQLite's in place (no copies), another store's through
/// `SQLDatabase.each`. `body(first, firstLength, second, secondLength)`; nil for NULL. With
/// one column selected, it comes as `second`.
func eachText(_ db: SQLDatabase, _ sql: String, _ args: [SQLValue],
              _ body: (UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int) -> Void) throws {
    if let lite = db as? Database {
        let st = try lite.prepare(sql)
        try st.bind(args)
        let two = st.columnCount >= 2
        while try st.step() {
            let a = two ? sqlite3_column_text(st.handle, 0) : nil
            let al = two ? Int(sqlite3_column_bytes(st.handle, 0)) : 0
            let c: Int32 = two ? 1 : 0
            body(a, al, sqlite3_column_text(st.handle, c), Int(sqlite3_column_bytes(st.handle, c)))
        }
        return
    }
    try db.forEach(sql, args) { r in
        let two = r.columnCount >= 2
        var a = two ? r.text(0) : nil
        var b = r.text(two ? 1 : 0)
        func withBytes(_ s: inout String?, _ f: (UnsafePointer<UInt8>?, Int) -> Void) {
            if s == nil { f(nil, 0); return }
            s!.withUTF8 { f($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
        }
        withBytes(&a) { ap, al in withBytes(&b) { bp, bl in body(ap, al, bp, bl) } }
    }
}
