import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// lone-outliers (s66): the anomaly layer's head — up to 0.8 hazard units for the store's top few
/// percent of strong outliers — counts half for an account no detector or rule found anything on,
/// and in full beside a finding. An outlier alone is mostly an unusual honest customer; one a
/// finding corroborates is more likely what the finding says.
final class LoneOutlierTests: XCTestCase {
    /// 300 ordinary buyers (a few views, an order) and 12 accounts far outside them (hundreds of
    /// views and carts a day): the outliers are the store's head.
    static func store(_ s: Scenario) -> (EventTable, [Int32], [Int32]) {
        s.account("shop", kind: "seller")
        let items = (0..<20).map { s.item("i\($0)", seller: "shop") }
        for b in 0..<300 {
            let a = s.account("buyer\(b)")
            s.browse(a, day: Int(s.int(in: 0...27)), device: "bd\(b)", items: items, seller: "shop", ip: "10.1.\(b % 250).\(b / 250 + 1)")
            s.order(a, item: items[b % 20], seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * Scenario.day + 15 * Scenario.hour,
                    device: "bd\(b)", address: "ba\(b)", payment: "bc\(b)", ip: "10.1.\(b % 250).\(b / 250 + 1)")
        }
        for o in 0..<12 {
            let a = s.account("heavy\(o)")
            for d in 0..<20 {
                var t = Scenario.t0 + Int64(d) * Scenario.day + 9 * Scenario.hour
                for k in 0..<Int(s.int(in: 150...300)) {
                    s.event(a, k % 10 == 0 ? "add_to_cart" : "view", at: t, ["item_id": items[k % 20], "seller_id": "shop", "device_id": "hd\(o)-\(d % 3)"])
                    t += s.int(in: 20_000...120_000)
                }
            }
        }
        // Two ring members on each of the first four heavy accounts' devices (a view each; the findings
        // come with the run): a ring's support corroborates those outliers.
        for o in 0..<4 {
            for m in 0..<2 {
                let a = s.account("mate\(o)-\(m)")
                s.event(a, "view", at: Scenario.t0 + 3 * Scenario.day + Int64(m) * Scenario.hour, ["item_id": items[0], "seller_id": "shop", "device_id": "hd\(o)-0"])
            }
        }
        let (_, t) = try! s.build()
        let buyers = (0..<300).compactMap { t.accounts.lookup("buyer\($0)") }
        let heavy = (0..<12).compactMap { t.accounts.lookup("heavy\($0)") }
        return (t, buyers, heavy)
    }

    func mates(_ t: EventTable) -> [Finding] {
        (0..<4).flatMap { o in (0..<2).compactMap { m in t.accounts.lookup("mate\(o)-\(m)") } }.map {
            Finding(account: $0, detector: "identity", riskType: .multiAccounting, strength: 0.9, reason: "a ring", group: "ring")
        }
    }

    func testALoneOutlierKeepsHalfTheHeadAndAFindingTheWholeOfIt() throws {
        try forEachSeed { seed in
            let (t, buyers, heavy) = Self.store(Scenario(seed: seed))
            XCTAssertEqual(heavy.count, 12)
            let a = Anomaly.compute(t)
            let inHead = heavy.filter { a.head[Int($0)] > 0 }
            XCTAssertGreaterThanOrEqual(inHead.count, 6, "the heavy accounts are the store's head")
            XCTAssertTrue(buyers.allSatisfy { a.head[Int($0)] == 0 }, "ordinary buyers are not")
            let supported = inHead.filter { heavy.prefix(4).contains($0) }
            let head = inHead.filter { !heavy.prefix(4).contains($0) }
            XCTAssertFalse(supported.isEmpty, "a ring-supported outlier")
            XCTAssertGreaterThanOrEqual(head.count, 2)
            // One outlier of the head and one ordinary buyer each carry a weak finding.
            let found = head[0], plain = buyers[0]
            let findings = [found, plain].map {
                Finding(account: $0, detector: "rule:x", riskType: .multiAccounting, strength: 0.3, reason: "a weak rule")
            } + mates(t)
            var layers = ScoringLayers()
            let on = RiskScoring.run(t, findings: findings, layers: layers, anomaly: (a, 0)).scores
            layers.loneOutliers = false
            let off = RiskScoring.run(t, findings: findings, layers: layers, anomaly: (a, 0)).scores
            func score(_ u: Double) -> Double { 0.99 * u / (u + 0.5) }
            // A ring's support corroborates as a finding does: the whole head, the sign on or off.
            for x in supported {
                XCTAssertTrue(on[Int(x)].reasons.contains { $0.hasPrefix("linked:") }, "\(on[Int(x)].reasons)")
                XCTAssertEqual(on[Int(x)].score, off[Int(x)].score, accuracy: 1e-9)
            }
            for x in head.dropFirst() {
                let i = Int(x)
                XCTAssertEqual(on[i].score, score(a.units[i] - 0.5 * a.head[i]), accuracy: 1e-6, "a lone outlier keeps half its head")
                XCTAssertEqual(off[i].score, score(a.units[i]), accuracy: 1e-6, "with the sign off, all of it")
                XCTAssertLessThan(on[i].score, off[i].score)
            }
            // Beside a finding the head counts in full, with the sign on or off.
            XCTAssertEqual(on[Int(found)].score, off[Int(found)].score, accuracy: 1e-9)
            // Nothing else moves: ordinary accounts have no head.
            for x in buyers { XCTAssertEqual(on[Int(x)].score, off[Int(x)].score, accuracy: 1e-12) }
            // A lone outlier still ranks above every ordinary buyer without a finding, and stays under
            // the flag line (0.5): the layer alone ranks, it does not flag.
            let ordinary = buyers.dropFirst().map { on[Int($0)].score }.max() ?? 0
            XCTAssertTrue(head.dropFirst().allSatisfy { on[Int($0)].score > ordinary && on[Int($0)].score < 0.5 })
        }
    }

    /// The sign is on by default and switched off by name.
    func testSwitchedByName() throws {
        XCTAssertTrue(ScoringLayers().loneOutliers)
        let engine = DetectionEngine(rulesDirectory: nil)
        try engine.disableSigns(["lone-outliers"])
        XCTAssertFalse(engine.layers.loneOutliers)
    }
}
