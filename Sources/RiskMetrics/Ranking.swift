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
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPos = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let avgRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] { rankSumPos += avgRank }
            i = j + 1
        }
        return (rankSumPos - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
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
