import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The quietest takeover: a stolen password used directly — no failed logins, no reset, the
/// owner's own country, address and card — from a device and a network the owner never used,
/// for a few orders far above the owner's own. Its look-alikes have one or two of those signs,
/// not the set: a new phone at home (the home network, kept in use), a partner's laptop at
/// home for one order, a trip abroad on a new phone with an ordinary order.
final class QuietTakeoverTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// Logins and small orders on the account's phone from its home network (`net`.x).
    func life(_ s: Scenario, _ a: String, _ rng: inout SeededRandom, device: String, net: String, days: Range<Int>) {
        for d in days where rng.chance(0.7) {
            let t = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...22)) * hour + Int64(rng.int(0...3_599)) * 1000
            let ip = "\(net).\(rng.int(2...250))"
            s.event(a, "login", at: t, ["device_id": device, "country": "TH", "status": "ok", "ip": ip])
            if rng.chance(0.25) {
                s.order(a, item: "socks", seller: "shop", at: t + 10 * minute, device: device, address: "\(a)-home",
                        payment: "\(a)-card", amount: 8 + Double(rng.int(0...20)), ip: ip)
            }
        }
    }

    func testAStolenPasswordUsedDirectlyIsCaughtNewPhonesBorrowedLaptopsAndTripsAreNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 4_100)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            func home(_ k: Int) -> String { "10.\(k / 200).\(k % 200)" }
            var k = 0
            for _ in 0..<160 { let a = s.account("p\(k)"); life(s, a, &rng, device: "p\(k)-phone", net: home(k), days: 0..<28); k += 1 }
            // New phones at home: from day 20 on, one of the first things bought on it is a TV.
            for j in 0..<25 {
                let a = s.account("newphone\(j)"), net = home(k); k += 1
                life(s, a, &rng, device: "np\(j)-old", net: net, days: 0..<20)
                let at = Scenario.t0 + Int64(20 + j % 3) * day + 10 * hour
                s.event(a, "login", at: at, ["device_id": "np\(j)-new", "country": "TH", "status": "ok", "ip": "\(net).9"])
                s.order(a, item: "tv", seller: "shop", at: at + 30 * minute, device: "np\(j)-new", address: "\(a)-home",
                        payment: "\(a)-card", amount: 640, ip: "\(net).9")
                life(s, a, &rng, device: "np\(j)-new", net: net, days: (23 + j % 3)..<28)
            }
            // A partner's laptop at home, once, for an ordinary order; the owner goes on from the phone.
            for j in 0..<25 {
                let a = s.account("laptop\(j)"), net = home(k); k += 1
                life(s, a, &rng, device: "lp\(j)-phone", net: net, days: 0..<28)
                let at = Scenario.t0 + Int64(rng.int(8...22)) * day + 21 * hour
                s.event(a, "login", at: at, ["device_id": "lp\(j)-laptop", "country": "TH", "status": "ok", "ip": "\(net).4"])
                s.order(a, item: "socks", seller: "shop", at: at + 20 * minute, device: "lp\(j)-laptop", address: "\(a)-home",
                        payment: "\(a)-card", amount: 12, ip: "\(net).4")
            }
            // Trips: a new phone abroad, an ordinary order there, home again afterwards.
            for j in 0..<20 {
                let a = s.account("trip\(j)"), net = home(k); k += 1
                life(s, a, &rng, device: "tr\(j)-phone", net: net, days: 0..<28)
                let at = Scenario.t0 + Int64(rng.int(8...22)) * day + 9 * hour
                let ip = "172.\(16 + j).\(rng.int(0...255)).\(rng.int(2...250))"
                s.event(a, "login", at: at, ["device_id": "tr\(j)-new", "country": ["JP", "GB"][j % 2], "status": "ok", "ip": ip])
                s.order(a, item: "socks", seller: "shop", at: at + hour, device: "tr\(j)-new", address: "\(a)-home",
                        payment: "\(a)-card", amount: 15, ip: ip)
            }
            // The victims: a new device on a network the owner never used, in the owner's own
            // country, the owner's address and card, two or three TVs within two hours.
            var victims: [String] = []
            for j in 0..<3 {
                let a = s.account("victim\(j)"), net = home(k); k += 1
                victims.append(a)
                life(s, a, &rng, device: "v\(j)-phone", net: net, days: 0..<28)
                let at = Scenario.t0 + Int64(12 + 3 * j) * day + 2 * hour
                let ip = "198.51.\(100 + j).\(rng.int(2...250))"
                s.event(a, "login", at: at, ["device_id": "intruder\(j)", "country": "TH", "status": "ok", "ip": ip])
                for o in 0..<(2 + j % 2) {
                    s.order(a, item: "tv", seller: "shop", at: at + Int64(20 + 40 * o) * minute, device: "intruder\(j)",
                            address: "\(a)-home", payment: "\(a)-card", amount: 640, ip: ip)
                }
            }
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(victims), Set(victims), "\(flagged.sorted())")
            XCTAssertEqual(flagged.subtracting(victims), [], "new phones, borrowed laptops, trips, ordinary owners")
            if let v = f.first(where: { t.accountID($0.account) == victims[0] }) {
                XCTAssertTrue(v.reason.contains("address block the owner never used") && !v.reason.contains("reset"), v.reason)
            }
        }
    }
}
