import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer's `linked_incentive_takers` (IncentiveCompany.swift) and what it does to
/// the queue with the deal-hunting detector switched off (issue 11's leave-one-detector-out):
/// accounts that share an instrument and each take the coupon rise above their honest peers;
/// a household sharing a card, one of whose members took the welcome coupon, and a parcel
/// locker of strangers using public coupons do not.
final class IncentiveCompanyTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    struct World { var s: Scenario; var buyers: [String] = []; var households: [String] = []; var locker: [String] = []; var ring: [String] = [] }

    /// 400 ordinary buyers (own phone, card, home; 1–3 orders; one in eight opened this month
    /// and took the welcome coupon on the first order), 60 of them collecting at one parcel
    /// locker where a third use a public coupon; 30 households of 2–4 on one address, tablet
    /// and card, one newcomer each taking the welcome coupon; and, with `ring`, 7 accounts
    /// opened over two days, each on its own emulator and at its own address but paying with
    /// one prepaid card, each ordering once or twice with a coupon.
    func world(seed: UInt64, ring: Bool) -> World {
        var rng = SeededRandom(seed &* 7_919 &+ 3)
        var w = World(s: Scenario(seed: seed))
        let s = w.s
        for k in 0..<4 { s.account("seller\(k)", kind: "seller"); for j in 0..<8 { s.item("it\(k)-\(j)", seller: "seller\(k)", price: Double(12 + 5 * j)) } }
        func pick() -> (String, String) { let k = rng.int(0...3); return ("it\(k)-\(rng.int(0...7))", "seller\(k)") }
        func life(_ a: String, created: Int64, device: String, card: String, address: String, ip: String, coupon: String?, orders: ClosedRange<Int> = 1...3, sessions: ClosedRange<Int> = 2...7) {
            let first = max(0, Int((created - Scenario.t0) / day))
            for _ in 0..<rng.int(sessions) {
                var t = Scenario.t0 + Int64(rng.int(first...27)) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_000_000))
                let (item, seller) = pick()
                for _ in 0..<rng.int(2...6) {
                    s.event(a, "view", at: t, ["item_id": item, "seller_id": seller, "device_id": device, "ip": ip])
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
        for b in 0..<400 {
            let fresh = b % 8 == 0
            let created = fresh ? Scenario.t0 + Int64(rng.int(0...24)) * day + Int64(rng.int(0...80_000)) * 1000
                                : Scenario.t0 - Int64(rng.int(40...1500)) * day
            let a = s.account("b\(b)", created: created)
            let atLocker = b >= 340
            if atLocker { w.locker.append(a) } else { w.buyers.append(a) }
            let coupon: String? = fresh ? "WELCOME10" : atLocker && b % 3 == 0 ? "SPRING5" : nil
            life(a, created: created, device: "phone-\(a)", card: "card-\(a)", address: atLocker ? "locker-1" : "home-\(a)",
                 ip: "10.\(b / 250).\(b % 250).7", coupon: coupon)
        }
        for h in 0..<30 {
            let size = rng.int(2...4)
            for m in 0..<size {
                let newcomer = m == size - 1
                let created = newcomer ? Scenario.t0 + Int64(rng.int(0...20)) * day : Scenario.t0 - Int64(rng.int(200...900)) * day
                let a = s.account("h\(h)-\(m)", created: created)
                w.households.append(a)
                life(a, created: created, device: rng.chance(0.5) ? "tablet-\(h)" : "phone-\(a)", card: "hcard-\(h)",
                     address: "house-\(h)", ip: "10.200.\(h).1", coupon: newcomer ? "WELCOME10" : nil)
            }
        }
        if ring {
            let start = Scenario.t0 + 9 * day
            for r in 0..<7 {
                let created = start + Int64(r) * 7 * hour
                let a = s.account("ring\(r)", created: created)
                w.ring.append(a)
                life(a, created: created, device: "emu-\(r)", card: "prepaid-1", address: "flat-\(r)", ip: "198.51.100.\(r)",
                     coupon: r % 2 == 0 ? "WELCOME10" : "SPRING5", orders: 1...2, sessions: 0...1)
            }
        }
        return w
    }

    func testACardSharedByCouponTakersCountsAHouseholdsOneNewcomerCountsOnceALockerLinksNothing() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            let (_, t) = try w.s.build()
            let f = IncentiveCompany.compute(t)
            func takers(_ id: String) -> Double { expm1(Double(f[Int(t.accounts.lookup(id)!) * IncentiveCompany.names.count])) }
            // Each ring member: its six mates on the prepaid card, each a coupon taker, and itself.
            for a in w.ring { XCTAssertEqual(takers(a), 7, accuracy: 1e-3, a) }
            // A household: at most its one newcomer, counted once however many things they share;
            // the newcomer itself has no other taker in its company, so none at all.
            for a in w.households { XCTAssertLessThanOrEqual(takers(a), 1 + 1e-3, a) }
            // A locker of 60 strangers, 20 with a public coupon: an identifier that busy links nothing.
            for a in w.locker { XCTAssertEqual(takers(a), 0, accuracy: 1e-3, a) }
            for a in w.buyers { XCTAssertEqual(takers(a), 0, accuracy: 1e-4, a) }
        }
    }

    func testWithTheDealDetectorOffCouponTakersSharingACardRankAboveTheirHonestPeers() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            let (store, _) = try w.s.build()
            let (m, why) = try detectScores(store, disabling: ["identity"])
            let honest = (w.buyers + w.households + w.locker).map { m[$0]! }.sorted()
            let p95 = honest[honest.count * 95 / 100]
            let low = w.ring.min { m[$0]! < m[$1]! }!
            XCTAssertGreaterThan(m[low]!, p95, "ring's lowest \(low): \(why[low] ?? "")")
            // Households sharing a card, with one coupon newcomer each, stay among the ordinary.
            let house = w.households.map { m[$0]! }.sorted()
            let buyers = w.buyers.map { m[$0]! }.sorted()
            XCTAssertLessThan(house[house.count / 2], buyers[buyers.count * 9 / 10])
            XCTAssertLessThan(house[house.count * 9 / 10], m[low]!)
        }
    }
}
