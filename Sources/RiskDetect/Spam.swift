import Foundation

/// Malicious messaging: one text, sent again and again, to people who never dealt with the
/// sender — at any pace, with or without a clickable link. A seller's shipping notice goes to
/// its own buyers, a creator's "going live" to its fans; spam goes to strangers.
///
/// Texts are compared by their **skeleton**: the words of four or more letters, lower-cased,
/// without digits, emoji, punctuation, links, handles or phone numbers — so "Hot  singles near
/// you 💋 hxxps://win-1316.top" and "Hot singles near you w w w . prize12 . xyz" are one
/// template. A sender's messages are grouped into templates (skeletons alike by token Jaccard
/// ≥ 0.5); each template is a batch.
///
/// Who has dealt with whom (Contacts.swift): the recipient bought from, carted from, followed
/// or watched the sender live (at any time), the sender bought from the recipient, or the
/// recipient wrote to the sender earlier (the sender's own earlier messages make no
/// acquaintance: each lure of a spammer that rotates them over the same strangers is to
/// strangers). How often a message goes to a stranger comes from the store
/// itself: the share of first contacts that do, over every batch — and again without the batches the
/// first pass flags (a trimmed base rate: where spam is common its own messages would
/// otherwise make writing to strangers look ordinary). A batch's strangers are a binomial
/// tail at that rate, corrected for the batches that could be tested (three or more
/// recipients) plus a margin; a batch without a contact (link, obfuscated link, handle,
/// phone number) in most of its messages needs one order of magnitude more.
public struct SpamDetector: Detector {
    public let name = "spam"
    /// Added to log10(batches tested) for the bar.
    public var margin = 0.5
    /// Extra bar for a template that carries no contact (a repeated plain text lures nowhere).
    public var plainMargin = 1.0
    public init() {}

    struct Batch {
        var recipients = Set<Int32>()
        var strangers = Set<Int32>()
        var messages = 0
        var withContact = 0
        var hosts: [String: Int] = [:]
        var events: [Int64] = []
        var rep: Set<String> = []
        var repKey = ""
        var variants = 0
    }

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        let contacts = Contacts(t, withText: true)
        let messages = contacts.messages
        try cancel.check()

        // Each sender's messages by skeleton, in time order.
        struct Parsed { var m: Int; var skeleton: String }
        var bySender: [Int32: [Parsed]] = [:]
        var contactOf = [String?](repeating: nil, count: messages.count)
        var parsedCache: [Int32: (String, String?)] = [:]    // text ref → parse (texts repeat)
        for (m, e) in messages.enumerated() {
            let ref = t.textRef[e]
            let p: (String, String?)
            if let c = parsedCache[ref] { p = c } else {
                let r = SpamText.parse(t.texts[Int(ref)])
                p = (r.tokens.joined(separator: " "), r.contact)
                parsedCache[ref] = p
            }
            contactOf[m] = p.1
            bySender[t.account[e], default: []].append(Parsed(m: m, skeleton: p.0))
        }
        parsedCache = [:]
        try cancel.check()

        // Templates per sender: skeletons merged by token Jaccard, most frequent first.
        var templateOf = [Int32](repeating: -1, count: messages.count)
        var batches: [(sender: Int32, batch: Batch)] = []
        for sender in bySender.keys.sorted() {
            let list = bySender[sender]!
            var counts: [String: Int] = [:]
            for m in list { counts[m.skeleton, default: 0] += 1 }
            let order = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            var reps: [(Set<String>, Int)] = []      // representative tokens, batch index
            var batchOf: [String: Int] = [:]
            for (sk, _) in order {
                let toks = Set(sk.split(separator: " ").map(String.init))
                if let r = reps.first(where: { TextNorm.jaccard($0.0, toks) >= 0.5 }) {
                    batchOf[sk] = r.1
                    batches[r.1].batch.variants += 1
                } else {
                    var b = Batch()
                    b.rep = toks; b.repKey = sk; b.variants = 1
                    batches.append((sender, b))
                    reps.append((toks, batches.count - 1))
                    batchOf[sk] = batches.count - 1
                }
            }
            for p in list { templateOf[p.m] = Int32(batchOf[p.skeleton]!) }
        }
        try cancel.check()

        // First contacts, in time order: a stranger unless the two dealt with each other.
        contacts.forEachMessage(t) { m, e, _, related in
            let r = t.target[e]
            let bi = Int(templateOf[m])
            batches[bi].batch.messages += 1
            if let c = contactOf[m] {
                batches[bi].batch.withContact += 1
                if batches[bi].batch.hosts.count < 64 || batches[bi].batch.hosts[c] != nil { batches[bi].batch.hosts[c, default: 0] += 1 }
            }
            if batches[bi].batch.events.count < 200 { batches[bi].batch.events.append(t.rowid[e]) }
            if batches[bi].batch.recipients.insert(r).inserted && !related { batches[bi].batch.strangers.insert(r) }
        }
        try cancel.check()

        // Base rate over every batch, then trimmed of the batches that pass.
        let tested = batches.filter { $0.batch.recipients.count >= 3 }.count
        let bar = log10(Double(max(1, tested))) + margin
        func rate(excluding flagged: Set<Int>) -> Double {
            var n = 0, k = 0
            for (i, b) in batches.enumerated() where !flagged.contains(i) { n += b.batch.recipients.count; k += b.batch.strangers.count }
            return Significance.shrunkRate(hits: k, of: n, prior: 0.5, weight: 2)
        }
        func judge(_ p0: Double) -> [Int: Double] {
            var out: [Int: Double] = [:]
            for (i, b) in batches.enumerated() where b.batch.strangers.count >= 3 {
                let s = Significance.surprise(Significance.logBinomialTail(b.batch.strangers.count, b.batch.recipients.count, p0))
                let plain = 2 * b.batch.withContact < b.batch.messages
                let excess = s - bar - (plain ? plainMargin : 0)
                if excess >= 0 { out[i] = excess }
            }
            return out
        }
        let firstRate = rate(excluding: [])
        let first = judge(firstRate)
        let p0 = rate(excluding: Set(first.keys))
        let passed = judge(p0)

