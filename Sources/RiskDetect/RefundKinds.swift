import Foundation

/// The lone refund claimant (refund40; on since session 59, lone59): one account, a handful of
/// orders, most of them ending in a claim — of reasons the store's one-off claimants seldom give
/// ("item missing", "wrong item": nothing goes back) — sharing no address, card or device with
/// anyone, so no ring test sees it. Its honest look-alikes: the serial returner (many claims, of
/// the reasons everybody gives: wrong size, changed mind — with or without a restocking fee), the
/// customer with one lost parcel, the one whose claims are of orders placed before the log began,
/// and the one whose refund comes in several rows.
///
/// Each account with two claims or more is judged alone, against the store's own distributions, in two
/// parts that are independent under the null:
///
/// 1. **How many claims** for its orders: beta-binomial tail P(X ≥ claims | orders, X ≥ 2) with
///    the store's claim rate per order and its spread between accounts (intra-account
///    correlation ρ, method of moments over every account with an order; capped at ½), given
///    two claims or more, as only such accounts are tested. People differ — a serial
///    returner's nine claims on twenty orders are within that spread. An order is one order id
///    (its lines together); a claim is one order refunded, however many refund rows it took; a
///    claim whose order id names none of the account's orders in the log (an order from before
///    the log) is left out.
/// 2. **Which kinds**, given how many: a claim's kind is its stated reason (the refund's
///    `status`, its earliest row's). Not the amount: a part refunded is a restocking fee, a
///    goodwill gesture, one unit of a line, an order net of its coupon or a fixed compensation
///    alike, and a habit of any of them is one customer's, not a claim's (review40c, lone50,
///    review59). The honest mix of kinds π is the mix among the accounts with exactly one
///    claim — one claim is an accident, not a habit — plus one pseudo-claim spread as the mix
///    of all claims, so a kind never seen once is rare, not impossible; with fewer than
///    `minOneOff` one-claim accounts there is no mix and nobody is tested. The account's rarity
///    S = Σ −ln π(kind) over its claims, no claim counted rarer than its second-rarest (one odd
///    claim decides nothing), is judged against the exact distribution of the uncapped S for as
///    many claims drawn independently from π (P(S' ≥ S | claims); weights to 0.05 nats; the cap
///    only lowers S, so the tail is conservative). People differ in which kinds they claim as
///    well: k claims weigh as k / (1 + (k−1)ρₖ) independent ones (the design effect; ρₖ from
///    how often two claims of one account are of one kind beyond chance, Σπ², over the tested
///    accounts whose kinds are not beyond chance by a Bonferroni bar, so abusers do not set
///    their own bar), the same mean rarity kept. A habit of common kinds is no rarer than the
///    mix; claims only abusers make are.
///
/// The two are combined by Fisher's method (−ln p₁ − ln p₂ against Gamma(2, 1)), and
/// Benjamini–Hochberg at the detector's false-discovery rate runs over the accounts tested: those
/// with two claims or more (one claim is an accident, not a habit).
///
/// Why not a beta-binomial per kind fitted to all accounts: a kind that only abusers claim is
/// then "a kind people differ on a lot" — its spread is the abuse itself — and nothing is found
/// (docs/benchmarks.md, "refund40").
///
/// Assumes honest accounts' claim kinds are drawn from one mix whatever their number of claims
/// (the serial returner claims more, not differently), and that most one-claim accounts are
/// honest.
enum LoneClaimants {
    /// One account tested: its orders, claims and kinds, the two tails and their combination
    /// (natural logs).
    struct Claimant {
        let account: Int
        let orders: Int
        let claims: Int
        let kinds: [(kind: Int, count: Int)]
        let logCount: Double
        let logMix: Double
        let logP: Double
    }

    struct Result {
        let rate: Double, rho: Double, rhoKinds: Double
        /// Per kind: its words ("“item missing”") and its share π of honest claims.
        let kindNames: [String]
        let mix: [Double]
        let claimants: [Claimant]
        /// Benjamini–Hochberg: rank of each claimant (1 = most surprising) and how many pass.
        let rank: [Int]
        let passing: Int
        var tested: Int { claimants.count }
    }

    static let step = 0.05           // nats per bin of the rarity S
    static let maxClaims = 64        // S's null is computed up to this many claims
    static let minOneOff = 100       // one-claim accounts needed to estimate the honest mix (review59: fewer, and honest-only stores got findings above the 5 % rate)

    /// Each account's orders — one per order id (an order of several lines is one order), one per
    /// row without — and the order ids the log holds (as `EventTable.orderRef` keys).
    static func loggedOrders(_ t: EventTable) -> (orders: [Int], logged: Set<UInt64>) {
        var logged = Set<UInt64>()
        var orders = [Int](repeating: 0, count: t.accountCount)
        for e in 0..<t.count where t.account[e] >= 0 && t.kind[e] == .order {
            if let o = t.orderRef(e), !logged.insert(o).inserted { continue }
            orders[Int(t.account[e])] += 1
        }
        return (orders, logged)
    }

