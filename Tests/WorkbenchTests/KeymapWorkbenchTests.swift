import Foundation
import RiskStore
import TerminalKit
import XCTest
@testable import Workbench

/// Key bindings are data: the screen in view handles a key first, and help, the footer and
/// the `:` palette are generated from the same bindings.
final class KeymapWorkbenchTests: WorkbenchCase {
    override class var tag: String { "keys" }

    /// Item 1: `n` on the dashboard shows the next dashboard (as help and the footer say);
    /// it claims no case.
    func testNOnTheDashboardIsNextDashboardNotClaimNext() throws {
        type(":dash"); press(.enter)
        guard case .dash(let d0) = app.state.top else { return XCTFail("not on the dashboard") }
        XCTAssertGreaterThan(d0.available.count, 1, "the shipped dashboards")
        press(.char("n"))
        guard case .dash(let d1) = app.state.top else { return XCTFail() }
        XCTAssertEqual(d1.name, d0.available[1])
        XCTAssertTrue(screen.components(separatedBy: "\n")[0].contains("Dashboard \(d0.available[1])"), screen)
        XCTAssertEqual(try Store(path: dir + "/wb.db", readOnly: true).db.int("SELECT count(*) FROM cases"), 0)
        press(.char("N"))
        guard case .dash(let d2) = app.state.top else { return XCTFail() }
        XCTAssertEqual(d2.name, d0.name)
        press(.char("?"))
        XCTAssertTrue(screen.contains("next dashboard"), screen)
        XCTAssertFalse(screen.contains("claim and open the next"), "n is the dashboard's here:\n\(screen)")
    }

    /// The screens the tests visit: how to get there from the queue.
    func visit(_ name: String) {
        switch name {
        case "queue": break
        case "account": type(":account ring-a"); press(.enter)
        case "pivot": type(":device dev-shared"); press(.enter)
        case "timeline": type(":account ring-a"); press(.enter, .char("t"))
        case "sql": press(.tab); press(.esc)        // the results side: the bindings answer
        case "sql editor": press(.tab)
        case "sql result": press(.tab); type("SELECT 'ring-a' AS account, 2 AS n"); press(.f(5), .esc)
        case "sql cell": press(.tab); type("SELECT 'ring-a' AS account, 2 AS n"); press(.f(5), .esc, .char("v"))
        case "dash": type(":dash"); press(.enter)
        default: XCTFail(name)
        }
    }

    /// Something visible happened: a read or write was asked for, or the screen changed.
    func doesSomething(_ state: AppState, _ run: (inout AppState) -> [Effect]) -> Bool {
        var s = state
        let before = render(state, theme: Theme.fallback, now: 0).text()
        let reqs = run(&s)
        return !reqs.isEmpty || s.quit || render(s, theme: Theme.fallback, now: 0).text() != before
    }

    func testEveryFooterHintAndPaletteCommandResolvesToABindingThatActs() throws {
        let samples = ["account": "ring-a", "device": "dev-shared", "ip": "10.9.9.9", "payment": "pm-shared", "address": "a1",
                       "coupon": "c1", "item": "it1", "seller": "sel1", "domain": "gmail.com", "target": "ring-a", "sort": "score",
                       "risk": "ato", "status": "closed", "label": "unsure", "group": "g1", "batch": "b1", "export": dir + "/x.csv",
                       "reveal": "checking", "theme": "dark", "save": "q1", "date": "2026-03-01", "dash": "overview 30d", "sql": "", "write": "off"]
        for name in ["queue", "account", "pivot", "timeline", "sql", "sql editor", "sql result", "sql cell", "dash"] {
            tearDown()   // the copy setUp made (or the last screen's): one copy at a time
            try setUpWithError()
            visit(name)
            let state = app.state
            let map = state.keymap
            XCTAssertFalse(map.footer.isEmpty, name)
            for hint in map.footer {
                let key = hint.keys[0]
                guard case .run(let b) = map.resolve(key) else { XCTFail("\(name): footer \(hint.keysText) resolves to nothing"); continue }
                XCTAssertTrue(doesSomething(state) { $0.handle(key) }, "\(name): footer hint \(hint.keysText) \(b.hint ?? "") does nothing")
            }
            guard name != "sql cell" else { continue }     // an overlay takes every key: no palette
            let palette = map.palette("")
            XCTAssertTrue(palette.contains { $0.name == "groups" }, name)
            for b in palette {
                let n = b.name!
                XCTAssertNotNil(map.named(n), n)
                XCTAssertTrue(doesSomething(state) { $0.runCommand(n + " " + (samples[n] ?? "")) }, "\(name): :\(n) does nothing")
                var s = state
                _ = s.runCommand(n + " " + (samples[n] ?? ""))
                XCTAssertFalse(s.message.contains("unknown command"), "\(name): :\(n) — \(s.message)")
            }
        }
    }

