import Assets
import Foundation
import RiskStore

/// A rule in effect and where it came from.
public struct RuleSource: Sendable {
    public var rule: Rule
    public var origin: AssetOrigin
    /// Files (or built-in rules) of the same name or id that it replaces.
    public var overrides: [String]
}

extension Rule {
    /// The rules in effect: built-in, then the user's, then the project's, then explicit
    /// folders; a later file replaces an earlier one of the same file name or the same rule id.
    /// Files that don't parse, and folders configured but missing, come back as errors.
    public static func sources(catalog: AssetCatalog) -> (rules: [RuleSource], errors: [String]) {
        let resolved = catalog.resolve(.rules)
        var errors = resolved.problems
        var byID: [String: RuleSource] = [:]
        var order: [String] = []
        // Lower origins first, so a user's rule of a built-in rule's id replaces it.
        for a in resolved.assets.sorted(by: { ($0.origin, $0.name) < ($1.origin, $1.name) }) {
            do {
                let r = try parse(file: a.path, text: a.text)
                if let old = byID[r.id] {
                    guard old.origin < a.origin else { throw StoreError("\(a.path): rule id '\(r.id)' is already used by \(old.rule.file)") }
                    byID[r.id] = RuleSource(rule: r, origin: a.origin, overrides: old.overrides + [old.rule.file] + a.overrides)
                } else {
                    byID[r.id] = RuleSource(rule: r, origin: a.origin, overrides: a.overrides)
                    order.append(r.id)
                }
            } catch {
                errors.append("\(error)")
            }
        }
        let list = order.compactMap { byID[$0] }.sorted { ($0.rule.id) < ($1.rule.id) }
        return (list, errors)
    }

    public static func load(catalog: AssetCatalog) -> (rules: [Rule], errors: [String]) {
        let s = sources(catalog: catalog)
        return (s.rules.map(\.rule), s.errors)
    }
}
