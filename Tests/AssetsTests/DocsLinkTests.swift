import Foundation
import XCTest

/// The project's docs link nothing outside the repository: every Markdown link in README.md and
/// docs/ is relative, resolves to a file that exists, and stays inside the source tree.
final class DocsLinkTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func markdownFiles() throws -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
        return [root.appendingPathComponent("README.md")] + names.sorted().map { docs.appendingPathComponent($0) }
    }

    /// `[text](target)` targets, skipping fenced code blocks; with their line numbers.
    static func links(in text: String) -> [(line: Int, target: String)] {
        var out: [(Int, String)] = []
        var fenced = false
        let pattern = try! NSRegularExpression(pattern: #"\]\(([^)\s]+)(?:\s+"[^"]*")?\)"#)
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { fenced.toggle(); continue }
            if fenced { continue }
            let ns = line as NSString
            for match in pattern.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
                out.append((index + 1, ns.substring(with: match.range(at: 1))))
            }
        }
        return out
    }

    func testLinkExtractionSeesRelativeAndAbsoluteAndSkipsCode() {
        let text = "see [a](docs/a.md) and [b](https://example.org/x)\n```\n[c](../outside.md)\n```\n[d](b.md#part)"
        XCTAssertEqual(Self.links(in: text).map(\.target), ["docs/a.md", "https://example.org/x", "b.md#part"])
    }

    func testEveryDocLinkStaysInsideTheRepository() throws {
        let files = try markdownFiles()
        XCTAssertGreaterThan(files.count, 5, "README.md and docs/*.md should be found from \(root.path)")
        let rootPath = root.standardizedFileURL.path
        var problems: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = file.path.replacingOccurrences(of: rootPath + "/", with: "")
            for (line, target) in Self.links(in: text) {
                if target.hasPrefix("#") { continue }
                if target.contains("://") || target.hasPrefix("mailto:") || target.hasPrefix("/") {
                    problems.append("\(name):\(line): links outside the repository: \(target)")
                    continue
                }
                let path = String(target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
                let resolved = file.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
                if !(resolved.path == rootPath || resolved.path.hasPrefix(rootPath + "/")) {
                    problems.append("\(name):\(line): leaves the repository: \(target)")
                } else if !FileManager.default.fileExists(atPath: resolved.path) {
                    problems.append("\(name):\(line): no such file: \(target)")
                }
            }
        }
        XCTAssertEqual(problems, [], problems.joined(separator: "\n"))
    }
}
