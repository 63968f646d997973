import Foundation
import XCTest
@testable import RiskDetect

/// The takeover detector weighs the steps around an anchor by how rare they are in the store.
/// Steps that come together — a shopping day on a new phone makes orders unusual for the
/// account, rare for it and expensive, all at once — are one event, not three: an honest
/// owner's new phone and a big shopping day must not add up to a takeover, while a stranger's
/// device on a new network followed by a new address and expensive orders still does.
final class TakeoverStepsTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testANewPhoneAndABigShoppingDayAreNotATakeoverAStrangersDeviceAndANewAddressAre() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 4_000)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            var k = 0
            /// An owner's days on one device from the home network (returned: its /24); now and then a cheap order.
            @discardableResult
            func routine(_ a: String, device: (Int) -> String, days: Range<Int> = 0..<28) -> String {
                let home = "10.\(k / 200).\(k % 200)"
                k += 1
                for d in days where rng.chance(0.6) {
                    let t = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
                    s.event(a, "login", at: t, ["device_id": device(d), "country": "TH", "status": "ok", "ip": "\(home).\(rng.int(2...9))"])
                    if rng.chance(0.15) {
                        s.order(a, item: "socks", seller: "shop", at: t + 10 * minute, device: device(d), address: "\(a)-home",
                                payment: "\(a)-card", amount: 8, ip: "\(home).2")
                    }
                }
                return home
            }
            for i in 0..<120 { routine(s.account("p\(i)"), device: { _ in "p\(i)-phone" }) }
            // New phones at home: the old one until a day, the new one from then on.
            for i in 0..<90 {
                let a = s.account("np\(i)")
                let d = rng.int(6...20)
                routine(a, device: { $0 < d ? "np\(i)-old" : "np\(i)-new" })
            }
            // Travellers: a phone bought abroad and kept; a few buy something expensive there.
            var travellers: [String] = []
            for i in 0..<30 {
                let a = s.account("trav\(i)"); travellers.append(a)
                routine(a, device: { _ in "trav\(i)-phone" }, days: 0..<12)
                let at = Scenario.t0 + Int64(rng.int(13...18)) * day + 10 * hour
                s.event(a, "login", at: at, ["device_id": "trav\(i)-new", "country": "JP", "status": "ok", "ip": "172.20.\(i).5"])
                if i < 4 {
                    s.order(a, item: "tv", seller: "shop", at: at + hour, device: "trav\(i)-new", address: "\(a)-home",
                            payment: "\(a)-card", amount: 640, ip: "172.20.\(i).5")
                }
                for d in 20..<28 where rng.chance(0.6) {
                    s.event(a, "login", at: Scenario.t0 + Int64(d) * day + 9 * hour, ["device_id": "trav\(i)-new", "country": "TH", "status": "ok", "ip": "10.9.\(i).3"])
                }
            }
            // Shoppers: the new phone's first day at home is a big shopping day — several
            // orders, two of them expensive, to the owner's own address with the owner's card.
            var shoppers: [String] = []
            for i in 0..<6 {
                let a = s.account("shopper\(i)"); shoppers.append(a)
                let d = rng.int(8...18)
                let home = routine(a, device: { $0 < d ? "sh\(i)-old" : "sh\(i)-new" })
                let at = Scenario.t0 + Int64(d) * day + 6 * hour
                s.event(a, "login", at: at, ["device_id": "sh\(i)-new", "country": "TH", "status": "ok", "ip": "\(home).4"])
                for (j, item) in ["tv", "socks", "tv"].enumerated() {
                    s.order(a, item: item, seller: "shop", at: at + Int64(j + 1) * 20 * minute, device: "sh\(i)-new", address: "\(a)-home",
                            payment: "\(a)-card", amount: item == "tv" ? 640 : 8, ip: "\(home).4")
                }
            }
            // Quiet takeovers: a stolen password, no reset, the owner's country — a device used
            // only then, from a network the owner never used, a new address, expensive orders.
            var victims: [String] = []
            for i in 0..<3 {
                let a = s.account("victim\(i)"); victims.append(a)
                routine(a, device: { _ in "v\(i)-phone" })
                let at = Scenario.t0 + Int64(15 + i) * day + 3 * hour
                s.event(a, "login", at: at, ["device_id": "intruder\(i)", "country": "TH", "status": "ok", "ip": "198.51.100.\(i + 7)"])
                s.event(a, "address_change", at: at + 10 * minute, ["device_id": "intruder\(i)", "address_id": "drop-\(i)", "ip": "198.51.100.\(i + 7)"])
                for j in 0..<2 {
                    s.order(a, item: "tv", seller: "shop", at: at + Int64(20 + 15 * j) * minute, device: "intruder\(i)", address: "drop-\(i)",
                            payment: "\(a)-card", amount: 640, ip: "198.51.100.\(i + 7)")
                }
            }
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(victims), Set(victims), "seed \(seed): \(flagged.sorted())")
            XCTAssertTrue(flagged.intersection(shoppers).isEmpty, "seed \(seed): a new phone's shopping day: \(flagged.intersection(shoppers).sorted())")
            XCTAssertTrue(flagged.intersection(travellers).isEmpty, "seed \(seed): travellers: \(flagged.intersection(travellers).sorted())")
            XCTAssertTrue(flagged.subtracting(victims).isEmpty, "seed \(seed): owners: \(flagged.subtracting(victims).sorted())")
        }
    }
}
