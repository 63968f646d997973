import RiskStore
import XCTest

final class SQLDatabaseTests: XCTestCase {
    func testPlaceholdersAreNumberedOutsideLiteralsIdentifiersAndComments() {
        XCTAssertEqual(PGConnection.numberedPlaceholders("SELECT a FROM t WHERE b = ? AND c = ?"), "SELECT a FROM t WHERE b = $1 AND c = $2")
        XCTAssertEqual(PGConnection.numberedPlaceholders("x = ?1 OR y LIKE ?1 || '%' AND z = ?2"), "x = $1 OR y LIKE $1 || '%' AND z = $2")
        XCTAssertEqual(PGConnection.numberedPlaceholders("'it''s ?' || ? -- why?\n, \"a?\" /* ? */ ?"), "'it''s ?' || $1 -- why?\n, \"a?\" /* ? */ $2")
        XCTAssertEqual(PGConnection.numberedPlaceholders("?3, ?"), "$3, $4")
        XCTAssertEqual(PGConnection.numberedPlaceholders("$$ a ? b $$, ?"), "$$ a ? b $$, $1")
        // Already numbered ($N): PostgreSQL's own SQL, where ? ?| ?& are jsonb operators.
        XCTAssertEqual(PGConnection.numberedPlaceholders("SELECT j ? 'a', j ?| array['b'] FROM t WHERE x = $1"),
                       "SELECT j ? 'a', j ?| array['b'] FROM t WHERE x = $1")
        XCTAssertEqual(PGConnection.numberedPlaceholders("no params"), "no params")
    }

    func testDialectsSayWhatDiffers() throws {
        let db = try Database(path: ":memory:")
        XCTAssertEqual(db.dialect, .sqlite)
        let d = db.dialect
        XCTAssertEqual(try db.int("SELECT \(d.contains("'abcdef'", "'cd'"))"), 1)
        XCTAssertEqual(try db.int("SELECT \(d.truncInt("-2.7"))"), -2)
        XCTAssertEqual(try db.int("SELECT \(d.least("19", d.truncInt("0.999 * 20")))"), 19)
        XCTAssertEqual(try db.scalar("SELECT \(d.isoTime("0"))"), .text("1970-01-01T00:00:00.000Z"))
        XCTAssertEqual(try db.scalar("SELECT \(d.stringAgg("x", "','")) FROM (SELECT 'a' AS x UNION ALL SELECT 'b')").string?.count, 3)
        XCTAssertEqual(try db.scalar("SELECT \(d.jsonText("'{\"k\":\"v\"}'", "k"))"), .text("v"))
    }
}
