import Foundation

/// Brushing: fake orders and reviews that boost a seller. FRAUDAR finds dense blocks in the
/// buyer → item graph of orders and reviews; each block is then judged by what a ring leaves
/// behind — the same buyers ordering again and again, sharing devices, addresses and cards,
/// 5-star reviews with near-identical texts — and every member by its own part in that.
///
/// Those signs are judged against the boosted seller's own buyers, not in absolute numbers:
/// a seller with half the store's orders has thousands of ordinary buyers, among them
/// households sharing an address or a tablet and short "Great!" five-star reviews. A block
/// is a ring only when the share of its buyers who look like ring members is far above the
/// share among that seller's other buyers (shrunk towards the store-wide share when the
/// seller has few others): binomial tail, corrected for the parts tested, and a lift.
public struct BrushingDetector: Detector {
    public let name = "brushing"
    public var maxBlocks = 24
    /// A big seller whose blocks were judged an honest crowd this many times is peeled out.
    public var peelCrowdAfter = 4
    /// Also judge buyers by their orders and reviews alone (crews sharing no identifier).
    public var crews = true
    /// In the crew rule, also judge each item on its own buyers (a crew on one listing of a big seller).
    public var crewItems = true
    /// In the block test, also judge a block's biggest ring-like sharing group on its own members.
    public var groupOnItsOwn = true
    /// Judge a sharing group bigger than one identifier may be (a chain of small public places)
    /// on its members' other signs, not on its sharing (`SellerPeers`).
    public var judgeChains = true
    /// In the block test, also judge a block's biggest ring-like sharing group by what its
    /// members reviewed: the same few listings of the seller, far beyond how many of the seller's
    /// other buyers reviewed them (`SellerPeers.coBuying`).
    public var coBuying = true
    /// A small ring that passed an exact test is as sure as its test says: its strength is not
    /// discounted for its size beyond what the test's surprise allows.
    public var sizeByEvidence = true
    /// order-rings: where a ring's core left few reviews (order brushing: fake orders that lift a
    /// listing's sales), what the review signs could not show is made up by how far its members'
    /// orders with the seller go beyond the store's own buyer–seller pairs and the seller's other
    /// buyers (99th percentile; `SellerPeers.repeatBound`), in proportion to the orders left
    /// unreviewed. A group that re-orders as often as the store's regulars gains nothing. Only how
    /// sure a ring that passed is; which rings pass is unchanged. On (session 71; `detect --no-sign
    /// order-rings`).
    public var orderRings = true
    /// Where each judged block's numbers go, for tuning (nil: nowhere; `riskdesk` sets it
    /// from RISKDESK_DEBUG).
    public var debugLog: (@Sendable (String) -> Void)?
    public init(debugLog: (@Sendable (String) -> Void)? = nil) { self.debugLog = debugLog }

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        // Edges: (buyer, item) with the number of orders and reviews between them.
        var pairCount: [UInt64: Int32] = [:]
        var dealings: [Int32: [Int32]] = [:]       // each buyer's orders and reviews
        // Limited drops are the scalper detector's: a crew racing a drop orders the same item
        // again and again from shared addresses and cards — a ring's shape without its reviews —
        // and the seller it "boosts" only ran a drop. Brushing boosts ordinary listings.
        for e in 0..<t.count where (t.kind[e] == .order || t.kind[e] == .review) && t.item[e] >= 0 && t.account[e] >= 0
            && !t.isDrop(t.item[e]) {
            let key = UInt64(UInt32(t.account[e])) << 32 | UInt64(UInt32(t.item[e]))
            pairCount[key, default: 0] += 1
            dealings[t.account[e], default: []].append(Int32(e))
        }
        if pairCount.isEmpty { return [] }
        let peers = SellerPeers(t, judgeChains: judgeChains)
        debugLog?("peers: household bound \(peers.householdBound), store rate \(String(format: "%.3f", peers.storeRate))")
        try cancel.check()
        var buyerIndex: [Int32: Int32] = [:], buyers: [Int32] = []
        var itemIndex: [Int32: Int32] = [:], itemsList: [Int32] = []
        var edges: [(Int32, Int32, Double)] = []
        edges.reserveCapacity(pairCount.count)
        for (key, c) in pairCount.sorted(by: { $0.key < $1.key }) {   // a stable order: same input, same blocks
            let a = Int32(truncatingIfNeeded: key >> 32), i = Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)
            let r: Int32
            if let x = buyerIndex[a] { r = x } else { r = Int32(buyers.count); buyerIndex[a] = r; buyers.append(a) }
            let col: Int32
            if let x = itemIndex[i] { col = x } else { col = Int32(itemsList.count); itemIndex[i] = col; itemsList.append(i) }
            edges.append((r, col, 1 + log(Double(c))))
        }
        let edgeList = edges
        var itemBuyers: [Int32: [Int32]] = [:]
        for (r, c, _) in edges { itemBuyers[itemsList[Int(c)], default: []].append(buyers[Int(r)]) }
        // How surprising it is that the members of one sharing group reviewed the same listings
        // of `seller` (SellerPeers.coBuying). Each seller's reviewers per listing are counted the
        // first time the seller is asked about (a few sellers per run).
        var reviewersBySeller: [Int32: [Int32: Int]] = [:]
        func reviewed(_ a: Int32, _ seller: Int32) -> Set<Int32> {
            var mine = Set<Int32>()
            for e32 in dealings[a] ?? [] where t.kind[Int(e32)] == .review {
                let it = t.item[Int(e32)]
                if t.itemSeller[Int(it)] == seller { mine.insert(it) }
            }
            return mine
        }
        func coBuy(_ seller: Int32, _ root: Int32) -> Double {
            if reviewersBySeller[seller] == nil {
                var per: [Int32: Int] = [:]
                for a in peers.buyersOf[seller] ?? [] { for it in reviewed(a, seller) { per[it, default: 0] += 1 } }
                reviewersBySeller[seller] = per
            }
            let all = reviewersBySeller[seller]!
            var members = 0
            var perItem: [Int32: Int] = [:]
            for a in peers.buyersOf[seller] ?? [] where peers.root[a] == root {
                members += 1
                for it in reviewed(a, seller) { perItem[it, default: 0] += 1 }
            }
            return SellerPeers.coBuying(members: members, perItem: perItem, itemBuyers: { all[$0] ?? 0 },
                                        sellerBuyers: peers.buyersOf[seller]?.count ?? 0)
        }
        var fr = Fraudar(rows: buyers.count, cols: itemsList.count, edges: edges)
        var findings: [Finding] = []
        var sellerGroup: [Int32: String] = [:]     // one group per boosted seller
        var crowdBlocks: [Int32: Int] = [:]         // blocks judged an honest crowd, by seller
        let idCache = IdentifierCache()
        for _ in 0..<maxBlocks {
            try cancel.check()
            guard let b = fr.densest() else { break }
            if b.rows.count < 3 { continue }
            // A block may hold a ring beside heavy honest buyers: judge it seller by seller,
            // each part being the block's buyers of that seller's block items.
            let blockItems = Set(b.cols.map { itemsList[Int($0)] })
            let blockRows = Set(b.rows)
            var bySeller: [Int32: (items: Set<Int32>, buyers: Set<Int32>)] = [:]
            for e in edgeList.indices where blockRows.contains(edgeList[e].0) {
                let item = itemsList[Int(edgeList[e].1)]
                guard blockItems.contains(item) else { continue }
                let seller = t.itemSeller[Int(item)]
                var x = bySeller[seller] ?? ([], [])
                x.items.insert(item)
                x.buyers.insert(buyers[Int(edgeList[e].0)])
                bySeller[seller] = x
            }
            for (seller, blockPart) in bySeller.sorted(by: { ($0.value.buyers.count, $1.key) > ($1.value.buyers.count, $0.key) }) where blockPart.buyers.count >= 3 {
                let group = sellerGroup[seller] ?? "brushing-\(sellerGroup.count + 1)"
                // Peeling splits a small ring over several blocks, a few members in each beside
                // honest buyers of the same popular items. The seller's buyers in the sharing
                // groups of the part's ring-like buyers are the rest of that ring: judge them
                // with the part (they are not its peers either), on the seller's items they used.
                var part = blockPart
                let mates = peers.ringMates(seller: seller, of: blockPart.buyers)
                for a in mates.sorted() {
                    part.buyers.insert(a)
                    for e32 in dealings[a] ?? [] where t.itemSeller[Int(t.item[Int(e32)])] == seller { part.items.insert(t.item[Int(e32)]) }
                }
                let verdict = peers.standsOut(t, seller: seller, block: blockPart.buyers, mates: mates, tests: maxBlocks * 4, groupOnItsOwn: groupOnItsOwn,
                                               coBuying: coBuying ? { coBuy(seller, $0) } : nil)
                debugLog?("block: seller \(t.accountID(seller)) buyers \(blockPart.buyers.count)+\(mates.count) items \(part.items.count) density \(String(format: "%.3f", b.density)) \(verdict.detail)")
                guard verdict.ok else {
                    // A big seller whose dense blocks keep looking like its ordinary buyers (a
                    // mega-seller's crowd) would take every block: after two, peel without it.
                    guard verdict.crowd else { continue }
                    crowdBlocks[seller, default: 0] += 1
                    if crowdBlocks[seller] == peelCrowdAfter {
                        fr.remove(cols: Set(itemsList.indices.filter { t.itemSeller[Int(itemsList[$0])] == seller }.map { Int32($0) }))
                    }
                    continue
                }
                // Passed as one sharing group (not by the block's share): that group is the
                // ring; the part's other buyers are the honest crowd it hid in.
                let members = verdict.group.map { g in part.buyers.filter { peers.root[$0] == g } } ?? Array(part.buyers)
                // A member of the ring is in a sharing group holding more of this seller's buyers
                // than a household does here, or three ring-like ones (the smallest ring judged);
                // a household that happens to sit in the block (a shared address, a repeat
                // order, a five-star review) is not.
                let ringGroups = peers.ringLikeGroups(seller: seller, atLeast: 3)
                let beyondHousehold: (Int32) -> Bool = { a in
                    (peers.signs[SellerPeers.key(a, seller)]?.shares ?? false) || peers.root[a].map { ringGroups.contains($0) } ?? false
                }
                if let f = judge(t, members: members.sorted(), items: part.items, density: b.density, group: group, itemBuyers: itemBuyers, idCache: idCache, dealings: dealings, eligible: beyondHousehold,
                                 evidence: sizeByEvidence ? verdict.surprise : 0,
                                 repeatBound: orderRings ? { peers.repeatBound(t, seller: seller, excluding: $0) } : nil) {
                    sellerGroup[seller] = group
                    findings += f
                }
            }
        }
        // Crews that share no identifier: judged by their orders and reviews (BrushingCrews.swift).
        if crews { findings += try BrushingCrews(byItem: crewItems, debugLog: debugLog).run(t, skip: Set(findings.map(\.account)), cancel: cancel) }
        return findings
    }

    /// Evidence for one block; findings for its buyers and the seller it boosts, or nil when
    /// it looks like an honest crowd (a popular item's buyers).
    func judge(_ t: EventTable, members blockMembers: [Int32], items: Set<Int32>, density: Double, group: String,
               itemBuyers: [Int32: [Int32]], idCache: IdentifierCache, dealings: [Int32: [Int32]],
               eligible: (Int32) -> Bool = { _ in true }, evidence: Double = 0, repeatBound repeatBoundOf: ((Set<Int32>) -> Double)? = nil) -> [Finding]? {
        // Other buyers of the block's items who share a device, address or card with a block
        // buyer belong with it (peeling may have put them elsewhere).
        func ids(_ a: Int32) -> Set<UInt64> { idCache.ids(t, a) }
        var blockIDs = Set<UInt64>()
        for a in blockMembers { blockIDs.formUnion(ids(a)) }
        let inBlock = Set(blockMembers)
        var members = blockMembers
        var candidates = Set<Int32>()
        for i in items { for b in itemBuyers[i] ?? [] where !inBlock.contains(b) { candidates.insert(b) } }
        for b in candidates.sorted() where !ids(b).isDisjoint(with: blockIDs) { members.append(b) }
        struct Member {
            var orders = 0, reviews = 0, fiveStar = 0
            var events: [Int64] = []
            var ids = Set<UInt64>()
            var texts: [String] = []
        }
        var m: [Int32: Member] = [:]
        var sellerWeight: [Int32: Int] = [:]
        let memberSet = Set(members)
        for a in members {
            var x = Member()
            x.ids = ids(a)
            for e32 in dealings[a] ?? [] {
                let e = Int(e32)
                guard items.contains(t.item[e]) else { continue }
                if t.kind[e] == .order {
                    x.orders += 1
                    x.events.append(t.rowid[e])
                    let s = t.sellerOf(e)
                    if s >= 0 { sellerWeight[s, default: 0] += 1 }
                } else {
                    x.reviews += 1
                    x.events.append(t.rowid[e])
                    if t.rating[e] == 5 { x.fiveStar += 1 }
                    if t.textRef[e] >= 0 { x.texts.append(TextNorm.normalized(t.texts[Int(t.textRef[e])])) }
                }
            }
            m[a] = x
        }
        // Shared identifiers among members.
        var owners: [UInt64: [Int32]] = [:]
        for a in members { for d in m[a]!.ids { owners[d, default: []].append(a) } }
        var shareMemo: [Int32: Bool] = [:]
        for a in members { shareMemo[a] = m[a]!.ids.contains { (owners[$0]?.count ?? 0) > 1 } }
        func sharers(_ a: Int32) -> (Set<Int32>, [(kind: String, value: String)]) {
            var with = Set<Int32>()
            var out: [(kind: String, value: String)] = []
            for d in m[a]!.ids.sorted() {
                guard let o = owners[d], o.count > 1 else { continue }
                with.formUnion(o)
                let v = Int32(truncatingIfNeeded: d & 0xFF_FFFF_FFFF)
                switch d >> 40 {
                case 0: out.append(("device", t.devices.string(v)))
                case 1: out.append(("address", t.addresses.string(v)))
                default: out.append(("payment", t.payments.string(v)))
                }
            }
            with.remove(a)
            return (with, out)
        }
        // Near-duplicate texts: the same normalised text from two or more members.
        var textOwners: [String: Set<Int32>] = [:]
        for (a, x) in m { for s in x.texts where !s.isEmpty { textOwners[s, default: []].insert(a) } }
        let dupTexts = Set(textOwners.filter { $0.value.count >= 2 }.keys)

        // The ring's core: buyers who repeat or share identity with other buyers of the block,
        // and show at least one more sign. Honest buyers of the same items rarely do; block-wide
        // fractions would be diluted by them.
        func signs(_ a: Int32) -> (repeats: Bool, shares: Bool, five: Bool, dup: Bool) {
            let x = m[a]!
            return (x.orders >= 2, shareMemo[a] ?? false, x.reviews > 0 && x.fiveStar == x.reviews,
                    x.texts.contains { dupTexts.contains($0) })
        }
        let core = members.filter { a in
            guard eligible(a) else { return false }
            let g = signs(a)
            // Identity shared with the block plus one more sign, or repetition with uniform
            // five-star reviews and copied texts.
            return (g.shares && [g.repeats, g.five, g.dup].contains(true)) || (g.repeats && g.five && g.dup)
        }
        guard core.count >= 3 else {
            debugLog?("\(group): buyers \(members.count) core \(core.count): too small a core")
            return nil
        }
        let cm = core.map { m[$0]! }
        let n = Double(core.count)
        let repeatFrac = Double(core.filter { signs($0).repeats }.count) / n
        let shareFrac = Double(core.filter { signs($0).shares }.count) / n
        let reviews = cm.reduce(0) { $0 + $1.reviews }
        let five = cm.reduce(0) { $0 + $1.fiveStar }
        let allTexts = cm.reduce(0) { $0 + $1.texts.count }
        let dupCount = cm.reduce(0) { $0 + $1.texts.filter { dupTexts.contains($0) }.count }
        let fiveFrac = reviews > 0 ? Double(five) / Double(reviews) : 0
        let reviewFrac = min(1, Double(reviews) / max(1, Double(cm.reduce(0) { $0 + $1.orders })))
        let dupFrac = allTexts > 0 ? Double(dupCount) / Double(allTexts) : 0
        // A ring shows several of: repetition, shared identity, uniform 5-star reviews, copied texts.
        // A small core is discounted (few members, little evidence) for whether it is a ring at
        // all; how sure a ring that passed is follows the block test's surprise when that is the
        // stronger evidence (an exact test over the seller's other buyers already weighs the size).
        let signsScore = 0.3 * Stat.ramp(repeatFrac, 0.3, 0.7) + 0.3 * Stat.ramp(shareFrac, 0.1, 0.5)
                 + 0.25 * Stat.ramp(fiveFrac * reviewFrac, 0.5, 0.85) + 0.15 * Stat.ramp(dupFrac, 0.3, 0.7)
        let bySize = Stat.ramp(n, 3, 8)
        let passes = signsScore * (0.4 + 0.6 * bySize) >= 0.45
        // order-rings: the review signs (uniform five stars, copied texts; 0.4 of the score) can
        // only show on reviewed orders. On the orders the core left unreviewed, a member's orders
        // far beyond the store's regular buyer–seller pairs (`repeatBound`: 1 at twice it) stand
        // in for them. A ring that reviewed everything, or whose members order no more than the
        // store's regulars, keeps its score.
        let repeatBound = repeatBoundOf?(Set(core))     // the core's own pairs left out
        let beyond: (Member) -> Double = { x in repeatBound.map { Stat.ramp(Double(x.orders), $0, 2 * $0) } ?? 0 }
        let intensity = cm.reduce(0) { $0 + beyond($1) } / n
        let sure = max(signsScore, 0.3 * Stat.ramp(repeatFrac, 0.3, 0.7) + 0.3 * Stat.ramp(shareFrac, 0.1, 0.5) + 0.4 * (1 - reviewFrac) * intensity)
        let ring = sure * (0.4 + 0.6 * max(bySize, Stat.ramp(evidence, 2, 8)))
        if let debugLog {
            debugLog("\(group): buyers \(members.count) core \(core.count) items \(items.count) density \(String(format: "%.3f", density)) repeat \(String(format: "%.2f", repeatFrac)) share \(String(format: "%.2f", shareFrac)) five \(String(format: "%.2f", fiveFrac)) reviews/orders \(String(format: "%.2f", reviewFrac)) dup \(String(format: "%.2f", dupFrac)) beyond \(String(format: "%.2f", intensity)) (bound \(repeatBound.map { String(format: "%.1f", $0) } ?? "-")) ring \(String(format: "%.2f", ring)) evidence \(String(format: "%.1f", evidence))")
        }
        guard passes else { return nil }
        sellerWeight = [:]
        for a in core {
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                guard t.kind[e] == .order, t.item[e] >= 0, items.contains(t.item[e]) else { continue }
                let s = t.sellerOf(e)
                if s >= 0 { sellerWeight[s, default: 0] += 1 }
            }
        }

        var out: [Finding] = []
        let top = sellerWeight.max { $0.value < $1.value }
        let sellerName = top.map { t.accountID($0.key) } ?? "?"
        var ringMembers: [String] = []
        for a in core {
            let x = m[a]!
            let (with, ids) = sharers(a)
            // On the orders a member left unreviewed, how far its orders go beyond the store's
            // regulars stands in for uniform five stars (order-rings).
            let unreviewed = 1 - min(1, Double(x.reviews) / Double(max(1, x.orders)))
            let own = 0.35 * (x.orders >= 2 ? 1 : 0) + 0.35 * (with.isEmpty ? 0 : 1)
                    + 0.3 * max(x.reviews > 0 && x.fiveStar == x.reviews ? 1 : 0, unreviewed * beyond(x))
            guard own >= 0.35 else { continue }
            let strength = ring * (0.55 + 0.45 * own)
            var why = "part of a dense buyer→item block boosting seller \(sellerName): \(x.orders) orders"
            if x.reviews > 0 { why += ", \(x.fiveStar)/\(x.reviews) five-star reviews" }
            let dups = x.texts.filter { dupTexts.contains($0) }.count
            if dups > 0 { why += " (\(dups) near-identical to other buyers')" }
            if !with.isEmpty { why += "; shares \(Set(ids.map(\.kind)).sorted().joined(separator: "/")) with \(with.count) other buyers in the block" }
            out.append(Finding(account: a, detector: name, riskType: .brushing, strength: strength, reason: why,
                               events: x.events, linked: with.map { t.accountID($0) }.sorted(), identifiers: ids, group: group))
            ringMembers.append(t.accountID(a))
        }
        guard out.count >= 3 else { return nil }
        // The boosted seller(s): most of the block's orders land on their items.
        let totalW = sellerWeight.values.reduce(0, +)
        for (s, w) in sellerWeight where Double(w) >= 0.3 * Double(totalW) && !memberSet.contains(s) {
            let why = "boosted by a ring of \(out.count) buyers: \(w) orders on \(items.count) item(s), \(Int((fiveFrac * 100).rounded()))% five-star reviews, \(Int((shareFrac * 100).rounded()))% of buyers share devices/addresses/cards"
            out.append(Finding(account: s, detector: name, riskType: .brushing, strength: ring * 0.95, reason: why,
                               linked: ringMembers.sorted(), identifiers: items.sorted().prefix(10).map { ("item", t.items.string($0)) },
                               group: group))
        }
        return out
    }
}

