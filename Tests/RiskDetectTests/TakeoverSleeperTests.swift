import Foundation
import XCTest
@testable import RiskDetect

/// Sleepers (ato40, `TakeoverDetector.sleepers`): an intruder logs in from a stranger's device on a
/// network and country the owner never used, does nothing with the money, and comes back from the
/// same device 3½–5 days later — past the 3-day footprint — from another network the owner never
/// used, to ship two televisions to a drop. The entry alone is a trip (a change of hands, no change of
/// behaviour); the spree alone is a device the account has known for days. The look-alikes: owners
/// who buy a new phone and days later send a television to a friend from it at home (the device is
/// kept, every day); a tablet at home used twice, the second time for a gift to a new address (a new
/// device and nothing of a stranger's, on the owner's network); travellers on their own phone abroad,
/// some buying the television there; new phones and movers.
final class TakeoverSleeperTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testASleepersSpreeCarriesItsEntryNewPhonesGiftsTabletsAndTravellersDoNot() throws {
        try forEachSeed { seed in
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            s.item("tv", seller: "shop", price: 640)
            s.item("socks", seller: "shop", price: 8)
            let w = OwnersWorld(s, rng: SeededRandom(seed &+ 40_040))
            for i in 0..<150 { w.routine(s.account("p\(i)"), device: { _ in "p\(i)-phone" }) }
            let newPhones = w.newPhones(30)
            let travellers = w.travellers(30, buyingAbroad: 8)
            let movers = w.movers(15, furnishing: 4)
            // A new phone, kept from day d, and 3–6 days later a television to a friend's address from it, at home.
            var gifts: [String] = []
            for i in 0..<10 {
                let a = s.account("gift\(i)"); gifts.append(a)
                let d = w.rng.int(6...14)
                let home = w.routine(a, device: { $0 < d ? "gift\(i)-old" : "gift\(i)-new" })
                let at = Scenario.t0 + Int64(d + w.rng.int(3...6)) * day + 19 * hour
                s.event(a, "address_change", at: at, ["device_id": "gift\(i)-new", "address_id": "\(a)-friend", "ip": "\(home).3", "country": "TH"])
                s.order(a, item: "tv", seller: "shop", at: at + 4 * minute, device: "gift\(i)-new", address: "\(a)-friend",
                        payment: "\(a)-card", amount: 640, ip: "\(home).3")
            }
            // A tablet at home, used twice: a login on day d, and four days later a gift to a new address.
            var tablets: [String] = []
            for i in 0..<10 {
                let a = s.account("tab\(i)"); tablets.append(a)
                let home = w.routine(a, device: { _ in "tab\(i)-phone" })
                let at = Scenario.t0 + Int64(w.rng.int(6...14)) * day + 20 * hour
                s.event(a, "login", at: at, ["device_id": "tab\(i)-tablet", "country": "TH", "status": "ok", "ip": "\(home).4"])
                let later = at + Int64(w.rng.int(84...120)) * hour
                s.event(a, "address_change", at: later, ["device_id": "tab\(i)-tablet", "address_id": "\(a)-niece", "ip": "\(home).4", "country": "TH"])
                s.order(a, item: "tv", seller: "shop", at: later + 6 * minute, device: "tab\(i)-tablet", address: "\(a)-niece",
                        payment: "\(a)-card", amount: 640, ip: "\(home).4")
            }
            // The sleepers.
            var sleepers: [String] = []
            for i in 0..<4 {
                let a = s.account("sleep\(i)"); sleepers.append(a)
                w.routine(a, device: { _ in "sl\(i)-phone" })
                let at = Scenario.t0 + Int64(7 + 2 * i) * day + 3 * hour
                s.event(a, "login", at: at, ["device_id": "sl-intruder\(i)", "country": "BD", "status": "ok", "ip": "198.18.\(i).9"])
                let spree = at + Int64(w.rng.int(84...120)) * hour, ip = "198.19.\(10 + i).\(w.rng.int(2...200))"
                s.event(a, "address_change", at: spree, ["device_id": "sl-intruder\(i)", "address_id": "sdrop-\(i)", "ip": ip, "country": "BD"])
                for j in 0..<2 {
                    s.order(a, item: "tv", seller: "shop", at: spree + Int64(5 + 4 * j) * minute, device: "sl-intruder\(i)", address: "sdrop-\(i)",
                            payment: "\(a)-card", amount: 640, ip: ip)
                }
            }
            let (_, t) = try s.build()
            var on = TakeoverDetector(), offDetector = TakeoverDetector()
            on.sleepers = true
            offDetector.sleepers = false
            let f = try on.run(t, cancel: CancelToken()), off = try offDetector.run(t, cancel: CancelToken())
            let flagged = f.accounts(t), flaggedOff = off.accounts(t)
            XCTAssertEqual(flagged.intersection(sleepers), Set(sleepers), "seed \(seed): sleepers missed: \(Set(sleepers).subtracting(flagged).sorted())")
            // The look-alikes of a link: never flagged.
            for (name, group) in [("new phone and a gift", gifts), ("tablet used twice", tablets)] {
                XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: \(flagged.intersection(group).sorted())")
            }
            // The owners' other changes: the link adds none to what the detector flags without it (a
            // traveller buying the television abroad can clear the bar on its own in a store this small).
            let added = flagged.subtracting(sleepers).subtracting(flaggedOff)
            XCTAssertTrue(added.isEmpty, "seed \(seed): flagged by the link: \(added.sorted())")
            XCTAssertTrue(flagged.intersection(newPhones + movers).isEmpty, "seed \(seed)")
            // Found by the link: the spree carries the entry, past the 3-day footprint. (An owner's own
            // order in the entry's 24 hours can make the entry a finding of its own: at least 3 of 4.)
            let linked = f.filter { sleepers.contains(t.accountID($0.account)) && $0.reason.contains("days after the entry, from the device that entered") }
            XCTAssertGreaterThanOrEqual(linked.count, 3, "seed \(seed): \(f.map(\.reason))")
            for fd in linked { XCTAssertTrue(fd.reason.contains("shipping address"), fd.reason) }
            // Off, no spree carries an entry.
            XCTAssertFalse(off.contains { $0.reason.contains("days after the entry") }, "seed \(seed)")
        }
    }
}
