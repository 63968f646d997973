import Foundation

// Typed, paged reads for the workbench and the CLI. Every list is read a page at a time
// by keyset (the last row's sort key), never whole.

public enum QueueSort: String, CaseIterable, Sendable {
    case score, events, created, lastSeen = "last_seen", country, account
    /// The queue's other columns (no index: each page sorts the accounts).
    case risk, group, label, caseStatus = "case"
    /// SQL sort expression; the first six have an index ending in account_id.
    var expression: String {
        switch self {
        // '~' sorts after the names: accounts without one come last, A to Z.
        case .risk: return "coalesce(s.risk_type, '~')"
        case .group: return "coalesce(s.group_id, '~')"
        case .label: return "coalesce((SELECT cl.label FROM current_labels cl WHERE cl.account_id = a.account_id), '~')"
        case .caseStatus: return "coalesce((SELECT c2.status FROM cases c2 WHERE c2.account_id = a.account_id), '~')"
        case .score: return "s.score"
        case .events: return "a.n_events"
        case .created: return "coalesce(a.created_at, -1)"
        case .lastSeen: return "coalesce(a.last_seen, -1)"
        case .country: return "coalesce(a.country, '')"
        case .account: return "a.account_id"
        }
    }
    /// Score order reads the scores table (accounts a detection run has scored); the others
    /// read accounts and pick up scores where there are some.
    var from: String {
        self == .score ? "scores s JOIN accounts a ON a.account_id = s.account_id"
                       : "accounts a LEFT JOIN scores s ON s.account_id = a.account_id"
    }
    var keyColumn: String { self == .score ? "s.account_id" : "a.account_id" }
}

public struct QueueRow: Equatable, Sendable {
    public var account: String
    public var kind: String?
    public var country: String?
    public var email: String?
    public var createdAt: Int64?
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    public var events: Int64
    /// The sort key this row was read with (for the next page).
    public var key: SQLValue
    /// From the latest detection run, if it scored this account.
    public var score: Double? = nil
    public var riskType: String? = nil
    public var group: String? = nil
    public var reason: String? = nil
    /// The analysts' current label, if any.
    public var label: String? = nil
    /// Its case, if one was opened: status, assignee, when.
    public var caseStatus: String? = nil
    public var assignee: String? = nil
    public var caseOpenedAt: Int64? = nil
}

public struct QueueQuery: Equatable, Sendable {
    public var sort: QueueSort = .events
    public var descending = true
    /// Free text: matches account id prefix, country, kind, risk type, group, a word of the
    /// reasons, the current label or its note (reasons and notes from 3 characters: two
    /// letters are a country code) (never the masked e-mail: a filter must not
    /// find what the screen hides).
    public var text: String = ""
    public var kind: String?
    public var riskType: String?
    /// Only accounts with at least one finding.
    public var flaggedOnly = false
    /// Only accounts no analyst has labelled (or whose label was withdrawn).
    public var unlabelledOnly = false
    /// Case views: claimed by this analyst, not claimed by anyone, escalated.
    public enum CaseView: Equatable, Sendable { case mine(String), unassigned, escalated }
    public var caseView: CaseView?
    /// Only the accounts of a named review batch (made from a SQL console result).
    public var batch: String?
    public init() {}

