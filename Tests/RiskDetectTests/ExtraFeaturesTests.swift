import Foundation
import XCTest
@testable import RiskDetect
@testable import RiskImport
@testable import RiskStore

/// Numeric columns a mapped import keeps in `extra` become per-account features.
final class ExtraFeaturesTests: XCTestCase {
    func testPerAccountMeanMaxMinOfNumericExtras() throws {
        let dir = NSTemporaryDirectory() + "riskdesk-extra-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/x.csv"
        try Data("""
            id,t,user,C1,V2,note
            1,2026-01-01T00:00:00Z,a,1.5,10,x
            2,2026-01-01T00:01:00Z,a,-2.5,,"y, z"
            3,2026-01-01T00:02:00Z,b,4,30,
            4,2026-01-01T00:03:00Z,c,,,w
            5,2026-01-01T00:04:00Z,d,-1,-1,

            """.utf8).write(to: URL(fileURLWithPath: csv))
        let m = try ImportMapping.parse("[fields]\nevent_id = \"id\"\nts = \"t\"\naccount_id = \"user\"\n[constants]\ntype = \"payment\"\n", path: "m.toml")
        var o = ImportOptions()
        o.mapping = m
        let store = try Store(path: dir + "/s.db")
        _ = try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
        let table = try EventTable.load(from: store.db)

        let keys = try ExtraFeatures.keys(store.db)
        XCTAssertEqual(keys, ["C1", "V2"], "numeric keys only; 'note' is text")
        let names = ExtraFeatures.names(keys)
        XCTAssertEqual(names, ["extra_mean:C1", "extra_mean:V2", "extra_max:C1", "extra_max:V2", "extra_min:C1", "extra_min:V2"])
        let x = try ExtraFeatures.compute(store.db, table, keys: keys)
        func row(_ id: String) -> [Float] {
            let a = Int(table.accounts.lookup(id)!)
            return Array(x[(a * names.count)..<((a + 1) * names.count)])
        }
        XCTAssertEqual(row("a"), [-0.5, 10, 1.5, 10, -2.5, 10])
        XCTAssertEqual(row("b"), [4, 30, 4, 30, 4, 30])
        XCTAssertTrue(row("c").allSatisfy(\.isNaN), "absent: missing (NaN), not a value: \(row("c"))")
        XCTAssertEqual(row("d"), [-1, -1, -1, -1, -1, -1], "a real -1 stays -1, told apart from missing")

        // A stored model asks for its columns by name, after the behaviour ones.
        let base = AccountFeatures.compute(table, strengths: [])
        let wanted = Array(AccountFeatures.behaviourNames.prefix(2)) + ["extra_max:V2"]
        let m2 = try XCTUnwrap(ExtraFeatures.matrix(store.db, table, all: base, names: wanted))
        let a = Int(table.accounts.lookup("b")!)
        XCTAssertEqual(m2[a * 3 + 2], 30)
        XCTAssertEqual(m2[a * 3], base[a * AccountFeatures.names.count])
    }
}
