import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// A seeded generator for the hand-built scenarios below (SplitMix64): the same seed, the
/// same marketplace.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
    mutating func unit() -> Double { Double.random(in: 0..<1, using: &self) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    /// An exponential draw with the given mean: the gaps of unplanned, human activity.
    mutating func exponential(_ mean: Double) -> Double { -log(max(1e-12, 1 - unit())) * mean }
    /// An owner's address on one day: the home network `home` (a /24), or (`carrier`) one of the three blocks
    /// of the carrier's pool that serve the owner's `area`, now and then another area's (roaming: a session on
    /// a network new to the account, as in any store with mobile buyers).
    mutating func ownerIP(home: String, carrier: Bool, area: Int) -> String {
        !carrier ? "\(home).\(int(2...9))"
            : chance(0.15) ? "100.68.\(int(0...250)).\(int(2...250))" : "100.\(64 + int(0...2)).\(area).\(int(2...250))"
    }
}

extension Scenario {
    /// An owner's days on their own device(s) (`ownerIP`: at home, or on the carrier's pool serving `area`): on 60 % of
    /// `days`, a login now and then, a search with `searchChance` (nil: none, and no draw), 1 to `views` views of the
    /// shop's socks, and with `orders` an order of about 30 from home address and card. Shared by the takeover
    /// scenarios whose owners live such days (TakeoverOrdersOnlyTests, TakeoverNovelOrdersTests).
    func ownerDays(_ a: String, rng: inout SeededRandom, device: (Int) -> String, home: String, carrier: Bool, area: Int,
                   days: [Int], searchChance: Double?, views: Int, orders: Double) {
        let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute
        for d in days where rng.chance(0.6) {
            let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
            let ip = rng.ownerIP(home: home, carrier: carrier, area: area)
            let f: [String: Any] = ["device_id": device(d), "country": "TH", "ip": ip]
            if rng.chance(0.5) { event(a, "login", at: at, f.merging(["status": "ok"]) { $1 }) }
            if let p = searchChance, rng.chance(p) { event(a, "search", at: at + 30_000, f) }
            for v in 0..<rng.int(1...views) {
                event(a, "view", at: at + Int64(v + 1) * minute, f.merging(["item_id": "socks", "seller_id": "shop"]) { $1 })
            }
            if rng.chance(orders) {
                order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: device(d), address: "\(a)-home",
                      payment: "\(a)-card", amount: Double(rng.int(25...35)), ip: ip)
            }
        }
    }
}

