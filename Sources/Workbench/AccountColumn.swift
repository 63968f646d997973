import RiskStore

/// Which column of a SQL result holds account ids: only such a column may open an account
/// (Enter) or make a review batch (`b`). A column qualifies by its name — `account_id`,
/// `account`, `buyer_account_id`, `accountId` — never by being the first number: a count
/// named `accounts` or `n_accounts` holds counts, not ids.
public enum AccountColumn {
    /// What the status line says when no column qualifies.
    public static let none = "no account column in this result: Enter and b need a column of account ids (name it account_id)"

    /// True when a column of this name holds account ids.
    public static func names(_ column: String) -> Bool {
        // Split camelCase and separators into lower-case words.
        var words: [String] = []
        var word = ""
        var previous: Character = " "
        for c in column {
            if c.isLetter || c.isNumber {
                if c.isUppercase, !word.isEmpty, previous.isLowercase { words.append(word); word = "" }
                word.append(Character(c.lowercased()))
            } else if !word.isEmpty { words.append(word); word = "" }
            previous = c
        }
        if !word.isEmpty { words.append(word) }
        if words.last == "accountid" { return true }
        if words.last == "id" { words.removeLast() }
        return words.last == "account"
    }

    /// True when the values read so far can be account ids: text or whole numbers, not
    /// fractions (a ratio in a column named `account` is not an id). NULLs don't count.
    public static func values(_ rows: [[SQLValue]], column: Int) -> Bool {
        for r in rows where r.indices.contains(column) {
            if case .double = r[column] { return false }
            if case .blob = r[column] { return false }
        }
        return true
    }

    /// The column to use: the current one if it holds account ids, else the first that does.
    public static func pick(columns: [String], rows: [[SQLValue]], current: Int) -> Int? {
        func ok(_ i: Int) -> Bool { names(columns[i]) && values(rows, column: i) }
        if columns.indices.contains(current), ok(current) { return current }
        return columns.indices.first(where: ok)
    }
}
