import Foundation
@testable import RiskDetect

/// The takeover tests' honest population: owners living their month on their own devices from
/// their home networks, and the owners' own changes a takeover detector must leave alone — a new
/// phone kept from some day on, a trip abroad on hotel networks (some buy the dearest item there,
/// sent home), a move to a new flat (some furnish it). The shop sells `socks` (8), and the tests
/// add `tv` (640) and what else they need. One random stream (`rng`) for the whole world, so a test
/// draws its own accounts from it in its own order.
final class OwnersWorld {
    let s: Scenario
    var rng: SeededRandom
    let habits: Habits
    private var homes = 0
    private let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// How an owner's ordinary day looks.
    struct Habits {
        /// The last octet of the home network's addresses an owner's sessions come from.
        var hosts: ClosedRange<Int> = 2...9
        /// Items viewed: one, or two at even odds a view.
        var viewed: [String] = ["socks"]
        /// The chance of an order on a day the owner shows up.
        var orderChance = 0.15
        /// What an order is: one item, or two at even odds.
        var orders: [(item: String, amount: Double)] = [("socks", 8)]
        /// An order of the first of `orders` on the first morning (so every owner has bought before).
        var openingOrder = false
    }

    /// The takeover tests' store: a shop selling a television and socks, and 150 phone owners' routines
    /// (accounts p0…p149), drawn from `seed &+ salt`.
    static func shop(_ seed: UInt64, salt: UInt64) -> (Scenario, OwnersWorld) {
        let s = Scenario(seed: seed)
        s.account("shop", kind: "seller")
        s.item("tv", seller: "shop", price: 640)
        s.item("socks", seller: "shop", price: 8)
        let w = OwnersWorld(s, rng: SeededRandom(seed &+ salt))
        for i in 0..<150 { w.routine(s.account("p\(i)"), device: { _ in "p\(i)-phone" }) }
        return (s, w)
    }

    init(_ s: Scenario, rng: SeededRandom, habits: Habits = Habits()) {
        self.s = s
        self.rng = rng
        self.habits = habits
    }

    /// An owner's days (`device(d)` on day d) from the home network, returned as its /24; now and
    /// then an order to `address(d)` with the owner's card.
    @discardableResult
    func routine(_ a: String, device: (Int) -> String, days: [Int] = Array(0..<28), address: (Int) -> String = { _ in "home" }) -> String {
        let home = "10.\(homes / 200).\(homes % 200)"
        homes += 1
        let h = habits
        func pick<T>(_ xs: [T]) -> T { xs.count == 1 ? xs[0] : (rng.chance(0.5) ? xs[0] : xs[1]) }
        if h.openingOrder {
            let o = h.orders[0]
            s.order(a, item: o.item, seller: "shop", at: Scenario.t0 + 8 * hour, device: device(0), address: "\(a)-\(address(0))",
                    payment: "\(a)-card", amount: o.amount, ip: "\(home).2")
        }
        for d in days where rng.chance(0.6) {
            let t = Scenario.t0 + Int64(d) * day + Int64(rng.int(7...21)) * hour + Int64(rng.int(0...3_599)) * 1000
            s.event(a, "login", at: t, ["device_id": device(d), "country": "TH", "status": "ok", "ip": "\(home).\(rng.int(h.hosts))"])
            for v in 0..<rng.int(1...4) {
                let item = pick(h.viewed)
                s.event(a, "view", at: t + Int64(v + 1) * minute, ["device_id": device(d), "country": "TH", "item_id": item,
                                                                    "seller_id": "shop", "ip": "\(home).\(rng.int(h.hosts))"])
            }
            if rng.chance(h.orderChance) {
                let o = pick(h.orders)
                s.order(a, item: o.item, seller: "shop", at: t + 10 * minute, device: device(d), address: "\(a)-\(address(d))",
                        payment: "\(a)-card", amount: o.amount, ip: "\(home).2")
            }
        }
        return home
    }

    /// `count` owners on a new phone from a day between 6 and 20 on, kept, at home.
    func newPhones(_ count: Int) -> [String] {
        (0..<count).map { i in
            let a = s.account("np\(i)")
            let d = rng.int(6...20)
            routine(a, device: { $0 < d ? "np\(i)-old" : "np\(i)-new" })
            return a
        }
    }

    /// `count` owners abroad (JP) on their own phone for 2–6 days, on hotel networks; the first
    /// `buyingAbroad` of them buy the `tv` there on their second day, sent home with their card.
    func travellers(_ count: Int, buyingAbroad: Int) -> [String] {
        (0..<count).map { i in
            let a = s.account("trav\(i)")
            let leave = rng.int(10...16), back = leave + rng.int(2...6)
            routine(a, device: { _ in "trav\(i)-phone" }, days: Array(0..<leave) + Array(back..<28))
            for d in leave..<back {
                let at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...20)) * hour
                let ip = "172.\(16 + i % 8).\(d * 10 + i / 8).\(rng.int(2...200))"
                s.event(a, "login", at: at, ["device_id": "trav\(i)-phone", "country": "JP", "status": "ok", "ip": ip])
                s.event(a, "view", at: at + minute, ["device_id": "trav\(i)-phone", "country": "JP", "item_id": "tv", "seller_id": "shop", "ip": ip])
                if i < buyingAbroad && d == leave + 1 {
                    s.order(a, item: "tv", seller: "shop", at: at + 5 * minute, device: "trav\(i)-phone", address: "\(a)-home",
                            payment: "\(a)-card", amount: 640, ip: ip)
                }
            }
            return a
        }
    }

    /// `count` owners moving to a new flat on a day between 8 and 18, from their own phone at
    /// home, kept; the first `furnishing` of them buy the `tv` to it, the others socks.
    func movers(_ count: Int, furnishing: Int) -> [String] {
        (0..<count).map { i in
            let a = s.account("mover\(i)")
            let d = rng.int(8...18)
            let home = routine(a, device: { _ in "mv\(i)-phone" }, address: { $0 < d ? "home" : "flat" })
            let at = Scenario.t0 + Int64(d) * day + 2 * hour
            s.event(a, "address_change", at: at, ["device_id": "mv\(i)-phone", "address_id": "\(a)-flat", "ip": "\(home).3", "country": "TH"])
            s.order(a, item: i < furnishing ? "tv" : "socks", seller: "shop", at: at + 30 * minute, device: "mv\(i)-phone", address: "\(a)-flat",
                    payment: "\(a)-card", amount: i < furnishing ? 640 : 8, ip: "\(home).3")
            return a
        }
    }
}
