import Foundation
import RiskStore

/// Writes checked event rows into `events_i` with their identifiers interned in `idents`
/// (schema v14). Rows are held in a chunk (the checker binds into it as into a statement);
/// when the chunk is full, or the batch commits, the chunk's identifiers not in the cache are
/// sorted and looked up / added to `idents` in key order — one ordered sweep over the
/// dictionary's unique index, not a random-order probe per identifier — and the rows are
/// inserted with the ids. The cache (the most recent identifiers, bounded) spares the
/// look-ups of the accounts, devices and items that recur.
final class InternedWriter: RowBinder {
    private let db: Database
    /// Values per row: the contract's fields, then `extra`.
    let params: Int
    /// Parameter positions (0-based) of the interned identifiers.
    private let identParams: [Int]
    private let insert: Statement
    private let lookup: Statement
    private let add: Statement

    // The chunk: per (row, param) a tag (0 null, 1 int, 2 double, 3 text, 4 dictionary entry
    // whose id is looked up at the flush, 5 an interned identifier's id), a number (the int, the
    // double's bits, a text's offset in `arena`, an entry, or the id) and a text's length.
    private var tags: [UInt8] = []
    private var nums: [Int64] = []
    private var lens: [Int32] = []
    private var ids: [Int64] = []
    private var arena: UnsafeMutableRawPointer
    private var arenaCount = 0
    private var arenaCap: Int
    private var rowBase = 0
    private var rowArena = 0
    private(set) var rows = 0
    /// Rows held before the chunk is written.
    let chunkRows: Int
    var runID: Int64 = 0
    /// Insert each chunk's rows in timeline-index order (an import into a store that keeps
    /// `idx_events_account_ts`: the daily case). Off for a bulk load (no index to keep), and off
    /// by default (`ImportOptions.timelineOrder`: measured, it cost more than it saved).
    var timelineOrder = false

    /// The recent identifiers in two generations of up to half the entries each: the chunk's
    /// identifiers are found in `cache` (the young one), or in `older` (and copied into the young
    /// one), or looked up. When the young one is full it becomes the older one and the older one
    /// is emptied — so the identifiers that recur (active accounts, popular items, shared
    /// networks) stay cached, where a single table cleared when full lost all of them at once.
    ///
    /// With `dictionaryEntries` > 0 (the default) there is one generation that keeps every
    /// identifier of the import (`IdentCache` grown as needed): each is looked up in `idents`
    /// once, when first seen. Past `dictionaryEntries` it is emptied and starts again.
    private var cache: IdentCache
    private var older: IdentCache
    private let dictionary: Bool
    private var newEntries: [IdentCache.Entry] = []

    /// Where the chunk's links and account activity go once its identifiers have ids (schema
    /// v16: links are kept by id); `linksFull` is called whenever it reaches `linkFlushEntries`
    /// (it writes the aggregate), so a large batch needs no more memory than a small one.
    var links: LinkAggregator?
    var linkFlushEntries = LinkAggregator.stageFlushEntries
    var linksFull: () throws -> Void = {}
    private let accountParam: Int
    private let tsParam: Int
    private let typeParam: Int
    /// (parameter, link kind code, whether a `view` event skips it: item and seller links
    /// count interactions beyond views).
    private let linkParams: [(param: Int, code: UInt8, skipsViews: Bool)]

    /// Dictionary look-ups made, and identifiers added (for the import's notes and tests).
    private(set) var lookups = 0
    private(set) var added = 0

