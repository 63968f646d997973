import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// tenth-spread (s69): what a fifth of an account's peers do is no outlier. A count most of a band
/// never has makes the band's median absolute deviation 0 and its robust scale the floor, so any
/// other value was "far" (half of z beyond 3) however many peers share it — on bazaar world 4, new
/// buyers with a few hundred views were outliers in a band that a spam wave (no views at all) made up.
/// In the counts of each kind of event, in a band of one doubling of activity, the scale on each side
/// is now at least the spread a tenth of the band reaches there. (A band merged over several doublings
/// keeps the floor — LoneOutlierTests' heavy accounts; and so do the measures built to be near zero for
/// people — CrewCompanyTests' and LargeCrewTests' crews.)
final class TenthSpreadTests: XCTestCase {
    /// 400 buyers who browse and order; a fifth of them (drawn by the seed) also watch a creator's
    /// live room for one of their six sessions, and two follow dozens of accounts, which nobody else does.
    func store(_ s: Scenario) -> (EventTable, watchers: [Int32], others: [Int32], followers: [Int32]) {
        s.account("shop", kind: "seller")
        s.account("star", kind: "creator")
        let items = (0..<30).map { s.item("i\($0)", seller: "shop") }
        var watching: [String] = [], plain: [String] = []
        // Everyone does the same amount (six sessions of five events, an order): one activity band.
        for b in 0..<400 {
            let a = s.account("buyer\(b)")
            let device = "bd\(b)", ip = "10.1.\(b % 250).\(b / 250 + 1)"
            // buyer0 and buyer1 follow 25 accounts each and never watch; a fifth of the rest watch.
            let watches = b >= 2 && s.double(in: 0...1) < 0.2
            for k in 0..<6 {
                var at = Scenario.t0 + Int64(k * 4 + Int(s.int(in: 0...3))) * Scenario.day + s.int(in: 8...21) * Scenario.hour
                for _ in 0..<5 {
                    if watches && k == 5 {   // the last session in the star's live room instead
                        s.event(a, "live_view", at: at, ["target_id": "star", "device_id": device, "ip": ip])
                    } else {
                        s.event(a, "view", at: at, ["item_id": items[Int(s.int(in: 0...29))], "seller_id": "shop", "device_id": device, "ip": ip])
                    }
                    at += s.int(in: 5_000...400_000)
                }
            }
            s.order(a, item: items[b % 30], seller: "shop", at: Scenario.t0 + s.int(in: 0...27) * Scenario.day + 15 * Scenario.hour,
                    device: device, address: "ba\(b)", payment: "bc\(b)", ip: ip)
            if watches { watching.append(a) } else if b >= 2 { plain.append(a) }
            if b < 2 {
                for k in 0..<25 {
                    s.event(a, "follow", at: Scenario.t0 + Int64(k) * Scenario.day / 2 + 11 * Scenario.hour,
                            ["target_id": "buyer\(100 + k)", "device_id": device, "ip": ip])
                }
            }
        }
        let (_, t) = try! s.build()
        func ids(_ a: [String]) -> [Int32] { a.compactMap { t.accounts.lookup($0) } }
        return (t, ids(watching), ids(plain), ids(["buyer0", "buyer1"]))
    }

    /// The surprise an account's column carries among its top features (0 when not among them).
    func surprise(_ a: Anomaly, _ account: Int32, _ name: String) -> Double {
        a.top[Int(account)].first { a.names[$0.feature] == name }?.surprise ?? 0
    }

