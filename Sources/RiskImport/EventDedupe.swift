import Foundation
import RiskStore

/// Keeps `events.event_id` unique during an import without a unique b-tree over the strings
/// (schema v11, `EventKey`). In memory, per key only its top 32 bits:
///   - `stored`: of every key in `event_keys`, loaded once in key order, when the input is big
///     enough for that to beat probing `event_keys` row by row: 2 bytes a stored event (the
///     prefix's low 16 bits; its top 16 are the bucket, kept once in `storedStart`), the same
///     32 bits as a flat array of prefixes at half the memory (37 MB at 18.4M stored events);
///   - `recent` + `pending`: of every event above `event_keys_covered.upto` (this import's
///     rows, and any another writer added): 3 bytes a row in `recent` (the prefix's low 16 bits,
///     its top 16 the bucket kept once in `recentStart`, and the number of the run on disk that
///     holds the row's id), 8 in `pending` (prefix and id). Each merge of `pending` writes its
///     sorted (prefix, id) entries as one run to `KeyRuns`, a temporary file of the store's
///     directory unlinked as soon as it is opened (nothing is left under any name after a kill);
///     a candidate in `recent` reads its id there (one 4 KiB block, found by the run's sparse
///     index). The ids on disk, not in memory, save 4 bytes a row (74 MB at 18.4M events).
/// A 32-bit match is only a candidate: it is confirmed by reading the stored `event_id` (by id,
/// or through `event_keys` by the full key) and comparing it exactly, so neither a prefix nor a
/// hash collision ever drops an event. Candidates are rare (~rows × stored / 2^32, plus true
/// duplicates), so almost every row costs two in-memory searches and no b-tree access.
final class EventDedupe {
    private let db: Database
    /// `event_keys_covered.upto`: events above it are not in `event_keys`.
    let base: Int64
    /// Highest events.id known to the sets (ours, or another writer's caught up).
    private(set) var seen: Int64
    private let probeStore: Bool

    // Sorted biased top-32 bits of the stored keys: the low 16 bits of each; the prefixes with
    // top 16 bits b are at storedStart[b] ..< storedStart[b + 1].
    private var storedLow: UnsafeMutablePointer<UInt16>?
    private var storedStart: [UInt32] = []
    private var storedCount = 0
    // Events above `base`, sorted by (biased prefix, id): the prefix's low 16 bits and id - base,
    // in two runs; entries of prefixes with top 16 bits b are at recentStart[b] ..< recentStart[b + 1].
    private var recentLow: UnsafeMutablePointer<UInt16>?
    /// Per entry of `recent`: the run of `runs` holding its id (runs are numbered in id order).
    private var recentRun: UnsafeMutablePointer<UInt8>?
    private var runs: KeyRuns?
    private let runDirectory: String
    private var recentStart: [Int] = []
    private var recentCount = 0
    private var recentCap = 0
    private static let buckets = 1 << 16
    // Open addressing (0 = empty) of the newest entries, merged into `recent` when full.
    private var pending: [UInt64]
    private var pendingCount = 0
    private var pendingMask: Int
    /// Entries `pending` takes before it is merged into `recent` (tests lower it).
    private let pendingMax: Int

    /// Rows added but not yet written to `events_i` (the importer's open chunk, v14): for such an
    /// id, whether its event_id is these bytes; nil for an id that is in the table.
    var unwritten: ((Int64, UnsafeRawPointer, Int) -> Bool?)?

    private let verifyStored: Statement
    private let verifyByID: Statement
    private let catchUp: Statement