    init(db: Database, fields: [String], chunkRows: Int = 65_536, cacheEntries: Int = 1 << 19,
         dictionaryEntries: Int = 1 << 22) throws {
        self.db = db
        params = fields.count + 1
        identParams = fields.indices.filter { Schema.isInterned(fields[$0]) }
        accountParam = fields.firstIndex(of: "account_id")!
        tsParam = fields.firstIndex(of: "ts")!
        typeParam = fields.firstIndex(of: "type")!
        linkParams = Schema.linkKinds.enumerated().map { k, lk in
            let p = fields.firstIndex(of: lk.column)!
            precondition(Schema.isInterned(lk.column), "link column \(lk.column) must be interned")
            return (p, UInt8(k + 1), lk.column == "item_id" || lk.column == "seller_id")
        }
        self.chunkRows = chunkRows
        insert = try db.prepare("""
            INSERT INTO events_i(\(fields.joined(separator: ", ")), extra, run_id, id)
            VALUES (\(Array(repeating: "?", count: fields.count + 3).joined(separator: ", ")))
            """)
        lookup = try db.prepare("SELECT id FROM idents WHERE v = ?1")
        add = try db.prepare("INSERT INTO idents(v) VALUES (?1)")
        arenaCap = 1 << 20
        arena = .allocate(byteCount: arenaCap, alignment: 8)
        dictionary = dictionaryEntries > 0
        if dictionary {
            cache = IdentCache(maxEntries: dictionaryEntries, growable: true)
            older = IdentCache(maxEntries: 1)
        } else {
            cache = IdentCache(maxEntries: max(1, cacheEntries / 2))
            older = IdentCache(maxEntries: max(1, cacheEntries / 2))
        }
        tags.reserveCapacity(chunkRows * params)
        nums.reserveCapacity(chunkRows * params)
        lens.reserveCapacity(chunkRows * params)
    }

    deinit { arena.deallocate() }

    // MARK: RowBinder (one row at a time: beginRow, the checker's binds, then keep or drop)

    func beginRow() {
        rowBase = tags.count
        rowArena = arenaCount
        tags.append(contentsOf: repeatElement(0, count: params))
        nums.append(contentsOf: repeatElement(0, count: params))
        lens.append(contentsOf: repeatElement(0, count: params))
    }

    /// Keeps the row begun, to be stored with this events.id (nil: SQLite picks one).
    func keepRow(id: Int64?) {
        ids.append(id ?? 0)
        rows += 1
    }

    /// Forgets the row begun (rejected, or a duplicate).
    func dropRow() {
        tags.removeSubrange(rowBase...)
        nums.removeSubrange(rowBase...)
        lens.removeSubrange(rowBase...)
        arenaCount = rowArena
    }