    /// The console's keys are bindings too: resolved by the keymap, listed by help; text
    /// typed into the editor stays text, even keys bound elsewhere (`? q : 1 /`).
    func testTheConsolesKeysAreBindingsAndTheEditorKeepsText() throws {
        press(.tab)
        guard case .sql = app.state.top else { return XCTFail("not in the console") }
        type("?q:1/ hc")
        guard case .sql(let q) = app.state.top else { return XCTFail("left the console") }
        XCTAssertEqual(q.editor.text, "?q:1/ hc")
        XCTAssertFalse(app.state.help)
        XCTAssertFalse(app.state.quit)
        XCTAssertEqual(app.state.mode, .normal)
        let map = app.state.keymap
        guard case .run(let run) = map.resolve(.f(5)), case .sql(.run) = run.command else { return XCTFail("F5 isn't the console's run") }
        guard case .run(let esc) = map.resolve(.esc), case .sql(.toResults) = esc.command else { return XCTFail("Esc isn't to the results") }
        if case .run = map.resolve(.char("?")) { XCTFail("? is text in the editor") }
        XCTAssertTrue(map.footerText.contains("F5 Ctrl-Enter run"), map.footerText)
        press(.ctrl("l"), .esc)
        // The results side: the console's keys first, then the globals (? is help).
        guard case .run(let i) = app.state.keymap.resolve(.char("i")), case .sql(.toEditor) = i.command else { return XCTFail("i isn't back to the editor") }
        press(.char("?"))
        XCTAssertTrue(app.state.help)
        let l = screen.components(separatedBy: "\n")
        let edit = l.firstIndex { $0.contains("back to the editor") }
        let claim = l.firstIndex { $0.contains("claim the case in view") }
        XCTAssertNotNil(edit, screen)
        XCTAssertNotNil(claim, screen)
        if let edit, let claim { XCTAssertLessThan(edit, claim) }
        press(.char("x"))
        // The cell inspector takes every key: y copies, any other key closes it.
        press(.char("i")); type("SELECT 'ring-a' AS account"); press(.f(5), .esc, .char("v"))
        guard case .sql(let q2) = app.state.top, q2.inspector != nil else { return XCTFail("no inspector") }
        guard case .run(let y) = app.state.keymap.resolve(.char("y")), case .sql(.inspectorCopy) = y.command else { return XCTFail("y isn't copy") }
        press(.char("?"))
        guard case .sql(let q3) = app.state.top else { return XCTFail() }
        XCTAssertNil(q3.inspector)
        XCTAssertFalse(app.state.help, "? closed the inspector, opened nothing")
    }

    func testThePaletteFindsCommandsFuzzilyWithTheirDescriptions() {
        press(.char(":"))
        type("grp")
        let l = screen.components(separatedBy: "\n")
        let line = l.first { $0.contains(":groups") } ?? ""
        XCTAssertTrue(line.contains("rings, clusters and farms"), screen)
        press(.tab)
        XCTAssertTrue(l.last!.contains(":grp"), l.last!)
        XCTAssertTrue(screen.components(separatedBy: "\n").last!.contains(":groups"), screen)
        press(.enter)
        XCTAssertTrue(screen.components(separatedBy: "\n")[0].contains("Groups"), screen)
    }

    func testHelpListsTheScreensBindingsFirstAndScrolls() {
        type(":account ring-a"); press(.enter)
        press(.char("?"))
        let l = screen.components(separatedBy: "\n")
        let timeline = l.firstIndex { $0.contains("event timeline") }
        let claim = l.firstIndex { $0.contains("claim the case in view") }
        XCTAssertNotNil(timeline, screen)
        XCTAssertNotNil(claim, screen)
        if let timeline, let claim { XCTAssertLessThan(timeline, claim) }
        XCTAssertTrue(screen.contains("j k scroll"), screen)
        let first = screen
        press(.char("j"), .char("j"))
        XCTAssertTrue(app.state.help)
        XCTAssertNotEqual(screen, first, "help scrolls")
        press(.char("x"))
        XCTAssertFalse(app.state.help)
    }
}
