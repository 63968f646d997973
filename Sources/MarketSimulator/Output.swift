import CZlib
import Foundation

public enum SimFormat: String, Sendable, CaseIterable { case csv, jsonl }
public enum SimTimestamps: String, Sendable, CaseIterable {
    /// RFC 3339, mostly UTC `Z`, some rows with the account's local offset.
    case rfc3339
    /// Integer epoch milliseconds.
    case epoch
    /// Both, row by row.
    case mixed
}

/// One marketplace event, in the data contract's flat shape.
struct Event {
    var id: String
    var ts: Int64
    var account: String
    var type: String
    var device: String?
    var ip: String?
    var country: String?
    var session: String?
    var item: String?
    var seller: String?
    var order: String?
    var quantity: Int?
    var amount: Double?
    var currency: String?
    var coupon: String?
    var payment: String?
    var address: String?
    var target: String?
    var rating: Int?
    var status: String?
    var text: String?
    /// A field beyond the contract (kept by the importer in `extra`).
    var appVersion: String?
    /// Minutes east of UTC for rendering a local offset.
    var tzMinutes: Int = 0

    init(id: String, ts: Int64, account: String, type: String) {
        self.id = id; self.ts = ts; self.account = account; self.type = type
    }
}

/// Buffered writer of one contract file, CSV or JSONL, optionally gzip.
final class ContractWriter {
    let path: String
    let format: SimFormat
    let columns: [String]
    private var buf: [UInt8] = []
    private let file: UnsafeMutablePointer<FILE>?
    private let gz: gzFile?
    private(set) var rows = 0

    init(path: String, format: SimFormat, columns: [String], gzip: Bool) throws {
        self.path = path
        self.format = format
        self.columns = columns
        if gzip {
            gz = gzopen(path, "wb6")
            file = nil
            if gz == nil { throw SimError("\(path): cannot create") }
        } else {
            file = fopen(path, "wb")
            gz = nil
            if file == nil { throw SimError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        }
        buf.reserveCapacity(1 << 20)
        if format == .csv {
            for (i, c) in columns.enumerated() {
                if i > 0 { buf.append(44) }
                buf.append(contentsOf: c.utf8)
            }
            buf.append(10)
        }
    }

    /// Writes a row of optional string values (nil = absent), one per column.
    func write(_ values: [String?]) throws {
        rows += 1
        switch format {
        case .csv:
            for (i, v) in values.enumerated() {
                if i > 0 { buf.append(44) }
                if let v { appendCSV(v) }
            }
            buf.append(10)
        case .jsonl:
            buf.append(UInt8(ascii: "{"))
            var first = true
            for (i, v) in values.enumerated() {
                guard let v else { continue }
                if !first { buf.append(44) }
                first = false
                appendJSONString(columns[i])
                buf.append(58)
                if numericColumns.contains(columns[i]), isPlainNumber(v) { buf.append(contentsOf: v.utf8) }
                else if boolColumns.contains(columns[i]) && (v == "true" || v == "false") { buf.append(contentsOf: v.utf8) }
                else { appendJSONString(v) }
            }
            buf.append(UInt8(ascii: "}"))
            buf.append(10)
        }
        if buf.count >= 1 << 20 { try flush() }
    }

    private let numericColumns: Set<String> = ["quantity", "amount", "rating", "price", "ts", "created_at", "drop_at"]
    private let boolColumns: Set<String> = ["limited"]
    private func isPlainNumber(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }
    }

    private func appendCSV(_ v: String) {
        var needs = false
        for c in v.utf8 where c == 44 || c == 34 || c == 10 || c == 13 { needs = true; break }
        if !needs { buf.append(contentsOf: v.utf8); return }
        buf.append(34)
        for c in v.utf8 {
            if c == 34 { buf.append(34) }
            buf.append(c)
        }
        buf.append(34)
    }

    private func appendJSONString(_ v: String) {
        buf.append(34)
        for c in v.utf8 {
            switch c {
            case 34: buf.append(92); buf.append(34)
            case 92: buf.append(92); buf.append(92)
            case 10: buf.append(92); buf.append(UInt8(ascii: "n"))
            case 13: buf.append(92); buf.append(UInt8(ascii: "r"))
            case 9: buf.append(92); buf.append(UInt8(ascii: "t"))
            case 0..<32: buf.append(contentsOf: Array(String(format: "\\u%04x", c).utf8))
            default: buf.append(c)
            }
        }
        buf.append(34)
    }

    func flush() throws {
        if buf.isEmpty { return }
        let ok: Bool = buf.withUnsafeBytes { p in
            if let gz { return gzwrite(gz, p.baseAddress, UInt32(p.count)) == Int32(p.count) }
            return fwrite(p.baseAddress, 1, p.count, file) == p.count
        }
        if !ok { throw SimError("\(path): write failed") }
        buf.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if let gz { gzclose(gz) }
        if let file { if fclose(file) != 0 { throw SimError("\(path): close failed") } }
    }
}

public struct SimError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// Renders timestamps in the requested contract form.
struct TimeRenderer {
    let mode: SimTimestamps
    var rng: SimRandom

    mutating func render(_ ms: Int64, tzMinutes: Int) -> String {
        let epoch: Bool
        switch mode {
        case .epoch: epoch = true
        case .rfc3339: epoch = false
        case .mixed: epoch = rng.chance(0.5)
        }
        if epoch { return String(ms) }
        if tzMinutes != 0 && rng.chance(0.2) { return TimeRenderer.rfc3339(ms, offsetMinutes: tzMinutes, millis: rng.chance(0.7)) }
        return TimeRenderer.rfc3339(ms, offsetMinutes: 0, millis: true)
    }

    static func rfc3339(_ ms: Int64, offsetMinutes: Int, millis: Bool) -> String {
        let local = ms + Int64(offsetMinutes) * 60_000
        var days = Int(local / 86_400_000)
        var rem = Int(local % 86_400_000)
        if rem < 0 { rem += 86_400_000; days -= 1 }
        let (y, m, d) = civil(days)
        var s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60)
        if millis { s += String(format: ".%03d", rem % 1000) }
        if offsetMinutes == 0 { s += "Z" } else {
            let a = abs(offsetMinutes)
            s += String(format: "%@%02d:%02d", offsetMinutes < 0 ? "-" : "+", a / 60, a % 60)
        }
        return s
    }

    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
