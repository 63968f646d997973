import CSQLite
import Foundation
import RiskStore

/// Maps byte strings to dense Int32 ids without allocating a String per lookup:
/// keys live in one byte arena, an open-addressing table holds their ids.
public struct Interner {
    private var arena: [UInt8] = []
    private var starts: [Int32] = [0]
    private var slots: [Int32]
    private var mask: Int

    public init(capacity: Int = 1024) {
        var n = 1024
        while n < capacity * 2 { n <<= 1 }
        slots = Array(repeating: -1, count: n)
        mask = n - 1
    }

    public var count: Int { starts.count - 1 }

    /// Eight bytes at a time (ids are handed out in insertion order, so the hash decides
    /// only where a key sits in the table, never its id).
    @inline(__always) private static func hash(_ p: UnsafeRawBufferPointer) -> Int {
        let n = p.count
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(n)
        guard let base = p.baseAddress, n > 0 else { return Int(truncatingIfNeeded: h) }
        var i = 0
        while i + 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var k = 0
            while i + k < n { w |= UInt64(base.load(fromByteOffset: i + k, as: UInt8.self)) << UInt64(8 * k); k += 1 }
            h = (h ^ w) &* 0xff51_afd7_ed55_8ccd
        }
        h ^= h >> 33; h = h &* 0xc4ce_b9fe_1a85_ec53; h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }

    /// Compared in place, eight bytes at a time (keys are short: a call to `memcmp` per lookup
    /// cost more than the comparison).
    @inline(__always) private func equals(_ id: Int32, _ p: UnsafeRawBufferPointer) -> Bool {
        starts.withUnsafeBufferPointer { st in
            let s = Int(st[Int(id)]), n = p.count
            guard Int(st[Int(id) + 1]) - s == n else { return false }
            guard n > 0 else { return true }
            return arena.withUnsafeBytes { a in
                let q = a.baseAddress! + s, r = p.baseAddress!
                var i = 0
                while i + 8 <= n {
                    if q.loadUnaligned(fromByteOffset: i, as: UInt64.self) != r.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                    i += 8
                }
                while i < n {
                    if q.load(fromByteOffset: i, as: UInt8.self) != r.load(fromByteOffset: i, as: UInt8.self) { return false }
                    i += 1
                }
                return true
            }
        }
    }

    /// The id of `p`, adding it if new.
    @discardableResult
    public mutating func intern(_ p: UnsafeRawBufferPointer) -> Int32 {
        var i = Interner.hash(p) & mask
        while true {
            let id = slots[i]
            if id < 0 { break }
            if equals(id, p) { return id }
            i = (i + 1) & mask
        }
        let id = Int32(count)
        arena.append(contentsOf: p)
        starts.append(Int32(arena.count))
        slots[i] = id
        if count * 2 > slots.count { grow() }
        return id
    }

    public func lookup(_ p: UnsafeRawBufferPointer) -> Int32? {
        var i = Interner.hash(p) & mask
        while true {
            let id = slots[i]
            if id < 0 { return nil }
            if equals(id, p) { return id }
            i = (i + 1) & mask
        }
    }

    @discardableResult
    public mutating func intern(_ s: String) -> Int32 {
        var s = s
        return s.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
    }

    public func lookup(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }
    }

    public func string(_ id: Int32) -> String {
        guard id >= 0 && Int(id) < count else { return "" }
        let s = Int(starts[Int(id)]), e = Int(starts[Int(id) + 1])
        return String(decoding: arena[s..<e], as: UTF8.self)
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = Array(repeating: -1, count: n)
        mask = n - 1
        arena.withUnsafeBytes { a in
            for id in 0..<count {
                let s = Int(starts[id]), e = Int(starts[id + 1])
                var i = Interner.hash(UnsafeRawBufferPointer(rebasing: a[s..<e])) & mask
                while slots[i] >= 0 { i = (i + 1) & mask }
                slots[i] = Int32(id)
            }
        }
    }
}

