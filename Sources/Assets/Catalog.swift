import Foundation

/// The kinds of file riskdesk ships and lets users add or override.
public enum AssetKind: String, CaseIterable, Sendable {
    case themes, rules, queries, dashboards

    public var fileExtension: String { self == .themes ? "toml" : "sql" }
    /// "theme", "rule", … for messages.
    public var singular: String { self == .queries ? "query" : String(rawValue.dropLast()) }
}

/// Where a file or folder comes from; later origins override earlier ones by name.
public enum AssetOrigin: Int, Comparable, Sendable, CustomStringConvertible {
    case builtIn, user, project, explicit

    public var description: String {
        switch self {
        case .builtIn: return "built-in"
        case .user: return "user config"
        case .project: return "project"
        case .explicit: return "explicit"
        }
    }
    public static func < (a: AssetOrigin, b: AssetOrigin) -> Bool { a.rawValue < b.rawValue }
}

/// One shipped file, compiled into the binary (see GeneratedAssets.swift).
public struct BuiltinFile: Sendable {
    public let kind: AssetKind
    public let name: String
    public let text: String
}

public enum BuiltinAssets {
    public static var all: [BuiltinFile] { generated }
    public static func files(_ kind: AssetKind) -> [BuiltinFile] { generated.filter { $0.kind == kind } }
    /// How built-in files are named in messages and listings: `built-in:rules/NAME.sql`.
    public static func path(_ kind: AssetKind, _ name: String) -> String { "built-in:\(kind.rawValue)/\(name).\(kind.fileExtension)" }
}

/// A folder that user files of one kind are read from.
public struct AssetFolder: Sendable, Equatable {
    public var kind: AssetKind
    public var path: String
    public var origin: AssetOrigin
    /// What named it, for messages: "--rules", "RISKDESK_RULES", "~/.config/riskdesk", "./queries".
    public var source: String
    /// Configured explicitly: its absence is an error worth a loud warning, not a quiet skip.
    public var required: Bool

    public init(kind: AssetKind, path: String, origin: AssetOrigin, source: String, required: Bool = false) {
        self.kind = kind; self.path = path; self.origin = origin; self.source = source; self.required = required
    }

    public var exists: Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }
}

/// One file in effect: its text, where it came from, and what it replaced.
public struct Asset: Sendable {
    public var kind: AssetKind
    public var name: String
    public var text: String
    /// A file path, or `built-in:KIND/NAME.EXT`.
    public var path: String
    public var origin: AssetOrigin
    /// The paths of the files of the same name it overrides, earliest first.
    public var overrides: [String]
    public var isBuiltIn: Bool { origin == .builtIn }
}

/// The files of one kind in effect, sorted by name, with the problems met reading them.
public struct AssetResolution: Sendable {
    public var assets: [Asset]
    /// Files left out: "PATH: cannot read (not UTF-8 text?); left out".
    public var problems: [String]
    /// Folders configured explicitly that are not there (see `AssetCatalog.missingFolders`).
    public var missing: [AssetFolder]
    public subscript(name: String) -> Asset? { assets.first { $0.name == name } }
    public var names: [String] { assets.map(\.name) }
}

/// The shipped defaults layered under the user's folders (~/.config/riskdesk/KIND) and the
/// project's (./queries, ./queries/rules, …), then any folder named explicitly; a later file
/// overrides an earlier one of the same name. Reads no environment: the executable finds
/// the folders and passes them in.
public struct AssetCatalog: Sendable {
    public var folders: [AssetFolder]
    public var includeBuiltIn: Bool
    /// Files larger than this are refused (a theme, rule or query is a few kB).
    public static let maxFileBytes = 4 << 20

    public init(folders: [AssetFolder] = [], includeBuiltIn: Bool = true) {
        self.folders = folders.sorted { $0.origin < $1.origin }   // stable: keeps the given order within an origin
        self.includeBuiltIn = includeBuiltIn
    }

    /// Built-in files only.
    public static let builtIn = AssetCatalog()

