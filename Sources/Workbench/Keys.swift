import RiskStore
import TerminalKit

/// What a key or a palette command asks for. The key itself travels along (a move says
/// where by its key); a palette command's argument too.
enum Action: Hashable {
    // Everywhere.
    case help, commandLine, filter, back, home, quit, askQuit, nextTab
    /// 1 2 3: fraud, legit, unsure (the key says which).
    case label, undo, redo, claim, claimNext, refresh, copyAccount
    /// A command of the palette (`:groups`), run with its argument.
    case command(String)
    // Lists.
    case move, open, mark, sortNext, sortReverse
    /// A click or double-click (the key carries where).
    case pointer
    // The account and the timeline.
    case timeline, reveal, eventDetail, zoom, nextEvidence
    // Dashboards.
    case scroll, dashRefresh, dashAutoRefresh, dashRange(forward: Bool), dashNext(forward: Bool)
    /// The SQL console's (Screens/SQLConsoleScreen.swift).
    case sql(SQLAction)
}

typealias Binding = KeyBinding<Action>

let downKeys: [Key] = [.down, .char("j")], upKeys: [Key] = [.up, .char("k")]

/// Bindings shared by the list screens (queue, pivot, groups, timeline).
let listBindings: [Binding] = [
    Binding(downKeys + upKeys, .move, keyLabel: "j k ↓ ↑", help: "move", group: "move"),
    Binding([.ctrl("d"), .ctrl("u")], .move, help: "half page", group: "move"),
    Binding([.pageDown, .pageUp, .char(" ")], .move, keyLabel: "PgDn PgUp", help: "page", group: "move"),
    Binding([.char("g"), .char("G"), .home, .end], .move, keyLabel: "g G", help: "first / last", group: "move"),
]

extension AppState {
    /// The bindings in force: the screen in view first, then the global ones.
    var keymap: Keymap<Action> {
        if case .sql(let q) = top { return sqlKeymap(q) }
        return Keymap([.init(top.title, screenBindings), .init("everywhere", globalBindings + paletteCommands)])
    }

    var screenBindings: [Binding] {
        switch top {
        case .queue: return queueBindings
        case .account: return accountBindings
        case .pivot(let p): return pivotBindings(p)
        case .timeline: return timelineBindings
        case .sql(let q): return sqlBindings(q)
        case .dash(let d): return dashBindings(d)
        }
    }

    var globalBindings: [Binding] {
        let ro = "read-only: labelling and claiming are off"
        let canLabel = !readOnly
        return [
            Binding([.char("?")], .help, name: "help", help: "this help (j k scroll)", hint: "help"),
            Binding([.char(":")], .commandLine, help: "command palette (type to search; Tab completes)", hint: "command"),
            Binding([.char("/")], .filter, help: "filter the list", hint: "filter"),
            Binding([.esc, .char("h"), .left], .back, keyLabel: "Esc h ←", help: "back").enabled(stack.count > 1),
            stack.count > 1 ? Binding([.char("q")], .back, help: "back (on a main screen: quit, after asking)", hint: "back")
                : Binding([.char("q")], .askQuit, help: "quit (asks first; Ctrl-C quits at once)", hint: "quit"),
            Binding([.char("H")], .home, help: "home: back to the main screen's root").enabled(stack.count > 1),
            Binding([.tab, .backTab], .nextTab, keyLabel: "Tab", help: "next main screen: queue → SQL → dashboard"),
            Binding([.char("1"), .char("2"), .char("3")], .label, help: "label the account in view fraud / legit / unsure (then category, note); closes the case, moves on",
                    hint: "label").enabled(canLabel, else: ro),
            Binding([.char("u")], .undo, help: "undo the last label (a bulk label as a whole)").enabled(canLabel, else: ro),
            Binding([.ctrl("r")], .redo, help: "redo what u undid").enabled(canLabel, else: ro),
            Binding([.char("c")], .claim, help: "claim the case in view").enabled(canLabel, else: ro),
            Binding([.char("n")], .claimNext, help: "claim and open the next unclaimed case of the queue view (replaces the case in view)").enabled(canLabel, else: ro),
            Binding([.char("R")], .refresh, help: "refresh: read the queue or account again"),
            Binding([.ctrl("c")], .quit, help: "quit"),
        ]
    }

    /// The palette's commands that act wherever you are.
    var paletteCommands: [Binding] { Commands.bindings }
}

