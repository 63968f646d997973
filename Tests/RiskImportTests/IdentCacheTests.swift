import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// The identifier cache keeps two generations: an identifier every chunk uses (an active
/// account) is looked up in `idents` once, however many other identifiers pass through.
final class IdentCacheTests: ImportTestCase {
    func testARecurringIdentifierIsLookedUpOnceWhileOthersChurnTheCache() throws {
        let s = try store()
        let fields = ContractKind.events.fields.map(\.name)
        let w = try InternedWriter(db: s.db, fields: fields, chunkRows: 4, cacheEntries: 8)
        func text(_ i: Int, _ v: String) {
            var b = Array(v.utf8)
            b.withUnsafeMutableBytes { w.bindText(Int32(i + 1), $0.baseAddress!, $0.count) }
        }
        let at = { (name: String) in fields.firstIndex(of: name)! }
        try s.db.exec("BEGIN")
        let chunks = 12
        for r in 0..<(chunks * 4) {
            w.beginRow()
            text(at("event_id"), "e\(r)")
            w.bindInt(Int32(at("ts") + 1), Int64(r))
            text(at("account_id"), "hot")
            text(at("device_id"), "dev-\(r)")          // a new identifier every row
            w.keepRow(id: Int64(r + 1))
            if w.rows >= w.chunkRows { try w.flush() }
        }
        try w.flush()
        try s.db.exec("COMMIT")
        XCTAssertEqual(w.lookups, 1 + chunks * 4, "'hot' once, each device once")
        XCTAssertEqual(w.added, 1 + chunks * 4)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events WHERE account_id = 'hot'"), Int64(chunks * 4))
        XCTAssertEqual(try s.db.rows("SELECT device_id FROM events WHERE id = 37"), [[.text("dev-36")]])
    }
}
