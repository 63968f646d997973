import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// event_id stays unique without a unique index (schema v11): within a file, across imports,
/// whichever way the importer checks the store (keys loaded, or `event_keys` probed), and a
/// key match is never taken for a duplicate without the exact event_id.
final class EventDedupeTests: ImportTestCase {
    func csv(_ ids: [String], ts: Int = 1000) -> String {
        header + "\n" + ids.enumerated().map { "\($1),\(ts + $0),acc\($0 % 7),view,d\($0 % 3),,,,,,,,,,,,,,,,\n" }.joined()
    }

    func counts(_ s: ImportSummary) -> [Int64] { [s.stored, s.duplicate, s.rejected] }

    /// Two ids "`stem`-N" whose keys share their top 32 bits (what the importer keeps in memory).
    func prefixCollision(_ stem: String) throws -> (String, String) {
        var seen: [UInt32: String] = [:]
        for n in 0..<400_000 {
            let id = "\(stem)-\(n)"
            let p = EventDedupe.prefix(EventKey.hash(id))
            if let other = seen[p] { return (other, id) }
            seen[p] = id
        }
        return try XCTUnwrap(nil, "a 32-bit prefix collision among 400k ids")
    }

    func storedIDs() throws -> [String] {
        try rows("SELECT event_id FROM events ORDER BY event_id").compactMap { $0[0].string }
    }

