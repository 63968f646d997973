import Foundation

// A group's members: every account with a finding in it, whichever group its score names
// as its primary one — the same accounts `groups.size` counts.

extension Database {
    /// SQL for the accounts of the group bound at `parameter`.
    static func groupMembersSQL(_ parameter: String) -> String {
        "SELECT DISTINCT account_id FROM findings WHERE group_id = \(parameter)"
    }
}

extension SQLDatabase {
    /// A group's members, sorted.
    public func groupMembers(_ group: String) throws -> [String] {
        try rows(Database.groupMembersSQL("?") + " ORDER BY account_id", [.text(group)]).compactMap { $0[0].string }
    }

    /// How many distinct accounts are in at least one group.
    public func groupedAccounts() throws -> Int64 {
        try int("SELECT count(DISTINCT account_id) FROM findings WHERE group_id IS NOT NULL")
    }
}
