import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// Schema v14: the importer writes `events_i` and the `idents` dictionary directly, in chunks
/// whose new identifiers are looked up and added in key order; `events` (the view) reads back
/// exactly what the file said, whatever the chunk and cache sizes.
final class InternedImportTests: ImportTestCase {
    /// Rows with identifiers that repeat within and across chunks, the same string in two
    /// columns (a device id that is also an IP, an account that is also a seller and a target),
    /// absent values, non-ASCII, and duplicate deliveries of earlier rows.
    func world(rows n: Int, seed: UInt64) -> (csv: String, expected: [[String]]) {
        var rng = SplitMix(seed: seed)
        var csv = header + "\n"
        var expected: [[String]] = []
        var lines: [String] = []
        for i in 0..<n {
            let acct = "acc-\(rng.next() % 40)"
            let dev = rng.next() % 5 == 0 ? "" : (rng.next() % 7 == 0 ? "shared-x" : "dev-\(rng.next() % 60)")
            let ip = rng.next() % 9 == 0 ? "shared-x" : "10.0.\(rng.next() % 4).\(rng.next() % 50)"
            let item = rng.next() % 3 == 0 ? "" : "itém-\(rng.next() % 30)"
            let seller = rng.next() % 4 == 0 ? "acc-\(rng.next() % 40)" : ""
            let order = rng.next() % 2 == 0 ? "o-\(i)" : ""
            let target = rng.next() % 6 == 0 ? "acc-\(rng.next() % 40)" : ""
            // event_id,ts,account_id,type,device_id,ip,country,session_id,item_id,seller_id,order_id,quantity,amount,currency,coupon_id,payment_id,address_id,target_id,rating,status,text
            let fields = ["e\(i)", "\(1_790_000_000_000 + i * 1000)", acct, "view", dev, ip, "TH", "s-\(i / 5)", item, seller, order,
                          "", "", "", "", "", "", target, "", "", ""]
            let line = fields.joined(separator: ",")
            lines.append(line)
            expected.append(fields)
            // Re-deliveries: a recent row (same chunk) and an old one (an earlier chunk).
            if i % 17 == 0 { lines.append(lines[lines.count - 1 - Int(rng.next() % UInt64(min(lines.count, 5)))]) }
            if i % 29 == 0 && i > 200 { lines.append(lines[Int(rng.next() % 100)]) }
        }
        csv += lines.joined(separator: "\n") + "\n"
        return (csv, expected)
    }

    func dump() throws -> [[String]] {
        try rows("SELECT event_id, ts, account_id, type, device_id, ip, country, session_id, item_id, seller_id, order_id, quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating, status, text FROM events ORDER BY ts")
            .map { $0.map { v in v.string ?? v.int.map(String.init) ?? "" } }
    }

    func testSmallChunksAndASmallCacheStoreWhatTheFileSaid() throws {
        let w = world(rows: 1500, seed: 1701)
        let s = try importPaths([write("events.csv", w.csv)]) {
            $0.internChunkRows = 64
            $0.internCacheEntries = 32   // cleared again and again
            $0.internDictionaryEntries = 0   // the two-generation cache, not the import's dictionary
            $0.batchRows = 500
        }
        XCTAssertEqual(s.stored, 1500)
        XCTAssertGreaterThan(s.duplicate, 80)
        XCTAssertEqual(try dump(), w.expected)
        // Each distinct identifier once in the dictionary, shared by the columns that use it.
        let cols = Schema.internedColumns.map { "SELECT \($0) AS v FROM events WHERE \($0) IS NOT NULL" }.joined(separator: " UNION ")
        XCTAssertEqual(try one("SELECT count(*) FROM (\(cols))"), try one("SELECT count(*) FROM idents"))
        XCTAssertEqual(try one("SELECT count(DISTINCT device_id) FROM events_i WHERE device_id IN (SELECT id FROM idents WHERE v = 'shared-x')"), .int(1))
        XCTAssertEqual(try one("SELECT count(*) FROM events_i WHERE typeof(account_id) <> 'integer' OR typeof(device_id) NOT IN ('integer', 'null')"), .int(0))
        // Sessions and orders (mostly unique) are stored as text, outside the dictionary (v15).
        XCTAssertEqual(try one("SELECT count(*) FROM events_i WHERE typeof(session_id) <> 'text' OR typeof(order_id) NOT IN ('text', 'null')"), .int(0))
        XCTAssertEqual(try one("SELECT count(*) FROM idents WHERE v LIKE 's-%' OR v LIKE 'o-%'"), .int(0))
        // The view's strings are TEXT, as the v13 table's were.
        XCTAssertEqual(try one("SELECT count(*) FROM events WHERE typeof(account_id) <> 'text' OR typeof(ip) <> 'text'"), .int(0))

        // The same file again, with the default chunk: nothing new, the dictionary unchanged.
        let before = try one("SELECT count(*) FROM idents")
        let again = try importPaths([write("events-again.csv", w.csv)])
        XCTAssertEqual(again.stored, 0)
        XCTAssertEqual(try one("SELECT count(*) FROM idents"), before)
        XCTAssertEqual(try dump(), w.expected)
    }

