import RiskStore
import TerminalKit

// The timeline's search: `/TEXT` finds the next event whose fields contain TEXT (an IP, a
// device, an order, a word of a review), `e` the next ◆ evidence event. Both look in the
// events read so far, then page forward until one matches or the timeline ends.

/// What the timeline is looking for.
public enum TimelineFind: Equatable, Sendable {
    case text(String)
    case evidence

    func matches(_ e: EventRow, evidence: Set<Int64>) -> Bool {
        switch self {
        case .evidence: return evidence.contains(e.id)
        case .text(let s):
            let needle = s.lowercased()
            return [e.type, e.summary, e.device ?? "", e.ip ?? "", e.country ?? "", e.eventID, e.session ?? ""]
                .contains { $0.lowercased().contains(needle) }
        }
    }

    var what: String {
        switch self {
        case .evidence: return "◆ evidence event"
        case .text(let s): return "event matching “\(s)”"
        }
    }
}

extension TimelineScreen {
    /// `/` text that names event types only (`login,order`) filters; anything else searches.
    func isTypeFilter(_ text: String) -> Bool {
        let words = text.split(whereSeparator: { $0 == "," || $0 == " " }).map { String($0).lowercased() }
        let known = Set(lanes.map(\.0)).union(TimelineLanes.contractTypes)
        return !words.isEmpty && words.allSatisfy { known.contains($0) }
    }

    /// Lanes in a stable order: most events first, ties by name; the types of the findings'
    /// evidence (a takeover's password_reset, address_change) always get a lane.
    static func orderLanes(_ lanes: [String: [Double]], evidenceTypes: Set<String>, room: Int = 8) -> [(String, [Double])] {
        let ranked = lanes.map { ($0.key, $0.value, $0.value.reduce(0, +)) }
            .sorted { ($0.2, $1.0) > ($1.2, $0.0) }
        let must = ranked.filter { evidenceTypes.contains($0.0) }.prefix(room)
        var chosen = Set(must.map(\.0))
        for r in ranked where chosen.count < room { chosen.insert(r.0) }
        // The chosen lanes (in order), then the rest (kept for a later re-order).
        return (ranked.filter { chosen.contains($0.0) } + ranked.filter { !chosen.contains($0.0) }).map { ($0.0, $0.1) }
    }
}

enum TimelineLanes {
    /// The event types of the data contract.
    static let contractTypes: Set<String> = [
        "login", "logout", "password_reset", "address_change", "profile_update", "view", "search", "add_to_cart", "order", "payment",
        "refund", "review", "coupon_redeem", "message", "live_view", "profile_view", "follow", "click", "signup",
    ]
}

extension AppState {
    /// Looks from row `start` on; pages forward when the rows read so far hold no match.
    mutating func find(_ f: TimelineFind, in t: inout TimelineScreen, from start: Int) -> [Effect] {
        if case .text(let s) = f { t.lastSearch = s }
        if start < t.list.rows.count, let i = t.list.rows[start...].firstIndex(where: { f.matches($0, evidence: t.evidence) }) {
            t.finding = nil
            t.list.cursor = i
            t.list.follow(visible: timelineRows)
            say("\(f.what): \(Timestamp.short(t.list.rows[i].ts)) — \(f == .evidence ? "e" : "/ Enter") for the next")
            return []
        }
        if t.list.atEnd {
            t.finding = nil
            say("no further \(f.what)", error: true)
            return []
        }
        t.finding = f
        t.list.loading = true
        return [timelineFetch(t, .after)]
    }

    /// A page arrived while looking: look in it (the rows after `lastID`).
    mutating func continueFind(_ t: inout TimelineScreen, after lastID: Int64?) -> [Effect] {
        guard let f = t.finding else { return [] }
        let start = lastID.flatMap { id in t.list.rows.firstIndex { $0.id == id }.map { $0 + 1 } } ?? 0
        return find(f, in: &t, from: start)
    }
}
