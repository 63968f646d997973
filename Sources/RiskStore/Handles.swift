import Foundation

/// What a view reads through: a read-only connection (`query_only` on SQLite; read-only
/// transactions as the login role on a team store). Holding one is the proof a piece of
/// code can't write. The typed queries take its `db`, whichever backend.
public struct StoreReader {
    public let location: StoreLocation
    /// The local store (nil on a team store).
    public let local: Store?
    private let team: PGStore?
    public var db: SQLDatabase { local.map { $0.db } ?? team!.conn }
    public let path: String

    public init(path: String, maskPII: Bool = false) throws {
        self.path = path
        location = StoreLocation(path)
        switch location {
        case .sqlite:
            local = try Store(path: path, readOnly: true, maskPII: maskPII)
            team = nil
        case .postgres(let url):
            // PII is the server's to keep: an analyst can't read e-mail or phone at all.
            team = try PGStore(url: url, readOnly: true)
            local = nil
        }
    }

    /// The login role on a team store (who this session acts as); nil on a local store.
    public func teamRole() throws -> String? { try team?.currentRole() }

    /// Stops the statement running on it (from another thread): sqlite3_interrupt, or PQcancel.
    public func interrupt() { db.interrupt() }

    /// A number that changes when another connection commits to a local store (SQLite's
    /// `data_version`); nil on a team store, which announces changes instead (`ChangeFeed`).
    public func dataVersion() throws -> Int64? {
        guard let local else { return nil }
        return try local.db.int("PRAGMA data_version")
    }
}

/// The one writable connection of a session, opened on the first write. A read-only
/// session's writer refuses every write, whatever the screens let through. On a team store
/// it acts as the login role, through the store's own claim / label / status / reveal paths.
public final class StoreWriter {
    public let path: String
    public var readOnly: Bool
    private var store: CaseStore?

    public init(path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }

    /// The writable store, opened now if it isn't yet.
    public func open() throws -> CaseStore {
        if readOnly { throw StoreError("read-only session (--read-only): nothing is written to the store") }
        if let store { return store }
        let s = try openCaseStore(StoreLocation(path))
        store = s
        return s
    }

    /// Reveals an account's e-mail and phone: the audit row (who, which account, why) is
    /// written first, then the values are read (on a team store by the audited reveal
    /// function; the readers of both backends hold only masked values). Nil: no such account.
    public func revealPII(_ account: String, reason: String, analyst: String, source: String) throws -> (email: String?, phone: String?)? {
        let s = try open()
        if let pg = s as? PGStore {
            guard let v = try pg.revealPII(account, reason: reason, source: source) else {
                throw StoreError("no account \(account) in \(pg.displayURL)")
            }
            return v
        }
        try s.database.audit(analyst: analyst, source: source, action: "reveal_pii", account: account, note: reason)
        guard let r = try s.database.rows("SELECT email, phone FROM accounts WHERE account_id = ?", [.text(account)]).first else { return nil }
        return (r[0].string, r[1].string)
    }
}
