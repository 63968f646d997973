import Foundation

/// A key press, mouse action or resize, as every backend reports it.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    case char(Character)
    case ctrl(Character)        // Ctrl-A … Ctrl-Z, lower-case letter
    case enter, esc, tab, backTab, backspace, delete, insert
    case up, down, left, right, home, end, pageUp, pageDown
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
        default:
            if s.hasPrefix("C-"), s.count == 3 { return .ctrl(Character(s.dropFirst(2).lowercased())) }
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

    /// The last frame as text.
    public var screen: String { last?.text() ?? "" }
}
