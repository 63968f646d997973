import Foundation

/// Farms whose members join only a few jobs each. Pair lockstep needs two members to meet
/// again and again; a farm with a low join rate and a handful of jobs gives each pair one or
/// two meetings, no more than chance. What such a farm cannot hide is that its accounts share
/// equipment: a few phones or exits, each used by several members, and the accounts behind one
/// of them act on the same (rare) target on the same day, job after job.
///
/// Decision rule, against the store's own distributions:
/// - An *action* is (target, day): a view of an item, a follow, a profile view or a live view
///   of an account. Crowds beyond `maxDayBucket` accounts carry no signal and are left out.
/// - For every device and IP shared by 3…`maxIdentifierGroup` accounts, count the distinct
///   targets on which two or more of its accounts met on the same day. Under independence the
///   expected number of such meetings is Σ over pairs nₐ·n_b·c, where n is each account's number
///   of actions and c the store's collision rate Σ(s/S)² over actions (how likely two actions
///   land together given how popular targets are). A group is a seed when it met on at least
///   three targets and the Poisson tail of that count, corrected for the number of groups
///   tested, is below 1 in 10 — and, with `dayCohorts`, so is its (target, day) meetings' tail
///   against their expectation on the days its accounts were active (`dayMeetings`).
/// - Seeds that share an account or a meeting are one farm; its jobs are its meetings. Then,
///   three rounds: an account that joined two or more jobs (one, when it is on a device the farm
///   uses) beyond what chance predicts for an account as active as it — Poisson tail with the
///   store's crowd on those jobs as the mean, corrected for the accounts that could have — joins
///   the farm, and actions three of its members met on become jobs too.
///
/// Assumes households and offices, who also share equipment, do not act together on the same
/// rare target day after day (they are tested the same way and pass only if they do).
extension ClickFarmDetector {
    func identifierLockstep(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        let n = t.accountCount
        guard t.count > 0, n > 0 else { return [] }
        let nItems = Int64(t.items.count)
        var minTs = Int64.max, maxTs = Int64.min
        for e in 0..<t.count { minTs = min(minTs, t.ts[e]); maxTs = max(maxTs, t.ts[e]) }
        let day: Int64 = 86_400_000
        let days = UInt64((maxTs - minTs) / day + 1)
        let accBits = UInt64(max(1, 64 - UInt64(n).leadingZeroBitCount))
        let targets = UInt64(nItems) + UInt64(n)
        guard (64 - (targets * days).leadingZeroBitCount) + Int(accBits) <= 63 else { return [] }
        // (target, day, account), sorted and unique.
        var packed: [UInt64] = []
        packed.reserveCapacity(Self.actionCount(t))
        for e in 0..<t.count where t.account[e] >= 0 {
            guard let target = Self.actionTarget(t, e, nItems: nItems) else { continue }
            let key = UInt64(target) * days + UInt64((t.ts[e] - minTs) / day)
            packed.append(key << accBits | UInt64(t.account[e]))
        }
        try cancel.check()
        packed.sort()
        let accMask = (UInt64(1) << accBits) - 1
        // Buckets no larger than maxDayBucket; each account's buckets (CSR).
        var bucketKey: [UInt64] = []
        var bucketSize: [Int32] = []
        var pairs: [(acc: Int32, bucket: Int32)] = []
        var sumS = 0.0, sumS2 = 0.0
        // Per day (`dayCohorts`): each day's actions and how many of its buckets have each size. Days
        // are numbered in the order first met, only those with a bucket (a stray far-future timestamp
        // makes the span millions of days, not the histogram millions of rows); `bucketDay` is each
        // bucket's day in that numbering.
        let width = maxDayBucket + 1
        var dayNumber: [UInt64: Int32] = [:]
        var bucketDay: [Int32] = []
        var daySum: [Double] = []
        var dayHist: [Int32] = []
        var i = 0
        while i < packed.count {
            let key = packed[i] >> accBits
            var j = i
            var members: [Int32] = []
            while j < packed.count && packed[j] >> accBits == key {
                if j == i || packed[j] != packed[j - 1] { members.append(Int32(packed[j] & accMask)) }
                j += 1
            }
            if members.count <= maxDayBucket {
                let b = Int32(bucketKey.count)
                bucketKey.append(key); bucketSize.append(Int32(members.count))
                for a in members { pairs.append((a, b)) }
                sumS += Double(members.count); sumS2 += Double(members.count) * Double(members.count)
                if dayCohorts {
                    let day = key % days
                    let d: Int
                    if let n = dayNumber[day] { d = Int(n) } else {
                        d = daySum.count
                        dayNumber[day] = Int32(d)
                        daySum.append(0)
                        dayHist.append(contentsOf: repeatElement(0, count: width))
                    }
                    bucketDay.append(Int32(d))
                    daySum[d] += Double(members.count)
                    dayHist[d * width + members.count] += 1
                }
            }
            i = j
        }
        packed = []
        guard sumS > 0 else { return [] }
        let collision = sumS2 / (sumS * sumS)
        var accStart = [Int32](repeating: 0, count: n + 1)
        for p in pairs { accStart[Int(p.acc) + 1] += 1 }
        for a in 0..<n { accStart[a + 1] += accStart[a] }
        var fill = accStart
        var accBuckets = [Int32](repeating: 0, count: pairs.count)
        for p in pairs { accBuckets[Int(fill[Int(p.acc)])] = p.bucket; fill[Int(p.acc)] += 1 }
        pairs = []
        func actions(_ a: Int) -> Int { Int(accStart[a + 1] - accStart[a]) }
        func target(_ b: Int32) -> UInt64 { bucketKey[Int(b)] / days }
        func dayOf(_ b: Int32) -> Int { Int(bucketDay[Int(b)]) }   // only with `dayCohorts`
        /// `dayCohorts`: how many (target, day) buckets two or more of `members` are expected to share
        /// if each browsed like the rest of the store on the days it was active — per day, every bucket
        /// of the day with its size less the group's own accounts there (a farm's jobs do not make its
        /// own targets popular), an account with n actions that day in a bucket of s with chance
        /// 1 − (1 − s/S)ⁿ (S: the day's actions less the group's), two or more of them exactly from
        /// those chances (Poisson-binomial: 1 − P₀ − P₁). `inBucket`: the group's accounts in each of its
        /// buckets (the caller has counted them).
        func dayMeetings(_ members: [Int32], inBucket: [Int32: Int32]) -> Double {
            var perDay: [Int: [Int]] = [:]
            for a in members {
                var mine: [Int: Int] = [:]
                for q in Int(accStart[Int(a)])..<Int(accStart[Int(a) + 1]) { mine[dayOf(accBuckets[q]), default: 0] += 1 }
                for (d, k) in mine { perDay[d, default: []].append(k) }
            }
            var touched: [Int: [(size: Int, rest: Int)]] = [:]
            for (b, c) in inBucket { let sz = Int(bucketSize[Int(b)]); touched[dayOf(b), default: []].append((sz, sz - Int(c))) }
            var expected = 0.0
            // Days and counts in order: the sum is the same run to run (a dictionary's order is not).
            for (d, counts) in perDay.sorted(by: { $0.key < $1.key }) where counts.count >= 2 {
                let rest = daySum[d] - Double(counts.reduce(0, +))
                guard rest > 0 else { continue }
                var h = Array(dayHist[(d * width)..<((d + 1) * width)])
                for x in touched[d] ?? [] { h[x.size] -= 1; h[x.rest] += 1 }
                var mult: [Int: Int] = [:]   // accounts by their actions that day: few distinct counts
                for n in counts { mult[n, default: 0] += 1 }
                let byCount = mult.sorted { $0.key < $1.key }
                for sz in 1..<width where h[sz] > 0 {
                    let l1p = log1p(-min(Double(sz) / rest, 1 - 1e-12))
                    var logP0 = 0.0
                    for (n, m) in byCount { logP0 += Double(m) * Double(n) * l1p }
                    // P₁ = Σ qₐ · P₀ / (1 − qₐ), with P₀ / (1 − qₐ) = exp(log P₀ − nₐ log(1 − p)): no division
                    // by a 1 − q that underflows.
                    var p1 = 0.0
                    for (n, m) in byCount { p1 += Double(m) * -expm1(Double(n) * l1p) * exp(logP0 - Double(n) * l1p) }
                    expected += Double(h[sz]) * max(0, 1 - exp(logP0) - p1)
                }
            }
            return expected
        }
        try cancel.check()

        // Identifier groups: accounts per shared device and per shared IP.
        var idPairs: [UInt64] = []   // (kind·2³¹ + identifier) << 32 | account
        for a in 0..<n {
            var lastDevice: Int32 = -1, lastIP: Int32 = -1   // an account's runs of one identifier add one pair
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if t.device[e] >= 0 && t.device[e] != lastDevice { idPairs.append(UInt64(UInt32(t.device[e])) << 32 | UInt64(a)); lastDevice = t.device[e] }
                if t.ip[e] >= 0 && t.ip[e] != lastIP { idPairs.append((UInt64(1) << 63 | UInt64(UInt32(t.ip[e])) << 32) | UInt64(a)); lastIP = t.ip[e] }
            }
        }
        idPairs.sort()
        var groups: [(isDevice: Bool, id: Int32, members: [Int32])] = []
        forEachIdentifierGroup(idPairs) { id, members in
            if members.count >= 3 && members.count <= maxIdentifierGroup {
                groups.append((id >> 31 == 0, Int32(truncatingIfNeeded: id & 0x7FFF_FFFF), members))
            }
        }
        idPairs = []
        try cancel.check()
        // Seeds: groups whose accounts met on the same target and day far more than chance.
        struct Seed { var members: [Int32]; var meetings: Set<Int32>; var surprise: Double; var label: String; var together: [Int32: Int32]; var room = false }
        var seeds: [Seed] = []
        let tested = Double(max(1, groups.count))
        // The rooms' clock, built the first time a group reaches the room path with three candidate
        // meetings (farm42, review41c finding 6): a store without room crews never holds it.
        var clockCache: RoomClock? = nil
        func roomClock() -> RoomClock {
            if let c = clockCache { return c }
            let c = RoomClock(t, minTs: minTs, maxTs: maxTs)
            clockCache = c
            return c
        }
        var count: [Int32: Int32] = [:]
        for g in groups {
            count.removeAll(keepingCapacity: true)
            var sumN = 0.0, sumN2 = 0.0
            for a in g.members {
                let k = Double(actions(Int(a)))
                sumN += k; sumN2 += k * k
                for q in Int(accStart[Int(a)])..<Int(accStart[Int(a) + 1]) { count[accBuckets[q], default: 0] += 1 }
            }
            var meetings = Set<Int32>(), met = Set<UInt64>()
            var together: [Int32: Int32] = [:]
            for (b, c) in count where c >= 2 { meetings.insert(b); met.insert(target(b)); together[b] = c }
            let label = g.isDevice ? "device \(t.devices.string(g.id))" : "IP \(t.ips.string(g.id))"
            if met.count >= 3 {
                // Distinct targets against the span-wide pair count; with `dayCohorts`, also the
                // (target, day) meetings against their expectation on the days the accounts were
                // active, and the lesser surprise decides: beyond chance under both nulls.
                let expected = (sumN * sumN - sumN2) / 2 * collision
                var s = Significance.surprise(Significance.logPoissonTail(met.count, expected)) - log10(tested)
                var dayExpected = -1.0
                if dayCohorts && s >= 1 {
                    dayExpected = dayMeetings(g.members, inBucket: count)
                    s = min(s, Significance.surprise(Significance.logPoissonTail(meetings.count, max(dayExpected, 1e-12))) - log10(tested))
                }
                if let debugLog {
                    debugLog("identifier group (\(g.isDevice ? "device" : "IP")): \(g.members.count) accounts met on \(met.count) targets, expected \(String(format: "%.3f", expected))\(dayExpected >= 0 ? "; on \(meetings.count) target-days, expected \(String(format: "%.3f", dayExpected)) on their days" : ""), surprise \(String(format: "%.1f", s))")
                }
                if s >= 1 { seeds.append(Seed(members: g.members, meetings: meetings, surprise: s, label: label, together: together)); continue }
            }
            // A crew on a room or two (a follow campaign for one creator or shop): its meetings
            // there are most of the room's crowd that day, with the owner away, on three days or
            // more (see `roomCrewMeetings`) — whatever else its accounts met on by chance (farm38:
            // one chance meeting on a third target sent farm37's crew to the test above, which
            // counts targets, not days). The evidence is the rooms' co-presence against the
            // members' own hours there (see `roomCoPresence`), not the store's collision rate.
            guard roomCrews, !met.isEmpty, let own = roomCrewMeetings(t, together, size: { Int(bucketSize[Int($0)]) },
                                                                      key: { bucketKey[Int($0)] }, days: days, nItems: nItems, minTs: minTs,
                                                                      members: g.members, day: day, clock: roomClock) else { continue }
            let clock = roomClock()
            let selected = Set(own.map { bucketKey[Int($0)] / days })
            // Each room on its own and the strongest together (farm40: a room whose regulars
            // coincide as often as chance does not dilute a crew's room, nor lend it members):
            // rooms ranked by their own surprise, the best prefix kept, corrected for the choice:
            // ranked after looking, a prefix of j of K rooms is one of C(K, j) subsets, and j one of
            // K lengths (farm41, review40e N3: log10 K alone let five rooms pass at 1.2× nominal).
            let all = roomCoPresence(t, rooms: selected, members: g.members, nItems: nItems, clock: clock)
            let ranked = all.rooms.sorted { a, b in
                let sa = Significance.logPoissonTail(a.observed, max(a.expected, 1e-12)), sb = Significance.logPoissonTail(b.observed, max(b.expected, 1e-12))
                return sa != sb ? sa < sb : a.room < b.room
            }
            var s = -Double.infinity, keep = 0, o = 0, x = 0.0
            for (j, r) in ranked.enumerated() {
                o += r.observed; x += r.expected
                let sj = Significance.surprise(Significance.logPoissonTail(o, max(x, 1e-12))) - log10(tested) - log10(Double(max(1, ranked.count)))
                    - Self.log10Choose(ranked.count, j + 1)
                if sj > s { s = sj; keep = j + 1 }
            }
            let rooms = Set(ranked.prefix(keep).map(\.room))
            let co = keep == ranked.count ? all : roomCoPresence(t, rooms: rooms, members: g.members, nItems: nItems, clock: clock)
            debugLog?("identifier group (\(g.isDevice ? "device" : "IP")): \(g.members.count) accounts met on \(met.count) targets, \(own.count) of \(meetings.count) meetings in \(selected.count) rooms most of the room's crowd with its owner away; in the best \(rooms.count) \(co.observed) runs of away hours with 3+ of them, expected \(String(format: "%.3f", co.expected)) from their own hours of the day, surprise \(String(format: "%.1f", s))")
            guard s >= 1 else { continue }
            guard roomCrewAttribution else {
                seeds.append(Seed(members: g.members, meetings: own, surprise: s, label: label, together: together.filter { own.contains($0.key) }, room: true))
                continue
            }
            // Attribution (farm39): the exit is not evidence, its members' own coincidences are. A
            // member is of the crew when its away episodes fell among the hours two or more others
            // were there far more often than the same hours on other days would (`episodeTest`):
            // binomial tail with the member's average chance (Hoeffding: the tail of a sum of unequal
            // Bernoullis is at most the binomial's with their mean rate), corrected for the group's
            // members. The crew is then tested as a crew (farm40: members who each coincided with a
            // crowd need not coincide with each other): its away episodes with two or more of it
            // against its members' own hours of the day, and those with three or more, the stronger
            // corrected for the two and as the group's, is the seed's surprise (a large farm at a low
            // join rate spreads over many exits, and an exit's share of it is rarely three at once;
            // a small crew that bursts together is three at once every time, and two of it at an
            // hour of the day it keeps is no surprise). The crew's seed is those members, and its meetings those where
            // two or more of them met.
            let crew = co.members.filter { m in
                guard m.hits >= 2 else { return false }
                let p = m.expected / Double(max(1, m.hours))
                return Significance.surprise(Significance.logBinomialTail(m.hits, m.hours, p)) - log10(Double(g.members.count)) >= 1
            }.map(\.account)
            debugLog?("identifier group (\(g.isDevice ? "device" : "IP")): \(g.members.count) accounts, room crew attribution: \(crew.count) coincide beyond their own hours and the others' (of \(co.members.count) with away hours; hours in company / own away hours / expected: \(co.members.filter { $0.hits > 0 }.prefix(40).map { "\($0.hits)/\($0.hours)/\(String(format: "%.2f", $0.expected))" }.joined(separator: " ")))")
            guard crew.count >= 3 else { continue }
            var sc = -Double.infinity
            for k in [2, 3] {
                let cc = roomCoPresence(t, rooms: rooms, members: crew, nItems: nItems, clock: clock, atLeast: k)
                let sk = Significance.surprise(Significance.logPoissonTail(cc.observed, cc.expected)) - log10(tested) - log10(2.0)
                sc = max(sc, sk)
                debugLog?("identifier group (\(g.isDevice ? "device" : "IP")): \(g.members.count) accounts, its room crew of \(crew.count) as a crew: \(cc.observed) runs of away hours with \(k)+ of them, expected \(String(format: "%.3f", cc.expected)), surprise \(String(format: "%.1f", sk))")
            }
            guard sc >= 1 else { continue }
            // The crew was picked by its members' coincidences, so its re-test is a gate (it removes
            // crews) and not a chance of its own (review40e N4): the seed's strength is the lesser
            // of the rooms' test (on the group, before the pick) and the crew's.
            let crewSurprise = min(s, sc)
            var crewTogether: [Int32: Int32] = [:]
            for a in crew { for q in Int(accStart[Int(a)])..<Int(accStart[Int(a) + 1]) where own.contains(accBuckets[q]) && rooms.contains(target(accBuckets[q])) { crewTogether[accBuckets[q], default: 0] += 1 } }
            crewTogether = crewTogether.filter { $0.value >= 2 }
            guard !crewTogether.isEmpty else { continue }
            seeds.append(Seed(members: crew, meetings: Set(crewTogether.keys), surprise: crewSurprise, label: label, together: crewTogether, room: true))
        }
        guard !seeds.isEmpty else { return [] }
        try cancel.check()
        // Seeds sharing an account or a meeting are one farm.
        var ds = DisjointSet(seeds.count)
        var byAccount: [Int32: Int32] = [:], byMeeting: [Int32: Int32] = [:]
        for (s, seed) in seeds.enumerated() {
            for a in seed.members { if let o = byAccount[a] { ds.union(o, Int32(s)) } else { byAccount[a] = Int32(s) } }
            for b in seed.meetings { if let o = byMeeting[b] { ds.union(o, Int32(s)) } else { byMeeting[b] = Int32(s) } }
        }
        var farmsByRoot: [Int32: [Int]] = [:]
        for s in seeds.indices { farmsByRoot[ds.find(Int32(s)), default: []].append(s) }
        // Accounts per device, for "on a device the farm uses".
        var deviceAccounts: [Int32: [Int32]] = [:]
        for g in groups where g.isDevice { deviceAccounts[g.id] = g.members }
        var active = 0, total = 0
        for a in 0..<n where actions(a) > 0 { active += 1; total += actions(a) }
        let mean = Double(total) / Double(max(1, active))
        var out: [Finding] = []
        var farmNo = 0
        for root in farmsByRoot.keys.sorted() {
            let ss = farmsByRoot[root]!
            var jobs = Set<Int32>()
            var why: [Int32: (strength: Double, reason: String)] = [:]
            let seedSurprise = ss.map { seeds[$0].surprise }.max()!
            // Jobs: actions three or more of a group's accounts met on (two meeting once is
            // what a couple browsing the same shop does).
            for s in ss {
                for (b, c) in seeds[s].together where c >= 3 { jobs.insert(b) }
            }
            // Seed accounts whose own meetings with the group are beyond chance: distinct
            // targets met against the expected Σ over its partners nₐ·n_b·c (Poisson, corrected
            // for the group's size). A relative who browses the same shops on the family phone
            // meets the others now and then, as strangers would; the recruiting test below
            // decides for accounts with only a meeting or two.
            var members = Set<Int32>()
            for s in ss {
                var groupActions = 0.0
                for b in seeds[s].members { groupActions += Double(actions(Int(b))) }
                for a in seeds[s].members {
                    var joined = Set<UInt64>()
                    // A room crew's meetings are on one or two targets: each (room, day) counts.
                    for q in Int(accStart[Int(a)])..<Int(accStart[Int(a) + 1]) where seeds[s].meetings.contains(accBuckets[q]) {
                        joined.insert(seeds[s].room ? bucketKey[Int(accBuckets[q])] : target(accBuckets[q]))
                    }
                    guard !joined.isEmpty else { continue }
                    // A room crew's seed members passed their own test already (attribution: their
                    // hours against the others'); the store's collision rate is no evidence for a room.
                    if !(seeds[s].room && roomCrewAttribution) {
                        let own = Double(actions(Int(a)))
                        let expected = own * (groupActions - own) * collision
                        let sa = Significance.surprise(Significance.logPoissonTail(joined.count, expected)) - log10(Double(seeds[s].members.count))
                        guard sa >= 1 else { continue }
                    }
                    members.insert(a)
                    let strength = min(0.9, 0.55 + 0.35 * Stat.ramp(seeds[s].surprise, 1, 6))
                    if (why[a]?.strength ?? 0) < strength {
                        why[a] = (strength, seeds[s].room
                            ? "shares a \(seeds[s].label) with \(seeds[s].members.count - 1) accounts that were in a room together with its owner away, beyond their own hours there, on \(seeds[s].meetings.count) room-days (surprise \(String(format: "%.1f", seeds[s].surprise)) after correction)"
                            : "shares a \(seeds[s].label) with \(seeds[s].members.count - 1) accounts that acted on the same target on the same day \(seeds[s].meetings.count) times (chance 1 in 10^\(Int((seeds[s].surprise + log10(tested)).rounded())))")
                    }
                }
            }
            let roomFarm = ss.allSatisfy { seeds[$0].room }
            // A farm with a room crew's seed (farm40: also merged with other equipment seeds) tests
            // its jobs in the room crews' rooms by hours, the others by days: a room's regular
            // visitor shares a room job's day whenever it visits, and room jobs' crowds are tiny.
            let byHours = roomCrewAttribution && ss.contains { seeds[$0].room }
            var seedRooms = Set<UInt64>()
            for s in ss where seeds[s].room { for b in seeds[s].meetings where target(b) >= UInt64(nItems) { seedRooms.insert(target(b)) } }
            for _ in 0..<3 {
                try cancel.check()
                // A farm of room crews only: every room among its jobs, and only they (farm39); a
                // mixed farm: the room seeds' rooms.
                let roomTargets = !byHours ? [] : roomFarm ? Set(jobs.map { target($0) }.filter { $0 >= UInt64(nItems) }) : seedRooms
                var linked = Set<Int32>()
                for a in members {
                    for e32 in t.events(of: Int(a)) where t.device[Int(e32)] >= 0 {
                        for b in deviceAccounts[t.device[Int(e32)]] ?? [] where !members.contains(b) { linked.insert(b) }
                    }
                }
                var crowd = 0.0, dayJobs = 0
                // `dayCohorts`: the jobs' crowds per day over the day's actions — an account's chance is
                // its actions on each day times that day's share, not its actions times the span's.
                var jobShare = [Double](repeating: 0, count: daySum.count)
                for b in jobs where !roomTargets.contains(target(b)) {
                    crowd += Double(bucketSize[Int(b)]); dayJobs += 1
                    if dayCohorts { jobShare[dayOf(b)] += Double(bucketSize[Int(b)]) }
                }
                if dayCohorts { for d in jobShare.indices where jobShare[d] > 0 { jobShare[d] /= daySum[d] } }
                let chance = crowd / Double(max(1, active))
                // A room crew's rooms: per room, its away hours and how many members acted in each.
                var crewHours: [UInt64: (away: [Bool], count: [Int32])] = [:]
                if byHours, roomCrews {
                    let clock = roomClock()
                    crewHours = roomHours(t, rooms: roomTargets, members: members.sorted(), nItems: nItems, clock: clock)
                }
                // Two tests when the farm has both kinds of job: each corrected for the other too.
                let both = byHours && !roomFarm && dayJobs > 0 ? log10(2.0) : 0
                var joinedNow: [(Int32, Double, Int, Int, Bool)] = []
                for a in 0..<n where !members.contains(Int32(a)) && actions(a) > 0 {
                    var hits = 0, roomHits = 0
                    var tg = Set<UInt64>(), roomDays = Set<UInt64>()
                    // A room crew's jobs spread over days, not targets.
                    for q in Int(accStart[a])..<Int(accStart[a + 1]) where jobs.contains(accBuckets[q]) {
                        let b = accBuckets[q]
                        if roomTargets.contains(target(b)) { roomHits += 1; roomDays.insert(bucketKey[Int(b)] % days); continue }
                        hits += 1; tg.insert(roomFarm ? bucketKey[Int(b)] % days : target(b))
                    }
                    let onDevice = linked.contains(Int32(a))
                    let need = onDevice ? 1 : 2
                    let correction = log10(onDevice ? Double(max(1, linked.count)) : Double(active)) + both
                    var best: (s: Double, hits: Int, days: Int, hours: Bool)? = nil
                    // A room crew's recruit (farm39, farm40) is tested as its members were: its away
                    // episodes in the crew's rooms against the same hours on other days with two or more
                    // members there (`episodeTest`, binomial with its average chance, corrected for the
                    // accounts that could have). Days alone are not evidence: a room's regular visitor
                    // shares the crew's days, not its hours.
                    if roomHits >= need, roomDays.count >= min(3, roomHits) {
                        var mine: [UInt64: Set<Int>] = [:]
                        for e32 in t.events(of: a) {
                            let e = Int(e32)
                            guard awayEvidence(t, e), let x = Self.actionTarget(t, e, nItems: nItems), let r = crewHours[UInt64(x)], let clock = clockCache else { continue }
                            let slot = clock.slot(t.ts[e])
                            if r.away[slot] { mine[UInt64(x), default: []].insert(slot) }
                        }
                        var episodes = 0, inCrew = 0, expected = 0.0
                        for (room, slots) in mine {
                            let r = crewHours[room]!
                            let e = Self.episodeTest(mine: slots, away: r.away, count: r.count, counted: false, need: 2, weekly: roomWeeklyNull)
                            episodes += e.episodes; inCrew += e.hits; expected += e.expected
                        }
                        if inCrew >= need {
                            let s = Significance.surprise(Significance.logBinomialTail(inCrew, episodes, expected / Double(episodes))) - correction
                            if s >= 1 { best = (s, inCrew, roomDays.count, true) }
                        }
                    }
                    if !(byHours && roomFarm), hits >= need, tg.count >= min(3, hits) {
                        var lambda = recruitChance(chance, actions: actions(a), mean: mean)
                        if dayCohorts {
                            var x = 0.0
                            for q in Int(accStart[a])..<Int(accStart[a + 1]) { x += jobShare[dayOf(accBuckets[q])] }
                            lambda = max(lambda, x)   // the larger chance of the two nulls
                        }
                        let s = Significance.surprise(Significance.logPoissonTail(hits, lambda)) - correction
                        if s >= 1 && s > (best?.s ?? 0) { best = (s, hits, tg.count, false) }
                    }
                    if let best { joinedNow.append((Int32(a), best.s, best.hits, best.days, best.hours)) }
                }
                if joinedNow.isEmpty { break }
                for (a, s, hits, tgs, hours) in joinedNow {
                    members.insert(a)
                    let strength = min(0.85, 0.5 + 0.35 * Stat.ramp(s, 1, 5)) * (0.8 + 0.2 * Stat.ramp(seedSurprise, 1, 6))
                    // The text says which test decided (review40e N5): the room crew's hours, or jobs.
                    let what = hours
                        ? "was in an equipment-sharing group's room with two or more of its crew, the owner away, in \(hits) of its visits there, on \(tgs) days"
                        : "joined \(hits) of the jobs of an equipment-sharing group (same target, same day) on \(tgs) \(roomFarm ? "days" : "targets")"
                    why[a] = (strength, "\(what); chance 1 in 10^\(Int(s.rounded()))\(linked.contains(a) ? "; on a device the group uses" : "")")
                }
                // Actions three members met on are the farm's jobs too.
                var c: [Int32: Int32] = [:]
                for a in members { for q in Int(accStart[Int(a)])..<Int(accStart[Int(a) + 1]) { c[accBuckets[q], default: 0] += 1 } }
                for (b, k) in c where k >= 3 { jobs.insert(b) }
            }
            // A room crew's evidence is hours that three or more of it shared beyond its members'
            // own activity: a tail test that holds at three members, so no floor beyond that.
            guard members.count >= (roomFarm ? 3 : minGroup) else { continue }
            farmNo += 1
            let group = "equipment-farm-\(farmNo)"
            let sortedMembers = members.sorted()
            let jobKeys = Set(jobs.map { bucketKey[Int($0)] })
            for a in sortedMembers {
                guard let w = why[a] else { continue }
                var evs: [Int64] = []
                for e32 in t.events(of: Int(a)) where evs.count < 200 {
                    let e = Int(e32)
                    guard let target = Self.actionTarget(t, e, nItems: nItems) else { continue }
                    let key = UInt64(target) * days + UInt64((t.ts[e] - minTs) / day)
                    if jobKeys.contains(key) { evs.append(t.rowid[e]) }
                }
                out.append(Finding(account: a, detector: name, riskType: .clickFarm, strength: w.strength,
                                   reason: w.reason + " — a \(members.count)-account group",
                                   events: evs, linked: sortedMembers.filter { $0 != a }.prefix(100).map { t.accountID($0) },
                                   group: group))
            }
        }
        return out
    }

    /// log10 of the binomial coefficient C(n, k).
    static func log10Choose(_ n: Int, _ k: Int) -> Double {
        guard k > 0, k < n else { return 0 }
        return (Significance.lnFact(n) - Significance.lnFact(k) - Significance.lnFact(n - k)) / log(10)
    }

    /// Whether event `e` can show a room's owner away (farm41b, review41c finding 1): a follow,
    /// profile view or like can; a live view cannot — the show it watched was on — unless
    /// `roomLiveViewIsAbsence` (farm41's rule). Live views still make a room live (`roomAround`).
    @inline(__always) func awayEvidence(_ t: EventTable, _ e: Int) -> Bool {
        roomLiveViewIsAbsence || t.kind[e] != .liveView
    }

    /// The rooms' clock: hour slots of the data's span from its first event, and per account the
    /// slots in which anyone had a live view of its room, with who watched (farm40: a show goes on
    /// while viewers are there, after the owner's last event too; farm41: viewers outside the
    /// accounts under test, see `roomAround`).
    struct RoomClock {
        let minTs: Int64
        let slots: Int
        let live: [Int32: [Int: Set<Int32>]]
        static let hour: Int64 = 3_600_000
        init(_ t: EventTable, minTs: Int64, maxTs: Int64) {
            self.minTs = minTs
            slots = Int((maxTs - minTs) / Self.hour) + 1
            var live: [Int32: [Int: Set<Int32>]] = [:]
            for e in 0..<t.count where t.kind[e] == .liveView && t.target[e] >= 0 && t.account[e] >= 0 {
                live[t.target[e], default: [:]][Int((t.ts[e] - minTs) / Self.hour), default: []].insert(t.account[e])
            }
            self.live = live
        }
        func slot(_ ts: Int64) -> Int { Int((ts - minTs) / Self.hour) }
    }

    /// A room's owner-around slots (farm40, farm41): the owner around (`ownerAround`: an event of
    /// its own in the session before the hour or during it), or two or more accounts outside
    /// `excluding` (the accounts under test) watching it live in the hour — a show is on while
    /// others watch it, whether or not its creator left an event near it — or the room around in
    /// the hour before and one such outside viewer in this one (a show past the owner's session,
    /// its late fans included, is the owner's until its viewers are gone). The accounts under test
    /// keep no room live with their own views (review40e N2): a crew's live-view burst right after
    /// the owner's session, or at an hour of its own, is the owner's absence.
    func roomAround(_ t: EventTable, owner: Int, clock: RoomClock, excluding: Set<Int32>) -> [Bool] {
        let live = clock.live[Int32(owner)] ?? [:]
        var around = [Bool](repeating: false, count: clock.slots)
        for s in 0..<clock.slots {
            let from = clock.minTs + Int64(s) * RoomClock.hour
            var outside = 0
            if let viewers = live[s] {
                for v in viewers where roomOutsideViewers ? !excluding.contains(v) : true { outside += 1; if outside >= 2 { break } }
            }
            let started = roomOutsideViewers && outside >= 2
            around[s] = ownerAround(t, owner: owner, from: from, to: from + RoomClock.hour) || started || (s > 0 && around[s - 1] && outside >= 1)
        }
        return around
    }

    /// One account's away hours in a room tested against the same hours of other days (farm40).
    /// Its away slots are cut into *episodes* (runs of consecutive slots: a session across two clock
    /// hours is one trial, not two). An episode is a hit when in one of its slots `need` or more of
    /// the others (`count`, less the account itself when `counted`) acted there. Under the null an
    /// episode keeps its hours of the day and falls on another day at random (days shuffled, not
    /// hours: visitors who all come in the evening coincide in the evening): its chance is the share
    /// of the whole-day shifts that keep it in away hours and in which it is a hit. Returns the
    /// hits, the episodes and the sum of their chances.
    ///
    /// farm41 (review40e N1): with `weekly`, the episode's chance is the larger of that and the share
    /// of its *other* weeks (the same hours of the same weekday, still away hours) in which two or
    /// more others were there: fans of a weekly show at a fixed hour come together every week at
    /// that hour and at no other, so against other days their company looks rare, against their
    /// other weeks it is the rule. The other weeks only, not the episode's own: over four weeks a
    /// shift null that counts its own week puts every episode's chance at ¼ or more, and a crew's
    /// bursts at hours of their own would never add up; a crew's other weeks at those hours are
    /// empty, a weekly show's are not. With no other week (a span under two) the day shifts alone.
    ///
    /// farm42 (`roomTimetable`): with `activeDays`, a shift counts only onto a day in that set (the
    /// days the room met at all: a room live every other or third day, a weekly show's day), and with
    /// `drift` the shifted episode is busy when others were there up to `drift` hours before or after
    /// its hours (a room's start drifts from day to day). Both only raise the chance: conservative.
    static func episodeTest(mine: Set<Int>, away: [Bool], count: [Int32], counted: Bool, need: Int32, weekly: Bool = true,
                            drift: Int = 0, activeDays: Set<Int>? = nil)
        -> (hits: Int, episodes: Int, expected: Double) {
        let own = mine.sorted()
        func others(_ s: Int) -> Int32 { count[s] - (counted && mine.contains(s) ? 1 : 0) }
        var hits = 0, episodes = 0, expected = 0.0
        var i = 0
        while i < own.count {
            var j = i
            while j + 1 < own.count && own[j + 1] == own[j] + 1 { j += 1 }
            let lo = own[i], hi = own[j]
            episodes += 1
            if (lo...hi).contains(where: { others($0) >= need }) { hits += 1 }
            func chance(_ period: Int, ownShift: Bool) -> Double {
                var valid = 0, busy = 0
                var shift = -(lo / period) * period
                while hi + shift < away.count {
                    if (ownShift || shift != 0) && (lo...hi).allSatisfy({ away[$0 + shift] })
                        && activeDays.map({ $0.contains((lo + shift) / 24) }) ?? true {
                        valid += 1
                        if (lo - drift...hi + drift).contains(where: { $0 + shift >= 0 && $0 + shift < count.count && others($0 + shift) >= need }) { busy += 1 }
                    }
                    shift += period
                }
                return Double(busy) / Double(max(1, valid))
            }
            expected += weekly ? max(chance(24, ownShift: true), chance(168, ownShift: false)) : chance(24, ownShift: true)
            i = j + 1
        }
        return (hits, episodes, expected)
    }

    /// farm42 (`roomTimetable`): a lockstep group's company in one room against the room's own
    /// timetable. A room with no owner event (a show streamed from software, a room whose regulars
    /// come at its hours) gathers its regulars at the same hours on the days it is live, so their
    /// meetings there are as many as the room's days, far beyond a uniform chance over the span, and
    /// its owner is "away" in every one. The null here holds the room's timetable as its members
    /// show it: each member's episodes in the room (every action on it, live views included: here a
    /// view is presence, not the owner's absence) keep their hours and move to the room's other
    /// *active* days (a day on which two or more members were there at some hour), with the hours'
    /// drift of `timetableDriftHours` either side, the hour of the week too (`episodeTest`). A member
    /// is beyond the timetable when the binomial tail of its hits (episodes with two or more others
    /// there) against its average chance, corrected for the group's members, is below 1 in 10 (the
    /// same test as a room crew's attribution). Hours with the owner around by an event of its own
    /// are left out (`ownerAround`). Returns the members beyond the timetable and those tested.
    ///
    /// A farm that bursts on a room at hours of its own leaves each burst's hour empty on the room's
    /// other active days; a room's regulars, a weekly show's families, a fan club every third evening
    /// find company at those hours on most of the room's days. Assumes a farm does not keep a daily
    /// timetable in a room with no owner event (one that does is the room's regulars by this test).
    func timetableCrew(_ t: EventTable, owner: Int, members: [Int32], nItems: Int64, minTs: Int64, maxTs: Int64) -> (beyond: Int, tested: Int) {
        let hour = RoomClock.hour
        let slots = Int((maxTs - minTs) / hour) + 1
        let away = (0..<slots).map { s in !ownerAround(t, owner: owner, from: minTs + Int64(s) * hour, to: minTs + Int64(s + 1) * hour) }
        let room = nItems + Int64(owner)
        return membersBeyondTimetable(t, members: members, minTs: minTs, away: away, activeDaysOnly: true) { e in
            Self.actionTarget(t, e, nItems: nItems) == room
        }
    }

    /// The timetable test of `timetableCrew` and `shopTimetable`: each member's hour slots with an
    /// event `at` accepts (in `away` slots) against the same hours of other days and weeks
    /// (`episodeTest`, drift `timetableDriftHours`; with `activeDaysOnly`, only onto days on which two
    /// or more members were there). Returns the members beyond the timetable and those tested.
    func membersBeyondTimetable(_ t: EventTable, members: [Int32], minTs: Int64, away: [Bool], activeDaysOnly: Bool,
                                at: (Int) -> Bool) -> (beyond: Int, tested: Int) {
        let hour = RoomClock.hour
        let slots = away.count
        var count = [Int32](repeating: 0, count: slots)
        var hoursOf: [Set<Int>] = []
        for a in members {
            var mine = Set<Int>()
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                guard at(e) else { continue }
                let s = Int((t.ts[e] - minTs) / hour)
                if s >= 0 && s < slots && away[s] { mine.insert(s) }
            }
            for s in mine { count[s] += 1 }
            if !mine.isEmpty { hoursOf.append(mine) }
        }
        let need: Int32 = 2
        var active: Set<Int>? = nil
        if activeDaysOnly {
            var days = Set<Int>()
            for s in 0..<slots where count[s] >= need { days.insert(s / 24) }
            active = days
        }
        var beyond = 0
        for mine in hoursOf {
            let e = Self.episodeTest(mine: mine, away: away, count: count, counted: true, need: need, weekly: true,
                                     drift: timetableDriftHours, activeDays: active)
            guard e.hits >= 2, e.episodes > 0 else { continue }
            let p = min(1, e.expected / Double(e.episodes))
            if Significance.surprise(Significance.logBinomialTail(e.hits, e.episodes, p)) - log10(Double(max(1, members.count))) >= 1 { beyond += 1 }
        }
        return (beyond, hoursOf.count)
    }

    /// shop43: a shop crew's company against the shop's timetable as its members keep it. Each
    /// member's hours at the shop (a view or like of one of its listings, an action in the seller's
    /// room) keep their hour of the day
    /// (and of the week) and move to other days (`episodeTest`, a drift of `timetableDriftHours`
    /// either side); an episode is a hit when two or more other members were at the shop in it. A
    /// shop's regulars who come for its daily deal at eight meet there at eight on most days, so a
    /// shifted episode finds company as often as the real one; a farm sent to the shop at hours of
    /// its own leaves those hours empty on other days. A member is beyond the timetable when the
    /// binomial tail of its hits against its average chance, corrected for the group's members, is
    /// below 1 in 10. Assumes a farm does not keep one daily (or weekly) hour at a shop: one that
    /// does is the shop's regulars by this test, as a crowd for a deal at a fixed hour is.
    func shopTimetable(_ t: EventTable, shop: Int32, members: [Int32], minTs: Int64, maxTs: Int64) -> (beyond: Int, tested: Int) {
        let slots = Int((maxTs - minTs) / RoomClock.hour) + 1
        return membersBeyondTimetable(t, members: members, minTs: minTs, away: [Bool](repeating: true, count: slots), activeDaysOnly: false) { e in
            // A view or like of one of its listings, or an action in the seller's room.
            guard let x = Self.actionTarget(t, e, nItems: 0) else { return false }
            let listing = t.item[e] >= 0 && x == Int64(t.item[e]) && Int(t.item[e]) < t.itemSeller.count && t.itemSeller[Int(t.item[e])] == shop
            return listing || (t.item[e] < 0 || x != Int64(t.item[e])) && t.target[e] == shop
        }
    }

    /// A room crew's co-presence against its members' own activity (farm38, farm40). For each room
    /// (an account target), the hours of the data's span in which its owner was not around
    /// (`roomAround`) are the room's *away hours*. Member a acted in the room in kₐ,ₕ of the Dₕ away
    /// hours at hour of the day h. If each member kept its hours of the day and placed them on days
    /// at random (days shuffled, not hours: a room's honest regulars all come in the evening), the
    /// number of away hours in which three or more members act is about Σₕ Dₕ · P(Nₕ ≥ 3), Nₕ the sum
    /// of independent Bernoulli(kₐ,ₕ / Dₕ). Observed: the runs of consecutive such hours (one long
    /// session is one, fewer than its hours: conservative). A crew acts in bursts and its members'
    /// hours coincide; a household's fans come when the owner is live (no away hours), and
    /// strangers who each visit a room now and then coincide as often as chance at those hours.
    ///
    /// Per member (farm39, `roomCrewAttribution`; farm40 episodes and days shuffled): of its away
    /// episodes in the rooms, those in which two or more *other* members acted, against each
    /// episode's chance of that on other days at the same hours (`episodeTest`). `members` holds
    /// (account, hits, episodes, Σ chances) for each member with an away hour.
    func roomCoPresence(_ t: EventTable, rooms: Set<UInt64>, members: [Int32], nItems: Int64, clock: RoomClock, atLeast: Int = 3)
        -> (observed: Int, expected: Double, members: [(account: Int32, hits: Int, hours: Int, expected: Double)],
            rooms: [(room: UInt64, observed: Int, expected: Double)]) {
        var observed = 0
        var expected = 0.0
        var perRoom: [(room: UInt64, observed: Int, expected: Double)] = []
        var perMember: [Int32: (hits: Int, hours: Int, expected: Double)] = [:]
        for room in rooms.sorted() {
            guard let (away, count, hoursOf) = awayHours(t, room: room, members: members, nItems: nItems, clock: clock) else { continue }
            var prev = false, runs = 0
            for s in 0..<clock.slots {
                let busy = away[s] && count[s] >= atLeast
                if busy && !prev { runs += 1 }
                prev = busy
            }
            observed += runs
            // Per hour of the day, P(N < atLeast) for a sum of independent Bernoulli trials. With
            // `roomWeeklyNull` (farm41, review40e N1: a weekly show's fans), an hour of the *week*
            // that `atLeast` or more of them (three; two in the crew's re-test) kept in two weeks or
            // more is a weekly habit: its expectation
            // is the larger of the hour-of-day one and the hour-of-week one (their presence shuffled
            // over that hour's weeks). An hour of the week nobody kept twice is no weekly habit and
            // keeps the hour-of-day expectation: over four weeks a crew's burst at an hour of its own
            // is one of four weeks whatever it is, and shuffling weeks alone would never find it.
            func atLeastChance(_ qs: [Double]) -> Double {
                var p = [1.0] + [Double](repeating: 0, count: atLeast - 1)
                for q in qs { let r = p; p = (0..<atLeast).map { i in r[i] * (1 - q) + (i > 0 ? r[i - 1] * q : 0) } }
                return max(0, 1 - p.reduce(0, +))
            }
            let period = roomWeeklyNull ? 168 : 24
            var dh = [Int](repeating: 0, count: 24), dw = [Int](repeating: 0, count: period)
            for s in 0..<clock.slots where away[s] { dh[s % 24] += 1; dw[s % period] += 1 }
            var qh = [[Double]](repeating: [], count: 24), qw = [[Double]](repeating: [], count: period)
            var kept = [Int](repeating: 0, count: period)
            for (_, mine) in hoursOf {
                var kh = [Int](repeating: 0, count: 24), kw = [Int](repeating: 0, count: period)
                for s in mine { kh[s % 24] += 1; kw[s % period] += 1 }
                for h in 0..<24 where kh[h] > 0 { qh[h].append(Double(kh[h]) / Double(dh[h])) }
                for h in 0..<period where kw[h] > 0 { qw[h].append(Double(kw[h]) / Double(dw[h])); if kw[h] >= 2 { kept[h] += 1 } }
            }
            let byDay = (0..<24).map { atLeastChance(qh[$0]) }
            var roomExpected = 0.0
            for h in 0..<period where dw[h] > 0 {
                let day = byDay[h % 24]
                roomExpected += Double(dw[h]) * (period == 168 && kept[h] >= atLeast ? max(day, atLeastChance(qw[h])) : day)
            }
            expected += roomExpected
            perRoom.append((room, runs, roomExpected))
            for (a, mine) in hoursOf {
                let e = Self.episodeTest(mine: mine, away: away, count: count, counted: true, need: 2, weekly: roomWeeklyNull)
                var x = perMember[a] ?? (0, 0, 0)
                x.hits += e.hits; x.hours += e.episodes; x.expected += e.expected
                perMember[a] = x
            }
        }
        let list = perMember.keys.sorted().map { a in (account: a, hits: perMember[a]!.hits, hours: perMember[a]!.hours, expected: perMember[a]!.expected) }
        return (observed, max(expected, 1e-12), list, perRoom)
    }

    /// One room's away hours (`roomAround` false), how many of `members` acted in the room in
    /// each, and each acting member's own away hours; nil when the room was around in every hour.
    /// Shared by `roomCoPresence` and `roomHours`.
    private func awayHours(_ t: EventTable, room: UInt64, members: [Int32], nItems: Int64, clock: RoomClock)
        -> (away: [Bool], count: [Int32], hoursOf: [(Int32, Set<Int>)])? {
        let away = roomAround(t, owner: Int(Int64(room) - nItems), clock: clock, excluding: Set(members)).map { !$0 }
        guard away.contains(true) else { return nil }
        var count = [Int32](repeating: 0, count: clock.slots)
        var hoursOf: [(Int32, Set<Int>)] = []
        for a in members {
            var mine = Set<Int>()
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                guard awayEvidence(t, e), let target = Self.actionTarget(t, e, nItems: nItems), UInt64(target) == room else { continue }
                let s = clock.slot(t.ts[e])
                if away[s] { mine.insert(s) }
            }
            for s in mine { count[s] += 1 }
            if !mine.isEmpty { hoursOf.append((a, mine)) }
        }
        return (away, count, hoursOf)
    }

    /// Per room, its away hours and how many of `members` acted in each (a room crew's recruits
    /// are tested against them, farm39/farm40: `episodeTest`).
    func roomHours(_ t: EventTable, rooms: Set<UInt64>, members: [Int32], nItems: Int64, clock: RoomClock)
        -> [UInt64: (away: [Bool], count: [Int32])] {
        var out: [UInt64: (away: [Bool], count: [Int32])] = [:]
        for room in rooms.sorted() {
            guard let (away, count, _) = awayHours(t, room: room, members: members, nItems: nItems, clock: clock) else { continue }
            out[room] = (away, count)
        }
        return out
    }

    /// A crew on one or two rooms (account targets: a follow, profile-view or live-view campaign
    /// for one creator or shop). Of an equipment group's meetings (2+ of its accounts on one
    /// target on one day), those on an account target where the group is more than half of that
    /// day's crowd and the room's owner had no event of its own in the session before the
    /// group's first action there (`ownerSessionMs`) and its room not still live in that hour
    /// (`roomAround`, farm40) — its first action other than a live view (farm41b: a meeting of
    /// live views alone is a show watched, not an owner's absence; `awayEvidence`): nil unless there are three or more, on
    /// three days or more. A household's fans at a creator's show are a few of its crowd, and
    /// the creator is live; a small room's regulars come when its owner is there.
    func roomCrewMeetings(_ t: EventTable, _ together: [Int32: Int32], size: (Int32) -> Int, key: (Int32) -> UInt64, days: UInt64,
                          nItems: Int64, minTs: Int64, members: [Int32], day: Int64, clock lazyClock: () -> RoomClock) -> Set<Int32>? {
        var candidates: [UInt64: Int32] = [:]
        for (b, c) in together where 2 * Int(c) > size(b) && Int64(key(b) / days) >= nItems { candidates[key(b)] = b }
        guard candidates.count >= 3 else { return nil }
        // The group's first action in each candidate meeting.
        var first: [UInt64: Int64] = [:]
        for a in members {
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                guard awayEvidence(t, e), let target = Self.actionTarget(t, e, nItems: nItems) else { continue }
                let k = UInt64(target) * days + UInt64((t.ts[e] - minTs) / day)
                guard candidates[k] != nil else { continue }
                if let f = first[k], f <= t.ts[e] { continue }
                first[k] = t.ts[e]
            }
        }
        var own = Set<Int32>(), ownDays = Set<UInt64>()
        var around: [Int: [Bool]] = [:]   // a show past the owner's session, its viewers still there (farm40)
        for (k, b) in candidates {
            guard let at = first[k] else { continue }
            let owner = Int(Int64(k / days) - nItems)
            if ownerAround(t, owner: owner, from: at, to: at + 1) { continue }
            let clock = lazyClock()
            if around[owner] == nil { around[owner] = roomAround(t, owner: owner, clock: clock, excluding: Set(members)) }
            if around[owner]![clock.slot(at)] { continue }
            own.insert(b); ownDays.insert(k % days)
        }
        return own.count >= 3 && ownDays.count >= 3 ? own : nil
    }
}
