import Foundation
@testable import RiskDetect

/// The drop store the scalper tests share (D1: `ScalperCohortTests` and `ScalperSpreadTests`
/// built it twice): a brand with three limited drops a week apart, each with an honest crowd of
/// 120 fans — quick (an exponential reaction of ~20 s), one piece, their own card, device and
/// address, a view of the item minutes before, 0–3 ordinary orders besides — and a small shop
/// with an everyday item. `households`: a fifth of each crowd in households of two sharing an
/// address and a tablet. `brandShopping`: every other ordinary order is the brand's own
/// ordinary item (else all go to the shop). Returns the drops (item, release time).
extension Scenario {
    @discardableResult
    func dropStore(households: Bool = false, brandShopping: Bool = false) -> [(String, Int64)] {
        let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute
        account("brand", kind: "seller")
        account("shop", kind: "seller")
        item("everyday", seller: "shop", price: 25)
        if brandShopping { item("other", seller: "brand", price: 40) }
        let drops = (0..<3).map { k -> (String, Int64) in
            let at = Scenario.t0 + Int64(4 + 7 * k) * day + 19 * hour
            return (item("drop\(k)", seller: "brand", price: 180, limited: true, dropAt: at), at)
        }
        for (k, (item, at)) in drops.enumerated() {
            for f in 0..<120 {
                let a = account("fan\(k)-\(f)")
                let shared = households && f % 10 < 2
                let home = shared ? "fhome\(k)-\(f / 2)" : "fa\(k)-\(f)"
                let dev = shared ? "ftab\(k)-\(f / 2)" : "fd\(k)-\(f)"
                event(a, "view", at: at - int(in: 2 * minute...30 * minute), ["item_id": item, "seller_id": "brand", "device_id": dev])
                let react = Int64(-log(1 - double(in: 0...0.999)) * 20_000) + 800
                order(a, item: item, seller: "brand", at: at + react, device: dev, address: home, payment: "fc\(k)-\(f)",
                      amount: 180, ip: "10.\(k).\(f).1")
                for o in 0..<Int(int(in: 0...3)) {
                    let brand = brandShopping && o % 2 == 1
                    order(a, item: brand ? "other" : "everyday", seller: brand ? "brand" : "shop",
                          at: Scenario.t0 + int(in: 0...27) * day + int(in: 8...21) * hour, device: dev, address: home,
                          payment: "fc\(k)-\(f)", amount: 25, ip: "10.\(k).\(f).1")
                }
            }
        }
        return drops
    }
}