    static func test(_ t: EventTable, fdr: Double) -> Result? {
        let na = t.accountCount
        let (orders, logged) = loggedOrders(t)
        // A store whose orders carry no order id at all (refunds do, orders not: a mapping that
        // left it out) judges every refund row by itself, as a store without order ids.
        let matched = !logged.isEmpty
        // Claims: one per order refunded — several refund rows on one order (a refund paid in two
        // parts or two steps, one row per line) are one claim, of its earliest row's reason; one
        // per refund row without an order id. A claim whose order id names no order of the
        // account in the log is of an order placed before the log began: the account's other old
        // orders are missing too, so it says nothing about how often the account claims, and it
        // is left out.
        var earliest: [UInt64: Int] = [:]
        var claimRows: [Int] = []
        for e in 0..<t.count where t.account[e] >= 0 && t.kind[e] == .refund {
            guard matched, let o = t.orderRef(e) else { claimRows.append(e); continue }
            guard logged.contains(o) else { continue }
            if let f = earliest[o], (t.ts[f], f) < (t.ts[e], e) { continue }
            earliest[o] = e
        }
        claimRows += earliest.values
        claimRows.sort()
        var claims = [Int](repeating: 0, count: na)
        // Kinds: the claim's stated reason.
        var kindIndex: [Int32: Int] = [:]
        var kindNames: [String] = []
        var perAccount: [Int: [Int: Int]] = [:]        // account → kind → claims
        for e in claimRows {
            let a = Int(t.account[e])
            claims[a] += 1
            let r = t.status[e]
            let k: Int
            if let have = kindIndex[r] { k = have } else {
                k = kindNames.count
                kindIndex[r] = k
                kindNames.append(r >= 0 ? "“" + t.statuses.string(r).replacingOccurrences(of: "_", with: " ") + "”" : "unstated")
            }
            perAccount[a, default: [:]][k, default: 0] += 1
        }
        guard perAccount.values.contains(where: { $0.values.reduce(0, +) >= 2 }) else { return nil }
        // The store's claim rate per order and its spread between accounts (method of moments).
        var sumN = 0.0, sumK = 0.0
        for a in 0..<na {
            let n = max(orders[a], claims[a])
            if n > 0 { sumN += Double(n); sumK += Double(claims[a]) }
        }
        let p = sumK / sumN
        let (alpha, beta, rho) = RefundClaims.spread(orders: orders, claims: claims, rate: p)

        // The honest mix of kinds: the one-claim accounts' claims, plus one pseudo-claim spread as
        // the mix of all claims (a kind no one-off claim has is rare, not impossible; a kind seen
        // once in the store is the rarest, and the cap below keeps one such claim from deciding).
        // Too few one-off claims say nothing of a mix.
        let nk = kindNames.count
        var one = [Double](repeating: 0, count: nk), all = [Double](repeating: 0, count: nk)
        var ones = 0.0
        for (_, mine) in perAccount {
            for (k, c) in mine { all[k] += Double(c) }
            if mine.count == 1, let only = mine.first, only.value == 1 { one[only.key] += 1; ones += 1 }
        }
        guard ones >= Double(minOneOff) else { return nil }
        let total = all.reduce(0, +)
        let mix = (0..<nk).map { (one[$0] + all[$0] / total) / (ones + 1) }
        let weight = mix.map { Int((-log($0) / step).rounded()) }

        // The null of S for 1…maxClaims claims drawn from the mix, as upper tails.
        let most = min(maxClaims, perAccount.keys.map { claims[$0] }.max() ?? 1)
        var tails: [[Double]] = [[1]]
        var dist: [Double] = [1]
        let maxW = weight.max() ?? 0
        // The mix by weight: kinds of one weight (a store of free-text reasons has thousands) are one step.
        var byWeight: [Int: Double] = [:]
        for k in 0..<nk { byWeight[weight[k], default: 0] += mix[k] }
        let steps = byWeight.sorted { $0.key < $1.key }
        if most >= 1 {
            for _ in 1...most {
                var next = [Double](repeating: 0, count: dist.count + maxW)
                for (s, pr) in dist.enumerated() where pr > 0 {
                    for (w, q) in steps { next[s + w] += pr * q }
                }
                dist = next
                var tail = dist
                if tail.count >= 2 { for s in stride(from: tail.count - 2, through: 0, by: -1) { tail[s] += tail[s + 1] } }
                tails.append(tail)
            }
        }

        // P(S' ≥ S) for `k` claims of rarity `s` (in bins) counting as `k'` ≤ k independent ones:
        // the same mean rarity over fewer claims, a larger tail.
        func mixTail(_ s: Int, _ k: Int, counting kEff: Int) -> Double {
            let kk = max(1, min(kEff, k, most))
            let ss = kk == k ? s : Int((Double(s) * Double(kk) / Double(k)).rounded(.down))
            let tail = tails[kk]
            return ss < tail.count ? tail[max(0, ss)] : 0
        }
        // Tested: accounts with two claims or more. One claim is an accident, not a habit (and
        // the one-claim accounts are the honest mix the others are judged against).
        let tested = perAccount.keys.sorted().filter { claims[$0] >= 2 }
        let rarity = tested.map { a in cappedRarity(perAccount[a]!, weight) }
        // People differ in which kinds they claim, too: an account's claims are correlated (ρₖ,
        // from how often two claims of one account are of one kind, beyond Σπ², over the tested
        // accounts whose kinds are not themselves beyond chance — Bonferroni — so the abusers do
        // not set their own bar). k claims then weigh as k / (1 + (k−1)ρₖ) independent ones.
        let bar = log(0.05 / Double(max(1, tested.count)))
        var same = 0.0, pairs = 0.0
        for (i, a) in tested.enumerated() where log(max(mixTail(rarity[i], claims[a], counting: claims[a]), 1e-300)) >= bar {
            let k = Double(claims[a])
            same += perAccount[a]!.values.reduce(0.0) { $0 + Double($1) * Double($1 - 1) } / (k * (k - 1))
            pairs += 1
        }
        let chance = mix.reduce(0) { $0 + $1 * $1 }
        let rhoKinds = pairs > 0 && chance < 1 ? min(1, max(0, (same / pairs - chance) / (1 - chance))) : 0
        var out: [Claimant] = []
        for (i, a) in tested.enumerated() {
            let mine = perAccount[a]!
            let k = claims[a], n = max(orders[a], k)
            let kEff = Int((Double(k) / (1 + Double(k - 1) * rhoKinds)).rounded(.down))
            let logMix = log(max(mixTail(rarity[i], k, counting: kEff), 1e-300))
            // How many claims, given that there are two or more (the accounts tested).
            let logCount = min(0, Significance.logBetaBinomialTail(k, n, alpha, beta) - Significance.logBetaBinomialTail(2, n, alpha, beta))
            let logP = Significance.logFisherTail(-logCount - logMix, 2)
            out.append(Claimant(account: a, orders: n, claims: k,
                                kinds: mine.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) },
                                logCount: logCount, logMix: logMix, logP: logP))
        }
        let (passing, rank) = Significance.benjaminiHochberg(out.map(\.logP), q: fdr)
        return Result(rate: p, rho: rho, rhoKinds: rhoKinds, kindNames: kindNames, mix: mix, claimants: out, rank: rank, passing: passing)
    }

    /// An account's rarity S in bins: Σ −ln π over its claims, with no claim counted rarer than
    /// its second-rarest, so one odd claim decides nothing. S is then at most what the same
    /// claims weigh uncapped, and the null's tail is the uncapped one: conservative.
    static func cappedRarity(_ kinds: [Int: Int], _ weight: [Int]) -> Int {
        var ws: [Int] = []
        for (k, c) in kinds { ws += repeatElement(weight[k], count: min(c, 2)) }
        ws.sort(by: >)
        let cap = ws.count >= 2 ? ws[1] : (ws.first ?? 0)
        return kinds.reduce(0) { $0 + min(weight[$1.key], cap) * $1.value }
    }

    /// The finding's words for a claimant: what it claimed, how rare that is here, and the test.
    static func reason(_ c: Claimant, in r: Result, fdr: Double) -> String {
        func pct(_ x: Double) -> String {
            x >= 0.1 ? String(format: "%.0f%%", x * 100) : (x >= 0.001 ? String(format: "%.1f%%", x * 100) : String(format: "%.2f%%", x * 100))
        }
        let kinds = c.kinds.prefix(4).map { "\($0.count) \(r.kindNames[$0.kind]) (\(pct(r.mix[$0.kind])))" }.joined(separator: ", ")
        return "\(c.claims) of \(c.orders) order(s) ended in a refund claim: \(kinds)" +
            (c.kinds.count > 4 ? ", …" : "") +
            " — in brackets each kind's share of the store's one-off claims. " +
            String(format: "As many claims on as many orders (of accounts with two or more): 1 in 10^%.1f at the store's rate (", Significance.surprise(c.logCount)) + pct(r.rate) +
            String(format: ", people differing by ρ %.2f); kinds this rare: 1 in 10^%.1f (people repeating a kind by ρ %.2f); together 1 in 10^%.1f, ",
                   r.rho, Significance.surprise(c.logMix), r.rhoKinds, Significance.surprise(c.logP)) +
            "one of \(r.passing) lone claimants among \(r.tested) accounts with two claims or more (" + pct(fdr) + " false-discovery rate)"
    }
}