    /// imp60: a chunk's identifiers whose ids are known are written with the id the row took from
    /// the dictionary (not read from the cache again); the ones the chunk adds, once looked up.
    /// Stored ids past 32 bits (and so every id added after them), and a stored id of 0 (a store
    /// written by hand), come back through the view in every chunk — with the import's dictionary,
    /// restarted every few chunks, and with the two-generation cache.
    func testStoredIdsPast32BitsAndZeroAreWrittenInEveryChunk() throws {
        let w = world(rows: 1200, seed: 1713)
        let csv = write("events.csv", w.csv)
        let big = Int64(UInt32.max) + 7, huge = Int64(1) << 40
        for dictionary in [1 << 22, 150, 0] {
            try? FileManager.default.removeItem(atPath: storePath)
            let store = try Store(path: storePath)
            try store.db.exec("INSERT INTO idents(id, v) VALUES (0, 'acc-0'), (\(big), 'acc-1'), (\(huge), 'shared-x')")
            var o = ImportOptions()
            o.internChunkRows = 97
            o.internCacheEntries = 64
            o.internDictionaryEntries = dictionary
            let s = try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
            XCTAssertEqual(s.stored, 1200)
            XCTAssertEqual(try dump(), w.expected, "dictionary \(dictionary)")
            let col = { (name: String) in w.expected.map { $0[ContractKind.events.fields.firstIndex { $0.name == name }!] } }
            XCTAssertEqual(try one("SELECT count(*) FROM events_i WHERE account_id = 0"), .int(Int64(col("account_id").filter { $0 == "acc-0" }.count)))
            XCTAssertEqual(try one("SELECT count(*) FROM events_i WHERE account_id = \(big)"), .int(Int64(col("account_id").filter { $0 == "acc-1" }.count)))
            XCTAssertEqual(try one("SELECT count(*) FROM events_i WHERE device_id = \(huge)"), .int(Int64(col("device_id").filter { $0 == "shared-x" }.count)))
            XCTAssertEqual(try one("SELECT count(*) FROM events_i WHERE ip = \(huge)"), .int(Int64(col("ip").filter { $0 == "shared-x" }.count)))
            // Identifiers added by the import take ids past the stored ones: past 32 bits.
            XCTAssertEqual(try one("SELECT count(*) FROM idents WHERE id > 0 AND id < \(big)"), .int(0))
            XCTAssertGreaterThan(try one("SELECT count(*) FROM idents WHERE id > \(huge)").int ?? 0, 100)
            XCTAssertEqual(try one("SELECT count(*) FROM links WHERE account_id = 'acc-1'"), try one("SELECT count(*) FROM links_i WHERE account_id = \(big)"))
            XCTAssertGreaterThan(try one("SELECT count(*) FROM links_i WHERE account_id = \(big)").int ?? 0, 0)
        }
    }

    /// imp60: a bulk load's batch is a twentieth of its estimated rows (each commit rewrites the
    /// pages of `idents`' index its batch touched), within 250k and the 1M measured.
    func testABulkLoadsBatchGrowsWithTheInputWithinBounds() {
        XCTAssertEqual(Importer.bulkBatchRows(estimatedRows: nil), 250_000)
        XCTAssertEqual(Importer.bulkBatchRows(estimatedRows: 1_000_000), 250_000)
        XCTAssertEqual(Importer.bulkBatchRows(estimatedRows: 5_000_000), 250_000)
        XCTAssertEqual(Importer.bulkBatchRows(estimatedRows: 12_000_000), 600_000)
        XCTAssertEqual(Importer.bulkBatchRows(estimatedRows: 20_000_000), 1_000_000)
        XCTAssertEqual(Importer.bulkBatchRows(estimatedRows: Int64.max), 1_000_000)
        XCTAssertEqual(Importer.bulkBatchRows(estimatedRows: -5), 250_000)
    }

