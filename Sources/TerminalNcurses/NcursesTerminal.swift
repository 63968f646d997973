import CNcurses
import Foundation
import TerminalKit

/// The real terminal, through ncursesw. Opens /dev/tty with newterm, so an unknown TERM is
/// an error to report rather than an exit; restores the terminal on every way out
/// (normal exit, Ctrl-C handled as a key, SIGTERM / SIGHUP, a crash signal).
public final class NcursesTerminal: Terminal {
    public private(set) var width: Int = 0
    public private(set) var height: Int = 0
    public private(set) var colors: Int = 0
    private var screen: OpaquePointer?
    private var previous: Buffer?
    private var pairs: [PairKey: Int32] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    /// Keys terminfo names but ncurses has no constant for (Ctrl-arrows…), by code.
    private var extended: [Int32: Key] = [:]

    struct PairKey: Hashable { let fg: Int32; let bg: Int32 }

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Fails with a clear message when stdout isn't a terminal or `term` (the executable
    /// passes $TERM) can't be driven.
    public init(term: String?, mouse: Bool = true) throws {
        guard isatty(1) != 0, isatty(0) != 0 else {
            throw OpenError(description: "the workbench needs a terminal (stdin and stdout are not a tty); use `riskdesk query` in scripts")
        }
        let term = term ?? ""
        if term.isEmpty || term == "dumb" {
            throw OpenError(description: "TERM is \(term.isEmpty ? "not set" : "'dumb'"): this terminal can't be driven; set TERM (e.g. xterm-256color)")
        }
        TextWidth.setUpLocale()
        guard let s = rd_open(term) else {
            throw OpenError(description: "can't open the terminal (TERM='\(term)' unknown to terminfo, or no /dev/tty)")
        }
        screen = s
        rd_setup(mouse ? 1 : 0)
        colors = Int(rd_colors())
        maxPairs = rd_color_pairs()
        width = Int(rd_cols())
        height = Int(rd_lines())
        for (cap, key) in [("kLFT5", Key.ctrlLeft), ("kRIT5", .ctrlRight), ("kHOM5", .ctrlHome), ("kEND5", .ctrlEnd),
                           ("kUP", .shiftUp), ("kDN", .shiftDown), ("kUP2", .shiftUp), ("kDN2", .shiftDown)] {
            let code = rd_key_code(cap)
            if code > 0 { extended[code] = key }
        }
        NcursesTerminal.active = self
        installSignalHandlers()
    }

    deinit { restore() }

    nonisolated(unsafe) static weak var active: NcursesTerminal?
    nonisolated(unsafe) static var restoredFlag: sig_atomic_t = 0

