import Foundation

/// Refund claims worded from one script (`claim-scripts`, on by default; `detect --no-sign claim-scripts`).
///
/// Refund rings often claim from a shared script ("box was empty", "only packaging, no product");
/// a member with one claim on a few orders is, by its own count, any customer who was unlucky
/// once. What it shares with the ring is the wording. The test: normalise each refund's free text
/// (TextNorm: lower case, letters and digits, one space); for every wording used by three accounts
/// or more, and for each account that used it, count the *other* accounts that used it and how
/// many of them are claimants far beyond the store's rate (their count of claims for their orders
/// improbable at the store's claim rate per order, binomial, at `claimantSurprise`: one in a hundred). The account is reported when
/// - those claimants are at least `purity` of the others — the precision the queue promises
///   (nine in ten): a wording honest customers use too ("never arrived", "not received") has
///   honest users among its others and says nothing of the next user, however many rings use it;
/// - and that many is improbable at the store's own share of such claimants among its claimants
///   (binomial tail), corrected for the wordings tested (Bonferroni), at `minSurprise`.
///
/// The account itself is left out of its wording's count, so its own claims neither help nor
/// hurt; accounts the refund detector's other tests report are not reported again.
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

    static func test(_ t: EventTable, minSurprise: Double) -> [Hit] {
        let na = t.accountCount
        var orders = [Int](repeating: 0, count: na)
        var claims = [Int](repeating: 0, count: na)
        var users: [String: Set<Int32>] = [:]
        for e in 0..<t.count where t.account[e] >= 0 {
            let a = Int(t.account[e])
            switch t.kind[e] {
            case .order: orders[a] += 1
            case .refund:
                claims[a] += 1
                let ref = t.textRef[e]
                if ref >= 0 {
                    let w = TextNorm.normalized(t.texts[Int(ref)])
                    if !w.isEmpty { users[w, default: []].insert(Int32(a)) }
                }
            default: break
            }
        }
        let tested = users.filter { $0.value.count >= 3 }.sorted { $0.key < $1.key }
        guard !tested.isEmpty else { return [] }
        // Beyond chance by its count alone: its claims improbable for its orders at the store's
        // rate per order (orders counted as max(orders, claims), as RefundClaims does).
        let totalClaims = claims.reduce(0, +)
        let base = Double(totalClaims) / Double(max(1, max(orders.reduce(0, +), totalClaims)))
        let claimants = (0..<na).filter { claims[$0] > 0 }
        var beyond = [Bool](repeating: false, count: na)
        for a in claimants {
            let s = Significance.surprise(Significance.logBinomialTail(claims[a], max(orders[a], claims[a]), base))
            beyond[a] = s >= RefundClaims.claimantSurprise
        }
        let q0 = Double(claimants.filter { beyond[$0] }.count) / Double(max(1, claimants.count))
        guard q0 > 0 else { return [] }
        let correction = log10(Double(tested.count))
        var best: [Int32: Hit] = [:]
        for (i, (_, set)) in tested.enumerated() {
            let members = set.sorted()
            let k0 = members.filter { beyond[Int($0)] }.count
            for a in members {
                let n = members.count - 1
                let k = k0 - (beyond[Int(a)] ? 1 : 0)
                guard Double(k) >= purity * Double(n) else { continue }
                let s = Significance.surprise(Significance.logBinomialTail(k, n, q0)) - correction
                guard s >= minSurprise, s > (best[a]?.surprise ?? -1) else { continue }
                let linked = members.filter { $0 != a && beyond[Int($0)] }.prefix(20)
                best[a] = Hit(account: a, script: i, others: n, beyond: k, shareInStore: q0, surprise: s,
                              claims: claims[Int(a)], orders: max(orders[Int(a)], claims[Int(a)]), linked: Array(linked))
            }
        }
        return best.values.sorted { $0.account < $1.account }
    }
}
