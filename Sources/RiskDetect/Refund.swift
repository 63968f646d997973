import Foundation

/// Refund / return abuse: accounts — often rings sharing shipping addresses, payment
/// instruments or devices — whose orders mostly end in a refund claim, typically "not received".
/// Judged against the store's own refund rate per order, reason by reason: a unit (one
/// account, or a ring joined by shared identifiers) is flagged when its refunds are
/// improbable under that base rate (binomial tail, corrected for the number of units
/// tested) and several times above it. Honest households share addresses and cards too,
/// but their one damaged parcel a year is exactly the base rate.
public struct RefundAbuseDetector: Detector {
    public let name = "refund_abuse"
    /// An identifier used by more accounts than this (a pickup point, a shared office) links nothing.
    /// Required significance after correction, in −log10 (2 = one in a hundred).
    public var minSurprise = 2.0
    /// Required lift of the unit's refund rate over the base rate.
    public var minLift = 4.0
    /// Lone claimants (refund40, RefundKinds.swift): besides the units above, every account with
    /// two claims or more is judged alone — how many claims for its orders against the store's
    /// rate with people differing (beta-binomial), and how rare its claims' reasons are in the mix
    /// of the store's one-off claims — Benjamini–Hochberg over them; those not already flagged get
    /// a finding. On since session 59 (`lone-claimants`; docs/benchmarks.md, "lone59"), after
    /// review40c's and review59's mends: a claim's kind is its reason alone (no part refunded), a
    /// claim is one order however many refund rows, claims of orders before the log are left out,
    /// no claim counts rarer than the account's second-rarest, and a store with few one-off claims
    /// tests nobody.
    public var loneClaimants = true
    /// The lone-claimant test's false-discovery rate.
    public var loneFDR = 0.05
    /// Units judged by Benjamini–Hochberg at the rate `minSurprise` names (1 %) instead of
    /// Bonferroni over them (`refund-fdr`).
    public var unitFDR = false
    /// One account's count of claims judged within the spread between people (beta-binomial at the
    /// store's ρ) rather than at the store's rate alone (`returner-spread`); reasons as before.
    public var returnerSpread = false
    /// Claim scripts (`claim-scripts`, ClaimScripts below): an account not otherwise flagged whose
    /// refund claim is worded (normalised: ClaimScripts.wording) as claims of other accounts that are
    /// nearly all claimants far beyond the store's rate or reported. On since session 63 (docs/benchmarks.md, "scripts63").
    public var claimScripts = true
    public init() {}

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        let na = t.accountCount
        var orders = [Int32](repeating: 0, count: na)
        var refunds = [Int32](repeating: 0, count: na)
        var byReason: [UInt64: Int32] = [:]          // (account, reason) → refunds
        var reasonTotal: [Int32: Int] = [:]
        var totalOrders = 0, totalRefunds = 0
        // With `unitFDR`: a claim whose order id names no order of the account in the log is of an
        // order placed before the log began — its account's other orders then are not in the log
        // either, so the claim says nothing about a rate and is left out.
        var logged = Set<UInt64>()
        let unloggedOut = unitFDR && t.orderKey.count == t.count
        if unloggedOut {
            for e in 0..<t.count where t.account[e] >= 0 && t.kind[e] == .order {
                if let o = t.orderRef(e) { logged.insert(o) }
            }
        }
        for e in 0..<t.count where t.account[e] >= 0 {
            switch t.kind[e] {
            case .order:
                orders[Int(t.account[e])] += 1; totalOrders += 1
            case .refund:
                if unloggedOut, let o = t.orderRef(e), !logged.contains(o) { break }
                refunds[Int(t.account[e])] += 1; totalRefunds += 1
                let r = t.status[e]
                reasonTotal[r, default: 0] += 1
                byReason[UInt64(UInt32(t.account[e])) << 32 | UInt64(UInt32(bitPattern: r)), default: 0] += 1
            default: break
            }
        }
        guard totalRefunds > 0, totalOrders > 0 else { return [] }
        try cancel.check()
        // Refunds a store sees per order, overall and per reason.
        let base = Double(totalRefunds) / Double(max(totalOrders, totalRefunds))
        var reasonRate: [Int32: Double] = [:]
        for (r, n) in reasonTotal { reasonRate[r] = Double(n) / Double(max(totalOrders, totalRefunds)) }

