import Foundation

/// RFC 4180 records for the small CSV files people hand in (label files, ground truth):
/// quoted fields may hold commas, quotes and newlines; each record comes with the line it
/// starts on, so errors can name it.
public enum CSVRecords {
    /// Records with the line each starts on. A quoted field never closed is an error naming
    /// `path` and the line the record starts on.
    public static func parse(_ text: String, path: String) throws -> [(line: Int, fields: [String])] {
        var out: [(line: Int, fields: [String])] = []
        var field = "", fields: [String] = []
        var inQuotes = false, line = 1, start = 1
        var it = Array(text.unicodeScalars)[...]
        while let c = it.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if it.first == "\"" { field.unicodeScalars.append("\""); it.removeFirst() } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: inQuotes = true
            case ",": fields.append(field); field = ""
            case "\r": continue
            case "\n":
                fields.append(field); out.append((start, fields)); fields = []; field = ""
                line += 1; start = line
            default: field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw StoreError("\(path):\(start): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { fields.append(field); out.append((start, fields)) }
        return out
    }
}
