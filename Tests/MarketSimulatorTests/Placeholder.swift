import XCTest
final class PlaceholderMarketSimulatorTests: XCTestCase { func testNothing() {} }
