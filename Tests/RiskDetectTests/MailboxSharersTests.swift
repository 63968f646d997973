import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// `mailbox_sharers` (Mailbox.swift, `MailboxSharers`): the other accounts on an account's
/// normalised mailbox, as decades of chance at the store's rate of shared inboxes, judged against
/// the store's mailboxes and taken as it is by the anomaly layer.
final class MailboxSharersTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    /// The value, the rate it is measured against, and the cases that do not count: an address
    /// without a domain (missing), a placeholder on more accounts than link, identical spellings
    /// where the store repeats addresses often.
    func testTheValueIsCoincidencesAtTheStoresRateAndOnlyWhereTheMailboxLinks() throws {
        let s = Scenario(seed: 1)
        s.account("seller", kind: "seller")
        s.item("p", seller: "seller")
        var all: [String] = []
        for k in 0..<5 { all.append(s.account("ring\(k)", email: "Ring.Leader+\(k)@gmail.com")) }   // one inbox, five spellings
        all.append(s.account("anna", email: "anna.lee@gmail.com"))
        all.append(s.account("anna2", email: "annalee+shop@googlemail.com"))                      // the same inbox
        for k in 0..<100 { all.append(s.account("solo\(k)")) }
        for k in 0..<50 { all.append(s.account("ph\(k)", email: "noemail+\(k)@example.com")) }   // a placeholder: 50 > the bound
        all.append(s.account("stem", email: "no-domain"))
        for a in all { s.event(a, "view", at: Scenario.t0 + hour, ["item_id": "p", "seller_id": "seller"]) }
        let (_, t) = try s.build()
        let x = MailboxSharers.compute(t)
        func v(_ a: String) -> Float { x[Int(t.accounts.lookup(a)!)] }
        // Accounts with a mailbox: 5 + 2 + 100 + 50 + the seller's; joined a mailbox someone had: 4 + 1.
        let withBox = 5 + 2 + 100 + 50 + 1
        let perCoincidence = Float(-log10(Double(4 + 1 + 1) / Double(withBox + 1)))
        XCTAssertEqual(v("ring0"), 4 * perCoincidence, accuracy: 1e-4)
        XCTAssertEqual(v("anna"), perCoincidence, accuracy: 1e-4, "Gmail ignores dots; googlemail is gmail")
        XCTAssertEqual(v("anna2"), perCoincidence, accuracy: 1e-4)
        XCTAssertEqual(v("solo3"), 0)
        XCTAssertEqual(v("ph7"), 0, "a placeholder on more accounts than link links no one")
        XCTAssertEqual(v("stem"), -1, "no domain: no mailbox, not judged")

        // A store whose addresses repeat identically (a contact field, a name pattern): identical
        // spellings are no one inbox there, a sub-address still is.
        let c = Scenario(seed: 2)
        c.account("seller", kind: "seller")
        c.item("p", seller: "seller")
        var bs: [String] = []
        for k in 0..<200 { bs.append(c.account("b\(k)", email: "family\(k / 2)@mail.example")) }   // 100 addresses, each twice
        bs.append(c.account("alias1", email: "deals+1@mail.example"))
        bs.append(c.account("alias2", email: "deals+2@mail.example"))
        for a in bs { c.event(a, "view", at: Scenario.t0 + hour, ["item_id": "p", "seller_id": "seller"]) }
        let (_, t2) = try c.build()
        let y = MailboxSharers.compute(t2)
        XCTAssertEqual(y[Int(t2.accounts.lookup("b0")!)], 0, "identical repeats are common here: they do not link")
        XCTAssertGreaterThan(y[Int(t2.accounts.lookup("alias1")!)], 0, "two spellings of one inbox link wherever")
    }

    /// Newcomers who each take the welcome coupon once on an account of their own, among honest
    /// newcomers and long-time shoppers who do the same, and people with a second account on a
    /// sub-address of their inbox. With the identity detector off (leave-one-detector-out), a ring
    /// on sub-addresses of one mailbox — nothing else shared — is in the store's top 5 % by the
    /// column alone; without it, it is where the honest newcomers are. The ring outnumbers the
    /// honest newcomers of its activity, so judged within that peer group it would be its own
    /// reference. A second account is one coincidence: it stays in the crowd.
    func testARingOnOneInboxIsFoundWithIdentityOffASecondAccountIsNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 5600)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<40 { s.item("p\(k)", seller: "shop") }
            func shop(_ a: String, from d0: Int, device: String, ip: String) {
                for d in d0..<28 where rng.chance(0.3) {
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour
                    for _ in 0..<rng.int(2...6) {
                        s.event(a, "view", at: at, ["item_id": "p\(rng.int(0...39))", "seller_id": "shop", "device_id": device, "ip": ip])
                        at += Int64(1000 * (5 + rng.exponential(60)))
                    }
                    if rng.chance(0.3) {
                        s.event(a, "order", at: at, ["item_id": "p\(rng.int(0...39))", "seller_id": "shop", "device_id": device, "ip": ip,
                                                     "order_id": "o-\(a)-\(d)", "amount": 20, "currency": "USD"])
                    }
                }
            }
            /// A newcomer's first order with the welcome coupon, and little else.
            func welcome(_ a: String, at: Int64, device: String, ip: String) {
                s.event(a, "signup", at: at, ["device_id": device, "ip": ip])
                s.event(a, "view", at: at + 60_000, ["item_id": "p\(rng.int(0...39))", "seller_id": "shop", "device_id": device, "ip": ip])
                s.event(a, "order", at: at + 120_000, ["item_id": "p\(rng.int(0...39))", "seller_id": "shop", "device_id": device, "ip": ip,
                                                       "order_id": "o-\(a)", "amount": 20, "currency": "USD", "coupon_id": "WELCOME10"])
                s.event(a, "coupon_redeem", at: at + 125_000, ["coupon_id": "WELCOME10", "amount": 5, "device_id": device, "ip": ip])
            }
            var people: [String] = [], ring: [String] = [], seconds: [String] = []
            for k in 0..<400 { let a = s.account("b\(k)"); people.append(a); shop(a, from: 0, device: "\(a)-phone", ip: "10.1.\(k / 200).\(k % 200)") }
            for k in 0..<200 {
                let created = Scenario.t0 + Int64(rng.int(0...26)) * day + Int64(rng.int(0...80_000)) * 1000
                let a = s.account("n\(k)", created: created); people.append(a)
                welcome(a, at: created, device: "\(a)-phone", ip: "10.2.\(k / 200).\(k % 200)")
                if rng.chance(0.9) { shop(a, from: Int((created - Scenario.t0) / day) + 1, device: "\(a)-phone", ip: "10.2.\(k / 200).\(k % 200)") }
            }
            // People with a second account (a shop's, a partner's) on a sub-address of their inbox.
            for k in 0..<6 {
                let p = people[k * 40]
                let created = Scenario.t0 + Int64(rng.int(0...26)) * day
                let a = s.account("second\(k)", created: created, email: "\(p)+shop@mail.example"); seconds.append(a)
                welcome(a, at: created, device: "\(p)-phone", ip: "10.3.0.\(k)")
            }
            // The ring: twenty-five newcomers on sub-addresses of one inbox, a device and a network each —
            // more than the honest newcomers who only took the coupon, so within their peer group
            // (role, age, activity) they are the crowd, and the inbox is judged against the store's.
            for k in 0..<25 {
                let created = Scenario.t0 + Int64(rng.int(5...20)) * day + Int64(rng.int(0...80_000)) * 1000
                let a = s.account("r\(k)", created: created, email: "cheap.deals+\(k)@mail.example"); ring.append(a)
                welcome(a, at: created, device: "rdev\(k)", ip: "10.9.\(k).\(rng.int(1...200))")
            }
            let (store, t) = try s.build()
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let on = Anomaly.compute(t), off = Anomaly.compute(t, mailboxSharers: false)
            XCTAssertFalse(off.names.contains("mailbox_sharers"), "off: the column is not there at all")
            let ringOn = ring.map { on.rank[index($0)] }.sorted(), ringOff = ring.map { off.rank[index($0)] }.sorted()
            XCTAssertGreaterThanOrEqual(ringOn[0], 0.95, "every ring member in the anomaly layer's top 5 %")
            XCTAssertLessThan(ringOff.filter { $0 >= 0.95 }.count, ring.count / 2, "without the column most of the ring is out of the top 5 %")
            for a in ring {
                XCTAssertTrue((on.explanation(index(a), t) ?? "").contains("other accounts on its mailbox"), on.explanation(index(a), t) ?? "no explanation")
            }
            let secondOn = seconds.map { on.rank[index($0)] }.sorted()
            XCTAssertLessThan(secondOn[secondOn.count / 2], ringOn[0], "a second account is below every ring member")
            XCTAssertLessThan(secondOn[secondOn.count / 2], 0.95, "a second account's median stays out of the top 5 %")

            // The whole engine with the identity detector off: the ring in the store's top 5 %.
            let (score, why) = try scores(store, without: "identity")
            let ordered = score.values.sorted(by: >)
            let cut = ordered[max(0, ordered.count / 20 - 1)]
            let inTop = ring.filter { score[$0]! >= cut }
            XCTAssertGreaterThanOrEqual(inTop.count, ring.count / 2 + 1, ring.map { "\($0) \(score[$0]!): \(why[$0] ?? "")" }.prefix(3).joined(separator: " | "))
            XCTAssertLessThanOrEqual(seconds.filter { score[$0]! >= cut }.count, 1, "second accounts in the top 5 %")
        }
    }
}
