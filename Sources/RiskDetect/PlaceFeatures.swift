import Foundation

/// Where an account acts from, against where it says it lives, for the anomaly layer (judged
/// within peer groups like every behaviour feature, and counted only beyond chance):
///
/// - `abroad_share`: the share of the account's events that carry a country other than its
///   profile's (the accounts file's `country`), among its events that carry one, failed log-ins
///   left out — a failed log-in is someone trying the account, not the account acting
///   (`own-logins`); a declined payment is the account acting and counts. Missing (−1) when the
///   profile has no country or no event of the account carries one, so a store without
///   profiles or without geolocated events is not judged on it.
///
/// What is unusual is the peers' own distribution: people mostly act from home (bazaar 4300:
/// 0.6 % of honest accounts with three events or more act from abroad half the time or more),
/// and a traveller's week away is a part of its activity, so only a share far from the peers'
/// (robust z beyond 1–3, scale floored at 0.3) counts. A crowd worker, a proxy-fronted takeover,
/// a farm phone abroad act from elsewhere nearly always. Assumes the profile country is where
/// the account's owner lives and that an event's country is where it was made (IP geolocation);
/// a store whose profiles are stale (people who moved) or whose events are geolocated by a
/// proxy's exit makes the share noise, and the peers' distribution then says it is ordinary.
enum PlaceFeatures {
    static let names = ["abroad_share"]

    /// Row-major, `accountCount × names.count`; −1 = missing.
    static func compute(_ t: EventTable) -> [Float] {
        perAccountColumn(t, scratch: { () }) { a, _ in
            let home = a < t.homeCountry.count ? t.homeCountry[a] : -1
            guard home >= 0 else { return nil }
            var placed = 0, abroad = 0
            for ev in t.events(of: a) {
                let e = Int(ev)
                let c = t.country[e]
                guard c >= 0, !(t.kind[e] == .login && e < t.failed.count && t.failed[e]) else { continue }
                placed += 1
                if c != home { abroad += 1 }
            }
            return placed > 0 ? Float(abroad) / Float(placed) : nil
        }
    }
}
