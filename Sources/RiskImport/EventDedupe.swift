import Foundation
import RiskStore

/// Keeps `events.event_id` unique during an import without a unique b-tree over the strings
/// (schema v11, `EventKey`). In memory, per key only its top 32 bits:
///   - `stored`: of every key in `event_keys`, loaded once in key order, when the input is big
///     enough for that to beat probing `event_keys` row by row: 2 bytes a stored event (the
///     prefix's low 16 bits; its top 16 are the bucket, kept once in `storedStart`), the same
///     32 bits as a flat array of prefixes at half the memory (37 MB at 18.4M stored events);
///   - `recent` + `pending`: of every event above `event_keys_covered.upto` (this import's
///     rows, and any another writer added), each with its id: 6 bytes a row in `recent` (the
///     top 16 bits of the prefix are its bucket, kept once in `recentStart`), 8 in `pending`.
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
    private var recentID: UnsafeMutablePointer<UInt32>?
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
    init(db: Database, expectedRows: Int64?, pendingMax: Int = 1 << 18) throws {
        self.db = db
        base = try db.int("SELECT upto FROM event_keys_covered")
        seen = base
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
        free(recentID)
    }

    /// Frees the sets (before the end-of-import sorts).
    func release() {
        free(storedLow); storedLow = nil; storedStart = []; storedCount = 0
        free(recentLow); recentLow = nil; free(recentID); recentID = nil
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
            if !st.isNull(1) { add(key: st.int(1), id: st.int(0)) }
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
        if recentCount > 0, let low = recentLow, let rid = recentID {
            let b = Int(pre >> 16), lo = UInt16(truncatingIfNeeded: pre)
            var i = recentStart[b], hi = recentStart[b + 1]
            var j = hi
            while i < j { let m = (i + j) >> 1; if low[m] < lo { i = m + 1 } else { j = m } }
            while i < hi && low[i] == lo {
                if try verify(id: UInt64(rid[i]), p, n) { return true }
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
    func add(key: Int64, id: Int64) {
        precondition(id > base && id - base <= Int64(UInt32.max), "event id \(id) out of the import's range")
        let v = UInt64(Self.prefix(key)) << 32 | UInt64(id - base)
        var i = Int(truncatingIfNeeded: UInt64(Self.prefix(key)) &* 0x9E37_79B9_7F4A_7C15 >> 20) & pendingMask
        while pending[i] != 0 { i = (i + 1) & pendingMask }
        pending[i] = v
        pendingCount += 1
        if id > seen { seen = id }
        if pendingCount >= pendingMax { mergePending() }
    }

    /// Moves `pending` into the sorted `recent`, merging from the back in place.
    private func mergePending() {
        guard pendingCount > 0 else { return }
        var batch = [UInt64]()
        batch.reserveCapacity(pendingCount)
        for v in pending where v != 0 { batch.append(v) }
        batch.sort()
        let total = recentCount + batch.count
        if total > recentCap {
            let cap = max(total, recentCap + recentCap / 2, 1 << 16)
            // realloc: a large block grows in place (mremap), no second copy in memory.
            recentLow = realloc(recentLow, cap * MemoryLayout<UInt16>.stride)!.assumingMemoryBound(to: UInt16.self)
            recentID = realloc(recentID, cap * MemoryLayout<UInt32>.stride)!.assumingMemoryBound(to: UInt32.self)
            recentCap = cap
        }
        if recentStart.isEmpty { recentStart = Array(repeating: 0, count: Self.buckets + 1) }
        let low = recentLow!, rid = recentID!
        // From the back: the recent entry at i is in bucket b (recentStart[b] <= i).
        var i = recentCount - 1, j = batch.count - 1, k = total - 1
        var b = Self.buckets - 1
        while j >= 0 {
            if i >= 0 {
                while recentStart[b] > i { b -= 1 }
                let r = UInt64(b) << 48 | UInt64(low[i]) << 32 | UInt64(rid[i])
                if r > batch[j] {
                    low[k] = low[i]; rid[k] = rid[i]; i -= 1; k -= 1
                    continue
                }
            }
            low[k] = UInt16(truncatingIfNeeded: batch[j] >> 32); rid[k] = UInt32(truncatingIfNeeded: batch[j]); j -= 1; k -= 1
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
