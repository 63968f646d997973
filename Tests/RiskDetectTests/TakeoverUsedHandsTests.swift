import Foundation
import XCTest
@testable import RiskDetect

/// s48 (`used-hands`): a change of hands is reported when the new hands used the account. Movers — owners who
/// forget their password on a new phone in a new home, reset it, log in and change their shipping address, and
/// go on living on that phone four days later — did nothing with the account in the sequence; takeovers that reset,
/// log in, send the goods to an address of their own and order with the owner's card did. Bazaar 4300–4309: 71
/// innocents of the top K had a takeover finding with no use (61 of them the generator's "new phone" owners);
/// no takeover with a finding, in any kept world, had none.
final class TakeoverUsedHandsTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour, minute = Scenario.minute

    func world(_ seed: UInt64) -> (s: Scenario, movers: [String], takeovers: [String]) {
        let (s, ow) = PlainOwners.store(seed, salt: 48, owners: 400)
        var movers: [String] = [], takeovers: [String] = []
        for i in 0..<12 {
            let a = s.account("mover\(i)")
            movers.append(a)
            let d0 = ow.rng.int(6...18)
            ow.routine(a, device: { _ in "mover\(i)-old" }, days: Array(0..<d0))
            // The move: a reset on the new phone from the new home, a login, the new address; nothing bought.
            let at = Scenario.t0 + Int64(d0) * day + Int64(ow.rng.int(9...20)) * hour
            let f: [String: Any] = ["device_id": "mover\(i)-new", "country": "TH", "ip": "172.16.\(i).9"]
            s.event(a, "password_reset", at: at, f)
            s.event(a, "login", at: at + 3 * minute, f.merging(["status": "ok"]) { $1 })
            s.event(a, "address_change", at: at + 20 * minute, f.merging(["address_id": "\(a)-new-home"]) { $1 })
            // Its life goes on on the new phone from the new home, four days on.
            ow.routine(a, device: { _ in "mover\(i)-new" }, net: { _ in "172.16.\(i).9" }, days: Array((d0 + 4)..<28))
        }
        for i in 0..<10 {
            let a = s.account("victim\(i)")
            takeovers.append(a)
            ow.routine(a, device: { _ in "victim\(i)-phone" })
            let at = Scenario.t0 + Int64(ow.rng.int(4...24)) * day + Int64(ow.rng.int(0...23)) * hour
            let ip = ow.anywhere()
            let f: [String: Any] = ["device_id": "x\(i)", "country": "TH", "ip": ip]
            s.event(a, "password_reset", at: at - 10 * minute, f)
            s.event(a, "address_change", at: at - 2 * minute, f.merging(["address_id": "parcel-\(i)"]) { $1 })
            ow.takeover(a, device: "x\(i)", at: at, ip: ip)
        }
        return (s, movers, takeovers)
    }

    func testMoversAreNotReportedAndTakeoversThatUsedTheAccountAre() throws {
        try forEachSeed { seed in
            let (s, movers, takeovers) = world(seed)
            let (f, t) = try s.run(TakeoverDetector())
            let flagged = f.accounts(t)
            XCTAssertTrue(flagged.isDisjoint(with: movers), "\(flagged.intersection(movers).sorted()) \(f.filter { movers.contains(t.accountID($0.account)) }.map(\.reason))")
            XCTAssertGreaterThanOrEqual(flagged.intersection(takeovers).count, 8, "\(flagged.intersection(takeovers).sorted())")
            for x in f where takeovers.contains(t.accountID(x.account)) { XCTAssertTrue(x.reason.contains("order(s)"), x.reason) }
            // Without the sign the move is a change of hands like any other.
            var off = TakeoverDetector()
            off.usedHands = false
            let (g, u) = try s.run(off)
            XCTAssertGreaterThanOrEqual(g.accounts(u).intersection(movers).count, 6, "\(g.accounts(u).intersection(movers).sorted())")
            XCTAssertEqual(g.accounts(u).intersection(takeovers), flagged.intersection(takeovers))
        }
    }
}
