import Foundation
import RiskStore
import XCTest

/// Drives the real binary in a real terminal: tmux.
struct Tmux {
    let session: String

    /// A private tmux server per test process: never touches the user's tmux, and
    /// `killServer()` ends every session it started.
    static let socket = "rdtest-\(getpid())"

    /// Runs a tmux command; output goes through files, so the server (which a
    /// `new-session` may start) cannot hold a pipe of ours open.
    @discardableResult
    static func run(_ args: [String]) -> (Int32, String) {
        guard let r = try? Spawn.run(["tmux", "-L", socket] + args, timeout: 30) else { return (127, "") }
        return (r.status, r.stdout + r.stderr)
    }

    /// Runs a tmux command that must succeed: a failure (no session, bad key) fails the test
    /// at the caller's line with tmux's words.
    @discardableResult
    static func check(_ args: [String], file: StaticString, line: UInt) -> String {
        let (status, out) = run(args)
        if status != 0 { XCTFail("tmux \(args.joined(separator: " ")) exited \(status): \(out)", file: file, line: line) }
        return out
    }

    static func killServer() { run(["kill-server"]) }

    static var available: Bool { run(["-V"]).0 == 0 }

    /// Session names: the process and a count, unique within the private server.
    private static let sessions = Locked(0)

    /// Starts `command` in a detached 120×40 session; the shell reports the exit code and waits.
    init(_ command: String, width: Int = 120, height: Int = 40, env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) {
        var n = 0
        Tmux.sessions.mutate { $0 += 1; n = $0 }
        session = "rdtest-\(getpid())-\(n)"
        let exports = env.map { "export \($0.key)='\($0.value)';" }.joined(separator: " ")
        Tmux.check(["new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)",
                    "\(exports) \(command); echo \"EXIT:$?\"; sleep 120"], file: file, line: line)
    }

    func keys(_ k: String..., file: StaticString = #filePath, line: UInt = #line) { Tmux.check(["send-keys", "-t", session] + k, file: file, line: line) }
    func type(_ text: String, file: StaticString = #filePath, line: UInt = #line) { Tmux.check(["send-keys", "-t", session, "-l", text], file: file, line: line) }
    /// Types a command-line command (`:` TEXT Enter).
    func command(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        keys(":", file: file, line: line); type(text, file: file, line: line); keys("Enter", file: file, line: line)
    }
    func screen(file: StaticString = #filePath, line: UInt = #line) -> String { Tmux.check(["capture-pane", "-p", "-t", session], file: file, line: line) }
    func resize(_ w: Int, _ h: Int, file: StaticString = #filePath, line: UInt = #line) {
        Tmux.check(["resize-window", "-t", session, "-x", "\(w)", "-y", "\(h)"], file: file, line: line)
    }
    /// Ends the session; it may be gone already (the test ended it), so no check.
    func kill() { Tmux.run(["kill-session", "-t", session]) }

    /// Waits until the screen contains `text`; fails with the screen if it never does.
    @discardableResult
    func wait(for text: String, timeout: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line) -> String {
        wait(until: "“\(text)”", timeout: timeout, file: file, line: line) { $0.contains(text) }
    }

    /// Waits until `done(screen)` holds on a settled frame; fails with the screen (and `what`)
    /// if it never does. Settled: two captures in a row alike — a capture can land while the
    /// program is still drawing, with the top of a new frame over the bottom of the old one.
    /// A screen that never stops changing (a progress line) is taken once `done` has held for
    /// ten captures in a row.
    @discardableResult
    func wait(until what: String, timeout: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line,
              _ done: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var s = "", previous: String?, held = 0
        while Date() < deadline {
            s = screen(file: file, line: line)
            if done(s) {
                if s == previous || held >= 10 { return s }
                held += 1
                previous = s
                usleep(20_000)
                continue
            }
            held = 0
            previous = nil
            usleep(50_000)
        }
        XCTFail("screen never showed \(what):\n\(s)", file: file, line: line)
        return s
    }

    /// The pid of the program running in the session's shell.
    func childPID(named name: String) -> pid_t? {
        let shell = Tmux.check(["list-panes", "-t", session, "-F", "#{pane_pid}"], file: #filePath, line: #line).trimmingCharacters(in: .whitespacesAndNewlines)
        let s = (try? Spawn.run(["pgrep", "-P", shell, name]).stdout) ?? ""
        return pid_t(s.split(separator: "\n").first.map(String.init) ?? "")
    }
}

/// The demo store the tmux tests open (600 accounts, 10 days, seed 5), made once per test
/// process by the real binary; each test gets its own copy. Removed when the process exits.
enum DemoStore {
    static let dir = NSTemporaryDirectory() + "riskdesk-demo-\(getpid())"
    static let made: Result<String, Error> = Result {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: DemoStore.dir) }
        let path = dir + "/demo.db"
        let r = try CLI.run(["demo", "--store", path, "--accounts", "600", "--days", "10", "--seed", "5", "--no-open"], timeout: 300)
        guard r.status == 0 else { throw NSError(domain: "DemoStore", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: "demo failed: \(r.stderr)"]) }
        return path
    }

    /// A private copy at `path` (the demo's truth file beside it too).
    static func copy(to path: String) throws {
        let src = try made.get()
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: src + suffix) {
            try FileManager.default.copyItem(atPath: src + suffix, toPath: path + suffix)
        }
    }
}

