import Foundation

/// Per-account features for the learnt model: how much of each kind of activity, how many
/// distinct identifiers and how widely they are shared, timing (bursts, gaps, age), and
/// what each detector says. Counts are log1p'd so a tree's cut points and a linear model's
/// weights mean the same across store sizes.
public enum AccountFeatures {
    static let kinds: [(String, EventKind)] = [
        ("login", .login), ("password_reset", .passwordReset), ("address_change", .addressChange), ("view", .view),
        ("add_to_cart", .addToCart), ("order", .order), ("payment", .payment), ("refund", .refund),
        ("coupon_redeem", .couponRedeem), ("review", .review), ("follow", .follow), ("live_view", .liveView),
        ("message", .message), ("profile_view", .profileView),
    ]
    /// Detectors whose strongest finding per account is a feature; SQL rules count as one.
    public static let detectorNames = ["brushing", "click_farm", "identity", "scalper", "ato", "scraping", "spam", "refund_abuse", "rules"]

    /// Behaviour features (what an account did), then the detectors' strengths.
    public static var names: [String] { behaviourNames + detectorNames.map { "det_" + $0 } }
    public static var behaviourNames: [String] {
        ["events"] + kinds.map { "n_" + $0.0 } + ["failed_logins", "distinct_devices", "distinct_ips", "distinct_payments",
         "distinct_addresses", "distinct_coupons", "distinct_items", "distinct_sellers", "distinct_targets",
         "active_days", "age_at_first_event_days", "max_events_in_an_hour", "median_gap_log10s", "five_star_share",
         "coupons_first_week", "drop_orders_within_5s", "mean_order_amount", "device_sharers", "payment_sharers",
         "address_sharers", "ip_sharers", "texts_repeated"]
    }

    /// Keeps the columns a model was trained on (by name) from the full feature matrix.
    public static func select(_ x: [Float], rows: Int, names wanted: [String]) -> [Float]? {
        let all = names
        let idx = wanted.map { w in all.firstIndex(of: w) }
        guard idx.allSatisfy({ $0 != nil }) else { return nil }
        let d = all.count, k = wanted.count
        if wanted == all { return x }
        var out = [Float](repeating: 0, count: rows * k)
        for i in 0..<rows { for (j, c) in idx.enumerated() { out[i * k + j] = x[i * d + c!] } }
        return out
    }

