import Foundation

/// A case as the queue shows it: status, who holds it, since when.
public struct CaseState: Equatable, Sendable {
    public var status: String
    public var assignee: String?
    public var openedAt: Int64?
    public init(status: String, assignee: String?, openedAt: Int64?) {
        self.status = status; self.assignee = assignee; self.openedAt = openedAt
    }
}

extension SQLDatabase {
    /// An account's case, if one was opened.
    public func caseState(_ account: String) throws -> CaseState? {
        guard let r = try rows("SELECT status, assignee, opened_at FROM cases WHERE account_id = ?", [.text(account)]).first else { return nil }
        return CaseState(status: r[0].string ?? "open", assignee: r[1].string, openedAt: r[2].int)
    }
}
