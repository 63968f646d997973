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
///   tested, is below 1 in 10.
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
            let expected = (sumN * sumN - sumN2) / 2 * collision
            let label = g.isDevice ? "device \(t.devices.string(g.id))" : "IP \(t.ips.string(g.id))"
            if met.count >= 3 {
                let s = Significance.surprise(Significance.logPoissonTail(met.count, expected)) - log10(tested)
                if let debugLog {
                    debugLog("identifier group (\(g.isDevice ? "device" : "IP")): \(g.members.count) accounts met on \(met.count) targets, expected \(String(format: "%.3f", expected)), surprise \(String(format: "%.1f", s))")
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
                                                                      members: g.members, day: day) else { continue }
            let rooms = Set(own.map { bucketKey[Int($0)] / days })
            let co = roomCoPresence(t, rooms: rooms, members: g.members, nItems: nItems, minTs: minTs, maxTs: maxTs)
            let s = Significance.surprise(Significance.logPoissonTail(co.observed, co.expected)) - log10(tested)
            debugLog?("identifier group (\(g.isDevice ? "device" : "IP")): \(g.members.count) accounts met on \(met.count) targets, \(own.count) of \(meetings.count) meetings in \(rooms.count) rooms most of the room's crowd with its owner away; \(co.observed) away hours with 3+ of them, expected \(String(format: "%.3f", co.expected)) from their own hours, surprise \(String(format: "%.1f", s))")
            guard s >= 1 else { continue }
            guard roomCrewAttribution else {
                seeds.append(Seed(members: g.members, meetings: own, surprise: s, label: label, together: together.filter { own.contains($0.key) }, room: true))
                continue
            }
            // Attribution (farm39): the exit is not evidence, its members' own coincidences are. A
            // member is of the crew when its away hours fell among the hours two or more others were
            // there far more often than its own hours placed at random would: binomial tail with the
            // member's average rate (Σkₐfₐ / Σkₐ; Hoeffding: the tail of a sum of unequal Bernoullis is
            // at most the binomial's with their mean rate), corrected for the group's members. The
            // crew's seed is those members, and its meetings those where two or more of them met.
            let crew = co.members.filter { m in
                guard m.hits >= 2 else { return false }
                let p = m.expected / Double(max(1, m.hours))
                return Significance.surprise(Significance.logBinomialTail(m.hits, m.hours, p)) - log10(Double(g.members.count)) >= 1
            }.map(\.account)
            debugLog?("identifier group (\(g.isDevice ? "device" : "IP")): \(g.members.count) accounts, room crew attribution: \(crew.count) coincide beyond their own hours and the others' (of \(co.members.count) with away hours; hours in company / own away hours / expected: \(co.members.filter { $0.hits > 0 }.prefix(40).map { "\($0.hits)/\($0.hours)/\(String(format: "%.2f", $0.expected))" }.joined(separator: " ")))")
            guard crew.count >= 3 else { continue }
            var crewTogether: [Int32: Int32] = [:]
            for a in crew { for q in Int(accStart[Int(a)])..<Int(accStart[Int(a) + 1]) where own.contains(accBuckets[q]) { crewTogether[accBuckets[q], default: 0] += 1 } }
            crewTogether = crewTogether.filter { $0.value >= 2 }
            guard !crewTogether.isEmpty else { continue }
            seeds.append(Seed(members: crew, meetings: Set(crewTogether.keys), surprise: s, label: label, together: crewTogether, room: true))
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
                        why[a] = (strength, "shares a \(seeds[s].label) with \(seeds[s].members.count - 1) accounts that acted on the same target on the same day \(seeds[s].meetings.count) times (chance 1 in 10^\(Int((seeds[s].surprise + log10(tested)).rounded())))")
                    }
                }
            }
            let roomFarm = ss.allSatisfy { seeds[$0].room }
            for _ in 0..<3 {
                try cancel.check()
                var linked = Set<Int32>()
                for a in members {
                    for e32 in t.events(of: Int(a)) where t.device[Int(e32)] >= 0 {
                        for b in deviceAccounts[t.device[Int(e32)]] ?? [] where !members.contains(b) { linked.insert(b) }
                    }
                }
                var crowd = 0.0
                for b in jobs { crowd += Double(bucketSize[Int(b)]) }
                let chance = crowd / Double(max(1, active))
                // A room crew's rooms: per room, its away hours and how many members acted in each.
                var crewHours: [UInt64: (away: [Bool], count: [Int32], rate: Double)]? = nil
                if roomFarm && roomCrewAttribution {
                    let rooms = Set(jobs.map { target($0) }.filter { $0 >= UInt64(nItems) })
                    crewHours = roomHours(t, rooms: rooms, members: members.sorted(), nItems: nItems, minTs: minTs, maxTs: maxTs)
                }
                var joinedNow: [(Int32, Double, Int, Int)] = []
                for a in 0..<n where !members.contains(Int32(a)) && actions(a) > 0 {
                    var hits = 0
                    var tg = Set<UInt64>()
                    // A room crew's jobs spread over days, not targets.
                    for q in Int(accStart[a])..<Int(accStart[a + 1]) where jobs.contains(accBuckets[q]) {
                        hits += 1; tg.insert(roomFarm ? bucketKey[Int(accBuckets[q])] % days : target(accBuckets[q]))
                    }
                    let onDevice = linked.contains(Int32(a))
                    guard hits >= (onDevice ? 1 : 2), tg.count >= min(3, hits) else { continue }
                    // A room crew's recruit (farm39) is tested as its members were: its away hours in
                    // the crew's rooms against the hours two or more members were there (binomial with
                    // its average rate, corrected for the accounts that could have). Days alone are not
                    // evidence: a room's regular visitor shares the crew's days, not its hours.
                    if roomFarm && roomCrewAttribution {
                        guard let h = crewHours else { continue }
                        var hours = 0, inCrew = 0, expected = 0.0
                        var seen = Set<UInt64>()
                        for e32 in t.events(of: a) {
                            let e = Int(e32)
                            guard let x = Self.actionTarget(t, e, nItems: nItems), let r = h[UInt64(x)] else { continue }
                            let slot = Int((t.ts[e] - minTs) / 3_600_000)
                            guard r.away[slot], seen.insert(UInt64(x) << 20 | UInt64(slot)).inserted else { continue }
                            hours += 1; expected += r.rate
                            if r.count[slot] >= 2 { inCrew += 1 }
                        }
                        guard inCrew >= (onDevice ? 1 : 2) else { continue }
                        let s = Significance.surprise(Significance.logBinomialTail(inCrew, hours, expected / Double(hours)))
                            - log10(onDevice ? Double(max(1, linked.count)) : Double(active))
                        if s >= 1 { joinedNow.append((Int32(a), s, inCrew, tg.count)) }
                        continue
                    }
                    let lambda = chance * min(10, max(0.1, Double(actions(a)) / mean))
                    let s = Significance.surprise(Significance.logPoissonTail(hits, lambda)) - log10(onDevice ? Double(max(1, linked.count)) : Double(active))
                    if s >= 1 { joinedNow.append((Int32(a), s, hits, tg.count)) }
                }
                if joinedNow.isEmpty { break }
                for (a, s, hits, tgs) in joinedNow {
                    members.insert(a)
                    let strength = min(0.85, 0.5 + 0.35 * Stat.ramp(s, 1, 5)) * (0.8 + 0.2 * Stat.ramp(seedSurprise, 1, 6))
                    why[a] = (strength, "joined \(hits) of the jobs of an equipment-sharing group (same target, same day) on \(tgs) \(roomFarm ? "days" : "targets"); chance 1 in 10^\(Int(s.rounded()))\(linked.contains(a) ? "; on a device the group uses" : "")")
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

    /// A room crew's co-presence against its members' own activity (farm38). For each room (an
    /// account target), the hours of the data's span in which the room's owner was not around
    /// (`ownerAround`: no event of the owner in the session before the hour or during it) are the
    /// room's *away hours* (D of them); member a acted in the room in kₐ of them. If each member
    /// placed its kₐ hours at random among the D (a permutation of its own hours: how active it is
    /// there is kept, when is not), the number of away hours in which three or more members act is
    /// about D · P(N ≥ 3), N the sum of independent Bernoulli(kₐ / D). Observed: those hours
    /// counted. A crew acts in bursts and its members' hours coincide; a household's fans come when
    /// the owner is live (no away hours), and strangers who each visit a room now and then
    /// coincide as often as chance.
    ///
    /// Per member (farm39, `roomCrewAttribution`): of its kₐ away hours, cₐ are hours in which two
    /// or more *other* members acted too; against the share fₐ of the room's away hours in which two
    /// or more others acted (the others' hours as they are: a busy exit's crowd and a crew's bursts
    /// both counted), kₐ hours placed at random land in about kₐ · fₐ of them. Summed over the
    /// rooms, `members` holds (account, cₐ, Σkₐ, Σkₐ·fₐ) for each member with an away hour.
    func roomCoPresence(_ t: EventTable, rooms: Set<UInt64>, members: [Int32], nItems: Int64, minTs: Int64, maxTs: Int64)
        -> (observed: Int, expected: Double, members: [(account: Int32, hits: Int, hours: Int, expected: Double)]) {
        let hour: Int64 = 3_600_000
        let slots = Int((maxTs - minTs) / hour) + 1
        var observed = 0
        var expected = 0.0
        var perMember: [Int32: (hits: Int, hours: Int, expected: Double)] = [:]
        for room in rooms.sorted() {
            guard let (away, d, count, hoursOf) = awayHours(t, room: room, members: members, nItems: nItems, minTs: minTs, slots: slots)
            else { continue }
            observed += count.reduce(0) { $0 + ($1 >= 3 ? 1 : 0) }
            // P(N ≤ 2) for a sum of independent Bernoulli trials.
            var p = [1.0, 0.0, 0.0]
            for (_, mine) in hoursOf {
                let q = Double(mine.count) / Double(d)
                p = [p[0] * (1 - q), p[1] * (1 - q) + p[0] * q, p[2] * (1 - q) + p[1] * q]
            }
            expected += Double(d) * max(0, 1 - p[0] - p[1] - p[2])
            // Away hours with two or more others beside a member: those with ≥ 3 members where it
            // acted, ≥ 2 where it did not — every hour with ≥ 2 but those where it was one of two.
            let atLeast2 = (0..<slots).reduce(0) { $0 + (away[$1] && count[$1] >= 2 ? 1 : 0) }
            for (a, mine) in hoursOf {
                var hits = 0, mineAt2 = 0
                for s in mine { if count[s] >= 3 { hits += 1 }; if count[s] == 2 { mineAt2 += 1 } }
                let f = Double(atLeast2 - mineAt2) / Double(d)
                var x = perMember[a] ?? (0, 0, 0)
                x.hits += hits; x.hours += mine.count; x.expected += Double(mine.count) * f
                perMember[a] = x
            }
        }
        let list = perMember.keys.sorted().map { a in (account: a, hits: perMember[a]!.hits, hours: perMember[a]!.hours, expected: perMember[a]!.expected) }
        return (observed, max(expected, 1e-12), list)
    }

    /// One room's away hours (`ownerAround` false: the owner not around), how many there are, how
    /// many of `members` acted in the room in each, and each acting member's own away hours; nil
    /// when the owner was around in every hour. Shared by `roomCoPresence` and `roomHours`.
    private func awayHours(_ t: EventTable, room: UInt64, members: [Int32], nItems: Int64, minTs: Int64, slots: Int)
        -> (away: [Bool], d: Int, count: [Int32], hoursOf: [(Int32, Set<Int>)])? {
        let hour: Int64 = 3_600_000
        let owner = Int(Int64(room) - nItems)
        let away = (0..<slots).map { s in !ownerAround(t, owner: owner, from: minTs + Int64(s) * hour, to: minTs + Int64(s + 1) * hour) }
        let d = away.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard d > 0 else { return nil }
        var count = [Int32](repeating: 0, count: slots)
        var hoursOf: [(Int32, Set<Int>)] = []
        for a in members {
            var mine = Set<Int>()
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                guard let target = Self.actionTarget(t, e, nItems: nItems), UInt64(target) == room else { continue }
                let s = Int((t.ts[e] - minTs) / hour)
                if away[s] { mine.insert(s) }
            }
            for s in mine { count[s] += 1 }
            if !mine.isEmpty { hoursOf.append((a, mine)) }
        }
        return (away, d, count, hoursOf)
    }

    /// Per room, its away hours, how many of `members` acted in each, and the share of away hours
    /// with two or more of them (a room crew's recruits are tested against it, farm39).
    func roomHours(_ t: EventTable, rooms: Set<UInt64>, members: [Int32], nItems: Int64, minTs: Int64, maxTs: Int64)
        -> [UInt64: (away: [Bool], count: [Int32], rate: Double)] {
        let hour: Int64 = 3_600_000
        let slots = Int((maxTs - minTs) / hour) + 1
        var out: [UInt64: (away: [Bool], count: [Int32], rate: Double)] = [:]
        for room in rooms.sorted() {
            guard let (away, d, count, _) = awayHours(t, room: room, members: members, nItems: nItems, minTs: minTs, slots: slots)
            else { continue }
            let busy = (0..<slots).reduce(0) { $0 + (away[$1] && count[$1] >= 2 ? 1 : 0) }
            out[room] = (away, count, Double(busy) / Double(d))
        }
        return out
    }

    /// A crew on one or two rooms (account targets: a follow, profile-view or live-view campaign
    /// for one creator or shop). Of an equipment group's meetings (2+ of its accounts on one
    /// target on one day), those on an account target where the group is more than half of that
    /// day's crowd and the room's owner had no event of its own in the session before the
    /// group's first action there (`ownerSessionMs`): nil unless there are three or more, on
    /// three days or more. A household's fans at a creator's show are a few of its crowd, and
    /// the creator is live; a small room's regulars come when its owner is there.
    func roomCrewMeetings(_ t: EventTable, _ together: [Int32: Int32], size: (Int32) -> Int, key: (Int32) -> UInt64, days: UInt64,
                          nItems: Int64, minTs: Int64, members: [Int32], day: Int64) -> Set<Int32>? {
        var candidates: [UInt64: Int32] = [:]
        for (b, c) in together where 2 * Int(c) > size(b) && Int64(key(b) / days) >= nItems { candidates[key(b)] = b }
        guard candidates.count >= 3 else { return nil }
        // The group's first action in each candidate meeting.
        var first: [UInt64: Int64] = [:]
        for a in members {
            for e32 in t.events(of: Int(a)) {
                let e = Int(e32)
                guard let target = Self.actionTarget(t, e, nItems: nItems) else { continue }
                let k = UInt64(target) * days + UInt64((t.ts[e] - minTs) / day)
                guard candidates[k] != nil else { continue }
                if let f = first[k], f <= t.ts[e] { continue }
                first[k] = t.ts[e]
            }
        }
        var own = Set<Int32>(), ownDays = Set<UInt64>()
        for (k, b) in candidates {
            guard let at = first[k] else { continue }
            if ownerAround(t, owner: Int(Int64(k / days) - nItems), from: at, to: at + 1) { continue }
            own.insert(b); ownDays.insert(k % days)
        }
        return own.count >= 3 && ownDays.count >= 3 ? own : nil
    }
}
