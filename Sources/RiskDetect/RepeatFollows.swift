import Foundation

/// How often an account follows an account it already follows, for the anomaly layer
/// (`repeat_follows`, judged like the counts of what an account did — within its peer group, among
/// the followers there, and in a band of one doubling of activity with 50 accounts or more what a
/// tenth of them reach is no outlier (`tenth-spread`) — `Anomaly.compute`):
///
/// - the value is ln(1 + R), R the account's follow events on a target it had followed before in
///   the store's log; missing (−1) for an account with no follow of another account (none at all,
///   none with a target, or only of itself), so only followers are compared. Following oneself is
///   left out: it is no one's audience, and a client that logs it on every visit is no crew.
///
/// A follow is a state, not an act one repeats: a person follows a shop or a creator once, and
/// follows it again only after unfollowing — now and then (on 15 worlds of the independent
/// generator, 3 % of honest followers repeated one follow, 0.1 % two or three, none more). A crew
/// paid per follow is unfollowed (by the client, or by the platform's clean-up) and sent back to
/// the same accounts, burst after burst, from a new address each time: in bazaar 7 nine crowd
/// workers repeated 61 of their 78 follows, and meeting each other on the same target only half
/// the time they formed no lockstep group. Follow-for-follow bots that follow and unfollow for
/// attention do the same.
///
/// What is unusual is decided by the peers' own distribution: a store whose log records every tap
/// of a follow button (a toggle) makes repeats ordinary, its followers' median rises, and the
/// column says nothing there. Assumes a follow's target is an account identifier that stays the
/// same (the data contract's `target_id`).
enum RepeatFollows {
    static let names = ["repeat_follows"]

    /// One value per account; −1 = missing (no follow of another account).
    static func compute(_ t: EventTable) -> [Float] {
        perAccountColumn(t, scratch: { [Int32]() }) { a, targets in
            targets.removeAll(keepingCapacity: true)
            for ev in t.events(of: a) {
                let e = Int(ev)
                if t.kind[e] == .follow, t.target[e] >= 0, Int(t.target[e]) != a { targets.append(t.target[e]) }
            }
            guard !targets.isEmpty else { return nil }
            targets.sort()
            var repeats = 0
            for i in 1..<max(1, targets.count) where targets[i] == targets[i - 1] { repeats += 1 }
            return Float(log1p(Double(repeats)))
        }
    }
}
