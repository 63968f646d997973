import Foundation
import RiskStore

/// The checks every imported row passes, whichever store it goes to: required fields present
/// and not blank, timestamps parsed and inside the window, numbers, ratings, booleans, no NUL
/// bytes, the fields beyond the contract as one valid JSON object in `extra`. A good row's
/// values are bound by position to a `RowBinder` (a SQLite statement, or a COPY row for a team
/// store); a bad one gets the reason it is rejected — the same reason on either store.
final class RowChecker {
    var timeWindow: Timestamp.Window
    /// The event time of the last row bound (field 2 of an event).
    var lastTs: Int64 = 0
    var extra = [UInt8]()

    init(timeWindow: Timestamp.Window) { self.timeWindow = timeWindow }

    /// Binds contract fields to parameters 1…n; nil on success, else the reject reason.
    @inline(__always)
    func bind<B: RowBinder>(_ st: B, _ slots: inout RowSlots, _ fields: [ContractField]) -> String? {
        for (i, f) in fields.enumerated() {
            let idx = Int32(i + 1)
            let v = slots.values[i]
            guard let p = v.ptr else {
                if f.required { return "missing \(f.name)" }
                st.bindNull(idx)
                continue
            }
            let jk = slots.jsonKinds[i]
            if jk == .composite { return "\(f.name): expected a single value, found \(jk == .composite ? "an object or array" : "a value")" }
            switch f.type {
            case .text:
                if jk == .bool && f.required { return "\(f.name): expected a string, found \(v.string)" }
                if f.required && Self.isBlank(v) { return v.len == 0 ? "\(f.name) is empty" : "\(f.name) is blank (only spaces)" }
                if memchr(p, 0, v.len) != nil { return "\(f.name): contains a NUL byte" }
                st.bindText(idx, p, v.len)
            case .timestamp:
                guard let ms = Timestamp.parse(v.raw) else { return "\(f.name): not a timestamp: \(quote(v))" }
                if !timeWindow.contains(ms) {
                    return "\(f.name): \(Timestamp.iso(ms)) is outside the accepted time window \(timeWindow.description) (--earliest / --latest)"
                }
                st.bindInt(idx, ms)
                if i == 1 { lastTs = ms }
            case .integer:
                guard let n = ValueParse.integer(v) else { return "\(f.name): not an integer: \(quote(v))" }
                st.bindInt(idx, n)
            case .rating:
                guard let n = ValueParse.integer(v) else { return "\(f.name): not an integer: \(quote(v))" }
                guard (1...5).contains(n) else { return "\(f.name): \(n) is outside 1-5" }
                st.bindInt(idx, n)
            case .decimal:
                guard jk != .bool, let d = ValueParse.decimal(v) else { return "\(f.name): not a number: \(quote(v))" }
                st.bindDouble(idx, d)
            case .bool:
                guard let b = ValueParse.bool(v) else { return "\(f.name): not a boolean (true/false/1/0): \(quote(v))" }
                st.bindInt(idx, b ? 1 : 0)
            }
        }
        // Fields beyond the contract, as one JSON object.
        if slots.extraKeys.isEmpty {
            st.bindNull(Int32(fields.count + 1))
        } else {
            if let why = buildExtra(&slots) { return why }
            extra.withUnsafeBytes { st.bindText(Int32(fields.count + 1), $0.baseAddress!, $0.count, stable: false) }
        }
        return nil
    }

    func quote(_ s: Slice) -> String {
        let text = s.string
        return "'" + (text.count > 40 ? String(text.prefix(40)) + "…" : text) + "'"
    }

    /// True for a value of nothing but whitespace (ASCII or Unicode).
    static func isBlank(_ v: Slice) -> Bool {
        guard let p = v.ptr, v.len > 0 else { return true }
        let c = p[0]
        if c != 32 && c != 9 && c != 10 && c != 13 && c < 0x80 { return false }
        return v.string.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// The fields beyond the contract as one JSON object in `extra`; nil when fine, else the
    /// reason the row is rejected (a value SQLite's JSON functions could not read).
    func buildExtra(_ slots: inout RowSlots) -> String? {
        for k in 0..<slots.extraKeys.count {
            switch slots.extraKinds[k] {
            case .number:
                if !JSONCheck.isFinite(slots.extraValues[k]) {
                    return "field '\(slots.extraKeys[k].string.prefix(40))': number out of range: \(quote(slots.extraValues[k]))"
                }
            case .composite:
                if let why = JSONCheck.check(slots.extraValues[k], depth: 1) {
                    return "field '\(slots.extraKeys[k].string.prefix(40))': invalid JSON: \(why)"
                }
            default: break
            }
        }
        extra.removeAll(keepingCapacity: true)
        extra.append(UInt8(ascii: "{"))
        for k in 0..<slots.extraKeys.count {
            if k > 0 { extra.append(UInt8(ascii: ",")) }
            appendJSONString(slots.extraKeys[k])
            extra.append(UInt8(ascii: ":"))
            let v = slots.extraValues[k]
            switch slots.extraKinds[k] {
            case .string: appendJSONString(v)
            default: extra.append(contentsOf: UnsafeBufferPointer(start: v.ptr, count: v.len))
            }
        }
        extra.append(UInt8(ascii: "}"))
        return nil
    }

    func appendJSONString(_ s: Slice) {
        extra.append(UInt8(ascii: "\""))
        if let p = s.ptr {
            for i in 0..<s.len {
                let c = p[i]
                switch c {
                case UInt8(ascii: "\""): extra.append(UInt8(ascii: "\\")); extra.append(c)
                case UInt8(ascii: "\\"): extra.append(UInt8(ascii: "\\")); extra.append(c)
                case 0x0A: extra.append(UInt8(ascii: "\\")); extra.append(UInt8(ascii: "n"))
                case 0x0D: extra.append(UInt8(ascii: "\\")); extra.append(UInt8(ascii: "r"))
                case 0x09: extra.append(UInt8(ascii: "\\")); extra.append(UInt8(ascii: "t"))
                case 0..<0x20:
                    extra.append(contentsOf: Array(String(format: "\\u%04x", c).utf8))
                default: extra.append(c)
                }
            }
        }
        extra.append(UInt8(ascii: "\""))
    }
}
