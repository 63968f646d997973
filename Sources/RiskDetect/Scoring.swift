import Foundation
import RiskStore

/// Which layers the final score combines (each can be switched off with `detect --disable`).
public struct ScoringLayers: Sendable {
    /// Per-detector strengths mapped through their empirical rank and prevalence in the store.
    public var calibration = true
    /// The always-on outlier score over the behaviour features, within peer groups.
    public var anomaly = true
    /// Evidence carried between accounts through shared identifiers and detected groups.
    public var propagation = true
    /// owned-ips: an IP on which the flagged accounts are far beyond the store's share carries
    /// evidence as a device does (`Propagation.compute`).
    public var ownedIPs = true
    /// own-logins: a failed log-in's device and IP are not the account's (`Propagation.compute`).
    public var ownLogins = true
    /// returner-spread: the anomaly layer's `refund_claims_beyond_rate` judges an account's count of
    /// claims within the spread between people (RefundClaims.spread), as the refund detector does.
    public var returnerSpread = false
    /// scalper-leads: the anomaly layer's `scalper_signs` — each drop buyer's scalper surprise,
    /// reported or not — in place of the fixed five-second count; it orders the store's rank only,
    /// not the outliers' tail (`Anomaly.compute`). On (session 53; `detect --no-sign scalper-leads`).
    public var scalperLeads = true
    /// busy-pace: the anomaly layer judges the pace (median gap, browsing regularity) of an account
    /// at or above its role × age group's median activity against every account of the group that
    /// busy, not within its activity band, where a crew can be most of the peers (`Anomaly.compute`).
    /// On (session 54; `detect --no-sign busy-pace`).
    public var busyPace = true
    /// tenth-spread: what a tenth of an account's peers do is no outlier — in the counts of what it did
    /// (`Anomaly.mixNames`: views, orders, live views…), in an activity band of one doubling (not
    /// merged with others for want of accounts that busy), the band's robust scale above its median
    /// is at least the spread to its 90th percentile, read as a normal's, so a kind of event
    /// most of the band never has (its MAD 0, the scale at its floor) is not "far" for the fifth of
    /// the band that has it (`Reference`). On (session 69; `detect --no-sign tenth-spread`).
    public var tenthSpread = true
    /// abroad: the anomaly layer's `abroad_share` — the share of an account's events made from
    /// outside its profile's country, failed log-ins left out (PlaceFeatures.swift).
    /// On (session 55; `detect --no-sign abroad`).
    public var abroad = true
    /// page-returns: the anomaly layer's `views_per_return` — how rarely an account's item and
    /// profile views come back to a page it had seen (ReturnViews.swift).
    /// On (session 58; `detect --no-sign page-returns`).
    public var pageReturns = true
    /// repeat-follows: the anomaly layer's `repeat_follows` — how often an account follows an account
    /// it already follows, judged like the counts of what it did (RepeatFollows.swift).
    /// On (session 73; `detect --no-sign repeat-follows`).
    public var repeatFollows = true
    /// card-strangers: the anomaly layer's `payment_sharers` counts in full the strangers on a
    /// payment instrument that links and that came late to the account, after another one of its
    /// own — not as a public place's (SharingIndependence.swift).
    /// On (session 55; `detect --no-sign card-strangers`).
    public var cardStrangers = true
    /// mailbox-sharers: the anomaly layer's `mailbox_sharers` — the other accounts on an account's
    /// normalised mailbox where it links, as decades of chance at the store's rate of shared inboxes,
    /// judged against the store's mailboxes, not the peer group (Mailbox.swift, `MailboxSharers`).
    /// On (session 56; `detect --no-sign mailbox-sharers`).
    public var mailboxSharers = true
    /// audience-company: accounts devoted to one target whose audience is, beyond chance, high in a column of how
    /// they connect are judged again there against their band without that audience (AudienceCompany.swift).
    /// On (session 57; `detect --no-sign audience-company`).
    public var audienceCompany = true
    /// lone-outliers: the anomaly layer's head (the store's top few percent with a strong outlier
    /// score, up to 0.8 units) counts half for an account no detector or rule found anything on and
    /// no ring passes support to (propagation's 0.25, where its reason is given) — an outlier alone is
    /// mostly an unusual honest customer (bazaar, six worlds: 6 % of the unflagged outliers in the top
    /// K were fraud); one a finding or a ring corroborates keeps all of it. A lone outlier then scores at
    /// most 0.495, under the flag line (0.5): the layer alone ranks, it does not flag.
    /// On (session 66; `detect --no-sign lone-outliers`).
    public var loneOutliers = true
    /// The share of the head a lone outlier keeps with `loneOutliers`.
    public static let loneOutlierShare = 0.5
    public init() {}
    public static let names = ["calibration", "anomaly", "propagation"]
}

/// The final score: detector evidence (calibrated), plus an anomaly term every account gets,
/// plus risk propagated from strongly flagged accounts through what they share. Evidence
/// adds up in "hazard" units (−ln(1 − p), so a single finding of strength s adds −ln(1 − s),
/// as in a noisy-OR) and the total maps to 0.99·u/(u + 0.5): monotone, never 1.00, and
/// accounts with more evidence rank higher even when every detector is sure.
public enum RiskScoring {
    public static func score(_ t: EventTable, findings: [Finding], layers: ScoringLayers = ScoringLayers(),
                             features: [Float]? = nil) -> [AccountScore] {
        run(t, findings: findings, layers: layers, features: features).scores
    }

    /// The scores, and a report line per layer (time, accounts it explains) for `detect`'s output.
    /// `anomaly`: the anomaly layer already computed (with the seconds it took), e.g. beside the detectors.
    public static func run(_ t: EventTable, findings: [Finding], layers: ScoringLayers = ScoringLayers(),
                           features: [Float]? = nil,
                           anomaly: (anomaly: Anomaly, seconds: Double)? = nil) -> (scores: [AccountScore], reports: [DetectorReport]) {
        let n = t.accountCount
        var out = DetectionEngine.combine(findings, accounts: n)
        var reports: [DetectorReport] = []
        guard n > 0 else { return (out, reports) }
        let det = detectorEvidence(findings, accounts: n, calibrate: layers.calibration)
        var u = det
        var extra = [String?](repeating: nil, count: n)
        var loneCut = [Double](repeating: 0, count: n)
        if layers.anomaly {
            let s = Date().addingTimeInterval(-(anomaly?.seconds ?? 0))
            let a = anomaly?.anomaly ?? Anomaly.compute(t, features: features, returnerSpread: layers.returnerSpread,
                                                                scalperLeads: layers.scalperLeads ? ScalperDetector() : nil, busyPace: layers.busyPace, tenthSpread: layers.tenthSpread, abroad: layers.abroad, cardStrangers: layers.cardStrangers, mailboxSharers: layers.mailboxSharers, audienceCompany: layers.audienceCompany, pageReturns: layers.pageReturns, repeatFollows: layers.repeatFollows)
            var explained = 0
            for i in 0..<n {
                u[i] += a.units[i]
                // lone-outliers: the head counts in full only beside a finding (or a ring's support,
                // below); the cut is taken once propagation is known.
                if layers.loneOutliers && det[i] <= 0 && i < a.head.count { loneCut[i] = (1 - ScoringLayers.loneOutlierShare) * a.head[i] }
                // The top 5 % by either order (with the scalper leads, or as outliers alone): a lead
                // that lifts a drop buyer does not take an outlier's reason away.
                if max(a.rank[i], a.outlierRank[i]) >= 0.95, let why = a.explanation(i, t) { extra[i] = why; explained += 1 }
            }
            reports.append(DetectorReport(name: "layer: anomaly (every account; top 5 % explained; \(a.history.note))", seconds: Date().timeIntervalSince(s),
                                          findings: 0, accounts: explained, error: nil))
        }
        if layers.propagation {
            let s = Date()
            // Only evidence about a group travels: a takeover or a scraper is one account's
            // doing, and its household or office gains nothing from it (RiskScoring.collective).
            let shared = detectorEvidence(findings, accounts: n, calibrate: layers.calibration, collectiveOnly: true)
            let p = Propagation.compute(t, findings: findings, evidence: shared.map { 1 - exp(-$0) },
                                        ownedIPs: layers.ownedIPs, skipFailedLogins: layers.ownLogins)
            var linked = 0
            for i in 0..<n where p.support[i] > 0 {
                // Inherited, not amplified: a thin member rises to its ring's level; an account
                // already flagged gains only a little from flagged neighbours (often flagged for
                // the same reason, which is not new evidence).
                let inherited = -log(1 - 0.9 * p.support[i])
                u[i] += max(0, inherited - det[i]) + 0.15 * min(inherited, det[i])
                if p.support[i] >= 0.25, let why = p.reason[i] {
                    extra[i] = extra[i].map { why + "; " + $0 } ?? why
                    linked += 1
                }
                // A ring's support (the threshold its reason is given at) corroborates an outlier as a finding does.
                if p.support[i] >= 0.25 { loneCut[i] = 0 }
            }
            reports.append(DetectorReport(name: "layer: propagation (shared identifiers, groups)", seconds: Date().timeIntervalSince(s),
                                          findings: 0, accounts: linked, error: nil))
        }
        for i in 0..<n {
            u[i] -= loneCut[i]
            out[i].score = 0.99 * u[i] / (u[i] + 0.5)
            if let e = extra[i] { out[i].reasons.append(e) }
        }
        return (out, reports)
    }

