import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// The queue read again (`R`, or live updates listening again on a team store) while the
/// analyst turns pages: the reducer over the fixture store's real reads, with the order in
/// which the answers arrive chosen by the test — a read can be held back and answered after
/// later keys, as a slow server does.
final class QueueRefreshTests: WorkbenchCase {
    override class var tag: String { "qrefresh" }
    override class var opensAtSetUp: Bool { false }

    var st = AppState(storeName: "qrefresh", width: 120, height: 30)
    var data: DataService!

    override func setUpWithError() throws {
        try super.setUpWithError()
        data = try DataService(path: storePath, analyst: "tester")
        st = AppState(storeName: "qrefresh", width: 120, height: 30)
        st.analyst = "tester"
        if try data.reader.db.int("SELECT count(*) FROM scores") > 0 { st.preferScoreOrder() }
        run(st.start())
    }

    /// Answers reads now (and the reads their answers ask for), in order.
    func run(_ effects: [Effect]) {
        for e in effects {
            guard case .read(let r) = e else { continue }
            run(st.apply(data.perform(r)))
        }
    }

    func hit(_ keys: Key..., times: Int = 1) {
        for _ in 0..<times { for k in keys { run(st.handle(k)) } }
    }

    var queue: QueueScreen {
        guard case .queue(let q) = st.top else { XCTFail("not on the queue"); return QueueScreen(uid: 0) }
        return q
    }

    /// The whole queue in its order, as the store reads it.
    func storeOrder() throws -> [String] {
        try data.reader.db.queuePage(queue.query, direction: .first, anchor: nil, limit: 100_000).map(\.account)
    }

    /// The window holds consecutive rows of the queue, each once, starting at its offset.
    func assertWindowIsTheQueue(_ order: [String], file: StaticString = #filePath, line: UInt = #line) {
        let q = queue
        XCTAssertTrue(q.list.offsetKnown, file: file, line: line)
        let rows = q.list.rows.map(\.account)
        XCTAssertEqual(Set(rows).count, rows.count, "a row twice in the window", file: file, line: line)
        XCTAssertEqual(rows, Array(order[q.list.offset..<min(order.count, q.list.offset + rows.count)]), file: file, line: line)
    }

    /// Pages turned back while the refresh is on its way: the page asked for (from the old
    /// screen's top down) doesn't hold the selected account; it is dropped and the screen's
    /// top now is read instead.
    func testARefreshAnsweredAfterTheAnalystTurnedPagesBackLandsWhereTheAnalystIsNow() throws {
        try assertRefreshLandsWhereTheAnalystIs(after: { self.hit(.pageUp, times: 2); self.hit(.up, times: 3) })
    }

    /// Pages turned on: the page asked for holds the selected account (it starts at the old
    /// top); the cursor goes on it, on its screen row.
    func testARefreshAnsweredAfterTheAnalystTurnedPagesOnLandsWhereTheAnalystIsNow() throws {
        try assertRefreshLandsWhereTheAnalystIs(after: { self.hit(.pageDown, times: 2); self.hit(.down, times: 3) })
    }

    func assertRefreshLandsWhereTheAnalystIs(after keys: () -> Void, file: StaticString = #filePath, line: UInt = #line) throws {
        let order = try storeOrder()
        XCTAssertGreaterThan(order.count, 600, "the fixture's queue must be several pages long", file: file, line: line)
        hit(.pageDown, times: 6)
        // Live updates listen again: the queue is read again — but the answer is slow.
        let held = st.applyLiveFeed(down: false, message: "live updates back")
        XCTAssertFalse(held.isEmpty, file: file, line: line)
        // Meanwhile the analyst keeps going: the rows in view stay and the keys move on them.
        let before = queue.list.position!
        keys()
        let q1 = queue
        let selected = q1.list.current!.account
        let screenRow = q1.list.cursor - q1.list.scroll
        let screenTop = q1.list.rows[q1.list.scroll].account
        XCTAssertNotEqual(q1.list.position!, before, "keys did nothing while the refresh was in flight", file: file, line: line)
        // The held page arrives; the cursor stays on what the analyst selected, on its screen row.
        run(held)
        let q2 = queue
        XCTAssertFalse(q2.list.loading, file: file, line: line)
        XCTAssertNil(q2.refreshing, file: file, line: line)
        XCTAssertEqual(q2.list.current?.account, selected, file: file, line: line)
        XCTAssertEqual(q2.list.cursor - q2.list.scroll, screenRow, file: file, line: line)
        XCTAssertEqual(q2.list.rows[q2.list.scroll].account, screenTop, file: file, line: line)
        XCTAssertEqual(q2.list.position, order.firstIndex(of: selected), file: file, line: line)
        assertWindowIsTheQueue(order, file: file, line: line)
        // And paging on from there reads the rows that follow, with nothing repeated or skipped.
        hit(.pageDown, times: 8)
        hit(.pageUp, times: 12)
        assertWindowIsTheQueue(order, file: file, line: line)
        XCTAssertEqual(queue.list.current?.account, order[queue.list.position!], file: file, line: line)
    }

    func testAPageOfTheOldWindowArrivingAfterTheRefreshIsDropped() throws {
        let order = try storeOrder()
        // Walk down until a key asks for the next page; hold that page back.
        var prefetch: [Effect] = []
        for _ in 0..<200 where prefetch.isEmpty {
            prefetch = st.handle(.down).filter { if case .read(.queuePage) = $0 { return true }; return false }
        }
        XCTAssertFalse(prefetch.isEmpty, "no key asked for a page")
        let selected = queue.list.current!.account
        // R while that page is still on its way; its answer comes first, then the refresh's.
        let refresh = st.refresh()
        run(prefetch)
        XCTAssertTrue(queue.list.loading, "the old window's page was taken as the refresh's answer")
        run(refresh)
        XCTAssertEqual(queue.list.current?.account, selected)
        XCTAssertEqual(queue.list.position, order.firstIndex(of: selected))
        assertWindowIsTheQueue(order)
    }

    func testAnotherAnalystsClaimShowsAfterARefreshWithTheCursorOnItsAccount() throws {
        hit(.pageDown, times: 2)
        hit(.down, times: 5)
        let q0 = queue
        let selected = q0.list.current!.account
        let screenRow = q0.list.cursor - q0.list.scroll
        let other = q0.list.rows[q0.list.scroll + 1].account
        try Store(path: storePath).claim(other, analyst: "other", source: "cli")
        XCTAssertNil(queue.list.rows.first { $0.account == other }?.assignee)
        run(st.refresh())
        XCTAssertEqual(queue.list.rows.first { $0.account == other }?.assignee, "other")
        XCTAssertEqual(queue.list.current?.account, selected)
        XCTAssertEqual(queue.list.cursor - queue.list.scroll, screenRow)
    }

    func testGoingToTheEndDuringARefreshDropsTheRefresh() throws {
        let order = try storeOrder()
        hit(.pageDown, times: 2)
        let held = st.refresh()
        hit(.end)       // G: the last page replaces the window
        XCTAssertEqual(queue.list.current?.account, order.last)
        run(held)         // the refresh's page, for the old window, arrives late
        XCTAssertEqual(queue.list.current?.account, order.last)
        assertWindowIsTheQueue(order)
    }
}
