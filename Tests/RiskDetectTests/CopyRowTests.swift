import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// The binary COPY rows detection reads from a team store, built by hand byte by byte as the
/// server sends them: the header before the first row, NULLs, integers of every width, floats,
/// text with tabs and newlines (no escapes in binary), the trailer, and rows cut short.
final class CopyRowTests: XCTestCase {
    private let header: [UInt8] = Array("PGCOPY\n".utf8) + [255, 13, 10, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]

    private func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    private func field(_ b: [UInt8]) -> [UInt8] { be(Int32(b.count)) + b }
    private let null: [UInt8] = [255, 255, 255, 255]

    private func split(_ row: CopyRow, _ bytes: [UInt8]) throws -> Bool {
        try bytes.withUnsafeBytes { try row.split($0) }
    }

    func testTheFirstRowCarriesTheHeaderAndEveryTypeReadsInPlace() throws {
        let row = CopyRow()
        let text = Array("five stars\tgreat\nseller \\N".utf8)
        let first = header + be(Int16(7)) + field(be(Int64(-42))) + field(Array("acc-1".utf8)) + null
            + field(be(Int32(-7))) + field(be(Int16(3))) + field(be((-1.25 as Double).bitPattern)) + field(text)
        // Fields point into the message: read them while it is alive.
        try first.withUnsafeBytes { buf in
            XCTAssertTrue(try row.split(buf))
            XCTAssertEqual(row.int(0), -42)
            XCTAssertEqual(row.string(1), "acc-1")
            XCTAssertNil(row.field(2)); XCTAssertNil(row.int(2)); XCTAssertNil(row.string(2))
            XCTAssertEqual(row.int(3), -7)
            XCTAssertEqual(row.int(4), 3)
            XCTAssertEqual(row.double(5), -1.25)
            XCTAssertEqual(row.string(6), "five stars\tgreat\nseller \\N", "binary text is the bytes as stored, no escapes")
            XCTAssertNil(row.field(7), "a field past the row's count is absent")
        }
        // A later row has no header; an empty string is not NULL.
        let second = be(Int16(3)) + field([]) + null + field(be((0.5 as Float).bitPattern))
        try second.withUnsafeBytes { buf in
            XCTAssertTrue(try row.split(buf))
            XCTAssertEqual(row.string(0), "")
            XCTAssertNotNil(row.field(0))
            XCTAssertNil(row.string(1))
            XCTAssertEqual(row.double(2), 0.5)
        }
        // The trailer ends the stream: no row.
        XCTAssertFalse(try split(row, be(Int16(-1))))
    }

    func testAHeaderAloneOrWithAnExtensionIsSkipped() throws {
        let row = CopyRow()
        XCTAssertFalse(try split(row, header), "a header sent on its own is no row")
        try (be(Int16(1)) + field(be(Int64(9)))).withUnsafeBytes { buf in
            XCTAssertTrue(try row.split(buf))
            XCTAssertEqual(row.int(0), 9)
        }

        var extended = Array(header.prefix(15)) + be(Int32(3)) + [1, 2, 3]
        extended += be(Int16(1)) + field(Array("x".utf8))
        let other = CopyRow()
        try extended.withUnsafeBytes { buf in
            XCTAssertTrue(try other.split(buf))
            XCTAssertEqual(other.string(0), "x")
        }
    }

    func testAStreamWithoutTheSignatureOrARowCutShortIsRefusedByName() throws {
        XCTAssertThrowsError(try split(CopyRow(), Array("1\tacc-1\n".utf8))) { error in
            XCTAssertTrue("\(error)".contains("PGCOPY signature"), "\(error)")
        }
        let row = CopyRow()
        XCTAssertThrowsError(try split(row, header + be(Int16(2)) + field(be(Int64(1))))) { error in
            XCTAssertTrue("\(error)".contains("cut short"), "\(error)")
        }
        XCTAssertThrowsError(try split(row, be(Int16(1)) + be(Int32(8)) + [0, 0, 0])) { error in
            XCTAssertTrue("\(error)".contains("runs past its row"), "\(error)")
        }
    }
}
