import Foundation

/// Brushing crews that share no identifier: each fake buyer on its own device, address and
/// card, so there is no ring in the identifiers for the block test (Brushing.swift) to find.
/// The evidence is in the orders and reviews, judged against the store's own distributions:
///
/// - a **boost-like** buyer towards a seller: every review of the seller's items it wrote is
///   five-star, it reviewed at least one order, and at least one of its orders there was
///   either bought without viewing the item first or reviewed faster than the store's usual
///   order → review delay (below its 10th percentile);
/// - a **boosted seller**: the share of boost-like buyers among its buyers is far above the
///   store's (pooled over every buyer–seller pair): binomial tail, corrected for the sellers
///   tested, lift ≥ 3, at least three such buyers — a big honest seller's buyers are judged
///   against the same base rate, so thousands of them with the store's usual habits do not pass;
/// - a **crew member**: a boost-like buyer of a boosted seller. Stronger when it boosts
///   several boosted sellers (a crew spread over sellers), when its life on the platform is
///   mostly those orders, and when the seller's surprise is large.
///
/// Buyers and sellers joined by boost-like pairs form one group (a crew), so propagation
/// carries the crew's evidence to its thinner members.
struct BrushingCrews {
    var name = "brushing"
    /// Smallest crew on one seller that is judged (a pair of buyers is chance).
    var minBuyers = 3
    var debugLog: (@Sendable (String) -> Void)?

    struct Pair {
        var orders: Int32 = 0
        var unbrowsed: Int32 = 0
        var reviewedOrders: Int32 = 0
        var reviews: Int32 = 0
        var five: Int32 = 0
        var minDelay: Int64 = .max
        var events: [Int64] = []
    }

