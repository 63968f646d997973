import Foundation

/// The anomaly layer's view of incentive use by the company an account keeps:
/// `linked_incentive_takers` — how many *other* accounts that share a device, payment
/// instrument or delivery address with this one (an identifier that links: LinkBound.swift)
/// redeemed a coupon or other incentive during the
/// window, plus the account itself when it did too and any of them did: the size of the
/// incentive-taking company it belongs to (0 when it has none).
///
/// One account taking a welcome coupon is what every new customer does; a household rarely
/// has two members who do (a few per cent of buyers redeem anything, and a home holds a few
/// people). Accounts that share instruments *and* each take the incentive are what
/// multi-accounting for coupons looks like, whichever detector is on — a ring on one card, one
/// emulator or one address, each member with a coupon, gives every member the whole ring. Each
/// other account counts once however many identifiers it shares; a public place (a carrier NAT,
/// a big parcel locker, a mail room: LinkBound.swift) links nothing, as
/// everywhere else (docs/detection.md). IPs are left out: an office or a campus puts strangers
/// who each took a welcome coupon behind one address. Value: log1p(count).
///
/// Assumes incentive use is a minority behaviour among buyers who share a home (it is in every
/// store we measured: 5–10 % redeem anything, and under 2 % of household members have two
/// co-residents who did) and that incentives are visible as a `coupon_redeem` event or a coupon
/// on an event.
enum IncentiveCompany {
    static let names = ["linked_incentive_takers", "thin_coupon_first_crowd"]

    /// Two columns per account (`accountCount × names.count`, row-major): the log1p'd count
    /// of linked incentive takers, then `thin_coupon_first_crowd` (`ThinCouponCrowd`).
    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        let w = names.count
        var out = [Float](repeating: 0, count: n * w)
        guard n > 0, t.count > 0 else { return out }
        var took = [Bool](repeating: false, count: n)
        for e in 0..<t.count where t.account[e] >= 0 && (t.kind[e] == .couponRedeem || t.coupon[e] >= 0) {
            took[Int(t.account[e])] = true
        }
        let linked = LinkedCompany.count(t, marked: took)
        let crowd = ThinCouponCrowd.compute(t)
        for a in 0..<n {
            out[a * w] = Float(log1p(Double(linked[a])))
            out[a * w + 1] = crowd[a]
        }
        return out
    }
}

