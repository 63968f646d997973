import Foundation
import RiskStore

/// Aggregates, for one batch, (kind, identifier id, account id) → events, first and last time
/// (schema v16: `links_i` holds interned ids). Fixed-size integer entries found through an
/// open-addressing table: no per-row allocation, no byte hashing. Fed by `InternedWriter` once a
/// chunk's identifiers have their ids; flushed into `links_i` (and per-account stats into
/// `accounts`) when the batch commits, or appended to `links_pending` during a large import.
final class LinkAggregator {
    struct Entry {
        var value: Int64
        var account: Int64
        var count: Int64
        var minTs: Int64
        var maxTs: Int64
        var kind: UInt8
    }

    /// Kind 0 is the per-account record (value 0); 1… are `Schema.linkKindCodes`.
    static let accountKind: UInt8 = 0
    private(set) var entries: [Entry] = []
    private var slots: [Int32]
    private var mask: Int

    init() {
        slots = Array(repeating: -1, count: 1 << 15)
        mask = (1 << 15) - 1
        reserve()
    }

    /// Room for a full aggregate at once (12 MiB), so the array never doubles past it: a
    /// doubling allocates the new storage beside the old (peak memory, issue 17's bar).
    private func reserve() { entries.reserveCapacity(Self.stageFlushEntries + 16) }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// Entries at which the aggregate is written mid-batch (appended to `links_pending` when
    /// staged); a row adds at most nine before the check. 250k entries of 48 bytes: 12 MiB,
    /// where v15's text-keyed ones took 16 MiB and their key bytes 8 more.
    static let stageFlushEntries = 250_000

    @inline(__always)
    private func hash(_ kind: UInt8, _ v: Int64, _ a: Int64) -> Int {
        var h = UInt64(bitPattern: v) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(bitPattern: a) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= UInt64(kind) &* 0x1656_67B1_9E37_79F9
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    @inline(__always)
    func add(kind: UInt8, value: Int64, account: Int64, ts: Int64) {
        var i = hash(kind, value, account) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            let e = entries[Int(s)]
            if e.value == value && e.account == account && e.kind == kind {
                entries[Int(s)].count += 1
                if ts < e.minTs { entries[Int(s)].minTs = ts }
                if ts > e.maxTs { entries[Int(s)].maxTs = ts }
                return
            }
            i = (i + 1) & mask
        }
        if entries.capacity == 0 { reserve() }
        slots[i] = Int32(entries.count)
        entries.append(Entry(value: value, account: account, count: 1, minTs: ts, maxTs: ts, kind: kind))
        if entries.count * 2 > slots.count { grow() }
    }

    private func grow() {
        let n = slots.count * 2
        slots = Array(repeating: -1, count: n)
        mask = n - 1
        for (idx, e) in entries.enumerated() {
            var i = hash(e.kind, e.value, e.account) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(idx)
        }
    }

    /// Writes the batch: links through `link` (kind, value id, account id, events, first, last),
    /// account stats through `account` (account id, events, first, last, run), in key order
    /// (the b-tree writes are sequential). Then empties itself.
    func flush(link: Statement, account: Statement, runID: Int64) throws {
        sortByKey()
        if stage != nil || packed != nil { return try flushToStage(runID: runID) }
        for e in entries {
            if e.kind == Self.accountKind {
                account.bindInt(1, e.account)
                account.bindInt(2, e.count)
                account.bindInt(3, e.minTs)
                account.bindInt(4, e.maxTs)
                account.bindInt(5, runID)
                try account.execute()
            } else {
                link.bindInt(1, Int64(e.kind))
                link.bindInt(2, e.value)
                link.bindInt(3, e.account)
                link.bindInt(4, e.count)
                link.bindInt(5, e.minTs)
                link.bindInt(6, e.maxTs)
                try link.execute()
            }
        }
        reset()
    }

    /// In (kind, value, account) order: the key order of `links_i` and of a staged run. The keys
    /// are unique, so any sort gives the same order. When every value and account id is below
    /// 2^30 (always, short of a billion identifiers) the key packs into 64 bits (kind 4, value 30,
    /// account 30) and is radix-sorted; otherwise a comparison sort.
    func sortByKey() {
        let n = entries.count
        if n < 2 { return }
        var fits = true
        for e in entries where e.kind > 15 || e.value < 0 || e.value >= 1 << 30 || e.account < 0 || e.account >= 1 << 30 {
            fits = false; break
        }
        guard fits else {
            entries.sort { x, y in
                x.kind != y.kind ? x.kind < y.kind : x.value != y.value ? x.value < y.value : x.account < y.account
            }
            return
        }
        var keys = [UInt64](); keys.reserveCapacity(n)
        var order = [UInt32](); order.reserveCapacity(n)
        for (i, e) in entries.enumerated() {
            keys.append(UInt64(e.kind) << 60 | UInt64(e.value) << 30 | UInt64(e.account))
            order.append(UInt32(i))
        }
        IntegerSort.radix(&keys, &order)
        keys = []
        IntegerSort.permute(&entries, by: &order)
    }

    /// Set during a large import: batches are appended to `links_pending` through this
    /// statement (kind, value, account, events, first, last, run; kind 0 for an account's
    /// activity) and merged into `links_i` and `accounts` once, in key order, at the end.
    var stage: Statement?
    /// The connection `stage` writes to (for the rowids of the runs).
    var stageDB: Database?
    /// The first rowid of each flush staged: each is a run sorted by key, which the merge at
    /// the end combines without re-sorting (`Schema.mergePendingLinkRuns`).
    private(set) var runStarts: [Int64] = []

    /// Set during a large import into a v17 store: each flush is written packed as one run of
    /// `links_pending_packed` blocks instead of `links_pending` rows (`stage` is then unused).
    var packed: PackedLinkWriter?

    private func flushToStage(runID: Int64) throws {
        if let w = packed {
            w.runID = runID
            try w.beginRun()
            for e in entries {
                try w.append(kind: Int64(e.kind), value: e.value, account: e.account, events: e.count, first: e.minTs, last: e.maxTs)
            }
            try w.endRun()
            reset()
            return
        }
        let st = stage!
        var first = true
        for e in entries {
            st.bindInt(1, Int64(e.kind))
            st.bindInt(2, e.value)
            st.bindInt(3, e.account)
            st.bindInt(4, e.count)
            st.bindInt(5, e.minTs)
            st.bindInt(6, e.maxTs)
            st.bindInt(7, runID)
            try st.execute()
            if first, let db = stageDB { runStarts.append(db.lastInsertRowID); first = false }
        }
        reset()
    }

    /// Forgets the runs staged (once merged).
    func forgetRuns() { runStarts = [] }

    /// Empties it and gives its memory back (the load is over; it is reserved again if used).
    func releaseMemory() {
        reset()
        entries = []
        slots = Array(repeating: -1, count: 1 << 15)
        mask = (1 << 15) - 1
    }

    func reset() {
        packed?.discard()
        entries.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = -1 }
    }
}
