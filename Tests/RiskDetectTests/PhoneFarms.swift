import Foundation
@testable import RiskDetect

/// What the click-farm scenarios share: people browsing a catalogue, the catalogue with eight
/// clients who pay for views, and a farm of accounts on shared phones working the clients' jobs.
enum PhoneFarms {
    /// Browsing a large catalogue on some days (`perWeek` of seven), 2–6 listings a visit, at human pace.
    /// `stamp`: the time as the export logs it (a clock that rounds, say).
    static func browse(_ s: Scenario, _ a: String, _ rng: inout SeededRandom, device: String, items: Int,
                       days: Range<Int> = 0..<28, perWeek: Int = 3, stamp: (Int64) -> Int64 = { $0 }) {
        for d in days where rng.chance(Double(perWeek) / 7) {
            var at = Scenario.t0 + Int64(d) * Scenario.day + Int64(rng.int(8...22)) * Scenario.hour
            for _ in 0..<rng.int(2...6) {
                s.event(a, "view", at: stamp(at), ["item_id": "p\(rng.int(0...(items - 1)))", "seller_id": "shop\(rng.int(0...9))",
                                                   "device_id": device])
                at += Int64(1000 * (5 + rng.exponential(90)))
            }
        }
    }

    /// Ten shops with `items` listings p0… between them, and eight clients with one item each
    /// (`item-clientK`); returns the clients.
    static func catalogue(_ s: Scenario, items: Int) -> [String] {
        for k in 0..<10 { s.account("shop\(k)", kind: "seller") }
        for k in 0..<items { s.item("p\(k)", seller: "shop\(k % 10)") }
        let clients = (0..<8).map { s.account("client\($0)", kind: "seller") }
        for c in clients { s.item("item-\(c)", seller: c) }
        return clients
    }

    /// A farm of 24 accounts (`farm0`…) on 4 phones: `jobs` jobs, a view of a client's item (clients in
    /// turn), one a day at 12:00–20:00 for 90 minutes; each member browses one day a week and joins each
    /// job with probability 0.35. Returns the members and the jobs (client, start).
    static func farm(_ s: Scenario, _ rng: inout SeededRandom, clients: [String], jobs count: Int, items: Int)
        -> (members: [String], jobs: [(client: String, start: Int64)]) {
        let jobs = (0..<count).map { j in (client: clients[j % clients.count], start: Scenario.t0 + Int64(j % 28) * Scenario.day + Int64(rng.int(12...20)) * Scenario.hour) }
        var members: [String] = []
        for f in 0..<24 {
            let a = s.account("farm\(f)")
            members.append(a)
            let phone = "fphone\(f % 4)"
            browse(s, a, &rng, device: phone, items: items, perWeek: 1)
            for (c, start) in jobs where rng.chance(0.35) {
                s.event(a, "view", at: start + Int64(rng.unit() * 90 * Double(Scenario.minute)), ["item_id": "item-\(c)", "seller_id": c, "device_id": phone])
            }
        }
        return (members, jobs)
    }
}
