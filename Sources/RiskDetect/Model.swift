import Foundation

/// A learnt scorer over `AccountFeatures`: logistic regression or gradient-boosted trees.
/// Stored as JSON in the `models` table with its feature list, so a model trained on one
/// feature set is never applied to another.
public enum LearntModel: Codable, Sendable {
    case logistic(LogisticRegression)
    case gbdt(GradientBoostedTrees)

    public var kind: String { if case .logistic = self { return "logreg" } else { return "gbdt" } }

    public func predict(_ x: [Float], rows: Int, cols: Int) -> [Double] {
        switch self {
        case .logistic(let m): return m.predict(x, rows: rows, cols: cols)
        case .gbdt(let m): return m.predict(x, rows: rows, cols: cols)
        }
    }

    /// The features that pushed one account's score up most (`down`: down most), strongest first.
    public func topReasons(_ x: [Float], row: Int, names: [String], count: Int = 3, down: Bool = false) -> [String] {
        let d = names.count
        let slice = x[(row * d)..<((row + 1) * d)]
        let c: [Double]
        switch self {
        case .logistic(let m): c = m.contributions(slice, cols: d)
        case .gbdt(let m): c = m.contributions(slice, cols: d)
        }
        let signed = down ? c.map { -$0 } : c
        return signed.enumerated().filter { $0.element > 0.05 }.sorted { $0.element > $1.element }.prefix(count).map { names[$0.offset] }
    }

    public static func fit(kind: String, x: [Float], y: [Bool], rows: Int, cols: Int) -> LearntModel {
        kind == "logreg" ? .logistic(LogisticRegression.fit(x, y, rows: rows, cols: cols))
                         : .gbdt(GradientBoostedTrees.fit(x, y, rows: rows, cols: cols))
    }
}

/// Each column's mean and standard deviation (1 for a constant column), for standardising,
/// over the values present (NaN is a missing value: an extra column the account never had).
func columnStats(_ x: [Float], rows n: Int, cols d: Int) -> (mean: [Double], scale: [Double]) {
    var mean = [Double](repeating: 0, count: d), sq = mean, cnt = mean
    for i in 0..<n {
        for j in 0..<d {
            let v = Double(x[i * d + j])
            guard !v.isNaN else { continue }
            mean[j] += v; sq[j] += v * v; cnt[j] += 1
        }
    }
    var scale = mean
    for j in 0..<d {
        mean[j] /= max(1, cnt[j])
        let v = sq[j] / max(1, cnt[j]) - mean[j] * mean[j]
        scale[j] = v > 1e-12 ? sqrt(v) : 1
    }
    return (mean, scale)
}

@inline(__always) func sigmoid(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }

/// L2-regularised logistic regression on standardised features, fitted by Newton's method
/// (the Hessian is small: one row and column per feature). A missing value (NaN) counts as the
/// column's mean: it moves the score neither way.
public struct LogisticRegression: Codable, Sendable {
    public var mean: [Double]
    public var scale: [Double]
    public var weights: [Double]
    public var bias: Double
    /// What a missing value stands for, per column. Models stored before missing values were
    /// NaN have none: their missing values were -1, and are read as -1 again.
    public var missing: [Double]?

    public init(mean: [Double], scale: [Double], weights: [Double], bias: Double, missing: [Double]? = nil) {
        self.mean = mean; self.scale = scale; self.weights = weights; self.bias = bias; self.missing = missing
    }

    /// Column j's standardised value; a missing one as `missing` says.
    @inline(__always) func z(_ v: Float, _ j: Int) -> Double {
        let x = v.isNaN ? (missing?[j] ?? -1) : Double(v)
        return (x - mean[j]) / scale[j]
    }

