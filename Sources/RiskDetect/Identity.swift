import Foundation

/// Account integrity, multi-accounting and incentive abuse. An identity graph links accounts
/// that used the same device, payment instrument or shipping address; an identifier used by
/// very many accounts (a carrier NAT, a shared kiosk, a marketplace pickup point) links
/// nothing. Clusters are judged by what their members do together: a new-user coupon taken
/// again and again, sign-ups in a burst, look-alike e-mail addresses, accounts that exist
/// for one discounted order. A family sharing a tablet and a card does none of that.
public struct IdentityDetector: Detector {
    public let name = "identity"
    public var debugLog: (@Sendable (String) -> Void)?
    /// DealRings' places link only takers that are at least half their accounts (held23; off by
    /// default, docs/detection.md "Only places of the takers' own link").
    var ringPlacesOwnOnly = false
    /// DealRings links takers by a new-user code narrower than the store's public welcome codes
    /// (deal36). Off by default. From m36b to session 40 it stayed off: thirty unrelated
    /// newcomers taking a small public promotion were read as a ring — first because sharing the code
    /// counted as its evidence (deal37 mended that), then because a flash promotion bunches its
    /// sign-ups as a ring does (review37), then because the takers' incentive-only lives (deal38) are
    /// as thin in a promotion of one-time users as in a ring; deal39's own sign (a network in common,
    /// or one foreign country) read codes passed round a campus, a dorm or an office, and a
    /// destination's promotion, as rings (review39b); deal40's random-sample null read a staff code on
    /// the office's own /24, a resort's code at the hotel and friends on the host's network as rings
    /// (review40b). Since deal41 only the code's *spent* takers (every order with a coupon, a thin or
    /// one-day life) meet, each block of their own is tested at its size fixed before looking or the
    /// store's pooled join rate, and a ring by the code alone reports only members with evidence of
    /// their own (DealRings.swift, docs/detection.md "A narrow new-user code"; benchmarks.md, deal41).
    /// It stays off: on the look-alike bazaar worlds (bazl) the staff, resort, friends and club codes'
    /// one-time users meet on their places' blocks as a ring's accounts meet on its proxy, and the rule
    /// puts two to three times main's number of them into the top K. Off: every new-user code is kept
    /// out of the links.
    public var ringReferralCodes = false
    /// DealRings: a narrow new-user code is judged by its takers' lives against the time each had in the data:
    /// a ring of its takers that did nothing but the incentive when that is beyond the store's newcomers with
    /// as much time left (s45; DealRings.codeLives; docs/detection.md "A narrow code's takers' lives"). On by
    /// default (`detect --no-sign code-lives` for the rule before): on every bazaar set it raised P@K and
    /// deal-hunter recall (referral rings on networks of their own), and no look-alike tag rose.
    public var ringCodeLives = true
    /// DealRings: a code's bunch (and, with `ringReferralCodes`, a narrow code's own sign) counts only for a
    /// code no established account took (deal42; DealRings.placeCodes; docs/detection.md "deal42"). On by
    /// default (`detect --no-sign place-codes` for the rule before): on the look-alike worlds it takes the
    /// staff, friends, club and flash codes' people out of the top K and reports no fewer rings; the
    /// accounts that take the freed places were just below K with unchanged scores, and no look-alike
    /// tag moves past fraud (r75, docs/robustness.md).
    public var ringPlaceCodes = true
    /// DealRings: a unit showing nothing a home does not show, one home on an address its members share, is a
    /// household when another account orders there or it holds two takers, while the store's homes make that
    /// many takers on one home expected (hh44, mended per review44; DealRings.households; docs/detection.md
    /// "Households are not rings"). On by default (`detect --no-sign households` for the rule before).
    public var ringHouseholds = true
    /// s50: a mailbox written one way only links only where the store seldom repeats an address on
    /// several accounts (DealRings.mailboxSpellings; docs/detection.md "One mailbox written many ways").
    /// On by default (`detect --no-sign mailbox-spellings` for the rule before).
    public var ringMailboxSpellings = true
    /// DealRings' narrow-code guards left out (tests only, deal41; DealRings.ablate).
    var referralAblate: Set<String> = []
    public init(debugLog: (@Sendable (String) -> Void)? = nil) { self.debugLog = debugLog }

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        let na = t.accountCount
        // Account–identifier pairs, deduplicated; identifier namespaces offset into one id space.
        let packed = PackedIdentifiers(t, order: [LinkBound.device, LinkBound.payment, LinkBound.address])
        // Each account's identifiers once (an account repeats its device on every event: one
        // entry per event was ~an event's worth of UInt64s at 10M events; mem34).
        var pairs: [UInt64] = []
        var own: [UInt64] = []
        for a32 in 0..<na {
            own.removeAll(keepingCapacity: true)
            let a = UInt64(UInt32(a32))
            for e32 in t.events(of: a32) {
                let e = Int(e32)
                if t.device[e] >= 0 { own.append(packed.pack(LinkBound.device, t.device[e]) << 32 | a) }
                if t.payment[e] >= 0 { own.append(packed.pack(LinkBound.payment, t.payment[e]) << 32 | a) }
                if t.address[e] >= 0 { own.append(packed.pack(LinkBound.address, t.address[e]) << 32 | a) }
            }
            own.sort()
            for (k, p) in own.enumerated() where k == 0 || p != own[k - 1] { pairs.append(p) }
        }
        try cancel.check()
        pairs.sort()
        var ds = DisjointSet(na)
        var linkIDs: [Int32: [UInt64]] = [:]       // account → identifiers that link it
        var i = 0
        while i < pairs.count {
            let id = pairs[i] >> 32
            var j = i
            var owners: [Int32] = []
            while j < pairs.count && pairs[j] >> 32 == id {
                if j == i || pairs[j] != pairs[j - 1] { owners.append(Int32(truncatingIfNeeded: pairs[j] & 0xFFFF_FFFF)) }
                j += 1
            }
            if owners.count >= 2 && packed.links(id, accounts: owners.count) {  // a public place links nothing (LinkBound.swift)
                for o in owners { ds.union(owners[0], o); linkIDs[o, default: []].append(id) }
            }
            i = j
        }
        try cancel.check()
        let newUser = newUserCoupons(t)
        // The incentive a cluster of fresh accounts is after: a new-user coupon, or any coupon
        // taken in the account's first week (welcome codes are often one per account). How
        // common that is in this store is the bar.
        let (incentive, incentiveRate) = firstWeekCoupons(t, newUser: newUser)
        var comps: [Int32: [Int32]] = [:]
        for a in linkIDs.keys { comps[ds.find(a), default: []].append(a) }
        var findings: [Finding] = []
        var no = 0
        let clusterCount = comps.values.filter { $0.count >= 3 }.count
        // Every account's opening time, sorted: the store's own density of sign-ups, against
        // which a cluster's burst is judged.
        var allCreated: [Int64] = []
        for a in 0..<na {
            let c = t.createdAt[a] != Int64.min ? t.createdAt[a] : t.firstSeen[a]
            if c != Int64.min { allCreated.append(c) }
        }
        allCreated.sort()
        for members in comps.values.map({ $0.sorted() }).sorted(by: { ($0.count, $1[0]) > ($1.count, $0[0]) }) where members.count >= 3 {
            // What the members did.
            var couponUsers = 0
            var couponEvents: [Int32: [Int64]] = [:]
            var created: [Int64] = []
            var activeDays: [Int32: Int] = [:]
            for a in members {
                var days = Set<Int64>()
                for e32 in t.events(of: Int(a)) {
                    let e = Int(e32)
                    days.insert(t.ts[e] / 86_400_000)
                    if t.coupon[e] >= 0 && (t.kind[e] == .couponRedeem || t.kind[e] == .order)
                        && (newUser.contains(t.coupon[e]) || incentive.contains(Int32(e))) {
                        couponEvents[a, default: []].append(t.rowid[e])
                    }
                }
                if couponEvents[a] != nil { couponUsers += 1 }
                activeDays[a] = days.count
                let c = t.createdAt[Int(a)] != Int64.min ? t.createdAt[Int(a)] : t.firstSeen[Int(a)]
                if c != Int64.min { created.append(c) }
            }
            let n = Double(members.count)
            let couponFrac = Double(couponUsers) / n
            created.sort()
            let burst = Double(Self.largestWithin(created, 72 * 3_600_000)) / n
            let emailSim = Self.emailLookalike(members.map { t.email[Int($0)] })
            let thin = Double(members.filter { (activeDays[$0] ?? 0) <= 3 }.count) / n
            let sizeF = Stat.ramp(n, 2, 4)
            // Incentive abuse needs the incentive; a burst of thin look-alike accounts is
            // multi-accounting even without it.
            let deal = sizeF * (0.45 * Stat.ramp(couponFrac, 0.3, 0.8) + 0.3 * Stat.ramp(burst, 0.4, 0.9)
                                + 0.15 * emailSim + 0.1 * thin)
            let multi = Stat.ramp(n, 5, 12) * (0.4 + 0.3 * Stat.ramp(burst, 0.4, 0.9) + 0.3 * thin) * 0.6
            // Judged against the store: this many incentive takers among n accounts, when a
            // share `incentiveRate` of the store's accounts take one (binomial tail, corrected
            // for the clusters tested).
            let surprise = Significance.surprise(Significance.logBinomialTail(couponUsers, members.count, incentiveRate))
                - log10(Double(max(1, clusterCount)))
            let lift = couponFrac / max(incentiveRate, 1e-6)
            let significant = couponUsers >= 2 && surprise >= 2 && lift >= 3
            // Without significance, the older score needs most takers to have come together (three
            // in four within 72 h): a household's members share a card and a tablet and each take
            // the welcome coupon, but open their accounts on their own days. That coming together
            // must itself be rare here: among many households, one whose members happened to open
            // three accounts in three days is expected (the burst's chance, corrected for the
            // clusters tested, as the coupon test is).
            let burstRare = burst >= 0.75
                && Self.burstSurprise(created, allCreated: allCreated) - log10(Double(max(1, clusterCount))) >= 2
            let isDeal = couponFrac >= 0.3 && ((deal >= 0.45 && burstRare) || significant)
            let dealScore = significant ? max(deal, 0.5 + 0.3 * Stat.ramp(surprise, 2, 8) + 0.15 * Stat.ramp(burst, 0.4, 0.9)) : deal
            let score = isDeal ? min(0.95, dealScore) : multi
            guard score >= 0.3 else { continue }
            no += 1
            let group = (isDeal ? "dealhunt-" : "cluster-") + String(no)
            for a in members {
                let ids = (linkIDs[a] ?? []).map(packed.describe)
                let linked = members.filter { $0 != a }.map { t.accountID($0) }.sorted()
                let used = couponEvents[a] ?? []
                let own = isDeal ? (used.isEmpty ? 0.75 : 1.0) : 1.0
                var why: String
                if isDeal {
                    why = "one of \(members.count) accounts linked by shared \(Set(ids.map(\.kind)).sorted().joined(separator: "/")): \(couponUsers) took a new-user coupon"
                } else {
                    why = "one of \(members.count) accounts linked by shared \(Set(ids.map(\.kind)).sorted().joined(separator: "/"))"
                }
                if burst >= 0.5 { why += "; \(Int((burst * 100).rounded()))% signed up within 72 h" }
                if emailSim >= 0.5 { why += "; look-alike e-mail addresses" }
                if thin >= 0.5 { why += "; \(Int((thin * 100).rounded()))% active on 3 days or fewer" }
                findings.append(Finding(account: a, detector: name, riskType: isDeal ? .dealHunter : .multiAccounting,
                                        strength: score * own, reason: why, events: used, linked: Array(linked.prefix(100)),
                                        identifiers: ids, group: group))
            }
        }
        try cancel.check()
        // Rings linked by anything they share (IP, block, code too), judged by the joint rarity
        // of their signs (DealRings.swift); members this pass already reported as deal-hunters keep that.
        let reported = Set(findings.filter { $0.riskType == RiskType.dealHunter.rawValue }.map(\.account))
        let (rings, privateIPs) = try DealRings(debugLog: debugLog, ownPlacesOnly: ringPlacesOwnOnly, mailboxSpellings: ringMailboxSpellings, referralCodes: ringReferralCodes, codeLives: ringCodeLives, ablate: referralAblate, placeCodes: ringPlaceCodes, households: ringHouseholds).find(t, incentive: incentive, newUser: newUser, cancel: cancel)
        // A deal-hunter cluster's own network: the other takers on an IP that only takers used and
        // a member of the cluster is on, whose footprint is no larger than those members', are of
        // the ring too (a ring keeps accounts without a shared card on its proxy; a VPN user on the
        // exit keeps a life of its own and stays out).
        var ipsOf: [Int32: [Int32]] = [:]
        for (ip, owners) in privateIPs { for o in owners { ipsOf[o, default: []].append(ip) } }
        var added = Set<Int32>()
        for f in findings where f.riskType == RiskType.dealHunter.rawValue {
            let foot = t.events(of: Int(f.account)).count
            for ip in (ipsOf[f.account] ?? []).sorted() {
                for x in privateIPs[ip] ?? [] where !reported.contains(x) && !added.contains(x) && t.events(of: Int(x)).count <= foot {
                    added.insert(x)
                    let used = t.events(of: Int(x)).filter { incentive.contains($0) }.map { t.rowid[Int($0)] }
                    findings.append(Finding(account: x, detector: name, riskType: .dealHunter, strength: f.strength * 0.95,
                                            reason: "on IP \(t.ips.string(ip)), which no account but new-user incentive takers used, with \(t.accountID(f.account)) of \(f.group ?? "a deal-hunter cluster"), and no more active than it",
                                            events: used, linked: [t.accountID(f.account)], identifiers: [("ip", t.ips.string(ip))], group: f.group))
                }
            }
        }
        for (r, ring) in rings.enumerated() {
            let k = ring.size
            let strength = min(0.95, 0.5 + 0.3 * Stat.ramp(ring.surprise, 0, 6) + 0.15 * Stat.ramp(Double(ring.members.count), 2, 8))
            let signs = ring.signs.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
            let kinds = Set(ring.shared.map(\.kind)).sorted().joined(separator: "/")
            for a in ring.members where !reported.contains(a) && !added.contains(a) {
                let why = "one of \(k) new-user incentive takers linked by shared \(kinds): \(signs) (chance 1 in 10^\(Int(ring.surprise.rounded())) beyond the rings tested)"
                findings.append(Finding(account: a, detector: name, riskType: .dealHunter, strength: strength, reason: why,
                                        events: ring.events[a] ?? [], linked: ring.members.filter { $0 != a }.map { t.accountID($0) }.sorted().prefix(100).map { $0 },
                                        identifiers: ring.shared, group: "dealring-\(r + 1)"))
            }
        }
        return findings
    }

    /// Coupons taken mostly on an account's first days: a new-user incentive. Behavioural,
    /// not by name: at least 10 redemptions, 70% of them within 7 days of the account's start.
    /// Or, judged against the store: a coupon taken in the account's first week (or first
    /// month) far more often than the *other* coupons' redemptions are (binomial surprise ≥ 2
    /// after correcting for the coupons and windows tested, lift ≥ 3) — a welcome code that
    /// bought or revived old accounts also redeem, or that newcomers take in their second or
    /// third week. The coupon itself is left out of its base rate: a welcome code that makes
    /// up a third of all redemptions would otherwise set its own bar.
    func newUserCoupons(_ t: EventTable) -> Set<Int32> {
        var total: [Int32: Int] = [:], early: [Int32: Int] = [:], month: [Int32: Int] = [:]
        for e in 0..<t.count where t.kind[e] == .couponRedeem && t.coupon[e] >= 0 && t.account[e] >= 0 {
            total[t.coupon[e], default: 0] += 1
            guard let age = t.ageDays(Int(t.account[e]), at: t.ts[e]) else { continue }
            if age <= 7 { early[t.coupon[e], default: 0] += 1 }
            if age <= 30 { month[t.coupon[e], default: 0] += 1 }
        }
        let all = total.values.reduce(0, +), allEarly = early.values.reduce(0, +), allMonth = month.values.reduce(0, +)
        let tested = log10(Double(max(1, 2 * total.values.filter { $0 >= 10 }.count)))
        func young(_ k: Int, _ n: Int, others: Int, of rest: Int) -> Bool {
            let base = Significance.shrunkRate(hits: others, of: rest, prior: 0.5, weight: 2)
            let surprise = Significance.surprise(Significance.logBinomialTail(k, n, base)) - tested
            return surprise >= 2 && Double(k) / Double(n) >= 3 * base
        }
        return Set(total.filter { c, n in
            guard n >= 10 else { return false }
            let k = early[c] ?? 0, m = month[c] ?? 0
            if Double(k) >= 0.7 * Double(n) { return true }
            return young(k, n, others: allEarly - k, of: all - n) || young(m, n, others: allMonth - m, of: all - n)
        }.keys)
    }

    /// Coupon events (redemptions, orders with a coupon) in an account's first 7 days, and the
    /// share of its peers — accounts that started while the log runs — that have one.
    func firstWeekCoupons(_ t: EventTable, newUser: Set<Int32>) -> (Set<Int32>, Double) {
        var events = Set<Int32>()
        var takers = Set<Int32>()
        var accounts = 0, newTakers = 0
        var logStart = Int64.max
        for e in 0..<t.count { logStart = min(logStart, t.ts[e]) }
        for a in 0..<t.accountCount {
            let ev = t.events(of: a)
            if ev.isEmpty { continue }
            let started = t.createdAt[a] != Int64.min ? t.createdAt[a] : t.firstSeen[a]
            let fresh = started != Int64.min && started >= logStart
            if fresh { accounts += 1 }
            let before = takers.count
            for e32 in ev {
                let e = Int(e32)
                guard t.coupon[e] >= 0, t.kind[e] == .couponRedeem || t.kind[e] == .order else { continue }
                if newUser.contains(t.coupon[e]) || (t.ageDays(a, at: t.ts[e]).map { $0 <= 7 } ?? false) {
                    events.insert(Int32(e)); takers.insert(Int32(a))
                }
            }
            if fresh && takers.count > before { newTakers += 1 }
        }
        return (events, Double(newTakers) / Double(max(1, accounts)))
    }

    /// The most timestamps that fit in one window of `width`.
    /// How surprising it is that this many of a cluster's accounts opened within one window
    /// (6 h, 24 h or 72 h), when the store's accounts open at the density they had in that
    /// window: the binomial tail of k of n at the window's share of the store's other accounts,
    /// corrected for the windows of that width the store's span holds and for the three widths
    /// (a scan statistic). `created`: the members' opening times, sorted; `allCreated`: every
    /// account's, sorted.
    static func burstSurprise(_ created: [Int64], allCreated all: [Int64]) -> Double {
        let n = created.count
        guard n >= 2, let first = all.first, let last = all.last else { return 0 }
        let widths: [Int64] = [6, 24, 72].map { $0 * 3_600_000 }
        let others = max(1, all.count - n)
        var best = -Double.infinity
        for w in widths {
            var lo = 0, k = 0, start = created[0]
            for hi in 0..<n {
                while created[hi] - created[lo] > w { lo += 1 }
                if hi - lo + 1 > k { k = hi - lo + 1; start = created[lo] }
            }
            guard k >= 2 else { continue }
            let inWindow = max(1, lowerBound(all, start + w + 1) - lowerBound(all, start) - k)
            let p = min(1, Double(inWindow) / Double(others))
            let windows = max(1, Double(last - first) / Double(w))
            best = max(best, Significance.surprise(Significance.logBinomialTail(k, n, p)) - log10(windows))
        }
        return best == -Double.infinity ? 0 : best - log10(Double(widths.count))
    }

    static func largestWithin(_ sorted: [Int64], _ width: Int64) -> Int {
        var best = 0, lo = 0
        for hi in 0..<sorted.count {
            while sorted[hi] - sorted[lo] > width { lo += 1 }
            best = max(best, hi - lo + 1)
        }
        return best
    }

    /// Share of addresses whose local part's letters begin like another one's (≥ 5 letters),
    /// e.g. annalee123@, anna.lee7@, annalee_x9@.
    static func emailLookalike(_ emails: [String]) -> Double {
        let stems: [String] = emails.map { e in
            let local = e.split(separator: "@").first.map(String.init) ?? ""
            return String(local.lowercased().filter { $0.isLetter }.prefix(8))
        }
        guard stems.count >= 2 else { return 0 }
        var alike = 0
        for (i, s) in stems.enumerated() where s.count >= 5 {
            if stems.enumerated().contains(where: { $0.offset != i && $0.element.count >= 5 && $0.element.commonPrefix(with: s).count >= 5 }) { alike += 1 }
        }
        return Double(alike) / Double(stems.count)
    }
}