/// Devices, addresses and cards an account used, tagged by kind; computed once per account.
final class IdentifierCache {
    private var cache: [Int32: Set<UInt64>] = [:]
    func ids(_ t: EventTable, _ a: Int32) -> Set<UInt64> {
        if let c = cache[a] { return c }
        var out = Set<UInt64>()
        for e32 in t.events(of: Int(a)) {
            let e = Int(e32)
            if t.device[e] >= 0 { out.insert(UInt64(t.device[e])) }
            if t.address[e] >= 0 { out.insert(1 << 40 | UInt64(t.address[e])) }
            if t.payment[e] >= 0 { out.insert(2 << 40 | UInt64(t.payment[e])) }
        }
        cache[a] = out
        return out
    }
}

/// Every buyer's signs towards each seller it bought from, for judging a block against the
/// seller's other buyers: repeated orders, five-star-only reviews, membership of a group
/// sharing devices / addresses / cards (each one that links: LinkBound.swift) that holds more
/// of the seller's buyers than a household does (the store's 90th percentile), a review
/// text (a sentence, not a stock phrase of a few words) another buyer of that seller also wrote.
final class SellerPeers {
    struct Signs { var orders: Int32 = 0, reviews: Int32 = 0, five: Int32 = 0, shares = false, dup = false }
    private(set) var signs: [UInt64: Signs] = [:]            // buyer << 32 | seller
    private(set) var buyersOf: [Int32: [Int32]] = [:]
    private(set) var storeRate = 0.0                          // ring-like share among a typical seller's buyers
    private(set) var householdBound = 2                       // a sharing group larger than this is not a household
    private(set) var root: [Int32: Int32] = [:]               // sharing group of each linked buyer
    private(set) var storeEveryRate = 0.0                     // share showing every habit sign at a typical seller
    private(set) var bigGroups = 0                            // (sharing group, seller) pairs beyond a household

