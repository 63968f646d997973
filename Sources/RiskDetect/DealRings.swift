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
///   device, card or address that links by its accounts in the whole store, an IP or address
///   block that links by its takers (a campus or carrier network holds many other people), a
///   code (not one of the store's public welcome codes) that links by its accounts, one mailbox
///   written many ways (Mailbox.swift; by its accounts) (LinkBound.swift decides each).
/// - **Signs**, per member, each a binomial tail at its base rate — the signs of sharing
///   among the *linked* takers (a unit is formed by sharing: a household pair shares by
///   construction), the others among all takers: shares a device or card with another
///   taker; shares a delivery address with one; shares a rare code with one *and* signed up in a
///   bunch of the code's takers that passes the bar alone (a code forms its unit and is never
///   its evidence; deal37) — with `referralCodes`, a narrow new-user code's spent takers meeting on
///   blocks of their own beyond the block's share of the store and the store's own rate (deal39–41), to which one foreign
///   country for most of them, their incentive-only lives (deal38) and their bunch only add; a new-user
///   coupon on an account older than 30 days (bought or revived accounts); every order
///   with a coupon (the account exists for the discount); signed up within 6 h of another
///   member (at the chance two takers' sign-ups fall that close); on a network no account but
///   takers ever used, with a footprint among the thinnest quarter of takers and no address shared
///   with another taker (a ring on emulators, prepaid cards and its own proxy; on networks no
///   larger than the store's largest equipment-linked unit); a device or card of the takers' own
///   shared with a taker it shares no delivery address with (a ring behind one phone shipping to
///   lockers). These two at their rate over all takers with each unit counting once.
///   Sharing an IP or block alone is a link, never a sign: students on a campus network share
///   one and open accounts in the same days.
/// - **Decision**: the signs' surprises add up (taken as independent) and must beat
///   log10(rings tested) + 1, and the signs of sharing (equipment, address, code) and of old
///   accounts must reach log10(rings tested) on their own — timing and thinness alone are a
///   campus's first week. Only members showing one of those signs themselves are reported
///   (at least two): a ring's block also holds ordinary newcomers.
struct DealRings {
    var debugLog: (@Sendable (String) -> Void)? = nil
    /// Places (addresses, IPs, blocks) link takers only where takers are at least half their
    /// accounts (docs/detection.md, "Only places of the takers' own link"). Off by default (held23:
    /// it finds the 5k stores' small rings but lost a 20k world's ring members, 4104); off: any
    /// place the run's link bound lets link (LinkBound: by accounts for addresses, by takers for IPs, blocks) links.
    var ownPlacesOnly = false
    /// A normalised mailbox (Mailbox.swift) links the takers on it (deal36).
    var useMailbox = true
    /// s50: a mailbox its takers all typed one way (one spelling: `Mailbox.spelling`) links them only in a
    /// store where such repeats are rare — among the accounts that took no incentive, no more repeated
    /// spellings than one per hundred (`Mailbox.Spellings`). Where they are common, the e-mail field is a
    /// contact field or a name pattern (`tran.tanaka@gmail.com` on strangers), not a login each person
    /// holds alone. A mailbox its takers wrote two ways or more (a `+tag`) links as before. IdentityDetector's
    /// `ringMailboxSpellings` (on; `detect --no-sign mailbox-spellings` for the rule before).
    var mailboxSpellings = true
    /// A new-user coupon narrower than the store's public welcome codes links as a rare code (deal36;
    /// its unit needs its takers on networks of their own since deal39/deal40; IdentityDetector's
    /// `ringReferralCodes`, off by default, says why).
    var referralCodes = false
    /// s45: a narrow new-user code (one of the codes outside the public welcome ones) is judged by its
    /// takers' lives: how many did nothing in the store but the incentive (sign-up, log-ins, the coupon
    /// orders and the views and carts of the hour before one, payments, redemptions), a Poisson-binomial
    /// tail where each taker's chance is the rate among the takers of no such code *with as much time
    /// left in the data* after their first incentive (a code handed round on the data's last evening has
    /// had no time for a life; a taker with less than a day left is not counted). A code whose tail
    /// passes the rings' bar plus log10 of the narrow codes tested is a ring of its takers that did
    /// nothing but the incentive; a code an established account took is a place's (deal42) and is not
    /// tested. The code links nothing for the other signs (a place's code chains its people's homes and
    /// mailboxes into units that those signs then judge, measured in s45). Set by IdentityDetector's
    /// `ringCodeLives` (on by default; `detect --no-sign code-lives` for the rule before).
    var codeLives = false
    /// Guards of the narrow code's sign left out, for the tests that show each guard is what keeps an
    /// honest case clean (deal41, review40b N3); empty in every run: "lives" (takers of any life
    /// meet), "own" (any block two takers share is theirs), "null" (no block sizes in the chance),
    /// "storeRate" (no store rate), "perCode" (a unit's sign unlocks any code's bunch, and a ring by
    /// the code alone reports its bunch and lives), "timeLeft" (`codeLives`: takers with less than a day
    /// left in the data counted), "monotone" (`codeLives`: each band's rate shrunk to the store's overall
    /// one, not to the shorter band's, and not kept from falling towards the end of the data).
    var ablate: Set<String> = []
    /// A code's bunch of sign-ups counts only for a code of the takers' own: no account took it but as
    /// a new-user incentive (deal42; IdentityDetector's `ringPlaceCodes`, on by default, says why;
    /// `false` = the rule before, where a place's code — staff, club, host's friends — bunched as a ring's).
    var placeCodes = true
    /// A unit that shows only what a home shows, one home on an address its members share, is a household
    /// when the home has a life beyond it or holds two of its takers, and the store's homes make that many
    /// takers on one home expected (hh44, mended per review44; IdentityDetector's `ringHouseholds`,
    /// `detect --no-sign households`).
    var households = true
    /// Units larger than this are not tested whole (a campus or carrier crowd chained by networks).
    var maxUnit = 200

    struct Ring {
        var members: [Int32]
        var size: Int
        var surprise: Double
        var signs: [(String, Int)]
        var shared: [(kind: String, value: String)]
        var events: [Int32: [Int64]]
    }

