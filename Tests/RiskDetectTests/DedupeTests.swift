import Foundation
import RiskStore
import XCTest
@testable import RiskDetect

/// Issue 14 item 9: one account showed the identical brushing finding twice (a ring found
/// again in a second dense block of its seller). A run stores each finding once.
final class DedupeTests: XCTestCase {
    /// Says the same thing twice about every account (as two blocks of one seller would), and
    /// once something different.
    struct Twice: Detector {
        let name = "brushing"
        func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
            (0..<Int32(t.accountCount)).flatMap { a -> [Finding] in
                [Finding(account: a, detector: name, riskType: .brushing, strength: 0.6, reason: "part of a ring", events: [1], group: "brushing-1"),
                 Finding(account: a, detector: name, riskType: .brushing, strength: 0.7, reason: "part of a ring", events: [2], group: "brushing-1"),
                 Finding(account: a, detector: name, riskType: .brushing, strength: 0.5, reason: "part of a ring", group: "brushing-2")]
            }
        }
    }

    func testARunStoresEachFindingOnce() throws {
        let s = Scenario()
        s.account("a")
        s.event("a", "view", at: Scenario.t0, ["item_id": "i"])
        let (store, _) = try s.build()
        _ = try DetectionEngine(detectors: [Twice()], rulesDirectory: nil).run(store: store)
        let rows = try store.db.rows("SELECT strength, group_id, evidence FROM findings WHERE account_id = 'a' ORDER BY group_id")
        XCTAssertEqual(rows.count, 2, "\(rows)")
        XCTAssertEqual(rows[0][0].double, 0.7)                    // the strongest stays
        XCTAssertEqual(rows[0][2].string, "{\"events\":[1,2]}")   // with both events
        XCTAssertEqual(rows[1][1].string, "brushing-2")          // another group is another finding
        XCTAssertEqual(try store.db.int("SELECT n_findings FROM scores WHERE account_id = 'a'"), 2)
        XCTAssertEqual(try store.db.int("SELECT size FROM groups WHERE group_id = 'brushing-1'"), 1)
    }
}