    /// - Parameter expectedRows: the input's estimated rows (nil: unknown); a small input
    ///   into a big store probes `event_keys` instead of loading every key.
    /// - Parameter runDirectory: where the runs' temporary file goes; nil: the store's directory.
    init(db: Database, expectedRows: Int64?, pendingMax: Int = 1 << 18, runDirectory: String? = nil) throws {
        self.db = db
        self.runDirectory = runDirectory ?? KeyRuns.directory(of: db.path)
        base = try db.int("SELECT upto FROM event_keys_covered")
        seen = base
        // 1 ... 2^24 keys a run (review38: a huge value overflowed the table's size or asked for gigabytes).
        let pendingMax = min(max(pendingMax, 1), 1 << 24)
        var slots = 16
        while slots < pendingMax * 2 { slots *= 2 }
        self.pendingMax = pendingMax
        pending = Array(repeating: 0, count: slots)
        pendingMask = slots - 1
        verifyStored = try db.prepare("""
            SELECT 1 FROM events_i e WHERE e.id IN (SELECT id FROM event_keys_main WHERE key = ?1 UNION ALL
                SELECT id FROM event_keys_recent WHERE key = ?1) AND e.event_id = ?2 LIMIT 1
            """)
        verifyByID = try db.prepare("SELECT 1 FROM events_i WHERE id = ?1 AND event_id = ?2")
        catchUp = try db.prepare("SELECT id, riskdesk_event_key(event_id) FROM events_i WHERE id > ?1 ORDER BY id")
        // Loading costs ~0.1 µs a stored key; a probe that misses the page cache 10-100 µs.
        if let rows = expectedRows, rows * 64 < base { probeStore = true } else { probeStore = false }
        if !probeStore && base > 0 { try loadStored() }
        try catchUpOthers()
    }

    deinit {
        free(storedLow)
        free(recentLow)
        free(recentRun)
    }

    /// Frees the sets (before the end-of-import sorts).
    func release() {
        free(storedLow); storedLow = nil; storedStart = []; storedCount = 0
        free(recentLow); recentLow = nil; free(recentRun); recentRun = nil; runs = nil
        recentStart = []; recentCount = 0; recentCap = 0
        pending = []
        pendingCount = 0
    }

