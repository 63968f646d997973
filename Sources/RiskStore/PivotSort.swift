import Foundation

/// Orders of a pivot list (`s` cycles them): events with the identifier (a group's size, a
/// member's findings), score, account id, last seen. All but the account id run high first.
public enum PivotSort: String, CaseIterable, Sendable {
    case events, score, account, lastSeen = "last seen"

    /// The SQL sort expression for a pivot kind (nil: the kind's own, for `events`).
    func expression(kind: String) -> String? {
        switch (self, kind) {
        case (.events, _): return nil
        case (.account, "groups"): return "group_id"
        case (.account, "group"): return "s.account_id"
        case (.account, _): return "l.account_id"
        case (.score, "groups"): return "score"
        case (.score, _): return "coalesce(s.score, -1)"
        case (.lastSeen, "groups"): return "size"
        case (.lastSeen, "group"): return "coalesce(a.last_seen, -1)"
        case (.lastSeen, _): return "coalesce(l.last_ts, -1)"
        }
    }

    /// A row's sort key, for the next page.
    public func key(_ r: PivotRow, kind: String) -> SQLValue {
        switch self {
        case .events: return .int(r.events)
        case .score: return .double(r.score ?? -1)
        case .account: return .text(r.account)
        case .lastSeen: return kind == "groups" ? .int(r.events) : .int(r.lastTs ?? -1)
        }
    }
}
