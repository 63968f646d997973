import XCTest
@testable import RiskDetect

/// A place's code is no ring by its bunch of sign-ups (deal42, `DealRings.placeCodes`, on by default; `detect --no-sign place-codes` for the rule before):
/// a staff code used on the office's /24, a family-and-friends code on the host's home network, a
/// club's or a school evening's code on the building's /24, a public flash code taken by a few
/// colleagues on one office block — each handed round at one place and hour, so the newcomers who
/// open accounts for it sign up within hours of each other as a referral ring's accounts do. What the
/// place's code has that a ring's does not: the place's *established* accounts (the host, staff or
/// parents who already shop here) take it too, weeks or years into their lives. Each case is run with
/// the guard (no one of the place reported) and without it (`placeCodes = false`: the place is a ring),
/// so each test fails with its guard removed. In the same store a ring whose code only its own
/// newcomers took, signing up within two hours, each on its own phone, card, address and network, is
/// found either way (the bunch is all it shows), and so are rings on one card, one device, one drop
/// address and one mailbox (the code's guard takes nothing from them).
final class PlaceCodeBunchTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute
    let base = DealRingHouseholdTests(name: "helpers", testClosure: { _ in })
    let items = (0..<10).map { "it\($0)" }

    func detector(guarded: Bool = true, referralCodes: Bool = false) -> IdentityDetector {
        var d = IdentityDetector(); d.ringPlaceCodes = guarded; d.ringReferralCodes = referralCodes; return d
    }

    let referral = ReferralCodePlaceTests(name: "helpers", testClosure: { _ in })

    /// The store's established buyers: `n` accounts browsing, each on a network of its own (the same
    /// background as ReferralCodePlaceTests', browsing this test's `items`).
    func background(_ s: Scenario, _ n: Int) { referral.background(s, n) }

    /// One place's code: `newcomers` accounts opened for it within `within` of each other, signing up
    /// and ordering with the code on the place's /24 `block` (each its own phone, card and address);
    /// `established` accounts of the place, opened months or years ago, ordering with the code there
    /// too. Every other newcomer comes back later from home to browse and buy at full price.
    /// Returns the newcomers and the established accounts.
    @discardableResult
    func place(_ s: Scenario, _ prefix: String, block: String, newcomers n: Int, established e: Int, within: Int64,
               at from: Int64, oneTime: Bool = false) -> Set<String> {
        var group: Set<String> = []
        for k in 0..<n {
            let a = "\(prefix)\(k)", created = from + s.int(in: 0...within)
            group.insert(a)
            let home = "\(150 + k % 40).\(s.int(in: 0...250)).\(s.int(in: 0...250)).\(7 + k % 200)"
            let ip = "\(block).\(10 + k % 240)"
            s.account(a, created: created, email: "\(prefix)\(k)q\(s.seed)@mail.example")
            s.event(a, "signup", at: created, ["device_id": "\(prefix)d\(k)", "ip": ip])
            s.order(a, item: items[k % 10], seller: "shop", at: created + s.int(in: (10 * minute)...(2 * hour)), device: "\(prefix)d\(k)",
                    address: "\(prefix)a\(k)", payment: "\(prefix)c\(k)", coupon: "\(prefix.uppercased())-\(s.seed)", ip: ip)
            guard !oneTime && k % 2 == 1 else { continue }
            let back = Int((created - Scenario.t0) / day) + Int(s.int(in: 2...6))
            s.browse(a, day: min(29, back), device: "\(prefix)d\(k)", items: items, ip: home)
            s.order(a, item: items[(k + 3) % 10], seller: "shop", at: created + s.int(in: (3 * day)...(6 * day)), device: "\(prefix)d\(k)",
                    address: "\(prefix)a\(k)", payment: "\(prefix)c\(k)", ip: home)
        }
        for k in 0..<e {
            let a = "\(prefix)o\(k)"
            group.insert(a)
            s.account(a, created: Scenario.t0 - s.int(in: (60 * day)...(700 * day)), email: "\(prefix)o\(k)q\(s.seed)@mail.example")
            s.browse(a, day: Int(s.int(in: 0...25)), device: "\(prefix)od\(k)", items: items, ip: "\(block).\(250 - k)")
            s.order(a, item: items[(k + 5) % 10], seller: "shop", at: from + s.int(in: 0...within) + s.int(in: 0...(2 * day)), device: "\(prefix)od\(k)",
                    address: "\(prefix)oa\(k)", payment: "\(prefix)oc\(k)", coupon: "\(prefix.uppercased())-\(s.seed)", ip: "\(block).\(250 - k)")
        }
        return group
    }

    /// A ring on a code of its own: `n` newcomers opened within two hours, each on its own phone, card,
    /// address and network, every one sign-up, the code's order, gone.
    func ownCodeRing(_ s: Scenario, _ n: Int) -> Set<String> {
        var ring: Set<String> = []
        let from = Scenario.t0 + s.int(in: (4 * day)...(20 * day))
        for k in 0..<n {
            let a = "rc\(k)", created = from + s.int(in: 0...(2 * hour))
            ring.insert(a)
            let ip = "\(90 + k).\(s.int(in: 0...250)).\(s.int(in: 0...250)).\(3 + k)"
            s.account(a, created: created, email: "rc\(k)z\(s.seed)@mail.example")
            s.event(a, "signup", at: created, ["device_id": "rcd\(k)", "ip": ip])
            s.order(a, item: items[k % 10], seller: "shop", at: created + s.int(in: (5 * minute)...hour), device: "rcd\(k)",
                    address: "rca\(k)", payment: "rcc\(k)", coupon: "SAVE-\(s.seed)", ip: ip)
        }
        return ring
    }

    /// Rings of the other variants: `n` newcomers each, on one card, one phone, one drop address, or one
    /// mailbox written many ways (dots and +tags), each taking the welcome coupon, opened within a day.
    func equipmentRings(_ s: Scenario, _ n: Int) -> [String: Set<String>] {
        var rings: [String: Set<String>] = [:]
        for (v, name) in ["card", "device", "address", "mailbox"].enumerated() {
            let from = Scenario.t0 + s.int(in: (2 * day)...(18 * day))
            for k in 0..<n {
                let a = "q\(v)r\(k)", created = from + s.int(in: 0...day)
                rings[name, default: []].insert(a)
                let ip = "\(70 + v).\(k * 11 % 250).\(s.int(in: 0...250)).\(5 + k)"
                let email = name != "mailbox" ? "q\(v)r\(k)z\(s.seed)@mail.example"
                    : k % 2 == 0 ? "dealz.hunt\(s.seed)+\(k)@gmail.com" : "de.alzhunt\(s.seed)+x\(k)@googlemail.com"
                s.account(a, created: created, email: email)
                let device = name == "device" ? "q\(v)phone" : "q\(v)d\(k)"
                s.event(a, "signup", at: created, ["device_id": device, "ip": ip])
                s.order(a, item: items[k % 10], seller: "shop", at: created + s.int(in: (5 * minute)...hour), device: device,
                        address: name == "address" ? "q\(v)drop" : "q\(v)a\(k)", payment: name == "card" ? "q\(v)card" : "q\(v)c\(k)",
                        coupon: "WELCOME10", ip: ip)
            }
        }
        return rings
    }

    /// Each place in a store of about six hundred accounts (each place 1–3 % of it): a small business's
    /// staff code (seven newcomers on the office /24 over a working afternoon, two staff who shop here
    /// already), a family-and-friends code (six friends signing up on the host's home network one
    /// evening, the host's account years old), a school evening's code (eight parents on the
    /// building's /24 within two hours, three parents' older accounts), a public flash code (six
    /// newcomers on one office block within an hour, two colleagues' older accounts).
    func testPlaceCodesAreNoRingAndOwnCodeAndEquipmentRingsAreFound() throws {
        let cases: [(name: String, build: (Scenario) -> Set<String>)] = [
            ("staff code", { s in self.place(s, "staff", block: "132.\(s.seed % 200).5", newcomers: 7, established: 2,
                                               within: 4 * self.hour, at: Scenario.t0 + 6 * self.day + 13 * self.hour) }),
            ("host's friends", { s in self.place(s, "friends", block: "77.\(s.seed % 200).31", newcomers: 6, established: 1,
                                                   within: 2 * self.hour, at: Scenario.t0 + 9 * self.day + 19 * self.hour) }),
            ("school evening", { s in self.place(s, "school", block: "141.\(s.seed % 200).12", newcomers: 6, established: 3,
                                                   within: 2 * self.hour, at: Scenario.t0 + 12 * self.day + 18 * self.hour) }),
            ("flash code with colleagues", { s in self.place(s, "flash", block: "145.\(s.seed % 200).40", newcomers: 6, established: 2,
                                                               within: self.hour, at: Scenario.t0 + 15 * self.day + 11 * self.hour) }),
        ]
        try forEachSeed { seed in
            for c in cases {
                let s = Scenario(seed: seed)
                base.marketplace(s)
                let homes = base.households(s, 10)
                background(s, 350)
                let group = c.build(s)
                let ring = ownCodeRing(s, 5)
                let rings = equipmentRings(s, 5)
                let (_, t) = try s.build()
                let share = Double(group.count) / Double(t.accountCount)
                XCTAssert(share >= 0.01 && share <= 0.03, "\(c.name): the place is 1–3 % of the store (\(share))")
                let f = try detector().run(t, cancel: CancelToken())
                let found = base.dealHunters(f, t)
                let why = f.filter { $0.riskType == "deal_hunter" && group.contains(t.accountID($0.account)) }.prefix(3)
                    .map { "\(t.accountID($0.account)): \($0.reason)" }
                XCTAssertEqual(found.intersection(group), [], "\(c.name): no one of the place: \(why)")
                XCTAssertEqual(found.intersection(homes), [], "\(c.name): no household")
                XCTAssertEqual(found.intersection(ring), ring, "\(c.name): the ring on its own code")
                for (name, members) in rings.sorted(by: { $0.key < $1.key }) {
                    XCTAssertGreaterThanOrEqual(found.intersection(members).count, members.count - 1, "\(c.name): the \(name) ring")
                }
                // The guard is what keeps the place clean: without it, the place's bunch makes it a ring.
                let unguarded = base.dealHunters(try detector(guarded: false).run(t, cancel: CancelToken()), t)
                XCTAssertGreaterThanOrEqual(unguarded.intersection(group).count, 4, "\(c.name): without the guard the place is read as a ring")
                XCTAssertEqual(unguarded.intersection(ring), ring, "\(c.name): the ring either way")
            }
        }
    }

    /// With `referral-codes` on (off by default): a staff code of fourteen one-time newcomers on the
    /// office's /24 (the code new-user by its redemptions, their block their own), which four staff
    /// members whose accounts are years old took too. The code's own sign — its spent takers meeting on
    /// a block of their own — counts only for a code no established account took: guarded, no one of
    /// the office is reported; without the guard the office is a ring. A ring on its proxy is found
    /// either way.
    func testWithReferralCodesAStaffCodeOldStaffTookIsNoRing() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            _ = base.households(s, 10)
            background(s, 1_500)
            let office = place(s, "staff", block: "132.\(seed % 200).5", newcomers: 14, established: 4, within: 2 * day,
                               at: Scenario.t0 + 6 * day + 9 * hour, oneTime: true)
            let (_, t) = try s.build()
            let found = base.dealHunters(try detector(referralCodes: true).run(t, cancel: CancelToken()), t)
            XCTAssertEqual(found.intersection(office), [], "no one of the office")
            let unguarded = base.dealHunters(try detector(guarded: false, referralCodes: true).run(t, cancel: CancelToken()), t)
            XCTAssertGreaterThanOrEqual(unguarded.intersection(office).count, 4, "without the guard the office is a ring")
        }
    }

    /// review42 #3: a ring cannot make its code a place's by seeding it with one account that is no
    /// taker. Each seed takes the ring's code once (a redemption on an order of its own) within the
    /// ring's two hours: an idle account opened 8 days before (no newcomer by the incentive's 7 days, a
    /// week old at the code's first use); an account opened 40 days before whose only act is the code
    /// (a redemption), and one whose only acts are its sign-up and one order with the code; an account 400 days old with a life of browsing that redeems on a ring member's phone and
    /// card. None is an established account of a place (30 days old at the code's first use, a life
    /// beyond the code, no device, card, address or mailbox of the code's takers), so the ring is found
    /// as the unseeded one is. (With the rule before, any one of them took the ring's bunch away.)
    func testARingSeedingItsCodeWithOneAccountIsStillFound() throws {
        try forEachSeed { seed in
            for variant in ["idle 8 days", "only the code", "one order with the code", "on a ring phone"] {
                let s = Scenario(seed: seed)
                base.marketplace(s)
                _ = base.households(s, 10)
                background(s, 350)
                let ring = ownCodeRing(s, 5)
                // The ring's first sign-up: the seed redeems within the ring's hours.
                let first = s.accounts.filter { ring.contains($0["account_id"] as! String) }.map { $0["created_at"] as! Int64 }.min()!
                let at = first + s.int(in: (10 * minute)...(90 * minute))
                let a = "seed0"
                switch variant {
                case "idle 8 days":
                    s.account(a, created: at - 8 * day, email: "seed\(seed)@mail.example")
                    s.order(a, item: items[4], seller: "shop", at: at, device: "sd0", address: "sa0", payment: "sc0",
                            coupon: "SAVE-\(seed)", ip: "61.\(seed % 200).9.4")
                case "only the code":
                    s.account(a, created: at - 40 * day, email: "seed\(seed)@mail.example")
                    s.event(a, "coupon_redeem", at: at, ["coupon_id": "SAVE-\(seed)", "amount": 5, "device_id": "sd0", "ip": "61.\(seed % 200).9.4"])
                case "one order with the code":
                    s.account(a, created: at - 40 * day, email: "seed\(seed)@mail.example")
                    s.event(a, "signup", at: at - 40 * day, ["device_id": "sd0", "ip": "61.\(seed % 200).9.4"])
                    s.order(a, item: items[4], seller: "shop", at: at, device: "sd0", address: "sa0", payment: "sc0",
                            coupon: "SAVE-\(seed)", ip: "61.\(seed % 200).9.4")
                default:
                    s.account(a, created: at - 400 * day, email: "seed\(seed)@mail.example")
                    s.browse(a, day: 1, device: "sd0", items: items, ip: "61.\(seed % 200).9.4")
                    s.order(a, item: items[4], seller: "shop", at: at, device: "rcd0", address: "sa0", payment: "rcc0",
                            coupon: "SAVE-\(seed)", ip: "61.\(seed % 200).9.4")
                }
                let (_, t) = try s.build()
                let found = base.dealHunters(try detector().run(t, cancel: CancelToken()), t)
                XCTAssertEqual(found.intersection(ring), ring, "\(variant): the seeded ring is found")
            }
        }
    }
}
