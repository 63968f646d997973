import Foundation

/// What the merge would otherwise group from the staged events (schema v6): identifier links
/// (kind, value, account) → events, first and last time; per-account activity; hourly counts
/// by type — counted on the client while the rows stream, over the first row of each event id
/// in the import (a 64-bit hash of the id; a row whose hash was seen before is left out and its
/// order number sent as a skip). The merge uses these only when the rows it keeps are exactly
/// the rows counted here (see `riskdesk_merge_import`); otherwise it groups the new rows itself.
/// No allocation per row: keys live in one byte arena, found through an open-addressing table.
final class PGImportAggregates {
    /// The link kinds, as the merge names them; `item` and `seller` only for a type other than `view`.
    static let linkKinds = ["device", "ip", "payment", "address", "coupon", "target", "item", "seller"]
    static let accountTag: UInt8 = 0
    static let hourTag: UInt8 = 100

    struct Entry {
        var hash: UInt64
        var offset: Int
        var length: Int
        var count: Int64
        var minTs: Int64
        var maxTs: Int64
    }

    /// Positions (in the COPY row) of the columns read: event_id, ts, account_id, type, and the
    /// link columns in `linkKinds` order (-1: not in this file).
    let eventID: Int, ts: Int, account: Int, type: Int
    let links: [Int]
    private(set) var entries: [Entry] = []
    private var slots: [Int32]
    private var mask: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCap: Int
    private var arenaUsed = 0
    private var key: [UInt8] = []
    /// Event-id hashes seen (0 = empty; a hash of 0 is stored as 1).
    private var seen: [UInt64]
    private var seenCount = 0
    /// Rows counted, and the order numbers of the rows left out (an event id seen before).
    private(set) var counted: Int64 = 0
    private(set) var skips: [Int64] = []
    /// Beyond this much memory the merge groups on the server instead (the aggregates are dropped).
    static let maxBytes = 3 << 30
    private(set) var gaveUp = false

    init?(columns: [String]) {
        func at(_ name: String) -> Int { (columns.firstIndex(of: name)).map { $0 + 1 } ?? -1 }   // column 0: the order number
        eventID = at("event_id"); ts = at("ts"); account = at("account_id"); type = at("type")
        guard eventID > 0, ts > 0, account > 0 else { return nil }
        links = ["device_id", "ip", "payment_id", "address_id", "coupon_id", "target_id", "item_id", "seller_id"].map(at)
        slots = Array(repeating: -1, count: 1 << 16)
        mask = (1 << 16) - 1
        arenaCap = 1 << 22
        arena = .allocate(capacity: arenaCap)
        seen = Array(repeating: 0, count: 1 << 16)
        key.reserveCapacity(256)
    }
    deinit { arena.deallocate() }

    /// Drops everything (too big: the server groups).
    func giveUp() {
        gaveUp = true
        entries = []; slots = []; seen = []; skips = []
    }

    // MARK: Per row

    /// Counts one row (the values as the COPY row holds them), unless its event id was seen.
    func add(_ row: PGCopyRow, ord: Int64) {
        if gaveUp { return }
        row.buf.withUnsafeBytes { b in add(row, b, ord: ord) }
    }

