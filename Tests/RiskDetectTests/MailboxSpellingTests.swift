import XCTest
@testable import RiskDetect

/// s50: a mailbox its takers all typed one way (the same address on several accounts) links only in a
/// store that seldom repeats an address among the accounts that took no incentive (`Mailbox.Spellings`).
/// Where the e-mail field repeats by the thousand — a contact field, or addresses from a name pattern that
/// strangers share (`tran.tanaka@gmail.com` on two people) — one identical address says nothing about one
/// hand, and a household whose member shares a spelling with a stranger taking the welcome coupon is no
/// ring. A mailbox its takers wrote with two sub-addresses (`+tag`) links wherever it is.
final class MailboxSpellingTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute
    let base = DealRingHouseholdTests(name: "helpers", testClosure: { _ in })
    let mail = DealMailboxTests(name: "helpers", testClosure: { _ in })

    func testTheStoreCountsItsRepeatedSpellings() {
        let links: (Int) -> Bool = { $0 <= 40 }
        var s = Mailbox.Spellings()
        for k in 0..<297 { s.add(Mailbox.key(Mailbox.spelling("p\(k)@mail.example"))) }
        XCTAssertTrue(s.identicalRepeatsAreRare(links: links), "no repeats")
        // One address typed on three accounts is one repeat: rare.
        for _ in 0..<3 { s.add(Mailbox.key(Mailbox.spelling("Ring@Mail.example "))) }
        XCTAssertEqual(s.repeated(links: links), 1)
        XCTAssertTrue(s.identicalRepeatsAreRare(links: links))
        // Case and blanks are the same spelling; a sub-address is another.
        XCTAssertEqual(Mailbox.spelling(" Ring@MAIL.example"), Mailbox.spelling("ring@mail.example"))
        XCTAssertNotEqual(Mailbox.spelling("ring+1@mail.example"), Mailbox.spelling("ring@mail.example"))
        // Dots the provider ignores are how a name is written, not a variant; elsewhere they are two names.
        XCTAssertEqual(Mailbox.spelling("Tran.Tanaka@gmail.com"), Mailbox.spelling("trantanaka@googlemail.com"))
        XCTAssertNotEqual(Mailbox.spelling("tran.tanaka+2@gmail.com"), Mailbox.spelling("trantanaka@gmail.com"))
        XCTAssertNotEqual(Mailbox.spelling("tran.tanaka@outlook.com"), Mailbox.spelling("trantanaka@outlook.com"))
        // The bar is one per hundred accounts: 300 accounts hold 3 repeats and stay rare, not 4.
        for k in 0..<2 { s.add(Mailbox.key(Mailbox.spelling("p\(k)@mail.example"))) }    // 302 accounts, 3 repeats
        XCTAssertEqual(s.repeated(links: links), 3)
        XCTAssertTrue(s.identicalRepeatsAreRare(links: links))
        s.add(Mailbox.key(Mailbox.spelling("p2@mail.example")))                             // 303 accounts, 4 repeats
        XCTAssertEqual(s.accounts, 303)
        XCTAssertFalse(s.identicalRepeatsAreRare(links: links))
        // 199 accounts hold one repeat: two are common.
        var mid = Mailbox.Spellings()
        for k in 0..<195 { mid.add(Mailbox.key(Mailbox.spelling("q\(k)@x.io"))) }
        for a in ["q0@x.io", "q1@x.io"] { mid.add(Mailbox.key(Mailbox.spelling(a))) }
        XCTAssertEqual(mid.accounts, 197)
        XCTAssertFalse(mid.identicalRepeatsAreRare(links: links))
        // A placeholder on more accounts than link is not counted: it links no one anyway.
        var ph = Mailbox.Spellings()
        for k in 0..<150 { ph.add(Mailbox.key(Mailbox.spelling("r\(k)@x.io"))) }
        for _ in 0..<60 { ph.add(Mailbox.key(Mailbox.spelling("noemail@store.example"))) }
        for a in ["r0@x.io", "r1@x.io"] { ph.add(Mailbox.key(Mailbox.spelling(a))) }
        XCTAssertEqual(ph.repeated(links: links), 2)
        XCTAssertTrue(ph.identicalRepeatsAreRare(links: links), "212 accounts: two repeats are rare, the placeholder aside")
        // A store of a handful with one repeat: one is always rare.
        var small = Mailbox.Spellings()
        for a in ["a@x.io", "b@x.io", "a@x.io"] { small.add(Mailbox.key(Mailbox.spelling(a))) }
        XCTAssertTrue(small.identicalRepeatsAreRare(links: links))
    }

    /// Every buyer's address drawn from a small name pattern (a first and a last name, with a dot or
    /// without, at Gmail — which ignores the dots — or at a provider that does not), so strangers share
    /// spellings by the dozen and Gmail's dotted and undotted names meet on one mailbox; with 200 regulars
    /// who took no incentive, whose repeats are what the store's rate is counted on.
    func namePattern(_ s: Scenario, names: Int = 25) {
        // The store's regulars who took no incentive: 200 old accounts that browse and buy at full price.
        for k in 0..<200 {
            let a = s.account("reg\(k)")
            s.order(a, item: "it\(k % 10)", seller: "shop", at: Scenario.t0 + Int64(k % 25) * day + 15 * hour, device: "rd\(k)",
                    address: "ra\(k)", payment: "rc\(k)", ip: "150.\(k % 200).\(k % 11).\(1 + k % 199)")
        }
        for i in s.accounts.indices where (s.accounts[i]["kind"] as? String) == "buyer" {
            // first.last or firstlast, at a provider that ignores the dots or one that does not
            let name = "name\(s.int(in: 0...Int64(names - 1)))", family = "family\(s.int(in: 0...3))"
            s.accounts[i]["email"] = (s.int(in: 0...1) == 0 ? name + "." + family : name + family) + (s.int(in: 0...2) == 0 ? "@mail.example" : "@gmail.com")
        }
    }

    /// Households taking the welcome coupon, among newcomers and regulars whose addresses repeat by a
    /// name pattern: a household member typed the same address as a stranger newcomer who took the
    /// coupon too. Nobody is a deal-hunter ring. With the spelling rule off (the rule before), the
    /// identical addresses chain households and strangers into units the unit tests then judge.
    func testHouseholdsAmongRepeatedAddressesAreNoRing() throws {
        var before = 0
        // Seeds 1 and 3 always run: the rule before reports households on them (not on every seed).
        try forEachSeed(also: [1, 3]) { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            base.households(s, 20)
            namePattern(s)
            let (f, t) = try s.run(IdentityDetector())
            let found = base.dealHunters(f, t)
            XCTAssertEqual(found, [], f.filter { $0.riskType == "deal_hunter" }.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "\n"))
            var off = IdentityDetector(); off.ringMailboxSpellings = false
            before += base.dealHunters(try s.run(off).findings, t).count
        }
        // The scenario is one the rule before gets wrong on the pinned seeds (else this test shows nothing).
        XCTAssertGreaterThan(before, 0, "the rule before reported no one: the scenario does not hold the case")
    }

    /// The same store, and an old regular who took no incentive subscribed with a sub-address of each
    /// household's first member's address (`local+news@`): the takers themselves typed one spelling, so
    /// the mailbox is still no tie between the household and the strangers on that address.
    func testASubAddressOutsideTheTakersLinksNoStrangers() throws {
        try forEachSeed(also: [1, 2]) { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            base.households(s, 20)
            namePattern(s)
            for h in 0..<20 {
                guard let i = s.accounts.firstIndex(where: { ($0["account_id"] as? String) == "h\(h)m0" }),
                      let email = s.accounts[i]["email"] as? String, let at = email.firstIndex(of: "@") else { continue }
                let a = s.account("news\(h)", email: String(email[..<at]) + "+news" + String(email[at...]))
                s.order(a, item: "it\(h % 10)", seller: "shop", at: Scenario.t0 + Int64(h) * day + 16 * hour, device: "nd\(h)",
                        address: "na\(h)", payment: "nc\(h)", ip: "151.\(h).1.\(h + 1)")
            }
            let (f, t) = try s.run(IdentityDetector())
            XCTAssertEqual(base.dealHunters(f, t), [], f.filter { $0.riskType == "deal_hunter" }.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "\n"))
        }
    }

    /// The same store of repeated addresses: a ring of newcomers on one mailbox written as aliases
    /// (`+tag`, case, dots at Gmail), each on its own phone, card, address and network, is still found.
    func testAnAliasRingAmongRepeatedAddressesIsFound() throws {
        try mail.assertAliasRingFound(prepare: { self.namePattern($0) })
    }

    /// A store that does not hold each person to one address, where addresses do not otherwise repeat: two
    /// rings of eight newcomers, each ring typing one identical address, each member on its own phone, card,
    /// address and network, are found by it — the rings' repeats are not counted, and a placeholder
    /// address on two old accounts is one repeat: rare.
    func testARingOnOneIdenticalAddressIsFoundWhereRepeatsAreRare() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            base.marketplace(s)
            base.households(s, 20)
            // Two rings, each on an address of its own, and two old accounts on a placeholder: the rings'
            // own repeats and the placeholder do not make repeats common (review s50).
            var ring: Set<String> = []
            for p in 0..<2 { s.account("placeholder\(p)", email: "noemail@store.example") }
            for k in 0..<16 {
                let a = "same\(k)", created = Scenario.t0 + s.int(in: (2 * day)...(16 * day))
                ring.insert(a)
                s.account(a, created: created, email: "deals\(k / 8)x\(s.seed)@mail.example")
                let ip = "\(30 + k).\(k * 13 % 250).\(k % 7).\(9 + k)"
                s.event(a, "signup", at: created, ["device_id": "sd\(k)", "ip": ip])
                s.order(a, item: "it\(k % 10)", seller: "shop", at: created + s.int(in: (10 * minute)...(2 * hour)), device: "sd\(k)",
                        address: "sa\(k)", payment: "sc\(k)", coupon: "WELCOME10", ip: ip)
            }
            let (f, t) = try s.run(IdentityDetector())
            let found = base.dealHunters(f, t)
            let why = f.filter { $0.riskType == "deal_hunter" }.map { "\(t.accountID($0.account)): \($0.reason)" }
            XCTAssertEqual(found.intersection(ring), ring, "\(why)")
            XCTAssertEqual(found.subtracting(ring), [], "nobody else: \(why)")
        }
    }
}
