extension Finding {
    /// The findings with exact repeats folded into one: the same detector saying the same
    /// thing about the same account in the same group (a brushing ring found again in a
    /// second dense block of its seller). The strongest stays, with both events; order kept.
    public static func deduplicated(_ findings: [Finding]) -> [Finding] {
        struct Key: Hashable { let account: Int32; let detector: String; let riskType: String; let reason: String; let group: String? }
        var out: [Finding] = []
        var at: [Key: Int] = [:]
        out.reserveCapacity(findings.count)
        for f in findings {
            let k = Key(account: f.account, detector: f.detector, riskType: f.riskType, reason: f.reason, group: f.group)
            guard let i = at[k] else { at[k] = out.count; out.append(f); continue }
            var kept = out[i]
            if f.strength > kept.strength { kept.strength = f.strength }
            let seen = Set(kept.events)
            kept.events += f.events.filter { !seen.contains($0) }
            kept.events.sort()   // the same events whichever of the two came first
            let linked = Set(kept.linked)
            kept.linked += f.linked.filter { !linked.contains($0) }
            out[i] = kept
        }
        return out
    }
}

extension Finding {
    /// One detector's findings by account, then strongest first, then group and reason — a
    /// total order on what is written, so ties never fall to a set's or dictionary's order.
    public static func canonicallyOrdered(_ findings: [Finding]) -> [Finding] {
        findings.sorted { a, b in
            if a.account != b.account { return a.account < b.account }
            if a.strength != b.strength { return a.strength > b.strength }
            if a.detector != b.detector { return a.detector < b.detector }
            if (a.group ?? "") != (b.group ?? "") { return (a.group ?? "") < (b.group ?? "") }
            if a.reason != b.reason { return a.reason < b.reason }
            return a.events.lexicographicallyPrecedes(b.events)
        }
    }
}
