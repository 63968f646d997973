import Foundation
import RiskStore

// Detection on a team store: the events stream in through `COPY (SELECT …) TO STDOUT` (binary
// format, a row per message), straight into the columnar table — never a whole-table fetch
// into rows. The same columns and interning as the SQLite loader, so the detectors see the
// same table from either store.

extension EventTable {
    /// Reads accounts, items and events from either store.
    public static func load(from db: SQLDatabase, cancel: CancelToken? = nil,
                            progress: ((Double) -> Void)? = nil) throws -> EventTable {
        if let lite = db as? Database { return try load(from: lite, cancel: cancel, progress: progress) }
        guard let pg = db as? PGConnection else { throw StoreError("detection reads SQLite or PostgreSQL stores only") }
        return try load(copyFrom: pg, cancel: cancel, progress: progress)
    }

    static func load(copyFrom pg: PGConnection, cancel: CancelToken?, progress: ((Double) -> Void)?) throws -> EventTable {
        let t = EventTable()
        // One snapshot for the three reads (accounts, items, events): an import committing
        // meanwhile is seen whole or not at all.
        return try pg.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
            cancel?.whenCancelled { pg.cancel() }
            let nEvents = Int(try pg.int("SELECT count(*) FROM events"))

            // Accounts first (account indexes follow the accounts table, in key order). E-mail
            // isn't readable on a team store: detection gets each account's stem, which is all
            // it compares (`Identity.emailLookalike`).
            var stems: [String: String] = [:]
            try pg.forEach("SELECT account_id, stem FROM riskdesk_email_stems()") { r in
                if let a = r.text(0), let s = r.text(1) { stems[a] = s }
            }
            try pg.copyOut("COPY (SELECT account_id, created_at, country, NULL, kind, first_seen FROM accounts) TO STDOUT (FORMAT binary)") { [line = CopyRow()] buf in
                guard try line.split(buf) else { return true }
                guard let idb = line.field(0) else { return true }
                let id = t.accounts.intern(idb)
                if Int(id) < t.createdAt.count { return true }
                t.createdAt.append(line.int(1) ?? Int64.min)
                t.homeCountry.append(line.field(2).map { t.countries.intern($0) } ?? -1)
                t.email.append(stems[t.accounts.string(id)].map { $0 + "@" } ?? "")
                t.accountKind.append(line.string(4) ?? "")
                t.firstSeen.append(line.int(5) ?? Int64.min)
                return true
            }
            try pg.copyOut("COPY (SELECT item_id, seller_id, price, limited, drop_at FROM items) TO STDOUT (FORMAT binary)") { [line = CopyRow()] buf in
                guard try line.split(buf) else { return true }
                guard let idb = line.field(0) else { return true }
                let id = t.items.intern(idb)
                if Int(id) < t.itemSeller.count { return true }
                t.itemSeller.append(line.field(1).map { t.accounts.intern($0) } ?? -1)
                t.itemPrice.append(line.double(2).map { Float($0) } ?? .nan)
                t.itemDropAt.append((line.int(3) ?? 0) != 0 ? (line.int(4) ?? Int64.min) : Int64.min)
                return true
            }

            for col in [\EventTable.ip, \.device, \.country, \.item, \.seller, \.target, \.coupon, \.payment, \.address, \.textRef] {
                t[keyPath: col].reserveCapacity(nEvents)
            }
            t.rowid.reserveCapacity(nEvents); t.ts.reserveCapacity(nEvents); t.account.reserveCapacity(nEvents)
            t.kind.reserveCapacity(nEvents); t.type.reserveCapacity(nEvents); t.quantity.reserveCapacity(nEvents); t.amount.reserveCapacity(nEvents)
            t.rating.reserveCapacity(nEvents); t.failed.reserveCapacity(nEvents); t.status.reserveCapacity(nEvents)
            t.currency.reserveCapacity(nEvents); t.orderKey.reserveCapacity(nEvents)

            var kinds = KindTable()
            var n = 0
            var failure: Error?
            // In id order within each month's partition (the order rows were imported in).
            try pg.copyOut("""
                COPY (SELECT id, ts, account_id, type, device_id, ip, country, item_id, seller_id, quantity, amount,
                             coupon_id, payment_id, address_id, target_id, rating, status,
                             CASE WHEN type IN ('review','message','refund') THEN text END, currency,
                             CASE WHEN type IN ('order','refund') THEN order_id END
                      FROM events) TO STDOUT (FORMAT binary)
                """) { [line = CopyRow()] buf in
                guard try line.split(buf) else { return true }
                t.rowid.append(line.int(0) ?? 0)
                t.ts.append(line.int(1) ?? 0)
                t.account.append(line.field(2).map { t.accounts.intern($0) } ?? -1)
                kinds.append(line.field(3), to: t)
                t.device.append(line.field(4).map { t.devices.intern($0) } ?? -1)
                t.ip.append(line.field(5).map { t.ips.intern($0) } ?? -1)
                t.country.append(line.field(6).map { t.countries.intern($0) } ?? -1)
                t.item.append(line.field(7).map { t.items.intern($0) } ?? -1)
                t.seller.append(line.field(8).map { t.accounts.intern($0) } ?? -1)
                t.quantity.append(line.int(9).map { Int32(truncatingIfNeeded: $0) } ?? 0)
                t.amount.append(line.double(10).map { Float($0) } ?? .nan)
                t.coupon.append(line.field(11).map { t.coupons.intern($0) } ?? -1)
                t.payment.append(line.field(12).map { t.payments.intern($0) } ?? -1)
                t.address.append(line.field(13).map { t.addresses.intern($0) } ?? -1)
                t.target.append(line.field(14).map { t.accounts.intern($0) } ?? -1)
                t.rating.append(line.int(15).map { Int8(clamping: $0) } ?? 0)
                t.appendStatusAndText(status: line.field(16), text: line.field(17))
                // The order's currency, as the local scan reads it (255 = absent; amounts are
                // judged within their currency, so both stores must see the same codes).
                if let b = line.field(18), b.count > 0 {
                    let c = t.currencies.intern(b)
                    t.currency.append(c < 255 ? UInt8(c) : 255)
                } else { t.currency.append(255) }
                t.orderKey.append(EventTable.orderKey(line.field(19)))
                n += 1
                if n & 0xFFFF == 0 {
                    do { try cancel?.check() } catch { failure = error; return false }
                    progress?(Double(n) / Double(max(1, nEvents)))
                }
                return true
            }
            if let failure { throw failure }
            try cancel?.check()
            t.count = n
            t.typeNames = kinds.names
            t.finishLoading()
            return t
        }
    }
}

