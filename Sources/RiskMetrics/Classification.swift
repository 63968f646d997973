import Foundation

/// Counts of a binary decision against truth, and the metrics read from them.
/// Undefined ratios (a zero denominator) are nil, as scikit-learn warns and returns 0 —
/// here the caller decides how to show "no data".
public struct Confusion: Equatable, Sendable {
    public var tp = 0, fp = 0, tn = 0, fn = 0

    public init(tp: Int = 0, fp: Int = 0, tn: Int = 0, fn: Int = 0) {
        self.tp = tp; self.fp = fp; self.tn = tn; self.fn = fn
    }

    /// From predictions and truth, position by position.
    public init(predicted: [Bool], actual: [Bool]) {
        precondition(predicted.count == actual.count)
        for (p, a) in zip(predicted, actual) {
            switch (p, a) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, false): tn += 1
            case (false, true): fn += 1
            }
        }
    }

    public var total: Int { tp + fp + tn + fn }
    public var precision: Double? { tp + fp == 0 ? nil : Double(tp) / Double(tp + fp) }
    public var recall: Double? { tp + fn == 0 ? nil : Double(tp) / Double(tp + fn) }
    public var f1: Double? {
        guard let p = precision, let r = recall, p + r > 0 else { return nil }
        return 2 * p * r / (p + r)
    }
    public var accuracy: Double? { total == 0 ? nil : Double(tp + tn) / Double(total) }
    public var falsePositiveRate: Double? { fp + tn == 0 ? nil : Double(fp) / Double(fp + tn) }
}

public enum Agreement {
    /// Cohen's kappa between two raters' labels of the same items: (p_o − p_e) / (1 − p_e).
    /// nil when there are no items, or when chance agreement is already total.
    public static func cohensKappa(_ a: [String], _ b: [String]) -> Double? {
        precondition(a.count == b.count)
        guard !a.isEmpty else { return nil }
        let n = Double(a.count)
        let observed = Double(zip(a, b).filter { $0 == $1 }.count) / n
        var ca: [String: Double] = [:], cb: [String: Double] = [:]
        for x in a { ca[x, default: 0] += 1 }
        for x in b { cb[x, default: 0] += 1 }
        let expected = Set(ca.keys).union(cb.keys).reduce(0.0) { $0 + (ca[$1] ?? 0) / n * ((cb[$1] ?? 0) / n) }
        guard expected < 1 else { return nil }
        return (observed - expected) / (1 - expected)
    }
}

public enum Distribution {
    /// The p-th percentile (0…100) with linear interpolation between closest ranks
    /// (numpy's default, "linear").
    public static func percentile(_ xs: [Double], _ p: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        let rank = min(max(p, 0), 100) / 100 * Double(s.count - 1)
        let lo = Int(rank.rounded(.down)), hi = Int(rank.rounded(.up))
        return s[lo] + (s[hi] - s[lo]) * (rank - Double(lo))
    }

    /// Population stability index between a reference sample and a current one, over
    /// `bins` bins cut at the reference's quantiles: Σ (a − e) · ln(a / e), with empty bins
    /// floored at `epsilon` so the sum stays finite. Under 0.1: stable; over 0.25: shifted.
    public static func psi(expected: [Double], actual: [Double], bins: Int = 10, epsilon: Double = 1e-4) -> Double? {
        guard !expected.isEmpty, !actual.isEmpty, bins >= 2 else { return nil }
        var edges: [Double] = []
        for k in 1..<bins { if let q = percentile(expected, Double(k) * 100 / Double(bins)) { edges.append(q) } }
        edges = Array(Set(edges)).sorted()          // ties (many equal scores) merge bins
        func shares(_ xs: [Double]) -> [Double] {
            var c = [Double](repeating: 0, count: edges.count + 1)
            for x in xs {
                var i = 0
                while i < edges.count && x > edges[i] { i += 1 }
                c[i] += 1
            }
            return c.map { max($0 / Double(xs.count), epsilon) }
        }
        let e = shares(expected), a = shares(actual)
        return zip(a, e).reduce(0) { $0 + ($1.0 - $1.1) * log($1.0 / $1.1) }
    }

    /// PSI over counts already binned the same way (e.g. each detection run's score
    /// histogram): Σ (a − e) · ln(a / e) over the bins' shares, empty bins floored at `epsilon`.
    public static func psi(expectedCounts e: [Double], actualCounts a: [Double], epsilon: Double = 1e-4) -> Double? {
        let te = e.reduce(0, +), ta = a.reduce(0, +)
        guard e.count == a.count, te > 0, ta > 0 else { return nil }
        return zip(a, e).reduce(0) { acc, p in
            let sa = max(p.0 / ta, epsilon), se = max(p.1 / te, epsilon)
            return acc + (sa - se) * log(sa / se)
        }
    }
}
