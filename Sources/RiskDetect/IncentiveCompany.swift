import Foundation

/// The anomaly layer's view of incentive use by the company an account keeps:
/// `linked_incentive_takers` — how many *other* accounts that share a device, payment
/// instrument or delivery address with this one (an identifier of at most
/// `SharingIndependence.linkCap` accounts) redeemed a coupon or other incentive during the
/// window, plus the account itself when it did too and any of them did: the size of the
/// incentive-taking company it belongs to (0 when it has none).
///
/// One account taking a welcome coupon is what every new customer does; a household rarely
/// has two members who do (a few per cent of buyers redeem anything, and a home holds a few
/// people). Accounts that share instruments *and* each take the incentive are what
/// multi-accounting for coupons looks like, whichever detector is on — a ring on one card, one
/// emulator or one address, each member with a coupon, gives every member the whole ring. Each
/// other account counts once however many identifiers it shares; an identifier of more than
/// `linkCap` accounts (a carrier NAT, a big parcel locker, a mail room) links nothing, as
/// everywhere else (docs/detection.md). IPs are left out: an office or a campus puts strangers
/// who each took a welcome coupon behind one address. Value: log1p(count).
///
/// Assumes incentive use is a minority behaviour among buyers who share a home (it is in every
/// store we measured: 5–10 % redeem anything, and under 2 % of household members have two
/// co-residents who did) and that incentives are visible as a `coupon_redeem` event or a coupon
/// on an event.
enum IncentiveCompany {
    static let names = ["linked_incentive_takers"]

    /// One column per account (`accountCount`), log1p'd.
    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        guard n > 0, t.count > 0 else { return [Float](repeating: 0, count: n) }
        var took = [Bool](repeating: false, count: n)
        for e in 0..<t.count where t.account[e] >= 0 && (t.kind[e] == .couponRedeem || t.coupon[e] >= 0) {
            took[Int(t.account[e])] = true
        }
        return LinkedCompany.count(t, marked: took).map { Float(log1p(Double($0))) }
    }
}

/// The size of the marked company an account keeps: how many *other* accounts that share a
/// device, payment instrument or delivery address with it (an identifier of 2 to
/// `SharingIndependence.linkCap` accounts) are marked, each counted once however many
/// identifiers link them, plus the account itself when it is marked too and any of them is
/// (0 when it has none). Shared by the anomaly layer's company features: incentive takers
/// (`linked_incentive_takers`) and refund claimants (`linked_refund_claimants`).
enum LinkedCompany {
    static func count(_ t: EventTable, marked: [Bool]) -> [Int] {
        let n = t.accountCount
        var out = [Int](repeating: 0, count: n)
        guard n > 0, t.count > 0, marked.contains(true) else { return out }
        // Per kind: identifier → accounts (each once), from sorted (identifier << 32 | account) pairs.
        var groups: [[Int32]] = []                 // identifiers of 2…linkCap accounts, every kind
        var memberOf = [[Int32]](repeating: [], count: n)
        for col in [t.device, t.payment, t.address] {
            var pairs: [UInt64] = []
            for e in 0..<t.count where t.account[e] >= 0 && col[e] >= 0 {
                pairs.append(UInt64(UInt32(col[e])) << 32 | UInt64(UInt32(t.account[e])))
            }
            pairs.sort()
            forEachIdentifierGroup(pairs) { _, members in
                guard members.count >= 2 && members.count <= SharingIndependence.linkCap else { return }
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