    func bindNull(_ i: Int32) { tags[rowBase + Int(i) - 1] = 0 }
    func bindInt(_ i: Int32, _ v: Int64) { let s = rowBase + Int(i) - 1; tags[s] = 1; nums[s] = v }
    func bindDouble(_ i: Int32, _ v: Double) { let s = rowBase + Int(i) - 1; tags[s] = 2; nums[s] = Int64(bitPattern: v.bitPattern) }
    func bindText(_ i: Int32, _ p: UnsafeRawPointer, _ n: Int, stable: Bool) {
        let s = rowBase + Int(i) - 1
        if arenaCount + n > arenaCap {
            var cap = arenaCap * 2
            while arenaCount + n > cap { cap *= 2 }
            let a = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 8)
            a.copyMemory(from: arena, byteCount: arenaCount)
            arena.deallocate()
            arena = a
            arenaCap = cap
        }
        (arena + arenaCount).copyMemory(from: p, byteCount: n)
        tags[s] = 3; nums[s] = Int64(arenaCount); lens[s] = Int32(n)
        arenaCount += n
    }

    /// For a row held in the chunk (not yet in `events_i`): whether its event_id is these
    /// bytes; nil when the id is not in the chunk.
    func heldEventID(id: Int64, _ p: UnsafeRawPointer, _ n: Int) -> Bool? {
        guard rows > 0, id >= ids[0], id <= ids[rows - 1] else { return nil }
        var lo = 0, hi = rows
        while lo < hi { let m = (lo + hi) / 2; if ids[m] < id { lo = m + 1 } else { hi = m } }
        guard lo < rows, ids[lo] == id else { return nil }
        let s = lo * params   // event_id is the first field
        guard tags[s] == 3, Int(lens[s]) == n else { return false }
        return memcmp(arena + Int(nums[s]), p, n) == 0
    }

    // MARK: writing

    /// Interns the chunk's identifiers and inserts its rows; the chunk is empty afterwards.
    func flush() throws {
        guard rows > 0 else { return }
        if dictionary {
            // Full (or its arena near the 4 GiB its offsets reach): start again.
            if cache.count >= cache.maxEntries || cache.arenaBytes + arenaCount + rows * identParams.count * 9 >= Int(UInt32.max) {
                cache.clear()
            }
        } else if cache.count >= cache.maxEntries {
            swap(&cache, &older)
            cache.clear()
        }
        newEntries.removeAll(keepingCapacity: true)
        // The generations in locals: no retain / release of the class references per identifier.
        let young = cache, old = older, fieldsOfIdents = identParams, arena = arena
        for r in 0..<rows {
            let base = r * params
            for f in fieldsOfIdents {
                let s = base + f
                guard tags[s] == 3 else { continue }
                let p = UnsafeRawPointer(arena + Int(nums[s])), n = Int(lens[s])
                let h = EventKey.hash(p, n)
                let (e, raw) = young.probe(p, n, h)
                if e >= 0, let id = young.resolved(e, raw: raw) {
                    // Known: the row keeps the id itself, so writing it reads no entry again.
                    tags[s] = 5; nums[s] = id
                    continue
                }
                var entry = e
                if entry < 0 {
                    let o = old.find(p, n, h)
                    if o >= 0 {
                        let id = old.id(o)
                        entry = young.insert(p, n, h, id: id)
                        if id != 0 { tags[s] = 5; nums[s] = id; continue }
                    } else {
                        entry = young.insert(p, n, h, id: 0)
                        newEntries.append(entry)
                    }
                }
                // Added by this chunk: its id comes from `idents` below.
                tags[s] = 4; nums[s] = Int64(entry)
            }
        }
        // New identifiers in key order (SQLite's BINARY collation: bytes, then length).
        cache.sortByBytes(&newEntries)
        for e in newEntries {
            let (p, n) = cache.bytes(e)
            lookups += 1
            lookup.reset()
            lookup.bindText(1, p, n)
            if try lookup.step() {
                cache.setID(e, lookup.int(0))
                lookup.reset()
            } else {
                lookup.reset()
                add.reset()
                add.bindText(1, p, n)
                try add.execute()
                cache.setID(e, db.lastInsertRowID)
                added += 1
            }
        }
        if links != nil { try aggregateLinks() }
        let st = insert
        let pc = Int32(params)
        let order = timelineOrder ? rowsInTimelineOrder() : nil
        for i in 0..<rows {
            let r = order.map { Int($0[i]) } ?? i
            let base = r * params
            for k in 0..<params {
                let s = base + k, i = Int32(k + 1)
                switch tags[s] {
                case 1: st.bindInt(i, nums[s])
                case 2: st.bindDouble(i, Double(bitPattern: UInt64(bitPattern: nums[s])))
                case 3: st.bindText(i, arena + Int(nums[s]), Int(lens[s]))
                case 4: st.bindInt(i, cache.id(Int(nums[s])))
                case 5: st.bindInt(i, nums[s])
                default: st.bindNull(i)
                }
            }
            st.bindInt(pc + 1, runID)
            if ids[r] != 0 { st.bindInt(pc + 2, ids[r]) } else { st.bindNull(pc + 2) }
            try st.execute()
        }
        discard()
    }

    /// The chunk's rows in the order of `idx_events_account_ts` (v18: the id's block, then account
    /// id, then ts, then id), or
    /// nil when a row has no explicit id (its rowid would then depend on the order it is inserted in).
    /// Each row keeps its id, so the rows stored are the same in either order; what changes is
    /// that the timeline index takes the chunk's entries in key order — one pass down the tree
    /// per chunk, each page touched once, instead of a random descent per row.
    private func rowsInTimelineOrder() -> [Int32]? {
        guard rows > 1 else { return nil }
        var keyed: [(Int64, Int64, Int64, Int32)] = []
        keyed.reserveCapacity(rows)
        for r in 0..<rows {
            guard ids[r] != 0 else { return nil }
            let base = r * params
            let a = base + accountParam, t = base + tsParam
            // SQLite orders NULL before numbers; the account is an id (tag 4 or 5), ts an int (tag 1).
            guard tags[a] >= 4 || tags[a] == 0, tags[t] == 1 || tags[t] == 0 else { return nil }
            let account = tags[a] >= 4 ? identID(a) : Int64.min
            let ts = tags[t] == 1 ? nums[t] : Int64.min
            keyed.append((ids[r] >> Int64(Schema.timelineBlockShift), account, ts, Int32(r)))
        }
        keyed.sort { x, y in x.0 != y.0 ? x.0 < y.0 : x.1 != y.1 ? x.1 < y.1 : (x.2 != y.2 ? x.2 < y.2 : x.3 < y.3) }
        return keyed.map { $0.3 }
    }

    /// An interned value's id: held by the row (tag 5) or by its entry (tag 4, added by this chunk).
    @inline(__always) private func identID(_ s: Int) -> Int64 {
        tags[s] == 5 ? nums[s] : cache.id(Int(nums[s]))
    }

    private static let viewType = Array("view".utf8)

    /// Adds the chunk's rows to `links` by id: the account's activity (kind 0) and one link per
    /// identifier column the row has.
    private func aggregateLinks() throws {
        let agg = links!, cache = cache
        for r in 0..<rows {
            let base = r * params
            let a = base + accountParam
            guard tags[a] >= 4 else { continue }
            let account = identID(a)
            let ts = nums[base + tsParam]
            agg.add(kind: LinkAggregator.accountKind, value: 0, account: account, ts: ts)
            let t = base + typeParam
            let isView = tags[t] == 3 && lens[t] == 4 && Self.viewType.withUnsafeBytes { memcmp(arena + Int(nums[t]), $0.baseAddress!, 4) == 0 }
            for lp in linkParams {
                let s = base + lp.param
                guard tags[s] >= 4, !(isView && lp.skipsViews) else { continue }
                agg.add(kind: lp.code, value: identID(s), account: account, ts: ts)
            }
            if agg.count >= linkFlushEntries { try linksFull() }
        }
    }

    /// Empties the chunk without writing it (a rolled-back batch).
    func discard() {
        tags.removeAll(keepingCapacity: true)
        nums.removeAll(keepingCapacity: true)
        lens.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        arenaCount = 0
        rows = 0
        rowBase = 0
        rowArena = 0
    }

    /// Forgets the cached ids (after a rollback they may name rows that were never committed).
    func forgetCache() { cache.clear(); older.clear() }

    /// Empties the chunk and the cache and gives their memory back (the load is over: the
    /// end-of-import sorts get it; both regrow if used again).
    func releaseMemory() {
        discard()
        tags = []; nums = []; lens = []; ids = []; newEntries = []
        arena.deallocate()
        arenaCap = 1 << 16
        arena = .allocate(byteCount: arenaCap, alignment: 8)
        cache.clear(keepingCapacity: false)
        older.clear(keepingCapacity: false)
    }
}

