import Foundation

/// Scalper bots: on limited drops they check out faster than a person can, take several
/// pieces, never browsed the item before, come back for drop after drop, and ship to a few
/// shared addresses from a few address blocks. A fan who waited for the drop and bought one
/// piece within seconds has one or two of these, not the set.
///
/// Every sign is judged against this store's drop buyers, not a fixed cut-off: "fast" is
/// among the first third of that drop's buyers, "bulk" more pieces than the store's ordinary
/// orders usually hold, "blind" no look at the item before; each sign's count over an
/// account's drop purchases is a binomial tail against the sign's base rate among all drop
/// purchases, the number of drops a Poisson tail against the mean per drop buyer, sharing an
/// address or block with other drop buyers against how many drop buyers do. The surprises
/// (−log10) add up and must beat the number of drop buyers tested (log10 n, plus a margin for
/// signs that come together).
public struct ScalperDetector: Detector {
    public let name = "scalper"
    /// Added to log10(drop buyers) for the bar.
    public var margin = 0.5
    /// scal39: speed and pieces also as graded tails — the purchase's rank share among its drop's
    /// buyers, the share of the drop's purchases with at least as many pieces (Fisher's sum over
    /// an account's drops) — where larger than the yes/no counts. Off: it raised P@K and scalper
    /// recall on the bazaar sets and the hold-out, and its one loss there was displacement
    /// (docs/benchmarks.md "Graded tails on"), but review40a showed it breaks the bar's budget for
    /// honest buyers the benchmark worlds do not contain: one purchase can be worth log10(drop
    /// buyers) decades, a fan who is always early (speed is a trait that repeats, not a fresh draw
    /// per drop) passes the bar, and Fisher runs over purchases, not drops. Those come first.
    public var gradedSigns = false
    /// scal39: an account whose whole life in the store is its drop purchases (every event but
    /// sign-up / log-in / log-out within the hour around them), against the share of the store's
    /// other ordering accounts whose life is their orders. On: alone it raised P@K and scalper
    /// recall on both bazaar sets and lowered no family's worst (docs/benchmarks.md, scal39).
    public var openedForDrops = true
    /// scal42: speed and pieces are habits, not fresh draws per drop. "Fast" and "bulk" are counted
    /// over an account's drops (a drop counts once however many orders it split into), and the
    /// count's tail is a beta-binomial whose spread between accounts (ρ, method of moments over the
    /// store's buyers of two or more drops less the top fifth by excess, at most ½) says how much the store's drop buyers differ
    /// in the habit — a fan who is at the head of every rush it joins, or a reseller who takes
    /// several pieces each time, is one draw of a habit many share, not n independent surprises.
    /// "Drops only" counts drops too (a split order is one drop, not three drop orders). On
    /// (session 42; `detect --no-sign habits`): measured in docs/benchmarks.md "scal42".
    public var habits = true
    /// scal42: checkout pace — the seconds from the account's last add-to-cart of the item to the
    /// order, among the quickest third of that drop's buyers' (those with a cart event). A crew
    /// that spreads a drop over accounts arrives mid-pack but checks out at a script's pace; in
    /// the slot of "fast" (the larger counts: both say quick). On (session 42; `detect --no-sign pace`).
    public var pace = true
    /// s64: checkout pace against the store's customers — a drop purchase's cart-to-order seconds
    /// against the drop checkouts (one per customer and drop) of accounts that order items besides the
    /// drops (two or more such orders), a rank share ((1 + as quick or quicker) / (1 + reference)),
    /// corrected for several orders at one drop; per account its slowest drop (a habit is one draw). A share within `customerQuick` (quicker than nine in ten
    /// of the customers' checkouts) is worth −log10 of it, in the slot of "fast". The quickest third
    /// of a drop's buyers is no surprise where a crew is a third or more of them; the customers' pace
    /// is a reference a crew of fresh accounts does not set. On (session 64; `detect --no-sign
    /// customer-pace`).
    public var customerPace = true
    /// s66: drops bought from abroad — every drop purchase of the account that carries a country was
    /// placed outside its profile's country (the accounts file's `country`), and its ordinary orders, if
    /// any carry a country, were mostly not (someone who moved has a stale profile, not a crew's
    /// proxies). Judged against the store's customers (accounts with two or more ordinary orders that
    /// carry a country): the share of them that ever ordered from outside their profile's country,
    /// (hits + 1) / (customers + 2); a yes / no sign worth −log10 of that share, in a slot of its own
    /// (where a purchase was made says nothing of how quick or how large it was). A crew that buys a
    /// drop over accounts opened with any profile, through proxies of one country, has it on nearly
    /// every purchase; a traveller has it as often as the store's customers travel. Silent where
    /// profiles or events carry no country, or the customers are fewer than `minReference`. On
    /// (session 66; `detect --no-sign drops-abroad`).
    public var dropsAbroad = true
    /// The fewest customers with a drop checkout for `customerPace` to be judged at all.
    public var minReference = 20
    /// The share of the customers' checkouts a purchase's share must be within for `customerPace`, and
    /// its worth (−log10). A yes / no sign like "fast" and "quick", not the share graded: summed
    /// surprises are judged as one chance, and a graded share would let one purchase be worth up to
    /// log10(reference) decades — a fan whose whole life is one quick drop passing the bar by chance
    /// (measured: graded, 1–6 more honest drop buyers reported per bazaar world). 0: graded.
    public var customerQuick = 0.1
    public init() {}

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] { try assess(t, cancel: cancel).findings }

    /// The findings, and every drop buyer's summed surprise (decades), reported or not — the
    /// anomaly layer's `scalper_signs` (`scalper-leads`) ranks the buyers short of the bar by it.
    public func assess(_ t: EventTable, cancel: CancelToken) throws -> (findings: [Finding], surprise: [Int32: Double]) {
        struct Buy { var account: Int32; var event: Int; var item: Int32; var reaction: Double; var qty: Int32; var browsed: Bool; var fast = false; var quick = false; var gap: Double? = nil }
        var buys: [Buy] = []
        // Orders on limited items within an hour of the drop.
        for e in 0..<t.count where t.kind[e] == .order && t.item[e] >= 0 && t.account[e] >= 0 {
            let drop = t.itemDropAt[Int(t.item[e])]
            guard drop != Int64.min, t.ts[e] >= drop, t.ts[e] - drop <= 3_600_000 else { continue }
            buys.append(Buy(account: t.account[e], event: e, item: t.item[e], reaction: Double(t.ts[e] - drop) / 1000,
                            qty: max(1, t.quantity[e]), browsed: false))
        }
        if buys.isEmpty { return ([], [:]) }
        try cancel.check()
        // Fast: among the first third of that drop's buyers (ties count together).
        var reactions: [Int32: [Double]] = [:]
        for b in buys { reactions[b.item, default: []].append(b.reaction) }
        var fastBar: [Int32: Double] = [:]
        for (item, rs) in reactions { fastBar[item] = Significance.quantile(rs, 1.0 / 3) }
        for k in buys.indices { buys[k].fast = buys[k].reaction <= (fastBar[buys[k].item] ?? 0) }
        if pace || customerPace {
            let q = Self.quickCheckouts(t, buys.map { ($0.account, $0.event, $0.item) })
            for k in buys.indices { buys[k].quick = pace && q.quick[k]; buys[k].gap = q.gaps[k] }
        }
        // Bulk: more pieces than the store's ordinary (non-drop) order holds (its median).
        var quantities: [Double] = []
        for e in 0..<t.count where t.kind[e] == .order && !t.isDrop(t.item[e]) {
            quantities.append(Double(max(1, t.quantity[e])))
        }
        let bulkBar = Significance.quantile(quantities, 0.5) ?? 1
        // Did the buyer look at the item earlier than a minute before the drop?
        for k in buys.indices {
            let b = buys[k]
            let drop = t.itemDropAt[Int(b.item)]
            for e32 in t.events(of: Int(b.account)) {
                let e = Int(e32)
                if t.ts[e] >= drop - 60_000 { break }
                if t.item[e] == b.item && (t.kind[e] == .view || t.kind[e] == .addToCart) { buys[k].browsed = true; break }
            }
        }
        // Shared shipping addresses and /24 (or /48) blocks among drop buyers.
        var addrOwners: [Int32: Set<Int32>] = [:], blockOwners: [String: Set<Int32>] = [:]
        for b in buys {
            if t.address[b.event] >= 0 { addrOwners[t.address[b.event], default: []].insert(b.account) }
            if t.ip[b.event] >= 0 { blockOwners[Self.block(t.ips.string(t.ip[b.event])), default: []].insert(b.account) }
        }
        let byAccount = Dictionary(grouping: buys, by: \.account)
        // Base rates among drop purchases and drop buyers.
        let nBuys = Double(buys.count)
        let pFast = Double(buys.filter(\.fast).count) / nBuys
        let pBulk = Double(buys.filter { Double($0.qty) > bulkBar }.count) / nBuys
        let pBlind = Double(buys.filter { !$0.browsed }.count) / nBuys
        var dropsPerBuyer = 0.0
        var sharing = 0
        for (a, list) in byAccount {
            dropsPerBuyer += Double(Set(list.map(\.item)).count)
            if list.contains(where: { b in
                (t.address[b.event] >= 0 && (addrOwners[t.address[b.event]]?.count ?? 0) >= 2)
                    || (t.ip[b.event] >= 0 && (blockOwners[Self.block(t.ips.string(t.ip[b.event]))]?.count ?? 0) >= 3)
            }) { sharing += 1 }
            _ = a
        }
        let meanDrops = dropsPerBuyer / Double(byAccount.count)
        let tied = Self.tiedIdentifiers(t, buyers: Array(byAccount.keys))
        // Each drop buyer's drop orders and all its orders, once for both signs that read them.
        let dropEvents = byAccount.mapValues { $0.map(\.event) }
        // Each drop buyer's orders, and those of items that are not drops (the customers of `customerPace`
        // have two or more: review64 #4, a drop item bought after its hour is still a drop), in one pass.
        var orders: [Int32: Int] = [:], customers = Set<Int32>()
        for a in dropEvents.keys {
            var n = 0, ordinary = 0
            for e32 in t.events(of: Int(a)) where t.kind[Int(e32)] == .order {
                n += 1
                if !t.isDrop(t.item[Int(e32)]) { ordinary += 1 }
            }
            orders[a] = n
            if ordinary >= 2 { customers.insert(a) }
        }
        let dropOnly = Self.dropOnly(t, byAccount: dropEvents, orders: orders, perDrop: habits)
        let customer = customerPace
            ? Self.customerPace(byAccount.mapValues { list in list.map { ($0.item, $0.gap) } },
                                customers: customers,
                                minReference: minReference)
            : [:]
        let opened = openedForDrops ? Self.openedForDrops(t, byAccount: dropEvents) : [:]
        let graded = gradedSigns ? Self.gradedShares(t, buys: buys.map { ($0.event, $0.item, $0.reaction, $0.qty) }) : [:]
        let cohorts = Self.cohorts(t, byAccount: dropEvents, orders: orders)
        let abroad = dropsAbroad ? Self.dropsAbroad(t, byAccount: dropEvents, minReference: minReference) : nil
        let habit = habits || pace ? Self.habitTails(byAccount.mapValues { list in list.map { ($0.item, [$0.fast, Double($0.qty) > bulkBar, $0.quick]) } },
                                                      signs: 3, spread: habits) : nil
        let pShared = Significance.shrunkRate(hits: sharing, of: byAccount.count, prior: 0.5, weight: 2)
        let bar = log10(Double(byAccount.count)) + margin
        func tail(_ k: Int, _ n: Int, _ p: Double) -> Double { k == 0 ? 0 : Significance.surprise(Significance.logBinomialTail(k, n, p)) }
        var ds = DisjointSet(t.accountCount)
        var scored: [(Int32, Double, String, [Int64], [(kind: String, value: String)], Set<Int32>)] = []
        var all: [Int32: Double] = [:]
        for (a, list) in byAccount {
            let drops = Set(list.map(\.item)).count
            let nFast = list.filter(\.fast).count, nBulk = list.filter { Double($0.qty) > bulkBar }.count
            let nBlind = list.filter { !$0.browsed }.count
            let blind = Double(nBlind) / Double(list.count)
            var mates = Set<Int32>()
            var ids: [(kind: String, value: String)] = []
            for b in list {
                if t.address[b.event] >= 0, let o = addrOwners[t.address[b.event]], o.count >= 2 {
                    mates.formUnion(o); ids.append(("address", t.addresses.string(t.address[b.event])))
                }
                if t.ip[b.event] >= 0 {
                    let blk = Self.block(t.ips.string(t.ip[b.event]))
                    if let o = blockOwners[blk], o.count >= 3 { mates.formUnion(o); ids.append(("ip_block", blk)) }
                }
            }
            var tiedSurprise = 0.0
            for x in tied.byAccount[a] ?? [] where x.surprise > tiedSurprise {
                tiedSurprise = x.surprise
            }
            for x in tied.byAccount[a] ?? [] where x.surprise > 0 {
                mates.formUnion(x.buyers); ids.append((x.kind, x.value))
            }
            // Accounts it shares an address, block or tied identifier with — not its cohort, whose
            // sign is its own tail (review38: a weak cohort took the sharing sign's full weight).
            mates.remove(a)
            let sharedMates = mates
            let cohort = cohorts[a]
            if let c = cohort { mates.formUnion(c.members); mates.remove(a) }
            let n = list.count
            var fastS = tail(nFast, n, pFast), bulkS = tail(nBulk, n, pBulk)
            var quickS = 0.0
            if let h = habit?.byAccount[a] {
                if habits { fastS = h[0]; bulkS = h[1] }
                // One slot: a quick checkout and a quick arrival both say "fast".
                if pace, h[2] > fastS { quickS = h[2]; fastS = h[2] }
            }
            var customerS = 0.0
            if let c = customer[a] {
                let v = customerQuick > 0 ? (c.share <= customerQuick ? -log10(customerQuick) : 0) : c.surprise
                if v > fastS { customerS = v; fastS = v; quickS = 0 }
            }
            var rushS = 0.0, piecesS = 0.0
            if gradedSigns {
                var sr = 0.0, sq = 0.0
                for b in list { if let g = graded[b.event] { sr -= log(g.rank); sq -= log(g.pieces) } }
                rushS = Significance.surprise(Significance.logFisherTail(sr, n))
                piecesS = Significance.surprise(Significance.logFisherTail(sq, n))
                fastS = max(fastS, rushS); bulkS = max(bulkS, piecesS)
            }
            var surprise = fastS + bulkS + tail(nBlind, n, pBlind)
            if drops > 1 { surprise += Significance.surprise(Significance.logPoissonTail(drops, meanDrops)) }
            // Shared: the old any-sharing sign, or the tied identifier's tail when larger; or the
            // cohort's tail when larger still (one slot: both say "not alone").
            let shared = sharedMates.isEmpty ? 0 : max(-log10(pShared), tiedSurprise)
            surprise += max(shared, cohort?.surprise ?? 0)
            // One slot: "drops only" and "its life is the drops" both say the account exists for them.
            let lifeS = opened[a] ?? 0
            let onlyDrops = max(dropOnly[a] ?? 0, lifeS)
            surprise += onlyDrops
            let abroadS = abroad.map { $0.accounts.contains(a) ? $0.worth : 0 } ?? 0
            surprise += abroadS
            all[a] = surprise
            let excess = surprise - bar
            guard excess >= 0 else { continue }
            let s = 0.6 + 0.37 * Stat.ramp(excess, 0, 4)
            let med = Stat.median(list.map(\.reaction))
            var why = "bought \(drops) limited drop(s), median \(String(format: "%.1f", med)) s after release"
            if nFast > 0 { why += ", \(nFast) among the first third of the drop's buyers" }
            if rushS > tail(nFast, n, pFast), rushS >= 1 {
                let best = list.compactMap { graded[$0.event]?.rank }.min() ?? 1
                why += String(format: ", ahead of all but %.0f%% of a drop's buyers", 100 * best)
            }
            if quickS > 0 { why += ", \(Set(list.filter(\.quick).map(\.item)).count) drop(s) checked out among the quickest third of the drop's buyers" }
            if customerS > 0, let c = customer[a] {
                why += String(format: ", checked out %.1f s after adding to cart (its slowest drop), quicker than %.0f%% of the store's customers' drop checkouts (all but %.1f%%)", c.gap, 100 * (1 - customerQuick), 100 * c.share)
            }
            if nBulk > 0 { why += ", \(nBulk) order(s) of more than \(Int(bulkBar)) piece(s)" }
            if piecesS > tail(nBulk, n, pBulk), piecesS >= 1, let q = list.map(\.qty).max() {
                why += ", \(q) pieces where \(String(format: "%.0f%%", 100 * (list.compactMap { graded[$0.event]?.pieces }.min() ?? 1))) of the drop's orders had as many"
            }
            if blind >= 0.5 { why += ", without having looked at the item before" }
            if lifeS > 0, lifeS >= (dropOnly[a] ?? 0) {
                why += ", nothing in the store but the drop purchase(s)"
            } else if onlyDrops > 0 { why += ", no orders outside the drops" }
            if abroadS > 0, let r = abroad {
                why += String(format: ", bought its drop(s) from outside its profile's country, as %.1f%% of the store's %d customers ever ordered", 100 * r.share, r.customers)
            }
            if tiedSurprise > 0, let best = (tied.byAccount[a] ?? []).max(by: { ($0.surprise, $1.kind, $1.value) < ($1.surprise, $0.kind, $0.value) }) {
                why += "; \(best.buyers.count) of the \(best.users) accounts on its \(best.kind) bought drops"
            }
            if let c = cohort, c.surprise > tiedSurprise {
                why += "; one of \(c.members.count) accounts that bought exactly the same \(drops) drops and nothing else (\(String(format: "%.1f", c.expected)) expected)"
            }
            if !sharedMates.isEmpty { why += "; shares shipping addresses / address blocks / instruments with \(sharedMates.count) other drop buyers" }
            var uniq: [(kind: String, value: String)] = []
            for x in ids where !uniq.contains(where: { $0.kind == x.kind && $0.value == x.value }) { uniq.append(x) }
            why += String(format: " (chance 1 in 10^%.1f among %d drop buyers)", surprise, byAccount.count)
            scored.append((a, min(0.97, s), why, list.map { t.rowid[$0.event] }, uniq, mates))
        }
        let flagged = Set(scored.map(\.0))
        for s in scored { for m in s.5 where flagged.contains(m) { ds.union(s.0, m) } }
        var groupNames: [Int32: String] = [:]
        var comps: [Int32: Int] = [:]
        for s in scored { comps[ds.find(s.0), default: 0] += 1 }
        var findings: [Finding] = []
        for s in scored.sorted(by: { ($0.1, $1.0) > ($1.1, $0.0) }) {
            let root = ds.find(s.0)
            var group: String? = nil
            if (comps[root] ?? 0) >= 2 {
                if groupNames[root] == nil { groupNames[root] = "scalp-\(groupNames.count + 1)" }
                group = groupNames[root]
            }
            findings.append(Finding(account: s.0, detector: name, riskType: .scalper, strength: s.1, reason: s.2, events: s.3,
                                    linked: s.5.filter { flagged.contains($0) }.map { t.accountID($0) }.sorted(),
                                    identifiers: s.4, group: group))
        }
        return (findings, all)
    }

    /// s66 (`dropsAbroad`): the drop buyers whose every drop purchase that carries a country was placed
    /// outside the profile's, their ordinary orders (items that are not drops) mostly not; and the
    /// sign's worth, −log10 of the share of the store's customers (two or more ordinary orders that carry
    /// a country, the profile one too) who ever ordered from outside the profile's country, shrunk as
    /// (hits + 1) / (customers + 2). Nil when the customers are fewer than `minReference`.
    static func dropsAbroad(_ t: EventTable, byAccount: [Int32: [Int]], minReference: Int)
        -> (accounts: Set<Int32>, worth: Double, share: Double, customers: Int)? {
        let n = t.accountCount
        guard n > 0, t.homeCountry.count >= n else { return nil }
        var placed = [Int32](repeating: 0, count: n), away = [Int32](repeating: 0, count: n)
        for e in 0..<t.count where t.kind[e] == .order && t.country[e] >= 0 {
            let a = Int(t.account[e])
            guard a >= 0, t.homeCountry[a] >= 0 else { continue }
            guard !t.isDrop(t.item[e]) else { continue }
            placed[a] += 1
            if t.country[e] != t.homeCountry[a] { away[a] += 1 }
        }
        var customers = 0, hits = 0
        for a in 0..<n where placed[a] >= 2 {
            customers += 1
            if away[a] > 0 { hits += 1 }
        }
        guard customers >= minReference else { return nil }
        let share = Significance.shrunkRate(hits: hits, of: customers, prior: 0.5, weight: 2)
        var out = Set<Int32>()
        for (a, events) in byAccount {
            let home = t.homeCountry[Int(a)]
            guard home >= 0, 2 * Int(away[Int(a)]) <= Int(placed[Int(a)]) else { continue }
            var any = false, all = true
            for e in events where t.country[e] >= 0 {
                any = true
                if t.country[e] == home { all = false; break }
            }
            if any && all { out.insert(a) }
        }
        return (out, -log10(share), share, customers)
    }

    /// Marks each drop purchase whose cart-to-order seconds (the account's last add-to-cart of the
    /// item within the hour before the order) are within the quickest third of its drop's.
    static func quickCheckouts(_ t: EventTable, _ buys: [(account: Int32, event: Int, item: Int32)]) -> (quick: [Bool], gaps: [Double?]) {
        var gaps = [Double?](repeating: nil, count: buys.count)
        for (k, b) in buys.enumerated() {
            var last: Int64? = nil
            for e32 in t.events(of: Int(b.account)) {
                let e = Int(e32)
                if t.ts[e] > t.ts[b.event] { break }
                if t.kind[e] == .addToCart && t.item[e] == b.item && t.ts[b.event] - t.ts[e] <= 3_600_000 { last = t.ts[e] }
            }
            if let c = last { gaps[k] = Double(t.ts[b.event] - c) / 1000 }
        }
        var byItem: [Int32: [Double]] = [:]
        for (k, b) in buys.enumerated() { if let g = gaps[k] { byItem[b.item, default: []].append(g) } }
        var bar: [Int32: Double] = [:]
        for (item, gs) in byItem where gs.count >= 3 { bar[item] = Significance.quantile(gs, 1.0 / 3) }
        return (buys.indices.map { k in
            guard let g = gaps[k], let b = bar[buys[k].item] else { return false }
            return g <= b
        }, gaps)
    }

    /// s64 (`customerPace`): each drop buyer's checkout pace against the store's customers'. The
    /// reference is one checkout per (customer, drop) — the customer's first order there with a cart —
    /// over the `customers` (accounts with two or more orders of items that are not drops); a
    /// checkout's share is (1 + reference checkouts as quick or quicker, the account's own left out) /
    /// (1 + reference) — a rank p-value, uniform if the buyer checks out like the customers do. Per drop
    /// the account's quickest order, its share corrected for the orders it had there (k orders: 1 −
    /// (1 − share)^k, Šidák — the quickest of several is not one draw; review64 #1); per account its
    /// slowest drop's (speed is a habit: an always-quick fan is one draw, not one per drop). None when
    /// the reference holds fewer than `minReference` customers.
    static func customerPace(_ byAccount: [Int32: [(item: Int32, gap: Double?)]], customers: Set<Int32>, minReference: Int)
        -> [Int32: (surprise: Double, share: Double, gap: Double)] {
        // One reference checkout per (customer, drop): its first order there with a cart (list order is time order).
        var firstAt: [Int32: [Int32: Double]] = [:]
        for (a, list) in byAccount where customers.contains(a) {
            var f: [Int32: Double] = [:]
            for b in list { if let g = b.gap, f[b.item] == nil { f[b.item] = g } }
            if !f.isEmpty { firstAt[a] = f }
        }
        guard firstAt.count >= max(1, minReference) else { return [:] }
        var ref = firstAt.values.flatMap { $0.values }
        ref.sort()
        func atMost(_ x: Double) -> Int {
            var lo = 0, hi = ref.count
            while lo < hi { let m = (lo + hi) / 2; if ref[m] <= x { lo = m + 1 } else { hi = m } }
            return lo
        }
        var out: [Int32: (surprise: Double, share: Double, gap: Double)] = [:]
        for (a, list) in byAccount {
            let own = firstAt[a]?.values.sorted() ?? []
            var quickest: [Int32: (gap: Double, orders: Int)] = [:]
            for b in list {
                guard let g = b.gap else { continue }
                let q = quickest[b.item]
                quickest[b.item] = (min(q?.gap ?? g, g), (q?.orders ?? 0) + 1)
            }
            guard !quickest.isEmpty else { continue }
            let n = ref.count - own.count
            guard n >= 1 else { continue }
            var worst: (share: Double, gap: Double)? = nil
            for (_, q) in quickest {
                // Its own reference checkouts are left out of the reference it is judged against.
                let ownBelow = own.filter { $0 <= q.gap }.count
                let one = min(1, Double(1 + atMost(q.gap) - ownBelow) / Double(1 + n))
                let share = q.orders > 1 ? 1 - pow(1 - one, Double(q.orders)) : one
                if worst == nil || share > worst!.share || (share == worst!.share && q.gap > worst!.gap) { worst = (share, q.gap) }
            }
            if let w = worst { out[a] = (-log10(max(w.share, 1e-300)), w.share, w.gap) }
        }
        return out
    }

    /// Per account, each sign's surprise over its drops: a drop has the sign if any of the account's
    /// orders there had it (a split order counts once); the count's tail is a beta-binomial at the
    /// share of (account, drop) pairs with the sign, its spread between accounts (ρ) estimated over
    /// the buyers of two or more drops by the method of moments, their top fifth left out
    /// (`trimmedSpread`), and held to [10⁻⁴, ½] — or, with
    /// `spread` false, the binomial. Where the store's regulars differ in a habit (some always
    /// first, some never), having it at every drop is about as common as the habit.
    static func habitTails(_ byAccount: [Int32: [(item: Int32, signs: [Bool])]], signs m: Int, spread: Bool) -> (byAccount: [Int32: [Double]], rho: [Double]) {
        var counts: [Int32: (n: Int, k: [Int])] = [:]
        for (a, list) in byAccount {
            var f: [Int32: [Bool]] = [:]
            for b in list {
                var o = f[b.item] ?? [Bool](repeating: false, count: m)
                for j in 0..<m where j < b.signs.count && b.signs[j] { o[j] = true }
                f[b.item] = o
            }
            counts[a] = (f.count, (0..<m).map { j in f.values.filter { $0[j] }.count })
        }
        var out: [Int32: [Double]] = counts.mapValues { _ in [Double](repeating: 0, count: m) }
        var rhos: [Double] = []
        // review42 #8: sums in account order, so ρ is the same run to run.
        let ordered = counts.keys.sorted().map { counts[$0]! }
        for j in 0..<m {
            var sumN = 0.0, sumK = 0.0
            for c in ordered { sumN += Double(c.n); sumK += Double(c.k[j]) }
            let p = sumN > 0 ? sumK / sumN : 0
            let rho = spread ? Self.trimmedSpread(ordered.filter { $0.n >= 2 }.map { ($0.n, $0.k[j]) }, mean: p) : 0
            rhos.append(rho)
            guard p > 0 else { continue }
            let ab = Significance.betaParameters(mean: p, rho: rho)
            for (a, c) in counts where c.k[j] > 0 {
                let l = spread ? Significance.logBetaBinomialTail(c.k[j], c.n, ab.alpha, ab.beta) : Significance.logBinomialTail(c.k[j], c.n, p)
                out[a]![j] = Significance.surprise(l)
            }
        }
        return (out, rhos)
    }

    /// review42 #4: ρ by the method of moments, robust to a crew at the top. The buyers of two or
    /// more drops are ranked by their excess (k − np)/√n and the top fifth left out before the
    /// moments are summed (in account order), held to [10⁻⁴, ½]. A crew that is fast at every drop
    /// and is under a fifth of the store's multi-drop buyers no longer raises the spread it is
    /// judged by; where always-first regulars are a large part of the store (half of them, say),
    /// the rest of them still say the regulars differ and ρ stays large. A trimmed estimate is
    /// lower than the honest store's ρ (the top fifth of honest regulars is left out too).
    static func trimmedSpread(_ counts: [(n: Int, k: Int)], mean p: Double, trim: Double = 0.2) -> Double {
        guard p > 0, p < 1, !counts.isEmpty else { return 1e-4 }
        let ranked = counts.enumerated().sorted { x, y in
            let ex = (Double(x.element.k) - Double(x.element.n) * p) / Double(x.element.n).squareRoot()
            let ey = (Double(y.element.k) - Double(y.element.n) * p) / Double(y.element.n).squareRoot()
            return (ex, x.offset) < (ey, y.offset)
        }
        let keep = ranked.prefix(counts.count - Int((Double(counts.count) * trim).rounded(.down)))
        var num = 0.0, den = 0.0
        for (_, c) in keep {
            let n = Double(c.n), d = Double(c.k) - n * p
            num += d * d - n * p * (1 - p)
            den += n * (n - 1) * p * (1 - p)
        }
        return min(0.5, max(1e-4, den > 0 ? num / den : 1e-4))
    }

    struct Tie { var kind: String; var value: String; var users: Int; var buyers: Set<Int32>; var surprise: Double }

    /// Drop buyers tied by a payment instrument, device, shipping address or exact IP: for each
    /// such identifier used by two or more drop buyers, how many of all the accounts that ever
    /// used it bought drops, against the store's share of buying accounts that did (binomial
    /// tail), less log10 of the identifiers tested. A crew spread over many accounts — each
    /// buying one or two pieces, so no account buys much — shows here: most of the accounts on
    /// its one card / proxy / device bought; a household or a carrier's shared address holds
    /// one fan among many ordinary customers, which is the base rate.
    static func tiedIdentifiers(_ t: EventTable, buyers: [Int32]) -> (byAccount: [Int32: [Tie]], tested: Int) {
        @inline(__always) func key(_ kind: Int64, _ v: Int32) -> Int64 { kind << 32 | Int64(v) }
        let buyerSet = Set(buyers)
        // Identifiers of the drop buyers (whole history) and which drop buyers use each.
        var users: [Int64: Set<Int32>] = [:]
        for a in buyers {
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                if t.payment[e] >= 0 { users[key(0, t.payment[e]), default: []].insert(a) }
                if t.device[e] >= 0 { users[key(1, t.device[e]), default: []].insert(a) }
                if t.address[e] >= 0 { users[key(2, t.address[e]), default: []].insert(a) }
                if t.ip[e] >= 0 { users[key(3, t.ip[e]), default: []].insert(a) }
            }
        }
        users = users.filter { $0.value.count >= 2 }
        if users.isEmpty { return ([:], 0) }
        // All the accounts using those identifiers, and the accounts that ever ordered. A byte
        // per interned value marks the identifiers asked about, so the pass over every event
        // touches the dictionaries only for them.
        var wanted = [[Bool]](repeating: [], count: 4)
        wanted[0] = [Bool](repeating: false, count: t.payments.count)
        wanted[1] = [Bool](repeating: false, count: t.devices.count)
        wanted[2] = [Bool](repeating: false, count: t.addresses.count)
        wanted[3] = [Bool](repeating: false, count: t.ips.count)
        for k in users.keys { wanted[Int(k >> 32)][Int(k & 0xFFFF_FFFF)] = true }
        var total: [Int64: Int] = [:], last: [Int64: Int32] = [:]
        var ordering = 0
        for a in 0..<t.accountCount {
            var ordered = false
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if t.kind[e] == .order { ordered = true }
                for kind in 0..<4 {
                    let v = kind == 0 ? t.payment[e] : kind == 1 ? t.device[e] : kind == 2 ? t.address[e] : t.ip[e]
                    guard v >= 0, wanted[kind][Int(v)] else { continue }
                    let k = key(Int64(kind), v)
                    guard last[k] != Int32(a) else { continue }
                    last[k] = Int32(a); total[k, default: 0] += 1
                }
            }
            if ordered || buyerSet.contains(Int32(a)) { ordering += 1 }
        }
        let p = Double(buyers.count) / Double(max(ordering, 1))
        let correction = log10(Double(users.count))
        var out: [Int32: [Tie]] = [:]
        // In key order, so an account's ties (and the identifiers its finding lists) come out the
        // same on every run; a tie needs three drop buyers (two fans of one household are not a crew).
        for k in users.keys.sorted() {
            guard let set = users[k], set.count >= 3 else { continue }
            let m = max(total[k] ?? set.count, set.count)
            let s = Significance.surprise(Significance.logBinomialTail(set.count, m, p)) - correction
            guard s > 0 else { continue }
            let id = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
            let (kind, value): (String, String)
            switch k >> 32 {
            case 0: (kind, value) = ("payment", t.payments.string(id))
            case 1: (kind, value) = ("device", t.devices.string(id))
            case 2: (kind, value) = ("address", t.addresses.string(id))
            default: (kind, value) = ("ip", t.ips.string(id))
            }
            let tie = Tie(kind: kind, value: value, users: m, buyers: set, surprise: s)
            for a in set { out[a, default: []].append(tie) }
        }
        return (out, users.count)
    }

    /// Each drop purchase's rank share among its drop's purchases (those at or before its time,
    /// ties together, over all) and pieces share (those with at least as many pieces, over all):
    /// under "the buyers of a drop are alike" both are uniform p-values, so an account's sum of
    /// −ln over its drops is Fisher's statistic. A bot at the head of the rush with the most pieces
    /// gets one or two decades from one drop where the yes/no counts gave half of one.
    static func gradedShares(_ t: EventTable, buys: [(event: Int, item: Int32, reaction: Double, qty: Int32)]) -> [Int: (rank: Double, pieces: Double)] {
        var byItem: [Int32: (reactions: [Double], qty: [Int32])] = [:]
        for b in buys { byItem[b.item, default: ([], [])].reactions.append(b.reaction); byItem[b.item, default: ([], [])].qty.append(b.qty) }
        for (k, v) in byItem { byItem[k] = (v.reactions.sorted(), v.qty.sorted()) }
        func atMost<T: Comparable>(_ xs: [T], _ x: T) -> Int {   // how many ≤ x
            var lo = 0, hi = xs.count
            while lo < hi { let m = (lo + hi) / 2; if xs[m] <= x { lo = m + 1 } else { hi = m } }
            return lo
        }
        func below<T: Comparable>(_ xs: [T], _ x: T) -> Int {    // how many < x
            var lo = 0, hi = xs.count
            while lo < hi { let m = (lo + hi) / 2; if xs[m] < x { lo = m + 1 } else { hi = m } }
            return lo
        }
        var out: [Int: (rank: Double, pieces: Double)] = [:]
        for b in buys {
            guard let v = byItem[b.item], !v.reactions.isEmpty else { continue }
            let n = Double(v.reactions.count)
            out[b.event] = (Double(atMost(v.reactions, b.reaction)) / n, Double(v.qty.count - below(v.qty, b.qty)) / n)
        }
        return out
    }

    /// Accounts opened for the drops: every event of the account but sign-up, log-in and log-out
    /// falls within the hour before a drop it bought and the hour after its purchase — no visit,
    /// order or review anywhere else in the store. Against the share of the store's other
    /// ordering accounts (no drop purchase) whose every event lies within the hour around one of
    /// their orders (shrunk with one pseudo-count each way): a shopper whose life is one checkout
    /// is that common, and a fan who bought one drop and never came back is no rarer than one.
    /// Not computed from the drop buyers, so a crew cannot raise its own bar.
    static func openedForDrops(_ t: EventTable, byAccount: [Int32: [Int]]) -> [Int32: Double] {
        let hour: Int64 = 3_600_000
        @inline(__always) func quiet(_ k: EventKind) -> Bool { k == .signup || k == .login || k == .logout }
        // The store's other ordering accounts: whose life is their orders' hours.
        var hits = 0, ordering = 0
        for a in 0..<t.accountCount where byAccount[Int32(a)] == nil {
            var orderTs: [Int64] = []
            for e32 in t.events(of: a) where t.kind[Int(e32)] == .order { orderTs.append(t.ts[Int(e32)]) }
            guard !orderTs.isEmpty else { continue }
            ordering += 1
            var inside = true
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if quiet(t.kind[e]) { continue }
                if !orderTs.contains(where: { abs(t.ts[e] - $0) <= hour }) { inside = false; break }
            }
            if inside { hits += 1 }
        }
        guard ordering > 0 else { return [:] }
        let p = (Double(hits) + 1) / (Double(ordering) + 2)
        let s = -log10(p)
        var out: [Int32: Double] = [:]
        for (a, evs) in byAccount {
            let windows = evs.map { e -> (Int64, Int64) in (t.itemDropAt[Int(t.item[e])] - hour, t.ts[e] + hour) }
            var inside = true
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                if quiet(t.kind[e]) { continue }
                if !windows.contains(where: { $0.0 <= t.ts[e] && t.ts[e] <= $0.1 }) { inside = false; break }
            }
            if inside { out[a] = s }
        }
        return out
    }

    /// Accounts that exist for the drops: orders on two or more different drops and the account's
    /// drop orders against all its orders, a binomial tail at the share of drop orders among all
    /// the orders of drop buyers. A fan or a reseller who comes back for drops also shops the
    /// rest of the store; a crew's accounts buy nothing else. One drop is no evidence (a fan's
    /// first order may be the drop).
    /// `orders`: each drop buyer's orders of any kind.
    /// `perDrop` (scal42 `habits`): a drop counts once however many orders it was split into — the
    /// account's drops against its drops plus its other orders.
    static func dropOnly(_ t: EventTable, byAccount: [Int32: [Int]], orders ordersOf: [Int32: Int], perDrop: Bool = false) -> [Int32: Double] {
        var allOrders: [Int32: Int] = [:], mine: [Int32: Int] = [:]
        var dropOrders = 0, orders = 0
        for (a, evs) in byAccount {
            let n = max(ordersOf[a] ?? 0, evs.count)
            let k = perDrop ? Set(evs.map { t.item[$0] }).count : evs.count
            mine[a] = k
            allOrders[a] = n - evs.count + k
            dropOrders += k; orders += n - evs.count + k
        }
        let p = Double(dropOrders) / Double(max(orders, 1))
        var out: [Int32: Double] = [:]
        for (a, evs) in byAccount where Set(evs.map { t.item[$0] }).count >= 2 {
            let s = Significance.surprise(Significance.logBinomialTail(mine[a] ?? evs.count, allOrders[a] ?? evs.count, p))
            if s > 0 { out[a] = s }
        }
        return out
    }

    /// Accounts that act alike at drops while sharing nothing: drop buyers that bought exactly the
    /// same set of two or more drops and no order outside the drops. Against the chance of that set
    /// if ordering accounts bought each drop independently at its own rate (the product of the
    /// drops' buyer shares, times the ordering accounts), and never less than the accounts that
    /// bought the same set and shop besides, plus one — a set of drops with a fan base draws
    /// shopping fans too, and the honest single-purpose account is no rarer among them (times the
    /// store's drop-only-to-shopping ratio over the other sets when that is above one): a Poisson
    /// tail, less log10 of the sets tested (every drop-only set). A crew made for
    /// the drops sends every account to the drops it chose and nowhere else; a flash crowd buys one
    /// drop, a collector or a reseller who comes back for drops shops the store besides.
    static func cohorts(_ t: EventTable, byAccount: [Int32: [Int]], orders: [Int32: Int]) -> [Int32: (surprise: Double, expected: Double, members: Set<Int32>)] {
        var ordering = 0
        var dropBuyers: [Int32: Int] = [:]
        for a in 0..<t.accountCount {
            var ordered = false
            for e32 in t.events(of: a) where t.kind[Int(e32)] == .order { ordered = true; break }
            if ordered || byAccount[Int32(a)] != nil { ordering += 1 }
        }
        guard ordering > 0 else { return [:] }
        var only: [[Int32]: [Int32]] = [:], more: [[Int32]: Int] = [:]
        for evs in byAccount.values {
            for item in Set(evs.map { t.item[$0] }) { dropBuyers[item, default: 0] += 1 }
        }
        for (a, evs) in byAccount {
            let set = Array(Set(evs.map { t.item[$0] })).sorted()
            guard set.count >= 2 else { continue }
            if orders[a] ?? 0 <= evs.count { only[set, default: []].append(a) } else { more[set, default: 0] += 1 }
        }
        // Every drop-only set is a test, whatever its count (review38: counting only the sets that
        // reached three selected the tests by their result).
        guard only.values.contains(where: { $0.count >= 3 }) else { return [:] }
        let correction = log10(Double(only.count))
        // The store's drop-only buyers of two or more drops per shopping one, over the other
        // sets: where most multi-drop buyers buy nothing else (a launch shop), the shopping
        // buyers of a set undercount its honest drop-only ones by that ratio.
        let onlyTotal = only.values.reduce(0) { $0 + $1.count }, moreTotal = more.values.reduce(0, +)
        var out: [Int32: (surprise: Double, expected: Double, members: Set<Int32>)] = [:]
        for (set, members) in only where members.count >= 3 {
            var chance = Double(ordering)
            for item in set { chance *= Double(dropBuyers[item] ?? 0) / Double(ordering) }
            let ratio = Double(onlyTotal - members.count + 1) / Double(moreTotal - (more[set] ?? 0) + 1)
            let expected = max(chance, (Double(more[set] ?? 0) + 1) * max(1, ratio))
            let s = Significance.surprise(Significance.logPoissonTail(members.count, expected)) - correction
            guard s > 0 else { continue }
            let m = Set(members)
            for a in members { out[a] = (s, expected, m) }
        }
        return out
    }

    /// The /24 of an IPv4 address, the /48 of an IPv6 one.
    static func block(_ ip: String) -> String {
        if ip.contains(":") { return ip.split(separator: ":", omittingEmptySubsequences: false).prefix(3).joined(separator: ":") + "::/48" }
        let parts = ip.split(separator: ".")
        guard parts.count == 4 else { return ip }
        return parts.prefix(3).joined(separator: ".") + ".0/24"
    }
}
