import Foundation

/// Where a store is: a SQLite file, or a PostgreSQL team store (`postgresql://…`).
public enum StoreLocation: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    /// `postgresql://` or `postgres://` is a team store; anything else a SQLite path.
    public init(_ s: String) {
        self = PGConnection.isURL(s) ? .postgres(url: s) : .sqlite(path: s)
    }

    public var isTeam: Bool { if case .postgres = self { return true } else { return false } }

    /// For messages: the path, or the URL without its password.
    public var display: String {
        switch self {
        case .sqlite(let p): return p
        case .postgres(let u): return PGConnection.redact(u)
        }
    }
}

/// What case work needs from a store — label, cases, claims, info — with two backends: the
/// local SQLite `Store` and the team `PGStore`. On a team store the analyst is the login
/// role, so the `analyst` arguments are ignored there (callers refuse `--analyst`).
public protocol CaseStore: AnyObject {
    var location: StoreLocation { get }
    var schemaVersion: Int { get }
    /// The store's SQL connection, whichever backend (typed queries: Queries.swift, DetectionResults.swift).
    var database: SQLDatabase { get }
    func summary() throws -> StoreSummary
    func importRuns(limit: Int) throws -> [ImportRunRecord]
    func currentLabel(_ account: String) throws -> (label: String, category: String?)?
    func labelHistory(_ account: String, limit: Int) throws -> [LabelRecord]
    func labelConflict(_ account: String) throws -> [String]
    func cases(status: String?, assignee: String?, limit: Int) throws -> [CaseRecord]
    @discardableResult func addLabels(_ labels: [LabelInput], analyst: String, source: String) throws -> Int
    /// Claims the highest-scored unlabelled account nobody holds; nil when none is left.
    func claimNext(analyst: String, riskType: String?, source: String) throws -> String?
    /// Claims one account's case; `takeover`: a lead takes another analyst's live claim.
    func claim(_ account: String, analyst: String, takeover: Bool, source: String) throws
    /// Gives a claim back; false when there was none.
    @discardableResult func release(_ account: String, analyst: String, source: String) throws -> Bool
    func setCaseStatus(_ account: String, _ status: String, analyst: String, source: String) throws
}

/// Opens a store by location. SQLite: created if missing unless `mustExist` / `readOnly`.
/// PostgreSQL: the schema must be there (`riskdesk team init`).
public func openCaseStore(_ location: StoreLocation, readOnly: Bool = false, mustExist: Bool = false) throws -> CaseStore {
    switch location {
    case .sqlite(let path): return try Store(path: path, readOnly: readOnly, mustExist: mustExist)
    case .postgres(let url): return try PGStore(url: url, readOnly: readOnly)
    }
}

extension Store: CaseStore {
    public var location: StoreLocation { .sqlite(path: path) }
    public var database: SQLDatabase { db }
    public func labelHistory(_ account: String, limit: Int) throws -> [LabelRecord] { try db.labelHistory(account, limit: limit) }
    public func labelConflict(_ account: String) throws -> [String] { try db.labelConflict(account) }

    public func claim(_ account: String, analyst: String, takeover: Bool, source: String) throws {
        if takeover {
            // No roles in a local store: taking over is an explicit release and claim, audited.
            try db.transaction {
                if let holder = try db.scalar("SELECT assignee FROM cases WHERE account_id = ?", [.text(account)]).string, holder != analyst {
                    try db.run("UPDATE cases SET assignee = NULL WHERE account_id = ?", [.text(account)])
                    try db.audit(analyst: analyst, source: source, action: "takeover", account: account, old: holder, new: analyst)
                }
            }
        }
        try claim(account, analyst: analyst, source: source)
    }

    public func release(_ account: String, analyst: String, source: String) throws -> Bool {
        try db.transaction {
            guard let holder = try db.scalar("SELECT assignee FROM cases WHERE account_id = ?", [.text(account)]).string else { return false }
            if holder != analyst { throw ClaimError(description: "\(account) is claimed by \(holder), not by \(analyst)") }
            try db.run("UPDATE cases SET assignee = NULL, updated_at = ?, status = CASE WHEN status = 'in_review' THEN 'open' ELSE status END WHERE account_id = ?",
                       [.int(Timestamp.nowMs()), .text(account)])
            try db.audit(analyst: analyst, source: source, action: "release", account: account, old: holder, new: nil)
            return true
        }
    }
}

extension PGStore: CaseStore {
    /// The URL as given (password included, for more connections); `location.display` redacts it.
    public var location: StoreLocation { .postgres(url: conn.url) }
    public var database: SQLDatabase { conn }
    public func addLabels(_ labels: [LabelInput], analyst: String, source: String) throws -> Int {
        try addLabels(labels, source: source)
    }
    public func claimNext(analyst: String, riskType: String?, source: String) throws -> String? {
        try claimNext(riskType: riskType, source: source)
    }
    public func claim(_ account: String, analyst: String, takeover: Bool, source: String) throws {
        try claim(account, takeover: takeover, source: source)
    }
    public func release(_ account: String, analyst: String, source: String) throws -> Bool {
        try release(account, source: source)
    }
    public func setCaseStatus(_ account: String, _ status: String, analyst: String, source: String) throws {
        try setCaseStatus(account, status, source: source)
    }
}
