import Foundation
import RiskStore
import TerminalKit

/// A window onto a long list, paged in by keyset: only `rows` are in memory.
public struct Paged<Row> {
    public var rows: [Row] = []
    public var cursor = 0            // index into rows
    public var scroll = 0            // index into rows of the first visible row
    public var atStart = true
    public var atEnd = false
    public var offset = 0            // absolute position of rows[0], when known
    public var offsetKnown = true
    public var loading = false
    public var total: Int64?

    public var current: Row? { rows.indices.contains(cursor) ? rows[cursor] : nil }
    public var position: Int? { offsetKnown ? offset + cursor : nil }

    /// Keeps the cursor on screen for `visible` rows.
    mutating func follow(visible: Int) {
        guard visible > 0 else { return }
        if cursor < scroll { scroll = cursor }
        if cursor >= scroll + visible { scroll = cursor - visible + 1 }
        scroll = max(0, min(scroll, max(0, rows.count - visible)))
    }

    /// Drops rows far from the cursor so memory stays bounded.
    mutating func trim(keep: Int) {
        if rows.count <= keep { return }
        let excess = rows.count - keep
        if cursor > rows.count / 2 {
            let cut = min(excess, scroll)
            rows.removeFirst(cut); cursor -= cut; scroll -= cut; offset += cut; atStart = atStart && cut == 0
            if cut > 0 { atStart = false }
        } else {
            let cut = min(excess, rows.count - (scroll + keep / 2))
            if cut > 0 { rows.removeLast(cut); atEnd = false }
        }
    }
}

public enum Screen {
    case queue(QueueScreen)
    case account(AccountScreen)
    case pivot(PivotScreen)
    case timeline(TimelineScreen)
    case sql(SQLScreen)
    case dash(DashScreen)

    public var title: String {
        switch self {
        case .queue: return "Queue"
        case .account(let a): return "Account \(a.id)"
        case .pivot(let p): return p.kind == .groups ? "Groups" : "\(p.kind.rawValue) \(p.value)"
        case .timeline(let t): return "Timeline \(t.account)"
        case .sql(let q): return q.dialect == "SQLite" ? "SQL" : "SQL (\(q.dialect))"
        case .dash(let d): return "Dashboard \(d.name)"
        }
    }
    var uid: Int {
        switch self {
        case .queue(let s): return s.uid
        case .account(let s): return s.uid
        case .pivot(let s): return s.uid
        case .timeline(let s): return s.uid
        case .sql(let s): return s.uid
        case .dash(let s): return s.uid
        }
    }
}

public enum InputMode: Equatable {
    case normal
    case command(TextField)
    case filter(TextField)
    /// A question on the status line: a query parameter's value, or a confirmation.
    case prompt(Prompt)
}

public struct Prompt: Equatable {
    public enum Kind: Equatable {
        /// Values for a statement's named parameters, one after another.
        case parameter(names: [String], index: Int, sql: String, base: Int, explain: Bool)
        /// Allow the SQL console to write (y / n).
        case confirmWrite
        /// Quit the workbench (y / n).
        case confirmQuit
        var isYesNo: Bool { if case .parameter = self { return false } else { return true } }
    }
    public var kind: Kind
    public var label: String
    public var field: TextField
}

