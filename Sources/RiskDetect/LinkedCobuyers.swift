import Foundation

/// Whether the accounts an account is linked to buy from *its* sellers far more often than the
/// seller's share of the store's buyers, for the anomaly layer (brushing with the `brushing`
/// detector off; judged within peer groups like every behaviour feature, counted only beyond
/// chance over the features tested):
///
/// - `linked_cobuyers`: for account `a`, its *linked* accounts are those sharing with it a
///   device, payment instrument or address that links (LinkBound.swift: the general bound
///   beyond which an identifier links nothing: a parcel locker of hundreds links no one). Of the
///   m linked accounts that ordered anything, c_s ordered from seller s, a seller `a` ordered
///   from too. Under independence c_s ~ Binomial(m, p_s), p_s the share of the store's buyers
///   who ordered from s (its *base rate*, not a constant): a mega-seller's p_s is large, so a
///   family or a locker all buying there is what one expects; twenty linked accounts all buying
///   from one seller that 0.3 % of buyers use is not. The value is the largest, over the
///   account's sellers, of −log10 P(X ≥ c_s), less log10 of the number of its sellers (the
///   sellers tested), as log1p(max(0, ·)); 0 without such a seller; missing (−1) when the
///   account ordered nothing, so only buyers are compared.
/// - A seller counts only when the group holds more of its buyers than a household does:
///   c_s + 1 (the account itself) > H, H the store's household scale (90th percentile of the
///   accounts on a shared address that links, as in SharingIndependence.swift). A home of four
///   that all shop at the same corner shop is judged like a loner; a ring is not.
///
/// Orders of limited drops (the scalper's race) and of the account's own items are left out.
/// Assumes linked accounts beyond a household choose their sellers about independently, at the
/// store's rates; an office or a club whose members share a card and buy from one niche seller
/// would look like a ring (then ranked, not flagged: the layer only orders accounts).
enum LinkedCobuyers {
    static let names = ["linked_cobuyers"]
    /// The company term over co-buying mates (Scoring.swift), off by default: it lifts rings
    /// further (second generator 4109, `brushing` off: 0.69 → 0.81 of the family in the top 5 %)
    /// but the top 5 % is a fixed number of places, and the takeovers it displaced with `ato` off
    /// fell under half there (0.52 → 0.45; docs/benchmarks.md, brush22).
    static let companyTerm = false

    /// One value per account; −1 = missing (no orders).
    static func compute(_ t: EventTable) -> [Float] { computeWithMates(t).values }

    /// The values, and the *co-buying mates*: (a << 32 | b) for every account `a` with a value
    /// above 0 and each linked account `b` that ordered from the seller that gave `a` its value
    /// (what the anomaly layer's company term reads, Scoring.swift).
    /// `index`: the store's `SharingIndependence.identifierIndex`, when the caller has it already.
    static func computeWithMates(_ t: EventTable, index: SharingIndependence.Index? = nil) -> (values: [Float], mates: [UInt64]) {
        let n = t.accountCount
        var out = [Float](repeating: -1, count: n)
        guard n > 0, t.count > 0 else { return (out, []) }
        // Each account's distinct sellers ordered from (CSR).
        var sStart = [Int](repeating: 0, count: n + 1)
        var sIDs: [Int32] = []
        var scratch: [Int32] = []
        for a in 0..<n {
            scratch.removeAll(keepingCapacity: true)
            for e32 in t.events(of: a) {
                let e = Int(e32)
                guard t.kind[e] == .order, !t.failed[e] else { continue }
                let it = t.item[e]
                if t.isDrop(it) { continue }
                let s = t.sellerOf(e)
                guard s >= 0, s != Int32(a) else { continue }
                scratch.append(s)
            }
            scratch.sort()
            var prev: Int32 = -1
            for v in scratch where v != prev { sIDs.append(v); prev = v }
            sStart[a + 1] = sIDs.count
        }
        var buyersOf = [Int32: Int32]()
        var nBuyers = 0
        for a in 0..<n where sStart[a + 1] > sStart[a] {
            nBuyers += 1
            for p in sStart[a]..<sStart[a + 1] { buyersOf[sIDs[p], default: 0] += 1 }
        }
        for a in 0..<n where sStart[a + 1] > sStart[a] { out[a] = 0 }
        guard nBuyers >= 2 else { return (out, []) }
        // Per identifier kind: each account's distinct identifiers and each identifier's accounts.
        let (accStart, accIDs, idStart, idAccs) = index ?? SharingIndependence.identifierIndex(t)
        // The store's household scale (SharingIndependence.swift).
        let bound = t.linkBound
        let household = SharingIndependence.householdScale(idStart, bound: bound)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let total = Double(nBuyers)
        var mates: [UInt64] = []
        let lock = NSLock()
        out.withUnsafeMutableBufferPointer { ob in
            let o = ob.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { wk in
                var seen = [Int32](repeating: -1, count: n)   // stamp: the account being judged
                var counts: [Int32: Int32] = [:]
                var linked: [Int32] = []
                var pairs: [UInt64] = []
                for a in workerChunk(wk, of: workers, count: n) where sStart[a + 1] > sStart[a] {
                    counts.removeAll(keepingCapacity: true)
                    linked.removeAll(keepingCapacity: true)
                    for p in sStart[a]..<sStart[a + 1] { counts[sIDs[p]] = 0 }
                    seen[a] = Int32(a)
                    var m = 0
                    for k in 0..<3 {
                        let ids = accIDs[k], st = accStart[k], s2 = idStart[k], mem = idAccs[k]
                        for q in st[a]..<st[a + 1] {
                            let y = Int(ids[q])
                            let size = s2[y + 1] - s2[y]
                            guard size >= 2 && bound.links(k, Int32(y), accounts: size) else { continue }
                            for r in s2[y]..<s2[y + 1] {
                                let b = Int(mem[r])
                                guard seen[b] != Int32(a) else { continue }
                                seen[b] = Int32(a)
                                guard sStart[b + 1] > sStart[b] else { continue }
                                m += 1
                                linked.append(Int32(b))
                                for p in sStart[b]..<sStart[b + 1] {
                                    if let c = counts[sIDs[p]] { counts[sIDs[p]] = c + 1 }
                                }
                            }
                        }
                    }
                    guard m >= household else { continue }
                    var best = 0.0, bestSeller: Int32 = -1
                    for (s, c) in counts where Int(c) + 1 > household {
                        let rate = Double(buyersOf[s] ?? 1) / total
                        let v = Significance.surprise(Significance.logBinomialTail(Int(c), m, rate))
                        if v > best || (v == best && s < bestSeller) { best = v; bestSeller = s }
                    }
                    let tested = log10(Double(sStart[a + 1] - sStart[a]))
                    let value = max(0, best - tested)
                    o[a] = Float(log1p(value))
                    guard value > 0, bestSeller >= 0 else { continue }
                    for b in linked {
                        let bi = Int(b)
                        var lo = sStart[bi], hi = sStart[bi + 1]
                        while lo < hi { let mid = (lo + hi) / 2; if sIDs[mid] < bestSeller { lo = mid + 1 } else { hi = mid } }
                        if lo < sStart[bi + 1] && sIDs[lo] == bestSeller { pairs.append(UInt64(a) << 32 | UInt64(UInt32(b))) }
                    }
                }
                lock.lock(); mates.append(contentsOf: pairs); lock.unlock()
            }
        }
        mates.sort()
        return (out, mates)
    }
}
