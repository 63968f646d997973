import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer's `thin_coupon_first_crowd` (IncentiveCompany.swift, `ThinCouponCrowd`) and
/// what it does with the deal-hunting detector switched off (issue 11's leave-one-detector-out):
/// a ring whose members share nothing but a busy parcel locker and a carrier IP — each on its own
/// emulator and prepaid card, each opening, taking the welcome coupon on its only order and doing
/// little else — rises above the store's honest accounts, while the locker's and the carrier's
/// honest crowd, households sharing a card and a campus network of newcomers with the welcome
/// coupon do not.
final class ThinCouponCrowdTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    struct World {
        var s: Scenario
        var buyers: [String] = [], locker: [String] = [], households: [String] = [], campus: [String] = [], ring: [String] = []
    }

    /// 700 ordinary buyers (own phone, card, home; 1–3 orders and 2–7 browsing sessions; one in
    /// twelve opened this month and took the welcome coupon on its first order), 420 of them behind
    /// one carrier IP, 60 collecting at one parcel locker where a third use a public coupon; 30
    /// households of 2–4 on one address, tablet and card, one newcomer each taking the welcome
    /// coupon; a campus network of 20 newcomers opened in the same week, each with the welcome
    /// coupon, each with an ordinary life; and, with `ring`, `ringSize` accounts opened a day or two
    /// apart, each on its own emulator and prepaid card, on the carrier IP, shipping to the locker,
    /// each ordering once with the welcome coupon after a glance or two.
    func world(seed: UInt64, ring: Bool, ringSize: Int = 8) -> World {
        var rng = SeededRandom(seed &* 6_421 &+ 11)
        var w = World(s: Scenario(seed: seed))
        let s = w.s
        for k in 0..<4 { s.account("seller\(k)", kind: "seller"); for j in 0..<8 { s.item("it\(k)-\(j)", seller: "seller\(k)", price: Double(12 + 5 * j)) } }
        func pick() -> (String, String) { let k = rng.int(0...3); return ("it\(k)-\(rng.int(0...7))", "seller\(k)") }
        func life(_ a: String, created: Int64, device: String, card: String, address: String, ip: String, coupon: String?,
                  orders: ClosedRange<Int> = 1...3, sessions: ClosedRange<Int> = 2...7, views: ClosedRange<Int> = 2...6) {
            let first = max(0, Int((created - Scenario.t0) / day))
            for _ in 0..<rng.int(sessions) {
                var t = Scenario.t0 + Int64(rng.int(first...27)) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_000_000))
                let (item, seller) = pick()
                for _ in 0..<rng.int(views) {
                    s.event(a, "view", at: max(t, created + 60_000), ["item_id": item, "seller_id": seller, "device_id": device, "ip": ip])
                    t += Int64(rng.int(8...240)) * 1000
                }
            }
            let n = rng.int(orders)
            var days = (0..<n).map { _ in rng.int(first...28) }.sorted()
            if coupon != nil { days[0] = min(28, first + rng.int(0...1)) }
            for (o, d) in days.enumerated() {
                let (item, seller) = pick()
                let at = max(created + hour, Scenario.t0 + Int64(d) * day + Int64(rng.int(9...21)) * hour + Int64(rng.int(0...3_000_000)))
                s.order(a, item: item, seller: seller, at: at, device: device, address: address, payment: card,
                        coupon: o == 0 ? coupon : nil, ip: ip)
            }
        }
        func fresh(_ lo: Int, _ hi: Int) -> Int64 { Scenario.t0 + Int64(rng.int(lo...hi)) * day + Int64(rng.int(0...80_000)) * 1000 }
        for b in 0..<700 {
            let isNew = b % 12 == 0
            let created = isNew ? fresh(0, 24) : Scenario.t0 - Int64(rng.int(40...1500)) * day
            let a = s.account("b\(b)", created: created)
            let atLocker = b >= 640
            if atLocker { w.locker.append(a) } else { w.buyers.append(a) }
            let coupon: String? = isNew ? "WELCOME10" : atLocker && b % 3 == 0 ? "SPRING5" : nil
            // Only this month's sign-ups are in the log (the older accounts opened before it began).
            if isNew { s.event(a, "signup", at: created, ["device_id": "phone-\(a)", "ip": b < 420 ? "100.64.0.1" : "10.\(b / 250).\(b % 250).7"]) }
            life(a, created: created, device: "phone-\(a)", card: "card-\(a)", address: atLocker ? "locker-1" : "home-\(a)",
                 ip: b < 420 ? "100.64.0.1" : "10.\(b / 250).\(b % 250).7", coupon: coupon)
        }
        for h in 0..<30 {
            let size = rng.int(2...4)
            for m in 0..<size {
                let newcomer = m == size - 1
                let created = newcomer ? fresh(0, 20) : Scenario.t0 - Int64(rng.int(200...900)) * day
                let a = s.account("h\(h)-\(m)", created: created)
                w.households.append(a)
                life(a, created: created, device: rng.chance(0.5) ? "tablet-\(h)" : "phone-\(a)", card: "hcard-\(h)",
                     address: "house-\(h)", ip: "10.200.\(h).1", coupon: newcomer ? "WELCOME10" : nil)
            }
        }
        for c in 0..<20 {
            let created = fresh(3, 9)
            let a = s.account("c\(c)", created: created)
            w.campus.append(a)
            s.event(a, "signup", at: created, ["device_id": "phone-\(a)", "ip": "172.16.0.1"])
            life(a, created: created, device: "phone-\(a)", card: "card-\(a)", address: "dorm-\(c)", ip: "172.16.0.1", coupon: "WELCOME10")
        }
        if ring {
            for r in 0..<ringSize {
                let created = Scenario.t0 + 6 * day + Int64(r) * Int64(rng.int(20...40)) * hour
                let a = s.account("ring\(r)", created: created)
                w.ring.append(a)
                s.event(a, "signup", at: created, ["device_id": "emu-\(r)", "ip": "100.64.0.1"])
                life(a, created: created, device: "emu-\(r)", card: "prepaid-\(r)", address: "locker-1", ip: "100.64.0.1",
                     coupon: "WELCOME10", orders: 1...1, sessions: 0...1, views: 1...2)
            }
        }
        return w
    }

    func crowd(_ t: EventTable) -> (String) -> Float {
        let f = IncentiveCompany.compute(t)
        let w = IncentiveCompany.names.count
        return { id in f[Int(t.accounts.lookup(id)!) * w + 1] }
    }

    func testARingOnABusyLockerIsACrowdTheLockersAndTheCampusHonestNewcomersAreNot() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            let (_, t) = try w.s.build()
            let v = crowd(t)
            for a in w.ring { XCTAssertGreaterThan(v(a), 0, a) }
            for a in w.buyers + w.households + w.campus { XCTAssertEqual(v(a), 0, a) }
            // The evidence is the locker's: an honest thin newcomer with the welcome coupon who
            // collects there is counted with the ring. At most 5 % of the locker's 60.
            XCTAssertLessThanOrEqual(w.locker.filter { v($0) > 0 }.count, 3)
        }
    }

    func testWithoutARingNoHonestCrowdIsBeyondChance() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: false)
            let (_, t) = try w.s.build()
            let v = crowd(t)
            for a in w.locker + w.buyers + w.households + w.campus { XCTAssertEqual(v(a), 0, a) }
        }
    }

    func testWithTheDealDetectorOffARingSharingOnlyALockerAndACarrierIPRanksAboveTheHonest() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            let (store, t) = try w.s.build()
            // The locker's honest thin newcomers who share the ring's evidence (at most 3, the
            // test above) may rise with it; nobody else may.
            let sharing = w.locker.filter { crowd(t)($0) > 0 }.count
            let (m, why) = try detectScores(store, disabling: ["identity"])
            let honest = (w.buyers + w.locker + w.households + w.campus).map { m[$0]! }.sorted()
            let p95 = honest[honest.count * 95 / 100]
            for a in w.ring { XCTAssertGreaterThan(m[a]!, p95, "\(a): \(why[a] ?? "")") }
            // The same world without the ring: the locker's honest crowd, the campus and the
            // households do not rise with it — no more of each above the honest 95th percentile
            // than without the ring, with two to spare at the percentile's edge (the locker: and
            // its newcomers who share the ring's evidence).
            let base = world(seed: seed, ring: false)
            let (store0, _) = try base.s.build()
            let (m0, _) = try detectScores(store0, disabling: ["identity"])
            let honest0 = (base.buyers + base.locker + base.households + base.campus).map { m0[$0]! }.sorted()
            let p95base = honest0[honest0.count * 95 / 100]
            for (name, group, group0) in [("locker", w.locker, base.locker), ("campus", w.campus, base.campus), ("households", w.households, base.households)] {
                let with = group.filter { m[$0]! > p95 }.count, without = group0.filter { m0[$0]! > p95base }.count
                let spare = name == "locker" ? 2 + sharing : 2
                let risen = group.filter { m[$0]! > p95 && (m0[$0] ?? 0) <= p95base }.map { "\($0): \(why[$0] ?? "")" }
                XCTAssertLessThanOrEqual(with, without + spare, "\(name): \(with) above the honest 95th percentile with the ring, \(without) without, \(sharing) sharing its evidence; risen: \(risen)")
            }
        }
    }

    /// The scenario tests what it claims: the ring has no linked company of coupon takers (the
    /// older `linked_incentive_takers` sees nothing), so only the crowd can lift it.
    func testTheRingsOnlyDistinctiveSignIsTheCrowd() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            let (_, t) = try w.s.build()
            let f = IncentiveCompany.compute(t)
            // Nothing links a member to another within LinkedCompany's reach (≤ 40 accounts):
            // the locker (68 accounts) and the carrier IP (over 400) are too busy.
            for a in w.ring { XCTAssertEqual(f[Int(t.accounts.lookup(a)!) * IncentiveCompany.names.count], 0, a) }
        }
    }
}
