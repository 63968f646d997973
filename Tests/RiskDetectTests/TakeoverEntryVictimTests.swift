import Foundation
import XCTest
@testable import RiskDetect

/// Session 52 (`entry-victims`, on by default): an intruder's phone that took over several accounts (each reported:
/// `entry-devices`) also used accounts whose whole life in the data is the intrusion — aged accounts with nothing
/// before it, so no owner's device for the phone to be new against. Those are reported as its victims. Not reported:
/// the intruder's own new account on the phone, an owner who once logged in on it and did nothing, the quiet
/// account a device used that took over one account at most, one the phone used long after its work, and the quiet
/// user of a laptop someone lives on.
final class TakeoverEntryVictimTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func testTheOtherAccountsAReportedEntryDeviceUsedAreItsVictims() throws {
        try forEachSeed { seed in
            let (s, ow) = PlainOwners.store(seed, salt: 52_052, owners: 600)
            let start = Scenario.t0 + 12 * day
            let takers = ow.intruderVictims(3, device: "intruder", start: start).map(\.account)
            // Aged accounts (400 days) with no event in the data but the intruder's: a login and two orders each.
            var quiet: [String] = []
            for i in 0..<3 {
                let a = s.account("quiet\(i)"); quiet.append(a)
                ow.takeover(a, device: "intruder", at: start + Int64(8 + 16 * i) * hour + Int64(ow.rng.int(0...60)) * minute, ip: ow.anywhere())
            }
            // The intruder's own account, opened on the phone the day before: not a victim.
            let mule = s.account("mule", created: start - day)
            ow.takeover(mule, device: "intruder", at: start + 3 * hour, ip: ow.anywhere())
            // An owner who once logged in on the phone (a shop's demo phone, a stranger's handed over) and did nothing.
            let peek = s.account("peek")
            ow.routine(peek, device: { _ in "peek-phone" })
            s.event(peek, "login", at: start + 20 * hour, ["device_id": "intruder", "country": "TH", "ip": ow.anywhere(), "status": "ok"])
            // Another phone that got into one account with a life of its own, and into one quiet account.
            let solo = s.account("solo")
            ow.routine(solo, device: { _ in "solo-phone" })
            ow.takeover(solo, device: "lone", at: start + 5 * day, ip: ow.anywhere())
            let soloQuiet = s.account("solo-quiet")
            ow.takeover(soloQuiet, device: "lone", at: start + 5 * day + 6 * hour, ip: ow.anywhere())
            // A quiet account the intruder's phone ordered from twelve days after its work (a phone sold on, a
            // fingerprint two devices share): outside the takers' span widened by as long again.
            let late = s.account("late")
            ow.takeover(late, device: "intruder", at: start + 12 * day, ip: ow.anywhere())
            let (_, t) = try s.build()

            let f = try TakeoverDetector().run(t, cancel: CancelToken())
            let flagged = f.accounts(t)
            XCTAssertEqual(flagged.intersection(takers), Set(takers), "seed \(seed): the takeovers with an owner's life are found")
            XCTAssertEqual(flagged.intersection(quiet), Set(quiet), "seed \(seed): victims missed: \(Set(quiet).subtracting(flagged).sorted())")
            XCTAssertTrue(flagged.contains(solo), "seed \(seed): the lone phone's one takeover is reported (so one taker is what spares its quiet account)")
            for a in [mule, peek, soloQuiet, late] {
                XCTAssertFalse(flagged.contains(a), "seed \(seed): \(a): " + f.filter { t.accountID($0.account) == a }.map(\.reason).joined(separator: "; "))
            }
            let takerStrengths = f.filter { takers.contains(t.accountID($0.account)) }.map(\.strength).sorted()
            for fd in f where quiet.contains(t.accountID(fd.account)) {
                XCTAssertTrue(fd.reason.contains("used briefly from a device that took over 3 other account(s)"), "seed \(seed): \(fd.reason)")
                XCTAssertEqual(fd.strength, takerStrengths[1] * 3 / 4, accuracy: 1e-9, "seed \(seed): the takers' median × k/(k+1)")
                XCTAssertTrue(fd.identifiers.contains { $0.kind == "device" && $0.value == "intruder" }, "seed \(seed)")
            }
            // Off: the quiet accounts have no change of hands of their own; nothing else differs.
            var off = TakeoverDetector()
            off.entryVictims = false
            let g = try off.run(t, cancel: CancelToken())
            XCTAssertTrue(g.accounts(t).isDisjoint(with: quiet), "seed \(seed): found without the sign")
            XCTAssertEqual(flagged.subtracting(quiet), g.accounts(t), "seed \(seed)")
        }
    }

    /// A laptop one member of a household lives on; two others are taken over on it loudly (failed logins, a reset, a
    /// foreign exit, a new address, a television each) and reported on their own; a quiet aged account of the house
    /// orders on it once in those days. Someone lives on the laptop, so it is no intruder's device and reports no
    /// victim; without that guard the quiet account would be one.
    func testADeviceSomeoneLivesOnReportsNoVictims() throws {
        try forEachSeed { seed in
            let (s, ow) = PlainOwners.store(seed, salt: 52_152, owners: 600)
            s.item("tv", seller: "shop", price: 900)
            let home = s.account("home0")
            ow.routine(home, device: { _ in "laptop" })
            let start = Scenario.t0 + 14 * day
            var loud: [String] = []
            for i in 1...2 {
                let a = s.account("home\(i)"); loud.append(a)
                ow.routine(a, device: { _ in "home\(i)-phone" })
                let at = start + Int64(i) * 10 * hour, ip = ow.anywhere()
                for k in 0..<3 { s.event(a, "login", at: at + Int64(k) * minute, ["device_id": "laptop", "country": "RU", "ip": ip, "status": "fail"]) }
                s.event(a, "password_reset", at: at + 5 * minute, ["device_id": "laptop", "country": "RU", "ip": ip])
                s.event(a, "login", at: at + 8 * minute, ["device_id": "laptop", "country": "RU", "ip": ip, "status": "ok"])
                s.event(a, "address_change", at: at + 10 * minute, ["device_id": "laptop", "country": "RU", "ip": ip, "address_id": "drop\(i)"])
                s.order(a, item: "tv", seller: "shop", at: at + 15 * minute, device: "laptop", address: "drop\(i)",
                        payment: "\(a)-card", amount: 900, ip: ip)
            }
            let quiet = s.account("home-quiet")
            ow.takeover(quiet, device: "laptop", at: start + 15 * hour, ip: ow.anywhere(), orders: 1)
            let (_, t) = try s.build()
            let f = try TakeoverDetector().run(t, cancel: CancelToken())
            XCTAssertEqual(f.accounts(t).intersection(loud), Set(loud), "seed \(seed): the two loud takeovers are reported on their own")
            XCTAssertFalse(f.accounts(t).contains(quiet), "seed \(seed): " + f.filter { t.accountID($0.account) == quiet }.map(\.reason).joined(separator: "; "))
            var unguarded = TakeoverDetector()
            unguarded.entryDevicesUnlived = false
            let g = try unguarded.run(t, cancel: CancelToken())
            XCTAssertTrue(g.accounts(t).contains(quiet), "seed \(seed): without the guard the laptop's quiet user is a victim")
        }
    }
}
