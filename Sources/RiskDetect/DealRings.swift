import Foundation

/// Deal-hunter rings with no single shared device or card: accounts that take a new-user
/// incentive, linked by *anything* they share — a device, card, delivery address, IP address,
/// address block (/24, /48) or a rare promotion code (a ring master's referral code) — and
/// judged by the joint rarity of the signs of abuse they show, each against how common it is
/// among all incentive takers of this store.
///
/// - **Takers**: accounts with an incentive event (a new-user coupon at any age, or any
///   coupon in the account's first 7 days — `IdentityDetector`'s incentive).
/// - **Links** between takers only (an ordinary buyer on the same block links nothing): an
///   device, card or address used by ≤ `maxSharing` accounts of the whole store, an IP or
///   address block with ≤ `maxSharing` takers (a campus or carrier network holds many other
///   people), a code (not a new-user coupon) used by ≤ `maxSharing` accounts.
/// - **Signs**, per member, each a binomial tail at its base rate among all takers: shares a
///   device or card with another taker; shares a delivery address with one; shares a rare
///   code with one; a new-user coupon on an account older than 30 days (bought or revived
///   accounts); every order with a coupon (the account exists for the discount); signed up
///   within 6 h of another member (at the chance two takers' sign-ups fall that close).
///   Sharing an IP or block is a link, never a sign: students on a campus network share
///   one and open accounts in the same days.
/// - **Decision**: the signs' surprises add up (taken as independent) and must beat
///   log10(rings tested) + 1, and the signs of sharing (equipment, address, code) and of old
///   accounts must reach log10(rings tested) on their own — timing and thinness alone are a
///   campus's first week. Only members showing one of those signs themselves are reported
///   (at least two): a ring's block also holds ordinary newcomers.
struct DealRings {
    var maxSharing = 40

    struct Ring {
        var members: [Int32]
        var size: Int
        var surprise: Double
        var signs: [(String, Int)]
        var shared: [(kind: String, value: String)]
        var events: [Int32: [Int64]]
    }