    /// imp60: a bulk load's batch ends by time too (`bulkBatchSeconds`, past `bulkBatchTimedFromRows`,
    /// looked at every 4,096 rows), so a second writer waits no longer than that for a batch
    /// grown past it; a batch asked for (`--batch N`) and an import that is no bulk load keep
    /// their batch; the rows stored are the same either way.
    func testABulkLoadsBatchAlsoEndsByTime() throws {
        let w = world(rows: 10_000, seed: 1719)
        let csv = write("events.csv", w.csv)
        func load(_ mode: IndexMode, seconds: Double?, from: Int = 10, askedFor: Bool = false) throws -> Int {
            try? FileManager.default.removeItem(atPath: storePath)
            var o = ImportOptions()
            o.indexMode = mode
            o.batchRows = 1_000_000
            o.autoBatch = !askedFor
            o.bulkBatchSeconds = seconds
            o.bulkBatchTimedFromRows = from
            let importer = try Importer(store: try Store(path: storePath), options: o)
            let s = try importer.run(try ImportPlan(paths: [csv], options: o))
            XCTAssertEqual(s.bulkIndexes, mode == .rebuild)
            XCTAssertEqual(s.stored, 10_000)
            XCTAssertEqual(try dump(), w.expected)
            return importer.commits
        }
        // 10,000 rows and their re-deliveries: past 4,096 and 8,192 rows, then the end.
        XCTAssertEqual(try load(.rebuild, seconds: 0), 3)
        // Timed only past its rows: 8,192, then the end.
        XCTAssertEqual(try load(.rebuild, seconds: 0, from: 5_000), 2)
        XCTAssertEqual(try load(.rebuild, seconds: nil), 1)
        XCTAssertEqual(try load(.rebuild, seconds: 3_600), 1)
        XCTAssertEqual(try load(.rebuild, seconds: 0, askedFor: true), 1)
        XCTAssertEqual(try load(.keep, seconds: 0), 1)
    }

    /// `sorterThreads` (SQLite's sorter worker threads for a load's final sorts) changes no
    /// stored byte: a bulk load with and without them stores the same events, links, keys and
    /// indexes, and the connection's setting is put back afterwards.
    /// An import into a store that keeps its timeline index inserts each chunk's rows in
    /// (account, ts) order, each with its id: the store is the same as with the rows inserted
    /// in file order — the same ids for the same events, links, keys, accounts and counts —
    /// for a first import and for a day into a store that already holds rows.
    func testTimelineOrderStoresTheSameAsFileOrder() throws {
        let w = world(rows: 3000, seed: 1707)
        let lines = w.csv.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let head = write("events-head.csv", (lines[0..<2000]).joined(separator: "\n") + "\n")
        let day = write("events-day.csv", ([lines[0]] + lines[2000...]).joined(separator: "\n") + "\n")
        func load(ordered: Bool) throws -> [[[SQLValue]]] {
            try? FileManager.default.removeItem(atPath: storePath)
            for csv in [head, day] {
                var o = ImportOptions()
                o.timelineOrder = ordered
                o.internChunkRows = 97
                o.internCacheEntries = 64
                let store = try Store(path: storePath)
                let s = try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
                XCTAssertFalse(s.bulkIndexes)
            }
            return try ["SELECT * FROM events ORDER BY id", "SELECT * FROM links ORDER BY 1, 2, 3",
                        "SELECT key, id FROM event_keys ORDER BY 1, 2", "SELECT * FROM accounts ORDER BY account_id",
                        "SELECT * FROM event_hourly ORDER BY 1, 2", "PRAGMA integrity_check"].map { try rows($0) }
        }
        let ordered = try load(ordered: true)
        XCTAssertEqual(try dump(), w.expected)
        // Ids follow the file (ts rises with the line here), not the insertion order.
        XCTAssertEqual(try one("SELECT count(*) FROM events_i a JOIN events_i b ON b.id = a.id + 1 WHERE b.ts < a.ts"), .int(0))
        XCTAssertEqual(ordered[5], [[.text("ok")]])
        XCTAssertEqual(try load(ordered: false), ordered)
    }

    /// imp38: the whole import's identifier dictionary (each identifier looked up once), the same
    /// dictionary full and restarted every few chunks, and the two-generation cache store the same
    /// rows, ids, dictionary, links and keys — a head and a day over it, duplicates in both.
    func testTheIdentifierDictionaryStoresTheSameAsTheCache() throws {
        let w = world(rows: 3000, seed: 1711)
        let lines = w.csv.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let head = write("events-head.csv", (lines[0..<2000] + lines[100..<300]).joined(separator: "\n") + "\n")
        let day = write("events-day.csv", ([lines[0]] + lines[2000...] + lines[1500..<1700]).joined(separator: "\n") + "\n")
        func load(dictionary: Int) throws -> [[[SQLValue]]] {
            try? FileManager.default.removeItem(atPath: storePath)
            for csv in [head, day] {
                var o = ImportOptions()
                o.internChunkRows = 97
                o.internCacheEntries = 64
                o.internDictionaryEntries = dictionary
                o.dedupePendingMax = 50
                let store = try Store(path: storePath)
                _ = try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
            }
            return try ["SELECT * FROM events ORDER BY id", "SELECT * FROM idents ORDER BY id", "SELECT * FROM links ORDER BY 1, 2, 3",
                        "SELECT key, id FROM event_keys ORDER BY 1, 2", "SELECT * FROM accounts ORDER BY account_id",
                        "SELECT * FROM event_hourly ORDER BY 1, 2", "PRAGMA integrity_check"].map { try rows($0) }
        }
        let dict = try load(dictionary: 1 << 22)
        XCTAssertEqual(try dump(), w.expected)
        XCTAssertEqual(dict[6], [[.text("ok")]])
        XCTAssertGreaterThan(dict[1].count, 200)
        XCTAssertEqual(try load(dictionary: 150), dict)
        XCTAssertEqual(try load(dictionary: 0), dict)
    }