    /// Every event's key is in event_keys, the mark covers every event, and no id appears twice.
    func assertKeysCover(file: StaticString = #filePath, line: UInt = #line) throws {
        let s = try store()
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events"), try s.db.int("SELECT count(DISTINCT event_id) FROM events"), file: file, line: line)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_keys k WHERE k.key = riskdesk_event_key(e.event_id) AND k.id = e.id)"), 0, file: file, line: line)
        XCTAssertEqual(try s.db.int("SELECT upto FROM event_keys_covered"), try s.db.int("SELECT coalesce(max(id), 0) FROM events"), file: file, line: line)
    }

    func testDuplicatesAcrossImportsWhetherKeysAreLoadedOrProbed() throws {
        var rng = SplitMix(seed: 17)
        let first = (0..<3000).map { _ in "ev-\(rng.next() % 1_000_000_000)" }
        let unique = Array(Set(first))
        let s1 = try importPaths([write("events-a.csv", csv(first))]) { $0.batchRows = 500 }
        XCTAssertEqual(counts(s1), [Int64(unique.count), Int64(first.count - unique.count), 0])
        try assertKeysCover()
        // A big input: every stored key is loaded. Half old ids, half new, some twice.
        let old = Array(unique.prefix(1000)), new = (0..<1000).map { "new-\($0)" }
        let second = old + new + new.prefix(100)
        let s2 = try importPaths([write("events-b.csv", csv(second))]) { $0.batchRows = 300 }
        XCTAssertEqual(counts(s2), [1000, 1100, 0])
        try assertKeysCover()
        // A small input into the (relatively) big store: event_keys is probed row by row.
        let third = [unique[5], "tiny-1", unique[6], "tiny-1", new[3]]
        let s3 = try importPaths([write("events-c.csv", csv(third))])
        XCTAssertEqual(counts(s3), [1, 4, 0])
        try assertKeysCover()
        XCTAssertEqual(try storedIDs().count, unique.count + 1000 + 1)
    }

    /// Two ids whose keys share their top 32 bits (what the importer keeps in memory): both are
    /// stored, each is a duplicate of itself only.
    func testAPrefixMatchIsVerifiedAgainstTheStoredEventID() throws {
        let (a, b) = try prefixCollision("c")
        XCTAssertNotEqual(EventKey.hash(a), EventKey.hash(b))
        // In one file (the in-memory set of this import), then across imports (the stored keys).
        XCTAssertEqual(counts(try importPaths([write("events-1.csv", csv([a, b, a]))])), [2, 1, 0])
        XCTAssertEqual(counts(try importPaths([write("events-2.csv", csv([b, a, "x"]))])), [1, 2, 0])
        // And with stored keys loaded: a large-enough input (many rows) beside the pair.
        let filler = (0..<2000).map { "f-\($0)" }
        XCTAssertEqual(counts(try importPaths([write("events-3.csv", csv(filler + [a, b]))]) { $0.batchRows = 700 }), [2000, 2, 0])
        XCTAssertEqual(try storedIDs().filter { $0 == a || $0 == b }.count, 2)
        try assertKeysCover()
    }

    /// This import's own rows, once `pending` has been merged into the bucketed sorted run
    /// (`recent`) many times: every repeat is a duplicate, a 32-bit prefix match with another id
    /// is not, whether the earlier row is in the run or still in `pending`.
    func testRowsMergedIntoTheSortedRunAreFoundAgain() throws {
        let (a, b) = try prefixCollision("m")
        var rng = SplitMix(seed: 29)
        var ids = (0..<4000).map { _ in "r-\(rng.next() % 3000)" }   // about a quarter repeats
        ids.insert(a, at: 10)
        ids.insert(b, at: 2500)          // long after a was merged into the run
        ids.insert(a, at: 3990)
        ids.insert(b, at: 3995)
        let distinct = Set(ids).count
        let path = write("events.csv", csv(ids))
        let s = try importPaths([path]) { $0.batchRows = 500; $0.dedupePendingMax = 7 }
        XCTAssertEqual(counts(s), [Int64(distinct), Int64(ids.count - distinct), 0])
        try assertKeysCover()
        // Again, over the store: all duplicates.
        XCTAssertEqual(counts(try importPaths([path]) { $0.batchRows = 500; $0.dedupePendingMax = 7 }), [0, Int64(ids.count), 0])
    }

    /// imp38: this import's ids live in sorted runs on disk (`KeyRuns`), the in-memory set holds
    /// a run number per entry. Many runs (and their compaction into one, past 256): every repeat
    /// is a duplicate (the first row wins), 32-bit prefix twins in different runs stay apart, and
    /// the runs' temporary file is never left in the store's directory.
    func testDuplicatesAcrossManyRunsAndTheirCompaction() throws {
        let (a, b) = try prefixCollision("k")
        var rng = SplitMix(seed: 53)
        var ids = (0..<6000).map { _ in "q-\(rng.next() % 4500)" }
        ids.insert(a, at: 3)
        ids.insert(b, at: 5000)          // runs later (after a compaction), same 32-bit prefix
        ids.insert(a, at: 5990)
        ids.insert(b, at: 5999)
        let distinct = Set(ids).count
        let path = write("events.csv", csv(ids))
        // 5 rows a run: ~1,200 runs, compacted four times.
        let s = try importPaths([path]) { $0.batchRows = 700; $0.dedupePendingMax = 5 }
        XCTAssertEqual(counts(s), [Int64(distinct), Int64(ids.count - distinct), 0])
        try assertKeysCover()
        // The first occurrence is the one stored (its ts is the row's position in the file).
        var first: [String: Int] = [:]
        for (i, id) in ids.enumerated() where first[id] == nil { first[id] = i }
        let stored = try rows("SELECT event_id, ts FROM events").map { ($0[0].string!, Int($0[1].int!)) }
        XCTAssertEqual(stored.count, distinct)
        for (id, ts) in stored { XCTAssertEqual(ts - 1000, first[id], id) }
        let dir = (storePath as NSString).deletingLastPathComponent
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".riskdesk-keys-") }, [])
        // A day over it with runs again: all old ids duplicates, new ones stored once.
        let day = (0..<300).map { "day-\($0 % 200)" } + ids.prefix(400)
        XCTAssertEqual(counts(try importPaths([write("events-day.csv", csv(day))]) { $0.batchRows = 90; $0.dedupePendingMax = 3 }),
                       [200, Int64(day.count - 200), 0])
        try assertKeysCover()
    }

    /// The runs on disk: a prefix's ids are found in any run, in id order, also when they cross a
    /// block's end (more than 512 entries with one prefix) or sit at a run's first or last entry.
    func testKeyRunsFindEveryIDOfAPrefix() throws {
        let runs = try KeyRuns(directory: (storePath as NSString).deletingLastPathComponent)
        var rng = SplitMix(seed: 7)
        var truth: [[UInt32: [UInt32]]] = []
        var id: UInt32 = 1
        for r in 0..<5 {
            var entries: [UInt64] = []
            let n = [1, 511, 512, 513, 3000][r]
            for k in 0..<n {
                // Few distinct prefixes in run 4 (long stretches of one prefix), else random.
                let p: UInt32 = r == 4 ? UInt32(k % 3) &* 0x4000_0000 : UInt32(truncatingIfNeeded: rng.next())
                entries.append(UInt64(p) << 32 | UInt64(id)); id += 1
            }
            entries.sort()
            try runs.append(entries)
            var m: [UInt32: [UInt32]] = [:]
            for e in entries { m[UInt32(e >> 32), default: []].append(UInt32(truncatingIfNeeded: e)) }
            truth.append(m)
        }
        for (r, m) in truth.enumerated() {
            for (p, want) in m {
                var got: [UInt32] = []
                try runs.ids(run: r, prefix: p) { got.append($0); return true }
                XCTAssertEqual(got, want, "run \(r) prefix \(p)")
            }
            for p in [UInt32(0), 1, 0x4000_0001, UInt32.max] where m[p] == nil {
                var got: [UInt32] = []
                try runs.ids(run: r, prefix: p) { got.append($0); return true }
                XCTAssertEqual(got, [], "run \(r) prefix \(p)")
            }
        }
    }

    /// Events another writer stores during an import (or without the importer) are seen.
    func testEventsStoredBesideTheImporterAreDuplicates() throws {
        try importPaths([write("events-a.csv", csv((0..<50).map { "a\($0)" }))])
        let s = try store()
        // Written after the store was opened (so no open has covered them yet).
        try Database(path: storePath).exec("INSERT INTO events(event_id, ts, account_id) VALUES ('sql-1', 5, 'z'), ('sql-2', 6, 'z')")
        var o = ImportOptions()
        o.batchRows = 4
        let plan = try ImportPlan(paths: [write("events-b.csv", csv(["sql-1", "a3", "b1", "sql-2", "b2"]))], options: o)
        let sum = try Importer(store: s, options: o).run(plan)
        XCTAssertEqual(counts(sum), [2, 3, 0])
        try assertKeysCover()
    }

    /// Schema v12: a day's keys go to the small recent tier; once it would pass a quarter of the
    /// main tier both are merged. Duplicates are found in either tier, keys loaded or probed,
    /// and no key is in both tiers or missing.
    func testKeysOfDailyImportsLandInTheRecentTierAndMergeIntoTheMainOne() throws {
        func tiers() throws -> [Int64] {
            let s = try store()
            return [try s.db.int("SELECT count(*) FROM event_keys_main"), try s.db.int("SELECT count(*) FROM event_keys_recent")]
        }
        func assertTiersDisjoint(file: StaticString = #filePath, line: UInt = #line) throws {
            let s = try store()
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM event_keys_main m JOIN event_keys_recent r USING (key, id)"), 0, file: file, line: line)
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM event_keys"), try s.db.int("SELECT count(*) FROM events"), file: file, line: line)
        }
        let day = { (d: Int, n: Int) in (0..<n).map { "d\(d)-\($0)" } }
        // A first load goes straight to the main tier.
        XCTAssertEqual(counts(try importPaths([write("events-day0.csv", csv(day(0, 400)))]) { $0.batchRows = 150 }), [400, 0, 0])
        XCTAssertEqual(try tiers(), [400, 0])
        // A day (60 new, 5 of day 0 again): to the recent tier.
        XCTAssertEqual(counts(try importPaths([write("events-day1.csv", csv(day(1, 60) + day(0, 5)))])), [60, 5, 0])
        XCTAssertEqual(try tiers(), [400, 60])
        try assertKeysCover(); try assertTiersDisjoint()
        // A tiny input (event_keys probed row by row): duplicates in either tier.
        XCTAssertEqual(counts(try importPaths([write("events-tiny.csv", csv(["d1-3", "d0-7", "t-1"]))])), [1, 2, 0])
        XCTAssertEqual(try tiers(), [400, 61])
        // The next day would take the recent tier past a quarter of the main one: merged.
        XCTAssertEqual(counts(try importPaths([write("events-day2.csv", csv(day(2, 60) + day(1, 5) + day(0, 5)))])), [60, 10, 0])
        XCTAssertEqual(try tiers(), [521, 0])
        try assertKeysCover(); try assertTiersDisjoint()
        // Keys in both tiers, loaded (the two runs merged in memory): every old id is a duplicate.
        XCTAssertEqual(counts(try importPaths([write("events-day3.csv", csv(day(3, 60)))])), [60, 0, 0])
        XCTAssertEqual(try tiers(), [521, 60])
        let again = day(3, 60) + day(2, 60) + day(1, 60) + day(0, 400) + ["t-1"]
        XCTAssertEqual(counts(try importPaths([write("events-day4.csv", csv(day(4, 30) + again))]) { $0.batchRows = 100 }), [30, Int64(again.count), 0])
        XCTAssertEqual(try tiers(), [521, 90])
        try assertKeysCover(); try assertTiersDisjoint()
        XCTAssertEqual(try storedIDs().count, 400 + 60 + 1 + 60 + 60 + 30)
    }

    /// The stored keys' prefixes held as 16-bit remainders in 2^16 buckets, both tiers merged in:
    /// exactly the set of 32-bit prefixes of `event_keys` (every stored key found, any other
    /// prefix found only when a stored key has it), nothing lost where the tiers interleave.
    func testTheBucketedStoredPrefixesAreExactlyTheStoredKeysPrefixes() throws {
        var rng = SplitMix(seed: 41)
        let first = (0..<6000).map { _ in "s-\(rng.next())" }
        XCTAssertEqual(counts(try importPaths([write("events-a.csv", csv(first))]) { $0.batchRows = 1000 }), [6000, 0, 0])
        let day = (0..<1400).map { _ in "t-\(rng.next())" }
        XCTAssertEqual(counts(try importPaths([write("events-b.csv", csv(day))]) { $0.batchRows = 1000 }), [1400, 0, 0])
        let s = try store()
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM event_keys_recent"), 1400)
        let keys = try s.db.rows("SELECT key FROM event_keys").compactMap { $0[0].int }
        XCTAssertEqual(keys.count, 7400)
        let prefixes = Set(keys.map { EventDedupe.prefix($0) })
        let d = try EventDedupe(db: s.db, expectedRows: nil)
        for k in keys { XCTAssertTrue(d.containsStored(EventDedupe.prefix(k)), "stored key \(k)") }
        // Prefixes next to stored ones (same bucket, neighbouring remainders) and random ones.
        var others: [UInt32] = []
        for k in keys.prefix(2000) { let p = EventDedupe.prefix(k); others += [p &+ 1, p &- 1, p ^ 0x8000] }
        for _ in 0..<20000 { others.append(UInt32(truncatingIfNeeded: rng.next())) }
        others += [0, 1, UInt32.max, UInt32.max - 1]
        for p in others { XCTAssertEqual(d.containsStored(p), prefixes.contains(p), "prefix \(p)") }
    }

    /// Deleting the newest events must not let a later import reuse ids event_keys covers.
    func testDeletedNewestEventsDoNotBreakDedupe() throws {
        try importPaths([write("events-a.csv", csv((0..<40).map { "a\($0)" }))])
        try Database(path: storePath).exec("DELETE FROM events WHERE id > 30")
        let ids = ["n1", "n2", "a35", "a2"]
        XCTAssertEqual(counts(try importPaths([write("events-b.csv", csv(ids))])), [3, 1, 0])   // a35 was deleted: stored again
        XCTAssertEqual(counts(try importPaths([write("events-b.csv", csv(ids))])), [0, 4, 0])
        XCTAssertGreaterThan(try one("SELECT min(id) FROM events WHERE event_id IN ('n1', 'n2', 'a35')").int ?? 0, 40)
        try assertKeysCover()
    }
}

/// Seeded generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
