import XCTest
@testable import Workbench

final class SQLTextTests: XCTestCase {
    func testStatementsSplitOutsideStringsAndComments() {
        let sql = "SELECT 'a;b' AS x; -- c; d\nSELECT \"q;\" FROM t /* ; */;\n\n;  "
        let ranges = SQLText.statements(sql)
        XCTAssertEqual(ranges.count, 2)
        let chars = Array(sql)
        XCTAssertEqual(String(chars[ranges[0]]), "SELECT 'a;b' AS x")
        XCTAssertTrue(String(chars[ranges[1]]).contains("SELECT \"q;\" FROM t"))
        // The cursor in the second statement, or in the blank after it, picks it.
        XCTAssertEqual(SQLText.statement(in: sql, at: ranges[1].lowerBound + 5), ranges[1])
        XCTAssertEqual(SQLText.statement(in: sql, at: sql.count), ranges[1])
        XCTAssertEqual(SQLText.statement(in: sql, at: 2), ranges[0])
    }

    func testTokensAndParameters() {
        let t = SQLText.tokens("select count(*), 'it''s' -- note\nfrom x where a = :account_id and b > @since and c = ?2 and d = 1.5e3")
        XCTAssertEqual(t.filter { $0.kind == .keyword }.count, 6)    // select from where and and and
        XCTAssertTrue(t.contains { $0.kind == .function })
        XCTAssertEqual(t.filter { $0.kind == .string }.count, 1)
        XCTAssertEqual(t.filter { $0.kind == .comment }.count, 1)
        XCTAssertEqual(SQLText.parameters("a = :account_id or b = :account_id or c > @since or d = ?1"), ["account_id", "since"])
        XCTAssertTrue(SQLText.isWrite("  -- x\n DELETE FROM t"))
        XCTAssertFalse(SQLText.isWrite("WITH x AS (SELECT 1) SELECT * FROM x"))
    }

    func testCompletionKnowsAliasesTablesColumnsKeywordsAndSavedQueries() {
        let cat = SQLCatalog(tables: [("accounts", ["account_id", "email", "country"]), ("events", ["id", "account_id", "ts", "type"])],
                             saved: [SavedQuery(name: "shared_device", path: "/q/shared_device.sql", sql: "-- who shares\nSELECT 1")])
        let sql = "SELECT a.em FROM accounts a JOIN events e ON e.account_id = a.account_id"
        XCTAssertEqual(SQLText.tableAliases(sql)["a"], "accounts")
        XCTAssertEqual(cat.complete(word: "a.em", sql: sql).map(\.insert), ["a.email"])
        XCTAssertEqual(cat.complete(word: "e.t", sql: sql).map(\.insert), ["e.ts", "e.type"])
        XCTAssertEqual(cat.complete(word: "SEL", sql: "").first?.insert, "SELECT")
        XCTAssertEqual(cat.complete(word: "sel", sql: "").first?.insert, "select")
        XCTAssertTrue(cat.complete(word: "acc", sql: "").contains { $0.insert == "accounts" })
        XCTAssertEqual(cat.complete(word: "json_ex", sql: "").first?.insert, "json_extract(")
        let saved = cat.complete(word: "shared_d", sql: "")
        XCTAssertEqual(saved.first?.insert, "-- who shares\nSELECT 1")
        XCTAssertEqual(cat.complete(word: "zzz", sql: ""), [])
    }
}
