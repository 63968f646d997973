import Foundation

/// An error in a settings or theme file, naming the file and line.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let message: String
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    public init(file: String, line: Int, message: String) { self.file = file; self.line = line; self.message = message }
}

/// The subset of TOML that themes and the config file use: comments, `[section]` and
/// `[section.sub]` headers, and `key = value` where value is a string, integer, float or
/// boolean. Keys come back flattened: `section.key`.
public enum MiniTOML {
    public enum Value: Equatable, Sendable {
        case string(String), int(Int), double(Double), bool(Bool)
        public var string: String? { if case .string(let s) = self { return s }; return nil }
    }

    public static func parse(_ text: String, file: String) throws -> [(key: String, value: Value, line: Int)] {
        var out: [(String, Value, Int)] = []
        var section = ""
        var seen = Set<String>()
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = i + 1
            var line = stripComment(String(raw)).trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), !line.hasPrefix("[[") else { throw ConfigError(file: file, line: n, message: "bad section header \(line)") }
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                guard isKey(section) else { throw ConfigError(file: file, line: n, message: "bad section name '\(section)'") }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigError(file: file, line: n, message: "expected key = value, found '\(line)'")
            }
            var key = line[..<eq].trimmingCharacters(in: .whitespaces)
            if key.hasPrefix("\"") && key.hasSuffix("\"") && key.count >= 2 { key = String(key.dropFirst().dropLast()) }
            guard !key.isEmpty, isKey(key) || key.contains(" ") == false else {
                throw ConfigError(file: file, line: n, message: "bad key '\(key)'")
            }
            let full = section.isEmpty ? key : section + "." + key
            guard seen.insert(full).inserted else { throw ConfigError(file: file, line: n, message: "'\(full)' is set twice") }
            let valueText = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out.append((full, try value(valueText, file: file, line: n), n))
        }
        return out
    }

    static func isKey(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
    }

    static func stripComment(_ s: String) -> String {
        var inString = false
        var prev: Character = " "
        for (i, c) in s.enumerated() {
            if c == "\"" && prev != "\\" { inString.toggle() }
            if c == "#" && !inString { return String(s.prefix(i)) }
            prev = c
        }
        return s
    }

    static func value(_ t: String, file: String, line: Int) throws -> Value {
        if t.isEmpty { throw ConfigError(file: file, line: line, message: "missing value") }
        if t.hasPrefix("\"") {
            guard t.count >= 2, t.hasSuffix("\"") else { throw ConfigError(file: file, line: line, message: "unterminated string") }
            var s = ""
            var escape = false
            for c in t.dropFirst().dropLast() {
                if escape {
                    switch c {
                    case "n": s.append("\n")
                    case "t": s.append("\t")
                    case "\"": s.append("\"")
                    case "\\": s.append("\\")
                    default: throw ConfigError(file: file, line: line, message: "bad escape \\\(c)")
                    }
                    escape = false
                } else if c == "\\" { escape = true } else { s.append(c) }
            }
            return .string(s)
        }
        if t == "true" { return .bool(true) }
        if t == "false" { return .bool(false) }
        if let i = Int(t.replacingOccurrences(of: "_", with: "")) { return .int(i) }
        if let d = Double(t) { return .double(d) }
        throw ConfigError(file: file, line: line, message: "can't read value \(t) (strings need double quotes)")
    }
}

/// Named styles for the UI's roles. The kit defines the common roles; an app adds its own
/// (any `styles.*` key in a theme file). Styles are written as words:
/// `"bold 231 on 24"`, `"reverse"`, `"red on default underline"`.
public struct Theme: Sendable {
    public var name: String
    public var styles: [String: Style]

    /// Roles every theme must define.
    public static let requiredRoles = ["base", "header", "selected", "status", "status.error", "muted", "accent", "title", "border", "input", "overlay"]

    public init(name: String, styles: [String: Style]) {
        self.name = name
        self.styles = styles
    }

    /// The style of a role; "a.b.c" falls back to "a.b", then "a", then base. Colours a role
    /// leaves as default come from base, so a role can set just a foreground.
    public subscript(_ role: String) -> Style {
        let base = styles["base"] ?? .plain
        var r = role
        while true {
            if let s = styles[r] { return s.over(base) }
            guard let dot = r.lastIndex(of: ".") else { return base }
            r = String(r[..<dot])
        }
    }

    public static func parse(_ text: String, file: String) throws -> Theme {
        var name = (file as NSString).lastPathComponent.replacingOccurrences(of: ".toml", with: "")
        var styles: [String: Style] = [:]
        for (key, value, line) in try MiniTOML.parse(text, file: file) {
            if key == "name" {
                guard let s = value.string else { throw ConfigError(file: file, line: line, message: "name must be a string") }
                name = s
            } else if key.hasPrefix("styles.") {
                guard let s = value.string else { throw ConfigError(file: file, line: line, message: "\(key) must be a string like \"bold 231 on 24\"") }
                do { styles[String(key.dropFirst(7))] = try parseStyle(s) } catch let e as StyleError {
                    throw ConfigError(file: file, line: line, message: "\(key): \(e.message)")
                }
            } else {
                throw ConfigError(file: file, line: line, message: "unknown setting '\(key)' (themes have name and [styles])")
            }
        }
        let missing = requiredRoles.filter { styles[$0] == nil }
        if !missing.isEmpty { throw ConfigError(file: file, line: 0, message: "theme lacks styles for \(missing.joined(separator: ", "))") }
        return Theme(name: name, styles: styles)
    }

