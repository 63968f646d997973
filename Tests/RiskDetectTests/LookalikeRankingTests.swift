import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// Innocent look-alikes the anomaly layer must not lift (docs/detection.md, "How findings
/// combine"): a seller's service messages to its own buyers are not contact with strangers, and
/// a household sharing a card and an address is judged against households, not loners — while
/// a stranger-spammer and a ring of strangers on one card still stand out.
final class LookalikeRankingTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    func testASellersShippingNoticesToItsOwnBuyersStayLowWhileAStrangerSpammerStandsOut() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            // 60 sellers with a few items each; 700 buyers ordering from a few of them.
            for k in 0..<60 { s.account("s\(k)", kind: "seller"); for j in 0..<3 { s.item("it\(k)-\(j)", seller: "s\(k)") } }
            var buyersOf = [[String]](repeating: [], count: 60)
            for b in 0..<700 {
                let a = s.account("b\(b)")
                // The shop (s0) sells to 300 of them; the spammer (s1) to nobody it writes to.
                let sellers = b < 300 ? [0, Int(s.int(in: 2...59))] : [Int(s.int(in: 2...59))]
                for (o, k) in sellers.enumerated() {
                    s.order(a, item: "it\(k)-\(s.int(in: 0...2))", seller: "s\(k)", at: Scenario.t0 + Int64(o) * 3 * day + s.int(in: 0...(20 * day)),
                            device: "ph-\(a)", address: "home-\(a)", payment: "card-\(a)")
                    buyersOf[k].append(a)
                }
            }
            // Every seller sends its buyers a shipping notice; some buyers wrote first.
            for k in 0..<60 where k != 1 {
                for (i, b) in buyersOf[k].enumerated() {
                    if i % 7 == 0 { s.event(b, "message", at: Scenario.t0 + 21 * day + Int64(i) * 60_000, ["target_id": "s\(k)", "text": "Is it in stock?"]) }
                    s.event("s\(k)", "message", at: Scenario.t0 + 22 * day + Int64(i) * 60_000, ["target_id": b, "text": "Your order has shipped, thank you for buying!"])
                }
            }
            // The spammer: one text to 300 buyers that never dealt with it.
            for i in 0..<300 {
                s.event("s1", "message", at: Scenario.t0 + 22 * day + Int64(i) * 60_000, ["target_id": "b\(300 + i)", "text": "Your order has shipped, thank you for buying!"])
            }
            let (_, t) = try s.build()
            let a = Anomaly.compute(t)
            let shop = Int(t.accounts.lookup("s0")!), spammer = Int(t.accounts.lookup("s1")!)
            XCTAssertGreaterThan(a.rank[spammer], 0.97, "the spammer: \(a.explanation(spammer, t) ?? "-")")
            XCTAssertLessThan(a.rank[shop], 0.9, "the shop: \(a.explanation(shop, t) ?? "-")")
            XCTAssertGreaterThan(a.raw[spammer], a.raw[shop] + 5)
        }
    }

    /// fp36: two of 80 sellers send a notice to their 200 buyers, a fraction of a second to three
    /// seconds apart. The burst is the notice's pace, not the seller's: it must not make them
    /// unusual among sellers (as on bazaar: "median gap between events 2 s, 75 max events in an
    /// hour"). The same burst to buyers who never dealt with the sender still stands out.
    func testABroadcastToItsOwnBuyersIsNotTheSellersPace() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            for k in 0..<80 { s.account("s\(k)", kind: "seller"); for j in 0..<3 { s.item("it\(k)-\(j)", seller: "s\(k)") } }
            var buyersOf = [[String]](repeating: [], count: 80)
            for b in 0..<900 {
                let a = s.account("b\(b)")
                let k = b < 200 ? 0 : b < 400 ? 2 : Int(s.int(in: 3...79))
                s.order(a, item: "it\(k)-\(s.int(in: 0...2))", seller: "s\(k)", at: Scenario.t0 + s.int(in: 0...(20 * day)),
                        device: "ph-\(a)", address: "home-\(a)", payment: "card-\(a)")
                buyersOf[k].append(a)
            }
            // Every seller logs in on most days.
            for k in 0..<80 {
                for d in 0..<28 where s.int(in: 0...9) < 8 {
                    s.event("s\(k)", "login", at: Scenario.t0 + Int64(d) * day + s.int(in: 0...(20 * hour)), ["device_id": "sd\(k)", "status": "ok"])
                }
            }
            // s0 and s2: a broadcast to their own buyers.
            for k in [0, 2] {
                var at = Scenario.t0 + 22 * day + Int64(k) * hour
                for b in buyersOf[k] {
                    at += s.int(in: 200...3_000)
                    s.event("s\(k)", "message", at: at, ["target_id": b, "text": "Our new collection is live, have a look!"])
                }
            }
            // s1: the same burst to 200 buyers of other sellers.
            var at = Scenario.t0 + 23 * day
            for b in 600..<800 {
                at += s.int(in: 200...3_000)
                s.event("s1", "message", at: at, ["target_id": "b\(b)", "text": "Our new collection is live, have a look!"])
            }
            let (_, t) = try s.build()
            let a = Anomaly.compute(t)
            let spammer = Int(t.accounts.lookup("s1")!)
            XCTAssertGreaterThan(a.rank[spammer], 0.97, "seed \(seed): the spammer: \(a.explanation(spammer, t) ?? "-")")
            for id in ["s0", "s2"] {
                let shop = Int(t.accounts.lookup(id)!)
                XCTAssertLessThan(a.rank[shop], 0.9, "seed \(seed): \(id): \(a.explanation(shop, t) ?? "-")")
                XCTAssertGreaterThan(a.raw[spammer], a.raw[shop] + 3, "seed \(seed): \(id): \(a.explanation(shop, t) ?? "-")")
            }
        }
    }

    func testAHouseholdOfFourOnOneCardAndAddressStaysLowWhileFourStrangersOnOneCardDoNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            s.account("s0", kind: "seller"); for j in 0..<8 { s.item("i\(j)", seller: "s0") }
            /// The same month for everyone: 2–4 orders, its device, address and card as given.
            func life(_ a: String, device: String, address: String, card: String) {
                let orders = Int(s.int(in: 2...4))
                for _ in 0..<orders {
                    s.order(a, item: "i\(s.int(in: 0...7))", seller: "s0", at: Scenario.t0 + s.int(in: 0...(27 * day)) + 9 * hour,
                            device: device, address: address, payment: card)
                }
            }
            for k in 0..<400 { s.account("o\(k)"); life("o\(k)", device: "ph-o\(k)", address: "home-o\(k)", card: "c-o\(k)") }
            // 60 households of 2–4 people on one address and card, each on a phone of its own.
            var fours: [String] = []
            for h in 0..<60 {
                let size = 2 + h % 3
                for m in 0..<size {
                    let a = s.account("h\(h)-\(m)")
                    if size == 4 { fours.append(a) }
                    life(a, device: "ph-\(a)", address: "house-\(h)", card: "hc-\(h)")
                }
            }
            // Four strangers (own phone, own home) paying with one card.
            let ring = (0..<4).map { s.account("r\($0)") }
            for a in ring { life(a, device: "ph-\(a)", address: "home-\(a)", card: "stolen-1") }
            let (_, t) = try s.build()
            let f = SharingIndependence.compute(t)
            func sharers(_ id: String, _ kind: Int) -> Double { expm1(Double(f[Int(t.accounts.lookup(id)!) * 3 + kind])) }
            // A household within the store's household scale reads like a loner; the ring does not.
            for a in fours {
                XCTAssertEqual(sharers(a, 1), 1, accuracy: 1e-4, "card sharers of \(a)")
                XCTAssertEqual(sharers(a, 2), 1, accuracy: 1e-4, "address sharers of \(a)")
            }
            XCTAssertEqual(sharers("o5", 1), 1, accuracy: 1e-4)
            for a in ring { XCTAssertGreaterThan(sharers(a, 1), 2.5, "card sharers of \(a)") }
            let anomaly = Anomaly.compute(t)
            let house = fours.map { anomaly.raw[Int(t.accounts.lookup($0)!)] }
            let strangers = ring.map { anomaly.raw[Int(t.accounts.lookup($0)!)] }
            XCTAssertGreaterThan(strangers.min()!, house.max()!, "ring \(strangers) vs households of four \(house)")
        }
    }
}