    @inline(__always) static func key(_ buyer: Int32, _ seller: Int32) -> UInt64 { UInt64(UInt32(buyer)) << 32 | UInt64(UInt32(seller)) }

    /// How many of the store's buyer–seller pairs hold each number of orders; built on the first
    /// call to `repeatBound`.
    private var storeOrderCounts: [Int32: Int]?

    /// How many orders with `seller` a regular buyer places: the 99th percentile of orders per
    /// buyer–seller pair over the store, and over the seller's own buyers when it has 20 or more
    /// (a big seller's regulars order more often than the store's; below 100 buyers that is
    /// their heaviest, so one heavy regular cancels a ring's lift — erring towards no lift),
    /// `excluding` the judged buyers' own pairs; the larger of the two, at least 2.
    func repeatBound(_ t: EventTable, seller: Int32, excluding: Set<Int32>) -> Double {
        if storeOrderCounts == nil {
            var h: [Int32: Int] = [:]
            for x in signs.values where x.orders > 0 { h[x.orders, default: 0] += 1 }
            storeOrderCounts = h
        }
        var store = storeOrderCounts!
        for a in excluding {
            var sellers = Set<Int32>()
            for e32 in t.events(of: Int(a)) where t.kind[Int(e32)] == .order { sellers.insert(t.sellerOf(Int(e32))) }
            for s in sellers where s >= 0 {
                if let c = signs[Self.key(a, s)]?.orders, c > 0 { store[c]! -= 1 }
            }
        }
        var own: [Int32: Int] = [:]
        var others = 0
        for a in buyersOf[seller] ?? [] where !excluding.contains(a) {
            if let c = signs[Self.key(a, seller)]?.orders, c > 0 { own[c, default: 0] += 1; others += 1 }
        }
        func q99(_ h: [Int32: Int]) -> Int32 {
            let total = h.values.reduce(0, +)
            guard total > 0 else { return 0 }
            var seen = 0
            for (c, k) in h.sorted(by: { $0.key < $1.key }) {
                seen += k
                if Double(seen) >= 0.99 * Double(total) { return c }
            }
            return h.keys.max()!
        }
        return Double(max(2, q99(store), others >= 20 ? q99(own) : 0))
    }