    func whereClause(_ dialect: SQLDialect = .sqlite) -> (String, [SQLValue]) {
        var parts: [String] = []
        var args: [SQLValue] = []
        let t = text.trimmingCharacters(in: .whitespaces)
        if !t.isEmpty {
            parts.append("""
                (a.account_id LIKE CAST(?1 AS TEXT) || '%' OR a.country = upper(?1) OR a.kind = lower(?1) OR s.risk_type = lower(?1) OR s.group_id LIKE ?1 || '%'
                 OR (length(?1) >= 3 AND \(dialect.contains("lower(s.reasons)", "lower(?1)")))
                 OR EXISTS (SELECT 1 FROM current_labels cl WHERE cl.account_id = a.account_id
                            AND (cl.label = lower(?1) OR (length(?1) >= 3 AND \(dialect.contains("lower(coalesce(cl.note, ''))", "lower(?1)"))))))
                """)
            args.append(.text(t))
        }
        if let kind {
            parts.append("a.kind = ?\(args.count + 1)")
            args.append(.text(kind))
        }
        if let riskType {
            parts.append("s.risk_type = ?\(args.count + 1)")
            args.append(.text(riskType))
        }
        if flaggedOnly { parts.append(Flagged.sql("s")) }
        if unlabelledOnly { parts.append("NOT EXISTS (SELECT 1 FROM current_labels cl WHERE cl.account_id = a.account_id)") }
        switch caseView {
        case .mine(let who):
            parts.append("EXISTS (SELECT 1 FROM cases c WHERE c.account_id = a.account_id AND c.assignee = ?\(args.count + 1) AND c.status <> 'closed')")
            args.append(.text(who))
        case .unassigned:
            parts.append("NOT EXISTS (SELECT 1 FROM cases c WHERE c.account_id = a.account_id AND c.assignee IS NOT NULL)")
        case .escalated:
            parts.append("EXISTS (SELECT 1 FROM cases c WHERE c.account_id = a.account_id AND c.status = 'escalated')")
        case nil: break
        }
        if let batch {
            parts.append("a.account_id IN (SELECT account_id FROM batches WHERE name = ?\(args.count + 1))")
            args.append(.text(batch))
        }
        return (parts.isEmpty ? "1 = 1" : parts.joined(separator: " AND "), args)
    }
}

public enum PageDirection: Sendable { case first, after, before, last }

/// The first of `scores.reasons` (they are `; `-separated, strongest first).
func topReason(_ reasons: String) -> String { String(reasons.split(separator: ";", maxSplits: 1).first ?? "") }

public struct EventRow: Equatable, Sendable {
    public var id: Int64
    public var eventID: String
    public var ts: Int64
    public var type: String
    public var summary: String
    public var device: String?
    public var ip: String?
    public var country: String?
    public var session: String?
}

public struct IdentifierUse: Equatable, Sendable {
    public var kind: String
    public var value: String
    public var events: Int64
    public var firstTs: Int64?
    public var lastTs: Int64?
    /// How many accounts use it in all.
    public var sharedBy: Int64
}

public struct LinkedAccount: Equatable, Sendable {
    public var account: String
    /// What it shares with the account in view: "device 3f0c…, payment pm_…".
    public var via: [(kind: String, value: String)]
    public var strength: Double
    /// The neighbour's score in the latest detection run, and its current label.
    public var score: Double? = nil
    public var label: String? = nil
    public static func == (a: LinkedAccount, b: LinkedAccount) -> Bool {
        a.account == b.account && a.strength == b.strength && a.via.map { $0.kind + $0.value } == b.via.map { $0.kind + $0.value }
    }
}

public struct PivotRow: Equatable, Sendable {
    public var account: String
    public var events: Int64
    public var firstTs: Int64?
    public var lastTs: Int64?
    public var kind: String?
    public var country: String?
    public var accountEvents: Int64
    public var score: Double? = nil
    public var riskType: String? = nil
    public var reason: String? = nil
}

public struct AccountProfile: Equatable, Sendable {
    public var account: String
    public var kind: String?
    public var country: String?
    public var email: String?
    public var phone: String?
    public var createdAt: Int64?
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    public var events: Int64
    public var inProfile: Bool
    public var extra: String?
    public var orders: Int64 = 0
    public var orderAmount: Double = 0
    public var reviews: Int64 = 0
    public var avgRating: Double?
    public var refunds: Int64 = 0
    public var loginFailures: Int64 = 0
    public var typeCounts: [(String, Int64)] = []
    public var score: Double?
    public var riskType: String?
    public var group: String?
    /// The score's reasons (the strongest findings', a learnt model's), strongest first.
    public var reasons: [String] = []
    public var findings: [FindingRow] = []
    /// Label history, newest first.
    public var labels: [LabelRecord] = []
    public var caseStatus: String?
    public var assignee: String?
    /// Analysts whose labels disagree ("ana: fraud"), empty when they agree.
    public var conflict: [String] = []
    /// The latest audit entries on the account: time, analyst, action, old, new.
    public var audit: [(ts: Int64, analyst: String, action: String, old: String?, new: String?)] = []
    public static func == (a: AccountProfile, b: AccountProfile) -> Bool { a.account == b.account && a.events == b.events }
}

