import Foundation

/// Who has dealt with whom, for the code that tells a message to a stranger from service — the
/// spam detector (Spam.swift) and the anomaly layer's stranger-message features
/// (StrangerMessages.swift) read it the same way.
///
/// Two accounts have dealt with each other when the recipient bought from (or carted from) the
/// sender, the sender bought from the recipient, the recipient follows or watched the sender
/// live (at any time), or the recipient wrote to the sender earlier. The first three come from
/// the whole store at once (`dealt`); the last is a matter of time, so `forEachMessage` walks the
/// messages in time order and keeps track of who has written to whom so far. The sender's own
/// earlier messages make no acquaintance: a stranger written to again, unanswered, is still a
/// stranger (s54: with them counted, a spammer that sends each stranger every lure it has in
/// turn — or first a greeting of its own — read as writing mostly to contacts). A reply relates
/// the two only from then on: a victim's "who is this?" does not turn the lure it answers into
/// contact (counting later replies too cleared spam whose victims answer it; review54).
///
/// Where the store does not record who bought from whom (orders without a seller) or who follows
/// whom, only earlier messages from the recipient relate two accounts.
struct Contacts {
    /// `key(buyer, seller)` of every order or add-to-cart with a seller.
    private(set) var bought = Set<UInt64>()
    /// `key(fan, target)` of every follow or live view.
    private(set) var fan = Set<UInt64>()
    /// Messages from an account to another one, as event indices in time order (ties by index).
    private(set) var messages: [Int] = []

    /// The ordered pair (a, b) as one value.
    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    /// `withText`: keep only the messages that carry a text.
    init(_ t: EventTable, withText: Bool) {
        for e in 0..<t.count where t.account[e] >= 0 {
            switch t.kind[e] {
            case .order, .addToCart:
                if t.seller[e] >= 0 { bought.insert(Self.key(t.account[e], t.seller[e])) }
            case .follow, .liveView:
                if t.target[e] >= 0 { fan.insert(Self.key(t.account[e], t.target[e])) }
            case .message:
                if t.target[e] >= 0 && t.target[e] != t.account[e] && (!withText || t.textRef[e] >= 0) { messages.append(e) }
            default: break
            }
        }
        messages.sort { (t.ts[$0], $0) < (t.ts[$1], $1) }
    }

    /// Whether the sender `s` and the recipient `r` dealt with each other outside messages: `r`
    /// bought or carted from `s`, `s` bought or carted from `r`, or `r` follows or watched `s` live.
    @inline(__always) func dealt(_ s: Int32, _ r: Int32) -> Bool {
        bought.contains(Self.key(r, s)) || bought.contains(Self.key(s, r)) || fan.contains(Self.key(r, s))
    }

    /// Walks `messages` in time order: `body(m, e, first, related)` with `m` the index in
    /// `messages`, `e` the event, `first` whether it is the sender's first message to this
    /// recipient, and `related` whether the two had dealt with each other by then (`dealt`, or the
    /// recipient wrote to the sender earlier — not the sender's own earlier messages).
    func forEachMessage(_ t: EventTable, _ body: (_ m: Int, _ e: Int, _ first: Bool, _ related: Bool) throws -> Void) rethrows {
        var talked = Set<UInt64>()
        for (m, e) in messages.enumerated() {
            let s = t.account[e], r = t.target[e]
            let first = talked.insert(Self.key(s, r)).inserted
            let related = talked.contains(Self.key(r, s)) || dealt(s, r)
            try body(m, e, first, related)
        }
    }
}
