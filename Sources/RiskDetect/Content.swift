import Foundation

/// Scraping and information leakage: enumeration of profiles or items at a machine-regular
/// pace across many distinct targets — at any pace. A run is a stretch of one kind of view
/// without a pause longer than several of the account's own typical gaps (so a bot that
/// waits two minutes between pages has runs as long as one that waits two seconds). People
/// browse in bursts with irregular pauses (gaps vary about as much as they last, CV ≈ 1);
/// a run of 30+ near-constant gaps (CV < 0.5) over mostly distinct targets is not a person.
/// Nor is one that walks the same list again and again (a crawler that monitors a catalogue or
/// the store's profiles, every few minutes or hours): its targets repeat, but only after more
/// distinct ones than a person of this store views of that kind at all (s68: the 99th percentile
/// of distinct targets per viewer among the accounts with no regular run, `rewalkAgainstPeople`;
/// and at least the 30 of a run), and not mostly the account's own pages. A page left open that
/// refreshes itself, or a few pages reloaded in turn, repeats after a handful.
/// Coverage is judged against the store: the distinct targets the account reached, against
/// the 99th percentile of how many such views accounts that view that kind at all make.
/// The account's requests are read three ways — profile views, item views, and both as one
/// stream — because a bot that walks items and profiles alternately is regular in what it
/// sends, not in either kind alone (each kind's gaps are then sums of a random number of
/// intervals, as irregular as a person's).
public struct ScrapingDetector: Detector {
    public let name = "scraping"
    /// Shortest pause that always ends a run, and the multiple of the account's median gap that does.
    public var minBreakMs: Int64 = 60_000
    public var breakFactor = 8.0
    public var minRun = 30
    public var maxCV = 0.5
    /// s65: a run whose times are mostly whole seconds (a quarter of them or more: an export that
    /// rounds some sources' clocks) and whose mean step is under `coarsePaceMs` is also measured over
    /// blocks of m steps, m at the run's mean pace making `coarseBlockMs`, the blocks' CV scaled by √m
    /// (`blockCV`): a crawler at 0.6 s a page logged to the second has steps of 0 s and 1 s (CV ≈ 0.8)
    /// and passed as a person (bazaar-unseen 4313: 6 of a 17-crawler fleet). `detect --no-sign coarse-clocks`.
    public var coarseClocks = true
    public var coarsePaceMs = 5_000.0
    public var coarseBlockMs = 10_000.0
    /// The fewest blocks (non-overlapping equivalents) a run must hold to be measured that way.
    public var coarseBlocks = 15
    /// s68: a re-walk is judged against people. Its bar is the 99th percentile of *distinct*
    /// targets of the kind per viewing account, among the accounts with no machine-regular run in
    /// that stream — not of views per viewing account among all. Where crawlers are a percent of
    /// the viewers the old bar was theirs (bazaar 1: views p99 1,258, the fleet's; people's distinct
    /// pages p99 ≈ 320), and a fleet that walked its 413 pages four times in a day at 31 s ± 14 %
    /// went unreported, at the very bottom of the queue. "No regular run" is over all three streams
    /// (a crawler that alternates items and profiles is regular only in the combined one); a re-walk
    /// mostly over the account's own pages (its listings, its profile) is not counted; the combined
    /// stream is read only for accounts that viewed both kinds. `detect --no-sign rewalk-people`
    /// judges as before s68.
    public var rewalkAgainstPeople = true

    /// The CV of a run's steps measured over blocks of m steps, scaled by √m, and m; nil when the run is
    /// not asked: under a quarter of its times whole seconds (`ts % 1000 == 0`, times in ms), a mean step
    /// of `paceMs` or more, m under 2, or fewer than `minBlocks` blocks of m in it. Every block of m
    /// consecutive steps counts (overlapping: every start), which halves the noise of the estimate against
    /// disjoint blocks. The pace is the run's mean step — the span over the steps — where rounding errs by
    /// under a second in all; a median of steps rounded to 0 s and 1 s is 0 for a crawler under 0.5 s.
    /// For independent steps a block's CV is the step's over √m, so a person's irregular steps stay
    /// irregular; a run whose running time keeps to a clock (i · T plus an error that does not carry
    /// over, as rounding is) shows its clock's regularity.
    static func blockCV(_ ts: [Int64], paceMs: Double, blockMs: Double, minBlocks: Int) -> (cv: Double, m: Int)? {
        let n = ts.count
        guard n >= 2 else { return nil }
        let whole = ts.reduce(0) { $0 + ($1 % 1000 == 0 ? 1 : 0) }
        let mean = Double(ts[n - 1] - ts[0]) / Double(n - 1)
        guard 4 * whole >= n, mean < paceMs else { return nil }
        let m = Int(min(Double(n), (blockMs / max(1, mean)).rounded(.up)))
        guard m >= 2, (n - 1) / m >= minBlocks else { return nil }
        var blocks: [Double] = []
        blocks.reserveCapacity(n - m)
        for k in 0..<(n - m) { blocks.append(Double(ts[k + m] - ts[k])) }
        return (Stat.cv(blocks) * Double(m).squareRoot(), m)
    }
    public init() {}

