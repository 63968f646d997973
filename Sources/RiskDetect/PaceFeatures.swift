import Foundation

/// How machine-regular an account's browsing is, for the anomaly layer (judged within peer
/// groups — role, age, amount of activity — like every behaviour feature, and counted only
/// beyond chance over the features tested):
///
/// - `browse_regularity`: over the account's item and profile views (one stream, in time
///   order), the gaps between consecutive views inside runs — a run ends where the pause
///   exceeds max(60 s, 8 × the account's own median gap), as in the scraping detector, so the
///   measure does not depend on the pace — and the spread of those gaps on a log scale: the
///   interquartile range of log10(gap), q. The value is ln(1 + 1 / max(q, 0.001)) (the floor is
///   the millisecond clock's resolution, not a threshold). People's gaps vary about as much as
///   they last (q ≈ 0.5 for exponential gaps: value ≈ 1.1); a bot waiting 85 s ± 2 % between
///   pages has q ≈ 0.01 (value ≈ 4.6) at any pace. Missing (−1) with fewer than `minGaps` gaps
///   in runs, so only accounts that browse enough to have a rhythm are compared.
///
/// What is unusual is decided by the peers' own distribution (the layer's tail test and
/// robust z), not by a fixed spread: a store whose buyers all browse through an app that
/// prefetches on a timer makes regularity ordinary there. Assumes people's browsing gaps are
/// irregular (heavy-tailed, as reading times are) and that a client that is regular to the
/// second is a program.
enum PaceFeatures {
    static let names = ["browse_regularity"]
    static let minGaps = 20
    static let minPauseMs: Int64 = 60_000
    static let pauseFactor: Int64 = 8

    /// Row-major, `accountCount × names.count`; −1 = missing.
    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        let w = names.count
        var x = [Float](repeating: -1, count: n * w)
        guard n > 0, t.count > 0 else { return x }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        x.withUnsafeMutableBufferPointer { xb in
            let out = xb.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { wk in
                var gaps: [Int64] = []
                var sorted: [Int64] = []
                var logs: [Double] = []
                for a in workerChunk(wk, of: workers, count: n) {
                    gaps.removeAll(keepingCapacity: true)
                    var prev: Int64?
                    for ev in t.events(of: a) {
                        let e = Int(ev)
                        let k = t.kind[e]
                        guard k == .view || k == .profileView else { continue }
                        let ts = t.ts[e]
                        if let p = prev, ts > p { gaps.append(ts - p) }
                        prev = ts
                    }
                    guard gaps.count >= minGaps else { continue }
                    sorted.removeAll(keepingCapacity: true)
                    sorted.append(contentsOf: gaps)
                    sorted.sort()
                    let cut = max(minPauseMs, pauseFactor * sorted[sorted.count / 2])
                    logs.removeAll(keepingCapacity: true)
                    for g in sorted where g <= cut { logs.append(log10(Double(g))) }
                    guard logs.count >= minGaps else { continue }
                    // Already sorted (gaps were).
                    let q1 = quantile(logs, 0.25), q3 = quantile(logs, 0.75)
                    out[a * w] = Float(log1p(1 / max(q3 - q1, 0.001)))
                }
            }
        }
        return x
    }

    /// Linear-interpolated quantile of a sorted array.
    static func quantile(_ v: [Double], _ p: Double) -> Double {
        let h = p * Double(v.count - 1)
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, v.count - 1)
        return v[lo] + (h - Double(lo)) * (v[hi] - v[lo])
    }
}

/// The behaviour features' two pace measures over one account's event times, ascending:
/// `max_events_in_an_hour` (the most events in any window of one hour, log1p) and
/// `median_gap_log10s` (log10 of the median gap between consecutive events in seconds, at
/// least 1 s; −1 with fewer than two events). One definition for `AccountFeatures` and for
/// `StrangerMessages`' pace without service messages, so the two always measure alike.
enum EventPace {
    static let windowMs: Int64 = 3_600_000

    /// `gaps` is caller-owned scratch (kept to reuse its capacity).
    static func measure<C: RandomAccessCollection>(_ ts: C, gaps: inout [Int64]) -> (burst: Float, gap: Float)
        where C.Element == Int64, C.Index == Int {
        gaps.removeAll(keepingCapacity: true)
        var burst = 0, lo = ts.startIndex
        var prev: Int64?
        for i in ts.indices {
            let x = ts[i]
            if let p = prev { gaps.append(x - p) }
            prev = x
            while ts[lo] < x - windowMs { lo += 1 }
            burst = max(burst, i - lo + 1)
        }
        var gap: Float = -1
        if !gaps.isEmpty {
            gaps.sort()
            gap = Float(log10(max(1, Double(gaps[gaps.count / 2]) / 1000)))
        }
        return (Float(log1p(Double(burst))), gap)
    }
}