    func testSorterThreadsStoreTheSameAndAreReset() throws {
        let w = world(rows: 4000, seed: 1703)
        let csv = write("events.csv", w.csv)
        func load(threads: Int) throws -> [[[SQLValue]]] {
            try? FileManager.default.removeItem(atPath: storePath)
            var o = ImportOptions()
            o.indexMode = .rebuild          // bulk: links staged and merged, keys and indexes built at the end
            o.sorterThreads = threads
            o.internChunkRows = 256
            let store = try Store(path: storePath)
            let s = try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
            XCTAssertTrue(s.bulkIndexes)
            XCTAssertEqual(s.stored, 4000)
            XCTAssertEqual(try store.db.int("PRAGMA threads"), 0, "threads \(threads) left set")
            XCTAssertEqual(try store.missingIndexes(), [])
            XCTAssertEqual(try dump(), w.expected)
            return try ["SELECT * FROM links ORDER BY 1, 2, 3", "SELECT key, id FROM event_keys ORDER BY 1, 2",
                        "SELECT * FROM accounts ORDER BY account_id", "SELECT * FROM event_hourly ORDER BY 1, 2",
                        "SELECT name, sql FROM sqlite_master ORDER BY name", "PRAGMA integrity_check"].map { try rows($0) }
        }
        let none = try load(threads: 0)
        XCTAssertGreaterThan(none[0].count, 100)
        XCTAssertEqual(none[5], [[.text("ok")]])
        XCTAssertEqual(try load(threads: 4), none)
    }

    /// imp39: a bulk load's final sorts with the page cache at 32 MiB (nil, as before), at the
    /// default (8 MiB) and at 1 MiB (SQLite's sorter then cuts its runs at its floor of 250 pages,
    /// ~3.9 MiB: the 200k-row load's event keys and (account, ts) / (type, ts) entries, ~6 MB
    /// of records each by their size, should go to temporary files as more than one run and be
    /// merged, where with 32 MiB they sort in memory) store the same events, links, keys, accounts, hourly counts and schema, and
    /// the connection's cache is back to 32 MiB afterwards. Two seeds and sizes. The cache each
    /// phase ran with is read when the phase is announced (imp40, review39b I1): the rows and the
    /// links merge at the load's 32 MiB, the event keys and every index build at the sort cache
    /// (clamped to 4 MiB) — so a sort cache set too late, never, or reset too early fails here.
    func testASmallSortCacheStoresTheSameAndIsReset() throws {
        for (seed, n): (UInt64, Int) in [(3901, 200_000), (3902, 20_000)] {
            let w = world(rows: n, seed: seed)
            let csv = write("events-\(seed).csv", w.csv)
            func load(sortCache: Int?) throws -> [[[SQLValue]]] {
                try? FileManager.default.removeItem(atPath: storePath)
                var o = ImportOptions()
                o.indexMode = .rebuild          // bulk: links staged and merged, keys and indexes built at the end
                o.sortCacheBytes = sortCache
                let store = try Store(path: storePath)
                // The page cache each phase ran with (review39b I1: that the sorts ran at the
                // asked size, not only that it was set back): read on the import's connection
                // when the phase is announced, before its statement runs.
                var cacheAt: [String: Int64] = [:]
                o.progress = { p in
                    if cacheAt[p.phase] == nil { cacheAt[p.phase] = try? store.db.int("PRAGMA cache_size") }
                }
                let s = try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
                XCTAssertTrue(s.bulkIndexes)
                XCTAssertEqual(s.stored, Int64(n))
                // KiB, negative: nil keeps the load's 32 MiB; a size is clamped to 4 MiB … 1 GiB.
                let sortKiB = -Int64(sortCache.map { min(max($0, 4 << 20), 1 << 30) } ?? 32 << 20) / 1024
                XCTAssertEqual(cacheAt["importing"], -32768, "seed \(seed): the load's own cache")
                XCTAssertEqual(cacheAt["merging links"], -32768, "seed \(seed): the links merge at the load's cache")
                for phase in ["adding event keys"] + Schema.rebuildableIndexes.map({ "indexing \($0.name)" }) {
                    XCTAssertEqual(cacheAt[phase], sortKiB, "seed \(seed), sort cache \(String(describing: sortCache)): \(phase)")
                }
                XCTAssertEqual(try store.db.int("PRAGMA cache_size"), -32768, "sort cache \(String(describing: sortCache)) left set")
                XCTAssertEqual(try store.missingIndexes(), [])
                XCTAssertEqual(try dump(), w.expected)
                return try ["SELECT * FROM links ORDER BY 1, 2, 3", "SELECT key, id FROM event_keys ORDER BY 1, 2",
                            "SELECT * FROM accounts ORDER BY account_id", "SELECT * FROM event_hourly ORDER BY 1, 2",
                            "SELECT name, sql FROM sqlite_master ORDER BY name", "PRAGMA integrity_check",
                            "SELECT count(*) FROM event_keys", "SELECT count(*) FROM events_i INDEXED BY idx_events_account_ts",
                            "SELECT count(*) FROM events_i INDEXED BY idx_events_type_ts"].map { try rows($0) }
            }
            let usual = try load(sortCache: nil)
            XCTAssertGreaterThan(usual[0].count, 100)
            XCTAssertEqual(usual[5], [[.text("ok")]])
            XCTAssertEqual(usual[6], [[.int(Int64(n))]])
            XCTAssertEqual(usual[7], [[.int(Int64(n))]])
            XCTAssertEqual(usual[8], [[.int(Int64(n))]])
            XCTAssertEqual(try load(sortCache: ImportOptions().sortCacheBytes), usual, "seed \(seed), the default")
            XCTAssertEqual(try load(sortCache: 1 << 20), usual, "seed \(seed), 1 MiB")
        }
    }

