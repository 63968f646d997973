import Foundation
import RiskStore
import TerminalKit

// An account's timeline: an activity strip (one lane per event type, zoomable), then its
// events by day with the gaps between sessions; the findings' evidence marked ◆.
public struct TimelineScreen {
    var uid: Int
    public var account: String
    public var types: [String]? = nil
    public var list = Paged<EventRow>()
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    /// The activity strip's time window (zoom), and its lanes.
    public var window: (from: Int64, to: Int64)?
    public var lanes: [(String, [Double])] = []
    public var detail: [(String, String)]? = nil
    public var jumpTo: Int64? = nil
    /// Event ids the account's findings cite: marked ◆ on the timeline.
    public var evidence: Set<Int64> = []
    /// Their event types, as far as read: they always get a lane.
    public var evidenceTypes: Set<String> = []
    /// A search going on (`/TEXT`, `e`): pages are read until a match.
    public var finding: TimelineFind?
    public var lastSearch = ""
}

extension AppState {
    var timelineBindings: [Binding] {
        listBindings + [
            Binding([.enter], .eventDetail, help: "all fields of the event", hint: "event"),
            Binding([.char("e")], .nextEvidence, help: "next ◆ evidence event", hint: "evidence"),
            Binding([], .filter, keyLabel: "/TYPE,TYPE  /TEXT", help: "filter by event type (e.g. login,order); other text finds the next event with it (an IP, a device…)"),
            Binding([.char("+"), .char("="), .char("-"), .char("0")], .zoom, keyLabel: "+ - 0", help: "zoom the activity strip around the cursor; 0 whole life"),
            Binding([], .command("date"), name: "date", help: "jump the timeline to a day", argument: "YYYY-MM-DD"),
        ]
    }

    mutating func openTimeline(_ a: AccountScreen) -> [Effect] {
        var t = TimelineScreen(uid: uid(), account: a.id)
        t.firstSeen = a.profile?.firstSeen
        t.lastSeen = a.profile?.lastSeen
        t.evidence = Set(a.profile?.findings.flatMap(\.events) ?? [])
        t.list.loading = true
        var reqs: [Effect] = [.read(.timelinePage(uid: t.uid, account: a.id, types: nil, direction: .first, anchor: nil, from: nil))]
        if let f = t.firstSeen, let l = t.lastSeen {
            t.window = (f, l + 1)
            reqs.append(.read(.activity(uid: t.uid, account: a.id, from: f, to: l + 1, buckets: stripBuckets)))
        }
        stack.append(.timeline(t))
        return reqs
    }

    var stripBuckets: Int { max(10, width - 18) }
    /// Timeline rows under the strip (lanes take up to 8 rows + 2).
    var timelineRows: Int { max(3, height - 4 - stripHeight) }
    var stripHeight: Int {
        if case .timeline(let t) = top { return min(8, t.lanes.count) + 2 }
        return 0
    }

    func timelineFetch(_ t: TimelineScreen, _ f: Fetch) -> Effect {
        switch f {
        case .first: return .read(.timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .first, anchor: nil, from: nil))
        case .last: return .read(.timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .last, anchor: nil, from: nil))
        case .after: return .read(.timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .after, anchor: t.list.rows.last.map { ($0.ts, $0.id) }, from: nil))
        case .before: return .read(.timelinePage(uid: t.uid, account: t.account, types: t.types, direction: .before, anchor: t.list.rows.first.map { ($0.ts, $0.id) }, from: nil))
        }
    }

    mutating func timelineUpdate(_ action: Action, _ key: Key, _ t: inout TimelineScreen) -> [Effect] {
        switch action {
        case .move:
            let nav = navigate(&t.list, key, visible: timelineRows)
            return nav.fetch.map { [timelineFetch(t, $0)] } ?? []
        case .eventDetail:
            guard let e = t.list.current else { return [] }
            return [.read(.eventDetail(uid: t.uid, id: e.id))]
        case .nextEvidence:
            return find(.evidence, in: &t, from: t.list.cursor + 1)
        case .zoom:
            guard let f = t.firstSeen, let l = t.lastSeen else { return [] }
            let (from, to) = t.window ?? (f, l + 1)
            let center = t.list.current?.ts ?? (from + to) / 2
            var span = to - from
            if key == .char("0") { t.window = (f, l + 1) }
            else {
                span = key == .char("-") ? min(span * 2, l + 1 - f) : max(60_000, span / 2)
                let lo = max(f, center - span / 2)
                t.window = (lo, min(l + 1, lo + span))
            }
            let w = t.window!
            say("activity strip: \(Timestamp.short(w.from)) → \(Timestamp.short(w.to)) (\(Human.duration(ms: w.to - w.from)))")
            return [.read(.activity(uid: t.uid, account: t.account, from: w.from, to: w.to, buckets: stripBuckets))]
        default: return []
        }
    }
}

