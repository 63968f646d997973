import CZlib
import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// The hostile-input pass of issue 15, one test per defect: each failed before its fix.
final class HostileInputTests: ImportTestCase {
    func ev(_ id: String, ts: String = "2026-03-01T12:00:00Z", account: String = "a1", extra: String = "") -> String {
        #"{"event_id":"\#(id)","ts":"\#(ts)","account_id":"\#(account)","type":"view"\#(extra)}"#
    }
    func reasons() throws -> [Int: String] {
        Dictionary(uniqueKeysWithValues: try rows("SELECT line, reason FROM rejects").map { (Int($0[0].int!), $0[1].string!) })
    }

    func testTimesOutsideTheWindowAreRejectedWithTheWindowNamed() throws {
        let lines = [
            ev("g1"),                                                               // 1 fine
            #"{"event_id":"b1","ts":99999999999999999,"account_id":"a1"}"#,         // 2 epoch ms in year 3 million
            ev("b2", ts: "9999-12-31T23:59:59Z"),                                   // 3
            ev("b3", ts: "1969-12-31T23:59:59Z"),                                   // 4 before 1970
            #"{"event_id":"b4","ts":-1,"account_id":"a1"}"#,                         // 5
            ev("g2", ts: "1970-01-01T00:00:00Z"),                                   // 6 the window's first instant
        ]
        let s = try importPaths([write("events.jsonl", lines.joined(separator: "\n") + "\n")])
        XCTAssertEqual([s.stored, s.rejected, s.rowsRead], [2, 4, 6])
        let r = try reasons()
        for line in 2...5 {
            XCTAssertTrue(r[line]!.contains("ts: ") && r[line]!.contains("outside the accepted time window 1970-01-01 – "), r[line]!)
        }
        XCTAssertTrue(r[3]!.contains("9999-12-31T23:59:59.000Z"), r[3]!)
        XCTAssertTrue(r[2]!.contains("3170843-"), "the year is printed whole: \(r[2]!)")
        // The window is configurable, and applies to every time field (accounts' created_at too).
        let acc = write("accounts.csv", "account_id,created_at\nx1,2500-01-01T00:00:00Z\nx2,2020-01-01T00:00:00Z\n")
        let s2 = try importPaths([acc])
        XCTAssertEqual([s2.stored, s2.rejected], [1, 1])
        let s3 = try importPaths([acc]) { $0.timeWindow = Timestamp.Window(from: 0, to: Timestamp.parse("2600-01-01T00:00:00Z")!) }
        XCTAssertEqual(s3.stored, 1)
        XCTAssertEqual(try one("SELECT count(*) FROM accounts WHERE account_id IN ('x1','x2')"), .int(2))
    }

