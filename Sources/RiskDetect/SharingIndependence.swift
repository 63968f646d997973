import Foundation

/// How much an account's shared device, payment instrument or delivery address says, for the
/// anomaly layer: sharers count in proportion to how *dependent* they are on each other.
///
/// A parcel locker or a campus mail room is shared by dozens of unrelated buyers — each with
/// its own phone, card and home — and its raw sharer count puts every one of them in the
/// store's far tail. A ring shares the identifier *and* something else (an emulator, a prepaid
/// card, a second address). So, for an account `a` on identifier X of one kind:
///
///   effective(a, X) = linked + unlinked · min(1, q / m)
///
/// where m is the number of accounts on X, `linked` the other accounts on X that also share a
/// second identifier (device, payment or address, itself one that links: LinkBound.swift) with `a`, `unlinked` the rest, and q
/// the store's typical sharing of that kind: the median number of accounts on an identifier of
/// that kind used by two or more (the household scale, from the store's own degree
/// distribution). A household (a few accounts on one address, tablet and card) keeps its count;
/// a ring keeps its count; the hundreds of strangers at a locker count as one household.
/// Co-residents — linked sharers that also share with `a` an address that links (X itself,
/// when X is an address and links) — count only beyond the store's household scale
/// H − 1 (H: the 90th percentile of the accounts on a shared address that links), so a
/// family of four on one address, tablet and card reads like a loner, while strangers on one
/// card (own homes) and a crew larger than a home still count.
/// The account's value is the largest effective count over its identifiers of that kind, as a
/// sharer count (log1p of the accounts on it, itself included) like the behaviour feature.
///
/// card-strangers (on; session 55): a card that came late. A locker or a mail room is shared by
/// strangers; a payment instrument is a person's or a home's — but honest strangers do share
/// one: a parent's card paying for children who live elsewhere, a company's card, a club's. What
/// they do not do is take up, after paying with cards of their own, one card that strangers took
/// up too: that is a stolen card passed round a crew's takeovers. So on a payment instrument that
/// links (LinkBound), an account that first used it after paying with another instrument counts
/// its unlinked sharers in full (weight 1); an account for which it is the first or only card
/// keeps the discount, as do devices and addresses. Measured on 43 worlds of three generators
/// (benchmarks, cards55). Assumes the export's payment identifier is an instrument; where it is
/// a payment method's name, a card's prefix or a batch, accounts that "switch" to one are read as
/// taking up a stranger's card — small such tokens link (LinkBound's bound, 40 by default).
enum SharingIndependence {
    /// Identifier kinds, in the behaviour features' order: device, payment, address.
    static let featureNames = ["device_sharers", "payment_sharers", "address_sharers"]

    /// Per identifier kind (device, payment, address): each account's distinct identifiers (CSR
    /// by account: `accIDs[k][accStart[k][a] ..< accStart[k][a + 1]]`) and each identifier's
    /// accounts (CSR by identifier: `idAccs[k][idStart[k][v] ..< idStart[k][v + 1]]`).
    typealias Index = (accStart: [[Int]], accIDs: [[Int32]], idStart: [[Int]], idAccs: [[Int32]])

