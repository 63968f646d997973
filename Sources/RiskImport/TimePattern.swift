import Foundation
import RiskStore

/// Timestamps of mapped sources: ISO dates with or without an offset, and strftime-like patterns.
enum TimePattern {
    enum Token: Equatable {
        case literal(UInt8)
        case year4, year2, month, day, hour, minute, second, fraction, monthName, ampm, zone, dayOfYear, space
    }

    static func compile(_ f: String) -> [Token]? {
        var out: [Token] = []
        let b = Array(f.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%") {
                guard i + 1 < b.count else { return nil }
                switch b[i + 1] {
                case UInt8(ascii: "Y"): out.append(.year4)
                case UInt8(ascii: "y"): out.append(.year2)
                case UInt8(ascii: "m"): out.append(.month)
                case UInt8(ascii: "d"), UInt8(ascii: "e"): out.append(.day)
                case UInt8(ascii: "H"), UInt8(ascii: "I"): out.append(.hour)
                case UInt8(ascii: "M"): out.append(.minute)
                case UInt8(ascii: "S"): out.append(.second)
                case UInt8(ascii: "f"): out.append(.fraction)
                case UInt8(ascii: "b"), UInt8(ascii: "h"): out.append(.monthName)
                case UInt8(ascii: "p"): out.append(.ampm)
                case UInt8(ascii: "z"), UInt8(ascii: "Z"): out.append(.zone)
                case UInt8(ascii: "j"): out.append(.dayOfYear)
                case UInt8(ascii: "%"): out.append(.literal(UInt8(ascii: "%")))
                default: return nil
                }
                i += 2
            } else if b[i] == 32 {
                out.append(.space); i += 1
            } else {
                out.append(.literal(b[i])); i += 1
            }
        }
        return out
    }

    /// nil if usable, else what is wrong.
    static func check(_ f: String) -> String? {
        guard let t = compile(f) else { return "'\(f)': unknown % directive (use %Y %y %m %d %e %H %I %M %S %f %b %p %z %j)" }
        if !t.contains(.year4) && !t.contains(.year2) && !t.contains(.month) && !t.contains(.monthName) && !t.contains(.dayOfYear) {
            return "'\(f)' has no date part (%Y, %m, %d …)"
        }
        return nil
    }

    /// "UTC", "Z", "+08:00", "-0500", "+8".
    static func offsetMinutes(_ z: String) -> Int? {
        let u = z.uppercased().trimmingCharacters(in: .whitespaces)
        if u == "UTC" || u == "Z" || u == "GMT" || u.isEmpty { return 0 }
        let b = Array(u.utf8)
        var i = 0
        guard let (m, n) = zone(b, &i), n == b.count else { return nil }
        return m
    }

    /// Parses ±HH[:MM] or Z at i.
    static func zone(_ b: [UInt8], _ i: inout Int) -> (Int, Int)? {
        b.withUnsafeBufferPointer { p in
            var j = i
            guard let m = zone(p.baseAddress!, p.count, &j) else { return nil }
            i = j
            return (m, j)
        }
    }

    @inline(__always)
    static func zone(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int) -> Int? {
        guard i < n else { return nil }
        if p[i] == UInt8(ascii: "Z") || p[i] == UInt8(ascii: "z") { i += 1; return 0 }
        if n - i >= 3, p[i] == UInt8(ascii: "U"), p[i + 1] == UInt8(ascii: "T"), p[i + 2] == UInt8(ascii: "C") { i += 3; return 0 }
        guard p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") else { return nil }
        let sign = p[i] == UInt8(ascii: "-") ? -1 : 1
        i += 1
        var h = 0, digits = 0
        while i < n, digits < 2, p[i] >= 48, p[i] <= 57 { h = h * 10 + Int(p[i] - 48); i += 1; digits += 1 }
        guard digits > 0 else { return nil }
        var m = 0
        if i < n, p[i] == UInt8(ascii: ":") { i += 1 }
        var md = 0
        while i < n, md < 2, p[i] >= 48, p[i] <= 57 { m = m * 10 + Int(p[i] - 48); i += 1; md += 1 }
        guard h <= 18, m < 60 else { return nil }
        return sign * (h * 60 + m)
    }

    static func parseISO(_ b: [UInt8], offsetMinutes: Int) -> Int64? {
        b.withUnsafeBufferPointer { parseISO($0.baseAddress!, $0.count, offsetMinutes: offsetMinutes) }
    }

    /// `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM[:SS[.fff]]`, then optionally `Z` or an
    /// offset; without one the time is in `offsetMinutes`.
    static func parseISO(_ p: UnsafePointer<UInt8>, _ n: Int, offsetMinutes: Int) -> Int64? {
        var i = 0
        func num(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let c = p[i + k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += count
            return v
        }
        func lit(_ c: UInt8) -> Bool { if i < n && p[i] == c { i += 1; return true }; return false }
        guard let y = num(4), lit(UInt8(ascii: "-")) || lit(UInt8(ascii: "/")), let mo = num(2),
              lit(UInt8(ascii: "-")) || lit(UInt8(ascii: "/")), let d = num(2) else { return nil }
        var h = 0, mi = 0, s = 0, ms = 0
        var off = offsetMinutes
        if i < n, p[i] == UInt8(ascii: "T") || p[i] == UInt8(ascii: "t") || p[i] == 32 {
            i += 1
            guard let hh = num(2), lit(UInt8(ascii: ":")), let mm = num(2) else { return nil }
            h = hh; mi = mm
            if lit(UInt8(ascii: ":")) {
                guard let ss = num(2) else { return nil }
                s = ss
                if lit(UInt8(ascii: ".")) || lit(UInt8(ascii: ",")) {
                    var scale = 100, digits = 0
                    while i < n, p[i] >= 48, p[i] <= 57 {
                        ms += Int(p[i] - 48) * scale; scale /= 10; i += 1; digits += 1
                    }
                    if digits == 0 { return nil }
                }
            }
            while i < n && p[i] == 32 { i += 1 }
            if i < n {
                guard let z = zone(p, n, &i) else { return nil }
                off = z
            }
        }
        guard i == n else { return nil }
        return civil(y, mo, d, h, mi, s, ms, off)
    }

    @inline(__always)
    static func civil(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ ms: Int, _ off: Int) -> Int64? {
        guard (1...12).contains(mo), d >= 1, d <= daysIn(mo, y), h < 24, mi < 60, s <= 60 else { return nil }
        let days = Int64(Timestamp.daysFromCivil(year: y, month: mo, day: d))
        return ((days * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(off * 60)) * 1000) + Int64(ms)
    }

    static func daysIn(_ m: Int, _ y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static let months: [[UInt8]] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map { Array($0.utf8) }

    /// Parses by a compiled pattern; the whole value must match.
    static func parse(_ tokens: [Token], _ p: UnsafePointer<UInt8>, _ n: Int, year defaultYear: Int, offsetMinutes: Int) -> Int64? {
        var i = 0
        var y = defaultYear, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0, off = offsetMinutes, doy = 0
        var pm: Bool?
        func num(_ maxDigits: Int) -> Int? {
            var v = 0, k = 0
            while i < n, k < maxDigits, p[i] >= 48, p[i] <= 57 { v = v * 10 + Int(p[i] - 48); i += 1; k += 1 }
            return k > 0 ? v : nil
        }
        for t in tokens {
            switch t {
            case .literal(let c): guard i < n, p[i] == c else { return nil }; i += 1
            case .space:
                guard i < n, p[i] == 32 || p[i] == 9 else { return nil }
                while i < n, p[i] == 32 || p[i] == 9 { i += 1 }
            case .year4: guard let v = num(4) else { return nil }; y = v
            case .year2: guard let v = num(2) else { return nil }; y = v < 69 ? 2000 + v : 1900 + v
            case .month: guard let v = num(2) else { return nil }; mo = v
            case .day:
                while i < n, p[i] == 32 { i += 1 }
                guard let v = num(2) else { return nil }; d = v
            case .hour: guard let v = num(2) else { return nil }; h = v
            case .minute: guard let v = num(2) else { return nil }; mi = v
            case .second: guard let v = num(2) else { return nil }; s = v
            case .dayOfYear: guard let v = num(3) else { return nil }; doy = v
            case .fraction:
                var scale = 100, k = 0
                while i < n, p[i] >= 48, p[i] <= 57 { ms += Int(p[i] - 48) * scale; scale /= 10; i += 1; k += 1 }
                if k == 0 { return nil }
            case .monthName:
                guard i + 3 <= n else { return nil }
                let w = (0..<3).map { p[i + $0] | 0x20 }
                guard let m = months.firstIndex(of: w) else { return nil }
                mo = m + 1
                i += 3
                while i < n, (p[i] | 0x20) >= UInt8(ascii: "a"), (p[i] | 0x20) <= UInt8(ascii: "z") { i += 1 }
            case .ampm:
                guard i + 2 <= n else { return nil }
                let a = p[i] | 0x20
                guard a == UInt8(ascii: "a") || a == UInt8(ascii: "p"), (p[i + 1] | 0x20) == UInt8(ascii: "m") else { return nil }
                pm = a == UInt8(ascii: "p")
                i += 2
            case .zone:
                guard let z = zone(p, n, &i) else { return nil }
                off = z
            }
        }
        guard i == n else { return nil }
        if let pm {
            guard (1...12).contains(h) else { return nil }
            h = h % 12 + (pm ? 12 : 0)
        }
        if doy > 0 {
            let days = Int64(Timestamp.daysFromCivil(year: y, month: 1, day: 1)) + Int64(doy - 1)
            return ((days * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(off * 60)) * 1000) + Int64(ms)
        }
        return civil(y, mo, d, h, mi, s, ms, off)
    }
}
