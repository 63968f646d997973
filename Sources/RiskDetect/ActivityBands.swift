import Foundation

/// Peer groups by amount of activity, and how established an account's targets are — the
/// anomaly layer's two guards against reading "more activity" as "more suspicious".
enum ActivityBands {
    /// Appends an activity band to each account's peer key: log₂(1 + events) (`events` is
    /// log1p'd, as the behaviour features are), bands with fewer than `minSize` accounts merged
    /// into the next lower band of the same key, the lowest leftovers into the band above.
    /// Returns, per account, whether its band is one doubling of activity (not merged with others).
    @discardableResult
    static func split(_ keyOf: inout [String], events: [Float], minSize: Int) -> [Bool] {
        let n = keyOf.count
        var band = [Int](repeating: 0, count: n)
        var byKey: [String: [Int: Int]] = [:]
        for a in 0..<n {
            let count = max(0, exp(Double(events[a])) - 1)
            band[a] = Int(log2(1 + count))
            byKey[keyOf[a], default: [:]][band[a], default: 0] += 1
        }
        // For each key: band → the (lowest band, highest band) of the merged group it falls in.
        var groupOf: [String: [Int: (Int, Int)]] = [:]
        for (key, counts) in byKey {
            var out: [Int: (Int, Int)] = [:]
            var open: [Int] = [], size = 0
            var closed: [[Int]] = []
            for b in counts.keys.sorted(by: >) {
                open.append(b); size += counts[b]!
                if size >= minSize { closed.append(open); open = []; size = 0 }
            }
            if !open.isEmpty {
                if closed.isEmpty { closed.append(open) } else { closed[closed.count - 1] += open }
            }
            for g in closed { for b in g { out[b] = (g.min()!, g.max()!) } }
            groupOf[key] = out
        }
        var single = [Bool](repeating: false, count: n)
        for a in 0..<n {
            let (lo, hi) = groupOf[keyOf[a]]![band[a]]!
            let from = (1 << lo) - 1, to = (1 << (hi + 1)) - 2
            keyOf[a] += from == to ? ", \(from) events" : ", \(from)–\(to) events"
            single[a] = lo == hi
        }
        return single
    }

    /// Mean log(1 + how many accounts engaged with it) over the items and accounts an account
    /// engaged with (0 when none): low for one acting on targets few others touch.
    static func targetPopularity(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        var itemUsers: [Int32: Set<Int32>] = [:], targetUsers: [Int32: Set<Int32>] = [:]
        for e in 0..<t.count where t.account[e] >= 0 {
            if t.item[e] >= 0 { itemUsers[t.item[e], default: []].insert(t.account[e]) }
            if e < t.target.count && t.target[e] >= 0 { targetUsers[t.target[e], default: []].insert(t.account[e]) }
        }
        var sum = [Double](repeating: 0, count: n), cnt = [Int](repeating: 0, count: n)
        // Keys in order: the sums must not depend on the dictionaries' iteration order.
        for (_, users) in itemUsers.sorted(by: { $0.key < $1.key }) { let w = log1p(Double(users.count)); for a in users { sum[Int(a)] += w; cnt[Int(a)] += 1 } }
        for (_, users) in targetUsers.sorted(by: { $0.key < $1.key }) { let w = log1p(Double(users.count)); for a in users { sum[Int(a)] += w; cnt[Int(a)] += 1 } }
        return (0..<n).map { cnt[$0] > 0 ? Float(sum[$0] / Double(cnt[$0])) : 0 }
    }
}
