import XCTest
@testable import TerminalKit

final class TextEditorTests: XCTestCase {
    func type(_ e: inout TextEditor, _ s: String) { for c in s { _ = e.handle(c == "\n" ? .enter : .char(c)) } }

    func testTypingNewlinesKeepIndentAndOffsets() {
        var e = TextEditor()
        type(&e, "SELECT *\n  FROM t\nWHERE x")
        XCTAssertEqual(e.text, "SELECT *\n  FROM t\n  WHERE x")   // the indent carried over
        XCTAssertEqual(e.cursor, TextPos(2, 9))
        XCTAssertEqual(e.offset(of: e.cursor), e.text.count)
        XCTAssertEqual(e.position(ofOffset: 9), TextPos(1, 0))
    }

    func testUndoGroupsTypingAndRedoRestores() {
        var e = TextEditor()
        type(&e, "abc def")
        XCTAssertEqual(e.text, "abc def")
        e.undo()
        XCTAssertEqual(e.text, "abc ")      // the last word is one step
        e.undo()
        XCTAssertEqual(e.text, "abc")
        e.redo(); e.redo()
        XCTAssertEqual(e.text, "abc def")
        _ = e.handle(.ctrl("z"))
        XCTAssertEqual(e.text, "abc ")
        _ = e.handle(.ctrl("y"))
        XCTAssertEqual(e.text, "abc def")
    }

    func testSelectionReplaceCutPasteAndWordMoves() {
        var e = TextEditor("count(account_id) FROM events")
        _ = e.handle(.ctrlHome)
        _ = e.handle(.ctrlRight)                 // after "count"
        XCTAssertEqual(e.cursor, TextPos(0, 5))
        for _ in 0..<5 { _ = e.handle(.shiftLeft) }
        XCTAssertEqual(e.selectedText, "count")
        type(&e, "max")
        XCTAssertEqual(e.text, "max(account_id) FROM events")
        _ = e.handle(.ctrl("a"))
        XCTAssertEqual(e.selectedText, e.text)
        let cut = e.cut()
        XCTAssertEqual(cut, "max(account_id) FROM events")
        XCTAssertTrue(e.isEmpty)
        e.paste()
        e.paste("\n-- again")
        XCTAssertEqual(e.text, "max(account_id) FROM events\n-- again")
        _ = e.handle(.ctrlLeft)
        XCTAssertEqual(e.cursor, TextPos(1, 3))
        _ = e.handle(.ctrl("w"))
        XCTAssertEqual(e.text, "max(account_id) FROM events\nagain")
    }

    func testBackspaceJoinsLinesAndVerticalMovesKeepTheColumn() {
        var e = TextEditor("abcdef\nx\nabcdef")
        e.moveTo(TextPos(0, 5))
        _ = e.handle(.down); XCTAssertEqual(e.cursor, TextPos(1, 1))
        _ = e.handle(.down); XCTAssertEqual(e.cursor, TextPos(2, 5))   // back to column 5
        e.moveTo(TextPos(1, 0))
        _ = e.handle(.backspace)
        XCTAssertEqual(e.text, "abcdefx\nabcdef")
        _ = e.handle(.delete); _ = e.handle(.end); _ = e.handle(.delete)
        XCTAssertEqual(e.text, "abcdefabcdef")
    }

    func testBracketMatchingAcrossLines() {
        var e = TextEditor("SELECT (a + (b\n * c)) x")
        e.moveTo(TextPos(0, 7))
        let m = e.matchingBracket()
        XCTAssertEqual(m?.0, TextPos(0, 7))
        XCTAssertEqual(m?.1, TextPos(1, 5))
        e.moveTo(TextPos(1, 5))     // on the outer ")" itself: back to its "("
        XCTAssertEqual(e.matchingBracket()?.1, TextPos(0, 7))
        e.moveTo(TextPos(0, 2))
        XCTAssertNil(e.matchingBracket())
    }

    func testRenderShowsLineNumbersSelectionAndScrollsToTheCursor() {
        TextWidth.setUpLocale()
        var e = TextEditor((1...30).map { "line \($0)" }.joined(separator: "\n"))
        e.scrollIntoView(rows: 5, cols: 30)
        let buf = Buffer(width: 40, height: 5)
        var sel = Style.plain; sel.underline = true
        e.render(into: buf, area: buf.area, base: .plain, gutter: .plain, selectionStyle: sel, matchStyle: .plain, focused: true) { _, _ in nil }
        XCTAssertTrue(buf.line(4).hasPrefix(" 30 line 30"), buf.text())
        XCTAssertTrue(buf.line(0).hasPrefix(" 26 line 26"), buf.text())
        // The cursor sits after the text, shown reversed.
        XCTAssertTrue(buf[11, 4].style.reverse)
    }
}
