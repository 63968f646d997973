/// Merging what a large import staged in `links_pending` (schema v16: integer keys) without
/// re-sorting it: the importer appends each aggregate flush already sorted by (kind, value,
/// account_id) as a run of consecutive rowids, so the merge reads every run in rowid order at
/// once and combines them k-way, writing `links_i` in key order and the accounts' activity
/// once per account. SQLite's `GROUP BY` (`mergePendingLinksInterned`) sorted every staged row
/// through temporary files instead, and at 21M events nearly every link event is a staged row.
extension Schema {
    /// Merges `links_pending` into `links_i` and `accounts` and empties it, reading it as sorted
    /// runs starting at `runStarts` (rowids, ascending; the ranges between them, the first from
    /// the smallest rowid and the last to the largest, cover the table whatever they are). A
    /// range found out of key order (a rolled-back batch's rowids reused, rows staged by someone
    /// else) is no run: what was written is rolled back and the `GROUP BY` merge runs instead.
    /// Run inside a transaction. Returns false when it fell back.
    ///
    /// `rebuildAccountIndexes`: when the staged activity touches at least a quarter of the
    /// accounts (`accountIndexRebuildShare`), the two indexes on what it changes
    /// (`idx_accounts_events`, `idx_accounts_last_seen`) are dropped before the accounts are
    /// written and built again after, in the same transaction, instead of taking a delete and an
    /// insert in random order for each account (docs/benchmarks.md, imp41). Same rows, same indexes.
    @discardableResult
    public static func mergePendingLinkRuns(_ db: Database, runStarts: [Int64], rebuildAccountIndexes: Bool = false) throws -> Bool {
        let maxRuns = 4096
        let packed = try packedLinksTableExists(db)
        let packedRuns = packed ? try listPackedRuns(db) : []
        let hasRows = try db.int("SELECT EXISTS (SELECT 1 FROM links_pending)") == 1
        var starts = hasRows ? Array(Set(runStarts)).sorted() : []
        // The staged rows are integer ids: the system SQLite's secure_delete (on in Debian's
        // build) would zero every page the final DELETE frees and write it to the WAL (1.5 GB
        // at 21M events) for nothing to scrub.
        let secure = try db.int("PRAGMA secure_delete")
        try db.exec("PRAGMA secure_delete = 0")
        defer { try? db.exec("PRAGMA secure_delete = \(secure)") }
        // Rows in `links_pending` with no run starts known (a killed import's, or staged by
        // someone else), too many runs, or nothing staged at all: the GROUP BY merge.
        if (hasRows && starts.isEmpty) || starts.count + packedRuns.count > maxRuns || (!hasRows && packedRuns.isEmpty) {
            try groupByMerge(db, packed: packed)
            return false
        }
        if !starts.isEmpty { starts[0] = Int64.min }
        try db.exec("SAVEPOINT merge_runs")
        do {
            let merged = try mergeRuns(db, starts: starts, packedRuns: packedRuns, rebuildAccountIndexes: rebuildAccountIndexes)
            if merged {
                try db.exec("RELEASE merge_runs")
                try db.exec("DELETE FROM links_pending")
                if packed { try db.exec("DELETE FROM links_pending_packed") }
                return true
            }
            try db.exec("ROLLBACK TO merge_runs")
            try db.exec("RELEASE merge_runs")
        } catch {
            try? db.exec("ROLLBACK TO merge_runs")
            try? db.exec("RELEASE merge_runs")
            throw error
        }
        try groupByMerge(db, packed: packed)
        return false
    }

    /// The packed entries unpacked into `links_pending`, then SQLite's `GROUP BY` merge.
    private static func groupByMerge(_ db: Database, packed: Bool) throws {
        if packed { try unpackPendingLinks(db) }
        for sql in mergePendingLinksInterned { try db.exec(sql) }
    }

    static func packedLinksTableExists(_ db: Database) throws -> Bool {
        try db.int("SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'links_pending_packed')") == 1
    }

    /// Whether anything is staged, in either table (a writer's open merges it).
    public static func hasPendingLinks(_ db: Database) throws -> Bool {
        if try db.int("SELECT EXISTS (SELECT 1 FROM links_pending)") == 1 { return true }
        return try packedLinksTableExists(db) && db.int("SELECT EXISTS (SELECT 1 FROM links_pending_packed)") == 1
    }

    /// The packed runs: each the ids of its blocks, in order (a first block not marked as a
    /// run's start starts one anyway).
    static func listPackedRuns(_ db: Database) throws -> [[Int64]] {
        var runs: [[Int64]] = []
        let st = try db.prepare("SELECT id, starts_run FROM links_pending_packed ORDER BY id")
        while try st.step() {
            if st.int(1) != 0 || runs.isEmpty { runs.append([]) }
            runs[runs.count - 1].append(st.int(0))
        }
        return runs
    }

