import Foundation

/// `audience-company` (the anomaly layer): a crowd gathered for one target, judged without itself.
///
/// A crew hired for one live room, one item or one account's follows meets no partner on a second
/// target (`crowd_partners` needs three), and each member is judged against its peer band, of which
/// the crew can be a tenth: eighty accounts that each came from a fresh address on every visit make
/// that habit ordinary in their own band. What they share is the target, and how they reach it.
///
/// - An account's own target is the one it acts on most (ClickFarmDetector's actions: item views,
///   follows, profile and live views, likes), taken only when it holds at least `minShare` of the
///   account's actions and at least `minActions` of them: a buyer who watched a show once among
///   its shopping has none.
/// - Only columns that say how an account connects are used (`howNames`: identifiers, equipment,
///   sharers, place), never what it did or how much: a show's fans and a room's regulars watch more
///   than their peers, which says nothing here.
/// - In each such column an account is *high* when its value is above its band's median and at or
///   above the band's 90th percentile (in the bands that test the column). A target's audience (every
///   account acting on it, N) is tested by the binomial tail of its high accounts (U) at the mean of
///   its members' band rates of high accounts (ties at a common value can make a band's more than a
///   tenth; the Poisson-binomial of their own rates has no larger tail), Bonferroni over the targets
///   tested (own targets with N ≥ 2) times the columns: S = −ln P − ln(M · J) nats; it passes when S > 0.
/// - Every account whose own target passes is judged again in that column against its band without
///   the target's audience (the others' median and scale, itself counted in the tail), and keeps the
///   new surprise when it is at least `minGain` larger — high or not, since the crew also sets the
///   band's 90th percentile. A band left with fewer than `minReference` accounts judges nobody again.
///   Nothing is added: an account ordinary there stays ordinary (at or below the others' median it
///   has no surprise), and one a crowd had hidden among its peers is as unusual as it would be in a
///   store without that target's audience. A boosted room's real viewers mostly watch it among their
///   shopping (it is not their own target), and a hub's thousands do not pass the test by their number.
/// - Assumes honest audiences devoted to one target do not share a connection habit far beyond their
///   bands' — a small creator's regulars who all come from a new mobile address each visit are
///   judged like a crew (each of them would be as unusual alone), and so are a tour group abroad.
enum AudienceCompany {
    static let howNames: Set<String> = [
        "failed_logins", "distinct_devices", "distinct_ips", "distinct_payments", "distinct_addresses",
        "device_sharers", "payment_sharers", "address_sharers", "ip_sharers", "new_device_sensitive",
        "equipment_meetings", "abroad_share", "stranger_session_firsts", "stranger_equipment_accounts",
    ]
    static let minShare = 1.0 / 3
    static let minActions = 2
    static let highQuantile = 0.9
    /// A surprise judged again is kept only when it is at least this much larger (nats): removing a
    /// big room's audience from a band of thousands moves its tail a little for anyone.
    static let minGain = 1.0
    /// The fewest accounts left in a band without the audience to judge against (the layer's bands' own minimum).
    static let minReference = 50

    struct Result {
        /// Per account, its own target's audience size, the high accounts in it (in the column it was
        /// judged again in) and the test's S in decades; 0 when not judged again.
        var audience: [Int32]
        var high: [Int32]
        var decades: [Double]
        /// Targets × columns tested (the Bonferroni count).
        var tests: Int
        /// Per account, the column (a feature index, into `names`) of that test, −1 without.
        var column: [Int32]
        /// (account, column index into `cols`, new surprise) for each surprise raised.
        var raised: [(account: Int, column: Int, surprise: Float)]
        /// Each (target, column as a feature index into `names`, S in decades) that passed the test.
        var passed: [(target: Int64, column: Int, decades: Double)]
    }