/// A detector's finding as the drill-down shows it.
public struct FindingRow: Sendable {
    public var detector: String
    public var riskType: String
    public var strength: Double
    public var reason: String
    public var group: String?
    public var events: [Int64] = []
    public var accounts: [String] = []
    public var identifiers: [(kind: String, value: String)] = []
}

extension SQLDatabase {
    /// A page of the review queue. `after`/`before` are the sort key and account of the
    /// last / first row on screen.
    public func queuePage(_ q: QueueQuery, direction: PageDirection, anchor: (SQLValue, String)?, limit: Int) throws -> [QueueRow] {
        let (filter, fargs) = q.whereClause(dialect)
        let expr = q.sort.expression
        // Reading forwards in the queue's own order, or backwards (then reversed).
        let forward = direction == .first || direction == .after
        let desc = q.descending != !forward
        let key = q.sort.keyColumn
        var sql = """
            SELECT a.account_id, a.kind, a.country, \(maskedEmail("a")), a.created_at, a.first_seen, a.last_seen, a.n_events, \(expr),
                   s.score, s.risk_type, s.group_id, s.reasons,
                   (SELECT nullif(label, 'none') FROM labels l WHERE l.account_id = a.account_id ORDER BY l.id DESC LIMIT 1),
                   c.status, c.assignee, c.opened_at
            FROM \(q.sort.from) LEFT JOIN cases c ON c.account_id = a.account_id WHERE \(filter)
            """
        var args = fargs
        if let anchor, direction == .after || direction == .before {
            let n = args.count
            sql += " AND (\(expr), \(key)) \(desc ? "<" : ">") (?\(n + 1), ?\(n + 2))"
            args += [anchor.0, .text(anchor.1)]
        }
        sql += " ORDER BY \(expr) \(desc ? "DESC" : "ASC"), \(key) \(desc ? "DESC" : "ASC") LIMIT \(limit)"
        var out: [QueueRow] = []
        try forEach(sql, args) { st in
            var r = QueueRow(account: st.text(0) ?? "", kind: st.text(1), country: st.text(2), email: shownEmail(st.text(3)),
                             createdAt: st.optionalInt(4), firstSeen: st.optionalInt(5), lastSeen: st.optionalInt(6),
                             events: st.int(7), key: st.value(8))
            r.score = st.optionalDouble(9)
            r.riskType = st.text(10)
            r.group = st.text(11)
            r.reason = st.text(12).map(topReason)
            r.label = st.text(13)
            r.caseStatus = st.text(14)
            r.assignee = st.text(15)
            r.caseOpenedAt = st.optionalInt(16)
            out.append(r)
        }
        return forward ? out : out.reversed()
    }

    /// The risk types of the scored accounts, with how many accounts each, most first.
    public func riskTypeCounts() throws -> [(type: String, accounts: Int64)] {
        try rows("SELECT risk_type, count(*) FROM scores WHERE risk_type IS NOT NULL GROUP BY risk_type ORDER BY 2 DESC, 1").compactMap { r in
            guard let t = r[0].string else { return nil }
            return (t, r[1].int ?? 0)
        }
    }

    public func queueCount(_ q: QueueQuery) throws -> Int64 {
        let (filter, args) = q.whereClause(dialect)
        return try int("SELECT count(*) FROM \(q.sort.from) WHERE \(filter)", args)
    }

