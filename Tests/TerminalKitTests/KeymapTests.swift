import XCTest
@testable import TerminalKit

final class KeymapTests: XCTestCase {
    enum Cmd: Equatable { case nextDash, claimNext, quit, back, groups, sort }

    func testTheFocusedLayerWinsEvenWhenItsBindingIsOff() {
        let screen = [KeyBinding([.char("n")], Cmd.nextDash, help: "next dashboard")]
        let globals = [KeyBinding([.char("n")], Cmd.claimNext, help: "claim next"), KeyBinding([.char("q")], Cmd.quit, help: "quit")]
        let map = Keymap([.init("dash", screen), .init("global", globals)])
        guard case .run(let b) = map.resolve(.char("n")) else { return XCTFail() }
        XCTAssertEqual(b.command, .nextDash)
        guard case .run(let q) = map.resolve(.char("q")) else { return XCTFail() }
        XCTAssertEqual(q.command, .quit)
        guard case .unbound = map.resolve(.char("z")) else { return XCTFail() }
        let off = Keymap([.init("dash", [screen[0].enabled(false, else: "one dashboard only")]), .init("global", globals)])
        guard case .disabled(let d) = off.resolve(.char("n")) else { return XCTFail("a disabled screen key must not fall through") }
        XCTAssertEqual(d.disabledReason, "one dashboard only")
    }

    func testHelpShowsOnlyWhatIsReachable() {
        let map = Keymap([.init("dash", [KeyBinding([.char("n")], Cmd.nextDash, help: "next dashboard")]),
                          .init("global", [KeyBinding([.char("n"), .char("c")], Cmd.claimNext, help: "claim"),
                                           KeyBinding([.esc], Cmd.back, help: "back", hint: "back")])])
        let v = map.visible
        XCTAssertEqual(v.count, 3)
        XCTAssertEqual(v[1].binding.keys, [.char("c")])      // n is the dashboard's
        XCTAssertEqual(map.footer.map(\.command), [.back])
        XCTAssertEqual(map.footerText, "Esc back")
    }

    func testFuzzyPaletteFindsCommandsByScatteredLetters() {
        XCTAssertNotNil(Fuzzy.score("grp", "groups"))
        XCTAssertNil(Fuzzy.score("gx", "groups"))
        XCTAssertGreaterThan(Fuzzy.score("gr", "groups")!, Fuzzy.score("gr", "sugar rush")!)
        let map = Keymap([.init("global", [KeyBinding([], Cmd.sort, name: "sort", help: "sort"),
                                           KeyBinding([], Cmd.groups, name: "groups", help: "rings"),
                                           KeyBinding([.char("q")], Cmd.quit, help: "quit")])])
        XCTAssertEqual(map.palette("grp").map(\.command), [.groups])
        XCTAssertEqual(map.palette("s").map(\.command), [.sort, .groups])
        XCTAssertEqual(map.palette("").count, 2)
        XCTAssertEqual(map.named("groups")?.command, .groups)
    }
}
