import Foundation

/// Timestamps are stored as epoch milliseconds (UTC) and shown as ISO-8601 UTC.
public enum Timestamp {
    public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Parses an RFC 3339 timestamp or integer epoch milliseconds. Nil if neither.
    public static func parse(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// Parses from raw UTF-8 bytes (the importer's hot path).
    public static func parse(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        if n == 0 { return nil }
        // Epoch milliseconds: optional sign, digits only.
        var allDigits = true
        var start = 0
        if b[0] == UInt8(ascii: "-") { start = 1 }
        if start == n { return nil }
        for i in start..<n where !(b[i] >= 48 && b[i] <= 57) { allDigits = false; break }
        if allDigits {
            if n - start > 17 { return nil }   // beyond year 5 million: not a timestamp
            var v: Int64 = 0
            for i in start..<n { v = v * 10 + Int64(b[i] - 48) }
            return start == 1 ? -v : v
        }
        return parseRFC3339(b)
    }

    @inline(__always) private static func digits(_ b: UnsafeRawBufferPointer, _ at: Int, _ count: Int) -> Int? {
        if at + count > b.count { return nil }
        var v = 0
        for i in at..<(at + count) {
            let c = b[i]
            if c < 48 || c > 57 { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }

    static func parseRFC3339(_ b: UnsafeRawBufferPointer) -> Int64? {
        // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
        guard b.count >= 20,
              let year = digits(b, 0, 4), b[4] == UInt8(ascii: "-"),
              let month = digits(b, 5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(b, 8, 2),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let hour = digits(b, 11, 2), b[13] == UInt8(ascii: ":"),
              let minute = digits(b, 14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(b, 17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second <= 60 else { return nil }
        var i = 19
        var millis = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100
            let fracStart = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                millis += Int(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            if i == fracStart { return nil }
        }
        guard i < b.count else { return nil }
        var offsetMin = 0
        let z = b[i]
        if z == UInt8(ascii: "Z") || z == UInt8(ascii: "z") {
            i += 1
        } else if z == UInt8(ascii: "+") || z == UInt8(ascii: "-") {
            guard let oh = digits(b, i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"),
                  let om = digits(b, i + 4, 2), oh < 24, om < 60 else { return nil }
            offsetMin = (oh * 60 + om) * (z == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else { return nil }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetMin * 60)
        return secs * 1000 + Int64(millis)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// `2026-03-01T12:34:56.789Z`
    public static func iso(_ ms: Int64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        appendISO(ms, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `2026-03-01 12:34:56` (for narrow columns)
    public static func short(_ ms: Int64) -> String {
        let s = iso(ms)
        return String(s.dropLast(5)).replacingOccurrences(of: "T", with: " ")
    }

    /// The range of times an import accepts: by default 1970-01-01 up to a year from now.
    /// Anything outside is almost surely a unit mix-up (seconds vs µs) or a typo, and would
    /// stretch every time-bucketed view over centuries.
    public struct Window: Sendable, Equatable {
        public var from: Int64
        public var to: Int64
        public init(from: Int64, to: Int64) { self.from = from; self.to = to }
        public static func standard(now: Int64 = Timestamp.nowMs()) -> Window {
            Window(from: 0, to: now + 366 * 86_400_000)
        }
        public func contains(_ ms: Int64) -> Bool { ms >= from && ms <= to }
        /// "1970-01-01 – 2027-11-30"
        public var description: String { "\(Timestamp.iso(from).prefix(10)) – \(Timestamp.iso(to).prefix(10))" }
    }

    public static func appendISO(_ ms: Int64, to out: inout [UInt8]) {
        var days = Int(ms / 86_400_000)
        var rem = Int(ms % 86_400_000)
        if rem < 0 { rem += 86_400_000; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        func put(_ v: Int, _ width: Int) {
            var digits = [UInt8](repeating: 48, count: width)
            var x = v
            for i in stride(from: width - 1, through: 0, by: -1) { digits[i] = UInt8(48 + x % 10); x /= 10 }
            out.append(contentsOf: digits)
        }
        // Four digits for years 0-9999; more (and a sign before year 0) beyond, never cut.
        if y < 0 { out.append(UInt8(ascii: "-")) }
        let ay = abs(y)
        var yWidth = 4
        var t = ay / 10_000
        while t > 0 { yWidth += 1; t /= 10 }
        put(ay, yWidth); out.append(UInt8(ascii: "-")); put(m, 2); out.append(UInt8(ascii: "-")); put(d, 2)
        out.append(UInt8(ascii: "T"))
        put(rem / 3_600_000, 2); out.append(UInt8(ascii: ":"))
        put(rem / 60_000 % 60, 2); out.append(UInt8(ascii: ":"))
        put(rem / 1000 % 60, 2); out.append(UInt8(ascii: "."))
        put(rem % 1000, 3); out.append(UInt8(ascii: "Z"))
    }
}

extension BinaryInteger {
    /// The number with thousands separators: 1,234,567.
    public var grouped: String {
        let s = String(self.magnitude)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return self < 0 ? "-" + out : out
    }
}
