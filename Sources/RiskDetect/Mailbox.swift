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
    static func normalise(_ email: String) -> String? {
        let e = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard let at = e.lastIndex(of: "@") else { return nil }
        var local = String(e[..<at])
        var domain = String(e[e.index(after: at)...])
        guard !domain.isEmpty, domain.contains(".") else { return nil }
        if let plus = local.firstIndex(of: "+") { local = String(local[..<plus]) }
        if domain == "googlemail.com" { domain = "gmail.com" }
        if dotBlind.contains(domain) { local.removeAll { $0 == "." } }
        guard !local.isEmpty else { return nil }
        return local + "@" + domain
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
