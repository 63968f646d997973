import Foundation

/// Takeovers as a *change* in one account's own behaviour, for the anomaly layer (judged within
/// peer groups — role, age, amount of activity — like every behaviour feature, and counted only
/// beyond chance over the features tested). No detector's finding is read: these columns are
/// what still ranks a takeover with the `ato` detector off.
///
/// - `stranger_session_firsts`: equipment the account began to use after its first day and
///   used on at most `maxVisitDays` days (a *brief* device or network: an intruder's visit,
///   not a new phone kept for weeks) — a device or an IP, each on its own, so a cloned
///   fingerprint on a new network counts and so does a new device behind the owner's carrier.
///   On such equipment, the distinct kinds of *first* in the account's own life: an order or
///   address change to an address it never used before; a payment instrument it never used
///   before; an order above every order it placed before and of a high value for the store (at most 10 % of
///   its orders reach or pass it); a first-ever password reset or
///   unnamed account action (a profile update, a balance transfer); failed logins; a first
///   message. Each kind needs the history to have had the thing before (a first address is
///   only new against an old one). The value is the largest count over the account's brief
///   equipment. A new phone's owner keeps it (not brief) and orders as ever; a traveller keeps
///   the phone and shops as ever; a mover changes the address from the home devices; a
///   forgotten password is one fail and one reset. A stranger in the account does several
///   unusual things at once from equipment the account never had.
/// - `stranger_equipment_accounts`: on the brief equipment where the account showed at least
///   `minFirsts` kinds of first, the most other accounts that showed as many on the same
///   device or IP, also briefly. Takeovers are unrelated accounts, but one crew works them from
///   the same machines and exits; an honest brief device (a friend's laptop, a hotel's
///   network) is rarely such a session for several accounts.
///
/// What counts as unusual is the peers' own distribution (the layer's tail test and robust z),
/// not a fixed number of firsts. Assumes an owner's changes come one at a time and from the
/// owner's usual equipment, and that an account's history before the change is its owner's.
enum StrangerSessions {
    static let names = ["stranger_session_firsts", "stranger_equipment_accounts"]
    static let maxVisitDays = 2
    static let minFirsts = 2
    static let crewLevel = 1e-3
    static let highShare = 0.1