    static func identifierIndex(_ t: EventTable) -> Index {
        let columns = [t.device, t.payment, t.address]
        let sizes = [t.devices.count, t.payments.count, t.addresses.count]
        var accStart = [[Int]](repeating: [], count: 3), accIDs = [[Int32]](repeating: [], count: 3)
        var idStart = [[Int]](repeating: [], count: 3), idAccs = [[Int32]](repeating: [], count: 3)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 3) { k in
            let x = LinkBound.index(t, column: columns[k], size: sizes[k])
            lock.lock(); accStart[k] = x.accStart; accIDs[k] = x.accIDs; idStart[k] = x.idStart; idAccs[k] = x.idAccs; lock.unlock()
        }
        return (accStart, accIDs, idStart, idAccs)
    }

    /// The store's household scale: the 90th percentile of the accounts on an address used by
    /// two or more that links (`bound`; 1 when no address is shared). `idStart`: an index's identifier starts.
    static func householdScale(_ idStart: [[Int]], bound: LinkBound) -> Int {
        var sizes: [Int] = []
        let s = idStart[2]
        for v in 0..<(s.count - 1) where s[v + 1] - s[v] >= 2 && bound.links(LinkBound.address, Int32(v), accounts: s[v + 1] - s[v]) {
            sizes.append(s[v + 1] - s[v])
        }
        return householdScale(ofHomes: sizes)
    }

    /// The household scale from the sizes of the shared addresses that link (accounts on each): their
    /// 90th percentile, 1 when there are none. Propagation's owned IPs use the same scale.
    static func householdScale(ofHomes sizes: [Int]) -> Int {
        guard !sizes.isEmpty else { return 1 }
        let sorted = sizes.sorted()
        return sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
    }

    /// Per account, per kind (row-major, `accountCount × 3`): log1p(1 + effective sharers).
    /// `index`: the store's `identifierIndex`, when the caller has it already.
    static func compute(_ t: EventTable, index: Index? = nil, cardStrangers: Bool = true) -> [Float] {
        let n = t.accountCount
        // Per kind: each account's distinct identifiers (CSR by account) and each identifier's
        // accounts (CSR by identifier).
        let (accStart, accIDs, idStart, idAccs) = index ?? identifierIndex(t)
        let lock = NSLock()
        // The store's typical sharing per kind: the median size of identifiers used by 2+ accounts.
        var typical = [Double](repeating: 2, count: 3)
        for k in 0..<3 {
            var sizes: [Int] = []
            let s = idStart[k]
            for v in 0..<(s.count - 1) where s[v + 1] - s[v] >= 2 { sizes.append(s[v + 1] - s[v]) }
            if !sizes.isEmpty { sizes.sort(); typical[k] = Double(sizes[sizes.count / 2]) }
        }
        // The store's household scale: how many accounts a home typically holds — the 90th
        // percentile of the accounts on a shared address that links. Co-residents (another
        // account on X that also shares such an address with `a`, and a second identifier) count
        // only beyond it, so a household is judged against households, not against loners.
        let bound = t.linkBound
        let household = Double(householdScale(idStart, bound: bound))
        // card-strangers: the (account, payment instrument) pairs where the account first used the
        // instrument after paying with another one (a card that came late).
        var late = Set<UInt64>()
        if cardStrangers {
            var firstAny = [Int64](repeating: .max, count: n)
            var firstPair: [UInt64: Int64] = [:]
            for e in 0..<t.count where t.payment[e] >= 0 && t.account[e] >= 0 {
                let a = Int(t.account[e]), ts = t.ts[e]
                firstAny[a] = min(firstAny[a], ts)
                let key = UInt64(UInt32(t.account[e])) << 32 | UInt64(UInt32(t.payment[e]))
                if let f = firstPair[key] { if ts < f { firstPair[key] = ts } } else { firstPair[key] = ts }
            }
            for (key, ts) in firstPair where ts > firstAny[Int(key >> 32)] { late.insert(key) }
        }
        var out = [Float](repeating: 0, count: n * 3)
        DispatchQueue.concurrentPerform(iterations: 3) { k in
            var onX = [Int32](repeating: -1, count: n)      // stamp: the identifier X being judged
            var seen = [Int](repeating: -1, count: n)       // stamp: (X, a) pairs already counted
            var pairStamp = 0
            var best = [Float](repeating: 0, count: n)
            let s = idStart[k], members = idAccs[k]
            // An identifier of its own: one account on it.
            for a in 0..<n where accStart[k][a + 1] > accStart[k][a] { best[a] = Float(log1p(1.0)) }
            for x in 0..<(s.count - 1) {
                let m = s[x + 1] - s[x]
                guard m >= 2 else { continue }
                for p in s[x]..<s[x + 1] { onX[Int(members[p])] = Int32(x) }
                let discount = min(1, typical[k] / Double(m))
                let cardLinks = cardStrangers && k == LinkBound.payment && bound.links(LinkBound.payment, Int32(x), accounts: m)
                for p in s[x]..<s[x + 1] {
                    let a = Int(members[p])
                    // card-strangers: a card that came late to this account, taken up by strangers too.
                    let weight = cardLinks && late.contains(UInt64(UInt32(a)) << 32 | UInt64(UInt32(x))) ? 1 : discount
                    pairStamp += 1
                    seen[a] = pairStamp
                    var linked = 0, coResident = 0
                    // Another identifier of any kind, one that links (LinkBound), shared with
                    // an account also on X; addresses first, so a co-resident is counted as one.
                    for k2 in [2, 0, 1] {
                        let ids = accIDs[k2], st = accStart[k2], s2 = idStart[k2], m2 = idAccs[k2]
                        for q in st[a]..<st[a + 1] {
                            let y = Int(ids[q])
                            if k2 == k && y == x { continue }
                            let size = s2[y + 1] - s2[y]
                            guard size >= 2 && bound.links(k2, Int32(y), accounts: size) else { continue }
                            for r in s2[y]..<s2[y + 1] {
                                let b = Int(m2[r])
                                if onX[b] == Int32(x) && seen[b] != pairStamp {
                                    seen[b] = pairStamp; linked += 1
                                    if k2 == 2 || (k == 2 && bound.links(2, Int32(x), accounts: m)) { coResident += 1 }
                                }
                            }
                        }
                    }
                    // Co-residents within the household scale are what a home is; beyond it they count.
                    let beyond = max(0, Double(coResident) - (household - 1))
                    let effective = beyond + Double(linked - coResident) + Double(m - 1 - linked) * weight
                    best[a] = max(best[a], Float(log1p(1 + effective)))
                }
            }
            lock.lock()
            for a in 0..<n { out[a * 3 + k] = best[a] }
            lock.unlock()
        }
        return out
    }
}
