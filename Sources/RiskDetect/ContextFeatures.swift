import Foundation

/// Behaviour features only the anomaly layer uses (the learnt model's feature set is left as
/// it is, so stored models keep their columns). They describe *changes* and *company* rather
/// than volume, which is what lets the layer find takeovers and farms with their detectors off:
///
/// - `new_device_sensitive`: orders, address changes and password resets made on a device the
///   account started using after its first day and used on at most two days, when it had used
///   another device before — counted twice when that device logged in from outside the
///   account's home country. A traveller keeps their phone; a power user's second device is used
///   for weeks; a stolen password is used from a fresh device for a day.
/// - `equipment_meetings`: distinct targets (item, account) on which the account acted on the
///   same day as another account it shares a device with (a device of at most `maxSharers`
///   accounts), in crowds of at most `maxCrowd`. Households share devices but act on their
///   own; farm members act together. IPs are left out: a VPN exit or a carrier NAT puts
///   strangers with the same habits (the same live shows) behind one address.
/// - `crowd_partners`: the accounts the account met in *bursts* on at least `minSharedTargets`
///   different targets, weighted by how much of its company they are. A burst is a crowd on
///   one target (item, account or live room) in one bucket (a quarter hour, and separately an
///   hour: `crowdWindowsMs`) of at least 3 accounts and at least `burstFactor` times the
///   target's own typical crowd (the median number of accounts over the buckets in which
///   anyone acted on it). With p the partners met on three or more targets, on occasions at
///   least a day apart (one sale's crowd browsing its items together is one occasion) and on
///   a new target at least every other occasion (hour; fans meet in the same rooms show after
///   show), and m the accounts met in bursts on two or more targets, the value is p · p / m:
///   a crew moves as one, so nearly everyone it meets on two targets it meets on a third
///   (p ≈ m), however big it is; an audience meets its fellow fans in each room it
///   frequents, and the fans it meets in two rooms are mostly not the ones it meets in a
///   third (p ≪ m). No shared equipment needed. The crowds considered are
///   bounded by cost, not by a size thought honest: bursts are taken smallest first while
///   their pairs fit in one pair per distinct action of the store (at least `minPairBudget`;
///   the largest crowds, a mega show's thousand viewers, are left out).
enum ContextFeatures {
    static let names = ["new_device_sensitive", "equipment_meetings", "crowd_partners"]
    static let maxSharers = 50
    static let maxCrowd = 50   // equipment_meetings' crowds
    static let crowdWindowMs: Int64 = 15 * 60_000
    /// `crowd_partners`' buckets: a quarter hour, and an hour (a job spread over half an hour
    /// splits its crew between quarters).
    static let crowdWindowsMs: [Int64] = [crowdWindowMs, 4 * crowdWindowMs]
    static let minSharedTargets = 3
    static let burstFactor = 4
    static let minPairBudget = 1 << 20

    /// Row-major, `accountCount × names.count`; values log1p'd.
    static func compute(_ t: EventTable) -> [Float] { computeWithPartners(t).x }

