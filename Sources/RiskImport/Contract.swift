import Foundation
import RiskStore

/// The three kinds of file the data contract defines.
public enum ContractKind: String, CaseIterable, Sendable, Codable {
    case accounts, items, events

    /// Fields the contract names, in the order of the store's columns.
    public var fields: [ContractField] {
        switch self {
        case .accounts:
            return [.init("account_id", .text, required: true), .init("created_at", .timestamp),
                    .init("kind", .text), .init("country", .text), .init("email", .text), .init("phone", .text)]
        case .items:
            return [.init("item_id", .text, required: true), .init("seller_id", .text), .init("title", .text),
                    .init("category", .text), .init("price", .decimal), .init("currency", .text),
                    .init("limited", .bool), .init("drop_at", .timestamp)]
        case .events:
            return [.init("event_id", .text, required: true), .init("ts", .timestamp, required: true),
                    .init("account_id", .text, required: true), .init("type", .text),
                    .init("device_id", .text), .init("ip", .text), .init("country", .text),
                    .init("session_id", .text), .init("item_id", .text), .init("seller_id", .text),
                    .init("order_id", .text), .init("quantity", .integer), .init("amount", .decimal),
                    .init("currency", .text), .init("coupon_id", .text), .init("payment_id", .text),
                    .init("address_id", .text), .init("target_id", .text), .init("rating", .rating),
                    .init("status", .text), .init("text", .text)]
        }
    }

    /// Recognises `accounts.csv`, `events.jsonl.gz`, `events-2026-03-01.csv` and the like.
    public static func recognise(fileName: String) -> (ContractKind, ContractFormat?)? {
        let lower = fileName.lowercased()
        for kind in ContractKind.allCases {
            guard lower.hasPrefix(kind.rawValue) else { continue }
            let rest = lower.dropFirst(kind.rawValue.count)
            guard let first = rest.first, first == "." || first == "-" || first == "_" else { continue }
            var name = lower
            if name.hasSuffix(".gz") { name.removeLast(3) }
            if name.hasSuffix(".csv") { return (kind, .csv) }
            if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") || name.hasSuffix(".json") { return (kind, .jsonl) }
            return nil
        }
        return nil
    }
}

public enum ContractFormat: String, Sendable, Codable { case csv, jsonl }

public struct ContractField: Sendable {
    public enum FieldType: Sendable { case text, timestamp, integer, decimal, bool, rating }
    public let name: String
    public let type: FieldType
    public let required: Bool
    let nameBytes: [UInt8]
    init(_ name: String, _ type: FieldType, required: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
        self.nameBytes = Array(name.utf8)
    }
}

/// A byte range inside the input buffer or the reader's scratch arena.
struct Slice {
    var ptr: UnsafePointer<UInt8>?
    var len: Int
    static let absent = Slice(ptr: nil, len: 0)
    @inline(__always) var isAbsent: Bool { ptr == nil }
    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: ptr, count: len) }
    var string: String { String(decoding: UnsafeBufferPointer(start: ptr, count: len), as: UTF8.self) }
    @inline(__always) func equals(_ bytes: [UInt8]) -> Bool {
        guard len == bytes.count, let ptr else { return false }
        return bytes.withUnsafeBufferPointer { memcmp(ptr, $0.baseAddress!, len) == 0 }
    }
}

/// How a JSON value was written, so unknown fields keep their exact JSON form.
enum JSONValueKind: UInt8 { case string, number, bool, null, composite }

/// One parsed row: a slot for each contract field, and the fields beyond the contract.
struct RowSlots {
    var values: [Slice]
    var jsonKinds: [JSONValueKind]
    /// Unknown fields: key, value, and (for JSON) the value's kind — non-strings are kept verbatim.
    var extraKeys: [Slice] = []
    var extraValues: [Slice] = []
    var extraKinds: [JSONValueKind] = []

    init(fieldCount: Int) {
        values = Array(repeating: .absent, count: fieldCount)
        jsonKinds = Array(repeating: .string, count: fieldCount)
    }

    @inline(__always) mutating func clear() {
        for i in values.indices { values[i] = .absent }
        extraKeys.removeAll(keepingCapacity: true)
        extraValues.removeAll(keepingCapacity: true)
        extraKinds.removeAll(keepingCapacity: true)
    }
}

/// Byte-level value parsing shared by both encodings.
enum ValueParse {
    /// Optional sign and digits; nil on anything else or overflow.
    @inline(__always)
    static func integer(_ s: Slice) -> Int64? {
        guard let p = s.ptr, s.len > 0 else { return nil }
        var i = 0
        var neg = false
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") { neg = p[0] == UInt8(ascii: "-"); i = 1 }
        if i == s.len || s.len - i > 18 { return nil }
        var v: Int64 = 0
        while i < s.len {
            let c = p[i]
            if c < 48 || c > 57 { return nil }
            v = v * 10 + Int64(c - 48)
            i += 1
        }
        return neg ? -v : v
    }

    /// A plain decimal number: `-12`, `12.50`, `.5`, `1e3`. No thousands separators,
    /// no hex, no inf/nan.
    @inline(__always)
    static func decimal(_ s: Slice) -> Double? {
        guard let p = s.ptr, s.len > 0, s.len < 64 else { return nil }
        var i = 0
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") { i = 1 }
        var intDigits = 0, fracDigits = 0
        var mantissa: Int64 = 0
        var scale = 0
        var exact = true
        while i < s.len, p[i] >= 48, p[i] <= 57 {
            if intDigits < 17 { mantissa = mantissa * 10 + Int64(p[i] - 48) } else { exact = false }
            intDigits += 1; i += 1
        }
        if i < s.len, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < s.len, p[i] >= 48, p[i] <= 57 {
                if intDigits + fracDigits < 17 { mantissa = mantissa * 10 + Int64(p[i] - 48); scale += 1 } else { exact = false }
                fracDigits += 1; i += 1
            }
        }
        if intDigits + fracDigits == 0 { return nil }
        var hasExp = false
        if i < s.len, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            hasExp = true
            i += 1
            if i < s.len, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") { i += 1 }
            let expStart = i
            while i < s.len, p[i] >= 48, p[i] <= 57 { i += 1 }
            if i == expStart { return nil }
        }
        if i != s.len { return nil }
        let neg = p[0] == UInt8(ascii: "-")
        if exact && !hasExp && intDigits + fracDigits <= 15 {
            // Exact for money-like values: one correctly rounded division.
            let v = Double(mantissa) / pow10[scale]
            return neg ? -v : v
        }
        var buf = [CChar](repeating: 0, count: s.len + 1)
        _ = buf.withUnsafeMutableBytes { memcpy($0.baseAddress!, p, s.len) }
        let v = strtod(buf, nil)
        return v.isFinite ? v : nil
    }
    static let pow10: [Double] = (0...15).map { pow(10.0, Double($0)) }

    static func bool(_ s: Slice) -> Bool? {
        switch s.len {
        case 1: return s.ptr![0] == UInt8(ascii: "1") ? true : (s.ptr![0] == UInt8(ascii: "0") ? false : nil)
        case 4: return s.equals(Array("true".utf8)) || s.equals(Array("TRUE".utf8)) || s.equals(Array("True".utf8)) ? true : nil
        case 5: return s.equals(Array("false".utf8)) || s.equals(Array("FALSE".utf8)) || s.equals(Array("False".utf8)) ? false : nil
        default: return nil
        }
    }
}
