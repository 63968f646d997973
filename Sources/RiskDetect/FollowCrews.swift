import Foundation

/// follow-crews (session 74; `ClickFarmDetector.followCrews`, `detect --no-sign follow-crews`): a crew
/// sent to follow one account, burst after burst, found from the followed account's side.
///
/// A follow is a state a person sets once; a crew paid per follow is sent back to the same client
/// whenever its follows are cleaned up, and all of it at once. So, per followed account (the target):
///
/// - a follow is *crowded* when, within `halfWindowMs` either side of it, at least
///   max(3, 4 × expected) other accounts followed the same target, expected being the target's own
///   follows spread evenly over the store's span (a popular account's steady trickle is not a crowd),
///   and the followed account's owner was away (no event of its own in the session before the hour
///   either side, nor during it: `ClickFarmDetector.ownerAround`) — fans who follow a creator again
///   at each of its shows, in a store that logs a follow per visit, follow while it is live;
/// - a follower *repeats in crowds* when it followed the target `minFollows` (3) times or more, and
///   crowded on two *occasions* — follows at least `occasionGapMs` (12 hours) apart — or more, at hours
///   of the day four or more apart (`ClickFarmDetector.offTimetable`, as away-pairs): one burst of taps
///   on a toggle is one occasion, across midnight too; a fan who re-follows now and then on its own is
///   seldom in a crowd; a room's regulars who come at its hour, all of them on some evenings, are on its
///   timetable (a crew always sent at one hour is too, and left to the lockstep tests);
/// - a target's repeaters are tested against the store: R (3 or more) of its F followers repeat in
///   crowds, where the store's other follower–target pairs do so at rate p (Laplace-smoothed, this
///   target's own pairs left out) — a binomial tail, less log10 of the targets tested. Only targets
///   with more followers than their crowd bar can have a crowd at all, so only they are tested and
///   only their pairs make p (a store's thousands of one-follower accounts would otherwise dilute
///   it). At `bar` or beyond (1 in 100 after the correction), each repeater is a member of a crew;
/// - crews that share `minShared` (3) members are one client's (a creator and its shop), and an account
///   that repeats in crowds over their targets together (its follows of them counted as of one target:
///   two of the creator and one of the shop) is a member too.
///
/// Lockstep (`runWindow`) needs members to meet in the same (target, window) bucket several times;
/// a crew of ninety sent over two hours to a creator and its shop, each member choosing one of the
/// two each time, lands in the same 15-minute or one-hour bucket as a given partner a handful of
/// times in a month and forms no group (bazaar 22: 0 of 91). Decided against the store's own rate:
/// a store whose log records every tap of a follow toggle has many repeaters and needs more of a
/// target's followers to say anything. Assumes a follow's target is a stable account identifier (the
/// data contract's `target_id`) and that people who re-follow an account do so at moments of their
/// own, not in the same hour as many others, on several occasions at different hours with the
/// account's owner away (a room with no owner event at all — streaming software, a kept log-in — whose
/// regulars follow it again at any hour, logged per visit, can be reported: the test then rests on how
/// many more of its followers do so than of the store's).
enum FollowCrews {
    struct Member {
        var account: Int32
        var follows: Int
        /// Occasions (follows `occasionGapMs` apart) among its follows, and among its crowded follows.
        var occasions: Int
        var crowdedOccasions: Int
        var events: [Int32]
    }
    struct Crew {
        var target: Int32
        var followers: Int
        var members: [Member]
        var storeRate: Double
        var surprise: Double
        var targetsTested: Int
        /// The other targets of its client (crews sharing `minShared` members with it, transitively), and
        /// the accounts that repeat in crowds only over those targets together.
        var partners: [Int32] = []
        var joined: [Member] = []
    }

    /// Crews of one client: two targets' crews that share this many members are one crew (`find`).
    static let minShared = 3
    /// Two follows are separate occasions when at least this far apart (a burst across midnight is one).
    static let occasionGapMs: Int64 = 12 * 3_600_000

