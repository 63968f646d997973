import Foundation

/// Ranking metrics for a score against binary labels. Ties are handled as the usual
/// definitions do (scikit-learn's): AUC by average ranks, average precision over distinct
/// thresholds, top-K by a stable order (score descending, then the caller's order).
public enum Ranking {
    /// ROC AUC: the probability that a random positive scores above a random negative (ties count ½).
    public static func auc(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count)
        let pos = labels.filter { $0 }.count, neg = labels.count - pos
        guard pos > 0, neg > 0 else { return nil }
        let rank = midRanks(scores).ranks
        var rankSumPos = 0.0
        for i in labels.indices where labels[i] { rankSumPos += rank[i] }
        return (rankSumPos - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
    }

    /// The 1-based ranks of `values` in ascending order, tied values sharing the mean of their
    /// ranks, and Σ (t³ − t) over the groups of t tied values (the tie correction of a rank
    /// test's variance).
    public static func midRanks<T: Comparable>(_ values: [T]) -> (ranks: [Double], tieTerm: Double) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var rank = [Double](repeating: 0, count: values.count)
        var tieTerm = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { rank[order[k]] = r }
            let tcount = Double(j - i + 1)
            tieTerm += tcount * tcount * tcount - tcount
            i = j + 1
        }
        return (rank, tieTerm)
    }

    /// Average precision: Σ (R_n − R_{n−1}) P_n over thresholds at each distinct score.
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double? {
        let pos = labels.filter { $0 }.count
        guard pos > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0, fp = 0
        var ap = 0.0, lastRecall = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j < order.count && scores[order[j]] == scores[order[i]] {
                if labels[order[j]] { tp += 1 } else { fp += 1 }
                j += 1
            }
            let recall = Double(tp) / Double(pos), precision = Double(tp) / Double(tp + fp)
            ap += (recall - lastRecall) * precision
            lastRecall = recall
            i = j
        }
        return ap
    }

    /// Indexes of the K highest scores (score descending, ties by index).
    public static func topK(scores: [Double], k: Int) -> [Int] {
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return Array(order.prefix(max(0, k)))
    }

    public static func precisionAtK(scores: [Double], labels: [Bool], k: Int) -> Double? {
        guard k > 0 else { return nil }
        let top = topK(scores: scores, k: k)
        return Double(top.filter { labels[$0] }.count) / Double(top.count)
    }

    public static func recallAtK(scores: [Double], labels: [Bool], k: Int) -> Double? {
        let pos = labels.filter { $0 }.count
        guard pos > 0 else { return nil }
        return Double(topK(scores: scores, k: k).filter { labels[$0] }.count) / Double(pos)
    }
}