public enum Loaded {
    case queuePage(uid: Int, direction: PageDirection, rows: [QueueRow])
    case queueCount(uid: Int, count: Int64)
    case riskTypes(uid: Int, types: [(type: String, accounts: Int64)])
    case account(uid: Int, profile: AccountProfile?, identifiers: [IdentifierUse], linked: [LinkedAccount], daily: [Double])
    case pivotPage(uid: Int, append: Bool, rows: [PivotRow], accounts: Int64, events: Int64)
    case timelinePage(uid: Int, direction: PageDirection, rows: [EventRow])
    case activity(uid: Int, lanes: [String: [Double]])
    case eventDetail(uid: Int, fields: [(String, String)])
    case completions(command: String, candidates: [String])
    case failed(String)
    case info(String)
    case detectProgress(String)
    case detectDone(String)
    /// A shadow run or :teach finished: its message, and the review batch to show.
    case learnt(message: String, batch: String?)
    /// Labels were written (`what` names a bulk label); the changes, for undo.
    case labelled(changes: [LabelChange], edit: LabelBatch.Edit, what: String?)
    case claimed(account: String, open: Bool)
    /// A case was claimed or its status set: its state now, and what to say.
    case caseChanged(account: String, state: CaseState?, message: String)
    case sqlCatalog(uid: Int, catalog: SQLCatalog)
    case sqlResult(uid: Int, qid: Int, columns: [String], rows: [[SQLValue]], done: Bool, elapsedMs: Double, changes: Int?)
    case sqlFailed(uid: Int, qid: Int, message: String, offset: Int?, cancelled: Bool)
    /// from < 0: reading was stopped.
    case sqlRows(uid: Int, qid: Int, from: Int, rows: [[SQLValue]], done: Bool, total: Int?)
    case sqlPlan(uid: Int, lines: [String])
    case sqlHistory(uid: Int, entries: [HistoryEntry])
    case sqlBatched(name: String, accounts: Int, added: Int)
    /// A reveal was audited: an account's (`account`), or the console session's (nil).
    case revealed(account: String?, message: String)
    /// An account's reveal was audited and its values read (on a team store, only the audited
    /// reveal function gives them); nil values: show what the reader already holds.
    case revealedPII(account: String, email: String?, phone: String?, message: String)
    case dash(DashLoaded)
    /// Claims, labels and status changes other sessions committed (a team store's feed).
    case storeChanged([StoreChange])
    /// The team store's change feed lost its connection (`down`) or listens again.
    case liveFeed(down: Bool, message: String)
}

public enum MainScreen: Int, CaseIterable, Sendable {
    case queue, sql, dash
    public var title: String { self == .queue ? "Queue" : self == .sql ? "SQL" : "Dashboard" }
}

public struct AppState {
    /// The screens of the main screen in view: its root, then what was drilled into.
    public var stack: [Screen]
    /// Which main screen is in view (queue, SQL console, dashboard), and the stacks of the
    /// others, kept as they were left: Tab cycles through them.
    public var tab: MainScreen = .queue
    var parkedTabs: [MainScreen: [Screen]] = [:]
    public var mode: InputMode = .normal
    /// The help overlay in view, scrolled this far.
    public var helpScroll: Int?
    public var help: Bool { helpScroll != nil }
    public var message: String = ""
    public var messageIsError = false
    public var width: Int
    public var height: Int
    public var storeName: String
    public var quit = false
    /// A detection run started from the workbench is going on.
    public var detecting = false
    public var hasScores = false
    public var readOnly = false
    /// Review deadlines per risk type, in hours (config `[sla]`).
    public var sla: [String: Double] = [:]
    /// The SQL console's dialect (PostgreSQL on a team store).
    public var sqlDialect = "SQLite"
    /// A team store's live updates are down (the feed's connection was lost; reconnecting).
    public var liveDown = false
    /// Who is working (for :mine).
    public var analyst = ""
    /// Queue rows marked with Space for a bulk label.
    public var marked = Set<String>()
    /// Labels given in this session, for u (undo) and Ctrl-R (redo): account, label given, label replaced.
    var labelUndo: [[LabelChange]] = []
    var labelRedo: [[LabelChange]] = []
    /// A label closes the account's case (config `close_case_on_label`).
    public var closeCaseOnLabel = true
    public var themeRequest: String?
    var nextUID = 1
    var completions: [String] = []
    var completionIndex = 0

    public init(storeName: String, width: Int, height: Int) {
        self.storeName = storeName
        self.width = width
        self.height = height
        stack = [.queue(QueueScreen(uid: 0))]
    }

    public var top: Screen { stack[stack.count - 1] }

    mutating func uid() -> Int { nextUID += 1; return nextUID }

    /// Rows available to a list under the title bar, list header and status bar.
    var listRows: Int { max(1, height - 4) }

    mutating func say(_ s: String, error: Bool = false) { message = s; messageIsError = error }
}
