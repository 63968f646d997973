import XCTest
@testable import RiskDetect

/// Who has dealt with whom (Contacts.swift), the picture the spam detector and the anomaly
/// layer's stranger-message features share: a hand-built store with each kind of relation.
final class ContactsTests: XCTestCase {
    let minute = Scenario.minute

    /// One message of each kind, `k` minutes after t0 (the scenario delivers events shuffled).
    func scenario() -> Scenario {
        let s = Scenario()
        for a in ["shop", "cr"] { s.account(a, kind: "seller") }
        for a in ["b1", "f1", "f2", "x", "y", "z"] { s.account(a) }
        s.item("it", seller: "shop")
        let t0 = Scenario.t0
        s.order("b1", item: "it", seller: "shop", at: t0, device: "d1")
        s.event("f1", "follow", at: t0, ["target_id": "cr"])
        s.event("f2", "live_view", at: t0, ["target_id": "cr"])
        func msg(_ k: Int64, _ from: String, _ to: String, _ text: String? = "hello there") {
            var f: [String: Any] = ["target_id": to]
            if let text { f["text"] = text }
            s.event(from, "message", at: t0 + k * minute, f)
        }
        msg(1, "shop", "b1")            // to its buyer: service
        msg(2, "b1", "x")               // to a stranger
        msg(3, "x", "b1")               // a reply: the other wrote first
        msg(4, "b1", "x")               // again, after its reply: related
        msg(5, "f1", "cr")              // a fan writing to the creator: nothing says the creator knows it
        msg(6, "cr", "f2")              // to a viewer of its live show: service
        msg(7, "b1", "shop")            // to the shop it bought from
        msg(8, "y", "x", nil)           // no text
        msg(9, "y", "y")                // to itself: not a message to anyone
        msg(10, "x", "y")               // y wrote to x first, without a text
        msg(11, "b1", "z")              // to a stranger
        msg(12, "b1", "z")              // again, unanswered: still a stranger (one's own message is no acquaintance)
        msg(13, "z", "b1")              // z answers: that makes neither of b1's messages contact after the fact
        return s
    }

    func walk(_ t: EventTable, withText: Bool) -> [String] {
        var out: [String] = []
        Contacts(t, withText: withText).forEachMessage(t) { _, e, first, related in
            out.append("\(t.accountID(t.account[e]))>\(t.accountID(t.target[e]))" + (first ? " first" : "") + (related ? " related" : ""))
        }
        return out
    }

    func testMessagesInTimeOrderWithFirstContactsAndRelations() throws {
        let (_, t) = try scenario().build()
        XCTAssertEqual(walk(t, withText: false), [
            "shop>b1 first related", "b1>x first", "x>b1 first related", "b1>x related", "f1>cr first",
            "cr>f2 first related", "b1>shop first related", "y>x first", "x>y first related", "b1>z first", "b1>z",
            "z>b1 first related",
        ])
        // Without the textless message, y never wrote to x: x's message to y is to a stranger.
        XCTAssertEqual(walk(t, withText: true), [
            "shop>b1 first related", "b1>x first", "x>b1 first related", "b1>x related", "f1>cr first",
            "cr>f2 first related", "b1>shop first related", "x>y first", "b1>z first", "b1>z", "z>b1 first related",
        ])
    }

    func testDealtIsBuyingEitherWayOrFollowingTheSender() throws {
        let (_, t) = try scenario().build()
        let c = Contacts(t, withText: false)
        func id(_ s: String) throws -> Int32 { try XCTUnwrap(t.accounts.lookup(s)) }
        XCTAssertTrue(c.dealt(try id("shop"), try id("b1")))     // the recipient bought from the sender
        XCTAssertTrue(c.dealt(try id("b1"), try id("shop")))     // the sender bought from the recipient
        XCTAssertTrue(c.dealt(try id("cr"), try id("f1")))       // the recipient follows the sender
        XCTAssertTrue(c.dealt(try id("cr"), try id("f2")))       // the recipient watched the sender live
        XCTAssertFalse(c.dealt(try id("f1"), try id("cr")))      // following is one way
        XCTAssertFalse(c.dealt(try id("b1"), try id("x")))       // messages alone are not dealing
    }

    func testStrangerCountsAreFirstContactsWithStrangers() throws {
        let (_, t) = try scenario().build()
        let m = StrangerMessages.compute(t)
        func strangers(_ s: String) throws -> Float { m.strangers[Int(try XCTUnwrap(t.accounts.lookup(s)))] }
        XCTAssertEqual(try strangers("b1"), Float(log1p(2.0)))    // x and z once each, though each written to twice
        XCTAssertEqual(try strangers("f1"), Float(log1p(1.0)))
        XCTAssertEqual(try strangers("y"), Float(log1p(1.0)))     // x, without a text
        XCTAssertEqual(try strangers("shop"), 0)
        XCTAssertEqual(try strangers("cr"), 0)
        XCTAssertEqual(try strangers("x"), 0)                     // both of its messages were replies
    }
}
