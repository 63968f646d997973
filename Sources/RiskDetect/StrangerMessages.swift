import Foundation

/// Messages the anomaly layer counts: first contacts with strangers, as the spam detector
/// counts them (Spam.swift). A seller's "your parcel has shipped" to three hundred of its own
/// buyers, a creator's "going live" to its followers and a reply to someone who wrote first
/// are service, not contact: the recipient bought from (or carted from) the sender, the sender
/// bought from the recipient, the recipient follows or watched the sender live (at any time), or
/// either wrote to the other earlier. Everything else is a message to a stranger, and only the
/// number of distinct strangers an account wrote to is judged against its peers — so a busy
/// seller's notices read as ordinary while a spammer's batch still stands out.
///
/// Assumes the store records who bought from whom (orders carry a seller) and who follows whom;
/// where it does not, every message is to a stranger and the count is the plain one.
enum StrangerMessages {
    /// Per account: log1p(distinct recipients written to first while they were strangers),
    /// log1p(distinct targets of any kind, leaving out message recipients who were not strangers),
    /// and log1p(its reviews and messages whose text occurs more than once in the store, leaving
    /// out service messages) — the behaviour features' `texts_repeated` without the service.
    static func compute(_ t: EventTable) -> (strangers: [Float], targets: [Float], repeated: [Float]) {
        let n = t.accountCount
        var strangers = [Float](repeating: 0, count: n)
        var targets = [Float](repeating: 0, count: n)
        var repeated = [Float](repeating: 0, count: n)
        guard n > 0, t.count > 0 else { return (strangers, targets, repeated) }
        var textCount: [Int32: Int32] = [:]
        for e in 0..<t.count where t.textRef[e] >= 0 && (t.kind[e] == .review || t.kind[e] == .message) {
            textCount[t.textRef[e], default: 0] += 1
        }
        @inline(__always) func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }
        var bought = Set<UInt64>(), fan = Set<UInt64>()
        var messages: [Int] = []
        for e in 0..<t.count where t.account[e] >= 0 {
            switch t.kind[e] {
            case .order, .addToCart:
                if t.seller[e] >= 0 { bought.insert(key(t.account[e], t.seller[e])) }
            case .follow, .liveView:
                if t.target[e] >= 0 { fan.insert(key(t.account[e], t.target[e])) }
            case .message:
                if t.target[e] >= 0 && t.target[e] != t.account[e] { messages.append(e) }
            default: break
            }
        }
        messages.sort { (t.ts[$0], $0) < (t.ts[$1], $1) }
        // First contacts in time order; `service` holds the (sender, recipient) pairs that were not.
        var talked = Set<UInt64>(), service = Set<UInt64>()
        var count = [Int32](repeating: 0, count: n)
        for e in messages {
            let s = t.account[e], r = t.target[e]
            let pair = key(s, r)
            if talked.contains(pair) { continue }
            let related = bought.contains(key(r, s)) || bought.contains(pair) || fan.contains(key(r, s)) || talked.contains(key(r, s))
            talked.insert(pair)
            if related { service.insert(pair) } else { count[Int(s)] += 1 }
        }
        // Distinct targets, a service message's recipient left out (unless targeted otherwise too).
        var scratch: [Int32] = []
        for a in 0..<n {
            strangers[a] = Float(log1p(Double(count[a])))
            scratch.removeAll(keepingCapacity: true)
            var texts: Int32 = 0
            for e32 in t.events(of: a) {
                let e = Int(e32)
                let r = t.target[e]
                let isService = t.kind[e] == .message && r >= 0 && service.contains(key(Int32(a), r))
                if !isService, t.textRef[e] >= 0, t.kind[e] == .review || t.kind[e] == .message,
                   let c = textCount[t.textRef[e]], c > 1 { texts += 1 }
                guard r >= 0, !isService else { continue }
                scratch.append(r)
            }
            repeated[a] = Float(log1p(Double(texts)))
            scratch.sort()
            var k = 0, prev: Int32 = -1
            for v in scratch where v != prev { k += 1; prev = v }
            targets[a] = Float(log1p(Double(k)))
        }
        return (strangers, targets, repeated)
    }
}