        // Crews: flagged senders whose templates are alike share a group.
        let flagged = passed.keys.sorted()
        var crewRep: [(Set<String>, String)] = []
        var crewOf: [Int: Int] = [:]
        for i in flagged.sorted(by: { (batches[$0].batch.recipients.count, batches[$1].sender) > (batches[$1].batch.recipients.count, batches[$0].sender) }) {
            let b = batches[i].batch
            if let c = crewRep.firstIndex(where: { TextNorm.jaccard($0.0, b.rep) >= 0.5 }) { crewOf[i] = c } else {
                let words = b.repKey.split(separator: " ").prefix(3).joined(separator: "-")
                crewRep.append((b.rep, words.isEmpty ? "links" : words)); crewOf[i] = crewRep.count - 1
            }
        }
        var crewSenders: [Int: Set<Int32>] = [:]
        for i in flagged { crewSenders[crewOf[i]!, default: []].insert(batches[i].sender) }

        // One finding per sender: its strongest template.
        var best: [Int32: Int] = [:]
        for i in flagged {
            let s = batches[i].sender
            if let j = best[s], (passed[j]!, batches[j].batch.recipients.count, -j) >= (passed[i]!, batches[i].batch.recipients.count, -i) { continue }
            best[s] = i
        }
        var findings: [Finding] = []
        for sender in best.keys.sorted() {
            let i = best[sender]!
            let b = batches[i].batch
            let excess = passed[i]!
            let contactShare = Double(b.withContact) / Double(max(1, b.messages))
            let strength = min(0.97, (0.6 + 0.37 * Stat.ramp(excess, 0, 4)) * (0.85 + 0.15 * contactShare))
            let host = b.hosts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            var why = "sent one text\(b.variants > 1 ? " (\(b.variants) variants)" : "") to \(b.recipients.count) accounts, \(b.strangers.count) of whom had not dealt with it when it first sent them this text (no order or cart either way, no follow or live view of it, no message from them before; at the store's base rate of \(Int((p0 * 100).rounded()))% strangers among a text's recipients)"
            if let host { why += "; contact: \(host)" + (b.hosts.count > 1 ? " and \(b.hosts.count - 1) other(s)" : "") }
            let crew = crewOf[i]!
            let mates = (crewSenders[crew] ?? []).filter { $0 != sender }
            var ids: [(kind: String, value: String)] = []
            if let host { ids.append(("link_host", host)) }
            findings.append(Finding(account: sender, detector: name, riskType: .spam, strength: strength, reason: why, events: b.events,
                                    linked: mates.map { t.accountID($0) }.sorted(), identifiers: ids,
                                    group: "spam-\(crew + 1)"))
        }
        return findings
    }
}

/// How a message reads once its disguises are taken off: its skeleton (words of 4+ letters,
/// no digits, links, handles or numbers) and the contact it points to, if any — a URL (also
/// `hxxps://`, `w w w . x . y`), a bare domain or `host/path`, an `@handle` or a phone number.
enum SpamText {
    static func parse(_ s: String) -> (tokens: [String], contact: String?) {
        var tokens: [String] = []
        var contact: String? = nil
        let lower = s.lowercased()
        for raw in lower.split(whereSeparator: { $0.isWhitespace }) {
            let w = String(raw)
            if contact == nil { contact = contactIn(w) }
            if w.contains(where: { $0.isNumber || "./:@+".contains($0) }) { continue }
            let letters = String(w.filter { $0.isLetter })
            if letters.count >= 4 { tokens.append(letters) }
        }
        if contact == nil {
            // Spaced out: "w w w . prize12 . xyz", "h t t p s : / / …".
            let compact = String(lower.filter { !$0.isWhitespace })
            for marker in ["://", "www."] {
                if let r = compact.range(of: marker) {
                    let rest = compact[r.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
                    let h = rest.trimmingCharacters(in: CharacterSet(charactersIn: ".-"))
                    if h.contains(".") { contact = h; break }
                }
            }
        }
        return (tokens, contact)
    }

    /// The contact a single token names, if it is one.
    static func contactIn(_ w: String) -> String? {
        let t = w.trimmingCharacters(in: CharacterSet(charactersIn: ".,;!?)(\"'[]<>"))
        if t.contains("://") { return TextNorm.host(t) }
        if t.hasPrefix("www.") { return TextNorm.host(t) }
        if t.hasPrefix("@"), t.count >= 4 { return "handle" }
        if t.hasPrefix("+"), t.dropFirst().filter(\.isNumber).count >= 4, t.dropFirst().allSatisfy({ $0.isNumber || $0 == "-" }) { return "phone" }
        // A bare domain, with or without a path: labels of letters, digits and hyphens, the last all letters (2–6).
        let hostPart = t.prefix { $0 != "/" }
        let labels = hostPart.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }),
           let last = labels.last, (2...6).contains(last.count), last.allSatisfy(\.isLetter) {
            return String(hostPart)
        }
        return nil
    }
}
