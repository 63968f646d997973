import Foundation
import RiskStore

/// Strict JSON checks for what the importer keeps verbatim in `extra`: SQLite's JSON
/// functions must be able to read every stored value, so a value is stored only when it is
/// RFC 8259 JSON, nested no deeper than SQLite reads (1,000 levels with the `extra` object
/// around it), with finite numbers. Anything else is a reject with the reason.
enum JSONCheck {
    /// SQLite's JSON_MAX_DEPTH; `extra` itself takes one level.
    static let maxDepth = 1000

    /// The end of a strict JSON number starting at `i` (nil if malformed).
    @inline(__always)
    static func numberEnd(_ b: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int? {
        var j = i
        if j < end && b[j] == UInt8(ascii: "-") { j += 1 }
        guard j < end else { return nil }
        if b[j] == UInt8(ascii: "0") { j += 1 }
        else if b[j] >= 49 && b[j] <= 57 { while j < end && b[j] >= 48 && b[j] <= 57 { j += 1 } }
        else { return nil }
        if j < end && b[j] == UInt8(ascii: ".") {
            j += 1
            let st = j
            while j < end && b[j] >= 48 && b[j] <= 57 { j += 1 }
            if j == st { return nil }
        }
        if j < end && (b[j] == UInt8(ascii: "e") || b[j] == UInt8(ascii: "E")) {
            j += 1
            if j < end && (b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-")) { j += 1 }
            let st = j
            while j < end && b[j] >= 48 && b[j] <= 57 { j += 1 }
            if j == st { return nil }
        }
        return j
    }

    /// True when the whole slice is one strict JSON number.
    static func isNumber(_ s: Slice) -> Bool {
        guard let p = s.ptr, s.len > 0 else { return false }
        return numberEnd(p, 0, s.len) == s.len
    }

    /// True when a number's value is finite as a double (`1e999` is not).
    static func isFinite(_ s: Slice) -> Bool {
        guard let d = Double(s.string) else { return false }
        return d.isFinite
    }

    /// Checks one JSON value (an object or array as the JSONL reader found it) strictly.
    /// nil when fine, else the reason. `depth` is the nesting already around it.
    static func check(_ s: Slice, depth outer: Int = 1) -> String? {
        guard let b = s.ptr else { return "empty value" }
        let end = s.len
        var i = 0
        var stack: [UInt8] = []          // '{' or '['
        var expectValue = true            // at a value position
        func ws() { while i < end, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 } }
        while true {
            ws()
            guard i < end else { return stack.isEmpty && !expectValue ? nil : "not closed" }
            if expectValue {
                let c = b[i]
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    stack.append(c)
                    if stack.count + outer > maxDepth { return "nested deeper than \(maxDepth.grouped) levels" }
                    i += 1
                    ws()
                    if i < end && b[i] == (c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        stack.removeLast(); i += 1; expectValue = false
                    } else if c == UInt8(ascii: "{") {
                        guard i < end, b[i] == UInt8(ascii: "\"") else { return "expected a key at byte \(i + 1)" }
                        if let e = string(b, &i, end) { return e }
                        ws()
                        guard i < end, b[i] == UInt8(ascii: ":") else { return "expected ':' at byte \(i + 1)" }
                        i += 1
                    }
                    continue
                case UInt8(ascii: "\""):
                    if let e = string(b, &i, end) { return e }
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let lit: String = c == UInt8(ascii: "t") ? "true" : c == UInt8(ascii: "f") ? "false" : "null"
                    let n = lit.utf8.count
                    guard i + n <= end, Slice(ptr: b + i, len: n).equals(Array(lit.utf8)) else { return "unknown literal at byte \(i + 1)" }
                    i += n
                default:
                    guard let e = numberEnd(b, i, end) else { return "bad number at byte \(i + 1)" }
                    let num = Slice(ptr: b + i, len: e - i)
                    if !isFinite(num) { return "number out of range: \(num.string.prefix(40))" }
                    i = e
                }
                expectValue = false
                continue
            }
            // After a value: ',' or the closer of the innermost container.
            guard let top = stack.last else { return "text after the value at byte \(i + 1)" }
            let c = b[i]
            if c == UInt8(ascii: ",") {
                i += 1
                if top == UInt8(ascii: "{") {
                    ws()
                    guard i < end, b[i] == UInt8(ascii: "\"") else { return "expected a key at byte \(i + 1)" }
                    if let e = string(b, &i, end) { return e }
                    ws()
                    guard i < end, b[i] == UInt8(ascii: ":") else { return "expected ':' at byte \(i + 1)" }
                    i += 1
                }
                expectValue = true
            } else if (top == UInt8(ascii: "{") && c == UInt8(ascii: "}")) || (top == UInt8(ascii: "[") && c == UInt8(ascii: "]")) {
                stack.removeLast()
                i += 1
            } else {
                return "expected ',' or '\(top == UInt8(ascii: "{") ? "}" : "]")' at byte \(i + 1), found '\(Character(Unicode.Scalar(c)))'"
            }
        }
    }

    /// A strict JSON string at b[i] == '"'; moves i past its closing quote.
    private static func string(_ b: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) -> String? {
        i += 1
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return nil }
            if c < 0x20 { return "control character in a string at byte \(i + 1)" }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < end else { return "unterminated string" }
                switch b[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= end else { return "bad \\u escape at byte \(i + 1)" }
                    for k in 2..<6 where !isHex(b[i + k]) { return "bad \\u escape at byte \(i + 1)" }
                    i += 6
                default: return "bad escape at byte \(i + 1)"
                }
                continue
            }
            i += 1
        }
        return "unterminated string"
    }

    @inline(__always) private static func isHex(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
    }
}
