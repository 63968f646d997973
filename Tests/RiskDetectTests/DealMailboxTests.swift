import XCTest
@testable import RiskDetect

/// Deal-hunter rings linked by what a marketplace sees of them besides equipment (deal36): one
/// mailbox written many ways (case, `+tag`, dots where the provider ignores them), and a narrow
/// new-user code (a referral code) taken only by a burst of newcomers. A family on one provider,
/// and newcomers taking a public promotion, are not linked by them.
final class DealMailboxTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute
    /// The household and marketplace builders of DealRingHouseholdTests (used as helpers, not run).
    let base = DealRingHouseholdTests(name: "helpers", testClosure: { _ in })

    func testMailboxNormalisation() {
        XCTAssertEqual(Mailbox.normalise("Anna.Lee+shop7@GMail.com"), "annalee@gmail.com")
        XCTAssertEqual(Mailbox.normalise("anna.lee@googlemail.com"), "annalee@gmail.com")
        XCTAssertEqual(Mailbox.normalise("Yilmaz71+14@naver.com"), "yilmaz71@naver.com")
        // Dots count where the provider does not ignore them: two people.
        XCTAssertNotEqual(Mailbox.normalise("a.lee@outlook.com"), Mailbox.normalise("alee@outlook.com"))
        XCTAssertNil(Mailbox.normalise("stem@"))          // a team store's stem: no domain, no mailbox
        XCTAssertNil(Mailbox.normalise(""))
        XCTAssertNil(Mailbox.normalise("+tag@gmail.com"))
        XCTAssertEqual(Mailbox.shown(0), "mbx-1")
        XCTAssertEqual(Mailbox.shown(41), "mbx-42")
    }

    /// Newcomers each on their own phone, card, address and network, opened over two weeks, each
    /// taking the welcome coupon once — linked by nothing but one mailbox written as many aliases.
    func aliasRing(_ s: Scenario, _ n: Int, domain: String) -> Set<String> {
        var ring: Set<String> = []
        for k in 0..<n {
            let a = "al\(k)", created = Scenario.t0 + s.int(in: (2 * day)...(16 * day))
            ring.insert(a)
            let name = ["Hunter", "hunter", "HUNTER"][k % 3] + "\(s.seed)"
            let local = domain == "gmail.com" && k % 2 == 1 ? "h.u.n" + name.dropFirst(3) : Substring(name)
            let email = "\(local)+\(k % 2 == 0 ? "" : "x")\(k)@\(k % 4 == 3 ? domain.uppercased() : domain)"
            s.account(a, created: created, email: email)
            let ip = "\(30 + k).\(k * 13 % 250).\(k % 7).\(9 + k)"
            s.event(a, "signup", at: created, ["device_id": "ald\(k)", "ip": ip])
            s.order(a, item: "it\(k % 10)", seller: "shop", at: created + s.int(in: (10 * minute)...(2 * hour)), device: "ald\(k)",
                    address: "ala\(k)", payment: "alc\(k)", coupon: "WELCOME10", ip: ip)
        }
        return ring
    }

    func testAliasedMailboxRingIsFound() throws {
        try forEachSeed { seed in
            for domain in ["gmail.com", "naver.com"] {
                let s = Scenario(seed: seed)
                base.marketplace(s)
                base.households(s, 20)
                let ring = aliasRing(s, 8, domain: domain)
                let (f, t) = try s.run(IdentityDetector())
                let found = base.dealHunters(f, t)
                let why = f.map { "\(t.accountID($0.account)): \($0.reason)" }
                XCTAssertEqual(found.intersection(ring), ring, "\(domain): \(why)")
                XCTAssertEqual(found.subtracting(ring), [], "\(domain): nobody else: \(why)")
                // The mailbox is shown only as its number in the run.
                for x in f where x.riskType == "deal_hunter" {
                    XCTAssertFalse(x.identifiers.contains { $0.value.lowercased().contains("hunter") }, "\(x.identifiers)")
                    for id in x.identifiers where id.kind == "mailbox" {
                        XCTAssertTrue(id.value.hasPrefix("mbx-") && id.value.count > 4 && id.value.dropFirst(4).allSatisfy(\.isNumber), "a mailbox is shown by its number only: \(id.value)")
                    }
                }
            }
        }
    }

    /// Newcomers on one narrow code their referrer handed out, each on its own equipment and
    /// network, opened over ten days: the code is a new-user coupon by behaviour (all its takers
    /// are in their first week) but far narrower than the store's public welcome code.
    func testReferralCodeRingIsFound() throws {
        var referralOn = IdentityDetector()
        referralOn.ringReferralCodes = true   // off by default (see IdentityDetector)
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            let homes = base.households(s, 20)
            var ring: Set<String> = []
            for k in 0..<12 {
                let a = "rf\(k)", created = Scenario.t0 + s.int(in: (3 * day)...(13 * day))
                ring.insert(a)
                s.account(a, created: created, email: "newbie\(k)w\(seed)@mail.example")
                let ip = "\(60 + k).\(k * 17 % 250).\(k % 5).\(3 + k)"
                s.event(a, "signup", at: created, ["device_id": "rfd\(k)", "ip": ip])
                s.order(a, item: "it\(k % 10)", seller: "shop", at: created + s.int(in: (10 * minute)...(3 * hour)), device: "rfd\(k)",
                        address: "rfa\(k)", payment: "rfc\(k)", coupon: "REF-\(seed)QX", ip: ip)
            }
            let (f, t) = try s.run(referralOn)
            let found = base.dealHunters(f, t)
            let why = f.map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertEqual(found.intersection(ring), ring, why.description)
            XCTAssertEqual(found.intersection(homes), [], "no household: \(why)")
            XCTAssertEqual(found.subtracting(ring), [], "nobody else: \(why)")
        }
    }

    /// Families whose members write their addresses at one provider (different mailboxes; at a
    /// provider that does not ignore dots, `a.lee` and `alee` are two people), and newcomers who
    /// take a public spring promotion in their first week alongside the welcome code: no one.
    func testFamilyOnOneProviderAndAPublicPromoAreNotLinked() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            // Households whose two members write near-identical addresses at one provider.
            var fams: Set<String> = []
            for h in 0..<12 {
                let ip = "62.\(h).\(h % 5).\(20 + h)"
                for m in 0..<2 {
                    let a = "pf\(h)m\(m)", created = Scenario.t0 + s.int(in: 0...(20 * day))
                    fams.insert(a)
                    s.account(a, created: created, email: m == 0 ? "kim.lee\(h)@outlook.com" : "kimlee\(h)@outlook.com")
                    s.event(a, "signup", at: created, ["device_id": "pfd\(h)m\(m)", "ip": ip])
                    s.order(a, item: "it\((h + m) % 10)", seller: "shop", at: created + s.int(in: hour...day), device: "pfd\(h)m\(m)",
                            address: "pfhome\(h)", payment: "pfc\(h)m\(m)", coupon: "WELCOME10", ip: ip)
                }
            }
            // A public promotion: thirty newcomers take it in their first week (under LinkBound's 40, so
            // only the code rule keeps them apart).
            var promo: Set<String> = []
            for k in 0..<30 {
                let a = "sp\(k)", created = Scenario.t0 + s.int(in: 0...(25 * day))
                promo.insert(a)
                s.account(a, created: created, email: "spring\(k)@gmail.com")
                let ip = "\(90 + k % 60).\(k).\(k % 3).\(40 + k % 100)"
                s.event(a, "signup", at: created, ["device_id": "spd\(k)", "ip": ip])
                s.order(a, item: "it\(k % 10)", seller: "shop", at: created + s.int(in: hour...(3 * day)), device: "spd\(k)",
                        address: "spa\(k)", payment: "spc\(k)", coupon: "SPRING25", ip: ip)
            }
            let (f, t) = try s.run(IdentityDetector())
            let found = base.dealHunters(f, t)
            let why = f.map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertEqual(found.intersection(fams), [], "no family: \(why)")
            XCTAssertEqual(found.intersection(promo), [], "no promotion taker: \(why)")
        }
    }
}
