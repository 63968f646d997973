import Foundation
import XCTest
@testable import RiskDetect

/// When a shared identifier links its accounts (LinkBound.swift, issue 11): decided from the
/// store — its household scale and whether the identifier's users behave as one — not from a
/// fixed count. A 5k store's parcel lockers hold 35–40 strangers (under the old bound of 40, so
/// they linked and chained); a ring of 60 on one card and a few phones exceeds it (so it fell
/// apart into its phones).
final class LinkBoundTests: XCTestCase {
    let day = Scenario.day

    /// Households (sizes drawn from `homes`, a tablet and a card often shared), `lockers` parcel
    /// lockers of `lockerSize` strangers (own phone, own card; one couple per locker also shares
    /// a home), and optionally a ring of `ring` accounts on one prepaid card, six to a phone,
    /// each with an address of its own. Everyone buys from one shop.
    func world(seed: UInt64, homes: [Int] = [1, 1, 2, 2, 3, 4], households: Int = 400,
               lockers: Int = 3, lockerSize: Int, ring: Int = 0) -> Scenario {
        var rng = SeededRandom(seed &* 6151 &+ 7)
        let s = Scenario(seed: seed)
        s.account("shop", kind: "seller")
        for k in 0..<20 { s.item("i\(k)", seller: "shop") }
        func buy(_ a: String, dev: String, address: String, card: String) {
            for _ in 0..<rng.int(1...2) {
                let at = Scenario.t0 + Int64(rng.int(0...27)) * day + Int64(rng.int(0...86_000)) * 1000
                s.order(a, item: "i\(rng.int(0...19))", seller: "shop", at: at, device: dev, address: address, payment: card)
            }
        }
        var b = 0
        while b < households {
            let size = homes[rng.int(0...homes.count - 1)]
            let tablet = rng.chance(0.5) ? "tablet\(b)" : nil
            let card = rng.chance(0.4) ? "hcard\(b)" : nil
            for m in 0..<size {
                let a = s.account("home\(b + m)")
                buy(a, dev: tablet ?? "phone\(b + m)", address: "house\(b)", card: card ?? "card-\(a)")
            }
            b += size
        }
        for l in 0..<lockers {
            for m in 0..<lockerSize {
                let a = s.account("locker\(l)-\(m)")
                buy(a, dev: "lphone\(l)-\(m)", address: "locker\(l)", card: "lcard\(l)-\(m)")
                // One couple per locker: the first two users also share a flat.
                if m < 2 { buy(a, dev: "lphone\(l)-\(m)", address: "flat\(l)", card: "lcard\(l)-\(m)") }
            }
        }
        for r in 0..<ring {
            let a = s.account("ring\(r)")
            buy(a, dev: "rphone\(r / 6)", address: "raddr\(r)", card: "ringcard")
        }
        return s
    }

    func id(_ t: EventTable, address v: String) -> Int32 { t.addresses.lookup(v)! }

    /// The sharing group (SellerPeers: device, card, address that link) of each named account.
    func roots(_ t: EventTable, _ prefix: String) -> [Int32?] {
        let peers = SellerPeers(t)
        return (0..<t.accountCount).filter { t.accountID(Int32($0)).hasPrefix(prefix) }.map { peers.root[Int32($0)] }
    }

    func testLockersOf35StrangersLinkNothing() throws {
        try forEachSeed { seed in
            let (_, t) = try world(seed: seed, lockerSize: 35).build()
            t.linkRule = .derived
            let bound = t.linkBound
            XCTAssertLessThan(bound.small, 35, "seed \(seed): household \(bound.household)")
            for l in 0..<3 {
                XCTAssertFalse(bound.links(LinkBound.address, id(t, address: "locker\(l)"), accounts: 35), "seed \(seed): locker \(l) links")
            }
            // Only the couples are linked (by their flat), never a locker's strangers.
            let linked = roots(t, "locker").compactMap { $0 }
            XCTAssertEqual(linked.count, 6, "seed \(seed): \(linked.count) locker users linked")
            XCTAssertEqual(Set(linked).count, 3, "seed \(seed): the couples are not three pairs")
            // The failure's shape: under the fixed bound of 40 every locker is one group of 35.
            t.linkRule = .fixed(40)
            XCTAssertEqual(roots(t, "locker").compactMap { $0 }.count, 105, "seed \(seed): the fixed bound no longer links the lockers")
        }
    }

    func testARingOf60OnOneCardAndPhonesIsStillARing() throws {
        try forEachSeed { seed in
            // A bigger store: lockers of 50 strangers (beyond 40 too), and the ring.
            let (_, t) = try world(seed: seed, households: 1200, lockers: 4, lockerSize: 50, ring: 60).build()
            t.linkRule = .derived
            let bound = t.linkBound
            XCTAssertTrue(bound.links(LinkBound.payment, t.payments.lookup("ringcard")!, accounts: 60), "seed \(seed): the ring's card does not link")
            for l in 0..<4 {
                XCTAssertFalse(bound.links(LinkBound.address, id(t, address: "locker\(l)"), accounts: 50), "seed \(seed): locker \(l) links")
            }
            let ring = roots(t, "ring")
            XCTAssertEqual(ring.count, 60)
            XCTAssertTrue(ring.allSatisfy { $0 != nil }, "seed \(seed): ring members unlinked")
            XCTAssertEqual(Set(ring.compactMap { $0 }).count, 1, "seed \(seed): the ring is not one group")
            // Under the fixed bound the card links nothing: the ring falls apart into its ten phones.
            t.linkRule = .fixed(40)
            XCTAssertEqual(Set(roots(t, "ring").compactMap { $0 }).count, 10, "seed \(seed)")
        }
    }

    func testTheBoundMovesWithTheStore() throws {
        try forEachSeed { seed in
            // Couples and loners: homes of at most two; big families: homes of three to six.
            let (_, small) = try world(seed: seed, homes: [1, 2], lockers: 2, lockerSize: 30).build()
            let (_, big) = try world(seed: seed, homes: [3, 4, 5, 6], lockers: 2, lockerSize: 30).build()
            small.linkRule = .derived
            big.linkRule = .derived
            let s = small.linkBound, b = big.linkBound
            XCTAssertEqual(s.household, 2, "seed \(seed)")
            XCTAssertEqual(b.household, 6, "seed \(seed)")
            XCTAssertEqual(s.small, 8 * s.household)
            XCTAssertEqual(b.small, 8 * b.household)
            // Thirty strangers are a public place among couples, a crew's size among big families.
            XCTAssertFalse(s.links(LinkBound.address, id(small, address: "locker0"), accounts: 30), "seed \(seed)")
            XCTAssertTrue(b.links(LinkBound.address, id(big, address: "locker0"), accounts: 30), "seed \(seed)")
            // A fixed rule is the count it names, whatever the store.
            XCTAssertEqual(LinkBound.make(small, rule: .fixed(40)).small, 40)
            XCTAssertTrue(LinkBound.make(small, rule: .fixed(40)).dependentCounts.allSatisfy { $0 == 0 })
        }
    }
}