/// Event types the detectors reason about; anything else is `.other`.
public enum EventKind: UInt8, CaseIterable, Sendable {
    case signup, login, logout, passwordReset, addressChange, view, addToCart, order, payment, refund
    case couponRedeem, review, follow, liveView, message, profileView, other

    public init(_ s: String) {
        switch s {
        case "signup": self = .signup
        case "login": self = .login
        case "logout": self = .logout
        case "password_reset": self = .passwordReset
        case "address_change": self = .addressChange
        case "view": self = .view
        case "add_to_cart": self = .addToCart
        case "order": self = .order
        case "payment": self = .payment
        case "refund": self = .refund
        case "coupon_redeem": self = .couponRedeem
        case "review": self = .review
        case "follow": self = .follow
        case "live_view": self = .liveView
        case "message": self = .message
        case "profile_view": self = .profileView
        default: self = .other
        }
    }
}

/// The whole event log in columns of small integers: every identifier interned once,
/// texts kept only for reviews, messages and refund claims. Detectors read this, never SQLite row by row.
/// About 60 bytes an event: 10M events fit in well under 1 GB.
public final class EventTable {
    public var count = 0
    public var rowid: [Int64] = []          // events.id, for evidence
    public var ts: [Int64] = []
    public var account: [Int32] = []        // index into `accounts`
    public var kind: [EventKind] = []
    /// Each event's type string as read, interned (`typeNames`): types the contract does not
    /// name keep their own identity here (their `kind` is `.other`). Empty when not loaded.
    public var type: [UInt16] = []
    public var typeNames: [String] = [] { didSet { likeType = typeNames.firstIndex(of: "like").map { UInt16($0) } ?? 0xFFFF } }
    /// The type id of `like` events (0xFFFF: none). Not a type the contract names, so its kind
    /// is `.other`; a like of an item or an account is an action on it like a view or a follow
    /// (ClickFarmDetector.actionTarget).
    public private(set) var likeType: UInt16 = 0xFFFF
    public var device: [Int32] = []         // -1 = absent
    public var ip: [Int32] = []
    public var country: [Int32] = []
    public var item: [Int32] = []
    public var seller: [Int32] = []         // an account index
    public var target: [Int32] = []         // an account index
    public var quantity: [Int32] = []       // 0 = absent
    public var amount: [Float] = []         // NaN = absent
    /// Each event's currency (ISO 4217 code, interned in `currencies`; 255 = absent, and every code
    /// past the 254th). Both scans (the local store's and the team store's) read it; empty only for a
    /// table built by hand, whose amounts are then one currency.
    public var currency: [UInt8] = []
    /// Each order's and refund's `order_id` as a 32-bit key (FNV-1a of its text; 0 = absent or another
    /// event type), so a refund finds the order lines it is for (s50). Both scans read it; empty only for
    /// a table built by hand. (Compared only within one account: a collision there is negligible.)
    public var orderKey: [UInt32] = []
    public var coupon: [Int32] = []
    public var payment: [Int32] = []
    public var address: [Int32] = []
    public var rating: [Int8] = []          // 0 = absent
    public var failed: [Bool] = []          // status = 'fail'
    public var status: [Int32] = []         // index into `statuses` (ok, fail, a refund reason…), -1 = none
    public var textRef: [Int32] = []        // index into `texts`, -1 = none
    public var texts: [String] = []

    // Namespaces
    public var accounts = Interner(capacity: 1 << 16)
    public var devices = Interner(capacity: 1 << 16)
    public var ips = Interner(capacity: 1 << 16)
    public var countries = Interner(capacity: 64)
    public var items = Interner(capacity: 1 << 14)
    public var coupons = Interner(capacity: 256)
    public var payments = Interner(capacity: 1 << 16)
    public var addresses = Interner(capacity: 1 << 16)
    public var statuses = Interner(capacity: 64)
    public var currencies = Interner(capacity: 16)

    // Accounts (indexed like `accounts`; those only referenced by events have no profile)
    public var createdAt: [Int64] = []      // Int64.min = unknown
    public var firstSeen: [Int64] = []
    public var homeCountry: [Int32] = []
    public var email: [String] = []
    public var accountKind: [String] = []

