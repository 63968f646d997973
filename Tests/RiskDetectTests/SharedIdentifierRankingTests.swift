import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The queue as a whole on hand-built stores, every detector and layer on: an identifier that
/// many unrelated buyers share (a parcel locker) is worth next to nothing, even when a real ring
/// ships to it too; households whose members each took the welcome coupon stay low; the ring
/// is found and ranks above all of them.
final class SharedIdentifierRankingTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    /// A store of `buyers` ordinary buyers (own phone, own card, own home IP, 1–4 orders of a
    /// seller's items over the month, some browsing), 200 of them collecting at one parcel
    /// locker, and households of 2–4 sharing an address, a tablet and a card, each member
    /// opening an account weeks apart and taking the welcome coupon on the first order (as
    /// every newcomer does). Returns the scenario and the ids by role.
    func market(seed: UInt64, ring: Bool) -> (s: Scenario, locker: [String], households: [String], ring: [String]) {
        var rng = SeededRandom(seed &* 104_729 &+ 11)
        let s = Scenario(seed: seed)
        for k in 0..<6 { s.account("seller\(k)", kind: "seller"); for j in 0..<8 { s.item("it\(k)-\(j)", seller: "seller\(k)", price: Double(10 + 7 * j)) } }
        func pick() -> (String, String) { let k = rng.int(0...5); return ("it\(k)-\(rng.int(0...7))", "seller\(k)") }
        /// An ordinary buyer's month: browsing sessions and 1–4 orders at human times.
        func life(_ a: String, created: Int64, device: String, card: String, address: String, ip: String, welcome: Bool) {
            let first = max(0, Int((created - Scenario.t0) / day))
            let sessions = rng.int(2...7)
            for _ in 0..<sessions {
                let d = rng.int(first...27)
                var t = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour + Int64(rng.int(0...3_000_000))
                let (item, seller) = pick()
                for _ in 0..<rng.int(2...6) {
                    s.event(a, "view", at: t, ["item_id": item, "seller_id": seller, "device_id": device, "ip": ip])
                    t += Int64(rng.int(8...240)) * 1000
                }
            }
            let orders = rng.int(1...4)
            var days = (0..<orders).map { _ in rng.int(first...28) }.sorted()
            if welcome { days[0] = min(28, first + rng.int(0...2)) }
            for (o, d) in days.enumerated() {
                let (item, seller) = pick()
                let at = max(created + hour, Scenario.t0 + Int64(d) * day + Int64(rng.int(9...21)) * hour + Int64(rng.int(0...3_000_000)))
                s.order(a, item: item, seller: seller, at: at, device: device, address: address, payment: card,
                        coupon: welcome && o == 0 ? "WELCOME10" : nil, ip: ip)
            }
        }
        var locker: [String] = [], households: [String] = [], members: [String] = []
        var n = 0
        // Buyers: old ones, and newcomers through the month taking the welcome coupon.
        for b in 0..<600 {
            let fresh = b % 8 == 0
            let created = fresh ? Scenario.t0 + Int64(rng.int(0...24)) * day + Int64(rng.int(0...80_000)) * 1000
                                : Scenario.t0 - Int64(rng.int(40...1500)) * day
            let a = s.account("b\(b)", created: created)
            let atLocker = b < 200
            if atLocker { locker.append(a) }
            life(a, created: created, device: "phone-\(a)", card: "card-\(a)", address: atLocker ? "locker-1" : "home-\(a)",
                 ip: "10.\(b / 250).\(b % 250).7", welcome: fresh)
            n += 1
        }
        // Households: 2–4 people on one address, tablet, home IP and (mostly) one card; each
        // joined weeks apart and took the welcome coupon on the first order.
        for h in 0..<25 {
            let size = rng.int(2...4)
            let card = rng.chance(0.7) ? "hcard-\(h)" : nil
            for m in 0..<size {
                let created = m == 0 ? Scenario.t0 - Int64(rng.int(200...900)) * day
                                     : Scenario.t0 + Int64(min(24, m * 9 + rng.int(0...4))) * day + Int64(rng.int(0...80_000)) * 1000
                let a = s.account("h\(h)-\(m)", created: created)
                households.append(a)
                life(a, created: created, device: rng.chance(0.5) ? "tablet-\(h)" : "phone-\(a)", card: card ?? "card-\(a)",
                     address: "house-\(h)", ip: "10.200.\(h).1", welcome: m > 0)
            }
        }
        if ring {
            // A deal-hunting ring: 8 accounts opened within two hours on one emulator and one
            // prepaid card, each ordering once with the welcome coupon, shipped to the locker.
            let start = Scenario.t0 + 12 * day + 3 * hour
            for r in 0..<8 {
                let created = start + Int64(r) * 12 * Scenario.minute
                let a = s.account("ring\(r)", created: created, email: "deal.hunter\(r)@mail.example")
                members.append(a)
                let (item, seller) = pick()
                s.event(a, "view", at: created + 5 * Scenario.minute, ["item_id": item, "seller_id": seller, "device_id": "emu-1", "ip": "203.0.113.9"])
                s.order(a, item: item, seller: seller, at: created + 9 * Scenario.minute, device: "emu-1", address: "locker-1",
                        payment: "prepaid-1", coupon: "WELCOME10", ip: "203.0.113.9")
            }
        }
        return (s, locker, households, members)
    }

    var why: [String: String] = [:]

    func scores(_ s: Scenario) throws -> [String: Double] {
        let (store, _) = try s.build()
        _ = try DetectionEngine(rulesDirectory: nil).run(store: store)
        var m: [String: Double] = [:]
        for r in try store.storedScores() { m[r.account] = r.score; why[r.account] = (r.riskType ?? "-") + ": " + r.reasons.joined(separator: "; ") }
        return m
    }

    func testALockersStrangersCountAsOneHouseholdARingKeepsItsCount() throws {
        let s = Scenario()
        s.account("s0", kind: "seller"); s.item("i0", seller: "s0")
        // 60 strangers at a locker (own phone, own card); 6 ring members there on one emulator;
        // households of 3 on one address and tablet; 40 buyers on their own.
        for k in 0..<60 { s.account("l\(k)"); s.order("l\(k)", item: "i0", seller: "s0", at: Scenario.t0 + Int64(k) * hour, device: "ph-l\(k)", address: "locker", payment: "c-l\(k)") }
        for k in 0..<6 { s.account("r\(k)"); s.order("r\(k)", item: "i0", seller: "s0", at: Scenario.t0 + Int64(k) * hour, device: "emu", address: "locker", payment: "c-r\(k)") }
        for h in 0..<10 { for m in 0..<3 { s.account("h\(h)-\(m)"); s.order("h\(h)-\(m)", item: "i0", seller: "s0", at: Scenario.t0 + Int64(h * 3 + m) * hour, device: "tab\(h)", address: "house\(h)", payment: "c-h\(h)-\(m)") } }
        for k in 0..<40 { s.account("o\(k)"); s.order("o\(k)", item: "i0", seller: "s0", at: Scenario.t0 + Int64(k) * hour, device: "ph-o\(k)", address: "home-o\(k)", payment: "c-o\(k)") }
        let (_, t) = try s.build()
        let f = SharingIndependence.compute(t)
        func sharers(_ id: String, _ kind: Int) -> Double { expm1(Double(f[Int(t.accounts.lookup(id)!) * 3 + kind])) }
        // Address: the typical shared address holds 3 accounts (the households), so the locker's
        // 65 other accounts count as about 3 for a stranger; a ring member counts its 5 mates fully.
        XCTAssertLessThan(sharers("l7", 2), 5)
        XCTAssertGreaterThan(sharers("r2", 2), sharers("l7", 2) + 4)
        // A household of three where homes hold three (the store's household scale) reads like
        // a loner: its co-residents count only beyond the scale.
        XCTAssertEqual(sharers("h4-1", 2), 1, accuracy: 1e-4)
        XCTAssertEqual(sharers("o3", 2), 1, accuracy: 1e-4)
        // The emulator: six accounts whose only other common identifier is the locker, used by
        // more than 40 and so linking nothing — the 5 mates count at 3 / 6 (typical shared
        // device: a household's tablet of 3). A second link (a shared card) keeps them whole.
        XCTAssertEqual(sharers("r2", 0), 1 + 5 * 3.0 / 6, accuracy: 1e-4)
        XCTAssertEqual(sharers("o3", 0), 1, accuracy: 1e-4)
    }

    /// card-strangers: a card that came late. Eight established buyers (own phone, own home, own
    /// card for weeks) who each then pay once with one stolen card count their seven fellow
    /// victims in full; six grown children in homes of their own paying with a parent's card, their
    /// only card, keep the discount, as a locker's strangers do; a home of three on one card and
    /// address reads like a loner.
    func testStrangersWhoTakeUpOneCardLateCountInFullAFamilyCardAndALockerDoNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            s.account("s0", kind: "seller"); for j in 0..<8 { s.item("i\(j)", seller: "s0") }
            func life(_ a: String, device: String, address: String, card: String, days: ClosedRange<Int64> = 0...17) {
                for _ in 0..<Int(s.int(in: 2...4)) {
                    s.order(a, item: "i\(s.int(in: 0...7))", seller: "s0", at: Scenario.t0 + s.int(in: (days.lowerBound * day)...(days.upperBound * day)) + 9 * hour,
                            device: device, address: address, payment: card)
                }
            }
            for k in 0..<300 { s.account("o\(k)"); life("o\(k)", device: "ph-o\(k)", address: "home-o\(k)", card: "c-o\(k)") }
            for k in 0..<60 { s.account("l\(k)"); life("l\(k)", device: "ph-l\(k)", address: "locker", card: "c-l\(k)") }
            var homes: [String] = []
            for h in 0..<30 {
                for m in 0..<3 { let a = s.account("h\(h)-\(m)"); homes.append(a); life(a, device: "ph-\(a)", address: "house-\(h)", card: "hc-\(h)") }
            }
            let children = (0..<6).map { s.account("kid\($0)") }
            for a in children { life(a, device: "ph-\(a)", address: "flat-\(a)", card: "parents-card", days: 0...27) }
            // The takeovers: on the victim's own phone, so the card is the only trace.
            let victims = (0..<8).map { s.account("v\($0)") }
            for (k, a) in victims.enumerated() {
                life(a, device: "ph-\(a)", address: "home-\(a)", card: "c-\(a)")
                s.order(a, item: "i\(k % 8)", seller: "s0", at: Scenario.t0 + 20 * day + Int64(k) * hour, device: "ph-\(a)",
                        address: "home-\(a)", payment: "stolen")
            }
            let (_, t) = try s.build()
            let on = SharingIndependence.compute(t), off = SharingIndependence.compute(t, cardStrangers: false)
            func sharers(_ f: [Float], _ id: String, _ kind: Int) -> Double { expm1(Double(f[Int(t.accounts.lookup(id)!) * 3 + kind])) }
            for a in victims {
                XCTAssertEqual(sharers(on, a, 1), 8, accuracy: 1e-4, "card sharers of \(a): itself and seven strangers")
                XCTAssertLessThan(sharers(off, a, 1), 4, "off: the strangers discounted as a public place's")
            }
            for a in children {
                XCTAssertEqual(sharers(on, a, 1), sharers(off, a, 1), accuracy: 1e-6, "the family card is \(a)'s first and only card")
                XCTAssertLessThan(sharers(on, a, 1), 4, "card sharers of \(a)")
            }
            XCTAssertLessThan(sharers(on, "l7", 2), 5, "a locker is a public place: its strangers still count as about a home")
            for a in homes { XCTAssertEqual(sharers(on, a, 1), 1, accuracy: 1e-4, "card sharers of \(a)") }
            XCTAssertEqual(sharers(on, "o5", 1), 1, accuracy: 1e-4)
            // In the anomaly layer the victims stand out only with the sign; the children do not.
            let anomaly = Anomaly.compute(t), before = Anomaly.compute(t, cardStrangers: false)
            let people = (0..<300).map { "o\($0)" } + homes + (0..<60).map { "l\($0)" } + children
            func above(_ x: Anomaly, _ a: String) -> Double {
                Double(people.filter { x.rank[Int(t.accounts.lookup($0)!)] < x.rank[Int(t.accounts.lookup(a)!)] }.count) / Double(people.count)
            }
            for a in victims {
                XCTAssertGreaterThanOrEqual(above(anomaly, a), 0.95, "\(a): \(anomaly.explanation(Int(t.accounts.lookup(a)!), t) ?? "no explanation")")
            }
            for a in victims {
                let i = Int(t.accounts.lookup(a)!)
                XCTAssertGreaterThan(anomaly.raw[i], before.raw[i], "\(a): the full count is more unusual than the discounted one")
                XCTAssertGreaterThanOrEqual(above(anomaly, a), above(before, a))
            }
            for a in children {
                let i = Int(t.accounts.lookup(a)!)
                XCTAssertEqual(anomaly.raw[i], before.raw[i], accuracy: 1e-9, "\(a): unchanged")
            }
        }
    }

    func testAParcelLockerOfUnrelatedBuyersCarriesNothingAndTheRingAmongThemIsFound() throws {
        try forEachSeed { seed in
            let w = market(seed: seed, ring: true)
            let m = try scores(w.s)
            let ring = w.ring.map { m[$0]! }
            let honest = w.locker.map { m[$0]! }.sorted()
            // The ring is found: every member above every honest locker user.
            XCTAssertGreaterThan(ring.min()!, honest.last!, "ring \(ring) vs the locker's best-scored honest user \(honest.last!)")
            XCTAssertGreaterThan(ring.min()!, 0.5)
            // The locker's honest users stay low, and the ring lifts them next to nothing:
            // compared with the same store without the ring, the median moves by under 0.02.
            XCTAssertLessThan(honest[honest.count * 9 / 10], 0.3)
            let without = try scores(market(seed: seed, ring: false).s)
            let before = w.locker.map { without[$0]! }.sorted()
            XCTAssertLessThan(abs(honest[honest.count / 2] - before[before.count / 2]), 0.02)
        }
    }

    func testHouseholdsWhoseMembersEachTookTheWelcomeCouponStayLow() throws {
        try forEachSeed { seed in
            let w = market(seed: seed, ring: true)
            let m = try scores(w.s)
            let ringLow = w.ring.map { m[$0]! }.min()!
            let house = w.households.map { m[$0]! }.sorted()
            XCTAssertGreaterThan(ringLow, house.last!, "the ring's lowest \(ringLow) vs the best-scored household member \(house.last!)")
            // …and well below it. (Not yet *low*: the identity detector's cluster score reports a
            // household of four, three of whom took the coupon, as deal_hunter at ~0.6, and a card
            // shared by four reads as unusual; see docs/benchmarks.md, "rank12".)
            let top = w.households.max { m[$0]! < m[$1]! }!
            XCTAssertLessThan(house[house.count / 2], ringLow - 0.15, "\(top): \(why[top] ?? "")")
        }
    }
}
