import Foundation

/// What the merge would otherwise group from the staged events (schema v6): identifier links
/// (kind, value, account) → events, first and last time; per-account activity; hourly counts
/// by type — counted on the client while the rows stream, over the first row of each event id
/// in the import (a 64-bit hash of the id; a row whose hash was seen before is left out and its
/// order number sent as a skip). The merge uses these only when the rows it keeps are exactly
/// the rows counted here (see `riskdesk_merge_import`); otherwise it groups the new rows itself.
/// No allocation per row: each aggregate is one record in a byte arena (its hash, count, first
/// and last time, then its key), found through an open-addressing table of 64-bit slots that
/// hold the record's place and 32 bits of its hash: a probe touches the slot and, only when
/// those bits match, the one record (two cache misses per row and key, not three).
final class PGImportAggregates {
    /// The link kinds, as the merge names them; `item` and `seller` only for a type other than `view`.
    static let linkKinds = ["device", "ip", "payment", "address", "coupon", "target", "item", "seller"]
    static let accountTag: UInt8 = 0
    static let hourTag: UInt8 = 100

    struct Entry {
        var count: Int64
        var minTs: Int64
        var maxTs: Int64
    }
    /// A record: hash (8 bytes), count, min, max (8 each), key length (4), 4 spare, then the key,
    /// padded to 8 bytes.
    private static let header = 40

    /// Positions (in the COPY row) of the columns read: event_id, ts, account_id, type, and the
    /// link columns in `linkKinds` order (-1: not in this file).
    let eventID: Int, ts: Int, account: Int, type: Int
    let links: [Int]
    private(set) var entryCount = 0
    /// 0: empty; else the high 32 bits of the key's hash | (the record's offset / 8 + 1).
    private var slots: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCap: Int
    private var arenaUsed = 0
    private var keyLen = 0
    private var keyCap: Int
    private var keyBuf: UnsafeMutablePointer<UInt8>
    /// Event-id hashes seen (0 = empty; a hash of 0 is stored as 1).
    private var seen: UnsafeMutablePointer<UInt64>
    private var seenMask: Int
    private var seenCount = 0
    /// Rows counted, and the order numbers of the rows left out (an event id seen before).
    private(set) var counted: Int64 = 0
    private(set) var skips: [Int64] = []
    /// The event ids of the rows left out, end to end (`skipIDEnds[k]`: where the k-th ends):
    /// the merge checks each against an earlier row's (a true repeat, not a hash collision).
    private(set) var skipIDs: [UInt8] = []
    private(set) var skipIDEnds: [Int] = []
    /// Beyond this much memory the merge groups on the server instead (the aggregates are dropped).
    static let maxBytes = 3 << 30
    private(set) var gaveUp = false

    init?(columns: [String]) {
        func at(_ name: String) -> Int { (columns.firstIndex(of: name)).map { $0 + 1 } ?? -1 }   // column 0: the order number
        eventID = at("event_id"); ts = at("ts"); account = at("account_id"); type = at("type")
        guard eventID > 0, ts > 0, account > 0 else { return nil }
        links = ["device_id", "ip", "payment_id", "address_id", "coupon_id", "target_id", "item_id", "seller_id"].map(at)
        mask = (1 << 16) - 1
        slots = .allocate(capacity: mask + 1); slots.initialize(repeating: 0, count: mask + 1)
        arenaCap = 1 << 22
        arena = .allocate(capacity: arenaCap)
        seenMask = (1 << 16) - 1
        seen = .allocate(capacity: seenMask + 1); seen.initialize(repeating: 0, count: seenMask + 1)
        keyCap = 1 << 12
        keyBuf = .allocate(capacity: keyCap)
    }
    deinit {
        arena.deallocate(); slots.deallocate(); seen.deallocate(); keyBuf.deallocate()
    }

    /// Drops what it holds (too big: the server groups).
    func giveUp() {
        gaveUp = true
        skips = []; skipIDs = []; skipIDEnds = []
    }