enum TimelineView {
    static func render(_ t: TimelineScreen, _ s: AppState, _ buf: Buffer, _ area: Rect, _ theme: Theme) {
        var y = area.y
        let label = theme["muted"]
        // Activity strip: one lane per event type over the window.
        if let w = t.window {
            let head = "activity  \(Timestamp.short(w.from)) → \(Timestamp.short(w.to))  (\(Human.duration(ms: w.to - w.from)))   + − zoom  0 all"
            buf.write(head, x: 1, y: y, style: label, maxWidth: area.width - 2)
            y += 1
            let laneW = max(10, area.width - 18)
            let cursorTs = t.list.current?.ts
            for (type, values) in t.lanes.prefix(8) {
                buf.write(TextWidth.pad(type, to: 15), x: 1, y: y, style: theme["event.\(type)"])
                buf.write(Sparkline.text(values, width: laneW), x: 17, y: y, style: theme["event.\(type)"], maxWidth: laneW)
                if let ts = cursorTs, ts >= w.from, ts < w.to {
                    let cx = 17 + Int(Double(ts - w.from) / Double(max(1, w.to - w.from)) * Double(laneW))
                    if cx < 17 + laneW { buf.restyle(Rect(x: cx, y: y, width: 1, height: 1)) { $0.reverse = true } }
                }
                y += 1
            }
            y += 1
        }
        // Events, grouped by day, with gaps between sessions shown.
        let header = Rect(x: 0, y: y, width: area.width, height: 1)
        buf.fill(header, style: theme["header"])
        buf.write(" time          type            device            ip               cc  details", x: 0, y: y, style: theme["header"], maxWidth: area.width)
        // The day of the top row stays in view when its day line has scrolled away.
        if t.list.rows.indices.contains(min(t.list.scroll, t.list.cursor)) {
            let top = t.list.rows[min(t.list.scroll, t.list.cursor)].ts
            buf.writeRight("\(weekday(top)) \(Timestamp.iso(top).prefix(10)) ", x: 0, y: y, width: area.width, style: theme["header"])
        }
        y += 1
        let room = area.maxY - y
        guard room > 0 else { return }
        if t.list.rows.isEmpty {
            buf.write(t.list.loading ? "loading…" : "No events" + (t.types.map { " of type \($0.joined(separator: ", "))" } ?? ""), x: 2, y: y, style: label)
            return
        }
        var lines: [(text: [(String, Style, Int)], row: Int?)] = []
        func build(from start: Int) -> [(text: [(String, Style, Int)], row: Int?)] {
            var out: [(text: [(String, Style, Int)], row: Int?)] = []
            var prev: EventRow? = start > 0 ? t.list.rows[start - 1] : nil
            var i = start
            while i < t.list.rows.count && out.count < room {
                let e = t.list.rows[i]
                let d = String(Timestamp.iso(e.ts).prefix { $0 != "T" })
                if prev == nil || String(Timestamp.iso(prev!.ts).prefix { $0 != "T" }) != d {
                    out.append(([("── \(weekday(e.ts)) \(d) " + String(repeating: "─", count: 60), theme["header.day"], 0)], nil))
                } else if let p = prev, e.ts - p.ts > 30 * 60_000 {
                    out.append(([("   ┄ \(Human.duration(ms: e.ts - p.ts)) later ┄", label, 0)], nil))
                }
                if out.count >= room { break }
                let time = String(Timestamp.iso(e.ts).dropFirst(11).prefix(12))
                let mark = t.evidence.contains(e.id)
                out.append(([(mark ? "◆" : " ", theme["error"].bolded(), -1), (time, mark ? theme["warn"].bolded() : theme["base"], 2), (e.type, theme["event.\(e.type)"], 15),
                             (e.device.map { String($0.prefix(16)) } ?? "", label, 33), (e.ip ?? "", label, 51), (e.country ?? "", label, 68),
                             (e.summary, theme["base"], 72)], i))
                prev = e
                i += 1
            }
            return out
        }
        // Start at scroll; move on until the cursor's line fits.
        var start = min(t.list.scroll, t.list.cursor)
        lines = build(from: start)
        while !lines.contains(where: { $0.row == t.list.cursor }) && start < t.list.cursor {
            start += 1
            lines = build(from: start)
        }
        for (k, l) in lines.enumerated() {
            let selected = l.row == t.list.cursor
            let rowStyle = selected ? theme["selected"] : theme["base"]
            buf.fill(Rect(x: 0, y: y + k, width: area.width, height: 1), style: rowStyle)
            for (text, st, col) in l.text {
                let x = col == 0 ? 1 : max(0, col)     // -1: the margin, for marks
                let next = l.text.first { $0.2 > col }?.2 ?? area.width
                let style = selected ? rowStyle.over(st) : st
                let room = min(next, area.width) - x
                buf.write(text, x: x, y: y + k, style: style, maxWidth: max(0, room <= 1 ? room : room - (col == 0 ? 0 : 1)))
            }
        }
    }

    static func weekday(_ ms: Int64) -> String {
        let days = Int((ms / 86_400_000)) + (ms < 0 && ms % 86_400_000 != 0 ? -1 : 0)
        return ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((days % 7) + 7) % 7]
    }
}