    // Items (indexed like `items`)
    public var itemSeller: [Int32] = []
    public var itemPrice: [Float] = []
    public var itemDropAt: [Int64] = []     // Int64.min = not a limited drop

    /// Events of each account in time order: `byAccount[accStart[a]..<accStart[a+1]]`.
    public var accStart: [Int32] = []
    public var byAccount: [Int32] = []

    public var accountCount: Int { accounts.count }

    /// The link bound's rule and cache (LinkBound.swift).
    let linkState = LinkState()

    public init() {}

    public func events(of a: Int) -> ArraySlice<Int32> {
        byAccount[Int(accStart[a])..<Int(accStart[a + 1])]
    }

    public func accountID(_ a: Int32) -> String { accounts.string(a) }
    /// Event `e`'s order as one key per account and order id (an order's lines and its refunds
    /// share it), or nil when the event names no order or the table has no order ids.
    @inline(__always) func orderRef(_ e: Int) -> UInt64? {
        orderKey.count == count && orderKey[e] != 0 ? UInt64(UInt32(bitPattern: account[e])) << 32 | UInt64(orderKey[e]) : nil
    }

    /// Whether `item` (an index into `items`; −1: none) is a limited drop with a release time.
    @inline(__always) func isDrop(_ item: Int32) -> Bool {
        item >= 0 && Int(item) < itemDropAt.count && itemDropAt[Int(item)] != Int64.min
    }

    /// The seller event `e` deals with: its item's seller, else the seller the event names (−1: none).
    @inline(__always) func sellerOf(_ e: Int) -> Int32 {
        let it = item[e]
        return it >= 0 && Int(it) < itemSeller.count && itemSeller[Int(it)] >= 0 ? itemSeller[Int(it)] : seller[e]
    }

    /// Account age at `t` in days (from creation, else first event), or nil.
    public func ageDays(_ a: Int, at t: Int64) -> Double? {
        let c = createdAt[a] != Int64.min ? createdAt[a] : firstSeen[a]
        guard c != Int64.min else { return nil }
        return Double(t - c) / 86_400_000
    }
}

public struct CancelledError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}

/// Set from another thread to stop long work between steps.
public final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var onCancel: [() -> Void] = []
    public init() {}
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return flag }
    public func cancel() {
        lock.lock(); flag = true; let hooks = onCancel; lock.unlock()
        hooks.forEach { $0() }
    }
    /// Runs `hook` on cancel (e.g. sqlite3_interrupt); at once if already cancelled.
    public func whenCancelled(_ hook: @escaping () -> Void) {
        lock.lock()
        if flag { lock.unlock(); hook(); return }
        onCancel.append(hook); lock.unlock()
    }
    public func check() throws { if isCancelled { throw CancelledError() } }
}