    func run(_ t: EventTable, skip: Set<Int32>, cancel: CancelToken) throws -> [Finding] {
        let nAcc = t.accountCount
        guard nAcc > 0 else { return [] }
        /// The (buyer, seller) pair of account `a`'s event `e` on item `it`: none for a limited
        /// drop or an item of its own.
        @inline(__always) func pairKey(_ a: Int, _ e: Int, _ it: Int32) -> UInt64? {
            guard it >= 0, !(Int(it) < t.itemDropAt.count && t.itemDropAt[Int(it)] != Int64.min) else { return nil }
            let s = t.sellerOf(e)
            guard s >= 0, s != Int32(a) else { return nil }
            return SellerPeers.key(Int32(a), s)
        }
        var pairs: [UInt64: Pair] = [:]
        var delays: [Double] = []
        var life = [Int32](repeating: 0, count: nAcc)     // every event of the account
        var viewed = Set<Int32>()
        var lastOrder: [Int32: Int64] = [:]                // item → the latest order's time (this account)
        var reviewedItems = Set<Int32>()
        for a in 0..<nAcc {
            if a % 4096 == 0 { try cancel.check() }
            let evs = t.events(of: a)
            life[a] = Int32(evs.count)
            viewed.removeAll(keepingCapacity: true)
            lastOrder.removeAll(keepingCapacity: true)
            reviewedItems.removeAll(keepingCapacity: true)
            for e32 in evs {
                let e = Int(e32)
                let it = t.item[e]
                switch t.kind[e] {
                case .view, .addToCart:
                    if it >= 0 { viewed.insert(it) }
                case .order:
                    guard let k = pairKey(a, e, it) else { continue }
                    var p = pairs[k] ?? Pair()
                    p.orders += 1
                    if !viewed.contains(it) { p.unbrowsed += 1 }
                    p.events.append(t.rowid[e])
                    pairs[k] = p
                    lastOrder[it] = t.ts[e]
                case .review:
                    guard let k = pairKey(a, e, it) else { continue }
                    var p = pairs[k] ?? Pair()
                    p.reviews += 1
                    if t.rating[e] == 5 { p.five += 1 }
                    p.events.append(t.rowid[e])
                    if let o = lastOrder[it], !reviewedItems.contains(it) {
                        reviewedItems.insert(it)
                        p.reviewedOrders += 1
                        let d = t.ts[e] - o
                        p.minDelay = min(p.minDelay, d)
                        delays.append(Double(d))
                    }
                    pairs[k] = p
                default:
                    break
                }
            }
        }
        guard !pairs.isEmpty else { return [] }
        try cancel.check()
        // The store's usual order → review delay; "fast" is its fastest tenth.
        let fast = delays.count >= 20 ? Significance.quantile(delays, 0.1) ?? 0 : -1
        func boostLike(_ p: Pair) -> Bool {
            guard p.orders > 0, p.reviewedOrders > 0, p.reviews > 0, p.five == p.reviews else { return false }
            return p.unbrowsed > 0 || Double(p.minDelay) <= fast
        }
        var buyersOf: [Int32: Int32] = [:]
        var boostersOf: [Int32: [Int32]] = [:]
        var boosted = 0, total = 0
        for (k, p) in pairs where p.orders > 0 {
            let s = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
            buyersOf[s, default: 0] += 1
            total += 1
            if boostLike(p) { boosted += 1; boostersOf[s, default: []].append(Int32(truncatingIfNeeded: k >> 32)) }
        }
        guard total > 0, boosted > 0 else { return [] }
        // Base rate: the store's share of boost-like buyer–seller pairs, with one pseudo-pair so
        // a store where nobody looks like that still has a finite bar.
        let q = max(Double(boosted) / Double(total), 1 / Double(total))
        let tests = max(1, boostersOf.count)
        var sellerSurprise: [Int32: Double] = [:]
        for (s, bs) in boostersOf.sorted(by: { $0.key < $1.key }) where bs.count >= minBuyers {
            let n = Int(buyersOf[s] ?? 0)
            let k = bs.count
            let rate = Double(k) / Double(n)
            let surprise = Significance.surprise(Significance.logBinomialTail(k, n, q)) - log10(Double(tests))
            let ok = surprise >= 2 && rate / q >= 3
            debugLog?("crews: seller \(t.accountID(s)) boost-like \(k)/\(n) (store \(String(format: "%.4f", q))), surprise \(String(format: "%.1f", surprise)), lift \(String(format: "%.1f", rate / q)): \(ok ? "boosted" : "not")")
            if ok { sellerSurprise[s] = surprise }
        }
        guard !sellerSurprise.isEmpty else { return [] }
        // Crews: buyers and boosted sellers joined by boost-like pairs.
        var ds = DisjointSet(nAcc)
        var boostsOf: [Int32: [Int32]] = [:]          // buyer → boosted sellers it boosts
        for s in sellerSurprise.keys.sorted() {
            for b in boostersOf[s] ?? [] where !skip.contains(b) && sellerSurprise[b] == nil {
                ds.union(s, b)
                boostsOf[b, default: []].append(s)
            }
        }
        // Members' lives: the median account's event count, for "little else on the platform".
        let medianLife = Stat.median(life.map(Double.init))
        var groupName: [Int32: String] = [:]
        var findings: [Finding] = []
        var crewOf: [Int32: [String]] = [:]
        for b in boostsOf.keys.sorted() {
            let sellers = boostsOf[b]!.sorted()
            let root = ds.find(b)
            let g = groupName[root] ?? { let n = "brushcrew-\(groupName.count + 1)"; groupName[root] = n; return n }()
            var orders = 0, unbrowsed = 0, reviews = 0, own = 0
            var events: [Int64] = []
            for s in sellers {
                let p = pairs[SellerPeers.key(b, s)]!
                orders += Int(p.orders); unbrowsed += Int(p.unbrowsed); reviews += Int(p.reviews)
                own += Int(p.orders) + Int(p.reviews)
                events += p.events
            }
            let surprise = sellers.map { sellerSurprise[$0]! }.max()!
            // Most of its life is the boosting (orders, payments and reviews are about 3 events an order).
            let share = min(1, Double(own) * 1.5 / Double(max(1, life[Int(b)])))
            let thin = Double(life[Int(b)]) <= medianLife ? 1.0 : share
            let strength = 0.45 + 0.2 * Stat.ramp(Double(sellers.count), 1, 3) + 0.15 * Stat.ramp(surprise, 2, 10)
                + 0.1 * thin
            var why = "boost-like buyer of \(sellers.count) seller(s) whose share of such buyers is far above the store's: \(orders) order(s)"
            if unbrowsed > 0 { why += ", \(unbrowsed) bought without viewing the item" }
            why += ", \(reviews) five-star review(s)"
            if sellers.count > 1 { why += "; sellers " + sellers.prefix(5).map { t.accountID($0) }.joined(separator: ", ") }
            else { why += " on seller \(t.accountID(sellers[0]))" }
            findings.append(Finding(account: b, detector: name, riskType: .brushing, strength: strength, reason: why,
                                    events: events.sorted(), linked: sellers.map { t.accountID($0) }, group: g))
            for s in sellers { crewOf[s, default: []].append(t.accountID(b)) }
        }
        for s in sellerSurprise.keys.sorted() where !skip.contains(s) {
            guard let crew = crewOf[s], crew.count >= minBuyers else { continue }
            let n = Int(buyersOf[s] ?? 0)
            let g = groupName[ds.find(s)]
            let why = "\(crew.count) of its \(n) buyers look boost-like (every review five-star, bought without viewing or reviewed unusually fast); the store's share is \(String(format: "%.2f", q * 100)) %"
            let strength = 0.5 + 0.3 * Stat.ramp(sellerSurprise[s]!, 2, 10)
            findings.append(Finding(account: s, detector: name, riskType: .brushing, strength: strength, reason: why,
                                    linked: crew.sorted(), group: g))
        }
        return findings
    }
}
