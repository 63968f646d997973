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
        // Seed 8 draws a power user whose only two orders came from a network its logins never used.
        try forEachSeed(also: [8]) { seed in
            var rng = SeededRandom(seed &+ 100)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            for k in 0..<160 { let a = s.account("p\(k)"); routine(s, a, &rng, device: "p\(k)-phone") }
            // Power users: several orders a day on two cards, one in four the expensive item;
            // on day 6 a second phone appears, with a card not used before — and both stay.
            for k in 0..<20 {
                let a = s.account("pwr\(k)")
                routine(s, a, &rng, device: "pwr\(k)-phone", days: 0..<6, ordersPerDay: 2...6, cards: ["pwr\(k)-a"], bigItemChance: 0.25)
                routine(s, a, &rng, device: "pwr\(k)-phone", days: 8..<28, ordersPerDay: 2...6, cards: ["pwr\(k)-a", "pwr\(k)-b"], bigItemChance: 0.25)
                let at = Scenario.t0 + 6 * day + Int64(rng.int(8...12)) * hour
                s.event(a, "login", at: at, ["device_id": "pwr\(k)-second", "country": "TH", "status": "ok"])
                for j in 0..<4 {
                    s.order(a, item: j == 0 ? "tv" : "socks", seller: "shop", at: at + Int64(5 + 9 * j) * minute, device: "pwr\(k)-second",
                            address: "pwr\(k)-home", payment: "pwr\(k)-b", amount: j == 0 ? 640 : 12)
                }
                routine(s, a, &rng, device: "pwr\(k)-second", days: 8..<28, ordersPerDay: 1...3, cards: ["pwr\(k)-a", "pwr\(k)-b"])
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
            XCTAssertEqual(flagged.subtracting(["victim"]), [], "power users' second phones, ordinary owners: "
                           + f.filter { t.accountID($0.account) != "victim" }.map(\.reason).joined(separator: " | "))
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

    func testAThinFarmMemberOnTheFarmsPhonesIsCaughtTheirOwnersRelativesAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 300)
            let s = Scenario(seed: seed)
            let clients = (0..<10).map { s.account("client\($0)", kind: "seller") }
            for c in clients { s.item("item-\(c)", seller: c) }
            let pool = (0..<60).map { s.item("p\($0)", seller: clients[$0 % 10]) }
            func live(_ a: String, device: String) {
                for d in stride(from: rng.int(0...2), to: 28, by: 3) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour
                    for _ in 0..<rng.int(2...6) {
                        s.event(a, "view", at: at, ["item_id": pool[rng.int(0...59)], "device_id": device])
                        at += Int64(1000 * (5 + rng.exponential(90)))
                    }
                }
            }
            for k in 0..<150 { let a = s.account("u\(k)"); live(a, device: "ud\(k)") }
            // Ten regulars on twelve jobs, from four shared phones.
            var jobs: [(client: String, start: Int64, kind: Int)] = []
            for j in 0..<12 { jobs.append((clients[j % 10], Scenario.t0 + Int64(1 + j * 2) * day + Int64(rng.int(9...20)) * hour, j % 3)) }
            func act(_ a: String, _ j: Int, device: String) {
                let (c, start, kind) = jobs[j]
                let at = start + Int64(rng.unit() * 6 * Double(minute))
                switch kind {
                case 0: s.event(a, "live_view", at: at, ["target_id": c, "device_id": device])
                case 1: s.event(a, "follow", at: at, ["target_id": c, "device_id": device])
                default: s.event(a, "view", at: at, ["item_id": "item-\(c)", "seller_id": c, "device_id": device])
                }
            }
            for f in 0..<10 {
                let a = s.account("farm\(f)"); live(a, device: "own\(f)")
                for j in 0..<12 where rng.chance(0.9) { act(a, j, device: "fdev\(f % 4)") }
            }
            // Thin members: two jobs each, on the farm's phones — too few to stand out among
            // the whole store, enough among the handful of accounts on those phones.
            for k in 0..<4 {
                let a = s.account("thin\(k)"); live(a, device: "thinown\(k)")
                act(a, 3 * k, device: "fdev\(k)")
                act(a, 3 * k + 1, device: "fdev\(k)")
            }
            // Relatives of the phones' owners: they log in on those phones and browse, nothing else.
            for k in 0..<4 {
                let a = s.account("kin\(k)")
                s.event(a, "login", at: Scenario.t0 + Int64(5 + k) * day, ["device_id": "fdev\(k)", "status": "ok"])
                live(a, device: "fdev\(k)")
            }
            let (f, t) = try s.run(ClickFarmDetector())
            let flagged = f.accounts(t)
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("farm") }.count, 9, "\(flagged.sorted())")
            XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("thin") }.count, 3, "\(flagged.sorted())")
            XCTAssertTrue(flagged.filter { $0.hasPrefix("u") || $0.hasPrefix("kin") }.isEmpty, "people and relatives: \(flagged.sorted())")
        }
    }

    func testScalperSignsAreJudgedAgainstTheStoresOwnBuyers() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 400)
            let s = Scenario(seed: seed)
            s.account("brand", kind: "seller")
            s.item("tee", seller: "brand", price: 15)
            let drops = (0..<4).map { k -> (String, Int64) in
                let at = Scenario.t0 + Int64(3 + 5 * k) * day + 20 * hour
                return (s.item("drop\(k)", seller: "brand", price: 120, limited: true, dropAt: at), at)
            }
            // A store where people order two to four pieces as a matter of course.
            for k in 0..<80 {
                let a = s.account("shopper\(k)")
                for d in stride(from: rng.int(0...4), to: 28, by: 5) {
                    s.order(a, item: "tee", seller: "brand", at: Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour,
                            device: "sd\(k)", address: "sa\(k)", payment: "sc\(k)", amount: 45, quantity: rng.int(1...4))
                }
            }
            // Fans: one drop each, two pieces as everyone here buys; some quick, some had not
            // looked at the item before.
            for k in 0..<40 {
                let a = s.account("fan\(k)")
                let (item, at) = drops[k % 4]
                if rng.chance(0.5) { s.event(a, "view", at: at - day, ["item_id": item, "seller_id": "brand", "device_id": "fd\(k)"]) }
                let react = Int64(1000 * (k % 5 == 0 ? 1.5 + rng.unit() : 3 + rng.exponential(30)))
                s.order(a, item: item, seller: "brand", at: at + react, device: "fd\(k)", address: "fa\(k)", payment: "fc\(k)",
                        amount: 240, quantity: 2, ip: "10.\(k).1.1")
            }
            // Bots: every drop, first to check out, never a look before, one warehouse.
            for b in 0..<3 {
                let a = s.account("bot\(b)")
                for (item, at) in drops {
                    s.order(a, item: item, seller: "brand", at: at + Int64(400 + rng.int(0...600)), device: "bd\(b)", address: "depot",
                            payment: "bc\(b)", amount: 360, quantity: 3, ip: "203.0.113.\(10 + b)")
                }
            }
            let (f, t) = try s.run(ScalperDetector())
            XCTAssertEqual(f.accounts(t), ["bot0", "bot1", "bot2"])
            XCTAssertTrue(f.first?.reason.contains("first third") == true, f.first?.reason ?? "no finding")
        }
    }

    func testLinksToStrangersAreJudgedAgainstHowOftenTheStoresPeopleWriteToStrangers() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 500)
            // A community marketplace where people write to people they never traded with,
            // and a shop whose customers write only to the shop they bought from.
            func store(strangers: Bool) throws -> Set<String> {
                let s = Scenario(seed: seed)
                s.account("shop", kind: "seller")
                s.item("bike", seller: "shop", price: 90)
                for k in 0..<200 { s.account("u\(k)") }
                for k in 0..<600 {
                    let from = rng.int(0...199), at = Scenario.t0 + Int64(k) * 30 * minute
                    if strangers {
                        let to = (from + 1 + rng.int(0...197)) % 200
                        s.event("u\(from)", "message", at: at, ["target_id": "u\(to)", "text": "hi, is the bike still there?"])
                    } else {
                        s.order("u\(from)", item: "bike", seller: "shop", at: at, device: "d\(from)")
                        s.event("u\(from)", "message", at: at + minute, ["target_id": "shop", "text": "when will it ship?"])
                    }
                }
                // A club organiser invites 40 members, most of whom it never traded with.
                s.account("organiser")
                for k in 0..<40 {
                    s.event("organiser", "message", at: Scenario.t0 + 5 * day + Int64(k) * minute,
                            ["target_id": "u\(k)", "text": "Ride on Sunday, details at https://club.example/ride\(k % 3)"])
                    if k % 4 == 0 { s.event("u\(k)", "message", at: Scenario.t0 + 4 * day, ["target_id": "organiser", "text": "count me in"]) }
                }
                let (f, t) = try s.run(SpamDetector())
                return f.accounts(t)
            }
            XCTAssertEqual(try store(strangers: true), [], "where writing to strangers is the norm, 30 of 40 is ordinary")
            XCTAssertEqual(try store(strangers: false), ["organiser"], "where nobody does, it is not")
        }
    }
}
