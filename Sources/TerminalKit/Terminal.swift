import Foundation

/// A key press, mouse action or resize, as every backend reports it.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    case char(Character)
    case ctrl(Character)        // Ctrl-A … Ctrl-Z, lower-case letter
    case enter, esc, tab, backTab, backspace, delete, insert
    case up, down, left, right, home, end, pageUp, pageDown
    /// Shift-arrows (select text), Ctrl-arrows (by word), Alt-letter (where a backend can tell it from Esc).
    case shiftUp, shiftDown, shiftLeft, shiftRight, shiftHome, shiftEnd
    case ctrlLeft, ctrlRight, ctrlHome, ctrlEnd
    case alt(Character)
    case f(Int)
    case click(x: Int, y: Int)
    case doubleClick(x: Int, y: Int)
    case wheelUp(x: Int, y: Int)
    case wheelDown(x: Int, y: Int)
    case resize

    public var description: String {
        switch self {
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-\(c.uppercased())"
        case .enter: return "Enter"
        case .esc: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .backspace: return "Backspace"
        case .delete: return "Del"
        case .insert: return "Ins"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .f(let n): return "F\(n)"
        case .shiftUp: return "Shift-↑"
        case .shiftDown: return "Shift-↓"
        case .shiftLeft: return "Shift-←"
        case .shiftRight: return "Shift-→"
        case .shiftHome: return "Shift-Home"
        case .shiftEnd: return "Shift-End"
        case .ctrlLeft: return "Ctrl-←"
        case .ctrlRight: return "Ctrl-→"
        case .ctrlHome: return "Ctrl-Home"
        case .ctrlEnd: return "Ctrl-End"
        case .alt(let c): return "Alt-\(c)"
        case .click: return "click"
        case .doubleClick: return "double-click"
        case .wheelUp: return "wheel up"
        case .wheelDown: return "wheel down"
        case .resize: return "resize"
        }
    }

    /// Parses a key written as in tmux / help text: "j", "Enter", "C-d", "PgDn", "F5".
    public static func named(_ s: String) -> Key? {
        switch s {
        case "Enter": return .enter
        case "Esc", "Escape": return .esc
        case "Tab": return .tab
        case "BTab": return .backTab
        case "BSpace", "Backspace": return .backspace
        case "Up": return .up
        case "Down": return .down
        case "Left": return .left
        case "Right": return .right
        case "Home": return .home
        case "End": return .end
        case "PgUp", "PPage": return .pageUp
        case "PgDn", "NPage": return .pageDown
        case "S-Up": return .shiftUp
        case "S-Down": return .shiftDown
        case "S-Left": return .shiftLeft
        case "S-Right": return .shiftRight
        case "S-Home": return .shiftHome
        case "S-End": return .shiftEnd
        case "C-Left": return .ctrlLeft
        case "C-Right": return .ctrlRight
        case "C-Home": return .ctrlHome
        case "C-End": return .ctrlEnd
        default:
            if s.hasPrefix("C-"), s.count == 3 { return .ctrl(Character(s.dropFirst(2).lowercased())) }
            if s.hasPrefix("M-"), s.count == 3 { return .alt(Character(String(s.dropFirst(2)))) }
            if s.hasPrefix("F"), let n = Int(s.dropFirst()) { return .f(n) }
            if s.count == 1 { return .char(Character(s)) }
            return nil
        }
    }
}

/// Where a frame goes. The ncursesw backend draws on a real terminal; `MemoryTerminal`
/// keeps the frame as text, so every screen is testable without one.
public protocol Terminal: AnyObject {
    var width: Int { get }
    var height: Int { get }
    /// Colours the terminal can show (0 = none, 8, 16, 256).
    var colors: Int { get }
    /// Puts a frame on screen (backends draw only what changed).
    func draw(_ buffer: Buffer)
    /// The next event, waiting at most `timeoutMs` (nil: none arrived).
    func nextEvent(timeoutMs: Int) -> Key?
    /// Leaves the terminal as it was found.
    func restore()
    /// Puts text on the system clipboard through the terminal (OSC 52), where it allows it.
    func copyToClipboard(_ text: String)
}

extension Terminal {
    /// The OSC 52 sequence that sets the clipboard to `text`.
    public static func osc52(_ text: String) -> String {
        "\u{1b}]52;c;" + Data(text.utf8).base64EncodedString() + "\u{07}"
    }
}

/// A terminal in memory: events come from a queue, frames are kept as buffers.
public final class MemoryTerminal: Terminal {
    public private(set) var width: Int
    public private(set) var height: Int
    public var colors: Int
    public private(set) var frames = 0
    public private(set) var last: Buffer?
    public var events: [Key] = []
    public private(set) var restored = false

    public init(width: Int = 120, height: Int = 40, colors: Int = 256) {
        self.width = width
        self.height = height
        self.colors = colors
    }

    public func draw(_ buffer: Buffer) {
        last = buffer
        frames += 1
    }

    public func nextEvent(timeoutMs: Int) -> Key? {
        events.isEmpty ? nil : events.removeFirst()
    }

    public func resize(width: Int, height: Int) {
        self.width = width
        self.height = height
        events.append(.resize)
    }

    public func restore() { restored = true }

    /// What was copied to the clipboard, last first.
    public private(set) var clipboard: [String] = []
    public func copyToClipboard(_ text: String) { clipboard.insert(text, at: 0) }

    /// The last frame as text.
    public var screen: String { last?.text() ?? "" }
}
