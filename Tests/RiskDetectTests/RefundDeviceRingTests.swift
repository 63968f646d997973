import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// A refund ring whose members each use their own address and card but share phones, and
/// whose claims are only about half of their orders, for mixed reasons — next to households
/// sharing a family tablet whose refunds are the store's ordinary rate.
final class RefundDeviceRingTests: XCTestCase {
    let day = Scenario.day

    func testARingLinkedOnlyByItsPhonesIsFlaggedHouseholdsSharingATabletAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 700)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<5 { s.item("g\(k)", seller: "shop", price: 40) }
            let reasons = ["damaged", "not_as_described", "late", "changed_mind", "not_received"]
            var households: [String] = []
            for k in 0..<500 {
                let a = s.account("h\(k)")
                let shared = k < 150            // 50 households of three on one tablet each
                if shared { households.append(a) }
                for _ in 0..<rng.int(2...8) {
                    let at = Scenario.t0 + Int64(rng.int(0...20)) * day + Int64(rng.int(0...80_000)) * 1000
                    let device = shared && rng.chance(0.5) ? "tablet\(k / 3)" : "d-\(a)"
                    s.order(a, item: "g\(rng.int(0...4))", seller: "shop", at: at, device: device, address: "home-\(a)", payment: "c-\(a)", amount: 40)
                    if rng.chance(0.04) {
                        s.event(a, "refund", at: at + Int64(rng.int(3...9)) * day, ["amount": 40, "status": reasons[rng.int(0...4)]])
                    }
                }
            }
            // The ring: three accounts, own addresses and cards, two phones between them; about
            // half of the orders end in a claim, for any reason.
            let ring = (0..<3).map { s.account("rr\($0)") }
            for (r, a) in ring.enumerated() {
                for k in 0..<5 {
                    let at = Scenario.t0 + Int64(1 + k * 4 + r) * day + Int64(rng.int(0...40_000)) * 1000
                    let phone = "ring-phone\(r == 0 ? 0 : (r == 1 ? k % 2 : 1))"
                    s.order(a, item: "g\(k % 5)", seller: "shop", at: at, device: phone, address: "own-\(a)", payment: "own-\(a)", amount: 40)
                    if k % 2 == 0 {
                        s.event(a, "refund", at: at + 6 * day, ["amount": 40, "status": reasons[rng.int(0...4)], "device_id": phone])
                    }
                }
            }
            let (f, t) = try s.run(RefundAbuseDetector())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged, Set(ring), "\(flagged.sorted())")
            XCTAssertTrue(f.allSatisfy { $0.identifiers.contains { $0.kind == "device" } }, f.first?.reason ?? "no finding")
            XCTAssertTrue(flagged.isDisjoint(with: households))
        }
    }
}
