import Foundation
@testable import RiskDetect

/// The stuffing-wave, spread-wave and entry-device tests' owners (session 46): each on `device(d)` from a home
/// network of its own (or `net(d)`); on a day it shows up (six in ten) a login half the time, a view of `socks`, and a quarter of
/// the time an order of them (8–16) to its own address with its own card. `anywhere()` is an address no
/// one else here uses (a residential proxy's exit, a hotel's, a phone's abroad). One random stream
/// (`rng`) for the whole store, so a test draws its own accounts from it in its own order.
final class PlainOwners {
    let s: Scenario
    var rng: SeededRandom
    private var homes = 0
    private let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// The takeover tests' store: a shop selling socks (12) and `owners` owners (p0…), half of whom change phones at
    /// home on a day drawn from `phoneChange` (the store's ordinary change of device); drawn from `seed &+ salt`.
    static func store(_ seed: UInt64, salt: UInt64, owners: Int, phoneChange: ClosedRange<Int> = 2...26) -> (Scenario, PlainOwners) {
        let s = Scenario(seed: seed)
        s.account("shop", kind: "seller")
        s.item("socks", seller: "shop", price: 12)
        let ow = PlainOwners(s, rng: SeededRandom(seed &+ salt))
        for i in 0..<owners {
            let a = s.account("p\(i)")
            let d0 = ow.rng.int(phoneChange)
            ow.routine(a, device: { i % 2 == 0 && $0 >= d0 ? "p\(i)-new" : "p\(i)-phone" })
        }
        return (s, ow)
    }

    init(_ s: Scenario, rng: SeededRandom) {
        self.s = s
        self.rng = rng
    }

    /// The owner's days, from its home network or `net(d)`; returns its home network's first three octets.
    @discardableResult
    func routine(_ a: String, device: (Int) -> String, net: ((Int) -> String)? = nil, days: [Int] = Array(0..<28)) -> String {
        let home = "10.\(homes / 200).\(homes % 200)"
        homes += 1
        for d in days where rng.chance(0.6) {
            let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
            let ip = net?(d) ?? "\(home).\(rng.int(2...9))"
            let f: [String: Any] = ["device_id": device(d), "country": "TH", "ip": ip]
            if rng.chance(0.5) { s.event(a, "login", at: at, f.merging(["status": "ok"]) { $1 }) }
            s.event(a, "view", at: at + minute, f.merging(["item_id": "socks", "seller_id": "shop"]) { $1 })
            if rng.chance(0.25) {
                s.order(a, item: "socks", seller: "shop", at: at + 10 * minute, device: device(d), address: "\(a)-home",
                        payment: "\(a)-card", amount: Double(rng.int(8...16)), ip: ip)
            }
        }
        return home
    }

    /// A stranger's `device` gets into `a` at `at` from `ip` and orders socks `orders` times, minutes apart, with the
    /// owner's card to the owner's address.
    func takeover(_ a: String, device: String, at: Int64, ip: String, orders: Int = 2) {
        s.event(a, "login", at: at, ["device_id": device, "country": "TH", "ip": ip, "status": "ok"])
        for o in 0..<orders {
            s.order(a, item: "socks", seller: "shop", at: at + Int64(5 + 9 * o) * minute, device: device, address: "\(a)-home",
                    payment: "\(a)-card", amount: Double(rng.int(8...16)), ip: ip)
        }
    }

    /// One intruder's `device` takes over `count` owners (accounts ato0…, each with a routine of its own), one every
    /// 16 hours from `start` (plus up to two hours), each from an address anywhere with two ordinary orders.
    func intruderVictims(_ count: Int, device: String, start: Int64) -> [(account: String, at: Int64)] {
        (0..<count).map { i in
            let a = s.account("ato\(i)")
            routine(a, device: { _ in "v\(i)-phone" })
            let at = start + Int64(i) * 16 * hour + Int64(rng.int(0...120)) * minute
            takeover(a, device: device, at: at, ip: anywhere())
            return (a, at)
        }
    }

    /// An address anywhere: a block no one else here uses.
    func anywhere() -> String { "\(rng.int(100...199)).\(rng.int(0...255)).\(rng.int(0...255)).\(rng.int(2...250))" }
}