    private func installSignalHandlers() {
        NcursesTerminal.restoredFlag = 0
        // Terminate / hang-up: restore and exit. Crashes: restore, then re-raise for the default action.
        for sig in [SIGTERM, SIGHUP] {
            signal(sig) { s in
                if NcursesTerminal.restoredFlag == 0 { NcursesTerminal.restoredFlag = 1; rd_end() }
                _exit(128 + s)
            }
        }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            signal(sig) { s in
                if NcursesTerminal.restoredFlag == 0 { NcursesTerminal.restoredFlag = 1; rd_end() }
                signal(s, SIG_DFL)
                raise(s)
            }
        }
        signal(SIGINT, SIG_IGN)   // raw mode delivers Ctrl-C as a key; this covers the window before it
    }

    /// OSC 52: the terminal (or tmux with set-clipboard on) puts the text on the clipboard.
    public func copyToClipboard(_ text: String) {
        let fd = open("/dev/tty", O_WRONLY | O_NOCTTY)
        guard fd >= 0 else { return }
        let seq = Array(Self.osc52(text).utf8)
        _ = seq.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    public func restore() {
        guard screen != nil else { return }
        if NcursesTerminal.restoredFlag == 0 {
            NcursesTerminal.restoredFlag = 1
            rd_end()
        }
        screen = nil
        for sig in [SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGINT] { signal(sig, SIG_DFL) }
    }

    private func pair(_ style: Style) -> Int32 {
        func c(_ color: Color) -> Int32 {
            switch color {
            case .default: return -1
            case .index(let i):
                if colors >= 256 || i < 16 { return Int32(i) }
                if case .index(let j) = Color.index(i).ansi16 { return Int32(j) }
                return 7
            }
        }
        guard colors > 0 else { return 0 }
        let key = PairKey(fg: c(style.fg), bg: c(style.bg))
        if key.fg == -1 && key.bg == -1 { return 0 }
        if let p = pairs[key] { return p }
        guard nextPair < maxPairs else { return 0 }
        let p = nextPair
        nextPair += 1
        rd_init_pair(p, key.fg, key.bg)
        pairs[key] = p
        return p
    }

    public func draw(_ buffer: Buffer) {
        guard screen != nil else { return }
        let full = previous == nil || previous!.width != buffer.width || previous!.height != buffer.height
        if full { rd_erase() }
        var wch = [wchar_t](repeating: 0, count: 8)
        // Cells compared and read in place (a cell a subscript call costs a copy and an
        // exclusivity check each, 4,800 of them a frame at 120×40).
        let before = full ? [] : previous!.cells
        let w = buffer.width
        buffer.cells.withUnsafeBufferPointer { cells in
            before.withUnsafeBufferPointer { prev in
                for i in cells.indices {
                    if cells[i].isContinuation { continue }
                    if !full, prev[i] == cells[i] { continue }
                    var n = 0
                    for u in cells[i].text.unicodeScalars where n < 6 { wch[n] = wchar_t(bitPattern: u.value); n += 1 }
                    if n == 0 { wch[0] = 32; n = 1 }
                    wch[n] = 0
                    let s = cells[i].style
                    _ = rd_put(Int32(i / w), Int32(i % w), wch, s.bold ? 1 : 0, s.dim ? 1 : 0, s.underline ? 1 : 0,
                               s.reverse ? 1 : 0, s.italic ? 1 : 0, pair(s))
                }
            }
        }
        rd_refresh()
        previous = buffer
    }

    public func nextEvent(timeoutMs: Int) -> Key? {
        guard screen != nil else { return nil }
        rd_timeout(Int32(timeoutMs))
        var ch: wint_t = 0
        switch rd_get(&ch) {
        case 0:
            return Self.character(UInt32(ch))
        case 1:
            return key(code: Int32(ch))
        default:
            return nil
        }
    }

    static func character(_ v: UInt32) -> Key? {
        switch v {
        case 9: return .tab
        case 13: return .enter
        case 10: return .ctrl("j")      // Ctrl-J (Enter sends CR in raw mode, nonl)
        case 27: return .esc
        case 8, 127: return .backspace
        case 1...26: return .ctrl(Character(Unicode.Scalar(v + 96)!))
        default:
            guard let u = Unicode.Scalar(v) else { return nil }
            return .char(Character(u))
        }
    }

    private func key(code: Int32) -> Key? {
        switch code {
        case Int32(RD_KEY_UP): return .up
        case Int32(RD_KEY_DOWN): return .down
        case Int32(RD_KEY_LEFT): return .left
        case Int32(RD_KEY_RIGHT): return .right
        case Int32(RD_KEY_HOME): return .home
        case Int32(RD_KEY_END): return .end
        case Int32(RD_KEY_NPAGE): return .pageDown
        case Int32(RD_KEY_PPAGE): return .pageUp
        case Int32(RD_KEY_BACKSPACE): return .backspace
        case Int32(RD_KEY_DC): return .delete
        case Int32(RD_KEY_IC): return .insert
        case Int32(RD_KEY_ENTER): return .enter
        case Int32(RD_KEY_BTAB): return .backTab
        case rd_key_ctrl_enter(): return .ctrl("j")     // Ctrl-Enter, as Ctrl-J: "run" in the SQL console
        case rd_key_sleft(): return .shiftLeft
        case rd_key_sright(): return .shiftRight
        case rd_key_sup(): return .shiftUp
        case rd_key_sdown(): return .shiftDown
        case rd_key_shome(): return .shiftHome
        case rd_key_send(): return .shiftEnd
        case Int32(RD_KEY_RESIZE):
            width = Int(rd_cols())
            height = Int(rd_lines())
            previous = nil
            return .resize
        case Int32(RD_KEY_MOUSE):
            var x: Int32 = 0, y: Int32 = 0, b: Int32 = 0
            guard rd_mouse(&x, &y, &b) != 0 else { return nil }
            switch b {
            case 1: return .click(x: Int(x), y: Int(y))
            case 11: return .doubleClick(x: Int(x), y: Int(y))
            case 4: return .wheelUp(x: Int(x), y: Int(y))
            case 5: return .wheelDown(x: Int(x), y: Int(y))
            default: return nil
            }
        default:
            if let k = extended[code] { return k }
            let f0 = Int32(RD_KEY_F0)
            if code > f0 && code <= f0 + 24 { return .f(Int(code - f0)) }
            return nil
        }
    }
}
