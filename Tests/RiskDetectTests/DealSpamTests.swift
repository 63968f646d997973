import XCTest
@testable import RiskDetect

/// Deal-hunter rings with no shared device or card, spam at any pace with disguised links,
/// and their innocent look-alikes (a campus's first week, seller and creator broadcasts).
final class DealSpamTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// A marketplace of ordinary buyers: aged ones, and fresh ones who take the welcome coupon
    /// on their first order, each on their own device, card, address and home network.
    func background(_ s: Scenario, fresh: Int = 80, aged: Int = 60) {
        s.account("shop", kind: "seller")
        for i in 0..<10 { s.item("it\(i)", seller: "shop") }
        let items = (0..<10).map { "it\($0)" }
        for k in 0..<fresh {
            let a = "f\(k)", created = Scenario.t0 + s.int(in: 0...(25 * day))
            s.account(a, created: created, email: "person\(k * 37 % 101)x\(k)@mail.example")
            let ip = "\(20 + k % 150).\(k * 7 % 200).\(k % 9).\(1 + k % 200)"
            s.event(a, "signup", at: created, ["device_id": "fd\(k)", "ip": ip])
            s.browse(a, day: Int((created - Scenario.t0) / day), device: "fd\(k)", items: items, ip: ip)
            s.order(a, item: items[k % 10], seller: "shop", at: created + s.int(in: hour...(2 * day)), device: "fd\(k)",
                    address: "fa\(k)", payment: "fc\(k)", coupon: "WELCOME10", ip: ip)
            if k % 3 == 0 {
                s.order(a, item: items[(k + 3) % 10], seller: "shop", at: created + s.int(in: (3 * day)...(6 * day)), device: "fd\(k)",
                        address: "fa\(k)", payment: "fc\(k)", ip: ip)
            }
        }
        for k in 0..<aged {
            let a = "o\(k)"
            s.account(a)
            // Households of two share a card and an address.
            let home = "oa\(k / 2)", card = k % 4 < 2 ? "oc\(k / 2)" : "oc\(k)"
            let ip = "\(180 + k % 40).\(k).1.\(k % 200 + 1)"
            for d in stride(from: k % 5, to: 28, by: 6) {
                s.browse(a, day: d, device: "od\(k)", items: items, ip: ip)
                s.order(a, item: items[(k + d) % 10], seller: "shop", at: Scenario.t0 + Int64(d) * day + 20 * hour, device: "od\(k)",
                        address: home, payment: card, ip: ip)
            }
        }
    }

    func dealFindings(_ f: [Finding], _ t: EventTable) -> Set<String> {
        Set(f.filter { $0.riskType == "deal_hunter" }.map { t.accountID($0.account) })
    }

    func testRingLinkedOnlyByABlockAndAReferralCodeIsADealHunterRing() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            background(s)
            // Six accounts over two days, each its own device, card, address and IP — but all
            // from one /24, every order with a coupon, and the ring master's referral code.
            var ring: Set<String> = []
            for k in 0..<6 {
                let a = "r\(k)", created = Scenario.t0 + 10 * day + Int64(k) * 7 * hour + s.int(in: 0...hour)
                ring.insert(a)
                s.account(a, created: created, email: "shopper\(k)\(seed)@mail.example")
                let ip = "93.184.12.\(10 + k * 17)"
                s.event(a, "signup", at: created, ["device_id": "rd\(k)", "ip": ip])
                s.order(a, item: "it\(k)", seller: "shop", at: created + 20 * minute, device: "rd\(k)", address: "ra\(k)",
                        payment: "rc\(k)", coupon: "WELCOME10", ip: ip)
                s.order(a, item: "it\(k + 1)", seller: "shop", at: created + 2 * day, device: "rd\(k)", address: "ra\(k)",
                        payment: "rc\(k)", coupon: "REF-MASTER7", ip: ip)
            }
            let (f, t) = try s.run(IdentityDetector())
            let found = dealFindings(f, t)
            XCTAssertEqual(found.intersection(ring), ring, "the ring: \(f.map(\.reason))")
            XCTAssertEqual(found.subtracting(ring), [], "no ordinary buyer")
            let r = try XCTUnwrap(f.first { ring.contains(t.accountID($0.account)) })
            XCTAssertTrue(r.identifiers.contains { $0.kind == "coupon" && $0.value == "REF-MASTER7" }, "\(r.identifiers)")
        }
    }

    func testDripCreatedRingSharingCardsAndAnAddressIsFound() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            background(s)
            // Seven accounts opened a day or two apart over two weeks; pairs share a card, all
            // ship to one parcel address, each on its own device and network.
            var ring: Set<String> = []
            for k in 0..<7 {
                let a = "d\(k)", created = Scenario.t0 + 3 * day + Int64(k) * 2 * day + s.int(in: 0...(10 * hour))
                ring.insert(a)
                s.account(a, created: created, email: "d\(k)q\(seed)@tempbox.example")
                let ip = "\(100 + k * 11).\(k * 13).4.\(k + 2)"
                s.event(a, "signup", at: created, ["device_id": "dd\(k)", "ip": ip])
                s.order(a, item: "it\(k % 10)", seller: "shop", at: created + hour, device: "dd\(k)", address: "locker-77",
                        payment: "dc\(k / 2)", coupon: "WELCOME10", ip: ip)
            }
            let (f, t) = try s.run(IdentityDetector())
            let found = dealFindings(f, t)
            XCTAssertEqual(found.intersection(ring), ring, "\(f.map(\.reason))")
            XCTAssertEqual(found.subtracting(ring), [])
        }
    }

    func testCampusNewcomersWithTheWelcomeCouponStayLow() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            background(s)
            // Thirty students open accounts in the first three days of term, all on the campus
            // /24 (a few addresses shared by many), each takes the welcome coupon; their own
            // phones, cards and dorm addresses; they browse and some order again without one.
            var campus: Set<String> = []
            for k in 0..<30 {
                let a = "c\(k)", created = Scenario.t0 + 2 * day + s.int(in: 0...(3 * day))
                campus.insert(a)
                s.account(a, created: created, email: "student\(k)\(seed)@uni.example")
                let ip = "141.20.33.\(1 + k % 6)"
                s.event(a, "signup", at: created, ["device_id": "cd\(k)", "ip": ip])
                let d0 = Int((created - Scenario.t0) / day)
                for d in [d0, d0 + 3, d0 + 9] { s.browse(a, day: d, device: "cd\(k)", items: (0..<10).map { "it\($0)" }, ip: ip) }
                s.order(a, item: "it\(k % 10)", seller: "shop", at: created + s.int(in: hour...day), device: "cd\(k)",
                        address: "dorm\(k)", payment: "cc\(k)", coupon: "WELCOME10", ip: ip)
                if k % 2 == 0 {
                    s.order(a, item: "it\((k + 5) % 10)", seller: "shop", at: created + 8 * day, device: "cd\(k)", address: "dorm\(k)",
                            payment: "cc\(k)", ip: ip)
                }
            }
            let (f, t) = try s.run(IdentityDetector())
            XCTAssertEqual(dealFindings(f, t).intersection(campus), [], "\(f.map(\.reason))")
        }
    }

    /// Buyers asking sellers questions, a seller's shipping notices to its buyers and a
    /// creator's "going live" to the fans who watch it.
    func messagingBackground(_ s: Scenario) {
        s.account("shop", kind: "seller")
        s.account("creator", kind: "seller")
        s.item("mug", seller: "shop")
        for k in 0..<120 {
            let b = s.account("b\(k)")
            let at = Scenario.t0 + s.int(in: 0...(25 * day))
            if k % 3 == 0 {
                s.event(b, "message", at: at - hour, ["target_id": "shop", "text": ["Do you have it in blue?", "When will you ship?", "Is this available?"][k % 3]])
            }
            s.order(b, item: "mug", seller: "shop", at: at, device: "bd\(k)")
            s.event("shop", "message", at: at + day, ["target_id": b, "text": "Your order #\(1000 + k) has shipped 📦 track it: https://trk.example/\(k)x"])
            if k % 2 == 0 {
                s.event(b, "live_view", at: Scenario.t0 + Int64(k % 5) * day + 2 * hour, ["target_id": "creator", "device_id": "bd\(k)"])
                s.event("creator", "message", at: Scenario.t0 + Int64(k % 5) * day + hour,
                        ["target_id": b, "text": "Going live in 10 min!! 🔴 https://live.example/\(k % 5)"])
            }
        }
        for k in 0..<60 {
            let a = s.account("q\(k)")
            s.event(a, "message", at: Scenario.t0 + s.int(in: 0...(25 * day)), ["target_id": "shop", "text": "hello, is the mug dishwasher safe?"])
        }
    }

    func testSlowSpammerWithMutatedTemplatesAndDisguisedLinksIsFlagged() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            messagingBackground(s)
            s.account("slow")
            let links = ["hxxps://win-\(seed)a.top", "w w w . prize\(seed) . xyz", "http://bit.ly/\(seed)f3", "t.me/x\(seed)9"]
            for k in 0..<18 {
                let r = s.account("v\(k)")
                let pad = k % 2 == 0 ? " " : "  "
                let emoji = ["", " 💋", " 🎁", "!"][k % 4]
                s.event("slow", "message", at: Scenario.t0 + Int64(k) * 3 * hour + s.int(in: 0...hour),
                        ["target_id": r, "text": "Hot\(pad)singles near you\(emoji) \(links[k % 4])"])
            }
            // A handle-only spammer: no link at all, a phone number.
            s.account("wa")
            for k in 0..<20 {
                let r = s.account("w\(k)")
                s.event("wa", "message", at: Scenario.t0 + Int64(k) * 5 * hour, ["target_id": r, "text": "Cheap  brand bags replica, whatsapp +\(4_000 + k * 37)"])
            }
            let (f, t) = try s.run(SpamDetector())
            XCTAssertEqual(f.accounts(t), ["slow", "wa"], "\(f.map(\.reason))")
        }
    }

    /// Three ways a spammer's own messages or its victims' answers used to, or could, pass for
    /// contact. `rot` follows each stranger and sends it every lure it has in turn — work from
    /// home, a gift card, a wholesale price — each stranger starting at a different one; `greet`
    /// first says hello to each stranger in words of its own, then sends the lure; `oneshot` sends
    /// one lure, and two in three of its victims answer "who is this?". A sender's own unanswered
    /// message makes no acquaintance, and a reply relates the two only from then on: each is
    /// flagged (with the sender's earlier messages counted as contact, `rot` and `greet` were not;
    /// with later replies counted, `oneshot` was not).
    func testRotatingLuresAGreetingFirstAndVictimsWhoAnswerDoNotHideASpammer() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            messagingBackground(s)
            for a in ["rot", "greet", "oneshot"] { s.account(a) }
            let lures = ["work from home earn \(seed)00/day, contact tg @w\(seed)",
                         "Congratulations! you are selected for a gift card, claim: x\(seed).top/1",
                         "WhatsApp me +4\(seed)77 for wholesale price"]
            var at = Scenario.t0 + 2 * day
            for k in 0..<24 {
                let r = s.account("r\(k)")
                s.event("rot", "follow", at: at, ["target_id": r])
                for j in 0..<3 {
                    at += s.int(in: 5 * minute...40 * minute)
                    s.event("rot", "message", at: at, ["target_id": r, "text": lures[(k + j) % 3]])
                }
            }
            // Greetings in words of their own ("hey aaaa", "hey bbbb", …): no two alike.
            for k in 0..<24 {
                let r = s.account("g\(k)"), word = String(repeating: String(UnicodeScalar(UInt8(97 + k))), count: 4)
                let when = Scenario.t0 + 3 * day + Int64(k) * hour
                s.event("greet", "message", at: when, ["target_id": r, "text": "hey \(word)"])
                s.event("greet", "message", at: when + s.int(in: minute...(10 * minute)), ["target_id": r, "text": lures[1]])
            }
            for k in 0..<24 {
                let r = s.account("o\(k)")
                let when = Scenario.t0 + 4 * day + Int64(k) * hour
                s.event("oneshot", "message", at: when, ["target_id": r, "text": "Your parcel is held, pay the fee: p\(seed).top/\(k)"])
                if k % 3 != 0 { s.event(r, "message", at: when + s.int(in: minute...hour), ["target_id": "oneshot", "text": "who is this?"]) }
            }
            let (f, t) = try s.run(SpamDetector())
            XCTAssertEqual(Set(f.accounts(t)), ["rot", "greet", "oneshot"], "\(f.map(\.reason))")
        }
    }

    func testSellerAndCreatorBroadcastsAreNotSpam() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            messagingBackground(s)
            let (f, t) = try s.run(SpamDetector())
            XCTAssertEqual(f.accounts(t), [], "\(f.map(\.reason))")
        }
    }

    func testSpamTextSkeletonAndContacts() {
        let a = SpamText.parse("Hot  singles near you 💋 hxxps://win-1316.top")
        let b = SpamText.parse("Hot singles near you w w w . prize12 . xyz")
        XCTAssertEqual(a.tokens, b.tokens)
        XCTAssertEqual(a.contact, "win-1316.top")
        XCTAssertEqual(b.contact, "prize12.xyz")
        XCTAssertEqual(SpamText.parse("Earn 500/day, message me on t.me/x5eb6").contact, "t.me")
        XCTAssertEqual(SpamText.parse("bags, whatsapp +8196").contact, "phone")
        XCTAssertNil(SpamText.parse("When will you ship my order? Thanks.").contact)
    }
}
