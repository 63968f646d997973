import Foundation

/// The anomaly layer's view of how an account's orders end, and of the company it keeps:
///
/// - `refund_claims_beyond_rate`: how improbable the account's refund claims are for an
///   account with its number of orders, at the store's own claim rate per order — overall and
///   for each claim reason claimed at least twice (the refund's `status`: "not received",
///   "damaged", …; a single claim is judged against the overall rate only), the most
///   improbable of these views: −log10 of the binomial tail P(X ≥ claims | orders, rate),
///   less log10 of the views tested (reasons + 1), floored at 0. One damaged parcel on three
///   orders is about what the rate predicts (≈ 0); claims on ten of eleven orders, nearly all
///   "not received", are not (≈ 15). Orders are counted as max(orders, claims), as a claim
///   on an order placed before the log began is still an order.
/// - `linked_refund_claimants`: how many *other* accounts sharing a device, card or address
///   (one that links: LinkBound.swift) with it are claimants beyond chance
///   (`refund_claims_beyond_rate` ≥ `claimantSurprise`, one in a hundred), plus the account
///   itself when it is one too and any of them is (`LinkedCompany`). A household whose member
///   returned a faulty item has no such claimant; accounts on one card or one address whose
///   orders each end in "not received" claims have each other.
///
/// They describe behaviour, not a finding: the `refund_abuse` detector's rings and their
/// findings are gone with `detect --disable refund_abuse`; these columns are judged by the
/// anomaly layer like any other, within the account's peers (role, age, activity), and weigh
/// only as far as they are rare there.
///
/// Assumes honest claims are a small share of orders and spread over accounts at roughly the
/// store's rate, each order independently (a store where one courier loses a district's
/// parcels makes that district's claims a little surprising, not extreme), and that refunds
/// are recorded as `refund` events whose `status` is the reason.
enum RefundClaims {
    static let names = ["refund_claims_beyond_rate", "linked_refund_claimants"]
    /// The bar for a claimant in another account's company: one in a hundred after the correction.
    static let claimantSurprise = 2.0

    /// Row-major, `accountCount × names.count`: the surprise as it is (already −log10 of a
    /// chance), the count log1p'd.
    static func compute(_ t: EventTable, returnerSpread: Bool = false) -> [Float] {
        let n = t.accountCount
        let w = names.count
        var x = [Float](repeating: 0, count: n * w)
        let surprise = claimSurprise(t, returnerSpread: returnerSpread)
        guard surprise.contains(where: { $0 > 0 }) else { return x }
        let company = LinkedCompany.count(t, marked: surprise.map { $0 >= claimantSurprise })
        for a in 0..<n {
            x[a * w] = Float(surprise[a])     // already a log scale (−log10 of a chance)
            x[a * w + 1] = Float(log1p(Double(company[a])))
        }
        return x
    }

    /// Per account: −log10 of its claims' binomial tail at the store's rate (the most improbable
    /// of overall and per reason), less log10(reasons + 1), ≥ 0.
    /// `returnerSpread`: the overall count judged within the spread between people (`spread`).
    static func claimSurprise(_ t: EventTable, returnerSpread: Bool = false) -> [Double] {
        let n = t.accountCount
        var out = [Double](repeating: 0, count: n)
        var orders = [Int](repeating: 0, count: n)
        var claims = [Int](repeating: 0, count: n)
        var byReason: [Int: [Int32: Int]] = [:]     // account → reason → claims
        var reasonTotal: [Int32: Int] = [:]
        var totalOrders = 0, totalClaims = 0
        for e in 0..<t.count where t.account[e] >= 0 {
            let a = Int(t.account[e])
            switch t.kind[e] {
            case .order: orders[a] += 1; totalOrders += 1
            case .refund:
                claims[a] += 1; totalClaims += 1
                reasonTotal[t.status[e], default: 0] += 1
                byReason[a, default: [:]][t.status[e], default: 0] += 1
            default: break
            }
        }
        guard totalClaims > 0, totalOrders > 0 else { return out }
        let per = Double(max(totalOrders, totalClaims))
        let base = Double(totalClaims) / per
        let correction = log10(Double(reasonTotal.count + 1))
        let between = returnerSpread ? spread(orders: orders, claims: claims, rate: base) : nil
        for (a, reasons) in byReason {
            let m = max(orders[a], claims[a])
            var best = Significance.surprise(between.map { Significance.logBetaBinomialTail(claims[a], m, $0.alpha, $0.beta) }
                                             ?? Significance.logBinomialTail(claims[a], m, base))
            // A reason is a habit only when repeated: one claim is judged against the overall
            // rate alone (one damaged parcel of the rarest reason is no pattern).
            for (r, k) in reasons where k >= 2 {
                best = max(best, Significance.surprise(Significance.logBinomialTail(k, m, Double(reasonTotal[r]!) / per)))
            }
            out[a] = max(0, best - correction)
        }
        return out
    }

    /// People differ in how often they send things back: the beta-binomial of claims per order
    /// with the store's `rate` and the spread between accounts (intra-account correlation ρ by
    /// the method of moments over every account with an order, orders counted as
    /// max(orders, claims); held to [10⁻⁴, ½]). A serial returner's many claims are within it
    /// where the store has such customers; where everyone claims alike, ρ ≈ 0 and it is the
    /// binomial.
    static func spread(orders: [Int], claims: [Int], rate p: Double) -> (alpha: Double, beta: Double, rho: Double) {
        var num = 0.0, den = 0.0
        for a in orders.indices {
            let n = Double(max(orders[a], claims[a]))
            guard n > 0 else { continue }
            let d = Double(claims[a]) - n * p
            num += d * d - n * p * (1 - p)
            den += n * (n - 1) * p * (1 - p)
        }
        let rho = min(0.5, max(1e-4, den > 0 ? num / den : 1e-4))
        let (alpha, beta) = Significance.betaParameters(mean: p, rho: rho)
        return (alpha, beta, rho)
    }
}
