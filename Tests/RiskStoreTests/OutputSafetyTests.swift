import Foundation
@testable import RiskStore
import XCTest

/// The masks, the terminal sanitiser and the atomic file writer (issue 15, items 4, 10, 13).
final class OutputSafetyTests: XCTestCase {
    func testEmailMasks() {
        let cases: [(String, String)] = [
            ("joko.santoso@gmail.com", "j***@g***.com"),
            ("a@b.co.id", "a***@b***.id"),
            ("x@localhost", "x***@l***"),
            ("@nohost.com", "***@n***.com"),
            ("not-an-email", "n***"),
            ("", ""),
            ("édith@exemple.fr", "é***@e***.fr"),
            ("用户@例子.中国", "用***@例***.中国"),
        ]
        for (raw, masked) in cases {
            XCTAssertEqual(PII.maskEmail(raw), masked, raw)
            if raw.count > 2 { XCTAssertNotEqual(PII.maskEmail(raw), raw, raw) }
        }
    }

    func testPhoneMasks() {
        let cases: [(String, String)] = [
            ("+628111222333", "+62********33"),
            ("+6281234", "+62***34"),
            ("12345", "*****"),
            ("123", "***"),
            ("", ""),
        ]
        for (raw, masked) in cases { XCTAssertEqual(PII.maskPhone(raw), masked, raw) }
        XCTAssertEqual(PII.mask(column: "phone", "+628111222333"), "+62********33")
        XCTAssertEqual(PII.mask(column: "email", "a@b.com"), "a***@b***.com")
    }

    /// Rejected accounts rows, verbatim: every contact detail masked, whatever the format.
    func testContactDetailsInFreeTextAreMasked() {
        let cases: [(raw: String, secrets: [String])] = [
            ("u1,2026-01-01,buyer,ID,joko.santoso@gmail.com,+628111222333", ["joko.santoso@gmail.com", "8111222"]),
            ("{\"account_id\":\"u1\",\"email\":\"mia@x.io\",\"phone\":\"0812 345 6789\"}", ["mia@x.io", "345 6789", "0812"]),
            ("u2;bad date;\"ann.lee@corp.example.com\";(021) 555-0199", ["ann.lee@corp.example.com", "555-0199"]),
        ]
        for c in cases {
            let masked = PII.maskText(c.raw)
            for secret in c.secrets { XCTAssertFalse(masked.contains(secret), "\(c.raw) → \(masked)") }
            XCTAssertTrue(masked.contains("***"), masked)
        }
        XCTAssertEqual(PII.maskText("no contact here, id 42"), "no contact here, id 42")
    }

    func testSanitiseShowsEveryControlCharacter() {
        let cases: [(String, String)] = [
            ("plain text, ünïcödé 👍", "plain text, ünïcödé 👍"),
            ("\u{1B}[2Jcleared", "·[2Jcleared"),
            ("\u{1B}]52;c;cm0gLXJm\u{07}", "·]52;c;cm0gLXJm·"),
            ("title\u{1B}]0;pwned\u{9C}", "title·]0;pwned·"),
            ("\u{9B}31mred", "·31mred"),
            ("a\tb", "a b"),
            ("line1\nline2\r\nline3\rline4", "line1⏎line2⏎line3⏎line4"),
            ("del\u{7F}", "del·"),
            ("bidi \u{202E}gnp.exe", "bidi ·gnp.exe"),
            ("nul\u{0}", "nul·"),
        ]
        for (raw, shown) in cases { XCTAssertEqual(TerminalText.sanitize(raw), shown, raw.debugDescription) }
        XCTAssertEqual(TerminalText.sanitize("a\nb", newline: "\n"), "a\nb")
    }