/// Commands for the command line: name, argument, what it does. Those of one screen are
/// declared with that screen's bindings (`date` on the timeline, `save` in the console).
enum Commands {
    static let all: [(String, String, String)] = [
        ("queue", "", "the review queue"), ("account", "ID", "open an account"), ("device", "ID", "accounts on a device"),
        ("ip", "ADDR", "accounts on an IP"), ("payment", "ID", "accounts using a payment instrument"),
        ("address", "ID", "accounts shipping to an address"), ("coupon", "CODE", "accounts redeeming a coupon"),
        ("item", "ID", "accounts that carted, bought or reviewed an item"), ("seller", "ID", "accounts that bought from a seller"),
        ("domain", "DOMAIN", "accounts with that email domain"), ("target", "ID", "accounts acting on an account"),
        ("sort", "COLUMN", "sort the queue by a column, by its header name (account, score, risk, group, label, case, cc, events, last, age)"),
        ("risk", "TYPE", "only that risk type (brushing, click_farm, deal_hunter, multi_accounting, scalper, ato, scraping, spam, refund_abuse…); empty for all"),
        ("status", "open|in_review|escalated|closed", "set the status of the case in view"), ("mine", "", "cases you hold"),
        ("unassigned", "", "cases nobody holds"), ("escalated", "", "escalated cases"), ("flagged", "", "flagged, unlabelled cases (the queue's first view)"),
        ("all", "", "every case, every filter off"),
        ("label", "fraud|legit|unsure|none [CATEGORY|-] [NOTE]", "label the account in view (keys 1 2 3; u undo, Ctrl-R redo)"),
        ("groups", "", "rings, clusters and farms of the latest detection run; Enter lists members"), ("group", "ID", "one group's members"),
        ("detect", "[no-model | model V | shadow [V] | promote V]", "run detection now (off the UI thread); shadow shows how a model would change the queue"),
        ("teach", "[N]", "the N unlabelled accounts the model is least sure about, to label first (batch “teach”)"), ("cancel", "", "stop a running detection"),
        ("sql", "[SAVED]", "the SQL console (optionally with a saved query)"), ("dash", "[NAME] [24h|7d|30d|all]", "dashboards (overview, queries/dashboards/*.sql)"),
        ("batch", "NAME", "in the console: the result's accounts become a review batch; elsewhere: the queue of that batch"),
        ("export", "FILE.csv|.json|.jsonl", "the list in view (queue, pivot, group, batch) or the console's result to a file"),
        ("reveal", "REASON", "show e-mail and phone (the account in view, or the console session); audited"),
        ("theme", "NAME", "switch colour theme"), ("q", "", "quit"),
    ]
    /// `all` as palette bindings (built once: the keymap is asked for each key and frame).
    static let bindings: [Binding] = all.map { name, argument, help in
        Binding([], .command(name), name: name, help: help, argument: argument.isEmpty ? nil : argument)
    }
    /// The commands that open a pivot, by name.
    static let pivotKinds: [String: PivotKind] = Dictionary(uniqueKeysWithValues: PivotKind.allCases.filter { $0 != .groups }.map { ($0.command, $0) })
        .merging(["email_domain": .emailDomain]) { a, _ in a }
}

extension Key {
    /// A click or double-click as a click at its place (nil for other keys).
    var pointer: Key? {
        switch self {
        case .click(let x, let y), .doubleClick(let x, let y): return .click(x: x, y: y)
        default: return nil
        }
    }
}

extension QueueSort {
    /// Scores, counts and last activity start from the top; names from A; age (created) from the oldest.
    var descendingFirst: Bool { self == .score || self == .events || self == .lastSeen }
}

extension QueueQuery {
    init(sort: QueueSort, descending: Bool) {
        self.init()
        self.sort = sort
        self.descending = descending
    }

    /// Every narrowing in force, as the chips of the queue's status line show them.
    var chips: [String] {
        var out: [String] = []
        if flaggedOnly { out.append("flagged") }
        if unlabelledOnly { out.append("unlabelled") }
        if !text.isEmpty { out.append("“\(text)”") }
        if let r = riskType { out.append("risk \(r)") }
        if let b = batch { out.append("batch \(b)") }
        switch caseView {
        case .mine: out.append("mine")
        case .unassigned: out.append("unassigned")
        case .escalated: out.append("escalated")
        case nil: break
        }
        return out
    }
}
