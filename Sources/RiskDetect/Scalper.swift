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
    public init() {}

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        struct Buy { var account: Int32; var event: Int; var item: Int32; var reaction: Double; var qty: Int32; var browsed: Bool; var fast = false }
        var buys: [Buy] = []
        // Orders on limited items within an hour of the drop.
        for e in 0..<t.count where t.kind[e] == .order && t.item[e] >= 0 && t.account[e] >= 0 {
            let drop = t.itemDropAt[Int(t.item[e])]
            guard drop != Int64.min, t.ts[e] >= drop, t.ts[e] - drop <= 3_600_000 else { continue }
            buys.append(Buy(account: t.account[e], event: e, item: t.item[e], reaction: Double(t.ts[e] - drop) / 1000,
                            qty: max(1, t.quantity[e]), browsed: false))
        }
        if buys.isEmpty { return [] }
        try cancel.check()
        // Fast: among the first third of that drop's buyers (ties count together).
        var reactions: [Int32: [Double]] = [:]
        for b in buys { reactions[b.item, default: []].append(b.reaction) }
        var fastBar: [Int32: Double] = [:]
        for (item, rs) in reactions { fastBar[item] = Significance.quantile(rs, 1.0 / 3) }
        for k in buys.indices { buys[k].fast = buys[k].reaction <= (fastBar[buys[k].item] ?? 0) }
        // Bulk: more pieces than the store's ordinary (non-drop) order holds (its median).
        var quantities: [Double] = []
        for e in 0..<t.count where t.kind[e] == .order && (t.item[e] < 0 || t.itemDropAt[Int(t.item[e])] == Int64.min) {
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
        let pShared = Significance.shrunkRate(hits: sharing, of: byAccount.count, prior: 0.5, weight: 2)
        let bar = log10(Double(byAccount.count)) + margin
        func tail(_ k: Int, _ n: Int, _ p: Double) -> Double { k == 0 ? 0 : Significance.surprise(Significance.logBinomialTail(k, n, p)) }
        var ds = DisjointSet(t.accountCount)
        var scored: [(Int32, Double, String, [Int64], [(kind: String, value: String)], Set<Int32>)] = []
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
            mates.remove(a)
            let n = list.count
            var surprise = tail(nFast, n, pFast) + tail(nBulk, n, pBulk) + tail(nBlind, n, pBlind)
            if drops > 1 { surprise += Significance.surprise(Significance.logPoissonTail(drops, meanDrops)) }
            if !mates.isEmpty { surprise += -log10(pShared) }
            let excess = surprise - bar
            guard excess >= 0 else { continue }
            let s = 0.6 + 0.37 * Stat.ramp(excess, 0, 4)
            let med = Stat.median(list.map(\.reaction))
            var why = "bought \(drops) limited drop(s), median \(String(format: "%.1f", med)) s after release"
            if nFast > 0 { why += ", \(nFast) among the first third of the drop's buyers" }
            if nBulk > 0 { why += ", \(nBulk) order(s) of more than \(Int(bulkBar)) piece(s)" }
            if blind >= 0.5 { why += ", without having looked at the item before" }
            if !mates.isEmpty { why += "; shares shipping addresses / address blocks with \(mates.count) other drop buyers" }
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
        return findings
    }

    /// The /24 of an IPv4 address, the /48 of an IPv6 one.
    static func block(_ ip: String) -> String {
        if ip.contains(":") { return ip.split(separator: ":", omittingEmptySubsequences: false).prefix(3).joined(separator: ":") + "::/48" }
        let parts = ip.split(separator: ".")
        guard parts.count == 4 else { return ip }
        return parts.prefix(3).joined(separator: ".") + ".0/24"
    }
}