    /// Each account's detector evidence in hazard units. Every detector (and each SQL rule)
    /// counts once, by its strongest finding. Calibrated: a finding's strength is scaled by
    /// where it ranks among that detector's findings in this store (0.85 at the weakest, 1 at
    /// the strongest), and a detector that flags more than 3 % of the store is discounted by
    /// √(3 % / its share) — a base rate that high says the rule, not the accounts, is unusual.
    ///
    /// `collectiveOnly`: the evidence of findings that put the account in a group (a ring, a
    /// farm, a crew — `Finding.group`), calibrated as above; what propagation passes on.
    public static func detectorEvidence(_ findings: [Finding], accounts n: Int, calibrate: Bool, collectiveOnly: Bool = false) -> [Double] {
        var best: [String: [Int32: Double]] = [:]
        var grouped: [String: [Int32: Double]] = [:]
        for f in findings where Int(f.account) < n && f.account >= 0 {
            if (best[f.detector]?[f.account] ?? -1) < f.strength { best[f.detector, default: [:]][f.account] = f.strength }
            if collectiveOnly, f.group != nil, (grouped[f.detector]?[f.account] ?? -1) < f.strength {
                grouped[f.detector, default: [:]][f.account] = f.strength
            }
        }
        var u = [Double](repeating: 0, count: n)
        // In a fixed order (hazard units are summed; a different order could change the last bit).
        for (detector, byAccount) in best.sorted(by: { $0.key < $1.key }) {
            let entries = byAccount.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            let m = Double(entries.count)
            let prevalence = calibrate ? min(1, (0.03 * Double(n) / m).squareRoot()) : 1
            var i = 0
            while i < entries.count {
                var j = i
                while j + 1 < entries.count && entries[j + 1].value == entries[i].value { j += 1 }
                let q = m > 1 ? (Double(i + j) / 2) / (m - 1) : 1
                for k in i...j {
                    var c = entries[k].value
                    if collectiveOnly {
                        // The strongest grouped finding, at the calibration of the account's rank.
                        guard let g = grouped[detector]?[entries[k].key] else { continue }
                        c = g
                    }
                    if calibrate { c *= (0.85 + 0.15 * q) * prevalence }
                    u[Int(entries[k].key)] += -log(1 - min(c, 0.995))
                }
                i = j + 1
            }
        }
        return u
    }
}

// MARK: anomaly layer

/// Unsupervised outlier score over the per-account behaviour features: for each feature, how
/// far in its tail an account sits among its peers (same role and account-age bucket), as the
/// surprise −ln(tail probability), counted only as far as the value is also far from the
/// peers' median in robust units (MAD), plus half of any robust z beyond 3; the account's
/// score is the sum of its three largest plus a little of the rest (so nothing ties at 0
/// unless behaviour is identical). Only the store's top 3 % with a strong score (above 8)
/// gain much; everyone else gets a small rank-ordered term that breaks ties.
/// Explains itself: which features, against which peers, and the peers' median.
public struct Anomaly {
    public var raw: [Double]
    /// Rank in the store, 0 (most ordinary) … 1 (most unusual).
    public var rank: [Double]
    /// The same without the scalper leads (`scalper_signs`): the outliers' order, which the top few
    /// percent's weight follows (equal to `rank` when the leads are off or the store has no drops).
    public var outlierRank: [Double]
    /// Hazard units added to the score.
    public var units: [Double]
    /// The part of `units` that is the head's (the store's top few percent with a strong score).
    public var head: [Double] = []
    var top: [[(feature: Int, surprise: Double)]]
    var peerName: [String]
    var peerOf: [Int32]
    var x: [Float]
    var d: Int
    var medians: [[Float]]
    var names: [String]
    /// How accounts with nothing beyond chance are ordered (HistoryOrder.swift).
    public var history: HistoryOrder = .thinFirst
    /// Per account, the median surprise beyond chance of its crowd partners (0 without any):
    /// added to its standing in the store's ranking (the company it keeps in bursts).
    var company: [Double] = []
    /// Per account, how many crowd partners it has.
    var companions: [Int32] = []
    /// Per account, the median surprise on `linked_cobuyers` of its co-buying mates (the linked
    /// accounts that bought from the seller its value is about), itself counted with none; and
    /// how many such mates it has (LinkedCobuyers.swift).
    var cobuyCompany: [Double] = []
    var cobuyMates: [Int32] = []
    /// busy-pace: per account, the role × age group whose busy half its pace columns were judged
    /// against (an index into `busyName`), or −1; and that half's median per feature.
    var busyKey: [Int32] = []
    /// mailbox-sharers: per account, the addresses that reach its mailbox and the mailbox's number (MailboxSharers).
    var mailboxes: MailboxSharers.Result?
    /// audience-company: per account, its own target's audience and the column judged again (AudienceCompany).
    var audience: AudienceCompany.Result?
    /// Per peer group, the features tested there (the floor is ln of it).
    var tested: [Int] = []
    var busyName: [String] = []
    var busyMedians: [[Float]] = []
    /// page-returns: per account, the role × activity band its page columns were judged against (an
    /// index into `pageName`), or −1; and that band's median per feature.
    var pageKey: [Int32] = []
    var pageName: [String] = []
    var pageMedians: [[Float]] = []
    static let paceNames: Set<String> = ["median_gap_log10s", "browse_regularity"]
    /// tenth-spread: the columns that say what an account did — its count of each kind of event
    /// (views, orders, live views, follows…), the mix of its activity — and not the measures built
    /// to be near zero for people (company, sharers, pace), where a crew a tenth of its band is news.
    /// Messages are not among them: the layer counts messages to strangers (`strangers_messaged`,
    /// StrangerMessages.swift), a measure of its own.
    /// repeat-follows' column is one of them: a follow repeated by a tenth of the followers is no news.
    static let mixNames: Set<String> = Set(AccountFeatures.kinds.map { "n_" + $0.0 }).subtracting(["n_message"]).union(RepeatFollows.names)

    /// Feature (behaviour column) and which tail is unusual: +1 high, −1 low.
    static let directions: [String: Int] = ["median_gap_log10s": -1, "age_at_first_event_days": -1]
    static let skipped: Set<String> = ["events", "active_days", "mean_order_amount"]

