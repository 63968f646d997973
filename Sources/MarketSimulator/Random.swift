import Foundation

/// xoshiro256** seeded through SplitMix64: fast, and the same stream for a seed on every machine.
public struct SimRandom: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// An independent stream derived from this one (so adding draws in one part of the
    /// world doesn't shift every other part).
    public mutating func fork(_ salt: UInt64) -> SimRandom { SimRandom(seed: next() ^ (salt &* 0x9E37_79B9_7F4A_7C15)) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }
    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    @inline(__always) public mutating func int(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    @inline(__always) public mutating func int(in r: ClosedRange<Int>) -> Int { r.lowerBound + int(r.count) }
    @inline(__always) public mutating func chance(_ p: Double) -> Bool { unit() < p }
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
    public mutating func lognormal(median: Double, sigma: Double) -> Double { median * exp(sigma * normal()) }
    public mutating func exponential(mean: Double) -> Double { -mean * log(max(1 - unit(), 1e-300)) }
    public mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda > 30 { return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded())) }
        let l = exp(-lambda)
        var k = 0
        var p = 1.0
        repeat { k += 1; p *= unit() } while p > l
        return k - 1
    }
    public mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
    public mutating func weighted(_ w: [Double]) -> Int {
        let total = w.reduce(0, +)
        var x = unit() * total
        for (i, v) in w.enumerated() { x -= v; if x < 0 { return i } }
        return w.count - 1
    }
    /// Zipf-like index in 0..<n (small indexes much more likely).
    public mutating func zipf(_ n: Int, s: Double = 1.1) -> Int {
        // Inverse-CDF of a continuous power law, good enough for popularity.
        let u = unit()
        let x = pow(Double(n) + 1, 1 - s)
        let v = pow(1 + u * (x - 1), 1 / (1 - s)) - 1
        return min(n - 1, max(0, Int(v)))
    }
    public mutating func sample<T>(_ a: [T], _ k: Int) -> [T] {
        if k >= a.count { return a }
        var idx = Array(a.indices)
        for i in 0..<k { idx.swapAt(i, i + int(a.count - i)) }
        return idx.prefix(k).map { a[$0] }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)
    static let b36 = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
    public mutating func hex(_ n: Int) -> String {
        var out = [UInt8](repeating: 0, count: n)
        for i in 0..<n { out[i] = SimRandom.hexDigits[int(16)] }
        return String(decoding: out, as: UTF8.self)
    }
    public mutating func base36(_ n: Int) -> String {
        var out = [UInt8](repeating: 0, count: n)
        for i in 0..<n { out[i] = SimRandom.b36[int(36)] }
        return String(decoding: out, as: UTF8.self)
    }
    public mutating func digits(_ n: Int) -> String {
        var out = [UInt8](repeating: 0, count: n)
        out[0] = UInt8(49 + int(9))
        for i in 1..<n { out[i] = UInt8(48 + int(10)) }
        return String(decoding: out, as: UTF8.self)
    }
}