    public static func fit(_ x: [Float], _ y: [Bool], rows n: Int, cols d: Int, l2: Double = 1.0, iterations: Int = 25) -> LogisticRegression {
        let (mean, scale) = columnStats(x, rows: n, cols: d)
        let p = d + 1        // weights, then the bias
        var w = [Double](repeating: 0, count: p)
        var z = [Double](repeating: 0, count: p)
        for _ in 0..<iterations {
            var g = [Double](repeating: 0, count: p)
            var h = [Double](repeating: 0, count: p * p)
            for i in 0..<n {
                for j in 0..<d { let v = Double(x[i * d + j]); z[j] = v.isNaN ? 0 : (v - mean[j]) / scale[j] }
                z[d] = 1
                var s = 0.0
                for j in 0..<p { s += w[j] * z[j] }
                let pr = sigmoid(s)
                let r = pr - (y[i] ? 1 : 0)
                let wt = max(pr * (1 - pr), 1e-9)
                for j in 0..<p {
                    g[j] += r * z[j]
                    let wz = wt * z[j]
                    for k in j..<p { h[j * p + k] += wz * z[k] }
                }
            }
            for j in 0..<d { g[j] += l2 * w[j]; h[j * p + j] += l2 }
            for j in 0..<p { for k in 0..<j { h[j * p + k] = h[k * p + j] } }
            h[d * p + d] += 1e-6
            guard let step = solve(h, g, p) else { break }
            var change = 0.0
            for j in 0..<p { w[j] -= step[j]; change = max(change, abs(step[j])) }
            if change < 1e-6 { break }
        }
        return LogisticRegression(mean: mean, scale: scale, weights: Array(w[0..<d]), bias: w[d], missing: mean)
    }

    /// Solves A x = b (A symmetric positive definite) by Cholesky.
    static func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j { guard s > 0 else { return nil }; l[i * n + i] = sqrt(s) } else { l[i * n + j] = s / l[j * n + j] }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n { var s = b[i]; for k in 0..<i { s -= l[i * n + k] * y[k] }; y[i] = s / l[i * n + i] }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) { var s = y[i]; for k in (i + 1)..<n { s -= l[k * n + i] * x[k] }; x[i] = s / l[i * n + i] }
        return x
    }

    public func predict(_ x: [Float], rows n: Int, cols d: Int) -> [Double] {
        (0..<n).map { i in
            var s = bias
            for j in 0..<d { s += weights[j] * z(x[i * d + j], j) }
            return sigmoid(s)
        }
    }

    /// Each feature's share of one row's log-odds, against an average account.
    public func contributions(_ row: ArraySlice<Float>, cols d: Int) -> [Double] {
        let x = Array(row)
        return (0..<d).map { weights[$0] * z(x[$0], $0) }
    }
}

