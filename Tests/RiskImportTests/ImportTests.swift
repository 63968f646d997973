import CZlib
import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

class ImportTestCase: XCTestCase {
    var dir: String!
    var storePath: String { dir + "/store.db" }

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdesk-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = dir + "/" + name
        XCTAssertNoThrow(try Data(text.utf8).write(to: URL(fileURLWithPath: p)), p)
        return p
    }
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let p = dir + "/" + name
        XCTAssertNoThrow(try Data(bytes).write(to: URL(fileURLWithPath: p)), p)
        return p
    }

    @discardableResult
    func importPaths(_ paths: [String], _ configure: (inout ImportOptions) -> Void = { _ in }) throws -> ImportSummary {
        var o = ImportOptions()
        o.batchRows = 3          // small batches: exercise the batch boundaries
        configure(&o)
        let plan = try ImportPlan(paths: paths, options: o)
        let store = try Store(path: storePath)
        return try Importer(store: store, options: o).run(plan)
    }

    func store() throws -> Store { try Store(path: storePath) }
    func rows(_ sql: String) throws -> [[SQLValue]] { try store().db.rows(sql) }
    func one(_ sql: String) throws -> SQLValue { try store().db.scalar(sql) }

    func gzip(_ data: [UInt8]) -> [UInt8] {
        var strm = z_stream()
        precondition(riskdesk_deflate_init2(&strm, 6) == Z_OK)
        var out = [UInt8](repeating: 0, count: data.count + 1024)
        var input = data
        let produced: Int = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                strm.next_in = inp.baseAddress
                strm.avail_in = uInt(inp.count)
                strm.next_out = o.baseAddress
                strm.avail_out = uInt(o.count)
                precondition(deflate(&strm, Z_FINISH) == Z_STREAM_END)
                return o.count - Int(strm.avail_out)
            }
        }
        deflateEnd(&strm)
        return Array(out[0..<produced])
    }
}

let header = "event_id,ts,account_id,type,device_id,ip,country,session_id,item_id,seller_id,order_id,quantity,amount,currency,coupon_id,payment_id,address_id,target_id,rating,status,text"

final class CSVImportTests: ImportTestCase {
    func testQuotedFieldsSurviveExactly() throws {
        let csv = header + "\n"
            + "e1,2026-03-01T12:00:00Z,a1,review,d1,10.0.0.1,ID,s1,i1,sel1,o1,,,,,,,,5,,\"Great, fast \"\"ship\"\"\nsecond line 👍 非常好\"\n"
            + "e2,2026-03-01T12:00:01Z,a1,view,d1,10.0.0.1,,s1,i1,sel1,,,,,,,,,,,\n"
            + "\"e3\",\"1772366402000\",\"a2\",\"message\",,,,,,,,,,,,,,a1,,,\"\"\"quoted\"\" start, and end \"\"\"\"\"\r\n"
        let p = write("events.csv", csv)
        let s = try importPaths([p])
        XCTAssertEqual(s.stored, 3)
        XCTAssertEqual(s.rejected, 0)
        XCTAssertEqual(try one("SELECT text FROM events WHERE event_id='e1'").string, "Great, fast \"ship\"\nsecond line 👍 非常好")
        XCTAssertEqual(try one("SELECT text FROM events WHERE event_id='e3'").string, "\"quoted\" start, and end \"\"")
        XCTAssertEqual(try one("SELECT rating FROM events WHERE event_id='e1'"), .int(5))
        XCTAssertEqual(try one("SELECT ts FROM events WHERE event_id='e3'"), .int(1_772_366_402_000))
        XCTAssertEqual(try one("SELECT target_id FROM events WHERE event_id='e3'").string, "a1")
        // Empty field = absent.
        XCTAssertEqual(try one("SELECT quantity IS NULL AND country IS NULL FROM events WHERE event_id='e2'"), .int(1))
    }

    func testBothTimestampFormsAndOffsetsGiveOneComparableForm() throws {
        let p = write("events.csv", header + "\n"
            + "e1,2026-03-01T12:34:56.789Z,a,login,,,,,,,,,,,,,,,,ok,\n"
            + "e2,2026-03-01T19:34:56.789+07:00,a,login,,,,,,,,,,,,,,,,ok,\n"
            + "e3,1772368496789,a,login,,,,,,,,,,,,,,,,ok,\n"
            + "e4,2026-03-01T12:34:56Z,a,login,,,,,,,,,,,,,,,,ok,\n")
        try importPaths([p])
        XCTAssertEqual(try rows("SELECT DISTINCT ts FROM events WHERE event_id IN ('e1','e2','e3')"), [[.int(1_772_368_496_789)]])
        XCTAssertEqual(try one("SELECT time FROM events_iso WHERE event_id='e2'").string, "2026-03-01T12:34:56.789Z")
        XCTAssertEqual(try one("SELECT ts FROM events WHERE event_id='e4'"), .int(1_772_368_496_000))
    }

