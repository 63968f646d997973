import Foundation
import RiskStore

/// Features from the numeric columns a mapped import kept in `events.extra` (IEEE-CIS's C1–C14,
/// V…, id_…): per account, the mean, max and min of each. Named `extra_mean:C1` and so on, so a
/// stored model asks for exactly the ones it learnt from. Stores without numeric extras add none.
public enum ExtraFeatures {
    public static let prefixes = ["extra_mean:", "extra_max:", "extra_min:"]
    /// At most this many keys (the most frequent).
    public static var maxKeys = 200

    public static func isExtra(_ name: String) -> Bool { name.hasPrefix("extra_") }

    /// Numeric keys present in at least 1% of a sample of events, most frequent first.
    public static func keys(_ db: SQLDatabase) throws -> [String] {
        var seen: [String: Int] = [:]
        var n = 0
        for r in try db.rows("SELECT extra FROM events WHERE extra IS NOT NULL ORDER BY id LIMIT 5000") {
            guard let s = r[0].string else { continue }
            n += 1
            let bytes = Array(s.utf8)
            bytes.withUnsafeBufferPointer { b in
                scan(b.baseAddress!, b.count) { key, _ in seen[String(decoding: UnsafeBufferPointer(start: key.0, count: key.1), as: UTF8.self), default: 0] += 1 }
            }
        }
        guard n > 0 else { return [] }
        return seen.filter { $0.value * 100 >= n }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(maxKeys).map(\.key).sorted()
    }

    /// Feature names for keys.
    public static func names(_ keys: [String]) -> [String] { prefixes.flatMap { p in keys.map { p + $0 } } }

    /// Keys a list of feature names asks for.
    public static func keys(in names: [String]) -> [String] {
        var out: [String] = []
        for n in names where prefixes.contains(where: { n.hasPrefix($0) }) {
            guard let c = n.firstIndex(of: ":") else { continue }
            let k = String(n[n.index(after: c)...])
            if !out.contains(k) { out.append(k) }
        }
        return out
    }

    /// `accountCount × names(keys).count`, row-major. An account that never had the key has NaN
    /// (missing): the trees learn where missing values go, the linear model reads them as the
    /// column's mean. (A sentinel such as -1 would be confused with a real -1: IEEE-CIS's id_01
    /// runs from -100 to 0.)
    public static func compute(_ db: SQLDatabase, _ table: EventTable, keys: [String]) throws -> [Float] {
        let na = table.accountCount, k = keys.count
        guard k > 0 else { return [] }
        var index: [[UInt8]: Int] = [:]
        for (i, key) in keys.enumerated() { index[Array(key.utf8)] = i }
        var sum = [Double](repeating: 0, count: na * k)
        var cnt = [Int32](repeating: 0, count: na * k)
        var mx = [Float](repeating: -.infinity, count: na * k)
        var mn = [Float](repeating: .infinity, count: na * k)
        var keyBuf = [UInt8]()
        try db.forEach("SELECT account_id, extra FROM events WHERE extra IS NOT NULL") { st in
            guard let id = st.text(0), let a = table.accounts.lookup(id), var extra = st.text(1) else { return }
            let base = Int(a) * k
            extra.withUTF8 { raw in
                guard let p = raw.baseAddress else { return }
                scan(p, raw.count) { key, value in
                    keyBuf.removeAll(keepingCapacity: true)
                    keyBuf.append(contentsOf: UnsafeBufferPointer(start: key.0, count: key.1))
                    guard let i = index[keyBuf] else { return }
                    let v = Float(value)
                    sum[base + i] += value; cnt[base + i] += 1
                    if v > mx[base + i] { mx[base + i] = v }
                    if v < mn[base + i] { mn[base + i] = v }
                }
            }
        }
        let d = 3 * k
        var x = [Float](repeating: 0, count: na * d)
        for a in 0..<na {
            for i in 0..<k {
                let c = cnt[a * k + i]
                let has = c > 0
                x[a * d + i] = has ? Float(sum[a * k + i] / Double(c)) : .nan
                x[a * d + k + i] = has ? mx[a * k + i] : .nan
                x[a * d + 2 * k + i] = has ? mn[a * k + i] : .nan
            }
        }
        return x
    }

