/// Sorts on integer keys for the import's hot loops (issue 17, imp34): the link aggregate's
/// entries by (kind, value, account) and a chunk's new identifiers by their bytes were sorted
/// with a comparison closure over 48-byte entries or through three arrays and the bytes — every
/// compare a few cache misses, and more flushes of them per row in a big import.
enum IntegerSort {
    /// Sorts `keys` ascending and applies the same permutation to `vals` (LSD radix, 11-bit
    /// digits; a digit equal in every key is skipped). Keys equal to each other keep their order.
    static func radix(_ keys: inout [UInt64], _ vals: inout [UInt32]) {
        let n = keys.count
        precondition(vals.count == n)
        if n < 2 { return }
        var or: UInt64 = 0, and: UInt64 = ~0
        for k in keys { or |= k; and &= k }
        let varying = or ^ and
        if varying == 0 { return }
        var tk = [UInt64](repeating: 0, count: n)
        var tv = [UInt32](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 2048)
        var shift: UInt64 = 0
        while shift < 64 {
            if (varying >> shift) & 0x7FF != 0 {
                for i in counts.indices { counts[i] = 0 }
                for k in keys { counts[Int((k >> shift) & 0x7FF)] += 1 }
                var sum = 0
                for i in counts.indices { let c = counts[i]; counts[i] = sum; sum += c }
                keys.withUnsafeBufferPointer { ks in
                    vals.withUnsafeBufferPointer { vs in
                        tk.withUnsafeMutableBufferPointer { tks in
                            tv.withUnsafeMutableBufferPointer { tvs in
                                counts.withUnsafeMutableBufferPointer { cs in
                                    for i in 0..<n {
                                        let d = Int((ks[i] >> shift) & 0x7FF)
                                        let o = cs[d]
                                        cs[d] = o + 1
                                        tks[o] = ks[i]; tvs[o] = vs[i]
                                    }
                                }
                            }
                        }
                    }
                }
                swap(&keys, &tk)
                swap(&vals, &tv)
            }
            shift += 11
        }
    }

    /// Reorders `items` in place so that `items[i]` becomes the old `items[order[i]]`
    /// (`order` a permutation of the indices; it is used up as scratch).
    static func permute<T>(_ items: inout [T], by order: inout [UInt32]) {
        let done = UInt32.max
        for start in order.indices where order[start] != done {
            var i = start
            if Int(order[i]) == i { order[i] = done; continue }
            let first = items[start]
            while true {
                let src = Int(order[i])
                order[i] = done
                if src == start { items[i] = first; break }
                items[i] = items[src]
                i = src
            }
        }
    }

    /// A text's first 8 bytes as a big-endian number, shorter texts padded with zero bytes:
    /// where two texts' prefixes differ, their order is their BINARY collation order (bytes,
    /// then length), so a sort need only compare the bytes of texts whose prefixes are equal.
    @inline(__always)
    static func prefix8(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var v: UInt64 = 0
        let m = min(n, 8)
        for i in 0..<m { v |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << UInt64(56 - 8 * i) }
        return v
    }
}
