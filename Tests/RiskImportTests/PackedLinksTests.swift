import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// Schema v17: a large import stages each sorted link-aggregate flush packed
/// (`links_pending_packed`, varint-coded blocks) instead of one `links_pending` row per entry.
/// Whatever is staged — packed, as rows, both, by a killed import — the merge gives what the
/// `GROUP BY` merge of the same entries as rows gives.
final class PackedLinksTests: ImportTestCase {
    typealias Entry = PackedLinks.Entry

    /// Runs of entries sorted by key, keys repeated across runs, kind 0 among them, unknown
    /// times (Int64.max / Int64.min), and with `hostile` extreme values (Int64.min / max ids,
    /// negative times, zero events) that a varint of the differences must carry exactly.
    func runs(_ n: Int, seed: UInt64, hostile: Bool) -> [[Entry]] {
        var rng = SplitMix(seed: seed)
        func pick(_ k: UInt64) -> Int64 { Int64(rng.next() % k) }
        var out: [[Entry]] = []
        for _ in 0..<n {
            var keys = Set<[Int64]>()
            for _ in 0..<(20 + Int(pick(200))) {
                let kind = pick(4)
                var value = kind == 0 ? 0 : 41 + pick(12)
                var account = 1 + pick(40)
                if hostile && pick(10) == 0 { value = [Int64.min, Int64.max, -1, 1 << 40][Int(pick(4))] }
                if hostile && pick(10) == 0 { account = [Int64.min, Int64.max, -7][Int(pick(3))] }
                keys.insert([kind, value, account])
            }
            out.append(keys.sorted { $0.lexicographicallyPrecedes($1) }.map { k in
                var f = 1_790_000_000_000 + pick(5_000_000)
                var l = f + pick(900_000)
                if hostile && pick(8) == 0 { f = -f; l = f + pick(3) }
                if pick(9) == 0 { f = Int64.max }
                if pick(9) == 0 { l = Int64.min }
                return Entry(kind: k[0], value: k[1], account: k[2], events: hostile && pick(12) == 0 ? 0 : 1 + pick(5), first: f, last: l)
            })
        }
        return out
    }

    func writePacked(_ db: Database, _ runs: [[Entry]], blockBytes: Int, runID: Int64 = 1) throws {
        let w = try PackedLinkWriter(db: db, blockBytes: blockBytes)
        w.runID = runID
        for r in runs {
            try w.beginRun()
            for e in r { try w.append(kind: e.kind, value: e.value, account: e.account, events: e.events, first: e.first, last: e.last) }
            try w.endRun()
        }
    }