    public static func compute(_ t: EventTable, features: [Float]? = nil, history: HistoryOrder = .thinFirst,
                               returnerSpread: Bool = false, scalperLeads: ScalperDetector? = ScalperDetector(), busyPace: Bool = true, tenthSpread: Bool = true, abroad: Bool = true, cardStrangers: Bool = true, mailboxSharers: Bool = true, audienceCompany: Bool = true, pageReturns: Bool = true, repeatFollows: Bool = true,
                               cancel: CancelToken = CancelToken()) -> Anomaly {
        let n = t.accountCount
        let full = AccountFeatures.names.count
        let base = features ?? AccountFeatures.compute(t, strengths: [])
        // The behaviour columns, then the anomaly layer's own (ContextFeatures.swift).
        var names = AccountFeatures.behaviourNames + ContextFeatures.names + ReviewFeatures.names + IncentiveCompany.names
            + RefundClaims.names + PaceFeatures.names + LinkedCobuyers.names
        names += StrangerSessions.names   // StrangerSessions.swift (takeovers as a change of behaviour)
        if abroad { names += PlaceFeatures.names }   // PlaceFeatures.swift (acting from outside the profile's country)
        if mailboxSharers { names += MailboxSharers.names }   // Mailbox.swift (other accounts on its inbox)
        if pageReturns { names += ReturnViews.names }   // ReturnViews.swift (pages never come back to)
        if repeatFollows { names += RepeatFollows.names }   // RepeatFollows.swift (follows of an account already followed)
        let nb = AccountFeatures.behaviourNames.count, nc = ContextFeatures.names.count, nr = ReviewFeatures.names.count
        let d = names.count
        let (context, partners) = ContextFeatures.computeWithPartners(t)
        let review = ReviewFeatures.compute(t)   // ReviewFeatures.swift; −1 = missing
        let incentive = IncentiveCompany.compute(t)   // IncentiveCompany.swift
        let refunds = RefundClaims.compute(t, returnerSpread: returnerSpread)          // RefundClaims.swift
        let pace = PaceFeatures.compute(t)             // PaceFeatures.swift; −1 = missing
        let nf = RefundClaims.names.count, jf = nb + nc + nr + IncentiveCompany.names.count
        let np = PaceFeatures.names.count, jp = jf + RefundClaims.names.count
        // Each account's identifiers and each identifier's accounts, built once for both readers.
        let identifiers = SharingIndependence.identifierIndex(t)
        let (cobuy, cobuyMates) = LinkedCobuyers.computeWithMates(t, index: identifiers)   // LinkedCobuyers.swift; −1 = missing
        let jc = jp + np
        var x = [Float](repeating: 0, count: n * d)
        for a in 0..<n {
            for j in 0..<nb { x[a * d + j] = base[a * full + j] }
            for j in 0..<nc { x[a * d + nb + j] = context[a * nc + j] }
            for j in 0..<nr { x[a * d + nb + nc + j] = review[a * nr + j] }
            for j in 0..<IncentiveCompany.names.count { x[a * d + nb + nc + nr + j] = incentive[a * IncentiveCompany.names.count + j] }
            for j in 0..<nf { x[a * d + jf + j] = refunds[a * nf + j] }
            for j in 0..<np { x[a * d + jp + j] = pace[a * np + j] }
            x[a * d + jc] = cobuy[a]
        }
        do {   // StrangerSessions.swift
            let shift = StrangerSessions.compute(t), ns = StrangerSessions.names.count
            let js = names.firstIndex(of: StrangerSessions.names[0])!
            for a in 0..<n { for j in 0..<ns { x[a * d + js + j] = shift[a * ns + j] } }
        }
        if abroad {   // PlaceFeatures.swift; −1 = missing
            let place = PlaceFeatures.compute(t), np = PlaceFeatures.names.count
            let jq = names.firstIndex(of: PlaceFeatures.names[0])!
            for a in 0..<n { for j in 0..<np { x[a * d + jq + j] = place[a * np + j] } }
        }
        if pageReturns {   // ReturnViews.swift; −1 = missing
            let v = ReturnViews.compute(t), nv = ReturnViews.names.count
            let jr = names.firstIndex(of: ReturnViews.names[0])!
            for a in 0..<n { for j in 0..<nv { x[a * d + jr + j] = v[a * nv + j] } }
        }
        if repeatFollows {   // RepeatFollows.swift; −1 = missing
            let v = RepeatFollows.compute(t)
            let jf = names.firstIndex(of: RepeatFollows.names[0])!
            for a in 0..<n { x[a * d + jf] = v[a] }
        }
        var mailboxes: MailboxSharers.Result?
        if mailboxSharers {   // Mailbox.swift; −1 = missing
            let boxes = MailboxSharers.compute(t, index: identifiers)
            let jm = names.firstIndex(of: MailboxSharers.names[0])!
            for a in 0..<n { x[a * d + jm] = boxes.value[a] }
            mailboxes = boxes
        }
        // Sharer counts judged by how dependent the sharers are (SharingIndependence.swift): a
        // parcel locker's hundreds of strangers count as one household, a ring keeps its count.
        let sharing = SharingIndependence.compute(t, index: identifiers, cardStrangers: cardStrangers)
        for (k, name) in SharingIndependence.featureNames.enumerated() {
            guard let j = names.firstIndex(of: name) else { continue }
            for a in 0..<n { x[a * d + j] = sharing[a * 3 + k] }
        }
        // Messages count only to strangers, and a service message's recipient is no target
        // (StrangerMessages.swift): a seller's shipping notices to its buyers are not contact.
        let messaging = StrangerMessages.compute(t)
        if let j = names.firstIndex(of: "n_message") {
            names[j] = "strangers_messaged"
            for a in 0..<n { x[a * d + j] = messaging.strangers[a] }
        }
        if let j = names.firstIndex(of: "distinct_targets") {
            for a in 0..<n { x[a * d + j] = messaging.targets[a] }
        }
        if let j = names.firstIndex(of: "texts_repeated") {
            for a in 0..<n { x[a * d + j] = messaging.repeated[a] }
        }
        // scalper-leads: a drop buyer's scalper signs, reported or not (ScalperDetector.assess: the
        // detector's summed surprise, decades, against this store's drop buyers), instead of the
        // fixed "within 5 s of the drop" count — the buyers short of the bar ranked by how close.
        // The detector given is the engine's (its signs as switched); none when it is off, so a
        // leave-one-detector-out run without `scalper` has no scalper evidence here either.
        if let scalper = scalperLeads, let j = names.firstIndex(of: "drop_orders_within_5s") {
            names[j] = "scalper_signs"
            // A cancelled run is abandoned by the engine; an empty lead here is never stored.
            let surprise = (try? scalper.assess(t, cancel: cancel).surprise) ?? [:]
            for a in 0..<n { x[a * d + j] = 0 }
            for (a, v) in surprise where Int(a) < n && a >= 0 && v.isFinite { x[Int(a) * d + j] = Float(max(0, v)) }
        }
        // The pace of an account that sent service messages, without them (StrangerMessages.swift).
        if let jb = names.firstIndex(of: "max_events_in_an_hour"), let jg = names.firstIndex(of: "median_gap_log10s") {
            for (a, p) in messaging.pace where Int(a) < n {
                x[Int(a) * d + jb] = p.burst
                x[Int(a) * d + jg] = p.gap
            }
        }
        let cols = names.indices.filter { !skipped.contains(names[$0]) }
        // Peer groups: role × age bucket, merged into the role (then the store) when small.
        let end = t.ts.max() ?? 0
        func role(_ a: Int) -> String {
            let k = a < t.accountKind.count ? t.accountKind[a] : ""
            return ["buyer", "seller", "creator"].contains(k) ? k : "other"
        }
        func bucket(_ a: Int) -> String {
            guard let age = t.ageDays(a, at: end) else { return "age unknown" }
            return age < 30 ? "under 30 days" : age < 365 ? "1–12 months" : "over a year"
        }
        var keyOf = [String](repeating: "", count: n)
        var counts: [String: Int] = [:]
        for a in 0..<n { keyOf[a] = role(a) + "s, " + bucket(a); counts[keyOf[a], default: 0] += 1 }
        var roleCounts: [String: Int] = [:]
        for a in 0..<n { roleCounts[role(a), default: 0] += 1 }
        for a in 0..<n where counts[keyOf[a]]! < 50 {
            keyOf[a] = roleCounts[role(a)]! >= 50 ? role(a) + "s" : "all accounts"
        }
        // Within each, peers of a like amount of activity (a band of events on a log₂ scale,
        // small bands merged into the next lower one): volume is not suspicious in itself —
        // a power user's sixty reviews are ordinary among power users, a scraper's thousands
        // of profile views are not. Each feature is then judged against accounts as busy.
        let unbanded = keyOf
        let oneDoubling = ActivityBands.split(&keyOf, events: (0..<n).map { x[$0 * d] }, minSize: 50)
        var groupIndex: [String: Int32] = [:]
        var peerName: [String] = []
        var peerOf = [Int32](repeating: 0, count: n)
        for a in 0..<n {
            if groupIndex[keyOf[a]] == nil { groupIndex[keyOf[a]] = Int32(peerName.count); peerName.append(keyOf[a]) }
            peerOf[a] = groupIndex[keyOf[a]]!
        }
        let g = peerName.count
        var members = [[Int]](repeating: [], count: g)
        for a in 0..<n { members[Int(peerOf[a])].append(a) }
        // busy-pace: how fast an account acts is not how much it does — an account at or above its
        // role × age group's median activity has its pace (median gap, browsing regularity) judged
        // against all of the group's accounts at least that busy, not within its activity band,
        // where a crew can be most of the peers (the top bands of new accounts are few). Below the
        // median the band stays the reference (a few events days apart are slow by volume). The
        // busiest hour is a volume (a heavy browser's long sessions) and keeps the band.
        var busyKey = [Int32](repeating: -1, count: n)   // account → its key's busy reference, or −1
        var busyName: [String] = []
        var busyMembers: [[Int]] = []
        if busyPace {
            var byKey: [String: [Int]] = [:]
            for a in 0..<n { byKey[unbanded[a], default: []].append(a) }
            for (key, mem) in byKey.sorted(by: { $0.key < $1.key }) {
                let ev = mem.map { x[$0 * d] }.sorted()
                let med = ev[ev.count / 2]
                let k = Int32(busyName.count)
                busyName.append(key)
                let half = mem.filter { x[$0 * d] >= med }
                busyMembers.append(half)
                for a in half { busyKey[a] = k }
            }
        }
        let paceCols = cols.filter { Anomaly.paceNames.contains(names[$0]) }
        // One reference per (key, pace column): the busy half's values, sorted, and its robust scale.
        var busyRefs = [[Reference?]](repeating: [Reference?](repeating: nil, count: paceCols.count), count: busyName.count)
        do {
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: busyName.count * paceCols.count) { job in
                let k = job / max(1, paceCols.count), pc = job % max(1, paceCols.count)
                let j = paceCols[pc]
                let r = Reference(busyMembers[k].map { x[$0 * d + j] })
                lock.lock(); busyRefs[k][pc] = r; lock.unlock()
            }
        }
        // page-returns: which pages an account views does not depend on its age (how many it could have
        // come back to depends on how many it viewed), and the busiest new accounts of a store can be
        // mostly crawlers: the page columns (ReturnViews.swift) are judged within role × activity band,
        // every age together, and what lies far beyond that band's bulk against the bulk.
        let pageCols = cols.filter { ReturnViews.names.contains(names[$0]) }
        var pageKey = [Int32](repeating: -1, count: n)
        var pageName: [String] = []
        var pageRefs: [[(Reference, (Float, Reference)?)?]] = []
        if let first = pageCols.first {
            // Banded among the accounts the columns are asked of (enough views), so a band's
            // reference is never a handful of values among accounts that have none.
            let viewers = (0..<n).filter { x[$0 * d + first] >= 0 }
            var viewerRoles: [String: Int] = [:]
            for a in viewers { viewerRoles[role(a), default: 0] += 1 }
            var roleKey = viewers.map { viewerRoles[role($0)]! >= 50 ? role($0) + "s" : "all accounts" }
            ActivityBands.split(&roleKey, events: viewers.map { x[$0 * d] }, minSize: 50)
            var index: [String: Int32] = [:]
            var pageMembers: [[Int]] = []
            for (i, a) in viewers.enumerated() {
                if index[roleKey[i]] == nil { index[roleKey[i]] = Int32(pageName.count); pageName.append(roleKey[i]); pageMembers.append([]) }
                pageKey[a] = index[roleKey[i]]!
                pageMembers[Int(pageKey[a])].append(a)
            }
            pageRefs = pageMembers.map { mem in
                pageCols.map { j in Reference(mem.map { x[$0 * d + j] }).map { ($0, ReturnViews.fence($0)) } }
            }
        }
        // tenth-spread: the bands whose counts of what an account did are read with the tenth's spread —
        // one doubling of activity (not merged), and at least 50 accounts (a key of fewer is one
        // unmerged band of a handful: its top account would be its own 90th percentile).
        let tenthIn = members.map { mem in tenthSpread && mem.count >= 50 && mem.first.map { oneDoubling[$0] } == true }
        // Per account and column tested: its surprise, against its band (`Reference`, missing values
        // left out) or, for the pace columns of an account at or above its key's median, the busier half.
        var surprise = [Float](repeating: 0, count: n * cols.count)
        var medians = [[Float]](repeating: [Float](repeating: 0, count: d), count: g)
        // How many features each peer group scores (a feature left out there is not a test).
        var tested = [Int](repeating: 0, count: g)
        var testedIn = [Bool](repeating: false, count: g * cols.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: g * cols.count) { job in
            let gi = job / cols.count, ci = job % cols.count
            let j = cols[ci]
            let mem = members[gi]
            let pc = paceCols.firstIndex(of: j)
            // mailbox-sharers: judged against the store's mailboxes (MailboxSharers), not the peers,
            // and tested once per mailbox there — no test here, and not one of the features counted.
            if names[j] == "mailbox_sharers" { return }
            // A count that is the activity itself (equal to the events for nearly every peer, as
            // reviews are on a bare review graph) says nothing the activity band does not.
            if j != 0 && mem.count >= 10 && Double(mem.filter { x[$0 * d + j] == x[$0 * d] }.count) >= 0.9 * Double(mem.count) { return }
            // No member has a value: the column is not tested in this band.
            let tenth = tenthIn[gi] && Anomaly.mixNames.contains(names[j])
            guard let band = Reference(mem.map { x[$0 * d + j] }, tenthSpread: tenth) else { return }
            let dir = directions[names[j]] ?? 1
            let gc = pageCols.firstIndex(of: j)
            var out: [(Int, Float)] = []
            out.reserveCapacity(mem.count)
            for a in mem {
                let y = x[a * d + j]
                guard y >= 0 else { continue }
                if let gc, pageKey[a] >= 0, let (ref, fence) = pageRefs[Int(pageKey[a])][gc] {
                    // page-returns (above): within role × activity band; beyond its bulk, against the bulk.
                    if let (at, bulk) = fence, y > at { out.append((a, bulk.surpriseCountingItself(y))) } else { out.append((a, ref.surprise(y, direction: dir))) }
                    continue
                }
                let busy = pc != nil && busyKey[a] >= 0 ? busyRefs[Int(busyKey[a])][pc!] : nil
                out.append((a, (busy ?? band).surprise(y, direction: dir)))
            }
            lock.lock()
            tested[gi] += 1
            testedIn[gi * cols.count + ci] = true
            medians[gi][j] = band.median
            for (a, s) in out { surprise[a * cols.count + ci] = s }
            lock.unlock()
        }
        // A crowd gathered for one target, judged without itself (AudienceCompany.swift): a member
        // high in a column of how it connects, whose own target's audience holds far more such
        // accounts than the store's rate, is judged again there against its band without them.
        var audience: AudienceCompany.Result?
        if audienceCompany {
            let r = AudienceCompany.compute(t, x: x, d: d, cols: cols, names: names, surprise: surprise, members: members,
                                            peerOf: peerOf, directions: cols.map { directions[names[$0]] ?? 1 }, testedIn: testedIn)
            for (a, ci, v) in r.raised where v > surprise[a * cols.count + ci] { surprise[a * cols.count + ci] = v }
            audience = r
        }
        var raw = [Double](repeating: 0, count: n)
        var top = [[(feature: Int, surprise: Double)]](repeating: [], count: n)
        let popularity = ActivityBands.targetPopularity(t)
        let tieBase = Double((0..<n).map { x[$0 * d] }.max() ?? 0)
        var ranked = [Double](repeating: 0, count: n)
        var beyond = [Double](repeating: 0, count: n)
        // scalper-leads: `scalper_signs` orders the store's rank only (below), never the outlier
        // score the top few percent are weighed by — it is the scalper detector's own evidence
        // short of its bar, already judged against the store's drop buyers; taking it again as an
        // outlier would let a drop regular's habit (an early fan, a reseller) do twice the work.
        let leadCi = cols.firstIndex { names[$0] == "scalper_signs" } ?? -1
        var rankedOwn = [Double](repeating: 0, count: n)   // the same key without the lead
        let mailboxCi = cols.firstIndex { names[$0] == "mailbox_sharers" } ?? -1
        for a in 0..<n {
            var s = (0..<cols.count).map { (cols[$0], Double(surprise[a * cols.count + $0])) }
            // The lead is a surprise already (decades, against the store's drop buyers): taken as it
            // is (in the layer's −ln units), not judged again within the account's age group.
            let lead = leadCi >= 0 ? log(10) * max(0, Double(x[a * d + cols[leadCi]])) : 0
            if leadCi >= 0 { s[leadCi].1 = lead }
            // mailbox-sharers: decades against the store's mailboxes (MailboxSharers), not judged
            // within the peer group a ring's many accounts would crowd: taken as it is.
            if mailboxCi >= 0 { s[mailboxCi].1 = log(10) * max(0, Double(x[a * d + cols[mailboxCi]])) }
            s.sort { $0.1 > $1.1 }
            // The three largest and the rest, the lead left out (summed in the same order as before).
            var head = 0.0, rest = 0.0, k = 0
            for (c, v) in s where leadCi < 0 || c != cols[leadCi] {
                if k < 3 { head += v } else { rest += v }
                k += 1
            }
            // Ties among equally unremarkable accounts: the one with less history (less evidence
            // of an ordinary customer) first, then the one on less established targets — unless
            // the store's labels say its fraud is busier (HistoryOrder.swift): then busiest first.
            let history = history.direction > 0 ? Double(x[a * d]) : tieBase - Double(x[a * d])
            let ties = 1e-3 * history - 1e-5 * Double(popularity[a])
            raw[a] = head + 0.05 * rest + ties
            // The store rank counts only what is beyond chance over the features tested: among F
            // features an account's largest surprise −ln(2p) reaches about ln F by chance alone
            // (a Bonferroni bound), so the outlier score is reduced by ln F of its peer group, and
            // an account whose evidence is no more than that is tied with the ordinary. A feature
            // that says nothing about the labels (ratings or dates drawn at random, a one-review
            // account's five-star share) then leaves them in their tie, ordered by history;
            // above the bar the order within a peer group is unchanged.
            let floor = log(Double(max(1, tested[Int(peerOf[a])])))
            beyond[a] = max(0, head + 0.05 * rest - floor)
            rankedOwn[a] = beyond[a] + ties
            ranked[a] = rankedOwn[a] + lead
            top[a] = s.prefix(3).filter { $0.1 > 0 }.map { (feature: $0.0, surprise: $0.1) }
        }
        // The company it keeps in bursts: a crew's members are unusual together — each is judged
        // alone against peers, thinly when it joined only some jobs, yet the accounts it keeps
        // meeting (`crowd_partners`' pairs) are unusual too. Each account adds the median of its
        // partners' surprise beyond chance, itself counted as one more partner with none (the
        // lower median: one or two unusual partners are not the whole story, at least half of
        // its company must be that unusual). A fan's partners are fans, ordinary beyond their
        // shows; an account without partners adds nothing.
        // The crowd partners as adjacency lists (CSR) over the pairs.
        var adjStart = [Int32](repeating: 0, count: n + 1)
        for e in partners { adjStart[Int(e >> 32) + 1] += 1; adjStart[Int(e & 0xffff_ffff) + 1] += 1 }
        for a in 0..<n { adjStart[a + 1] += adjStart[a] }
        var adj = [Int32](repeating: 0, count: Int(adjStart[n]))
        do {
            var fill = Array(adjStart.dropLast())
            for e in partners {
                let a = Int(e >> 32), b = Int(e & 0xffff_ffff)
                adj[Int(fill[a])] = Int32(b); fill[a] += 1
                adj[Int(fill[b])] = Int32(a); fill[b] += 1
            }
        }
        // What travels is a partner's surprise on `crowd_partners` itself (capped by its surprise
        // beyond chance): that the partner keeps such company too, not that it is unusual for
        // reasons of its own — a fan's fellow fans are unusual buyers (live views, follows), not
        // crew members.
        let partnerCi = cols.firstIndex { names[$0] == "crowd_partners" } ?? -1
        var company = [Double](repeating: 0, count: n)
        var companions = [Int32](repeating: 0, count: n)
        var around: [Double] = []
        for a in 0..<n where adjStart[a + 1] > adjStart[a] {
            around.removeAll(keepingCapacity: true)
            around.append(0)
            for k in Int(adjStart[a])..<Int(adjStart[a + 1]) {
                let b = Int(adj[k])
                around.append(partnerCi >= 0 ? min(beyond[b], Double(surprise[b * cols.count + partnerCi])) : 0)
            }
            around.sort()
            company[a] = around[(around.count - 1) / 2]
            companions[a] = adjStart[a + 1] - adjStart[a]
            ranked[a] += company[a]
            rankedOwn[a] += company[a]
        }
        // The same for a ring of buyers (LinkedCobuyers.swift): each account with linked accounts
        // buying from one seller far beyond its share of buyers adds the lower median, over those
        // mates and itself (counted with none), of their surprise on `linked_cobuyers` (capped by
        // their surprise beyond chance). A ring's members each see the ring; a household's or a
        // locker's few such accounts are ordinary there, and an account with no such mates adds nothing.
        let cobuyCi = cols.firstIndex { names[$0] == "linked_cobuyers" } ?? -1
        var cobuyCompany = [Double](repeating: 0, count: n)
        var cobuyCount = [Int32](repeating: 0, count: n)
        if cobuyCi >= 0 && LinkedCobuyers.companyTerm {
            var i = 0
            while i < cobuyMates.count {
                let a = Int(cobuyMates[i] >> 32)
                var j = i
                around.removeAll(keepingCapacity: true)
                around.append(0)
                while j < cobuyMates.count && Int(cobuyMates[j] >> 32) == a {
                    let b = Int(cobuyMates[j] & 0xffff_ffff)
                    around.append(min(beyond[b], Double(surprise[b * cols.count + cobuyCi])))
                    j += 1
                }
                around.sort()
                cobuyCompany[a] = around[(around.count - 1) / 2]
                cobuyCount[a] = Int32(j - i)
                ranked[a] += cobuyCompany[a]
                rankedOwn[a] += cobuyCompany[a]
                i = j
            }
        }
        // Store rank (mid-rank for ties), by what is beyond chance.
        func midRanks(_ key: [Double]) -> [Double] {
            let order = (0..<n).sorted { key[$0] < key[$1] }
            var rank = [Double](repeating: 0, count: n)
            var i = 0
            while i < n {
                var j = i
                while j + 1 < n && key[order[j + 1]] == key[order[i]] { j += 1 }
                let r = n > 1 ? (Double(i + j) / 2) / Double(n - 1) : 1
                for k in i...j { rank[order[k]] = r }
                i = j + 1
            }
            return rank
        }
        let rank = midRanks(ranked)
        // scalper-leads: the top few percent are the store's outliers without the lead (it orders
        // the rest only), so a drop buyer's lead neither enters nor displaces that tail.
        let tailRank = leadCi >= 0 ? midRanks(rankedOwn) : rank
        // Units: a small always-on term, then most weight on the store's top few percent.
        var units = [Double](repeating: 0, count: n), head = [Double](repeating: 0, count: n)
        for a in 0..<n {
            let r = rank[a], rt = tailRank[a]
            let tail = rt > 0.97 ? (rt - 0.97) / 0.03 : 0
            let strong = min(1, max(0, (raw[a] - 8) / 8))
            head[a] = 0.8 * tail * tail * strong
            units[a] = 0.01 + 0.09 * r + head[a]
        }
        var result = Anomaly(raw: raw, rank: rank, outlierRank: tailRank, units: units, top: top, peerName: peerName, peerOf: peerOf, x: x, d: d, medians: medians, names: names,
                             history: history, company: company, companions: companions)
        result.head = head
        result.cobuyCompany = cobuyCompany
        result.cobuyMates = cobuyCount
        result.busyKey = busyKey
        result.mailboxes = mailboxes
        result.audience = audience
        result.tested = tested
        result.busyName = busyName
        result.pageKey = pageKey
        result.pageName = pageName
        // Per reference group, its median in each of the columns it judges (0 elsewhere), for the explanation.
        func medianRows(_ refs: [[Reference?]], _ columns: [Int]) -> [[Float]] {
            refs.map { row in
                var m = [Float](repeating: 0, count: d)
                for (k, r) in row.enumerated() { if let r { m[columns[k]] = r.median } }
                return m
            }
        }
        result.pageMedians = medianRows(pageRefs.map { $0.map { $0?.0 } }, pageCols)
        result.busyMedians = medianRows(busyRefs, paceCols)
        return result
    }

    /// "unusual vs buyers, 1–12 months: 3,600 profile views (peers' median 0), …"
    public func explanation(_ a: Int, _ t: EventTable) -> String? {
        guard a < top.count, !top[a].isEmpty else { return nil }
        let g = Int(peerOf[a])
        let parts = top[a].prefix(2).map { f -> String in
            let name = names[f.feature]
            if name == "mailbox_sharers" {
                // Judged against the store's mailboxes, not the peers: no peers' median.
                let v = x[a * d + f.feature]
                let k = mailboxes.map { Int($0.others[a]) } ?? 0, box = mailboxes.map { $0.mailbox[a] } ?? -1
                let chance = v >= MailboxSharers.maxDecades ? String(format: "under 1 in 10^%.0f", Double(MailboxSharers.maxDecades))
                    : v < 1 ? String(format: "1 in %.0f", pow(10, Double(v))) : String(format: "1 in 10^%.0f", Double(v))
                return "its mailbox\(box >= 0 ? " " + Mailbox.shown(box) : "") reached by \(k) other address(es) of other accounts (sub-addresses or dots of one inbox; a home holds \(mailboxes?.household ?? 1) here): chance \(chance) at the store's rate of shared inboxes, over its mailboxes"
            }
            if ReturnViews.names.contains(name), a < pageKey.count, pageKey[a] >= 0 {
                // page-returns: judged within its role × activity band, every age together.
                let k = Int(pageKey[a])
                return "\(Anomaly.show(name, x[a * d + f.feature])) (median of \(pageName[k]): \(Anomaly.show(name, pageMedians[k][f.feature], bare: true)))"
            }
            if Anomaly.paceNames.contains(name), a < busyKey.count, busyKey[a] >= 0 {
                // busy-pace: judged against its age group's busier half, not the band named below.
                let k = Int(busyKey[a])
                return "\(Anomaly.show(name, x[a * d + f.feature])) (median of the busier half of \(busyName[k]): \(Anomaly.show(name, busyMedians[k][f.feature], bare: true)))"
            }
            return "\(Anomaly.show(name, x[a * d + f.feature])) (peers' median \(Anomaly.show(name, medians[g][f.feature], bare: true)))"
        }
        var why = "unusual vs \(peerName[g]): " + parts.joined(separator: ", ")
        if a < company.count, company[a] >= 1 {
            why += String(format: "; in company: half of its %d crowd partner(s) at least as unusual (%.1f beyond chance)", Int(companions[a]), company[a])
        }
        if let r = audience, a < r.decades.count, r.decades[a] > 0 {
            let decades = r.decades[a] >= 1 ? String(format: "1 in 10^%.0f", r.decades[a]) : String(format: "1 in %.0f", pow(10, r.decades[a]))
            let column = r.column[a] >= 0 ? names[Int(r.column[a])].replacingOccurrences(of: "_", with: " ") : "a column"
            why += "; \(column) judged without the crowd on the target it acts on most: \(r.high[a]) of its \(r.audience[a]) accounts as high there (chance "
                + decades + " at their peers' rates, over \(r.tests) tests)"
        }
        if a < cobuyCompany.count, cobuyCompany[a] >= 1 {
            why += String(format: "; in company: half of its %d linked co-buyer(s) of that seller at least as unusual (%.1f beyond chance)", Int(cobuyMates[a]), cobuyCompany[a])
        }
        return why
    }

    /// A feature value in plain words (features are log1p'd counts unless named otherwise).
    static func show(_ name: String, _ v: Float, bare: Bool = false) -> String {
        let label = name.hasPrefix("n_") ? String(name.dropFirst(2)).replacingOccurrences(of: "_", with: " ") + "s"
                                         : name.replacingOccurrences(of: "_", with: " ")
        let value: String
        switch name {
        case "median_gap_log10s": value = String(format: "%.0f s", pow(10, Double(v)))
            return bare ? value : "median gap between events \(value)"
        case "five_star_share": value = String(format: "%.0f%%", Double(v) * 100)
            return bare ? value : "\(value) five-star reviews"
        case "age_at_first_event_days": value = String(format: "%.0f days", expm1(Double(v)))
            return bare ? value : "first event \(value) after sign-up"
        case "mean_order_amount": value = String(format: "%.2f", expm1(Double(v)))
        case "new_device_sensitive": value = String(format: "%.0f", expm1(Double(v)))
            return bare ? value : "\(value) orders/address changes/resets from a fresh device (×2 abroad)"
        case "rating_deviation": value = String(format: "%.1f", Double(v))
            return bare ? value + " stars" : "ratings \(value) stars from the item's other reviewers on average"
        case "review_burst": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "\(value) reviews on an item's burst day (far above its own daily rate)"
        case "linked_incentive_takers": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "\(value) account(s) sharing its device/card/address also took coupons"
        case "thin_coupon_first_crowd": value = String(format: "%.0f", Double(v))
            return bare ? (value == "0" ? "none beyond chance" : "1 in 10^" + value)
                        : "a coupon-first newcomer with little else, on an identifier crowded with such accounts: chance 1 in 10^\(value) at the store's share"
        case "abroad_share": value = String(format: "%.0f%%", Double(v) * 100)
            return bare ? value : "\(value) of its events with a place made outside its profile's country"
        case "mailbox_sharers": value = String(format: "%.0f", Double(v))
            return bare ? (value == "0" ? "none" : "1 in 10^" + value) : "mailbox shared beyond chance: 1 in 10^\(value)"
        case "refund_claims_beyond_rate": value = String(format: "%.0f", Double(v))
            return bare ? (value == "0" ? "within the rate" : "1 in 10^" + value)
                        : "refund claims on its orders: chance 1 in 10^\(value) at the store's claim rate"
        case "linked_refund_claimants": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "\(value) account(s) sharing its device/card/address claim refunds far beyond the store's rate"
        case "scalper_signs": value = v < 0.05 ? "under 0.1" : String(format: "%.1f", Double(v))
            return bare ? (v <= 0 ? "none" : "1 in 10^" + value)
                        : "limited-drop purchases with scalper signs short of or past the scalper bar: chance 1 in 10^\(value) among the store's drop buyers"
        case "linked_cobuyers": value = String(format: "%.0f", expm1(Double(v)))
            return bare ? (value == "0" ? "within the rate" : "1 in 10^" + value)
                        : "linked accounts buying from its seller: chance 1 in 10^\(value) at the seller's share of buyers"
        case "browse_regularity":
            // ln(1 + 1/q), q the interquartile range of log10(gap) (PaceFeatures.swift).
            let q = 1 / max(expm1(Double(v)), 1e-9)
            value = String(format: "±%.0f%%", (pow(10, q / 2) - 1) * 100)
            return bare ? value : "views at a regular pace (middle half of gaps within \(value) of their centre)"
        case "repeat_follows": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "\(value) follow(s) of an account it already followed"
        case "views_per_return": value = String(format: "%.0f", exp(Double(v)))
            return bare ? value : "\(value) views per return to a page it had seen"
        case "page_evenness":
            // ln(1 + 1/cv), cv the spread of its views per page over their mean (ReturnViews.swift).
            let cv = 1 / max(expm1(Double(v)), 1e-9)
            value = String(format: "±%.0f%%", cv * 100)
            return bare ? value : "views spread evenly over its pages (views per page within \(value) of their mean)"
        case "equipment_meetings": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "met accounts sharing its device on \(value) targets the same day"
        case "stranger_session_firsts": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "\(value) kinds of first (new address, new card, its largest order, first reset or profile change, failed logins, first message) on a device or network it used only briefly"
        case "stranger_equipment_accounts": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "\(value) other account(s) did several firsts on the same brief device or network"
        case "crowd_partners": value = String(Int(expm1(Double(v)).rounded()))
            return bare ? value : "met \(value) account(s) in bursts on 3+ different targets on different days (crowds far above each target's usual; weighted by their share of its burst company)"
        default: value = String(Int(expm1(Double(v)).rounded()))
        }
        return bare ? value : "\(value) \(label)"
    }
}

