import Foundation

/// A key binding as data: the keys that trigger it, the command it stands for, the words
/// help and the footer show, whether it can act now, and the group help lists it under.
/// A binding with a `name` is also a command of the `:` palette; one with no keys is a
/// palette command only. Knows nothing of what the commands do (the app's `Command` type).
public struct KeyBinding<Command> {
    public var keys: [Key]
    public var command: Command
    /// The palette's name (`groups`), nil for a key-only binding.
    public var name: String?
    /// How help shows the keys ("j k ↓ ↑"); derived from `keys` when nil.
    public var keyLabel: String?
    /// What it does, in a few words (help, palette, footer).
    public var help: String
    /// The argument it takes on the command line ("ID", "NAME [RANGE]"), for the palette.
    public var argument: String?
    /// False: declared (so it shadows the same key below it) but unable to act now.
    public var enabled: Bool
    /// Why it can't act, shown when its key is pressed while disabled.
    public var disabledReason: String?
    /// Its words in the footer's short list of hints ("open"), nil: not in the footer.
    public var hint: String?
    public var group: String

    public init(_ keys: [Key], _ command: Command, name: String? = nil, keyLabel: String? = nil, help: String,
                argument: String? = nil, enabled: Bool = true, disabledReason: String? = nil, hint: String? = nil, group: String = "") {
        self.keys = keys; self.command = command; self.name = name; self.keyLabel = keyLabel; self.help = help
        self.argument = argument; self.enabled = enabled; self.disabledReason = disabledReason; self.hint = hint; self.group = group
    }

    /// The keys as help shows them.
    public var keysText: String { keyLabel ?? keys.map(\.description).joined(separator: " ") }

    /// The binding with `enabled` set from a condition (and the reason it is off).
    public func enabled(_ on: Bool, else reason: String? = nil) -> KeyBinding {
        var b = self; b.enabled = on; if !on { b.disabledReason = reason }; return b
    }

    public func matches(_ key: Key) -> Bool { keys.contains(key) }
}

/// Bindings in layers, the focused one first (a screen, then the globals): a key goes to the
/// first layer that declares it, enabled or not — a screen's binding always shadows a
/// global one for the same key.
public struct Keymap<Command> {
    public struct Layer {
        public var name: String
        public var bindings: [KeyBinding<Command>]
        public init(_ name: String, _ bindings: [KeyBinding<Command>]) { self.name = name; self.bindings = bindings }
    }
    public enum Resolution {
        case run(KeyBinding<Command>)
        case disabled(KeyBinding<Command>)
        case unbound
    }
    public var layers: [Layer]
    public init(_ layers: [Layer]) { self.layers = layers }

    public func resolve(_ key: Key) -> Resolution {
        for layer in layers {
            if let b = layer.bindings.first(where: { $0.matches(key) }) { return b.enabled ? .run(b) : .disabled(b) }
        }
        return .unbound
    }

    /// The binding a palette name stands for (the first layer that has it).
    public func named(_ name: String) -> KeyBinding<Command>? {
        for layer in layers { if let b = layer.bindings.first(where: { $0.name == name }) { return b } }
        return nil
    }

    /// Every binding, shadowed keys removed from lower layers (what help shows).
    public var visible: [(layer: String, binding: KeyBinding<Command>)] {
        var taken = Set<Key>(), names = Set<String>()
        var out: [(String, KeyBinding<Command>)] = []
        for layer in layers {
            for var b in layer.bindings {
                if let n = b.name, names.contains(n) { b.name = nil }
                b.keys = b.keys.filter { !taken.contains($0) }
                if b.keys.isEmpty && b.name == nil { continue }
                out.append((layer.name, b))
            }
            for b in layer.bindings { taken.formUnion(b.keys); if let n = b.name { names.insert(n) } }
        }
        return out
    }

    /// The palette: named bindings, best match first for what was typed (all, in order, for "").
    public func palette(_ query: String) -> [KeyBinding<Command>] {
        let named = visible.map(\.binding).filter { $0.name != nil }
        if query.isEmpty { return named }
        return named.compactMap { b in Fuzzy.score(query, b.name!).map { (b, $0) } }
            .enumerated().sorted { ($0.element.1, -$0.offset) > ($1.element.1, -$1.offset) }.map(\.element.0)
    }

    /// The footer's hints: enabled bindings that have one, focused layer first, keys a
    /// layer above took removed (as `visible` does, without copying every binding: the
    /// footer is drawn each frame).
    public var footer: [KeyBinding<Command>] {
        var taken = Set<Key>()
        var out: [KeyBinding<Command>] = []
        for layer in layers {
            for b in layer.bindings where b.hint != nil && b.enabled {
                var b = b
                if !taken.isEmpty { b.keys = b.keys.filter { !taken.contains($0) } }
                if !b.keys.isEmpty { out.append(b) }
            }
            for b in layer.bindings { taken.formUnion(b.keys) }
        }
        return out
    }

    /// The footer line: "Enter open  ? help  …".
    public var footerText: String { footer.map { "\($0.keysText) \($0.hint!)" }.joined(separator: "  ") }
}

/// Fuzzy matching for the palette: the query's characters in order in the candidate
/// (`grp` finds `groups`); a higher score for a prefix, consecutive runs and word starts.
public enum Fuzzy {
    public static func score(_ query: String, _ candidate: String) -> Int? {
        let q = Array(query.lowercased()), c = Array(candidate.lowercased())
        guard !q.isEmpty else { return 0 }
        var qi = 0, score = 0, run = 0, last = -2
        for (i, ch) in c.enumerated() where qi < q.count {
            guard ch == q[qi] else { run = 0; continue }
            let wordStart = i == 0 || !c[i - 1].isLetter
            score += 1 + (i == last + 1 ? 2 * (run + 1) : 0) + (wordStart ? 3 : 0) + (i == qi && i == last + 1 ? 2 : 0)
            run = i == last + 1 ? run + 1 : 0
            last = i
            qi += 1
        }
        guard qi == q.count else { return nil }
        if c.starts(with: q) { score += 10 }
        if c == q { score += 20 }
        return score - (c.count - q.count) / 4
    }
}