    func testUnknownColumnsAreKeptAsJSON() throws {
        let p = write("events.csv", "event_id,ts,account_id,type,app_version,\"risk \"\"score\"\"\"\n"
            + "e1,0,a,view,3.2.1,\"x,\"\"y\"\"\"\n"
            + "e2,0,a,view,,\n")
        try importPaths([p])
        let extra = try one("SELECT extra FROM events WHERE event_id='e1'").string!
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(extra.utf8)) as? [String: String], extra)
        XCTAssertEqual(obj, ["app_version": "3.2.1", "risk \"score\"": "x,\"y\""])
        XCTAssertEqual(try one("SELECT extra FROM events WHERE event_id='e2'"), .null)
        XCTAssertEqual(try one("SELECT json_extract(extra, '$.app_version') FROM events WHERE event_id='e1'").string, "3.2.1")
    }

    func testEveryBadRowKindIsRejectedWithItsReasonAndTheImportGoesOn() throws {
        var csv = header + "\n"
        let good = { (id: String) in "\(id),2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\n" }
        csv += good("g1")                                                                  // line 2
        csv += "b1,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\"ab\"c\n"                // 3 text after closing quote
        csv += "b2,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,a\"b\n"                   // 4 quote in unquoted field
        csv += "b3,2026-03-01T12:00:00Z,a1,view\n"                                         // 5 too few fields
        csv += ",2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\n"                          // 6 missing event_id
        csv += "b5,,a1,view,,,,,,,,,,,,,,,,,\n"                                             // 7 missing ts
        csv += "b6,2026-03-01T12:00:00Z,,view,,,,,,,,,,,,,,,,,\n"                          // 8 missing account_id
        csv += "b7,2026-02-30T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\n"                        // 9 bad timestamp
        csv += "b8,2026-03-01T12:00:00Z,a1,order,,,,,,,,two,,,,,,,,,\n"                    // 10 bad integer
        csv += "b9,2026-03-01T12:00:00Z,a1,order,,,,,,,,,\"1,50\",,,,,,,,\n"               // 11 bad decimal
        csv += "b10,2026-03-01T12:00:00Z,a1,review,,,,,,,,,,,,,,,9,,\n"                    // 12 rating out of range
        csv += good("g2")                                                                  // 13
        var bytes = Array(csv.utf8)
        bytes += Array("b11,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,bad \u{FF}".utf8).map { $0 == 0xC3 ? 0xFF : $0 } // 14 invalid UTF-8
        bytes += [0x0A]
        bytes += Array(good("g3").utf8)                                                    // 15
        bytes += Array("b12,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\"never closed\n".utf8) // 16 unterminated
        let p = write("events.csv", bytes: bytes)
        let s = try importPaths([p])
        XCTAssertEqual(s.stored, 3)
        XCTAssertEqual(s.rowsRead, 15)
        XCTAssertEqual(s.rejected, 12)
        let rejects = try rows("SELECT line, reason, source, kind FROM rejects ORDER BY line")
        let byLine = Dictionary(uniqueKeysWithValues: rejects.map { (Int($0[0].int!), $0[1].string!) })
        func expect(_ line: Int, _ fragment: String) {
            XCTAssertTrue(byLine[line]?.contains(fragment) ?? false, "line \(line): \(byLine[line] ?? "not rejected") — expected \(fragment)")
        }
        expect(3, "broken quoting")
        expect(4, "broken quoting")
        expect(5, "expected 21 fields")
        expect(6, "missing event_id")
        expect(7, "missing ts")
        expect(8, "missing account_id")
        expect(9, "ts: not a timestamp")
        expect(10, "quantity: not an integer")
        expect(11, "amount: not a number")
        expect(12, "rating: 9 is outside 1-5")
        expect(14, "invalid UTF-8")
        expect(16, "unterminated quoted field")
        XCTAssertTrue(rejects.allSatisfy { $0[2].string == p && $0[3].string == "events" })
        // Kept verbatim: the raw text of line 3, and the invalid bytes as a BLOB.
        XCTAssertEqual(try one("SELECT raw FROM rejects WHERE line = 3").string, "b1,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\"ab\"c")
        XCTAssertEqual(try one("SELECT typeof(raw) FROM rejects WHERE line = 14").string, "blob")
        XCTAssertEqual(try rows("SELECT event_id FROM events ORDER BY event_id").map { $0[0].string! }, ["g1", "g2", "g3"])
        // The run's counters match.
        let run = try store().importRuns()[0]
        XCTAssertEqual(run.rowsRejected, 12)
        XCTAssertEqual(run.rowsStored, 3)
        XCTAssertEqual(run.status, "done")
    }

    func testAStrayQuoteDoesNotSwallowTheRestOfTheFile() throws {
        var csv = header + "\n"
        csv += "b1,2026-03-01T12:00:00Z,a1,review,,,,,,,,,,,,,,,5,,\"opened but the closing quote is lost\n"
        for i in 0..<50 { csv += "g\(i),2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,fine\n" }
        csv += "g50,2026-03-01T12:00:00Z,a1,review,,,,,,,,,,,,,,,5,,\"properly \"\"quoted\"\"\"\n"
        let s = try importPaths([write("events.csv", csv)])
        XCTAssertEqual(s.stored, 51)
        XCTAssertEqual(s.rejected, 1)
        XCTAssertEqual(try one("SELECT line FROM rejects"), .int(2))
    }

    func testMultiLineRecordsKeepLineNumbersRight() throws {
        let csv = header + "\n"
            + "e1,0,a,review,,,,,,,,,,,,,,,5,,\"one\ntwo\nthree\"\n"     // lines 2-4
            + "e2,0,a,view,,,,,,,,,,,,,,,,,\n"                          // line 5
            + "e3,nope,a,view,,,,,,,,,,,,,,,,,\n"                       // line 6
        try importPaths([write("events.csv", csv)])
        XCTAssertEqual(try one("SELECT line FROM rejects"), .int(6))
    }

    func testDuplicatesAreStoredOnceAndReimportChangesNothing() throws {
        let csv = header + "\n"
            + "e1,0,a,view,,,,,,,,,,,,,,,,,\n"
            + "e2,1,a,view,,,,,,,,,,,,,,,,,\n"
            + "e1,0,a,view,,,,,,,,,,,,,,,,,\n"          // delivered twice
            + "e3,zzz,a,view,,,,,,,,,,,,,,,,,\n"        // a reject
        let p = write("events.csv", csv)
        let first = try importPaths([p])
        XCTAssertEqual([first.stored, first.duplicate, first.rejected], [2, 1, 1])
        let changesBefore = try one("SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM rejects) || '/' || (SELECT sum(n_events) FROM accounts) || '/' || (SELECT sum(events) FROM links)")
        let again = try importPaths([p])
        XCTAssertEqual([again.stored, again.duplicate, again.rejected], [0, 3, 1])
        XCTAssertTrue(again.line.contains("nothing new"), again.line)
        XCTAssertEqual(again.files[0].rejectsAlreadyRecorded, 1)
        XCTAssertEqual(try one("SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM rejects) || '/' || (SELECT sum(n_events) FROM accounts) || '/' || (SELECT sum(events) FROM links)"), changesBefore)
    }

    func testHeaderWithoutRequiredColumnsIsAFileErrorAndTheStoreIsNotTouched() throws {
        let p = write("events.csv", "id,when,who\n1,2,3\n")
        XCTAssertThrowsError(try ImportPlan(paths: [p], options: ImportOptions())) { e in
            let msg = "\(e)"
            XCTAssertTrue(msg.contains(p) && msg.contains("event_id, ts, account_id"), msg)
        }
        XCTAssertThrowsError(try ImportPlan(paths: [write("events.csv", "event_id,ts,account_id,ts\n")], options: ImportOptions())) { e in
            XCTAssertTrue("\(e)".contains("names column 'ts' twice"), "\(e)")
        }
        XCTAssertThrowsError(try ImportPlan(paths: [dir + "/nope.csv"], options: ImportOptions())) { e in
            XCTAssertTrue("\(e)".contains("nope.csv: no such file"), "\(e)")
        }
        XCTAssertThrowsError(try ImportPlan(paths: [write("mystery.csv", "a,b\n")], options: ImportOptions())) { e in
            XCTAssertTrue("\(e)".contains("--kind"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: storePath))
    }

    func testEmptyFileAndBlankLinesAreFine() throws {
        let empty = write("events-empty.csv", "")
        let blank = write("events.csv", header + "\n\ne1,0,a,view,,,,,,,,,,,,,,,,,\n\n\n")
        let s = try importPaths([empty, blank])
        XCTAssertEqual(s.stored, 1)
        XCTAssertEqual(s.rejected, 0)
        XCTAssertTrue(s.skipped.contains { $0.contains("empty") })
    }

    func testByteOrderMarkAndCRLF() throws {
        let p = write("events.csv", bytes: [0xEF, 0xBB, 0xBF] + Array((header + "\r\ne1,0,a,view,,,,,,,,,,,,,,,,,last\r\n").utf8))
        try importPaths([p])
        XCTAssertEqual(try one("SELECT text FROM events WHERE event_id = 'e1'").string, "last")
    }
}

