import Foundation
import XCTest
@testable import MarketSimulator

/// `--world random`: structure and attack parameters drawn from the seed, every family with
/// its variants, the same bytes for the same seed.
final class RandomWorldTests: XCTestCase {
    struct World {
        var summary: SimSummary
        var dir: String
        var truth: [String: (fraud: Bool, attack: String, tags: [String])]
        var events: [[String: Any]]
    }
    nonisolated(unsafe) static var cache: [UInt64: World] = [:]
    static let root = NSTemporaryDirectory() + "riskdesk-randworld-\(UUID().uuidString)"

    override class func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func world(_ seed: UInt64) throws -> World {
        if let w = Self.cache[seed] { return w }
        var cfg = SimConfig()
        cfg.seed = seed; cfg.accounts = 1500; cfg.days = 14; cfg.world = .random
        cfg.format = .jsonl; cfg.timestamps = .epoch
        let dir = Self.root + "/w\(seed)"
        let s = try Simulator(cfg).run(outDir: dir)
        var truth: [String: (Bool, String, [String])] = [:]
        for line in try String(contentsOfFile: dir + "/truth.csv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            truth[f[0]] = (f[1] == "fraud", f[2], f[4].split(separator: "|").map(String.init))
        }
        let events = try String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let w = World(summary: s, dir: dir, truth: truth, events: events)
        Self.cache[seed] = w
        return w
    }

    func testSameSeedSameBytes() throws {
        var a = SimConfig(), b = SimConfig()
        a.seed = 77; a.accounts = 400; a.days = 5; a.world = .random
        b = a
        let da = Self.root + "/d-a", db = Self.root + "/d-b"
        _ = try Simulator(a).run(outDir: da)
        _ = try Simulator(b).run(outDir: db)
        for f in ["accounts.csv", "items.csv", "events.csv", "truth.csv"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(da)/\(f)"), FileManager.default.contents(atPath: "\(db)/\(f)"), f)
        }
        var c = a
        c.world = .standard
        let dc = Self.root + "/d-c"
        _ = try Simulator(c).run(outDir: dc)
        XCTAssertNotEqual(FileManager.default.contents(atPath: "\(da)/events.csv"), FileManager.default.contents(atPath: "\(dc)/events.csv"))
    }

    func testEveryFamilyIsNamedAndAMegaSellerHasAboutHalfTheOrders() throws {
        var megaShares: [Double] = []
        for seed: UInt64 in [1, 2] {
            let w = try world(seed)
            let families = Set(w.truth.values.filter(\.fraud).map(\.attack))
            XCTAssertEqual(families, ["ato", "brushing", "click_farm", "deal_hunter", "refund_abuse", "scalper", "scraper", "spam"], "seed \(seed)")
            var orders: [String: Int] = [:]
            var buyersOf: [String: Set<String>] = [:]
            for e in w.events where e["type"] as? String == "order" {
                let s = e["seller_id"] as! String
                orders[s, default: 0] += 1
                buyersOf[s, default: []].insert(e["account_id"] as! String)
            }
            let total = orders.values.reduce(0, +)
            let (mega, n) = orders.max { $0.value < $1.value }!
            megaShares.append(Double(n) / Double(total))
            let others = buyersOf.filter { $0.key != mega }.map(\.value.count).sorted()
            XCTAssertGreaterThan(buyersOf[mega]!.count, 10 * others[others.count / 2], "seed \(seed): the mega-seller's buyers vs a typical seller's")
            XCTAssertTrue(w.truth.values.contains { $0.tags.contains("mega_seller_buyer") && !$0.fraud })
            XCTAssertTrue(w.truth.values.contains { $0.tags.contains("short_reviewer") })
            XCTAssertTrue(w.truth.values.contains { $0.tags.contains("family") })
        }
        for s in megaShares { XCTAssertTrue(s > 0.2 && s < 0.75, "mega-seller share \(s)") }
        XCTAssertNotEqual(megaShares[0], megaShares[1])
    }

    func testTakeoversWithAndWithoutResetAndRefundRingsClaimNotReceived() throws {
        var withReset = 0, withoutReset = 0
        for seed: UInt64 in [1, 2] {
            let w = try world(seed)
            var byAccount: [String: [[String: Any]]] = [:]
            for e in w.events { byAccount[e["account_id"] as! String, default: []].append(e) }
            for (id, t) in w.truth where t.fraud && t.attack == "ato" {
                let ev = (byAccount[id] ?? []).sorted { int64($0["ts"])! < int64($1["ts"])! }
                // The attacker's device is the one that placed the last order; did it reset the password?
                guard let dev = ev.last(where: { $0["type"] as? String == "order" })?["device_id"] as? String else { continue }
                if ev.contains(where: { $0["type"] as? String == "password_reset" && $0["device_id"] as? String == dev }) { withReset += 1 } else { withoutReset += 1 }
            }
            // Refund-abuse rings: most of their orders end in a refund claim, mostly "not received";
            // members share delivery addresses.
            var orders = 0, refunds = 0, notReceived = 0
            var addressUsers: [String: Set<String>] = [:]
            for (id, t) in w.truth where t.fraud && t.attack == "refund_abuse" {
                for e in byAccount[id] ?? [] {
                    switch e["type"] as? String {
                    case "order": orders += 1; addressUsers[e["address_id"] as! String, default: []].insert(id)
                    case "refund": refunds += 1; if e["status"] as? String == "not_received" { notReceived += 1 }
                    default: break
                    }
                }
            }
            XCTAssertGreaterThan(orders, 0)
            XCTAssertGreaterThan(Double(refunds) / Double(orders), 0.4, "seed \(seed)")
            XCTAssertGreaterThan(Double(notReceived) / Double(refunds), 0.5, "seed \(seed)")
            XCTAssertTrue(addressUsers.values.contains { $0.count >= 2 })
        }
        XCTAssertGreaterThan(withReset, 0)
        XCTAssertGreaterThan(withoutReset, 0)
    }
}