    public func accountProfile(_ id: String) throws -> AccountProfile? {
        let rows = try self.rows("""
            SELECT account_id, kind, country, \(dialect == .sqlite ? "email, phone" : "(SELECT m.email FROM accounts_masked m WHERE m.account_id = a.account_id), (SELECT m.phone FROM accounts_masked m WHERE m.account_id = a.account_id)"),
                   created_at, first_seen, last_seen, n_events, in_profile, extra
            FROM accounts a WHERE account_id = ?
            """, [.text(id)])
        guard let r = rows.first else { return nil }
        // Masked on both backends (the server's mask on a team store; the same one here):
        // the values only through the audited reveal (`StoreWriter.revealPII`).
        var p = AccountProfile(account: id, kind: r[1].string, country: r[2].string, email: shownEmail(r[3].string),
                               phone: dialect == .sqlite ? r[4].string.map(PII.maskPhone) : r[4].string,
                               createdAt: r[5].int, firstSeen: r[6].int, lastSeen: r[7].int, events: r[8].int ?? 0,
                               inProfile: r[9].int == 1, extra: r[10].string)
        // Uses the (account_id, ts) index; for very active accounts the caller runs this off the UI thread.
        for t in try self.rows("SELECT type, count(*), sum(amount), avg(rating), sum(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) FROM events WHERE account_id = ? GROUP BY type ORDER BY 2 DESC, 1", [.text(id)]) {
            let type = t[0].string ?? "?"
            let n = t[1].int ?? 0
            p.typeCounts.append((type, n))
            switch type {
            case "order": p.orders = n; p.orderAmount = t[2].double ?? 0
            case "review": p.reviews = n; p.avgRating = t[3].double
            case "refund": p.refunds = n
            case "login": p.loginFailures = t[4].int ?? 0
            default: break
            }
        }
        if let sc = try self.rows("SELECT score, risk_type, group_id, reasons FROM scores WHERE account_id = ?", [.text(id)]).first {
            p.score = sc[0].double
            p.riskType = sc[1].string
            p.group = sc[2].string
            p.reasons = (sc[3].string ?? "").components(separatedBy: "; ").filter { !$0.isEmpty }
        }
        p.findings = try findings(of: id)
        p.labels = try labelHistory(id, limit: 20)
        if let c = try self.rows("SELECT status, assignee FROM cases WHERE account_id = ?", [.text(id)]).first {
            p.caseStatus = c[0].string
            p.assignee = c[1].string
        }
        p.conflict = try labelConflict(id)
        for a in try self.rows("SELECT ts, analyst, action, old_value, new_value FROM audit WHERE account_id = ? ORDER BY id DESC LIMIT 6", [.text(id)]) {
            p.audit.append((a[0].int ?? 0, a[1].string ?? "", a[2].string ?? "", a[3].string, a[4].string))
        }
        return p
    }

    /// The latest detection run's findings on an account, strongest first.
    public func findings(of account: String) throws -> [FindingRow] {
        var out: [FindingRow] = []
        try forEach("SELECT detector, risk_type, strength, reason, evidence, group_id FROM findings WHERE account_id = ? ORDER BY strength DESC, id",
                    [.text(account)]) { st in
            var f = FindingRow(detector: st.text(0) ?? "", riskType: st.text(1) ?? "", strength: st.double(2),
                               reason: st.text(3) ?? "", group: st.text(5))
            if let ev = st.text(4), let obj = try? JSONSerialization.jsonObject(with: Data(ev.utf8)) as? [String: Any] {
                var evs = obj["events"]
                // A rule may hand back a JSON array as text.
                if let text = evs as? String { evs = try? JSONSerialization.jsonObject(with: Data(text.utf8)) }
                f.events = (evs as? [Any])?.compactMap { ($0 as? NSNumber)?.int64Value ?? ($0 as? String).flatMap { Int64($0) } } ?? []
                f.accounts = (obj["accounts"] as? [Any])?.compactMap { $0 as? String } ?? []
                f.identifiers = (obj["identifiers"] as? [[String: Any]])?.compactMap { d in
                    guard let k = d["kind"] as? String, let v = d["value"] as? String else { return nil }
                    return (k, v)
                } ?? []
            }
            out.append(f)
        }
        return out
    }

