import XCTest
@testable import RiskDetect

/// Deal-hunter rings against households: two people of one home (one address, often one
/// tablet) who each took the welcome coupon are a unit formed by sharing, not a ring. The
/// ring test judges sharing against the linked takers, so a real ring must show more than
/// what every household shows — and still does when the store holds many households.
final class DealRingHouseholdTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// Ordinary newcomers who take the welcome coupon on their first order (own device, card,
    /// address, network; a third order again without one) and aged buyers who never take it.
    /// `welcomeWithin`: how long after signing up newcomers take it; `publicCodes`: aged buyers
    /// also use public codes (every other order).
    func marketplace(_ s: Scenario, fresh: Int = 80, aged: Int = 40, welcomeWithin: Int64 = 2 * Scenario.day, publicCodes: Bool = false) {
        s.account("shop", kind: "seller")
        for i in 0..<10 { s.item("it\(i)", seller: "shop") }
        let items = (0..<10).map { "it\($0)" }
        for k in 0..<fresh {
            let a = "f\(k)", created = Scenario.t0 + s.int(in: 0...(25 * day))
            s.account(a, created: created, email: "buyer\(k)x\(s.seed)@mail.example")
            let ip = "\(20 + k % 150).\(k * 7 % 200).\(k % 9).\(1 + k % 200)"
            s.event(a, "signup", at: created, ["device_id": "fd\(k)", "ip": ip])
            s.browse(a, day: Int((created - Scenario.t0) / day), device: "fd\(k)", items: items, ip: ip)
            s.order(a, item: items[k % 10], seller: "shop", at: created + s.int(in: hour...max(hour, welcomeWithin)), device: "fd\(k)",
                    address: "fa\(k)", payment: "fc\(k)", coupon: "WELCOME10", ip: ip)
            if k % 3 == 0 {
                s.order(a, item: items[(k + 3) % 10], seller: "shop", at: created + s.int(in: (3 * day)...(6 * day)), device: "fd\(k)",
                        address: "fa\(k)", payment: "fc\(k)", ip: ip)
            }
        }
        for k in 0..<aged {
            let a = "o\(k)", ip = "\(180 + k % 40).\(k).1.\(k % 200 + 1)"
            s.account(a)
            for d in stride(from: k % 5, to: 28, by: 7) {
                s.browse(a, day: d, device: "od\(k)", items: items, ip: ip)
                s.order(a, item: items[(k + d) % 10], seller: "shop", at: Scenario.t0 + Int64(d) * day + 20 * hour, device: "od\(k)",
                        address: "oa\(k)", payment: "oc\(k)", coupon: publicCodes && d % 2 == 0 ? ["APP5", "FREESHIP"][k % 2] : nil, ip: ip)
            }
        }
    }

    /// `n` new households of two: one address; one tablet in every other home (the rest their
    /// own phones); a shared card in every third. The second person joins 1–9 days after the
    /// first (household `sameEvening` the same evening); each takes the welcome coupon on a
    /// first order, and one of them orders again at full price.
    @discardableResult
    func households(_ s: Scenario, _ n: Int, sameEvening: Int = -1) -> Set<String> {
        var members: Set<String> = []
        for h in 0..<n {
            let first = Scenario.t0 + s.int(in: 0...(18 * day))
            let second = h == sameEvening ? first + s.int(in: minute...(2 * hour)) : first + s.int(in: day...(9 * day))
            let ip = "61.\(h).\(h % 7).\(10 + h % 90)"
            for (m, created) in [first, second].enumerated() {
                let a = "h\(h)m\(m)"
                members.insert(a)
                let device = h % 2 == 0 ? "tablet\(h)" : "hp\(h)m\(m)", card = h % 3 == 0 ? "hc\(h)" : "hc\(h)m\(m)"
                s.account(a, created: created, email: "fam\(h)m\(m)x\(s.seed)@mail.example")
                s.event(a, "signup", at: created, ["device_id": device, "ip": ip])
                s.browse(a, day: Int((created - Scenario.t0) / day), device: device, items: (0..<10).map { "it\($0)" }, ip: ip)
                s.order(a, item: "it\((h + m) % 10)", seller: "shop", at: created + s.int(in: hour...day), device: device,
                        address: "home\(h)", payment: card, coupon: "WELCOME10", ip: ip)
                if m == 0 {
                    s.order(a, item: "it\((h + 4) % 10)", seller: "shop", at: created + s.int(in: (2 * day)...(8 * day)), device: device,
                            address: "home\(h)", payment: card, ip: ip)
                }
            }
        }
        return members
    }

    func dealHunters(_ f: [Finding], _ t: EventTable) -> Set<String> {
        Set(f.filter { $0.riskType == "deal_hunter" }.map { t.accountID($0.account) })
    }

    /// A household pair is not a ring, even where households are rare among the coupon takers
    /// (a pair sharing a tablet and an address is then rare among *all* takers, but every
    /// linked unit shares by construction), nor when the two sign up the same evening.
    func testHouseholdPairsWithTheWelcomeCouponAreNotARing() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            marketplace(s)
            let homes = households(s, 3, sameEvening: 1)
            let (f, t) = try s.run(IdentityDetector())
            XCTAssertEqual(dealHunters(f, t).intersection(homes), [], "\(f.map { "\(t.accountID($0.account)): \($0.reason)" })")
        }
    }

    /// Many households among the takers raise the base rate of sharing; a ring that shares a
    /// device pool, a parcel locker and its master's referral code, opened in a burst and
    /// ordering only with coupons, is still a ring — and so are bought (aged) accounts that
    /// take the welcome coupon and ship to one drop address. No household is reported.
    func testRingsStillFoundAmongManyHouseholds() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            marketplace(s)
            let homes = households(s, 30)
            var burst: Set<String> = []
            for k in 0..<6 {
                let a = "r\(k)", created = Scenario.t0 + 12 * day + Int64(k) * 40 * minute + s.int(in: 0...(20 * minute))
                burst.insert(a)
                s.account(a, created: created, email: "deal\(k)z\(seed)@tempbox.example")
                let device = "emu\(k % 2)", ip = "\(77 + k).\(k * 9).3.\(5 + k)"
                s.event(a, "signup", at: created, ["device_id": device, "ip": ip])
                s.order(a, item: "it\(k)", seller: "shop", at: created + 15 * minute, device: device, address: "locker-9",
                        payment: "rc\(k)", coupon: "WELCOME10", ip: ip)
                s.order(a, item: "it\(k + 2)", seller: "shop", at: created + day, device: device, address: "locker-9",
                        payment: "rc\(k)", coupon: "REF-BOSS\(seed)", ip: ip)
            }
            var bought: Set<String> = []
            for k in 0..<5 {
                let a = "b\(k)"
                bought.insert(a)
                s.account(a, created: Scenario.t0 - Int64(200 + 30 * k) * day, email: "old\(k)y\(seed)@mail.example")
                let ip = "\(150 + k).\(k * 11).8.\(9 + k)"
                s.order(a, item: "it\(k)", seller: "shop", at: Scenario.t0 + Int64(5 + 3 * k) * day + s.int(in: 0...(6 * hour)),
                        device: "bd\(k)", address: "drop-21", payment: "bc\(k)", coupon: "WELCOME10", ip: ip)
            }
            let (f, t) = try s.run(IdentityDetector())
            let found = dealHunters(f, t)
            let why = f.map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertEqual(found.intersection(burst), burst, "the burst ring: \(why)")
            XCTAssertEqual(found.intersection(bought), bought, "the bought accounts: \(why)")
            XCTAssertEqual(found.intersection(homes), [], "no household: \(why)")
            XCTAssertEqual(found.subtracting(burst).subtracting(bought).subtracting(homes), [], "no ordinary buyer: \(why)")
        }
    }

    /// A welcome code newcomers take over their first month (not 70 % in the first week), in a
    /// store where old buyers redeem public codes all the time: judged against the *other*
    /// coupons' redemptions it is a new-user coupon; the public codes are not.
    func testWelcomeCodeTakenOverTheFirstMonthIsANewUserCoupon() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            marketplace(s, fresh: 80, aged: 60, welcomeWithin: 25 * day, publicCodes: true)
            let (_, t) = try s.build()
            let codes = Set(IdentityDetector().newUserCoupons(t).map { t.coupons.string($0) })
            XCTAssertEqual(codes, ["WELCOME10"])
        }
    }

    /// Bought (aged) accounts, each on its own phone, card, address and IP (one address block),
    /// that take that welcome code within hours of each other: a ring by the new-user coupon on
    /// old accounts alone. Old buyers with public codes and households are not.
    func testAgedAccountsTakingAMonthLongWelcomeCodeAreARing() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            marketplace(s, fresh: 80, aged: 60, welcomeWithin: 25 * day, publicCodes: true)
            let homes = households(s, 20)
            var bought: Set<String> = []
            let wake = Scenario.t0 + Int64(3 + seed % 5) * day
            for k in 0..<4 {
                let a = "b\(k)"
                bought.insert(a)
                s.account(a, created: Scenario.t0 - Int64(150 + 90 * k) * day, email: "acct\(k)v\(seed)@mail.example")
                let ip = "93.184.12.\(20 + 7 * k)"
                s.event(a, "login", at: wake + Int64(k) * 20 * minute, ["device_id": "bd\(k)", "ip": ip, "status": "ok"])
                s.order(a, item: "it\(k)", seller: "shop", at: wake + Int64(k) * 20 * minute + 5 * minute, device: "bd\(k)",
                        address: "ba\(k)", payment: "bc\(k)", coupon: "WELCOME10", ip: ip)
            }
            let (f, t) = try s.run(IdentityDetector())
            let found = dealHunters(f, t)
            let why = f.map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertEqual(found.intersection(bought), bought, "the bought accounts: \(why)")
            XCTAssertEqual(found.intersection(homes), [], "no household: \(why)")
            XCTAssertEqual(found.subtracting(bought), [], "nobody else: \(why)")
        }
    }
    /// A carrier network: `n` accounts on one NAT address, each on its own phone and card,
    /// most shipping to one of three parcel lockers (≥ 45 accounts each, so a locker links no
    /// one); every fifth is a newcomer who takes the welcome coupon on its first order — the
    /// ordinary share of takers in a crowd.
    @discardableResult
    func carrierCrowd(_ s: Scenario, _ n: Int = 300) -> Set<String> {
        var crowd: Set<String> = []
        let items = (0..<10).map { "it\($0)" }
        for k in 0..<n {
            let a = "c\(k)", ip = "100.64.0.1"
            crowd.insert(a)
            let fresh = k % 5 == 0
            let created = fresh ? Scenario.t0 + s.int(in: 0...(25 * day)) : Scenario.t0 - Int64(100 + k) * day
            s.account(a, created: created, email: "mob\(k)q\(s.seed)@mail.example")
            let address = k % 8 < 6 ? "locker-\(k % 3)" : "ca\(k)"
            if fresh { s.event(a, "signup", at: created, ["device_id": "cd\(k)", "ip": ip]) }
            let first = fresh ? created : Scenario.t0 + s.int(in: 0...(20 * day))
            s.browse(a, day: Int((max(first, Scenario.t0) - Scenario.t0) / day), device: "cd\(k)", items: items, ip: ip)
            s.order(a, item: items[k % 10], seller: "shop", at: first + s.int(in: hour...day), device: "cd\(k)", address: address,
                    payment: "cc\(k)", coupon: fresh ? "WELCOME10" : nil, ip: ip)
        }
        return crowd
    }

    /// A ring behind one phone and two cards, its accounts opened days apart on a carrier network
    /// and each shipping to another parcel locker: no address links them, no burst, no network of
    /// their own — only a phone and cards shared by accounts that do not live together, which the
    /// store's takers almost never do (a home's members share a tablet or a card *and* the home).
    /// Neither the carrier crowd's newcomers (an ordinary share of takers, lockers of their own
    /// too), nor newcomers who ordered on a shop's shared kiosk (thirty accounts on it, most of
    /// them not takers), nor households are reported.
    func testRingOnOnePhoneShippingToDifferentLockersIsARing() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            marketplace(s)
            let homes = households(s, 10)
            let crowd = carrierCrowd(s)
            var kiosk: Set<String> = []
            for k in 0..<30 {
                let a = "k\(k)", fresh = k % 5 == 0
                let created = fresh ? Scenario.t0 + s.int(in: 0...(25 * day)) : Scenario.t0 - Int64(50 + 9 * k) * day
                s.account(a, created: created, email: "shopper\(k)w\(seed)@mail.example")
                let first = fresh ? created : Scenario.t0 + s.int(in: 0...(25 * day))
                if fresh { s.event(a, "signup", at: created, ["device_id": "kiosk", "ip": "81.2.3.\(k)"]); kiosk.insert(a) }
                s.order(a, item: "it\(k % 10)", seller: "shop", at: first + s.int(in: hour...(20 * hour)), device: "kiosk",
                        address: "ka\(k)", payment: "kc\(k)", coupon: fresh ? "WELCOME10" : nil, ip: "81.2.3.\(k)")
            }
            var ring: Set<String> = []
            let start = Scenario.t0 + Int64(2 + seed % 4) * day
            for k in 0..<4 {
                let a = "r\(k)", created = start + Int64(k) * (2 * day + s.int(in: 0...(20 * hour)))
                ring.insert(a)
                s.account(a, created: created, email: "\(["lena", "marco", "tove", "amir"][k])\(seed)k@mail.example")
                let ip = "100.64.0.1", device = k < 3 ? "ringphone" : "emu-r3"
                s.event(a, "signup", at: created, ["device_id": device, "ip": ip])
                s.order(a, item: "it\(k)", seller: "shop", at: created + s.int(in: (10 * minute)...(3 * hour)), device: device,
                        address: "locker-\(k % 3)", payment: k < 2 ? "ringcard-a" : "ringcard-b", coupon: "WELCOME10", ip: ip)
            }
            let (f, t) = try s.run(IdentityDetector())
            let found = dealHunters(f, t)
            let why = f.map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertEqual(found.intersection(ring), ring, "the ring: \(why)")
            XCTAssertEqual(found.intersection(crowd), [], "no one of the carrier crowd: \(why)")
            XCTAssertEqual(found.intersection(kiosk), [], "no newcomer of the kiosk: \(why)")
            XCTAssertEqual(found.intersection(homes), [], "no household: \(why)")
            XCTAssertEqual(found.subtracting(ring), [], "nobody else: \(why)")
        }
    }
}