    /// Features of every account, row-major (`accountCount × names.count`). `strengths[d][a]`:
    /// detector d's strongest finding on account a (0 when none), in `detectorNames` order.
    public static func compute(_ t: EventTable, strengths: [[Float]]) -> [Float] {
        let na = t.accountCount
        let d = names.count
        var x = [Float](repeating: 0, count: na * d)
        // How many accounts use each device / payment / address / IP.
        func sharers(_ col: [Int32], _ size: Int) -> [Int32] {
            var pairs: [UInt64] = []
            pairs.reserveCapacity(t.count / 4)
            var scratch: [Int32] = []
            for a in 0..<na {
                scratch.removeAll(keepingCapacity: true)
                for e in t.events(of: a) where col[Int(e)] >= 0 { scratch.append(col[Int(e)]) }
                if scratch.isEmpty { continue }
                scratch.sort()
                var prev: Int32 = -1
                for v in scratch where v != prev { pairs.append(UInt64(UInt32(v)) << 32 | UInt64(a)); prev = v }
            }
            var n = [Int32](repeating: 0, count: max(size, 1))
            for p in pairs { n[Int(p >> 32)] += 1 }
            return n
        }
        // The four identifier kinds side by side, and the accounts in chunks, on every core.
        var shared = [[Int32]](repeating: [], count: 4)
        let lock = NSLock()
        let identifierColumns = [(t.device, t.devices.count), (t.payment, t.payments.count), (t.address, t.addresses.count), (t.ip, t.ips.count)]
        DispatchQueue.concurrentPerform(iterations: 4) { k in
            let r = sharers(identifierColumns[k].0, identifierColumns[k].1)
            lock.lock(); shared[k] = r; lock.unlock()
        }
        let devN = shared[0], payN = shared[1], addrN = shared[2], ipN = shared[3]
        var textCount: [Int32: Int32] = [:]
        for e in 0..<t.count where t.textRef[e] >= 0 && (t.kind[e] == .review || t.kind[e] == .message) {
            textCount[t.textRef[e], default: 0] += 1
        }
        let kindIndex: [EventKind: Int] = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($1.1, $0) })
        func lg(_ v: Double) -> Float { Float(log1p(max(0, v))) }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        x.withUnsafeMutableBufferPointer { xb in
        let out = xb.baseAddress!
        DispatchQueue.concurrentPerform(iterations: workers) { w in
        var scratch: [Int32] = []
        var gaps: [Int64] = []
        func distinct(_ col: [Int32], _ ev: ArraySlice<Int32>) -> Int {
            scratch.removeAll(keepingCapacity: true)
            for e in ev where col[Int(e)] >= 0 { scratch.append(col[Int(e)]) }
            scratch.sort()
            var n = 0, prev: Int32 = -1
            for v in scratch where v != prev { n += 1; prev = v }
            return n
        }
        for a in workerChunk(w, of: workers, count: na) {
            let ev = t.events(of: a)
            var f = [Float](repeating: 0, count: d)
            f[0] = lg(Double(ev.count))
            var counts = [Int](repeating: 0, count: kinds.count)
            var failed = 0, fives = 0, reviews = 0, couponsEarly = 0, dropFast = 0, orders = 0
            var amount = 0.0
            var maxShare: (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
            var repeated: Int32 = 0
            let created = t.createdAt[a] != Int64.min ? t.createdAt[a] : t.firstSeen[a]
            for i in ev.indices {
                let e = Int(ev[i])
                let k = t.kind[e]
                if let ki = kindIndex[k] { counts[ki] += 1 }
                if k == .login && t.failed[e] { failed += 1 }
                if k == .review { reviews += 1; if t.rating[e] == 5 { fives += 1 } }
                if k == .couponRedeem && created != Int64.min && t.ts[e] - created < 7 * 86_400_000 { couponsEarly += 1 }
                if k == .order {
                    orders += 1
                    if !t.amount[e].isNaN { amount += Double(t.amount[e]) }
                    let it = t.item[e]
                    if t.isDrop(it),
                       t.ts[e] >= t.itemDropAt[Int(it)], t.ts[e] - t.itemDropAt[Int(it)] <= 5000 { dropFast += 1 }
                }
                if t.device[e] >= 0 { maxShare.0 = max(maxShare.0, devN[Int(t.device[e])]) }
                if t.payment[e] >= 0 { maxShare.1 = max(maxShare.1, payN[Int(t.payment[e])]) }
                if t.address[e] >= 0 { maxShare.2 = max(maxShare.2, addrN[Int(t.address[e])]) }
                if t.ip[e] >= 0 { maxShare.3 = max(maxShare.3, ipN[Int(t.ip[e])]) }
                if t.textRef[e] >= 0, let c = textCount[t.textRef[e]], c > 1 { repeated += 1 }
            }
            let pace = EventPace.measure(ev.lazy.map { t.ts[Int($0)] }, gaps: &gaps)
            var j = 1
            for c in counts { f[j] = lg(Double(c)); j += 1 }
            f[j] = lg(Double(failed)); j += 1
            for col in [t.device, t.ip, t.payment, t.address, t.coupon, t.item, t.seller, t.target] { f[j] = lg(Double(distinct(col, ev))); j += 1 }
            let first = ev.first.map { t.ts[Int($0)] }, last = ev.last.map { t.ts[Int($0)] }
            f[j] = lg(Double(((last ?? 0) - (first ?? 0))) / 86_400_000); j += 1
            f[j] = created != Int64.min && first != nil ? lg(Double(first! - created) / 86_400_000) : -1; j += 1
            f[j] = pace.burst; j += 1
            f[j] = pace.gap; j += 1
            f[j] = reviews > 0 ? Float(fives) / Float(reviews) : -1; j += 1
            f[j] = lg(Double(couponsEarly)); j += 1
            f[j] = lg(Double(dropFast)); j += 1
            f[j] = orders > 0 ? lg(amount / Double(orders)) : 0; j += 1
            f[j] = lg(Double(maxShare.0)); j += 1
            f[j] = lg(Double(maxShare.1)); j += 1
            f[j] = lg(Double(maxShare.2)); j += 1
            f[j] = lg(Double(maxShare.3)); j += 1
            f[j] = lg(Double(repeated)); j += 1
            for s in strengths { f[j] = a < s.count ? s[a] : 0; j += 1 }
            for k in 0..<d { out[a * d + k] = f[k] }
        }
        }
        }
        return x
    }

    /// The risk category of accounts only the learnt model flags: the majority category of
    /// the `k` labelled fraud accounts nearest in (standardised) feature space.
    public static func nearestCategories(_ x: [Float], cols d: Int, rows n: Int, labelled: [(row: Int, category: String)],
                                         queries: [Int], k: Int = 5) -> [Int: String] {
        guard !labelled.isEmpty, !queries.isEmpty, n > 0 else { return [:] }
        let (mean, scale) = columnStats(x, rows: n, cols: d)
        func z(_ r: Int) -> [Double] { (0..<d).map { (Double(x[r * d + $0]) - mean[$0]) / scale[$0] } }
        let refs = labelled.map { (z($0.row), $0.category) }
        var out: [Int: String] = [:]
        for q in queries {
            let v = z(q)
            let near = refs.map { ref -> (Double, String) in
                var s = 0.0
                for j in 0..<d { let t = ref.0[j] - v[j]; s += t * t }
                return (s, ref.1)
            }.sorted { $0.0 < $1.0 }.prefix(k)
            var votes: [String: Int] = [:]
            for (_, c) in near { votes[c, default: 0] += 1 }
            out[q] = votes.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        }
        return out
    }

    /// Each detector's strongest finding per account, in `detectorNames` order (rules pooled).
    public static func strengths(_ findings: [Finding], accounts: Int) -> [[Float]] {
        strengths(findings.lazy.map { ($0.account, $0.detector, $0.strength) }, accounts: accounts)
    }

    /// The same from (account, detector, strength) triples, e.g. the stored findings' rows.
    public static func strengths<S: Sequence>(_ entries: S, accounts: Int) -> [[Float]] where S.Element == (Int32, String, Double) {
        var s = [[Float]](repeating: [Float](repeating: 0, count: accounts), count: detectorNames.count)
        let index = Dictionary(uniqueKeysWithValues: detectorNames.enumerated().map { ($1, $0) })
        for (a, detector, strength) in entries where a >= 0 && Int(a) < accounts {
            guard let k = detector.hasPrefix("rule:") ? index["rules"] : index[detector] else { continue }
            s[k][Int(a)] = max(s[k][Int(a)], Float(strength))
        }
        return s
    }
}