    /// The identifiers an account uses, with how many accounts share each.
    public func identifiers(of account: String, kinds: [String] = ["device", "payment", "address", "ip", "coupon", "email_domain"]) throws -> [IdentifierUse] {
        let marks = kinds.map { _ in "?" }.joined(separator: ",")
        var out: [IdentifierUse] = []
        try forEach("""
            SELECT l.kind, l.value, l.events, l.first_ts, l.last_ts,
                   (SELECT count(*) FROM links o WHERE o.kind = l.kind AND o.value = l.value)
            FROM links l WHERE l.account_id = ? AND l.kind IN (\(marks))
            ORDER BY l.kind, l.events DESC, l.value
            """, [.text(account)] + kinds.map { .text($0) }) { st in
            out.append(IdentifierUse(kind: st.text(0) ?? "", value: st.text(1) ?? "", events: st.int(2),
                                     firstTs: st.optionalInt(3), lastTs: st.optionalInt(4), sharedBy: st.int(5)))
        }
        return out
    }

    /// Accounts sharing a device, payment instrument, address or IP with `account`. An
    /// identifier shared by very many accounts (carrier NAT, a public Wi-Fi) says little: it
    /// is weighted down by 1/log(accounts), and skipped past `maxShare`.
    public func linkedAccounts(_ account: String, maxShare: Int64 = Database.linkMaxShare, limit: Int = 200) throws -> [LinkedAccount] {
        let weights: [String: Double] = ["payment": 1.0, "device": 0.9, "address": 0.8, "ip": 0.3]
        var byAccount: [String: LinkedAccount] = [:]
        for id in try identifiers(of: account, kinds: Array(weights.keys)) where id.sharedBy > 1 && id.sharedBy <= maxShare {
            let w = weights[id.kind, default: 0.1] / log2(Double(id.sharedBy) + 1)
            try forEach("SELECT account_id FROM links WHERE kind = ? AND value = ? AND account_id <> ? ORDER BY account_id LIMIT ?",
                        [.text(id.kind), .text(id.value), .text(account), .int(maxShare)]) { st in
                let other = st.text(0) ?? ""
                var la = byAccount[other] ?? LinkedAccount(account: other, via: [], strength: 0)
                la.via.append((id.kind, id.value))
                la.strength += w
                byAccount[other] = la
            }
        }
        var out = byAccount.values.sorted { ($0.strength, $1.account) > ($1.strength, $0.account) }.prefix(limit).map { $0 }
        // Each neighbour's score and current label.
        let neighbour = """
            SELECT (SELECT score FROM scores WHERE account_id = ?1),
                   (SELECT nullif(label, 'none') FROM labels WHERE account_id = ?1 ORDER BY id DESC LIMIT 1)
            """
        for i in out.indices {
            if let r = try rows(neighbour, [.text(out[i].account)]).first { out[i].score = r[0].double; out[i].label = r[1].string }
        }
        return out
    }


    /// Accounts using one identifier, most active first, a page at a time.
    /// Accounts sharing an identifier (most events with it first). Two more kinds read the
    /// detection results: `groups` lists rings / clusters / farms (the row's `account` is the
    /// group id, `events` its size) and `group` lists one group's members.
    public func pivotPage(kind: String, value: String, after: (Int64, String)?, limit: Int) throws -> [PivotRow] {
        try pivotPage(kind: kind, value: value, sort: .events, after: after.map { (.int($0.0), $0.1) }, limit: limit)
    }

