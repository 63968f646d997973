import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// `returner-spread`: how many claims one account made is judged within the spread between
/// people (a beta-binomial at the store's ρ), in the refund detector's units of one account and
/// in the anomaly layer's `refund_claims_beyond_rate`; a ring's claims still add up at the
/// store's rate, and every reason is judged as before.
extension RefundLoneClaimantTests {
    /// The lone-claimant world (700 buyers, 12 serial returners sending 45 % of their orders
    /// back for going-back reasons, 10 unlucky customers, 4 lone claimants): with the spread,
    /// fewer serial returners are flagged — none that the rule before spared — and still no
    /// ordinary buyer or unlucky customer. Seeds 1–3 spare some (pinned); a serial returner whose
    /// claims are all one reason ("wrong size" every time) is still a reason's surprise.
    func testTheSpreadBetweenPeopleSparesSerialReturners() throws {
        try forEachSeed(also: [1, 2, 3]) { seed in
            let w = world(seed: seed, courier: false, lone: true)
            var off = RefundAbuseDetector(), on = RefundAbuseDetector()
            off.returnerSpread = false
            on.returnerSpread = true
            let (fOff, t) = try w.s.run(off)
            let (fOn, _) = try w.s.run(on)
            let before = fOff.accounts(t).intersection(w.serial), after = fOn.accounts(t).intersection(w.serial)
            XCTAssertTrue(after.isSubset(of: before), "\(after.subtracting(before).sorted())")
            if [1, 2, 3].contains(seed) { XCTAssertLessThan(after.count, before.count, "seed \(seed): \(after.sorted())") }
            XCTAssertTrue(fOn.accounts(t).isDisjoint(with: w.buyers + w.unlucky), "\(fOn.accounts(t).intersection(w.buyers + w.unlucky).sorted())")
            // The anomaly layer's column agrees: the serial returners' claims are less surprising.
            let sOff = RefundClaims.claimSurprise(t, returnerSpread: false), sOn = RefundClaims.claimSurprise(t, returnerSpread: true)
            func id(_ a: String) -> Int { Int(t.accounts.lookup(a)!) }
            XCTAssertLessThan(w.serial.map { sOn[id($0)] }.reduce(0, +), w.serial.map { sOff[id($0)] }.reduce(0, +))
        }
    }

    /// The spread between people is the store's: where no one claims more than chance gives, ρ
    /// is at its floor and one account's count is the binomial's; with serial returners it grows.
    func testTheSpreadIsTheStoresOwn() {
        // 1,000 accounts of 10 orders, one claim each: less spread than a binomial — held at the floor.
        let even = RefundClaims.spread(orders: [Int](repeating: 10, count: 1000), claims: [Int](repeating: 1, count: 1000), rate: 0.1)
        XCTAssertEqual(even.rho, 1e-4, accuracy: 1e-12)
        XCTAssertEqual(Significance.logBetaBinomialTail(6, 10, even.alpha, even.beta), Significance.logBinomialTail(6, 10, 0.1), accuracy: 0.05)
        // 950 who never claim and 50 who claim on 8 of 10 orders (the same 4 % rate overall): a spread.
        let orders = [Int](repeating: 10, count: 1000), claims = (0..<1000).map { $0 < 50 ? 8 : 0 }
        let mixed = RefundClaims.spread(orders: orders, claims: claims, rate: 0.04)
        XCTAssertGreaterThan(mixed.rho, 0.5 - 1e-9)   // that far apart: the cap
        XCTAssertGreaterThan(Significance.logBetaBinomialTail(6, 10, mixed.alpha, mixed.beta), Significance.logBinomialTail(6, 10, 0.04) + 5)
        // No account with an order: the floor, not a division by zero.
        XCTAssertEqual(RefundClaims.spread(orders: [0, 0], claims: [0, 0], rate: 0.05).rho, 1e-4, accuracy: 1e-12)
    }
}

extension RefundClaimsTests {
    /// A ring's claims add up at the store's rate with the spread on as off: the ring on one
    /// card and address is flagged whole either way, the households that returned a faulty item
    /// are not.
    func testWithTheSpreadARingIsStillJudgedAtTheStoresRate() throws {
        try forEachSeed { seed in
            let w = world(seed: seed, ring: true)
            var on = RefundAbuseDetector()
            on.returnerSpread = true
            let (fOn, t) = try w.s.run(on)
            let (fOff, _) = try w.s.run(RefundAbuseDetector())
            let ringOn = fOn.accounts(t).intersection(w.ring), ringOff = fOff.accounts(t).intersection(w.ring)
            XCTAssertEqual(ringOn, ringOff)
            XCTAssertEqual(ringOn, Set(w.ring), "\(ringOn.sorted())")
            XCTAssertTrue(fOn.accounts(t).isDisjoint(with: w.faulty + w.buyers), "\(fOn.accounts(t).intersection(w.faulty + w.buyers).sorted())")
        }
    }
}