    /// The columns, and the crowd partners themselves: each pair (a << 32 | b, a < b) that
    /// passed `crowd_partners`' test, sorted (what `CrowdSupport` carries evidence along).
    static func computeWithPartners(_ t: EventTable) -> (x: [Float], partners: [UInt64]) {
        let n = t.accountCount
        let w = names.count
        var x = [Float](repeating: 0, count: n * w)
        guard n > 0, t.count > 0 else { return (x, []) }
        let day: Int64 = 86_400_000
        // new_device_sensitive
        var firstUse: [Int32: Int64] = [:]
        var useDays: [Int32: Set<Int64>] = [:]
        var foreign = Set<Int32>()
        var countryCount: [Int32: Int] = [:]
        for a in 0..<n {
            firstUse.removeAll(keepingCapacity: true)
            useDays.removeAll(keepingCapacity: true)
            foreign.removeAll(keepingCapacity: true)
            countryCount.removeAll(keepingCapacity: true)
            var first = Int64.max
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if t.country[e] >= 0 { countryCount[t.country[e], default: 0] += 1 }
                let d = t.device[e]
                guard d >= 0 else { continue }
                first = min(first, t.ts[e])
                firstUse[d] = min(firstUse[d] ?? Int64.max, t.ts[e])
                useDays[d, default: []].insert(t.ts[e] / day)
            }
            guard firstUse.count >= 2 else { continue }
            var home = a < t.homeCountry.count ? t.homeCountry[a] : -1
            if home < 0 { home = countryCount.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? -1 }
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if t.device[e] >= 0 && t.country[e] >= 0 && home >= 0 && t.country[e] != home { foreign.insert(t.device[e]) }
            }
            var s = 0.0
            for e32 in t.events(of: a) {
                let e = Int(e32)
                switch t.kind[e] {
                case .order, .addressChange, .passwordReset: break
                default: continue
                }
                let d = t.device[e]
                guard d >= 0, let f = firstUse[d], f > first + day, (useDays[d]?.count ?? 0) <= 2 else { continue }
                s += foreign.contains(d) ? 2 : 1
            }
            x[a * w] = Float(log1p(s))
        }
        // equipment_meetings
        var idPairs: [UInt64] = []
        for a in 0..<n {
            var last: Int32 = -1   // an account's runs of one device add one pair
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if t.device[e] >= 0 && t.device[e] != last { idPairs.append(UInt64(UInt32(t.device[e])) << 32 | UInt64(a)); last = t.device[e] }
            }
        }
        idPairs.sort()
        var partners = [Set<Int32>](repeating: [], count: n)
        forEachIdentifierGroup(idPairs) { _, members in
            if members.count >= 2 && members.count <= maxSharers {
                for a in members { for b in members where b != a { partners[Int(a)].insert(b) } }
            }
        }
        idPairs = []
        let nItems = Int64(t.items.count)
        var minTs = Int64.max
        for e in 0..<t.count { minTs = min(minTs, t.ts[e]) }
        var packed = actions(t, nItems: nItems, minTs: minTs, bucketMs: day)
        var met = [Set<Int64>](repeating: [], count: n)
        var i = 0
        while i < packed.count {
            var j = i
            while j < packed.count && packed[j].key == packed[i].key { j += 1 }
            if j - i >= 2 && j - i <= maxCrowd {
                for p in i..<j {
                    let a = packed[p].acc
                    if partners[Int(a)].isEmpty { continue }
                    for q in i..<j where q != p && packed[q].acc != a && partners[Int(a)].contains(packed[q].acc) {
                        met[Int(a)].insert(packed[i].key >> 24)
                        break
                    }
                }
            }
            i = j
        }
        for a in 0..<n where !met[a].isEmpty { x[a * w + 1] = Float(log1p(Double(met[a].count))) }
        packed = []
        let (partners3, edges) = crowdPartners(t, nItems: nItems, minTs: minTs)
        for a in 0..<n where partners3[a] > 0 { x[a * w + 2] = Float(log1p(partners3[a])) }
        return (x, edges)
    }

    /// The distinct (target << 24 | time bucket, account) of every action (ClickFarmDetector's
    /// targets: item views, follows, profile and live views), sorted.
    static func actions(_ t: EventTable, nItems: Int64, minTs: Int64, bucketMs: Int64) -> [(key: Int64, acc: Int32)] {
        var packed: [(key: Int64, acc: Int32)] = []
        packed.reserveCapacity(ClickFarmDetector.actionCount(t))
        for e in 0..<t.count where t.account[e] >= 0 {
            guard let target = ClickFarmDetector.actionTarget(t, e, nItems: nItems) else { continue }
            packed.append((target << 24 | (t.ts[e] - minTs) / bucketMs, t.account[e]))
        }
        packed.sort { ($0.key, $0.acc) < ($1.key, $1.acc) }
        var u = 0
        for k in packed.indices where k == 0 || packed[k] != packed[u - 1] { packed[u] = packed[k]; u += 1 }
        packed.removeLast(packed.count - u)
        return packed
    }

    /// Per account: p · p / m, p the accounts met in bursts on ≥ `minSharedTargets` distinct
    /// targets, on occasions at least a day apart, a new target at least every other hour met;
    /// m those met in bursts on ≥ 2 targets (`crowd_partners`).
    /// Also returns the partner pairs (a << 32 | b, a < b), sorted.
    static func crowdPartners(_ t: EventTable, nItems: Int64, minTs: Int64) -> (values: [Double], pairs: [UInt64]) {
        let n = t.accountCount
        // Each window's meetings, sorted, read below in merged order: one array per window, each
        // sized once, rather than one grown by the second window (which, as it reallocated,
        // held the first window's meetings twice; mem34).
        var runs: [[(pair: UInt64, key: Int64)]] = []   // key: target << 24 | time in crowdWindowMs buckets
        for windowMs in crowdWindowsMs {
            let packed = actions(t, nItems: nItems, minTs: minTs, bucketMs: windowMs)
            // Per target (keys sort by target, then bucket): its buckets' crowds and their
            // median; the bursts among them.
            var bursts: [(start: Int, end: Int)] = []
            var crowds: [(start: Int, end: Int)] = []
            var sizes: [Int] = []
            var i = 0
            while i < packed.count {
                let target = packed[i].key >> 24
                crowds.removeAll(keepingCapacity: true)
                while i < packed.count && packed[i].key >> 24 == target {
                    var j = i
                    while j < packed.count && packed[j].key == packed[i].key { j += 1 }
                    crowds.append((i, j))
                    i = j
                }
                sizes = crowds.map { $0.end - $0.start }
                sizes.sort()
                let typical = sizes[sizes.count / 2]
                for c in crowds where c.end - c.start >= max(3, burstFactor * typical) { bursts.append(c) }
            }
            // The largest size whose bursts, with all smaller ones, fit in the budget of pairs:
            // one per distinct action, at least `minPairBudget` (a small store keeps all its crowds).
            let budget = max(packed.count, minPairBudget)
            let burstSizes = bursts.map { $0.end - $0.start }.sorted()
            var cap = 0, used = 0, k = 0
            while k < burstSizes.count {
                let c = burstSizes[k]
                var pairs = 0
                while k < burstSizes.count && burstSizes[k] == c { pairs += c * (c - 1) / 2; k += 1 }
                guard used + pairs <= budget else { break }
                used += pairs
                cap = c
            }
            var meetings: [(pair: UInt64, key: Int64)] = []
            meetings.reserveCapacity(used)
            let scale = windowMs / crowdWindowMs
            for (start, end) in bursts where end - start <= cap {
                let key = (packed[start].key >> 24) << 24 | (packed[start].key & 0xff_ffff) * scale
                for p in start..<end { for q in (p + 1)..<end {
                    meetings.append((UInt64(UInt32(packed[p].acc)) << 32 | UInt64(UInt32(packed[q].acc)), key))
                } }
            }
            meetings.sort { ($0.pair, $0.key) < ($1.pair, $1.key) }
            runs.append(meetings)
        }
        let bucketsPerDay = 86_400_000 / crowdWindowMs, bucketsPerHour = 3_600_000 / crowdWindowMs
        var hours = Set<Int64>()
        var partners = [Int32](repeating: 0, count: n), metTwice = [Int32](repeating: 0, count: n)
        var edges: [UInt64] = []
        // One pair's meetings at a time, in (pair, key) order across the windows' runs.
        var targets = 0, prevKey: Int64 = 0
        var first = Int64.max, last = Int64.min   // buckets
        func finish(_ pair: UInt64) {
            let a = Int(pair >> 32), b = Int(pair & 0xffff_ffff)
            if targets >= 2 { metTwice[a] += 1; metTwice[b] += 1 }
            // Partners met on several targets, on occasions a day apart (one sale's crowd
            // browsing its items together is one occasion, a crew comes back), and on a new
            // target at least every other occasion (hour): fans meet in the same rooms show
            // after show, a crew moves on to its clients' pages and items.
            if targets >= minSharedTargets && last - first >= bucketsPerDay && 2 * targets >= hours.count {
                partners[a] += 1; partners[b] += 1
                edges.append(a < b ? UInt64(a) << 32 | UInt64(b) : UInt64(b) << 32 | UInt64(a))
            }
        }
        var head = [Int](repeating: 0, count: runs.count)
        var current: UInt64?
        while true {
            // The run whose next meeting comes first.
            var r = -1
            for k in runs.indices where head[k] < runs[k].count {
                if r < 0 || (runs[k][head[k]].pair, runs[k][head[k]].key) < (runs[r][head[r]].pair, runs[r][head[r]].key) { r = k }
            }
            guard r >= 0 else { break }
            let m = runs[r][head[r]]
            head[r] += 1
            if m.pair != current {
                if let c = current { finish(c) }
                current = m.pair
                targets = 1
                first = Int64.max; last = Int64.min
                hours.removeAll(keepingCapacity: true)
            } else if m.key >> 24 != prevKey >> 24 {
                targets += 1
            }
            prevKey = m.key
            let at = m.key & 0xff_ffff
            first = min(first, at); last = max(last, at)
            hours.insert(at / bucketsPerHour)
        }
        if let c = current { finish(c) }
        // A crew meets on a third target nearly everyone it met on two; an audience does not.
        runs = []
        edges.sort()
        return ((0..<n).map { metTwice[$0] > 0 ? Double(partners[$0]) * Double(partners[$0]) / Double(metTwice[$0]) : 0 }, edges)
    }
}
