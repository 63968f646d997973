import Foundation

/// Account takeover: on an aged account, within hours — a burst of failed logins, a password
/// reset, a login from a device and a country the account never used, a new shipping
/// address, then orders worth more than the owner usually spends. Each step alone is
/// ordinary (people forget passwords, travel, move house); the sequence is not.
public struct TakeoverDetector: Detector {
    public let name = "ato"
    public var minAgeDays = 30.0
    public init() {}

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        // Order amounts: the store-wide 90th percentile, for "high value".
        var amounts: [Float] = []
        for e in 0..<t.count where t.kind[e] == .order && !t.amount[e].isNaN { amounts.append(t.amount[e]) }
        amounts.sort()
        let p90 = amounts.isEmpty ? Float.infinity : amounts[amounts.count * 9 / 10]
        var findings: [Finding] = []
        for a in 0..<t.accountCount {
            if a & 0x3FFF == 0 { try cancel.check() }
            let ev = t.events(of: a)
            guard ev.contains(where: { t.kind[Int($0)] == .passwordReset }) else { continue }
            let list = Array(ev)
            var best: (Double, String, [Int64], [(kind: String, value: String)])? = nil
            for (k, r32) in list.enumerated() where t.kind[Int(r32)] == .passwordReset {
                let r = Int(r32), tr = t.ts[r]
                let ws = tr - 2 * 3_600_000
                var evidence: [Int64] = [t.rowid[r]]
                var fails = 0
                var firstIdx = k
                var j = k - 1
                while j >= 0 && t.ts[Int(list[j])] >= ws {
                    let e = Int(list[j])
                    if t.kind[e] == .login && t.failed[e] { fails += 1; evidence.append(t.rowid[e]); firstIdx = j }
                    j -= 1
                }
                // A device or country is new when the account first used it in this sequence
                // (a dormant account has nothing before; its owner's device shows up later).
                var knownDevices = Set<Int32>(), knownCountries = Set<Int32>(), knownAddresses = Set<Int32>()
                var priorAmounts: [Double] = []
                if t.homeCountry[a] >= 0 { knownCountries.insert(t.homeCountry[a]) }
                var firstDevice: [Int32: Int64] = [:], firstCountry: [Int32: Int64] = [:]
                for e32 in list {
                    let e = Int(e32)
                    if t.device[e] >= 0 && firstDevice[t.device[e]] == nil { firstDevice[t.device[e]] = t.ts[e] }
                    if t.country[e] >= 0 && firstCountry[t.country[e]] == nil { firstCountry[t.country[e]] = t.ts[e] }
                }
                let seqStart = t.ts[Int(list[firstIdx])]
                for (d, first) in firstDevice where first < seqStart { knownDevices.insert(d) }
                for (c, first) in firstCountry where first < seqStart { knownCountries.insert(c) }
                for p in 0..<firstIdx {
                    let e = Int(list[p])
                    if t.address[e] >= 0 { knownAddresses.insert(t.address[e]) }
                    if t.kind[e] == .order && !t.amount[e].isNaN { priorAmounts.append(Double(t.amount[e])) }
                }
                // The login that follows (or the reset itself).
                var loginDev = t.device[r], loginCountry = t.country[r]
                var newAddress = false, orders = 0, high = false
                var m = k + 1
                while m < list.count && t.ts[Int(list[m])] <= tr + 24 * 3_600_000 {
                    let e = Int(list[m])
                    switch t.kind[e] {
                    case .login where !t.failed[e] && t.ts[e] <= tr + 2 * 3_600_000:
                        if loginDev < 0 || knownDevices.contains(loginDev) { loginDev = t.device[e] }
                        if t.country[e] >= 0 { loginCountry = t.country[e] }
                        evidence.append(t.rowid[e])
                    case .addressChange:
                        if t.address[e] >= 0 && !knownAddresses.contains(t.address[e]) { newAddress = true; evidence.append(t.rowid[e]) }
                    case .order:
                        orders += 1
                        evidence.append(t.rowid[e])
                        let typical = priorAmounts.isEmpty ? 0 : Stat.median(priorAmounts)
                        if !t.amount[e].isNaN && (t.amount[e] >= p90 || (typical > 0 && Double(t.amount[e]) >= 2 * typical)) { high = true }
                    default: break
                    }
                    m += 1
                }
                var newDevice = loginDev >= 0 && !knownDevices.contains(loginDev)
                var deviceWeight = 1.0
                if newDevice && knownDevices.isEmpty {
                    // No history before: new only if the account's later life is on other devices.
                    var laterOther = false, laterSame = false
                    for e32 in list where t.ts[Int(e32)] > tr + 24 * 3_600_000 {
                        let d = t.device[Int(e32)]
                        if d == loginDev { laterSame = true } else if d >= 0 { laterOther = true }
                    }
                    if laterSame || !laterOther { deviceWeight = 0.3; newDevice = false } else { deviceWeight = 0.5 }
                }
                let newCountry = loginCountry >= 0 && !knownCountries.contains(loginCountry)
                var s = 0.2 * (fails >= 3 ? 1 : fails >= 1 ? 0.6 : 0) + 0.25 * (newDevice ? deviceWeight : deviceWeight < 1 ? 0.3 : 0) + 0.15 * (newCountry ? 1 : 0)
                      + 0.2 * (newAddress ? 1 : 0) + 0.2 * (orders > 0 ? (high ? 1 : 0.6) : 0)
                let age = t.ageDays(a, at: tr) ?? 0
                if age < minAgeDays { s *= 0.6 }
                guard s >= 0.6, s > (best?.0 ?? 0) else { continue }
                var steps: [String] = []
                if fails > 0 { steps.append("\(fails) failed login(s)") }
                steps.append("a password reset")
                if newDevice { steps.append("login from a never-seen device") }
                if newCountry { steps.append("in a new country (\(t.countries.string(loginCountry)))") }
                if newAddress { steps.append("shipping address changed") }
                if orders > 0 { steps.append("\(orders) order(s)\(high ? ", high value" : "")") }
                let why = "on a \(Int(age))-day-old account within hours: " + steps.joined(separator: ", ")
                var ids: [(kind: String, value: String)] = []
                if newDevice { ids.append(("device", t.devices.string(loginDev))) }
                best = (s, why, evidence.sorted(), ids)
            }
            if let b = best {
                findings.append(Finding(account: Int32(a), detector: name, riskType: .ato, strength: min(0.97, b.0), reason: b.1,
                                        events: b.2, identifiers: b.3))
            }
        }
        return findings
    }
}
