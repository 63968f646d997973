import CSQLite
import Foundation

/// The compact key that de-duplicates `events.event_id` (schema v11): a 64-bit hash of the
/// id's bytes, kept with the row's id in `event_keys` (sorted by key, WITHOUT ROWID; since v12 a
/// view over a big main tier and a small recent one) instead
/// of a unique b-tree over the full strings that every import fills in random key order.
/// The importer checks a row against the keys it loaded (or probes `event_keys` for a small
/// input), verifies every key hit by comparing the stored `event_id` exactly (a hash
/// collision never drops an event), and adds its new rows' keys once, sorted, at the end.
/// `event_keys_covered.upto` is the highest `events.id` whose key is in `event_keys`; rows
/// above it (an import killed before its end) are added when a writer next opens the store.
///
/// SQL: `riskdesk_event_key(text)` gives the key, on every connection riskdesk opens, e.g.
/// `SELECT * FROM events WHERE id IN (SELECT id FROM event_keys WHERE key = riskdesk_event_key('e1'))`.
public enum EventKey {
    /// FNV-1a over the bytes, then the MurmurHash3 finaliser so that every bit (the top 32
    /// the importer keeps in memory above all) depends on every byte. Stored: never change it.
    @inline(__always)
    public static func hash(_ p: UnsafeRawPointer?, _ n: Int) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if let p {
            let b = p.assumingMemoryBound(to: UInt8.self)
            for i in 0..<n { h = (h ^ UInt64(b[i])) &* 0x100_0000_01b3 }
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return Int64(bitPattern: h)
    }

    public static func hash(_ s: String) -> Int64 {
        var s = s
        return s.withUTF8 { hash($0.baseAddress, $0.count) }
    }

    /// The recent tier is merged into the main one once it would hold more than 1/`mergeRatio`
    /// of the main tier's keys. A day's keys then go into a tree a few times a day's size
    /// (cached, cheap), and the big tree is rewritten (every leaf touched, once) only every
    /// main / (ratio × day) days: per day ~ratio × day + main / (2 ratio) keys written instead of
    /// the whole main tree, least near ratio = sqrt(main / 2 day) (4 at 10M events, 300k a day).
    public static let mergeRatio: Int64 = 4

    /// Adds the keys of events above the covered id to `event_keys` in key order, and moves the
    /// mark: into the small `event_keys_recent` tree, or, when that would pass 1/`mergeRatio` of
    /// `event_keys_main` (always for a first load), the recent keys and the new ones together into
    /// the main tree, emptying the recent one. Run in a write transaction (the importer's end, a
    /// writer's open after a killed import, a store copy). `version`: the store's schema version
    /// (v11 stores, before the tiers, have one `event_keys` table).
    public static func cover(_ db: Database, version: Int = Schema.latestVersion) throws {
        if version < Schema.eventKeyTiersVersion {
            try db.exec("""
                INSERT OR IGNORE INTO event_keys(key, id)
                    SELECT riskdesk_event_key(event_id), id FROM events WHERE id > (SELECT upto FROM event_keys_covered) ORDER BY 1, 2
                """)
            try db.exec("UPDATE event_keys_covered SET upto = max(upto, (SELECT coalesce(max(id), 0) FROM events))")
            return
        }
        let ev = Schema.eventsTable(version: version)
        let upto = try db.int("SELECT upto FROM event_keys_covered")
        let mainUpto = try db.int("SELECT main_upto FROM event_keys_covered")
        let top = try db.int("SELECT coalesce(max(id), 0) FROM \(ev)")
        guard top > upto else { return }
        // Keys are about one per id (deleted events aside): the tiers' sizes from the marks.
        let recentAfter = top - mainUpto
        if recentAfter * mergeRatio > mainUpto {
            try db.run("""
                INSERT OR IGNORE INTO event_keys_main(key, id)
                    SELECT key, id FROM (SELECT key, id FROM event_keys_recent
                        UNION ALL SELECT riskdesk_event_key(event_id) AS key, id FROM \(ev) WHERE id > ?1 AND id <= ?2)
                    ORDER BY 1, 2
                """, [.int(upto), .int(top)])
            // Hashes and ids, nothing to scrub: without the system SQLite's secure_delete (on in
            // Debian's build) the freed pages are not zeroed and written to the WAL.
            let secure = try db.int("PRAGMA secure_delete")
            try db.exec("PRAGMA secure_delete = 0")
            defer { try? db.exec("PRAGMA secure_delete = \(secure)") }
            try db.exec("DELETE FROM event_keys_recent")
            try db.run("UPDATE event_keys_covered SET upto = ?1, main_upto = ?1", [.int(top)])
        } else {
            try db.run("""
                INSERT OR IGNORE INTO event_keys_recent(key, id)
                    SELECT riskdesk_event_key(event_id), id FROM \(ev) WHERE id > ?1 AND id <= ?2 ORDER BY 1, 2
                """, [.int(upto), .int(top)])
            try db.run("UPDATE event_keys_covered SET upto = ?1", [.int(top)])
        }
    }
}

extension Database {
    /// `riskdesk_event_key(text)`: the `event_keys` key of an event id (NULL for NULL).
    func registerEventKeyFunction() throws {
        typealias Fn = @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void
        let fn: Fn = { ctx, _, argv in
            guard let v = argv?[0], sqlite3_value_type(v) != SQLITE_NULL else { sqlite3_result_null(ctx); return }
            let p = sqlite3_value_text(v)
            let n = Int(sqlite3_value_bytes(v))
            sqlite3_result_int64(ctx, EventKey.hash(p.map { UnsafeRawPointer($0) }, n))
        }
        let rc = sqlite3_create_function_v2(handle, "riskdesk_event_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                            nil, fn, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc, "registering riskdesk_event_key") }
    }
}