/// Tests that drive the binary in tmux: skipped without tmux; sessions and the private
/// server are killed when done.
class TmuxTestCase: CLITestCase {
    var sessions: [Tmux] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard Tmux.available else { throw XCTSkip("tmux is not installed (scripts/setup installs it)") }
    }
    override func tearDown() {
        sessions.forEach { $0.kill() }
        super.tearDown()
    }
    override class func tearDown() {
        Tmux.killServer()
        super.tearDown()
    }
}

final class TmuxWorkbenchTests: TmuxTestCase {

    /// This test's copy of the demo store.
    func demoStore() throws -> String {
        if !FileManager.default.fileExists(atPath: store) { try DemoStore.copy(to: store) }
        return store
    }

    func open(_ extra: String = "", env: [String: String] = [:], width: Int = 120, height: Int = 40) throws -> Tmux {
        let t = Tmux("\(CLI.binary) \(extra.isEmpty ? "tui --store \(try demoStore())" : extra)", width: width, height: height,
                     env: ["TERM": "xterm-256color"].merging(env) { $1 })
        sessions.append(t)
        return t
    }

    func testOpenMoveDrillTimelineBackFilterResizeQuit() throws {
        let t = try open()
        // A scored store opens on the work: flagged cases nobody has labelled, riskiest first.
        var s = t.wait(for: "accounts · sort score↓ · flagged · unlabelled")
        XCTAssertFalse(s.contains("1/600 accounts"), s)
        t.keys(":")
        t.type("all")
        t.keys("Enter")
        // The count arrives after the first page ("1/… accounts"): wait for it, not for the page.
        s = t.wait(for: "1/600 accounts · sort score")
        XCTAssertTrue(s.contains(" riskdesk  [Queue] SQL Dashboard │ Queue"), s)
        XCTAssertTrue(s.contains("score ▼") && s.contains("top reason"), s)    // demo stores are scored
        t.keys("j", "j", "C-d")          // 2 down, then half of the 36-row list
        t.wait(for: "21/600 accounts")
        t.keys("Enter")
        s = t.wait(for: "Identifiers")
        XCTAssertTrue(s.contains("Queue › Account"), s)
        XCTAssertTrue(s.contains("***@"), s)                      // masked PII
        XCTAssertTrue(s.contains("risk      ") || s.contains("findings  none"), s)   // the detection verdict
        t.keys("t")
        s = t.wait(for: "── ")                                   // rows loaded, under a day header
        XCTAssertTrue(s.contains("activity  20"), s)
        XCTAssertTrue(s.contains("── "), s)                       // day header
        t.keys("G")
        t.keys("Enter")
        s = t.wait(for: "event_id")
        t.keys("Escape")
        t.keys("Escape", "Escape")
        s = t.wait(for: "accounts · sort score")
        XCTAssertFalse(s.contains("›"), s)
        t.keys("/")
        t.type("ID")
        t.keys("Enter")
        // Not just the status: the filtered rows (while they load it says "loading… 1/… accounts").
        s = t.wait(until: "the filtered queue") { $0.contains("filter “ID”") && !$0.contains("loading") && !$0.contains("1/…") }
        // Needs 10 ID accounts; the seed-5 demo store has 164 (status "1/164 accounts"): margin 154.
        let rows = s.split(separator: "\n").dropFirst(2).prefix(10)
        XCTAssertEqual(rows.count, 10, s)
        XCTAssertTrue(rows.allSatisfy { $0.contains(" ID ") }, s)
        t.resize(80, 20)
        // Only the narrow layout elides the columns that don't fit ("… … …" in the header:
        // which columns depends on how wide the ids are, identifier columns give way last), and
        // its right-aligned status line ends one column short of the edge: 79 (119 at 120 columns).
        // Wait for the whole narrow frame, status line included: a capture can land mid-redraw.
        s = t.wait(until: "the narrow frame with its status line") { frame in
            let l = frame.split(separator: "\n", omittingEmptySubsequences: false)
            return l.count > 2 && l[1].contains("… … …") && frame.contains("filter “ID”")
        }
        let narrow = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(narrow.allSatisfy { $0.count <= 80 }, s)
        let statusLine = try XCTUnwrap(narrow.last { $0.contains("filter “ID”") }, s)
        XCTAssertEqual(statusLine.count, 79, statusLine)
        XCTAssertFalse(s.contains("top reason"), s)
        t.resize(50, 12)
        t.wait(for: "Terminal too small")
        t.resize(120, 40)
        t.wait(for: "top reason")
        t.keys("q")                       // q on the queue asks first; n keeps working
        t.wait(for: "quit riskdesk? y/N")
        t.keys("n")
        t.keys("q")
        t.wait(for: "quit riskdesk? y/N")
        t.keys("y")
        t.wait(for: "EXIT:0")
    }

