import XCTest
final class PlaceholderRiskStoreTests: XCTestCase { func testNothing() {} }