    /// A page in the order `sort` gives (`after`: the last row's sort key and id, see `PivotSort.key`).
    public func pivotPage(kind: String, value: String, sort: PivotSort, after: (SQLValue, String)?, limit: Int) throws -> [PivotRow] {
        var sql: String
        var args: [SQLValue] = [.text(kind), .text(value)]
        var keyset: (String, String)
        switch kind {
        case "groups":
            sql = """
                SELECT group_id, size, NULL, NULL, risk_type, NULL, size, score, risk_type, reason
                FROM groups WHERE CAST(?1 AS TEXT) = 'groups' AND CAST(?2 AS TEXT) IS NOT NULL
                """
            keyset = ("size", "group_id")
        case "group":
            sql = """
                SELECT s.account_id, s.n_findings, a.first_seen, a.last_seen, a.kind, a.country, coalesce(a.n_events, 0),
                       s.score, s.risk_type, s.reasons
                FROM scores s LEFT JOIN accounts a ON a.account_id = s.account_id
                WHERE s.account_id IN (\(Database.groupMembersSQL("?2"))) AND CAST(?1 AS TEXT) = 'group'
                """
            keyset = ("s.n_findings", "s.account_id")
        default:
            sql = """
                SELECT l.account_id, l.events, l.first_ts, l.last_ts, a.kind, a.country, coalesce(a.n_events, 0),
                       s.score, s.risk_type, s.reasons
                FROM links l LEFT JOIN accounts a ON a.account_id = l.account_id LEFT JOIN scores s ON s.account_id = l.account_id
                WHERE l.kind = ?1 AND l.value = ?2
                """
            keyset = ("l.events", "l.account_id")
        }
        keyset.0 = sort.expression(kind: kind) ?? keyset.0
        if sort == .account {
            if let after { sql += " AND \(keyset.1) > ?3"; args += [.text(after.1)] }
            sql += " ORDER BY \(keyset.1) LIMIT \(limit)"
        } else {
            if let after { sql += " AND (\(keyset.0) < ?3 OR (\(keyset.0) = ?3 AND \(keyset.1) > ?4))"; args += [after.0, .text(after.1)] }
            sql += " ORDER BY \(keyset.0) DESC, \(keyset.1) LIMIT \(limit)"
        }
        var out: [PivotRow] = []
        try forEach(sql, args) { st in
            var r = PivotRow(account: st.text(0) ?? "", events: st.int(1), firstTs: st.optionalInt(2), lastTs: st.optionalInt(3),
                             kind: st.text(4), country: st.text(5), accountEvents: st.int(6))
            r.score = st.optionalDouble(7)
            r.riskType = st.text(8)
            r.reason = st.text(9).map(topReason)
            out.append(r)
        }
        return out
    }

    public func pivotSummary(kind: String, value: String) throws -> (accounts: Int64, events: Int64) {
        switch kind {
        case "groups":
            // Accounts in any group, each once (an account may be in two rings).
            return (try int("SELECT count(*) FROM groups"), try groupedAccounts())
        case "group":
            let r = try rows("SELECT count(*), coalesce(sum(a.n_events), 0) FROM scores s LEFT JOIN accounts a USING (account_id) WHERE s.account_id IN (\(Database.groupMembersSQL("?1")))", [.text(value)])[0]
            return (r[0].int ?? 0, r[1].int ?? 0)
        default:
            let r = try rows("SELECT count(*), coalesce(sum(events), 0) FROM links WHERE kind = ? AND value = ?", [.text(kind), .text(value)])[0]
            return (r[0].int ?? 0, r[1].int ?? 0)
        }
    }

