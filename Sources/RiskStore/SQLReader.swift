import Foundation

/// Free SQL on a store, whichever backend (`riskdesk query`, exports, dashboards, eval): a
/// connection that reads only, unless `write`, with PII masked unless `maskPII` is false.
///
/// - SQLite: the store opened read-only with `Database.maskPII` (masking views and an
///   authorizer that refuses every other read of a PII column).
/// - PostgreSQL: the server keeps e-mail, phone and rejected rows' raw text from analysts
///   and leads (column rights); a reveal is per account through the audited
///   `riskdesk_reveal_pii`. On this connection `accounts` and `rejects` are also temporary
///   masked views (`accounts_masked`, `rejects_masked`: the same mask as SQLite's, `PII`), so
///   `SELECT * FROM accounts` works for everyone, the database owner included. Reads run in
///   read-only transactions (`default_transaction_read_only`).
public final class SQLReader {
    public let store: CaseStore
    public var database: SQLDatabase { store.database }
    public var location: StoreLocation { store.location }

    public init(_ location: StoreLocation, maskPII: Bool, write: Bool = false) throws {
        switch location {
        case .sqlite(let path):
            store = try Store(path: path, readOnly: !write, mustExist: true, maskPII: maskPII)
        case .postgres(let url):
            let pg = try PGStore(url: url, readOnly: false)
            if maskPII && !write {
                try pg.conn.exec("""
                    CREATE TEMPORARY VIEW accounts AS SELECT * FROM public.accounts_masked;
                    CREATE TEMPORARY VIEW rejects AS SELECT * FROM public.rejects_masked;
                    """)
            }
            if !write { try pg.conn.exec("SET default_transaction_read_only = on") }
            store = pg
        }
    }

    /// Why a statement failed, in words an analyst can act on (nil: the error as it is).
    public static func explain(_ e: Error, write: Bool) -> String? {
        guard let p = e as? PGError else { return nil }
        if p.sqlstate == "25006" && !write { return "the statement would change the store; refused (pass --write to allow it)" }
        if p.isPermissionDenied && (p.message.contains("accounts") || p.message.contains("rejects")) {
            return "\(p.message) — on a team store e-mail, phone and rejected rows are not readable with SELECT: read `accounts` / `accounts_masked` (masked), or reveal one account, audited: SELECT * FROM riskdesk_reveal_pii('ACCOUNT', 'REASON', 'cli') (with --write)"
        }
        return nil
    }
}
