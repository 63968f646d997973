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
    /// Fewest items in a popularity band (boostedItems): fewer are merged into the next lower band.
    var minBandItems = 10
    /// Also judge items on their own buyers (a crew on one listing of a big seller).
    var byItem = true
    var debugLog: (@Sendable (String) -> Void)?

    struct Pair {
        var orders: Int32 = 0
        var unbrowsed: Int32 = 0
        var reviewedOrders: Int32 = 0
        var reviews: Int32 = 0
        var five: Int32 = 0
        /// Reviews of one or two stars.
        var low: Int32 = 0
        var minDelay: Int64 = .max
        var events: [Int64] = []
    }

    func run(_ t: EventTable, skip: Set<Int32>, cancel: CancelToken) throws -> [Finding] {
        let nAcc = t.accountCount
        guard nAcc > 0 else { return [] }
        /// The (buyer, seller) pair of account `a`'s event `e` on item `it`: none for a limited
        /// drop or an item of its own.
        @inline(__always) func pairKey(_ a: Int, _ e: Int, _ it: Int32) -> UInt64? {
            guard it >= 0, !t.isDrop(it) else { return nil }
            let s = t.sellerOf(e)
            guard s >= 0, s != Int32(a) else { return nil }
            return SellerPeers.key(Int32(a), s)
        }
        var pairs: [UInt64: Pair] = [:]
        var itemPairs: [UInt64: Pair] = [:]               // (buyer, item): the same, per item
        var itemSeller: [Int32: Int32] = [:]
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
                    let unbrowsed = !viewed.contains(it), row = t.rowid[e]
                    // The same counts towards the seller and towards the item.
                    let add: (inout Pair) -> Void = { p in
                        p.orders += 1
                        if unbrowsed { p.unbrowsed += 1 }
                        p.events.append(row)
                    }
                    add(&pairs[k, default: Pair()])
                    add(&itemPairs[SellerPeers.key(Int32(a), it), default: Pair()])
                    itemSeller[it] = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
                    lastOrder[it] = t.ts[e]
                case .review:
                    guard let k = pairKey(a, e, it) else { continue }
                    var delay: Int64?
                    if let o = lastOrder[it], !reviewedItems.contains(it) {
                        reviewedItems.insert(it)
                        delay = t.ts[e] - o
                        delays.append(Double(t.ts[e] - o))
                    }
                    let five = t.rating[e] == 5, low = t.rating[e] > 0 && t.rating[e] <= 2, row = t.rowid[e]
                    let add: (inout Pair) -> Void = { p in
                        p.reviews += 1
                        if five { p.five += 1 }
                        if low { p.low += 1 }
                        p.events.append(row)
                        if let d = delay { p.reviewedOrders += 1; p.minDelay = min(p.minDelay, d) }
                    }
                    add(&pairs[k, default: Pair()])
                    add(&itemPairs[SellerPeers.key(Int32(a), it), default: Pair()])
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
        // Towards one item: every review five-star, at least one order reviewed, and either an
        // order bought without viewing the item or the item ordered and reviewed again (two or
        // more orders and reviews). Not the fast review: "fast" is the store's fastest tenth, and
        // an item's buyers share its review habits (a prompt, a digital good), so among a small
        // item's few buyers three fast five-star reviews are an item's habit, not a crew.
        func itemSign(_ p: Pair) -> Bool {
            guard p.orders > 0, p.reviewedOrders > 0, p.reviews > 0, p.five == p.reviews else { return false }
            return p.unbrowsed > 0 || (p.orders >= 2 && p.reviews >= 2)
        }
        // Even-handed reviewers: a buyer that gives one or two stars to two or more sellers, and to at least as many as
        // it praises with nothing but five is not favouring the ones it praises (a review spammer,
        // a prolific critic); its praise does not accuse those sellers (see the sellers' findings).
        var praised: [Int32: Int32] = [:], slated: [Int32: Int32] = [:]
        for (k, p) in pairs where p.reviews > 0 {
            let b = Int32(truncatingIfNeeded: k >> 32)
            if p.five == p.reviews { praised[b, default: 0] += 1 }
            if p.low > 0 { slated[b, default: 0] += 1 }
        }
        func evenHanded(_ b: Int32) -> Bool {
            // Two slated sellers at least: one star to a single competitor does not make a
            // booster even-handed.
            guard let l = slated[b], l >= 2 else { return false }
            return l >= praised[b] ?? 0
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
        // Base rate: the store's share of boost-like buyer–seller pairs, with one pseudo-pair so
        // a store where nobody looks like that still has a finite bar.
        let q = max(Double(boosted) / Double(max(1, total)), 1 / Double(max(1, total)))
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
        let items = byItem ? boostedItems(t, itemPairs, sign: itemSign) : [:]
        guard !sellerSurprise.isEmpty || !items.isEmpty else { return [] }
        // Crews: buyers, boosted sellers and boosted items (nodes after the accounts) joined by
        // boost-like pairs.
        var ds = DisjointSet(nAcc + Int((items.keys.max() ?? -1) + 1))
        var boostsOf: [Int32: [Int32]] = [:]          // buyer → boosted sellers it boosts
        for s in sellerSurprise.keys.sorted() {
            for b in boostersOf[s] ?? [] where !skip.contains(b) && sellerSurprise[b] == nil {
                ds.union(s, b)
                boostsOf[b, default: []].append(s)
            }
        }
        var itemBoostsOf: [Int32: [Int32]] = [:]      // buyer → boosted items it boosts
        for it in items.keys.sorted() {
            let node = Int32(nAcc) + it
            if let s = itemSeller[it], sellerSurprise[s] != nil { ds.union(node, s) }
            for b in items[it]!.boosters where !skip.contains(b) && sellerSurprise[b] == nil {
                ds.union(node, b)
                itemBoostsOf[b, default: []].append(it)
            }
        }
        // Members' lives: the median account's event count, for "little else on the platform".
        let medianLife = Stat.median(life.map(Double.init))
        var groupName: [Int32: String] = [:]
        var findings: [Finding] = []
        var crewOf: [Int32: [Int32]] = [:]
        for b in Set(boostsOf.keys).union(itemBoostsOf.keys).sorted() {
            let viaSellers = (boostsOf[b] ?? []).sorted()
            let viaItems = (itemBoostsOf[b] ?? []).sorted()
            let sellers = Set(viaSellers + viaItems.compactMap { itemSeller[$0] }).sorted()
            let root = ds.find(b)
            let g = groupName[root] ?? { let n = "brushcrew-\(groupName.count + 1)"; groupName[root] = n; return n }()
            var orders = 0, unbrowsed = 0, reviews = 0, own = 0
            var events = Set<Int64>()
            // A boosted item's counts are already in its seller's when the seller is boosted too.
            let counted = viaSellers.map { pairs[SellerPeers.key(b, $0)]! }
                + viaItems.filter { !viaSellers.contains(itemSeller[$0] ?? -1) }.map { itemPairs[SellerPeers.key(b, $0)]! }
            for p in counted {
                orders += Int(p.orders); unbrowsed += Int(p.unbrowsed); reviews += Int(p.reviews)
                own += Int(p.orders) + Int(p.reviews)
                events.formUnion(p.events)
            }
            let surprise = (viaSellers.map { sellerSurprise[$0]! } + viaItems.map { items[$0]!.surprise }).max()!
            // Most of its life is the boosting (orders, payments and reviews are about 3 events an order).
            let share = min(1, Double(own) * 1.5 / Double(max(1, life[Int(b)])))
            let thin = Double(life[Int(b)]) <= medianLife ? 1.0 : share
            let strength = 0.45 + 0.2 * Stat.ramp(Double(sellers.count), 1, 3) + 0.15 * Stat.ramp(surprise, 2, 10)
                + 0.1 * thin
            var of: [String] = []
            if !viaSellers.isEmpty { of.append("\(viaSellers.count) seller(s) whose share of such buyers is far above the store's") }
            if !viaItems.isEmpty { of.append("\(viaItems.count) item(s) whose share of such buyers is far above that of items as popular (\(viaItems.prefix(3).map { t.items.string($0) }.joined(separator: ", ")))") }
            var why = "boost-like buyer of " + of.joined(separator: " and of ") + ": \(orders) order(s)"
            if unbrowsed > 0 { why += ", \(unbrowsed) bought without viewing the item" }
            why += ", \(reviews) five-star review(s)"
            if sellers.count > 1 { why += "; sellers " + sellers.prefix(5).map { t.accountID($0) }.joined(separator: ", ") }
            else if let s = sellers.first { why += " on seller \(t.accountID(s))" }
            findings.append(Finding(account: b, detector: name, riskType: .brushing, strength: strength, reason: why,
                                    events: events.sorted(), linked: sellers.map { t.accountID($0) }, group: g))
            for s in viaSellers { crewOf[s, default: []].append(b) }
        }
        // The seller itself is accused only by the boost-like buyers that favour it: even-handed
        // reviewers (above) are left out and the seller's test is made again on the rest, so a
        // seller whose cheap items a review spammer happened to rate five stars is not a brusher
        // (its buyers still are judged as buyers). Assumes a booster does not slate as many
        // sellers as it praises.
        for s in sellerSurprise.keys.sorted() where !skip.contains(s) {
            guard let all = crewOf[s], all.count >= minBuyers else { continue }
            let crew = all.filter { !evenHanded($0) }
            let n = Int(buyersOf[s] ?? 0)
            var surprise = sellerSurprise[s]!
            if crew.count < all.count {
                let k = crew.count, rate = Double(k) / Double(max(1, n))
                surprise = Significance.surprise(Significance.logBinomialTail(k, n, q)) - log10(Double(tests))
                let ok = k >= minBuyers && surprise >= 2 && rate / q >= 3
                debugLog?("crews: seller \(t.accountID(s)) without \(all.count - k) even-handed reviewer(s): \(k)/\(n), surprise \(String(format: "%.1f", surprise)): \(ok ? "boosted" : "not accused")")
                guard ok else { continue }
            }
            let g = groupName[ds.find(s)]
            var why = "\(crew.count) of its \(n) buyers look boost-like (every review five-star, bought without viewing or reviewed unusually fast); the store's share is \(String(format: "%.2f", q * 100)) %"
            if crew.count < all.count { why += " (\(all.count - crew.count) more rate as many other sellers one or two stars: not counted)" }
            let strength = 0.5 + 0.3 * Stat.ramp(surprise, 2, 10)
            findings.append(Finding(account: s, detector: name, riskType: .brushing, strength: strength, reason: why,
                                    linked: crew.map { t.accountID($0) }.sorted(), group: g))
        }
        return findings
    }

    /// Items judged on their own buyers: a crew on one listing of a big seller is a sliver of
    /// the seller's buyers, but most of the item's. An item's share of buyers showing `sign` is
    /// tested against items about as popular (a band of buyer counts on a log₂ scale; bands of
    /// fewer than `minBandItems` items merged into the next lower one) — a bestseller's buyers
    /// re-order it more than a niche item's do — with the items a first pass against the store
    /// picked left out of that rate (trimmed, as elsewhere), shrunk towards the store's share
    /// (20 pseudo-pairs) and never below it: binomial surprise ≥ 2 after correcting for the
    /// items tested, lift ≥ 3, excess ≥ 0.3, at least `minBuyers` such buyers.
    func boostedItems(_ t: EventTable, _ itemPairs: [UInt64: Pair], sign: (Pair) -> Bool) -> [Int32: (surprise: Double, boosters: [Int32])] {
        var count: [Int32: (n: Int, k: Int)] = [:]
        var boostersOf: [Int32: [Int32]] = [:]
        var signs = 0, total = 0
        for (key, p) in itemPairs where p.orders > 0 {
            let it = Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)
            total += 1
            count[it, default: (0, 0)].n += 1
            if sign(p) {
                signs += 1
                count[it, default: (0, 0)].k += 1
                boostersOf[it, default: []].append(Int32(truncatingIfNeeded: key >> 32))
            }
        }
        guard total > 0, signs > 0 else { return [:] }
        let q = max(Double(signs) / Double(total), 1 / Double(total))
        let items = count.keys.sorted()
        let tested = items.filter { count[$0]!.k >= minBuyers }
        let tests = log10(Double(max(1, tested.count)))
        // Far above chance, and the crew makes the item's buyers: the share of such buyers beyond
        // the base rate is at least 0.3 of what was left to exceed (the block test's bar). An
        // item's own habits vary beyond chance — a consumable's loyal customers re-order it and
        // review it five stars each time, a tenth of its buyers — and a pooled rate cannot see
        // that; a crew is most of the listing it boosts.
        func surprise(_ it: Int32, base: Double) -> Double? {
            let (n, k) = count[it]!
            let rate = Double(k) / Double(n)
            let s = Significance.surprise(Significance.logBinomialTail(k, n, base)) - tests
            return s >= 2 && rate / base >= 3 && Significance.excess(rate, over: base) >= 0.3 ? s : nil
        }
        let first = Set(tested.filter { surprise($0, base: q) != nil })
        // Popularity bands, small ones merged downwards.
        func raw(_ n: Int) -> Int { min(62, Int(log2(Double(max(1, n))))) }
        var itemsIn = [Int](repeating: 0, count: 63)
        for it in items { itemsIn[raw(count[it]!.n)] += 1 }
        var bandOf = [Int](repeating: 0, count: 63)
        var pending: [Int] = [], acc = 0
        for b in stride(from: 62, through: 0, by: -1) {
            pending.append(b); acc += itemsIn[b]
            if acc >= minBandItems || b == 0 { for x in pending { bandOf[x] = b }; pending.removeAll(); acc = 0 }
        }
        var bandN = [Int](repeating: 0, count: 63), bandK = [Int](repeating: 0, count: 63)
        for it in items where !first.contains(it) {
            let b = bandOf[raw(count[it]!.n)]
            bandN[b] += count[it]!.n; bandK[b] += count[it]!.k
        }
        func base(_ it: Int32) -> Double {
            let (n, k) = count[it]!
            let b = bandOf[raw(n)]
            let own = first.contains(it) ? (0, 0) : (n, k)
            return max(q, Significance.shrunkRate(hits: bandK[b] - own.1, of: bandN[b] - own.0, prior: q))
        }
        var out: [Int32: (surprise: Double, boosters: [Int32])] = [:]
        for it in tested {
            let (n, k) = count[it]!
            let r = base(it)
            let s = surprise(it, base: r)
            debugLog?("crews: item \(t.items.string(it)) boost-like \(k)/\(n) (store \(String(format: "%.4f", q)), items as popular \(String(format: "%.4f", r))): \(s.map { "boosted, surprise " + String(format: "%.1f", $0) } ?? "not")")
            if let s { out[it] = (s, boostersOf[it]!.sorted()) }
        }
        return out
    }
}
