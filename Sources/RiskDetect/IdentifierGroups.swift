/// Walks sorted `(identifier << 32 | account)` pairs: `body(identifier, accounts)` once per
/// identifier, with each account once (the pairs may repeat, one per event).
func forEachIdentifierGroup(_ sortedPairs: [UInt64], _ body: (_ identifier: UInt64, _ accounts: [Int32]) -> Void) {
    var i = 0
    while i < sortedPairs.count {
        let id = sortedPairs[i] >> 32
        var j = i
        var members: [Int32] = []
        while j < sortedPairs.count && sortedPairs[j] >> 32 == id {
            if j == i || sortedPairs[j] != sortedPairs[j - 1] { members.append(Int32(truncatingIfNeeded: sortedPairs[j] & 0xFFFF_FFFF)) }
            j += 1
        }
        body(id, members)
        i = j
    }
}