    func writeRows(_ db: Database, _ runs: [[Entry]], runID: Int64 = 1) throws -> [Int64] {
        let st = try db.prepare("INSERT INTO links_pending(kind, value, account_id, events, first_ts, last_ts, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        var starts: [Int64] = []
        for r in runs {
            for (i, e) in r.enumerated() {
                try st.bind([.int(e.kind), .int(e.value), .int(e.account), .int(e.events),
                              e.first == .max ? .null : .int(e.first), e.last == .min ? .null : .int(e.last), .int(runID)])
                try st.execute()
                if i == 0 { starts.append(db.lastInsertRowID) }
            }
        }
        return starts
    }

    func testEntriesComeBackExactlyWhateverTheirValuesAndBlockSizes() throws {
        let s = try store()
        for (seed, blockBytes) in [(1, 16), (2, 100), (3, 4096), (4, PackedLinks.blockBytes)] as [(UInt64, Int)] {
            let want = runs(7, seed: seed, hostile: true)
            try s.db.exec("DELETE FROM links_pending; DELETE FROM links_pending_packed")
            try writePacked(s.db, want, blockBytes: blockBytes)
            XCTAssertEqual(try s.db.int("SELECT sum(entries) FROM links_pending_packed"), Int64(want.joined().count))
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending_packed WHERE starts_run = 1"), 7, "one run per flush")
            XCTAssertEqual(try s.db.int("SELECT sum(activity) FROM links_pending_packed"), want.joined().filter { $0.kind == 0 }.reduce(0) { $0 + $1.events })
            if blockBytes < 4096 { XCTAssertGreaterThan(try s.db.int("SELECT count(*) FROM links_pending_packed"), 7, "runs span blocks") }
            // Unpacked into rows: the same entries in the same order (null for an unknown time).
            try Schema.unpackPendingLinks(s.db)
            XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending_packed"), 0)
            let got = try s.db.rows("SELECT kind, value, account_id, events, first_ts, last_ts FROM links_pending ORDER BY rowid").map {
                Entry(kind: $0[0].int!, value: $0[1].int!, account: $0[2].int!, events: $0[3].int!, first: $0[4].int ?? .max, last: $0[5].int ?? .min)
            }
            XCTAssertEqual(got, Array(want.joined()), "seed \(seed), blocks of \(blockBytes) bytes")
        }
    }

    let linksSQL = "SELECT kind, value, account_id, events, first_ts, last_ts FROM links_i ORDER BY 1, 2, 3"
    let accountsSQL = "SELECT account_id, n_events, first_seen, last_seen, first_run FROM accounts ORDER BY 1"

    /// A store with 40 accounts and 60 identifiers, links and an account already there.
    func base(_ path: String, live: Bool) throws -> Store {
        try? FileManager.default.removeItem(atPath: path)
        let s = try Store(path: path)
        try s.db.run("INSERT INTO import_runs(id, started_at, sources, pid) VALUES (1, 0, '[]', ?1)", [.int(live ? Int64(getpid()) : 0)])
        for i in 0..<40 { try s.db.run("INSERT INTO idents(v) VALUES (?)", [.text("acc-\(String(format: "%02d", 39 - i))")]) }
        for i in 0..<60 { try s.db.run("INSERT INTO idents(v) VALUES (?)", [.text("val-\(i)")]) }
        try s.db.exec("""
            INSERT INTO links_i(kind, value, account_id, events, first_ts, last_ts) VALUES (1, 41, 3, 7, 500, 9000), (2, 50, 1, 1, 20, 20);
            INSERT INTO accounts(account_id, n_events, first_seen, last_seen, first_run) VALUES ('acc-39', 4, 100, 200, 1);
            """)
        return s
    }

    func testPackedRowsAndBothMergeToWhatGroupByMakesAndAKilledImportsBlocksAreMergedOnOpen() throws {
        for seed: UInt64 in [11, 12, 13] {
            let all = runs(9, seed: seed, hostile: false)
            // The reference: every entry as a row, merged by GROUP BY (an open after a kill, v16).
            let refPath = dir + "/ref.db"
            _ = try writeRows(try base(refPath, live: false).db, all)
            let ref = try Store(path: refPath)
            XCTAssertFalse(try Schema.hasPendingLinks(ref.db))
            let want = (try ref.db.rows(linksSQL), try ref.db.rows(accountsSQL))
            XCTAssertGreaterThan(want.0.count, 100)

            // Packed only, merged k-way by the importer's call.
            var s = try base(storePath, live: true)
            try writePacked(s.db, all, blockBytes: 64)
            XCTAssertTrue(try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: []) }, "seed \(seed)")
            XCTAssertEqual(try s.db.rows(linksSQL), want.0, "packed, seed \(seed)")
            XCTAssertEqual(try s.db.rows(accountsSQL), want.1, "packed, seed \(seed)")
            XCTAssertFalse(try Schema.hasPendingLinks(s.db))

            // Some runs as rows (starts known), the rest packed: one k-way merge.
            s = try base(storePath, live: true)
            let starts = try writeRows(s.db, Array(all[..<4]))
            try writePacked(s.db, Array(all[4...]), blockBytes: 200)
            XCTAssertTrue(try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: starts) })
            XCTAssertEqual(try s.db.rows(linksSQL), want.0, "mixed, seed \(seed)")
            XCTAssertEqual(try s.db.rows(accountsSQL), want.1, "mixed, seed \(seed)")

            // Rows without their starts beside packed runs: unpacked, then GROUP BY.
            s = try base(storePath, live: true)
            _ = try writeRows(s.db, Array(all[..<4]))
            try writePacked(s.db, Array(all[4...]), blockBytes: 200)
            XCTAssertFalse(try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: []) })
            XCTAssertEqual(try s.db.rows(linksSQL), want.0, "fallback, seed \(seed)")
            XCTAssertEqual(try s.db.rows(accountsSQL), want.1, "fallback, seed \(seed)")
            XCTAssertFalse(try Schema.hasPendingLinks(s.db))

            // A killed import's packed blocks: a live import's are left alone, a dead one's
            // merged by the next writer's open.
            s = try base(storePath, live: true)
            try writePacked(s.db, all, blockBytes: 300)
            XCTAssertTrue(try Schema.hasPendingLinks(try Store(path: storePath).db), "an open with a live import's pid merges nothing")
            try s.db.exec("UPDATE import_runs SET pid = 0")
            let reopened = try Store(path: storePath)
            XCTAssertFalse(try Schema.hasPendingLinks(reopened.db))
            XCTAssertEqual(try reopened.db.rows(linksSQL), want.0, "killed, seed \(seed)")
            XCTAssertEqual(try reopened.db.rows(accountsSQL), want.1, "killed, seed \(seed)")
        }
    }

    func testARunOutOfOrderFallsBackAndACorruptBlockIsAnErrorNamingIt() throws {
        let all = runs(5, seed: 21, hostile: false)
        let refPath = dir + "/ref.db"
        _ = try writeRows(try base(refPath, live: false).db, all)
        let ref = try Store(path: refPath)
        let want = (try ref.db.rows(linksSQL), try ref.db.rows(accountsSQL))

        // Two flushes written as one run (out of key order at the seam): the GROUP BY merge.
        var s = try base(storePath, live: true)
        try writePacked(s.db, all, blockBytes: 150)
        try s.db.exec("UPDATE links_pending_packed SET starts_run = 0 WHERE id = (SELECT id FROM links_pending_packed WHERE starts_run = 1 ORDER BY id LIMIT 1 OFFSET 2)")
        XCTAssertFalse(try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: []) })
        XCTAssertEqual(try s.db.rows(linksSQL), want.0)
        XCTAssertEqual(try s.db.rows(accountsSQL), want.1)

        // A block cut short, or with bytes to spare: an error that names the block; nothing merged.
        for damage in ["substr(data, 1, length(data) - 3)", "data || x'00'", "x'ffffffffffffffffffffff'", "x''"] {
            s = try base(storePath, live: true)
            try writePacked(s.db, all, blockBytes: 150)
            let id = try s.db.int("SELECT id FROM links_pending_packed ORDER BY id LIMIT 1 OFFSET 3")
            try s.db.exec("UPDATE links_pending_packed SET data = \(damage) WHERE id = \(id)")
            XCTAssertThrowsError(try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: []) }, damage) { e in
                XCTAssertTrue("\(e)".contains("block \(id) is corrupt"), "\(damage): \(e)")
            }
            XCTAssertEqual(try s.db.rows(linksSQL).count, 2, "rolled back: \(damage)")
            XCTAssertTrue(try Schema.hasPendingLinks(s.db))
        }
    }

    func testTheImportersFlushesArePackedRuns() throws {
        // The aggregate flushed every 64 entries into packed runs: no links_pending rows, one run
        // per flush, and the merge takes them as runs, giving every link event once.
        let s = try store()
        let agg = LinkAggregator()
        agg.stage = try s.db.prepare("INSERT INTO links_pending(kind, value, account_id, events, first_ts, last_ts, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        agg.packed = try PackedLinkWriter(db: s.db, blockBytes: 256)
        var rng = SplitMix(seed: 20)
        let unused = try s.db.prepare("SELECT 1")
        var linkEvents: Int64 = 0, flushes = 0, firstLink: Int64 = -1, lastLink: Int64 = -1
        var keys = Set<[Int64]>()
        for i in 0..<3000 {
            let kind = UInt8(rng.next() % 3)
            let value = Int64(rng.next() % 50), account = Int64(rng.next() % 30)
            if kind > 0 { linkEvents += 1; keys.insert([Int64(kind), value, account]); if firstLink < 0 { firstLink = Int64(i) }; lastLink = Int64(i) }
            agg.add(kind: kind, value: value, account: account, ts: Int64(i))
            if agg.count >= 64 { try agg.flush(link: unused, account: unused, runID: 1); flushes += 1 }
        }
        try agg.flush(link: unused, account: unused, runID: 1); flushes += 1
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending"), 0)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_pending_packed WHERE starts_run = 1"), Int64(flushes))
        XCTAssertEqual(try s.db.int("SELECT sum(activity) FROM links_pending_packed"), 3000 - linkEvents)
        XCTAssertTrue(try s.db.transaction { try Schema.mergePendingLinkRuns(s.db, runStarts: []) })
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM links_i"), Int64(keys.count))
        XCTAssertEqual(try s.db.int("SELECT sum(events) FROM links_i"), linkEvents)
        XCTAssertEqual(try s.db.int("SELECT min(first_ts) FROM links_i"), firstLink)
        XCTAssertEqual(try s.db.int("SELECT max(last_ts) FROM links_i"), lastLink)
    }
}