        // Refunders linked by shared addresses, payment instruments and devices (a household
        // shares them too, but its refunds stay at the base rate, which the test below asks).
        let refunders = (0..<na).filter { refunds[$0] > 0 }
        let packed = PackedIdentifiers(t, order: [LinkBound.address, LinkBound.payment, LinkBound.device])
        var pairs: [UInt64] = []
        for a in refunders {
            for e32 in t.events(of: a) {
                let e = Int(e32)
                if t.address[e] >= 0 { pairs.append(packed.pack(LinkBound.address, t.address[e]) << 32 | UInt64(a)) }
                if t.payment[e] >= 0 && (t.kind[e] == .payment || t.kind[e] == .order || t.kind[e] == .refund) {
                    pairs.append(packed.pack(LinkBound.payment, t.payment[e]) << 32 | UInt64(a))
                }
                if t.device[e] >= 0 { pairs.append(packed.pack(LinkBound.device, t.device[e]) << 32 | UInt64(a)) }
            }
        }
        pairs.sort()
        // How many accounts (refunders or not) use each identifier: a hub links nothing.
        var useCount: [UInt64: Int] = [:]
        forEachIdentifierGroup(pairs) { id, owners in
            if owners.count >= 2 { useCount[id] = owners.count }
        }
        if !useCount.isEmpty {
            // Count non-refunding users too, so a pickup point used by hundreds is seen as one.
            var seen = Set<UInt64>()
            for a in 0..<na where refunds[a] == 0 {
                seen.removeAll(keepingCapacity: true)
                for e32 in t.events(of: a) {
                    let e = Int(e32)
                    if t.address[e] >= 0 { seen.insert(packed.pack(LinkBound.address, t.address[e])) }
                    if t.payment[e] >= 0 { seen.insert(packed.pack(LinkBound.payment, t.payment[e])) }
                    if t.device[e] >= 0 { seen.insert(packed.pack(LinkBound.device, t.device[e])) }
                }
                for id in seen where useCount[id] != nil { useCount[id]! += 1 }
            }
        }
        try cancel.check()
        var ds = DisjointSet(na)
        var linkIDs: [Int32: Set<UInt64>] = [:]
        forEachIdentifierGroup(pairs) { id, owners in
            if owners.count >= 2 && packed.links(id, accounts: useCount[id] ?? owners.count) {  // a public place links nothing (LinkBound.swift)
                for o in owners { ds.union(owners[0], o); linkIDs[o, default: []].insert(id) }
            }
        }
        var units: [Int32: [Int32]] = [:]
        for a in refunders { units[ds.find(Int32(a)), default: []].append(Int32(a)) }
        // Each unit's most surprising view — all refunds, or one reason's — corrected for the views
        // it had (the store's reasons and "all").
        let views = log10(Double(reasonTotal.count + 1))
        typealias View = (surprise: Double, reason: Int32, k: Int, rate: Double)
        let unitList = units.values.map { $0.sorted() }.sorted(by: { ($0.count, $1[0]) > ($1.count, $0[0]) })
        // People differ in how often they send things back (`returnerSpread`, RefundClaims.spread).
        let spread = returnerSpread
            ? RefundClaims.spread(orders: orders.map(Int.init), claims: refunds.map(Int.init), rate: base) : nil
        var judged: [(members: [Int32], n: Int, k: Int, best: View)] = []
        for members in unitList {
            let n = members.reduce(0) { $0 + Int(max(orders[Int($1)], refunds[Int($1)])) }
            let k = members.reduce(0) { $0 + Int(refunds[Int($1)]) }
            // How many claims: for one account, within the spread between people (a serial
            // returner's many claims are a habit people have); a ring's add up at the store's rate.
            let countTail = members.count == 1 && spread != nil
                ? Significance.logBetaBinomialTail(k, n, spread!.alpha, spread!.beta) : Significance.logBinomialTail(k, n, base)
            var best: View = (Significance.surprise(countTail), Int32(-2), k, base)
            var reasonsHere: [Int32: Int] = [:]
            for a in members {
                for (r, _) in reasonRate {
                    if let c = byReason[UInt64(UInt32(a)) << 32 | UInt64(UInt32(bitPattern: r))] { reasonsHere[r, default: 0] += Int(c) }
                }
            }
            for (r, kr) in reasonsHere.sorted(by: { $0.key < $1.key }) {
                let p = reasonRate[r] ?? base
                let s = Significance.surprise(Significance.logBinomialTail(kr, n, p))
                if s > best.surprise { best = (s, r, kr, p) }
            }
            judged.append((members, n, k, best))
        }
        // The units' bar: Bonferroni over the units (one in a hundred that any honest unit passes),
        // or with `unitFDR` Benjamini–Hochberg over them — the bar falls with each unit that
        // passes, since a queue can afford one honest unit in a hundred found, not one in a
        // hundred stores.
        let m = Double(max(1, judged.count))
        var passing = 1.0
        if unitFDR {
            let logP = judged.map { -($0.best.surprise - views) * log(10.0) }
            passing = Double(max(1, Significance.benjaminiHochberg(logP, q: pow(10, -minSurprise)).passing))
        }
        let correction = views + log10(m / passing)
        var findings: [Finding] = []
        var ringNo = 0
        for (members, n, k, best) in judged {
            let corrected = best.surprise - correction
            let lift = (Double(best.k) / Double(max(1, n))) / max(best.rate, 1e-9)
            guard corrected >= minSurprise, lift >= minLift, Double(k) >= 0.3 * Double(n) else { continue }
            var group: String? = nil
            if members.count >= 2 { ringNo += 1; group = "refund-\(ringNo)" }
            let reasonName = best.reason >= 0 ? "“" + t.statuses.string(best.reason).replacingOccurrences(of: "_", with: " ") + "”" : ""
            let strength = min(0.95, 0.5 + 0.3 * Stat.ramp(corrected, minSurprise, minSurprise + 10)
                                + 0.15 * Stat.ramp(Double(members.count), 1, 5))
            let names = members.map { t.accountID($0) }
            for a in members {
                let own = Double(refunds[Int(a)]) / Double(max(1, max(orders[Int(a)], refunds[Int(a)])))
                // A member whose own refunds are near the base rate rides on the ring: weaker.
                let ownF = own >= 0.3 ? 1.0 : 0.7
                let ev = orderEvidence(t, Int(a))
                var why = "\(refunds[Int(a)]) of \(orders[Int(a)]) order(s) ended in a refund claim"
                if members.count >= 2 {
                    why += "; one of \(members.count) accounts sharing " +
                        Set((linkIDs[a] ?? []).map { packed.describe($0).kind }).sorted().joined(separator: "/") +
                        " with \(best.k) \(reasonName.isEmpty ? "" : reasonName + " ")refunds on \(n) orders"
                } else if !reasonName.isEmpty {
                    why += ", \(best.k) \(reasonName)"
                }
                why += String(format: " — %.0f× the store's rate (%.1f%%), chance 1 in 10^%.0f", lift, best.rate * 100, best.surprise)
                findings.append(Finding(account: a, detector: name, riskType: .refundAbuse, strength: strength * ownF, reason: why,
                                        events: ev, linked: names.filter { $0 != t.accountID(a) },
                                        identifiers: (linkIDs[a] ?? []).sorted().prefix(20).map(packed.describe), group: group))
            }
        }
        if loneClaimants {
            try cancel.check()
            findings += lone(t, except: Set(findings.map(\.account)))
        }
        if claimScripts {
            try cancel.check()
            findings += try scripted(t, except: Set(findings.map(\.account)), cancel: cancel)
        }
        return findings
    }

    /// Accounts the lone-claimant test finds (RefundKinds.swift), those already flagged aside.
    func lone(_ t: EventTable, except ringed: Set<Int32>) -> [Finding] {
        guard let r = LoneClaimants.test(t, fdr: loneFDR) else { return [] }
        var out: [Finding] = []
        let m = Double(r.tested)
        for (i, c) in r.claimants.enumerated() where r.rank[i] <= r.passing && !ringed.contains(Int32(c.account)) {
            // Surprise beyond what Benjamini–Hochberg asked of this rank: 0 at the bar.
            let beyond = Significance.surprise(c.logP) - log10(m / Double(r.rank[i])) + log10(loneFDR)
            let strength = min(0.95, 0.5 + 0.3 * Stat.ramp(beyond, 0, 10))
            let ev = orderEvidence(t, c.account)
            out.append(Finding(account: Int32(c.account), detector: name, riskType: .refundAbuse, strength: strength,
                               reason: "lone claimant: " + LoneClaimants.reason(c, in: r, fdr: loneFDR),
                               events: ev, linked: [], identifiers: [], group: nil))
        }
        return out
    }

    /// Accounts the claim-script test finds (ClaimScripts), those already flagged aside.
    func scripted(_ t: EventTable, except flagged: Set<Int32>, cancel: CancelToken) throws -> [Finding] {
        let r = try ClaimScripts.test(t, minSurprise: minSurprise, reported: flagged, cancel: cancel)
        var out: [Finding] = []
        for c in r where !flagged.contains(c.account) {
            let strength = 0.5 + 0.3 * Stat.ramp(c.surprise, minSurprise, minSurprise + 10)
            let ev = orderEvidence(t, Int(c.account))
            let why = String(format: "claim worded as %d other account(s)' claims, %d of them claimants far beyond the store's rate or reported (such claimants make %.1f%% of the store's worded claims) — chance 1 in 10^%.0f; %d of %d order(s) ended in a refund claim",
                             c.others, c.beyond, c.shareInStore * 100, c.surprise, c.claims, c.orders)
            out.append(Finding(account: c.account, detector: name, riskType: .refundAbuse, strength: strength,
                               reason: why, events: ev, linked: c.linked.map { t.accountID($0) }, identifiers: [],
                               group: "refund-script-\(c.script + 1)"))
        }
        return out
    }

    /// A finding's evidence: the account's orders and refunds, the first 200.
    func orderEvidence(_ t: EventTable, _ a: Int) -> [Int64] {
        var ev: [Int64] = []
        for e32 in t.events(of: a) where t.kind[Int(e32)] == .refund || t.kind[Int(e32)] == .order {
            if ev.count < 200 { ev.append(t.rowid[Int(e32)]) }
        }
        return ev
    }
}
