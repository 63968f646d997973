import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// Seeded random-input tests of the readers and the timestamp parser: valid rows mutated with
/// the bytes that break parsers. Bounded in time; every run prints its seed, and
/// RISKDESK_FUZZ_SEED=N replays one (RISKDESK_FUZZ_SECONDS=S runs longer).
final class FuzzTests: ImportTestCase {
    struct Rng {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    }

    var seed: UInt64 {
        if let s = ProcessInfo.processInfo.environment["RISKDESK_FUZZ_SEED"], let v = UInt64(s) { return v }
        return UInt64(Date().timeIntervalSince1970 * 1000)
    }
    var seconds: Double { Double(ProcessInfo.processInfo.environment["RISKDESK_FUZZ_SECONDS"] ?? "") ?? 3 }

    static let nasty: [UInt8] = Array(",\"\n\r\t {}[]:\\x9-.eE+TZ".utf8) + [0, 0xFF, 0xC3, 0xA9, 0xE2, 0x80, 0x1B]

    func mutate(_ line: [UInt8], _ r: inout Rng, avoiding: Set<UInt8> = []) -> [UInt8] {
        var b = line
        let pool = Self.nasty.filter { !avoiding.contains($0) }
        for _ in 0..<(1 + r.int(4)) {
            switch r.int(6) {
            case 0 where !b.isEmpty: b[r.int(b.count)] = pool[r.int(pool.count)]
            case 1: b.insert(pool[r.int(pool.count)], at: r.int(b.count + 1))
            case 2 where !b.isEmpty: b.remove(at: r.int(b.count))
            case 3 where !b.isEmpty: b = Array(b.prefix(r.int(b.count)))
            case 4 where !b.isEmpty:   // duplicate a span
                let i = r.int(b.count), n = min(b.count - i, 1 + r.int(12))
                b.insert(contentsOf: b[i..<(i + n)], at: r.int(b.count + 1))
            default: b.insert(contentsOf: Array("\(r.next())".utf8), at: r.int(b.count + 1))
            }
        }
        return b.filter { !avoiding.contains($0) }
    }

    /// Runs `iteration` until the time budget is spent; reports the seed on failure.
    func fuzz(_ name: String, _ iteration: (inout Rng, Int) throws -> Void) rethrows {
        let seed = self.seed
        print("\(name): seed \(seed) (replay with RISKDESK_FUZZ_SEED=\(seed))")
        var r = Rng(s: seed)
        let deadline = Date().addingTimeInterval(seconds)
        var n = 0
        while Date() < deadline && n < 2000 {
            try iteration(&r, n)
            n += 1
        }
        print("\(name): \(n) inputs")
        XCTAssertGreaterThan(n, 0)
    }

    func freshStore(_ i: Int) -> String {
        dir + "/fuzz-\(i).db"
    }

    func checkStore(_ path: String, _ s: ImportSummary, seedNote: String) throws {
        let st = try Store(path: path)
        XCTAssertEqual(s.rowsRead, s.stored + s.duplicate + s.rejected, seedNote)
        XCTAssertEqual(try st.db.int("SELECT count(*) FROM events"), s.stored, seedNote)
        XCTAssertEqual(try st.db.int("SELECT count(*) FROM events WHERE extra IS NOT NULL AND NOT json_valid(extra)"), 0, seedNote)
        XCTAssertEqual(try st.db.int("SELECT count(*) FROM events WHERE trim(event_id) = '' OR trim(account_id) = '' OR instr(event_id, char(0)) > 0"), 0, seedNote)
        let w = Timestamp.Window.standard()
        XCTAssertEqual(try st.db.int("SELECT count(*) FROM events WHERE ts < ? OR ts > ?", [.int(w.from), .int(w.to)]), 0, seedNote)
        XCTAssertEqual(try st.db.int("SELECT sum(n_events) FROM accounts"), s.stored, seedNote)
    }

