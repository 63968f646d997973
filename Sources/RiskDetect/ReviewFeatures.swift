import Foundation

/// Review-spam signals from the literature, for the anomaly layer (judged within peer groups
/// like every behaviour feature, and counted only beyond chance over the features tested):
///
/// - `rating_deviation`: the mean distance, in stars, between the account's ratings and the mean
///   rating the *other* reviewers gave the same item (items with at least `minOthers` other
///   ratings) — "avgRD" of Rayana & Akoglu (KDD 2015), the rating deviation of Lim et al.
///   (CIKM 2010) and HoloScope. A spammer boosting or bashing a product disagrees with its
///   honest reviewers; one honest critic does not pass the chance bar, a steady one-sided
///   account does. Missing (not tested) when the store has no ratings.
/// - `review_burst`: how many of the account's reviews fell on a day on which their item received
///   far more reviews than its own daily rate over its reviewed life — a Poisson tail below
///   `burstLevel` after correcting for the days the item was tested (Fei et al., ICWSM 2013;
///   the temporal side of HoloScope). Missing when all reviews carry one date (a graph without
///   dates), so a store without time says nothing here.
///
/// Both are −1 (missing) for an account without reviews, so only reviewers are compared.
enum ReviewFeatures {
    static let names = ["rating_deviation", "review_burst"]
    static let minOthers = 3
    static let burstLevel = 0.01

    /// Row-major, `accountCount × names.count`.
    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        let w = names.count
        var x = [Float](repeating: -1, count: n * w)
        guard n > 0, t.count > 0 else { return x }
        let nItems = t.items.count
        // Reviews with an account and an item, grouped by item (event ids).
        var reviews: [Int] = []
        for e in 0..<t.count where t.kind[e] == .review && t.account[e] >= 0 && t.item[e] >= 0 && Int(t.item[e]) < nItems {
            reviews.append(e)
        }
        guard !reviews.isEmpty else { return x }
        for e in reviews { x[Int(t.account[e]) * w] = 0; x[Int(t.account[e]) * w + 1] = 0 }

        // rating_deviation
        var sum = [Double](repeating: 0, count: nItems), cnt = [Int](repeating: 0, count: nItems)
        for e in reviews where t.rating[e] > 0 { sum[Int(t.item[e])] += Double(t.rating[e]); cnt[Int(t.item[e])] += 1 }
        var devSum = [Double](repeating: 0, count: n), devN = [Int](repeating: 0, count: n)
        for e in reviews where t.rating[e] > 0 {
            let i = Int(t.item[e]), r = Double(t.rating[e])
            guard cnt[i] - 1 >= minOthers else { continue }
            let others = (sum[i] - r) / Double(cnt[i] - 1)
            devSum[Int(t.account[e])] += abs(r - others); devN[Int(t.account[e])] += 1
        }
        var anyRated = false
        for a in 0..<n where devN[a] > 0 { x[a * w] = Float(devSum[a] / Double(devN[a])); anyRated = true }
        if !anyRated { for a in 0..<n { x[a * w] = -1 } }

        // review_burst
        let day: Int64 = 86_400_000
        var byItem = reviews.map { (item: t.item[$0], day: t.ts[$0] / day, e: $0) }
        byItem.sort { ($0.item, $0.day, $0.e) < ($1.item, $1.day, $1.e) }
        let days = Set(byItem.map(\.day))
        if days.count < 2 {
            for a in 0..<n { x[a * w + 1] = -1 }
            return x
        }
        var inBurst = [Int](repeating: 0, count: n)
        var i = 0
        while i < byItem.count {
            var j = i
            while j < byItem.count && byItem[j].item == byItem[i].item { j += 1 }
            let span = Double(byItem[j - 1].day - byItem[i].day + 1)
            let rate = Double(j - i) / span
            if j - i >= 3 && span >= 2 {
                var k = i
                while k < j {
                    var m = k
                    while m < j && byItem[m].day == byItem[k].day { m += 1 }
                    let c = m - k
                    if c >= 3 && Significance.logPoissonTail(c, rate) + log(span) < log(burstLevel) {
                        for p in k..<m { inBurst[Int(t.account[byItem[p].e])] += 1 }
                    }
                    k = m
                }
            }
            i = j
        }
        for a in 0..<n where x[a * w + 1] >= 0 { x[a * w + 1] = Float(log1p(Double(inBurst[a]))) }
        return x
    }
}
