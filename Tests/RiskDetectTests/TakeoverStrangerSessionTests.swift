import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// With the takeover detector switched off (`detect --disable ato`), the always-on anomaly
/// layer still puts takeovers in the store's top 5 %: a stranger in the account does several
/// things the owner never did, at once, from a device or network the account used only
/// briefly (`stranger_session_firsts`, StrangerSessions.swift) — with a password reset or
/// without one (a stolen password used directly). The owners' own changes — a new phone kept
/// for weeks, a trip abroad on hotel networks with an expensive order sent home, a move to a
/// new flat, a forgotten password reset from the owner's phone — rank below every takeover.
final class TakeoverStrangerSessionTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testTakeoversWithAndWithoutResetReachTheTopFivePercentWithTheDetectorOffOwnersChangesDoNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("gift", seller: "shop", price: 200)
            s.item("socks", seller: "shop", price: 8)
            s.item("mug", seller: "shop", price: 14)
            // Owners' months on their own device(s) from the home network, each with an order on the
            // first morning and now and then an ordinary one (socks or a mug).
            let o = OwnersWorld(s, rng: SeededRandom(seed &+ 9_220),
                                habits: .init(hosts: 2...5, viewed: ["socks", "mug"], orderChance: 0.2,
                                              orders: [("socks", 8), ("mug", 14)], openingOrder: true))
            for i in 0..<200 { o.routine(s.account("p\(i)"), device: { _ in "p\(i)-phone" }) }
            // The owners' own changes: new phones kept, travellers on hotel networks (10 buy the
            // most expensive thing of their month abroad, sent home), movers (6 furnish the flat).
            let newPhones = o.newPhones(40)
            let travellers = o.travellers(30, buyingAbroad: 10)
            let movers = o.movers(20, furnishing: 6)
            // Forgotten passwords: a failed login and a reset from the owner's phone on a mobile
            // network it never used again, then an ordinary order.
            var forgetful: [String] = []
            for i in 0..<20 {
                let a = s.account("forgot\(i)"); forgetful.append(a)
                o.routine(a, device: { _ in "fg\(i)-phone" })
                let at = Scenario.t0 + Int64(o.rng.int(8...20)) * day + 9 * hour, ip = "100.80.\(i).\(o.rng.int(2...250))"
                s.event(a, "login", at: at, ["device_id": "fg\(i)-phone", "country": "TH", "status": "fail", "ip": ip])
                s.event(a, "password_reset", at: at + minute, ["device_id": "fg\(i)-phone", "country": "TH", "ip": ip])
                s.event(a, "login", at: at + 3 * minute, ["device_id": "fg\(i)-phone", "country": "TH", "status": "ok", "ip": ip])
                s.order(a, item: "mug", seller: "shop", at: at + 8 * minute, device: "fg\(i)-phone", address: "\(a)-home",
                        payment: "\(a)-card", amount: 14, ip: ip)
            }
            // Takeovers, each from its own device and network (no crew shares anything here):
            // a stolen password used directly (a login, no reset), or a reset first; then a
            // drop address, a card the owner never used and orders far above the owner's.
            var stolen: [String] = [], reset: [String] = []
            for i in 0..<6 {
                let withReset = i % 2 == 1
                let a = s.account("ato\(i)")
                if withReset { reset.append(a) } else { stolen.append(a) }
                o.routine(a, device: { _ in "ato\(i)-phone" })
                let at = Scenario.t0 + Int64(o.rng.int(10...22)) * day + Int64(o.rng.int(1...23)) * hour
                let dev = "intruder\(i)", ip = "203.0.\(113 + i).\(o.rng.int(2...250))", country = i < 3 ? "TH" : "NG"
                var t = at
                if withReset {
                    s.event(a, "password_reset", at: t, ["device_id": dev, "country": country, "ip": ip]); t += 4 * minute
                }
                s.event(a, "login", at: t, ["device_id": dev, "country": country, "status": "ok", "ip": ip]); t += 3 * minute
                s.event(a, "address_change", at: t, ["device_id": dev, "address_id": "drop\(i)", "ip": ip, "country": country]); t += 2 * minute
                for j in 0..<o.rng.int(1...3) {
                    let gift = j % 2 == 0
                    s.order(a, item: gift ? "gift" : "tv", seller: "shop", at: t, device: dev, address: "drop\(i)",
                            payment: "card-x\(i)", amount: gift ? 200 : 640, ip: ip)
                    t += Int64(o.rng.int(2...9)) * minute
                }
            }
            let (store, t) = try s.build()
            let (score, why) = try detectScores(store, disabling: ["ato"])
            let ranked = score.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let top = Set(ranked.prefix(Int((0.05 * Double(ranked.count)).rounded(.up))))
            for a in stolen + reset {
                XCTAssertTrue(top.contains(a), "\(a) at \(ranked.firstIndex(of: a)!) of \(ranked.count): \(why[a] ?? "")")
                XCTAssertTrue((why[a] ?? "").contains("kinds of first"), "\(a): \(why[a] ?? "")")
            }
            let lowest = (stolen + reset).map { score[$0]! }.min()!
            for (name, group) in [("new phone", newPhones), ("traveller", travellers), ("mover", movers), ("forgotten password", forgetful)] {
                let above = group.filter { score[$0]! >= lowest }
                XCTAssertTrue(above.isEmpty, "seed \(seed): \(name) at a takeover's score: \(above.map { "\($0) \(why[$0] ?? "")" })")
            }
            // The column itself: every takeover shows more kinds of first than any owner's change.
            let x = StrangerSessions.compute(t), w = StrangerSessions.names.count
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let owners = (newPhones + travellers + movers + forgetful).map { x[index($0) * w] }.max()!
            for a in stolen + reset { XCTAssertGreaterThan(x[index(a) * w], owners, a) }
        }
    }

    /// One crew works several accounts from the same machine: beyond its share of that
    /// machine's accounts (none of them else), `stranger_equipment_accounts` counts the others.
    /// A carrier's address that a hundred owners use, where two of them happened to change
    /// something, counts nothing.
    func testOneMachineAcrossVictimsCountsASharedCarrierAddressDoesNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 9_221)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            func owner(_ a: String, ip: (Int) -> String) {
                s.order(a, item: "socks", seller: "shop", at: Scenario.t0 + 9 * hour, device: "\(a)-phone", address: "\(a)-home",
                        payment: "\(a)-card", amount: 8, ip: ip(0))
                for d in 0..<28 where rng.chance(0.5) {
                    let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
                    s.event(a, "login", at: at, ["device_id": "\(a)-phone", "status": "ok", "ip": ip(d), "country": "TH"])
                    if rng.chance(0.3) {
                        s.order(a, item: "socks", seller: "shop", at: at + minute, device: "\(a)-phone", address: "\(a)-home",
                                payment: "\(a)-card", amount: 8, ip: ip(d))
                    }
                }
            }
            // 100 owners on a carrier: each uses the shared NAT address on one day only.
            var carrier: [String] = []
            for i in 0..<100 {
                let a = s.account("c\(i)"); carrier.append(a)
                let natDay = i < 2 ? 20 : rng.int(5...25)
                owner(a, ip: { $0 == natDay ? "100.64.0.1" : "10.1.\(i).\(rng.int(2...9))" })
                if i < 2 {   // two of them move that day, on the carrier, and buy something dear
                    let at = Scenario.t0 + Int64(natDay) * day + 22 * hour
                    s.event(a, "address_change", at: at, ["device_id": "\(a)-phone", "address_id": "\(a)-flat", "ip": "100.64.0.1", "country": "TH"])
                    s.order(a, item: "tv", seller: "shop", at: at + minute, device: "\(a)-phone", address: "\(a)-flat",
                            payment: "\(a)-card", amount: 640, ip: "100.64.0.1")
                }
            }
            // Four victims worked from one machine.
            var victims: [String] = []
            for i in 0..<4 {
                let a = s.account("v\(i)"); victims.append(a)
                owner(a, ip: { _ in "10.2.\(i).\(rng.int(2...9))" })
                let at = Scenario.t0 + Int64(15 + i) * day + 3 * hour, ip = "198.51.100.\(10 + i)"
                s.event(a, "login", at: at, ["device_id": "crew-box", "status": "ok", "ip": ip, "country": "TH"])
                s.event(a, "address_change", at: at + minute, ["device_id": "crew-box", "address_id": "drop", "ip": ip, "country": "TH"])
                s.order(a, item: "tv", seller: "shop", at: at + 3 * minute, device: "crew-box", address: "drop",
                        payment: "crew-card", amount: 640, ip: ip)
            }
            let (_, t) = try s.build()
            let x = StrangerSessions.compute(t), w = StrangerSessions.names.count
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            for a in victims { XCTAssertEqual(expm1(Double(x[index(a) * w + 1])), 3, accuracy: 1e-4, a) }
            for a in carrier { XCTAssertEqual(x[index(a) * w + 1], 0, a) }
            XCTAssertGreaterThanOrEqual(x[index("c0") * w], Float(log1p(2.0)))   // they did change things there
        }
    }
}
