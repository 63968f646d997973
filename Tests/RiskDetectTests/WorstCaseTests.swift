import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The variants the random worlds' worst cases were made of: a takeover whose data starts
/// with it, a power user whose second phone and busy days look like one, a bot that walks
/// items and profiles alternately, drops and spam judged against the store's own rates.
final class WorstCaseTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// Ordinary logins and a few small orders on the account's own phone at home.
    func routine(_ s: Scenario, _ a: String, _ rng: inout SeededRandom, device: String, days: Range<Int> = 0..<28,
                 ordersPerDay: ClosedRange<Int> = 0...0, orderChance: Double = 0.2, cards: [String]? = nil, bigItemChance: Double = 0) {
        for d in days where rng.chance(0.7) {
            let t = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...20)) * hour + Int64(rng.int(0...3_599)) * 1000
            s.event(a, "login", at: t, ["device_id": device, "country": "TH", "status": "ok", "ip": "10.1.\(a.count).1"])
            let n = ordersPerDay.upperBound > 0 ? rng.int(ordersPerDay) : (rng.chance(orderChance) ? 1 : 0)
            for k in 0..<n {
                let big = rng.chance(bigItemChance)
                let card = cards.map { $0[rng.int(0...($0.count - 1))] } ?? "\(a)-card"
                s.order(a, item: big ? "tv" : "socks", seller: "shop", at: t + Int64(10 + 7 * k) * minute, device: device,
                        address: "\(a)-home", payment: card, amount: big ? 640 : 8 + Double(rng.int(0...20)))
            }
        }
    }

    func testATakeoverAtTheStartOfTheDataIsCaughtAPowerUsersSecondPhoneIsNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 100)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            for k in 0..<160 { let a = s.account("p\(k)"); routine(s, a, &rng, device: "p\(k)-phone") }
            // Power users: several orders a day on two cards, now and then the expensive item;
            // on day 2 a second phone appears, with a card not used before — and both stay.
            for k in 0..<20 {
                let a = s.account("pwr\(k)")
                routine(s, a, &rng, device: "pwr\(k)-phone", days: 0..<2, ordersPerDay: 2...6, cards: ["pwr\(k)-a"], bigItemChance: 0.1)
                routine(s, a, &rng, device: "pwr\(k)-phone", days: 3..<28, ordersPerDay: 2...6, cards: ["pwr\(k)-a", "pwr\(k)-b"], bigItemChance: 0.1)
                let at = Scenario.t0 + 2 * day + Int64(rng.int(8...12)) * hour
                s.event(a, "login", at: at, ["device_id": "pwr\(k)-second", "country": "TH", "status": "ok"])
                for j in 0..<4 {
                    s.order(a, item: j == 0 ? "tv" : "socks", seller: "shop", at: at + Int64(5 + 9 * j) * minute, device: "pwr\(k)-second",
                            address: "pwr\(k)-home", payment: "pwr\(k)-b", amount: j == 0 ? 640 : 12)
                }
                routine(s, a, &rng, device: "pwr\(k)-second", days: 4..<28, ordersPerDay: 1...3, cards: ["pwr\(k)-a", "pwr\(k)-b"])
            }
            // The victim: the data opens with the intruder — a device never seen again, a new
            // address, the expensive item on a new card — and the owner then goes on as usual.
            s.account("victim")
            let t1 = Scenario.t0 + 40 * minute
            s.event("victim", "login", at: t1, ["device_id": "intruder", "country": "TH", "status": "ok", "ip": "203.0.113.9"])
            s.event("victim", "address_change", at: t1 + 9 * minute, ["device_id": "intruder", "address_id": "drop-flat"])
            s.order("victim", item: "tv", seller: "shop", at: t1 + 30 * minute, device: "intruder", address: "drop-flat",
                    payment: "stolen-card", amount: 640)
            routine(s, "victim", &rng, device: "victim-phone", days: 2..<28, orderChance: 0.4)
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertTrue(flagged.contains("victim"), "\(flagged.sorted())")
            XCTAssertEqual(flagged.subtracting(["victim"]), [], "power users' second phones, ordinary owners")
            if let v = f.first(where: { t.accountID($0.account) == "victim" }) {
                XCTAssertTrue(v.reason.contains("used at no other time"), v.reason)
            }
        }
    }

    func testABotWalkingItemsAndProfilesAlternatelyIsCaughtPeopleWhoBrowseBothAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 200)
            let s = Scenario(seed: seed)
            for k in 0..<400 { s.account("u\(k)") }
            s.account("shop", kind: "seller")
            let items = (0..<300).map { s.item("i\($0)", seller: "shop") }
            // People: sessions of item pages and profiles at human pace; some browse a lot.
            for k in 0..<300 {
                let heavy = k % 20 == 0
                for d in 0..<28 where rng.chance(heavy ? 0.9 : 0.3) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour
                    for _ in 0..<rng.int(heavy ? 10...40 : 2...12) {
                        if rng.chance(0.4) {
                            s.event("u\(k)", "profile_view", at: at, ["target_id": "u\(rng.int(0...398))", "device_id": "d\(k)"])
                        } else {
                            s.event("u\(k)", "view", at: at, ["item_id": items[rng.int(0...299)], "seller_id": "shop", "device_id": "d\(k)"])
                        }
                        at += Int64(1000 * (5 + rng.exponential(50)))
                    }
                }
            }
            // The bot: a request every 20 s (±15 %), each the next profile or the next item
            // page at random — neither kind alone is regular.
            var cursor = 0
            for d in [4, 11, 19] {
                var at = Scenario.t0 + Int64(d) * day + 3 * hour
                for _ in 0..<160 {
                    cursor += rng.int(1...3)
                    if rng.chance(0.5) {
                        s.event("u399", "profile_view", at: at, ["target_id": "u\(cursor % 398)", "device_id": "bot"])
                    } else {
                        s.event("u399", "view", at: at, ["item_id": items[cursor % 300], "seller_id": "shop", "device_id": "bot"])
                    }
                    at += Int64(20_000 * (0.85 + 0.3 * rng.unit()))
                }
            }
            let (f, t) = try s.run(ScrapingDetector())
            XCTAssertEqual(f.accounts(t), ["u399"])
            XCTAssertTrue(f.first?.reason.contains("profiles and item pages") == true, f.first?.reason ?? "no finding")
        }
    }
}
