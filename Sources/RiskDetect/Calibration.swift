import Foundation

/// Isotonic calibration: a monotone map from a score to the share of fraud observed among
/// labelled accounts scored like it (pool-adjacent-violators), interpolated linearly between
/// the blocks' centres so it stays increasing and keeps the order of the scores it maps.
/// Fitted on out-of-fold scores, so the precision it reports is one the model did not see.
public struct IsotonicCalibration: Codable, Sendable, Equatable {
    /// Block centres (mean score) and their observed fraud share, both increasing.
    public var x: [Double]
    public var y: [Double]
    /// Labelled accounts it was fitted on.
    public var n: Int

    public static func fit(scores: [Double], labels: [Bool]) -> IsotonicCalibration {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Blocks of (sum of scores, sum of labels, count), merged while a block's mean label
        // is not above the previous one's.
        var sx: [Double] = [], sy: [Double] = [], w: [Double] = []
        for i in order {
            sx.append(scores[i]); sy.append(labels[i] ? 1 : 0); w.append(1)
            while sy.count > 1 && sy[sy.count - 2] / w[w.count - 2] >= sy[sy.count - 1] / w[w.count - 1] {
                let lx = sx.removeLast(), ly = sy.removeLast(), lw = w.removeLast()
                sx[sx.count - 1] += lx; sy[sy.count - 1] += ly; w[w.count - 1] += lw
            }
        }
        return IsotonicCalibration(x: zip(sx, w).map { $0 / $1 }, y: zip(sy, w).map { $0 / $1 }, n: scores.count)
    }

    /// The observed fraud share at score `s`. A sliver (1 %) of a strictly increasing, log-spread
    /// function of `s` breaks ties inside flat stretches — below the lowest block most of the
    /// store shares one observed rate — so the queue keeps the blend's order there, visibly
    /// even after scores are stored to four decimals. It moves the calibrated value by < 0.01.
    public func apply(_ s: Double) -> Double {
        guard let first = x.first, let last = x.last else { return s }
        let v: Double
        if s <= first {
            // Below the lowest block: from (0, 0) to it.
            v = first > 0 ? y[0] * max(0, s) / first : y[0]
        } else if s >= last {
            // Above the highest: towards (1, 1) — a score higher than any labelled one.
            v = last < 1 ? y[y.count - 1] + (1 - y[y.count - 1]) * min(1, (s - last) / (1 - last)) : y[y.count - 1]
        } else {
            var lo = 0, hi = x.count - 1
            while hi - lo > 1 { let m = (lo + hi) / 2; if x[m] <= s { lo = m } else { hi = m } }
            let t = x[hi] > x[lo] ? (s - x[lo]) / (x[hi] - x[lo]) : 0
            v = y[lo] + t * (y[hi] - y[lo])
        }
        let spread = min(1, max(0, 1 + log10(max(s, 1e-8)) / 8))
        return min(1, max(0, v * 0.99 + 0.01 * spread))
    }
}

/// What a stored model version holds beyond the fitted scorer: how its probability is blended
/// with the detectors' score, and the calibration of the blend to observed precision.
public struct ModelBundle: Codable, Sendable {
    /// Which candidate this is: gbdt / logreg (behaviour features), stacked / stacked_logreg
    /// (behaviour features and the detectors' strengths).
    public var candidate: String
    public var model: LearntModel
    /// The model's share of the blend (the detectors' score has the rest): a convex mixture,
    /// so a confident "legit" from the model pulls a detector's score down.
    public var weight: Double
    public var calibration: IsotonicCalibration?

    public init(candidate: String, model: LearntModel, weight: Double, calibration: IsotonicCalibration?) {
        self.candidate = candidate; self.model = model; self.weight = weight; self.calibration = calibration
    }

    /// The blended score before calibration.
    @inline(__always) public static func blend(detectors det: Double, model p: Double, weight w: Double) -> Double {
        w * p + (1 - w) * det
    }

    /// The final score of an account: the blend, calibrated when the bundle has a calibration.
    public func score(detectors det: Double, model p: Double) -> Double {
        let b = Self.blend(detectors: det, model: p, weight: weight)
        return calibration?.apply(b) ?? b
    }

    /// Reads a stored `params` JSON: a bundle, or a model stored before bundles existed
    /// (then blended at `legacyWeight`, uncalibrated).
    public static func decode(_ json: String, legacyWeight: Double = 0.7) -> ModelBundle? {
        let data = Data(json.utf8)
        if let b = try? JSONDecoder().decode(ModelBundle.self, from: data) { return b }
        guard let m = try? JSONDecoder().decode(LearntModel.self, from: data) else { return nil }
        return ModelBundle(candidate: m.kind, model: m, weight: legacyWeight, calibration: nil)
    }
}
