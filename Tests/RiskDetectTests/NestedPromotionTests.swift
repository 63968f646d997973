import Foundation
import RiskMetrics
import RiskStore
import XCTest
@testable import RiskDetect

/// Promotion judged honestly: folds that keep a ring together, and the selection (candidate and
/// blend weight) cross-validated as a whole (`train --nested`). A model whose only edge is
/// recognising the rings it was shown must not become current; a model that learnt something
/// general still must (`LearningTests.testWithNestedCrossValidationAUsefulModelIsStillPromoted`).
/// Every draw is seeded; each test runs several seeds.
final class NestedPromotionTests: XCTestCase {
    /// Fraud rings and honest offices look alike: both are groups of `size` accounts sharing a
    /// device, with several failed logins each (a rule flags every one of them alike), and each
    /// group has its own habits — its own number of item views and its own order amount — that
    /// its members share. Which groups are fraud is not written in any behaviour: a model can
    /// only learn "members of the groups labelled fraud", which says nothing about other groups.
    /// A second rule knows something the model's features don't: most ring members (and a few
    /// office workers) signed up with a throwaway e-mail domain. The detectors rank well; a
    /// model that reorders the flagged accounts by ring membership it cannot know can only hurt.
    struct World {
        let scenario: Scenario
        let store: Store
        let rules: String
        var rings: [[String]] = [], offices: [[String]] = [], normal: [String] = []
    }

