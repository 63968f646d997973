import RiskStore

/// What the reducer asks for, by the executor that does it: store reads (the reads thread,
/// a read-only connection), store writes (the one writer), the SQL console (its own thread
/// and connections) and detection (its own thread). Each executor switches over its own
/// enum exhaustively; answers come back as `Loaded`, tagged with the screen that asked.
public enum Effect {
    case read(StoreRead)
    case write(StoreWrite)
    case console(ConsoleRequest)
    case detect(DetectRequest)
    /// Put text on the clipboard (OSC 52): the terminal does it.
    case copy(String)
}

public enum StoreRead {
    case queuePage(uid: Int, query: QueueQuery, direction: PageDirection, anchor: (SQLValue, String)?)
    case queueCount(uid: Int, query: QueueQuery)
    /// The risk types the store's scores carry, most accounts first (`:risk` found none of one).
    case riskTypes(uid: Int)
    case account(uid: Int, id: String)
    case pivotPage(uid: Int, kind: PivotKind, value: String, after: (SQLValue, String)?, sort: PivotSort = .events)
    case timelinePage(uid: Int, account: String, types: [String]?, direction: PageDirection, anchor: (Int64, Int64)?, from: Int64?)
    case activity(uid: Int, account: String, from: Int64, to: Int64, buckets: Int)
    case eventDetail(uid: Int, id: Int64)
    /// Candidates for what the command line holds.
    case complete(prefix: String, command: String)
    /// Dashboards: build one's panels; ask whether the store changed since.
    case dashLoad(uid: Int, name: String, range: DashRange)
    case dashPoll(uid: Int)
    /// A list in view, whole, to a file (`:export FILE` outside the console).
    case exportList(ListExport, path: String)
}

public enum StoreWrite {
    /// Show an account's e-mail and phone: audited (who, when, which account, why) first.
    case revealPII(account: String, reason: String)
    /// Append labels (tui source) in one transaction: these accounts, or a group's members.
    /// The reply carries the labels they replaced, for undo.
    case label(LabelBatch)
    /// Claim a case; `next` claims the highest-scored unclaimed, unlabelled account (of a risk type).
    case claim(account: String)
    case claimNext(riskType: String?)
    case setStatus(account: String, status: CaseStatus)
}

/// The SQL console's work, on its own thread and connection (`cancel` interrupts it).
public enum ConsoleRequest {
    case catalog(uid: Int)
    case run(uid: Int, qid: Int, sql: String, params: [String: String], write: Bool, sort: (column: Int, descending: Bool)?, pageRows: Int)
    /// Rows [from, from + count) of a running result; from < 0: the last rows (reads to the end).
    case fetch(uid: Int, qid: Int, from: Int, count: Int)
    case explain(uid: Int, sql: String, params: [String: String])
    case history(uid: Int, search: String)
    case export(sql: String, params: [String: String], sort: (column: Int, descending: Bool)?, path: String)
    case batch(sql: String, params: [String: String], column: Int, name: String)
    case save(name: String, text: String, overwrite: Bool)
    case cancel
    /// Unmask PII for the rest of this console session: audited first.
    case reveal(reason: String)
}

/// Detection off the UI thread, cancellable.
public enum DetectRequest {
    /// `:detect` with a choice (no model, a model, a shadow run, promote) or `:teach`.
    case run(DetectChoice)
    case cancel
}

/// What a pivot list lists: the accounts sharing an identifier of a kind, a group's members,
/// or the groups themselves.
public enum PivotKind: String, CaseIterable, Sendable {
    case device, ip, payment, address, coupon, item, seller, emailDomain = "email_domain", target, group, groups
    /// The `:` command that opens it.
    var command: String { self == .emailDomain ? "domain" : rawValue }
}

/// Labels given together (one key, a bulk label, an undo or redo of either).
public struct LabelBatch {
    public enum Edit: Sendable { case new, undo, redo }
    public var labels: [LabelInput]
    /// Label a group's members (read at write time) instead of `labels`' accounts.
    public var group: String?
    public var edit: Edit
    /// What the message calls it ("marked rows", "group g1"), nil for one account.
    public var what: String?
    /// Close each newly labelled account's case (an undo or redo moves the case as `changes` say).
    public var closeCase = false
    /// An undo or redo: the changes to make again, with the case statuses they found.
    public var changes: [LabelChange] = []

    public init(labels: [LabelInput], group: String?, edit: Edit, what: String?, closeCase: Bool) {
        self.labels = labels; self.group = group; self.edit = edit; self.what = what; self.closeCase = closeCase
    }
    public init(changes: [LabelChange], edit: Edit, what: String?) {
        self.labels = changes.map(\.given); self.group = nil; self.edit = edit; self.what = what; self.changes = changes
    }
}

/// One account's label change, kept for u (undo) and Ctrl-R (redo).
public struct LabelChange: Equatable {
    public var given: LabelInput
    /// The label it replaced (nil: none).
    public var replaced: LabelInput?
    /// The case's status before, and after (closed by a label), nil: no case.
    public var caseBefore: String?
    public var caseAfter: String?
    public init(given: LabelInput, replaced: LabelInput?, caseBefore: String? = nil, caseAfter: String? = nil) {
        self.given = given; self.replaced = replaced; self.caseBefore = caseBefore; self.caseAfter = caseAfter
    }
}

/// A list in view, for `:export`: which list, and whether PII is shown.
public enum ListExport {
    case queue(QueueQuery)
    case pivot(PivotKind, String, PivotSort)
}