    private func add(_ row: PGCopyRow, _ b: UnsafeRawBufferPointer, ord: Int64) {
        func span(_ c: Int) -> UnsafeRawBufferPointer? {
            let s = row.spanStart[c]
            return s < 0 ? nil : UnsafeRawBufferPointer(rebasing: b[s..<(s + row.spanLength[c])])
        }
        guard let id = span(eventID), row.intSet[ts], let acc = span(account) else {
            giveUp(); return     // not what a checked event row holds: let the server count
        }
        if !firstSight(Self.fnv(id)) { skips.append(ord); return }
        let tsValue = row.ints[ts]
        counted += 1
        // Per account.
        key.removeAll(keepingCapacity: true)
        key.append(Self.accountTag)
        key.append(contentsOf: acc)
        bump(tsValue)
        // Hourly by type.
        let typ = type > 0 ? span(type) : nil
        if let typ {
            key.removeAll(keepingCapacity: true)
            key.append(Self.hourTag)
            let hour = tsValue >= 0 ? tsValue / 3_600_000 : -((-tsValue + 3_599_999) / 3_600_000)
            withUnsafeBytes(of: hour.bigEndian) { key.append(contentsOf: $0) }
            key.append(contentsOf: typ)
            bump(tsValue)
        }
        // Links: a non-empty value; item and seller only when the type is set and isn't "view".
        let isView = typ.map { $0.count == 4 && $0.elementsEqual("view".utf8) } ?? true
        for (k, col) in links.enumerated() where col > 0 {
            if k >= 6 && isView { continue }
            guard let v = span(col), v.count > 0 else { continue }
            key.removeAll(keepingCapacity: true)
            key.append(UInt8(k + 1))
            withUnsafeBytes(of: UInt32(v.count).bigEndian) { key.append(contentsOf: $0) }
            key.append(contentsOf: v)
            key.append(contentsOf: acc)
            bump(tsValue)
        }
        if arenaUsed + entries.count * MemoryLayout<Entry>.stride + seen.count * 8 > Self.maxBytes { giveUp() }
    }

    @inline(__always) static func fnv(_ b: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        return h ^ (h >> 31)
    }

    /// True when this hash is new (and records it).
    private func firstSight(_ hash: UInt64) -> Bool {
        let h = hash == 0 ? 1 : hash
        if (seenCount + 1) * 4 > seen.count * 3 { growSeen() }
        let m = seen.count - 1
        var i = Int(truncatingIfNeeded: h ^ (h >> 17)) & m
        while true {
            let s = seen[i]
            if s == 0 { seen[i] = h; seenCount += 1; return true }
            if s == h { return false }
            i = (i + 1) & m
        }
    }

    private func growSeen() {
        let old = seen
        seen = Array(repeating: 0, count: old.count * 2)
        let m = seen.count - 1
        for h in old where h != 0 {
            var i = Int(truncatingIfNeeded: h ^ (h >> 17)) & m
            while seen[i] != 0 { i = (i + 1) & m }
            seen[i] = h
        }
    }

    private func bump(_ ts: Int64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in key { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        h ^= h >> 29
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            let e = entries[Int(s)]
            if e.hash == h && e.length == key.count && memcmp(arena + e.offset, key, key.count) == 0 {
                entries[Int(s)].count += 1
                if ts < e.minTs { entries[Int(s)].minTs = ts }
                if ts > e.maxTs { entries[Int(s)].maxTs = ts }
                return
            }
            i = (i + 1) & mask
        }
        if arenaUsed + key.count > arenaCap {
            let cap = max(arenaCap * 2, arenaUsed + key.count)
            let a = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
            a.update(from: arena, count: arenaUsed)
            arena.deallocate()
            arena = a
            arenaCap = cap
        }
        key.withUnsafeBufferPointer { (arena + arenaUsed).update(from: $0.baseAddress!, count: $0.count) }
        slots[i] = Int32(entries.count)
        entries.append(Entry(hash: h, offset: arenaUsed, length: key.count, count: 1, minTs: ts, maxTs: ts))
        arenaUsed += key.count
        if entries.count * 2 > slots.count { growSlots() }
    }

    private func growSlots() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (n, e) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: e.hash) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(n)
        }
    }

    // MARK: Out

    /// Each aggregate, decoded from its key: (tag, key bytes after the tag, entry).
    func forEach(_ body: (UInt8, UnsafeRawBufferPointer, Entry) throws -> Void) rethrows {
        for e in entries {
            try body(arena[e.offset], UnsafeRawBufferPointer(start: arena + e.offset + 1, count: e.length - 1), e)
        }
    }
}
