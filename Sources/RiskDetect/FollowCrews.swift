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
/// - a follower *repeats in crowds* when it followed the target `minFollows` times or more, on two
///   days or more, and crowded on two days or more (one day's taps on a toggle are not, nor a fan who
///   re-follows now and then on its own);
/// - a target's repeaters are tested against the store: R of its F followers repeat in crowds, where
///   the store's other follower–target pairs do so at rate p (Laplace-smoothed, this target's own
///   pairs left out) — a binomial tail, corrected for the targets tested (log10 of their number). At
///   `bar` or beyond (1 in 100 after the correction), each of its repeaters is a member of a crew.
///
/// Lockstep (`runWindow`) needs members to meet in the same (target, window) bucket several times;
/// a crew of ninety sent over two hours to a creator and its shop, each member choosing one of the
/// two each time, lands in the same 15-minute or one-hour bucket as a given partner a handful of
/// times in a month and forms no group (bazaar 22: 0 of 91). Decided against the store's own rate:
/// a store whose log records every tap of a follow toggle has many repeaters and needs more of a
/// target's followers to say anything. Assumes a follow's target is a stable account identifier (the
/// data contract's `target_id`) and that people who re-follow an account do so at moments of their
/// own, not in the same hour as many others, day after day with the account's owner away (a room with
/// no owner event at all — streaming software, a kept log-in — whose regulars follow it again at
/// each visit, logged per visit, would be reported).
enum FollowCrews {
    struct Member {
        var account: Int32
        var follows: Int
        var days: Int
        var crowdedDays: Int
        var events: [Int32]
    }
    struct Crew {
        var target: Int32
        var followers: Int
        var members: [Member]
        var storeRate: Double
        var surprise: Double
        var targetsTested: Int
    }

    /// `ownerAway(target, ts)`: whether the followed account's owner was away around a follow at `ts`
    /// (nil: always); a follow made while the owner was around is never crowded.
    static func find(_ t: EventTable, halfWindowMs: Int64 = 3_600_000, minFollows: Int = 3, bar: Double = 2,
                     ownerAway: ((Int32, Int64) -> Bool)? = nil) -> [Crew] {
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
        let span = Double(max(1, maxTs - minTs))
        let day: Int64 = 86_400_000
        // Per target: its pairs (follower → events, days, crowded days).
        struct Pair { var events: [Int32] = []; var days = Set<Int64>(); var crowded = Set<Int64>() }
        var targets: [(target: Int32, pairs: [Int32: Pair])] = []
        var pairs = 0, repeaters = 0
        var lo = 0
        while lo < follows.count {
            var hi = lo
            while hi < follows.count && follows[hi].target == follows[lo].target { hi += 1 }
            let n = hi - lo
            let expected = Double(n) * Double(2 * halfWindowMs) / span
            let crowdBar = max(3, Int((4 * expected).rounded(.up)))
            // Distinct accounts within ±halfWindowMs of each follow (a sliding window over the slice).
            var inWindow: [Int32: Int] = [:]
            var left = lo, right = lo
            var byAccount: [Int32: Pair] = [:]
            for i in lo..<hi {
                let ts = follows[i].ts
                while right < hi && follows[right].ts <= ts + halfWindowMs { inWindow[follows[right].account, default: 0] += 1; right += 1 }
                while follows[left].ts < ts - halfWindowMs {
                    let a = follows[left].account
                    if inWindow[a] == 1 { inWindow[a] = nil } else { inWindow[a]! -= 1 }
                    left += 1
                }
                let others = inWindow.count - 1
                let a = follows[i].account
                byAccount[a, default: Pair()].events.append(follows[i].event)
                byAccount[a]!.days.insert(ts / day)
                if others >= crowdBar && ownerAway?(follows[i].target, ts) ?? true { byAccount[a]!.crowded.insert(ts / day) }
            }
            pairs += byAccount.count
            for p in byAccount.values where repeatsInCrowds(p.events.count, p.days.count, p.crowded.count, minFollows: minFollows) { repeaters += 1 }
            targets.append((follows[lo].target, byAccount))
            lo = hi
        }
        let correction = log10(Double(max(1, targets.count)))
        var crews: [Crew] = []
        for (target, byAccount) in targets {
            let members = byAccount.filter { repeatsInCrowds($0.value.events.count, $0.value.days.count, $0.value.crowded.count, minFollows: minFollows) }
            let r = members.count, f = byAccount.count
            guard r >= 3 else { continue }
            // The store's rate without this target's own pairs (Laplace's +1 / +2).
            let p = (Double(repeaters - r) + 1) / (Double(pairs - f) + 2)
            let s = Significance.surprise(Significance.logBinomialTail(r, f, p)) - correction
            guard s >= bar else { continue }
            crews.append(Crew(target: target, followers: f,
                              members: members.map { Member(account: $0.key, follows: $0.value.events.count, days: $0.value.days.count,
                                                            crowdedDays: $0.value.crowded.count, events: $0.value.events) }
                                  .sorted { $0.account < $1.account },
                              storeRate: p, surprise: s, targetsTested: targets.count))
        }
        return crews.sorted { $0.target < $1.target }
    }

    /// A follower repeats in crowds: `minFollows` follows or more of one target, on two days or more,
    /// crowded on two days or more.
    static func repeatsInCrowds(_ follows: Int, _ days: Int, _ crowdedDays: Int, minFollows: Int) -> Bool {
        follows >= minFollows && days >= 2 && crowdedDays >= 2
    }
}

extension ClickFarmDetector {
    /// follow-crews: the members of each crew `FollowCrews.find` reports, as click-farm findings of
    /// one group per followed account (merged with any lockstep group they share accounts with).
    func followCrewFindings(_ t: EventTable) -> [Finding] {
        var out: [Finding] = []
        let half: Int64 = 3_600_000
        let crews = FollowCrews.find(t, halfWindowMs: half) { target, ts in
            !ownerAround(t, owner: Int(target), from: ts - half, to: ts + half)
        }
        for (k, crew) in crews.enumerated() {
            let target = t.accountID(crew.target)
            let chance = crew.surprise + log10(Double(max(1, crew.targetsTested)))
            debugLog?("follow crew \(k + 1): \(crew.members.count) of \(target)'s \(crew.followers) followers repeat in crowds (store's rate \(String(format: "%.4f", crew.storeRate))), surprise \(String(format: "%.1f", crew.surprise))")
            // Surer the further past the bar, and the more crowded days its members kept.
            let base = 0.45 + 0.2 * Stat.ramp(crew.surprise, 2, 12)
            let ids = crew.members.map(\.account)
            for m in crew.members {
                let strength = min(0.9, base + 0.15 * Stat.ramp(Double(m.crowdedDays), 2, 6))
                let why = "followed \(target) \(m.follows) times on \(m.days) days, on \(m.crowdedDays) of them in a crowd of its followers within the hour; "
                    + "\(crew.members.count) of its \(crew.followers) followers did the same (the store's follower pairs: \(String(format: "%.1f", 100 * crew.storeRate)) %), "
                    + "chance 1 in 10^\(Int(chance.rounded(.down))) over \(crew.targetsTested) followed accounts"
                out.append(Finding(account: m.account, detector: name, riskType: .clickFarm, strength: strength, reason: why,
                                   events: m.events.prefix(200).map { t.rowid[Int($0)] },
                                   linked: ids.filter { $0 != m.account }.prefix(50).map { t.accountID($0) },
                                   group: "follow-crew-\(k + 1)"))
            }
        }
        return out
    }
}