    /// The rings, and the takers on each IP that no account but takers used (a ring's own network
    /// when a ring's members are on it).
    func find(_ t: EventTable, incentive: Set<Int32>, newUser: Set<Int32>, cancel: CancelToken) throws -> (rings: [Ring], privateIPs: [Int32: [Int32]]) {
        let bound = t.linkBound
        let na = t.accountCount
        // Takers and their incentive events.
        var isTaker = [Bool](repeating: false, count: na)
        var incentiveEvents: [Int32: [Int64]] = [:]
        var agedWelcome = [Bool](repeating: false, count: na)
        var agedOn: [Int32: Set<Int32>] = [:]          // new-user code → accounts over 30 days old that took it
        var firstIncentive: [Int32: Int64] = [:]
        for e in incentive.sorted() {
            let a = t.account[Int(e)]
            guard a >= 0 else { continue }
            isTaker[Int(a)] = true
            firstIncentive[a] = min(firstIncentive[a] ?? Int64.max, t.ts[Int(e)])
            incentiveEvents[a, default: []].append(t.rowid[Int(e)])
            if newUser.contains(t.coupon[Int(e)]), let age = t.ageDays(Int(a), at: t.ts[Int(e)]), age > 30 {
                agedWelcome[Int(a)] = true
                agedOn[t.coupon[Int(e)], default: []].insert(a)
            }
        }
        let takers = (0..<na).filter { isTaker[$0] }.map(Int32.init)
        guard takers.count >= 2 else { return ([], [:]) }
        try cancel.check()

        // Identifiers of every account (to count sharing over the whole store), kinds:
        // 0 device, 1 payment, 2 address, 3 ip, 4 block, 5 rare code.
        var blockIDs: [String: Int32] = [:]
        @inline(__always) func key(_ kind: Int, _ v: Int32) -> UInt64 { UInt64(kind) << 32 | UInt64(UInt32(v)) }
        // Distinct accounts per identifier (arrays, one pass over each account's events), and
        // the takers on each: device, payment, address, code counted over the whole store; IPs
        // only among takers.
        let nd = t.devices.count, np = t.payments.count, nad = t.addresses.count, nc = t.coupons.count
        let offsets = [0, nd, nd + np, nd + np + nad + nc, 0, nd + np + nad]   // by kind; 3 = ip, 5 = code
        var count = [Int32](repeating: 0, count: nd + np + nad + nc + t.ips.count)
        var last = [Int32](repeating: -1, count: count.count)
        var takerLists: [UInt64: [Int32]] = [:]
        var ordersOf = [Int](repeating: 0, count: na), couponOrders = [Int](repeating: 0, count: na)
        // Every account on an IP (not only takers), to tell a network only takers used.
        var ipAll = [Int32](repeating: 0, count: t.ips.count), ipLast = [Int32](repeating: -1, count: t.ips.count)
        for a in 0..<na {
            let a32 = Int32(a), tk = isTaker[a]
            // An account that did nothing but open (one sign-up event) is not someone else using
            // the network: a ring's spare account opened on its proxy leaves it the ring's own.
            let ev = t.events(of: a)
            let opened = ev.count == 1 && ev.first.map { t.kind[Int($0)] == .signup } == true
            @inline(__always) func note(_ kind: Int, _ v: Int32) {
                let slot = offsets[kind] + Int(v)
                guard last[slot] != a32 else { return }
                last[slot] = a32
                count[slot] += 1
                if tk { takerLists[key(kind, v), default: []].append(a32) }
            }
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if t.device[e] >= 0 { note(0, t.device[e]) }
                if t.payment[e] >= 0 { note(1, t.payment[e]) }
                if t.address[e] >= 0 { note(2, t.address[e]) }
                if t.ip[e] >= 0 {
                    let v = Int(t.ip[e])
                    if ipLast[v] != a32 { ipLast[v] = a32; if !opened { ipAll[v] += 1 } }
                    if tk { note(3, t.ip[e]) }
                }
                if t.coupon[e] >= 0 && (t.kind[e] == .order || t.kind[e] == .couponRedeem) { note(5, t.coupon[e]) }
                if t.kind[e] == .order { ordersOf[a] += 1; if t.coupon[e] >= 0 { couponOrders[a] += 1 } }
            }
            if a & 0x3FFF == 0 { try cancel.check() }
        }
        // One mailbox written many ways (Mailbox.swift): accounts per normalised mailbox, over the
        // whole store, and the takers on each (kind 6).
        // Only the mailbox's 64-bit key is kept (not the address): ~30 bytes per account, transient, and
        // (s50) one spelling key per account that took no incentive while the store's repeats are counted.
        var mailboxIDs: [UInt64: Int32] = [:], mailboxCount: [Int32] = []
        // Per mailbox: the first spelling its takers used, and whether they used a second (s50).
        var takerSpelling: [UInt64] = [], mailboxVaried: [Bool] = []
        var identicalRepeatsRare = true
        if useMailbox {
            // The store's repeats are counted among the accounts that took no incentive: the rings under
            // test cannot switch the rule off by repeating their own address (review s50).
            var spellings = Mailbox.Spellings()
            for a in 0..<na {
                guard a < t.email.count else { continue }
                let spelled = Mailbox.spelling(t.email[a])
                guard let box = Mailbox.mailbox(ofSpelling: spelled) else { continue }
                let m = Mailbox.key(box)
                let id: Int32
                if let x = mailboxIDs[m] { id = x } else {
                    id = Int32(mailboxCount.count); mailboxIDs[m] = id; mailboxCount.append(0)
                    takerSpelling.append(0); mailboxVaried.append(false)
                }
                mailboxCount[Int(id)] += 1
                guard mailboxSpellings else {
                    if isTaker[a] { takerLists[key(6, id), default: []].append(Int32(a)) }
                    continue
                }
                let spelling = Mailbox.key(spelled)
                if isTaker[a] {
                    takerLists[key(6, id), default: []].append(Int32(a))
                    // Varied among the takers only: a non-taker's `+news` sub-address does not make
                    // strangers who typed the plain address one hand (review s50).
                    if takerSpelling[Int(id)] == 0 { takerSpelling[Int(id)] = spelling }
                    else if takerSpelling[Int(id)] != spelling { mailboxVaried[Int(id)] = true }
                } else {
                    spellings.add(spelling)
                }
            }
            identicalRepeatsRare = !mailboxSpellings || spellings.identicalRepeatsAreRare(links: bound.links(accounts:))
            debugLog?(String(format: "dealrings mailboxes: %d accounts without an incentive, %d spellings repeated (placeholders aside): identical repeats %@",
                             spellings.accounts, spellings.repeated(links: bound.links(accounts:)), identicalRepeatsRare ? "rare, they link" : "common, they do not link"))
        }
        /// Whether a mailbox (by its id in the run) links its accounts (s50: `mailboxSpellings`).
        func mailboxLinks(_ id: Int32) -> Bool { identicalRepeatsRare || mailboxVaried[Int(id)] }
        // New-user coupons that are the store's public welcome codes: the widest-spread ones that
        // together carry half of the accounts taking a new-user coupon. A narrower new-user code
        // (a referral code taken only by a burst of newcomers) is a rare code like any other and
        // links when the link bound lets it; before deal36 every new-user coupon was left out.
        var publicWelcome = Set<Int32>()
        var widest = Set<Int32>()
        do {
            let spread = newUser.map { ($0, Int(count[offsets[5] + Int($0)])) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
            let total = spread.reduce(0) { $0 + $1.1 }
            var cum = 0
            for (v, n) in spread where 2 * cum < total { widest.insert(v); cum += n }
        }
        publicWelcome = referralCodes ? widest : newUser
        // The new-user codes that link only because of `referralCodes` (narrower than the public ones).
        let narrowNewUser = newUser.subtracting(publicWelcome)
        // (deal42) An old account that took a narrow code a place handed round is one of the place's people,
        // not a bought or revived account: with `placeCodes`, only the public welcome codes make the aged sign.
        if placeCodes && !narrowNewUser.isEmpty {
            var viaPublic = Set<Int32>()
            for (v, accounts) in agedOn where !narrowNewUser.contains(v) { viaPublic.formUnion(accounts) }
            for (v, accounts) in agedOn where narrowNewUser.contains(v) { for a in accounts where !viaPublic.contains(a) { agedWelcome[Int(a)] = false } }
        }
        // Links among takers.
        var ds = DisjointSet(na)
        var sharesEquip = [Bool](repeating: false, count: na), sharesAddr = [Bool](repeating: false, count: na)
        var sharesCode = [Bool](repeating: false, count: na), sharesMailbox = [Bool](repeating: false, count: na)
        var linkIDs: [Int32: [(Int, Int32)]] = [:]
        // Takers sharing a device, card or address with each other (not an IP, block or code).
        var strongMates: [Int32: Set<Int32>] = [:]
        // Takers sharing a device or card of their own with each other, and each taker's delivery
        // addresses shared with another taker (one that links: a home, not a locker).
        var equipMates: [Int32: Set<Int32>] = [:]
        var homes: [Int32: Set<Int32>] = [:]
        var strong = DisjointSet(na)
        // Takers linked by identifiers alone (not an IP or a block): a unit chained through
        // carrier networks into more takers than can be tested is tested as these parts (deal36).
        var byIdentifier = DisjointSet(na)
        func link(_ owners: [Int32], _ kind: Int, _ v: Int32) {
            guard owners.count >= 2 else { return }
            if kind <= 2 { for o in owners { strongMates[o, default: []].formUnion(owners.filter { $0 != o }); strong.union(owners[0], o) } }
            // A phone or card of the takers' own (at least half its accounts took the incentive) is a
            // sign of sharing; a shop's kiosk or an office card that many people use links its few
            // newcomers, but is no one's hand behind them.
            let own = kind <= 1 && 2 * owners.count >= Int(count[offsets[kind] + Int(v)])
            if own { for o in owners { equipMates[o, default: []].formUnion(owners.filter { $0 != o }) } }
            if kind == 2 { for o in owners { homes[o, default: []].insert(v) } }
            for o in owners {
                ds.union(owners[0], o)
                if kind != 3 && kind != 4 { byIdentifier.union(owners[0], o) }
                if linkIDs[o, default: []].count < 20 { linkIDs[o, default: []].append((kind, v)) }
                switch kind {
                case 0, 1: if own { sharesEquip[Int(o)] = true }
                case 2: sharesAddr[Int(o)] = true
                case 5: sharesCode[Int(o)] = true
                case 6: sharesMailbox[Int(o)] = true
                default: break
                }
            }
        }
        var blockTakers: [Int32: [Int32]] = [:]
        var blockAll: [Int32: Int32] = [:]             // accounts (takers or not) per block, summed over its IPs
        var privateNet: [Int32: Int] = [:]              // taker → fewest takers on a network only takers used
        var privateNets: [Int32: [UInt64]] = [:]        // taker → the networks only takers used (ip or block keys)
        var privateIPs: [Int32: [Int32]] = [:]          // IP only takers used → its takers
        for v in 0..<t.ips.count where ipAll[v] > 0 {
            let b = ScalperDetector.block(t.ips.string(Int32(v)))
            let id: Int32
            if let x = blockIDs[b] { id = x } else { id = Int32(blockIDs.count); blockIDs[b] = id }
            blockAll[id, default: 0] += ipAll[v]
        }
        // A place (delivery address, IP, block) links its takers only when it is theirs: at least
        // half of the accounts seen there took the incentive. A parcel locker, a carrier NAT, an
        // office or a campus network holds a store's share of newcomers among many others; in a
        // small store such a place has fewer takers than the link bound (LinkBound) and would chain its
        // households, students and rings into one unit that no test can judge.
        func ownPlace(_ takersThere: Int, of accounts: Int) -> Bool { !ownPlacesOnly || 2 * takersThere >= accounts }
        var codeOwners: [(Int32, [Int32])] = []         // codes that link, with their takers
        for (k, owners) in takerLists.sorted(by: { $0.key < $1.key }) where owners.count >= 2 || k >> 32 == 3 {
            let kind = Int(k >> 32), v = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
            if kind == 3 {
                let b = ScalperDetector.block(t.ips.string(v))
                let id: Int32
                if let x = blockIDs[b] { id = x } else { id = Int32(blockIDs.count); blockIDs[b] = id }
                blockTakers[id, default: []] += owners
                if owners.count >= 2 && Int(ipAll[Int(v)]) == owners.count {
                    for o in owners { privateNet[o] = min(privateNet[o] ?? Int.max, owners.count); privateNets[o, default: []].append(k) }
                    privateIPs[v] = owners
                }
                guard bound.links(LinkBound.ip, v, accounts: owners.count), ownPlace(owners.count, of: Int(ipAll[Int(v)])) else { continue }
            } else if kind == 6 {
                // A mailbox has no index of its own in the link bound: by its accounts alone.
                guard bound.links(accounts: Int(mailboxCount[Int(v)])), mailboxLinks(v) else { continue }
            } else {
                guard bound.links(kind == 5 ? LinkBound.coupon : kind, v, accounts: Int(count[offsets[kind] + Int(v)])) else { continue }
                if kind == 5 && publicWelcome.contains(v) { continue }
                if kind == 2 && !ownPlace(owners.count, of: Int(count[offsets[kind] + Int(v)])) { continue }
                if kind == 5 { codeOwners.append((v, owners)) }
            }
            link(owners, kind, v)
        }
        for (b, owners) in blockTakers.sorted(by: { $0.key < $1.key }) {
            let o = Array(Set(owners)).sorted()
            // A block only takers used: its accounts, summed over its IPs, are its takers (an
            // account on two of its IPs counts twice in both sums).
            if o.count >= 2 && Int(blockAll[b] ?? 0) == owners.count {
                for a in o { privateNet[a] = min(privateNet[a] ?? Int.max, o.count); privateNets[a, default: []].append(key(4, b)) }
            }
            if bound.links(accounts: o.count) && ownPlace(owners.count, of: Int(blockAll[b] ?? 0)) { link(o, 4, b) }
        }
        try cancel.check()

        // Base rates among takers.
        func rate(_ f: (Int32) -> Bool) -> Double {
            Significance.shrunkRate(hits: takers.filter(f).count, of: takers.count, prior: 0.5, weight: 2)
        }
        // Sharing signs: a unit is formed by sharing, so their base rate is taken among the
        // takers that are linked at all (in a unit of two, both share by construction).
        var unitSize = [Int32: Int]()
        for a in takers where linkIDs[a] != nil { unitSize[ds.find(a), default: 0] += 1 }
        // (A taker linked by a code alone is not among them: a code forms a unit but is no sharing
        // of equipment or a home, and thirty promotion takers would set the rate households are
        // judged by.)
        let linked = takers.filter { a in (unitSize[ds.find(a)] ?? 0) >= 2 && (linkIDs[a] ?? []).contains { $0.0 != 5 } }
        func linkedRate(_ f: (Int32) -> Bool) -> Double {
            Significance.shrunkRate(hits: linked.filter(f).count, of: linked.count, prior: 0.5, weight: 2)
        }
        let pEquip = linkedRate { sharesEquip[Int($0)] }, pAddr = linkedRate { sharesAddr[Int($0)] }
        let pMailbox = linkedRate { sharesMailbox[Int($0)] }
        let pAged = rate { agedWelcome[Int($0)] }
        // A device or card shared with a taker it shares no delivery address with: a home's
        // members share a tablet or a card *and* the home; accounts that share a phone or a card
        // but ship to different places (lockers, drop addresses, an address each) are one hand
        // behind several accounts. Judged against all takers, each unit (linked component of two
        // or more takers) counting once with the share of its members that do so, and every other
        // taker as a unit of one: the linked takers' rate, or a rate over members, would be set by
        // the rings themselves where they are most of the linked takers (a ring of forty on one
        // phone pool would make sharing one look ordinary).
        func apart(_ a: Int32) -> Bool {
            guard let mates = equipMates[a] else { return false }
            let mine = homes[a] ?? []
            return mates.contains { mine.isDisjoint(with: homes[$0] ?? []) }
        }
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
        func createdOf(_ a: Int32) -> Int64 { t.createdAt[Int(a)] != Int64.min ? t.createdAt[Int(a)] : t.firstSeen[Int(a)] }

        // A code links its takers, so sharing it is what formed the unit and is no evidence for it
        // (before deal37 "share a rare code" counted that sharing again, at its low rate among the
        // linked takers: thirty strangers on a small public promotion were a ring at 1 in 10^9).
        // What a code's unit must show besides the code: its takers' sign-ups bunched in time
        // beyond the store's — a scan over windows of 1 h, 6 h, 24 h and 72 h starting at each
        // taker's sign-up, the others of the code in it against a binomial tail at the share of the
        // store's other takers (this code's left out) whose sign-ups fall in that window (so a
        // store's own busy weeks set the rate; never under the window's share of the takers' whole
        // sign-up span), less log10(takers × windows) for the scan. It counts for a unit only when it
        // passes the unit's bar alone.
        // The other evidence (equipment, addresses, a mailbox, a network of the takers' own, old
        // accounts) is judged as for any unit.
        let scanWindows: [Int64] = [1, 6, 24, 72].map { $0 * 3_600_000 }
        // Per code: its windows that pass (corrected surprise > 0), each with its takers.
        var codeScan: [Int32: [(surprise: Double, takers: ArraySlice<Int32>)]] = [:]
        let span = created.count >= 2 ? created[created.count - 1] - created[0] : 0
        for (v, owners) in codeOwners {
            let mine = owners.map { (createdOf($0), $0) }.filter { $0.0 != Int64.min }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            let n = mine.count, others = created.count - n
            guard n >= 3, others > 0 else { continue }
            let correction = log10(Double(n * scanWindows.count))
            var passing: [(surprise: Double, takers: ArraySlice<Int32>)] = []
            for w in scanWindows {
                var j = 0
                for i in 0..<n {
                    if j < i { j = i }
                    while j + 1 < n && mine[j + 1].0 - mine[i].0 <= w { j += 1 }
                    let m = j - i + 1
                    guard m >= 3 else { continue }
                    // The store's takers signed up in [t_i, t_i + w], this code's left out.
                    let lo = lowerBound(created, mine[i].0), hi = lowerBound(created, mine[i].0 + w + 1)
                    // (Never under the window's share of the takers' whole sign-up span: a short window's
                    // count is noise — an hour that happens to hold none of the others.)
                    let p = max((Double(max(0, hi - lo - m)) + 0.5) / (Double(others) + 1), Double(w) / Double(max(span, w)))
                    let sv = Significance.surprise(Significance.logBinomialTail(m - 1, n - 1, min(p, 1)))
                    if sv > correction { passing.append((sv - correction, ArraySlice(mine[i...j].map(\.1)))) }
                }
            }
            if !passing.isEmpty { codeScan[v] = passing }
        }

        var comps: [Int32: [Int32]] = [:]
        for a in takers where linkIDs[a] != nil { comps[ds.find(a), default: []].append(a) }
        let units = comps.values.filter { $0.count >= 2 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        // The units tested: each of at most 200 takers, and a larger one (chained through carrier
        // IPs and blocks, each holding few enough takers to link) split into what its members share
        // besides a network — a device, card, address, code or mailbox (before deal36 such a unit
        // was not tested at all, and a referral ring on a mobile carrier's pool was lost in it).
        var tested: [[Int32]] = []
        for u in units {
            if u.count <= maxUnit { tested.append(u); continue }
            var parts: [Int32: [Int32]] = [:]
            for a in u { parts[byIdentifier.find(a), default: []].append(a) }
            tested += parts.values.filter { $0.count >= 2 && $0.count <= maxUnit }.map { $0.sorted() }
        }
        tested.sort { $0[0] < $1[0] }
        let bar = log10(Double(max(1, tested.count))) + 1
        // A sign's rate with each unit counting once (the share of its members showing it), and
        // `singles` more units of one that do not (takers outside any unit), shrunk towards ½.
        func unitRate(_ f: (Int32) -> Bool, singles: Int = 0) -> Double {
            let share = units.reduce(0.0) { $0 + Double($1.filter(f).count) / Double($1.count) }
            return (share + 0.5 * 2) / (Double(units.count + singles) + 2)
        }
        let singles = takers.count - units.reduce(0) { $0 + $1.count }
        let pApart = unitRate(apart, singles: singles)
        // The joint event: signed up within 6 h of a taker it shares a device, card or address
        // with. Its base rate is the share of a unit's members doing so, each unit counting once
        // (a large ring cannot set the rate it is judged by): households share by construction
        // but their members sign up on their own days.
        func coCreated(_ a: Int32) -> Bool {
            let c = createdOf(a)
            guard c != Int64.min, let mates = strongMates[a] else { return false }
            return mates.contains { let d = createdOf($0); return d != Int64.min && abs(d - c) <= window }
        }
        let pCo = unitRate(coCreated)
        // The other joint event: on a network no account but incentive takers ever used, with a
        // footprint (events) among the thinnest quarter of the store's takers — an account that
        // exists for the coupon, on a network that exists for the ring. A network counts when it
        // holds no more takers than the largest unit the store's takers form on a shared device,
        // card or address (a campus or an office that only newcomers used is a crowd, not a ring
        // of the scale this store's rings show). A member sharing a delivery address with another
        // taker is judged by that sign instead: a home's members share its network too (a card
        // or a phone shared by accounts shipping to different places is not a home's).
        // Its base rate is over all takers with each unit counting once, as for equipment shared
        // apart (a large ring on its proxy would otherwise set the rate it is judged by).
        var strongSize: [Int32: Int] = [:]
        for a in takers where strongMates[a] != nil { strongSize[strong.find(a), default: 0] += 1 }
        let ringScale = max(2, strongSize.values.max() ?? 2)
        let footprint = takers.map { t.events(of: Int($0)).count }.sorted()
        let thinFoot = footprint[(footprint.count - 1) / 4]
        func privateThin(_ a: Int32) -> Bool {
            guard !sharesAddr[Int(a)], let n = privateNet[a], n <= ringScale else { return false }
            return t.events(of: Int(a)).count <= thinFoot
        }
        let pPrivate = unitRate(privateThin, singles: singles)
        // A life that is the incentive and nothing else (deal38, with `referralCodes`): every order
        // with a coupon and a footprint among the thinnest quarter of the store's takers — sign-up,
        // redeem, gone. A code's unit must show it beyond the store's newcomers: its rate is taken
        // among the takers linked by no code (a ring on its code, or a promotion, sets no rate), and
        // a code's takers showing it count only when the tail passes the unit's bar on its own (as
        // the bunch did in deal37). Honest takers of a promotion live like the store's other
        // newcomers (some come back, browse, pay full price); a referral ring's accounts exist for
        // the code.
        func thinLife(_ a: Int32) -> Bool { thin(a) && t.events(of: Int(a)).count <= thinFoot }
        let notByCode = takers.filter { !sharesCode[Int($0)] }
        let pThinLife = Significance.shrunkRate(hits: notByCode.filter(thinLife).count, of: notByCode.count, prior: 0.5, weight: 2)
        // (s45, `codeLives`) Each narrow new-user code's takers' lives against the time they had.
        var codeLife: [(code: Int32, surprise: Double, takers: [Int32], counted: Int)] = []
        let narrowAll = newUser.subtracting(widest)     // every narrow new-user code, linking or not
        let livesCodes = codeLives ? narrowAll.filter { v in
            guard let owners = takerLists[key(5, v)], owners.count >= 2 else { return false }
            return (agedOn[v] ?? []).isEmpty
        } : []
        if !livesCodes.isEmpty, let end = dataEnd(t) {
            // Nothing but the incentive: no event beyond sign-up, log-in / log-out, payments, coupon
            // redemptions, orders with a coupon, and the views, carts and address changes of the hour
            // before such an order (the visit that ended in it). Per account once (a taker of two codes).
            var onlyCache: [Int32: Bool] = [:]
            func incentiveOnly(_ a: Int32) -> Bool {
                if let x = onlyCache[a] { return x }
                let evs = t.events(of: Int(a)).map(Int.init)    // in time order
                let couponOrders = evs.filter { t.kind[$0] == .order && t.coupon[$0] >= 0 }.map { t.ts[$0] }
                var only = !couponOrders.isEmpty
                var next = 0                                     // the first coupon order at or after the event
                for e in evs where only {
                    while next < couponOrders.count && couponOrders[next] < t.ts[e] { next += 1 }
                    switch t.kind[e] {
                    case .signup, .login, .logout, .payment, .couponRedeem: continue
                    case .order where t.coupon[e] >= 0: continue
                    case .view, .addToCart, .addressChange:
                        if next < couponOrders.count && couponOrders[next] - t.ts[e] <= 3_600_000 { continue }
                        only = false
                    default: only = false
                    }
                }
                onlyCache[a] = only
                return only
            }
            // The time left in the data after a first incentive (a code's takers: after their first use of
            // the code), in bands of days: < 1, 1–2, 2–4, 4–8, 8–16, more. A taker with less than a day left
            // is not counted (no time for a life).
            let timeLeft = !ablate.contains("timeLeft"), monotone = !ablate.contains("monotone")
            let cuts: [Double] = [1, 2, 4, 8, 16]
            func band(_ from: Int64) -> Int {
                let days = Double(end - from) / 86_400_000
                return cuts.firstIndex { days < $0 } ?? 5
            }
            // The rates among the takers of no narrow code.
            var onNarrow = Set<Int32>()
            for v in narrowAll { onNarrow.formUnion(takerLists[key(5, v)] ?? []) }
            var n = [Int](repeating: 0, count: 6), h = [Int](repeating: 0, count: 6)
            for a in takers where !onNarrow.contains(a) {
                guard let f = firstIncentive[a] else { continue }
                n[band(f)] += 1
                if incentiveOnly(a) { h[band(f)] += 1 }
            }
            let overall = Double(h.reduce(0, +) + 1) / Double(n.reduce(0, +) + 2)
            var rate = [Double](repeating: overall, count: 6)
            if monotone {
                // A band with few takers leans on the band of less time before it (and the first band on
                // "no time, no life"), not on the store's whole, which the long lives make low; and less
                // time left never makes a life likelier: the rates do not fall towards the end.
                var prior = 1.0
                for b in 0..<6 { rate[b] = Significance.shrunkRate(hits: h[b], of: n[b], prior: prior, weight: 2); prior = rate[b] }
                for b in stride(from: 4, through: 0, by: -1) { rate[b] = max(rate[b], rate[b + 1]) }
            } else {
                rate = (0..<6).map { Significance.shrunkRate(hits: h[$0], of: n[$0], prior: overall, weight: 2) }
            }
            debugLog?("dealrings incentive-only lives by time left (<1, 1–2, 2–4, 4–8, 8–16, more days; data end \(end)): " + (0..<6).map { String(format: "%d/%d %.2f", h[$0], n[$0], rate[$0]) }.joined(separator: ", "))
            for v in livesCodes.sorted() {
                var ps: [Double] = [], hits: [Int32] = []
                for o in takerLists[key(5, v)] ?? [] {
                    guard let f = t.events(of: Int(o)).first(where: { t.coupon[Int($0)] == v }).map({ t.ts[Int($0)] }),
                          !timeLeft || band(f) > 0 else { continue }
                    ps.append(rate[band(f)])
                    if incentiveOnly(o) { hits.append(o) }
                }
                let sv = Significance.surprise(Significance.logPoissonBinomialTail(hits.count, ps))
                codeLife.append((v, sv, hits, ps.count))
                debugLog?(String(format: "dealrings code %@: %d takers counted, %d with nothing but the incentive (expected %.1f): surprise %.1f", t.coupons.string(v), ps.count, hits.count, ps.reduce(0, +), sv))
            }
        }
        // What a narrow new-user code's takers share besides the code (deal39, with `referralCodes`;
        // review39b mended in deal40, review40b in deal41): a referral ring's accounts sit on its
        // operator's infrastructure and exist for the code, a promotion's takers are on their own.
        // - **Networks in common** (the code's sign, which must pass the unit's bar alone): the
        //   code's *spent* takers — every order with a coupon, and a footprint among the thinnest
        //   quarter of takers or all of it within a day (review40b N1/N2: a staff code's, a resort's or
        //   a host's friends' accounts exist because of the code too, but live on) — meeting on a /24
        //   (/48) block *of their own*: they are at least half of the block's accounts (distinct
        //   accounts, one that only opened too, N8). A campus, an office building or a carrier holds a
        //   code's takers among many others; a ring's proxy holds the ring. Takers sharing a delivery
        //   address count as one home. Each such block is tested: the homes on it beyond the first
        //   against a binomial tail over the code's other homes at the block's share of the store's
        //   accounts (its size fixed before looking: every account seen there, the code's too, less
        //   the first home's, N5) or the store's own join rate when larger — how often a home of the
        //   store's *other* codes joins another on a block of their own (pooled over the codes, each
        //   code's homes beyond the first on its largest such block over its homes less one; the
        //   quarter joining most left out; at least three codes, N4) — less log10 of the blocks the
        //   code's homes are on. The strongest block is the sign; the takers on every block that passes
        //   are the code's members.
        // - **Abroad in one country** (only adds to the network sign, never passes alone: a hotel's,
        //   a tour's or a diaspora's code has its takers abroad in one country, review39b F3): the
        //   code's takers whose network country (the country most of their events came from) is not
        //   the account's own, in the one country most of them are, when that is at least half of the
        //   code's takers — at the store's rate of takers abroad in that country among the takers
        //   linked by no code, less log10 of the network countries the store's takers show.
        var codeInfra: [Int32: (surprise: Double, takers: Set<Int32>, abroadS: Double, abroad: Set<Int32>, all: Set<Int32>)] = [:]
        if referralCodes && codeOwners.contains(where: { narrowNewUser.contains($0.0) }) {
            func mainCountry(_ a: Int32) -> Int32 {
                var seen: [Int32: Int] = [:]
                for e in t.events(of: Int(a)) where t.country[Int(e)] >= 0 { seen[t.country[Int(e)], default: 0] += 1 }
                return seen.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? -1
            }
            func abroad(_ a: Int32) -> Int32? {
                let h = Int(a) < t.homeCountry.count ? t.homeCountry[Int(a)] : -1
                let c = mainCountry(a)
                return h >= 0 && c >= 0 && c != h ? c : nil
            }
            var abroadIn: [Int32: Int] = [:]
            var netCountries = Set<Int32>()
            for a in notByCode { if let c = abroad(a) { abroadIn[c, default: 0] += 1 } }
            for a in takers { let c = mainCountry(a); if c >= 0 { netCountries.insert(c) } }
            // Distinct accounts per block (review39b F7: summed over the block's IPs, a ring account
            // rotating over its proxy's IPs counted once per IP), every account seen there — one that
            // only opened too (review40b N8: colleagues who opened an account and did nothing else are
            // still the office's people, and count against the block being the takers' own; a block
            // only such accounts used holds no taker and is left out).
            var blockOfIP = [Int32](repeating: -1, count: t.ips.count)
            for v in 0..<t.ips.count { blockOfIP[v] = blockIDs[ScalperDetector.block(t.ips.string(Int32(v)))] ?? -1 }
            var blockAccounts = [Int](repeating: 0, count: blockIDs.count), blockLast = [Int32](repeating: -1, count: blockIDs.count)
            for a in 0..<na {
                let ev = t.events(of: a)
                for e32 in ev where t.ip[Int(e32)] >= 0 {
                    let b = blockOfIP[Int(t.ip[Int(e32)])]
                    if b >= 0 && blockLast[Int(b)] != Int32(a) { blockLast[Int(b)] = Int32(a); blockAccounts[Int(b)] += 1 }
                }
                if a & 0x3FFF == 0 { try cancel.check() }
            }
            // Each taker's blocks (/24, /48; an IP lies in its block) and delivery addresses.
            func blocks(_ a: Int32) -> Set<Int32> {
                var s = Set<Int32>()
                for e in t.events(of: Int(a)) where t.ip[Int(e)] >= 0 { let b = blockOfIP[Int(t.ip[Int(e)])]; if b >= 0 { s.insert(b) } }
                return s
            }
            func addresses(_ a: Int32) -> Set<Int32> {
                Set(t.events(of: Int(a)).map { t.address[Int($0)] }.filter { $0 >= 0 })
            }
            // A code's spent takers met on blocks of their own (above): the homes, the largest block's
            // homes beyond the first (for the store's join rate), the sign and its members. Only
            // spent takers meet (deal41, review40b N1/N2: each member needs evidence of its own; a
            // staff, a resort's or a host's friends' accounts exist because of the code but live on —
            // come back, browse, pay full price — where a ring's accounts are sign-up, coupon, gone).
            func spent(_ a: Int32) -> Bool {
                guard thin(a) else { return false }
                if t.events(of: Int(a)).count <= thinFoot { return true }
                let ts = t.events(of: Int(a)).map { t.ts[Int($0)] }
                return (ts.max() ?? 0) - (ts.min() ?? 0) <= 24 * 3_600_000
            }
            func meetings(_ all: [Int32], rate: Double = 0) -> (homes: Int, join: Int, surprise: Double, sharers: [Int32]) {
                let owners = ablate.contains("lives") ? all : all.filter(spent)
                let n = owners.count
                guard n >= 2 else { return (n, 0, 0, []) }
                var home = DisjointSet(n)
                var byAddress: [Int32: Int32] = [:]
                for (i, a) in owners.enumerated() {
                    for ad in addresses(a).sorted() { if let j = byAddress[ad] { home.union(j, Int32(i)) } else { byAddress[ad] = Int32(i) } }
                }
                let nb = owners.map(blocks)
                var onBlock: [Int32: Int] = [:]
                for bs in nb { for b in bs { onBlock[b, default: 0] += 1 } }
                func own(_ b: Int32) -> Bool { ablate.contains("own") || 2 * (onBlock[b] ?? 0) >= blockAccounts[Int(b)] }
                var meet = DisjointSet(n)
                var firstOn: [Int32: Int32] = [:]
                var homesOn: [Int32: Set<Int32>] = [:]
                for i in 0..<n {
                    let h = home.find(Int32(i))
                    for b in nb[i] { homesOn[b, default: []].insert(h) }
                    for b in nb[i].sorted() where (onBlock[b] ?? 0) >= 2 && own(b) {
                        if let j = firstOn[b] { meet.union(j, h) } else { firstOn[b] = h }
                    }
                }
                var clusterHomes: [Int32: Set<Int32>] = [:]
                var roots = Set<Int32>()
                for i in 0..<n {
                    let h = home.find(Int32(i))
                    roots.insert(h)
                    clusterHomes[meet.find(h), default: []].insert(h)
                }
                // Each block of their own that two or more homes meet on: the homes beyond the first
                // there against a binomial tail at the block's share of the store (review40b N5: its
                // size fixed before looking — every account seen there, the code's takers too, less
                // the first home's), or the store's own rate when larger; less log10 of the blocks
                // the code's homes are on (each could have been the one). The strongest block is the
                // code's sign, and the takers on every block that passes are its members.
                let hN = roots.count, tested = log10(Double(max(1, homesOn.count)))
                var best = 0.0, sharers = Set<Int32>(), join = 0
                for (b, hs) in homesOn.sorted(by: { $0.key < $1.key }) where hs.count >= 2 && own(b) {
                    join = max(join, hs.count - 1)
                    let size = ablate.contains("null") ? 0 : blockAccounts[Int(b)] - 1
                    let p = min(1, max((Double(size) + 0.5) / Double(max(1, na - 1)), rate))
                    let sb = Significance.surprise(Significance.logBinomialTail(hs.count - 1, hN - 1, p)) - tested
                    guard sb > 0 else { continue }
                    best = max(best, sb)
                    for i in 0..<n where nb[i].contains(b) { sharers.insert(owners[i]) }
                }
                return (hN, join, best, sharers.sorted())
            }
            // The store's other rare codes (every code linking ≥ 3 takers, new-user or not): each one's
            // collisions over its pairs of homes, the same way.
            var met: [Int32: (homes: Int, join: Int, surprise: Double, sharers: [Int32])] = [:]
            for (v, owners) in codeOwners where owners.count >= 3 { met[v] = meetings(owners) }
            for (v, owners) in codeOwners where narrowNewUser.contains(v) {
                guard let m0 = met[v], m0.homes >= 3 else { continue }
                let n = owners.count
                // The store's own rate (review40b N4): how often, in the store's other codes, a home
                // joins another on a block of their own — pooled, each code's homes beyond the first on
                // its largest such block over its homes less one (a code of two or three homes weighs
                // by its homes, not as a rate of 0 or 1), the quarter of codes joining most left out
                // (the store's other rings), and only when at least three codes remain (otherwise the
                // block's share of the store alone).
                let rest = met.filter { $0.key != v && $0.value.homes >= 2 }
                    .map { (x: Double($0.value.join), pairs: Double($0.value.homes - 1), v: $0.key) }
                    .sorted { ($0.x / $0.pairs, $0.v) < ($1.x / $1.pairs, $1.v) }
                let kept = rest.prefix(rest.count - rest.count / 4)
                let keptPairs = kept.reduce(0) { $0 + $1.pairs }
                let storeRate = !ablate.contains("storeRate") && kept.count >= 3 && keptPairs > 0 ? kept.reduce(0) { $0 + $1.x } / keptPairs : 0
                let m = storeRate > 0 ? meetings(owners, rate: storeRate) : m0
                let netS = m.surprise
                var byCountry: [Int32: [Int32]] = [:]
                for a in owners { if let c = abroad(a) { byCountry[c, default: []].append(a) } }
                var ctryS = 0.0, ctryM: [Int32] = []
                if let (c, mm) = byCountry.max(by: { ($0.value.count, $1.key) < ($1.value.count, $0.key) }), mm.count >= 2, 2 * mm.count >= n {
                    let p = Significance.shrunkRate(hits: abroadIn[c] ?? 0, of: notByCode.count, prior: 0.5, weight: 2)
                    ctryS = max(0, Significance.surprise(Significance.logBinomialTail(mm.count, n, p)) - log10(Double(max(1, netCountries.count))))
                    ctryM = mm
                }
                debugLog?(String(format: "dealrings code %@: takers %d spent homes %d, meeting on blocks of their own %d (largest block joined by %d, store rate %.4f over %d codes: %.2f), abroad in one country %d (adds %.2f)",
                                 t.coupons.string(v), n, m.homes, m.sharers.count, m.join, storeRate, kept.count, netS, ctryM.count, ctryS))
                if netS > 0 && m.sharers.count >= 2 { codeInfra[v] = (netS, Set(m.sharers), ctryS, Set(ctryM), Set(owners)) }
            }
        }
        if let debugLog {
            for (v, owners) in codeOwners where codeScan[v] != nil {
                debugLog(String(format: "dealrings bunch code %@: accounts %d, incentive takers %d, best bunch %.2f%@", t.coupons.string(v),
                                Int(count[offsets[5] + Int(v)]), owners.count, codeScan[v]!.map(\.surprise).max() ?? 0,
                                Int(count[offsets[5] + Int(v)]) > owners.count ? " (a place's code: established accounts took it too)" : ""))
            }
            debugLog(String(format: "dealrings: takers %d linked %d units %d bar %.2f; rates equip %.3f addr %.3f codes bunched %d mailbox %.3f aged %.3f thin %.3f close %.4f apart %.3f co %.3f private %.3f thin life %.3f",
                            takers.count, linked.count, units.count, bar, pEquip, pAddr, codeScan.count, pMailbox, pAged, pThin, qClose, pApart, pCo, pPrivate, pThinLife))
        }
        // A code of the takers' own (deal42): every account that took it took it as a new-user incentive.
        // A place's code — a staff code, a club's or a school evening's, a family-and-friends code, a
        // public flash code — is also taken by the place's *established* accounts (the host, staff and
        // parents who already shopped here, taking it weeks into their lives), and its newcomers came
        // because the place handed it round, so their sign-ups bunch at the place's hour as a ring's
        // do. A ring's code is taken only by the accounts opened for it. An established account on the
        // code takes its bunch out of the evidence (the code still links; its takers' other signs count).
        // A narrow new-user code (with `referralCodes`) makes every account that took it a taker: there an
        // established account is one over 30 days old when it took the code (the cut of "a new-user coupon
        // on an account over 30 days old"), and the guard holds for the code's own sign (its takers meeting
        // on blocks of their own) as well as for its bunch.
        // (review42 #3) Not any account that is no taker: a ring seeds its code with an idle account a
        // week old redeeming it. An established account is one opened 30 days or more before the code's
        // first use by anyone (the store's new-user window: it was no newcomer when the code came
        // round), with a life in the store beyond the code (an event that is not its use of the code,
        // its sign-up or a payment),
        // sharing no device, card, address or mailbox with the code's takers (a place's regulars use
        // their own; its network they do share, so a block is no bar).
        let codeAccounts = Dictionary(uniqueKeysWithValues: codeOwners.map { ($0.0, $0.1.count) })
        var placeCode = Set<Int32>()
        if placeCodes {
            let open = Set(codeOwners.filter { !narrowNewUser.contains($0.0) && Int(count[offsets[5] + Int($0.0)]) > $0.1.count }.map(\.0))
            if !open.isEmpty {
                var firstUse: [Int32: Int64] = [:], users: [Int32: Set<Int32>] = [:]
                for e in 0..<t.count where t.coupon[e] >= 0 && open.contains(t.coupon[e]) {
                    let v = t.coupon[e], a = t.account[e]
                    firstUse[v] = min(firstUse[v] ?? Int64.max, t.ts[e])
                    if a >= 0 && !isTaker[Int(a)] { users[v, default: []].insert(a) }
                }
                // (Any shared mailbox ties, whether or not it links takers: an account on the takers' own
                // mailbox is no outsider vouching for the code, review s50.)
                func mailbox(_ a: Int32) -> UInt64? { Int(a) < t.email.count ? Mailbox.normalise(t.email[Int(a)]).map(Mailbox.key) : nil }
                for (v, owners) in codeOwners where open.contains(v) {
                    guard let first = firstUse[v], let cands = users[v] else { continue }
                    var equipment = Set<UInt64>(), boxes = Set<UInt64>()
                    for o in owners {
                        for e in t.events(of: Int(o)).map(Int.init) {
                            if t.device[e] >= 0 { equipment.insert(key(0, t.device[e])) }
                            if t.payment[e] >= 0 { equipment.insert(key(1, t.payment[e])) }
                            if t.address[e] >= 0 { equipment.insert(key(2, t.address[e])) }
                        }
                        if let m = mailbox(o) { boxes.insert(m) }
                    }
                    let established = cands.contains { a in
                        guard let age = t.ageDays(Int(a), at: first), age >= 30 else { return false }
                        var life = false
                        for e in t.events(of: Int(a)).map(Int.init) {
                            if (t.device[e] >= 0 && equipment.contains(key(0, t.device[e]))) || (t.payment[e] >= 0 && equipment.contains(key(1, t.payment[e])))
                                || (t.address[e] >= 0 && equipment.contains(key(2, t.address[e]))) { return false }
                            // Its own doing: not the code's use, nor opening the account or paying.
                            if t.coupon[e] != v && t.kind[e] != .payment && t.kind[e] != .signup { life = true }
                        }
                        if let m = mailbox(a), boxes.contains(m) { return false }
                        return life
                    }
                    if established { placeCode.insert(v) }
                    debugLog?(String(format: "dealrings code %@: %d takers, %d other accounts, %@", t.coupons.string(v), owners.count, cands.count,
                                     established ? "a place's code (an established account took it)" : "no established account (opened <30 days before its first use, no life beyond it, or on its takers' equipment or mailbox)"))
                }
            }
        }
        func ownCode(_ v: Int32) -> Bool {
            guard placeCodes, codeAccounts[v] != nil else { return true }
            if narrowNewUser.contains(v) { return (agedOn[v] ?? []).isEmpty }
            return !placeCode.contains(v)
        }
        // (hh44) The store's homes: delivery addresses that link two or more takers — a home of h takers
        // is one the store's households make expected while homes · r^(h−2) ≥ 1, a geometric tail whose
        // ratio r is fitted where households are: homes of exactly three against homes of exactly two
        // (review44: over every home of three or more, rings of five on drops of their own raised r until
        // they cleared each other).
        // A delivery address as a home: its takers and all its accounts, when it links two takers or more.
        func home(_ v: Int32) -> (takers: Int, accounts: Int)? {
            guard let tk = takerLists[key(2, v)]?.count, tk >= 2 else { return nil }
            let all = Int(count[offsets[2] + Int(v)])
            return bound.links(2, v, accounts: all) ? (tk, all) : nil
        }
        var homeScale = (homes: 0.0, r: 0.0)
        if households {
            var n = 0, two = 0, three = 0
            for k in takerLists.keys where k >> 32 == 2 {
                guard let x = home(Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)) else { continue }
                n += 1
                if x.takers == 2 { two += 1 } else if x.takers == 3 { three += 1 }
            }
            homeScale = (Double(n), (Double(three) + 0.5) / (Double(two) + 1))
            debugLog?(String(format: "dealrings homes: %d addresses with 2+ takers, %d of two, %d of three: r %.3f", n, two, three, homeScale.r))
        }
        var rings: [Ring] = []
        for members in tested {
            let k = members.count
            func sOf(_ hits: Int, _ n: Int, _ p: Double) -> Double {
                hits <= 0 || n <= 0 ? 0 : Significance.surprise(Significance.logBinomialTail(hits, n, p))
            }
            func s(_ hits: Int, _ p: Double) -> Double { sOf(hits, k, p) }
            let equip = members.filter { sharesEquip[Int($0)] }.count
            let apartN = members.filter(apart).count
            let addr = members.filter { sharesAddr[Int($0)] }.count
            // The unit's codes: the strongest bunch of sign-ups among them (less log10 of the codes).
            var unitCodes = Set<Int32>()
            for m in members { for (kind, v) in linkIDs[m] ?? [] where kind == 5 { unitCodes.insert(v) } }
            // The bunch is all a code shows, so it must pass the bar on its own (thinness and the
            // plain "close in time" add to it, never make it); its members are those of every window
            // of the code that passes the bar (one window of an hour can be the strongest while the
            // ring's sign-ups ran over two).
            let codeBar = bar + log10(Double(max(1, unitCodes.count)))
            // A code's takers whose whole life was the incentive (deal38, only with `referralCodes`):
            // the code's own sign. A narrow new-user code (one that links only with `referralCodes`)
            // needs it before its bunch counts — a flash promotion bunches as a ring does (review37);
            // the bunch of any other rare code counts on its own as before.
            // deal39: the code's takers' infrastructure in common is the code's own sign; since deal40
            // only their meeting on blocks of their own passes the bar alone, and "abroad in one
            // country", their incentive-only lives and a narrow new-user code's bunch only add to it.
            var infraS = 0.0, infra = Set<Int32>(), infraWhat = "on blocks of its takers' own"
            // (Every code of the unit whose sign passes: its takers meeting are the code's members; its
            // takers abroad in its country add, and are members only with a life that is the
            // incentive as well — review40b N2: a resort's guests are all abroad.)
            var passing = Set<Int32>(), passingTakers = Set<Int32>(), abroadM = Set<Int32>()
            for v in unitCodes.sorted() {
                guard let x = codeInfra[v], x.surprise >= codeBar, ownCode(v) else { continue }
                passing.insert(v)
                passingTakers.formUnion(x.all.intersection(members))
                infra.formUnion(x.takers.intersection(members))
                if x.abroadS > 0 { abroadM.formUnion(x.abroad.intersection(members)) }
                let sv = x.surprise - codeBar + bar + x.abroadS
                if sv > infraS { infraS = sv; infraWhat = x.abroadS > 0 ? "on blocks of its takers' own, most abroad in one country" : "on blocks of its takers' own" }
            }
            if infra.count < 2 { infraS = 0; infra = []; passing = []; passingTakers = []; abroadM = [] }
            var lifeS = 0.0, lives = Set<Int32>()
            if referralCodes && !infra.isEmpty {
                // Over the passing codes' takers only (review40b N6: not every code's of the unit), and
                // only a tail that passes the unit's bar (not 5 %, uncorrected for the units tested)
                // makes the thin takers members and adds.
                let byCode = members.filter { passingTakers.contains($0) }
                let hits = byCode.filter(thinLife)
                lifeS = sOf(hits.count, byCode.count, pThinLife)
                if lifeS >= bar { lives = Set(hits) } else { lifeS = 0 }
            }
            var bunchS = 0.0, bunch = Set<Int32>(), bunchNarrow = false
            // A narrow new-user code's bunch counts only when that code's own sign passed (review40b
            // N2: the unit's sign from another code unlocked a flash promotion's bunch chained in).
            for v in unitCodes.sorted() where (!narrowNewUser.contains(v) || passing.contains(v) || (ablate.contains("perCode") && !infra.isEmpty)) && ownCode(v) {
                guard let ws = codeScan[v], let top = ws.map(\.surprise).max(), top >= codeBar, top - codeBar + bar > bunchS else { continue }
                bunchS = top - codeBar + bar
                bunch = Set(ws.filter { $0.surprise >= codeBar }.flatMap(\.takers)).intersection(members)
                bunchNarrow = narrowNewUser.contains(v)
            }
            let lifeN = lives.count
            let code = bunch.count
            let mailbox = members.filter { sharesMailbox[Int($0)] }.count
            let aged = members.filter { agedWelcome[Int($0)] }.count
            let thinN = members.filter { thin($0) && !lives.contains($0) }.count
            let cr = members.map { t.createdAt[Int($0)] != Int64.min ? t.createdAt[Int($0)] : t.firstSeen[Int($0)] }
            var closeN = 0
            let coN = members.filter(coCreated).count
            // (Members counted as a code's bunch or a sharing mate's batch are not counted again.)
            for i in 0..<k where cr[i] != Int64.min && !coCreated(members[i]) && !(code > 0 && bunch.contains(members[i])) {
                if (0..<k).contains(where: { $0 != i && cr[$0] != Int64.min && abs(cr[$0] - cr[i]) <= window }) { closeN += 1 }
            }
            let pCloseMember = 1 - pow(1 - qClose, Double(k - 1))
            // (A proxy only the code's takers used is counted once: its members showing the network
            // sign are not counted again as "on a network only takers used", review39b F6.)
            let ptN = members.filter { privateThin($0) && !infra.contains($0) }.count
            let infraN = infra.count
            let structural = [equip, addr, code, infraN, mailbox, aged, ptN].max() ?? 0
            guard structural >= 2 else {
                debugLog?("dealring unit \(k) [\(members.prefix(8).map { t.accountID($0) }.joined(separator: " "))]: no sign of sharing on two members")
                continue
            }
            // The members sharing equipment with a taker they do not live with are counted by that
            // sign; the plain "share a device or card" counts the others (among the others).
            let parts: [(String, Int, Double)] = [
                ("share a device or card with a taker shipping elsewhere", apartN, s(apartN, pApart)),
                ("share a device or card", equip - apartN, sOf(equip - apartN, k - apartN, pEquip)),
                ("share a delivery address", addr, s(addr, pAddr)),
                ("share a rare code, signed up in a bunch of its takers", code, code > 0 ? bunchS : 0),
                ("share a rare code, \(infraWhat)", infraN, infraN > 0 ? infraS : 0),
                ("share one mailbox (e-mail aliases)", mailbox, s(mailbox, pMailbox)),
                ("took a new-user coupon on an account over 30 days old", aged, s(aged, pAged)),
                ("signed up within 6 h of a member sharing its device, card or address", coN, s(coN, pCo)),
                ("on a network only incentive takers used, with a footprint among the thinnest quarter", ptN, s(ptN, pPrivate)),
                ("share a rare code, whose whole life was the incentive (sign-up, coupon, gone)", lifeN, lifeN > 0 ? lifeS : 0),
                ("ordered only with coupons", thinN, s(thinN, pThin)),
                // the rest of the members close in time (those counted above are not counted twice)
                ("signed up within 6 h of another member", closeN,
                 sOf(closeN, k - members.filter { coCreated($0) || (code > 0 && bunch.contains($0)) }.count, pCloseMember)),
            ]
            // The signs of sharing and of old accounts must pass on their own (Bonferroni bar);
            // timing and thinness add to them.
            let structuralSurprise = parts.prefix(9).reduce(0) { $0 + $1.2 }
            let surprise = parts.reduce(0) { $0 + $1.2 } - bar
            if let debugLog {
                let detail = parts.filter { $0.1 > 0 }.map { "\($0.0) \($0.1) (\(String(format: "%.2f", $0.2)))" }.joined(separator: "; ")
                debugLog("dealring unit \(k) [\(members.prefix(8).map { t.accountID($0) }.joined(separator: " "))]: \(detail); structural \(String(format: "%.2f", structuralSurprise)), excess \(String(format: "%.2f", surprise)): \(surprise >= 0 && structuralSurprise >= bar - 1 ? "ring" : "not")")
            }
            guard surprise >= 0, structuralSurprise >= bar - 1 else { continue }
            // (hh44) What a household shows: takers sharing a home — an address, and a phone, tablet or
            // card of their own at it — and ordering with coupons, with no sign a home does not show
            // (equipment shared with a taker shipping elsewhere, sign-ups together or close in time, an
            // aged account, a network of the takers' own, a code's bunch, infrastructure or lives, one
            // mailbox written many ways — one person's aliases, not a home; review44). The sharing signs
            // are judged against the linked takers, and where carrier networks and campus blocks link
            // most of them (bazaar: 585 of 664 takers linked, 4 % sharing a device or card) two
            // housemates who each took the welcome coupon looked like 1 in 10^3. Such a unit is a
            // household when its members with a home sign are *one* home — joined by devices, cards and
            // addresses alone, not homes chained by a network (review44) — on a delivery address they
            // share, and that home has a life beyond its takers (an account that is not one of them
            // orders to the address) or holds two of them (a home of two new accounts is the store's
            // most common household, and two is the least a ring has); either only while the store's
            // homes make a home of that many takers expected (homes · r^(h−2) ≥ 1, r fitted on the
            // homes of exactly two and three takers, so larger rings do not set it; review44). A ring
            // shows more: a drop address of its own with three or more takers, more takers on one home
            // than the store's households hold, several homes, or any of the signs above.
            if households {
                let homeOnly = apartN == 0 && coN == 0 && code == 0 && infraN == 0 && lifeN == 0 && ptN == 0 && closeN == 0 && aged == 0 && mailbox == 0
                let homeMembers = members.filter { sharesEquip[Int($0)] || sharesAddr[Int($0)] }
                if homeOnly, !homeMembers.isEmpty, Set(homeMembers.map { strong.find($0) }).count == 1 {
                    // The home's addresses: every delivery address of its members that links two or more
                    // takers (read from the events, not the capped link list; review44).
                    var life = false, h = 0
                    var seen = Set<Int32>()
                    for m in homeMembers {
                        for e32 in t.events(of: Int(m)) {
                            let v = t.address[Int(e32)]
                            guard v >= 0, seen.insert(v).inserted, let x = home(v), ownPlace(x.takers, of: x.accounts) else { continue }
                            h = max(h, x.takers)
                            if x.accounts > x.takers { life = true }
                        }
                    }
                    let expected = homeScale.homes * pow(homeScale.r, Double(max(0, h - 2)))
                    if h >= 2 && expected >= 1 && (life || h <= 2) {
                        debugLog?(String(format: "dealring unit %d: a household (%@; %d takers on one home, %.1f such homes expected here; nothing a home does not show) [%@]",
                                         k, life ? "its home has accounts beyond its takers" : "a pair's home", h, expected, members.map { t.accountID($0) }.joined(separator: " ")))
                        continue
                    }
                }
            }
            // A unit that is a ring only by a narrow new-user code's sign (deal40): without the code's
            // parts (its takers on blocks of their own, their lives, its bunch) it would not pass. Then
            // only the code's members are reported: the unit's other members are linked to them by a
            // carrier block or a household's own sharing, evidence of nothing on its own (bazaar 4300:
            // five honest household members chained to a referral ring were reported with it).
            var codeOnly = false
            if !infra.isEmpty {
                let ptAll = members.filter(privateThin).count
                let codeParts: Set<Int> = bunchNarrow ? [3, 4, 8, 9] : [4, 8, 9]
                let rest = parts.enumerated().filter { !codeParts.contains($0.offset) }.map(\.element.2)
                let restStructural = parts.prefix(9).enumerated().filter { !codeParts.contains($0.offset) }.reduce(0) { $0 + $1.element.2 } + s(ptAll, pPrivate)
                let restSurprise = rest.reduce(0, +) + s(ptAll, pPrivate) - bar
                let restN = [equip, addr, bunchNarrow ? 0 : code, mailbox, aged, ptAll].max() ?? 0
                codeOnly = !(restN >= 2 && restSurprise >= 0 && restStructural >= bar - 1)
                if codeOnly { debugLog?("dealring unit \(k): a ring by its code's sign alone, only the code's members reported") }
            }
            // Reported: the members that show a sign of sharing or an old account themselves (a
            // ring's block also holds ordinary newcomers, who are linked but show none).
            // A member on the very IP of a member that signed up with a sharing mate, within 6 h of
            // it, is of that night's batch too.
            let batch = members.filter(coCreated)
            // (Only an IP that links (LinkBound): on a carrier or campus address, hundreds
            // of accounts, newcomers open accounts within hours of each other all day.)
            func ipsOf(_ a: Int32) -> Set<Int32> {
                Set((linkIDs[a] ?? []).filter { $0.0 == 3 && bound.links(LinkBound.ip, $0.1, accounts: Int(ipAll[Int($0.1)])) }.map(\.1))
            }
            let batchIPs = batch.map { (createdOf($0), ipsOf($0)) }
            // An old account's welcome coupon marks a member only where the unit's old-account takers
            // are themselves a ring (their surprise alone passes the bar): in a large unit chained
            // through carrier blocks, the few late first orders a crowd of newcomers holds are
            // ordinary, though a handful of them in one unit is a little rare.
            let agedCounts = s(aged, pAged) >= bar
            func signed(_ m: Int32) -> Bool {
                // (A ring by its code's sign alone: its members meeting on its blocks, and its takers
                // whose life was the incentive that also signed up in its bunch or are abroad in its
                // country — two signs of their own each, review40b N2.)
                if codeOnly && ablate.contains("perCode") { return infra.contains(m) || lives.contains(m) || (code > 0 && bunch.contains(m)) }
                if codeOnly { return infra.contains(m) || (lives.contains(m) && abroadM.contains(m)) }
                return sharesEquip[Int(m)] || sharesAddr[Int(m)] || (code > 0 && bunch.contains(m)) || infra.contains(m) || lives.contains(m) || sharesMailbox[Int(m)] || (agedCounts && agedWelcome[Int(m)]) || privateThin(m)
            }
            // An IP only takers used, that a member showing a sign is on, is the ring's own: the
            // others on it whose footprint is no larger than those members' are of the ring too
            // (however many there are); a VPN user who happens on it keeps a life of its own. (Not a
            // block: a neighbour on the same /24 is no one's accomplice.)
            var ringNets: [UInt64: Int] = [:]
            for m in members where signed(m) {
                for n in privateNets[m] ?? [] where n >> 32 == 3 { ringNets[n] = max(ringNets[n] ?? 0, t.events(of: Int(m)).count) }
            }
            let shown = members.filter { m in
                if signed(m) { return true }
                if codeOnly { return false }
                let foot = t.events(of: Int(m)).count
                if (privateNets[m] ?? []).contains(where: { foot <= ringNets[$0] ?? -1 }) { return true }
                let c = createdOf(m), ips = ipsOf(m)
                return c != Int64.min && !ips.isEmpty && batchIPs.contains { abs($0.0 - c) <= window && !$0.1.isDisjoint(with: ips) }
            }
            guard shown.count >= 2 else { continue }
            var shared: [(kind: String, value: String)] = []
            var seen = Set<UInt64>()
            let names = ["device", "payment", "address", "ip", "ip_block", "coupon", "mailbox"]
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
                    case 6: value = Mailbox.shown(v)
                    default: value = t.coupons.string(v)
                    }
                    shared.append((names[kind], value))
                }
            }
            rings.append(Ring(members: shown, size: k, surprise: surprise, signs: parts.filter { $0.1 > 0 }.map { ($0.0, $0.1) },
                              shared: shared, events: Dictionary(uniqueKeysWithValues: members.map { ($0, incentiveEvents[$0] ?? []) })))
        }
        // (s45) A narrow code whose takers did nothing but the incentive, beyond the time they had: a ring
        // of those takers, past the rings' bar plus log10 of the codes tested.
        let livesBar = bar + log10(Double(max(1, codeLife.count)))
        // (They must be most of the code's counted takers: a promotion's few one-time takers among many who
        // live on are no ring, however rare one-timers are among the store's newcomers.)
        for x in codeLife where x.surprise >= livesBar && x.takers.count >= 2 && 2 * x.takers.count > x.counted {
            let what = "share a rare code, and did nothing in the store but the incentive, beyond newcomers with the time they had"
            debugLog?(String(format: "dealring code %@: %d takers did nothing but the incentive (surprise %.1f, bar %.1f): ring", t.coupons.string(x.code), x.takers.count, x.surprise, livesBar))
            rings.append(Ring(members: x.takers, size: takerLists[key(5, x.code)]?.count ?? x.takers.count, surprise: x.surprise - livesBar,
                              signs: [(what, x.takers.count)], shared: [("coupon", t.coupons.string(x.code))],
                              events: Dictionary(uniqueKeysWithValues: x.takers.map { ($0, incentiveEvents[$0] ?? []) })))
        }
        return (rings, privateIPs)
    }
}

/// The data's end for "time left": the end of the last day that holds at least a hundredth of the median
/// day's events (one clock-skewed event dated weeks ahead does not move it); nil for no events.
func dataEnd(_ t: EventTable) -> Int64? {
    guard let lo = t.ts.min(), let hi = t.ts.max() else { return nil }
    let day: Int64 = 86_400_000
    let days = Int((hi - lo) / day) + 1
    guard days <= 100_000 else { return hi }
    var perDay = [Int](repeating: 0, count: days), lastOf = [Int64](repeating: Int64.min, count: days)
    for x in t.ts {
        let d = Int((x - lo) / day)
        perDay[d] += 1
        lastOf[d] = max(lastOf[d], x)
    }
    let busy = perDay.filter { $0 > 0 }.sorted()
    let median = busy[busy.count / 2]
    guard let last = perDay.lastIndex(where: { $0 * 100 >= median }) else { return hi }
    return lastOf[last]
}

/// The first index of `xs` (sorted) holding a value ≥ `x`.
private func lowerBound(_ xs: [Int64], _ x: Int64) -> Int {
    var lo = 0, hi = xs.count
    while lo < hi { let mid = (lo + hi) / 2; if xs[mid] < x { lo = mid + 1 } else { hi = mid } }
    return lo
}