    init(_ t: EventTable, judgeChains: Bool = true) {
        var sellersOf: [Int32: Set<Int32>] = [:]
        for e in 0..<t.count where (t.kind[e] == .order || t.kind[e] == .review) && t.account[e] >= 0 {
            let seller = t.sellerOf(e)
            guard seller >= 0 else { continue }
            let a = t.account[e]
            let k = Self.key(a, seller)
            var x = signs[k] ?? Signs()
            if x.orders == 0 && x.reviews == 0 { buyersOf[seller, default: []].append(a); sellersOf[a, default: []].insert(seller) }
            if t.kind[e] == .order { x.orders += 1 } else {
                x.reviews += 1
                if t.rating[e] == 5 { x.five += 1 }
            }
            signs[k] = x
        }
        // The same normalised review text from two buyers of one seller.
        var byText: [String: [(Int32, Int32)]] = [:]
        for e in 0..<t.count where t.kind[e] == .review && t.account[e] >= 0 && t.textRef[e] >= 0 {
            let seller = t.sellerOf(e)
            guard seller >= 0 else { continue }
            // A stock phrase ("Great!", "love it") is everyone's; a copied text is a sentence.
            let words = TextNorm.tokens(t.texts[Int(t.textRef[e])])
            guard words.count >= 4 else { continue }
            let norm = words.joined(separator: " ")
            byText[String(seller) + "\u{1}" + norm, default: []].append((t.account[e], seller))
        }
        for (_, who) in byText where Set(who.map(\.0)).count >= 2 {
            for (a, s) in who { signs[Self.key(a, s)]?.dup = true }
        }
        // Identifiers shared between two buyers of the same seller.
        var pairs: [UInt64] = []
        let nd = t.devices.count, nAddr = t.addresses.count
        for a in sellersOf.keys {
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                if t.device[e] >= 0 { pairs.append(UInt64(t.device[e]) << 32 | UInt64(UInt32(a))) }
                if t.address[e] >= 0 { pairs.append(UInt64(nd + Int(t.address[e])) << 32 | UInt64(UInt32(a))) }
                if t.payment[e] >= 0 { pairs.append(UInt64(nd + nAddr + Int(t.payment[e])) << 32 | UInt64(UInt32(a))) }
            }
        }
        pairs.sort()
        // Buyers joined by shared identifiers (one that links: LinkBound.swift).
        let bound = t.linkBound
        var ds = DisjointSet(t.accountCount)
        var linked = Set<Int32>()
        forEachIdentifierGroup(pairs) { id, owners in
            let x = Int(id)
            let kind = x < nd ? LinkBound.device : x < nd + nAddr ? LinkBound.address : LinkBound.payment
            let v = Int32(x < nd ? x : x < nd + nAddr ? x - nd : x - nd - nAddr)
            if owners.count >= 2 && bound.links(kind, v, accounts: owners.count) {
                for o in owners { ds.union(owners[0], o); linked.insert(o) }
            }
        }
        // How many of one seller's buyers each sharing group holds. Households hold a few;
        // how many is "a few" is the store's: the 90th percentile over all (group, seller).
        // Each group counts once, by the most of one seller's buyers it holds: a large chain
        // of linked accounts (a farm's phones, an office) buying from hundreds of sellers would
        // otherwise outweigh thousands of households and lift the bound above a small ring.
        var together: [UInt64: Int32] = [:]
        for a in linked { for s in sellersOf[a] ?? [] { together[Self.key(ds.find(a), s), default: 0] += 1 } }
        var largest: [Int32: Int32] = [:]
        for (k, c) in together where c >= 2 {
            let r = Int32(truncatingIfNeeded: k >> 32)
            largest[r] = max(largest[r] ?? 0, c)
        }
        householdBound = max(2, Int(Significance.quantile(largest.values.map(Double.init), 0.9) ?? 2))
        // A sharing group larger than any one identifier links by size (`bound.small`) is a
        // chain: public places small enough to link (a small store's parcel lockers, each just
        // under the bound) joined by households that use two of them. Its members share because
        // the chain is big, so sharing says nothing about them; the group counts as a sharing
        // group towards a seller only when its buyers of that seller show the other signs
        // (repeats, five-star-only, a copied review) beyond the seller's other buyers — most of
        // those who would not by chance (excess ≥ ½): a ring that big shows them nearly to a
        // member, a chain of lockers is only somewhat busier than the seller's other buyers.
        var groupSize: [Int32: Int] = [:]
        for a in linked { groupSize[ds.find(a), default: 0] += 1 }
        var chainVerdict: [UInt64: Bool] = [:]
        if judgeChains && groupSize.values.contains(where: { $0 > bound.small }) {
            var other: [UInt64: (hits: Int, n: Int)] = [:]        // (root, seller) → members showing another sign
            for a in linked where groupSize[ds.find(a)]! > bound.small {
                let r = ds.find(a)
                for s in sellersOf[a] ?? [] {
                    let k = Self.key(r, s)
                    guard Int(together[k] ?? 0) > householdBound, let x = signs[Self.key(a, s)] else { continue }
                    var c = other[k] ?? (0, 0)
                    c.n += 1
                    if Self.otherSign(x) { c.hits += 1 }
                    other[k] = c
                }
            }
            var sellerBase: [Int32: (hits: Int, n: Int)] = [:]
            for (k, c) in other.sorted(by: { $0.key < $1.key }) {
                let s = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
                if sellerBase[s] == nil {
                    let bs = buyersOf[s] ?? []
                    sellerBase[s] = (bs.filter { signs[Self.key($0, s)].map(Self.otherSign) ?? false }.count, bs.count)
                }
                let b = sellerBase[s]!
                let peers = max(0, b.n - c.n), peerHits = max(0, b.hits - c.hits)
                let q = max(0.005, Significance.shrunkRate(hits: peerHits, of: peers, prior: 0.5, weight: 2))
                let surprise = Significance.surprise(Significance.logBinomialTail(c.hits, c.n, q))
                chainVerdict[k] = surprise >= 2 && Significance.excess(Double(c.hits) / Double(c.n), over: q) >= 0.5
            }
        }
        bigGroups = together.filter { Int($0.value) > householdBound && (chainVerdict[$0.key] ?? true) }.count
        for a in linked {
            let root = ds.find(a)
            self.root[a] = root
            for s in sellersOf[a] ?? [] where Int(together[Self.key(root, s)] ?? 0) > householdBound
                && (chainVerdict[Self.key(root, s)] ?? true) {
                signs[Self.key(a, s)]?.shares = true
            }
        }
        // The store's bar: the ring-like share among a typical seller's buyers (the median
        // seller, so one huge seller does not set it for everyone).
        var rates: [Double] = [], everyRates: [Double] = []
        for (s, buyers) in buyersOf where buyers.count >= 5 {
            let hits = buyers.filter { signs[Self.key($0, s)].map(Self.ringLike) ?? false }.count
            rates.append(Double(hits) / Double(buyers.count))
            let every = buyers.filter { signs[Self.key($0, s)].map(Self.everySign) ?? false }.count
            everyRates.append(Double(every) / Double(buyers.count))
        }
        storeRate = Significance.quantile(rates, 0.5) ?? 0
        storeEveryRate = Significance.quantile(everyRates, 0.5) ?? 0
    }

    /// The shape of a ring member towards a seller: an identifier shared with its other buyers
    /// plus one more sign, or repeated orders with five-star-only, copied reviews.
    static func ringLike(_ x: Signs) -> Bool {
        let repeats = x.orders >= 2, five = x.reviews > 0 && x.five == x.reviews
        return (x.shares && (repeats || five || x.dup)) || (repeats && five && x.dup)
    }

    /// How surprising (−log10) it is that `members` buyers of one seller reviewed the same
    /// listings as often as they did: per listing two or more of them reviewed (`perItem`), the
    /// binomial tail of that many of `members` at the share of the seller's other buyers who
    /// reviewed it (`itemBuyers` counts every reviewer, members included; half a buyer when no
    /// other did), summed, less log10 of the ways to choose that many listings among those the
    /// members reviewed there. 0 when no listing was reviewed by two of them.
    static func coBuying(members n: Int, perItem: [Int32: Int], itemBuyers: (Int32) -> Int, sellerBuyers: Int) -> Double {
        guard n >= 2 else { return 0 }
        let others = max(1, sellerBuyers - n)
        var total = 0.0, shared = 0
        for (it, c) in perItem.sorted(by: { $0.key < $1.key }) where c >= 2 {
            shared += 1
            let p = min(1, max(0.5, Double(itemBuyers(it) - c)) / Double(others))
            total += Significance.surprise(Significance.logBinomialTail(c, n, p))
        }
        guard shared > 0 else { return 0 }
        let ways = Significance.lnFact(perItem.count) - Significance.lnFact(shared) - Significance.lnFact(perItem.count - shared)
        return total - ways / log(10)
    }

    /// One sign besides sharing: repeated orders, five-star-only reviews or a copied review.
    static func otherSign(_ x: Signs) -> Bool { x.orders >= 2 || (x.reviews > 0 && x.five == x.reviews) || x.dup }

    /// Every habit sign at once, sharing aside: repeated orders, five-star-only reviews and a
    /// review sentence another buyer of the seller also wrote.
    static func everySign(_ x: Signs) -> Bool { x.orders >= 2 && x.reviews > 0 && x.five == x.reviews && x.dup }

    /// The seller's buyers outside `block` who are in the sharing group of a block buyer that
    /// is ring-like towards the seller: the rest of a ring that peeling put in other blocks.
    func ringMates(seller: Int32, of block: Set<Int32>) -> Set<Int32> {
        var roots = Set<Int32>()
        for a in block { if let r = root[a], let x = signs[Self.key(a, seller)], Self.ringLike(x) { roots.insert(r) } }
        guard !roots.isEmpty else { return [] }
        var out = Set<Int32>()
        for a in buyersOf[seller] ?? [] where !block.contains(a) { if let r = root[a], roots.contains(r) { out.insert(a) } }
        return out
    }

    /// Sharing groups holding at least `atLeast` of the seller's ring-like buyers.
    func ringLikeGroups(seller: Int32, atLeast: Int) -> Set<Int32> {
        var count: [Int32: Int] = [:]
        for a in buyersOf[seller] ?? [] {
            if let r = root[a], let x = signs[Self.key(a, seller)], Self.ringLike(x) { count[r, default: 0] += 1 }
        }
        return Set(count.filter { $0.value >= atLeast }.keys)
    }

    /// Whether the block's buyers of `seller` are ring-like far more often than its other
    /// buyers (those outside the block's sharing groups: the rest of a ring split over blocks
    /// is not its peer group), and whether the seller has a crowd of those others.
    func standsOut(_ t: EventTable, seller: Int32, block: Set<Int32>, mates: Set<Int32> = [], tests: Int, groupOnItsOwn: Bool = true,
                   coBuying: ((Int32) -> Double)? = nil) -> (ok: Bool, crowd: Bool, detail: String, group: Int32?, surprise: Double) {
        let all = buyersOf[seller] ?? []
        var k = 0, n = 0, peerHits = 0, peerN = 0
        var blockRoots = Set<Int32>()
        for a in block { if let r = root[a] { blockRoots.insert(r) } }
        var mateHits = 0, sharerN = 0, sharerHits = 0, peerEvery = 0
        for a in all {
            guard let x = signs[Self.key(a, seller)] else { continue }
            if block.contains(a) { n += 1; if Self.ringLike(x) { k += 1 } } else if mates.contains(a) {
                if Self.ringLike(x) { mateHits += 1 }
            } else {
                if let r = root[a], blockRoots.contains(r) { continue }
                peerN += 1; if Self.ringLike(x) { peerHits += 1 }
                if Self.everySign(x) { peerEvery += 1 }
                if x.shares { sharerN += 1; if Self.ringLike(x) { sharerHits += 1 } }
            }
        }
        guard n >= 3, k + mateHits >= 3 else { return (false, peerN >= max(100, 2 * n), "ring-like \(k)/\(n), peers \(peerHits)/\(peerN): too few", nil, 0) }
        let q = max(0.005, Significance.shrunkRate(hits: peerHits, of: peerN, prior: storeRate, weight: 20))
        let rate = Double(k) / Double(n)
        let surprise = Significance.surprise(Significance.logBinomialTail(k, n, q)) - log10(Double(max(1, tests)))
        // A block may hold a ring beside many honest buyers of the same popular items: then the
        // block-wide share is diluted, but the ring-like buyers are one sharing group rather than
        // scattered households. Judge that group alone when it holds most of them: how likely
        // is it that one sharing group holds that many of the seller's ring-like buyers, given
        // how often the seller's other buyers are ring-like (binomial tail over the block)?
        // The group is counted whole — with its members that peeling put in other blocks (the
        // mates) — over the part and those mates. The block-wide share above leaves the mates
        // out: a ring-like buyer's household-mates are ring-like too (sharing is the group's),
        // so adding them would inflate the share of any block that touches a household.
        var byRoot: [Int32: Int] = [:]
        for a in block.union(mates) { if let r = root[a], let x = signs[Self.key(a, seller)], Self.ringLike(x) { byRoot[r, default: 0] += 1 } }
        let top = byRoot.max { ($0.value, $1.key) < ($1.value, $0.key) }
        let biggest = top?.value ?? 0
        let kAll = k + mateHits, nAll = n + mates.count
        let groupSurprise = Significance.surprise(Significance.logBinomialTail(biggest, nAll, q)) - log10(Double(max(1, tests)))
        let concentrated = biggest >= 3 && Double(biggest) >= 0.6 * Double(kAll) && groupSurprise >= 3
            && Double(kAll) / Double(nAll) / q >= 3
        // The group on its own members: of the seller's buyers it holds (part and mates), how many
        // are ring-like, against how often the seller's other buyers in groups bigger than a
        // household are (shrunk towards ½ with 2 pseudo-counts).
        var nGroup = 0, every = 0
        if let g = top?.key {
            for a in block.union(mates) where root[a] == g {
                nGroup += 1
                if let x = signs[Self.key(a, seller)], Self.everySign(x) { every += 1 }
            }
        }
        let qShare = Significance.shrunkRate(hits: sharerHits, of: sharerN, prior: 0.5, weight: 2)
        let ownSurprise = nGroup > 0 ? Significance.surprise(Significance.logBinomialTail(biggest, nGroup, qShare)) - log10(Double(max(1, tests))) : 0
        let wide = surprise >= 2 && rate / q >= 3 && Significance.excess(rate, over: q) >= 0.3
        // A ring bigger than a household inside a mega-seller's block: the block holds dozens of
        // ring-like households too, so the group holds few of the block's ring-like buyers; but
        // nearly all of its own members are ring-like, far more than the seller's other buyers in
        // groups bigger than a household (where sharing is common, so is "ring-like").
        let ownGroup = groupOnItsOwn && nGroup > householdBound && biggest >= 3 && ownSurprise >= 3
            && Significance.excess(Double(biggest) / Double(nGroup), over: qShare) >= 0.3
        // A small ring (a few more than a household) where the seller has no other sharers to
        // compare with, or where its honest buyers often show one more sign (five-star reviewers,
        // repeat buyers): "ring-like" says little, but each member showing every sign at once —
        // re-ordering, five stars on every review, a sentence another buyer also wrote — is as
        // rare among the seller's other buyers as their own rate of it (shrunk towards the median
        // seller's, 20 pseudo-counts). The hypothesis is one per (sharing group, seller) beyond a
        // household, so that is what the surprise is corrected for.
        let qEvery = max(0.005, Significance.shrunkRate(hits: peerEvery, of: peerN, prior: storeEveryRate, weight: 20))
        let everySurprise = nGroup > 0 ? Significance.surprise(Significance.logBinomialTail(every, nGroup, qEvery)) - log10(Double(max(1, bigGroups))) : 0
        let sameness = groupOnItsOwn && nGroup > householdBound && every >= 3 && everySurprise >= 3
            && Significance.excess(Double(every) / Double(nGroup), over: qEvery) >= 0.3
        // The group by what it reviewed: a ring boosts a few listings, so its members' reviews
        // land on the same ones; a household's members each buy and review their own things.
        // Per listing the group's members reviewed, how surprising is it that that many of them
        // did, given the share of the seller's other buyers who reviewed it (binomial tail);
        // summed over the listings two or more of them reviewed, less the ways of choosing those
        // listings among all the group reviewed there, and corrected for the groups beyond a
        // household tested. Reviews, not orders: a ring that re-orders the same listings without
        // reviewing them (a refund ring's, a reseller's) is not boosting them.
        var coSurprise = 0.0
        if let coBuying, groupOnItsOwn, nGroup > householdBound, biggest >= 3, let g = top?.key {
            coSurprise = coBuying(g) - log10(Double(max(1, bigGroups)))
        }
        let coBought = coSurprise >= 3
        let ok = wide || concentrated || ownGroup || sameness || coBought
        var best = 0.0
        if wide { best = max(best, surprise) }
        if concentrated { best = max(best, groupSurprise) }
        if ownGroup { best = max(best, ownSurprise) }
        if sameness { best = max(best, everySurprise) }
        if coBought { best = max(best, coSurprise) }
        return (ok, peerN >= max(100, 2 * n),
                String(format: "ring-like %d/%d (+%d/%d mates; one sharing group %d, surprise %.1f; of its %d, sharers' rate %.3f (%d/%d), surprise %.1f; every sign %d, rate %.3f, surprise %.1f over %d groups; co-bought surprise %.1f), peers %d/%d (q %.3f), surprise %.1f, lift %.1f: %@", k, n, mateHits, mates.count, biggest, groupSurprise, nGroup, qShare, sharerHits, sharerN, ownSurprise, every, qEvery, everySurprise, bigGroups, coSurprise, peerHits, peerN, q, surprise, rate / q, wide ? "stands out" : concentrated || ownGroup || sameness || coBought ? "one group stands out" : "not"),
                wide ? nil : top?.key, best)
    }
}