/// Gradient-boosted regression trees on the logistic loss, histogram-based (features cut
/// into at most 64 quantile bins, as LightGBM and scikit-learn's HistGradientBoosting do).
/// A missing value (NaN) has a bin of its own; each split sends the missing values to the side
/// that fits them best, learnt like the threshold (as HistGradientBoosting does).
public struct GradientBoostedTrees: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var feature: Int32          // -1: a leaf
        public var threshold: Float        // x <= threshold goes left
        public var left: Int32
        public var right: Int32
        public var value: Float
        /// Missing values (NaN) go left.
        public var missingLeft: Bool

        public init(feature: Int32, threshold: Float, left: Int32, right: Int32, value: Float, missingLeft: Bool = false) {
            self.feature = feature; self.threshold = threshold; self.left = left; self.right = right
            self.value = value; self.missingLeft = missingLeft
        }

        enum CodingKeys: String, CodingKey { case feature, threshold, left, right, value, missingLeft }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            feature = try c.decode(Int32.self, forKey: .feature)
            threshold = try c.decode(Float.self, forKey: .threshold)
            left = try c.decode(Int32.self, forKey: .left)
            right = try c.decode(Int32.self, forKey: .right)
            value = try c.decode(Float.self, forKey: .value)
            // A model stored before missing values were NaN saw them as -1: they go where -1 went.
            missingLeft = try c.decodeIfPresent(Bool.self, forKey: .missingLeft) ?? (-1 <= threshold)
        }

        /// The child a value goes to.
        @inline(__always) func next(_ v: Float) -> Int32 {
            v.isNaN ? (missingLeft ? left : right) : (v <= threshold ? left : right)
        }
    }
    public var base: Double
    public var learningRate: Double
    public var trees: [[Node]]

    public struct Params: Sendable {
        public var rounds = 150
        public var learningRate = 0.1
        public var maxDepth = 5
        public var minLeaf = 20
        public var l2 = 1.0
        public var bins = 64
        public init() {}
    }

    public static func fit(_ x: [Float], _ y: [Bool], rows n: Int, cols d: Int, params: Params = Params()) -> GradientBoostedTrees {
        // Cut points per feature from the data's quantiles.
        var cuts = [[Float]](repeating: [], count: d)
        let sampleStride = max(1, n / 20_000)
        for j in 0..<d {
            var v: [Float] = []
            for i in stride(from: 0, to: n, by: sampleStride) where !x[i * d + j].isNaN { v.append(x[i * d + j]) }
            guard !v.isEmpty else { continue }
            v.sort()
            var c: [Float] = []
            for q in 1..<params.bins {
                let t = v[min(v.count - 1, q * v.count / params.bins)]
                if c.last != t { c.append(t) }
            }
            if c.last == v.last { c.removeLast() }     // nothing above the top cut
            cuts[j] = c
        }
        // Bins 0...cuts.count hold present values; bin `missingBin` the missing ones.
        let missingBin = params.bins
        var binned = [UInt8](repeating: 0, count: n * d)
        for i in 0..<n {
            for j in 0..<d {
                let v = x[i * d + j], c = cuts[j]
                if v.isNaN { binned[i * d + j] = UInt8(missingBin); continue }
                var lo = 0, hi = c.count
                while lo < hi { let m = (lo + hi) / 2; if v <= c[m] { hi = m } else { lo = m + 1 } }
                binned[i * d + j] = UInt8(lo)
            }
        }
        let pos = Double(y.filter { $0 }.count)
        let prior = min(max(pos / Double(max(1, n)), 1e-4), 1 - 1e-4)
        let base = log(prior / (1 - prior))
        var raw = [Double](repeating: base, count: n)
        var g = [Double](repeating: 0, count: n), h = g
        var trees: [[Node]] = []
        var index = Array(0..<n)
        let nb = params.bins + 1
        var histG = [Double](repeating: 0, count: d * nb), histH = histG
        var histN = [Int32](repeating: 0, count: d * nb)
        let cutCounts = cuts.map(\.count)
        // The hot loops run on raw buffers: no bounds checks, no copy-on-write checks.
        binned.withUnsafeBufferPointer { bin in
        g.withUnsafeMutableBufferPointer { g in
        h.withUnsafeMutableBufferPointer { h in
        index.withUnsafeMutableBufferPointer { index in
        histG.withUnsafeMutableBufferPointer { hg in
        histH.withUnsafeMutableBufferPointer { hh in
        histN.withUnsafeMutableBufferPointer { hn in
        for _ in 0..<params.rounds {
            for i in 0..<n {
                let p = sigmoid(raw[i])
                g[i] = p - (y[i] ? 1 : 0)
                h[i] = max(p * (1 - p), 1e-9)
            }
            var nodes: [Node] = []
            // Grow depth-first over index ranges (rows of a node are contiguous in `index`).
            func grow(_ lo: Int, _ hi: Int, _ depth: Int) -> Int32 {
                var G = 0.0, H = 0.0
                for k in lo..<hi { G += g[index[k]]; H += h[index[k]] }
                let leafValue = Float(-G / (H + params.l2) * params.learningRate)
                let me = Int32(nodes.count)
                nodes.append(Node(feature: -1, threshold: 0, left: -1, right: -1, value: leafValue))
                guard depth < params.maxDepth, hi - lo >= 2 * params.minLeaf else { return me }
                for k in 0..<(d * nb) { hg[k] = 0; hh[k] = 0; hn[k] = 0 }
                for k in lo..<hi {
                    let i = index[k], gi = g[i], hi_ = h[i]
                    let row = i * d
                    var b = 0
                    for j in 0..<d {
                        let slot = b + Int(bin[row + j])
                        hg[slot] += gi; hh[slot] += hi_; hn[slot] += 1
                        b += nb
                    }
                }
                let parentScore = G * G / (H + params.l2)
                var best = (gain: 1e-9, feature: -1, bin: 0, missingLeft: false)
                for j in 0..<d {
                    // The missing values' sums: tried on the right (b's loop as before) and on the left.
                    let km = j * nb + missingBin
                    let gm = hg[km], hm = hh[km], nm = Int(hn[km])
                    // With missing values, "every present value left" is a split too (b == cuts).
                    let last = nm > 0 ? cutCounts[j] : cutCounts[j] - 1
                    guard last >= 0 else { continue }
                    var gl = 0.0, hl = 0.0, nl = 0
                    for b in 0...last {
                        let k = j * nb + b
                        gl += hg[k]; hl += hh[k]; nl += Int(hn[k])
                        let nr = (hi - lo) - nl          // missing on the right
                        if nr < params.minLeaf { break }
                        if nl >= params.minLeaf {
                            let gr = G - gl, hr = H - hl
                            let gain = gl * gl / (hl + params.l2) + gr * gr / (hr + params.l2) - parentScore
                            if gain > best.gain { best = (gain, j, b, false) }
                        }
                        if nm > 0, b < cutCounts[j], nl + nm >= params.minLeaf, nr - nm >= params.minLeaf {
                            let gL = gl + gm, hL = hl + hm, gr = G - gL, hr = H - hL
                            let gain = gL * gL / (hL + params.l2) + gr * gr / (hr + params.l2) - parentScore
                            if gain > best.gain { best = (gain, j, b, true) }
                        }
                    }
                }
                guard best.feature >= 0 else { return me }
                // Partition the node's rows: bin <= best.bin to the left, the missing ones as chosen.
                let goesLeft: (Int) -> Bool = { bn in bn == missingBin ? best.missingLeft : bn <= best.bin }
                var a = lo, b = hi - 1
                while a <= b {
                    if goesLeft(Int(bin[index[a] * d + best.feature])) { a += 1 } else { index.swapAt(a, b); b -= 1 }
                }
                let l = grow(lo, a, depth + 1)
                let r = grow(a, hi, depth + 1)
                // Internal nodes keep the value they would have as a leaf: explanations walk it.
                // "Every present value left" (b == cuts.count) has the largest finite threshold.
                let c = cuts[best.feature]
                let threshold = best.bin < c.count ? c[best.bin] : Float.greatestFiniteMagnitude
                nodes[Int(me)] = Node(feature: Int32(best.feature), threshold: threshold, left: l, right: r, value: leafValue,
                                      missingLeft: best.missingLeft)
                return me
            }
            _ = grow(0, n, 0)
            trees.append(nodes)
            Self.addLeaves(nodes, x, cols: d, into: &raw)
        }
        }}}}}}}
        return GradientBoostedTrees(base: base, learningRate: params.learningRate, trees: trees)
    }

    /// Adds each row's leaf value of one tree to `raw` (rows of `cols` features in `x`).
    static func addLeaves(_ nodes: [Node], _ x: [Float], cols d: Int, into raw: inout [Double]) {
        x.withUnsafeBufferPointer { xb in
            nodes.withUnsafeBufferPointer { nd in
                for i in raw.indices {
                    var k = 0
                    let row = i * d
                    while nd[k].feature >= 0 { k = Int(nd[k].next(xb[row + Int(nd[k].feature)])) }
                    raw[i] += Double(nd[k].value)
                }
            }
        }
    }

    public func predict(_ x: [Float], rows n: Int, cols d: Int) -> [Double] {
        var raw = [Double](repeating: base, count: n)
        for t in trees { Self.addLeaves(t, x, cols: d, into: &raw) }
        return raw.map(sigmoid)
    }

    /// How much each feature moved one row's log-odds (path attribution: each split's
    /// change of node value goes to its feature). With `base` and every tree's root value
    /// they sum to the row's log-odds.
    public func contributions(_ row: ArraySlice<Float>, cols d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d)
        let x = Array(row)
        for t in trees {
            var k = 0
            while t[k].feature >= 0 {
                let n = t[k]
                let next = Int(n.next(x[Int(n.feature)]))
                c[Int(n.feature)] += Double(t[next].value - n.value)
                k = next
            }
        }
        return c
    }
}
