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
    /// The honest store the guard tests share: a shop selling a television and socks, 150 phone owners'
    /// routines, 20 new phones, 20 travellers (5 buying abroad) and 10 movers (3 furnishing).
    static func ownersStore(_ seed: UInt64, salt: UInt64) -> (Scenario, OwnersWorld) {
        let (s, w) = OwnersWorld.shop(seed, salt: salt)
        _ = w.newPhones(20)
        _ = w.travellers(20, buyingAbroad: 5)
        _ = w.movers(10, furnishing: 3)
        return (s, w)
    }

    /// The accounts the sleeper link flags in `t` with the given guards: a finding carrying an entry,
    /// or an account flagged only with the link on. The owner's-network guard (ato42: an entering device
    /// seen on the owner's home network is no entry) is off here, so each link guard is measured alone
    /// (it spares the tablet at home too).
    static func sleeperLinks(_ t: EventTable) throws -> (Set<TakeoverDetector.SleeperGuard>) throws -> Set<String> {
        var off = TakeoverDetector()
        off.sleepers = false
        off.ownerNetworks = false
        let flaggedOff = try off.run(t, cancel: CancelToken()).accounts(t)
        return { guards in
            var on = TakeoverDetector()
            on.sleepers = true
            on.ownerNetworks = false
            on.sleeperGuards = guards
            let f = try on.run(t, cancel: CancelToken())
            return Set(f.filter { $0.reason.contains("days after the entry") }.map { t.accountID($0.account) })
                .union(f.accounts(t).subtracting(flaggedOff))
        }
    }

    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    /// A credential-stuffing wave: one address block, a new bot device each try, 1–3 failed logins on
    /// each of `accounts` (and on 30 bystanders of its own, who do nothing else) within two hours of `start`.
    func wave(_ s: Scenario, _ w: OwnersWorld, on accounts: [String], start: Int64) {
        var hit = accounts
        for i in 0..<30 { let a = s.account("wby\(i)"); w.routine(a, device: { _ in "wby\(i)-phone" }); hit.append(a) }
        for (n, a) in hit.enumerated() {
            for _ in 0..<w.rng.int(1...3) {
                s.event(a, "login", at: start + Int64(w.rng.int(0...7_199)) * 1000,
                        ["device_id": "bot-\(n)-\(w.rng.int(0...999_999))", "country": "NL", "ip": "203.0.113.\(w.rng.int(2...250))", "status": "fail"])
            }
        }
    }

    func testASleepersSpreeCarriesItsEntryNewPhonesGiftsTabletsAndTravellersDoNot() throws {
        try forEachSeed { seed in
            let (s, w) = OwnersWorld.shop(seed, salt: 40_040)
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
            // The sleepers. Sleeper 0's owner logs in on the own phone half an hour into the spree (the
            // sequence's device is then the owner's phone; the finding must name the intruder's).
            var sleepers: [String] = []
            for i in 0..<4 {
                let a = s.account("sleep\(i)"); sleepers.append(a)
                let home = w.routine(a, device: { _ in "sl\(i)-phone" })
                let at = Scenario.t0 + Int64(7 + 2 * i) * day + 3 * hour
                s.event(a, "login", at: at, ["device_id": "sl-intruder\(i)", "country": "BD", "status": "ok", "ip": "198.18.\(i).9"])
                let spree = at + Int64(w.rng.int(84...120)) * hour, ip = "198.19.\(10 + i).\(w.rng.int(2...200))"
                if i == 0 { s.event(a, "login", at: spree + 30 * minute, ["device_id": "sl0-phone", "country": "TH", "status": "ok", "ip": "\(home).2"]) }
                s.event(a, "address_change", at: spree, ["device_id": "sl-intruder\(i)", "address_id": "sdrop-\(i)", "ip": ip, "country": "BD"])
                for j in 0..<2 {
                    s.order(a, item: "tv", seller: "shop", at: spree + Int64(5 + 4 * j) * minute, device: "sl-intruder\(i)", address: "sdrop-\(i)",
                            payment: "\(a)-card", amount: 640, ip: ip)
                }
            }
            // Wave sleepers (review41a #7): the intruder gets in within hours of a stuffing wave that tried
            // the account, from a stranger's device on a new /24 in the owner's own country (the wave is the
            // only sign of a stranger's entry), and comes back days later for the spree.
            var waveSleepers: [String] = []
            let waveStart = Scenario.t0 + 9 * day + Int64(w.rng.int(0...8)) * hour
            for i in 0..<3 {
                let a = s.account("wsleep\(i)"); waveSleepers.append(a)
                w.routine(a, device: { _ in "wsl\(i)-phone" })
            }
            wave(s, w, on: waveSleepers, start: waveStart)
            for (i, a) in waveSleepers.enumerated() {
                let at = waveStart + Int64(w.rng.int(2 * 60...4 * 60)) * minute
                s.event(a, "login", at: at, ["device_id": "wsl-intruder\(i)", "country": "TH", "status": "ok", "ip": "198.20.\(i).9"])
                let spree = at + Int64(w.rng.int(84...120)) * hour, ip = "198.21.\(10 + i).\(w.rng.int(2...200))"
                s.event(a, "address_change", at: spree, ["device_id": "wsl-intruder\(i)", "address_id": "wdrop-\(i)", "ip": ip, "country": "TH"])
                for j in 0..<2 {
                    s.order(a, item: "tv", seller: "shop", at: spree + Int64(5 + 4 * j) * minute, device: "wsl-intruder\(i)", address: "wdrop-\(i)",
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
            let added = flagged.subtracting(sleepers).subtracting(waveSleepers).subtracting(flaggedOff)
            XCTAssertTrue(added.isEmpty, "seed \(seed): flagged by the link: \(added.sorted())")
            XCTAssertTrue(flagged.intersection(newPhones + movers).isEmpty, "seed \(seed)")
            // Found by the link: the spree carries the entry, past the 3-day footprint. (An owner's own
            // order in the entry's 24 hours can make the entry a finding of its own: at least 3 of 4.)
            let linked = f.filter { sleepers.contains(t.accountID($0.account)) && $0.reason.contains("days after the entry, from the device that entered") }
            XCTAssertGreaterThanOrEqual(linked.count, 3, "seed \(seed): \(f.map(\.reason))")
            for fd in linked { XCTAssertTrue(fd.reason.contains("shipping address"), fd.reason) }
            // A linked finding names the device that entered, never the owner's phone (review41a #3).
            for fd in linked {
                let i = sleepers.firstIndex(of: t.accountID(fd.account))!
                XCTAssertEqual(fd.identifiers.filter { $0.kind == "device" }.map(\.value), ["sl-intruder\(i)"], "seed \(seed): \(fd.reason)")
            }
            // Each wave sleeper is found by the link, the wave carried (removing the wave from a stranger's entry fails this).
            for (i, a) in waveSleepers.enumerated() {
                let fs = f.filter { t.accountID($0.account) == a && $0.reason.contains("days after the entry, from the device that entered") }
                XCTAssertEqual(fs.count, 1, "seed \(seed): wave sleeper \(a) not linked: \(f.filter { t.accountID($0.account) == a }.map(\.reason))")
                for fd in fs {
                    XCTAssertTrue(fd.reason.contains("credential-stuffing wave"), fd.reason)
                    XCTAssertEqual(fd.identifiers.filter { $0.kind == "device" }.map(\.value), ["wsl-intruder\(i)"], fd.reason)
                }
            }
            // Off, no spree carries an entry.
            XCTAssertFalse(off.contains { $0.reason.contains("days after the entry") }, "seed \(seed)")
        }
    }

    /// One honest look-alike per guard of the link (review40d #4), each spared by that guard alone: with
    /// all guards none is linked; with its guard dropped, most of its group are (so removing any one
    /// guard fails this test). Every look-alike's entry and spree pass all the other guards:
    /// - a work phone set up on a trip (a new country), then used every day on its own carrier — two bursts;
    /// - a new phone set up in the shop with a password reset from it (the owner forgot it), the SIM
    ///   moved over in the data's last days (a new address and a television from it on mobile data),
    ///   the old phone not seen after — the owner after the spree;
    /// - a partner's phone on its own carrier, one typo before its login, a gift days later from it —
    ///   a stranger's entry (a new /24 and a failed login are not);
    /// - a relative abroad who buys socks for the owner at the first login and a gift days later — the
    ///   entry did nothing with the money;
    /// - a relative's phone from abroad that days later only opens the app on a new carrier block while
    ///   the owner, on the own phone without a login, sends a television to a friend — the entering
    ///   device spent in the spree;
    /// - a tablet at home whose first use is a password reset, days later a gift from it at home — the
    ///   spree off the owner's networks.
    func testEachGuardSparesItsOwnLookAlike() throws {
        typealias G = TakeoverDetector.SleeperGuard
        try forEachSeed { seed in
            let (s, w) = Self.ownersStore(seed, salt: 41_041)
            let n = 6
            var groups: [G: [String]] = [:]
            /// A gift from `device`: a friend's address and a television, `ip` on it.
            func gift(_ a: String, at: Int64, device: String, ip: String, country: String = "TH") {
                s.event(a, "address_change", at: at, ["device_id": device, "address_id": "\(a)-friend", "ip": ip, "country": country])
                s.order(a, item: "tv", seller: "shop", at: at + 4 * minute, device: device, address: "\(a)-friend",
                        payment: "\(a)-card", amount: 640, ip: ip)
            }
            func login(_ a: String, at: Int64, device: String, ip: String, country: String = "TH", failed: Bool = false) {
                s.event(a, "login", at: at, ["device_id": device, "country": country, "status": failed ? "fail" : "ok", "ip": ip])
            }
            for i in 0..<n {
                // Two bursts: a work phone set up in Japan, then every day at home on its carrier.
                let a = s.account("work\(i)"); groups[.twoBursts, default: []].append(a)
                w.routine(a, device: { _ in "work\(i)-own" })
                let d = w.rng.int(6...12), at = Scenario.t0 + Int64(d) * day + 10 * hour
                login(a, at: at, device: "work\(i)-phone", ip: "172.30.\(i).\(w.rng.int(2...200))", country: "JP")
                let carrier = "100.64.\(i + 10 * Int(seed % 7))"
                for k in 4..<12 where k != 5 {
                    login(a, at: at + Int64(k) * day / 2 + 3 * hour, device: "work\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))")
                }
                gift(a, at: at + Int64(w.rng.int(84...110)) * hour, device: "work\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))")
            }
            for i in 0..<n {
                // The owner after: a new phone set up (and the password reset) in the shop; the SIM moves over on day 25.
                let a = s.account("sim\(i)"); groups[.ownerAfter, default: []].append(a)
                w.routine(a, device: { _ in "sim\(i)-old" }, days: Array(0..<25))
                let at = Scenario.t0 + Int64(w.rng.int(17...19)) * day + 11 * hour, shop = "100.70.\(i).\(w.rng.int(2...200))"
                s.event(a, "password_reset", at: at, ["device_id": "sim\(i)-new", "country": "TH", "ip": shop])
                login(a, at: at + 3 * minute, device: "sim\(i)-new", ip: shop)
                let sw = Scenario.t0 + 25 * day + 18 * hour, mobile = "100.71.\(i).\(w.rng.int(2...200))"
                login(a, at: sw, device: "sim\(i)-new", ip: mobile)
                gift(a, at: sw + 20 * minute, device: "sim\(i)-new", ip: mobile)
                login(a, at: sw + 20 * hour, device: "sim\(i)-new", ip: "100.71.\(i).\(w.rng.int(2...200))")
            }
            for i in 0..<n {
                // A stranger's entry: a partner's phone on its own carrier, a typo first.
                let a = s.account("partner\(i)"); groups[.strangerEntry, default: []].append(a)
                w.routine(a, device: { _ in "partner\(i)-own" })
                let at = Scenario.t0 + Int64(w.rng.int(6...14)) * day + 20 * hour, carrier = "100.66.\(i)"
                login(a, at: at, device: "partner\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))", failed: true)
                login(a, at: at + minute, device: "partner\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))")
                gift(a, at: at + Int64(w.rng.int(84...120)) * hour, device: "partner\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))")
            }
            for i in 0..<n {
                // The entry spent: a relative abroad buys the owner socks at the first login, a gift days later.
                let a = s.account("relative\(i)"); groups[.entrySpent, default: []].append(a)
                w.routine(a, device: { _ in "relative\(i)-own" })
                let at = Scenario.t0 + Int64(w.rng.int(6...14)) * day + 9 * hour, ip = "172.29.\(i).\(w.rng.int(2...200))"
                login(a, at: at, device: "relative\(i)-phone", ip: ip, country: "JP")
                s.order(a, item: "socks", seller: "shop", at: at + 6 * minute, device: "relative\(i)-phone", address: "\(a)-home",
                        payment: "\(a)-card", amount: 8, ip: ip)
                gift(a, at: at + Int64(w.rng.int(84...120)) * hour, device: "relative\(i)-phone",
                     ip: "172.28.\(i).\(w.rng.int(2...200))", country: "JP")
            }
            for i in 0..<n {
                // The spree spent by the entering device: it only opens the app; the owner's own phone sends the gift.
                let a = s.account("glance\(i)"); groups[.spreeSpent, default: []].append(a)
                let home = w.routine(a, device: { _ in "glance\(i)-own" })
                let at = Scenario.t0 + Int64(w.rng.int(6...14)) * day + 9 * hour
                login(a, at: at, device: "glance\(i)-phone", ip: "172.27.\(i).\(w.rng.int(2...200))", country: "JP")
                let later = at + Int64(w.rng.int(84...120)) * hour
                s.event(a, "view", at: later, ["device_id": "glance\(i)-phone", "country": "TH", "item_id": "tv", "seller_id": "shop",
                                               "ip": "100.67.\(i).\(w.rng.int(2...200))"])
                gift(a, at: later + 20 * minute, device: "glance\(i)-own", ip: "\(home).3")
            }
            for i in 0..<n {
                // Off the owner's networks: a tablet at home, first used with a password reset, later a gift.
                let a = s.account("tablet\(i)"); groups[.offOwnNetworks, default: []].append(a)
                let home = w.routine(a, device: { _ in "tablet\(i)-own" })
                let at = Scenario.t0 + Int64(w.rng.int(6...14)) * day + 20 * hour
                s.event(a, "password_reset", at: at, ["device_id": "tablet\(i)-tablet", "country": "TH", "ip": "\(home).4"])
                login(a, at: at + 2 * minute, device: "tablet\(i)-tablet", ip: "\(home).4")
                gift(a, at: at + Int64(w.rng.int(84...120)) * hour, device: "tablet\(i)-tablet", ip: "\(home).4")
            }
            let (_, t) = try s.build()
            let linked = try Self.sleeperLinks(t)
            let all = try linked(Set(G.allCases))
            for (g, group) in groups {
                XCTAssertTrue(all.intersection(group).isEmpty, "seed \(seed): \(g) look-alikes linked: \(all.intersection(group).sorted())")
            }
            XCTAssertTrue(all.isEmpty, "seed \(seed): linked: \(all.sorted())")
            for g in G.allCases where g != .waveTied {   // a wave's own: testAWavesBystanderAndAThreeSittingPhoneAreNotLinked
                let without = try linked(Set(G.allCases).subtracting([g]))
                let group = groups[g] ?? []
                XCTAssertGreaterThanOrEqual(without.intersection(group).count, n / 2,
                                            "seed \(seed): without \(g) its look-alikes are not linked, so nothing shows the guard binds: \(without.sorted())")
            }
        }
    }

    /// Two look-alikes of review41a, in a store of their own (with a wave), each spared by its own guard
    /// alone, and linked without it:
    /// - a wave's bystander (bazaar 4404): the wave tried the account once; 10–20 hours later a household
    ///   phone logs in on its own carrier, days later a gift from it there — the wave is not its entry
    ///   (`waveTied`: neither the wave's device nor within `waveHours` of the login);
    /// - a relative's phone set up abroad, days later a views-only session on its carrier at home (a new
    ///   /24, so an anchor), the gift from it two to three days after that — three sittings, not a spree's
    ///   one (the spree's sitting is 24 hours, review41a #4; with the old 72 it was two bursts and linked).
    func testAWavesBystanderAndAThreeSittingPhoneAreNotLinked() throws {
        typealias G = TakeoverDetector.SleeperGuard
        try forEachSeed { seed in
            let (s, w) = Self.ownersStore(seed, salt: 41_042)
            let n = 6
            var groups: [G: [String]] = [:], threeSittings: [String] = []
            func gift(_ a: String, at: Int64, device: String, ip: String, country: String = "TH") {
                s.event(a, "address_change", at: at, ["device_id": device, "address_id": "\(a)-friend", "ip": ip, "country": country])
                s.order(a, item: "tv", seller: "shop", at: at + 4 * minute, device: device, address: "\(a)-friend",
                        payment: "\(a)-card", amount: 640, ip: ip)
            }
            func login(_ a: String, at: Int64, device: String, ip: String, country: String = "TH", failed: Bool = false) {
                s.event(a, "login", at: at, ["device_id": device, "country": country, "status": failed ? "fail" : "ok", "ip": ip])
            }
            for i in 0..<n {
                // Three sittings: a relative's phone set up abroad, views at home days later, the gift after.
                let a = s.account("views\(i)"); threeSittings.append(a)
                w.routine(a, device: { _ in "views\(i)-own" })
                let at = Scenario.t0 + Int64(w.rng.int(5...9)) * day + 9 * hour, carrier = "100.69.\(i)"
                login(a, at: at, device: "views\(i)-phone", ip: "172.26.\(i).\(w.rng.int(2...200))", country: "JP")
                let look = at + Int64(w.rng.int(84...110)) * hour
                s.event(a, "view", at: look, ["device_id": "views\(i)-phone", "country": "TH", "item_id": "tv", "seller_id": "shop",
                                              "ip": "\(carrier).\(w.rng.int(2...200))"])
                gift(a, at: look + Int64(w.rng.int(50...66)) * hour, device: "views\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))")
            }
            // A wave's bystander.
            var late: [(a: String, at: Int64)] = []
            let waveStart = Scenario.t0 + Int64(w.rng.int(6...9)) * day + 2 * hour
            for i in 0..<n {
                let a = s.account("late\(i)"); groups[.waveTied, default: []].append(a)
                w.routine(a, device: { _ in "late\(i)-own" })
                late.append((a, waveStart + 2 * hour + Int64(w.rng.int(10 * 60...20 * 60)) * minute))
            }
            wave(s, w, on: late.map(\.a), start: waveStart)
            for (i, l) in late.enumerated() {
                let carrier = "100.68.\(i)"
                login(l.a, at: l.at, device: "late\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))")
                gift(l.a, at: l.at + Int64(w.rng.int(84...120)) * hour, device: "late\(i)-phone", ip: "\(carrier).\(w.rng.int(2...200))")
            }
            let (_, t) = try s.build()
            let linked = try Self.sleeperLinks(t)
            let all = try linked(Set(G.allCases))
            XCTAssertTrue(all.isEmpty, "seed \(seed): linked: \(all.sorted())")
            // The three sittings are spared by the spree's 24-hour sitting, in two guards at once (the gift
            // falls outside both the device's spree burst and the spree's own spending): with a 72-hour
            // sitting they are linked, so this fails; there is no single guard to drop.
            XCTAssertTrue(all.intersection(threeSittings).isEmpty)
            for (g, group) in groups {
                let without = try linked(Set(G.allCases).subtracting([g]))
                XCTAssertGreaterThanOrEqual(without.intersection(group).count, n / 2,
                                            "seed \(seed): without \(g) its look-alikes are not linked, so nothing shows the guard binds: \(without.sorted())")
            }
        }
    }

    /// s64 (`sitting-strays`): a sleeper's spree whose sitting holds an event the store logged without a
    /// device (a view between the orders, on the network the intruder spends from) is still off the owner's
    /// networks: the stray is the sitting's, not the owner's (bazaar 4302: one such view kept a wave
    /// victim's six-order spree unlinked). Its look-alike: an owner whose home network is seen only through
    /// device-less events (a desktop browser the store does not fingerprint) on other days, whose tablet,
    /// set up on a trip abroad, sends a gift from home days later — the home is the owner's network, and
    /// only the off-the-owner's-networks guard spares it.
    func testADevicelessEventInTheSpreesSittingIsTheSittings() throws {
        typealias G = TakeoverDetector.SleeperGuard
        try forEachSeed { seed in
            let (s, w) = Self.ownersStore(seed, salt: 64_064)
            let n = 5
            var sleepers: [String] = []
            for i in 0..<n {
                let a = s.account("stray\(i)"); sleepers.append(a)
                w.routine(a, device: { _ in "st\(i)-phone" })
                let at = Scenario.t0 + Int64(6 + 2 * i) * day + 3 * hour
                s.event(a, "login", at: at, ["device_id": "st-intruder\(i)", "country": "BD", "status": "ok", "ip": "198.18.\(20 + i).9"])
                let spree = at + Int64(w.rng.int(84...120)) * hour, ip = "198.19.\(30 + i).\(w.rng.int(2...200))"
                s.event(a, "address_change", at: spree, ["device_id": "st-intruder\(i)", "address_id": "stdrop-\(i)", "ip": ip, "country": "BD"])
                s.order(a, item: "tv", seller: "shop", at: spree + 5 * minute, device: "st-intruder\(i)", address: "stdrop-\(i)",
                        payment: "\(a)-card", amount: 640, ip: ip)
                s.event(a, "view", at: spree + 7 * minute, ["country": "BD", "item_id": "tv", "seller_id": "shop", "ip": ip])
                s.order(a, item: "tv", seller: "shop", at: spree + 9 * minute, device: "st-intruder\(i)", address: "stdrop-\(i)",
                        payment: "\(a)-card", amount: 640, ip: ip)
            }
            /// An owner on a phone on its carrier (every other day) whose tablet, set up on a trip abroad, sends
            /// a gift from home 84–120 hours later; `homeSeen` adds the owner's device-less visits from home.
            func tabletGift(_ name: String, _ i: Int, block: Int, homeSeen: (_ a: String, _ home: String, _ phoneDay: Int64, _ gift: Int64?) -> Void) -> String {
                let a = s.account("\(name)\(i)")
                let home = "10.\(block).\(i)", carrier = "100.\(block - 138).\(i)"
                for d in stride(from: 0, to: 28, by: 2) {
                    let t = Scenario.t0 + Int64(d) * day + Int64(w.rng.int(8...20)) * hour
                    s.event(a, "login", at: t, ["device_id": "\(name)\(i)-phone", "country": "TH", "status": "ok", "ip": "\(carrier).\(w.rng.int(2...200))"])
                    s.event(a, "view", at: t + minute, ["device_id": "\(name)\(i)-phone", "country": "TH", "item_id": "socks", "seller_id": "shop",
                                                        "ip": "\(carrier).\(w.rng.int(2...200))"])
                    if d % 4 == 0 { homeSeen(a, home, t, nil) }
                }
                let at = Scenario.t0 + Int64(5 + 2 * i) * day + 9 * hour
                s.event(a, "login", at: at, ["device_id": "\(name)\(i)-tablet", "country": "JP", "status": "ok", "ip": "172.\(block - 183).\(i).9"])
                let gift = at + Int64(w.rng.int(84...120)) * hour
                s.event(a, "address_change", at: gift, ["device_id": "\(name)\(i)-tablet", "address_id": "\(a)-friend", "ip": "\(home).6", "country": "TH"])
                s.order(a, item: "tv", seller: "shop", at: gift + 4 * minute, device: "\(name)\(i)-tablet", address: "\(a)-friend",
                        payment: "\(a)-card", amount: 640, ip: "\(home).6")
                homeSeen(a, home, at, gift)
                return a
            }
            let desktops = (0..<n).map { i in
                tabletGift("desk", i, block: 210) { a, home, t, gift in
                    if gift == nil { s.event(a, "view", at: t + 3 * hour, ["country": "TH", "item_id": "tv", "seller_id": "shop", "ip": "\(home).5"]) }
                }
            }
            // review64 #6: the same, but the home is seen (device-less) only on the gift's day, hours after the
            // gift — inside the spree's 26-hour sitting, not amid the tablet's spree: still the owner's.
            let sameDay = (0..<n).map { i in
                tabletGift("dday", i, block: 211) { a, home, _, gift in
                    if let gift { s.event(a, "view", at: gift + Int64(w.rng.int(3 * 60...5 * 60)) * minute, ["country": "TH", "item_id": "socks", "seller_id": "shop", "ip": "\(home).5"]) }
                }
            }
            let (_, t) = try s.build()
            let all = try Self.sleeperLinks(t)(Set(G.allCases))
            XCTAssertEqual(all.intersection(sleepers), Set(sleepers), "seed \(seed): not linked: \(Set(sleepers).subtracting(all).sorted())")
            XCTAssertTrue(all.intersection(desktops + sameDay).isEmpty, "seed \(seed): \(all.intersection(desktops + sameDay).sorted())")
            // Without the guard the tablets are linked: the device-less home events are what spare them.
            let unguarded = try Self.sleeperLinks(t)(Set(G.allCases).subtracting([.offOwnNetworks]))
            XCTAssertGreaterThanOrEqual(unguarded.intersection(desktops).count, n / 2 + 1, "seed \(seed): \(unguarded.sorted())")
            XCTAssertGreaterThanOrEqual(unguarded.intersection(sameDay).count, n / 2 + 1, "seed \(seed): \(unguarded.sorted())")
            // With the strays counted as the owner's (`--no-sign sitting-strays`), the sleepers are not linked.
            var off = TakeoverDetector()
            off.ownerNetworks = false
            off.sittingStrays = false
            let linkedOff = try off.run(t, cancel: CancelToken()).filter { $0.reason.contains("days after the entry") }.map { t.accountID($0.account) }
            XCTAssertTrue(Set(linkedOff).intersection(sleepers).isEmpty, "seed \(seed): \(linkedOff.sorted())")
        }
    }

    /// review41a #5 (`ownerAfterGap`, off): a new phone set up with a reset in the shop, the SIM moved over
    /// five to six days later (a gift from it on mobile data, its next-evening use within the sitting),
    /// the old phone gone with the SIM, and a laptop opened on the data's last days — more than 3 days
    /// after the spree, fewer than the gap. Today the laptop is "the owner after" and the phone is linked;
    /// with the owner required after `max(72 h, the gap)` it is not. Off until measured on the worlds.
    func testTheOwnerAfterTheGapSparesANewPhoneWithALaptopOnTheLastDays() throws {
        try forEachSeed { seed in
            let (s, w) = OwnersWorld.shop(seed, salt: 41_043)
            _ = w.newPhones(20)
            _ = w.travellers(20, buyingAbroad: 5)
            var laptops: [String] = []
            for i in 0..<6 {
                let a = s.account("laptop\(i)"); laptops.append(a)
                let entry = Scenario.t0 + 16 * day + Int64(w.rng.int(10...14)) * hour, shop = "100.72.\(i).\(w.rng.int(2...200))"
                let sw = entry + Int64(w.rng.int(130...140)) * hour, mobile = "100.73.\(i)"
                w.routine(a, device: { _ in "laptop\(i)-old" }, days: Array(0..<Int((sw - Scenario.t0) / day)))
                s.event(a, "password_reset", at: entry, ["device_id": "laptop\(i)-new", "country": "TH", "ip": shop])
                s.event(a, "login", at: entry + 3 * minute, ["device_id": "laptop\(i)-new", "country": "TH", "status": "ok", "ip": shop])
                s.event(a, "login", at: sw, ["device_id": "laptop\(i)-new", "country": "TH", "status": "ok", "ip": "\(mobile).\(w.rng.int(2...200))"])
                s.event(a, "address_change", at: sw + 20 * minute, ["device_id": "laptop\(i)-new", "address_id": "\(a)-friend", "ip": "\(mobile).9", "country": "TH"])
                s.order(a, item: "tv", seller: "shop", at: sw + 24 * minute, device: "laptop\(i)-new", address: "\(a)-friend",
                        payment: "\(a)-card", amount: 640, ip: "\(mobile).9")
                s.event(a, "login", at: sw + 20 * hour, ["device_id": "laptop\(i)-new", "country": "TH", "status": "ok", "ip": "\(mobile).\(w.rng.int(2...200))"])
                s.event(a, "login", at: sw + Int64(w.rng.int(76...90)) * hour, ["device_id": "laptop\(i)-pc", "country": "TH", "status": "ok", "ip": "10.250.\(i).3"])
            }
            let (_, t) = try s.build()
            func linked(_ gap: Bool) throws -> Set<String> {
                var on = TakeoverDetector()
                on.ownerAfterGap = gap
                let f = try on.run(t, cancel: CancelToken())
                return Set(f.filter { $0.reason.contains("days after the entry") }.map { t.accountID($0.account) })
            }
            XCTAssertTrue(try linked(true).intersection(laptops).isEmpty, "seed \(seed)")
            XCTAssertGreaterThanOrEqual(try linked(false).intersection(laptops).count, 3, "seed \(seed): the hole #5 names is not shown")
        }
    }
}