    func world(seed: UInt64, groups: Int = 16, size: Int = 6, normal: Int = 160) throws -> World {
        var rng = SplitMix(seed: seed)
        let s = Scenario()
        s.account("seller0", kind: "seller")
        for i in 0..<20 { s.item("it\(i)", seller: "seller0", price: Double(10 + 40 * i)) }
        func r(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        func member(_ a: String, group g: String, views: Int, amount: Double) {
            var t = Scenario.t0 + Int64(r(0...20)) * Scenario.day
            let device = "dev-\(g)", ip = "10.9.\(r(0...200)).1"
            for _ in 0..<r(3...5) { s.event(a, "login", at: t, ["status": "fail", "device_id": device, "ip": ip]); t += Int64(r(5...40)) * 1000 }
            s.event(a, "login", at: t, ["status": "ok", "device_id": device, "ip": ip])
            for _ in 0..<views {
                t += Int64(r(20...600)) * 1000
                s.event(a, "view", at: t, ["item_id": "it\(r(0...19))", "seller_id": "seller0", "device_id": device, "ip": ip])
            }
            s.order(a, item: "it\(r(0...19))", seller: "seller0", at: t + 60_000, device: device, address: "addr-\(a)", payment: "card-\(a)",
                    amount: amount + Double(r(0...2)), ip: ip)
        }
        var rings: [[String]] = [], offices: [[String]] = []
        for g in 0..<(2 * groups) {
            let views = r(2...14), amount = Double(r(20...700))
            let name = g % 2 == 0 ? "ring\(g / 2)" : "office\(g / 2)"
            // Account ids in the order of creation, so that neither kind owns the low ids.
            let members = (0..<size).map { m -> String in
                let throwaway = Double.random(in: 0..<1, using: &rng) < (g % 2 == 0 ? 0.75 : 0.25)
                let id = String(format: "g%02d-m%d-", g, m) + name
                return s.account(id, email: throwaway ? "\(id)@tempmail.test" : nil)
            }
            for m in members { member(m, group: name, views: views, amount: amount) }
            if g % 2 == 0 { rings.append(members) } else { offices.append(members) }
        }
        var ok: [String] = []
        for i in 0..<normal {
            let a = s.account("ok\(i)")
            var t = Scenario.t0 + Int64(r(0...20)) * Scenario.day
            s.event(a, "login", at: t, ["status": "ok", "device_id": "home-\(i)", "ip": "10.3.\(i % 200).1"])
            for _ in 0..<r(2...14) {
                t += Int64(r(20...600)) * 1000
                s.event(a, "view", at: t, ["item_id": "it\(r(0...19))", "seller_id": "seller0", "device_id": "home-\(i)", "ip": "10.3.\(i % 200).1"])
            }
            ok.append(a)
        }
        let (store, _) = try s.build()
        let w = World(scenario: s, store: store, rules: s.dir + "/rules", rings: rings, offices: offices, normal: ok)
        try FileManager.default.createDirectory(atPath: w.rules, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: w.rules + "/failed_logins.sql", contents: Data("""
            -- id: failed_logins
            -- risk_type: ato
            -- severity: critical
            -- description: three or more failed logins
            SELECT account_id, count(*) || ' failed logins' AS reason FROM events WHERE type = 'login' AND status = 'fail' GROUP BY account_id HAVING count(*) >= 3
            """.utf8))
        FileManager.default.createFile(atPath: w.rules + "/throwaway_email.sql", contents: Data("""
            -- id: throwaway_email
            -- risk_type: ato
            -- severity: medium
            -- description: signed up with a throwaway e-mail domain
            SELECT account_id, 'throwaway e-mail' AS reason FROM accounts WHERE email LIKE '%@tempmail.test'
            """.utf8))
        return w
    }

    func trainer(_ w: World) -> Trainer {
        let e = DetectionEngine(detectors: [], rulesDirectory: w.rules)
        e.layers.anomaly = false; e.layers.propagation = false; e.layers.calibration = false
        let t = Trainer()
        t.engine = e
        t.groupFolds = true; t.nested = true
        return t
    }

    /// Half of every ring and every office labelled, as a random sample of accounts would be.
    func labelHalf(_ w: World) throws {
        let fraud = w.rings.flatMap { $0.prefix($0.count / 2) }
        let legit = w.offices.flatMap { $0.prefix($0.count / 2) } + w.normal.prefix(w.normal.count / 2)
        _ = try w.store.addLabels(fraud.map { LabelInput(account: $0, label: .fraud) } + legit.map { LabelInput(account: $0, label: .legit) },
                                  analyst: "test", source: "test")
    }

    func testAModelThatOnlyRecognisesTheLabelledRingsIsNotPromoted() throws {
        for seed: UInt64 in [11, 12, 13] {
            let w = try world(seed: seed)
            try labelHalf(w)
            // Grouped folds keep each ring (one shared device) in one fold, and the selection is judged
            // nested: nothing general was learnt, and the model stays a candidate.
            let r = try trainer(w).run(store: w.store)
            XCTAssertEqual(r.foldGroups, r.labels - (w.rings.count + w.offices.count) * (w.rings[0].count / 2 - 1), "seed \(seed)")
            XCTAssertFalse(r.promoted, "seed \(seed): \(r.candidates.map { ($0.name, $0.precisionAtK.value) }) vs \(r.detectors.precisionAtK.value)")
            XCTAssertTrue(r.warnings.contains { $0.contains("does not beat the detectors") }, "seed \(seed): \(r.warnings)")
            XCTAssertNil(try ModelStore.current(w.store.db))
        }
    }

    func testRingGroupsJoinSharedIdentifiersUpToTheCap() throws {
        let s = Scenario()
        s.account("seller0", kind: "seller")
        s.item("it0", seller: "seller0")
        // Two rings of 4 (one shares a device, one a payment instrument), 12 accounts behind one
        // shared device (a shop counter), and 10 loners.
        var ids: [String] = []
        func acc(_ a: String, device: String, payment: String) {
            ids.append(s.account(a))
            s.order(a, item: "it0", seller: "seller0", at: Scenario.t0 + Int64(ids.count) * 60_000, device: device, address: "addr-\(a)", payment: payment)
        }
        for i in 0..<4 { acc("ra\(i)", device: "dev-ra", payment: "card-ra\(i)") }
        for i in 0..<4 { acc("rb\(i)", device: "dev-rb\(i)", payment: "card-rb") }
        for i in 0..<12 { acc("shop\(i)", device: "counter", payment: "card-shop\(i)") }
        for i in 0..<10 { acc("solo\(i)", device: "dev-solo\(i)", payment: "card-solo\(i)") }
        let (_, t) = try s.build()
        let rows = ids.map { Int(t.accounts.lookup($0)!) }
        let g = Trainer.ringGroups(table: t, findings: [], rows: rows, cap: 5)
        func group(_ prefix: String) -> Set<Int> { Set(ids.indices.filter { ids[$0].hasPrefix(prefix) }.map { g[$0] }) }
        XCTAssertEqual(group("ra").count, 1)
        XCTAssertEqual(group("rb").count, 1)
        XCTAssertNotEqual(group("ra"), group("rb"))
        XCTAssertEqual(group("solo").count, 10)
        // The shared counter joins at most `cap` accounts per group.
        var sizes: [Int: Int] = [:]
        for i in ids.indices where ids[i].hasPrefix("shop") { sizes[g[i], default: 0] += 1 }
        XCTAssertTrue(sizes.values.allSatisfy { $0 <= 5 }, "\(sizes)")
        // A finding's group joins accounts that share nothing else.
        let f = [Finding(account: Int32(rows[ids.firstIndex(of: "solo0")!]), detector: "x", riskType: .other, strength: 1, reason: "", group: "g1"),
                 Finding(account: Int32(rows[ids.firstIndex(of: "solo1")!]), detector: "x", riskType: .other, strength: 1, reason: "", group: "g1")]
        let g2 = Trainer.ringGroups(table: t, findings: f, rows: rows, cap: 5)
        XCTAssertEqual(g2[ids.firstIndex(of: "solo0")!], g2[ids.firstIndex(of: "solo1")!])
    }

    func testGroupedFoldsKeepGroupsWholeAndStratify() {
        for seed: UInt64 in 1...5 {
            var rng = SplitMix(seed: seed)
            // 30 groups of 1–8 accounts; a third of the groups fraud.
            var group: [Int] = [], y: [Bool] = []
            for g in 0..<30 { let fraud = g % 3 == 0; for _ in 0..<Int.random(in: 1...8, using: &rng) { group.append(g); y.append(fraud) } }
            let folds = Trainer.foldsByGroup(group: group, y: y, folds: 5, seed: seed)
            for g in Set(group) { XCTAssertEqual(Set(group.indices.filter { group[$0] == g }.map { folds[$0] }).count, 1) }
            let pos = (0..<5).map { f in y.indices.filter { folds[$0] == f && y[$0] }.count }
            let neg = (0..<5).map { f in y.indices.filter { folds[$0] == f && !y[$0] }.count }
            XCTAssertTrue(pos.allSatisfy { $0 > 0 } && neg.allSatisfy { $0 > 0 }, "\(pos) \(neg)")
            // Balanced up to one group's size.
            XCTAssertLessThanOrEqual(pos.max()! - pos.min()!, 8, "\(pos)")
            // Every account its own group: a plain stratified split (fold sizes differ by at most one per class).
            let plain = Trainer.foldsByGroup(group: Array(y.indices), y: y, folds: 5, seed: seed)
            let pp = (0..<5).map { f in y.indices.filter { plain[$0] == f && y[$0] }.count }
            let pn = (0..<5).map { f in y.indices.filter { plain[$0] == f && !y[$0] }.count }
            XCTAssertLessThanOrEqual(pp.max()! - pp.min()!, 1, "\(pp)")
            XCTAssertLessThanOrEqual(pn.max()! - pn.min()!, 1, "\(pn)")
        }
    }
}
