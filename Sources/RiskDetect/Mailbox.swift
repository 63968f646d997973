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

    /// An address as its owner chose it: lower-cased, blanks trimmed, and the dots a provider ignores
    /// dropped (`googlemail.com` read as `gmail.com`), the sub-address kept. Two accounts with one
    /// spelling typed one address; a sub-address (`alee+7@`, `alee+x8@`, `alee@`) is a variant only a
    /// person adds — to pass a one-account-per-address check — while `a.lee@gmail.com` and
    /// `alee@gmail.com` are how a name is written, and a name pattern repeats both.
    static func spelling(_ email: String) -> String {
        let e = email.trimmingCharacters(in: .whitespaces).lowercased()
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

/// Whether an account shares its inbox with others beyond chance, for the anomaly layer
/// (`mailbox_sharers`). One inbox is one person: unlike a device in a shop or a network behind a
/// carrier, a mailbox has no public use, so its other accounts count in full — the device, card and
/// address counts discount strangers as a public place's (SharingIndependence.swift). A ring that
/// opens accounts on sub-addresses of one mailbox (`ring+1@`, `ring+2@`) may share nothing else, and
/// no detector but the deal-hunter units reads the mailbox; with `identity` off, this is what is left.
///
/// The evidence is about the mailbox, so it is judged against the store's mailboxes, not within the
/// account's peer group — a ring of thirty newcomers is a large part of its own age group and would
/// be its own reference there. The store's rate q: of its accounts with a mailbox, the share that
/// joined a mailbox someone else already had (accounts on a shared mailbox that links, less one per
/// such mailbox; shrunk by one). A mailbox of m accounts is then m − 1 such coincidences, chance
/// q^(m−1): the value is (m − 1)·log10(1/q) decades, capped at 20. A person with a second account
/// is one coincidence (in a store where one account in a thousand does that, 3 decades: within
/// what the layer's many columns reach by chance); a ring of thirty is far past it. The rings count
/// toward q, so a store full of them judges each less harshly, never more.
///
/// A mailbox's accounts count when the mailbox links them, as the deal-hunter units decide:
/// - at most the run's link bound of accounts (LinkBound; a `noemail@…` placeholder links no one);
/// - spelled in more than one way (a sub-address, a provider's ignored dots), or the store repeats
///   an address spelled identically on several accounts rarely (`Spellings`: no more than one per
///   hundred accounts) — where the e-mail is a contact field or follows a name pattern strangers
///   share, identical spellings are no one inbox.
/// 0 alone or when the mailbox does not link; −1 (missing) without an address with a domain, so a
/// store without e-mail (a team store gives detection no address) is not judged on it.
enum MailboxSharers {
    static let names = ["mailbox_sharers"]
    static let maxDecades: Float = 20

    static func compute(_ t: EventTable) -> [Float] {
        let n = t.accountCount
        var out = [Float](repeating: -1, count: n)
        guard n > 0 else { return out }
        var boxOf = [Int32](repeating: -1, count: n)
        var ids: [UInt64: Int32] = [:]
        var count: [Int32] = [], firstSpelling: [UInt64] = [], varied: [Bool] = []
        var spellings = Mailbox.Spellings()
        for a in 0..<min(n, t.email.count) {
            let spelled = Mailbox.spelling(t.email[a])
            guard let box = Mailbox.mailbox(ofSpelling: spelled) else { continue }
            let key = Mailbox.key(box), spelling = Mailbox.key(spelled)
            let id: Int32
            if let x = ids[key] { id = x } else {
                id = Int32(count.count); ids[key] = id
                count.append(0); firstSpelling.append(spelling); varied.append(false)
            }
            count[Int(id)] += 1
            if firstSpelling[Int(id)] != spelling { varied[Int(id)] = true }
            spellings.add(spelling)
            boxOf[a] = id
        }
        let bound = t.linkBound
        let identicalRare = spellings.identicalRepeatsAreRare(links: bound.links(accounts:))
        func links(_ id: Int) -> Bool {
            let m = Int(count[id])
            return m >= 2 && bound.links(accounts: m) && (identicalRare || varied[id])
        }
        // The store's rate of joining a mailbox someone else had.
        var joined = 0
        for id in count.indices where links(id) { joined += Int(count[id]) - 1 }
        let q = Double(joined + 1) / Double(spellings.accounts + 1)
        let perCoincidence = -log10(q)
        for a in 0..<n where boxOf[a] >= 0 {
            let id = Int(boxOf[a])
            out[a] = links(id) ? min(maxDecades, Float(Double(count[id] - 1) * perCoincidence)) : 0
        }
        return out
    }
}