    /// One stretch of a stream without a pause longer than the stream's break: rows `lo..<hi` of
    /// the stream's list, the CV of its steps (over blocks of `block` steps when `coarseClocks`
    /// measured it so; 0 otherwise) and its distinct targets.
    struct StreamRun {
        var lo: Int, hi: Int, cv: Double, block: Int, targets: Set<Int32>
        var count: Int { hi - lo }
    }

    /// The page a view fetched: its item, or (a profile view) the account viewed, after the items.
    @inline(__always) static func targetKey(_ t: EventTable, _ e: Int, nItems: Int32) -> Int32 {
        t.kind[e] == .view ? t.item[e] : nItems &+ t.target[e]
    }

    /// The runs of `minRun` views or more of one account's stream (`list`: its rows, in time order);
    /// each run's distinct targets only `withTargets` (the first pass asks whether a run is regular).
    func runs(_ t: EventTable, _ list: [Int], nItems: Int32, withTargets: Bool = true) -> [StreamRun] {
        guard list.count >= minRun else { return [] }
        var allGaps: [Double] = []
        allGaps.reserveCapacity(list.count)
        for k in 1..<list.count { allGaps.append(Double(t.ts[list[k]] - t.ts[list[k - 1]])) }
        let breakMs = max(Double(minBreakMs), breakFactor * Stat.median(allGaps))
        var out: [StreamRun] = []
        var start = 0
        for k in 1...list.count where k == list.count || Double(t.ts[list[k]] - t.ts[list[k - 1]]) > breakMs {
            defer { start = k }
            let lo = start, hi = k
            guard hi - lo >= minRun else { continue }
            var gaps: [Double] = []
            gaps.reserveCapacity(hi - lo)
            var targets = Set<Int32>()
            for j in lo..<hi {
                let e = list[j]
                if withTargets { targets.insert(Self.targetKey(t, e, nItems: nItems)) }
                if j > lo { gaps.append(Double(t.ts[e] - t.ts[list[j - 1]]) / 1000) }
            }
            var cv = Stat.cv(gaps), block = 0
            // `coarseClocks`: a run that fails the step test, its times mostly whole seconds.
            if coarseClocks && cv >= maxCV,
               let b = Self.blockCV((lo..<hi).map { t.ts[list[$0]] }, paceMs: coarsePaceMs, blockMs: coarseBlockMs, minBlocks: coarseBlocks),
               b.cv < cv {
                cv = b.cv; block = b.m
            }
            out.append(StreamRun(lo: lo, hi: hi, cv: cv, block: block, targets: targets))
        }
        return out
    }