    /// imp40: the daily case (a day's events into a store that keeps its indexes) in one
    /// transaction per file (`ImportOptions.dailyOneTransaction`, off by default). A day whose
    /// import fails after many batches' worth of rows — a trigger that refuses every row, made
    /// inside the import's transaction when it reports 8k rows — leaves the store as it was
    /// before the day; run again, it stores what the default batches store. With the option
    /// off, the same failure keeps the batches committed before it (so the check can fail).
    func testADailyImportInOneTransactionFailsWhole() throws {
        for seed: UInt64 in [4001, 4002] {
            let w = world(rows: 60_000, seed: seed)
            let lines = w.csv.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            let head = write("events-head-\(seed).csv", ([header] + lines[1...20_000]).joined(separator: "\n") + "\n")
            let day = write("events-day-\(seed).csv", ([header] + lines[20_001...]).joined(separator: "\n") + "\n")
            // Every table an import writes, without the run ids (a failed run takes one).
            let tables = ["SELECT id, event_id, ts, account_id, type, device_id, ip, country, session_id, item_id, seller_id, order_id, quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating, status, text, extra FROM events_i ORDER BY id",
                          "SELECT * FROM idents ORDER BY id", "SELECT * FROM links ORDER BY 1, 2, 3",
                          "SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY account_id",
                          "SELECT * FROM event_hourly ORDER BY 1, 2", "SELECT key, id FROM event_keys ORDER BY 1, 2",
                          "SELECT count(*) FROM links_pending", "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY 1",
                          "PRAGMA integrity_check"]
            func dump(_ db: Database) throws -> [[[SQLValue]]] { try tables.map { try db.rows($0) } }
            func load(_ path: String, _ csv: String, oneTransaction: Bool = false, failAt: Int64? = nil) throws -> ImportSummary {
                var o = ImportOptions()
                o.dailyOneTransaction = oneTransaction
                o.batchRows = 500               // the daily case takes its own: 2,000 rows a batch
                o.dailyBatchRows = 2_000
                // Rows and links reach the store's tables inside the transaction before the failure
                // (review40a I2: with the default 64k chunks nothing was written yet at 8k rows).
                o.internChunkRows = 1_000
                o.linkFlushEntries = 2_000
                let store = try Store(path: path)
                var failed = false
                if let failAt {
                    o.progress = { p in
                        guard !failed, p.phase == "importing", p.rows >= failAt else { return }
                        failed = true
                        try? store.db.exec("CREATE TRIGGER imp40_fail BEFORE INSERT ON events_i BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                    }
                }
                defer { if failAt != nil { XCTAssertTrue(failed, "seed \(seed): the failure was injected") } }
                return try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
            }
            // The reference: head, then the day in the default batches.
            let ref = dir + "/ref-\(seed).db"
            try load(ref, head)
            let daily = try load(ref, day)
            XCTAssertFalse(daily.bulkIndexes, "seed \(seed): the day is the daily case, not a bulk load")
            XCTAssertGreaterThan(daily.duplicate, 100)
            let after = try dump(try Store(path: ref).db)

            // One transaction: a failure after 8k of the day's rows leaves the store as before the day.
            let one = dir + "/one-\(seed).db"
            try load(one, head)
            let before = try dump(try Store(path: one).db)
            XCTAssertThrowsError(try load(one, day, oneTransaction: true, failAt: 8_000))
            XCTAssertEqual(try dump(try Store(path: one).db), before, "seed \(seed): the failed day left nothing")
            // Run again, whole: what the default batches stored.
            let again = try load(one, day, oneTransaction: true)
            XCTAssertEqual(again.stored, daily.stored)
            XCTAssertEqual(try dump(try Store(path: one).db), after, "seed \(seed): one transaction stores what the batches store")

            // The default batches: the same failure keeps what was committed before it.
            let batches = dir + "/batches-\(seed).db"
            try load(batches, head)
            let headEvents = try Store(path: batches).db.int("SELECT count(*) FROM events_i")
            XCTAssertThrowsError(try load(batches, day, failAt: 8_000))
            XCTAssertGreaterThanOrEqual(try Store(path: batches).db.int("SELECT count(*) FROM events_i"), headEvents + 3_000,
                                        "seed \(seed): batches of 2,000 committed before the failure")
        }
    }

    /// imp41: a day's staged links merged into a store that holds the other days, with the
    /// accounts' activity indexes built again (the default) and updated in place: the same
    /// links, accounts and indexes, and the same as one import of both days; integrity ok.
    func testADaysMergeRebuildingTheAccountIndexesStoresWhatOneImportStores() throws {
        for seed: UInt64 in [4101, 4102] {
            let w = world(rows: 30_000, seed: seed)
            let lines = w.csv.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            let head = write("events-head-\(seed).csv", ([header] + lines[1...20_000]).joined(separator: "\n") + "\n")
            let day = write("events-day-\(seed).csv", ([header] + lines[20_001...]).joined(separator: "\n") + "\n")
            let all = write("events-all-\(seed).csv", w.csv)
            let tables = ["SELECT * FROM links ORDER BY 1, 2, 3",
                          "SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY account_id",
                          "SELECT account_id, n_events FROM accounts INDEXED BY idx_accounts_events ORDER BY n_events, account_id",
                          "SELECT account_id, coalesce(last_seen, -1) FROM accounts INDEXED BY idx_accounts_last_seen ORDER BY coalesce(last_seen, -1), account_id",
                          "SELECT name, sql FROM sqlite_schema WHERE tbl_name = 'accounts' ORDER BY 1", "PRAGMA integrity_check"]
            // The schema cookie after each file: each DROP and CREATE INDEX adds one (a small index's
            // root page may be reused, so the pages are no witness).
            var roots: [String: [Int64]] = [:]
            func load(_ path: String, _ csvs: [String], rebuild: Bool) throws -> [[[SQLValue]]] {
                for csv in csvs {
                    defer { roots[path, default: []].append((try? Store(path: path).db.int("PRAGMA schema_version")) ?? -1) }
                    var o = ImportOptions()
                    o.indexMode = .rebuild          // staged links, merged as runs, at this size
                    o.rebuildAccountIndexes = rebuild
                    o.linkFlushEntries = 2_000
                    let store = try Store(path: path)
                    _ = try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o))
                }
                let db = try Store(path: path).db
                return try tables.map { try db.rows($0) }
            }
            XCTAssertTrue(ImportOptions().rebuildAccountIndexes, "on by default")
            let rebuilt = try load(dir + "/reb-\(seed).db", [head, day], rebuild: true)
            let updated = try load(dir + "/upd-\(seed).db", [head, day], rebuild: false)
            let once = try load(dir + "/once-\(seed).db", [all], rebuild: true)
            XCTAssertGreaterThan(rebuilt[1].count, 30, "seed \(seed)")
            let r = roots[dir + "/reb-\(seed).db"]!, u = roots[dir + "/upd-\(seed).db"]!
            XCTAssertEqual(r[1] - r[0], u[1] - u[0] + 4, "seed \(seed): the day's merge dropped and built the two indexes again; without the option, not")
            XCTAssertEqual(rebuilt, updated, "seed \(seed)")
            XCTAssertEqual(rebuilt, once, "seed \(seed): the day merged is one import of both days")
            XCTAssertEqual(rebuilt.last, [[.text("ok")]])
        }
    }