    func find(_ t: EventTable, incentive: Set<Int32>, newUser: Set<Int32>, cancel: CancelToken) throws -> [Ring] {
        let na = t.accountCount
        // Takers and their incentive events.
        var isTaker = [Bool](repeating: false, count: na)
        var incentiveEvents: [Int32: [Int64]] = [:]
        var agedWelcome = [Bool](repeating: false, count: na)
        for e in incentive.sorted() {
            let a = t.account[Int(e)]
            guard a >= 0 else { continue }
            isTaker[Int(a)] = true
            incentiveEvents[a, default: []].append(t.rowid[Int(e)])
            if newUser.contains(t.coupon[Int(e)]), let age = t.ageDays(Int(a), at: t.ts[Int(e)]), age > 30 { agedWelcome[Int(a)] = true }
        }
        let takers = (0..<na).filter { isTaker[$0] }.map(Int32.init)
        guard takers.count >= 2 else { return [] }
        try cancel.check()

        // Identifiers of every account (to count sharing over the whole store), kinds:
        // 0 device, 1 payment, 2 address, 3 ip, 4 block, 5 rare code.
        var blockIDs: [String: Int32] = [:]
        var ipBlock = [Int32](repeating: -1, count: t.ips.count)
        for i in 0..<t.ips.count {
            let b = ScalperDetector.block(t.ips.string(Int32(i)))
            if let id = blockIDs[b] { ipBlock[i] = id } else { ipBlock[i] = Int32(blockIDs.count); blockIDs[b] = ipBlock[i] }
        }
        @inline(__always) func key(_ kind: Int, _ v: Int32) -> UInt64 { UInt64(kind) << 32 | UInt64(UInt32(v)) }
        var users: [UInt64: Set<Int32>] = [:]         // identifier → accounts (all, kinds 0–3, 5)
        var codeUsers: [Int32: Set<Int32>] = [:]
        var ordersOf = [Int](repeating: 0, count: na), couponOrders = [Int](repeating: 0, count: na)
        for e in 0..<t.count where t.account[e] >= 0 {
            let a = t.account[e]
            if t.device[e] >= 0 { users[key(0, t.device[e]), default: []].insert(a) }
            if t.payment[e] >= 0 { users[key(1, t.payment[e]), default: []].insert(a) }
            if t.address[e] >= 0 { users[key(2, t.address[e]), default: []].insert(a) }
            if t.ip[e] >= 0 && isTaker[Int(a)] { users[key(3, t.ip[e]), default: []].insert(a) }
            if t.coupon[e] >= 0 && (t.kind[e] == .order || t.kind[e] == .couponRedeem) { codeUsers[t.coupon[e], default: []].insert(a) }
            if t.kind[e] == .order { ordersOf[Int(a)] += 1; if t.coupon[e] >= 0 { couponOrders[Int(a)] += 1 } }
        }
        try cancel.check()
        // Links among takers.
        var ds = DisjointSet(na)
        var sharesEquip = [Bool](repeating: false, count: na), sharesAddr = [Bool](repeating: false, count: na)
        var sharesCode = [Bool](repeating: false, count: na)
        var linkIDs: [Int32: [(Int, Int32)]] = [:]
        func link(_ owners: [Int32], _ kind: Int, _ v: Int32) {
            guard owners.count >= 2 else { return }
            for o in owners {
                ds.union(owners[0], o)
                if linkIDs[o, default: []].count < 20 { linkIDs[o, default: []].append((kind, v)) }
                switch kind {
                case 0, 1: sharesEquip[Int(o)] = true
                case 2: sharesAddr[Int(o)] = true
                case 5: sharesCode[Int(o)] = true
                default: break
                }
            }
        }
        for (k, owners) in users.sorted(by: { $0.key < $1.key }) {
            let kind = Int(k >> 32), v = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
            guard owners.count <= maxSharing else { continue }
            link(owners.filter { isTaker[Int($0)] }.sorted(), kind, v)
        }
        for (c, owners) in codeUsers.sorted(by: { $0.key < $1.key }) where !newUser.contains(c) && owners.count <= maxSharing {
            link(owners.filter { isTaker[Int($0)] }.sorted(), 5, c)
        }
        var blockTakers: [Int32: Set<Int32>] = [:]
        for (k, accs) in users where k >> 32 == 3 { blockTakers[ipBlock[Int(k & 0xFFFF_FFFF)], default: []].formUnion(accs) }
        for (b, owners) in blockTakers.sorted(by: { $0.key < $1.key }) where owners.count <= maxSharing {
            link(owners.sorted(), 4, b)
        }
        try cancel.check()

        // Base rates among takers.
        func rate(_ f: (Int32) -> Bool) -> Double {
            Significance.shrunkRate(hits: takers.filter(f).count, of: takers.count, prior: 0.5, weight: 2)
        }
        let pEquip = rate { sharesEquip[Int($0)] }, pAddr = rate { sharesAddr[Int($0)] }, pCode = rate { sharesCode[Int($0)] }
        let pAged = rate { agedWelcome[Int($0)] }
        let thin = { (a: Int32) -> Bool in ordersOf[Int(a)] > 0 && couponOrders[Int(a)] == ordersOf[Int(a)] }
        let pThin = rate(thin)
        // Chance that two takers' sign-ups fall within 6 h of each other.
        let window: Int64 = 6 * 3_600_000
        let created = takers.map { t.createdAt[Int($0)] != Int64.min ? t.createdAt[Int($0)] : t.firstSeen[Int($0)] }.filter { $0 != Int64.min }.sorted()
        var close = 0.0
        var lo = 0
        for hi in 0..<created.count {
            while created[hi] - created[lo] > window { lo += 1 }
            close += Double(hi - lo)
        }
        let pairs = Double(created.count) * Double(max(0, created.count - 1)) / 2
        let qClose = pairs > 0 ? max(close / pairs, 1 / max(pairs, 1)) : 1

        var comps: [Int32: [Int32]] = [:]
        for a in takers where linkIDs[a] != nil { comps[ds.find(a), default: []].append(a) }
        let units = comps.values.filter { $0.count >= 2 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        let bar = log10(Double(max(1, units.count))) + 1
        var rings: [Ring] = []
        for members in units where members.count <= 200 {
            let k = members.count
            func s(_ hits: Int, _ p: Double) -> Double {
                hits == 0 ? 0 : Significance.surprise(Significance.logBinomialTail(hits, k, p))
            }
            let equip = members.filter { sharesEquip[Int($0)] }.count
            let addr = members.filter { sharesAddr[Int($0)] }.count
            let code = members.filter { sharesCode[Int($0)] }.count
            let aged = members.filter { agedWelcome[Int($0)] }.count
            let thinN = members.filter(thin).count
            let cr = members.map { t.createdAt[Int($0)] != Int64.min ? t.createdAt[Int($0)] : t.firstSeen[Int($0)] }
            var closeN = 0
            for i in 0..<k where cr[i] != Int64.min {
                if (0..<k).contains(where: { $0 != i && cr[$0] != Int64.min && abs(cr[$0] - cr[i]) <= window }) { closeN += 1 }
            }
            let pCloseMember = 1 - pow(1 - qClose, Double(k - 1))
            let structural = [equip, addr, code, aged].max() ?? 0
            guard structural >= 2 else { continue }
            let parts: [(String, Int, Double)] = [
                ("share a device or card", equip, s(equip, pEquip)),
                ("share a delivery address", addr, s(addr, pAddr)),
                ("share a rare code", code, s(code, pCode)),
                ("took a new-user coupon on an account over 30 days old", aged, s(aged, pAged)),
                ("ordered only with coupons", thinN, s(thinN, pThin)),
                ("signed up within 6 h of another member", closeN, s(closeN, pCloseMember)),
            ]
            // The signs of sharing and of old accounts must pass on their own (Bonferroni bar);
            // timing and thinness add to them.
            let structuralSurprise = parts.prefix(4).reduce(0) { $0 + $1.2 }
            let surprise = parts.reduce(0) { $0 + $1.2 } - bar
            guard surprise >= 0, structuralSurprise >= bar - 1 else { continue }
            // Reported: the members that show a sign of sharing or an old account themselves (a
            // ring's block also holds ordinary newcomers, who are linked but show none).
            let shown = members.filter { sharesEquip[Int($0)] || sharesAddr[Int($0)] || sharesCode[Int($0)] || agedWelcome[Int($0)] }
            guard shown.count >= 2 else { continue }
            var shared: [(kind: String, value: String)] = []
            var seen = Set<UInt64>()
            let names = ["device", "payment", "address", "ip", "ip_block", "coupon"]
            let blockNames = blockIDs.sorted { $0.value < $1.value }.map(\.key)
            for a in members {
                for (kind, v) in linkIDs[a] ?? [] where seen.insert(key(kind, v)).inserted && shared.count < 30 {
                    let value: String
                    switch kind {
                    case 0: value = t.devices.string(v)
                    case 1: value = t.payments.string(v)
                    case 2: value = t.addresses.string(v)
                    case 3: value = t.ips.string(v)
                    case 4: value = blockNames[Int(v)]
                    default: value = t.coupons.string(v)
                    }
                    shared.append((names[kind], value))
                }
            }
            rings.append(Ring(members: shown, size: k, surprise: surprise, signs: parts.filter { $0.1 > 0 }.map { ($0.0, $0.1) },
                              shared: shared, events: Dictionary(uniqueKeysWithValues: members.map { ($0, incentiveEvents[$0] ?? []) })))
        }
        return rings
    }
}
