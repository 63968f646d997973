import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// A workbench on the in-memory terminal over a private copy of the fixture store, and the
/// key feeding and screen reading the workbench tests share. A subclass names its copy
/// (`tag`), the folders made in it and the terminal's width; `prepare` adds files to the
/// copy before the workbench opens, `configure` sets up every workbench the test opens.
class WorkbenchCase: XCTestCase {
    var dir = ""
    var term: MemoryTerminal!
    var app: App!

    class var tag: String { "wb" }
    class var subdirs: [String] { [] }
    class var width: Int { 120 }
    /// False: each test opens the workbench itself (`open`), after setting up its store.
    class var opensAtSetUp: Bool { true }

    var storePath: String { dir + "/wb.db" }
    /// A read-only connection to the copy.
    var db: Database { get throws { try Store(path: storePath, readOnly: true).db } }

    override func setUpWithError() throws {
        TextWidth.setUpLocale()
        dir = try Fixture.copy(Self.tag, subdirs: Self.subdirs)
        try prepare()
        if Self.opensAtSetUp { try open() }
    }
    override func tearDown() {
        app = nil
        try? FileManager.default.removeItem(atPath: dir)
    }

    func prepare() throws {}
    func configure(_ app: App) {}

    /// Opens (again) the workbench on the copy, as analyst "tester".
    func open(width: Int? = nil, height: Int = 40, synchronous: Bool = true) throws {
        term = MemoryTerminal(width: width ?? Self.width, height: height)
        app = try App(storePath: storePath, terminal: term, theme: Theme.fallback, analyst: "tester", synchronous: synchronous)
        configure(app)
    }

    var screen: String { app.frame().text() }
    func lines() -> [String] { screen.components(separatedBy: "\n") }
    func row(_ i: Int) -> String { let l = lines(); return l.indices.contains(i) ? l[i] : "" }
    /// The status line (the last).
    var status: String { lines().last ?? "" }
    func press(_ keys: Key...) { for k in keys { app.send(k) } }
    /// Types text, a newline as Enter.
    func type(_ s: String) { for c in s { app.send(c == "\n" ? .enter : .char(c)) } }
    func command(_ s: String) { press(.char(":")); type(s); press(.enter) }
    var console: SQLScreen? { if case .sql(let q) = app.state.top { return q }; return nil }
}

/// The detection tests' store: a rules folder and a workbench that reads its rules there.
class RulesWorkbenchCase: WorkbenchCase {
    override class var subdirs: [String] { ["rules"] }
    override class var width: Int { 170 }
    override class var opensAtSetUp: Bool { false }
    override func configure(_ app: App) { app.rulesDirectory = dir + "/rules" }

    /// rules/shared.sql: a high-severity multi-accounting rule flagging every account on a
    /// device another account uses; `evidence`, an extra column for the finding's evidence.
    func writeSharedDeviceRule(evidence: String? = nil) throws {
        try Data("""
            -- id: shared_device
            -- risk_type: multi_accounting
            -- severity: high
            -- description: Shares a device with another account
            SELECT account_id, 'device ' || value AS reason\(evidence.map { ",\n       " + $0 + " AS evidence" } ?? "") FROM links
            WHERE kind = 'device' AND value IN (SELECT value FROM links WHERE kind = 'device' GROUP BY value HAVING count(*) > 1)
            """.utf8).write(to: URL(fileURLWithPath: dir + "/rules/shared.sql"))
    }
}
