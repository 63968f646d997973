import Foundation

/// Ranking metrics with bootstrap confidence intervals, for comparing two scorings of the
/// same accounts (champion / challenger). Resamples are Poisson(1) weights per account
/// (the standard large-sample bootstrap): each resample is one pass over the accounts in
/// score order, so 500k accounts × 500 resamples take seconds. Both scorings see the same
/// weights, so their difference has a paired interval.
public enum Bootstrap {
    public struct Interval: Equatable, Sendable {
        public var value: Double
        public var low: Double
        public var high: Double
        public init(value: Double, low: Double, high: Double) { self.value = value; self.low = low; self.high = high }
    }

    public struct Comparison: Sendable {
        public var k: Int
        public var a: [String: Interval]
        public var b: [String: Interval]
        /// b − a, paired.
        public var difference: [String: Interval]
    }

    public static let metrics = ["auc", "avg_precision", "precision_at_k"]

    /// Weighted AUC, AP and precision at K over accounts visited in `order` (descending
    /// score), with `ties[i]` true when account order[i] ties the previous one.
    static func weighted(_ order: [Int], _ ties: [Bool], _ labels: [Bool], _ w: [Double], k: Double) -> [Double] {
        let totalPos = order.reduce(0.0) { $0 + (labels[$1] ? w[$1] : 0) }
        let totalNeg = order.reduce(0.0) { $0 + (labels[$1] ? 0 : w[$1]) }
        guard totalPos > 0, totalNeg > 0 else { return [.nan, .nan, .nan] }
        var aucSum = 0.0, negAbove = 0.0
        var tp = 0.0, seen = 0.0, apSum = 0.0
        var pk = Double.nan
        var i = 0
        while i < order.count {
            // A group of tied scores.
            var gp = 0.0, gn = 0.0
            var j = i
            repeat {
                let a = order[j]
                if labels[a] { gp += w[a] } else { gn += w[a] }
                j += 1
            } while j < order.count && ties[j]
            // Positives in the group rank above the negatives already seen, and tie with the group's.
            aucSum += gp * (totalNeg - negAbove - gn) + 0.5 * gp * gn
            negAbove += gn
            if pk.isNaN && seen + gp + gn >= k {
                let room = k - seen
                let share = gp + gn > 0 ? room / (gp + gn) : 0
                pk = (tp + gp * share) / k
            }
            tp += gp; seen += gp + gn
            if gp > 0 { apSum += gp * (tp / seen) }
            i = j
        }
        if pk.isNaN { pk = tp / max(k, 1e-12) }
        return [aucSum / (totalPos * totalNeg), apSum / totalPos, pk]
    }

    static func order(_ scores: [Double]) -> ([Int], [Bool]) {
        let o = scores.indices.sorted { scores[$0] > scores[$1] }
        var ties = [Bool](repeating: false, count: o.count)
        for i in 1..<max(1, o.count) where scores[o[i]] == scores[o[i - 1]] { ties[i] = true }
        return (o, ties)
    }

    /// Metrics of two scorings (same accounts, same labels) with `resamples` bootstrap
    /// intervals at `level` (e.g. 0.95). K = the number of positives.
    public static func compare(_ a: [Double], _ b: [Double], labels: [Bool], resamples: Int = 500, level: Double = 0.95, seed: UInt64 = 7) -> Comparison {
        precondition(a.count == b.count && a.count == labels.count)
        let n = labels.count
        let k = labels.filter { $0 }.count
        let (oa, ta) = order(a), (ob, tb) = order(b)
        let ones = [Double](repeating: 1, count: n)
        let pointA = weighted(oa, ta, labels, ones, k: Double(k)), pointB = weighted(ob, tb, labels, ones, k: Double(k))
        var sa: [[Double]] = [[], [], []], sb = sa, sd = sa
        var rng = Poisson1(seed: seed)
        var w = ones
        for _ in 0..<resamples {
            var kw = 0.0
            for i in 0..<n { w[i] = rng.next(); if labels[i] { kw += w[i] } }
            let ma = weighted(oa, ta, labels, w, k: kw), mb = weighted(ob, tb, labels, w, k: kw)
            for m in 0..<3 where !ma[m].isNaN && !mb[m].isNaN {
                sa[m].append(ma[m]); sb[m].append(mb[m]); sd[m].append(mb[m] - ma[m])
            }
        }
        func interval(_ point: Double, _ v: [Double]) -> Interval {
            guard !v.isEmpty else { return Interval(value: point, low: .nan, high: .nan) }
            let s = v.sorted()
            let lo = s[Int((Double(s.count - 1) * (1 - level) / 2).rounded())]
            let hi = s[Int((Double(s.count - 1) * (1 + level) / 2).rounded())]
            return Interval(value: point, low: lo, high: hi)
        }
        var ra: [String: Interval] = [:], rb = ra, rd = ra
        for (m, name) in metrics.enumerated() {
            ra[name] = interval(pointA[m], sa[m])
            rb[name] = interval(pointB[m], sb[m])
            rd[name] = interval(pointB[m] - pointA[m], sd[m])
        }
        return Comparison(k: k, a: ra, b: rb, difference: rd)
    }
}

/// A small seeded generator (SplitMix64): folds, bootstraps and tests that repeat run to run.
public struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Poisson(1) draws from a seeded SplitMix64 stream (inversion: P(0) = P(1) = e⁻¹, …).
struct Poisson1 {
    var source: SplitMix
    init(seed: UInt64) { source = SplitMix(seed: seed) }
    static let cdf: [Double] = {
        var c: [Double] = []
        var p = exp(-1.0), s = 0.0
        for k in 0..<12 { s += p; c.append(s); p /= Double(k + 1) }
        return c
    }()
    mutating func next() -> Double {
        let u = Double(source.next() >> 11) / Double(1 << 53)
        var k = 0
        while k < Self.cdf.count - 1 && u > Self.cdf[k] { k += 1 }
        return Double(k)
    }
}
