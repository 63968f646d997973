import Foundation

/// Tests detectors use to decide against the store's own distributions instead of fixed
/// cut-offs: how surprising is a count given the base rate of a peer group, and where does a
/// value sit in the store's distribution.
enum Significance {
    /// log P(X ≥ k) for X ~ Binomial(n, p): the chance that `k` or more of `n` trials show a
    /// sign whose base rate is `p`. 0 (= log 1) when k ≤ 0.
    static func logBinomialTail(_ k: Int, _ n: Int, _ p: Double) -> Double {
        guard k > 0 else { return 0 }
        guard k <= n else { return -.infinity }
        let p = min(max(p, 1e-9), 1 - 1e-9)
        let lp = log(p), lq = log1p(-p)
        let lnN = lnFact(n)
        return logUpperSum(k, n) { i in lnN - lnFact(i) - lnFact(n - i) + Double(i) * lp + Double(n - i) * lq }
    }

    /// log Σ exp(term(i)) for i = k…n, a tail whose terms decrease past the mode: summed from k
    /// upward in log space, stopping once a term is 40 nats below the largest; at most 0.
    private static func logUpperSum(_ k: Int, _ n: Int, _ term: (Int) -> Double) -> Double {
        var best = -Double.infinity
        var terms: [Double] = []
        var i = k
        while i <= n {
            let x = term(i)
            terms.append(x)
            best = max(best, x)
            if x < best - 40 { break }
            i += 1
        }
        let s = terms.reduce(0) { $0 + exp($1 - best) }
        return min(0, best + log(s))
    }

    /// log P(X ≥ k) for X ~ BetaBinomial(n, α, β): trials whose success chance is itself drawn
    /// once per unit from Beta(α, β) — "people differ" — rather than fixed (the binomial).
    /// 0 when k ≤ 0, −∞ when k > n.
    static func logBetaBinomialTail(_ k: Int, _ n: Int, _ alpha: Double, _ beta: Double) -> Double {
        guard k > 0 else { return 0 }
        guard k <= n else { return -.infinity }
        let a = max(alpha, 1e-12), b = max(beta, 1e-12)
        let lnB0 = lgamma(a) + lgamma(b) - lgamma(a + b)
        let lnN = lnFact(n)
        return logUpperSum(k, n) { i in
            lnN - lnFact(i) - lnFact(n - i) + lgamma(Double(i) + a) + lgamma(Double(n - i) + b) - lgamma(Double(n) + a + b) - lnB0
        }
    }

    /// The Beta(α, β) of a beta-binomial with mean `p` and intra-unit correlation `rho`
    /// (0 < rho < 1): α = p(1−ρ)/ρ, β = (1−p)(1−ρ)/ρ.
    static func betaParameters(mean p: Double, rho: Double) -> (alpha: Double, beta: Double) {
        let r = min(max(rho, 1e-6), 1 - 1e-6), q = min(max(p, 1e-12), 1 - 1e-12)
        let s = (1 - r) / r
        return (q * s, (1 - q) * s)
    }

    /// Benjamini–Hochberg at false-discovery rate `q` over `logP` (natural-log p-values of the
    /// hypotheses tested): how many pass — the largest i with p₍ᵢ₎ ≤ q·i/m — and, for each
    /// index, its rank (1 = smallest p). Those with rank ≤ the count pass.
    static func benjaminiHochberg(_ logP: [Double], q: Double) -> (passing: Int, rank: [Int]) {
        let m = logP.count
        guard m > 0 else { return (0, []) }
        let order = logP.indices.sorted { (logP[$0], $0) < (logP[$1], $1) }
        var rank = [Int](repeating: 0, count: m)
        var passing = 0
        let lq = log(q), lm = log(Double(m))
        for (i, idx) in order.enumerated() {
            rank[idx] = i + 1
            if logP[idx] <= lq + log(Double(i + 1)) - lm { passing = i + 1 }
        }
        return (passing, rank)
    }

