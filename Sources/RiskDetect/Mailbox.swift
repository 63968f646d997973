import Foundation

/// One mailbox written many ways (deal36): `Anna.Lee+7@GMail.com`, `annalee+shop@gmail.com` and
/// `annalee@googlemail.com` deliver to one inbox. A normalised mailbox is a shared identifier like a
/// card or a device. The rules are the providers' own, not a guess at a ring's habits:
/// - the whole address is lower-cased (providers treat addresses case-insensitively in practice);
/// - a sub-address (`+tag`, RFC 5233) is dropped — the major providers (Gmail, Outlook, iCloud,
///   Fastmail, Proton, Yahoo's own `-` aside) deliver `local+tag@` to `local@`;
/// - dots in the local part are dropped only where the provider ignores them (Gmail,
///   `googlemail.com` being the same domain); elsewhere `a.lee@` and `alee@` are two people.
/// An address without a domain (a team store gives detection only a stem) has no mailbox.
/// The mailbox is shown and exported only as its number in the run (`mbx-3`): the address is PII.
enum Mailbox {
    static let dotBlind: Set<String> = ["gmail.com", "googlemail.com"]

    /// The normalised mailbox of an e-mail address, or nil when it has no local part or domain.
    static func normalise(_ email: String) -> String? { mailbox(ofSpelling: spelling(email)) }

    /// The mailbox a spelling delivers to (`spelling`'s result): its sub-address dropped; nil when it has
    /// no local part, or no domain with a dot.
    static func mailbox(ofSpelling e: String) -> String? {
        guard let at = e.lastIndex(of: "@") else { return nil }
        var local = String(e[..<at])
        let domain = String(e[e.index(after: at)...])
        guard !domain.isEmpty, domain.contains(".") else { return nil }
        if let plus = local.firstIndex(of: "+") { local = String(local[..<plus]) }
        guard !local.isEmpty else { return nil }
        return local + "@" + domain
    }

    /// An address as its owner chose it: lower-cased, blanks and line ends trimmed, and the dots a provider ignores
    /// dropped (`googlemail.com` read as `gmail.com`), the sub-address kept. Two accounts with one
    /// spelling typed one address; a sub-address (`alee+7@`, `alee+x8@`, `alee@`) is a variant only a
    /// person adds — to pass a one-account-per-address check — while `a.lee@gmail.com` and
    /// `alee@gmail.com` are how a name is written, and a name pattern repeats both.
    static func spelling(_ email: String) -> String {
        let e = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let at = e.lastIndex(of: "@") else { return e }
        var local = String(e[..<at]), domain = String(e[e.index(after: at)...])
        if domain == "googlemail.com" { domain = "gmail.com" }
        if dotBlind.contains(domain) { local.removeAll { $0 == "." } }
        return local + "@" + domain
    }

    /// How often the store repeats an address spelled identically on several accounts (s50). A store
    /// that holds each person to one account per address has almost none — a ring there must vary the
    /// spelling — so an identical repeat is as telling as an alias. A store whose e-mail is a contact
    /// field, or whose addresses follow a name pattern that strangers share (`tran.tanaka@gmail.com`),
    /// repeats addresses by the thousand, and there an identical repeat says nothing about one hand.
    /// Rare: no more repeated spellings than one per hundred accounts counted (one is always rare: a
    /// store of fifty accounts with one repeat). A spelling on more accounts than link (`links`: the
    /// run's LinkBound) is a placeholder (`noemail@…`) and not counted: it links no one anyway.
    struct Spellings {
        private var seen: [UInt64: Int32] = [:]
        private(set) var accounts = 0
        mutating func add(_ spelling: UInt64) {
            accounts += 1
            seen[spelling, default: 0] += 1
        }
        func repeated(links: (Int) -> Bool) -> Int { seen.values.reduce(0) { $0 + ($1 >= 2 && links(Int($1)) ? 1 : 0) } }
        func identicalRepeatsAreRare(links: (Int) -> Bool) -> Bool { repeated(links: links) <= max(1, accounts / 100) }
    }