    /// `ownerAway(target, ts)`: whether the followed account's owner was away around a follow at `ts`
    /// (nil: always); a follow made while the owner was around is never crowded.
    static func find(_ t: EventTable, halfWindowMs: Int64 = 3_600_000, minFollows: Int = 3, bar: Double = 2,
                     ownerAway: ((Int32, Int64) -> Bool)? = nil) -> [Crew] {
        guard halfWindowMs > 0 else { return [] }
        // (target, ts, account, event) of every follow of another account, by target and time.
        var follows: [(target: Int32, ts: Int64, account: Int32, event: Int32)] = []
        var minTs = Int64.max, maxTs = Int64.min
        for e in 0..<t.count {
            minTs = min(minTs, t.ts[e]); maxTs = max(maxTs, t.ts[e])
            guard t.kind[e] == .follow, t.target[e] >= 0, t.account[e] >= 0, t.target[e] != t.account[e] else { continue }
            follows.append((t.target[e], t.ts[e], t.account[e], Int32(e)))
        }
        guard follows.count >= minFollows else { return [] }
        follows.sort { ($0.target, $0.ts, $0.account) < ($1.target, $1.ts, $1.account) }
        let span = max(1, Double(maxTs) - Double(minTs))
        // ts ± the window, saturating (no overflow at the ends of Int64).
        func plus(_ a: Int64, _ b: Int64) -> Int64 { let (r, o) = a.addingReportingOverflow(b); return o ? (b > 0 ? .max : .min) : r }
        // Per target with room for a crowd: its pairs (follower → follows, their times, crowded times).
        var targets: [(target: Int32, pairs: [Int32: Pair], repeaters: [Int32])] = []
        var pairs = 0, repeaters = 0
        var lo = 0
        while lo < follows.count {
            var hi = lo
            while hi < follows.count && follows[hi].target == follows[lo].target { hi += 1 }
            defer { lo = hi }
            let expected = Double(hi - lo) * 2 * Double(halfWindowMs) / span
            let crowdBar = max(3, Int(min(1e9, (4 * expected).rounded(.up))))
            var byAccount: [Int32: Pair] = [:]
            for i in lo..<hi { byAccount[follows[i].account, default: Pair()].events.append(follows[i].event) }
            // A crowd needs crowdBar others: a target with no more followers than that can have none.
            guard byAccount.count > crowdBar else { continue }
            // Distinct accounts within ±halfWindowMs of each follow (a sliding window over the slice).
            var inWindow: [Int32: Int] = [:]
            var left = lo, right = lo
            for i in lo..<hi {
                let ts = follows[i].ts
                while right < hi && follows[right].ts <= plus(ts, halfWindowMs) { inWindow[follows[right].account, default: 0] += 1; right += 1 }
                while follows[left].ts < plus(ts, -halfWindowMs) {
                    let a = follows[left].account
                    if inWindow[a] == 1 { inWindow[a] = nil } else { inWindow[a]! -= 1 }
                    left += 1
                }
                let a = follows[i].account
                byAccount[a]!.times.append(ts)
                if inWindow.count - 1 >= crowdBar && ownerAway?(follows[i].target, ts) ?? true { byAccount[a]!.crowded.append(ts) }
            }
            // Each pair judged once: its target's repeaters, and the store's count.
            let reps = byAccount.filter { repeatsInCrowds($0.value, minFollows: minFollows) }.keys.sorted()
            pairs += byAccount.count
            repeaters += reps.count
            targets.append((follows[lo].target, byAccount, reps))
        }
        let correction = log10(Double(max(1, targets.count)))
        func member(_ a: Int32, _ p: Pair) -> Member {
            Member(account: a, follows: p.events.count, occasions: occasions(p.times), crowdedOccasions: occasions(p.crowded), events: p.events.sorted())
        }
        var crews: [Crew] = []
        for (target, byAccount, reps) in targets {
            let r = reps.count, f = byAccount.count
            guard r >= 3 else { continue }
            // The store's rate without this target's own pairs (Laplace's +1 / +2).
            let p = (Double(repeaters - r) + 1) / (Double(pairs - f) + 2)
            let s = Significance.surprise(Significance.logBinomialTail(r, f, p)) - correction
            guard s >= bar else { continue }
            crews.append(Crew(target: target, followers: f, members: reps.map { member($0, byAccount[$0]!) },
                              storeRate: p, surprise: s, targetsTested: targets.count))
        }
        crews.sort { $0.target < $1.target }
        // One client, several targets (a creator and its shop): crews that share `minShared` members are
        // one crew, and an account that repeats in crowds over their targets together — its follows of
        // them counted as of one — is a member too (held by the crew of the target it followed most).
        var ds = DisjointSet(crews.count)
        var crewsOf: [Int32: [Int]] = [:]
        for (c, crew) in crews.enumerated() { for m in crew.members { crewsOf[m.account, default: []].append(c) } }
        var shared: [UInt64: Int] = [:]
        for cs in crewsOf.values where cs.count >= 2 {
            for i in cs.indices { for j in cs.indices where j > i { shared[UInt64(cs[i]) << 32 | UInt64(cs[j]), default: 0] += 1 } }
        }
        for (k, n) in shared where n >= minShared { ds.union(Int32(k >> 32), Int32(k & 0xFFFF_FFFF)) }
        var unions: [Int32: [Int]] = [:]
        for c in crews.indices { unions[ds.find(Int32(c)), default: []].append(c) }
        let pairsOf = Dictionary(uniqueKeysWithValues: targets.map { ($0.target, $0.pairs) })
        for cs in unions.values where cs.count >= 2 {
            let ts = cs.map { crews[$0].target }
            for c in cs { crews[c].partners = ts.filter { $0 != crews[c].target } }
            let members = Set(cs.flatMap { crews[$0].members.map(\.account) })
            var merged: [Int32: (pair: Pair, most: (follows: Int, crew: Int))] = [:]
            for c in cs {
                for (a, p) in pairsOf[crews[c].target] ?? [:] where !members.contains(a) {
                    var m = merged[a] ?? (Pair(), (0, c))
                    m.pair.events += p.events; m.pair.times += p.times; m.pair.crowded += p.crowded
                    if p.events.count > m.most.follows || (p.events.count == m.most.follows && c < m.most.crew) { m.most = (p.events.count, c) }
                    merged[a] = m
                }
            }
            for (a, m) in merged.sorted(by: { $0.key < $1.key }) where repeatsInCrowds(m.pair, minFollows: minFollows) {
                crews[m.most.crew].joined.append(member(a, m.pair))
            }
        }
        return crews
    }