    func testFileOutputIsWholeOrNothing() throws {
        let dir = NSTemporaryDirectory() + "riskdesk-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/x.csv"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        // Abandoned (an error while writing): the old file stays, no temporary file is left.
        do {
            let f = try FileOutput(path: path, bufferSize: 4)
            f.write("new,rows\n")
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n")
            f.discard()
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["x.csv"])
        // Dropped without commit: the same.
        do { let f = try FileOutput(path: path); f.write("dropped\n") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["x.csv"])
        // Committed: replaced whole.
        let f = try FileOutput(path: path)
        for i in 0..<10_000 { f.write("row \(i)\n") }
        try f.commit()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count, 10_000)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["x.csv"])
        // Nowhere to write: a clear error naming the path.
        XCTAssertThrowsError(try FileOutput(path: dir + "/no/such/x.csv")) { e in
            XCTAssertTrue("\(e)".contains("no/such/x.csv: cannot create the file"), "\(e)")
        }
        XCTAssertThrowsError(try FileOutput(path: dir)) { e in XCTAssertTrue("\(e)".contains("is a directory"), "\(e)") }
    }

    /// `--output /dev/stdout`, a FIFO or a link: written where it points, never replaced by a
    /// plain file (a rename onto /dev/full once left a regular file in /dev).
    func testFileOutputWritesADeviceOrFIFOInPlaceAndKeepsALink() throws {
        let dir = NSTemporaryDirectory() + "riskdesk-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A FIFO: a reader gets every row, and the FIFO is still a FIFO.
        let fifo = dir + "/pipe"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        final class Box: @unchecked Sendable { let lock = NSLock(); var text = "" }
        let got = Box()
        let reader = Thread {
            let fd = open(fifo, O_RDONLY)
            var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
            while fd >= 0 {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            if fd >= 0 { close(fd) }
            got.lock.lock(); got.text = String(decoding: bytes, as: UTF8.self); got.lock.unlock()
        }
        reader.start()
        let f = try FileOutput(path: fifo, bufferSize: 4)
        for i in 0..<100 { f.write("row \(i)\n") }
        try f.commit()
        var waited = 0
        func received() -> String { got.lock.lock(); defer { got.lock.unlock() }; return got.text }
        while received().isEmpty && waited < 200 { usleep(10_000); waited += 1 }
        XCTAssertEqual(received().split(separator: "\n").count, 100)
        var st = stat()
        XCTAssertEqual(lstat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO, "the FIFO was replaced")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["pipe"])
        // A full device: the error is reported, the device stays a device (tried only once the
        // FIFO survived: a build without the fix would replace /dev/full).
        if st.st_mode & S_IFMT == S_IFIFO, FileManager.default.fileExists(atPath: "/dev/full"), lstat("/dev/full", &st) == 0, st.st_mode & S_IFMT == S_IFCHR {
            let full = try FileOutput(path: "/dev/full", bufferSize: 4)
            full.write("more than four bytes")
            XCTAssertThrowsError(try full.commit()) { e in XCTAssertTrue("\(e)".contains("/dev/full: write failed"), "\(e)") }
            XCTAssertEqual(lstat("/dev/full", &st), 0)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR)
        }
        // A link to a file: the file it names is replaced whole, the link stays a link.
        let real = dir + "/real.csv", link = dir + "/latest.csv"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: real))
        XCTAssertEqual(symlink(real, link), 0)
        let l = try FileOutput(path: link)
        l.write("new\n")
        try l.commit()
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), real)
        XCTAssertEqual(try String(contentsOfFile: real, encoding: .utf8), "new\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["latest.csv", "pipe", "real.csv"])
    }

    /// `--output /dev/stdout` with standard output redirected to a file (`> out.csv`): written
    /// through the descriptor, where the shell's output stands — not a new file renamed over
    /// out.csv, which left what the shell wrote next in a deleted file.
    func testFileOutputWritesDevFdThroughTheDescriptor() throws {
        let dir = NSTemporaryDirectory() + "riskdesk-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.csv"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        func say(_ s: String) { _ = s.withCString { write(fd, $0, strlen($0)) } }
        say("before\n")
        let f = try FileOutput(path: "/dev/fd/\(fd)", bufferSize: 4)
        for i in 0..<3 { f.write("row \(i)\n") }
        try f.commit()
        say("after\n")
        close(fd)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "before\nrow 0\nrow 1\nrow 2\nafter\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.csv"])
        XCTAssertEqual(FileOutput.descriptor(named: "/dev/stdout"), 1)
        XCTAssertEqual(FileOutput.descriptor(named: "/proc/self/fd/7"), 7)
        XCTAssertNil(FileOutput.descriptor(named: "/dev/null"))
    }

    func testDescriptorOutputReportsAFullDevice() throws {
        let fd = open("/dev/full", O_WRONLY)
        guard fd >= 0 else { throw XCTSkip("no /dev/full") }
        defer { close(fd) }
        let out = DescriptorOutput(fd: fd, name: "the test pipe", bufferSize: 8)
        out.write("more than eight bytes")
        XCTAssertTrue(out.failed)
        XCTAssertThrowsError(try out.finish()) { e in
            XCTAssertTrue("\(e)".contains("the test pipe: write failed: No space left on device"), "\(e)")
        }
    }
}

