import Foundation

/// A label an analyst gives an account.
public enum LabelValue: String, CaseIterable, Sendable {
    case fraud, legit, unsure
    /// Withdraws the account's label (an undo); the history keeps what it was.
    case none
}

public struct LabelInput: Sendable, Equatable {
    public var account: String
    public var label: LabelValue
    public var category: String?
    public var note: String?
    public init(account: String, label: LabelValue, category: String? = nil, note: String? = nil) {
        self.account = account; self.label = label; self.category = category; self.note = note
    }
}

public struct LabelRecord: Sendable, Equatable {
    public var id: Int64
    public var ts: Int64
    public var account: String
    public var label: String
    public var category: String?
    public var note: String?
    public var analyst: String
    public var source: String
}

public struct CaseRecord: Sendable, Equatable {
    public var account: String
    public var status: String
    public var assignee: String?
    public var openedAt: Int64
    public var updatedAt: Int64
    public var label: String?
}

extension Store {
    /// Appends labels in one transaction — all of them or none — after checking every
    /// account exists. Each label is also an audit entry (old → new). Waits on a busy store
    /// (the busy timeout) instead of failing; labels are appended, never overwritten, so two
    /// analysts labelling at once lose nothing.
    /// An account's current label as `label[:category]`, or nil.
    public func currentLabel(_ account: String) throws -> (label: String, category: String?)? {
        guard let r = try db.rows("SELECT label, category FROM current_labels WHERE account_id = ?", [.text(account)]).first,
              let l = r[0].string else { return nil }
        return (l, r[1].string)
    }

    @discardableResult
    public func addLabels(_ labels: [LabelInput], analyst: String, source: String) throws -> Int {
        guard !labels.isEmpty else { return 0 }
        return try db.transaction {
            let exists = try db.prepare("SELECT 1 FROM accounts WHERE account_id = ?")
            for l in labels {
                try exists.bind([.text(l.account)])
                let found = try exists.step()
                exists.reset()
                if !found { throw StoreError("no account \(l.account) in \(path); nothing was labelled") }
            }
            let current = try db.prepare("SELECT label || coalesce(':' || category, '') FROM labels WHERE account_id = ? ORDER BY id DESC LIMIT 1")
            let ins = try db.prepare("INSERT INTO labels (ts, account_id, label, category, note, analyst, source) VALUES (?, ?, ?, ?, ?, ?, ?)")
            let now = Timestamp.nowMs()
            for l in labels {
                try current.bind([.text(l.account)])
                let old = try current.step() ? current.text(0) : nil
                current.reset()
                try ins.bind([.int(now), .text(l.account), .text(l.label.rawValue), l.category.map { .text($0) } ?? .null,
                              l.note.map { .text($0) } ?? .null, .text(analyst), .text(source)])
                try ins.execute()
                try db.audit(analyst: analyst, source: source.hasPrefix("file:") ? "cli" : source, action: "label",
                             account: l.account, old: old, new: l.label.rawValue + (l.category.map { ":" + $0 } ?? ""), note: l.note)
            }
            return labels.count
        }
    }

    /// Cases, newest change first, optionally by status and assignee.
    public func cases(status: String? = nil, assignee: String? = nil, limit: Int = 1000) throws -> [CaseRecord] {
        var sql = """
            SELECT c.account_id, c.status, c.assignee, c.opened_at, c.updated_at,
                   (SELECT label FROM labels l WHERE l.account_id = c.account_id ORDER BY id DESC LIMIT 1)
            FROM cases c WHERE 1
            """
        var args: [SQLValue] = []
        if let status { sql += " AND c.status = ?"; args.append(.text(status)) }
        if let assignee { sql += " AND c.assignee = ?"; args.append(.text(assignee)) }
        sql += " ORDER BY c.updated_at DESC, c.account_id LIMIT \(limit)"
        let st = try db.prepare(sql)
        try st.bind(args)
        var out: [CaseRecord] = []
        while try st.step() {
            out.append(CaseRecord(account: st.text(0) ?? "", status: st.text(1) ?? "", assignee: st.text(2),
                                  openedAt: st.int(3), updatedAt: st.int(4), label: st.text(5)))
        }
        return out
    }
}

public struct ClaimError: Error, CustomStringConvertible {
    public var description: String
}