    /// The usual layering. `home` gives ~/.config/riskdesk/KIND (user config); `configDir`
    /// replaces that folder when given (e.g. $XDG_CONFIG_HOME/riskdesk). The project is the
    /// working directory's `queries/` (`queries/rules`, `queries/dashboards`) and `themes/`.
    /// `explicit` folders (a --rules flag, RISKDESK_RULES, …) come last and must exist.
    public static func standard(configDir: String?, workingDirectory: String?,
                                explicit: [(kind: AssetKind, path: String, source: String)] = []) -> AssetCatalog {
        var folders: [AssetFolder] = []
        if let c = configDir {
            for k in AssetKind.allCases {
                folders.append(AssetFolder(kind: k, path: (c as NSString).appendingPathComponent(k.rawValue), origin: .user, source: "user config"))
            }
        }
        if let w = workingDirectory {
            let project: [AssetKind: String] = [.themes: "themes", .rules: "queries/rules", .queries: "queries", .dashboards: "queries/dashboards"]
            for k in AssetKind.allCases {
                folders.append(AssetFolder(kind: k, path: (w as NSString).appendingPathComponent(project[k]!), origin: .project, source: "./" + project[k]!))
            }
        }
        for e in explicit {
            folders.append(AssetFolder(kind: e.kind, path: e.path, origin: .explicit, source: e.source, required: true))
        }
        return AssetCatalog(folders: folders)
    }

    /// A catalog of only what a project folder laid out like this repository's `queries/` holds
    /// (`DIR/*.sql`, `DIR/rules`, `DIR/dashboards`), without the built-in files.
    public static func queriesFolder(_ dir: String) -> AssetCatalog {
        AssetCatalog(folders: [
            AssetFolder(kind: .queries, path: dir, origin: .project, source: dir),
            AssetFolder(kind: .rules, path: (dir as NSString).appendingPathComponent("rules"), origin: .project, source: dir),
            AssetFolder(kind: .dashboards, path: (dir as NSString).appendingPathComponent("dashboards"), origin: .project, source: dir),
        ], includeBuiltIn: false)
    }

    /// The same catalog with one more folder on top (e.g. `--rules DIR`).
    public func adding(_ folder: AssetFolder) -> AssetCatalog {
        AssetCatalog(folders: folders + [folder], includeBuiltIn: includeBuiltIn)
    }

    public func folders(_ kind: AssetKind) -> [AssetFolder] { folders.filter { $0.kind == kind } }

    /// Explicitly configured folders that are not there.
    public var missingFolders: [AssetFolder] { folders.filter { $0.required && !$0.exists } }

    /// Where `:save` writes a new file of this kind: the explicit folder, else the project's
    /// (if it exists), else the user's config folder (created when written to).
    public func writableFolder(_ kind: AssetKind) -> String? {
        let fs = folders(kind)
        if let e = fs.last(where: { $0.origin == .explicit }) { return e.path }
        if let p = fs.last(where: { $0.origin == .project && $0.exists }) { return p.path }
        return fs.last(where: { $0.origin == .user })?.path ?? fs.last?.path
    }

    /// Every file of a kind in effect.
    public func resolve(_ kind: AssetKind) -> AssetResolution {
        var byName: [String: Asset] = [:]
        var problems: [String] = [], missing: [AssetFolder] = []
        func put(_ a: Asset) {
            var a = a
            if let old = byName[a.name] { a.overrides = old.overrides + [old.path] }
            byName[a.name] = a
        }
        if includeBuiltIn {
            for f in BuiltinAssets.files(kind) {
                put(Asset(kind: kind, name: f.name, text: f.text, path: BuiltinAssets.path(kind, f.name), origin: .builtIn, overrides: []))
            }
        }
        let fm = FileManager.default
        for folder in folders(kind) {
            guard folder.exists else {
                if folder.required { missing.append(folder) }
                continue
            }
            let names: [String]
            do { names = try fm.contentsOfDirectory(atPath: folder.path) } catch {
                problems.append("\(folder.path): cannot list the folder (\(error.localizedDescription))")
                continue
            }
            for file in names.sorted() where file.hasSuffix("." + kind.fileExtension) && !file.hasPrefix(".") {
                let path = (folder.path as NSString).appendingPathComponent(file)
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
                let name = String(file.dropLast(kind.fileExtension.count + 1))
                let size = (try? fm.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
                guard size <= AssetCatalog.maxFileBytes else {
                    problems.append("\(path): too large for a \(kind.singular) (\(size) bytes; at most \(AssetCatalog.maxFileBytes)); left out")
                    continue
                }
                guard let data = fm.contents(atPath: path) else {
                    problems.append("\(path): cannot read; left out")
                    continue
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    problems.append("\(path): cannot read (not UTF-8 text?); left out")
                    continue
                }
                put(Asset(kind: kind, name: name, text: text, path: path, origin: folder.origin, overrides: []))
            }
        }
        return AssetResolution(assets: byName.values.sorted { $0.name < $1.name }, problems: problems, missing: missing)
    }

    /// One file by name (nil when no layer has it).
    public func asset(_ kind: AssetKind, named name: String) -> Asset? { resolve(kind)[name] }
}
