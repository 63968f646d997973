import Foundation

/// How rarely an account comes back to a page it has seen, for the anomaly layer (counted only
/// beyond chance over the features tested like every behaviour feature, but judged within role ×
/// activity band among the accounts that have the column, every age together, and a cluster far
/// beyond that band's bulk against the bulk — `Anomaly.compute`, `fence`):
///
/// - `views_per_return`: over the account's item and profile views, V views of which R return to
///   an item or profile it had viewed before; the value is ln(V / (R + 1)). Missing (−1) with
///   fewer than `minViews` views, so only accounts that browse enough to have come back are
///   compared. "18 views per return" reads as exp(value).
///
/// People come back to what they weigh buying or whom they follow: among accounts as busy,
/// a heavy browser's views return to a page it saw about a third of the time (on 43 worlds of
/// both generators, no honest account with 200 views or more had over 95 % of them on new
/// pages), so such a browser sits near ln 3. A program that walks a catalogue or a member list
/// fetches each page once, at any pace and with any jitter: its value grows with its length
/// (1,294 pages in 1,296 views: ln 432).
///
/// - `page_evenness`: ln(1 + 1 / max(cv, `minCV`)), cv the standard deviation of its views per
///   page over their mean. Asked only of accounts with at least `minReturns` returns: with fewer,
///   "every page once" is `views_per_return`'s to say (asking both counted one fact twice).
///   People's returns pile up on a few favourites (on the same worlds, cv at least 0.30 for every
///   honest account with 200 views or more, each world's median 0.8–3.6); a crawler that walks the
///   same list again and again sees each page as often as the next (906 items walked 4.4 times
///   each: cv ≈ 0.1), which `views_per_return` calls ordinary (it returns constantly).
///
/// What is unusual is decided by the peers' own distribution, never a fixed share: a store whose
/// visitors land from search on one page each makes new pages ordinary there, and then nothing is
/// said. Assumes item and profile identifiers are stable (the same page is the same id on every
/// visit).
enum ReturnViews {
    static let names = ["views_per_return", "page_evenness"]
    /// A person who views this many pages has come back to some of them: 0 returns in 30 views is
    /// one sitting of browsing, in 100 it is a walk (the bands judge the rest). With 20 (the pace
    /// features' minimum) honest accounts of 30–60 views all on new pages were lifted to the top
    /// 5 %'s edge on bazaar 4300 and pushed a one-room crew out of it (measured, not kept).
    static let minViews = 100
    /// `page_evenness` is asked of accounts with at least this many returns.
    static let minReturns = 20
    /// `page_evenness`' floor on the spread (one view per page is no spread at all).
    static let minCV = 0.01

    /// How far beyond a band's median, in its robust scale, the bulk of the band ends.
    static let fenceScales: Float = 5
    /// The band's bulk — its values at most `fenceScales` robust scales above its median — when some
    /// lie beyond it, at least 50 (the layer's band minimum) within, and an empty stretch of at least
    /// one robust scale between the bulk's largest value and the smallest beyond: what lies beyond is
    /// then a cluster of its own (a fleet), not the bulk's tail going on (honest accounts that rarely
    /// come back, spread from the bulk outwards, are judged in the band as before). nil otherwise.
    static func fence(_ band: Reference) -> (Float, Reference)? {
        let at = band.median + fenceScales * band.scale
        let inside = band.values.prefix { $0 <= at }
        guard inside.count < band.values.count, inside.count >= 50, let last = inside.last,
              band.values[inside.count] - last >= band.scale,
              let bulk = Reference(Array(inside)) else { return nil }
        return (at, bulk)
    }

    /// Row-major, `accountCount × names.count`; −1 = missing.
    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        let w = names.count
        var x = [Float](repeating: -1, count: n * w)
        guard n > 0, t.count > 0 else { return x }
        let nItems = Int64(t.items.count)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        x.withUnsafeMutableBufferPointer { xb in
            let out = xb.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { wk in
                var pages: [Int64] = []
                var counts: [Double] = []
                for a in workerChunk(wk, of: workers, count: n) {
                    pages.removeAll(keepingCapacity: true)
                    for ev in t.events(of: a) {
                        let e = Int(ev)
                        switch t.kind[e] {
                        case .view where t.item[e] >= 0: pages.append(Int64(t.item[e]))
                        case .profileView where t.target[e] >= 0: pages.append(nItems + Int64(t.target[e]))
                        default: break
                        }
                    }
                    guard pages.count >= minViews else { continue }
                    pages.sort()
                    // Views per page, in runs of equal identifiers.
                    counts.removeAll(keepingCapacity: true)
                    var run = 1
                    for i in 1...pages.count {
                        if i < pages.count && pages[i] == pages[i - 1] { run += 1; continue }
                        counts.append(Double(run))
                        run = 1
                    }
                    let views = Double(pages.count), distinct = Double(counts.count)
                    let returns = views - distinct
                    out[a * w] = Float(log(views / (returns + 1)))
                    // Evenness is of the returns: with few, "all pages once" is `views_per_return`'s to say.
                    guard returns >= Double(minReturns) else { continue }
                    let mean = views / distinct
                    var ss = 0.0
                    for c in counts { ss += (c - mean) * (c - mean) }
                    let cv = (ss / distinct).squareRoot() / mean
                    out[a * w + 1] = Float(log1p(1 / max(cv, minCV)))
                }
            }
        }
        return x
    }
}
