import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The anomaly layer's `refund_claims_beyond_rate` and `linked_refund_claimants`
/// (RefundClaims.swift) and what they do to the queue with the `refund_abuse` detector switched
/// off (issue 11's leave-one-detector-out): a ring on one address and one card whose orders
/// mostly end in "not received" claims — including members who claimed only once — rises above
/// its honest peers; a household on one address, tablet and card that returned a faulty item,
/// and honest buyers whose one claim is the store's ordinary rate, do not.
final class RefundClaimsTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    struct World {
        var s: Scenario
        var buyers: [String] = [], households: [String] = [], faulty: [String] = [], ring: [String] = [], solo: String = ""
    }

    static let reasons = ["damaged", "not_as_described", "wrong_size", "changed_mind", "not_received", "late_delivery"]

    /// 600 ordinary buyers (own phone, card, home; 1–8 orders, each ending in a claim for any
    /// reason with probability 2 %); 40 households of 2–4 on one address, tablet and card, in
    /// ten of which one member returned one damaged item; with `ring`, 4 accounts on one
    /// address and one prepaid card (own phones; shaped like a household) ordering 3–5 times
    /// each, three of whom claim "not received" on all but one of their orders and one only
    /// once — and one account alone whose 4 orders all end in "not received" claims.
    func world(seed: UInt64, ring: Bool) -> World {
        var rng = SeededRandom(seed &* 6_271 &+ 11)
        var w = World(s: Scenario(seed: seed))
        let s = w.s
        for k in 0..<4 { s.account("seller\(k)", kind: "seller"); for j in 0..<8 { s.item("it\(k)-\(j)", seller: "seller\(k)", price: Double(15 + 5 * j)) } }
        func pick() -> (String, String) { let k = rng.int(0...3); return ("it\(k)-\(rng.int(0...7))", "seller\(k)") }
        /// Browsing and orders; `claims(o)` says whether order o ends in a claim, and its reason.
        func life(_ a: String, device: String, card: String, address: String, ip: String, orders: Int,
                  claims: (Int) -> String?) {
            for _ in 0..<rng.int(2...6) {
                var t = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_000_000))
                let (item, seller) = pick()
                for _ in 0..<rng.int(2...6) {
                    s.event(a, "view", at: t, ["item_id": item, "seller_id": seller, "device_id": device, "ip": ip])
                    t += Int64(rng.int(8...240)) * 1000
                }
            }
            for o in 0..<orders {
                let (item, seller) = pick()
                let at = Scenario.t0 + Int64(rng.int(0...22)) * day + Int64(rng.int(9...21)) * hour + Int64(rng.int(0...3_000_000))
                s.order(a, item: item, seller: seller, at: at, device: device, address: address, payment: card, ip: ip)
                if let reason = claims(o) {
                    s.event(a, "refund", at: at + Int64(rng.int(3...7)) * day,
                            ["amount": 20, "status": reason, "device_id": device, "ip": ip])
                }
            }
        }
        func honestClaim(_: Int) -> String? { rng.chance(0.02) ? RefundClaimsTests.reasons[rng.int(0...5)] : nil }
        for b in 0..<600 {
            let a = s.account("b\(b)", created: Scenario.t0 - Int64(rng.int(40...1500)) * day)
            w.buyers.append(a)
            life(a, device: "phone-\(a)", card: "card-\(a)", address: "home-\(a)", ip: "10.\(b / 250).\(b % 250).7",
                 orders: rng.int(1...8), claims: honestClaim)
        }
        for h in 0..<40 {
            let size = rng.int(2...4)
            for m in 0..<size {
                let a = s.account("h\(h)-\(m)", created: Scenario.t0 - Int64(rng.int(100...1500)) * day)
                w.households.append(a)
                // Ten homes returned one faulty item (the first order of their first member, who
                // claimed nothing else).
                let returns = h < 10 && m == 0
                if returns { w.faulty.append(a) }
                life(a, device: rng.chance(0.5) ? "tablet-\(h)" : "phone-\(a)", card: "hcard-\(h)", address: "house-\(h)",
                     ip: "10.200.\(h).1", orders: rng.int(1...6), claims: { o in returns ? (o == 0 ? "damaged" : nil) : honestClaim(o) })
            }
        }
        if ring {
            for r in 0..<4 {
                let a = s.account("ring\(r)", created: Scenario.t0 - Int64(rng.int(60...700)) * day)
                w.ring.append(a)
                let orders = rng.int(3...5)
                let once = r == 3
                life(a, device: "phone-\(a)", card: "prepaid-1", address: "drop-1", ip: "10.220.\(r).9", orders: orders,
                     claims: { o in once ? (o == 0 ? "not_received" : nil) : (o < orders - 1 ? "not_received" : nil) })
            }
            let a = s.account("solo", created: Scenario.t0 - 300 * day)
            w.solo = a
            life(a, device: "phone-solo", card: "card-solo", address: "home-solo", ip: "10.230.0.9", orders: 4, claims: { _ in "not_received" })
        }
        return w
    }

    func testClaimsAreJudgedAgainstTheStoreRateAndRingMatesCountEachOther() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            let (_, t) = try w.s.build()
            let surprise = RefundClaims.claimSurprise(t)
            let f = RefundClaims.compute(t)
            let k = RefundClaims.names.count
            func id(_ a: String) -> Int { Int(t.accounts.lookup(a)!) }
            func company(_ a: String) -> Double { expm1(Double(f[id(a) * k + 1])) }
            // Claims on nearly every order are far beyond the store's rate; one damaged parcel is not.
            for a in w.ring.prefix(3) + [w.solo] { XCTAssertGreaterThan(surprise[id(a)], RefundClaims.claimantSurprise, a) }
            for a in w.faulty { XCTAssertLessThan(surprise[id(a)], RefundClaims.claimantSurprise, a) }
            // Every ring member (the one who claimed once too) keeps company with the three claimants.
            for a in w.ring.prefix(3) { XCTAssertEqual(company(a), 3, accuracy: 1e-3, a) }
            for a in w.ring.dropFirst(3) { XCTAssertEqual(company(a), 3, accuracy: 1e-3, a) }
            // A household that returned a faulty item keeps no claimant's company; nor do buyers
            // on their own, nor the solo (it shares nothing).
            let faultyHomes = Set(w.faulty.map { $0.split(separator: "-")[0] })
            for a in w.households where faultyHomes.contains(a.split(separator: "-")[0]) { XCTAssertEqual(company(a), 0, accuracy: 1e-4, a) }
            for a in w.buyers + [w.solo] { XCTAssertEqual(company(a), 0, accuracy: 1e-4, a) }
            // Another home may hold an honest member whose claims happen to be beyond chance (two
            // on a few orders): its co-residents count it — one or two, not a ring's three.
            for a in w.households { XCTAssertLessThanOrEqual(company(a), 2 + 1e-3, a) }
        }
    }

    func testWithTheRefundDetectorOffTheRingAndTheSoloRankAboveHonestClaimants() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            let (store, _) = try w.s.build()
            let (m, why) = try detectScores(store, disabling: ["refund_abuse"])
            let honest = (w.buyers + w.households).map { m[$0]! }.sorted()
            let p98 = honest[honest.count * 98 / 100]
            // The whole ring — its member who claimed once too — and the solo, above 98 % of the honest.
            for a in w.ring + [w.solo] { XCTAssertGreaterThan(m[a]!, p98, "\(a): \(why[a] ?? "")") }
            let low = (w.ring + [w.solo]).min { m[$0]! < m[$1]! }!
            // The households that returned a faulty item stay below every abuser.
            for a in w.faulty { XCTAssertLessThan(m[a]!, m[low]!, "\(a): \(why[a] ?? "")") }
            // The explanation names the claims.
            XCTAssertTrue(why[w.solo]?.contains("refund claims") ?? false, why[w.solo] ?? "")
        }
    }
}