extension Store {
    /// Claims an account's case for `analyst` (creating the case): status in_review. Refused
    /// when another analyst holds it open.
    public func claim(_ account: String, analyst: String, source: String) throws {
        try db.transaction {
            guard try db.int("SELECT count(*) FROM accounts WHERE account_id = ?", [.text(account)]) > 0 else {
                throw ClaimError(description: "no account \(account)")
            }
            let row = try db.rows("SELECT status, assignee FROM cases WHERE account_id = ?", [.text(account)]).first
            let holder = row?[1].string
            if let holder, holder != analyst, row?[0].string != "closed" {
                throw ClaimError(description: "\(account) is claimed by \(holder)")
            }
            try upsertCase(account, status: "in_review", assignee: analyst)
            try db.audit(analyst: analyst, source: source, action: "assign", account: account, old: holder, new: analyst)
        }
    }

    /// Claims the highest-scored account that has no label and no open case held by anyone,
    /// in one write transaction — two analysts asking at once never get the same one.
    /// `riskType` narrows it to the queue view's risk type.
    public func claimNext(analyst: String, riskType: String? = nil, source: String) throws -> String? {
        try db.transaction {
            var sql = """
                SELECT s.account_id FROM scores s
                WHERE s.score > 0
                  AND NOT EXISTS (SELECT 1 FROM current_labels l WHERE l.account_id = s.account_id)
                  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.account_id = s.account_id AND c.assignee IS NOT NULL)
                """
            var args: [SQLValue] = []
            if let riskType { sql += " AND s.risk_type = ?"; args.append(.text(riskType)) }
            sql += " ORDER BY s.score DESC, s.account_id DESC LIMIT 1"
            guard let id = try db.rows(sql, args).first?[0].string else { return nil }
            try upsertCase(id, status: "in_review", assignee: analyst)
            try db.audit(analyst: analyst, source: source, action: "assign", account: id, old: nil, new: analyst)
            return id
        }
    }

    /// Sets a case's status (open, in_review, escalated, closed), audited.
    public func setCaseStatus(_ account: String, _ status: CaseStatus, analyst: String, source: String) throws {
        try setCaseStatus(account, status.rawValue, analyst: analyst, source: source)
    }

    public func setCaseStatus(_ account: String, _ status: String, analyst: String, source: String) throws {
        guard CaseStatus(rawValue: status) != nil else {
            throw ClaimError(description: "status '\(status)' is not open, in_review, escalated or closed")
        }
        try db.transaction {
            let old = try db.rows("SELECT status, assignee FROM cases WHERE account_id = ?", [.text(account)]).first
            try upsertCase(account, status: status, assignee: old?[1].string)
            try db.audit(analyst: analyst, source: source, action: "status", account: account, old: old?[0].string, new: status)
        }
    }

    private func upsertCase(_ account: String, status: String, assignee: String?) throws {
        let now = Timestamp.nowMs()
        try db.run("""
            INSERT INTO cases (account_id, status, assignee, opened_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
            ON CONFLICT (account_id) DO UPDATE SET status = ?2, assignee = ?3, updated_at = ?4
            """, [.text(account), .text(status), assignee.map { .text($0) } ?? .null, .int(now)])
    }
}

extension SQLDatabase {
    /// Every label an account has had, newest first.
    public func labelHistory(_ account: String, limit: Int = 1000) throws -> [LabelRecord] {
        var out: [LabelRecord] = []
        try forEach("SELECT id, ts, account_id, label, category, note, analyst, source FROM labels WHERE account_id = ? ORDER BY id DESC LIMIT \(limit)",
                    [.text(account)]) { st in
            out.append(LabelRecord(id: st.int(0), ts: st.int(1), account: st.text(2) ?? "", label: st.text(3) ?? "",
                                   category: st.text(4), note: st.text(5), analyst: st.text(6) ?? "", source: st.text(7) ?? ""))
        }
        return out
    }

    /// Analysts whose latest labels on the account disagree ("ana: fraud"); empty when they agree.
    public func labelConflict(_ account: String) throws -> [String] {
        let rows = try self.rows("""
            SELECT analyst, label FROM labels l WHERE account_id = ?1 AND label <> 'none'
              AND id = (SELECT max(id) FROM labels m WHERE m.account_id = ?1 AND m.analyst = l.analyst)
            """, [.text(account)])
        let verdicts = Set(rows.compactMap { $0[1].string })
        return verdicts.count > 1 ? rows.compactMap { r in r[0].string.map { "\($0): \(r[1].string ?? "")" } } : []
    }
}