    @inline(__always) static func prefix(_ key: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: UInt64(bitPattern: key) >> 32) ^ 0x8000_0000
    }

    /// Loads the prefixes of both tiers (each in key order): the main tier's straight into the
    /// buckets, the recent tier's (at most 1/`EventKey.mergeRatio` of the main one) into a
    /// temporary run, merged in from the back.
    private func loadStored() throws {
        var cap = Int(base) + 1024
        var low = malloc(cap * MemoryLayout<UInt16>.stride)!.assumingMemoryBound(to: UInt16.self)
        var counts = [UInt32](repeating: 0, count: Self.buckets + 1)
        var n = 0
        defer { storedLow = low }
        try db.prepareEach("SELECT key FROM event_keys_main") { st in   // key order (the primary key)
            while try st.step() {
                if n == cap {
                    cap *= 2
                    low = realloc(low, cap * MemoryLayout<UInt16>.stride)!.assumingMemoryBound(to: UInt16.self)
                }
                let pre = Self.prefix(st.int(0))
                low[n] = UInt16(truncatingIfNeeded: pre)
                counts[Int(pre >> 16)] += 1
                n += 1
            }
        }
        var recent: [UInt32] = []
        try db.prepareEach("SELECT key FROM event_keys_recent") { st in
            while try st.step() { recent.append(Self.prefix(st.int(0))) }
        }
        var start = [UInt32](repeating: 0, count: Self.buckets + 1)
        if !recent.isEmpty {
            // The main entries' bucket starts, to know each one's top 16 bits while merging.
            var sum: UInt32 = 0
            for b in 0..<Self.buckets { start[b] = sum; sum += counts[b] }
            start[Self.buckets] = sum
            let total = n + recent.count
            if total > cap {
                cap = total
                low = realloc(low, cap * MemoryLayout<UInt16>.stride)!.assumingMemoryBound(to: UInt16.self)
            }
            var i = n - 1, j = recent.count - 1, k = total - 1, b = Self.buckets - 1
            while j >= 0 {
                if i >= 0 {
                    while Int(start[b]) > i { b -= 1 }
                    if UInt32(b) << 16 | UInt32(low[i]) > recent[j] { low[k] = low[i]; i -= 1; k -= 1; continue }
                }
                low[k] = UInt16(truncatingIfNeeded: recent[j]); counts[Int(recent[j] >> 16)] += 1
                j -= 1; k -= 1
            }
            n = total
        }
        var sum: UInt32 = 0
        for b in 0..<Self.buckets { start[b] = sum; sum += counts[b] }
        start[Self.buckets] = sum
        storedStart = start
        storedCount = n
    }

    /// Adds the events another writer stored since we last looked (call inside the write transaction).
    func catchUpOthers() throws {
        let st = catchUp
        st.reset()
        st.bindInt(1, seen)
        while try st.step() {
            if !st.isNull(1) { try add(key: st.int(1), id: st.int(0)) }
        }
        st.reset()
    }

    /// True when an event with exactly this event_id is in the store (or earlier in this import).
    func contains(key: Int64, _ p: UnsafeRawPointer, _ n: Int) throws -> Bool {
        let pre = Self.prefix(key)
        // This import's rows and others' recent ones: candidates by id.
        if pendingCount > 0 {
            var i = Int(truncatingIfNeeded: UInt64(pre) &* 0x9E37_79B9_7F4A_7C15 >> 20) & pendingMask
            while pending[i] != 0 {
                if UInt32(truncatingIfNeeded: pending[i] >> 32) == pre, try verify(id: pending[i], p, n) { return true }
                i = (i + 1) & pendingMask
            }
        }
        if recentCount > 0, let low = recentLow, let run = recentRun, let runs {
            let b = Int(pre >> 16), lo = UInt16(truncatingIfNeeded: pre)
            var i = recentStart[b], hi = recentStart[b + 1]
            var j = hi
            while i < j { let m = (i + j) >> 1; if low[m] < lo { i = m + 1 } else { j = m } }
            var last = -1
            while i < hi && low[i] == lo {
                // Entries of one prefix are in run order: each run read once.
                let r = Int(run[i])
                if r != last {
                    last = r
                    var hit = false
                    try runs.ids(run: r, prefix: pre) { id in
                        if try verify(id: UInt64(id), p, n) { hit = true; return false }
                        return true
                    }
                    if hit { return true }
                }
                i += 1
            }
        }
        // The rest of the store.
        if probeStore || (storedCount > 0 && containsStored(pre)) {
            let st = verifyStored
            st.reset()
            st.bindInt(1, key)
            st.bindText(2, p, n)
            let hit = try st.step()
            st.reset()
            return hit
        }
        return false
    }

    @inline(__always)
    private func verify(id packed: UInt64, _ p: UnsafeRawPointer, _ n: Int) throws -> Bool {
        let id = base + Int64(packed & 0xFFFF_FFFF)
        if let unwritten, let hit = unwritten(id, p, n) { return hit }
        let st = verifyByID
        st.reset()
        st.bindInt(1, id)
        st.bindText(2, p, n)
        let hit = try st.step()
        st.reset()
        return hit
    }

    /// The id for the next event this import stores: above every id the sets know and above
    /// `base`, so it is never one `event_keys` already covers (after deleted events, too).
    var nextID: Int64 { seen + 1 }

    /// Records an event stored with this id.
    func add(key: Int64, id: Int64) throws {
        precondition(id > base && id - base <= Int64(UInt32.max), "event id \(id) out of the import's range")
        let v = UInt64(Self.prefix(key)) << 32 | UInt64(id - base)
        var i = Int(truncatingIfNeeded: UInt64(Self.prefix(key)) &* 0x9E37_79B9_7F4A_7C15 >> 20) & pendingMask
        while pending[i] != 0 { i = (i + 1) & pendingMask }
        pending[i] = v
        pendingCount += 1
        if id > seen { seen = id }
        if pendingCount >= pendingMax { try mergePending() }
    }

    /// Moves `pending` into the sorted `recent`, merging from the back in place; its (prefix, id)
    /// entries go to disk as the next run.
    private func mergePending() throws {
        guard pendingCount > 0 else { return }
        var batch = [UInt64]()
        batch.reserveCapacity(pendingCount)
        for v in pending where v != 0 { batch.append(v) }
        batch.sort()
        if runs == nil { runs = try KeyRuns(directory: runDirectory) }
        if runs!.count == Int(UInt8.max) + 1 { try compactRuns() }
        let newRun = UInt8(runs!.count)
        try runs!.append(batch)
        let total = recentCount + batch.count
        if total > recentCap {
            let cap = max(total, recentCap + recentCap / 2, 1 << 16)
            // realloc: a large block grows in place (mremap), no second copy in memory.
            recentLow = realloc(recentLow, cap * MemoryLayout<UInt16>.stride)!.assumingMemoryBound(to: UInt16.self)
            recentRun = realloc(recentRun, cap * MemoryLayout<UInt8>.stride)!.assumingMemoryBound(to: UInt8.self)
            recentCap = cap
        }
        if recentStart.isEmpty { recentStart = Array(repeating: 0, count: Self.buckets + 1) }
        let low = recentLow!, run = recentRun!
        // From the back: the recent entry at i is in bucket b (recentStart[b] <= i). Equal
        // prefixes: the new run's entries go after the older runs' (runs stay in order).
        var i = recentCount - 1, j = batch.count - 1, k = total - 1
        var b = Self.buckets - 1
        while j >= 0 {
            if i >= 0 {
                while recentStart[b] > i { b -= 1 }
                let r = UInt32(b) << 16 | UInt32(low[i])
                if r > UInt32(truncatingIfNeeded: batch[j] >> 32) {
                    low[k] = low[i]; run[k] = run[i]; i -= 1; k -= 1
                    continue
                }
            }
            low[k] = UInt16(truncatingIfNeeded: batch[j] >> 32); run[k] = newRun; j -= 1; k -= 1
        }
        // Each bucket's start moves up by the batch's entries in the buckets below it.
        var below = 0, x = 0
        for bucket in 0...Self.buckets {
            let startOld = recentStart[bucket]
            recentStart[bucket] = startOld + below
            while x < batch.count && Int(batch[x] >> 48) == bucket { below += 1; x += 1 }
        }
        recentCount = total
        for x in pending.indices { pending[x] = 0 }
        pendingCount = 0
    }

    /// Rewrites the 256 runs as one, run 0 (the runs' order of `recent`, with ties within a run
    /// by id, is the merged order: each entry of `recent` takes the next entry of its run).
    private func compactRuns() throws {
        guard let old = runs, let run = recentRun else { return }
        let merged = try KeyRuns(directory: runDirectory)
        var readers = (0..<old.count).map { KeyRuns.Reader(runs: old, run: $0) }
        var out: [UInt64] = []
        out.reserveCapacity(1 << 16)
        merged.startRun()
        for i in 0..<recentCount {
            out.append(try readers[Int(run[i])].next())
            run[i] = 0
            if out.count == 1 << 16 { try merged.write(out); out.removeAll(keepingCapacity: true) }
        }
        try merged.write(out)
        merged.endRun()
        runs = merged
    }

    /// Is this prefix among the stored keys? (Its bucket's entries are uniform in the low 16 bits,
    /// so `lowerBound`'s interpolation lands within a few of it.)
    func containsStored(_ pre: UInt32) -> Bool {
        let b = Int(pre >> 16), s = Int(storedStart[b]), e = Int(storedStart[b + 1])
        if s == e { return false }
        let a = storedLow! + s, lo = UInt16(truncatingIfNeeded: pre)
        let i = Self.lowerBound(e - s, UInt32(lo) << 16) { UInt32(a[$0]) << 16 }
        return i < e - s && a[i] == lo
    }

    /// First index whose prefix is >= pre in a sorted array of n: interpolation (the keys are
    /// uniform hashes, so the guess lands within ~sqrt(n) of it), then galloping outwards, then
    /// a binary search of the bracket.
    @inline(__always)
    static func lowerBound(_ n: Int, _ pre: UInt32, _ at: (Int) -> UInt32) -> Int {
        if n == 0 { return 0 }
        let g = min(n - 1, Int((UInt64(pre) &* UInt64(n)) >> 32))
        var lo: Int, hi: Int   // invariant: at(lo) < pre <= at(hi), with at(-1) = -inf, at(n) = +inf
        if at(g) < pre {
            lo = g; hi = g + 1; var step = 2
            while hi < n && at(hi) < pre { lo = hi; hi = g + step; step <<= 1 }
            if hi > n { hi = n }
        } else {
            hi = g; lo = g - 1; var step = 2
            while lo >= 0 && at(lo) >= pre { hi = lo; lo = g - step; step <<= 1 }
            if lo < -1 { lo = -1 }
        }
        while hi - lo > 1 {
            let m = (lo + hi) >> 1
            if at(m) < pre { lo = m } else { hi = m }
        }
        return hi
    }
}