    struct StyleError: Error { let message: String }

    static let colourNames: [String: Color] = [
        "default": .default, "black": .black, "red": .red, "green": .green, "yellow": .yellow, "blue": .blue,
        "magenta": .magenta, "cyan": .cyan, "white": .white, "gray": .gray, "grey": .gray,
        "bright-red": .brightRed, "bright-green": .brightGreen, "bright-yellow": .brightYellow,
        "bright-blue": .brightBlue, "bright-magenta": .brightMagenta, "bright-cyan": .brightCyan, "bright-white": .brightWhite,
    ]

    static func parseStyle(_ s: String) throws -> Style {
        var st = Style()
        var words = s.split(separator: " ").map(String.init)[...]
        var fgSet = false
        func colour(_ w: String) throws -> Color {
            if let c = colourNames[w.lowercased()] { return c }
            if let n = Int(w), (0...255).contains(n) { return .index(UInt8(n)) }
            throw StyleError(message: "'\(w)' is not a colour (a name, or 0-255)")
        }
        while let w = words.popFirst() {
            switch w.lowercased() {
            case "bold": st.bold = true
            case "dim": st.dim = true
            case "underline": st.underline = true
            case "reverse": st.reverse = true
            case "italic": st.italic = true
            case "on":
                guard let c = words.popFirst() else { throw StyleError(message: "'on' needs a colour after it") }
                st.bg = try colour(c)
            default:
                if fgSet { throw StyleError(message: "unknown style word '\(w)'") }
                do { st.fg = try colour(w) } catch { throw StyleError(message: "unknown style word '\(w)'") }
                fgSet = true
            }
        }
        return st
    }

    /// For terminals with fewer colours: 256-colour indexes become their nearest ANSI colour;
    /// with none (or NO_COLOR), colours go and bold / reverse / underline carry the meaning.
    public func adapted(colors: Int, noColor: Bool) -> Theme {
        var t = self
        for (k, var s) in styles {
            if noColor || colors < 8 { s.fg = .default; s.bg = .default }
            else if colors < 256 { s.fg = s.fg.ansi16; s.bg = s.bg.ansi16 }
            t.styles[k] = s
        }
        if noColor || colors < 8 {
            t.styles["selected"] = Style(reverse: true)
            t.styles["header"] = Style(bold: true, underline: true)
            t.styles["status"] = Style(reverse: true)
        }
        return t
    }

    /// Used when no theme file can be found at all.
    public static let fallback = Theme(name: "fallback", styles: [
        "base": Style(), "header": Style(bold: true, underline: true), "selected": Style(reverse: true),
        "status": Style(reverse: true), "status.error": Style(fg: .brightRed, bold: true, reverse: true),
        "muted": Style(dim: true), "accent": Style(fg: .cyan), "title": Style(bold: true), "border": Style(dim: true),
        "input": Style(underline: true), "overlay": Style(reverse: true),
    ])
}

/// Finds theme files: `$RISKDESK_THEMES`, ./themes, the themes folder of the source tree the
/// binary was built in, and ~/.config/riskdesk/themes.
public enum ThemeLibrary {
    public static func searchPaths() -> [String] {
        var paths: [String] = []
        let env = ProcessInfo.processInfo.environment
        if let p = env["RISKDESK_THEMES"], !p.isEmpty { paths.append(p) }
        paths.append(FileManager.default.currentDirectoryPath + "/themes")
        // .build/<config>/riskdesk → <repo>/themes
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for up in [2, 3] {
            var u = exe
            for _ in 0..<up { u = u.deletingLastPathComponent() }
            paths.append(u.appendingPathComponent("themes").path)
        }
        if let home = env["HOME"] { paths.append(home + "/.config/riskdesk/themes") }
        return paths
    }

    public static func available() -> [String] {
        var names = Set<String>()
        for dir in searchPaths() {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where f.hasSuffix(".toml") {
                names.insert(String(f.dropLast(5)))
            }
        }
        return names.sorted()
    }

    /// Loads a theme by name or path. Throws ConfigError for a broken file, or when no theme
    /// of that name exists.
    public static func load(_ nameOrPath: String) throws -> Theme {
        if nameOrPath.hasSuffix(".toml") || nameOrPath.contains("/") {
            guard let text = try? String(contentsOfFile: nameOrPath, encoding: .utf8) else {
                throw ConfigError(file: nameOrPath, line: 0, message: "cannot read theme file")
            }
            return try Theme.parse(text, file: nameOrPath)
        }
        for dir in searchPaths() {
            let p = dir + "/" + nameOrPath + ".toml"
            if let text = try? String(contentsOfFile: p, encoding: .utf8) { return try Theme.parse(text, file: p) }
        }
        let names = available()
        throw ConfigError(file: nameOrPath, line: 0, message: "no such theme" + (names.isEmpty ? "" : " (have: \(names.joined(separator: ", ")))"))
    }
}