/// CSV injection (try21, item 1): every CSV cell riskdesk writes is safe to open in a
/// spreadsheet, numbers stay numbers, and riskdesk's own readers undo the escape.
final class SpreadsheetSafeTests: XCTestCase {
    func testFormulaCellsArePrefixedAndNumbersAreNot() {
        let cases: [(String, String)] = [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("＝1+1", "'＝1+1"),
            ("-", "'-"),
            ("-12.5", "-12.5"), ("+3", "+3"), ("1e-3", "1e-3"), ("-4E+2", "-4E+2"), ("42", "42"),
            ("-1e", "'-1e"), ("-1.2.3", "'-1.2.3"), ("- 1", "'- 1"),
            ("'=x", "''=x"), ("''", "'''"), ("'", "'"), ("'abc", "'abc"),
            ("a=b", "a=b"), ("", ""), ("user 7", "user 7"), (" =1", " =1"),
        ]
        for (raw, safe) in cases {
            XCTAssertEqual(SpreadsheetSafe.cell(raw), safe, raw.debugDescription)
            XCTAssertEqual(SpreadsheetSafe.unescape(SpreadsheetSafe.cell(raw)), raw, raw.debugDescription)
        }
        // Random strings over the characters that matter round-trip exactly.
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["=", "+", "-", "@", "\t", "\r", "'", "1", ".", "e", "a", ",", "\"", "\n", "＝"]
        for _ in 0..<2000 {
            let s = String((0..<Int.random(in: 0...5, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            XCTAssertEqual(SpreadsheetSafe.unescape(SpreadsheetSafe.cell(s)), s, s.debugDescription)
            if let f = s.unicodeScalars.first, SpreadsheetSafe.isTrigger(f), !SpreadsheetSafe.isNumber(s) {
                XCTAssertTrue(SpreadsheetSafe.cell(s).hasPrefix("'"), s.debugDescription)
            }
        }
    }

    /// The query writer's CSV: header and cells escaped, RFC 4180 quoting kept, numbers plain,
    /// and the file parses back (CSVRecords + unescape) to exactly what the store holds.
    func testResultWriterCSVIsSpreadsheetSafeAndRoundTrips() throws {
        var text = ""
        let w = ResultWriter(format: .csv) { text += $0 }
        w.begin(["=col", "score", "note"])
        let rows: [[SQLValue]] = [
            [.text("=cmd|'/C calc'!A0"), .double(-0.25), .text("@evil, \"quoted\"\nline")],
            [.text("-1+1"), .int(-3), .text("plain")],
            [.text("'=already"), .null, .text("\t=tab")],
        ]
        for r in rows { w.row(r) }
        w.end()
        let records = try CSVRecords.parse(text, path: "t.csv").map { $0.fields }
        XCTAssertEqual(records[0], ["'=col", "score", "note"])
        XCTAssertEqual(records[1][0], "'=cmd|'/C calc'!A0")
        XCTAssertEqual(records[1][1], "-0.25")                 // a number stays a number
        XCTAssertEqual(records[2][1], "-3")
        for record in records.dropFirst() {
            for cell in record { XCTAssertFalse(cell.first.map { "=+@\t\r".contains($0) } ?? false, cell.debugDescription) }
        }
        let back = records.dropFirst().map { $0.map(SpreadsheetSafe.unescape) }
        XCTAssertEqual(back[0], ["=cmd|'/C calc'!A0", "-0.25", "@evil, \"quoted\"\nline"])
        XCTAssertEqual(back[1], ["-1+1", "-3", "plain"])
        XCTAssertEqual(back[2], ["'=already", "", "\t=tab"])
    }
}
