import Foundation
import XCTest
@testable import RiskDetect

/// Session 46 (`entry-devices`, on by default): one intruder's phone works through a list of victims.
/// On each account it is a device never seen before, used there only in the takeover's hours, on a
/// network the owner never used, and it buys two ordinary things with the owner's card to the owner's
/// address — alone, an owner's new phone on the road. That the same device did the same to other
/// accounts is what shows. The look-alikes stay low: a family tablet three members use over weeks (the
/// device is theirs, not gone); a household laptop, one member's everyday device, that two others each
/// use once away from home to order (someone lives on it); a partner's phone borrowed once (one account); a stuffing bot's device
/// that only failed on many accounts (it got into none), whose bystanders log in on their own phones.
final class TakeoverEntryDeviceTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testOneIntrudersDeviceOnSeveralAccountsIsFoundFamiliesPartnersAndBotsAreNot() throws {
        try forEachSeed { seed in
            let (s, ow) = PlainOwners.store(seed, salt: 46_146, owners: 600)
            // The intruder: one phone, three victims over two days, each a login from an address anywhere
            // and two ordinary orders (the owner's card, the owner's address).
            let victims = ow.intruderVictims(3, device: "intruder", start: Scenario.t0 + 12 * day).map(\.account)
            // A family: three members, each on the tablet (away from home, on holiday) as well as their phones, over weeks.
            var family: [String] = []
            for i in 0..<3 {
                let a = s.account("fam\(i)"); family.append(a)
                ow.routine(a, device: { $0 >= 8 && $0 % 3 == i ? "fam-tablet" : "fam\(i)-phone" })
            }
            // A household's laptop: a third member's everyday device, that the other two each use once, away
            // from home, to order (in a stranger's-looking session on their own accounts).
            var household: [String] = []
            for i in 0..<3 {
                let a = s.account("hh\(i)"); household.append(a)
                ow.routine(a, device: { _ in i == 0 ? "hh-laptop" : "hh\(i)-phone" })
                if i > 0 {
                    let at = Scenario.t0 + Int64(10 + 4 * i) * day + 20 * hour, ip = ow.anywhere()
                    s.event(a, "login", at: at, ["device_id": "hh-laptop", "country": "TH", "ip": ip, "status": "ok"])
                    for o in 0..<2 {
                        s.order(a, item: "socks", seller: "shop", at: at + Int64(5 + 9 * o) * minute, device: "hh-laptop", address: "\(a)-home",
                                payment: "\(a)-card", amount: Double(ow.rng.int(8...16)), ip: ip)
                    }
                }
            }
            // A partner's phone borrowed once, away from home, to order.
            let partner = s.account("partner")
            ow.routine(partner, device: { _ in "partner-own" })
            let pat = Scenario.t0 + 15 * day + 19 * hour, pip = ow.anywhere()
            s.event(partner, "login", at: pat, ["device_id": "borrowed", "country": "TH", "ip": pip, "status": "ok"])
            s.order(partner, item: "socks", seller: "shop", at: pat + 9 * minute, device: "borrowed", address: "\(partner)-home",
                    payment: "\(partner)-card", amount: 12, ip: pip)
            // A bot's device that fails on thirty accounts within two hours and gets into none; a third of their
            // owners log in within the hour on their own phone from mobile data and order.
            var bystanders: [String] = []
            let wave = Scenario.t0 + 20 * day + 3 * hour
            for i in 0..<30 {
                let a = s.account("by\(i)"); bystanders.append(a)
                ow.routine(a, device: { _ in "by\(i)-phone" })
                s.event(a, "login", at: wave + Int64(ow.rng.int(0...7_199)) * 1000, ["device_id": "bot", "country": "NL", "ip": ow.anywhere(), "status": "fail"])
                if i % 3 == 0 {
                    let at = wave + 2 * hour + Int64(ow.rng.int(0...3_599)) * 1000, ip = "100.64.\(i).\(ow.rng.int(2...250))"
                    s.event(a, "login", at: at, ["device_id": "by\(i)-phone", "country": "TH", "ip": ip, "status": "ok"])
                    s.order(a, item: "socks", seller: "shop", at: at + 9 * minute, device: "by\(i)-phone", address: "\(a)-home",
                            payment: "\(a)-card", amount: 12, ip: ip)
                }
            }
            let (_, t) = try s.build()
            let f = try TakeoverDetector().run(t, cancel: CancelToken())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(victims), Set(victims), "seed \(seed): victims missed: \(Set(victims).subtracting(flagged).sorted())")
            for fd in f {
                let a = t.accountID(fd.account)
                XCTAssertEqual(fd.reason.contains("took over 2 other account(s) the same way"), victims.contains(a), "seed \(seed): \(a): \(fd.reason)")
            }
            for (name, group) in [("family", family), ("household", household), ("partner", [partner]), ("bystander", bystanders)] {
                XCTAssertTrue(flagged.intersection(group).isEmpty, "seed \(seed): \(name) flagged: "
                              + f.filter { group.contains(t.accountID($0.account)) }.map { "\(t.accountID($0.account)): \($0.reason)" }.joined(separator: "; "))
            }
            // Without the step the victims are owners' new phones on the road: not all found; no one else changes.
            var off = TakeoverDetector()
            off.entryDevices = false
            let g = try off.run(t, cancel: CancelToken())
            XCTAssertNotEqual(g.accounts(t).intersection(victims), Set(victims), "seed \(seed): found without the step")
            XCTAssertEqual(flagged.subtracting(victims), g.accounts(t).subtracting(victims), "seed \(seed)")
            // Without "no account lives on it" the household laptop is an intruder's: its visitors are reported.
            var lived = TakeoverDetector()
            lived.entryDevicesUnlived = false
            let h = try lived.run(t, cancel: CancelToken())
            let visitors = h.accounts(t).intersection(household)
            XCTAssertFalse(visitors.isEmpty, "seed \(seed): the guard spares nothing")
            XCTAssertTrue(visitors.isSubset(of: ["hh1", "hh2"]), "seed \(seed): \(visitors.sorted())")
        }
    }
}