    func testCSVReaderAccountsForEveryRow() throws {
        let base = (0..<12).map { i in
            Array("e\(i),2026-03-01T12:00:0\(i % 10)Z,a\(i % 3),order,d1,1.2.3.4,US,s1,it1,se1,o\(i),\(i),12.50,USD,,,,,\(1 + i % 5),ok,\"a, \"\"quoted\"\" text\"".utf8)
        }
        try fuzz("csv") { r, i in
            // Half the inputs keep one record per line (no quotes, no CRs): then the count is exact.
            let linePreserving = r.chance(0.5)
            let avoid: Set<UInt8> = linePreserving ? [UInt8(ascii: "\""), 10, 13] : []
            var body: [[UInt8]] = []
            for _ in 0..<(5 + r.int(20)) {
                var line = base[r.int(base.count)]
                if linePreserving { line = line.map { $0 == UInt8(ascii: "\"") ? UInt8(ascii: "q") : $0 } }
                body.append(r.chance(0.6) ? mutate(line, &r, avoiding: avoid) : line)
            }
            let bytes = Array((header + "\n").utf8) + body.joined(separator: [10]) + (r.chance(0.8) ? [10] : [])
            let p = write("events-\(i).csv", bytes: bytes)
            var o = ImportOptions()
            o.batchRows = 1 + r.int(7)
            let store = freshStore(i)
            let s = try Importer(store: try Store(path: store), options: o).run(try ImportPlan(paths: [p], options: o))
            let note = "seed \(seed), input \(i): \(p)"
            try checkStore(store, s, seedNote: note)
            if linePreserving {
                XCTAssertEqual(s.rowsRead, Int64(body.filter { !$0.isEmpty }.count), note)
            }
            if (testRun?.totalFailureCount ?? 0) > 0 { throw XCTSkip("stopping at the first failing input: \(note)") }
            try? FileManager.default.removeItem(atPath: p)
        }
    }

    func testJSONLReaderAccountsForEveryRow() throws {
        let base: [[UInt8]] = (0..<10).map { i in
            Array(#"{"event_id":"e\#(i)","ts":\#(i % 2 == 0 ? "\"2026-03-01T12:00:00.5+07:00\"" : "1772366400000"),"account_id":"a\#(i % 3)","type":"review","rating":\#(1 + i % 5),"amount":1.5e1,"text":"caf\u00e9 \"q\" \\n","x":{"k":[1,-2.5e-3,true,null,"s"]},"n":-0}"#.utf8)
        }
        try fuzz("jsonl") { r, i in
            var body: [[UInt8]] = []
            for _ in 0..<(5 + r.int(20)) {
                let line = base[r.int(base.count)]
                body.append(r.chance(0.6) ? mutate(line, &r, avoiding: [10]) : line)
            }
            let p = write("events-\(i).jsonl", bytes: body.joined(separator: [10]) + [10])
            var o = ImportOptions()
            o.batchRows = 1 + r.int(7)
            let store = freshStore(i)
            let s = try Importer(store: try Store(path: store), options: o).run(try ImportPlan(paths: [p], options: o))
            let note = "seed \(seed), input \(i): \(p)"
            try checkStore(store, s, seedNote: note)
            let expected = body.filter { l in
                var l = l
                if l.last == 13 { l.removeLast() }
                return !l.allSatisfy { $0 == 32 || $0 == 9 }
            }.count
            XCTAssertEqual(s.rowsRead, Int64(expected), note)
            if (testRun?.totalFailureCount ?? 0) > 0 { throw XCTSkip("stopping at the first failing input: \(note)") }
            try? FileManager.default.removeItem(atPath: p)
        }
    }

    func testTimestampParserNeverCrashesAndRoundTrips() {
        let alphabet = Array("0123456789-:T.Z+ tz".utf8) + [0, 0xFF]
        fuzz("timestamp") { r, _ in
            for _ in 0..<200 {
                // Random bytes from the timestamp alphabet, and mutated valid stamps.
                var b: [UInt8]
                if r.chance(0.5) {
                    b = (0..<r.int(32)).map { _ in alphabet[r.int(alphabet.count)] }
                } else {
                    let ms = Int64(r.next() % UInt64(253_402_300_799_999))   // 1970 … 9999
                    b = mutate(Array(Timestamp.iso(ms).utf8), &r)
                }
                let got = b.withUnsafeBytes { Timestamp.parse($0) }
                if let ms = got {
                    // Whatever parses prints, and a printed time in years 0-9999 parses back to itself.
                    let iso = Timestamp.iso(ms)
                    XCTAssertFalse(iso.isEmpty)
                    if ms >= -62_167_219_200_000 && ms < 253_402_300_800_000 {
                        XCTAssertEqual(Timestamp.parse(iso), ms, "seed \(seed): \(String(decoding: b, as: UTF8.self)) -> \(iso)")
                    }
                }
            }
            let ms = Int64(r.next() % UInt64(253_402_300_799_999))
            XCTAssertEqual(Timestamp.parse(Timestamp.iso(ms)), ms, "seed \(seed)")
        }
    }
}
