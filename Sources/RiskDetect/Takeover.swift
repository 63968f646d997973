import Foundation

/// Account takeover: on an aged account, a change of hands — a login from a device (and
/// often a country) the account never used, with or without failed logins and a password
/// reset before it — followed within hours by a change of behaviour: a new shipping
/// address, a new card, orders worth more than the owner usually spends. Each step alone is
/// ordinary (people forget passwords, travel, buy a new phone, move house); the sequence is
/// not. How ordinary each step is comes from the store itself: every anchor (a reset, or a
/// login from a new device) is scored by the surprise of the steps around it, each step
/// weighed by −log10 of how often it follows an anchor store-wide, and the total is judged
/// against the number of anchors tested (how many chance sequences that surprising the store
/// would produce).
public struct TakeoverDetector: Detector {
    public let name = "ato"
    public var minAgeDays = 30.0
    /// Added to log10(anchors) for the bar.
    public var margin = 0.5
    public init() {}

    /// What happened around one anchor.
    struct Sequence {
        var account: Int32
        var at: Int64
        var age: Double
        var reset = false, fails = 0, newDevice = false, newCountry = false, newAddress = false
        var newPayment = false, orders = 0, high = false
        var ownerBack = false             // within 3 days, a failed login or reset from a device known before: the owner locked out
        var dormantDevice = false         // no device history before: "new" only by the account's later life
        var device: Int32 = -1, country: Int32 = -1
        var evidence: [Int64] = []

