import Foundation
import RiskStore

// Detection on a team store: the events stream in through `COPY (SELECT …) TO STDOUT` (text
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
            let line = CopyLine()

            // Accounts first (account indexes follow the accounts table, in key order). E-mail
            // isn't readable on a team store: detection gets each account's stem, which is all
            // it compares (`Identity.emailLookalike`).
            var stems: [String: String] = [:]
            try pg.forEach("SELECT account_id, stem FROM riskdesk_email_stems()") { r in
                if let a = r.text(0), let s = r.text(1) { stems[a] = s }
            }
            try pg.copyOut("COPY (SELECT account_id, created_at, country, NULL, kind, first_seen FROM accounts) TO STDOUT") { buf in
                line.split(buf)
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
            try pg.copyOut("COPY (SELECT item_id, seller_id, price, limited, drop_at FROM items) TO STDOUT") { buf in
                line.split(buf)
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

            var kinds = KindTable()
            var n = 0
            var failure: Error?
            // In id order within each month's partition (the order rows were imported in).
            try pg.copyOut("""
                COPY (SELECT id, ts, account_id, type, device_id, ip, country, item_id, seller_id, quantity, amount,
                             coupon_id, payment_id, address_id, target_id, rating, status,
                             CASE WHEN type IN ('review','message') THEN text END
                      FROM events) TO STDOUT
                """) { buf in
                line.split(buf)
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
                if let b = line.field(16) {
                    t.failed.append(b.count == 4 && b.elementsEqual("fail".utf8))
                    t.status.append(t.statuses.intern(b))
                } else { t.failed.append(false); t.status.append(-1) }
                if let s = line.string(17) {
                    t.textRef.append(Int32(t.texts.count))
                    t.texts.append(s)
                } else { t.textRef.append(-1) }
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

/// One row of `COPY … TO STDOUT` in text format: tab-separated fields, `\N` for NULL,
/// backslash escapes. Fields without a backslash are read in place; escaped ones are decoded
/// into a scratch buffer. Valid until the next `split`.
final class CopyLine {
    private var base: UnsafeRawPointer?
    private var ranges: [(start: Int, end: Int, escaped: Bool)] = []
    /// Decoded fields, each at its raw offset (decoding never lengthens a field).
    private var scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
    private var scratchCapacity = 1 << 16

    func split(_ buf: UnsafeRawBufferPointer) {
        ranges.removeAll(keepingCapacity: true)
        base = buf.baseAddress
        var n = buf.count
        if n > 0 && buf[n - 1] == 10 { n -= 1 }
        var start = 0, escaped = false, i = 0
        while i < n {
            let c = buf[i]
            if c == 9 { ranges.append((start, i, escaped)); start = i + 1; escaped = false }
            else if c == 92 { escaped = true; i += 1 }
            i += 1
        }
        ranges.append((start, n, escaped))
        if n > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = n * 2
            scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchCapacity)
        }
    }

    /// The field's bytes (decoded), nil for NULL or a missing field.
    func field(_ i: Int) -> UnsafeRawBufferPointer? {
        guard i < ranges.count, let base else { return nil }
        let r = ranges[i]
        let p = base + r.start
        let len = r.end - r.start
        if len == 2 && p.load(as: UInt8.self) == 92 && p.load(fromByteOffset: 1, as: UInt8.self) == 78 { return nil }   // \N
        if !r.escaped { return UnsafeRawBufferPointer(start: p, count: len) }
        let out = scratch + r.start
        var m = 0
        func put(_ b: UInt8) { out[m] = b; m += 1 }
        var j = 0
        while j < len {
            let c = p.load(fromByteOffset: j, as: UInt8.self)
            if c == 92 && j + 1 < len {
                let d = p.load(fromByteOffset: j + 1, as: UInt8.self)
                switch d {
                case 110: put(10)
                case 116: put(9)
                case 114: put(13)
                case 98: put(8)
                case 102: put(12)
                case 118: put(11)
                case 48...55:                                   // \ooo octal
                    var v = 0, k = j + 1
                    while k < len && k < j + 4, case let o = p.load(fromByteOffset: k, as: UInt8.self), o >= 48 && o <= 55 { v = v * 8 + Int(o - 48); k += 1 }
                    put(UInt8(truncatingIfNeeded: v)); j = k; continue
                default: put(d)
                }
                j += 2
            } else { put(c); j += 1 }
        }
        return UnsafeRawBufferPointer(start: out, count: m)
    }

    deinit { scratch.deallocate() }

    func string(_ i: Int) -> String? { field(i).map { String(decoding: $0, as: UTF8.self) } }

    func int(_ i: Int) -> Int64? {
        guard let b = field(i), !b.isEmpty else { return nil }
        var v: Int64 = 0, neg = false, k = 0
        if b[0] == 45 { neg = true; k = 1 }
        while k < b.count {
            let d = b[k]
            guard d >= 48 && d <= 57 else { return Int64(Double(String(decoding: b, as: UTF8.self)) ?? 0) }
            v = v &* 10 &+ Int64(d - 48); k += 1
        }
        return neg ? -v : v
    }

    func double(_ i: Int) -> Double? { field(i).flatMap { Double(String(decoding: $0, as: UTF8.self)) } }
}
