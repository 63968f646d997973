import Foundation

/// Messages the anomaly layer counts: first contacts with strangers, as the spam detector
/// counts them (Spam.swift; both read who has dealt with whom from Contacts.swift). A seller's "your parcel has shipped" to three hundred of its own
/// buyers, a creator's "going live" to its followers and a reply to someone who wrote first
/// are service, not contact: the recipient bought from (or carted from) the sender, the sender
/// bought from the recipient, the recipient follows or watched the sender live (at any time), or
/// the recipient wrote to the sender earlier. Everything else is a message to a stranger, and only the
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
    /// `pace`: for each account that sent service messages, the behaviour features'
    /// `max_events_in_an_hour` (log1p) and `median_gap_log10s` (−1 when missing) over its events
    /// without them (fp36): a seller's notice to four hundred buyers, sent within the hour, is
    /// the notice's pace, not the seller's — it ranked sellers as fast as scripts (median gap 2 s,
    /// 75 events in an hour) among sellers. Messages to strangers still count.
    static func compute(_ t: EventTable) -> (strangers: [Float], targets: [Float], repeated: [Float], pace: [Int32: (burst: Float, gap: Float)]) {
        let n = t.accountCount
        var strangers = [Float](repeating: 0, count: n)
        var targets = [Float](repeating: 0, count: n)
        var repeated = [Float](repeating: 0, count: n)
        var pace: [Int32: (burst: Float, gap: Float)] = [:]
        guard n > 0, t.count > 0 else { return (strangers, targets, repeated, pace) }
        var textCount: [Int32: Int32] = [:]
        for e in 0..<t.count where t.textRef[e] >= 0 && (t.kind[e] == .review || t.kind[e] == .message) {
            textCount[t.textRef[e], default: 0] += 1
        }
        // First contacts in time order; `service` holds the (sender, recipient) pairs that were not.
        var service = Set<UInt64>()
        var count = [Int32](repeating: 0, count: n)
        Contacts(t, withText: false).forEachMessage(t) { _, e, first, related in
            guard first else { return }
            let s = t.account[e]
            if related { service.insert(Contacts.key(s, t.target[e])) } else { count[Int(s)] += 1 }
        }
        // Distinct targets, a service message's recipient left out (unless targeted otherwise too).
        var scratch: [Int32] = []
        var times: [Int64] = [], gaps: [Int64] = []
        for a in 0..<n {
            strangers[a] = Float(log1p(Double(count[a])))
            scratch.removeAll(keepingCapacity: true)
            var texts: Int32 = 0
            var services = 0
            times.removeAll(keepingCapacity: true)
            for e32 in t.events(of: a) {
                let e = Int(e32)
                let r = t.target[e]
                let isService = t.kind[e] == .message && r >= 0 && service.contains(Contacts.key(Int32(a), r))
                if isService { services += 1 } else { times.append(t.ts[e]) }
                if !isService, t.textRef[e] >= 0, t.kind[e] == .review || t.kind[e] == .message,
                   let c = textCount[t.textRef[e]], c > 1 { texts += 1 }
                guard r >= 0, !isService else { continue }
                scratch.append(r)
            }
            repeated[a] = Float(log1p(Double(texts)))
            if services > 0 {
                // As the behaviour features measure them, over the events left.
                pace[Int32(a)] = EventPace.measure(times, gaps: &gaps)
            }
            scratch.sort()
            var k = 0, prev: Int32 = -1
            for v in scratch where v != prev { k += 1; prev = v }
            targets[a] = Float(log1p(Double(k)))
        }
        return (strangers, targets, repeated, pace)
    }
}