/// One reference distribution of a feature for the anomaly layer: the peers' values (missing
/// ones, the −1 sentinels, left out), sorted, their median and robust scale.
struct Reference {
    let values: [Float]
    let median: Float
    /// 1.4826 × MAD, floored at 0.3 (features are mostly log1p counts: a third more or less is not news).
    let scale: Float
    /// The scale above the median (tenth-spread): at least (q90 − median) / z₀.₉; `scale` when the
    /// reference was built without it. (The columns it is asked for are counts, unusual when high.)
    let scaleHigh: Float
    /// The standard normal's 90th percentile: the spread a tenth of the values reach, in sigmas.
    static let z90: Float = 1.2816

    /// nil when no value is present. tenth-spread: the median absolute deviation is 0 when more than
    /// half the values are one value (a kind of event most peers never have), and the floor then makes
    /// any other value "far" however many peers share it; the value a tenth of the peers reach bounds
    /// the scale above the median from below, as a normal's would (when fewer than a tenth are above
    /// the median, the 90th percentile is the median and the scale stays). Asked only of bands of at
    /// least 50 accounts (`Anomaly.compute`): among a handful the top one would set its own scale.
    init?(_ raw: [Float], tenthSpread: Bool = false) {
        var v = raw.filter { $0 >= 0 }
        guard !v.isEmpty else { return nil }
        v.sort()
        let med = v[v.count / 2]
        var dev = v.map { abs($0 - med) }
        dev.sort()
        values = v
        median = med
        scale = max(1.4826 * dev[dev.count / 2], 0.3)
        if tenthSpread {
            scaleHigh = max(scale, (nearestRankUp(v, 0.9) - med) / Reference.z90)
        } else {
            scaleHigh = scale
        }
    }

