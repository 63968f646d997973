import Foundation
import XCTest

/// Libraries take what they need as parameters: only the executable (Sources/riskdesk)
/// reads the environment or the command line.
final class LayeringTests: XCTestCase {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

    /// What reading the environment or argv looks like in Swift and C.
    static let forbidden = ["ProcessInfo.processInfo.environment", "processInfo.environment", ".environment[",
                            "ProcessInfo.processInfo.arguments", "getenv(", "setenv(", "secure_getenv(",
                            "CommandLine.", "environ"]

    /// Every `file:line: text` in the library targets that reads the environment or argv.
    static func violations(under root: URL) throws -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for target in try fm.contentsOfDirectory(atPath: root.path).sorted() where target != "riskdesk" {
            guard let walk = fm.enumerator(atPath: root.appendingPathComponent(target).path) else { continue }
            let files = (walk.allObjects as? [String] ?? []).sorted()
            for rel in files where [".swift", ".h", ".c"].contains(where: rel.hasSuffix) {
                let path = root.appendingPathComponent(target).appendingPathComponent(rel).path
                let text = try String(contentsOfFile: path, encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    if code.hasPrefix("//") || code.hasPrefix("*") || code.hasPrefix("/*") { continue }
                    for f in forbidden where hit(code, f) {
                        out.append("Sources/\(target)/\(rel):\(n + 1): \(code)")
                        break
                    }
                }
            }
        }
        return out
    }

    /// `environ` only as a whole word (not "environment" in a name).
    static func hit(_ line: String, _ pattern: String) -> Bool {
        guard pattern == "environ" else { return line.contains(pattern) }
        return line.range(of: #"(?<![A-Za-z0-9_])environ(?![A-Za-z0-9_])"#, options: .regularExpression) != nil
    }

    func testNoLibraryReadsTheEnvironmentOrArgv() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.sources.appendingPathComponent("RiskStore").path), Self.sources.path)
        let found = try Self.violations(under: Self.sources)
        XCTAssertEqual(found, [], "only Sources/riskdesk may read the environment or argv; pass the value in instead:\n" + found.joined(separator: "\n"))
    }

    /// The scan finds each form, names file and line, and leaves the executable alone.
    func testTheScanFindsEachFormWithFileAndLine() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("layering-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        for t in ["Lib/Sub", "riskdesk", "CShim"] { try fm.createDirectory(at: root.appendingPathComponent(t), withIntermediateDirectories: true) }
        func put(_ rel: String, _ text: String) { fm.createFile(atPath: root.appendingPathComponent(rel).path, contents: Data(text.utf8)) }
        put("Lib/A.swift", "import Foundation\nlet a = ProcessInfo.processInfo.environment[\"X\"]\n// getenv( in a comment is fine\nlet environment = 1\n")
        put("Lib/Sub/B.swift", "let b = CommandLine.arguments\nlet c = getenv(\"HOME\")\n")
        put("CShim/shim.h", "extern char **environ;\n")
        put("riskdesk/Main.swift", "let ok = ProcessInfo.processInfo.environment\n")
        XCTAssertEqual(try Self.violations(under: root), [
            "Sources/CShim/shim.h:1: extern char **environ;",
            "Sources/Lib/A.swift:2: let a = ProcessInfo.processInfo.environment[\"X\"]",
            "Sources/Lib/Sub/B.swift:1: let b = CommandLine.arguments",
            "Sources/Lib/Sub/B.swift:2: let c = getenv(\"HOME\")",
        ])
    }
}
