import Foundation
import RiskStore

/// Aggregates, for one batch, (kind, identifier, account) → events, first and last time,
/// without allocating per row: keys live in a byte arena, found through an open-addressing
/// table. Flushed into `links` (and per-account stats into `accounts`) when the batch commits.
final class LinkAggregator {
    struct Entry {
        var hash: UInt64
        var offset: Int       // key bytes in the arena: [kind][value…][0xFF][account…]
        var valueLen: Int
        var accountLen: Int
        var kind: UInt8
        var count: Int64
        var minTs: Int64
        var maxTs: Int64
    }

    /// Kind 0 is the per-account record; 1… index `kindNames`.
    static let accountKind: UInt8 = 0
    let kindNames: [String]
    private(set) var entries: [Entry] = []
    private var slots: [Int32]
    private var mask: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCap: Int
    private var arenaUsed = 0

    init(kindNames: [String]) {
        self.kindNames = kindNames
        slots = Array(repeating: -1, count: 1 << 15)
        mask = (1 << 15) - 1
        arenaCap = 1 << 20
        arena = .allocate(capacity: arenaCap)
        entries.reserveCapacity(1 << 14)
    }
    deinit { arena.deallocate() }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// Entries at which a staged aggregate is appended to `links_pending` mid-batch. Under 2^18
    /// (a row adds at most nine before the check): `entries` stops doubling at 2^18 (16 MiB),
    /// where 300k made it 2^19 (32 MiB, with the old copy beside it while it grew).
    static let stageFlushEntries = 250_000

    @inline(__always)
    private func hash(_ kind: UInt8, _ v: Slice, _ a: Slice) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(kind)
        if let p = v.ptr { for i in 0..<v.len { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 } }
        h = (h ^ 0xFF) &* 0x100_0000_01b3
        if let p = a.ptr { for i in 0..<a.len { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 } }
        return h ^ (h >> 29)
    }

    @inline(__always)
    func add(kind: UInt8, value: Slice, account: Slice, ts: Int64) {
        let h = hash(kind, value, account)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            let e = entries[Int(s)]
            if e.hash == h && e.kind == kind && e.valueLen == value.len && e.accountLen == account.len
                && (value.len == 0 || memcmp(arena + e.offset, value.ptr!, value.len) == 0)
                && memcmp(arena + e.offset + value.len + 1, account.ptr!, account.len) == 0 {
                entries[Int(s)].count += 1
                if ts < e.minTs { entries[Int(s)].minTs = ts }
                if ts > e.maxTs { entries[Int(s)].maxTs = ts }
                return
            }
            i = (i + 1) & mask
        }
        // New key.
        let need = value.len + 1 + account.len
        if arenaUsed + need > arenaCap {
            let newCap = max(arenaCap * 2, arenaUsed + need)
            let na = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
            na.update(from: arena, count: arenaUsed)
            arena.deallocate()
            arena = na
            arenaCap = newCap
        }
        let off = arenaUsed
        if value.len > 0 { (arena + off).update(from: value.ptr!, count: value.len) }
        arena[off + value.len] = 0xFF
        (arena + off + value.len + 1).update(from: account.ptr!, count: account.len)
        arenaUsed += need
        slots[i] = Int32(entries.count)
        entries.append(Entry(hash: h, offset: off, valueLen: value.len, accountLen: account.len, kind: kind,
                             count: 1, minTs: ts, maxTs: ts))
        if entries.count * 2 > slots.count { grow() }
    }

    private func grow() {
        let n = slots.count * 2
        slots = Array(repeating: -1, count: n)
        mask = n - 1
        for (idx, e) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: e.hash) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(idx)
        }
    }

    /// Writes the batch: links through `link` (kind, value, account, events, first, last),
    /// account stats through `account` (account, events, first, last). Then empties itself.
    func flush(link: Statement, account: Statement, runID: Int64) throws {
        if stage != nil { return try flushToStage(runID: runID) }
        // Key order makes the b-tree writes sequential.
        let order = entries.indices.sorted { a, b in
            let x = entries[a], y = entries[b]
            if x.kind != y.kind { return x.kind < y.kind }
            let lx = x.valueLen + 1 + x.accountLen, ly = y.valueLen + 1 + y.accountLen
            let c = memcmp(arena + x.offset, arena + y.offset, min(lx, ly))
            return c != 0 ? c < 0 : lx < ly
        }
        for idx in order {
            let e = entries[idx]
            let acc = UnsafeRawPointer(arena + e.offset + e.valueLen + 1)
            if e.kind == Self.accountKind {
                account.bindText(1, acc, e.accountLen)
                account.bindInt(2, e.count)
                account.bindInt(3, e.minTs)
                account.bindInt(4, e.maxTs)
                account.bindInt(5, runID)
                try account.execute()
            } else {
                let name = kindNames[Int(e.kind) - 1]
                link.bindText(1, name)
                link.bindText(2, UnsafeRawPointer(arena + e.offset), e.valueLen)
                link.bindText(3, acc, e.accountLen)
                link.bindInt(4, e.count)
                link.bindInt(5, e.minTs)
                link.bindInt(6, e.maxTs)
                try link.execute()
            }
        }
        reset()
    }

    /// Set during a large import: batches are appended to `links_pending` through this
    /// statement (kind, value, account, events, first, last, run; kind '' for an account's
    /// activity) and merged into `links` and `accounts` once, in key order, at the end.
    var stage: Statement?

    private func flushToStage(runID: Int64) throws {
        let st = stage!
        for e in entries {
            let acc = UnsafeRawPointer(arena + e.offset + e.valueLen + 1)
            if e.kind == Self.accountKind {
                st.bindText(1, "")
                st.bindText(2, "")
            } else {
                st.bindText(1, kindNames[Int(e.kind) - 1])
                st.bindText(2, UnsafeRawPointer(arena + e.offset), e.valueLen)
            }
            st.bindText(3, acc, e.accountLen)
            st.bindInt(4, e.count)
            st.bindInt(5, e.minTs)
            st.bindInt(6, e.maxTs)
            st.bindInt(7, runID)
            try st.execute()
        }
        reset()
    }

    /// Empties it and gives its memory back (the load is over; it regrows if used again).
    func releaseMemory() {
        reset()
        entries = []
        arena.deallocate()
        arenaCap = 1 << 16
        arena = .allocate(capacity: arenaCap)
    }

    func reset() {
        entries.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = -1 }
        arenaUsed = 0
    }
}
