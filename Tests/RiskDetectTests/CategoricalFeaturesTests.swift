import Foundation
import XCTest
@testable import RiskDetect
@testable import RiskImport
@testable import RiskStore

/// Text columns a mapped import keeps in `extra` become per-account shares of their frequent
/// values, other / missing shares and distinct counts.
final class CategoricalFeaturesTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdesk-cat-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// A store whose events carry `extra` exactly as given (nil: no extra at all).
    func store(_ rows: [(account: String, extra: String?)]) throws -> Store {
        let s = try Store(path: dir + "/s.db")
        try s.db.transaction {
            for (i, r) in rows.enumerated() {
                try s.db.run("INSERT INTO events(event_id, ts, account_id, type, extra) VALUES (?, ?, ?, 'payment', ?)",
                             [.text("e\(i)"), .int(1_700_000_000_000 + Int64(i) * 1000), .text(r.account), r.extra.map { .text($0) } ?? .null])
            }
        }
        return s
    }

    func testSharesOtherMissingAndDistinctPerAccount() throws {
        // 100 events: product W on most, H on some, one rare value; "mail" a domain or absent.
        var rows: [(String, String?)] = []
        for i in 0..<100 {
            let product = i % 10 == 0 ? "H" : (i == 7 ? "Z" : "W")
            let mail = i % 3 == 0 ? "" : ",\"mail\":\"d\(i % 5 == 0 ? 0 : i % 2).com\""
            rows.append(("u\(i % 5)", "{\"product\":\"\(product)\"\(mail),\"n\":\(i)}"))
        }
        rows.append(("u9", nil))                                   // an account with no extra at all
        let s = try store(rows)
        let table = try EventTable.load(from: s.db)
        let keys = try CategoricalFeatures.keys(s.db)
        XCTAssertEqual(keys.map(\.name), ["mail", "product"], "numeric 'n' is not a text key")
        XCTAssertEqual(keys[1].values, ["W", "H"], "Z (1 %) is below the floor of 2 events")
        XCTAssertEqual(Set(keys[0].values), ["d0.com", "d1.com"])
        let names = CategoricalFeatures.names(keys)
        XCTAssertTrue(names.contains("extra_share:product=W"))
        XCTAssertTrue(names.contains("extra_other:product"))
        XCTAssertTrue(names.contains("extra_missing:mail"))
        XCTAssertTrue(names.contains("extra_distinct:mail"))
        XCTAssertEqual(CategoricalFeatures.keys(in: names), keys, "a stored model's names give back its keys and values")

        let x = try CategoricalFeatures.compute(s.db, table, names: names)
        func f(_ account: String, _ name: String) -> Float {
            let a = Int(table.accounts.lookup(account)!)
            return x[a * names.count + names.firstIndex(of: name)!]
        }
        // u0: events 0, 5, …, 95 — 20 events, H on 0,10,…,90 (10), W on the rest.
        XCTAssertEqual(f("u0", "extra_share:product=H"), 0.5)
        XCTAssertEqual(f("u0", "extra_share:product=W"), 0.5)
        // u2: events 2, 7, 12, …; 7 is the rare Z → other.
        XCTAssertEqual(f("u2", "extra_other:product"), 1.0 / 20, accuracy: 1e-6)
        // mail is absent on i % 3 == 0: u0 has 0, 15, 30, 45, 60, 75, 90 → 7 of 20.
        XCTAssertEqual(f("u0", "extra_missing:mail"), 7.0 / 20, accuracy: 1e-6)
        // u0 always writes d0.com; u1's events alternate parity → both domains.
        XCTAssertEqual(f("u0", "extra_distinct:mail"), 1)
        XCTAssertEqual(f("u1", "extra_distinct:mail"), 2)
        XCTAssertEqual(f("u9", "extra_missing:product"), 1, "no extra: all missing")
        XCTAssertEqual(f("u9", "extra_share:product=W"), 0)
    }

    func testHostileValuesNeverCrashAndAreBounded() throws {
        let huge = String(repeating: "x", count: 100_000)
        var rows: [(String, String?)] = []
        for i in 0..<200 {
            let v: String
            switch i % 8 {
            case 0: v = "{\"k\":\"\(huge)\"}"                          // a huge string
            case 1: v = "{\"k\":12}"                                    // a number in a text key
            case 2: v = "{\"k\":{\"nested\":[1,2,{\"a\":\"}\"}]}}"      // nested, with a brace in a string
            case 3: v = "{\"k\":null}"                                   // JSON null: missing
            case 4: v = "{\"other\":\"a\"}"                              // the key absent
            case 5: v = "{\"k\":\"esc\\\"aped\"}"                        // an escaped quote
            case 6: v = "{\"k\":\"A\", \"k\":\"B\"}"                     // a repeated key
            default: v = "{\"k\":\"A\""                                  // truncated JSON
            }
            rows.append(("u\(i % 4)", v))
        }
        rows.append(("u5", "not json at all"))
        rows.append(("u5", "[\"an\",\"array\"]"))
        let s = try store(rows)
        let table = try EventTable.load(from: s.db)
        let keys = try CategoricalFeatures.keys(s.db)
        let k = try XCTUnwrap(keys.first { $0.name == "k" })
        XCTAssertFalse(k.values.contains { $0.utf8.count > CategoricalFeatures.maxValueBytes }, "the huge value is never named")
        XCTAssertLessThanOrEqual(k.values.count, CategoricalFeatures.valuesPerKey)
        XCTAssertTrue(k.values.contains("A"))
        let names = CategoricalFeatures.names(keys)
        let x = try CategoricalFeatures.compute(s.db, table, names: names)
        XCTAssertEqual(x.count, table.accountCount * names.count)
        XCTAssertTrue(x.allSatisfy { $0.isFinite && $0 >= 0 })
        let shares = names.enumerated().filter { $0.element.hasPrefix("extra_share:") || $0.element.hasPrefix("extra_other:") || $0.element.hasPrefix("extra_missing:") }
        for a in 0..<table.accountCount { for (j, _) in shares { XCTAssertLessThanOrEqual(x[a * names.count + j], 1.0001) } }
        // u5's two events have no object: everything missing.
        let u5 = Int(table.accounts.lookup("u5")!)
        XCTAssertEqual(x[u5 * names.count + names.firstIndex(of: "extra_missing:k")!], 1)
    }

    func testKeysLeaveOutIdentifiersAndCapTheValues() throws {
        var rows: [(String, String?)] = []
        for i in 0..<300 { rows.append(("u\(i % 30)", "{\"order\":\"o\(i)\",\"colour\":\"c\(i % 20)\",\"plan\":\"basic\"}")) }
        let s = try store(rows)
        let keys = try CategoricalFeatures.keys(s.db)
        XCTAssertFalse(keys.contains { $0.name == "order" }, "one value per event: an identifier")
        XCTAssertFalse(keys.contains { $0.name == "plan" }, "one value everywhere: nothing to learn")
        let colour = try XCTUnwrap(keys.first { $0.name == "colour" })
        XCTAssertEqual(colour.values.count, CategoricalFeatures.valuesPerKey)
    }

    func testScannerReportsKindsAndStopsAtMalformedInput() {
        func members(_ s: String) -> [String] {
            var out: [String] = []
            let b = Array(s.utf8)
            b.withUnsafeBufferPointer { p in
                CategoricalFeatures.scan(p.baseAddress!, p.count) { k, kind, v in
                    out.append(String(decoding: UnsafeBufferPointer(start: k.0, count: k.1), as: UTF8.self) + "=\(kind):"
                               + String(decoding: UnsafeBufferPointer(start: v.0, count: v.1), as: UTF8.self))
                }
            }
            return out
        }
        XCTAssertEqual(members(#"{"a":"x","b":-1.5e3,"c":true,"d":null,"e":[1,{"f":"]"}],"g":"y"}"#),
                       ["a=string:x", "b=number:-1.5e3", "c=literal:true", "d=null:", #"e=nested:[1,{"f":"]"}]"#, "g=string:y"])
        XCTAssertEqual(members(#" { "a" : "x" , "b" : 2 } "#), ["a=string:x", "b=number:2"])
        XCTAssertEqual(members(#"{"a":"unterminated"#), [])
        XCTAssertEqual(members(#"{"a":"x","b"#), ["a=string:x"])
        XCTAssertEqual(members("{}"), [])
        XCTAssertEqual(members(""), [])
    }
}
