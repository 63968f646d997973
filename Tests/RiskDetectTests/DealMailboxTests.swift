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
    /// The identity detector with narrow new-user codes linking (`ringReferralCodes`, off by default
    /// since review40b: docs/detection.md "A narrow new-user code"), named so the tests that need the
    /// rule say so; and without it (every new-user code kept out of the links: the default).
    /// (Both with `ringCodeLives` off: these tests judge the rules above on honest promotions whose takers are
    /// all sign-up, coupon, gone; a narrow code's such takers with weeks left in the data are `code-lives`'
    /// rings, on by default since session 45 — CodeLivesTests.)
    var ruleOn: IdentityDetector { var d = IdentityDetector(); d.ringReferralCodes = true; d.ringCodeLives = false; return d }
    var ruleOff: IdentityDetector { var d = IdentityDetector(); d.ringReferralCodes = false; d.ringCodeLives = false; return d }

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
        try assertAliasRingFound()
    }

    /// An alias ring of eight among the marketplace and twenty households, at Gmail and at a provider that
    /// keeps dots, is found whole and alone; `prepare` changes the store first (MailboxSpellingTests: the
    /// buyers' addresses from a name pattern).
    func assertAliasRingFound(prepare: (Scenario) -> Void = { _ in }, file: StaticString = #filePath, line: UInt = #line) throws {
        try forEachSeed(file: file, line: line) { seed in
            for domain in ["gmail.com", "naver.com"] {
                let s = Scenario(seed: seed)
                base.marketplace(s)
                base.households(s, 20)
                prepare(s)
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

    /// Newcomers taking one code, each on its own phone, card, address and network, each opening
    /// an account and ordering once with the code in its first hours: `n` of them opened between
    /// `from` and `from + span`. With `lives`, each lives like the marketplace's other newcomers
    /// (`DealRingHouseholdTests.marketplace`): a few views on its first day, and every third
    /// orders again at full price days later (deal38: honest takers of a promotion are the store's
    /// newcomers; without `lives` the account is sign-up, coupon, gone). deal39: the first
    /// `onProxy` of them sign up and order from three IPs of one /24 (a ring operator's proxy)
    /// instead of a network of their own; with `netCountry`, every sign-up comes from that country
    /// (the accounts' own countries are `homes`, in turn); `campus`: every one is on that /24,
    /// which other people use too; `hotel`: the first of them on that /24 (a hotel's network, which
    /// its other guests use too).
    func codeTakers(_ s: Scenario, _ prefix: String, _ n: Int, code: String, from: Int64, span: Int64, net: Int, lives: Bool = false,
                    onProxy: Int = 0, netCountry: String? = nil, homes: [String] = ["TH"], campus: String? = nil,
                    hotel: (block: String, first: Int)? = nil) -> Set<String> {
        var takers: Set<String> = []
        let items = (0..<10).map { "it\($0)" }
        for k in 0..<n {
            let a = "\(prefix)\(k)", created = from + s.int(in: 0...span)
            takers.insert(a)
            s.account(a, created: created, country: homes[k % homes.count], email: "\(prefix)\(k)w\(s.seed)@mail.example")
            var ip = "\(net + k % 40).\(k * 17 % 250).\(k / 40).\(3 + k % 200)"
            if k < onProxy { ip = "203.\(s.seed % 200).77.\(10 + k % 3)" }
            if let campus { ip = "\(campus).\(20 + k)" }
            if let hotel, k < hotel.first { ip = "\(hotel.block).\(20 + k)" }
            var signup: [String: Any] = ["device_id": "\(prefix)d\(k)", "ip": ip]
            if let netCountry { signup["country"] = netCountry }
            s.event(a, "signup", at: created, signup)
            if lives { s.browse(a, day: Int((created - Scenario.t0) / day), device: "\(prefix)d\(k)", items: items, ip: ip) }
            s.order(a, item: "it\(k % 10)", seller: "shop", at: created + s.int(in: (10 * minute)...(3 * hour)), device: "\(prefix)d\(k)",
                    address: "\(prefix)a\(k)", payment: "\(prefix)c\(k)", coupon: code, ip: ip)
            if lives && k % 3 == 0 {
                s.order(a, item: items[(k + 3) % 10], seller: "shop", at: created + s.int(in: (3 * day)...(6 * day)), device: "\(prefix)d\(k)",
                        address: "\(prefix)a\(k)", payment: "\(prefix)c\(k)", ip: ip)
            }
        }
        return takers
    }

    /// A referral ring: twenty-five newcomers on their referrer's code, each on its own device, card
    /// and address, ten of them on the operator's proxy (three IPs of one /24 no one else uses) and
    /// the rest on networks of their own, whose sign-ups came within two hours and whose accounts did
    /// nothing but take the code — and in the same store a public promotion of 30 (then 200)
    /// newcomers opened over the whole period, each on its own equipment and network. The code links
    /// each group; only the ring's takers share a network beyond what the store's accounts on it
    /// explain (deal39), and their lives and bunch add to it. The 200 stay out by the link bound as well.
    func testReferralRingSignedUpInTwoHoursIsFoundAndAPublicPromotionIsNot() throws {
        let d = ruleOn
        try forEachSeed { seed in
            for promoSize in [30, 200] {
                let s = Scenario(seed: seed)
                base.marketplace(s)
                let homes = base.households(s, 20)
                let ring = codeTakers(s, "rf", 25, code: "REF-\(seed)QX", from: Scenario.t0 + s.int(in: (2 * day)...(20 * day)), span: 2 * hour, net: 60, onProxy: 10)
                let promo = codeTakers(s, "sp", promoSize, code: "SPRING25", from: Scenario.t0, span: 25 * day, net: 110, lives: true)
                let (f, t) = try s.run(d)
                let found = base.dealHunters(f, t)
                let why = f.filter { $0.riskType == "deal_hunter" }.prefix(5).map { "\(t.accountID($0.account)): \($0.reason)" }
                // (Its proxy members; since deal41 the others, each with only the code, a thin life and
                // the bunch — what a flash promotion's one-time users show — are not reported: review40b N2.)
                let proxy = Set((0..<10).map { "rf\($0)" })
                XCTAssertEqual(found.intersection(proxy), proxy, "promotion \(promoSize): \(why)")
                XCTAssertEqual(found.intersection(promo), [], "promotion \(promoSize): no promotion taker: \(why)")
                XCTAssertEqual(found.intersection(homes), [], "promotion \(promoSize): no household: \(why)")
                XCTAssertEqual(found.subtracting(ring), [], "promotion \(promoSize): nobody else: \(why)")
            }
        }
    }

    /// Twenty-five referral takers opened over the whole period, each on its own equipment, eight of
    /// them on the operator's proxy, no bunch, every one sign-up, one order with the code, gone:
    /// found by the proxy they share, their lives adding to it (deal39). Thirty takers of a public
    /// code over the same period, each as thin — sign-up, coupon, gone — on a network of its own:
    /// not reported (deal38's life sign alone read such a promotion as a ring; the suite's spring
    /// promotion was one on every seed).
    func testReferralTakersSpreadOverThePeriodOnTheirProxyAreFoundAndThinPromotionTakersAreNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            let homes = base.households(s, 20)
            let spread = codeTakers(s, "rf", 25, code: "REF-\(seed)QX", from: Scenario.t0, span: 25 * day, net: 60, onProxy: 8)
            let promo = codeTakers(s, "sp", 30, code: "SPRING25", from: Scenario.t0, span: 25 * day, net: 110)
            let (f, t) = try s.run(ruleOn)
            let found = base.dealHunters(f, t)
            let why = f.filter { $0.riskType == "deal_hunter" }.prefix(3).map { "\(t.accountID($0.account)): \($0.reason)" }
            // (The eight on the proxy; the others show only the code and a thin life, deal41.)
            let proxy = Set((0..<8).map { "rf\($0)" })
            XCTAssertEqual(found.intersection(proxy), proxy, "\(why)")
            XCTAssertEqual(found.subtracting(spread), [], "nobody else: \(why)")
            XCTAssertEqual(found.intersection(promo), [], "no public-code taker: \(why)")
            XCTAssertEqual(found.intersection(homes), [], "no household: \(why)")
        }
    }

    /// A referral ring of twelve behind a residential proxy pool: each on its own device, card,
    /// address, every sign-up from one country that is none of the accounts' own, every account
    /// sign-up, coupon, gone, five of them on the operator's /24 (no one else there) and the rest on an
    /// IP of a different block each — found by the proxy, its country and thin lives adding
    /// (deal40: "abroad in one country" never passes alone). Honest look-alikes in the same store, each
    /// taker as thin: a country's own promotion (thirty newcomers of that country at home, on networks
    /// of their own), a travel promotion (twenty newcomers abroad in five countries), and a
    /// one-destination promotion (a resort's code: twenty tourists from five countries all in Portugal,
    /// six of them on the hotel's /24, which thirty other guests browse from): no one.
    func testReferralRingAbroadInOneCountryIsFoundAndDestinationPromotionsAreNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            let homes = base.households(s, 20)
            let ring = codeTakers(s, "rf", 12, code: "REF-\(seed)MX", from: Scenario.t0 + 2 * day, span: 20 * day, net: 60,
                                  onProxy: 5, netCountry: "MX", homes: ["TH", "IT", "FR", "KR", "AU"])
            let local = codeTakers(s, "lo", 30, code: "HOLA\(seed)", from: Scenario.t0, span: 25 * day, net: 110, netCountry: "MX", homes: ["MX"])
            var travel: Set<String> = []
            for (i, c) in ["ES", "JP", "US", "DE", "BR"].enumerated() {
                travel.formUnion(codeTakers(s, "tr\(i)x", 4, code: "TRAVEL\(seed)", from: Scenario.t0, span: 25 * day, net: 150 + 10 * i, netCountry: c))
            }
            let hotel = "88.\(seed % 200).14"
            for k in 0..<30 {
                let a = "gu\(k)"
                s.account(a, created: Scenario.t0 - s.int(in: (30 * day)...(700 * day)), country: ["DE", "GB", "FR"][k % 3])
                s.browse(a, day: Int(s.int(in: 0...25)), device: "gud\(k)", items: (0..<10).map { "it\($0)" }, ip: "\(hotel).\(100 + k)")
            }
            let resort = codeTakers(s, "pt", 20, code: "ALGARVE\(seed)", from: Scenario.t0 + 4 * day, span: 10 * day, net: 170, netCountry: "PT",
                                    homes: ["DE", "GB", "FR", "NL", "SE"], campus: nil, hotel: (hotel, 6))
            let (f, t) = try s.run(ruleOn)
            let found = base.dealHunters(f, t)
            let why = f.filter { $0.riskType == "deal_hunter" }.prefix(3).map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertEqual(found.intersection(ring), ring, "\(why)")
            XCTAssertEqual(found.intersection(local), [], "no taker of the country's promotion: \(why)")
            XCTAssertEqual(found.intersection(travel), [], "no traveller: \(why)")
            XCTAssertEqual(found.intersection(resort), [], "no tourist: \(why)")
            XCTAssertEqual(found.intersection(homes), [], "no household: \(why)")
        }
    }

    /// The same ring with no network in common — twelve each on a block of its own, all from Mexico —
    /// is what a one-destination promotion looks like, and is not reported (deal40, review39b F3:
    /// one country alone never makes the unit).
    func testTakersAbroadInOneCountryAloneAreNoRing() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            _ = base.households(s, 20)
            let abroad = codeTakers(s, "rf", 12, code: "REF-\(seed)MX", from: Scenario.t0 + 2 * day, span: 20 * day, net: 60,
                                    netCountry: "MX", homes: ["TH", "IT", "FR", "KR", "AU"])
            let (f, t) = try s.run(ruleOn)
            let found = base.dealHunters(f, t)
            XCTAssertEqual(found.intersection(abroad), [], "\(f.filter { $0.riskType == "deal_hunter" }.prefix(3).map { "\(t.accountID($0.account)): \($0.reason)" })")
        }
    }

    /// A store of over five thousand accounts (deal40, review39b F1): codes passed round one place are
    /// never a random sample of the store, and such a place is not the takers' own. A campus code
    /// taken by 25 of the 120 accounts on the campus /24 (2.4 % of the store), an office's code taken
    /// by 10 of its 60 accounts (1.2 %), and a club code of twelve four of whom live in one dorm /24
    /// with 20 other accounts — every taker sign-up, coupon, gone, its sign-ups within two weeks: no
    /// one. In the same store a referral ring of twenty, as thin, eight of them on the operator's /24
    /// each rotating over IPs of its own there (no IP shared: only the block; review39b F7) and twelve
    /// on networks of their own (three of them signing up on a carrier's IP): found.
    func testPlaceCodesInABigStoreAreNoRingAndARotatingProxyRingIs() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            let homes = base.households(s, 20)
            let items = (0..<10).map { "it\($0)" }
            for k in 0..<5_000 {
                let a = "bg\(k)"
                s.account(a, created: Scenario.t0 - s.int(in: (30 * day)...(900 * day)))
                s.browse(a, day: Int(s.int(in: 0...27)), device: "bgd\(k)", items: items, ip: "\(1 + k % 200).\(100 + k / 200).\(200 + k % 50).\(1 + k % 250)")
            }
            // A place: `people` accounts on one /24 browsing, the first `taking` of them taking its code
            // in their first days (each with its own device, card, address).
            func place(_ prefix: String, _ block: String, people: Int, taking: Int, code: String) -> Set<String> {
                var takers: Set<String> = []
                let from = Scenario.t0 + s.int(in: (2 * day)...(10 * day))
                for k in 0..<people {
                    let a = "\(prefix)\(k)", ip = "\(block).\(10 + k % 240)"
                    if k < taking {
                        takers.insert(a)
                        let created = from + s.int(in: 0...(14 * day))
                        s.account(a, created: created, email: "\(prefix)\(k)q\(seed)@mail.example")
                        s.event(a, "signup", at: created, ["device_id": "\(prefix)d\(k)", "ip": ip])
                        s.order(a, item: items[k % 10], seller: "shop", at: created + s.int(in: (10 * minute)...(3 * hour)), device: "\(prefix)d\(k)",
                                address: "\(prefix)a\(k)", payment: "\(prefix)c\(k)", coupon: code, ip: ip)
                    } else {
                        s.account(a, created: Scenario.t0 - s.int(in: (30 * day)...(700 * day)))
                        s.browse(a, day: Int(s.int(in: 0...25)), device: "\(prefix)d\(k)", items: items, ip: ip)
                    }
                }
                return takers
            }
            let campus = place("cs", "131.\(seed % 200).9", people: 120, taking: 25, code: "CAMPUS\(seed)")
            let office = place("of", "132.\(seed % 200).5", people: 60, taking: 10, code: "OFFICE\(seed)")
            var club = place("dm", "133.\(seed % 200).6", people: 24, taking: 4, code: "CLUB\(seed)")
            club.formUnion(codeTakers(s, "cl", 8, code: "CLUB\(seed)", from: Scenario.t0 + 3 * day, span: 14 * day, net: 90))
            // The ring: eight on the operator's /24, each on three IPs of it no one else uses.
            var ring = codeTakers(s, "rr", 12, code: "REF-\(seed)RT", from: Scenario.t0, span: 25 * day, net: 60)
            for k in 0..<8 {
                let a = "rp\(k)", created = Scenario.t0 + s.int(in: 0...(25 * day))
                ring.insert(a)
                let ip = { (j: Int) in "203.\(seed % 200).77.\(10 + 3 * k + j)" }
                s.account(a, created: created, email: "rp\(k)z\(seed)@mail.example")
                s.event(a, "signup", at: created, ["device_id": "rpd\(k)", "ip": ip(0)])
                s.event(a, "view", at: created + 5 * minute, ["item_id": items[k % 10], "seller_id": "shop", "device_id": "rpd\(k)", "ip": ip(1)])
                s.order(a, item: items[k % 10], seller: "shop", at: created + s.int(in: (10 * minute)...(3 * hour)), device: "rpd\(k)",
                        address: "rpa\(k)", payment: "rpc\(k)", coupon: "REF-\(seed)RT", ip: ip(2))
            }
            // A carrier's IP (fifty other accounts browse from it) that three more of the ring's members
            // signed up from, and an honest household pair too (its own devices and cards, one home):
            // the pair is chained into the ring's unit but is no part of it, and is not reported
            // (deal40: a unit that is a ring by its code's sign alone reports the code's members).
            let carrier = "100.\(seed % 200).3.7"
            for k in 0..<3 {
                let a = "rc\(k)", created = Scenario.t0 + s.int(in: 0...(25 * day))
                ring.insert(a)
                s.account(a, created: created, email: "rc\(k)z\(seed)@mail.example")
                s.event(a, "signup", at: created, ["device_id": "rcd\(k)", "ip": carrier])
                s.order(a, item: items[k], seller: "shop", at: created + s.int(in: (10 * minute)...(3 * hour)), device: "rcd\(k)",
                        address: "rca\(k)", payment: "rcc\(k)", coupon: "REF-\(seed)RT", ip: "\(70 + k).\(seed % 200).\(k).9")
            }
            var pair: Set<String> = []
            for m in 0..<2 {
                let a = "cp\(m)", created = Scenario.t0 + s.int(in: 0...(20 * day))
                pair.insert(a)
                s.account(a, created: created, email: "cp\(m)y\(seed)@mail.example")
                s.event(a, "signup", at: created, ["device_id": "cpd\(m)", "ip": carrier])
                s.browse(a, day: Int((created - Scenario.t0) / day), device: "cpd\(m)", items: items, ip: carrier)
                s.order(a, item: items[m + 4], seller: "shop", at: created + s.int(in: hour...day), device: "cpd\(m)",
                        address: "cphome", payment: "cpc\(m)", coupon: "WELCOME10", ip: carrier)
                s.order(a, item: items[m + 6], seller: "shop", at: created + s.int(in: (2 * day)...(6 * day)), device: "cpd\(m)",
                        address: "cphome", payment: "cpc\(m)", ip: carrier)
            }
            for k in 0..<50 {
                let a = "cn\(k)"
                s.account(a, created: Scenario.t0 - s.int(in: (30 * day)...(700 * day)))
                s.browse(a, day: Int(s.int(in: 0...25)), device: "cnd\(k)", items: items, ip: carrier)
            }
            let (f, t) = try s.run(ruleOn)
            let found = base.dealHunters(f, t)
            let why = f.filter { $0.riskType == "deal_hunter" }.prefix(3).map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertGreaterThan(t.accountCount, 5_000)
            XCTAssertEqual(found.intersection(pair), [], "no household on the ring's carrier IP: \(why)")
            XCTAssertEqual(found.intersection(campus), [], "no campus code taker: \(why)")
            XCTAssertEqual(found.intersection(office), [], "no office code taker: \(why)")
            XCTAssertEqual(found.intersection(club), [], "no club code taker: \(why)")
            XCTAssertEqual(found.intersection(homes), [], "no household: \(why)")
            // (The eight on the proxy; the twelve at home and the three on the carrier show only the
            // code and a thin life, and are not reported since deal41: review40b N2.)
            let proxy = Set((0..<8).map { "rp\($0)" })
            XCTAssertEqual(found.intersection(proxy), proxy, "\(why)")
            XCTAssertEqual(found.subtracting(ring), [], "nobody else: \(why)")
        }
    }

    /// With the rule on: a flash promotion — 200 sign-ups in two hours, and thirty in one day or in
    /// a week — each taker on its own phone, card, address and network and living like the store's
    /// newcomers, bunches its sign-ups as a ring does but shows no life that is the incentive beyond
    /// the store's: no one (review37's flash promotion, with the lives honest newcomers have). A
    /// ring of 25 on five cards, opened over the period, in the same store: found.
    func testAFlashPromotionOfNewcomersIsNoRingAndACardRingIsFound() throws {
        let d = ruleOn
        try forEachSeed { seed in
            for (n, span) in [(200, 2 * hour), (30, day), (30, 7 * day)] {
                let s = Scenario(seed: seed)
                base.marketplace(s)
                let homes = base.households(s, 20)
                let flash = codeTakers(s, "fl", n, code: "FLASH\(seed)", from: Scenario.t0 + 3 * day, span: span, net: 70, lives: true)
                var ring: Set<String> = []
                for k in 0..<25 {
                    let a = "cr\(k)", created = Scenario.t0 + s.int(in: 0...(25 * day)), ip = "150.\(k).\(k % 5).\(7 + k)"
                    ring.insert(a)
                    s.account(a, created: created, email: "cr\(k)q\(seed)@mail.example")
                    s.event(a, "signup", at: created, ["device_id": "crd\(k)", "ip": ip])
                    s.order(a, item: "it\(k % 10)", seller: "shop", at: created + s.int(in: (10 * minute)...(3 * hour)), device: "crd\(k)",
                            address: "cra\(k)", payment: "crc\(k % 5)", coupon: "REF-\(seed)CR", ip: ip)
                }
                let (f, t) = try s.run(d)
                let found = base.dealHunters(f, t)
                let why = f.filter { $0.riskType == "deal_hunter" }.prefix(3).map { "\(t.accountID($0.account)): \($0.reason)" }
                XCTAssertEqual(found.intersection(flash), [], "\(n) in \(span / hour) h: \(why)")
                XCTAssertEqual(found.intersection(homes), [], "\(n) in \(span / hour) h: \(why)")
                XCTAssertEqual(found.intersection(ring), ring, "\(n) in \(span / hour) h: \(why)")
            }
        }
    }

    /// A flash promotion: thirty strangers take a code valid for one day (then for a week) in their
    /// first hours, each on its own phone, card, address and network, every account sign-up, coupon,
    /// gone. Their sign-ups bunch as a referral ring's do and their lives are as thin; nothing else
    /// ties them, so the narrow new-user code (off by default; with it on a unit needs its takers on blocks of their own) makes no ring
    /// (review37, and deal38's life sign, each read it as one). The same thirty on one campus /24
    /// that 150 other students browse from: meeting there is what the campus explains, no one.
    func testAFlashPromotionOfOneTimeNewcomersIsNoRing() throws {
        XCTAssertFalse(IdentityDetector().ringReferralCodes, "off by default since review40b")
        try forEachSeed { seed in
            for (span, campus) in [(day, false), (7 * day, false), (day, true)] { for d in [ruleOff, ruleOn] {
                let s = Scenario(seed: seed)
                base.marketplace(s)
                let homes = base.households(s, 20)
                let net = "131.\(seed % 200).9"
                if campus {
                    for k in 0..<150 {
                        let a = "st\(k)"
                        s.account(a, created: Scenario.t0 - s.int(in: (30 * day)...(700 * day)))
                        s.browse(a, day: Int(s.int(in: 0...25)), device: "std\(k)", items: (0..<10).map { "it\($0)" }, ip: "\(net).\(30 + k % 200)")
                    }
                }
                let flash = codeTakers(s, "fl", 30, code: "FLASH\(seed)", from: Scenario.t0 + 3 * day, span: span, net: 70, campus: campus ? net : nil)
                let (f, t) = try s.run(d)
                let found = base.dealHunters(f, t)
                let why = f.filter { $0.riskType == "deal_hunter" }.prefix(3).map { "\(t.accountID($0.account)): \($0.reason)" }
                XCTAssertEqual(found.intersection(flash), [], "span \(span / day) d, campus \(campus): \(why)")
                XCTAssertEqual(found.intersection(homes), [], "span \(span / day) d, campus \(campus): \(why)")
            } }
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
            for d in [ruleOff, ruleOn] {
                let (f, t) = try s.run(d)
                let found = base.dealHunters(f, t)
                let why = f.map { "\(t.accountID($0.account)): \($0.reason)" }
                XCTAssertEqual(found.intersection(fams), [], "rule \(d.ringReferralCodes): no family: \(why)")
                XCTAssertEqual(found.intersection(promo), [], "rule \(d.ringReferralCodes): no promotion taker: \(why)")
            }
        }
    }
}
