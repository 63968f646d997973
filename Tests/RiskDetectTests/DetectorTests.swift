import Foundation
import XCTest
@testable import RiskDetect
import RiskMetrics
import RiskStore

final class InternerAndTableTests: XCTestCase {
    func testInternerRoundTripsAndGrows() {
        var i = Interner(capacity: 4)
        var ids: [Int32] = []
        for k in 0..<50_000 { ids.append(i.intern("key-\(k)")) }
        XCTAssertEqual(i.count, 50_000)
        XCTAssertEqual(i.intern("key-123"), ids[123])
        XCTAssertEqual(i.lookup("key-49999"), ids[49_999])
        XCTAssertNil(i.lookup("nope"))
        XCTAssertEqual(i.string(ids[777]), "key-777")
        XCTAssertEqual(i.intern(""), i.intern(""))
        let h = i.intern("héllo 👋")
        XCTAssertEqual(i.string(h), "héllo 👋")
    }

    func testTableHoldsEveryEventInTimeOrderPerAccount() throws {
        let s = Scenario()
        s.account("a")
        for k in 0..<40 { s.event("a", "view", at: Scenario.t0 + Int64(k) * 1000, ["item_id": "i\(k % 3)"]) }
        s.event("ghost", "teleport", at: Scenario.t0, ["device_id": "d"])      // unknown type, account only in events
        s.item("i0", seller: "s")
        let (store, t) = try s.build()
        XCTAssertEqual(t.count, Int(try store.db.int("SELECT count(*) FROM events")))
        let a = Int(try XCTUnwrap(t.accounts.lookup("a")))
        let ts = t.events(of: a).map { t.ts[Int($0)] }
        XCTAssertEqual(ts, ts.sorted())
        XCTAssertEqual(ts.count, 40)
        let g = Int(try XCTUnwrap(t.accounts.lookup("ghost")))
        XCTAssertEqual(t.kind[Int(try XCTUnwrap(t.events(of: g).first))], .other)
        XCTAssertEqual(t.itemSeller[Int(try XCTUnwrap(t.items.lookup("i0")))], t.accounts.lookup("s"))
    }

    func testFraudarFindsAPlantedBlockAboveAPopularColumn() throws {
        // 200 rows each touch one random column of 300, and all touch popular column 0;
        // rows 0..<10 × columns 1..<6 are a full block.
        try forEachSeed { seed in
        var rng = SplitMix(seed: seed)
        var edges: [(Int32, Int32, Double)] = []
        var seen = Set<Int64>()
        func add(_ r: Int32, _ c: Int32) { if seen.insert(Int64(r) << 32 | Int64(c)).inserted { edges.append((r, c, 1)) } }
        for r in 0..<200 { add(Int32(r), 0); add(Int32(r), Int32.random(in: 6..<300, using: &rng)) }
        for r in 0..<10 { for c in 1..<6 { add(Int32(r), Int32(c)) } }
        var f = Fraudar(rows: 200, cols: 300, edges: edges)
        let b = try XCTUnwrap(f.densest())
        XCTAssertEqual(Set(b.rows), Set(0..<10))
        XCTAssertTrue(Set(1..<6).isSubset(of: Set(b.cols)))
        // The 190 honest rows of the popular column are not pulled in: it weighs 1/log(205).
        }
    }
}

/// Lines a detector's debug sink received.
final class DebugLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