    /// The mailbox's key: FNV-1a 64 of the normalised address (detection keeps only this, never
    /// the address; two mailboxes colliding in 64 bits is negligible at any store size).
    static func key(_ mailbox: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in mailbox.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The mailbox as shown in findings and exports: its number in this run (`mbx-1`, `mbx-2`, … in
    /// the order of the accounts), never the address nor a hash of it — an unkeyed hash of an
    /// address can be searched back to it, and would tie one person's findings across stores.
    static func shown(_ index: Int32) -> String { "mbx-\(Int(index) + 1)" }
}

/// Whether an account shares its inbox with other accounts beyond chance, for the anomaly layer
/// (`mailbox_sharers`). A ring that opens accounts on sub-addresses of one mailbox (`ring+1@`,
/// `ring+2@`, or Gmail's dots: `r.ing@`, `ri.ng@`) may share nothing else, and no detector but the
/// deal-hunter units reads the mailbox; with `identity` off, this is what is left of it.
///
/// What counts is the number of *addresses* (spellings as typed: lower-cased and trimmed, nothing
/// else dropped) that reach one mailbox (Mailbox.swift's normalisation: the sub-address dropped,
/// Gmail's dots ignored), not the number of accounts on it: strangers who typed the same address (a
/// name pattern, a `test@test.com` or a `noemail@` on the sign-up form) are one address, and add
/// nothing; only an address written another way to reach the same inbox is one more. Missing (−1)
/// without an address with a domain (a team store gives detection no address).
///
/// A home's people may share an inbox as they share an address: the store's household scale h (the
/// 90th percentile of the accounts on a shared delivery address, as the sharer counts use it:
/// SharingIndependence.swift) is what an inbox may hold without a coincidence, so a mailbox of k
/// addresses is max(0, k − h) coincidences. Judged against the store's mailboxes, not within the
/// account's peer group (a ring of thirty thin newcomers is a large part of its own age and activity
/// group, and would be its own reference there). The store's rate q: of the accounts with a mailbox,
/// the share of extra addresses (each mailbox's addresses less one; shrunk by one), so a store full
/// of alias rings judges each less harshly, never more; chance q^coincidences, tested once per
/// mailbox of the store: the value is max(0, k − h)·log10(1/q) − log10(mailboxes), at most
/// `maxDecades`, in decades (0 when not beyond chance). A second address, or a family's few, is
/// nothing; an inbox with more addresses than a home has people counts, and a ring of thirty is at
/// the cap. Assumes one inbox is one person or one home — a work inbox with many sub-addresses
/// (`orders+7@`) breaks it and ranks like a ring of its size (no generator here has one).
enum MailboxSharers {
    static let names = ["mailbox_sharers"]
    /// Seven decades (16 in the layer's −ln units): past the 8–16 over which the layer's weight on
    /// the store's outliers grows, so a ring is in full, and no further — one column's evidence,
    /// unlike a detector's, is not made stronger by how large a ring is.
    static let maxDecades: Float = 7

    struct Result {
        /// Per account: decades (−1 missing).
        var value: [Float]
        /// Per account: the other addresses on its mailbox; and its mailbox's number in the run
        /// (`Mailbox.shown`, the numbering the deal-hunter units use), −1 without one.
        var others: [Int32]
        var mailbox: [Int32]
        /// The store's household scale the coincidences are counted beyond.
        var household: Int
    }

    /// `index`: the store's `SharingIndependence.identifierIndex`, when the caller has it already.
    static func compute(_ t: EventTable, index: SharingIndependence.Index? = nil) -> Result {
        let n = t.accountCount
        var r = Result(value: [Float](repeating: -1, count: n), others: [Int32](repeating: 0, count: n),
                       mailbox: [Int32](repeating: -1, count: n), household: 1)
        guard n > 0 else { return r }
        var ids: [UInt64: Int32] = [:]
        var accounts: [Int32] = []
        var addresses: [Set<UInt64>] = []
        for a in 0..<min(n, t.email.count) {
            guard let box = Mailbox.mailbox(ofSpelling: Mailbox.spelling(t.email[a])) else { continue }
            let key = Mailbox.key(box)
            let id: Int32
            if let x = ids[key] { id = x } else {
                id = Int32(accounts.count); ids[key] = id
                accounts.append(0); addresses.append([])
            }
            accounts[Int(id)] += 1
            addresses[Int(id)].insert(Mailbox.key(typed(t.email[a])))
            r.mailbox[a] = id
        }
        guard !accounts.isEmpty else { return r }
        r.household = SharingIndependence.householdScale((index ?? SharingIndependence.identifierIndex(t)).idStart, bound: t.linkBound)
        let held = accounts.reduce(0) { $0 + Int($1) }
        let extra = addresses.reduce(0) { $0 + $1.count - 1 }
        let perCoincidence = -log10(Double(extra + 1) / Double(held + 1))
        let tested = log10(Double(accounts.count))
        for a in 0..<n where r.mailbox[a] >= 0 {
            let k = addresses[Int(r.mailbox[a])].count
            r.others[a] = Int32(k - 1)
            let coincidences = Double(max(0, k - r.household))
            r.value[a] = min(maxDecades, Float(max(0, coincidences * perCoincidence - tested)))
        }
        return r
    }

    /// An address as typed: lower-cased, blanks and line ends trimmed; nothing dropped.
    static func typed(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
