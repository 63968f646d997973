/// Byte-level steps shared by the flat-JSON walkers (`CategoricalFeatures.scan`,
/// `ExtraFeatures.scan`), which read a JSON object in place without decoding it.
enum JSONBytes {
    /// From just inside a string (after its opening quote): the index of its closing quote,
    /// escapes stepped over, not decoded. At `n` or beyond when the string is not closed.
    @inline(__always) static func stringEnd(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int) -> Int {
        var i = start
        while i < n && p[i] != UInt8(ascii: "\"") { if p[i] == UInt8(ascii: "\\") { i += 1 }; i += 1 }
        return i
    }

    /// The string whose opening quote is at `start`: its content (escapes kept) and the index
    /// just past its closing quote; nil when there is no string there or it is not closed.
    @inline(__always) static func string(_ p: UnsafePointer<UInt8>, _ n: Int, at start: Int)
        -> (content: (UnsafePointer<UInt8>, Int), next: Int)? {
        guard start < n, p[start] == UInt8(ascii: "\"") else { return nil }
        let end = stringEnd(p, n, from: start + 1)
        guard end < n else { return nil }
        return ((p + start + 1, end - start - 1), end + 1)
    }

    /// From the opening `{` or `[` of a nested value: the index just past its matching close and
    /// whether it was found (brackets inside strings do not count). At `n` or beyond when not.
    @inline(__always) static func nestedEnd(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int) -> (end: Int, closed: Bool) {
        var i = start
        var depth = 0
        var inStr = false
        while i < n {
            let b = p[i]
            if inStr { if b == UInt8(ascii: "\\") { i += 1 } else if b == UInt8(ascii: "\"") { inStr = false } }
            else if b == UInt8(ascii: "\"") { inStr = true }
            else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
            else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") { depth -= 1; if depth == 0 { i += 1; break } }
            i += 1
        }
        return (i, depth == 0)
    }
}