final class JSONLImportTests: ImportTestCase {
    func testValuesEscapesAndUnknownFields() throws {
        let jsonl = """
        {"event_id":"e1","ts":"2026-03-01T19:34:56.789+07:00","account_id":"a1","type":"review","rating":5,"amount":12.5,"quantity":"2","text":"line1\\nline2 \\"q\\" \\u00e9 \\ud83d\\ude00 👍","extra_obj":{"k":[1,2,{"x":"}"}]},"flag":true,"n":1e3,"nothing":null,"device_id":null}
        {"ts":1772368496789,"event_id":"e2","account_id":"a1","type":"view","item_id":"i1"}

          {"event_id":"e3","ts":"2026-03-01T12:34:56Z","account_id":"a2","type":"message","text":"tab\\there, comma, \\\\ backslash"}

        """
        let s = try importPaths([write("events.jsonl", jsonl)])
        XCTAssertEqual(s.stored, 3)
        XCTAssertEqual(s.rejected, 0)
        XCTAssertEqual(try one("SELECT text FROM events WHERE event_id='e1'").string, "line1\nline2 \"q\" é 😀 👍")
        XCTAssertEqual(try one("SELECT text FROM events WHERE event_id='e3'").string, "tab\there, comma, \\ backslash")
        XCTAssertEqual(try rows("SELECT ts, rating, amount, quantity, device_id FROM events WHERE event_id='e1'")[0],
                       [.int(1_772_368_496_789), .int(5), .double(12.5), .int(2), .null])
        XCTAssertEqual(try one("SELECT ts FROM events WHERE event_id='e2'"), .int(1_772_368_496_789))
        let extra = try one("SELECT extra FROM events WHERE event_id='e1'").string!
        // Non-strings kept as written; null dropped (absent and null mean the same).
        XCTAssertEqual(extra, "{\"extra_obj\":{\"k\":[1,2,{\"x\":\"}\"}]},\"flag\":true,\"n\":1e3}")
        XCTAssertEqual(try one("SELECT json_extract(extra, '$.extra_obj.k[2].x') FROM events WHERE event_id='e1'").string, "}")
    }