/// Detectors on marketplaces unlike the one they were first written against: thresholds
/// come from the store's own distributions, so a crowd that is ordinary *here* is not
/// flagged and an attack that is unusual *here* is, whatever its absolute numbers.
final class RobustDetectorTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// Ordinary logins and a few small orders on the account's own phone at home.
    func routine(_ s: Scenario, _ a: String, _ rng: inout SeededRandom, device: String, country: String = "TH", days: Range<Int> = 0..<20) {
        for d in days where rng.chance(0.7) {
            let t = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour + Int64(rng.int(0...3_599)) * 1000
            s.event(a, "login", at: t, ["device_id": device, "country": country, "status": "ok", "ip": "10.1.\(a.count).1"])
            if rng.chance(0.2) {
                s.order(a, item: "socks", seller: "shop", at: t + 10 * minute, device: device, address: "\(a)-home",
                        payment: "\(a)-card", amount: 8 + Double(rng.int(0...20)))
            }
        }
    }

    func testAMegaSellersHonestBuyersAreNotBrushingButASmallSellersRingIs() throws {
        var rng = SeededRandom(11)
        let s = Scenario()
        s.account("mega", kind: "seller")
        s.account("tiny", kind: "seller")
        for k in 0..<8 { s.item("m\(k)", seller: "mega") }
        s.item("t0", seller: "tiny"); s.item("t1", seller: "tiny")
        // Half the store's orders: 700 buyers in households of one to four sharing an address,
        // often a tablet and a card; short five-star reviews anyone would write.
        let short = ["Great!", "Love it", "Perfect", "Good", "Great product", "Fast delivery", "ok"]
        var b = 0
        while b < 700 {
            let size = [1, 1, 2, 2, 3, 4][rng.int(0...5)]
            let house = "house\(b)"
            let tablet = rng.chance(0.5) ? "tablet\(b)" : nil
            let card = rng.chance(0.4) ? "hcard\(b)" : nil
            for m in 0..<size {
                let a = s.account("buyer\(b + m)")
                let dev = tablet ?? "phone\(b + m)"
                for _ in 0..<(rng.chance(0.35) ? rng.int(2...4) : 1) {
                    let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...86_000)) * 1000
                    let item = "m\(rng.int(0...2))"        // a few best-sellers take most orders
                    s.order(a, item: item, seller: "mega", at: at, device: dev, address: house, payment: card ?? "card-\(a)")
                    if rng.chance(0.6) {
                        let rating = rng.chance(0.8) ? 5 : rng.int(3...4)
                        s.event(a, "review", at: at + Int64(rng.int(1...5)) * day,
                                ["item_id": item, "seller_id": "mega", "rating": rating, "text": short[rng.int(0...short.count - 1)], "device_id": dev])
                    }
                }
            }
            b += size
        }
        // A ring of eight boosting a small seller: repeated orders from two shared devices,
        // copied five-star texts.
        let texts = ["Great product, fast delivery", "great product fast delivery!!", "Excellent quality highly recommend."]
        for r in 0..<8 {
            let a = s.account("ring\(r)")
            for k in 0..<3 {
                let at = Scenario.t0 + Int64(2 + r + k * 6) * day + Int64(rng.int(0...40_000)) * 1000
                let item = k % 2 == 0 ? "t0" : "t1"
                s.order(a, item: item, seller: "tiny", at: at, device: "rdev\(r % 2)", address: "raddr\(r % 3)", payment: "rcard\(r % 2)")
                s.event(a, "review", at: at + day, ["item_id": item, "seller_id": "tiny", "rating": 5, "text": texts[rng.int(0...2)], "device_id": "rdev\(r % 2)"])
            }
        }
        // The rest of the store: small sellers and their ordinary buyers.
        s.smallShops(15, buyers: 12, &rng) { rng, a, k, at in
            if rng.chance(0.4) {
                s.event(a, "review", at: at + 2 * day, ["item_id": "x\(k)", "seller_id": "small\(k)", "rating": rng.int(3...5), "text": short[rng.int(0...short.count - 1)]])
            }
        }
        for h in 0..<10 {
            let a = s.account("tinyfan\(h)")
            s.order(a, item: "t\(h % 2)", seller: "tiny", at: Scenario.t0 + Int64(h) * 2 * day, device: "fan\(h)", address: "fanaddr\(h)", payment: "fancard\(h)")
        }
        let (f, t) = try s.run(BrushingDetector())
        let flagged = f.accounts(t)
        XCTAssertTrue(flagged.filter { $0.hasPrefix("buyer") || $0.hasPrefix("sb") }.isEmpty, "ordinary buyers of the big seller: \(flagged.filter { $0.hasPrefix("buyer") }.sorted().prefix(20))")
        XCTAssertFalse(flagged.contains("mega"))
        XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("ring") }.count, 7, "\(flagged.sorted())")
        XCTAssertTrue(flagged.contains("tiny"))
        XCTAssertFalse(flagged.contains { $0.hasPrefix("tinyfan") })
    }

    func testATakeoverWithoutAResetIsCaughtTripsAndNewPhonesAreNot() throws {
        var rng = SeededRandom(12)
        let s = Scenario()
        s.account("shop", kind: "seller")
        s.item("tv", seller: "shop", price: 640)
        s.item("socks", seller: "shop", price: 8)
        for k in 0..<160 { let a = s.account("p\(k)"); routine(s, a, &rng, device: "p\(k)-phone") }
        // Travellers: logins abroad on a new phone, an order there — and home again.
        for k in 0..<25 {
            let a = s.account("trav\(k)")
            routine(s, a, &rng, device: "trav\(k)-phone")
            let d = rng.int(21...24)
            let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
            s.event(a, "login", at: at, ["device_id": "trav\(k)-new", "country": ["GB", "JP", "US"][k % 3], "status": "ok"])
            if rng.chance(0.6) {
                s.order(a, item: rng.chance(0.3) ? "tv" : "socks", seller: "shop", at: at + hour, device: "trav\(k)-new",
                        address: "trav\(k)-home", payment: "trav\(k)-card", amount: 30)
            }
        }
        // New phones at home, and people who mistype a password now and then.
        for k in 0..<25 {
            let a = s.account("newphone\(k)")
            routine(s, a, &rng, device: "np\(k)-old")
            let at = Scenario.t0 + Int64(rng.int(21...25)) * day + 9 * hour
            if rng.chance(0.5) { s.event(a, "login", at: at - minute, ["device_id": "np\(k)-new", "country": "TH", "status": "fail"]) }
            s.event(a, "login", at: at, ["device_id": "np\(k)-new", "country": "TH", "status": "ok"])
            if rng.chance(0.3) { s.event(a, "address_change", at: at + 3 * hour, ["device_id": "np\(k)-new", "address_id": "np\(k)-moved"]) }
        }
        // The victim: the password was stolen, no reset — a login from a new device abroad,
        // the shipping address changed, a new card, an expensive order.
        s.account("victim")
        routine(s, "victim", &rng, device: "victim-phone")
        let t1 = Scenario.t0 + 23 * day + 3 * hour
        s.event("victim", "login", at: t1, ["device_id": "intruder", "country": "VN", "status": "ok", "ip": "203.0.113.9"])
        s.event("victim", "address_change", at: t1 + 12 * minute, ["device_id": "intruder", "address_id": "drop-flat"])
        s.order("victim", item: "tv", seller: "shop", at: t1 + 40 * minute, device: "intruder", address: "drop-flat", payment: "stolen-card", amount: 640)
        s.order("victim", item: "tv", seller: "shop", at: t1 + 70 * minute, device: "intruder", address: "drop-flat", payment: "stolen-card", amount: 640)
        for d in 25..<28 {
            s.event("victim", "login", at: Scenario.t0 + Int64(d) * day + 9 * hour, ["device_id": "victim-phone", "country": "TH", "status": "ok"])
        }
        let (f, t) = try s.run(TakeoverDetector())
        let flagged = f.accounts(t)
        XCTAssertTrue(flagged.contains("victim"), "\(flagged.sorted())")
        XCTAssertEqual(flagged.subtracting(["victim"]), [], "trips, new phones, ordinary owners")
        let v = f.first { t.accountID($0.account) == "victim" }!
        XCTAssertTrue(v.reason.contains("never-seen device") && v.reason.contains("VN") && !v.reason.contains("reset"), v.reason)
    }

    func testASlowButMachineRegularScraperIsCaught() throws {
        var rng = SeededRandom(13)
        let s = Scenario()
        for k in 0..<600 { s.account("u\(k)") }
        s.account("shop", kind: "seller")
        let items = (0..<300).map { s.item("i\($0)", seller: "shop") }
        // People: sessions of a few to a few dozen views at human pace; some browse a lot.
        for k in 0..<300 {
            let heavy = k % 20 == 0
            for d in 0..<28 where rng.chance(heavy ? 0.9 : 0.3) {
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour
                for _ in 0..<rng.int(heavy ? 10...40 : 2...12) {
                    s.event("u\(k)", "view", at: at, ["item_id": items[rng.int(0...299)], "seller_id": "shop", "device_id": "d\(k)"])
                    at += Int64(1000 * (5 + rng.exponential(50)))
                }
            }
        }
        // The bot: one profile every two and a half minutes (±10%), a few hours a day.
        var cursor = 0
        for d in [3, 9, 17] {
            var at = Scenario.t0 + Int64(d) * day + 2 * hour
            for _ in 0..<90 {
                s.event("u599", "profile_view", at: at, ["target_id": "u\(cursor % 598)", "device_id": "bot"])
                cursor += rng.int(1...3)
                at += Int64(150_000 * (0.9 + 0.2 * rng.unit()))
            }
        }
        let (f, t) = try s.run(ScrapingDetector())
        XCTAssertEqual(f.accounts(t), ["u599"])
        XCTAssertTrue(f[0].reason.contains("min"), f[0].reason)
    }

    func testARefundRingSharingAddressesAndACardIsFlaggedHonestReturnsAreNot() throws {
        var rng = SeededRandom(14)
        let s = Scenario()
        s.account("shop", kind: "seller")
        for k in 0..<5 { s.item("g\(k)", seller: "shop", price: 40) }
        let reasons = ["damaged", "not_as_described", "late", "changed_mind", "not_received"]
        // Honest buyers, some in households; now and then a refund for any reason.
        for k in 0..<400 {
            let a = s.account("h\(k)")
            let home = k % 3 == 0 ? "home\(k / 3)" : "home-\(a)"
            for _ in 0..<rng.int(1...8) {
                let at = Scenario.t0 + Int64(rng.int(0...20)) * day + Int64(rng.int(0...80_000)) * 1000
                s.order(a, item: "g\(rng.int(0...4))", seller: "shop", at: at, device: "d-\(a)", address: home, payment: "c-\(a)", amount: 40)
                if rng.chance(0.04) {
                    s.event(a, "refund", at: at + Int64(rng.int(3...9)) * day, ["amount": 40, "status": reasons[rng.int(0...4)]])
                }
            }
        }
        // A serial returner: many orders, many returns, all of them honest "changed_mind".
        s.account("returner")
        for k in 0..<20 {
            let at = Scenario.t0 + Int64(k) * day
            s.order("returner", item: "g1", seller: "shop", at: at, device: "rt", address: "rt-home", payment: "rt-card", amount: 40)
            if k % 5 == 0 { s.event("returner", "refund", at: at + 4 * day, ["amount": 40, "status": "changed_mind"]) }
        }
        // The ring: six accounts, two drop addresses, one card; nearly every order "not received".
        for r in 0..<6 {
            let a = s.account("rr\(r)")
            for k in 0..<rng.int(3...5) {
                let at = Scenario.t0 + Int64(1 + k * 4 + r % 3) * day + Int64(rng.int(0...40_000)) * 1000
                s.order(a, item: "g\(k % 5)", seller: "shop", at: at, device: "rr-dev\(r)", address: "drop\(r % 2)", payment: "ring-card", amount: 40)
                if k == 0 || rng.chance(0.85) {
                    s.event(a, "refund", at: at + 6 * day, ["amount": 40, "status": "not_received", "device_id": "rr-dev\(r)"])
                }
            }
        }
        let (f, t) = try s.run(RefundAbuseDetector())
        let flagged = f.accounts(t)
        XCTAssertEqual(flagged, Set((0..<6).map { "rr\($0)" }), "\(flagged.sorted())")
        XCTAssertEqual(Set(f.compactMap(\.group)).count, 1, "one ring")
        XCTAssertTrue(f.allSatisfy { $0.riskType == "refund_abuse" && $0.reason.contains("not received") }, f[0].reason)
        XCTAssertTrue(f[0].identifiers.contains { $0.kind == "payment" || $0.kind == "address" })
    }

    func testClickFarmMembersWhoJoinOnlySomeBurstsOfMixedTargetsAreCaughtFansAreNot() throws {
        var rng = SeededRandom(15)
        let s = Scenario()
        let clients = (0..<10).map { s.account("client\($0)", kind: "seller") }
        for c in clients { s.item("item-\(c)", seller: c) }
        s.account("star", kind: "creator")
        let pool = (0..<60).map { s.item("p\($0)", seller: clients[$0 % 10]) }
        // Ordinary people browsing, and fans of one star who watch its shows together.
        func live(_ a: String, device: String) {
            for d in stride(from: rng.int(0...2), to: 28, by: 3) {
                var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour
                for _ in 0..<rng.int(2...6) {
                    s.event(a, "view", at: at, ["item_id": pool[rng.int(0...59)], "device_id": device])
                    at += Int64(1000 * (5 + rng.exponential(90)))
                }
            }
        }
        for k in 0..<120 { let a = s.account("u\(k)"); live(a, device: "ud\(k)") }
        for k in 0..<40 {
            let a = s.account("fan\(k)")
            for show in 0..<8 {
                let start = Scenario.t0 + Int64(1 + show * 3) * day + 19 * hour
                s.event(a, "live_view", at: start + Int64(rng.exponential(20) * Double(minute)), ["target_id": "star", "device_id": "fd\(k)"])
            }
            live(a, device: "fd\(k)")
        }
        // The farm: 16 accounts on 12 jobs — live rooms, follows, item views — each job done
        // within 4 to 50 minutes. Eight regulars join nearly every job, eight only some.
        for f in 0..<16 { let a = s.account("farm\(f)"); live(a, device: "own\(f)") }
        for j in 0..<12 {
            let c = clients[j % 10]
            let start = Scenario.t0 + Int64(1 + j * 2) * day + Int64(rng.int(9...20)) * hour
            let spread = Double(rng.int(4...50)) * Double(minute)
            for f in 0..<16 where f < 8 ? rng.chance(0.9) : rng.chance(0.35) {
                let at = start + Int64(rng.unit() * spread)
                let dev = "fdev\(f % 4)"
                switch j % 3 {
                case 0: s.event("farm\(f)", "live_view", at: at, ["target_id": c, "device_id": dev])
                case 1: s.event("farm\(f)", "follow", at: at, ["target_id": c, "device_id": dev])
                default: s.event("farm\(f)", "view", at: at, ["item_id": "item-\(c)", "seller_id": c, "device_id": dev])
                }
            }
        }
        let (f, t) = try s.run(ClickFarmDetector())
        let flagged = f.accounts(t)
        XCTAssertGreaterThanOrEqual(flagged.filter { $0.hasPrefix("farm") }.count, 14, "\(flagged.sorted())")
        XCTAssertTrue(flagged.filter { !$0.hasPrefix("farm") }.isEmpty, "fans and people: \(flagged.sorted())")
        XCTAssertEqual(Set(f.compactMap(\.group)).count, 1, "one farm, whichever window saw it")
    }
}