    // MARK: Per row

    /// Counts one row (the values as the COPY row holds them), unless its event id was seen.
    func add(_ row: PGCopyRow, ord: Int64) {
        if gaveUp { return }
        add(row, UnsafeRawPointer(row.base), ord: ord)
    }

    private func add(_ row: PGCopyRow, _ base: UnsafeRawPointer, ord: Int64) {
        let starts = row.spanStart, lengths = row.spanLength
        let idStart = starts[eventID], accStart = starts[account]
        guard idStart >= 0, accStart >= 0, row.intSet[ts] else { giveUp(); return }   // not a checked event row: the server counts
        if !firstSight(Self.hash(base + idStart, lengths[eventID])) {
            skips.append(ord)
            skipIDs.append(contentsOf: UnsafeRawBufferPointer(start: base + idStart, count: lengths[eventID]))
            skipIDEnds.append(skipIDs.count)
            return
        }
        let tsValue = row.ints[ts]
        let acc = base + accStart, accLen = lengths[account]
        counted += 1
        // Per account.
        startKey(Self.accountTag)
        appendKey(acc, accLen)
        bump(tsValue)
        // Hourly by type.
        let typStart = type > 0 ? starts[type] : -1
        var isView = true
        if typStart >= 0 {
            let typ = base + typStart, typLen = lengths[type]
            isView = typLen == 4 && memcmp(typ, "view", 4) == 0
            startKey(Self.hourTag)
            var hour = (tsValue >= 0 ? tsValue / 3_600_000 : -((-tsValue + 3_599_999) / 3_600_000)).bigEndian
            appendKey(&hour, 8)
            appendKey(typ, typLen)
            bump(tsValue)
        }
        // Links: a non-empty value; item and seller only when the type is set and isn't "view".
        for k in 0..<links.count {
            let col = links[k]
            if col <= 0 || (k >= 6 && isView) { continue }
            let vs = starts[col], vl = lengths[col]
            if vs < 0 || vl == 0 { continue }
            startKey(UInt8(k + 1))
            var n = UInt32(vl).bigEndian
            appendKey(&n, 4)
            appendKey(base + vs, vl)
            appendKey(acc, accLen)
            bump(tsValue)
        }
        if arenaUsed + (mask + 1) * 8 + (seenMask + 1) * 8 > Self.maxBytes { giveUp() }
    }

    @inline(__always) private func startKey(_ tag: UInt8) {
        keyBuf[0] = tag
        keyLen = 1
    }

    @inline(__always) private func appendKey(_ p: UnsafeRawPointer, _ n: Int) {
        if keyLen + n > keyCap { Self.grow(&keyBuf, &keyCap, used: keyLen, need: n) }
        (keyBuf + keyLen).update(from: p.assumingMemoryBound(to: UInt8.self), count: n)
        keyLen += n
    }

    /// A byte buffer grown (at least doubled) to hold `need` more bytes after `used`.
    private static func grow(_ buf: inout UnsafeMutablePointer<UInt8>, _ cap: inout Int, used: Int, need: Int) {
        let newCap = max(cap * 2, used + need)
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
        b.update(from: buf, count: used)
        buf.deallocate()
        buf = b
        cap = newCap
    }