    /// x: the layer's matrix (`d` columns); cols: the columns tested; surprise: n × cols.count;
    /// members / peerOf: the peer bands; directions: per column in `cols`, +1 high or −1 low;
    /// testedIn: per band × column in `cols`, whether the band tests it (one that does not stays at 0).
    static func compute(_ t: EventTable, x: [Float], d: Int, cols: [Int], names: [String], surprise: [Float],
                        members: [[Int]], peerOf: [Int32], directions: [Int], testedIn: [Bool]) -> Result {
        let n = t.accountCount
        var result = Result(audience: [Int32](repeating: 0, count: n), high: [Int32](repeating: 0, count: n),
                            decades: [Double](repeating: 0, count: n), tests: 0,
                            column: [Int32](repeating: -1, count: n), raised: [], passed: [])
        guard n > 0, t.count > 0 else { return result }
        let how = cols.indices.filter { howNames.contains(names[cols[$0]]) && directions[$0] > 0 }
        guard !how.isEmpty else { return result }
        let nItems = Int64(t.items.count)
        // Each account's distinct targets (target << 32 | account) and its own target.
        var pairs: [UInt64] = []
        var own = [Int64](repeating: -1, count: n)
        var hasActions = [Bool](repeating: false, count: n)
        var counts: [Int64: Int] = [:]
        for a in 0..<n {
            counts.removeAll(keepingCapacity: true)
            var actions = 0
            for e32 in t.events(of: a) {
                guard let target = ClickFarmDetector.actionTarget(t, Int(e32), nItems: nItems), target < Int64(UInt32.max) else { continue }
                counts[target, default: 0] += 1
                actions += 1
            }
            guard actions > 0 else { continue }
            hasActions[a] = true
            var best: Int64 = -1, bestCount = 0
            for (target, c) in counts {
                pairs.append(UInt64(target) << 32 | UInt64(a))
                if c > bestCount || (c == bestCount && target < best) { best = target; bestCount = c }
            }
            if bestCount >= minActions && Double(bestCount) >= minShare * Double(actions) { own[a] = best }
        }
        guard hasActions.contains(true) else { return result }
        pairs.sort()
        // High, per how-column: above the band's median and at or above its 90th percentile, in the
        // bands that test the column; and each band's share of high accounts (ties at a common value
        // can make it more than a tenth).
        var high = [[Bool]](repeating: [Bool](repeating: false, count: n), count: how.count)
        var bandRate = [[Double]](repeating: [Double](repeating: 0, count: members.count), count: how.count)
        for (h, ci) in how.enumerated() {
            let j = cols[ci]
            for (g, mem) in members.enumerated() where testedIn[g * cols.count + ci] {
                let v = mem.map { x[$0 * d + j] }.filter { $0 >= 0 }.sorted()
                guard v.count >= 2 else { continue }
                let med = v[v.count / 2], q = nearestRankUp(v, highQuantile)
                var k = 0
                for a in mem { let y = x[a * d + j]; if y >= 0 && y > med && y >= q { high[h][a] = true; k += 1 } }
                bandRate[h][g] = Double(k) / Double(v.count)
            }
        }
        // Each own target's audience: where it starts in `pairs` and its size.
        let wanted = Set(own.filter { $0 >= 0 })
        var span: [Int64: Range<Int>] = [:]
        var i = 0
        while i < pairs.count {
            let target = Int64(pairs[i] >> 32)
            var j = i
            while j < pairs.count && Int64(pairs[j] >> 32) == target { j += 1 }
            if j - i >= 2 && wanted.contains(target) { span[target] = i..<j }
            i = j
        }
        let tests = span.count * how.count
        result.tests = tests
        guard tests > 0 else { return result }
        let bonferroni = log(Double(tests))
        var inAudience = [Bool](repeating: false, count: n)
        for (target, range) in span.sorted(by: { $0.key < $1.key }) {
            for (h, ci) in how.enumerated() {
                // The chance of so many high accounts: binomial at the mean of the members' band rates
                // (the Poisson-binomial of their own rates has no larger upper tail).
                var u = 0, mean = 0.0
                for k in range {
                    let b = Int(pairs[k] & 0xffff_ffff)
                    if high[h][b] { u += 1 }
                    mean += bandRate[h][Int(peerOf[b])]
                }
                mean /= Double(range.count)
                guard u > 0, mean > 0, mean < 1 else { continue }
                let s = -Significance.logBinomialTail(u, range.count, mean) - bonferroni
                guard s > 0 else { continue }
                result.passed.append((target, cols[ci], s / log(10)))
                // Judged again without the audience: the accounts whose own target it is, per band.
                for k in range { inAudience[Int(pairs[k] & 0xffff_ffff)] = true }
                var byBand: [Int32: [Int]] = [:]
                for k in range {
                    let a = Int(pairs[k] & 0xffff_ffff)
                    if own[a] == target { byBand[peerOf[a], default: []].append(a) }
                }
                let j = cols[ci]
                for (g, accounts) in byBand where testedIn[Int(g) * cols.count + ci] {
                    // The band without the audience; too few left to be a reference (the layer's own
                    // band minimum), and nobody is judged again.
                    let others = members[Int(g)].filter { !inAudience[$0] }.map { x[$0 * d + j] }
                    guard others.filter({ $0 >= 0 }).count >= minReference, let ref = Reference(others) else { continue }
                    for a in accounts {
                        let y = x[a * d + j]
                        guard y >= 0 else { continue }
                        let v = ref.surpriseCountingItself(y)
                        if v >= surprise[a * cols.count + ci] + Float(minGain) {
                            result.raised.append((a, ci, v))
                            if s / log(10) > result.decades[a] {
                                result.decades[a] = s / log(10)
                                result.audience[a] = Int32(range.count)
                                result.high[a] = Int32(u)
                                result.column[a] = Int32(j)
                            }
                        }
                    }
                }
                for k in range { inAudience[Int(pairs[k] & 0xffff_ffff)] = false }
            }
        }
        return result
    }
}