        var steps: [Bool] { [reset, fails >= 3, fails >= 1 && fails < 3, newDevice, newCountry, newAddress, newPayment, orders > 0, orders >= 2, high, ownerBack] }
    }

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        // Order amounts: the store-wide 90th percentile, for "high value".
        var amounts: [Float] = []
        for e in 0..<t.count where t.kind[e] == .order && !t.amount[e].isNaN { amounts.append(t.amount[e]) }
        amounts.sort()
        let p90 = amounts.isEmpty ? Float.infinity : amounts[amounts.count * 9 / 10]
        var seqs: [Sequence] = []
        for a in 0..<t.accountCount {
            if a & 0x3FFF == 0 { try cancel.check() }
            seqs += anchors(t, a, p90: p90)
        }
        guard !seqs.isEmpty else { return [] }
        // How often each step follows an anchor in this store (smoothed).
        let nSteps = seqs[0].steps.count
        var hits = [Int](repeating: 0, count: nSteps)
        for s in seqs { for (k, on) in s.steps.enumerated() where on { hits[k] += 1 } }
        let weight = hits.map { -log10((Double($0) + 1) / (Double(seqs.count) + 2)) }
        // A sequence is worth reporting when the store would produce fewer than about one
        // that surprising by chance (a margin for steps that come together, like travel).
        let bar = log10(Double(seqs.count)) + margin
        var best: [Int32: (Double, Sequence)] = [:]
        for s in seqs {
            var surprise = zip(s.steps, weight).reduce(0.0) { $0 + ($1.0 ? $1.1 : 0) }
            if s.dormantDevice { surprise += 0.3 * weight[3] }
            // Without a change of hands (new device or reset) nothing else counts.
            guard s.newDevice || s.reset || s.dormantDevice else { continue }
            // A change of behaviour is what makes it a takeover rather than a trip or a new phone.
            guard s.newAddress || s.newPayment || s.orders > 0 || s.fails >= 1 || s.reset || s.ownerBack else { continue }
            if s.age < minAgeDays { surprise *= 0.6 }
            let excess = surprise - bar
            guard excess >= 0 else { continue }
            let strength = min(0.97, 0.6 + 0.37 * Stat.ramp(excess, 0, 4))
            if strength > (best[s.account]?.0 ?? 0) { best[s.account] = (strength, s) }
        }
        var findings: [Finding] = []
        for (a, (strength, s)) in best.sorted(by: { $0.key < $1.key }) {
            var steps: [String] = []
            if s.fails > 0 { steps.append("\(s.fails) failed login(s)") }
            if s.reset { steps.append("a password reset") }
            if s.newDevice { steps.append("login from a never-seen device") }
            if s.newCountry && s.country >= 0 { steps.append("in a new country (\(t.countries.string(s.country)))") }
            if s.newAddress { steps.append("shipping address changed") }
            if s.newPayment { steps.append("a new payment instrument") }
            if s.orders > 0 { steps.append("\(s.orders) order(s)\(s.high ? ", high value" : "")") }
            if s.ownerBack { steps.append("then the owner's own device failed to log in or reset the password") }
            let why = "on a \(Int(s.age))-day-old account within hours: " + steps.joined(separator: ", ")
            var ids: [(kind: String, value: String)] = []
            if s.newDevice && s.device >= 0 { ids.append(("device", t.devices.string(s.device))) }
            findings.append(Finding(account: a, detector: name, riskType: .ato, strength: strength, reason: why,
                                    events: s.evidence.sorted(), identifiers: ids))
        }
        return findings
    }

    /// Anchors of one account: each password reset, and each successful login from a device
    /// the account had not used before (when it had used some), with the steps around them.
    func anchors(_ t: EventTable, _ a: Int, p90: Float) -> [Sequence] {
        let list = Array(t.events(of: a))
        guard list.count >= 2 else { return [] }
        var firstDevice: [Int32: Int64] = [:], firstCountry: [Int32: Int64] = [:]
        for e32 in list {
            let e = Int(e32)
            if t.device[e] >= 0 && firstDevice[t.device[e]] == nil { firstDevice[t.device[e]] = t.ts[e] }
            if t.country[e] >= 0 && firstCountry[t.country[e]] == nil { firstCountry[t.country[e]] = t.ts[e] }
        }
        var anchorIdx: [Int] = []
        var lastAnchor: Int64? = nil
        for (k, e32) in list.enumerated() {
            let e = Int(e32)
            let isReset = t.kind[e] == .passwordReset
            let isNewDeviceLogin = t.kind[e] == .login && !t.failed[e] && t.device[e] >= 0
                && (firstDevice[t.device[e]] ?? Int64.min) >= t.ts[e] - 2 * 3_600_000
                && firstDevice.values.contains { $0 < t.ts[e] - 2 * 3_600_000 }
            guard isReset || isNewDeviceLogin else { continue }
            // One anchor per 2 hours: a reset and the login after it are one sequence.
            if let l = lastAnchor, t.ts[e] - l < 2 * 3_600_000 && !isReset { continue }
            anchorIdx.append(k)
            lastAnchor = t.ts[e]
        }
        var out: [Sequence] = []
        for k in anchorIdx {
            let r = Int(list[k]), tr = t.ts[r]
            var s = Sequence(account: Int32(a), at: tr, age: t.ageDays(a, at: tr) ?? 0)
            s.reset = t.kind[r] == .passwordReset
            s.evidence = [t.rowid[r]]
            var firstIdx = k
            var j = k - 1
            while j >= 0 && t.ts[Int(list[j])] >= tr - 2 * 3_600_000 {
                let e = Int(list[j])
                if t.kind[e] == .login && t.failed[e] { s.fails += 1; s.evidence.append(t.rowid[e]); firstIdx = j }
                if t.kind[e] == .passwordReset { s.reset = true; s.evidence.append(t.rowid[e]) }
                j -= 1
            }
            // A device or country is new when the account first used it in this sequence
            // (a dormant account has nothing before; its owner's device shows up later).
            let seqStart = t.ts[Int(list[firstIdx])]
            var knownDevices = Set<Int32>(), knownCountries = Set<Int32>(), knownAddresses = Set<Int32>(), knownPayments = Set<Int32>()
            if t.homeCountry[a] >= 0 { knownCountries.insert(t.homeCountry[a]) }
            for (d, first) in firstDevice where first < seqStart { knownDevices.insert(d) }
            for (c, first) in firstCountry where first < seqStart { knownCountries.insert(c) }
            var priorAmounts: [Double] = []
            for p in 0..<firstIdx {
                let e = Int(list[p])
                if t.address[e] >= 0 { knownAddresses.insert(t.address[e]) }
                if t.payment[e] >= 0 { knownPayments.insert(t.payment[e]) }
                if t.kind[e] == .order && !t.amount[e].isNaN { priorAmounts.append(Double(t.amount[e])) }
            }
            let typical = priorAmounts.isEmpty ? 0 : Stat.median(priorAmounts)
            var loginDev = t.device[r], loginCountry = t.country[r]
            var m = k + 1
            while m < list.count && t.ts[Int(list[m])] <= tr + 24 * 3_600_000 {
                let e = Int(list[m])
                switch t.kind[e] {
                case .login where !t.failed[e] && t.ts[e] <= tr + 2 * 3_600_000:
                    if loginDev < 0 || knownDevices.contains(loginDev) { loginDev = t.device[e] }
                    if t.country[e] >= 0 { loginCountry = t.country[e] }
                    s.evidence.append(t.rowid[e])
                case .addressChange:
                    if t.address[e] >= 0 && !knownAddresses.contains(t.address[e]) { s.newAddress = true; s.evidence.append(t.rowid[e]) }
                case .payment:
                    if t.payment[e] >= 0 && !knownPayments.isEmpty && !knownPayments.contains(t.payment[e]) { s.newPayment = true }
                case .order:
                    s.orders += 1
                    s.evidence.append(t.rowid[e])
                    if t.address[e] >= 0 && !knownAddresses.isEmpty && !knownAddresses.contains(t.address[e]) { s.newAddress = true }
                    if !t.amount[e].isNaN && (t.amount[e] >= p90 || (typical > 0 && Double(t.amount[e]) >= 2 * typical)) { s.high = true }
                default: break
                }
                m += 1
            }
            // The owner coming back: a failed login or reset from a device known before, within 3 days.
            var o = k + 1
            while o < list.count && t.ts[Int(list[o])] <= tr + 72 * 3_600_000 {
                let e = Int(list[o])
                if (t.kind[e] == .passwordReset || (t.kind[e] == .login && t.failed[e])) && t.device[e] >= 0 && knownDevices.contains(t.device[e]) {
                    s.ownerBack = true; s.evidence.append(t.rowid[e]); break
                }
                o += 1
            }
            if t.country[r] >= 0 && loginCountry < 0 { loginCountry = t.country[r] }
            s.device = loginDev
            s.country = loginCountry
            s.newDevice = loginDev >= 0 && !knownDevices.contains(loginDev)
            if s.newDevice && knownDevices.isEmpty {
                // No history before: new only if the account's later life is on other devices.
                var laterOther = false, laterSame = false
                for e32 in list where t.ts[Int(e32)] > tr + 24 * 3_600_000 {
                    let d = t.device[Int(e32)]
                    if d == loginDev { laterSame = true } else if d >= 0 { laterOther = true }
                }
                s.newDevice = false
                s.dormantDevice = !laterSame && laterOther
            }
            s.newCountry = loginCountry >= 0 && !knownCountries.contains(loginCountry)
            out.append(s)
        }
        return out
    }
}