    func testWhatAFifthOfThePeersDoIsNoOutlierAndWhatNoneDoStillIs() throws {
        try forEachSeed { seed in
            let (t, watchers, others, followers) = store(Scenario(seed: seed))
            XCTAssertGreaterThan(watchers.count, 50, "about a fifth of 400")
            XCTAssertEqual(followers.count, 2)
            let on = Anomaly.compute(t)
            let off = Anomaly.compute(t, tenthSpread: false)
            // The fifth who watch the room: no surprise from it with the sign on; most had one without.
            for w in watchers {
                XCTAssertLessThan(surprise(on, w, "n_live_view"), 1, "a fifth of the band watches: \(on.explanation(Int(w), t) ?? "")")
            }
            let wereFar = watchers.filter { surprise(off, $0, "n_live_view") >= 2 }
            XCTAssertGreaterThanOrEqual(wereFar.count, watchers.count / 2, "without the sign the floor scale made them far")
            // What nobody else does is as far as before (the band's 90th percentile of follows is 0), and
            // the two who do it are the store's most unusual.
            let everyoneElse = (watchers + others).map { on.rank[Int($0)] }.max() ?? 0
            for f in followers {
                let s = surprise(on, f, "n_follow")
                XCTAssertGreaterThan(s, 5, on.explanation(Int(f), t) ?? "")
                XCTAssertEqual(s, surprise(off, f, "n_follow"), accuracy: 1e-9)
                XCTAssertGreaterThan(on.rank[Int(f)], everyoneElse, "the two are the store's most unusual")
            }
        }
    }

    /// The reference itself: 80 peers with none and 20 with six (log1p 1.95) — the scale above the median is
    /// the tenth's spread; without the sign, or where fewer than a tenth are above the median, or where
    /// every value is one, it is the MAD's (floored), as before.
    func testTheScaleAboveTheMedianIsAtLeastTheTenthsSpread() throws {
        let six = Float(log1p(6.0))
        let band = [Float](repeating: 0, count: 80) + [Float](repeating: six, count: 20)
        let on = try XCTUnwrap(Reference(band, tenthSpread: true))
        let off = try XCTUnwrap(Reference(band))
        XCTAssertEqual(on.scaleHigh, six / Reference.z90, accuracy: 1e-6)
        XCTAssertEqual(off.scaleHigh, off.scale)
        XCTAssertEqual(on.scale, off.scale)
        XCTAssertEqual(off.scale, 0.3, "MAD 0: the floor")
        XCTAssertLessThan(on.surprise(six, direction: 1), 1)
        XCTAssertGreaterThan(off.surprise(six, direction: 1), 2)
        // Fewer than a tenth above the median: the 90th percentile is the median, the scale stays.
        let few = [Float](repeating: 0, count: 95) + [Float](repeating: six, count: 5)
        XCTAssertEqual(Reference(few, tenthSpread: true)!.surprise(six, direction: 1), Reference(few)!.surprise(six, direction: 1))
        // One value for all, and the low side: as before.
        let same = [Float](repeating: 2, count: 60)
        XCTAssertEqual(Reference(same, tenthSpread: true)!.scaleHigh, Reference(same)!.scale)
        XCTAssertEqual(on.surprise(0, direction: -1), off.surprise(0, direction: -1))
    }

    /// A band merged over several doublings keeps the floor: LoneOutlierTests' twelve heavy accounts
    /// (thousands of views) share a band with the busiest of 300 buyers (a few events each), and their
    /// counts are judged as without the sign.
    func testABandMergedOverSeveralDoublingsKeepsTheFloor() throws {
        try forEachSeed { seed in
            let (t, _, heavy) = LoneOutlierTests.store(Scenario(seed: seed))
            let on = Anomaly.compute(t), off = Anomaly.compute(t, tenthSpread: false)
            for h in heavy {
                XCTAssertTrue(on.peerName[Int(on.peerOf[Int(h)])].contains("–"), "a merged band: \(on.peerName[Int(on.peerOf[Int(h)])])")
                XCTAssertEqual(on.raw[Int(h)], off.raw[Int(h)], accuracy: 1e-9)
            }
        }
    }

    /// The sign is on by default and switched off by name.
    func testSwitchedByName() throws {
        XCTAssertTrue(ScoringLayers().tenthSpread)
        let engine = DetectionEngine(rulesDirectory: nil)
        try engine.disableSigns(["tenth-spread"])
        XCTAssertFalse(engine.layers.tenthSpread)
    }
}
