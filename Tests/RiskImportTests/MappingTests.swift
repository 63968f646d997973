import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// `import --map`: mapping files, the mapped reader over each source shape, rejects, labels.
final class MappingTests: ImportTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func repo(_ p: String) -> String { root.appendingPathComponent(p).path }

    func mapping(_ text: String, name: String = "m.toml") throws -> ImportMapping {
        try ImportMapping.load(path: write(name, text))
    }

    @discardableResult
    func importMapped(_ m: ImportMapping, _ paths: [String], labels: LabelCollector? = nil) throws -> ImportSummary {
        try importPaths(paths) { $0.mapping = m; $0.labels = labels; $0.batchRows = 50 }
    }

    func mappingError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> MappingError? {
        do { _ = try mapping(text); XCTFail("mapping accepted", file: file, line: line); return nil } catch let e as MappingError {
            return e
        } catch { XCTFail("\(error)", file: file, line: line); return nil }
    }

    // MARK: mapping files

    func testMappingErrorsNameFileLineAndKey() throws {
        var e = mappingError("""
            [source]
            format = "csv"

            [fields]
            event_id = "id"
            ts = { column = "t", format = "epoch", unit = "fortnights" }
            account_id = "u"
            """)
        XCTAssertEqual(e?.line, 6)
        XCTAssertEqual(e?.key, "fields.ts.unit")
        XCTAssertTrue(e?.description.hasPrefix(dir + "/m.toml:6: fields.ts.unit:") ?? false, e?.description ?? "")
        XCTAssertTrue(e?.message.contains("fortnights") ?? false)

        e = mappingError("""
            [fields]
            event_id = "id"
            ts = "t"
            acount_id = "u"
            """)
        XCTAssertEqual(e?.line, 4)
        XCTAssertTrue(e?.message.contains("'acount_id' is not a field of events") ?? false, e?.description ?? "")

        e = mappingError("[fields]\nevent_id = \"id\"\nts = \"t\"\n")
        XCTAssertTrue(e?.message.contains("required field account_id") ?? false, e?.description ?? "")

        // Broken TOML: the parser's line.
        e = mappingError("[source]\nformat = \"csv\"\n\n[fields\nts = 1\n")
        XCTAssertEqual(e?.line, 4)

        // A column the file doesn't have: the mapping's line, and the file.
        let m = try mapping("[fields]\nevent_id = \"id\"\nts = \"t\"\naccount_id = \"user\"\n")
        let csv = write("x.csv", "id,t,who\n1,2026-01-01T00:00:00Z,a\n")
        XCTAssertThrowsError(try ImportPlan(paths: [csv], options: { var o = ImportOptions(); o.mapping = m; return o }())) { err in
            let d = "\(err)"
            XCTAssertTrue(d.contains("m.toml:4: fields.account_id: column 'user' is not in \(csv)"), d)
        }

        // Regular expressions are checked when the mapping is read.
        e = mappingError("""
            [source]
            format = "lines"
            [[patterns]]
            regex = '^(?<user>\\S+'
            type = "login"
            [fields]
            ts = "user"
            account_id = "user"
            """)
        XCTAssertEqual(e?.line, 4)
        XCTAssertEqual(e?.key, "patterns[0].regex")
    }

    /// `--map openssh` (a name, not a path) once said "openssh:?: cannot read the mapping
    /// file": a missing file or a folder says so, with no made-up line.
    func testAMissingMappingOrAFolderSaysSoWithoutALine() throws {
        XCTAssertThrowsError(try ImportMapping.load(path: dir + "/openssh")) { e in
            XCTAssertEqual("\(e)", dir + "/openssh: no such mapping file (--map takes the path of a .toml file; the shipped ones are in queries/mappings/ of the source tree)")
        }
        XCTAssertThrowsError(try ImportMapping.load(path: dir)) { e in
            XCTAssertEqual("\(e)", dir + ": is a folder, not a mapping file (--map takes the path of a .toml file)")
        }
        XCTAssertThrowsError(try ImportMapping.load(path: write("bad.toml", bytes: [0xFF, 0x0A]))) { e in
            XCTAssertEqual("\(e)", dir + "/bad.toml: not UTF-8 text")
        }
    }

    // MARK: delimited sources

    func testComposedKeysConstantsValueMapsTimestampsAndExtra() throws {
        let m = try mapping("""
            [source]
            format = "csv"
            delimiter = ";"

            [fields]
            event_id = "TxID"
            ts = { column = "When", format = "relative", unit = "s", origin = "2020-01-01T00:00:00Z" }
            account_id = ["card", "zip"]
            amount = { column = "Cents", scale = 0.01 }
            status = { column = "Result", map = { "Failed password" = "fail", "Accepted" = "ok" }, else = "other" }
            country = { column = "Geo", default = "ZZ" }

            [constants]
            type = "payment"

            [extra]
            drop = ["junk*"]

            [label]
            column = "isFraud"
            fraud = "1"
            """)
        let csv = write("pay.csv", """
            TxID;When;card;zip;Cents;Result;Geo;isFraud;note;junk_a
            t1;3600;4111;10115;1250;Failed password;DE;0;"hello; world";x
            t2;7200.5;4111;;99;Accepted;;1;;y
            t3;soon;5500;75001;100;Accepted;FR;0;;z
            t4;10;5500;75001;abc;Accepted;FR;0;;z
            t5;20;;;100;weird;FR;0;;z
            """ + "\n")
        let labels = LabelCollector()
        let s = try importMapped(m, [csv], labels: labels)
        XCTAssertEqual(s.rowsRead, 5)
        XCTAssertEqual(s.stored, 2)
        XCTAssertEqual(s.rejected, 3)
        let r = try rows("SELECT event_id, ts, account_id, type, amount, status, country, extra FROM events ORDER BY event_id")
        XCTAssertEqual(r[0][0].string, "t1")
        XCTAssertEqual(r[0][1].int, Timestamp.parse("2020-01-01T01:00:00Z"))
        XCTAssertEqual(r[0][2].string, "4111:10115")
        XCTAssertEqual(r[0][3].string, "payment")
        XCTAssertEqual(r[0][4].double ?? 0, 12.5, accuracy: 1e-9)
        XCTAssertEqual(r[0][5].string, "fail")
        XCTAssertEqual(r[0][6].string, "DE")
        // Unmapped columns are kept, the dropped and the label are not.
        XCTAssertEqual(r[0][7].string, #"{"note":"hello; world"}"#)
        XCTAssertEqual(r[1][1].int, Timestamp.parse("2020-01-01T02:00:00.500Z"))
        XCTAssertEqual(r[1][2].string, "4111:")
        XCTAssertEqual(r[1][5].string, "ok")
        XCTAssertEqual(r[1][6].string, "ZZ")
        XCTAssertNil(r[1][7].string)
        // Rejects say file, line and why.
        let rej = try rows("SELECT source, line, reason, raw FROM rejects ORDER BY line")
        XCTAssertEqual(rej.map { $0[1].int }, [4, 5, 6])
        XCTAssertEqual(rej[0][0].string, csv)
        XCTAssertTrue(rej[0][2].string!.contains("ts: 'soon' is not a timestamp"), rej[0][2].string!)
        XCTAssertTrue(rej[1][2].string!.contains("amount: not a number: 'abc'"), rej[1][2].string!)
        XCTAssertEqual(rej[2][2].string, "missing account_id")
        XCTAssertEqual(rej[2][3].string, "t5;20;;;100;weird;FR;0;;z")
        // Truth: an account is fraud when any of its rows is.
        XCTAssertEqual(labels.truth.map { "\($0.account)=\($0.fraud)" }, ["4111:=true", "4111:10115=false"])

        // Importing again changes nothing.
        let again = try importMapped(m, [csv])
        XCTAssertEqual(again.stored, 0)
        XCTAssertEqual(again.duplicate, 2)
    }

    func testTimestampFormats() throws {
        let m = try mapping("""
            [source]
            format = "tsv"
            [fields]
            event_id = "id"
            account_id = "u"
            ts = { column = "t", format = "iso", timezone = "+08:00" }
            [constants]
            type = "login"
            """)
        let tsv = write("t.tsv", "id\tu\tt\n1\ta\t2026-03-01 08:00:00\n2\ta\t2026-03-01T08:00:00Z\n3\ta\t2026-03-01\n4\ta\t2026-02-30\n")
        let s = try importMapped(m, [tsv])
        XCTAssertEqual(s.stored, 3)
        let ts = try rows("SELECT ts FROM events ORDER BY event_id").map { $0[0].int! }
        XCTAssertEqual(ts, [Timestamp.parse("2026-03-01T00:00:00Z")!, Timestamp.parse("2026-03-01T08:00:00Z")!, Timestamp.parse("2026-02-28T16:00:00Z")!])
        XCTAssertEqual(try one("SELECT reason FROM rejects").string, "ts: '2026-02-30' is not a timestamp in the mapped format (ISO date-time)")

        for (unit, value, expect) in [("s", "1700000000", "2023-11-14T22:13:20Z"), ("ms", "1700000000123", "2023-11-14T22:13:20.123Z"),
                                      ("us", "1700000000123456", "2023-11-14T22:13:20.123Z")] {
            let m = try mapping("[fields]\nevent_id = \"id\"\naccount_id = \"u\"\nts = { column = \"t\", format = \"epoch\", unit = \"\(unit)\" }\n", name: "e-\(unit).toml")
            let p = write("e-\(unit).csv", "id,u,t\n\(unit),a,\(value)\n")
            XCTAssertEqual(try importMapped(m, [p]).stored, 1)
            XCTAssertEqual(try one("SELECT ts FROM events WHERE event_id = '\(unit)'").int, Timestamp.parse(expect), unit)
        }
    }

    func testJSONLGzipped() throws {
        let m = try mapping("""
            [source]
            format = "jsonl"
            [fields]
            event_id = "uuid"
            ts = { column = "time", format = "epoch", unit = "ms" }
            account_id = ["user", "shop"]
            type = { column = "action", map = { "signin" = "login" } }
            [extra]
            drop = ["secret"]
            """)
        let text = """
            {"uuid":"a","time":1700000000000,"user":"u1","shop":7,"action":"signin","score":0.5,"secret":"x","tags":["p"]}
            {"uuid":"b","time":"later","user":"u1","shop":7,"action":"view"}
            not json
            """ + "\n"
        let p = write("log.jsonl.gz", bytes: gzip(Array(text.utf8)))
        let s = try importMapped(m, [p])
        XCTAssertEqual(s.stored, 1)
        XCTAssertEqual(s.rejected, 2)
        let r = try rows("SELECT account_id, type, extra FROM events")
        XCTAssertEqual(r[0][0].string, "u1:7")
        XCTAssertEqual(r[0][1].string, "login")
        XCTAssertEqual(r[0][2].string, #"{"score":0.5,"tags":["p"]}"#)
    }

    // MARK: the shipped mappings, on look-alike slices

    func testShippedIEEECISMapping() throws {
        let m = try ImportMapping.load(path: Self.repo("queries/mappings/ieee-cis.toml"))
        let labels = LabelCollector()
        let s = try importMapped(m, [Self.repo("Tests/Fixtures/mapped/ieee-cis-sample.csv")], labels: labels)
        // Every row stored but the two truly bad ones, each rejected with its reason.
        XCTAssertEqual(s.rowsRead, 300)
        XCTAssertEqual(s.stored, 298)
        let rej = try rows("SELECT line, reason FROM rejects ORDER BY line")
        XCTAssertEqual(rej.map { $0[0].int }, [122, 202])
        XCTAssertTrue(rej[0][1].string!.hasPrefix("expected 121 columns"), rej[0][1].string!)
        XCTAssertTrue(rej[1][1].string!.hasPrefix("amount: not a number"), rej[1][1].string!)
        let first = try rows("SELECT event_id, ts, account_id, type, payment_id, json_extract(extra, '$.C1'), json_type(extra, '$.C1'), json_extract(extra, '$.isFraud') FROM events ORDER BY ts LIMIT 1")[0]
        XCTAssertEqual(first[0].string, "2987000")
        XCTAssertGreaterThan(first[1].int!, Timestamp.parse("2017-12-02T00:00:00Z")!)
        XCTAssertTrue(first[2].string!.contains(":"))
        XCTAssertEqual(first[3].string, "payment")
        XCTAssertEqual(first[4], .null)   // no payment_id: it would tie a card's accounts into false rings
        XCTAssertNotEqual(first[6].string, "text")   // numbers stay numbers (or the cell was empty)
        XCTAssertEqual(first[7], .null)              // the truth is not stored with the events
        let fraudRows = try String(contentsOfFile: Self.repo("Tests/Fixtures/mapped/ieee-cis-sample.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().filter { $0.split(separator: ",", omittingEmptySubsequences: false).count > 1 &&
                $0.split(separator: ",", omittingEmptySubsequences: false)[1] == "1" }.count
        XCTAssertGreaterThan(fraudRows, 0)
        XCTAssertGreaterThan(labels.truth.filter(\.fraud).count, 0)
        XCTAssertEqual(labels.truth.count, Int(try one("SELECT count(DISTINCT account_id) FROM events").int!) + 0, "every stored account has a label")
    }

    func testShippedCDNOWMapping() throws {
        let m = try ImportMapping.load(path: Self.repo("queries/mappings/cdnow.toml"))
        let s = try importMapped(m, [Self.repo("Tests/Fixtures/mapped/cdnow-sample.txt")])
        XCTAssertEqual(s.rowsRead, 212)
        XCTAssertEqual(s.rejected, 1)
        XCTAssertEqual(try one("SELECT line FROM rejects").int, 31)
        XCTAssertTrue(try one("SELECT reason FROM rejects").string!.contains("'19971345'"))
        let r = try rows("SELECT account_id, ts, quantity, amount, type, currency, event_id FROM events ORDER BY rowid LIMIT 1")[0]
        XCTAssertEqual(r[0].string, "00001")   // zero padding kept
        XCTAssertEqual(r[1].int! % 86_400_000, 0)   // a day date: midnight UTC
        XCTAssertEqual(r[4].string, "order")
        XCTAssertEqual(r[5].string, "USD")
        XCTAssertEqual(r[6].string, "cdnow-sample.txt:2")
        XCTAssertEqual(try one("SELECT count(DISTINCT account_id) FROM events").int, 60)
    }

    func testShippedOpenSSHMapping() throws {
        let m = try ImportMapping.load(path: Self.repo("queries/mappings/openssh.toml"))
        let path = Self.repo("Tests/Fixtures/mapped/sshd-sample.log")
        let text = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let s = try importMapped(m, [path])
        let failed = text.filter { $0.contains("Failed password") }.count
        let invalid = text.filter { $0.contains("]: Invalid user") }.count
        let accepted = text.filter { $0.contains("Accepted password") }.count
        XCTAssertEqual(s.stored, Int64(failed + invalid + accepted))
        XCTAssertEqual(s.rejected, Int64(text.count - failed - invalid - accepted))
        XCTAssertEqual(try one("SELECT count(*) FROM events WHERE type = 'login' AND status = 'fail'").int, Int64(failed))
        XCTAssertEqual(try one("SELECT count(*) FROM events WHERE type = 'login' AND status = 'ok' AND account_id = 'alice'").int, Int64(accepted))
        // The line in the issue: a failed login of account admin from that IP.
        let line = text.first { $0.contains("Failed password for invalid user admin from") }!
        let ip = line.split(separator: " ").drop { $0 != "from" }.dropFirst().first.map(String.init)!
        let hit = try rows("SELECT account_id, ip, status FROM events WHERE type = 'login' AND account_id = 'admin' AND ip = '\(ip)' AND status = 'fail'")
        XCTAssertFalse(hit.isEmpty)
        // Unmatched lines are rejects carrying their text.
        let rej = try rows("SELECT reason, raw FROM rejects WHERE raw LIKE '%Bye Bye%' LIMIT 1")[0]
        XCTAssertEqual(rej[0].string, "no pattern matched the line")
        XCTAssertTrue(rej[1].string!.hasPrefix("Dec "))
        let ts = try one("SELECT min(ts) FROM events").int!
        XCTAssertTrue(Timestamp.iso(ts).hasPrefix("2017-12-10T06:5"), Timestamp.iso(ts))
    }

    // MARK: inference

    func testInferPlacesWhatItRecognises() throws {
        let text = try MappingInference.infer(path: Self.repo("Tests/Fixtures/mapped/ieee-cis-sample.csv"))
        XCTAssertTrue(text.contains(#"event_id = "TransactionID""#), text)
        XCTAssertTrue(text.contains(#"ts = { column = "TransactionDT", format = "relative", unit = "s""#), text)
        XCTAssertTrue(text.contains(#"amount = "TransactionAmt""#), text)
        XCTAssertTrue(text.contains("[label]") && text.contains(#"column = "isFraud""#), text)
        XCTAssertTrue(text.contains("COULD NOT PLACE"), text)
        // The starter parses as a mapping once the account is said.
        let fixed = text.replacingOccurrences(of: #"account_id = "COULD_NOT_PLACE""#, with: #"account_id = ["card1", "addr1"]"#)
        let m = try ImportMapping.parse(fixed, path: "inferred.toml")
        XCTAssertEqual(m.label?.column, "isFraud")

        let cd = try MappingInference.infer(path: Self.repo("Tests/Fixtures/mapped/cdnow-sample.txt"))
        XCTAssertTrue(cd.contains(#"format = "whitespace""#), cd)
        XCTAssertTrue(cd.contains(#"ts = { column = "date", format = "%Y%m%d""#), cd)
        XCTAssertTrue(cd.contains(#"amount = "dollar_value""#), cd)
        XCTAssertTrue(cd.contains(#"quantity = "number_of_cds""#), cd)
        XCTAssertTrue(cd.contains(#"account_id = "customer_id""#), cd)
        _ = try ImportMapping.parse(cd, path: "cd.toml")

        let ssh = try MappingInference.infer(path: Self.repo("Tests/Fixtures/mapped/sshd-sample.log"))
        XCTAssertTrue(ssh.contains(#"format = "lines""#), ssh)
        _ = try ImportMapping.parse(ssh, path: "ssh.toml")
    }

    // MARK: symbolic links

    func testInputsAreMeasuredThroughSymlinks() throws {
        let real = write("events.csv", "event_id,ts,account_id,type\n" + (1...500).map { "e\($0),2026-01-01T00:00:00Z,a\($0 % 7),view\n" }.joined())
        let links = dir + "/links"
        try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: links + "/events.csv", withDestinationPath: real)
        let size = Int64(try FileManager.default.attributesOfItem(atPath: real)[.size] as! Int)
        let viaLink = try ImportPlan(paths: [links], options: ImportOptions())
        let direct = try ImportPlan(paths: [real], options: ImportOptions())
        XCTAssertEqual(direct.totalBytes, size)
        XCTAssertEqual(viaLink.totalBytes, size, "the size of the file the link names, not of the link")
        XCTAssertEqual(try importPaths([links]).stored, 500)
    }
}

extension MappingTests {
    /// A catastrophic pattern (try21, item 2): `(\w+\s?)+$` backtracks exponentially on a line
    /// it almost matches. The import does not hang: that line gives up after a step budget and
    /// is a reject naming the mapping file, the key and the input line; the lines around it
    /// (which match quickly) are imported, and a long ordinary line is not given up on.
    func testACatastrophicPatternGivesUpOnTheHostileLineAndTheImportGoesOn() throws {
        let m = try mapping("""
            [source]
            format = "lines"

            [[patterns]]
            name = "words"
            regex = '^(?<ts>\\d+) (?<user>\\w+): (?<msg>(\\w+\\s?)+)$'
            type = "login"

            [fields]
            ts = { column = "ts", format = "epoch", unit = "s" }
            account_id = "user"
            text = "msg"
            """, name: "slow.toml")
        let hostile = "1700000001 mallory: " + String(repeating: "a", count: 40) + "!"
        let long = "1700000003 carol: " + Array(repeating: "word", count: 2_000).joined(separator: " ")
        let log = write("app.log", "1700000000 alice: hello there\n\(hostile)\n1700000002 bob: fine thanks\n\(long)\n")
        let t0 = Date()
        let s = try importMapped(m, [log])
        XCTAssertLessThan(Date().timeIntervalSince(t0), 30, "the hostile line must not hang the import")
        XCTAssertEqual(s.stored, 3)
        XCTAssertEqual(s.rejected, 1)
        let st = try store()
        let r = try st.db.rows("SELECT line, reason FROM rejects")
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r.first?[0].int, 2)
        let reason = r.first?[1].string ?? ""
        XCTAssertTrue(reason.hasPrefix(dir + "/slow.toml:6: patterns[0].regex: gave up on \(log):2 after "), reason)
        XCTAssertEqual(Set(try st.db.rows("SELECT account_id FROM events").compactMap { $0[0].string }), ["alice", "bob", "carol"])
    }

    func testTheMatchBudgetGivesUpOnBacktrackingAndNotOnOrdinaryMatches() throws {
        let slow = try NSRegularExpression(pattern: "^(a+)+$")
        let text = String(repeating: "a", count: 30) + "!"
        let range = NSRange(location: 0, length: (text as NSString).length)
        guard case .gaveUp = MappedReader.boundedFirstMatch(slow, in: text, range: range, ticks: 5) else { return XCTFail("did not give up") }
        let ok = try NSRegularExpression(pattern: "^(?<a>\\S+) (?<b>.*)$")
        let line = "x " + String(repeating: "y", count: 200_000)
        let r2 = NSRange(location: 0, length: (line as NSString).length)
        guard case .match = MappedReader.boundedFirstMatch(ok, in: line, range: r2, ticks: MappedReader.matchBudget(utf16Length: r2.length)) else {
            return XCTFail("an ordinary match gave up")
        }
        guard case .none = MappedReader.boundedFirstMatch(ok, in: "nospace", range: NSRange(location: 0, length: 7), ticks: 1) else {
            return XCTFail("no match is .none")
        }
    }
}

extension MappingTests {
    /// `import --map M --follow` on a thread: stop it with `stop`, wait for `done`.
    func followMapped(_ m: ImportMapping, _ p: String, notes: Locked<[String]>) throws -> (stop: StopFlag, done: XCTestExpectation, result: ResultBox) {
        var o = ImportOptions()
        o.follow = true
        o.mapping = m
        o.pollInterval = 0.02
        o.commitInterval = 0.05
        let stop = StopFlag()
        o.shouldStop = { stop.value }
        o.note = { n in notes.mutate { $0.append(n) } }
        let plan = try ImportPlan(paths: [p], options: o)
        let importer = Importer(store: try Store(path: storePath), options: o)
        let done = expectation(description: "import returns")
        let result = ResultBox()
        Thread {
            result.summary = try? importer.run(plan)
            done.fulfill()
        }.start()
        return (stop, done, result)
    }

    func ids() -> [String] {
        ((try? Store(path: storePath, readOnly: true).db.rows("SELECT event_id FROM events ORDER BY event_id")) ?? []).compactMap { $0[0].string }
    }

    /// Waits (10 s at most) until the store holds `n` events.
    func waitForEvents(_ n: Int, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(10)
        while ids().count != n && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(ids().count, n, "\(ids())", file: file, line: line)
    }

    func append(_ p: String, _ text: String) {
        let h = FileHandle(forWritingAtPath: p)!
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        h.closeFile()
    }

    /// Rotation under a running mapped follower (try21, item 3), with ids made from lines (the
    /// mapping has no event_id): renamed away and a new file created (header first, rows
    /// later — the follower waits, and still reads a row the writer appends to the old file
    /// meanwhile); truncated and refilled in place (copytruncate); replaced by the same
    /// content and one more row. No row lost, none stored twice, the header never a reject.
    func testMappedFollowSurvivesRotationTruncationAndRewriteUnderARunningFollower() throws {
        let m = try mapping("""
            [source]
            format = "csv"

            [fields]
            ts = { column = "when", format = "epoch", unit = "s" }
            account_id = "user"
            type = "what"
            """)
        let p = write("events.csv", "user,when,what\nu1,1700000000,login\nu2,1700000001,login\n")
        let notes = Locked<[String]>([])
        let (stop, done, result) = try followMapped(m, p, notes: notes)
        waitForEvents(2)
        append(p, "u3,1700000002,view\n")
        waitForEvents(3)

        // Rotated: renamed away, a new file with only its header so far.
        let old = p + ".1"
        XCTAssertEqual(rename(p, old), 0)
        write("events.csv", "user,when,what\n")
        usleep(300_000)
        append(old, "u4,1700000003,view\n")             // the writer hasn't reopened yet
        waitForEvents(4)
        append(p, "u5,1700000004,login\nu6,1700000005,logout\n")
        waitForEvents(6)
        XCTAssertEqual(ids(), ["events.csv#2:2", "events.csv#2:3", "events.csv:2", "events.csv:3", "events.csv:4", "events.csv:5"])

        // Truncated in place and refilled (copytruncate): a new file again.
        let h = FileHandle(forWritingAtPath: p)!
        h.truncateFile(atOffset: 0)
        h.write(Data("user,when,what\nu7,1700000006,login\n".utf8))
        h.closeFile()
        waitForEvents(7)
        XCTAssertTrue(ids().contains("events.csv#3:2"), "\(ids())")

        // Replaced by the same content and one more row: the stored rows are skipped.
        let copy = write("events.csv.tmp", "user,when,what\nu7,1700000006,login\nu8,1700000007,view\n")
        XCTAssertEqual(rename(copy, p), 0)
        waitForEvents(8)
        XCTAssertTrue(ids().contains("events.csv#3:3"), "\(ids())")

        stop.value = true
        wait(for: [done], timeout: 10)
        let st = try store()
        XCTAssertEqual(try st.db.int("SELECT count(*) FROM rejects"), 0)
        XCTAssertEqual(Set(try st.db.rows("SELECT account_id FROM events").compactMap { $0[0].string }), Set((1...8).map { "u\($0)" }))
        XCTAssertEqual(result.summary?.status, "done")
        XCTAssertEqual(notes.value.filter { $0.contains("rotated or truncated") }.count, 2, "\(notes.value)")
        XCTAssertEqual(notes.value.filter { $0.contains("starts as before") }.count, 1, "\(notes.value)")
    }
}

final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}

extension MappingTests {
    /// `import --infer` copies sample lines, column names and JSON keys from the file into
    /// comments and strings of the starter mapping. A carriage return in a sample line once
    /// ended the comment when printed, and what followed it became mapping keys (try21's
    /// hostile pass): everything copied from the file is now one line, control characters
    /// shown, and strings escaped — the starter's keys are the ones inference wrote.
    func testInferredMappingsCannotBeInjectedFromTheFilesText() throws {
        let evil = "\r[fields]\raccount_id = \"evil\"\u{2028}x = 1\u{1B}[2J"
        let lines = write("inj.log", "hello world one\(evil)\nsecond line here\n")
        let csv = write("inj.csv", "id,\"na\(evil.replacingOccurrences(of: "\"", with: "\"\""))me\",ts\n1,x,2026-01-01T00:00:00Z\n2,y,2026-01-01T00:00:01Z\n")
        let jsonl = write("inj.jsonl", "{\"user\":\"u1\",\"k\\r[fields]\\nevil = 1\":\"v\",\"ts\":\"2026-01-01T00:00:00Z\"}\n")
        for p in [lines, csv, jsonl] {
            let text = try MappingInference.infer(path: p)
            // What a terminal or a file would get: print turns \r into a line break.
            let shown = TerminalText.sanitize(text, newline: "\n")
            for l in shown.split(separator: "\n") {
                let t = l.trimmingCharacters(in: .whitespaces)
                XCTAssertFalse(t.hasPrefix("account_id = \"evil\"") || t.hasPrefix("evil") || t.hasPrefix("x = 1"), "\(p): \(l)")
                if t.hasPrefix("[") {
                    XCTAssertTrue(["[source]", "[fields]", "[constants]", "[label]", "[extra]", "[[patterns]]"].contains { t.hasPrefix($0) }, "\(p): \(l)")
                }
            }
            XCTAssertEqual(shown.split(separator: "\n").filter { $0.hasPrefix("[fields]") }.count, 1, "\(p): one [fields] table\n\(shown)")
            XCTAssertFalse(text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x0D || $0 == "\u{2028}" }, p)
        }
    }
}