/// Identifier bytes → `idents.id`, open addressing over a byte arena: one generation of
/// `InternedWriter`'s cache (emptied when it has become the older one and is full again), or,
/// `growable`, the whole import's dictionary (grown as it fills, up to `maxEntries`).
///
/// An entry is its record in the arena — a 4-byte id, then a 1- or 5-byte length, then the
/// bytes — and is named by the record's offset. A slot holds the entry's tag and offset, so a
/// probe that finds an identifier reads two cache lines (its slot, its record: the id is beside
/// the bytes it compares), where a table of offsets and one of ids took two more random reads
/// per identifier (issue 17's growth of the importing phase with the dictionary's size: imp60).
/// Compact: 8 bytes a slot (at most 3/4 of the slots taken) and a record of 5 + the bytes: at the
/// 3.05M identifiers of a 19.8M-event load (13.4 bytes on average) 64 MB of slots and 56 MB of
/// records, 4 bytes an entry less than a table of offsets and one of ids took, and no such tables
/// to grow by copying.
final class IdentCache {
    /// An entry: its record's offset in the arena.
    typealias Entry = Int
    /// An id that is not known yet (`insert(id: 0)`: the writer is about to look it up).
    static let pending: UInt32 = 0
    /// The record's id field for an id that does not fit: the id is in `bigIDs`.
    private static let big: UInt32 = .max
    let maxEntries: Int
    private let growable: Bool
    /// Open addressing: 0 is an empty slot; otherwise the high 32 bits of the entry's hash (a tag)
    /// over the entry's offset + 1. The slot's position comes from the tag (so the table can grow
    /// from its slots alone, without the hashes); a probe compares tags in the slot array and reads
    /// an entry's record only when its tag matches, so a miss costs the slots' cache lines alone.
    /// An equal tag (or an equal whole hash) is only a candidate: the bytes decide.
    private var slots: [UInt64]
    private var mask: Int
    private var shift: UInt64
    private var bigIDs: [Entry: Int64] = [:]
    private var arena: UnsafeMutableRawPointer
    private var arenaCount = 0
    private var arenaCap: Int
    private let initialSlots: Int
    private(set) var count = 0
    /// Bytes of the entries' arena (at most 4 GiB: offsets are 32 bits).
    var arenaBytes: Int { arenaCount }