    /// Row-major, `accountCount × names.count`; values log1p'd.
    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        let w = names.count
        var x = [Float](repeating: 0, count: n * w)
        guard n > 0, t.count > 0 else { return x }
        let day: Int64 = 86_400_000
        let ipTag: Int64 = 1 << 40
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        // Per worker: (equipment key, account, firsts) of brief equipment with ≥ minFirsts kinds.
        var found = [[(key: Int64, acc: Int32, firsts: Int)]](repeating: [], count: workers)
        // A high value: one at most `highShare` of the store's orders reach or pass (ties at a
        // common price are the bulk, not the tail).
        var values: [Float] = []
        for e in 0..<t.count where t.kind[e] == .order { let v = value(t, e); if v >= 0 { values.append(v) } }
        values.sort()
        let high: (Float) -> Bool = { v in
            !values.isEmpty && Double(values.count - lowerBound(values, v)) <= highShare * Double(values.count)
        }
        var usesPerWorker = [Int](repeating: 0, count: workers)
        let lock = NSLock()
        x.withUnsafeMutableBufferPointer { xb in
            let out = xb.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { wk in
                var firstUse: [Int64: Int64] = [:]
                var days: [Int64: (last: Int64, n: Int)] = [:]
                var bits: [Int64: UInt8] = [:]
                var seenAddr = Set<Int32>(), seenPay = Set<Int32>(), seenType = Set<UInt16>()
                var mine: [(key: Int64, acc: Int32, firsts: Int)] = []
                var myUses = 0
                for a in workerChunk(wk, of: workers, count: n) {
                    let evs = t.events(of: a)
                    guard evs.count >= 2, let e0 = evs.first else { continue }
                    let start = t.ts[Int(e0)]
                    firstUse.removeAll(keepingCapacity: true)
                    days.removeAll(keepingCapacity: true)
                    // Events are in time order: a key's distinct days grow when its day changes.
                    func use(_ key: Int64, _ ts: Int64) {
                        if let u = days[key] {
                            if u.last != ts / day { days[key] = (ts / day, u.n + 1) }
                        } else {
                            firstUse[key] = ts
                            days[key] = (ts / day, 1)
                        }
                    }
                    for ev in evs {
                        let e = Int(ev)
                        if t.device[e] >= 0 { use(Int64(t.device[e]), t.ts[e]) }
                        if t.ip[e] >= 0 { use(ipTag | Int64(t.ip[e]), t.ts[e]) }
                    }
                    func brief(_ key: Int64) -> Bool {
                        guard key >= 0, let f = firstUse[key], f > start + day else { return false }
                        return (days[key]?.n ?? 0) <= maxVisitDays
                    }
                    for key in days.keys where brief(key) { myUses += 1 }
                    bits.removeAll(keepingCapacity: true)
                    seenAddr.removeAll(keepingCapacity: true)
                    seenPay.removeAll(keepingCapacity: true)
                    seenType.removeAll(keepingCapacity: true)
                    var maxOrder: Float = -1
                    var messaged = false
                    for ev in evs {
                        let e = Int(ev)
                        let k = t.kind[e]
                        let dk: Int64 = t.device[e] >= 0 ? Int64(t.device[e]) : -1
                        let ik: Int64 = t.ip[e] >= 0 ? ipTag | Int64(t.ip[e]) : -1
                        let bd = brief(dk), bi = brief(ik)
                        if bd || bi {
                            var b: UInt8 = 0
                            if (k == .order || k == .addressChange), t.address[e] >= 0, !seenAddr.isEmpty, !seenAddr.contains(t.address[e]) { b |= 1 }
                            if (k == .order || k == .payment), t.payment[e] >= 0, !seenPay.isEmpty, !seenPay.contains(t.payment[e]) { b |= 2 }
                            if k == .order, maxOrder >= 0 { let v = value(t, e); if v > maxOrder && high(v) { b |= 4 } }
                            if (k == .passwordReset || k == .other), !seenType.contains(t.type[e]) { b |= 8 }
                            if k == .login, t.failed[e] { b |= 16 }
                            if k == .message, !messaged { b |= 32 }
                            if b != 0 {
                                if bd { bits[dk, default: 0] |= b }
                                if bi { bits[ik, default: 0] |= b }
                            }
                        }
                        if t.address[e] >= 0 && (k == .order || k == .addressChange) { seenAddr.insert(t.address[e]) }
                        if t.payment[e] >= 0 && (k == .order || k == .payment) { seenPay.insert(t.payment[e]) }
                        if k == .order { let v = value(t, e); if v > maxOrder { maxOrder = v } }
                        if k == .passwordReset || k == .other { seenType.insert(t.type[e]) }
                        if k == .message { messaged = true }
                    }
                    var best = 0
                    for (key, b) in bits {
                        let c = b.nonzeroBitCount
                        best = max(best, c)
                        if c >= minFirsts { mine.append((key, Int32(a), c)) }
                    }
                    out[a * w] = Float(log1p(Double(best)))
                }
                lock.lock()
                found[wk] = mine
                usesPerWorker[wk] = myUses
                lock.unlock()
            }
        }
        // Equipment that was such a session for several accounts, beyond its share of them: a
        // carrier's NAT address that thousands use is a brief network for many honest accounts,
        // some of which change something there by chance. Each key's brief users (m) and those
        // with a session on it (c) against the store's rate p0 of such sessions per brief use:
        // counted when P(Bin(m, p0) ≥ c) < `crewLevel`.
        var all = found.flatMap { $0 }
        found = []
        all.sort { ($0.key, $0.acc) < ($1.key, $1.acc) }
        let uses = usesPerWorker.reduce(0, +)
        guard !all.isEmpty, uses > 0 else { return x }
        let p0 = Double(all.count) / Double(uses)
        // m: the accounts for which the key was brief equipment too (its brief users).
        var users: [Int64: Int] = [:]
        for k in all where users[k.key] == nil { users[k.key] = 0 }
        var mine: [Int64: (first: Int64, last: Int64, n: Int)] = [:]
        for a in 0..<n {
            let evs = t.events(of: a)
            guard evs.count >= 2, let e0 = evs.first else { continue }
            let start = t.ts[Int(e0)]
            mine.removeAll(keepingCapacity: true)
            func use(_ key: Int64, _ ts: Int64) {
                guard users[key] != nil else { return }
                if let u = mine[key] {
                    if u.last != ts / day { mine[key] = (u.first, ts / day, u.n + 1) }
                } else {
                    mine[key] = (ts, ts / day, 1)
                }
            }
            for ev in evs {
                let e = Int(ev)
                if t.device[e] >= 0 { use(Int64(t.device[e]), t.ts[e]) }
                if t.ip[e] >= 0 { use(ipTag | Int64(t.ip[e]), t.ts[e]) }
            }
            for (key, u) in mine where u.first > start + day && u.n <= maxVisitDays { users[key]! += 1 }
        }
        var crew = [Int](repeating: 0, count: n)
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].key == all[i].key { j += 1 }
            let c = j - i + 1   // distinct accounts (one entry per account and key)
            let m = max(c, users[all[i].key] ?? c)
            if c >= 2 && Significance.logBinomialTail(c, m, p0) < log(crewLevel) {
                for k in i...j { crew[Int(all[k].acc)] = max(crew[Int(all[k].acc)], c - 1) }
            }
            i = j + 1
        }
        for a in 0..<n where crew[a] > 0 { x[a * w + 1] = Float(log1p(Double(crew[a]))) }
        return x
    }

    /// An order's value: its amount, else the item's price × quantity (−1 when neither is known).
    @inline(__always) static func value(_ t: EventTable, _ e: Int) -> Float {
        if !t.amount[e].isNaN { return t.amount[e] }
        let it = Int(t.item[e])
        guard it >= 0, it < t.itemPrice.count, !t.itemPrice[it].isNaN else { return -1 }
        return t.itemPrice[it] * Float(max(1, t.quantity[e]))
    }
}