    /// ln(n!): exact below 256, Stirling's series above.
    static func lnFact(_ n: Int) -> Double {
        if n < 2 { return 0 }
        if n < 256 { return table[n] }
        let x = Double(n)
        return x * log(x) - x + 0.5 * log(2 * Double.pi * x) + 1 / (12 * x) - 1 / (360 * x * x * x)
    }
    private static let table: [Double] = {
        var t = [Double](repeating: 0, count: 256)
        for i in 2..<256 { t[i] = t[i - 1] + log(Double(i)) }
        return t
    }()

    /// log P(X ≥ k) for X ~ Poisson(mean).
    static func logPoissonTail(_ k: Int, _ mean: Double) -> Double {
        guard k > 0 else { return 0 }
        let m = max(mean, 1e-9)
        var best = -Double.infinity
        var terms: [Double] = []
        var i = k
        while true {
            let term = Double(i) * log(m) - m - lnFact(i)
            terms.append(term)
            best = max(best, term)
            if (term < best - 40 && Double(i) > m) || i > k + 100_000 { break }
            i += 1
        }
        let s = terms.reduce(0) { $0 + exp($1 - best) }
        return min(0, best + log(s))
    }

    /// log P(Σ −ln Uᵢ ≥ s) for k independent uniform p-values Uᵢ (Fisher's method: the sum is
    /// Gamma(k, 1)), = −s + ln Σ_{j<k} s^j / j!. 0 when s ≤ 0 or k ≤ 0.
    static func logFisherTail(_ s: Double, _ k: Int) -> Double {
        guard k > 0, s > 0 else { return 0 }
        var term = 0.0, best = 0.0
        var terms: [Double] = [0]
        for j in 1..<k {
            term += log(s) - log(Double(j))
            terms.append(term)
            best = max(best, term)
        }
        let sum = terms.reduce(0) { $0 + exp($1 - best) }
        return min(0, -s + best + log(sum))
    }

    /// ln P(X ≥ k) for X a sum of independent Bernoulli trials with chances `ps` (Poisson-binomial), exact
    /// in log space (O(n²); each chance clamped to [1e-9, 1 − 1e-9] as in `logBinomialTail`, so the result is
    /// finite and never underflows to −∞ however small); 0 for k ≤ 0, −∞ for k > n.
    static func logPoissonBinomialTail(_ k: Int, _ ps: [Double]) -> Double {
        guard k > 0 else { return 0 }
        guard k <= ps.count else { return -Double.infinity }
        func add(_ a: Double, _ b: Double) -> Double {
            if a == -Double.infinity { return b }
            if b == -Double.infinity { return a }
            return max(a, b) + log1p(exp(-abs(a - b)))
        }
        // ld[j] = ln P(exactly j of the trials so far)
        var ld = [Double](repeating: -Double.infinity, count: ps.count + 1)
        ld[0] = 0
        for (i, p0) in ps.enumerated() {
            let p = min(max(p0, 1e-9), 1 - 1e-9)
            let lp = log(p), lq = log1p(-p)
            for j in stride(from: i + 1, through: 1, by: -1) { ld[j] = add(ld[j] + lq, ld[j - 1] + lp) }
            ld[0] += lq
        }
        var tail = -Double.infinity
        for j in k...ps.count { tail = add(tail, ld[j]) }
        return min(0, tail)
    }

    /// −log10 of a tail probability, for "how significant" in plain numbers (3 = one in a thousand).
    static func surprise(_ logP: Double) -> Double { -logP / log(10) }

    /// A base rate from a peer group shrunk towards a wider group's rate by `weight` pseudo-counts,
    /// so a small peer group (or one the suspects make up most of) does not set its own bar.
    static func shrunkRate(hits: Int, of n: Int, prior: Double, weight: Double = 20) -> Double {
        (Double(hits) + weight * prior) / (Double(n) + weight)
    }

    /// The q-quantile (0…1) of `xs` (nearest rank); nil when empty.
    static func quantile(_ xs: [Double], _ q: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s[min(s.count - 1, max(0, Int((q * Double(s.count - 1)).rounded())))]
    }

    /// Excess of an observed rate over a base rate, as a share of what was left to exceed:
    /// 0 at the base rate, 1 when every member shows the sign.
    static func excess(_ rate: Double, over base: Double) -> Double {
        guard base < 1 else { return 0 }
        return max(0, (rate - base) / (1 - base))
    }
}