    /// A page of an account's timeline in time order, by keyset on (ts, id).
    public func timelinePage(account: String, types: [String]?, direction: PageDirection, anchor: (Int64, Int64)?,
                             from: Int64? = nil, limit: Int) throws -> [EventRow] {
        let forward = direction == .first || direction == .after
        let (sql, args) = try timelinePageSQL(account: account, types: types, direction: direction, anchor: anchor, from: from, limit: limit)
        var out: [EventRow] = []
        try forEach(sql, args) { st in
            // What an analyst reads first: outcome, rating, text, money; then the identifiers.
            var parts: [String] = []
            func add(_ label: String, _ i: Int) { if let v = st.text(i), !v.isEmpty { parts.append(label.isEmpty ? v : "\(label) \(v)") } }
            add("", 19)
            if !st.isNull(18) { parts.append(String(repeating: "★", count: Int(max(0, min(5, st.int(18)))))) }
            if let t = st.text(20), !t.isEmpty { parts.append("“" + t.replacingOccurrences(of: "\n", with: " ⏎ ") + "”") }
            if !st.isNull(12) { parts.append(String(format: "%.2f", st.double(12)) + (st.text(13).map { " \($0)" } ?? "")) }
            if !st.isNull(11) { parts.append("qty \(st.int(11))") }
            add("item", 8); add("seller", 9); add("order", 10)
            add("coupon", 14); add("card", 15); add("addr", 16); add("→", 17)
            out.append(EventRow(id: st.int(0), eventID: st.text(1) ?? "", ts: st.int(2), type: st.text(3) ?? "?",
                                summary: parts.joined(separator: "  "), device: st.text(4), ip: st.text(5),
                                country: st.text(6), session: st.text(7)))
        }
        return forward ? out : out.reversed()
    }

    /// The statement and arguments of a timeline page (`timelinePage`).
    func timelinePageSQL(account: String, types: [String]?, direction: PageDirection, anchor: (Int64, Int64)?,
                         from: Int64? = nil, limit: Int) throws -> (String, [SQLValue]) {
        var sql = """
            SELECT id, event_id, ts, coalesce(type, '?'), device_id, ip, country, session_id,
                   item_id, seller_id, order_id, quantity, amount, currency, coupon_id, payment_id, address_id,
                   target_id, rating, status, text
            FROM events WHERE account_id = ?1 AND {tier}
            """
        var args: [SQLValue] = [.text(account)]
        if let types, !types.isEmpty {
            sql += " AND type IN (\(types.indices.map { "?\($0 + 2)" }.joined(separator: ",")))"
            args += types.map { .text($0) }
        }
        let forward = direction == .first || direction == .after
        if let anchor, direction == .after || direction == .before {
            sql += " AND (ts, id) \(forward ? ">" : "<") (?\(args.count + 1), ?\(args.count + 2))"
            args += [.int(anchor.0), .int(anchor.1)]
        } else if let from, direction == .first {
            sql += " AND ts >= ?\(args.count + 1)"
            args.append(.int(from))
        }
        // One arm per block of the timeline index (v18), merged in time order: each arm reads
        // its block's first rows in index order, so a page costs its rows, not the account's.
        sql = try timelineTierConditions().map { sql.replacingOccurrences(of: "{tier}", with: $0) }.joined(separator: "\nUNION ALL\n")
        sql += " ORDER BY ts \(forward ? "ASC" : "DESC"), id \(forward ? "ASC" : "DESC") LIMIT \(limit)"
        return (sql, args)
    }

