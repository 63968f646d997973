/// Links staged packed (schema v17): a large import writes each sorted aggregate flush to
/// `links_pending_packed` as blocks of ~32 KiB, each a run of entries coded as zig-zag varints
/// of the differences to the entry before (kind, value, account_id, first time) plus events and
/// last - first. A staged entry costs ~11 bytes and no SQLite row; `links_pending` took ~40
/// bytes and one row insert (and, at the merge, one row step) per entry, and at 21M events
/// nearly every link event is a staged entry (issue 17).
///
/// A run is a block whose `starts_run` is 1 and the blocks after it (by id) whose `starts_run`
/// is 0; each block decodes on its own (its first entry's differences are to zero). A flush's
/// blocks are written in one transaction, so a killed import leaves whole runs or none.
public enum PackedLinks {
    /// Encoded bytes at which a block is written.
    public static let blockBytes = 32 * 1024

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }

    /// One decoded entry. `first` is Int64.max and `last` Int64.min when the time is unknown
    /// (the merge's convention for a null).
    public struct Entry: Equatable, Sendable {
        public var kind: Int64, value: Int64, account: Int64, events: Int64, first: Int64, last: Int64
        public init(kind: Int64, value: Int64, account: Int64, events: Int64, first: Int64, last: Int64) {
            self.kind = kind; self.value = value; self.account = account
            self.events = events; self.first = first; self.last = last
        }
    }

    /// Decodes one block (`entries` of them) into `out`; a block that does not decode to exactly
    /// that many entries is an error naming it, never a crash.
    public static func decode(_ bytes: UnsafeRawBufferPointer, entries: Int, block: Int64, into out: inout [Entry]) throws {
        var d = Decoder(bytes: bytes)
        var prev = Entry(kind: 0, value: 0, account: 0, events: 0, first: 0, last: 0)
        for _ in 0..<max(0, entries) {
            guard let e = d.next(after: prev) else {
                throw StoreError("links_pending_packed: block \(block) is corrupt (ends before its \(entries) entries)")
            }
            out.append(e)
            prev = e
        }
        if d.pos != bytes.count {
            throw StoreError("links_pending_packed: block \(block) is corrupt (\(bytes.count - d.pos) bytes after its \(entries) entries)")
        }
    }

    struct Decoder {
        let bytes: UnsafeRawBufferPointer
        var pos = 0
        @inline(__always) mutating func varint() -> UInt64? {
            var v: UInt64 = 0, shift: UInt64 = 0
            while pos < bytes.count {
                let b = bytes[pos]
                pos += 1
                if shift == 63 && b > 1 { return nil }
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }
        @inline(__always) mutating func next(after p: Entry) -> Entry? {
            guard let k = varint(), let v = varint(), let a = varint(), let n = varint(),
                  let f = varint(), let l = varint() else { return nil }
            let first = p.first &+ unzigzag(f)
            return Entry(kind: p.kind &+ unzigzag(k), value: p.value &+ unzigzag(v), account: p.account &+ unzigzag(a),
                         events: unzigzag(n), first: first, last: first &+ unzigzag(l))
        }
    }
}

/// Writes sorted runs of staged entries to `links_pending_packed` (see `PackedLinks`).
public final class PackedLinkWriter {
    private let insert: Statement
    private var buf: [UInt8] = []
    private var entries = 0
    private var activity: Int64 = 0
    private var startsRun = true
    private var prev = PackedLinks.Entry(kind: 0, value: 0, account: 0, events: 0, first: 0, last: 0)
    private let blockBytes: Int
    /// The import run the staged entries belong to (`accounts.first_run` of new accounts).
    public var runID: Int64 = 0
    /// Entries and blocks written (for notes and tests).
    public private(set) var staged: Int64 = 0
    public private(set) var blocks: Int64 = 0

    public init(db: Database, blockBytes: Int = PackedLinks.blockBytes) throws {
        insert = try db.prepare("""
            INSERT INTO links_pending_packed(starts_run, run_id, entries, activity, data) VALUES (?1, ?2, ?3, ?4, ?5)
            """)
        self.blockBytes = max(16, blockBytes)
        buf.reserveCapacity(self.blockBytes + 64)
    }

    /// Starts a run: the entries appended until the next `beginRun` must come in (kind, value,
    /// account_id) order.
    public func beginRun() throws {
        if entries > 0 { try writeBlock() }
        startsRun = true
    }

    @inline(__always) private func put(_ v: UInt64) {
        var v = v
        while v >= 0x80 { buf.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        buf.append(UInt8(v))
    }

    /// Appends one entry to the current run (times: Int64.max / Int64.min for none).
    @inline(__always)
    public func append(kind: Int64, value: Int64, account: Int64, events: Int64, first: Int64, last: Int64) throws {
        put(PackedLinks.zigzag(kind &- prev.kind))
        put(PackedLinks.zigzag(value &- prev.value))
        put(PackedLinks.zigzag(account &- prev.account))
        put(PackedLinks.zigzag(events))
        put(PackedLinks.zigzag(first &- prev.first))
        put(PackedLinks.zigzag(last &- first))
        prev = PackedLinks.Entry(kind: kind, value: value, account: account, events: events, first: first, last: last)
        entries += 1
        if kind == 0 { activity &+= events }
        if buf.count >= blockBytes { try writeBlock() }
    }

    /// Writes what the current run holds (call before the transaction commits).
    public func endRun() throws {
        if entries > 0 { try writeBlock() }
    }

    private func writeBlock() throws {
        insert.bindInt(1, startsRun ? 1 : 0)
        insert.bindInt(2, runID)
        insert.bindInt(3, Int64(entries))
        insert.bindInt(4, activity)
        try buf.withUnsafeBytes { b in
            insert.bindBlob(5, b.baseAddress!, b.count)
            try insert.execute()
        }
        staged += Int64(entries)
        blocks += 1
        buf.removeAll(keepingCapacity: true)
        entries = 0
        activity = 0
        startsRun = false
        prev = PackedLinks.Entry(kind: 0, value: 0, account: 0, events: 0, first: 0, last: 0)
    }

    /// Drops what was appended but not written (a rolled-back batch).
    public func discard() {
        buf.removeAll(keepingCapacity: true)
        entries = 0
        activity = 0
        startsRun = true
        prev = PackedLinks.Entry(kind: 0, value: 0, account: 0, events: 0, first: 0, last: 0)
    }
}