    /// A contract key given twice in one object was taken from its last value (the event
    /// silently attributed to the second account); now the line is a reject that says so.
    func testADuplicateContractKeyIsARejectNotAGuess() throws {
        let jsonl = """
        {"event_id":"d1","ts":0,"account_id":"a1","account_id":"a2","type":"login"}
        {"event_id":"d2","event_id":"d3","ts":0,"account_id":"a1","type":"login"}
        {"event_id":"d4","ts":0,"account_id":null,"account_id":"a4","type":"login","x":1,"x":2}
        {"event_id":"d5","ts":0,"account_id":"a5","type":"login"}
        {"event_id":"d6","ts":0,"account_id":"a6","device_id":"dev6","device_id":null,"type":"login"}

        """
        let s = try importPaths([write("events.jsonl", jsonl)])
        XCTAssertEqual(s.stored, 2)
        XCTAssertEqual(try rows("SELECT event_id, account_id FROM events ORDER BY 1"), [[.text("d4"), .text("a4")], [.text("d5"), .text("a5")]])
        XCTAssertEqual(try rows("SELECT line, reason FROM rejects ORDER BY line"),
                       [[.int(1), .text("duplicate key 'account_id'")], [.int(2), .text("duplicate key 'event_id'")],
                        [.int(5), .text("duplicate key 'device_id'")]])
    }