    /// Appends the extra features to a row-major matrix: `names` says which (in their order).
    public static func append(_ x: [Float], cols d: Int, rows n: Int, extra: [Float], extraNames all: [String], wanted: [String]) -> [Float] {
        let idx = wanted.map { all.firstIndex(of: $0) }
        let e = all.count, w = wanted.count
        var out = [Float](repeating: 0, count: n * (d + w))
        for r in 0..<n {
            for j in 0..<d { out[r * (d + w) + j] = x[r * d + j] }
            for (j, c) in idx.enumerated() { out[r * (d + w) + d + j] = c.map { extra[r * e + $0] } ?? .nan }
        }
        return out
    }

    /// Walks a flat JSON object, calling back for each numeric member (key bytes, value).
    static func scan(_ p: UnsafePointer<UInt8>, _ n: Int, _ body: ((UnsafePointer<UInt8>, Int), Double) -> Void) {
        var num = [CChar](repeating: 0, count: 64)
        var i = 0
        while i < n && p[i] != UInt8(ascii: "{") { i += 1 }
        i += 1
        while i < n {
            while i < n && (p[i] == 32 || p[i] == UInt8(ascii: ",")) { i += 1 }
            guard let k = JSONBytes.string(p, n, at: i) else { return }
            let key = k.content
            i = k.next
            while i < n && (p[i] == 32 || p[i] == UInt8(ascii: ":")) { i += 1 }
            guard i < n else { return }
            let c = p[i]
            if c == UInt8(ascii: "-") || (c >= 48 && c <= 57) {
                let vs = i
                while i < n && p[i] != UInt8(ascii: ",") && p[i] != UInt8(ascii: "}") { i += 1 }
                let len = i - vs
                guard len < 63 else { continue }
                for q in 0..<len { num[q] = CChar(bitPattern: p[vs + q]) }
                num[len] = 0
                let v = strtod(num, nil)
                if v.isFinite { body(key, v) }
            } else if c == UInt8(ascii: "\"") {
                i = JSONBytes.stringEnd(p, n, from: i + 1) + 1
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                i = JSONBytes.nestedEnd(p, n, from: i).end
            } else {
                while i < n && p[i] != UInt8(ascii: ",") && p[i] != UInt8(ascii: "}") { i += 1 }
            }
            if i < n && p[i] == UInt8(ascii: "}") { return }
        }
    }
}

extension ExtraFeatures {
    /// The model's matrix: the behaviour/detector columns it names, then the extra ones.
    public static func matrix(_ db: SQLDatabase, _ table: EventTable, all x: [Float], names wanted: [String]) throws -> [Float]? {
        let base = wanted.filter { !isExtra($0) }
        guard let xb = AccountFeatures.select(x, rows: table.accountCount, names: base) else { return nil }
        let extra = wanted.filter(isExtra)
        if extra.isEmpty { return xb }
        guard wanted.prefix(base.count).allSatisfy({ !isExtra($0) }) else { return nil }
        let (ex, exNames) = try extraMatrix(db, table, wanted: extra)
        return append(xb, cols: base.count, rows: table.accountCount, extra: ex, extraNames: exNames, wanted: extra)
    }

    /// For training: every numeric extra key of the store (mean / max / min) and every text key
    /// (`CategoricalFeatures`: shares of its frequent values, other, missing, distinct), appended.
    /// Returns the matrix and names.
    public static func withExtras(_ db: SQLDatabase, _ table: EventTable, _ x: [Float], names: [String]) throws -> ([Float], [String]) {
        let en = self.names(try keys(db)) + CategoricalFeatures.names(try CategoricalFeatures.keys(db))
        if en.isEmpty { return (x, names) }
        let (ex, exNames) = try extraMatrix(db, table, wanted: en)
        return (append(x, cols: names.count, rows: table.accountCount, extra: ex, extraNames: exNames, wanted: en), names + en)
    }

    /// The numeric and the categorical extra features `wanted` asks for: the matrix (row-major,
    /// numeric columns first) and its column names.
    static func extraMatrix(_ db: SQLDatabase, _ table: EventTable, wanted: [String]) throws -> ([Float], [String]) {
        let na = table.accountCount
        let k = keys(in: wanted)
        let numNames = names(k)
        let num = try compute(db, table, keys: k)
        let catNames = wanted.filter(CategoricalFeatures.isCategorical)
        guard !catNames.isEmpty else { return (num, numNames) }
        let cat = try CategoricalFeatures.compute(db, table, names: catNames)
        let dn = numNames.count, dc = catNames.count, d = dn + dc
        var out = [Float](repeating: 0, count: na * d)
        for r in 0..<na {
            for j in 0..<dn { out[r * d + j] = num[r * dn + j] }
            for j in 0..<dc { out[r * d + dn + j] = cat[r * dc + j] }
        }
        return (out, numNames + catNames)
    }
}