/// Sorted runs of (32-bit prefix, 32-bit id) entries in one temporary file, unlinked as soon as
/// it is created: the file's blocks are the process's until it closes it or exits, and nothing
/// of it is left under any name by a kill. In memory per run: where it starts, its length, and
/// the prefix of every 512th entry (one 4 KiB block), so finding a prefix's ids reads one block
/// (two when they cross a block's end).
final class KeyRuns {
    private let fd: Int32
    private var size = 0   // entries written
    private var starts: [Int] = []
    private var counts: [Int] = []
    private var sparse: [[UInt32]] = []
    static let block = 512
    var count: Int { starts.count }

    /// The directory of a store's file ("/tmp" for an in-memory or unnamed database).
    static func directory(of path: String) -> String {
        if path.isEmpty || path == ":memory:" || path.hasPrefix("file:") { return "/tmp" }
        let d = (path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }

    init(directory dir: String) throws {
        var template = Array((dir + "/.riskdesk-keys-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw KeyRunsError(what: "cannot create a temporary file in \(dir): errno \(errno)") }
        let name = String(cString: template)
        unlink(name)
        self.fd = fd
    }
    deinit { close(fd) }

    private var runStart = 0, runCount = 0
    private var runSparse: [UInt32] = []

    /// Writes a sorted run.
    func append(_ entries: [UInt64]) throws {
        startRun()
        try write(entries)
        endRun()
    }

    func startRun() { runStart = size; runCount = 0; runSparse = [] }
    func endRun() { starts.append(runStart); counts.append(runCount); sparse.append(runSparse) }

    /// Appends the run's next entries (in order).
    func write(_ entries: [UInt64]) throws {
        var i = (Self.block - runCount % Self.block) % Self.block
        while i < entries.count { runSparse.append(UInt32(truncatingIfNeeded: entries[i] >> 32)); i += Self.block }
        try entries.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let w = pwrite(fd, b.baseAddress! + done, b.count - done, off_t(size * 8 + done))
                guard w > 0 else { throw KeyRunsError(what: "cannot write the event-key runs: errno \(errno)") }
                done += w
            }
        }
        size += entries.count
        runCount += entries.count
    }

    /// Reads entries [from, from + n) of the file.
    func read(_ from: Int, _ n: Int, into buf: UnsafeMutablePointer<UInt64>) throws {
        var done = 0
        let bytes = n * 8
        while done < bytes {
            let r = pread(fd, UnsafeMutableRawPointer(buf) + done, bytes - done, off_t(from * 8 + done))
            guard r > 0 else { throw KeyRunsError(what: "cannot read the event-key runs: errno \(errno)") }
            done += r
        }
    }

    /// Calls `body` with the ids of run `r` whose prefix is `pre`, in id order, until it returns false.
    func ids(run r: Int, prefix pre: UInt32, _ body: (UInt32) throws -> Bool) throws {
        let sp = sparse[r], n = counts[r]
        // The last block whose first prefix is below pre (a match may start inside it).
        var lo = 0, hi = sp.count
        while lo < hi { let m = (lo + hi) >> 1; if sp[m] < pre { lo = m + 1 } else { hi = m } }
        var blk = max(0, lo - 1)
        let buf = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.block)
        defer { buf.deallocate() }
        while blk * Self.block < n {
            let first = blk * Self.block, len = min(Self.block, n - first)
            try read(starts[r] + first, len, into: buf)
            for i in 0..<len {
                let p = UInt32(truncatingIfNeeded: buf[i] >> 32)
                if p < pre { continue }
                if p > pre { return }
                if try !body(UInt32(truncatingIfNeeded: buf[i])) { return }
            }
            blk += 1
        }
    }

    /// Reads one run front to back.
    struct Reader {
        let runs: KeyRuns, run: Int
        var pos = 0, bufPos = 0, bufLen = 0
        var buf: [UInt64] = []
        init(runs: KeyRuns, run: Int) { self.runs = runs; self.run = run }
        mutating func next() throws -> UInt64 {
            if bufPos == bufLen {
                let n = min(KeyRuns.block * 8, runs.counts[run] - pos)
                precondition(n > 0, "event-key run \(run) read past its end")
                if buf.isEmpty { buf = Array(repeating: 0, count: KeyRuns.block * 8) }
                try buf.withUnsafeMutableBufferPointer { try runs.read(runs.starts[run] + pos, n, into: $0.baseAddress!) }
                pos += n; bufPos = 0; bufLen = n
            }
            bufPos += 1
            return buf[bufPos - 1]
        }
    }
}

struct KeyRunsError: Error, CustomStringConvertible {
    let what: String
    var description: String { what }
}