    func testYearsPrintWithAllTheirDigits() {
        XCTAssertEqual(Timestamp.iso(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.iso(Timestamp.parse("9999-12-31T23:59:59Z")!), "9999-12-31T23:59:59.000Z")
        XCTAssertEqual(Timestamp.iso(Timestamp.parse("9999-12-31T23:59:59Z")! + 1000), "10000-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.iso(99_999_999_999_999_999), "3170843-11-07T09:46:39.999Z")
        XCTAssertEqual(Timestamp.short(99_999_999_999_999_999), "3170843-11-07 09:46:39")
        XCTAssertEqual(Timestamp.iso(-62_167_219_200_001), "-0001-12-31T23:59:59.999Z")
        XCTAssertFalse(Timestamp.iso(Int64.max).isEmpty)
        XCTAssertFalse(Timestamp.iso(Int64.min).isEmpty)
    }

    func testEmptyBlankAndNULIdsAreRejectedInEveryFormat() throws {
        let jsonl = [
            ev(""),                                        // 1 empty event_id
            ev("   "),                                     // 2 blank
            ev("j1", account: ""),                         // 3
            ev("j2", account: " \\t "),                    // 4 blank with an escaped tab
            ev("j3", account: "\\u0000"),                  // 5 a NUL in an id
            ev("j4"), ev(""),                              // 6 fine, 7 empty again: a reject, not a "duplicate"
        ]
        let s = try importPaths([write("events.jsonl", jsonl.joined(separator: "\n") + "\n")])
        XCTAssertEqual([s.stored, s.duplicate, s.rejected], [1, 0, 6])
        var r = try reasons()
        XCTAssertEqual(r[1], "event_id is empty")
        XCTAssertEqual(r[2], "event_id is blank (only spaces)")
        XCTAssertEqual(r[3], "account_id is empty")
        XCTAssertEqual(r[4], "account_id is blank (only spaces)")
        XCTAssertEqual(r[5], "account_id: contains a NUL byte")
        XCTAssertEqual(r[7], "event_id is empty")

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }
        var csv = Array((header + "\n").utf8)
        csv += Array("  ,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\n".utf8)        // 2 blank event_id
        csv += Array("c1,2026-03-01T12:00:00Z,\t,view,,,,,,,,,,,,,,,,,\n".utf8)          // 3 blank account_id
        csv += Array("c2".utf8) + [0] + Array(",2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\n".utf8)  // 4 NUL
        csv += Array("c3,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\n".utf8)          // 5 fine
        let s2 = try importPaths([write("events.csv", bytes: csv)])
        XCTAssertEqual([s2.stored, s2.rejected], [1, 3])
        r = try reasons()
        XCTAssertEqual(r[2], "event_id is blank (only spaces)")
        XCTAssertEqual(r[3], "account_id is blank (only spaces)")
        XCTAssertEqual(r[4], "event_id: contains a NUL byte")
        XCTAssertEqual(try one("SELECT count(*) FROM accounts WHERE trim(account_id) = ''"), .int(0))
        // The profile files too.
        let s3 = try importPaths([write("accounts.jsonl", #"{"account_id":" "}"# + "\n" + #"{"account_id":"ok"}"# + "\n")])
        XCTAssertEqual([s3.stored, s3.rejected], [1, 1])
    }

    func testExtraHoldsOnlyJSONSQLiteCanRead() throws {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        let fine = String(repeating: "[", count: 999) + String(repeating: "]", count: 999)
        let lines = [
            ev("b1", extra: #","x":[1,2}"#),             // 1 mismatched brackets
            ev("b2", extra: #","x":01"#),                // 2 leading zero
            ev("b3", extra: #","x":1."#),                // 3 no digits after the point
            ev("b4", extra: ",\"x\":\(deep)"),           // 4 1,001 levels with extra's own object
            ev("b5", extra: #","x":1e999"#),             // 5 not a finite number
            ev("b6", extra: #","x":{"a":[1,"\q"]}"#),    // 6 a bad escape inside
            ev("b7", extra: #","x":{"a" 1}"#),           // 7
            ev("g1", extra: #","x":{"a":[1,2.5e3,-0,"s\"}",true,null,{}]},"y":-12.75e-3"#),
            ev("g2", extra: ",\"x\":\(fine)"),            // 1,000 levels in all: SQLite reads it
            ev("g3", extra: #","x":"01","n":0"#),
        ]
        let s = try importPaths([write("events.jsonl", lines.joined(separator: "\n") + "\n")])
        XCTAssertEqual([s.stored, s.rejected], [3, 7])
        let r = try reasons()
        XCTAssertTrue(r[1]!.contains("field 'x': invalid JSON: expected ',' or ']'"), r[1]!)
        XCTAssertTrue(r[2]!.contains("bad number '01'"), r[2]!)
        XCTAssertTrue(r[3]!.contains("bad number '1.'"), r[3]!)
        XCTAssertTrue(r[4]!.contains("nested deeper than 1,000 levels"), r[4]!)
        XCTAssertTrue(r[5]!.contains("field 'x': number out of range"), r[5]!)
        XCTAssertTrue(r[6]!.contains("field 'x': invalid JSON: bad escape"), r[6]!)
        XCTAssertTrue(r[7]!.contains("field 'x': invalid JSON: expected ':'"), r[7]!)
        // json_extract over the whole table works, and every stored extra is valid JSON.
        XCTAssertEqual(try one("SELECT count(*) FROM events WHERE json_valid(extra)"), .int(3))
        XCTAssertEqual(try rows("SELECT json_extract(extra, '$.x') IS NOT NULL FROM events ORDER BY event_id").count, 3)
        XCTAssertEqual(try one("SELECT json_extract(extra, '$.y') FROM events WHERE event_id = 'g1'"), .double(-0.01275))
    }

    /// Decompresses what zlib can of a (possibly broken) gzip stream.
    func gunzipPrefix(_ gz: [UInt8]) -> [UInt8] {
        var strm = z_stream()
        precondition(riskdesk_inflate_init2(&strm, 15 + 32) == Z_OK)
        var out = [UInt8](repeating: 0, count: gz.count * 20 + 1024)
        var input = gz
        let n: Int = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                strm.next_in = inp.baseAddress; strm.avail_in = uInt(inp.count)
                strm.next_out = o.baseAddress; strm.avail_out = uInt(o.count)
                _ = inflate(&strm, Z_NO_FLUSH)
                return o.count - Int(strm.avail_out)
            }
        }
        inflateEnd(&strm)
        return Array(out[0..<n])
    }

    func testATruncatedGzipKeepsEveryRowBeforeTheBreakAndTheNextFileIsRead() throws {
        var csv = header + "\n"
        for i in 0..<3000 { csv += "e\(i),\(i),a\(i % 7),view,d\(i % 3),,,,,,,,,,,,,,,,some text to make it longer \(i)\n" }
        let gz = gzip(Array(csv.utf8))
        let cut = Array(gz.prefix(gz.count * 2 / 3))
        let decoded = gunzipPrefix(cut)
        let wholeLines = decoded.split(separator: 10, omittingEmptySubsequences: false).count - 1 - 1   // minus header, minus the partial
        let truncated = write("events-1.csv.gz", bytes: cut)
        let next = write("events-2.csv", header + "\nn1,5,a1,view,,,,,,,,,,,,,,,,,\n")
        let s = try importPaths([truncated, next]) { $0.batchRows = 100 }
        XCTAssertEqual(s.status, "done")
        XCTAssertEqual(s.files[0].stored, Int64(wholeLines), "every whole row before the break is kept")
        XCTAssertEqual(s.files[1].stored, 1, "the file after the broken one is imported")
        XCTAssertEqual(try one("SELECT count(*) FROM events"), .int(Int64(wholeLines + 1)))
        let rej = try rows("SELECT source, line, reason, length(raw) FROM rejects")
        XCTAssertEqual(rej.count, 1)
        let reason = rej[0][2].string!
        XCTAssertTrue(rej[0][0].string!.hasSuffix("events-1.csv.gz"))
        XCTAssertEqual(rej[0][1].int, Int64(wholeLines + 2), "the line after the last whole one")
        XCTAssertTrue(reason.contains("gzip stream is truncated") && reason.contains("compressed byte \(cut.count.grouped)"), reason)
        let lastNewline = decoded.lastIndex(of: 10)! + 1
        XCTAssertTrue(reason.contains("decompressed byte \(lastNewline.grouped)"), reason)
        XCTAssertEqual(rej[0][3].int, Int64(decoded.count - lastNewline), "the cut-off line is kept as the raw text")
        XCTAssertEqual(s.rowsRead, s.stored + s.rejected)
        // Running it again stores nothing new, and says so truly (no "run again to finish").
        let again = try importPaths([truncated]) { $0.batchRows = 100 }
        XCTAssertEqual(again.stored, 0)

        // Corrupt data in the middle: the rows before it are kept too.
        var corrupt = gz
        for i in (gz.count / 2)..<(gz.count / 2 + 64) { corrupt[i] ^= 0x5A }
        let bad = write("events-c.csv.gz", bytes: corrupt)
        let c = try importPaths([bad])
        XCTAssertTrue(c.files[0].error?.contains("corrupt gzip data near compressed byte") ?? false, "\(c.files[0])")
        let good = write("events-ok.csv.gz", bytes: gz)
        try importPaths([good]) { $0.batchRows = 500 }
        XCTAssertEqual(try one("SELECT count(DISTINCT ts) FROM events WHERE event_id = 'e' || ts"), .int(3000))
    }

    func testOversizedCSVRecordsGetOneVerdictWithTheTrueLength() throws {
        let big = String(repeating: "x", count: 10 << 20)
        var csv = header + "\n"
        csv += "g1,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,ok\n"                       // 2
        csv += "b1,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\"\(big)\"\n"             // 3: a valid 10 MiB quoted field
        csv += "g2,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,ok\n"                       // 4
        csv += "b2,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\(big)\(big)\(big)\(big)\n" // 5: a 40 MiB line
        csv += "g3,2026-03-01T12:00:00Z,a1,view,,,,,,,,,,,,,,,,,\"quoted, \"\"fine\"\"\"\n"    // 6
        let s = try importPaths([write("events.csv", csv)])
        XCTAssertEqual([s.rowsRead, s.stored, s.rejected], [5, 3, 2])
        let r = try reasons()
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r[3], "field too long: 10,485,760 bytes in field 21 (text); the limit is 1 MiB")
        XCTAssertEqual(r[5], "field too long: 41,943,040 bytes in field 21 (text); the limit is 1 MiB")
        XCTAssertEqual(try one("SELECT max(length(raw)) FROM rejects"), .int(1 << 20), "a reject keeps the record's first MiB")
        XCTAssertEqual(try one("SELECT text FROM events WHERE event_id = 'g3'"), .text("quoted, \"fine\""))

        // JSONL: a line past the limit is one reject saying how long it was.
        let line = ev("j1", extra: ",\"t\":\"\(String(repeating: "y", count: 3 << 20))\"")
        let s2 = try importPaths([write("events.jsonl", line + "\n" + ev("j2") + "\n")])
        XCTAssertEqual([s2.rowsRead, s2.stored, s2.rejected], [2, 1, 1])
        XCTAssertTrue(try one("SELECT reason FROM rejects WHERE source LIKE '%.jsonl'").string!.hasPrefix("line too long: \(line.utf8.count.grouped) bytes"))
    }

    func testStandardInputNamedTwiceIsRefused() {
        var o = ImportOptions()
        o.kind = .events
        XCTAssertThrowsError(try ImportPlan(paths: ["-", "-"], options: o)) { e in
            XCTAssertEqual("\(e)", "standard input (-) is named 2 times; it can be read only once, so name it once")
        }
    }

    /// The corpus of nasty inputs (Tests/Fixtures/hostile): every row is stored or rejected,
    /// every reject has a reason, and every stored value is readable by SQLite.
    func testTheHostileCorpusIsAccountedForRowByRow() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/hostile").path
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasPrefix("events") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 2)
        for f in files {
            let s = try importPaths([corpus + "/" + f])
            let text = try String(contentsOfFile: corpus + "/" + f, encoding: .isoLatin1)
            let expected = text.split(separator: "\n").filter { !$0.hasPrefix("event_id,") }.count
            XCTAssertEqual(s.rowsRead, Int64(expected), f)
            XCTAssertEqual(s.rowsRead, s.stored + s.duplicate + s.rejected, f)
        }
        XCTAssertEqual(try one("SELECT count(*) FROM events WHERE extra IS NOT NULL AND NOT json_valid(extra)"), .int(0))
        XCTAssertEqual(try one("SELECT count(*) FROM events WHERE trim(event_id) = '' OR trim(account_id) = '' OR ts < 0"), .int(0))
        XCTAssertEqual(try one("SELECT count(*) FROM rejects WHERE reason = ''"), .int(0))
        XCTAssertNoThrow(try rows("SELECT json_extract(extra, '$.x') FROM events"))
    }
}
