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
