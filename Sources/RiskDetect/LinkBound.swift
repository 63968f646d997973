import Foundation

/// When a shared identifier links the accounts that use it — decided once per detect run, from
/// the store, for every detector and feature that joins accounts through a device, payment
/// instrument, delivery address, IP or code (docs/detection.md "When an identifier links").
///
/// A household's tablet, a ring's prepaid card and a parcel locker are all "shared"; only the
/// first two say the accounts belong together. What separates them is not a count fixed once
/// (a 5k store's lockers hold 37–40 accounts, a 20k store's 44–63, a marketplace of millions
/// thousands, while a ring on one prepaid card may be 60 strong) but two things the store shows:
///
/// - **Size against the store's homes.** H is the store's household scale: the 90th percentile
///   of the accounts on a delivery address used by two or more (all shared devices, cards and
///   addresses when no address is shared). An identifier of at most `small` = 8·H accounts — a
///   few homes' worth, a crew — always links, as a crew of strangers sharing one card does.
/// - **Strangers or one hand.** A larger identifier links only when its accounts behave as one:
///   at least half of them share a *second* device, card or address with another of its
///   accounts (a ring's phones and cards, a family's home). A locker's, campus's or office's
///   users are strangers — each with a phone, card and home of its own — and link nothing
///   however few they are beyond `small`; a ring of 60 on one card and a few phones stays a ring
///   however many it holds. IPs are not second identifiers (a campus shares its network), and
///   an IP block (no index of its own) links by size alone.
///
/// Assumes: households are the bulk of shared addresses (H is theirs, not the lockers'); a crew
/// sharing only one identifier and nothing else is no larger than a few homes; a public place's
/// users mostly have homes, phones and cards of their own.
public struct LinkBound: Sendable {
    /// How the bound is set: from the store, or a fixed count of accounts (`fixed(40)`, the
    /// default for now, is what every detector used before bound23; it links exactly the
    /// identifiers of 2…40 accounts).
    public enum Rule: Sendable, Equatable {
        case derived
        case fixed(Int)
    }
    /// Identifier kinds, as `links(_:_:accounts:)` takes them.
    public static let device = 0, payment = 1, address = 2, ip = 3, coupon = 4
    /// The store's household scale H (1 for a fixed bound).
    public let household: Int
    /// Identifiers of at most this many accounts link whatever their users do.
    public let small: Int
    /// Per kind (device, payment, address, IP, coupon): the larger identifiers whose accounts
    /// behave as one, which link too.
    let dependent: [Set<Int32>]

    public init(fixed n: Int) {
        household = 1
        small = n
        dependent = Array(repeating: [], count: 5)
    }

    init(household: Int, small: Int, dependent: [Set<Int32>]) {
        self.household = household
        self.small = small
        self.dependent = dependent
    }

    /// Does identifier `id` of `kind`, used by `m` accounts (as the caller counts them: the
    /// whole store's, or a detector's own population), link them?
    @inline(__always) public func links(_ kind: Int, _ id: Int32, accounts m: Int) -> Bool {
        m <= small || dependent[kind].contains(id)
    }

    /// For a group with no identifier of its own (an IP block): by size alone.
    @inline(__always) public func links(accounts m: Int) -> Bool { m <= small }

    /// How many larger identifiers of each kind link (for `detect`'s debug output and tests).
    public var dependentCounts: [Int] { dependent.map(\.count) }

    public static func make(_ t: EventTable, rule: Rule) -> LinkBound {
        switch rule {
        case .fixed(let n): return LinkBound(fixed: n)
        case .derived: return derive(t)
        }
    }

    /// Accounts per identifier of one column (CSR by identifier) and identifiers per account
    /// (CSR by account), each pair once.
    static func index(_ t: EventTable, column col: [Int32], size: Int)
        -> (accStart: [Int], accIDs: [Int32], idStart: [Int], idAccs: [Int32]) {
        let n = t.accountCount
        var start = [Int](repeating: 0, count: n + 1)
        var ids: [Int32] = []
        var scratch: [Int32] = []
        for a in 0..<n {
            scratch.removeAll(keepingCapacity: true)
            for e in t.events(of: a) where col[Int(e)] >= 0 { scratch.append(col[Int(e)]) }
            scratch.sort()
            var prev: Int32 = -1
            for v in scratch where v != prev { ids.append(v); prev = v }
            start[a + 1] = ids.count
        }
        let m = max(size, 1)
        var deg = [Int](repeating: 0, count: m + 1)
        for v in ids { deg[Int(v) + 1] += 1 }
        for i in 0..<m { deg[i + 1] += deg[i] }
        var fill = deg
        var accs = [Int32](repeating: 0, count: ids.count)
        for a in 0..<n { for p in start[a]..<start[a + 1] { let v = Int(ids[p]); accs[fill[v]] = Int32(a); fill[v] += 1 } }
        return (start, ids, deg, accs)
    }