    func testLabelTheTopRowFraudWithANoteSeeItInTheDrillDownAndTheExport() throws {
        let t = try open("tui --store \(try demoStore()) --analyst ana", width: 160)
        var s = t.wait(for: "accounts · sort score")
        let top = s.split(separator: "\n")[2].split(separator: " ")[1]
        t.keys("1")
        t.wait(for: ":label fraud ")
        t.type("confirmed ring")
        t.keys("Enter")
        t.wait(for: "labelled \(top) fraud")
        t.keys("k", "Enter")              // the label moved on to the next case: back up to it
        s = t.wait(for: "label     fraud")
        XCTAssertTrue(s.contains("by ana") && s.contains("“confirmed ring”"), s)
        t.keys("C-c")
        t.wait(for: "EXIT:0")
        let csv = try CLI.run(["export", "labels", "--store", store]).stdout
        XCTAssertTrue(csv.contains("\(top),fraud,") && csv.contains(",ana,") && csv.contains("confirmed ring"), csv)
    }

    func testCommandLineAndHelp() throws {
        let t = try open()
        t.wait(for: "accounts · sort score")
        t.keys("?")
        t.wait(for: "Keys — Queue")
        t.keys("Escape")
        t.keys(":")
        t.type("the")
        t.keys("Tab")
        t.wait(for: ":theme")
        t.type("light")
        t.keys("Enter")
        t.wait(for: "theme light")
        t.command("bogus")
        t.wait(for: "unknown command :bogus")
        t.keys("C-c")
        t.wait(for: "EXIT:0")
    }

    /// Issue 14 items 1 and 10 end to end: taking the next case replaces the one in view (one
    /// Esc back to the queue however many), and `n` on the dashboard is the next dashboard.
    func testNextCaseReplacesTheCaseInViewAndNOnTheDashboardIsTheNextDashboard() throws {
        let t = try open("tui --store \(try demoStore()) --analyst nav")
        t.wait(for: "accounts · sort score")
        func title(_ s: String) -> String { String(s.split(separator: "\n").first ?? "") }
        var last = ""
        for _ in 0..<4 {
            t.keys("n")
            last = title(t.wait(until: "the next case") { title($0).contains("› Account") && title($0) != last })
        }
        XCTAssertEqual(last.components(separatedBy: "›").count, 2, "one case in the path: \(last)")
        t.keys("Escape")
        t.wait(until: "back on the queue") { !title($0).contains("›") }
        t.command("dash")
        t.wait(for: "Dashboard overview")
        t.keys("n")
        t.wait(until: "the next dashboard") { title($0).contains("Dashboard ") && !title($0).contains("Dashboard overview") }
        t.keys("C-c")
        t.wait(for: "EXIT:0")
    }

    func testSIGTERMRestoresTheTerminal() throws {
        let t = try open()
        t.wait(for: "accounts · sort score")
        guard let pid = t.childPID(named: "riskdesk") else { return XCTFail("no riskdesk process") }
        kill(pid, SIGTERM)
        let s = t.wait(for: "EXIT:143")
        XCTAssertFalse(s.contains("sort score"), "the workbench's screen is gone:\n\(s)")
    }