/// `thin_coupon_first_crowd`: how surprising the crowd of *thin coupon-first newcomers* is on
/// the identifiers an account uses, for an account that is one itself (0 for everyone else).
///
/// A coupon-first newcomer is an account that started while the log runs (created, else first
/// seen, at or after the log's first event) and whose first purchase (its first order or coupon
/// redemption) carried a coupon. It is *thin* when its footprint (events) is within the
/// thinnest quarter of the store's coupon-first newcomers: it exists for the discount. For each
/// device, payment instrument, delivery address and IP of at least 3 accounts, the number of
/// thin coupon-first newcomers among its accounts is tested against their share of the store's
/// accounts (binomial tail, log10), less log10 of the identifiers tested; the account's value
/// is the largest over its identifiers (0 when none is beyond chance). An identifier counts only
/// when at least twice the store's share of its coupon-first newcomers are thin: a campus
/// network full of newcomers with the welcome coupon holds the store's quarter of thin ones by
/// chance, a ring's members are nearly all thin.
///
/// Why: a deal-hunter ring that shares nothing but a busy parcel locker or a carrier IP, each
/// member on its own emulator and prepaid card, links no one in `LinkedCompany` (identifiers of
/// more than 40 accounts link nothing) and each member is an ordinary newcomer with a welcome
/// coupon. What a household, an office, a campus network or a locker crowd does not show is
/// *several* accounts behind one identifier that each opened, took the welcome coupon on their
/// first order and did little else: an honest locker's newcomers browse and buy again, so
/// their footprint is an ordinary customer's. Unlike the count of linked takers, the size of
/// the identifier is no cut-off: it is the identifier's own size that the tail is taken over,
/// so a locker of 50 with 6 thin coupon-first accounts is unusual and a carrier address of
/// 1,500 with the same 6 is not.
///
/// Assumes honest newcomers who took the welcome coupon keep a life beyond it more often than
/// not (a quarter of the store's coupon-first newcomers is, by construction, "thin", so a thin
/// honest newcomer is common; several on one identifier are not), and that they choose their
/// phone, card, address and network independently of one another.
enum ThinCouponCrowd {
    static let minAccounts = 3

    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        var out = [Float](repeating: 0, count: n)
        guard n > 0, t.count > 0 else { return out }
        var logStart = Int64.max
        for e in 0..<t.count { logStart = min(logStart, t.ts[e]) }
        // Coupon-first newcomers and their footprints.
        var couponFirst = [Bool](repeating: false, count: n)
        var footprints: [Int] = []
        var active = 0
        for a in 0..<n {
            let ev = t.events(of: a)
            guard !ev.isEmpty else { continue }
            active += 1
            let started = t.createdAt[a] != Int64.min ? t.createdAt[a] : t.firstSeen[a]
            guard started != Int64.min, started >= logStart else { continue }
            for e32 in ev {
                let e = Int(e32)
                guard t.kind[e] == .order || t.kind[e] == .couponRedeem else { continue }
                if t.coupon[e] >= 0 || t.kind[e] == .couponRedeem { couponFirst[a] = true; footprints.append(ev.count) }
                break
            }
        }
        guard footprints.count >= 2, active > 0 else { return out }
        footprints.sort()
        let thinCut = footprints[(footprints.count - 1) / 4]
        var thin = [Bool](repeating: false, count: n)
        var thinCount = 0
        let couponFirstCount = footprints.count
        for a in 0..<n where couponFirst[a] && t.events(of: a).count <= thinCut { thin[a] = true; thinCount += 1 }
        guard thinCount >= 2 else { return out }
        let base = Double(thinCount) / Double(active)
        // Per identifier kind: distinct accounts and distinct thin coupon-first accounts.
        let columns: [(KeyPath<EventTable, [Int32]>, Int)] = [(\.device, t.devices.count), (\.payment, t.payments.count),
                                                             (\.address, t.addresses.count), (\.ip, t.ips.count)]
        var accounts: [[Int32]] = [], thins: [[Int32]] = [], firsts: [[Int32]] = []
        var tested = 0
        for (path, size) in columns {
            let col = t[keyPath: path]
            var all = [Int32](repeating: 0, count: size), hit = [Int32](repeating: 0, count: size), first = [Int32](repeating: 0, count: size)
            var stamp = [Int32](repeating: -1, count: size)
            for a in 0..<n {
                for e32 in t.events(of: a) {
                    let v = col[Int(e32)]
                    guard v >= 0, Int(v) < size, stamp[Int(v)] != Int32(a) else { continue }
                    stamp[Int(v)] = Int32(a)
                    all[Int(v)] += 1
                    if thin[a] { hit[Int(v)] += 1 }
                    if couponFirst[a] { first[Int(v)] += 1 }
                }
            }
            for v in 0..<size where all[v] >= Int32(minAccounts) { tested += 1 }
            accounts.append(all); thins.append(hit); firsts.append(first)
        }
        guard tested > 0 else { return out }
        let correction = log10(Double(tested))
        // The identifier's coupon-first newcomers must be thin well beyond the store's share
        // (twice it): a campus network's newcomers all take the welcome coupon, and about the
        // store's quarter of them are thin by chance; a ring's are nearly all thin.
        let lift = min(1, 2 * Double(thinCount) / Double(couponFirstCount))
        // Surprise per identifier with two or more thin coupon-first accounts (cached: an
        // identifier is shared by several of them).
        var surprise: [[Float]] = []
        for (k, (_, size)) in columns.enumerated() {
            var s = [Float](repeating: 0, count: size)
            for v in 0..<size where thins[k][v] >= 2 && accounts[k][v] >= Int32(minAccounts)
                && Double(thins[k][v]) >= lift * Double(firsts[k][v]) {
                let z = Significance.surprise(Significance.logBinomialTail(Int(thins[k][v]), Int(accounts[k][v]), base)) - correction
                s[v] = Float(max(0, z))
            }
            surprise.append(s)
        }
        for a in 0..<n where thin[a] {
            var best: Float = 0
            for e32 in t.events(of: a) {
                for (k, (path, _)) in columns.enumerated() {
                    let v = t[keyPath: path][Int(e32)]
                    if v >= 0 && Int(v) < surprise[k].count { best = max(best, surprise[k][Int(v)]) }
                }
            }
            out[a] = best
        }
        return out
    }
}

/// The size of the marked company an account keeps: how many *other* accounts that share a
/// device, payment instrument or delivery address with it (an identifier that links,
/// LinkBound.swift) are marked, each counted once however many
/// identifiers link them, plus the account itself when it is marked too and any of them is
/// (0 when it has none). Shared by the anomaly layer's company features: incentive takers
/// (`linked_incentive_takers`) and refund claimants (`linked_refund_claimants`).
enum LinkedCompany {
    static func count(_ t: EventTable, marked: [Bool]) -> [Int] {
        let n = t.accountCount
        var out = [Int](repeating: 0, count: n)
        guard n > 0, t.count > 0, marked.contains(true) else { return out }
        // Per kind: identifier → accounts (each once), from sorted (identifier << 32 | account) pairs.
        var groups: [[Int32]] = []                 // identifiers that link (LinkBound), every kind
        var memberOf = [[Int32]](repeating: [], count: n)
        let bound = t.linkBound
        for (kind, col) in [t.device, t.payment, t.address].enumerated() {
            var pairs: [UInt64] = []
            for e in 0..<t.count where t.account[e] >= 0 && col[e] >= 0 {
                pairs.append(UInt64(UInt32(col[e])) << 32 | UInt64(UInt32(t.account[e])))
            }
            pairs.sort()
            forEachIdentifierGroup(pairs) { id, members in
                guard members.count >= 2 && bound.links(kind, Int32(truncatingIfNeeded: id), accounts: members.count) else { return }
                for a in members { memberOf[Int(a)].append(Int32(groups.count)) }
                groups.append(members)
            }
        }
        // Per account: the distinct marked accounts among those it shares with.
        var stamp = [Int](repeating: -1, count: n)
        for a in 0..<n where !memberOf[a].isEmpty {
            var count = 0
            for g in memberOf[a] {
                for b in groups[Int(g)] where Int(b) != a && marked[Int(b)] && stamp[Int(b)] != a {
                    stamp[Int(b)] = a
                    count += 1
                }
            }
            // The marked company it is part of, itself included when it is marked too.
            if count > 0 && marked[a] { count += 1 }
            out[a] = count
        }
        return out
    }
}
