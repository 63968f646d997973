import Foundation

/// Refund claims worded from one script (`claim-scripts`, on by default; `detect --no-sign claim-scripts`).
///
/// Refund rings often claim from a shared script ("box was empty", "only packaging, no product");
/// a member with one claim on a few orders is, by its own count, any customer who was unlucky
/// once. What it shares with the ring is the wording. The test: normalise each refund's free text
/// (`wording`: lower case, letters and digits, any other run one space; a claim is one order
/// refunded, however many rows); for every wording used by three accounts
/// or more, and for each account that used it, count the *other* accounts that used it and how
/// many of them are claimants far beyond the store's rate (their count of claims for their orders
/// improbable at the store's claim rate per order, binomial, at `claimantSurprise`: one in a hundred). The account is reported when
/// - those claimants are at least `purity` of the others — the precision the queue promises
///   (nine in ten): a wording honest customers use too ("never arrived", "not received") has
///   honest users among its others and says nothing of the next user, however many rings use it;
/// - and that many is improbable at the store's own share of such claimants among the claims with
///   words (a heavy claimant has a chance per claim to land in a wording; binomial tail),
///   corrected for the wordings tested (Bonferroni), at `minSurprise`.
///
/// The account itself is left out of its wording's count, so its own claims neither help nor
/// hurt; accounts the refund detector's other tests report are not reported again. An account on
/// several wordings is reported on its most surprising one, and grouped by it.
///
/// Assumes honest claimants word their claims independently of one another (or from the store's
/// own short menu of reasons, which every kind of claimant uses alike), and that refunds are
/// `refund` events whose `text` is the claim's words.
enum ClaimScripts {
    /// The share of a wording's other users that must be claimants beyond chance.
    static let purity = 0.9

    struct Hit {
        var account: Int32
        var script: Int            // the wording's number among those tested, for the group name
        var others: Int
        var beyond: Int
        var shareInStore: Double
        var surprise: Double       // corrected, −log10
        var claims: Int
        var orders: Int
        var linked: [Int32]        // up to 20 of the others beyond chance
    }

    /// `reported`: accounts the refund detector's other rules report — counted among a wording's
    /// claimants beyond chance whatever their own count (a ring member found by its shared address).
    static func test(_ t: EventTable, minSurprise: Double, reported: Set<Int32> = [], cancel: CancelToken = CancelToken()) throws -> [Hit] {
        let na = t.accountCount
        // Orders: one per order id (its lines together), one per row without. Claims: one per order
        // refunded, however many refund rows (RefundKinds.swift, review59), one per refund row
        // without an order id; a claim of an order placed before the log began (its id names no
        // logged order of the account) is left out — its account's other old orders are missing too.
        let (orders, logged) = LoneClaimants.loggedOrders(t)
        let matched = !logged.isEmpty
        var claimed = Set<UInt64>()
        var claims = [Int](repeating: 0, count: na)
        var users: [String: Set<Int32>] = [:]
        var worded: [Int32: Int] = [:]          // account → its claims with words
        for e in 0..<t.count where t.account[e] >= 0 && t.kind[e] == .refund {
            let a = Int(t.account[e])
            if matched, let o = t.orderRef(e) {
                guard logged.contains(o) else { continue }
                if !claimed.insert(o).inserted { continue }
            }
            claims[a] += 1
            let ref = t.textRef[e]
            guard ref >= 0 else { continue }
            let w = wording(t.texts[Int(ref)])
            guard !w.isEmpty else { continue }
            users[w, default: []].insert(Int32(a))
            worded[Int32(a), default: 0] += 1
        }
        try cancel.check()
        let tested = users.filter { $0.value.count >= 3 }.sorted { $0.key < $1.key }
        guard !tested.isEmpty else { return [] }
        // Beyond chance by its count alone: its claims improbable for its orders at the store's
        // rate per order (orders counted as max(orders, claims), as RefundClaims does).
        let totalClaims = claims.reduce(0, +)
        let base = Double(totalClaims) / Double(max(1, max(orders.reduce(0, +), totalClaims)))
        var beyond = [Bool](repeating: false, count: na)
        for a in 0..<na where claims[a] > 0 {
            let s = Significance.surprise(Significance.logBinomialTail(claims[a], max(orders[a], claims[a]), base))
            beyond[a] = s >= RefundClaims.claimantSurprise || reported.contains(Int32(a))
        }
        // The null: a wording's users are drawn from the claims with words, a heavy claimant once
        // per claim — q0 is the share of those claims whose account is beyond chance.
        let wordedClaims = worded.values.reduce(0, +)
        let q0 = Double(worded.filter { beyond[Int($0.key)] }.values.reduce(0, +)) / Double(max(1, wordedClaims))
        guard q0 > 0 else { return [] }
        let correction = log10(Double(tested.count))
        var best: [Int32: Hit] = [:]
        for (i, (_, set)) in tested.enumerated() {
            try cancel.check()
            let members = set.sorted()
            let high = members.filter { beyond[Int($0)] }
            let n = members.count - 1
            // An account's others: every user but itself; k is one less for a user beyond chance.
            var tail: [Int: Double] = [:]
            for k in Set([high.count, high.count - 1]) where k >= 0 && Double(k) >= purity * Double(n) {
                tail[k] = Significance.surprise(Significance.logBinomialTail(k, n, q0)) - correction
            }
            guard !tail.isEmpty else { continue }
            for a in members {
                let k = high.count - (beyond[Int(a)] ? 1 : 0)
                guard let s = tail[k], s >= minSurprise, s > (best[a]?.surprise ?? -1) else { continue }
                best[a] = Hit(account: a, script: i, others: n, beyond: k, shareInStore: q0, surprise: s,
                              claims: claims[Int(a)], orders: max(orders[Int(a)], claims[Int(a)]),
                              linked: Array(high.lazy.filter { $0 != a }.prefix(20)))
            }
        }
        return best.values.sorted { $0.account < $1.account }
    }

    /// A claim's wording: lower case, letters and digits, every run of anything else one space
    /// ("Only packaging,no product!" and "only packaging no product" are one wording).
    static func wording(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var gap = false
        for u in s.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(u) {
                if gap && !out.isEmpty { out.append(" ") }
                out.append(u)
                gap = false
            } else { gap = true }
        }
        return String(out)
    }
}