    func testUndrivableTerminalsGetAClearError() throws {
        let path = try demoStore()
        let t = Tmux("\(CLI.binary) tui --store \(path)", env: ["TERM": "dumb"])
        sessions.append(t)
        var s = t.wait(for: "EXIT:1")
        XCTAssertTrue(s.contains("TERM is 'dumb'"), s)
        let t2 = Tmux("\(CLI.binary) tui --store \(path)", env: ["TERM": "no-such-terminal-type"])
        sessions.append(t2)
        s = t2.wait(for: "EXIT:1")
        XCTAssertTrue(s.contains("unknown to terminfo"), s)
        // Not a terminal at all.
        let r = try CLI.run(["tui", "--store", path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("needs a terminal"), r.stderr)
    }

    func testBrokenThemeAndConfigNameTheLine() throws {
        let path = try demoStore()
        let theme = write("bad.toml", "name = \"bad\"\n[styles]\nbase = \"bolt\"\n")
        let r = try CLI.run(["tui", "--store", path, "--theme", theme])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad.toml:3: styles.base: unknown style word 'bolt'"), r.stderr)
        let cfg = write("config.toml", "theme = \"dark\"\nmouse = maybe\n")
        let r2 = try CLI.run(["tui", "--store", path], env: ["RISKDESK_CONFIG": cfg])
        XCTAssertEqual(r2.status, 1)
        XCTAssertTrue(r2.stderr.contains("config.toml:2:"), r2.stderr)
        let sla = write("sla.toml", "theme = \"dark\"\n[sla]\nato = 4\nbrushing = \"soon\"\n")
        let r3 = try CLI.run(["tui", "--store", path], env: ["RISKDESK_CONFIG": sla])
        XCTAssertEqual(r3.status, 1)
        XCTAssertTrue(r3.stderr.contains("sla.toml:4: sla.brushing must be a number of hours"), r3.stderr)
    }
}

final class TmuxSQLConsoleTests: TmuxTestCase {
    func testTypeRunScrollCancelRefuseAWriteOpenAnAccountAndSeeTheDashboard() throws {
        try DemoStore.copy(to: store)
        let t = Tmux("\(CLI.binary) tui --store \(store)", width: 120, height: 40, env: ["TERM": "xterm-256color"])
        sessions.append(t)
        /// Clears the editor, types a statement and runs it.
        func run(_ sql: String) { t.keys("C-l"); t.type(sql); t.keys("F5") }
        t.wait(for: "accounts · sort score")
        t.command("sql")
        t.wait(for: "read-only · F5 run")
        t.type("SELECT account_id, n_events FROM accounts ORDER BY n_events DESC, account_id")
        t.keys("F5")
        var s = t.wait(for: "first 200+ rows")
        XCTAssertTrue(s.contains("account_id  n_events"), s)
        // Scroll the result: Esc to the grid, then pages.
        // Three pages of 22 rows (the grid of a 40-line terminal): row 1 + 66.
        t.keys("Escape", "NPage", "NPage", "NPage")
        s = t.wait(for: "row 67/200+")
        // A never-ending query: the UI says it runs; Ctrl-C cancels it.
        run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
        t.wait(for: "running… Ctrl-C cancels")
        t.keys("C-c")
        t.wait(for: "cancelled after")
        // A write is refused on the read-only connection.
        run("DELETE FROM accounts")
        t.wait(for: "read-only: this statement would change the store")
        // Enter on a row opens the account; Esc comes back to the console. This one runs by
        // Ctrl-Enter as a terminal with CSI u keys sends it.
        t.keys("C-l")
        t.type("SELECT account_id, score FROM scores ORDER BY score DESC, account_id LIMIT 5")
        Tmux.run(["send-keys", "-t", t.session, "-H", "1b", "5b", "31", "33", "3b", "35", "75"])
        s = t.wait(for: "5 rows in")
        XCTAssertTrue(s.contains("  1 SELECT account_id, score FROM scores ORDER BY score DESC, account_id LIMIT 5\n"), s)  // nothing typed by the key
        let lines = s.split(separator: "\n").map(String.init)
        let header = lines.lastIndex { $0.hasPrefix("account_id") } ?? 0
        let first = try XCTUnwrap(lines.indices.contains(header + 1) ? lines[header + 1].split(separator: " ").first : nil, s)
        t.keys("Escape", "Enter")
        s = t.wait(for: "PII masked")
        XCTAssertTrue(s.contains("SQL › Account \(first)"), s)
        t.keys("Escape")
        t.wait(for: "row 1/5")
        // Tab: the dashboard, drawn from the store.
        t.keys("Tab")
        s = t.wait(for: "Events per hour by type")
        XCTAssertTrue(s.contains("Queue and aging"), s)
        t.command("q")
        t.wait(for: "EXIT:0")
    }
}