    /// review41b #3: a failure inside the accounts' index rebuild on the real daily path — auto
    /// index mode, a day into a store that keeps its indexes (not a bulk load), big enough by
    /// its bytes to be staged (an estimate over 200k rows, under twice the store's) — leaves
    /// the store as it was before the merge: both indexes there with their own SQL, integrity
    /// ok, the day's rows committed and its links still staged; the next open merges them, and
    /// the store then holds what the uninterrupted day stores. The day's text column is padded
    /// so the file's size, not its rows, puts it on that path (the estimate is bytes / 160).
    func testAFailureInsideTheDailyMergesRebuildLeavesTheIndexes() throws {
        let tables = ["SELECT * FROM links ORDER BY 1, 2, 3",
                      "SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY account_id",
                      "SELECT account_id, n_events FROM accounts INDEXED BY idx_accounts_events ORDER BY n_events, account_id",
                      "SELECT account_id, coalesce(last_seen, -1) FROM accounts INDEXED BY idx_accounts_last_seen ORDER BY coalesce(last_seen, -1), account_id",
                      "SELECT count(*), count(DISTINCT event_id), min(ts), max(ts) FROM events",
                      "SELECT name, sql FROM sqlite_schema WHERE tbl_name = 'accounts' ORDER BY 1", "PRAGMA integrity_check"]
        let indexSQL = "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'accounts' ORDER BY name"
        for seed: UInt64 in [4201, 4202] {
            let w = world(rows: 150_000, seed: seed)
            let lines = w.csv.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            let cut = 1 + (lines.count - 1) * 3 / 4
            let headCSV = write("events-head-\(seed).csv", lines[0..<cut].joined(separator: "\n") + "\n")
            let head = dir + "/head-\(seed).db"
            do {
                let o = ImportOptions()
                _ = try Importer(store: try Store(path: head), options: o).run(try ImportPlan(paths: [headCSV], options: o))
            }
            let existing = try Store(path: head, readOnly: true).db.int("SELECT max(id) FROM events_i")
            // The day padded to an estimate of 200k + half the way to twice the store's rows.
            let dayLines = Array(lines[cut...])
            let raw = dayLines.reduce(header.utf8.count + 1) { $0 + $1.utf8.count + 1 }
            let want = 160 * (200_000 + (Int(existing) * 2 - 200_000) / 2)
            XCTAssertGreaterThan(Int(existing) * 2, 210_000, "seed \(seed): the head is big enough for a day of 200k estimated rows")
            let pad = String(repeating: "p", count: max(0, (want - raw) / dayLines.count))
            let dayCSV = write("events-day-\(seed).csv", ([header] + dayLines.map { $0 + pad }).joined(separator: "\n") + "\n")
            func copy(_ to: String) throws {
                for x in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: to + x) }
                try FileManager.default.copyItem(atPath: head, toPath: to)
            }
            // The reference: the day uninterrupted, the daily case (no bulk load), the rebuild on.
            let ref = dir + "/ref-\(seed).db"
            try copy(ref)
            var phases: [String] = []
            var o = ImportOptions()
            o.progress = { p in if phases.last != p.phase { phases.append(p.phase) } }
            let sum = try Importer(store: try Store(path: ref), options: o).run(try ImportPlan(paths: [dayCSV], options: o))
            XCTAssertFalse(sum.bulkIndexes, "seed \(seed): the daily case, not a bulk load")
            XCTAssertTrue(phases.contains("merging links"), "seed \(seed): the day's links were staged: \(phases)")
            let want0 = try tables.map { try Store(path: ref, readOnly: true).db.rows($0) }

