import XCTest
@testable import RiskDetect

/// The byte steps the flat-JSON walkers share (JSONBytes.swift).
final class JSONBytesTests: XCTestCase {
    func bytes<R>(_ s: String, _ f: (UnsafePointer<UInt8>, Int) -> R) -> R {
        let a = Array(s.utf8)
        return a.withUnsafeBufferPointer { f($0.baseAddress!, $0.count) }
    }

    func testStringEndStepsOverEscapes() {
        // From inside "a\"b", the closing quote is at 5.
        XCTAssertEqual(bytes(#""a\"b","c""#) { JSONBytes.stringEnd($0, $1, from: 1) }, 5)
        XCTAssertEqual(bytes(#""""#) { JSONBytes.stringEnd($0, $1, from: 1) }, 1)
        // Not closed: at or past the end.
        XCTAssertGreaterThanOrEqual(bytes(#""abc"#) { JSONBytes.stringEnd($0, $1, from: 1) }, 4)
        XCTAssertGreaterThanOrEqual(bytes(#""ab\"#) { JSONBytes.stringEnd($0, $1, from: 1) }, 4)
    }

    func testStringGivesContentAndWhatFollows() {
        let s = #"{"k\"ey":"v","e":""}"#
        let k = bytes(s) { p, n in JSONBytes.string(p, n, at: 1).map { (String(decoding: UnsafeBufferPointer(start: $0.content.0, count: $0.content.1), as: UTF8.self), $0.next) } }
        XCTAssertEqual(k?.0, #"k\"ey"#)                 // escapes kept, not decoded
        XCTAssertEqual(k?.1, 8)                           // just past the closing quote: the colon
        let e = bytes(s) { JSONBytes.string($0, $1, at: 17) }
        XCTAssertEqual(e?.content.1, 0)
        XCTAssertEqual(e?.next, 19)
        XCTAssertNil(bytes(s) { JSONBytes.string($0, $1, at: 0) })         // a brace, not a string
        XCTAssertNil(bytes(#"{"abc"#) { JSONBytes.string($0, $1, at: 1) })  // not closed
        XCTAssertNil(bytes(#""a""#) { JSONBytes.string($0, $1, at: 3) })    // at the end
    }

    func testNestedEndMatchesBracketsOutsideStrings() {
        let s = #"{"a":[1,{"b":"]}"}],"c":2}"#
        let r = bytes(s) { JSONBytes.nestedEnd($0, $1, from: 5) }
        XCTAssertTrue(r.closed)
        XCTAssertEqual(Array(s.utf8)[5..<r.end].count, #"[1,{"b":"]}"}]"#.utf8.count)
        let whole = bytes(s) { JSONBytes.nestedEnd($0, $1, from: 0) }
        XCTAssertEqual(whole.end, s.utf8.count)
        XCTAssertTrue(whole.closed)
        // An escaped quote inside a string does not end it.
        let esc = #"["x\"]",1]"#
        XCTAssertEqual(bytes(esc) { JSONBytes.nestedEnd($0, $1, from: 0) }.end, esc.utf8.count)
        // Unbalanced.
        let open = bytes(#"[1,[2]"#) { JSONBytes.nestedEnd($0, $1, from: 0) }
        XCTAssertFalse(open.closed)
        XCTAssertGreaterThanOrEqual(open.end, 6)
    }
}
