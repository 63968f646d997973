import Foundation

/// Scalper bots: on limited drops they check out faster than a person can, take several
/// pieces, never browsed the item before, come back for drop after drop, and ship to a few
/// shared addresses from a few address blocks. A fan who waited for the drop and bought one
/// piece within seconds has one or two of these, not the set.
public struct ScalperDetector: Detector {
    public let name = "scalper"
    public init() {}

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        struct Buy { var account: Int32; var event: Int; var item: Int32; var reaction: Double; var qty: Int32; var browsed: Bool }
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
        var ds = DisjointSet(t.accountCount)
        var scored: [(Int32, Double, String, [Int64], [(kind: String, value: String)], Set<Int32>)] = []
        for (a, list) in byAccount {
            let drops = Set(list.map(\.item)).count
            let fast = Double(list.filter { $0.reaction < 3 }.count) / Double(list.count)
            let bulk = Double(list.filter { $0.qty >= 2 }.count) / Double(list.count)
            let blind = Double(list.filter { !$0.browsed }.count) / Double(list.count)
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
            let shared = mates.isEmpty ? 0.0 : 1.0
            let multi = Stat.ramp(Double(drops), 1, 4)
            let s = 0.25 * fast + 0.2 * bulk + 0.2 * blind + 0.2 * multi + 0.15 * shared
            guard s >= 0.5 else { continue }
            let med = Stat.median(list.map(\.reaction))
            var why = "bought \(drops) limited drop(s), median \(String(format: "%.1f", med)) s after release"
            if bulk > 0 { why += ", \(list.filter { $0.qty >= 2 }.count) order(s) of 2+ pieces" }
            if blind >= 0.5 { why += ", without having looked at the item before" }
            if !mates.isEmpty { why += "; shares shipping addresses / address blocks with \(mates.count) other drop buyers" }
            var uniq: [(kind: String, value: String)] = []
            for x in ids where !uniq.contains(where: { $0.kind == x.kind && $0.value == x.value }) { uniq.append(x) }
            scored.append((a, min(0.97, s), why, list.map { t.rowid[$0.event] }, uniq, mates))
        }
        let flagged = Set(scored.map(\.0))
        for s in scored { for m in s.5 where flagged.contains(m) { ds.union(s.0, m) } }
        var groupNames: [Int32: String] = [:]
        var comps: [Int32: Int] = [:]
        for s in scored { comps[ds.find(s.0), default: 0] += 1 }
        var findings: [Finding] = []
        for s in scored.sorted(by: { $0.1 > $1.1 }) {
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