    /// Conditions that split a read of one account's events by the blocks of the timeline
    /// index (SQLite from v18, TimelineTier.swift): one per block that holds events, each holding
    /// the index's leading column equal, so SQLite reads that block in (account, ts) order; and
    /// one for the block after the last one listed, so events an import commits into a new block
    /// between this read and the page's are not missed (ids are consecutive: a commit reaches the
    /// next block, not the one after). An equality, like the others: a range on the block (`> b`)
    /// made SQLite read every block of the account and sort (8.7 ms a page of a 100,000-event
    /// account, 47 ms by `(type, ts)` with a type filter, against 0.26 ms). The blocks are found by
    /// one seek each, in one statement. One condition that holds
    /// for every row elsewhere (PostgreSQL, older stores, an empty store, more than
    /// `TimelineTier.maxMergedBlocks` blocks with events: then SQLite sorts the account's rows).
    func timelineTierConditions() throws -> [String] {
        let shift = Schema.timelineBlockShift
        guard dialect == .sqlite, try TimelineTier.indexMatches(self) else { return ["1 = 1"] }
        let blocks = try rows("""
            WITH RECURSIVE b(x) AS (
                SELECT (SELECT min(id) FROM events_i) >> \(shift)
                UNION ALL
                SELECT (SELECT min(id) FROM events_i WHERE id >= ((x + 1) << \(shift))) >> \(shift) FROM b WHERE x IS NOT NULL
            )
            SELECT x FROM b WHERE x IS NOT NULL LIMIT \(TimelineTier.maxMergedBlocks + 1)
            """).compactMap { $0[0].int }
        guard let last = blocks.last, blocks.count <= TimelineTier.maxMergedBlocks else { return ["1 = 1"] }
        return (blocks + [last + 1]).map { "(id >> \(shift)) = \($0)" }
    }

    /// Every field of one event, for the detail view.
    public func eventFields(id: Int64) throws -> [(String, String)] {
        var out: [(String, String)] = []
        try each("SELECT * FROM events_iso WHERE id = ?", [.int(id)]) { st in
            for i in 0..<st.columnCount {
                let v = st.value(i)
                if v == .null { continue }
                out.append((st.columnName(i), v.description))
            }
            return false
        }
        return out
    }

    /// Events per bucket and type over [from, to): the activity strip's lanes.
    public func activity(account: String, from: Int64, to: Int64, buckets: Int) throws -> [String: [Double]] {
        let span = max(1, (to - from) / Int64(max(1, buckets)) + 1)
        var out: [String: [Double]] = [:]
        try forEach("""
            SELECT coalesce(type, '?'), (ts - ?2) / ?3, count(*) FROM events
            WHERE account_id = ?1 AND ts >= ?2 AND ts < ?4 GROUP BY 1, 2
            """, [.text(account), .int(from), .int(span), .int(to)]) { st in
            let t = st.text(0) ?? "?"
            let b = Int(st.int(1))
            if out[t] == nil { out[t] = Array(repeating: 0, count: buckets) }
            if b >= 0 && b < buckets { out[t]![b] += Double(st.int(2)) }
        }
        return out
    }

    /// Appends to the audit trail.
    public func audit(analyst: String, source: String, action: String, account: String?, old: String? = nil,
                      new: String? = nil, note: String? = nil) throws {
        // On a team store the analyst is the login role (the column's default; nobody may set it).
        let who = dialect == .sqlite ? "analyst, " : ""
        try run("INSERT INTO audit(ts, \(who)source, action, account_id, old_value, new_value, note) VALUES (?, \(dialect == .sqlite ? "?, " : "")?, ?, ?, ?, ?, ?)",
                [.int(Timestamp.nowMs())] + (dialect == .sqlite ? [.text(analyst)] : []) +
                [.text(source), .text(action), account.map { .text($0) } ?? .null,
                 old.map { .text($0) } ?? .null, new.map { .text($0) } ?? .null, note.map { .text($0) } ?? .null])
    }
}

extension Database {
    /// Identifiers shared by more than this many accounts link nothing (`linkedAccounts`).
    public static let linkMaxShare: Int64 = 200
}

extension SQLDatabase {
    /// The e-mail column of accounts aliased `alias` as a reader may see it: the column on
    /// SQLite (masked there by the connection when it must be), the masked view's on a team
    /// store (analysts have no right to the column).
    /// An e-mail read through `maskedEmail` (or the profile's column), masked: by the server
    /// on a team store, here on SQLite (the same `PII` rule).
    func shownEmail(_ v: String?) -> String? { dialect == .sqlite ? v.map(PII.maskEmail) : v }

    func maskedEmail(_ alias: String) -> String {
        dialect == .sqlite ? "\(alias).email"
            : "(SELECT m.email FROM accounts_masked m WHERE m.account_id = \(alias).account_id)"
    }
}