extension EventTable {
    /// Reads accounts, items and events from the store.
    public static func load(from db: Database, cancel: CancelToken? = nil,
                            progress: ((Double) -> Void)? = nil) throws -> EventTable {
        let t = EventTable()
        // Schema v14: the rows are in `events_i`, their identifiers ids into `idents`.
        let interned = try db.int("PRAGMA user_version") >= Schema.internedEventsVersion
        let evTable = interned ? "events_i" : "events"
        let total = max(1, try db.int("SELECT coalesce(max(id), 0) - coalesce(min(id), 0) + 1 FROM \(evTable)"))
        let nEvents = Int(try db.int("SELECT count(*) FROM \(evTable)"))

        // Accounts first, so account indexes follow the accounts table.
        let acc = try db.prepare("SELECT account_id, created_at, country, email, kind, first_seen FROM accounts")
        while try acc.step() {
            guard let p = sqlite3_column_text(acc.handle, 0) else { continue }
            let id = t.accounts.intern(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(acc.handle, 0))))
            if Int(id) < t.createdAt.count { continue }
            t.createdAt.append(acc.optionalInt(1) ?? Int64.min)
            t.homeCountry.append(acc.text(2).map { t.countries.intern($0) } ?? -1)
            t.email.append(acc.text(3) ?? "")
            t.accountKind.append(acc.text(4) ?? "")
            t.firstSeen.append(acc.optionalInt(5) ?? Int64.min)
        }
        let it = try db.prepare("SELECT item_id, seller_id, price, limited, drop_at FROM items")
        while try it.step() {
            guard let p = sqlite3_column_text(it.handle, 0) else { continue }
            let id = t.items.intern(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(it.handle, 0))))
            if Int(id) < t.itemSeller.count { continue }
            t.itemSeller.append(it.text(1).map { t.accounts.intern($0) } ?? -1)
            t.itemPrice.append(it.optionalDouble(2).map { Float($0) } ?? .nan)
            t.itemDropAt.append((it.optionalInt(3) ?? 0) != 0 ? (it.optionalInt(4) ?? Int64.min) : Int64.min)
        }

        for col in [\EventTable.ip, \.device, \.country, \.item, \.seller, \.target, \.coupon, \.payment, \.address, \.textRef] {
            t[keyPath: col].reserveCapacity(nEvents)
        }
        t.rowid.reserveCapacity(nEvents); t.ts.reserveCapacity(nEvents); t.account.reserveCapacity(nEvents)
        t.kind.reserveCapacity(nEvents); t.type.reserveCapacity(nEvents); t.quantity.reserveCapacity(nEvents); t.amount.reserveCapacity(nEvents)
        t.currency.reserveCapacity(nEvents); t.orderKey.reserveCapacity(nEvents)
        t.rating.reserveCapacity(nEvents); t.failed.reserveCapacity(nEvents); t.status.reserveCapacity(nEvents)

        // v14: read the identifiers as integers and turn them into the interners' ids after the
        // scan (`resolveInterned`).
        let st = try db.prepare("""
            SELECT id, ts, account_id, type, device_id, ip, country, item_id, seller_id, quantity, amount,
                   coupon_id, payment_id, address_id, target_id, rating, status,
                   CASE WHEN type IN ('review','message','refund') THEN text END, currency,
                   CASE WHEN type IN ('order','refund') THEN order_id END
            FROM \(evTable)
            """)
        var kinds = KindTable()
        let h = st.handle
        @inline(__always) func bytes(_ c: Int32) -> UnsafeRawBufferPointer? { columnBytes(h, c) }
        var minID: Int64 = 0
        var n = 0
        if interned {
            n = try loadInterned(t, st, total: total, cancel: cancel, progress: progress)
            t.count = n
            try resolveInterned(t, db)
            t.finishLoading()
            return t
        }
        while try st.step() {
            let rid = sqlite3_column_int64(h, 0)
            if n == 0 { minID = rid }
            t.rowid.append(rid)
            t.ts.append(sqlite3_column_int64(h, 1))
            t.account.append(bytes(2).map { t.accounts.intern($0) } ?? -1)
            kinds.append(bytes(3), to: t)
            t.device.append(bytes(4).map { t.devices.intern($0) } ?? -1)
            t.ip.append(bytes(5).map { t.ips.intern($0) } ?? -1)
            t.country.append(bytes(6).map { t.countries.intern($0) } ?? -1)
            t.item.append(bytes(7).map { t.items.intern($0) } ?? -1)
            t.seller.append(bytes(8).map { t.accounts.intern($0) } ?? -1)
            t.coupon.append(bytes(11).map { t.coupons.intern($0) } ?? -1)
            t.payment.append(bytes(12).map { t.payments.intern($0) } ?? -1)
            t.address.append(bytes(13).map { t.addresses.intern($0) } ?? -1)
            t.target.append(bytes(14).map { t.accounts.intern($0) } ?? -1)
            t.appendMeasures(h)
            n += 1
            if n & 0xFFFF == 0 {
                try cancel?.check()
                progress?(Double(rid - minID) / Double(total))
            }
        }
        t.count = n
        t.typeNames = kinds.names
        t.finishLoading()
        return t
    }

    /// The scan of `events_i` (v14): as the scan of `events`, but the identifier columns hold
    /// `idents` ids, kept as they are for now (−1 when absent).
    private static func loadInterned(_ t: EventTable, _ st: Statement, total: Int64, cancel: CancelToken?,
                                     progress: ((Double) -> Void)?) throws -> Int {
        var kinds = KindTable()
        let h = st.handle
        @inline(__always) func bytes(_ c: Int32) -> UnsafeRawBufferPointer? { columnBytes(h, c) }
        @inline(__always) func ident(_ c: Int32) -> Int32 {
            sqlite3_column_type(h, c) == SQLITE_NULL ? -1 : Int32(truncatingIfNeeded: sqlite3_column_int64(h, c))
        }
        var minID: Int64 = 0
        var n = 0
        while try st.step() {
            let rid = sqlite3_column_int64(h, 0)
            if n == 0 { minID = rid }
            t.rowid.append(rid)
            t.ts.append(sqlite3_column_int64(h, 1))
            t.account.append(ident(2))
            kinds.append(bytes(3), to: t)
            t.device.append(ident(4))
            t.ip.append(ident(5))
            t.country.append(bytes(6).map { t.countries.intern($0) } ?? -1)
            t.item.append(ident(7))
            t.seller.append(ident(8))
            t.coupon.append(ident(11))
            t.payment.append(ident(12))
            t.address.append(ident(13))
            t.target.append(ident(14))
            t.appendMeasures(h)
            n += 1
            if n & 0xFFFF == 0 {
                try cancel?.check()
                progress?(Double(rid - minID) / Double(total))
            }
        }
        t.typeNames = kinds.names
        return n
    }

    /// Turns the `idents` ids of an interned scan into the interners' ids, interning each string
    /// in the order the scan of `events` would have met it (row by row; in a row account, device,
    /// IP, item, seller, coupon, payment, address, target), so every id — and every result that
    /// depends on ids' order — is the same as from the v13 table. Only the dictionary strings the
    /// rows use are kept, read in one pass over `idents` in id order.
    private static func resolveInterned(_ t: EventTable, _ db: Database) throws {
        let n = t.count
        let maxIdent = Int(try db.int("SELECT coalesce(max(id), 0) FROM idents"))
        // Which dictionary ids the rows use.
        var used = [Bool](repeating: false, count: maxIdent + 1)
        for col in [t.account, t.device, t.ip, t.item, t.seller, t.coupon, t.payment, t.address, t.target] {
            for v in col where v >= 0 && Int(v) <= maxIdent { used[Int(v)] = true }
        }
        // Their strings, in one arena.
        var at = [Int32](repeating: -1, count: maxIdent + 1)
        var starts: [Int] = [0]
        var arena: [UInt8] = []
        let st = try db.prepare("SELECT id, v FROM idents")
        let h = st.handle
        while try st.step() {
            let id = Int(sqlite3_column_int64(h, 0))
            guard id >= 0, id <= maxIdent, used[id], let p = sqlite3_column_text(h, 1) else { continue }
            at[id] = Int32(starts.count - 1)
            arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(h, 1))))
            starts.append(arena.count)
        }
        used = []
        // dictionary id -> interner id, for the first interner that met it (kind + 1 in `mapKind`);
        // an id met by a second interner (the same string as a device and an IP) is interned by bytes.
        var mapIdx = [Int32](repeating: -1, count: maxIdent + 1)
        var mapKind = [UInt8](repeating: 0, count: maxIdent + 1)
        arena.withUnsafeBytes { a in
            func resolve(_ v: Int32, _ kind: UInt8, _ interner: inout Interner) -> Int32 {
                guard v >= 0, Int(v) <= maxIdent, at[Int(v)] >= 0 else { return -1 }
                let d = Int(v)
                if mapKind[d] == kind + 1 { return mapIdx[d] }
                let k = Int(at[d])
                let b = UnsafeRawBufferPointer(rebasing: a[starts[k]..<starts[k + 1]])
                let id = interner.intern(b)
                if mapKind[d] == 0 { mapKind[d] = kind + 1; mapIdx[d] = id }
                return id
            }
            for e in 0..<n {
                t.account[e] = resolve(t.account[e], 0, &t.accounts)
                t.device[e] = resolve(t.device[e], 1, &t.devices)
                t.ip[e] = resolve(t.ip[e], 2, &t.ips)
                t.item[e] = resolve(t.item[e], 3, &t.items)
                t.seller[e] = resolve(t.seller[e], 0, &t.accounts)
                t.coupon[e] = resolve(t.coupon[e], 4, &t.coupons)
                t.payment[e] = resolve(t.payment[e], 5, &t.payments)
                t.address[e] = resolve(t.address[e], 6, &t.addresses)
                t.target[e] = resolve(t.target[e], 0, &t.accounts)
            }
        }
    }

    /// After the rows are in: empty profiles for accounts and items only events name, item
    /// sellers from events, the per-account index, first-seen times.
    func finishLoading() {
        let n = count
        // Accounts, items referenced only by events get empty profiles.
        let na = accounts.count
        while createdAt.count < na {
            createdAt.append(Int64.min); firstSeen.append(Int64.min); homeCountry.append(-1)
            email.append(""); accountKind.append("")
        }
        while itemSeller.count < items.count {
            itemSeller.append(-1); itemPrice.append(.nan); itemDropAt.append(Int64.min)
        }
        // Items: fill in a seller seen on events when the catalogue didn't have one.
        for e in 0..<n where item[e] >= 0 && seller[e] >= 0 && itemSeller[Int(item[e])] < 0 {
            itemSeller[Int(item[e])] = seller[e]
        }
        // Countries compared as codes (s66): a blank one (JSONL's "", or spaces) is no country, not a
        // place of its own — an account whose profile says "" is not "abroad" wherever it acts — and
        // " th" and "TH" are one country. Each spelling maps to the first id of its trimmed upper case.
        var canonical = [Int32](repeating: -1, count: countries.count)
        var firstOf: [String: Int32] = [:]
        var remap = false
        for c in 0..<countries.count {
            let code = countries.string(Int32(c)).trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            guard !code.isEmpty else { remap = true; continue }
            if let f = firstOf[code] { canonical[c] = f; remap = true } else { firstOf[code] = Int32(c); canonical[c] = Int32(c) }
        }
        if remap {
            for a in homeCountry.indices where homeCountry[a] >= 0 { homeCountry[a] = canonical[Int(homeCountry[a])] }
            for e in 0..<min(n, country.count) where country[e] >= 0 { country[e] = canonical[Int(country[e])] }
        }
        buildAccountIndex()
        for a in 0..<na where firstSeen[a] == Int64.min {
            let ev = events(of: a)
            if let f = ev.first { firstSeen[a] = ts[Int(f)] }
        }
    }

    /// Counting sort by account, then by time within each account.
    func buildAccountIndex() {
        let na = accounts.count
        var start = [Int32](repeating: 0, count: na + 1)
        for e in 0..<count where account[e] >= 0 { start[Int(account[e]) + 1] += 1 }
        for a in 0..<na { start[a + 1] += start[a] }
        var fill = start
        var idx = [Int32](repeating: 0, count: Int(start[na]))
        for e in 0..<count where account[e] >= 0 {
            let a = Int(account[e])
            idx[Int(fill[a])] = Int32(e)
            fill[a] += 1
        }
        ts.withUnsafeBufferPointer { tsb in
            idx.withUnsafeMutableBufferPointer { ib in
                for a in 0..<na {
                    let lo = Int(start[a]), hi = Int(start[a + 1])
                    if hi - lo < 2 { continue }
                    // Mostly sorted already (rows arrive roughly in time order): insertion sort
                    // is linear on that; fall back to a full sort on badly ordered accounts.
                    var inversions = 0
                    for i in (lo + 1)..<hi where tsb[Int(ib[i])] < tsb[Int(ib[i - 1])] { inversions += 1 }
                    if inversions == 0 { continue }
                    if inversions > 64 {
                        let sorted = ib[lo..<hi].sorted { (tsb[Int($0)], $0) < (tsb[Int($1)], $1) }
                        for (k, v) in sorted.enumerated() { ib[lo + k] = v }
                        continue
                    }
                    for i in (lo + 1)..<hi {
                        let v = ib[i]
                        let key = (tsb[Int(v)], v)
                        var j = i - 1
                        while j >= lo && (tsb[Int(ib[j])], ib[j]) > key { ib[j + 1] = ib[j]; j -= 1 }
                        ib[j + 1] = v
                    }
                }
            }
        }
        accStart = start
        byAccount = idx
    }
}

