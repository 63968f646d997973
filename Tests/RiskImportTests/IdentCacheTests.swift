import Foundation
import XCTest
@testable import RiskImport
@testable import RiskStore

/// The identifier cache keeps two generations: an identifier every chunk uses (an active
/// account) is looked up in `idents` once, however many other identifiers pass through.
final class IdentCacheTests: ImportTestCase {
    func testARecurringIdentifierIsLookedUpOnceWhileOthersChurnTheCache() throws {
        let s = try store()
        let fields = ContractKind.events.fields.map(\.name)
        let w = try InternedWriter(db: s.db, fields: fields, chunkRows: 4, cacheEntries: 8, dictionaryEntries: 0)
        func text(_ i: Int, _ v: String) {
            var b = Array(v.utf8)
            b.withUnsafeMutableBytes { w.bindText(Int32(i + 1), $0.baseAddress!, $0.count) }
        }
        let at = { (name: String) in fields.firstIndex(of: name)! }
        try s.db.exec("BEGIN")
        let chunks = 12
        for r in 0..<(chunks * 4) {
            w.beginRow()
            text(at("event_id"), "e\(r)")
            w.bindInt(Int32(at("ts") + 1), Int64(r))
            text(at("account_id"), "hot")
            text(at("device_id"), "dev-\(r)")          // a new identifier every row
            w.keepRow(id: Int64(r + 1))
            if w.rows >= w.chunkRows { try w.flush() }
        }
        try w.flush()
        try s.db.exec("COMMIT")
        XCTAssertEqual(w.lookups, 1 + chunks * 4, "'hot' once, each device once")
        XCTAssertEqual(w.added, 1 + chunks * 4)
        XCTAssertEqual(try s.db.int("SELECT count(*) FROM events WHERE account_id = 'hot'"), Int64(chunks * 4))
        XCTAssertEqual(try s.db.rows("SELECT device_id FROM events WHERE id = 37"), [[.text("dev-36")]])
    }

    /// Hostile hashes: identifiers whose 64-bit hashes are equal, share the slot-tag half, or
    /// share the slot-position half are never taken for one another (a tag or hash match is
    /// only a candidate; the bytes decide), and one missing with a colliding hash is not found.
    func testIdentifiersWhoseHashesCollideStayApart() {
        collide(IdentCache(maxEntries: 64))   // 1,024 slots at first; grows past 768 entries
        collide(IdentCache(maxEntries: 1 << 22, growable: true))   // the import's dictionary (imp38): grows from 1,024 slots
    }

    func collide(_ c: IdentCache) {
        func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
        var keys: [(String, Int64)] = []
        for i in 0..<300 { keys.append(("same-\(i)", 42)) }                                   // the whole hash equal
        for i in 0..<300 { keys.append(("tag-\(i)", Int64(bitPattern: 0xABCD_0123 << 32 | UInt64(i * 1024)))) }  // one tag, one slot mod 1024
        for i in 0..<300 { keys.append(("pos-\(i)", Int64(bitPattern: UInt64(i + 1) << 32 | 7))) }  // one slot, tags differ
        keys.append(("same-1x", 42)); keys.append(("same-", 42)); keys.append(("", 42))          // prefixes and the empty string
        var entries: [IdentCache.Entry] = []
        for (k, (v, h)) in keys.enumerated() {
            let b = bytes(v)
            let found = b.withUnsafeBytes { c.find($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, b.count, h) }
            XCTAssertEqual(found, -1, "\(v) found before it was added")
            entries.append(b.withUnsafeBytes { c.insert($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, b.count, h, id: Int64(k + 1)) })
        }
        XCTAssertEqual(Set(entries).count, keys.count)
        for (k, (v, h)) in keys.enumerated() {
            let b = bytes(v)
            let e = b.withUnsafeBytes { c.find($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, b.count, h) }
            XCTAssertEqual(e, entries[k], v)
            XCTAssertEqual(c.id(e), Int64(k + 1), v)
            let (p, n) = c.bytes(e)
            XCTAssertEqual(Array(UnsafeRawBufferPointer(start: p, count: n)), b, v)
        }
        for v in ["same-300", "same-1y", "tag-300", "pos-0x"] {
            let b = bytes(v)
            XCTAssertEqual(b.withUnsafeBytes { c.find($0.baseAddress!, b.count, 42) }, -1, v)
            XCTAssertEqual(b.withUnsafeBytes { c.find($0.baseAddress!, b.count, Int64(bitPattern: 0xABCD_0123 << 32)) }, -1, v)
        }
        c.clear()
        let b = bytes("same-0")
        XCTAssertEqual(b.withUnsafeBytes { c.find($0.baseAddress!, b.count, 42) }, -1, "cleared")
    }

    /// The dictionary's compact entries (imp38): identifiers of 254, 255 and 70,000 bytes (the
    /// 1- and 5-byte lengths), ids past 32 bits, and a growth from 1,024 slots to 2^16 keep
    /// every entry's bytes and id.
    func testTheDictionaryKeepsLongIdentifiersAndBigIDs() {
        let c = IdentCache(maxEntries: 1 << 22, growable: true)
        var vals: [[UInt8]] = [Array(repeating: 65, count: 254), Array(repeating: 66, count: 255), Array(repeating: 67, count: 70_000), []]
        for i in 0..<40_000 { vals.append(Array("id-\(i)".utf8)) }
        let idOf = { (k: Int) -> Int64 in k % 3 == 0 ? Int64(UInt32.max) + Int64(k) : Int64(k + 1) }
        var es: [IdentCache.Entry] = []
        for (k, v) in vals.enumerated() {
            es.append(v.withUnsafeBytes { c.insert($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, v.count, EventKey.hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, v.count), id: idOf(k)) })
        }
        for (k, v) in vals.enumerated() {
            let e = v.withUnsafeBytes { c.find($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, v.count, EventKey.hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, v.count)) }
            XCTAssertEqual(e, es[k])
            XCTAssertEqual(c.id(e), idOf(k))
            let (p, n) = c.bytes(e)
            XCTAssertEqual(Array(UnsafeRawBufferPointer(start: p, count: n)), v)
        }
        var sorted = es
        c.sortByBytes(&sorted)
        let index = Dictionary(uniqueKeysWithValues: es.enumerated().map { ($1, $0) })
        XCTAssertEqual(sorted.map { vals[index[$0]!] }, vals.sorted { $0.lexicographicallyPrecedes($1) })
    }
}
