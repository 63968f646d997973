import XCTest
@testable import TerminalKit

final class PanelTests: XCTestCase {
    override func setUp() { TextWidth.setUpLocale() }

    func draw(_ p: PanelData, width: Int = 60, height: Int = 10) -> String {
        let buf = Buffer(width: width, height: height)
        Panel.render(p, into: buf, area: buf.area, theme: Theme.fallback, palette: [.plain])
        return buf.text()
    }

    func testTableWithInlineBarsRightAlignsNumbers() {
        let p = PanelData(title: "Precision", kind: .table, columns: ["detector", "flagged", "precision"],
                          rows: [["brushing", "120", "0.9"], ["spam", "8", "0.45"]])
        let s = draw(p)
        let lines = s.components(separatedBy: "\n")
        XCTAssertTrue(lines[0].hasPrefix("┌─ Precision"), s)
        XCTAssertTrue(lines[1].contains("detector") && lines[1].contains("precision"), s)
        XCTAssertTrue(lines[2].contains("brushing     120"), s)      // numbers right-aligned
        // The last numeric column carries a bar: the larger value the longer one.
        let bar = { (l: String) in l.filter { "█▉▊▋▌▍▎▏".contains($0) }.count }
        XCTAssertGreaterThan(bar(lines[2]), bar(lines[3]))
        XCTAssertGreaterThan(bar(lines[3]), 0)
    }

    func testStackedBarsHaveALegendAndTotals() {
        let p = PanelData(title: "Flags", kind: .stacked, x: ["10-01", "10-02"],
                          series: [.init("ato", [2, 0]), .init("spam", [1, 4])], note: "by day")
        let s = draw(p)
        XCTAssertTrue(s.contains("■ ato  ■ spam"), s)
        XCTAssertTrue(s.contains("10-01") && s.contains("10-02"), s)
        XCTAssertTrue(s.contains("by day"), s)
        let l2 = s.components(separatedBy: "\n").first { $0.contains("10-02") }!
        XCTAssertTrue(l2.hasSuffix("4│"), l2)
    }

    func testErrorEmptyAndNarrowPanelsStayInside() {
        let e = draw(PanelData(title: "Broken", kind: .bars, error: "dash.sql:4: no such table: x"))
        XCTAssertTrue(e.contains("dash.sql:4: no such table: x"), e)
        let empty = draw(PanelData(title: "Empty", kind: .line, series: [.init("a", [])]))
        XCTAssertTrue(empty.contains("no data in this range"), empty)
        for kind in PanelData.Kind.allCases {
            let p = PanelData(title: "A long panel title that will not fit", kind: kind, x: ["a", "b", "c"],
                              series: [.init("s", [1, 5, 3])], columns: ["k", "v"], rows: [["a", "1"]])
            let s = draw(p, width: 14, height: 5)
            XCTAssertTrue(s.components(separatedBy: "\n").allSatisfy { TextWidth.of($0) <= 14 }, "\(kind): \(s)")
        }
    }

    func testGaugeAndNumbers() {
        XCTAssertTrue(draw(PanelData(title: "G", kind: .gauge, x: ["labelled"], series: [.init("v", [0.25])])).contains("25%"))
        let n = draw(PanelData(title: "N", kind: .number, x: ["flagged", "psi"], series: [.init("v", [1234, 0.0123])]))
        XCTAssertTrue(n.contains("1.2k") && n.contains("0.012"), n)
    }
}