    /// One follower's follows of one target (or of a client's targets together).
    struct Pair { var events: [Int32] = []; var times: [Int64] = []; var crowded: [Int64] = [] }
    private static func repeatsInCrowds(_ p: Pair, minFollows: Int) -> Bool {
        repeatsInCrowds(follows: p.events.count, crowded: p.crowded, minFollows: minFollows)
    }

    /// A follower repeats in crowds: `minFollows` follows or more of one target, crowded on two occasions
    /// or more (`occasions` of its crowded follows' times).
    static func repeatsInCrowds(follows: Int, crowded: [Int64], minFollows: Int) -> Bool {
        follows >= minFollows && occasions(crowded) >= 2 && ClickFarmDetector.offTimetable(hours(crowded))
    }

    /// The hours of the day (UTC) of `times`, as bits (bit h = hour h).
    static func hours(_ times: [Int64]) -> UInt32 {
        times.reduce(UInt32(0)) { $0 | ClickFarmDetector.hourBit($1) }
    }

    /// How many occasions `times` hold: counted greedily in time order, a time at least `occasionGapMs`
    /// after the last counted one opens the next.
    static func occasions(_ times: [Int64]) -> Int {
        var n = 0, next = Int64.min
        for x in times.sorted() where x >= next {
            n += 1
            let (r, o) = x.addingReportingOverflow(occasionGapMs)
            next = o ? .max : r
            if o { break }
        }
        return n
    }
}

extension ClickFarmDetector {
    /// follow-crews: the members of each crew `FollowCrews.find` reports (its own repeaters, and those
    /// over its client's targets together), as click-farm findings of one group per followed account;
    /// `run()` merges it with any group of its other passes that shares an account.
    func followCrewFindings(_ t: EventTable) -> [Finding] {
        var out: [Finding] = []
        let half: Int64 = 3_600_000
        let crews = FollowCrews.find(t, halfWindowMs: half) { target, ts in
            !ownerAround(t, owner: Int(target), from: ts > Int64.min + half ? ts - half : .min, to: ts < Int64.max - half ? ts + half : .max)
        }
        for (k, crew) in crews.enumerated() {
            let target = t.accountID(crew.target)
            let chance = crew.surprise + log10(Double(max(1, crew.targetsTested)))
            let also = crew.partners.map { t.accountID($0) }
            debugLog?("follow crew \(k + 1): \(crew.members.count) of \(target)'s \(crew.followers) followers repeat in crowds (store's rate \(String(format: "%.4f", crew.storeRate))), surprise \(String(format: "%.1f", crew.surprise)); \(crew.joined.count) more over its client's targets with \(also)")
            // Surer the further past the bar (0.45…0.65), and the more crowded occasions a member kept (+0…0.15).
            let base = 0.45 + 0.2 * Stat.ramp(crew.surprise, 2, 12)
            let ids = (crew.members + crew.joined).map(\.account)
            let own = Set(crew.members.map(\.account))
            for m in crew.members + crew.joined {
                let strength = base + 0.15 * Stat.ramp(Double(m.crowdedOccasions), 2, 6)
                let whom = own.contains(m.account) ? target : ([target] + also).joined(separator: " and ")
                let why = "followed \(whom) \(m.follows) times on \(m.occasions) occasions half a day or more apart, on \(m.crowdedOccasions) of them in a crowd of its followers within the hour with the owner away; "
                    + "\(crew.members.count) of \(target)'s \(crew.followers) followers did the same (the store's follower pairs: \(String(format: "%.1f", 100 * crew.storeRate)) %), "
                    + "chance 1 in 10^\(Int(chance.rounded(.down))) over \(crew.targetsTested) followed accounts"
                    + (also.isEmpty ? "" : "; one crew with the followers of \(also.joined(separator: ", "))")
                out.append(Finding(account: m.account, detector: name, riskType: .clickFarm, strength: strength, reason: why,
                                   events: m.events.prefix(200).map { t.rowid[Int($0)] },
                                   linked: ids.lazy.filter { $0 != m.account }.prefix(50).map { t.accountID($0) },
                                   group: "follow-crew-\(k + 1)"))
            }
        }
        return out
    }
}
