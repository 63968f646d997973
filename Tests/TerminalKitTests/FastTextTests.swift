import Foundation
import XCTest
@testable import TerminalKit

/// The fast paths of the text drawing every frame (printable ASCII without grapheme
/// breaking, truncation that stops at the cut, `%.Nf` without Foundation) give exactly
/// what the general paths give.
final class FastTextTests: XCTestCase {
    override func setUp() { XCTAssertTrue(TextWidth.setUpLocale()) }

    /// A Weyl sequence: values spread evenly over [0, 1), the same on every run.
    func spread(_ i: Int) -> Double { (Double(i) * 0.618_033_988_749_894_9).truncatingRemainder(dividingBy: 1) }

    /// Truncation as it was, over every grapheme (the reference).
    func referenceTruncate(_ s: String, to width: Int) -> String {
        var total = 0
        for ch in s { total += TextWidth.display(ch).1 }
        if total <= width { return s }
        if width <= 0 { return "" }
        var out = "", w = 0
        for ch in s {
            let cw = TextWidth.display(ch).1
            if w + cw > width - 1 { break }
            out.append(ch); w += cw
        }
        return out + "…"
    }

    func testTruncateAndWidthAgreeWithTheGraphemeByGraphemeReference() {
        let pieces = ["a", "Z", "7", " ", ";", "好", "评", "é", "e\u{301}", "👍", "–", "→", "\t", "\n", "·"]
        for i in 0..<2_000 {
            let n = Int(spread(i) * 31)
            // Half the strings plain ASCII (the fast path), half mixed.
            let pool = i % 2 == 0 ? Array(pieces.prefix(5)) : pieces
            let s = (0..<n).map { k in pool[Int(spread(i * 37 + k) * Double(pool.count))] }.joined()
            var ref = 0
            for ch in s { ref += TextWidth.display(ch).1 }
            XCTAssertEqual(TextWidth.of(s), ref, s)
            for width in [-1, 0, 1, 2, 5, 13, 40] {
                XCTAssertEqual(TextWidth.truncate(s, to: width), referenceTruncate(s, to: width), "\(s) to \(width)")
                XCTAssertEqual(TextWidth.exceeds(s, width), ref > width, "\(s) exceeds \(width)")
            }
        }
        XCTAssertNil(TextWidth.asciiWidth("a\tb"), "a control character is not printable ASCII")
        XCTAssertNil(TextWidth.asciiWidth("é"))
        XCTAssertEqual(TextWidth.asciiWidth("ab c"), 4)
    }

    /// An ASCII write clips, cuts and mends the halves of wide characters as the general
    /// path does.
    func testASCIIWriteClipsAndMendsWideCharactersLikeTheGeneralPath() {
        let b = Buffer(width: 12, height: 3)
        XCTAssertEqual(b.write("hello world!!", x: 0, y: 0, style: .plain), 12)
        XCTAssertEqual(b.line(0), "hello world…")
        XCTAssertEqual(b.write("abc", x: 2, y: 1, style: .plain, maxWidth: 3), 3)
        XCTAssertEqual(b.line(1), "  abc")
        XCTAssertEqual(b.write("abcd", x: 2, y: 1, style: .plain, maxWidth: 3), 3)
        XCTAssertEqual(b.line(1), "  ab…")
        // ASCII over either half of a wide character blanks the other half.
        b.write("好评好评", x: 0, y: 2, style: .plain)
        b.write("x", x: 1, y: 2, style: .plain)
        XCTAssertEqual(b.line(2), " x评好评")
        b.write("y", x: 4, y: 2, style: .plain)
        XCTAssertEqual(b.line(2), " x评y 评")
        XCTAssertFalse(b[5, 2].isContinuation)
        // Off the left edge: the visible part only, with its cut.
        let c = Buffer(width: 4, height: 1)
        XCTAssertEqual(c.write("abcdefgh", x: -2, y: 0, style: .plain), 6)
        XCTAssertEqual(c.line(0), "cde…")
    }

    func testFixedFormatsLikePrintf() {
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, 0.125, 0.375, 1.25, 0.005, 0.015, 0.045, 0.145, 0.165, 0.995, 0.9999,
                                1e-300, 5e-324, -0.004, -0.005, -1.25, 999.95, 12345.678, 1e14 + 0.5, 0.1, 0.7, 1 / 3]
        for i in 0..<20_000 {
            let magnitude = pow(10, -6 + 20 * spread(3 * i))
            values.append((i % 2 == 0 ? 1 : -1) * spread(3 * i + 1) * magnitude)
            // Exact ties at every precision: k / 2^j.
            values.append(Double(Int(spread(3 * i + 2) * 100_000)) / Double(1 << (1 + i % 12)))
        }
        for v in values {
            for d in 0...3 {
                XCTAssertEqual(Human.fixed(v, d), String(format: "%.\(d)f", v), "\(v) with \(d) decimals")
            }
        }
        // Outside the fast path: the formatter itself.
        XCTAssertEqual(Human.fixed(.infinity, 2), String(format: "%.2f", Double.infinity))
        XCTAssertEqual(Human.fixed(1e20, 1), String(format: "%.1f", 1e20))
        XCTAssertEqual(Human.fixed(0.123456, 5), "0.12346")
        XCTAssertEqual(Human.count(1250), "1.2k", "a tie rounds to even, as printf does")
        XCTAssertEqual(Human.count(45_500), "46k")
    }
}