    /// Rare (tail probability on the unusual side, the account itself counted) and far (robust z
    /// beyond 1–3): both, or it is not unusual. −ln(2p) scaled by how far, plus half of z beyond 3.
    func surprise(_ y: Float, direction dir: Int) -> Float {
        let m = Float(values.count)
        let p: Float
        if dir > 0 { p = Float(values.count - lowerBound(values, y)) / m } else { p = Float(upperBound(values, y)) / m }
        return Reference.surprise(p: p, z: Float(dir) * (y - median) / (dir > 0 ? scaleHigh : scale))
    }

    /// The high side for a value judged against these values with itself counted in the tail
    /// (audience-company: the band without a crowd): p = (those at or above it + 1) / (count + 1),
    /// the median and scale the others'.
    func surpriseCountingItself(_ y: Float) -> Float {
        let p = Float(values.count - lowerBound(values, y) + 1) / Float(values.count + 1)
        return Reference.surprise(p: p, z: (y - median) / scaleHigh)
    }

    /// From the tail probability p and the robust z: −ln(2p) scaled by how far, plus half of z beyond 3.
    private static func surprise(p: Float, z: Float) -> Float {
        let far = min(1, max(0, (z - 1) / 2))
        return p >= 0.5 ? 0 : -log(2 * p) * far + 0.5 * max(0, min(z, 20) - 3)
    }
}