    /// 64-bit hash, eight bytes at a time.
    @inline(__always) static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8; i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 29
        return h
    }

    /// True when this hash is new (and records it).
    private func firstSight(_ hash: UInt64) -> Bool {
        let h = hash == 0 ? 1 : hash
        if (seenCount + 1) * 4 > (seenMask + 1) * 3 { growSeen() }
        var i = Int(truncatingIfNeeded: h ^ (h >> 23)) & seenMask
        while true {
            let s = seen[i]
            if s == 0 { seen[i] = h; seenCount += 1; return true }
            if s == h { return false }
            i = (i + 1) & seenMask
        }
    }

    private func growSeen() {
        let old = seen, oldCount = seenMask + 1
        seenMask = oldCount * 2 - 1
        seen = .allocate(capacity: seenMask + 1)
        seen.initialize(repeating: 0, count: seenMask + 1)
        for j in 0..<oldCount where old[j] != 0 {
            let h = old[j]
            var i = Int(truncatingIfNeeded: h ^ (h >> 23)) & seenMask
            while seen[i] != 0 { i = (i + 1) & seenMask }
            seen[i] = h
        }
        old.deallocate()
    }

    private func bump(_ ts: Int64) {
        let n = keyLen
        let h = Self.hash(keyBuf, n)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let r = UnsafeMutableRawPointer(arena + (Int(s & 0xFFFF_FFFF) - 1) * 8)
                if r.load(fromByteOffset: 32, as: UInt32.self) == UInt32(n) && memcmp(r + Self.header, keyBuf, n) == 0 {
                    r.storeBytes(of: r.load(fromByteOffset: 8, as: Int64.self) + 1, toByteOffset: 8, as: Int64.self)
                    if ts < r.load(fromByteOffset: 16, as: Int64.self) { r.storeBytes(of: ts, toByteOffset: 16, as: Int64.self) }
                    if ts > r.load(fromByteOffset: 24, as: Int64.self) { r.storeBytes(of: ts, toByteOffset: 24, as: Int64.self) }
                    return
                }
            }
            i = (i + 1) & mask
        }
        let size = Self.header + ((n + 7) & ~7)
        if arenaUsed + size > arenaCap { Self.grow(&arena, &arenaCap, used: arenaUsed, need: size) }
        let r = UnsafeMutableRawPointer(arena + arenaUsed)
        r.storeBytes(of: h, toByteOffset: 0, as: UInt64.self)
        r.storeBytes(of: 1, toByteOffset: 8, as: Int64.self)
        r.storeBytes(of: ts, toByteOffset: 16, as: Int64.self)
        r.storeBytes(of: ts, toByteOffset: 24, as: Int64.self)
        r.storeBytes(of: UInt32(n), toByteOffset: 32, as: UInt32.self)
        r.storeBytes(of: 0, toByteOffset: 36, as: UInt32.self)
        (r + Self.header).copyMemory(from: keyBuf, byteCount: n)
        slots[i] = tag | UInt64(arenaUsed / 8 + 1)
        arenaUsed += size
        entryCount += 1
        if entryCount * 2 > mask + 1 { growSlots() }
    }

    private func growSlots() {
        slots.deallocate()
        mask = (mask + 1) * 2 - 1
        slots = .allocate(capacity: mask + 1)
        slots.initialize(repeating: 0, count: mask + 1)
        var off = 0
        while off < arenaUsed {
            let r = UnsafeRawPointer(arena + off)
            let h = r.load(as: UInt64.self)
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(off / 8 + 1)
            off += Self.header + ((Int(r.load(fromByteOffset: 32, as: UInt32.self)) + 7) & ~7)
        }
    }

    // MARK: Out

    /// Each aggregate, decoded from its key: (tag, key bytes after the tag, entry).
    func forEach(_ body: (UInt8, UnsafeRawBufferPointer, Entry) throws -> Void) rethrows {
        var off = 0
        while off < arenaUsed {
            let r = UnsafeRawPointer(arena + off)
            let n = Int(r.load(fromByteOffset: 32, as: UInt32.self))
            let e = Entry(count: r.load(fromByteOffset: 8, as: Int64.self), minTs: r.load(fromByteOffset: 16, as: Int64.self),
                          maxTs: r.load(fromByteOffset: 24, as: Int64.self))
            try body(arena[off + Self.header], UnsafeRawBufferPointer(start: r + Self.header + 1, count: n - 1), e)
            off += Self.header + ((n + 7) & ~7)
        }
    }
}