    func testBadLinesAreRejected() throws {
        var lines: [String] = []
        lines.append(#"{"event_id":"g1","ts":0,"account_id":"a","type":"view"}"#)              // 1
        lines.append(#"{"event_id":"b1","ts":0,"account_id":"a","type":"view""#)               // 2 unclosed
        lines.append(#"not json at all"#)                                                      // 3
        lines.append(#"["event_id","b3"]"#)                                                    // 4 array
        lines.append(#"{"event_id":"b4","ts":"later","account_id":"a"}"#)                      // 5 bad ts
        lines.append(#"{"event_id":"b5","account_id":"a"}"#)                                   // 6 missing ts
        lines.append(#"{"event_id":"b6","ts":0,"account_id":{"id":"a"}}"#)                     // 7 object for a field
        lines.append(#"{"event_id":"b7","ts":0,"account_id":"a","amount":"12,5"}"#)            // 8 bad decimal
        lines.append(#"{"event_id":"b8","ts":0,"account_id":"a","text":"bad \q escape"}"#)     // 9 bad escape
        lines.append(#"{"event_id":"b9","ts":0,"account_id":"a"} trailing"#)                   // 10 trailing text
        lines.append(#"{"event_id":"b10","ts":0,"account_id":"a","text":"\ud800"}"#)           // 11 lone surrogate
        lines.append(#"{"event_id":"b11","ts":0,"account_id":"a","quantity":1.5}"#)            // 12 not an integer
        lines.append(#"{"event_id":"g2","ts":1,"account_id":"a","type":"view"}"#)              // 13
        let s = try importPaths([write("events.jsonl", lines.joined(separator: "\n") + "\n")])
        XCTAssertEqual(s.stored, 2)
        XCTAssertEqual(s.rejected, 11)
        let reasons = Dictionary(uniqueKeysWithValues: try rows("SELECT line, reason FROM rejects").map { (Int($0[0].int!), $0[1].string!) })
        XCTAssertTrue(reasons[2]!.contains("invalid JSON"), reasons[2]!)
        XCTAssertTrue(reasons[3]!.contains("invalid JSON"), reasons[3]!)
        XCTAssertTrue(reasons[4]!.contains("not an object"), reasons[4]!)
        XCTAssertTrue(reasons[5]!.contains("ts: not a timestamp"), reasons[5]!)
        XCTAssertTrue(reasons[6]!.contains("missing ts"), reasons[6]!)
        XCTAssertTrue(reasons[7]!.contains("account_id"), reasons[7]!)
        XCTAssertTrue(reasons[8]!.contains("amount: not a number"), reasons[8]!)
        XCTAssertTrue(reasons[9]!.contains("bad escape"), reasons[9]!)
        XCTAssertTrue(reasons[10]!.contains("text after the object"), reasons[10]!)
        XCTAssertTrue(reasons[11]!.contains("surrogate"), reasons[11]!)
        XCTAssertTrue(reasons[12]!.contains("quantity: not an integer"), reasons[12]!)
        XCTAssertEqual(try one("SELECT raw FROM rejects WHERE line = 3").string, "not json at all")
    }

    func testInvalidUTF8LineIsRejectedVerbatim() throws {
        var bytes = Array(#"{"event_id":"g1","ts":0,"account_id":"a"}"#.utf8) + [10]
        bytes += Array(#"{"event_id":"b1","ts":0,"account_id":"a","text":"x"#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8) + [10]
        bytes += Array(#"{"event_id":"b2","ts":0,"account_id":"a","text":"x"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8) + [10]
        let s = try importPaths([write("events.jsonl", bytes: bytes)])
        XCTAssertEqual([s.stored, s.rejected], [1, 2])
        XCTAssertEqual(try rows("SELECT DISTINCT reason, typeof(raw) FROM rejects"), [[.text("invalid UTF-8"), .text("blob")]])
    }
}

final class SourcesImportTests: ImportTestCase {
    func testGzipIsDetectedWhateverTheName() throws {
        let csv = header + "\ne1,0,a,view,,,,,,,,,,,,,,,,,\ne2,0,a,view,,,,,,,,,,,,,,,,,\n"
        let p1 = write("events.csv.gz", bytes: gzip(Array(csv.utf8)))
        let s = try importPaths([p1])
        XCTAssertEqual(s.stored, 2)
        // Concatenated members (cat a.gz b.gz) are one stream.
        let more = "event_id,ts,account_id\ne3,0,a\n"
        let p2 = write("events-more.csv.gz", bytes: gzip(Array(more.utf8.prefix(22))) + gzip(Array(more.utf8.dropFirst(22))))
        XCTAssertEqual(try importPaths([p2]).stored, 1)
        XCTAssertEqual(try one("SELECT count(*) FROM events"), .int(3))
    }

    // A truncated or corrupt gzip: HostileInputTests.testATruncatedGzipKeepsEveryRowBeforeTheBreakAndTheNextFileIsRead.

    func testFolderImportRecognisesFilesAndSkipsOthers() throws {
        let sub = dir + "/export"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        try Data("account_id,created_at,kind,country,email,phone,tier\na1,2025-01-01T00:00:00Z,buyer,ID,Jo.Doe@Example.COM,+62123,gold\n".utf8)
            .write(to: URL(fileURLWithPath: sub + "/accounts.csv"))
        try Data(#"{"item_id":"i1","seller_id":"s1","title":"Mug","price":"9.90","currency":"USD","limited":true,"drop_at":"2026-03-01T12:00:00Z"}"#.utf8)
            .write(to: URL(fileURLWithPath: sub + "/items.jsonl"))
        try Data((header + "\ne1,2026-03-01T12:00:03Z,a1,order,d1,1.2.3.4,,,i1,s1,o1,1,9.90,USD,,,,,,,\ne2,2026-03-01T12:00:04Z,a9,view,d1,,,,i1,s1,,,,,,,,,,,\n").utf8)
            .write(to: URL(fileURLWithPath: sub + "/events.csv"))
        try Data("hello".utf8).write(to: URL(fileURLWithPath: sub + "/README.txt"))
        var notes: [String] = []
        let s = try importPaths([sub]) { $0.note = { notes.append($0) } }
        XCTAssertEqual(s.files.map(\.kind), [.accounts, .items, .events])
        XCTAssertTrue(notes.contains { $0.contains("README.txt") }, "\(notes)")
        XCTAssertEqual(try rows("SELECT kind, country, email, json_extract(extra,'$.tier'), in_profile FROM accounts WHERE account_id='a1'")[0],
                       [.text("buyer"), .text("ID"), .text("Jo.Doe@Example.COM"), .text("gold"), .int(1)])
        XCTAssertEqual(try rows("SELECT price, limited, drop_at FROM items")[0], [.double(9.9), .int(1), .int(1_772_366_400_000)])
        // Event-only accounts get a row too, with activity stats.
        XCTAssertEqual(try rows("SELECT account_id, in_profile, n_events, first_seen FROM accounts WHERE account_id='a9'")[0],
                       [.text("a9"), .int(0), .int(1), .int(1_772_366_404_000)])
        XCTAssertEqual(try one("SELECT value FROM links WHERE kind='email_domain' AND account_id='a1'").string, "example.com")
        // Order events link buyer to item and seller; views don't.
        XCTAssertEqual(try rows("SELECT kind, account_id FROM links WHERE value IN ('i1','s1') ORDER BY kind"),
                       [[.text("item"), .text("a1")], [.text("seller"), .text("a1")]])
        XCTAssertEqual(try rows("SELECT account_id, events FROM links WHERE kind='device' AND value='d1' ORDER BY 1"),
                       [[.text("a1"), .int(1)], [.text("a9"), .int(1)]])
    }

    func testAccountsReimportAndUpdate() throws {
        let a = write("accounts.csv", "account_id,kind,email\na1,buyer,x@y.com\na2,seller,\n")
        XCTAssertEqual(try importPaths([a]).stored, 2)
        let same = try importPaths([a])
        XCTAssertEqual([same.stored, same.updated, same.duplicate], [0, 0, 2])
        let changed = write("accounts.csv", "account_id,kind,email\na1,buyer,new@z.org\n")
        XCTAssertEqual(try importPaths([changed]).updated, 1)
        XCTAssertEqual(try rows("SELECT value FROM links WHERE kind='email_domain' AND account_id='a1'"), [[.text("z.org")]])
    }

    func testLinksAggregateAcrossBatchesAndDuplicates() throws {
        var csv = header + "\n"
        for i in 0..<10 { csv += "e\(i),\(1000 + i),acc\(i % 2),login,shared,10.0.0.\(i % 3),,,,,,,,,,,,,,ok,\n" }
        csv += "e3,1003,acc1,login,shared,10.0.0.0,,,,,,,,,,,,,,ok,\n"     // duplicate, not counted again
        try importPaths([write("events.csv", csv)])
        XCTAssertEqual(try rows("SELECT account_id, events, first_ts, last_ts FROM links WHERE kind='device' AND value='shared' ORDER BY 1"),
                       [[.text("acc0"), .int(5), .int(1000), .int(1008)], [.text("acc1"), .int(5), .int(1001), .int(1009)]])
        XCTAssertEqual(try one("SELECT sum(events) FROM links WHERE kind='ip'"), .int(10))
        XCTAssertEqual(try rows("SELECT n_events, first_seen, last_seen FROM accounts WHERE account_id='acc1'")[0], [.int(5), .int(1001), .int(1009)])
    }

    func testStagedLinksMergeToWhatRowByRowUpsertsMake() throws {
        // Seeded draws: accounts, devices, IPs, items and duplicates spread over batches.
        var state: UInt64 = 17
        func draw(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int((state >> 33) % UInt64(n)) }
        var csv = header + "\n"
        for i in 0..<3000 {
            let id = draw(10) == 0 ? "e\(draw(i + 1))" : "e\(i)"        // about one in ten a duplicate delivery
            let type = ["view", "order", "login"][draw(3)]
            csv += "\(id),\(1000 + draw(100_000)),acc\(draw(40)),\(type),d\(draw(30)),10.0.\(draw(4)).\(draw(9)),,,it\(draw(50)),s\(draw(7)),,,,,,,,,,ok,\n"
        }
        let events = write("events.csv", csv)
        let accounts = write("accounts.csv", "account_id,kind,email\nacc1,buyer,x@y.com\nacc99,seller,\n")
        let dump = "SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY 1, 2, 3"
        let acc = "SELECT account_id, n_events, first_seen, last_seen, first_run, in_profile FROM accounts ORDER BY 1"
        // Row by row (keep), twice: the second import finds every row a duplicate.
        try importPaths([accounts, events]) { $0.indexMode = .keep; $0.batchRows = 97 }
        try importPaths([events]) { $0.indexMode = .keep; $0.batchRows = 97 }
        let (links1, accounts1) = (try rows(dump), try rows(acc))
        XCTAssertGreaterThan(links1.count, 500)
        try FileManager.default.removeItem(atPath: storePath)
        // Staged (rebuild), in two imports over a store that already holds rows.
        try importPaths([accounts, events]) { $0.indexMode = .rebuild; $0.batchRows = 97 }
        XCTAssertEqual(try one("SELECT count(*) FROM links_pending"), .int(0), "merged at the end")
        try importPaths([events]) { $0.indexMode = .rebuild; $0.batchRows = 97 }
        XCTAssertEqual(try rows(dump), links1)
        XCTAssertEqual(try rows(acc), accounts1)
        XCTAssertEqual(try one("SELECT sum(n_events) FROM accounts"), try one("SELECT count(*) FROM events"))
    }

    func testALargeImportLeavesTheFileNoBiggerThanItsPagesInUse() throws {
        // Links and account activity staged in `links_pending` batch by batch (each row its own
        // device, IP and item, so the staging outgrows what is built after it), then merged and
        // emptied: the free pages are given back, on a fresh store and on top of a loaded one.
        func events(_ range: Range<Int>) -> String {
            var csv = header + "\n"
            for i in range {
                csv += "e\(i),\(1000 + i),acc\(i % 50),order,dev-\(i)-\(String(repeating: "x", count: 40)),10.\(i / 65536).\(i / 256 % 256).\(i % 256),,,item-\(i)-\(String(repeating: "y", count: 40)),s\(i % 7),,,,,coupon-\(i),pay-\(i),addr-\(i),,,ok,\n"
            }
            return csv
        }
        let first = write("events-1.csv", events(0..<4000)), second = write("events-2.csv", events(4000..<7000))
        func pages() throws -> (free: Int64, count: Int64, fileBytes: Int64) {
            let s = try store()
            let r = (try s.db.int("PRAGMA freelist_count"), try s.db.int("PRAGMA page_count") * s.db.int("PRAGMA page_size"))
            try s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
            let size = (try FileManager.default.attributesOfItem(atPath: storePath)[.size] as? NSNumber)?.int64Value ?? -1
            return (r.0, r.1, size)
        }
        // Staged as `links_pending` rows (v16's way): packed staging (v17) takes a few pages, and
        // what is tested is that whatever the staging freed is given back.
        for (n, path) in [first, second].enumerated() {
            try importPaths([path]) { $0.indexMode = .rebuild; $0.batchRows = 97; $0.packStagedLinks = false }
            XCTAssertEqual(try one("SELECT count(*) FROM links_pending"), .int(0))
            let p = try pages()
            XCTAssertEqual(p.free, 0, "import \(n + 1): no free page left")
            XCTAssertEqual(p.fileBytes, p.count, "import \(n + 1): the file is its pages in use")
        }
        XCTAssertEqual(try one("SELECT count(*) FROM events"), .int(7000))
        XCTAssertEqual(try one("SELECT count(*) FROM links WHERE kind = 'device'"), .int(7000))
        XCTAssertEqual(try one("SELECT sum(n_events) FROM accounts"), .int(7000))
        XCTAssertEqual(try one("PRAGMA integrity_check"), .text("ok"))

        // The same imports into a store made without auto_vacuum (as before this build) leave
        // free pages: what the test above guards against is there to be left.
        try FileManager.default.removeItem(atPath: storePath)
        let old = try store()
        try old.db.exec("PRAGMA journal_mode = DELETE; PRAGMA auto_vacuum = NONE; VACUUM; PRAGMA journal_mode = WAL")
        XCTAssertEqual(try old.db.int("PRAGMA auto_vacuum"), 0)
        try importPaths([first]) { $0.indexMode = .rebuild; $0.batchRows = 97; $0.packStagedLinks = false }
        XCTAssertGreaterThan(try pages().free, 0)
    }

    func testADayInOneBigBatchMakesWhatSmallBatchesMake() throws {
        // The daily case: a day's file (over ~20k estimated rows: long texts) into a store that
        // holds the other days commits in one 250k-row batch, writing its links mid-batch
        // whenever the aggregate grows past linkFlushEntries; the same as 97-row batches.
        var state: UInt64 = 23
        func draw(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int((state >> 33) % UInt64(n)) }
        func events(_ range: Range<Int>, pad: Int) -> String {
            var csv = header + "\n"
            for i in range {
                let id = draw(10) == 0 ? "e\(draw(i + 1))" : "e\(i)"
                let type = ["view", "order", "login"][draw(3)]
                csv += "\(id),\(1000 + i * 10 + draw(10)),acc\(draw(60)),\(type),d\(draw(40)),10.0.\(draw(4)).\(draw(9)),,,it\(draw(50)),s\(draw(7)),,,,,,,,,,ok,\(String(repeating: "x", count: pad))\n"
            }
            return csv
        }
        let days = write("events-days.csv", events(0..<1500, pad: 0))
        let day = write("events-day.csv", events(1500..<3500, pad: 1800))
        XCTAssertGreaterThan(try FileManager.default.attributesOfItem(atPath: day)[.size] as! Int, 160 * Int(Importer.dailyBatchFromRows))
        let dump = "SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY 1, 2, 3"
        let acc = "SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY 1"
        try importPaths([days]) { $0.batchRows = 97; $0.autoBatch = false }
        let small = try importPaths([day]) { $0.batchRows = 97; $0.autoBatch = false }
        let (links1, accounts1, n1) = (try rows(dump), try rows(acc), try one("SELECT count(*) FROM events"))
        XCTAssertGreaterThan(links1.count, 500)
        try FileManager.default.removeItem(atPath: storePath)
        try importPaths([days]) { $0.batchRows = 97; $0.autoBatch = false }
        let big = try importPaths([day]) { $0.batchRows = 97; $0.linkFlushEntries = 64 }
        XCTAssertEqual(big.stored, small.stored)
        XCTAssertEqual(big.duplicate, small.duplicate)
        XCTAssertEqual(try one("SELECT count(*) FROM events"), n1)
        XCTAssertEqual(try rows(dump), links1)
        XCTAssertEqual(try rows(acc), accounts1)
        XCTAssertEqual(try one("SELECT sum(n_events) FROM accounts"), try one("SELECT count(*) FROM events"))
    }

    func testPendingLinksAKilledImportLeftAreMergedOnTheNextOpen() throws {
        var csv = header + "\n"
        for i in 0..<10 { csv += "e\(i),\(1000 + i),acc\(i % 2),login,shared,,,,,,,,,,,,,,,ok,\n" }
        try importPaths([write("events.csv", csv)]) { $0.indexMode = .keep }
        let want = try rows("SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY 1, 2, 3")
        let wantAccounts = try rows("SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY 1")
        // What a killed staged import leaves: its batches' events stored, their counts staged.
        try FileManager.default.removeItem(atPath: storePath)
        do {
            let s = try store()
            try s.db.exec("""
                INSERT INTO import_runs(id, started_at, sources, pid) VALUES (1, 0, '[]', 0);
                INSERT INTO idents(v) VALUES ('acc0'), ('acc1'), ('shared');
                -- v16: staged by id (kind 0: an account's activity).
                INSERT INTO links_pending SELECT k, (SELECT id FROM idents WHERE v = val), (SELECT id FROM idents WHERE v = acc), n, f, l, 1 FROM (
                  SELECT (SELECT code FROM link_kinds WHERE kind = 'device') AS k, 'shared' AS val, 'acc0' AS acc, 3 AS n, 1000 AS f, 1004 AS l
                  UNION ALL SELECT (SELECT code FROM link_kinds WHERE kind = 'device'), 'shared', 'acc0', 2, 1006, 1008
                  UNION ALL SELECT (SELECT code FROM link_kinds WHERE kind = 'device'), 'shared', 'acc1', 5, 1001, 1009);
                INSERT INTO links_pending SELECT 0, 0, id, 5, 1000 + (v = 'acc1'), 1008 + (v = 'acc1'), 1 FROM idents WHERE v IN ('acc0', 'acc1');
                DROP INDEX idx_links_account;
                """)
        }
        let readOnly = try Store(path: storePath, readOnly: true)
        XCTAssertEqual(try readOnly.db.int("SELECT count(*) FROM links_pending"), 5, "a reader changes nothing")
        let s = try store()
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending"), 0)
        XCTAssertEqual(try s.db.rows("SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY 1, 2, 3"), want)
        XCTAssertEqual(try s.db.rows("SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY 1"), wantAccounts)
        XCTAssertEqual(try s.missingIndexes(), [])
        XCTAssertEqual(try s.db.scalar("SELECT status FROM import_runs WHERE id = 1").string, "interrupted")
    }

    func testBulkModeRebuildsIndexesAndReturnsToWAL() throws {
        var csv = header + "\n"
        for i in 0..<500 { csv += "e\(i),\(i),a\(i % 13),view,d\(i % 5),,,,,,,,,,,,,,,,\n" }
        let s = try importPaths([write("events.csv", csv)]) { $0.indexMode = .rebuild }
        XCTAssertTrue(s.bulkIndexes)
        XCTAssertEqual(s.stored, 500)
        let st = try store()
        XCTAssertEqual(try st.missingIndexes(), [])
        XCTAssertEqual(try st.db.scalar("PRAGMA journal_mode").string, "wal")
        XCTAssertEqual(try st.db.scalar("PRAGMA integrity_check").string, "ok")
        XCTAssertTrue(try st.db.rows("EXPLAIN QUERY PLAN SELECT * FROM events WHERE account_id = 'a1' ORDER BY ts")
            .contains { $0[3].string?.contains("idx_events_account_ts") ?? false })
    }

    /// `import --follow PATH` on a thread: stop it with `stop`, wait for `done`, then read `result`.
    func follow(_ p: String) throws -> (stop: StopFlag, done: XCTestExpectation, result: ResultBox) {
        var o = ImportOptions()
        o.follow = true
        o.pollInterval = 0.02
        o.commitInterval = 0.05
        let stop = StopFlag()
        o.shouldStop = { stop.value }
        let plan = try ImportPlan(paths: [p], options: o)
        let importer = Importer(store: try Store(path: storePath), options: o)
        let done = expectation(description: "import returns")
        let result = ResultBox()
        let thread = Thread {
            result.summary = try? importer.run(plan)
            done.fulfill()
        }
        thread.start()
        return (stop, done, result)
    }

    /// Waits (10 s at most) until `sql` counts `n`.
    func waitFor(_ n: Int64, _ sql: String = "SELECT count(*) FROM events", file: StaticString = #filePath, line: UInt = #line) {
        func count() -> Int64 { (try? Store(path: storePath, readOnly: true).db.int(sql)) ?? -1 }
        let deadline = Date().addingTimeInterval(10)
        while count() != n && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(count(), n, sql, file: file, line: line)
    }

    func testFollowReadsAGrowingFileUntilStopped() throws {
        let p = write("events.jsonl", #"{"event_id":"e1","ts":0,"account_id":"a"}"# + "\n" + #"{"event_id":"e2","ts":1,"acc"#)
        let (stop, done, result) = try follow(p)
        waitFor(1)                         // e2's line is still incomplete
        let h = FileHandle(forWritingAtPath: p)!
        h.seekToEndOfFile()
        h.write(Data((#"ount_id":"a"}"# + "\n").utf8))
        waitFor(2)
        h.write(Data((#"{"event_id":"e3","ts":2,"account_id":"b"}"# + "\n").utf8))
        h.closeFile()
        waitFor(3)
        stop.value = true
        wait(for: [done], timeout: 10)
        XCTAssertEqual(result.summary?.stored, 3)
        XCTAssertEqual(result.summary?.status, "done")   // stopping is how a follow ends
    }
}

extension SourcesImportTests {
    /// `--follow` over a CSV that is rotated (replaced by a new file): the new file's header is
    /// read as a header — mapped anew, as a rotated export may order its columns differently —
    /// not rejected as a row (it was: "ts: not a timestamp: 'ts'", and every row after it read
    /// through the old column order); a reject's line counts from the new file's start.
    func testFollowReadsARotatedCSVsHeaderAgainAndCountsItsLinesAfresh() throws {
        let p = write("events.csv", "event_id,ts,account_id,type\nf1,0,a1,login\nf2,1,a2,login\n")
        let (stop, done, result) = try follow(p)
        waitFor(2)
        // Rotated: a new file (a new inode) in its place, its columns in another order.
        let rotated = write("events.csv.new", "account_id,type,ts,event_id\nb3,login,2,f3\nb4,login,not-a-time,f4\nb5,logout,5,f5\n")
        XCTAssertEqual(rename(rotated, p), 0)
        waitFor(4)
        waitFor(1, "SELECT count(*) FROM rejects")
        stop.value = true
        wait(for: [done], timeout: 10)
        let st = try Store(path: storePath, readOnly: true)
        XCTAssertEqual(try st.db.rows("SELECT event_id, account_id, ts, type FROM events WHERE event_id IN ('f3', 'f5') ORDER BY 1").map { $0.map(\.description) },
                       [["f3", "b3", "2", "login"], ["f5", "b5", "5", "logout"]])
        let r = try st.db.rows("SELECT line, reason FROM rejects")
        XCTAssertEqual(r.first?[0].int, 3)
        XCTAssertTrue(r.first?[1].string?.contains("not-a-time") == true, "\(r)")
        XCTAssertEqual(result.summary?.status, "done")
    }
}

final class ResultBox: @unchecked Sendable { var summary: ImportSummary? }

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var v = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}