    init(maxEntries: Int, growable: Bool = false) {
        self.maxEntries = maxEntries
        self.growable = growable
        var cap = 1024
        if !growable { while cap < maxEntries * 2 { cap *= 2 } }
        initialSlots = cap
        slots = Array(repeating: 0, count: cap)
        mask = cap - 1
        shift = UInt64(64 - cap.trailingZeroBitCount)
        arenaCap = 1 << 20
        arena = .allocate(byteCount: arenaCap, alignment: 8)
    }
    deinit { arena.deallocate() }

    func clear(keepingCapacity keep: Bool = true) {
        if keep || slots.count == initialSlots {
            for i in slots.indices { slots[i] = 0 }
        } else {
            slots = Array(repeating: 0, count: initialSlots)
            mask = initialSlots - 1
            shift = UInt64(64 - initialSlots.trailingZeroBitCount)
        }
        count = 0
        bigIDs.removeAll()
        arenaCount = 0
        if !keep {
            arena.deallocate()
            arenaCap = 1 << 16
            arena = .allocate(byteCount: arenaCap, alignment: 8)
        }
    }

    @inline(__always) private func home(_ tag: UInt64) -> Int {
        Int(truncatingIfNeeded: (tag &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The entry's bytes (after its id and length).
    @inline(__always) private func record(_ e: Entry) -> (UnsafeRawPointer, Int) {
        let p = UnsafeRawPointer(arena + e + 4)
        let b = p.load(as: UInt8.self)
        if b < 255 { return (p + 1, Int(b)) }
        return (p + 5, Int(p.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
    }

    /// The entry with these bytes (`h` their hash), or -1.
    @inline(__always) func find(_ p: UnsafeRawPointer, _ n: Int, _ h: Int64) -> Entry {
        probe(p, n, h).entry
    }

    /// The entry with these bytes and its record's id field (`pending`, `big` or the id), or (-1, 0):
    /// what a caller needs from one visit to the record.
    @inline(__always) func probe(_ p: UnsafeRawPointer, _ n: Int, _ h: Int64) -> (entry: Entry, raw: UInt32) {
        let tag = Self.tag(h)
        var i = home(tag)
        while true {
            let s = slots[i]
            if s == 0 { return (-1, 0) }
            if s >> 32 == tag {
                let e = Int(UInt32(truncatingIfNeeded: s)) - 1
                let (q, m) = record(e)
                if m == n && memcmp(q, p, n) == 0 {
                    return (e, UnsafeRawPointer(arena + e).loadUnaligned(as: UInt32.self))
                }
            }
            i = (i + 1) & mask
        }
    }

    /// The id a record's id field (from `probe`) names, or nil while it is pending.
    @inline(__always) func resolved(_ e: Entry, raw: UInt32) -> Int64? {
        raw == Self.pending ? nil : raw == Self.big ? bigIDs[e]! : Int64(raw)
    }

    /// Adds an entry (the caller found it missing). A cache's table holds up to `maxEntries` at
    /// half its slots; past `maxEntries` a chunk may still add (one chunk's worth), so it grows
    /// (as the dictionary does) when three quarters of its slots are taken.
    func insert(_ p: UnsafeRawPointer, _ n: Int, _ h: Int64, id: Int64) -> Entry {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let need = 4 + n + (n < 255 ? 1 : 5)
        // The slot keeps offset + 1 in 32 bits.
        precondition(arenaCount + need < Int(UInt32.max), "identifier dictionary past 4 GiB")
        if arenaCount + need > arenaCap {
            var cap = arenaCap * 2
            while arenaCount + need > cap { cap *= 2 }
            let a = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 8)
            a.copyMemory(from: arena, byteCount: arenaCount)
            arena.deallocate()
            arena = a
            arenaCap = cap
        }
        let e = arenaCount
        let o = arena + e + 4
        if n < 255 {
            o.storeBytes(of: UInt8(n), as: UInt8.self)
            (o + 1).copyMemory(from: p, byteCount: n)
        } else {
            o.storeBytes(of: UInt8(255), as: UInt8.self)
            withUnsafeBytes(of: UInt32(n)) { (o + 1).copyMemory(from: $0.baseAddress!, byteCount: 4) }
            (o + 5).copyMemory(from: p, byteCount: n)
        }
        arenaCount += need
        count += 1
        setID(e, id)
        place(Self.tag(h) << 32 | UInt64(e + 1))
        return e
    }

    @inline(__always) private static func tag(_ h: Int64) -> UInt64 { UInt64(bitPattern: h) >> 32 }

    private func place(_ slot: UInt64) {
        var i = home(slot >> 32)
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        shift -= 1
        for s in old where s != 0 { place(s) }
    }

    /// The entry's id (0 while pending).
    @inline(__always) func id(_ e: Entry) -> Int64 {
        let v = UnsafeRawPointer(arena + e).loadUnaligned(as: UInt32.self)
        return v != Self.big ? Int64(v) : bigIDs[e]!
    }
    func setID(_ e: Entry, _ id: Int64) {
        let v: UInt32
        if id >= 0 && id < Int64(Self.big) { v = UInt32(id); bigIDs[e] = nil } else { v = Self.big; bigIDs[e] = id }
        (arena + e).storeBytes(of: v, toByteOffset: 0, as: UInt32.self)
    }
    func bytes(_ e: Entry) -> (UnsafeRawPointer, Int) { record(e) }

    /// Sorts entries by their bytes as SQLite's BINARY collation orders text: by their
    /// first 8 bytes as a number (`IntegerSort.prefix8`), the bytes compared only on a tie.
    func sortByBytes(_ es: inout [Entry]) {
        if es.count < 2 { return }
        var keyed = es.map { e in let (p, n) = record(e); return (IntegerSort.prefix8(p, n), e) }
        keyed.sort { x, y in
            if x.0 != y.0 { return x.0 < y.0 }
            let (px, nx) = record(x.1), (py, ny) = record(y.1)
            let c = memcmp(px, py, min(nx, ny))
            return c != 0 ? c < 0 : nx < ny
        }
        for i in keyed.indices { es[i] = keyed[i].1 }
    }
}