/// Event types as read: each distinct type string is parsed into an `EventKind` once.
struct KindTable {
    private var types = Interner(capacity: 64)
    private var kinds: [EventKind] = []
    @inline(__always) mutating func kind(_ b: UnsafeRawBufferPointer) -> EventKind {
        let k = types.intern(b)
        if Int(k) == kinds.count { kinds.append(EventKind(types.string(k))) }
        return kinds[Int(k)]
    }
    /// Appends one event's kind and type id (an absent type is `.other`, id 0xFFFF).
    @inline(__always) mutating func append(_ b: UnsafeRawBufferPointer?, to t: EventTable) {
        guard let b else { t.kind.append(.other); t.type.append(0xFFFF); return }
        let k = types.intern(b)
        if Int(k) == kinds.count { kinds.append(EventKind(types.string(k))) }
        t.kind.append(kinds[Int(k)])
        t.type.append(UInt16(truncatingIfNeeded: min(Int(k), 0xFFFE)))
    }
    /// The type strings met, by id.
    var names: [String] { (0..<kinds.count).map { types.string(Int32($0)) } }
}

/// Column `c` of a statement's current row as bytes, in place (nil for NULL).
@inline(__always) func columnBytes(_ h: OpaquePointer, _ c: Int32) -> UnsafeRawBufferPointer? {
    guard let p = sqlite3_column_text(h, c) else { return nil }
    return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(h, c)))
}

