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

    /// The current label of each labelled account (its latest), oldest account first.
    public func currentLabels(_ body: (LabelRecord) throws -> Void) throws {
        let st = try db.prepare("SELECT id, ts, account_id, label, category, note, analyst, source FROM current_labels ORDER BY account_id")
        while try st.step() {
            try body(LabelRecord(id: st.int(0), ts: st.int(1), account: st.text(2) ?? "", label: st.text(3) ?? "",
                                 category: st.text(4), note: st.text(5), analyst: st.text(6) ?? "", source: st.text(7) ?? ""))
        }
    }

    /// Every label an account has had, newest first.
    public func labelHistory(_ account: String) throws -> [LabelRecord] {
        let st = try db.prepare("SELECT id, ts, account_id, label, category, note, analyst, source FROM labels WHERE account_id = ? ORDER BY id DESC")
        try st.bind([.text(account)])
        var out: [LabelRecord] = []
        while try st.step() {
            out.append(LabelRecord(id: st.int(0), ts: st.int(1), account: st.text(2) ?? "", label: st.text(3) ?? "",
                                   category: st.text(4), note: st.text(5), analyst: st.text(6) ?? "", source: st.text(7) ?? ""))
        }
        return out
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
