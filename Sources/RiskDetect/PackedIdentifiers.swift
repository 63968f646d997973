/// Devices, payment instruments and delivery addresses numbered in one integer space, one kind
/// after another in the order a detector chooses, so one sort of `(identifier, account)` pairs
/// groups every kind at once. Identity and Refund pack them in different orders (the order fixes
/// the groups' sort order, and so their findings' order); this is the one place that knows how
/// an identifier is packed, which kind it is, whether it links, and how it reads.
struct PackedIdentifiers {
    /// `LinkBound` kinds (device, payment, address), in packing order.
    let order: [Int]
    /// The first packed number of each kind in `order`, and one past the last.
    private let starts: [Int]
    private let table: EventTable

    init(_ t: EventTable, order: [Int]) {
        precondition(Set(order).isSubset(of: [LinkBound.device, LinkBound.payment, LinkBound.address]),
                     "PackedIdentifiers packs devices, payments and addresses only")
        self.order = order
        table = t
        var s = [0]
        for k in order { s.append(s.last! + PackedIdentifiers.count(t, k)) }
        starts = s
    }

    private static func count(_ t: EventTable, _ kind: Int) -> Int {
        switch kind {
        case LinkBound.device: return t.devices.count
        case LinkBound.payment: return t.payments.count
        default: return t.addresses.count
        }
    }

    /// The packed number of identifier `id` of `kind` (which must be in `order`).
    @inline(__always) func pack(_ kind: Int, _ id: Int32) -> UInt64 {
        var i = 0
        while order[i] != kind { i += 1 }
        return UInt64(starts[i] + Int(id))
    }

    /// The kind and per-kind id of a packed number.
    @inline(__always) func unpack(_ x: UInt64) -> (kind: Int, id: Int32) {
        let v = Int(x)
        var i = 0
        while i + 1 < order.count && v >= starts[i + 1] { i += 1 }
        return (order[i], Int32(v - starts[i]))
    }

    /// Does this identifier, used by `m` accounts, link them (the run's `LinkBound`)?
    @inline(__always) func links(_ x: UInt64, accounts m: Int) -> Bool {
        let (k, id) = unpack(x)
        return table.linkBound.links(k, id, accounts: m)
    }

    /// The identifier's kind and value, as findings name them.
    func describe(_ x: UInt64) -> (kind: String, value: String) {
        let (k, id) = unpack(x)
        switch k {
        case LinkBound.device: return ("device", table.devices.string(id))
        case LinkBound.payment: return ("payment", table.payments.string(id))
        default: return ("address", table.addresses.string(id))
        }
    }
}