    /// Moves every packed entry into `links_pending` as a row (and empties the packed table).
    public static func unpackPendingLinks(_ db: Database) throws {
        guard try packedLinksTableExists(db) else { return }
        let read = try db.prepare("SELECT id, run_id, entries, data FROM links_pending_packed ORDER BY id")
        let ins = try db.prepare("INSERT INTO links_pending(kind, value, account_id, events, first_ts, last_ts, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        var out: [PackedLinks.Entry] = []
        while try read.step() {
            out.removeAll(keepingCapacity: true)
            let bytes = read.blobBytes(3) ?? UnsafeRawBufferPointer(start: nil, count: 0)
            try PackedLinks.decode(bytes, entries: Int(read.int(2)), block: read.int(0), into: &out)
            let run = read.isNull(1) ? nil : Optional(read.int(1))
            for e in out {
                ins.bindInt(1, e.kind); ins.bindInt(2, e.value); ins.bindInt(3, e.account); ins.bindInt(4, e.events)
                if e.first == Int64.max { ins.bindNull(5) } else { ins.bindInt(5, e.first) }
                if e.last == Int64.min { ins.bindNull(6) } else { ins.bindInt(6, e.last) }
                if let run { ins.bindInt(7, run) } else { ins.bindNull(7) }
                try ins.execute()
            }
        }
        read.reset()
        try db.exec("DELETE FROM links_pending_packed")
    }

    /// One packed run read block by block (one block's bytes in memory at a time, ~32 KiB).
    private final class PackedRunReader {
        let blocks: [Int64]
        let fetch: Statement
        var next = 0
        var data: [UInt8] = []
        var pos = 0
        var left = 0
        var prev = PackedLinks.Entry(kind: 0, value: 0, account: 0, events: 0, first: 0, last: 0)
        var run: Int64 = Int64.max
        init(blocks: [Int64], fetch: Statement) { self.blocks = blocks; self.fetch = fetch }
        func read() throws -> StagedRow? {
            while left == 0 {
                if next > 0 && pos != data.count {
                    throw StoreError("links_pending_packed: block \(blocks[next - 1]) is corrupt (\(data.count - pos) bytes after its entries)")
                }
                guard next < blocks.count else { return nil }
                fetch.reset()
                fetch.bindInt(1, blocks[next])
                guard try fetch.step() else { fetch.reset(); throw StoreError("links_pending_packed: block \(blocks[next]) vanished during the merge") }
                run = fetch.isNull(0) ? Int64.max : fetch.int(0)
                left = max(0, Int(fetch.int(1)))
                data.removeAll(keepingCapacity: true)
                if let bytes = fetch.blobBytes(2) { data.append(contentsOf: bytes) }
                fetch.reset()
                pos = 0
                prev = PackedLinks.Entry(kind: 0, value: 0, account: 0, events: 0, first: 0, last: 0)
                next += 1
            }
            let e: PackedLinks.Entry? = data.withUnsafeBytes { b in
                var d = PackedLinks.Decoder(bytes: b, pos: pos)
                let e = d.next(after: prev)
                pos = d.pos
                return e
            }
            guard let e else { throw StoreError("links_pending_packed: block \(blocks[next - 1]) is corrupt (ends before its entries)") }
            prev = e
            left -= 1
            return StagedRow(kind: e.kind, value: e.value, account: e.account, events: e.events, first: e.first, last: e.last, run: run)
        }
    }

    /// One staged row's key and values (a null time reads as no bound).
    private struct StagedRow {
        var kind: Int64, value: Int64, account: Int64
        var events: Int64, first: Int64, last: Int64, run: Int64
        @inline(__always) func less(_ o: StagedRow) -> Bool {
            kind != o.kind ? kind < o.kind : value != o.value ? value < o.value : account < o.account
        }
        @inline(__always) func sameKey(_ o: StagedRow) -> Bool { kind == o.kind && value == o.value && account == o.account }
        @inline(__always) mutating func absorb(_ o: StagedRow) {
            events += o.events
            if o.first < first { first = o.first }
            if o.last > last { last = o.last }
            if o.run < run { run = o.run }
        }
    }

    /// The k-way merge; false if a range is out of key order.
    private static func mergeRuns(_ db: Database, starts: [Int64], packedRuns: [[Int64]], rebuildAccountIndexes: Bool) throws -> Bool {
        let ks = starts.count
        let k = ks + packedRuns.count
        var cursors: [Statement] = []
        cursors.reserveCapacity(ks)
        for i in 0..<ks {
            let st = try db.prepare("""
                SELECT kind, value, account_id, events, first_ts, last_ts, run_id FROM links_pending
                WHERE rowid >= ?1 AND rowid < ?2 ORDER BY rowid
                """)
            st.bindInt(1, starts[i])
            st.bindInt(2, i + 1 < ks ? starts[i + 1] : Int64.max)
            cursors.append(st)
        }
        defer { for st in cursors { st.reset() } }
        var packed: [PackedRunReader] = []
        if !packedRuns.isEmpty {
            let fetch = try db.prepare("SELECT run_id, entries, data FROM links_pending_packed WHERE id = ?1")
            packed = packedRuns.map { PackedRunReader(blocks: $0, fetch: fetch) }
        }
        func read(_ i: Int) throws -> StagedRow? {
            if i >= ks { return try packed[i - ks].read() }
            let st = cursors[i]
            guard try st.step() else { return nil }
            return StagedRow(kind: st.int(0), value: st.int(1), account: st.int(2), events: st.int(3),
                             first: st.isNull(4) ? Int64.max : st.int(4), last: st.isNull(5) ? Int64.min : st.int(5),
                             run: st.isNull(6) ? Int64.max : st.int(6))
        }
        // A binary min-heap of cursor numbers by their current row.
        var heads = [StagedRow?](repeating: nil, count: k)
        var heap: [Int] = []
        heap.reserveCapacity(k)
        @inline(__always) func below(_ a: Int, _ b: Int) -> Bool { heads[heap[a]]!.less(heads[heap[b]]!) }
        func siftDown(_ from: Int) {
            var i = from
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && below(l, m) { m = l }
                if r < heap.count && below(r, m) { m = r }
                if m == i { return }
                heap.swapAt(i, m); i = m
            }
        }
        for i in 0..<k {
            heads[i] = try read(i)
            if heads[i] != nil { heap.append(i) }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }

        let link = try db.prepare("""
            INSERT INTO links_i(kind, value, account_id, events, first_ts, last_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(kind, value, account_id) DO UPDATE SET events = events + excluded.events,
                first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)
            """)
        // Accounts' activity (kind 0, first in key order) by id, then into `accounts` in the
        // order of its key (the account string), as the GROUP BY merge writes them.
        try db.exec("DROP TABLE IF EXISTS temp.links_pending_accounts")
        try db.exec("CREATE TEMP TABLE links_pending_accounts (id INTEGER PRIMARY KEY, n INTEGER, f INTEGER, l INTEGER, r INTEGER)")
        // One row per account: an account's activity staged with a value other than 0 (never by
        // the importer) is a group of its own in key order, added here as the GROUP BY merge does.
        let account = try db.prepare("""
            INSERT INTO temp.links_pending_accounts(id, n, f, l, r) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(id) DO UPDATE SET n = n + excluded.n, f = coalesce(min(f, excluded.f), f, excluded.f),
                l = coalesce(max(l, excluded.l), l, excluded.l), r = coalesce(min(r, excluded.r), r, excluded.r)
            """)
        func bindTime(_ st: Statement, _ i: Int32, _ v: Int64, none: Int64) { if v == none { st.bindNull(i) } else { st.bindInt(i, v) } }
        func write(_ g: StagedRow) throws {
            if g.kind == 0 {
                account.bindInt(1, g.account)
                account.bindInt(2, g.events)
                bindTime(account, 3, g.first, none: Int64.max)
                bindTime(account, 4, g.last, none: Int64.min)
                bindTime(account, 5, g.run, none: Int64.max)
                try account.execute()
            } else {
                link.bindInt(1, g.kind)
                link.bindInt(2, g.value)
                link.bindInt(3, g.account)
                link.bindInt(4, g.events)
                bindTime(link, 5, g.first, none: Int64.max)
                bindTime(link, 6, g.last, none: Int64.min)
                try link.execute()
            }
        }

        var group: StagedRow?
        while let top = heap.first {
            let row = heads[top]!
            if let g = group, g.sameKey(row) {
                group!.absorb(row)
            } else {
                if let g = group { try write(g) }
                group = row
            }
            // The cursor's next row: in key order after this one, or the range is no run.
            if let next = try read(top) {
                if next.less(row) { return false }
                heads[top] = next
            } else {
                heads[top] = nil
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
        if let g = group { try write(g) }
        let rebuilt = rebuildAccountIndexes ? try dropAccountIndexesForRebuild(db) : AccountIndexRebuild()
        try db.exec("""
            INSERT INTO accounts(account_id, n_events, first_seen, last_seen, first_run)
                SELECT i.v, p.n, p.f, p.l, p.r FROM temp.links_pending_accounts p
                JOIN idents i ON i.id = p.id WHERE true ORDER BY i.v
            ON CONFLICT(account_id) DO UPDATE SET n_events = n_events + excluded.n_events,
                first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen),
                last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen)
            """)
        try rebuilt.restore(db)
        try db.exec("DROP TABLE temp.links_pending_accounts")
        return true
    }

    /// The share of the store's accounts a merge's activity must reach for the two indexes on
    /// the columns it changes to be built again rather than updated account by account. Measured
    /// (imp41, a 4.5M-event store, 505k accounts, a day touching 341k): an update costs a delete
    /// and an insert at random places in each index, ~7 µs an account with the pages cached; a
    /// build one sorted pass, ~1.9 µs an account of the table — the two meet near a quarter.
    public static let accountIndexRebuildShare = 0.25
    static let accountActivityIndexes = ["idx_accounts_events", "idx_accounts_last_seen"]

    /// What `dropAccountIndexesForRebuild` dropped: the indexes' own `CREATE INDEX` statements
    /// and their `sqlite_stat1` rows (SQLite deletes an index's statistics with it).
    struct AccountIndexRebuild {
        var sql: [String] = []
        var stats: [[SQLValue]] = []
        /// Builds the indexes again and puts their statistics back as they were (the rows an
        /// in-place update would have left: no statistics are recomputed either way).
        func restore(_ db: Database) throws {
            for q in sql { try db.exec(q) }
            for row in stats { try db.run("INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES (?1, ?2, ?3)", row) }
            // This connection's planner reads the restored rows (as `eventStatsSQL` ends).
            if !stats.isEmpty { try db.exec("ANALYZE sqlite_schema") }
        }
    }

    /// Whether a merge's staged activity (`temp.links_pending_accounts`, `touched` accounts)
    /// reaches `accountIndexRebuildShare` of what the rebuild costs: the in-place work is an
    /// update for each touched account already in `accounts` (`existing`) and an insert alone —
    /// half an update — for each new one; the build is one pass over the table the merge leaves
    /// (`total` accounts before it, plus the new ones). So: existing + new / 2 ≥ ¼ (total + new)
    /// (review41b: the new accounts counted as updates, and not in the table, rebuilt too early).
    /// Every touched account new, that is touched ≥ total; every one existing, touched ≥ total / 4:
    /// between the two the existing share is counted on a sample of at most ~4,096 touched ids
    /// (Knuth's multiplicative hash of the id, its bits 16–31: the same staging decides the same way), so the decision costs a
    /// few thousand lookups, not one per touched account.
    static func rebuildPays(_ db: Database, touched: Int64, total: Int64) throws -> Bool {
        guard touched > 0 else { return false }
        if touched >= total { return true }
        if Double(touched) < accountIndexRebuildShare * Double(total) { return false }
        let buckets: Int64 = 65_536
        let take = min(buckets, max(1, buckets * 4_096 / touched))
        let sample = try db.rows("""
            SELECT count(*), count(a.account_id) FROM temp.links_pending_accounts p
                JOIN idents i ON i.id = p.id LEFT JOIN accounts a ON a.account_id = i.v
                WHERE ((p.id * 2654435761) >> 16) % \(buckets) < \(take)
            """)
        guard case .int(let seen)? = sample.first?[0], case .int(let found)? = sample.first?[1], seen > 0 else { return false }
        let existing = Double(touched) * Double(found) / Double(seen)
        let new = Double(touched) - existing
        return existing + new / 2 >= accountIndexRebuildShare * (Double(total) + new)
    }

    /// Drops the indexes on the accounts' activity columns when building them again pays
    /// (`rebuildPays`); returns what builds them again (their own SQL, from the schema) and
    /// their statistics rows, for `AccountIndexRebuild.restore`.
    static func dropAccountIndexesForRebuild(_ db: Database) throws -> AccountIndexRebuild {
        let touched = try db.int("SELECT count(*) FROM temp.links_pending_accounts")
        let total = try db.int("SELECT count(*) FROM accounts")
        guard try rebuildPays(db, touched: touched, total: total) else { return AccountIndexRebuild() }
        var found: [(String, String)] = []
        let st = try db.prepare("""
            SELECT name, sql FROM main.sqlite_schema WHERE type = 'index' AND tbl_name = 'accounts' AND sql IS NOT NULL
                AND name IN (\(accountActivityIndexes.map { "'\($0)'" }.joined(separator: ", "))) ORDER BY name
            """)
        while try st.step() { found.append((st.text(0) ?? "", st.text(1) ?? "")) }
        st.reset()
        var stats: [[SQLValue]] = []
        if !found.isEmpty, try db.int("SELECT EXISTS (SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1')") == 1 {
            stats = try db.rows("SELECT tbl, idx, stat FROM main.sqlite_stat1 WHERE tbl = 'accounts' AND idx IN (\(found.map { "'\($0.0)'" }.joined(separator: ", "))) ORDER BY idx")
        }
        for (name, _) in found { try db.exec("DROP INDEX main.\(name)") }
        return AccountIndexRebuild(sql: found.map(\.1), stats: stats)
    }
}
