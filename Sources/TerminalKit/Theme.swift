import Foundation

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
        for e in try ConfigTOML.parse(text, file: file) {
            let (key, value, line) = (e.key, e.value, e.line)
            if key == "name" {
                guard let s = value.string else { throw ConfigError(file: file, line: line, message: "name must be a string, not \(value.typeName)") }
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

/// The themes there are, by name: the executable gathers them (built-in ones, the user's,
/// the project's) and hands them in; a name may also be a path to a .toml file.
public struct ThemeLibrary: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var text: String
        /// For messages: a file path, or `built-in:themes/NAME.toml`.
        public var path: String
        public init(name: String, text: String, path: String) { self.name = name; self.text = text; self.path = path }
    }

    public var entries: [String: Entry]
    public init(_ entries: [Entry]) {
        var d: [String: Entry] = [:]
        for e in entries { d[e.name] = e }   // later ones override earlier
        self.entries = d
    }

    public var available: [String] { entries.keys.sorted() }

    /// Loads a theme by name or path. Throws ConfigError for a broken file, or when no theme
    /// of that name exists.
    public func load(_ nameOrPath: String) throws -> Theme {
        if nameOrPath.hasSuffix(".toml") || nameOrPath.contains("/") { return try ThemeLibrary.loadFile(nameOrPath) }
        guard let e = entries[nameOrPath] else {
            throw ConfigError(file: nameOrPath, line: 0, message: "no such theme" + (entries.isEmpty ? "" : " (have: \(available.joined(separator: ", ")))"))
        }
        return try Theme.parse(e.text, file: e.path)
    }

    /// Whether `nameOrPath` names a theme this library has, or a file that exists.
    public func has(_ nameOrPath: String) -> Bool {
        if nameOrPath.hasSuffix(".toml") || nameOrPath.contains("/") { return FileManager.default.fileExists(atPath: nameOrPath) }
        return entries[nameOrPath] != nil
    }

    public static func loadFile(_ path: String) throws -> Theme {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= ConfigTOML.maxBytes else {
            throw ConfigError(file: path, line: 0, message: "too large for a theme (\(size) bytes; at most \(ConfigTOML.maxBytes))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: 0, message: "cannot read theme file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: 0, message: "not UTF-8 text")
        }
        return try Theme.parse(text, file: path)
    }
}