            // The same day, the merge failing once the first index is dropped.
            let path = dir + "/fail-\(seed).db"
            try copy(path)
            let before = try Store(path: path, readOnly: true).db.rows(indexSQL)
            XCTAssertEqual(before.filter { ["idx_accounts_events", "idx_accounts_last_seen"].contains($0[0].string ?? "") }.count, 2, "seed \(seed): both indexes in the head")
            let store = try Store(path: path)
            let dropped = "WHEN NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'idx_accounts_events')"
            var armed = false
            var f = ImportOptions()
            f.progress = { p in
                if p.phase == "merging links" && !armed {
                    armed = true
                    try? store.db.exec("CREATE TRIGGER imp42_fail BEFORE UPDATE ON accounts \(dropped) BEGIN SELECT RAISE(ABORT, 'injected inside the rebuild'); END")
                    try? store.db.exec("CREATE TRIGGER imp42_fail2 BEFORE INSERT ON accounts \(dropped) BEGIN SELECT RAISE(ABORT, 'injected inside the rebuild'); END")
                }
            }
            XCTAssertThrowsError(try Importer(store: store, options: f).run(try ImportPlan(paths: [dayCSV], options: f))) {
                XCTAssertTrue("\($0)".contains("injected inside the rebuild"), "seed \(seed): \($0)")
            }
            XCTAssertTrue(armed, "seed \(seed)")
            XCTAssertEqual(try store.db.rows(indexSQL), before, "seed \(seed): both indexes there, with their own SQL")
            XCTAssertEqual(try store.db.rows("PRAGMA integrity_check"), [[.text("ok")]], "seed \(seed)")
            XCTAssertTrue(try Schema.hasPendingLinks(store.db), "seed \(seed): the day's links still staged")
            XCTAssertEqual(try store.db.rows(tables[4]), want0[4], "seed \(seed): the day's rows committed")
            try store.db.exec("DROP TRIGGER imp42_fail")
            try store.db.exec("DROP TRIGGER imp42_fail2")
            // The next writer's open merges the staging: the store then is the uninterrupted day's.
            let reopened = try Store(path: path)
            XCTAssertFalse(try Schema.hasPendingLinks(reopened.db), "seed \(seed)")
            for (i, q) in tables.enumerated() { XCTAssertEqual(try reopened.db.rows(q), want0[i], "seed \(seed): \(q)") }
        }
    }

    /// An index build that fails mid-way through a bulk load's sorts leaves the connection's
    /// page cache at the load's 32 MiB, not the sort cache (review39b I1's error path): a table
    /// made under the second index's name, when that phase is announced, makes its
    /// `CREATE INDEX` fail.
    func testAFailedIndexBuildSetsThePageCacheBack() throws {
        let w = world(rows: 30_000, seed: 3903)
        let csv = write("events-3903.csv", w.csv)
        for sortCache in [8 << 20, 1 << 20] {
            try? FileManager.default.removeItem(atPath: storePath)
            var o = ImportOptions()
            o.indexMode = .rebuild
            o.sortCacheBytes = sortCache
            let store = try Store(path: storePath)
            var seen: Int64?
            o.progress = { p in
                if p.phase == "indexing idx_events_type_ts" && seen == nil {
                    seen = try? store.db.int("PRAGMA cache_size")
                    try? store.db.exec("CREATE TABLE idx_events_type_ts(x)")
                }
            }
            XCTAssertThrowsError(try Importer(store: store, options: o).run(try ImportPlan(paths: [csv], options: o)))
            XCTAssertEqual(seen, -Int64(max(sortCache, 4 << 20) / 1024), "the build was reached at the sort cache")
            XCTAssertEqual(try store.db.int("PRAGMA cache_size"), -32768, "sort cache \(sortCache) left set after a failure")
            // The rows and keys were committed before the index builds; integrity holds.
            XCTAssertEqual(try store.db.int("SELECT count(*) FROM events_i"), 30_000)
            XCTAssertEqual(try store.db.rows("PRAGMA integrity_check"), [[.text("ok")]])
        }
    }

    func testWritesThroughTheViewAndTheTimelinePlan() throws {
        let w = world(rows: 300, seed: 1702)
        try importPaths([write("events.csv", w.csv)])
        let s = try store()
        // INSERT / UPDATE / DELETE through `events` (analysts' SQL): the triggers keep the dictionary.
        try s.db.exec("INSERT INTO events(event_id, ts, account_id, type, device_id) VALUES ('hand-1', 5, 'brand-new', 'login', 'dev-1')")
        XCTAssertEqual(try s.db.rows("SELECT account_id, device_id, ip FROM events WHERE event_id = 'hand-1'"), [[.text("brand-new"), .text("dev-1"), .null]])
        try s.db.exec("UPDATE events SET ip = 'fresh-ip', account_id = 'acc-1' WHERE event_id = 'hand-1'")
        XCTAssertEqual(try s.db.rows("SELECT account_id, ip FROM events WHERE event_id = 'hand-1'"), [[.text("acc-1"), .text("fresh-ip")]])
        try s.db.exec("DELETE FROM events WHERE event_id = 'hand-1'")
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events WHERE event_id = 'hand-1'"), 0)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events"), 300)
        // An account's timeline starts from the dictionary, then the (account_id, ts) index.
        let plan = try s.db.rows("EXPLAIN QUERY PLAN SELECT * FROM events WHERE account_id = 'acc-3' ORDER BY ts DESC LIMIT 50")
            .map { $0.last?.string ?? "" }.joined(separator: "\n")
        XCTAssertTrue(plan.contains("idx_events_account_ts (ANY(<expr>) AND account_id=?)"), plan)   // v18: two tiers
        XCTAssertTrue(plan.contains("sqlite_autoindex_idents_1 (v=?)"), plan)
        XCTAssertFalse(plan.contains("SCAN"), plan)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events WHERE account_id = 'acc-3'"),
                       Int64(w.expected.filter { $0[2] == "acc-3" }.count))
    }
}