    static func derive(_ t: EventTable) -> LinkBound {
        let columns = [t.device, t.payment, t.address, t.ip, t.coupon]
        let sizes = [t.devices.count, t.payments.count, t.addresses.count, t.ips.count, t.coupons.count]
        var idx = [(accStart: [Int], accIDs: [Int32], idStart: [Int], idAccs: [Int32])](repeating: ([], [], [], []), count: 5)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 5) { k in
            let x = index(t, column: columns[k], size: sizes[k])
            lock.lock(); idx[k] = x; lock.unlock()
        }
        // The household scale: shared addresses, else every shared device, card and address.
        func sizesOf(_ kinds: [Int]) -> [Int] {
            var out: [Int] = []
            for k in kinds {
                let s = idx[k].idStart
                for v in 0..<(s.count - 1) where s[v + 1] - s[v] >= 2 { out.append(s[v + 1] - s[v]) }
            }
            return out.sorted()
        }
        var shared = sizesOf([address])
        if shared.isEmpty { shared = sizesOf([device, payment, address]) }
        let household = shared.isEmpty ? 1 : shared[min(shared.count - 1, shared.count * 9 / 10)]
        let small = 8 * household
        // Per kind, the identifiers beyond `small` whose accounts behave as one.
        var dependent = [Set<Int32>](repeating: [], count: 5)
        DispatchQueue.concurrentPerform(iterations: 5) { k in
            var found = Set<Int32>()
            let s = idx[k].idStart, members = idx[k].idAccs
            var count: [UInt64: Int32] = [:]
            for x in 0..<(s.count - 1) where s[x + 1] - s[x] > small {
                let m = s[x + 1] - s[x]
                count.removeAll(keepingCapacity: true)
                // How many of X's accounts use each second identifier (device, card, address).
                for p in s[x]..<s[x + 1] {
                    let a = Int(members[p])
                    for k2 in 0..<3 {
                        let st = idx[k2].accStart, ids = idx[k2].accIDs
                        for q in st[a]..<st[a + 1] where !(k2 == k && Int(ids[q]) == x) {
                            count[UInt64(k2) << 32 | UInt64(UInt32(ids[q])), default: 0] += 1
                        }
                    }
                }
                var tied = 0
                for p in s[x]..<s[x + 1] {
                    let a = Int(members[p])
                    var found2 = false
                    for k2 in 0..<3 where !found2 {
                        let st = idx[k2].accStart, ids = idx[k2].accIDs
                        for q in st[a]..<st[a + 1] where !(k2 == k && Int(ids[q]) == x) {
                            if (count[UInt64(k2) << 32 | UInt64(UInt32(ids[q]))] ?? 0) >= 2 { found2 = true; break }
                        }
                    }
                    if found2 { tied += 1 }
                }
                if 2 * tied >= m { found.insert(Int32(x)) }
            }
            lock.lock(); dependent[k] = found; lock.unlock()
        }
        return LinkBound(household: household, small: small, dependent: dependent)
    }
}

extension EventTable {
    /// The run's link bound (LinkBound.swift), computed on first use under `linkRule`.
    public var linkBound: LinkBound {
        linkState.lock.lock()
        defer { linkState.lock.unlock() }
        if let b = linkState.bound { return b }
        let b = LinkBound.make(self, rule: linkState.rule)
        linkState.bound = b
        return b
    }

    /// How `linkBound` is set (default: fixed at 40); changing it drops the cached bound.
    public var linkRule: LinkBound.Rule {
        get { linkState.lock.lock(); defer { linkState.lock.unlock() }; return linkState.rule }
        set { linkState.lock.lock(); linkState.rule = newValue; linkState.bound = nil; linkState.lock.unlock() }
    }
}

/// EventTable's link-bound cache (one per table, shared by the detectors running side by side).
final class LinkState: @unchecked Sendable {
    let lock = NSLock()
    var rule: LinkBound.Rule = .fixed(40)
    var bound: LinkBound?
}