extension EventTable {
    /// The columns both scans of the events (`events`, `events_i`) read alike: quantity (9),
    /// amount (10), rating (15), status (16), text (17) and currency (18).
    @inline(__always) func appendMeasures(_ h: OpaquePointer) {
        quantity.append(sqlite3_column_type(h, 9) == SQLITE_NULL ? 0 : Int32(truncatingIfNeeded: sqlite3_column_int64(h, 9)))
        amount.append(sqlite3_column_type(h, 10) == SQLITE_NULL ? .nan : Float(sqlite3_column_double(h, 10)))
        if let b = columnBytes(h, 18), b.count > 0 {
            let c = currencies.intern(b)
            currency.append(c < 255 ? UInt8(c) : 255)
        } else { currency.append(255) }
        orderKey.append(Self.orderKey(columnBytes(h, 19)))
        rating.append(sqlite3_column_type(h, 15) == SQLITE_NULL ? 0 : Int8(clamping: sqlite3_column_int64(h, 15)))
        appendStatusAndText(status: columnBytes(h, 16), text: columnBytes(h, 17))
    }

    /// An order id's key: FNV-1a 32 of its bytes, never 0 (0 = none).
    @inline(__always) static func orderKey(_ b: UnsafeRawBufferPointer?) -> UInt32 {
        guard let b, b.count > 0 else { return 0 }
        var h: UInt32 = 0x811C_9DC5
        for x in b { h = (h ^ UInt32(x)) &* 0x0100_0193 }
        return h == 0 ? 1 : h
    }

    /// The last two columns of a row: status (a failed login is `fail`) and free text.
    @inline(__always) func appendStatusAndText(status: UnsafeRawBufferPointer?, text: UnsafeRawBufferPointer?) {
        if let b = status {
            failed.append(b.count == 4 && b.elementsEqual("fail".utf8))
            self.status.append(statuses.intern(b))
        } else { failed.append(false); self.status.append(-1) }
        if let b = text {
            textRef.append(Int32(texts.count))
            texts.append(String(decoding: b, as: UTF8.self))
        } else { textRef.append(-1) }
    }
}
