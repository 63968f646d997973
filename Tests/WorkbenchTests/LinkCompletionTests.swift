import Foundation
import RiskStore
import XCTest
@testable import Workbench

/// `:ip 10.0.0<Tab>` completes from the identifiers that have a link of that kind (schema v16:
/// read from the dictionary in string order), not from other kinds' values or accounts.
final class LinkCompletionTests: XCTestCase {
    func testPivotCompletionsListTheKindsValuesInOrder() throws {
        let dir = NSTemporaryDirectory() + "riskdesk-complete-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.db"
        do {
            let s = try Store(path: path)
            try s.db.exec("""
                INSERT INTO links(kind, value, account_id, events) VALUES
                  ('ip', '10.0.0.2', 'a1', 1), ('ip', '10.0.0.1', 'a2', 1), ('ip', '10.0.0.1', 'a3', 2), ('ip', '10.0.1.7', 'a1', 1),
                  ('device', '10.0.0.9', 'a1', 1), ('ip', '10.0.0_5', 'a4', 1);
                INSERT INTO links(kind, value, account_id, events) VALUES ('device', 'd', '10.0.0.3', 1);   -- an account, not an IP
                """)
        }
        let data = try DataService(path: path, analyst: "tester")
        XCTAssertEqual(try data.completions("ip 10.0.0"), ["ip 10.0.0.1", "ip 10.0.0.2", "ip 10.0.0_5"])
        XCTAssertEqual(try data.completions("ip 10.0.0_"), ["ip 10.0.0_5"], "_ is a character, not a wildcard")
        XCTAssertEqual(try data.completions("device 10."), ["device 10.0.0.9"])
        XCTAssertEqual(try data.completions("ip 192."), [])
    }
}
