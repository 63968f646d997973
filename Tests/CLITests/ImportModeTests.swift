import Foundation
import RiskStore
import XCTest

/// Bulk import and normal import make the same store: one export imported in every index
/// mode, each with and without another connection holding the store open, compared table
/// by table (every row, sorted) and by schema.
final class ImportModeTests: CLITestCase {
    /// Columns that say when or by which process, not what was imported.
    static let volatile: [String: Set<String>] = ["import_runs": ["started_at", "finished_at", "message", "pid"]]

    /// Every table's rows as sorted text, and the schema (indexes dropped by a bulk load come back).
    func dump(_ path: String) throws -> [String: [String]] {
        let db = try Store(path: path, readOnly: true).db
        var out: [String: [String]] = [:]
        // v14: events compared through the `events` view (strings); the dictionary ids in
        // `events_i` and `idents` depend on where batches end, which differs by mode.
        let tables = try db.rows("SELECT name FROM sqlite_schema WHERE (type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('events_i', 'idents')) OR (type = 'view' AND name = 'events')").compactMap { $0[0].string }
        out["(idents)"] = ["\(try db.int("SELECT count(*) FROM idents"))"]
        for t in tables {
            let cols = try db.rows("SELECT name FROM pragma_table_info(?)", [.text(t)]).compactMap { $0[0].string }
                .filter { !(Self.volatile[t]?.contains($0) ?? false) }
            out[t] = try db.rows("SELECT \(cols.map { "\"\($0)\"" }.joined(separator: ", ")) FROM \"\(t)\"")
                .map { $0.map { String(reflecting: $0) }.joined(separator: " | ") }.sorted()
        }
        out["(schema)"] = try db.rows("SELECT type, name, tbl_name, sql FROM sqlite_schema").map { "\($0)" }.sorted()
        out["(journal)"] = [try db.scalar("PRAGMA journal_mode").string ?? ""]
        return out
    }

    func testEveryIndexModeWithAndWithoutAnotherConnectionMakesTheSameStore() throws {
        let out = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", out, "--accounts", "400", "--days", "4", "--seed", "12", "--quiet"]).status, 0)
        // Rejects and duplicates too: a second events file with a bad row and a repeated one.
        let first = try XCTUnwrap(try String(contentsOfFile: out + "/events.csv", encoding: .utf8).split(separator: "\n").dropFirst().first)
        _ = write("sim/events-extra.csv", header + "\n\(first)\nbad1,never,a,view,,,,,,,,,,,,,,,,,\n")
        var reference: (name: String, dump: [String: [String]])?
        for mode in ["keep", "rebuild", "auto"] {
            for other in [false, true] {
                let name = "\(mode)\(other ? "+other" : "")"
                let path = dir + "/\(name).db"
                // Every store starts the same: created empty, then imported into.
                var held: Store? = try Store(path: path)
                if !other { held = nil }
                let r = try CLI.run(["import", "--store", path, "--index-mode", mode, "--json", out])
                XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
                let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
                // rebuild is a bulk load; keep never is; auto chooses normal at this size (bulk
                // starts at ~200k estimated rows), which is the same code path as keep.
                XCTAssertEqual(json["bulk_indexes"] as? Bool, mode == "rebuild", "\(name): \(json)")
                XCTAssertEqual(json["rejected"] as? Int, reference.map { $0.dump["rejects"]?.count ?? -1 } ?? (json["rejected"] as? Int), "\(name): \(json)")
                XCTAssertEqual(try count("SELECT count(*) FROM rejects WHERE source LIKE '%events-extra.csv' AND line = 3", store: path), 1, name)
                if let held { XCTAssertEqual(try held.db.scalar("PRAGMA journal_mode").string, "wal", name) }
                held = nil
                let d = try dump(path)
                XCTAssertGreaterThan(d["events"]?.count ?? 0, 1000, name)
                if let ref = reference {
                    XCTAssertEqual(Set(d.keys), Set(ref.dump.keys), "\(name) vs \(ref.name)")
                    for (table, rows) in ref.dump {
                        let mine = d[table] ?? []
                        XCTAssertEqual(mine.count, rows.count, "\(table): \(name) vs \(ref.name)")
                        if mine != rows {
                            let diff = zip(mine, rows).first { $0 != $1 }
                            XCTFail("\(table) differs: \(name) vs \(ref.name); first difference: \(String(describing: diff))")
                        }
                    }
                } else {
                    reference = (name, d)
                }
            }
        }
    }
}
