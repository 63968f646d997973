import XCTest
final class PlaceholderRiskImportTests: XCTestCase { func testNothing() {} }