final class DetectorTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testBrushingRingAndItsSellerAreFlaggedNotHonestOrHeavyBuyers() throws {
        try forEachSeed { seed in
        let s = Scenario(seed: seed)
        for k in 0..<6 { s.account("s\(k)", kind: "seller") }
        let pool = (0..<30).map { s.item("it\($0)", seller: "s\(1 + $0 % 5)") }
        s.item("boost1", seller: "s0"); s.item("boost2", seller: "s0"); s.item("plain", seller: "s0")
        let texts = ["Great product, fast delivery", "great product fast delivery!!", "Excellent quality highly recommend."]
        for r in 0..<8 {
            let a = s.account("ring\(r)")
            let dev = "rdev\(r % 2)", addr = "raddr\(r % 2)"
            for k in 0..<3 {
                let t = Scenario.t0 + Int64(2 + r + k * 5) * day + 10 * hour
                let item = k % 2 == 0 ? "boost1" : "boost2"
                s.order(a, item: item, seller: "s0", at: t, device: dev, address: addr, payment: "rcard\(r % 3)")
                s.event(a, "review", at: t + day, ["item_id": item, "seller_id": "s0", "rating": 5, "text": texts[(r + k) % 3], "device_id": dev])
            }
            s.browse(a, day: 1, device: dev, items: pool)
        }
        for h in 0..<60 {
            let a = s.account("h\(h)")
            let item = h < 12 ? "boost1" : (h < 16 ? "plain" : pool[h % 30])
            let seller = item.hasPrefix("it") ? "s\(1 + (h % 30) % 5)" : "s0"
            let t = Scenario.t0 + Int64(h % 25) * day + 12 * hour
            s.order(a, item: item, seller: seller, at: t, device: "hd\(h)", address: "ha\(h)", payment: "hc\(h)")
            if h % 3 == 0 {
                s.event(a, "review", at: t + 2 * day, ["item_id": item, "seller_id": seller, "rating": [5, 4, 3][h % 3 == 0 ? (h / 3) % 3 : 0],
                                                       "text": "Honest words number \(h) about it", "device_id": "hd\(h)"])
            }
        }
        let heavy = s.account("heavy")
        for k in 0..<25 {
            s.order(heavy, item: pool[k], seller: "s\(1 + k % 5)", at: Scenario.t0 + Int64(k) * day, device: "hv", address: "hva", payment: "hvc")
            if k % 4 == 0 { s.event(heavy, "review", at: Scenario.t0 + Int64(k) * day + hour, ["item_id": pool[k], "seller_id": "s\(1 + k % 5)", "rating": 5, "text": "Fine \(k)"]) }
        }
        let (f, t) = try s.run(BrushingDetector())
        let flagged = f.accounts(t)
        XCTAssertEqual(flagged.filter { $0.hasPrefix("ring") }.count, 8, "\(flagged.sorted())")
        // The tuning numbers go to the sink the caller gives (riskdesk: stderr under
        // RISKDESK_DEBUG), and logging changes nothing.
        let log = DebugLines()
        let logged = try BrushingDetector(debugLog: { log.append($0) }).run(t, cancel: CancelToken())
        XCTAssertEqual(logged.accounts(t), flagged)
        XCTAssertTrue(log.lines.contains { $0.contains("buyers") && $0.contains("ring") }, "\(log.lines)")
        XCTAssertTrue(flagged.contains("s0"), "the boosted seller")
        XCTAssertFalse(flagged.contains { $0.hasPrefix("h") }, "honest buyers, heavy buyer: \(flagged.sorted())")
        XCTAssertFalse(flagged.contains { ["s1", "s2", "s3", "s4", "s5"].contains($0) })
        let ring = try XCTUnwrap(f.first { t.accountID($0.account) == "ring3" })
        XCTAssertEqual(Set(f.compactMap(\.group)).count, 1)
        XCTAssertTrue(ring.reason.contains("s0"), ring.reason)
        XCTAssertFalse(ring.events.isEmpty)
        XCTAssertTrue(ring.identifiers.contains { $0.kind == "device" })
        }
    }

    func testLockstepFarmIsFoundAndALiveShowCrowdIsNot() throws {
        try forEachSeed { seed in
        let s = Scenario(seed: seed)
        let clients = (0..<6).map { s.account("client\($0)", kind: "seller") }
        for c in clients { s.item("item-\(c)", seller: c) }
        s.account("star", kind: "creator")
        let pool = (0..<40).map { s.item("p\($0)", seller: clients[$0 % 6]) }
        for f in 0..<10 { s.account("farm\(f)") }
        for (j, c) in clients.enumerated() {
            let t = Scenario.t0 + Int64(2 + j * 3) * day + 14 * hour
            for f in 0..<10 {
                let at = t + s.int(in: 0...(8 * minute - 1))
                s.event("farm\(f)", "profile_view", at: at, ["target_id": c, "device_id": "fdev\(f % 3)", "ip": "198.51.100.\(f)"])
                s.event("farm\(f)", "follow", at: at + 4000, ["target_id": c, "device_id": "fdev\(f % 3)", "ip": "198.51.100.\(f)"])
                s.event("farm\(f)", "view", at: at + 9000, ["item_id": "item-\(c)", "seller_id": c, "device_id": "fdev\(f % 3)"])
            }
        }
        // Fans of one star watch its shows on the same evenings, and live their own lives.
        for k in 0..<30 {
            let a = s.account("fan\(k)")
            for show in 0..<6 {
                let start = Scenario.t0 + Int64(1 + show * 4) * day + 19 * hour
                let join = start + Int64(-log(s.double(in: 0.01...1)) * 25) * minute
                s.event(a, "live_view", at: join, ["target_id": "star", "device_id": "fan-dev\(k)"])
            }
            for d in stride(from: 0, to: 28, by: 2) { s.browse(a, day: d, device: "fan-dev\(k)", items: pool) }
        }
        let (f, t) = try s.run(ClickFarmDetector())
        let first = try XCTUnwrap(f.first)
        let flagged = f.accounts(t)
        XCTAssertEqual(flagged, Set((0..<10).map { "farm\($0)" }), "\(flagged.sorted())")
        XCTAssertEqual(Set(f.compactMap(\.group)).count, 1)
        XCTAssertTrue(first.reason.contains("lockstep"), first.reason)
        }
    }

    func testDealHuntingClusterIsFlaggedAndAFamilyIsNot() throws {
        try forEachSeed { seed in
        let s = Scenario(seed: seed)
        s.account("shop", kind: "seller")
        s.item("cheap", seller: "shop", price: 9)
        // Everyone new takes WELCOME10 in their first days: that makes it a new-user coupon.
        for k in 0..<14 {
            let created = Scenario.t0 + Int64(k * 2) * day + Int64(k) * hour
            let a = s.account("newbie\(k)", created: created, email: "person\(k)x@mail.example")
            s.event(a, "signup", at: created, ["device_id": "nd\(k)"])
            s.order(a, item: "cheap", seller: "shop", at: created + day, device: "nd\(k)", address: "na\(k)", payment: "nc\(k)", coupon: "WELCOME10")
        }
        // Six accounts signed up within two hours, chained by device, card and address.
        let burst = Scenario.t0 + 10 * day + 3 * hour
        for k in 0..<6 {
            let created = burst + Int64(k) * 20 * minute
            let a = s.account("dh\(k)", created: created, email: "annalee\(k + 1)@mail.example")
            s.event(a, "signup", at: created, ["device_id": "dhdev\(k / 3)"])
            s.order(a, item: "cheap", seller: "shop", at: created + 30 * minute, device: "dhdev\(k / 3)", address: "dhaddr",
                    payment: "dhcard\(k / 2)", coupon: "WELCOME10")
        }
        // A family of four: aged accounts on one tablet and one address; the youngest is new.
        for k in 0..<4 {
            let created = k == 3 ? Scenario.t0 + 5 * day : Scenario.t0 - Int64(300 + 400 * k) * day
            let a = s.account("fam\(["ily", "ous", "ine", "ish"][k])", created: created)
            for d in stride(from: 0, to: 28, by: 3) { s.browse(a, day: d, device: "tablet", items: ["cheap"], seller: "shop") }
            s.order(a, item: "cheap", seller: "shop", at: Scenario.t0 + Int64(6 + k) * day, device: "tablet", address: "famhome",
                    payment: "famcard", coupon: k == 3 ? "WELCOME10" : nil)
        }
        let (f, t) = try s.run(IdentityDetector())
        let first = try XCTUnwrap(f.first)
        let flagged = f.accounts(t)
        XCTAssertEqual(flagged, Set((0..<6).map { "dh\($0)" }), "\(flagged.sorted())")
        XCTAssertTrue(f.allSatisfy { $0.riskType == "deal_hunter" })
        XCTAssertTrue(first.reason.contains("new-user coupon"), first.reason)
        XCTAssertEqual(Set(f.compactMap(\.group)).count, 1)
        }
    }

    func testScalperBotsAreFlaggedFastFansAreNot() throws {
        try forEachSeed { seed in
        let s = Scenario(seed: seed)
        s.account("brand", kind: "seller")
        let drops = (0..<3).map { k -> (String, Int64) in
            let at = Scenario.t0 + Int64(3 + 3 * k) * day + 20 * hour
            return (s.item("drop\(k)", seller: "brand", price: 180, limited: true, dropAt: at), at)
        }
        for b in 0..<4 {
            let a = s.account("bot\(b)")
            for (item, at) in drops {
                s.event(a, "login", at: at - 40_000, ["device_id": "bd\(b)", "ip": "203.0.113.\(10 + b)", "status": "ok"])
                s.event(a, "add_to_cart", at: at + 400, ["item_id": item, "seller_id": "brand", "quantity": 3, "ip": "203.0.113.\(10 + b)"])
                s.order(a, item: item, seller: "brand", at: at + 1100, device: "bd\(b)", address: "drop-house", payment: "bc\(b % 2)",
                        amount: 540, quantity: 3, ip: "203.0.113.\(10 + b)")
            }
        }
        for k in 0..<20 {
            let a = s.account("fan\(k)")
            let (item, at) = drops[k % 3]
            s.event(a, "view", at: at - day, ["item_id": item, "seller_id": "brand", "device_id": "fd\(k)"])
            s.event(a, "view", at: at - 5 * minute, ["item_id": item, "seller_id": "brand", "device_id": "fd\(k)"])
            let react: Int64 = k == 0 ? 2_600 : s.int(in: 4_000...40_000)
            s.order(a, item: item, seller: "brand", at: at + react, device: "fd\(k)", address: "fa\(k)", payment: "fc\(k)",
                    amount: 180, ip: "10.\(k).1.1")
        }
        let (f, t) = try s.run(ScalperDetector())
        let first = try XCTUnwrap(f.first)
        XCTAssertEqual(f.accounts(t), Set((0..<4).map { "bot\($0)" }))
        XCTAssertEqual(Set(f.compactMap(\.group)).count, 1)
        XCTAssertTrue(first.reason.contains("limited drop"), first.reason)
        }
    }

    func testTakeoverSequenceIsFlaggedTravellerAndForgetfulOwnerAreNot() throws {
        try forEachSeed { seed in
        let s = Scenario(seed: seed)
        s.account("shop", kind: "seller")
        s.item("tv", seller: "shop", price: 520)
        s.item("socks", seller: "shop", price: 8)
        for name in ["victim", "traveller", "forgetful"] {
            s.account(name, country: "TH")
            for d in 0..<20 {
                s.event(name, "login", at: Scenario.t0 + Int64(d) * day + 9 * hour, ["device_id": "\(name)-phone", "country": "TH", "status": "ok"])
                if d % 5 == 0 { s.order(name, item: "socks", seller: "shop", at: Scenario.t0 + Int64(d) * day + 10 * hour, device: "\(name)-phone", amount: 8) }
            }
        }
        let t1 = Scenario.t0 + 22 * day
        for k in 0..<6 { s.event("victim", "login", at: t1 + Int64(k) * 20_000, ["device_id": "intruder", "country": "VN", "status": "fail"]) }
        s.event("victim", "password_reset", at: t1 + 4 * minute, ["device_id": "intruder", "country": "VN"])
        s.event("victim", "login", at: t1 + 9 * minute, ["device_id": "intruder", "country": "VN", "status": "ok"])
        s.event("victim", "address_change", at: t1 + 20 * minute, ["device_id": "intruder", "address_id": "drop-flat"])
        s.order("victim", item: "tv", seller: "shop", at: t1 + 50 * minute, device: "intruder", address: "drop-flat", amount: 520)
        // A trip: logins abroad on the own phone and a new one, no reset.
        for d in 22..<26 {
            s.event("traveller", "login", at: Scenario.t0 + Int64(d) * day, ["device_id": d == 23 ? "new-phone" : "traveller-phone", "country": "GB", "status": "ok"])
        }
        s.order("traveller", item: "tv", seller: "shop", at: Scenario.t0 + 23 * day + hour, device: "new-phone", amount: 520)
        // Forgot the password at home.
        for k in 0..<2 { s.event("forgetful", "login", at: t1 + Int64(k) * 30_000, ["device_id": "forgetful-phone", "country": "TH", "status": "fail"]) }
        s.event("forgetful", "password_reset", at: t1 + 2 * minute, ["device_id": "forgetful-phone", "country": "TH"])
        s.event("forgetful", "login", at: t1 + 5 * minute, ["device_id": "forgetful-phone", "country": "TH", "status": "ok"])
        let (store, t) = try s.build()
        let f = try TakeoverDetector().run(t, cancel: CancelToken())
        XCTAssertEqual(f.accounts(t), ["victim"])
        let first = try XCTUnwrap(f.first)
        XCTAssertTrue(first.reason.contains("never-seen device") && first.reason.contains("VN"), first.reason)
        // The evidence is the attack, every step of it and nothing else: 6 failed logins, the
        // reset, the login, the address change and the order (its payment is not a step).
        let attack = try store.db.rows("SELECT id FROM events WHERE account_id = 'victim' AND ts >= ? AND type <> 'payment'", [.int(t1)])
            .compactMap { $0[0].int }
        XCTAssertEqual(attack.count, 10)
        XCTAssertEqual(first.events.sorted(), attack.sorted())
        }
    }

    func testScraperIsFlaggedBrowsingPeopleAreNot() throws {
        try forEachSeed { seed in
        let s = Scenario(seed: seed)
        s.account("bot")
        for k in 0..<400 { s.account("u\(k)") }
        var at = Scenario.t0 + 3 * day
        for k in 0..<300 {
            s.event("bot", "profile_view", at: at, ["target_id": "u\(k)", "device_id": "bdev"])
            at += Int64(2000 * s.double(in: 0.95...1.05))
        }
        for k in 0..<20 { for d in 0..<25 { s.browse("u\(k)", day: d, device: "d\(k)", items: (0..<50).map { "it\($0)" }) } }
        let (f, t) = try s.run(ScrapingDetector())
        let first = try XCTUnwrap(f.first)
        XCTAssertEqual(f.accounts(t), ["bot"])
        XCTAssertTrue(first.reason.contains("300 profiles"), first.reason)
        }
    }

    func testSpamToStrangersIsFlaggedShippingNoticesAreNot() throws {
        try forEachSeed { seed in
        let s = Scenario(seed: seed)
        s.account("spammer")
        s.account("seller9", kind: "seller")
        s.item("mug", seller: "seller9")
        for k in 0..<40 {
            let r = s.account("r\(k)")
            s.event("spammer", "message", at: Scenario.t0 + Int64(k) * 25_000,
                    ["target_id": r, "text": "Congrats r\(k)! You won a $100 voucher 🎁 claim at https://win-now.example/\(k)x\(k * 7)"])
            s.order(r, item: "mug", seller: "seller9", at: Scenario.t0 + Int64(k) * hour, device: "rd\(k)")
            s.event("seller9", "message", at: Scenario.t0 + Int64(k) * hour + day,
                    ["target_id": r, "text": "Hi! Your order o\(k) has shipped 📦 Track it here: https://trk.example/\(k)zz Thanks!"])
        }
        let (f, t) = try s.run(SpamDetector())
        let first = try XCTUnwrap(f.first)
        XCTAssertEqual(f.accounts(t), ["spammer"])
        XCTAssertEqual(first.identifiers.first?.value, "win-now.example")
        }
    }
}
