import Assets
import TerminalKit

extension ThemeLibrary {
    /// The themes of a catalog: built-in, then the user's, then the project's, by name.
    public init(catalog: AssetCatalog) {
        self.init(catalog.resolve(.themes).assets.map { Entry(name: $0.name, text: $0.text, path: $0.path) })
    }

    /// Only the themes compiled into the binary.
    public static var builtIn: ThemeLibrary { ThemeLibrary(catalog: .builtIn) }

    /// The theme every install has.
    public static let defaultName = "dark"
}