    /// How many of a run's views are of account `a`'s own pages: its items (the event's seller, or
    /// the item's) or its own profile.
    func ownViews(_ t: EventTable, _ list: [Int], _ r: StreamRun, _ a: Int) -> Int {
        let me = Int32(a)
        var own = 0
        for j in r.lo..<r.hi {
            let e = list[j]
            if t.kind[e] == .view {
                let item = Int(t.item[e])
                if t.seller[e] == me || (item >= 0 && item < t.itemSeller.count && t.itemSeller[item] == me) { own += 1 }
            } else if t.target[e] == me {
                own += 1
            }
        }
        return own
    }

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        // The store's distribution of views per account, per kind.
        let streams: [[EventKind]] = [[.profileView], [.view], [.profileView, .view]]
        let nItems = Int32(clamping: t.items.count)
        var coverageBar = [Double](repeating: .infinity, count: streams.count)
        var perAccount = [[Double]](repeating: [], count: streams.count)
        // Per account, a bit per stream that holds a machine-regular run (CV under `maxCV`): only
        // those can be reported, and (`rewalkAgainstPeople`) an account with none in any stream is
        // one of the people the re-walk is judged against — the distinct targets of its streams.
        var regular = [UInt8](repeating: 0, count: t.accountCount)
        var peopleDistinct = [[Double]](repeating: [], count: streams.count)
        /// Which streams an account is read as: the combined one only when it viewed both kinds
        /// (with one kind it is that kind's stream again, judged against another kind's bar).
        func has(_ si: Int, _ p: Int, _ v: Int) -> Bool { si == 0 ? p > 0 : si == 1 ? v > 0 : p > 0 && v > 0 }
        for a in 0..<t.accountCount {
            if a & 0x3FFF == 0 { try cancel.check() }
            var p = 0, v = 0
            let ev = t.events(of: a)
            for e in ev {
                switch t.kind[Int(e)] { case .profileView: p += 1; case .view: v += 1; default: break }
            }
            if p > 0 { perAccount[0].append(Double(p)) }
            if v > 0 { perAccount[1].append(Double(v)) }
            if p > 0 && v > 0 { perAccount[2].append(Double(p + v)) }
            var lists: [[Int]] = [[], [], []]
            // With the sign off, every stream as before s68 (the combined one for one kind too).
            for (si, kinds) in streams.enumerated() where !rewalkAgainstPeople || has(si, p, v) {
                lists[si] = ev.filter { kinds.contains(t.kind[Int($0)]) }.map(Int.init)
                if runs(t, lists[si], nItems: nItems, withTargets: false).contains(where: { $0.cv < maxCV }) { regular[a] |= 1 << si }
            }
            if rewalkAgainstPeople && regular[a] == 0 {
                for si in streams.indices where has(si, p, v) {
                    peopleDistinct[si].append(Double(Set(lists[si].map { Self.targetKey(t, $0, nItems: nItems) }).count))
                }
            }
        }
        for k in streams.indices { coverageBar[k] = Significance.quantile(perAccount[k], 0.99) ?? .infinity }
        // A store whose viewers of a kind all have a regular run has no people to judge against: the old bar.
        let walkBar: [Double] = streams.indices.map { k in
            rewalkAgainstPeople ? Significance.quantile(peopleDistinct[k], 0.99) ?? coverageBar[k] : coverageBar[k]
        }
        try cancel.check()
        var findings: [Finding] = []
        for a in 0..<t.accountCount where regular[a] != 0 {
            try cancel.check()
            let ev = t.events(of: a)
            var best: (Double, String, [Int64])? = nil
            for (si, kinds) in streams.enumerated() where regular[a] & (1 << si) != 0 {
                let list = ev.filter { kinds.contains(t.kind[Int($0)]) }.map(Int.init)
                if list.count < minRun { continue }
                var total = 0, runs = 0
                var sample: [Int64] = []
                var covered = Set<Int32>()
                var bestRun: (Double, Double, Double, Int, Int) = (0, 0, 0, 0, 0)
                for r in self.runs(t, list, nItems: nItems) {
                    let n = r.count, cv = r.cv
                    let distinct = Double(r.targets.count) / Double(n)
                    // Mostly distinct, or a list walked again: more distinct targets in this one run
                    // than 99% of this store's viewers of the kind reach (`walkBar`).
                    let walk = max(Double(minRun), walkBar[si])
                    // A re-walk over the account's own pages (a shop's tool checking its listings, or its
                    // own profile) is the owner's, not a crawl of the store: not counted as one.
                    let rewalk = distinct < 0.5 && Double(r.targets.count) >= walk
                        && (!rewalkAgainstPeople || 2 * ownViews(t, list, r, a) < n)
                    guard cv < maxCV && (distinct >= 0.5 || rewalk) else { continue }
                    // 30 near-constant gaps are already beyond chance for a person; more adds little.
                    let spread = rewalk ? Stat.ramp(Double(r.targets.count), walk, 2 * walk) : Stat.ramp(distinct, 0.5, 0.9)
                    let s = 0.55 + 0.15 * Stat.ramp(Double(n), Double(minRun), 300) + 0.15 * (1 - Stat.ramp(cv, 0.2, maxCV))
                          + 0.15 * spread
                    total += n; runs += 1
                    covered.formUnion(r.targets)
                    if sample.count < 200 { sample += (r.lo..<min(r.hi, r.lo + 50)).map { t.rowid[list[$0]] } }
                    if s > bestRun.0 {
                        let meanGap = Double(t.ts[list[r.hi - 1]] - t.ts[list[r.lo]]) / 1000 / Double(n - 1)
                        bestRun = (s, meanGap, cv, n, r.block)
                    }
                }
                guard runs > 0 else { continue }
                // Reaching more targets than 99% of the store's viewers adds weight; a short regular run alone is weaker.
                let bar = coverageBar[si]
                let coverage = Stat.ramp(Double(covered.count), bar * 0.5, bar * 2)
                let s = min(0.97, bestRun.0 * (0.8 + 0.2 * coverage) + 0.1 * coverage + 0.05 * Double(runs - 1))
                guard s >= 0.6, s > (best?.0 ?? 0) else { continue }
                let what = ["profiles", "item pages", "profiles and item pages"][si]
                let pace = bestRun.1 >= 90 ? String(format: "%.1f min", bestRun.1 / 60) : String(format: "%.1f s", bestRun.1)
                var why = "enumerated \(total) \(what) (\(covered.count) distinct) in \(runs) run(s) at a machine-regular pace: every \(pace) (variation \(Int((bestRun.2 * 100).rounded()))%\(bestRun.4 > 0 ? " over blocks of \(bestRun.4) steps; times logged to the second" : "")), "
                    + (total >= 2 * covered.count ? "the same \(covered.count) walked again and again (each about \(Int((Double(total) / Double(covered.count)).rounded())) times)" : "nearly all distinct")
                if Double(covered.count) > bar { why += "; more distinct \(what) than 99% of accounts (\(Int(bar)))" }
                best = (s, why, sample)
            }
            if let b = best {
                findings.append(Finding(account: Int32(a), detector: name, riskType: .scraping, strength: b.0, reason: b.1, events: b.2))
            }
        }
        return findings
    }
}