/// One row of `COPY … TO STDOUT (FORMAT binary)`: a 16-bit field count, then each field as a
/// 32-bit length (−1 for NULL) and its bytes, all big-endian; the stream's 19-byte header (and
/// any header extension) comes before the first row and a count of −1 ends it. Fields are read
/// in place — no separators to scan, no escapes, numbers as they are stored — valid until the
/// next `split`. Integers are read at any width (2, 4 or 8 bytes), floats at 4 or 8.
final class CopyRow {
    private var base: UnsafeRawPointer?
    private var offsets: [Int] = []
    private var lengths: [Int] = []
    private var headerRead = false
    private static let signature: [UInt8] = [80, 71, 67, 79, 80, 89, 10, 255, 13, 10, 0]   // PGCOPY\n\377\r\n\0

    /// Splits one CopyData message into its fields; false for the trailer (or an empty message).
    /// A malformed row throws, naming what is wrong.
    @discardableResult
    func split(_ buf: UnsafeRawBufferPointer) throws -> Bool {
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        guard let b = buf.baseAddress else { return false }
        base = b
        var i = 0
        let n = buf.count
        if !headerRead {
            guard n >= 19, Self.signature.withUnsafeBytes({ memcmp($0.baseAddress!, b, 11) == 0 }) else {
                throw StoreError("COPY out: the binary stream does not start with the PGCOPY signature")
            }
            let ext = Int(Int32(bigEndian: b.loadUnaligned(fromByteOffset: 15, as: Int32.self)))
            i = 19 + max(0, ext)
            headerRead = true
            if i >= n { return false }
        }
        guard i + 2 <= n else { throw StoreError("COPY out: a binary row is cut short") }
        let count = Int(Int16(bigEndian: b.loadUnaligned(fromByteOffset: i, as: Int16.self)))
        i += 2
        if count < 0 { return false }
        for _ in 0..<count {
            guard i + 4 <= n else { throw StoreError("COPY out: a binary row is cut short") }
            let len = Int(Int32(bigEndian: b.loadUnaligned(fromByteOffset: i, as: Int32.self)))
            i += 4
            offsets.append(i)
            lengths.append(len)
            if len > 0 {
                guard i + len <= n else { throw StoreError("COPY out: a binary field runs past its row") }
                i += len
            }
        }
        return true
    }

    /// The field's bytes, nil for NULL or a missing field.
    @inline(__always) func field(_ i: Int) -> UnsafeRawBufferPointer? {
        guard i < lengths.count, lengths[i] >= 0, let base else { return nil }
        return UnsafeRawBufferPointer(start: base + offsets[i], count: lengths[i])
    }

    func string(_ i: Int) -> String? { field(i).map { String(decoding: $0, as: UTF8.self) } }

    @inline(__always) func int(_ i: Int) -> Int64? {
        guard let f = field(i), let p = f.baseAddress else { return nil }
        switch f.count {
        case 8: return Int64(bigEndian: p.loadUnaligned(as: Int64.self))
        case 4: return Int64(Int32(bigEndian: p.loadUnaligned(as: Int32.self)))
        case 2: return Int64(Int16(bigEndian: p.loadUnaligned(as: Int16.self)))
        default: return nil
        }
    }

    @inline(__always) func double(_ i: Int) -> Double? {
        guard let f = field(i), let p = f.baseAddress else { return nil }
        switch f.count {
        case 8: return Double(bitPattern: UInt64(bigEndian: p.loadUnaligned(as: UInt64.self)))
        case 4: return Double(Float(bitPattern: UInt32(bigEndian: p.loadUnaligned(as: UInt32.self))))
        default: return nil
        }
    }
}