/// In a sorted, non-empty array: the smallest value with at least a share q of the values at or
/// below it (nearest rank: index ⌈q·n⌉ − 1).
@inline(__always) func nearestRankUp(_ v: [Float], _ q: Double) -> Float {
    v[min(v.count - 1, max(0, Int((q * Double(v.count)).rounded(.up)) - 1))]
}

/// In a sorted array: the first index whose value is ≥ y (lowerBound), > y (upperBound).
@inline(__always) func lowerBound<T: Comparable>(_ v: [T], _ y: T) -> Int {
    var lo = 0, hi = v.count
    while lo < hi { let m = (lo + hi) / 2; if v[m] < y { lo = m + 1 } else { hi = m } }
    return lo
}
@inline(__always) func upperBound<T: Comparable>(_ v: [T], _ y: T) -> Int {
    var lo = 0, hi = v.count
    while lo < hi { let m = (lo + hi) / 2; if v[m] <= y { lo = m + 1 } else { hi = m } }
    return lo
}

// MARK: propagation

/// Risk that flows through structure. Accounts and what they share — devices, payment
/// instruments, delivery addresses, IPs, and the groups detectors found (rings, farms,
/// clusters) — form a bipartite graph. Each shared node passes on the *mean* evidence of its
/// other accounts (so a node is judged against its own base rate: an IP behind which 3,000
/// ordinary customers and 20 bots sit passes on little), further damped by √(10 / sharers)
/// for hubs with more than ten accounts. Two rounds, so evidence reaches a second hop at half
/// weight. An account's support is the noisy-OR over kinds of its strongest node of each kind. IPs count a fifth (carrier NAT,
/// offices and VPN exits are shared by strangers). An identifier needs two witnesses: it passes on no more than the
/// evidence of the account's second-strongest co-member on it, so one flagged account's household partner inherits
/// nothing (fp37; detected groups are exempt). An IP holding more flagged accounts than a home holds, beyond chance
/// (binomial tail under 1 % after Bonferroni), is a ring's own and counts as a device, damped by its strangers only;
/// the flagged accounts that made it so get the plain IP's share from it (owned-ips). Failed log-ins link nothing
/// (own-logins).
public struct Propagation {
    public var support: [Double]
    public var reason: [String?]

    static let kindNames = ["device", "payment instrument", "address", "IP", "group"]
    static let kindWeights: [Double] = [1.0, 1.0, 0.9, 0.2, 1.0]

    /// `corroborate`: an identifier (device, card, address, IP) passes on evidence only as far
    /// as a second flagged co-member on it corroborates it (fp37; `false` = the rule before).
    public static func compute(_ t: EventTable, findings: [Finding], evidence e: [Double], corroborate: Bool = true,
                               ownedIPs: Bool = true, skipFailedLogins: Bool = true) -> Propagation {
        let n = t.accountCount
        // Node ids: per kind an offset; pairs (node << 32 | account), sorted and unique.
        let columns = [t.device, t.payment, t.address, t.ip]
        let sizes = [t.devices.count, t.payments.count, t.addresses.count, t.ips.count]
        var offsets = [0]
        for s in sizes { offsets.append(offsets.last! + s) }
        var groupIDs: [String: Int] = [:]
        var pairs: [UInt64] = []
        pairs.reserveCapacity(t.count / 2)
        var scratch: [Int] = []
        var hasIP = [Bool](repeating: false, count: n)
        for a in 0..<n {
            scratch.removeAll(keepingCapacity: true)
            for ev in t.events(of: a) {
                let e = Int(ev)
                // A failed log-in's device and IP are whoever tried (a credential-stuffing
                // wave's), not the account's own.
                if skipFailedLogins && t.kind[e] == .login && t.failed[e] { continue }
                for k in 0..<4 { let v = columns[k][e]; if v >= 0 { scratch.append(offsets[k] + Int(v)) } }
            }
            scratch.sort()
            var prev = -1
            for v in scratch where v != prev { pairs.append(UInt64(v) << 32 | UInt64(a)); prev = v }
            // (IPs are the last identifier kind: the sorted list's last node says whether it has one.)
            if let last = scratch.last, last >= offsets[3] { hasIP[a] = true }
        }
        for f in findings where f.account >= 0 && Int(f.account) < n {
            guard let g = f.group else { continue }
            let id: Int
            if let x = groupIDs[g] { id = x } else { id = offsets[4] + groupIDs.count; groupIDs[g] = id }
            pairs.append(UInt64(id) << 32 | UInt64(f.account))
        }
        pairs.sort()
        // Dedupe (group pairs can repeat).
        var w = 0
        for i in pairs.indices where i == 0 || pairs[i] != pairs[w - 1] { pairs[w] = pairs[i]; w += 1 }
        pairs.removeLast(pairs.count - w)
        func kind(_ node: Int) -> Int { var k = 0; while k < 4 && node >= offsets[k + 1] { k += 1 }; return k }
        // Runs of one node: [start, end) into pairs.
        var runs: [(node: Int, start: Int, end: Int)] = []
        var i = 0
        while i < pairs.count {
            let node = Int(pairs[i] >> 32)
            var j = i
            while j < pairs.count && Int(pairs[j] >> 32) == node { j += 1 }
            if j - i >= 2 { runs.append((node, i, j)) }
            i = j
        }
        // A ring's own IP (owned-ips): an IP counts a fifth because strangers share carrier exits,
        // offices and VPNs. Where the flagged accounts on one IP are more than a home holds and far
        // beyond the store's share of flagged accounts — a binomial tail below 1 % after Bonferroni
        // over the IPs tested — the IP is not a crowd's: it counts as a device does.
        var runWeight = runs.map { kindWeights[kind($0.node)] }
        var owned = [Int](repeating: -1, count: runs.count)   // an owned IP's flagged accounts
        if ownedIPs {
            // The store's household scale H (as SharingIndependence): the 90th percentile of the
            // accounts on a shared address that links. An IP with no more flagged accounts than a
            // home holds is a home's network, not a ring's (two flagged housemates and the third
            // who is not stay a household).
            let bound = t.linkBound
            var homes: [Int] = []
            for r in runs where kind(r.node) == 2 && bound.links(LinkBound.address, Int32(r.node - offsets[2]), accounts: r.end - r.start) {
                homes.append(r.end - r.start)
            }
            let household = SharingIndependence.householdScale(ofHomes: homes)
            // The share of flagged accounts among the accounts seen on any IP.
            var withIP = 0, flaggedWithIP = 0
            for a in 0..<n where hasIP[a] { withIP += 1; if e[a] >= 0.5 { flaggedWithIP += 1 } }
            let p0 = Double(flaggedWithIP) / Double(max(1, withIP))
            var tails: [(run: Int, flagged: Int, logTail: Double)] = []
            for (ri, r) in runs.enumerated() where kind(r.node) == 3 {
                var x = 0
                for p in r.start..<r.end where e[Int(pairs[p] & 0xFFFF_FFFF)] >= 0.5 { x += 1 }
                guard x >= 2, x > household else { continue }
                tails.append((ri, x, Significance.logBinomialTail(x, r.end - r.start, p0)))
            }
            let bar = log(0.01 / Double(max(1, tails.count)))
            for tail in tails where tail.logTail < bar { runWeight[tail.run] = kindWeights[0]; owned[tail.run] = tail.flagged }
        }
        var support = [Double](repeating: 0, count: n)
        var bestNode = [(m: Double, run: Int)](repeating: (0, -1), count: n)
        var value = e
        for round in 0..<2 {
            // Per kind, the strongest node: a hundred VPN exits each shared with some bot are
            // not a hundred times the evidence of one. Kinds then combine as a noisy-OR.
            var strongest = [[Double]](repeating: [Double](repeating: 0, count: n), count: kindWeights.count)
            for (ri, r) in runs.enumerated() {
                let k = Double(r.end - r.start)
                var sum = 0.0
                // The three largest values on the node (and where the two largest sit), for
                // each account's second-strongest co-member below.
                var t1 = 0.0, t2 = 0.0, t3 = 0.0, p1 = -1, p2 = -1
                for p in r.start..<r.end {
                    let v = value[Int(pairs[p] & 0xFFFF_FFFF)]
                    sum += v
                    if v > t1 { t3 = t2; t2 = t1; p2 = p1; t1 = v; p1 = p } else if v > t2 { t3 = t2; t2 = v; p2 = p } else if v > t3 { t3 = v }
                }
                if sum <= 0 { continue }
                let kd = kind(r.node)
                // A hub's mean is damped by its strangers: on an owned IP only the accounts beyond
                // as many again as the ring's flagged members count (a ring's IP holds its flagged
                // members and about as many it has not been found with; a carrier exit with a ring
                // on it is still thousands of strangers).
                let strangers = owned[ri] >= 0 ? k - 2 * Double(owned[ri]) : k
                let damp = strangers > 10 ? (10 / strangers).squareRoot() : 1
                let weight = runWeight[ri] * damp * (round == 0 ? 1 : 0.5)
                // The ring's flagged members are what made the IP owned: for them it is their own
                // evidence again, so they get the plain IP's share (a falsely flagged group on one
                // home network must not lift itself).
                let plain = kindWeights[kd] * (k > 10 ? (10 / k).squareRoot() : 1) * (round == 0 ? 1 : 0.5)
                for p in r.start..<r.end {
                    let a = Int(pairs[p] & 0xFFFF_FFFF)
                    let weight = owned[ri] >= 0 && e[a] >= 0.5 ? plain : weight
                    var m = weight * (sum - value[a]) / (k - 1)
                    // Two witnesses (fp37): an identifier passes on no more than the evidence of
                    // the account's *second*-strongest co-member on it. One flagged account's
                    // phone, card or address partner is what a household gives (bazaar: 23 such
                    // partners in four worlds' top K, none fraud); a ring's identifier carries
                    // several flagged members. Detected groups are the detectors' own unit: exempt.
                    // The account's own finding is a witness too: two flagged accounts on one
                    // phone or card corroborate each other (ours 103: a refund ring linked pairwise,
                    // each claimant flagged on its own, fell under K without it).
                    if corroborate && kd < 4 {
                        let second = (p == p1 || p == p2) ? t3 : t2
                        let top = p == p1 ? t2 : t1
                        m = min(m, weight * max(second, min(e[a], top)))
                    }
                    if m <= 1e-6 { continue }
                    strongest[kd][a] = max(strongest[kd][a], min(0.95, m))
                    if m > bestNode[a].m { bestNode[a] = (m, ri) }
                }
            }
            for a in 0..<n {
                var keep = 1.0
                for k in strongest.indices { keep *= 1 - strongest[k][a] }
                support[a] = 1 - keep
            }
            value = (0..<n).map { max(e[$0], 0.5 * support[$0]) }
        }
        var reason = [String?](repeating: nil, count: n)
        for a in 0..<n where support[a] >= 0.25 && bestNode[a].run >= 0 {
            let r = runs[bestNode[a].run]
            var flagged = 0
            for p in r.start..<r.end where Int(pairs[p] & 0xFFFF_FFFF) != a && e[Int(pairs[p] & 0xFFFF_FFFF)] >= 0.5 { flagged += 1 }
            let k = r.end - r.start
            let kindName = kindNames[kind(r.node)]
            let what = kind(r.node) == 4 ? "in a detected group"
                : kind(r.node) == 3 ? (owned[bestNode[a].run] >= 0 ? "shares an IP a ring owns" : "shares an IP") : "shares a \(kindName)"
            reason[a] = "linked: \(what) with \(k - 1) account(s), \(flagged) of them strongly flagged"
        }
        return Propagation(support: support, reason: reason)
    }
}
