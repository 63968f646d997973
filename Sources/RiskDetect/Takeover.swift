import Foundation

/// Account takeover: on an aged account, a change of hands — a login from a device (and
/// often a country) the account never used, with or without failed logins and a password
/// reset before it — followed within hours by a change of behaviour: a new shipping
/// address, a new card, orders worth more than the owner usually spends. Each step alone is
/// ordinary (people forget passwords, travel, buy a new phone, move house); the sequence is
/// not. How ordinary each step is comes from the store itself: every anchor (a reset, or a
/// login from a new device) is scored by the surprise of the steps around it, each step
/// weighed by −log10 of how often it follows an anchor store-wide, and the total is judged
/// against the number of anchors tested (how many chance sequences that surprising the store
/// would produce).
///
/// "New" is judged against the account's whole life outside the sequence, before and after:
/// a device, card or address the owner keeps using afterwards is a new phone, a new card, a
/// move; one that appears for a few hours and never again while the owner goes on from their
/// own device is foreign. So a takeover at the very start of the data (nothing before it) is
/// still seen, and a power user's second phone is not. Orders count as a change of behaviour
/// when they are unusual for this account (a Poisson tail against its own order rate outside
/// the sequence), and "high value" when in the store's upper tail (at most 10 % of its orders
/// worth as much or more — ties at a common price are not the tail) or twice the account's
/// median, and above the account's own 90th percentile.
///
/// A change of hands need not show a new device or a login: a hijacked session carries the
/// owner's own fingerprint, so the first event from a network (address block) the account
/// never used is an anchor too; and an intruder may wait, so the sequence also holds, for 3
/// days, what the entering device or new networks did (docs/detection.md).
public struct TakeoverDetector: Detector {
    public let name = "ato"
    public var minAgeDays = 30.0
    /// Added to log10(anchors) for the bar.
    public var margin = 0.5
    /// A wave's tries on an account count once, as the wave's (`waveTries`, in the wave's part), not
    /// also as failed logins of the change of hands. Off by default (ato39): on bazaar 4302 the double
    /// count was what lifted two sleepers' entries (no order) over the bar; counted once, one of them
    /// stays under it — P@K unchanged, takeover recall@K 0.795 → 0.769 there (docs/benchmarks.md). With
    /// `sleepers` (ato40) that sleeper is found by the link, and the single count leaves bazaar 4302,
    /// 4307, 4308, 4310, 4312 identical to the link alone: it raises nothing, so still off.
    public var singleCount = false
    /// Sleepers (ato40; on since ato41): a spree on the device that entered days before carries the
    /// entry's change of hands, when that device's whole life on the account is the two bursts, the owner
    /// is seen on other devices after the spree, the entry is a stranger's (a new country, a stranger's
    /// reset, a wave) and spent nothing, the spree is that device's own spending off the owner's networks,
    /// and the gap is not beyond the store's other entry-to-spree gaps (`linkSleepers`, docs/detection.md).
    /// Review40d's honest look-alikes (a new phone in the data's last days, a partner's or work phone on
    /// its own carrier with a typo, an owner's gift beside another device's glimpse, a tablet at home)
    /// are each spared by one guard (TakeoverSleeperTests). Measured (docs/benchmarks.md "ato41"): bazaar
    /// 4300–4309 P@K 0.8404 → 0.8423, 4310–4314 up too, no look-alike tag of the look-alike world more
    /// often in the top K; second generator and ours unchanged.
    public var sleepers = true
    /// The link's guards (`linkSleepers`), each sparing one honest look-alike; tests drop one at a time
    /// to show its look-alike is linked without it (review40d #4). All on outside tests.
    enum SleeperGuard: CaseIterable { case twoBursts, ownerAfter, strangerEntry, waveTied, entrySpent, spreeSpent, offOwnNetworks }
    var sleeperGuards = Set(SleeperGuard.allCases)
    /// review41a #5 (off): the owner after the spree only from `s.at + max(72 h, the gap)` — D's absence is
    /// evidence only over a span as long as D's own gap. Off until measured (docs/detection.md "Sleepers").
    var ownerAfterGap = false
    /// The owner's new device (ato42): the device that took over is, within its footprint, used from a
    /// network the owner's other devices used before and that is private to few accounts (no more than
    /// 90 % of the store's home networks have) — the owner's home Wi-Fi, not a stranger's. Such a
    /// sequence is the owner's: no new or foreign device, its resets the owner's, no new network
    /// (`ownerNetwork`, docs/detection.md "The owner's own network").
    public var ownerNetworks = true
    /// Spread waves (session 46, `spread-waves`): credential stuffing through a residential proxy pool, a
    /// new device and network for every try, has no source to count on; the wave is the burst in time
    /// itself — many accounts' failed logins from a device and network each account never used, within
    /// `waveHours`, beyond the store's own rate of such failures (`SpreadFailures`, in `markWaves`; docs/detection.md).
    public var spreadWaves = true
    /// Entry devices (session 46, `entry-devices`): the device that took over an account — new to it, used
    /// there only briefly (`briefUse`), and it got in (a login or an action, not only failed tries) — took over
    /// other accounts the same way, and no account lives on it: one intruder's phone or emulator working through
    /// a list of victims (`markSharedEntries`, docs/detection.md). A step of the change of hands, weighed like every step.
    public var entryDevices = true
    /// s48 (`used-hands`): a change of hands is reported when the new hands used the account — an order, a
    /// new payment instrument, messages far beyond the account's own rate, a first-ever action, or a drop —
    /// within the sequence. A reset, a new phone and a new shipping address with nothing done is how an owner
    /// moves to a new phone and a new home; it is left to the anomaly layer (its `new_device_sensitive`).
    /// Across every kept world (bazaar, the second generator, ours) no takeover with a finding lacked a use;
    /// on bazaar 4300–4309, 71 innocents of the top K had a takeover finding with none. `detect --no-sign used-hands`.
    public var usedHands = true
    /// Entry victims (session 52, `entry-victims`): the other accounts a reported entry device used, briefly and
    /// spending from it, are reported too (`victims`, docs/detection.md). On: measured on 43 worlds and bazaar at
    /// 100k, every set's P@K mean and worst up or equal (docs/benchmarks.md "victims52"). `detect --no-sign entry-victims`.
    public var entryVictims = true
    /// s61 (`novel-orders`): a first-ever activity of a kind the contract does not name (an email or profile change)
    /// counts beside an order the intruder placed (from a device the account had not used, the device that took over
    /// being brief), not only beside a break in spending. A phished account drained into gift cards on its owner's card and
    /// address shows a stranger's device and network, a first-ever email change, and one ordinary order: no break in
    /// spending, so the change of the account itself was dropped and one part (the change of hands) could not clear the
    /// bar. Its weight is still its rarity among the stranger sessions that could show it and spent as this one did.
    /// On since s61: measured on 43 worlds, every set's P@K mean and worst up or equal, no look-alike tag up
    /// (docs/benchmarks.md "novel61"). `detect --no-sign novel-orders`.
    public var novelBesideOrders = true
    /// s64 (`sitting-strays`): in the sleeper link's "off the owner's networks", an event without a device amid the
    /// entering device's spree (from 30 minutes before its first event in the spree's sitting to 30 minutes after
    /// its last; review64 #6: the whole 26-hour sitting was wider than the case) is not the owner's: it is the
    /// spree's own (a request whose fingerprint the store did not log, on the network the intruder spends from). Before, one such
    /// view on the spree's /24 made that /24 the owner's and the link failed (bazaar 4302: a wave victim's spree from
    /// the wave's device, six orders 3.9 days after the entry). A device-less event outside the sitting still counts
    /// (a tablet at home is on the owner's network). `detect --no-sign sitting-strays`.
    public var sittingStrays = true
    /// The entry device's guard (tests switch it off to show the household laptop it spares): no account lives on it.
    var entryDevicesUnlived = true
    /// Only private networks count as the owner's (tests switch it off to show a shared carrier block must not).
    var ownerNetworksPrivateOnly = true
    /// Gets each anchor's steps, surprise and the bar (the executable sets it from RISKDESK_DEBUG).
    public var debugLog: (@Sendable (String) -> Void)?
    public init(debugLog: (@Sendable (String) -> Void)? = nil) { self.debugLog = debugLog }

    /// What happened around one anchor.
    struct Sequence {
        var account: Int32
        var at: Int64
        var age: Double
        var reset = false, fails = 0, newDevice = false, newCountry = false, newAddress = false
        var newPayment = false, orders = 0, high = false
        var sessionOrders = 0             // of them, the intruder's own: from a device the account had not used before, on the anchor's network or the device that took over
        var ownerBack = false             // within 3 days, a failed login or reset from a device known before: the owner locked out
        var ownerBackOnDevice = false     // ... from another device (not only from the session's own device on the owner's network)
        var foreignDevice = false         // the login device is used only in this sequence, the account's later life on others
        var resetByOwner = false          // every reset in the sequence came from a device the account used before
        var ordersUnusual = false, ordersRare = false   // orders beyond the account's own rate: tail < 5 %, < 0.1 %
        var newNetwork = false            // the new device's address block (/24, /48) is one the owner's own life never used
        var netAnchor = false             // anchored on a session from a network new to the account (any device, login or not)
        var anchorLogin = false           // the anchor event is a login
        var behaviourAnchor = false       // anchored on a change of the account itself (a shipping address first used here), no change of hands needed
        var messages = 0                  // accounts messaged in the footprint
        var messagesUnusual = false       // 3+ of them, far beyond the account's own rate of messages: tail < 0.1 %
        var novelActivity = false         // in the footprint, an event of a type the contract does not name that the owner's own life never did
        var novelTypes: [String] = []
        var novelIDs: [UInt16] = []       // their type ids (`EventTable.type`)
        var novelRows: [Int64] = []       // the row of each one's first event (its evidence)
        var rawNovelIDs: [UInt16] = []    // the same from a stranger's session, spending or not (for the type's base rate)
        var strangerSession = false       // a device used at no other time, or a network the owner's own life never used
        var ownTypeIDs: [UInt16] = []     // unnamed types the owner's own life did (no first-ever of them is possible)
        var device: Int32 = -1, country: Int32 = -1
        var evidence: [Int64] = []
        var footAddresses: [Int32] = []   // shipping addresses new to the account in the footprint
        var footPayments: [Int32] = []    // payment instruments new to the account in the footprint
        var drop = false                  // one of them is a drop: other accounts' changes of hands first used it too, beyond its share
        var dropAccounts = 0              // how many other accounts
        var drain = false                 // 2+ orders beyond the account's own rate, worth more in one currency than the owner's own spend on any day
        var wave = false                  // a credential-stuffing wave hit the account just before (or as) it changed hands
        var waveAccounts = 0              // how many accounts that wave's source failed on within hours
        var waveSpread = false            // the wave counted is a spread one: no common source, a burst in time (`spreadWaves`)
        var deviceGone = false            // the login device is new and used at no other time on the account (before or after; later life or not)
        var deviceBursts = false          // the login device is new and its whole life on the account is at most two brief bursts (`briefUse`)
        /// The device that got in is a stranger's, not one the owner goes on living on: used on the account at no other
        /// time, or only in two bursts (a sleeper's entry and spree).
        var deviceBrief: Bool { deviceGone || deviceBursts }
        /// The new hands used the account (`usedHands`): an order, a new payment instrument, messages far
        /// beyond its rate, a first-ever action, or a drop.
        var used: Bool { orders > 0 || newPayment || messagesUnusual || novelActivity || drop }
        var deviceEntered = false         // the device that took over got in: a successful login or an action of its own, not only failed tries
        var sharedEntry = false           // that device, brief and entered here, took over other accounts the same way (`entryDevices`)
        var sharedEntryAccounts = 0       // how many other accounts
        var strangerLogin = false         // a successful login in the anchor's 2 hours from a device the account had not used
        var deviceIn = false              // the device that took over logged in successfully in the anchor's 2 hours
        var waveDevice = false            // the device that took over is a wave's own (its earlier use on the account: the wave's failures)
        var failEvents: [Int32] = []      // the failed logins in the 2 hours before the anchor (event indices)
        var waveFails = 0                 // of them, a wave's tries (from a wave's source that hit the account): the wave's evidence, not `fails`
        var anchorDevice: Int32 = -1      // the anchor event's own device (`device` is the one that took over)
        var entryGapHours: Double? = nil  // a sleeper's spree: hours since the entry whose change of hands it carries (`linkSleepers`)
        var resetDevices: [Int32] = []    // the devices of the sequence's resets
        var waveHitGap: Int64 = .max       // ms between the anchor and the nearest wave hit on the account that `wave` counted
        var ownerNetwork = false          // the device that took over was used, in its footprint, on the owner's own private network (`ownerNetworks`)
        /// A change of behaviour that a sleeper's entry waits for: money or goods moved, or the contacts written to.
        var spree: Bool { newAddress || newPayment || ordersUnusual || high || drain || messagesUnusual }
        /// The entry's change of hands is a stranger's, not only a device new to the account: a new country,
        /// a reset from a device the owner never used, a wave. Not a network the owner's own devices never
        /// used, nor a failed login (review40d #2): a partner's or a child's phone on its own carrier's /24,
        /// a work phone on the office's, and the owner's own typo show those at ordinary rates. A wave counts
        /// only as the entry's own (`waveEntry`).
        var strangerEntry: Bool { newCountry || (reset && !resetByOwner) || waveEntry }
        /// The wave is the entry's own (review41a #2): the entering device is one of the wave's failing
        /// devices, or the wave's hit on the account is within `waveHours` of the entry. A bystander whose
        /// new phone logs in the day after a wave tried the account (bazaar 4404: 14 h) is not a stranger's entry.
        var waveEntry: Bool { wave && waveTied }
        var waveTied: Bool { waveDevice || waveHitGap <= Int64(TakeoverDetector.waveHours * 3_600_000) }

        static let stepNames = ["reset", "fails3+", "fails1-2", "newDevice", "foreignDevice", "newCountry", "newAddress", "newPayment",
                                "ordersUnusual", "ordersRare", "high", "ownerBack", "newNetwork", "messagesUnusual", "drop", "drain", "wave", "waveTries",
                                "sharedEntry"]

        var steps: [Bool] { [reset, fails >= 3, fails >= 1 && fails < 3, newDevice, foreignDevice, newCountry, newAddress, newPayment,
                             ordersUnusual, ordersRare, high, ownerBack, newNetwork, messagesUnusual, drop, drain, wave,
                             waveTries, sharedEntry] }
        /// The wave's own tries on the account in the 2 hours before the anchor, with the wave carried:
        /// the failures' evidence, in the wave's part (not also `fails` in the change of hands).
        var waveTries: Bool { wave && waveFails >= 1 }
        /// The account changed hands (a new or foreign device, a reset from a device the owner
        /// never used, a session from a network the owner's own life never used).
        var handsChanged: Bool { newDevice || (reset && !resetByOwner) || foreignDevice || (netAnchor && newNetwork) }
        /// The steps as bits, in the order of `steps`.
        var mask: UInt32 { steps.enumerated().reduce(0) { $1.element ? $0 | 1 << UInt32($1.offset) : $0 } }
    }

    /// The rarity of a combination of steps among ordinary anchors, in three parts: the change
    /// of hands (reset, failed logins, new / foreign device, new country, new network), what
    /// was done with the account's money and goods (new address, new card, unusual / rare /
    /// expensive orders), and what was done to the account itself and its contacts (activity
    /// of kinds the contract does not name — profile updates, transfers — and messages, both
    /// far beyond the account's own rate; the owner locked out). Each part's surprise is
    /// −log10 of the smoothed share of anchors showing at least those steps, so a step that
    /// always comes with another adds nothing, and more steps never make an anchor less surprising.
    struct JointRarity {
        static let hands: UInt32 = 0b0001_0000_0011_1111 | 1 << 18   // reset, fails3+, fails1-2, newDevice, foreignDevice, newCountry, newNetwork, sharedEntry
        static let spend: UInt32 = 0b1100_1111_1100_0000      // newAddress, newPayment, ordersUnusual, ordersRare, high, ownerBack, drop, drain
        static let control: UInt32 = 1 << 13                   // messagesUnusual (a first-ever activity: `novelty`)
        /// A stuffing wave that hit the account: whether its password was on a list tried against the
        /// store is taken as independent of how its owner changes devices and networks (ordinary
        /// anchors), so it is a part of its own — beside a change of hands, not one more sign of it.
        /// With it, the wave's tries in the 2 hours before the anchor (`waveTries`): the failures that
        /// tie the wave to this change of hands, weighed here once — by the share of ordinary anchors
        /// showing them — and not as failed logins of the change of hands.
        static let credential: UInt32 = 1 << 16 | 1 << 17
        /// How many parts' most the strength span covers (`strength`): two of the four the joint rarity sums
        /// (the change of hands, the spending, the account's control, the credential / wave).
        static let spanParts = 2
        static let behaviour: UInt32 = spend | control
        private var memo: [UInt32: Double] = [:]

        init(_ pool: [UInt32]) {
            // Every pattern a part can take is looked up; at most 2^7 + 2^8 + 2 + 4.
            var memo: [UInt32: Double] = [:]
            var counts: [UInt32: Int] = [:]
            for m in pool { counts[m, default: 0] += 1 }
            let n = Double(pool.count)
            func rarity(_ key: UInt32) -> Double {
                if key == 0 { return 0 }
                var c = 0
                for (m, k) in counts where m & key == key { c += k }
                return -log10((Double(c) + 1) / (n + 2))
            }
            for half in [Self.hands, Self.spend, Self.control, Self.credential] {
                var sub: UInt32 = half
                while true {
                    memo[sub] = rarity(sub)
                    if sub == 0 { break }
                    sub = (sub - 1) & half
                }
            }
            self.memo = memo
        }

        func surprise(_ mask: UInt32) -> Double {
            (memo[mask & Self.hands] ?? 0) + (memo[mask & Self.spend] ?? 0) + (memo[mask & Self.control] ?? 0)
                + (memo[mask & Self.credential] ?? 0)
        }

        /// With a first-ever activity of a kind the contract does not name: the control part is the
        /// rarer of the messages' pattern and, for the rarest such type, the share of ordinary
        /// anchors that could show one (a stranger's session, the type never done by the owner)
        /// with a first-ever activity of that type *among those that spent as this one did* (the
        /// same spending steps, and messages if any) — shrunk to its share among all of them where
        /// few spent that way (a pseudo-count of 10). An owner's first search comes with their
        /// shopping; the estimate sees that, so it does not count twice. The base counts every
        /// such anchor, spending or not (`rawNovelIDs`): the spenders are few among the ordinary.
        func surprise(_ mask: UInt32, novel: [UInt16], pool: [Sequence], memo novelMemo: inout [UInt64: Double]) -> Double {
            let base = surprise(mask)
            guard !novel.isEmpty else { return base }
            let given = mask & (Self.spend | Self.control)
            var best = memo[mask & Self.control] ?? 0
            for ty in novel {
                let key = UInt64(given) << 32 | UInt64(ty)
                let r: Double
                if let m = novelMemo[key] { r = m } else {
                    var with = 0, eligible = 0, givenAll = 0, givenWith = 0
                    let ctl = mask & Self.control
                    for p in pool where Eligible.eligible(p, ty) {
                        eligible += 1
                        let has = p.rawNovelIDs.contains(ty)
                        if has && p.mask & ctl == ctl { with += 1 }
                        if p.mask & given == given { givenAll += 1; if has { givenWith += 1 } }
                    }
                    let marginal = (Double(with) + 1) / (Double(eligible) + 2)
                    let alpha = 10.0
                    r = -log10((Double(givenWith) + alpha * marginal) / (Double(givenAll) + alpha))
                    novelMemo[key] = r
                }
                best = max(best, r)
            }
            return base - (memo[mask & Self.control] ?? 0) + best
        }
    }

    public func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] {
        // Order amounts, for "high value": a value in the store's upper tail — at most 10 % of
        // the store's orders are worth that much or more. Ties count at their own frequency: where
        // most orders are at one common price, that price is the bulk, not the tail (a plain 90th
        // percentile would be the common price, and every ordinary order "high").
        // Amounts are compared within their currency only (an order in yen is not "worth more" than
        // one in euros): one tail per currency code the events carry, absent codes one more.
        let currencied = t.currency.count == t.count
        var amountsBy = [[Float]](repeating: [], count: 256)
        for e in 0..<t.count where t.kind[e] == .order && !t.amount[e].isNaN {
            amountsBy[currencied ? Int(t.currency[e]) : 255].append(t.amount[e])
        }
        // Above this, at most n / 10 of the currency's orders are at or above the value.
        let tailFloor: [Float] = amountsBy.map { a in
            let amounts = a.sorted()
            return amounts.isEmpty ? Float.infinity : amounts[amounts.count - amounts.count / 10 - 1]
        }
        // Each IP's address block (/24, /48), interned: the network a device logs in from.
        var blockIDs: [String: Int32] = [:]
        var ipBlock = [Int32](repeating: -1, count: t.ips.count)
        for i in 0..<t.ips.count {
            let b = ScalperDetector.block(t.ips.string(Int32(i)))
            if let id = blockIDs[b] { ipBlock[i] = id } else { ipBlock[i] = Int32(blockIDs.count); blockIDs[b] = ipBlock[i] }
        }
        let privateBlock = ownerNetworks ? Self.privateBlocks(t, ipBlock: ipBlock, blocks: blockIDs.count, privateOnly: ownerNetworksPrivateOnly, debugLog: debugLog) : []
        let habits = novelBesideOrders ? Self.habitTypes(t) : []
        var seqs: [Sequence] = []
        for a in 0..<t.accountCount {
            if a & 0x3FFF == 0 { try cancel.check() }
            seqs += anchors(t, a, tailFloor: tailFloor, ipBlock: ipBlock, privateBlock: privateBlock, habits: habits)
        }
        guard !seqs.isEmpty else { return [] }
        markWaves(&seqs, t, ipBlock: ipBlock, blocks: blockIDs.count)
        if entryDevices { markSharedEntries(&seqs, t) }
        // Before the drops (review40d #6): a spree that changed hands only through the link has its new
        // address or card among the drop candidates too. The link reads no drop; the drops read `handsChanged`.
        if sleepers { linkSleepers(&seqs, t, ipBlock: ipBlock) }
        markDrops(&seqs, t)
        // How often each step follows an anchor in this store (smoothed) — among the anchors
        // that are not themselves takeovers: a first pass over every anchor finds the loud
        // ones, and the rates are estimated again without them (a store where takeovers are
        // common must not make their steps look ordinary). Steps that are one observation at two
        // strengths count once there (`Marginals`).
        func weights(skipping skip: [Bool]) -> Marginals {
            Marginals(seqs.indices.filter { !skip[$0] }.map { seqs[$0] })
        }
        // A sequence is worth reporting when the store would produce fewer than about one
        // that surprising by chance (a margin for steps that come together, like travel).
        let bar = log10(Double(seqs.count)) + margin
        // Anchors on a change of the account itself (a first-used address) are tested, counted in
        // the bar, but set no rates: they are chosen for a behaviour step (a mover's new home and
        // first order there), and pooling them would make the spending of every change of hands
        // look ordinary.
        let first = weights(skipping: seqs.map(\.behaviourAnchor))
        // (Trimmed by the rarity alone: a young account's discount is a prior on the account, not on
        // how ordinary its steps are — a young crew's drop sequences left in the pool made the
        // same steps of older victims look ordinary.)
        let weight = weights(skipping: seqs.map { $0.behaviourAnchor || excess($0, first, bar, young: false) != nil })
        // Steps come together (a trip brings a new device, network and country; a shopping
        // day brings orders unusual, rare and expensive at once), so their rarities do not
        // add up. The surprise is the rarity of the combination instead, in two halves taken
        // as independent — how the account changed hands, and what was done with it: how
        // many of the store's ordinary anchors (those the marginal weights above leave
        // unflagged) show at least these steps of that half.
        let ordinaryIdx = seqs.indices.filter { !seqs[$0].behaviourAnchor && excess(seqs[$0], weight, bar, young: false) == nil }
        let ordinary = ordinaryIdx.map { seqs[$0].mask }
        let joint = JointRarity(ordinary)
        let novelPool = ordinaryIdx.map { seqs[$0] }
        var novelMemo: [UInt64: Double] = [:]
        func jointSurprise(_ s: Sequence) -> Double {
            s.novelIDs.isEmpty ? joint.surprise(s.mask) : joint.surprise(s.mask, novel: s.novelIDs, pool: novelPool, memo: &novelMemo)
        }
        // The most a part can show here: unseen among the ordinary anchors, log10(ordinary + 2).
        // Strength spans 0.6 (at the bar) to 0.97 (two such parts, or 10^4 beyond the bar: `strength`).
        let partMost = log10(Double(ordinary.count) + 2)
        if let debugLog {
            let names = Sequence.stepNames
            debugLog("ato: anchors \(seqs.count) bar \(String(format: "%.2f", bar)) weights " + zip(names, weight.steps).map { "\($0)=\(String(format: "%.2f", $1))" }.joined(separator: " "))
            for s in seqs {
                let sur = weight.surprise(s)
                debugLog("ato seq: \(t.accountID(s.account)) at \(s.at) age \(Int(s.age)) surprise \(String(format: "%.2f", sur)) joint \(String(format: "%.2f", jointSurprise(s))) orders \(s.orders) waveFails \(s.waveFails) resetByOwner \(s.resetByOwner) net \(s.netAnchor) beh \(s.behaviourAnchor) \(s.entryGapHours.map { "entryGap \(Int($0)) " } ?? "")\(s.ownerNetwork ? "ownerNetwork " : "")steps " + zip(names, s.steps).filter { $0.1 }.map(\.0).joined(separator: ",") + (s.novelTypes.isEmpty ? "" : " novel " + s.novelTypes.joined(separator: ",")))
            }
        }
        var best: [Int32: (Double, Sequence)] = [:]
        for s in seqs {
            // The owner's own device (`ownerNetworks`) is not reported. Its sequence stays an anchor as it was
            // (counted in the bar; among the ordinary anchors setting the rates unless loud, like any other).
            if s.ownerNetwork { continue }
            // A change of hands nothing was done with is not reported (`usedHands`): no need of its rarity.
            if usedHands && !s.used { continue }
            guard let excess = excess(s, surprise: jointSurprise(s), bar) else { continue }
            let strength = Self.strength(excess: excess, partMost: partMost, bar: bar)
            if strength > (best[s.account]?.0 ?? 0) { best[s.account] = (strength, s) }
        }
        var findings: [Finding] = []
        for (a, (strength, s)) in best.sorted(by: { $0.key < $1.key }) {
            var steps: [String] = []
            if s.fails > 0 { steps.append("\(s.fails) failed login(s)") }
            if s.waveFails > 0 { steps.append("\(s.waveFails) failed login(s) from a credential-stuffing wave's source") }
            if s.reset { steps.append("a password reset") }
            if s.newDevice || s.foreignDevice {
                steps.append(!s.newDevice ? "login from a device the account used at no other time"
                             : s.foreignDevice ? "login from a never-seen device, used at no other time" : "login from a never-seen device")
            }
            if s.netAnchor && !s.newDevice && !s.foreignDevice && !s.reset && s.fails + s.waveFails == 0 {
                steps.append(s.anchorLogin ? "a login on a network new to the account" : "a session with no login, on a network new to the account")
            }
            if s.newNetwork { steps.append("from an address block the owner never used") }
            if !s.handsChanged { steps.append("no new device, network or reset: on the owner's own device and network") }
            if s.newCountry && s.country >= 0 { steps.append("in a new country (\(t.countries.string(s.country)))") }
            if s.newAddress { steps.append("shipping address changed") }
            if s.newPayment { steps.append("a new payment instrument") }
            if s.sharedEntry { steps.append("the device that got in took over \(s.sharedEntryAccounts) other account(s) the same way (used on each only briefly, no account living on it)") }
            if s.drop { steps.append("to an address or instrument that \(s.dropAccounts) other account(s) also first used after a change of hands (a drop)") }
            if s.orders > 0 { steps.append("\(s.orders) order(s)\(s.high ? ", high value" : "")\(s.drain ? ", worth more than the owner spent on any day" : "")") }
            if s.messagesUnusual { steps.append("messages to \(s.messages) accounts, far beyond its own rate") }
            if s.novelActivity { steps.append("a first-ever \(s.novelTypes.joined(separator: ", ")) (never done by the owner)") }
            if s.ownerBack { steps.append("then the owner's own device failed to log in or reset the password") }
            if let g = s.entryGapHours {
                steps.append("the spree \(String(format: "%.1f", g / 24)) days after the entry, from the device that entered (used on the account at no other time)")
            }
            if s.wave {
                steps.append(s.waveSpread
                    ? "hours after a credential-stuffing wave hit it (failed logins on \(s.waveAccounts) accounts within \(Int(Self.waveHours)) hours, each from a device and network new to the account, beyond the store's rate)"
                    : "hours after a credential-stuffing wave hit it (one source failed logins on \(s.waveAccounts) accounts within \(Int(Self.waveHours)) hours)")
            }
            let why = "on a \(Int(s.age))-day-old account within hours: " + steps.joined(separator: ", ")
            var ids: [(kind: String, value: String)] = []
            if (s.newDevice || s.foreignDevice) && s.device >= 0 { ids.append(("device", t.devices.string(s.device))) }
            findings.append(Finding(account: a, detector: name, riskType: .ato, strength: strength, reason: why,
                                    events: Array(Set(s.evidence)).sorted(), identifiers: ids))
        }
        if entryDevices && entryVictims { findings += victims(t, best: best) }
        return findings
    }

    /// Victims of a reported entry device (`entry-victims`, session 52; with `entryDevices` only). A device that two or more reported
    /// takeovers name as the device that got in — new to each, used there only briefly — is one intruder's, and
    /// an analyst's next question is which other accounts it touched. Each account it used (an action or a
    /// successful login, not only failed tries), briefly, that spent or changed something from it (an order, a
    /// payment, a shipping address, a message), first within the takers' entries' span widened by as long again
    /// (a day at least), on an account at least `minAgeDays` old, and that no sequence of its own reported, is
    /// reported as taken over by it (one device per account: the strongest, the lower device id on a tie). No account may
    /// live on the device (`briefUse` on every account that used it), as for `entryDevices`: a household's
    /// laptop, the everyday device of one member, is no intruder's. This finds the victims whose own life shows no
    /// change of hands — above all accounts with nothing in the data before the intrusion (no owner's device to
    /// be new against). Strength: the median of the takers' strengths × k / (k + 1), k takers (the more accounts
    /// the device took over, the less a chance shared device can explain them).
    func victims(_ t: EventTable, best: [Int32: (Double, Sequence)]) -> [Finding] {
        var takers: [Int32: [Double]] = [:]
        var span: [Int32: (first: Int64, last: Int64)] = [:]
        for (_, (strength, s)) in best where s.device >= 0 && (s.newDevice || s.foreignDevice) && s.deviceBrief && s.deviceEntered {
            takers[s.device, default: []].append(strength)
            let sp = span[s.device] ?? (s.at, s.at)
            span[s.device] = (min(sp.first, s.at), max(sp.last, s.at))
        }
        takers = takers.filter { $0.value.count >= 2 }
        guard !takers.isEmpty else { return [] }
        struct Use { var times: [Int64] = []; var events: [Int64] = []; var spent = false }
        var lived = Set<Int32>()
        var candidates: [(account: Int32, device: Int32, use: Use)] = []
        var uses: [Int32: Use] = [:]
        for a in 0..<t.accountCount {
            uses.removeAll(keepingCapacity: true)
            for e32 in t.events(of: a) {
                let e = Int(e32), d = t.device[e]
                guard d >= 0, takers[d] != nil, !(t.kind[e] == .login && t.failed[e]) else { continue }
                var u = uses[d] ?? Use()
                u.times.append(t.ts[e])
                u.events.append(t.rowid[e])
                switch t.kind[e] {
                case .order, .payment, .addressChange, .message: u.spent = true
                default: break
                }
                uses[d] = u
            }
            for (d, u) in uses.sorted(by: { $0.key < $1.key }) {
                if !Self.briefUse(u.times) { lived.insert(d); continue }
                guard best[Int32(a)] == nil, u.spent, let first = u.times.first,
                      (t.ageDays(a, at: first) ?? 0) >= minAgeDays else { continue }
                // Within the device's own working time: its takers' entries, widened by as long again (a day at least).
                let sp = span[d]!, pad = max(sp.last - sp.first, 86_400_000)
                guard first >= sp.first - pad && first <= sp.last + pad else { continue }
                candidates.append((Int32(a), d, u))
            }
        }
        var out: [Int32: Finding] = [:]
        for c in candidates where !entryDevicesUnlived || !lived.contains(c.device) {
            let strengths = takers[c.device]!, k = strengths.count
            let strength = Stat.median(strengths) * Double(k) / Double(k + 1)
            guard strength > (out[c.account]?.strength ?? 0) else { continue }
            let why = "on a \(Int(t.ageDays(Int(c.account), at: c.use.times[0]) ?? 0))-day-old account: used briefly from a device that took over \(k) other account(s) (reported: new to each, used there only briefly, no account living on it)"
            out[c.account] = Finding(account: c.account, detector: name, riskType: .ato, strength: strength, reason: why,
                                     events: c.use.events.sorted(), identifiers: [("device", t.devices.string(c.device))])
        }
        return out.keys.sorted().map { out[$0]! }
    }

    /// The strength of a sequence `excess` beyond the bar: 0.6 at the bar, rising linearly to 0.97
    /// at `spanParts` × `partMost` − bar beyond the bar (`partMost` = log10(ordinary + 2): two parts
    /// each unseen among the ordinary anchors) or at 10^4 beyond it, whichever is less (and at
    /// least 0.5 beyond it). One span for the whole store, so strength only grows with evidence (ato39
    /// scaled each sequence by its own part count, and review39a found a common step in a new
    /// part then lowered a strong sequence's strength). Two parts, not the four the joint rarity
    /// has: a span of four lowered every takeover's strength in small stores against the other
    /// detectors' scales (CLIDetectTests, seed 202: takeovers' recall at K 0.6); in small stores a
    /// sequence with steps in three or four parts can reach 0.97 before all it could show. At
    /// 20k accounts the cap of 4 binds either way.
    static func strength(excess: Double, partMost: Double, bar: Double) -> Double {
        let top = min(4, max(0.5, Double(JointRarity.spanParts) * partMost - bar))
        return min(0.97, 0.6 + 0.37 * Stat.ramp(excess, 0, top))
    }

    /// How far an anchor's surprise clears the bar (nil: it does not, or it is no takeover).
    func excess(_ s: Sequence, _ weight: Marginals, _ bar: Double, young: Bool = true) -> Double? {
        excess(s, surprise: weight.surprise(s), bar, young: young)
    }

    /// How many anchors could show a first-ever activity of each type: a stranger's session on
    /// an account whose own life never did that type. A type most owners do (a search) has few
    /// such anchors, and one first-ever among them is not rare; one few owners do (a profile
    /// update) has nearly all of them.
    struct Eligible {
        var strangers = 0
        var own: [UInt16: Int] = [:]
        mutating func add(_ s: Sequence) {
            guard s.strangerSession else { return }
            strangers += 1
            for ty in s.ownTypeIDs { own[ty, default: 0] += 1 }
        }
        func count(_ ty: UInt16) -> Int { strangers - (own[ty] ?? 0) }
        static func eligible(_ s: Sequence, _ ty: UInt16) -> Bool { s.strangerSession && !s.ownTypeIDs.contains(ty) }
    }

    /// Each step's rarity among a set of anchors, −log10((hits + 1)/(anchors + 2)), and each
    /// unnamed event type's as a first-ever activity in a stranger's session (spending or not):
    /// the first, marginal look that decides which anchors are ordinary. Steps that are one
    /// observation at two strengths (orders unusual / rare for the account, failed logins 1–2 /
    /// 3+, a device new / used at no other time) count once, at the stronger: summing them
    /// made one shopping day look like two independent pieces of evidence.
    struct Marginals {
        /// Indices into `Sequence.steps` that are one observation at two strengths.
        static let overlapping: [[Int]] = [[1, 2, 16, 17], [3, 4], [8, 9, 15]]
        let steps: [Double]
        let typeHits: [UInt16: Int]
        let eligible: Eligible

        init(_ pool: [Sequence]) {
            // Sized by the steps every sequence has, not by the pool's first: trimming can leave the
            // pool empty (a tiny store whose every anchor clears the bar), and `surprise` indexes all.
            var hits = [Int](repeating: 0, count: Sequence(account: 0, at: 0, age: 0).steps.count)
            var typeHits: [UInt16: Int] = [:]
            var eligible = Eligible()
            for s in pool {
                for (k, on) in s.steps.enumerated() where on { hits[k] += 1 }
                for ty in s.rawNovelIDs { typeHits[ty, default: 0] += 1 }
                eligible.add(s)
            }
            let n = Double(pool.count)
            steps = hits.map { -log10((Double($0) + 1) / (n + 2)) }
            self.typeHits = typeHits
            self.eligible = eligible
        }

        /// The rarity of a first-ever `ty` among the anchors that could show one (a stranger's
        /// session on an account whose own life never did it): −log10((hits + 1)/(eligible + 2)).
        func novelRarity(_ ty: UInt16) -> Double {
            -log10((Double(typeHits[ty] ?? 0) + 1) / (Double(eligible.count(ty)) + 2))
        }

        /// The summed rarities of the anchor's steps, overlapping ones once, and of its rarest
        /// first-ever activity.
        func surprise(_ s: Sequence) -> Double {
            let on = s.steps
            var counted = on
            var sum = 0.0
            for group in Self.overlapping {
                sum += group.filter { on[$0] }.map { steps[$0] }.max() ?? 0
                for k in group { counted[k] = false }
            }
            for (k, x) in counted.enumerated() where x { sum += steps[k] }
            return sum + (s.novelIDs.map(novelRarity).max() ?? 0)
        }
    }

    /// `young`: weigh the surprise down on accounts younger than `minAgeDays` (the decision);
    /// without it, only how rare the steps are (which anchors are ordinary).
    func excess(_ s: Sequence, surprise sum: Double, _ bar: Double, young: Bool = true) -> Double? {
        var surprise = sum
        // Without a change of hands (a new or foreign device, or a reset) only a break in both
        // parts of behaviour counts — what is bought and where it goes, and what is done to the
        // account itself (a hijack on the owner's own device and network leaves nothing else).
        // A reset from the owner's own device is the owner.
        let mask = s.mask
        // Only where the account itself was changed (a first-used address): a reset from the
        // owner's own phone followed by shopping is the owner.
        // (A first-ever activity does not count here: a mover updates the profile, a gift goes to a
        // new address, and an owner's first search comes with either.)
        guard s.handsChanged || (s.behaviourAnchor && mask & JointRarity.spend != 0 && s.messagesUnusual) else { return nil }
        // A change of behaviour is what makes it a takeover rather than a trip or a new phone.
        guard s.newAddress || s.newPayment || s.orders > 0 || s.fails + s.waveFails >= 1 || s.reset || s.ownerBack
                || s.messagesUnusual else { return nil }
        // A session on the owner's own device (only the network is new) that orders what the
        // owner orders — the owner's basket, card and address — gains a stranger nothing: the
        // number of orders alone is no change of behaviour there; it needs a high value, a new
        // address or card, messages, a first-ever activity, or the owner locked out on another
        // device (a fail and a reset on the session's own device back home is how a trip ends
        // too: it weighs as a step, but does not make ordinary orders a change of behaviour).
        // (A wave's own device is no owner's, though its failures on the account came before.)
        if !s.newDevice && !s.foreignDevice && !(s.reset && !s.resetByOwner) && !s.waveDevice
            && !(s.high || s.newAddress || s.newPayment || s.messagesUnusual || s.novelActivity || s.ownerBackOnDevice || s.fails + s.waveFails >= 1) { return nil }
        if young && s.age < minAgeDays { surprise *= 0.6 }
        let excess = surprise - bar
        return excess >= 0 ? excess : nil
    }

    /// Drops: a shipping address or payment instrument new to the account in a change of hands'
    /// footprint, that other accounts also first used in theirs — more of them than the
    /// identifier's users would give by chance. A reshipping drop or a carder's card serves many
    /// victims, each of which it reaches through a stranger's session; an honest household moves
    /// on its own devices (no change of hands), and a parcel locker that many owners use is
    /// reached from new phones only at the store's rate. Per identifier: c of its m other users
    /// first used it in a change of hands' footprint, against the store's share p0 of such
    /// (account, identifier) uses, P(Bin(m, p0) >= c) < 0.001 / T, where T is the number of
    /// identifiers (addresses and instruments) tested — the project's correction for the number of
    /// tests (one other account never is).
    func markDrops(_ seqs: inout [Sequence], _ t: EventTable) {
        /// Each candidate identifier's log binomial tail and its other accounts.
        func mark(_ ids: (Sequence) -> [Int32], count n: Int, column: [Int32]) -> (tests: [(v: Int32, c: Int, logTail: Double)], candidates: Int) {
            guard n > 0 else { return ([], 0) }
            // Users of each identifier that took it up in the data (first used after the account's
            // first event), and all such (account, identifier) take-ups: a parcel locker that owners
            // switch to mid-month is taken up more often than a home address, in a change of hands
            // or not (against all uses, every locker looked like a drop on the second generator).
            var users = [Int32](repeating: 0, count: n), everyone = [Int32](repeating: 0, count: n)
            var stamp = [Int32](repeating: -1, count: n)
            var uses = 0
            for a in 0..<t.accountCount {
                let list = t.events(of: a)
                guard let start = list.first.map({ t.ts[Int($0)] }) else { continue }
                for e32 in list {
                    let v = column[Int(e32)]
                    guard v >= 0 && Int(v) < n && stamp[Int(v)] != Int32(a) else { continue }
                    stamp[Int(v)] = Int32(a); everyone[Int(v)] += 1
                    if t.ts[Int(e32)] > start { users[Int(v)] += 1; uses += 1 }
                }
            }
            // Accounts whose change of hands first used each one.
            var changed: [Int32: Set<Int32>] = [:]
            for s in seqs where s.handsChanged { for v in ids(s) { changed[v, default: []].insert(s.account) } }
            let firsts = changed.values.reduce(0) { $0 + $1.count }
            guard uses > 0, firsts > 0 else { return ([], 0) }
            let p0 = Double(firsts) / Double(uses)
            var tested: [(v: Int32, c: Int, logTail: Double)] = []
            // And most of its users reached it through a change of hands: a drop has no owner of its
            // own (a mule's account at most), a locker's or a household's users mostly use it in
            // their own lives (on the second generator, travellers and new phones first shipping to
            // a parcel locker made it "beyond chance" against the store's rate alone).
            for (v, accts) in changed where accts.count >= 3 && 2 * accts.count > Int(everyone[Int(v)]) {
                let c = accts.count - 1, m = max(c, Int(users[Int(v)]) - 1)
                tested.append((v, c, Significance.logBinomialTail(c, m, p0)))
            }
            return (tested, changed.count)
        }
        let addressTests = mark({ $0.footAddresses }, count: t.addresses.count, column: t.address)
        let paymentTests = mark({ $0.footPayments }, count: t.payments.count, column: t.payment)
        // Corrected for every identifier a change of hands took up, not only those that passed
        // the selection above (which was chosen on the same counts; review37).
        let bar = log(0.001) - log(Double(max(1, addressTests.candidates + paymentTests.candidates)))
        var dropAddresses: [Int32: Int] = [:], dropPayments: [Int32: Int] = [:]
        for x in addressTests.tests where x.logTail < bar { dropAddresses[x.v] = x.c }
        for x in paymentTests.tests where x.logTail < bar { dropPayments[x.v] = x.c }
        guard !dropAddresses.isEmpty || !dropPayments.isEmpty else { return }
        for i in seqs.indices where seqs[i].handsChanged {
            let c = max(seqs[i].footAddresses.compactMap { dropAddresses[$0] }.max() ?? 0,
                        seqs[i].footPayments.compactMap { dropPayments[$0] }.max() ?? 0)
            if c > 0 { seqs[i].drop = true; seqs[i].dropAccounts = c }
        }
    }

    /// A device's use of an account is brief — a stranger's, not one the account lives on — when its events
    /// (time-ordered) fall in at most two bursts, a burst ending at a gap of more than 12 hours, and no burst
    /// spans more than a day (review46 #1: a phone used every few hours for weeks is one "burst" by gaps alone).
    static func briefUse<S: Swift.Sequence>(_ times: S) -> Bool where S.Element == Int64 {
        let gap: Int64 = 12 * 3_600_000, most: Int64 = 24 * 3_600_000
        var bursts = 0, start: Int64 = 0, last: Int64? = nil
        for ts in times {
            if let l = last, ts - l <= gap {
                if ts - start > most { return false }
            } else {
                bursts += 1
                if bursts > 2 { return false }
                start = ts
            }
            last = ts
        }
        return true
    }

    /// Entry devices (`entryDevices`): a device that got into an account it had never used, and was used there
    /// at no other time or briefly (`deviceBrief`: a sleeper coming back once), in a change of hands — and did the same
    /// on at least one other account. An honest device shared by a household is used by each member over
    /// days (not gone); a partner's phone borrowed once is one account's; a wave's bot that only fails got
    /// into none. How rare that is among ordinary anchors is the step's weight (the joint rarity), as for
    /// every step — no count of its own.
    /// And no account lives on it: no account's use of it is more than brief (bazaar 4309: a household's laptop,
    /// used once each by two members in a stranger's-looking session, is a third member's everyday device).
    /// An account that used it briefly otherwise (the intruder's own login, a victim it came back to once)
    /// does not clear it (review46 #4).
    func markSharedEntries(_ seqs: inout [Sequence], _ t: EventTable) {
        var accounts: [Int32: Set<Int32>] = [:]
        for s in seqs where s.handsChanged && s.deviceBrief && s.deviceEntered && s.device >= 0 {
            accounts[s.device, default: []].insert(s.account)
        }
        accounts = accounts.filter { $0.value.count >= 2 }
        guard !accounts.isEmpty else { return }
        var lived = Set<Int32>()
        var times: [Int32: [Int64]] = [:]
        for a in 0..<t.accountCount {
            times.removeAll(keepingCapacity: true)
            for e32 in t.events(of: a) {
                let e = Int(e32), d = t.device[e]
                guard d >= 0, accounts[d] != nil, !(t.kind[e] == .login && t.failed[e]) else { continue }
                times[d, default: []].append(t.ts[e])
            }
            for (d, ts) in times where !Self.briefUse(ts) { lived.insert(d) }
        }
        for q in seqs.indices where seqs[q].handsChanged && seqs[q].deviceBrief && seqs[q].deviceEntered && seqs[q].device >= 0 {
            guard let took = accounts[seqs[q].device], !entryDevicesUnlived || !lived.contains(seqs[q].device) else { continue }
            seqs[q].sharedEntry = true; seqs[q].sharedEntryAccounts = took.count - 1
        }
    }

    /// Sleepers (ato40, `sleepers`): an intruder who enters (a stranger's device logging in, from a new
    /// country, with a stranger's reset or on a wave) and waits days before the spree leaves two halves
    /// each too weak: the entry has no change of behaviour, the spree (on the entering device, by then
    /// known to the account) no change of hands. A spree — a sequence with a change of behaviour
    /// (`spree`) anchored on, or taken over by, the device that entered, past the entry's 3-day footprint
    /// (within it the entry's own sequence holds the spree: linked there too, travellers on ours 102
    /// and 103 — a new phone abroad and a shopping day on it a day later — were flagged) — carries the
    /// entry's change of hands (its failed logins, stranger's reset, new device, network and country,
    /// the wave) when all of these hold (review40d; each has an honest case in TakeoverSleeperTests
    /// that only it spares):
    /// - two bursts: the device's whole life on the account is the entry's (2 hours before to 24 after)
    ///   and the spree's (2 hours before to 24 after; review41a #4) — a second phone used every day is not;
    /// - the owner goes on from other devices after the entry, *and after the spree's footprint*: the
    ///   device is gone and the owner is back. An honest new phone whose SIM moves over days after it
    ///   was set up, in the data's last days, shows the old phone before the switch and nothing after;
    ///   a spree too close to the data's end to see the owner after it is not linked (the end of the
    ///   data is no evidence that the device is gone);
    /// - the entry is a stranger's (`strangerEntry`: a new country, a reset from a device the owner never
    ///   used, a wave) — not a new /24 or a failed login, which a partner's phone on its own carrier, a
    ///   work phone at the office and the owner's typo show — and the entering device did nothing with
    ///   the money in the entry's burst (no order, address or card: an entry that spent is judged as it is);
    /// - the entering device itself spent in the spree (an order, an address or a card from it): the
    ///   owner's own gift from the laptop while that device merely opened the app is not its spree;
    /// - the spree comes from networks (/24, /48) none of the owner's other events ever used (events
    ///   without a device included, but for those amid the spree itself, `sittingStrays`): a tablet at home
    ///   is on the owner's network;
    /// - the gap is not in the upper 1 % tail of the store's *other* gaps from a new-device entry to
    ///   that device's first later spree: (c + 1) / (n + 1) ≥ 0.01, c of the n other gaps as long or
    ///   longer (the pair's own gap left out). It can bind only where n ≥ 99 and the gap is longer than
    ///   all of them; no test exercises it (a store of 100 such pairs), so it is a cap, not a guard.
    /// The carried steps are judged like every step (the joint rarity among the ordinary anchors, the
    /// linked sprees among them: the rates see how often honest sprees are linked too).
    func linkSleepers(_ seqs: inout [Sequence], _ t: EventTable, ipBlock: [Int32]) {
        let hour: Int64 = 3_600_000
        var byAccount: [Int32: [Int]] = [:]
        for i in seqs.indices { byAccount[seqs[i].account, default: []].append(i) }
        // The store's gaps, and the candidate pairs (entry, spree) on one device; which pairs' gaps are in `gaps`.
        var gaps: [Int64] = []
        var pairs: [(e: Int, s: Int, own: Bool)] = []
        for (_, idx) in byAccount where idx.count >= 2 {
            let sorted = idx.sorted { seqs[$0].at < seqs[$1].at }
            for (p, i) in sorted.enumerated() where seqs[i].newDevice && seqs[i].device >= 0 && !seqs[i].ownerNetwork {
                let e = seqs[i]
                var firstSpree = true
                // The spree's device that took over, or its anchor's (the owner's own login within 2 hours
                // makes the owner's phone the one that took over a known device's session): the entering
                // device must then have spent in it itself (`spreeSpent` below; review40d #3).
                for j in sorted[(p + 1)...] where seqs[j].at > e.at + 72 * hour && seqs[j].spree
                    && (seqs[j].device == e.device || seqs[j].anchorDevice == e.device) {
                    pairs.append((i, j, firstSpree))
                    if firstSpree { gaps.append(seqs[j].at - e.at); firstSpree = false }
                }
            }
        }
        guard !pairs.isEmpty else { return }
        gaps.sort()
        if let debugLog {
            let q = { (p: Double) in gaps[min(gaps.count - 1, Int(p * Double(gaps.count)))] / hour }
            debugLog("ato sleepers: \(gaps.count) gaps from a new device's entry to its first spree, hours: median \(q(0.5)) 90 % \(q(0.9)) 99 % \(q(0.99))")
        }
        /// The share of the store's other gaps at least `g` long (with one pseudo-gap that long); `own`:
        /// the pair's own gap is among `gaps` and is left out (review40d #5).
        func tail(_ g: Int64, own: Bool) -> Double {
            var lo = 0, hi = gaps.count
            while lo < hi { let mid = (lo + hi) / 2; if gaps[mid] < g { lo = mid + 1 } else { hi = mid } }
            let skip = own ? 1 : 0
            return Double(gaps.count - lo - skip + 1) / Double(gaps.count - skip + 1)
        }
        let spending: [EventKind] = [.order, .addressChange, .payment]
        // Per entry, what does not depend on the spree (review40d #11): the device's events, whether it
        // spent in the entry's burst, and the owner's other events (time, block), in time order.
        struct EntryFacts { var deviceEvents: [(ts: Int64, block: Int32, spent: Bool)]; var other: [(ts: Int64, block: Int32, device: Bool)] }
        var facts: [Int: EntryFacts] = [:]
        func entryFacts(_ i: Int) -> EntryFacts {
            if let f = facts[i] { return f }
            let e = seqs[i]
            var f = EntryFacts(deviceEvents: [], other: [])
            for x in t.events(of: Int(e.account)) {
                let x = Int(x), d = t.device[x]
                let b = t.ip[x] >= 0 ? ipBlock[Int(t.ip[x])] : -1
                if d == e.device { f.deviceEvents.append((t.ts[x], b, spending.contains(t.kind[x]))) }
                else { f.other.append((t.ts[x], b, d >= 0)) }
            }
            facts[i] = f
            return f
        }
        // Per spree, the latest entry that qualifies.
        var link: [Int: Int] = [:]
        for (i, j, own) in pairs {
            let e = seqs[i], s = seqs[j]
            let gapTail = tail(s.at - e.at, own: own)
            let g = sleeperGuards
            let entry = e.strangerEntry || (e.wave && !g.contains(.waveTied))
            guard entry || !g.contains(.strangerEntry), gapTail >= 0.01 else { continue }
            if let k = link[j], seqs[k].at >= e.at { continue }
            let f = entryFacts(i)
            // The device's whole life on the account: the two bursts; it spent in the spree, not in the entry.
            var twoBursts = true, entrySpent = false, spreeSpent = false
            var spreeBlocks = Set<Int32>()
            var spreeSpan: (from: Int64, to: Int64)? = nil
            for x in f.deviceEvents {
                let inEntry = x.ts >= e.at - 2 * hour && x.ts <= e.at + 24 * hour
                let inSpree = x.ts >= s.at - 2 * hour && x.ts <= s.at + 24 * hour
                if !inEntry && !inSpree { twoBursts = false; if g.contains(.twoBursts) { break } }
                if inSpree && !inEntry {
                    if x.block >= 0 { spreeBlocks.insert(x.block) }
                    if x.spent { spreeSpent = true }
                    spreeSpan = (min(spreeSpan?.from ?? x.ts, x.ts), max(spreeSpan?.to ?? x.ts, x.ts))
                }
                if inEntry && !inSpree && x.spent { entrySpent = true }
            }
            // The owner on other devices after the entry, and after the spree's footprint; the owner's blocks.
            var ownerOn = false, ownerAfter = false
            var ownBlocks = Set<Int32>()
            for x in f.other {
                if x.device && x.ts > e.at + 24 * hour { ownerOn = true }
                if x.device && x.ts > s.at + (ownerAfterGap ? max(72 * hour, s.at - e.at) : 72 * hour) { ownerAfter = true }
                let stray = sittingStrays && !x.device && spreeSpan.map { x.ts >= $0.from - 30 * 60_000 && x.ts <= $0.to + 30 * 60_000 } == true
                if x.block >= 0 && !stray { ownBlocks.insert(x.block) }
            }
            let offOwn = !spreeBlocks.isEmpty && spreeBlocks.isDisjoint(with: ownBlocks)
            debugLog?("ato sleeper pair: \(t.accountID(e.account)) entry \(e.at) spree \(s.at) gap tail \(String(format: "%.3f", gapTail)) two bursts \(twoBursts) owner on \(ownerOn) after \(ownerAfter) entry spent \(entrySpent) spree spent \(spreeSpent) spree blocks \(spreeBlocks.count) off own \(offOwn)")
            if (twoBursts || !g.contains(.twoBursts)) && ownerOn && (ownerAfter || !g.contains(.ownerAfter))
                && (!entrySpent || !g.contains(.entrySpent)) && (spreeSpent || !g.contains(.spreeSpent))
                && (offOwn || !g.contains(.offOwnNetworks)) { link[j] = i }
        }
        for (j, i) in link {
            let e = seqs[i]
            // The finding names the device that entered, and its country (review41a #3): with the owner's
            // login within 2 hours of the spree the sequence's own `device` can be the owner's phone.
            seqs[j].device = e.device
            if e.country >= 0 { seqs[j].country = e.country }
            seqs[j].newDevice = true
            seqs[j].foreignDevice = true
            seqs[j].newNetwork = seqs[j].newNetwork || e.newNetwork
            seqs[j].newCountry = seqs[j].newCountry || e.newCountry
            seqs[j].fails = max(seqs[j].fails, e.fails)
            seqs[j].waveFails = max(seqs[j].waveFails, e.waveFails)
            // A reset the spree made from the device that entered is a stranger's now (review40d #9).
            if seqs[j].reset && seqs[j].resetDevices.allSatisfy({ $0 == e.device }) { seqs[j].resetByOwner = false }
            if e.reset && !e.resetByOwner && !(seqs[j].reset && !seqs[j].resetByOwner) { seqs[j].reset = true; seqs[j].resetByOwner = false }
            // The wave is carried only as the entry's own (review41a #2).
            let waveOwn = e.waveEntry || (e.wave && !sleeperGuards.contains(.waveTied))
            if waveOwn {
                if e.waveAccounts > seqs[j].waveAccounts { seqs[j].waveAccounts = e.waveAccounts; seqs[j].waveSpread = e.waveSpread }
                seqs[j].wave = true
            }
            seqs[j].waveDevice = seqs[j].waveDevice || (waveOwn && e.waveDevice)
            seqs[j].evidence += e.evidence
            seqs[j].entryGapHours = Double(seqs[j].at - e.at) / Double(hour)
        }
    }

    /// How close in time a wave's failed logins fall (the densest such window of a source), and
    /// how long before an account's change of hands (or after, up to `waveAfterHours`) a wave's
    /// hit on it counts.
    static let waveHours = 6.0, waveBeforeHours = 24.0, waveAfterHours = 3.0

    /// Credential-stuffing waves: one source (a device, or an address block /24, /48) whose first
    /// contact with many distinct accounts is a failed login, within hours — a list of stolen
    /// passwords tried against the store. Per (account, source) pair, a *stranger's failure*: the
    /// account's first event from that source is a failed login (an owner's typo on their own
    /// phone or network comes after their own use of it, or is one account among its many
    /// users). Against the store's share p0 of such pairs among all (account, source) pairs, a
    /// source with m users and c strangers' failures within its densest `waveHours` is a wave when
    /// P(Bin(m, p0) >= c) < 0.001 / T, T = the sources with any stranger's failure (the project's
    /// correction for the tests made), and c >= 3. A corporate proxy's or a household NAT's
    /// users fail there after using it (not strangers), and a hotel's new guests fail at about
    /// the store's rate. An account the wave hit (a stranger's failure from a wave source) carries
    /// it into a change of hands from `waveBeforeHours` after the hit to `waveAfterHours` before
    /// it, or when the device that took over is the wave's own — only where a login from a device
    /// or network new to the account succeeded (the bystanders, whose anchor is the wave's failure
    /// itself from a network new to them, show nothing else).
    func markWaves(_ seqs: inout [Sequence], _ t: EventTable, ipBlock: [Int32], blocks: Int) {
        let nd = t.devices.count
        let sources = nd + blocks
        guard sources > 0 else { return }
        var users = [Int32](repeating: 0, count: sources)
        var pairs = 0
        var strangers: [(source: Int32, at: Int64, account: Int32)] = []
        var first: [Int32: Bool] = [:]   // per account: source -> its first event was a failed login
        let span = Int64(Self.waveHours * 3_600_000)
        var spread = SpreadFailures()
        for a in 0..<t.accountCount {
            first.removeAll(keepingCapacity: true)
            // An account's first event on a source (its device, then its address block): no
            // array per event on this loop over the whole store.
            func see(_ src: Int32, _ e: Int, _ failedLogin: Bool) {
                guard first[src] == nil else { return }
                first[src] = failedLogin
                users[Int(src)] += 1; pairs += 1
                if failedLogin { strangers.append((src, t.ts[e], Int32(a))) }
            }
            var seen = false, lastSpread: Int64? = nil
            // The devices that got in on this account (did anything on it but fail a login): their failures are no
            // stranger's tries (below).
            var gotIn = Set<Int32>()
            if spreadWaves {
                for e32 in t.events(of: a) where t.device[Int(e32)] >= 0 && !(t.kind[Int(e32)] == .login && t.failed[Int(e32)]) { gotIn.insert(t.device[Int(e32)]) }
            }
            for e32 in t.events(of: a) {
                let e = Int(e32)
                let failedLogin = t.kind[e] == .login && t.failed[e]
                spread.see(t.ts[e], isLogin: t.kind[e] == .login && !t.failed[e])
                // A spread wave's try: a failed login from a device and a network both new to an account
                // that had a life before it (at the data's start every device is new to its owner).
                // And from a device that never got in: one that did nothing on the account but fail (review46 #2: an
                // app release whose login fails on mobile data, its new device id the owner's from then on, is no
                // stranger's try; a bot that then gets in on the same session is the tie's case below, dropped too).
                if spreadWaves && failedLogin && seen && t.ip[e] >= 0 && lastSpread.map({ t.ts[e] - $0 > span }) ?? true
                    && first[Int32(nd) + ipBlock[Int(t.ip[e])]] == nil && (t.device[e] < 0 || first[t.device[e]] == nil)
                    && (t.device[e] < 0 || !gotIn.contains(t.device[e])) {
                    spread.failures.append((t.ts[e], Int32(a), t.device[e])); lastSpread = t.ts[e]
                }
                if t.device[e] >= 0 { see(t.device[e], e, failedLogin) }
                if t.ip[e] >= 0 { see(Int32(nd) + ipBlock[Int(t.ip[e])], e, failedLogin) }
                seen = true
            }
        }
        var spreadHits: [Int32: [(at: Int64, c: Int, device: Int32)]] = [:]
        if spreadWaves {
            for w in spread.waves(span: span, debugLog: debugLog) {
                for x in w.failures { spreadHits[x.account, default: []].append((x.at, w.accounts, x.device)) }
            }
        }
        guard pairs > 0, !strangers.isEmpty || !spreadHits.isEmpty else { return }
        let p0 = Double(strangers.count) / Double(pairs)
        strangers.sort { ($0.source, $0.at) < ($1.source, $1.at) }
        // Per source: its strangers' failures, and the most of them within `waveHours`.
        var runs: [(source: Int32, lo: Int, hi: Int, c: Int)] = []
        var i = 0
        while i < strangers.count {
            var j = i
            while j < strangers.count && strangers[j].source == strangers[i].source { j += 1 }
            var best = 0, lo = i, bestLo = i, bestHi = i + 1
            for hi in i..<j {
                while strangers[hi].at - strangers[lo].at > span { lo += 1 }
                if hi - lo + 1 > best { best = hi - lo + 1; bestLo = lo; bestHi = hi + 1 }
            }
            // Only the densest window's strangers were tested, so only they are its hits (review38).
            runs.append((strangers[i].source, bestLo, bestHi, best))
            i = j
        }
        let bar = log(0.001) - log(Double(runs.count))
        var hits: [Int32: [(at: Int64, c: Int)]] = [:]
        var hitSources: [Int32: [(source: Int32, from: Int64, to: Int64)]] = [:]   // per account: the wave sources whose tested window hit it, and that window
        var waveDevices: [Int32: Int] = [:]
        for r in runs where r.c >= 3 {
            let m = max(r.c, Int(users[Int(r.source)]))
            guard Significance.logBinomialTail(r.c, m, p0) < bar else { continue }
            if r.source < Int32(nd) { waveDevices[r.source] = r.c }
            for k in r.lo..<r.hi {
                hits[strangers[k].account, default: []].append((strangers[k].at, r.c))
                hitSources[strangers[k].account, default: []].append((r.source, strangers[r.lo].at, strangers[r.hi - 1].at))
            }
        }
        guard !hits.isEmpty || !spreadHits.isEmpty else { return }
        // A wave's tries on an account are the wave's evidence, counted once: every failed login
        // before an anchor that came from a wave source that hit the account (its device, or its
        // address block) leaves `fails` (the change of hands) for `waveFails` — on every sequence,
        // a bystander's too (the bot's tries say nothing of how the owner changes hands).
        if singleCount {
            let pad = Int64(Self.waveHours * 3_600_000), padAfter = Int64(Self.waveBeforeHours * 3_600_000)
            for q in seqs.indices where !seqs[q].failEvents.isEmpty {
                guard let src = hitSources[seqs[q].account] else { continue }
                var n = 0
                for e32 in seqs[q].failEvents {
                    let e = Int(e32)
                    // A wave's device is the bot's at any time; a wave's address block (a carrier's /24 too)
                    // only within the window its test saw, `waveHours` before it to `waveBeforeHours` after
                    // (review39 #7: an owner's own typo on a shared block days from the wave is the owner's
                    // failed login; review40d #10: the wave is carried `waveBeforeHours` after its hit, so
                    // the bot's tries that late are the wave's too, not also failed logins).
                    let blk = t.ip[e] >= 0 ? Int32(nd) + ipBlock[Int(t.ip[e])] : -1
                    if src.contains(where: { x in
                        (t.device[e] >= 0 && x.source == t.device[e])
                            || (blk >= 0 && x.source == blk && t.ts[e] >= x.from - pad && t.ts[e] <= x.to + padAfter)
                    }) { n += 1 }
                }
                seqs[q].fails -= n; seqs[q].waveFails = n
            }
        }
        let before = Int64(Self.waveBeforeHours * 3_600_000), after = Int64(Self.waveAfterHours * 3_600_000)
        // Only where the stranger got in (a successful login from a device or network new to the
        // account): a wave's bystanders show its failures and nothing else.
        // Or where the wave's own device got in (review38: with only a new device counted as a
        // stranger's login, the bot's device — used on the account by its failed tries — was known).
        for q in seqs.indices where seqs[q].handsChanged {
            var c = 0
            if seqs[q].strangerLogin, let h = hits[seqs[q].account] {
                for x in h where x.at >= seqs[q].at - before && x.at <= seqs[q].at + after {
                    c = max(c, x.c); seqs[q].waveHitGap = min(seqs[q].waveHitGap, abs(x.at - seqs[q].at))
                }
            }
            // A spread wave has no source to tie the login to; the device that got in is the tie: a stranger's,
            // used on the account at no other time or only in two bursts — a sleeper's entry and spree — (a
            // bystander's owner who sets up a new phone that day keeps it), and not the one that failed (an
            // owner's typo on a new phone, then the login, is one person).
            if seqs[q].strangerLogin, seqs[q].deviceBrief, let h = spreadHits[seqs[q].account] {
                for x in h where x.at >= seqs[q].at - before && x.at <= seqs[q].at + after && x.device != seqs[q].device {
                    if x.c > c { c = x.c; seqs[q].waveSpread = true }
                    seqs[q].waveHitGap = min(seqs[q].waveHitGap, abs(x.at - seqs[q].at))
                }
            }
            if seqs[q].deviceIn, seqs[q].device >= 0, let w = waveDevices[seqs[q].device] { c = max(c, w); seqs[q].waveDevice = true }
            if c > 0 { seqs[q].wave = true; seqs[q].waveAccounts = c }
        }
    }

    /// Spread waves (`spreadWaves`): a list of stolen passwords tried through a residential proxy pool, a
    /// new device fingerprint and address for every try, shares no source — each account sees a stranger
    /// fail once or twice, and no device or block fails on many. What it cannot hide is the burst: in a
    /// few hours the store sees many accounts' *spread failures* (a failed login from a device and an
    /// address block both new to an account that had a life before it — at the data's start every device
    /// is new to its owner), where an owner's new phone on a new network with a typo comes at the store's
    /// own slow rate. Per `waveHours` window starting at each such failure (each account once a window),
    /// c accounts against the store's rate: Poisson(λ), λ = the failures a day × the most of a day's
    /// successful logins any `waveHours` consecutive hours of the day hold (UTC; the busiest part of the
    /// day, so a window at the peak is not a burst), a wave when P(X ≥ c) < 0.001 / T (T = the windows
    /// tested) and c ≥ 3. The rate a day is estimated twice, like the takeover's step rates: from every
    /// such failure (+1), then again from those outside the first pass's waves — a store with many
    /// waves must not make a wave look ordinary. Every account in a passing window is hit, with that
    /// window's count (the largest, if several); the wave is carried into a change of hands as a
    /// source's is (`waveBeforeHours` / `waveAfterHours`, only where a stranger's login succeeded).
    struct SpreadFailures {
        var failures: [(at: Int64, account: Int32, device: Int32)] = []
        var loginsByHour = [Int](repeating: 0, count: 24)
        var from = Int64.max, to = Int64.min

        mutating func see(_ ts: Int64, isLogin: Bool) {
            from = min(from, ts); to = max(to, ts)
            if isLogin { loginsByHour[Int(((ts / 3_600_000) % 24 + 24) % 24)] += 1 }
        }

        /// The most of a day's successful logins any `hours` consecutive hours (round the clock) hold;
        /// hours / 24 with no logins.
        func peakShare(hours: Int) -> Double {
            let total = loginsByHour.reduce(0, +)
            guard total > 0, hours < 24 else { return min(1, Double(hours) / 24) }
            var best = 0
            for h in 0..<24 { best = max(best, (0..<hours).reduce(0) { $0 + loginsByHour[(h + $1) % 24] }) }
            return Double(best) / Double(total)
        }

        /// The waves: each with its accounts' failures and its count (the largest passing window's).
        func waves(span: Int64, debugLog: (@Sendable (String) -> Void)? = nil) -> [(accounts: Int, failures: [(at: Int64, account: Int32, device: Int32)])] {
            guard failures.count >= 3, to > from, span > 0 else { return [] }
            let f = failures.sorted { ($0.at, $0.account) < ($1.at, $1.account) }
            let days = max(1, Double(to - from) / 86_400_000)
            let share = peakShare(hours: Int((Double(span) / 3_600_000).rounded(.up)))
            let bar = log(0.001) - log(Double(f.count))
            var ends = [Int](repeating: 0, count: f.count)
            var j = 0
            for i in f.indices {
                while j < f.count && f[j].at - f[i].at <= span { j += 1 }
                ends[i] = j
            }
            func passing(perDay: Double) -> [Int] {
                let mean = perDay * share
                return f.indices.filter { ends[$0] - $0 >= 3 && Significance.logPoissonTail(ends[$0] - $0, mean) < bar }
            }
            var inWave = [Bool](repeating: false, count: f.count)
            for i in passing(perDay: Double(f.count + 1) / days) { for k in i..<ends[i] { inWave[k] = true } }
            let ordinary = inWave.lazy.filter { !$0 }.count
            let perDay = Double(ordinary + 1) / days
            var waves: [(accounts: Int, lo: Int, hi: Int)] = []
            for i in passing(perDay: perDay) {
                if let last = waves.last, i < last.hi {
                    waves[waves.count - 1] = (max(last.accounts, ends[i] - i), last.lo, max(last.hi, ends[i]))
                } else {
                    waves.append((ends[i] - i, i, ends[i]))
                }
            }
            debugLog?("ato spread waves: \(f.count) spread failures over \(String(format: "%.1f", days)) days, \(String(format: "%.2f", perDay)) a day outside waves, peak \(Int(span / 3_600_000)) h share \(String(format: "%.3f", share)); waves " + waves.map { "\($0.accounts) accounts at \(f[$0.lo].at)" }.joined(separator: ", "))
            return waves.map { w in (w.accounts, Array(f[w.lo..<w.hi])) }
        }
    }

    /// Private networks (`ownerNetworks`): address blocks (/24, /48) used by no more accounts than 90 % of
    /// the store's home networks (the distinct blocks that are some account's most used, each counted once)
    /// are — a household's Wi-Fi, not a carrier's NAT, a campus or a proxy pool. A stranger lands on one
    /// only by sharing the owner's roof. None with fewer than 10 home networks in the store.
    /// The most accounts a private network (a household's, a small office's) is shared by (review42 #5).
    static let householdCeiling: Double = 8

    static func privateBlocks(_ t: EventTable, ipBlock: [Int32], blocks: Int, privateOnly: Bool = true, debugLog: (@Sendable (String) -> Void)?) -> [Bool] {
        var users = [Int32](repeating: 0, count: blocks), stamp = [Int32](repeating: -1, count: blocks)
        var homes = Set<Int32>()
        var uses: [Int32: Int] = [:]
        for a in 0..<t.accountCount {
            uses.removeAll(keepingCapacity: true)
            for e32 in t.events(of: a) {
                let e = Int(e32)
                guard t.ip[e] >= 0 else { continue }
                let b = ipBlock[Int(t.ip[e])]
                uses[b, default: 0] += 1
                if stamp[Int(b)] != Int32(a) { stamp[Int(b)] = Int32(a); users[Int(b)] += 1 }
            }
            if let home = uses.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key { homes.insert(home) }
        }
        // A 90th percentile of fewer than 10 homes is their largest: no estimate of what a home is (a tiny
        // store, or one whose events carry one address for all), so no network counts as the owner's.
        guard homes.count >= 10 else { return [Bool](repeating: false, count: blocks) }
        let sizes = homes.map { Double(users[Int($0)]) }
        // And never above a household's size (review42 #5): on a mobile-heavy store a tenth of the accounts'
        // most used blocks are carriers' NAT, and their 90th percentile is a carrier's, not a home's.
        let p90 = Significance.quantile(sizes, 0.9) ?? 1
        let cap = min(p90, Self.householdCeiling)
        debugLog?("ato owner networks: \(homes.count) home networks, 90 % shared by at most \(p90) accounts"
                  + (p90 > cap ? " — above a household's \(Int(cap)): capped (a carrier's NAT among the homes)" : ""))
        return users.map { $0 >= 1 && (!privateOnly || Double($0) <= cap) }
    }

    /// The event types the contract does not name that are habits: most accounts that did one did it more
    /// than once (a search, a like, a profile view) — against a change of the account, which its owner makes
    /// once (an e-mail, a profile, an account update). `novelBesideOrders` counts only the latter. Judged
    /// only with `habitMinDoers` accounts or more (review61 #4: where three victims changed their e-mail
    /// back and two owners changed theirs once, the e-mail change was a "habit").
    static func habitTypes(_ t: EventTable) -> Set<UInt16> {
        guard t.type.count == t.count else { return [] }
        var perType: [UInt16: (once: Int, more: Int)] = [:]
        var seen: [UInt16: Int] = [:]
        for a in 0..<t.accountCount {
            seen.removeAll(keepingCapacity: true)
            for e32 in t.events(of: a) where t.kind[Int(e32)] == .other && t.type[Int(e32)] != 0xFFFF {
                seen[t.type[Int(e32)], default: 0] += 1
            }
            for (ty, n) in seen {
                var c = perType[ty] ?? (0, 0)
                if n == 1 { c.once += 1 } else { c.more += 1 }
                perType[ty] = c
            }
        }
        return Set(perType.filter { $0.value.more > $0.value.once && $0.value.more + $0.value.once >= habitMinDoers }.keys)
    }
    static let habitMinDoers = 10

    /// Anchors of one account: each password reset, and each successful login from (or first
    /// event of) a device the account had not used before — when it had used some, or goes on
    /// from others afterwards — with the steps around them.
    func anchors(_ t: EventTable, _ a: Int, tailFloor: [Float], ipBlock: [Int32], privateBlock: [Bool] = [], habits: Set<UInt16> = []) -> [Sequence] {
        let list = Array(t.events(of: a))
        guard list.count >= 2 else { return [] }
        var firstDevice: [Int32: Int64] = [:], lastDevice: [Int32: Int64] = [:], firstCountry: [Int32: Int64] = [:]
        var firstBlock: [Int32: Int64] = [:], lastBlock: [Int32: Int64] = [:]
        var firstAddress: [Int32: Int64] = [:]
        func block(_ e: Int) -> Int32 { t.ip[e] >= 0 ? ipBlock[Int(t.ip[e])] : -1 }
        let currencied = t.currency.count == t.count
        func cur(_ e: Int) -> Int { currencied ? Int(t.currency[e]) : 255 }
        for e32 in list {
            let e = Int(e32)
            let b = block(e)
            if b >= 0 { if firstBlock[b] == nil { firstBlock[b] = t.ts[e] }; lastBlock[b] = t.ts[e] }
            if t.device[e] >= 0 && firstDevice[t.device[e]] == nil { firstDevice[t.device[e]] = t.ts[e] }
            if t.device[e] >= 0 { lastDevice[t.device[e]] = t.ts[e] }
            if t.country[e] >= 0 && firstCountry[t.country[e]] == nil { firstCountry[t.country[e]] = t.ts[e] }
            if t.address[e] >= 0 && firstAddress[t.address[e]] == nil { firstAddress[t.address[e]] = t.ts[e] }
        }
        let accountStart = t.ts[Int(list.first!)]
        let hour: Int64 = 3_600_000
        // An intruder may wait: the spree can come hours to days after the entry, from the
        // device or network that entered. Their later events (up to 3 days) belong to the sequence.
        let window = 72 * hour
        var anchorIdx: [Int] = []
        var lastAnchor: Int64? = nil
        for (k, e32) in list.enumerated() {
            let e = Int(e32)
            let isReset = t.kind[e] == .passwordReset
            // A login from a device first used here, when the account used others before — or,
            // with nothing before (the data starts here), one never used again while the
            // account goes on from other devices.
            // Sessions need not start with a login in the data: the first event of a new
            // device is an anchor too.
            let d = t.device[e]
            let first = d >= 0 ? (firstDevice[d] ?? Int64.min) : Int64.min
            // Such a first event (and a new device on an account with nothing before) counts
            // only when the device is gone within the day: a second phone's first order is not
            // a change of hands.
            let vanishes = d >= 0 && (lastDevice[d] ?? Int64.max) <= t.ts[e] + 24 * hour
                && lastDevice.contains { $0.key != d && $0.value > t.ts[e] + 24 * hour }
            let isNewDeviceLogin = d >= 0
                && ((t.kind[e] == .login && !t.failed[e] && first >= t.ts[e] - 2 * hour) || (t.kind[e] != .login && first == t.ts[e] && vanishes))
                && (firstDevice.values.contains { $0 < t.ts[e] - 2 * hour } || vanishes)
            // A session from a network the account never used before and uses at no time after
            // the next 3 days, on an account with a history elsewhere: a stolen session (a
            // hijacked cookie carries the owner's own device fingerprint and needs no login),
            // or a trip. What follows decides which.
            let b = block(e)
            let isNetAnchor = b >= 0 && firstBlock[b] == t.ts[e] && (lastBlock[b] ?? Int64.max) <= t.ts[e] + window
                && firstBlock.values.contains { $0 < t.ts[e] - 2 * hour }
            // A change of the account itself: a shipping address set for the first time, on an
            // account with a history before. A hijack on the owner's own device and network
            // shows no change of hands; what follows decides (a mover keeps the address).
            let isBehaviourAnchor = t.kind[e] == .addressChange && t.address[e] >= 0 && firstAddress[t.address[e]] == t.ts[e]
                && accountStart < t.ts[e] - 2 * hour
            guard isReset || isNewDeviceLogin || isNetAnchor || isBehaviourAnchor else { continue }
            // One anchor per 2 hours: a reset and the login after it are one sequence.
            if let l = lastAnchor, t.ts[e] - l < 2 * 3_600_000 && !isReset { continue }
            anchorIdx.append(k)
            lastAnchor = t.ts[e]
        }
        var out: [Sequence] = []
        for k in anchorIdx {
            let r = Int(list[k]), tr = t.ts[r]
            var s = Sequence(account: Int32(a), at: tr, age: t.ageDays(a, at: tr) ?? 0)
            s.reset = t.kind[r] == .passwordReset
            let anchorBlock = block(r)
            s.netAnchor = anchorBlock >= 0 && firstBlock[anchorBlock] == tr
            s.anchorLogin = t.kind[r] == .login
            s.anchorDevice = t.device[r]
            s.behaviourAnchor = t.kind[r] == .addressChange && !s.netAnchor
            var resetDevices: [Int32] = s.reset ? [t.device[r]] : []
            s.evidence = [t.rowid[r]]
            var firstIdx = k
            var j = k - 1
            while j >= 0 && t.ts[Int(list[j])] >= tr - 2 * 3_600_000 {
                let e = Int(list[j])
                if t.kind[e] == .login && t.failed[e] { s.fails += 1; s.failEvents.append(Int32(e)); s.evidence.append(t.rowid[e]); firstIdx = j }
                if t.kind[e] == .passwordReset { s.reset = true; resetDevices.append(t.device[e]); s.evidence.append(t.rowid[e]) }
                j -= 1
            }
            // A device or country is new when the account first used it in this sequence
            // (a dormant account has nothing before; its owner's device shows up later).
            let seqStart = t.ts[Int(list[firstIdx])]
            let seqEnd = tr + 24 * hour
            var knownDevices = Set<Int32>(), knownCountries = Set<Int32>(), knownAddresses = Set<Int32>(), knownPayments = Set<Int32>()
            if t.homeCountry[a] >= 0 { knownCountries.insert(t.homeCountry[a]) }
            for (d, first) in firstDevice where first < seqStart { knownDevices.insert(d) }
            for (c, first) in firstCountry where first < seqStart { knownCountries.insert(c) }
            var preBlocks = Set<Int32>()
            for (b, first) in firstBlock where first < seqStart { preBlocks.insert(b) }
            // The device that took over: the anchor's, or the first unknown one logging in within 2 hours.
            // When the anchor is a failed login (a wave's try is the first event from its network),
            // the device that took over is the first successful login's, not the failed one's
            // (review38: a wave's bystander whose owner then logged in on the own phone had the
            // bot's device as the one that took over).
            var loginDev = t.device[r], loginCountry = t.country[r]
            var anchorFailed = t.kind[r] == .login && t.failed[r]
            var m = k
            while m < list.count && t.ts[Int(list[m])] <= tr + 2 * hour {
                let e = Int(list[m])
                if t.kind[e] == .login && !t.failed[e] {
                    // A stranger got in: a device the account had not used (a new network alone is the
                    // owner's phone on mobile data as often as not; review38).
                    if t.device[e] >= 0 && !knownDevices.contains(t.device[e]) { s.strangerLogin = true }
                    if anchorFailed { loginDev = t.device[e]; anchorFailed = false }
                    else if loginDev < 0 || knownDevices.contains(loginDev) { loginDev = t.device[e] }
                    if t.device[e] >= 0 && t.device[e] == loginDev { s.deviceIn = true }
                    if t.country[e] >= 0 { loginCountry = t.country[e] }
                    if m > k { s.evidence.append(t.rowid[e]) }
                }
                m += 1
            }
            s.deviceEntered = loginDev >= 0 && !anchorFailed
            if loginDev >= 0 && !knownDevices.contains(loginDev) {
                s.deviceBursts = Self.briefUse(list.lazy.filter { t.device[Int($0)] == loginDev }.map { t.ts[Int($0)] })
            }
            // The owner's own life: everything before the sequence, and after the next 24 hours
            // whatever was not done from the device that took over (an intruder may come back).
            // The intruder's later footprint: within 3 days, the events from the device that took
            // over (when new to the account) or from networks the account had not used before.
            let loginKnown = knownDevices.contains(loginDev)
            func footprint(_ e: Int) -> Bool {
                t.ts[e] <= seqEnd || (!loginKnown && t.device[e] == loginDev)
                    || (block(e) >= 0 && !preBlocks.contains(block(e)) && (s.netAnchor || t.device[e] == loginDev))
            }
            let footEnd = tr + window
            var laterOwn = 0, laterThere = 0
            var ownBlocks = Set<Int32>()
            var ownAmounts: [Int: [Double]] = [:]          // by currency
            var ownDaySpend: [Int: [Int64: Double]] = [:]  // by currency, by day
            var ownOrders = 0, ownMessages = 0
            // Types the contract does not name that the owner's own life did (a profile update,
            // a transfer): the intruder's first-ever one of them is a change of the account itself.
            let typed = t.type.count == t.count
            var ownTypes = Set<UInt16>()
            for (p, e32) in list.enumerated() where p < firstIdx || t.ts[Int(e32)] > seqEnd {
                let e = Int(e32)
                if p >= firstIdx && t.ts[e] <= footEnd && footprint(e) { continue }
                if p >= firstIdx && t.device[e] >= 0 {
                    if t.device[e] == loginDev && !((s.netAnchor || s.behaviourAnchor) && loginKnown) { laterThere += 1; continue }
                    laterOwn += 1
                }
                if t.address[e] >= 0 { knownAddresses.insert(t.address[e]) }
                if t.payment[e] >= 0 { knownPayments.insert(t.payment[e]) }
                if t.ip[e] >= 0 { ownBlocks.insert(ipBlock[Int(t.ip[e])]) }
                if t.kind[e] == .message { ownMessages += 1 }
                if typed && t.kind[e] == .other { ownTypes.insert(t.type[e]) }
                if t.kind[e] == .order {
                    ownOrders += 1
                    if !t.amount[e].isNaN {
                        ownAmounts[cur(e), default: []].append(Double(t.amount[e]))
                        ownDaySpend[cur(e), default: [:]][t.ts[e] / (24 * hour), default: 0] += Double(t.amount[e])
                    }
                }
            }
            // The owner's typical and high order, and most spent in a day, in each currency.
            var typical: [Int: Double] = [:], ownHigh: [Int: Double] = [:], ownMaxDay: [Int: Double] = [:]
            for (c, xs) in ownAmounts {
                typical[c] = Stat.median(xs)
                ownHigh[c] = xs.count >= 3 ? Significance.quantile(xs, 0.9)! : 0
                ownMaxDay[c] = ownDaySpend[c]?.values.max() ?? 0
            }
            var footSpend: [Int: [Int64: Double]] = [:]   // by currency, by day
            // What happened in the 24 hours from the anchor (the anchor itself included), and
            // what the intruder's footprint did in the 3 days.
            m = k
            var lastOrderAt = tr, lastMessageAt = tr
            var footPaid = Set<Int32>(), footMoved = Set<Int32>()   // instruments the footprint paid with; those on events the contract does not name (a transfer)
            var messaged = Set<Int32>()
            while m < list.count && t.ts[Int(list[m])] <= footEnd {
                let e = Int(list[m])
                if !footprint(e) { m += 1; continue }
                if t.kind[e] == .order { lastOrderAt = t.ts[e] }
                switch t.kind[e] {
                case .addressChange:
                    if t.address[e] >= 0 && !knownAddresses.contains(t.address[e]) {
                        s.newAddress = true; s.evidence.append(t.rowid[e])
                        if !s.footAddresses.contains(t.address[e]) { s.footAddresses.append(t.address[e]) }
                    }
                case .payment, .other:
                    if t.payment[e] >= 0 && !knownPayments.isEmpty && !knownPayments.contains(t.payment[e]) {
                        s.newPayment = true; s.evidence.append(t.rowid[e])
                        if !s.footPayments.contains(t.payment[e]) { s.footPayments.append(t.payment[e]) }
                    }
                    if t.payment[e] >= 0 && knownPayments.isEmpty {
                        if t.kind[e] == .payment { footPaid.insert(t.payment[e]) } else if footMoved.insert(t.payment[e]).inserted { s.evidence.append(t.rowid[e]) }
                    }
                    // Only the intruder's own session: the anchor's network, or the device that took over.
                    if typed && t.kind[e] == .other && t.type[e] != 0xFFFF && !ownTypes.contains(t.type[e])
                        && ((anchorBlock >= 0 && block(e) == anchorBlock) || (!loginKnown && t.device[e] == loginDev)) {
                        let name = Int(t.type[e]) < t.typeNames.count ? t.typeNames[Int(t.type[e])] : "event"
                        if !s.novelIDs.contains(t.type[e]) { s.novelIDs.append(t.type[e]); s.novelTypes.append(name); s.novelRows.append(t.rowid[e]); s.evidence.append(t.rowid[e]) }
                        s.novelActivity = true
                    }
                case .message:
                    lastMessageAt = t.ts[e]
                    if t.target[e] >= 0 && messaged.insert(t.target[e]).inserted && messaged.count <= 5 { s.evidence.append(t.rowid[e]) }
                case .order:
                    s.orders += 1
                    // The intruder's own order: from the device that took over, or on the anchor's network from
                    // another device the account had not used before (not the owner's phone at home: review61 #1).
                    if t.device[e] >= 0 && !knownDevices.contains(t.device[e])
                        && (t.device[e] == loginDev || (anchorBlock >= 0 && block(e) == anchorBlock)) { s.sessionOrders += 1 }
                    if m > k { s.evidence.append(t.rowid[e]) }
                    if t.address[e] >= 0 && !knownAddresses.isEmpty && !knownAddresses.contains(t.address[e]) {
                        s.newAddress = true
                        if !s.footAddresses.contains(t.address[e]) { s.footAddresses.append(t.address[e]) }
                    }
                    if !t.amount[e].isNaN {
                        let c = cur(e), typ = typical[c] ?? 0
                        if (t.amount[e] > tailFloor[c] || (typ > 0 && Double(t.amount[e]) >= 2 * typ))
                            && Double(t.amount[e]) > (ownHigh[c] ?? 0) { s.high = true }
                        footSpend[c, default: [:]][t.ts[e] / (24 * hour), default: 0] += Double(t.amount[e])
                    }
                default: break
                }
                m += 1
            }
            // The owner coming back: within 3 days a failed login or a reset from another device
            // the owner uses (known before, or the one the account goes on from) — or, where the
            // session came on the owner's own device from a network new to the account (a cloned
            // fingerprint, a stolen cookie), from that device on a network the owner used before
            // the sequence: there the network, not the device, tells the owner from the intruder.
            var o = k + 1
            while o < list.count && t.ts[Int(list[o])] <= tr + 72 * hour {
                let e = Int(list[o])
                let ownDevice = t.device[e] >= 0 && t.device[e] != loginDev
                    && (knownDevices.contains(t.device[e]) || (lastDevice[t.device[e]] ?? 0) > seqEnd)
                let ownNetwork = s.netAnchor && loginKnown && t.device[e] == loginDev
                    && block(e) >= 0 && block(e) != anchorBlock && preBlocks.contains(block(e))
                if (t.kind[e] == .passwordReset || (t.kind[e] == .login && t.failed[e])) && (ownDevice || ownNetwork) {
                    if !s.ownerBack { s.evidence.append(t.rowid[e]) }
                    s.ownerBack = true
                    // Only the return on another device keeps looking no further (as before); one on
                    // the session's own device may still be followed by one on another.
                    if ownDevice { s.ownerBackOnDevice = true; break }
                }
                o += 1
            }
            if t.country[r] >= 0 && loginCountry < 0 { loginCountry = t.country[r] }
            s.device = loginDev
            s.country = loginCountry
            // New: not used before (and some device was). Foreign: not used before or after,
            // while the account goes on from other devices (a new phone takes over the owner's
            // life; an intruder's device is gone).
            s.newDevice = loginDev >= 0 && !knownDevices.isEmpty && !knownDevices.contains(loginDev)
            s.resetByOwner = !resetDevices.isEmpty && resetDevices.allSatisfy { $0 >= 0 && knownDevices.contains($0) }
            s.resetDevices = resetDevices
            s.foreignDevice = loginDev >= 0 && !knownDevices.contains(loginDev) && laterThere == 0 && laterOwn > 0
            s.deviceGone = loginDev >= 0 && !knownDevices.contains(loginDev) && laterThere == 0
            // The owner's new device (`ownerNetworks`): in its footprint, the device that took over succeeds on a
            // private network the owner lived on before the sequence — one the owner's established devices (each
            // seen on 2 or more days before it) used, by events that succeeded, on 2 or more days (review42 #1: one
            // failed or device-less event a thief plants from his own block days before makes no owner's network).
            if !privateBlock.isEmpty && loginDev >= 0 && !loginKnown {
                func ok(_ e: Int) -> Bool { !(t.kind[e] == .login && t.failed[e]) }
                var devDays: [Int32: Set<Int64>] = [:]
                for p in 0..<firstIdx {
                    let e = Int(list[p])
                    if t.device[e] >= 0, t.device[e] != loginDev, ok(e) { devDays[t.device[e], default: []].insert(t.ts[e] / (24 * hour)) }
                }
                var netDays: [Int32: Set<Int64>] = [:]
                for p in 0..<firstIdx {
                    let e = Int(list[p])
                    guard t.device[e] >= 0, (devDays[t.device[e]]?.count ?? 0) >= 2, ok(e), block(e) >= 0, privateBlock[Int(block(e))] else { continue }
                    netDays[block(e), default: []].insert(t.ts[e] / (24 * hour))
                }
                let ownerNets = Set(netDays.filter { $0.value.count >= 2 }.keys)
                if !ownerNets.isEmpty {
                    var q = firstIdx
                    while q < list.count && t.ts[Int(list[q])] <= footEnd {
                        let e = Int(list[q])
                        if t.device[e] == loginDev && ok(e) && ownerNets.contains(block(e)) { s.ownerNetwork = true; break }
                        q += 1
                    }
                }
            }
            // The network that device came from: a new phone at home is on the home network (or
            // the carrier's); a stolen password is used from somewhere the owner never was.
            if (s.newDevice || s.foreignDevice) && !ownBlocks.isEmpty {
                var seqBlocks = Set<Int32>()
                var q = firstIdx
                while q < list.count && t.ts[Int(list[q])] <= seqEnd {
                    let e = Int(list[q])
                    if t.device[e] == loginDev && t.ip[e] >= 0 { seqBlocks.insert(ipBlock[Int(t.ip[e])]) }
                    q += 1
                }
                s.newNetwork = !seqBlocks.isEmpty && seqBlocks.isDisjoint(with: ownBlocks)
            } else if s.netAnchor && !ownBlocks.isEmpty {
                s.newNetwork = !ownBlocks.contains(anchorBlock)
            }
            // Orders against the account's own rate outside the sequence (one pseudo-order per
            // pseudo-day, so an account with no history is not certain to never order).
            let outsideDays = max(0, Double(t.ts[Int(list.last!)] - accountStart - (seqEnd - seqStart)) / Double(24 * hour))
            /// The log tail of `n` events in the footprint (up to `lastAt`) against the owner's own `own` over the outside days.
            func ownTail(_ n: Int, _ own: Int, lastAt: Int64) -> Double {
                let days = min(3, max(1, (Double(lastAt - tr) / Double(24 * hour)).rounded(.up)))
                return Significance.logPoissonTail(n, days * (Double(own) + 1) / (outsideDays + 1))
            }
            if s.orders > 0 {
                let tail = ownTail(s.orders, ownOrders, lastAt: lastOrderAt)
                s.ordersUnusual = tail < log(0.05)
                s.ordersRare = tail < log(0.001)
                // A drain: more orders than the owner's rate, worth more on one day (in one currency)
                // than the owner's own orders on any one day of its life — judged on the account's
                // own scale, whatever the currency's prices, and only in a currency the owner has
                // spent in (a traveller's first order abroad has no scale to exceed; review37).
                s.drain = s.orders >= 2 && s.ordersUnusual && footSpend.contains { c, days in
                    guard let own = ownMaxDay[c], own > 0 else { return false }
                    return days.values.contains { $0 > own }
                }
            }
            // Messages to the owner's contacts, far beyond the owner's own rate. A question or
            // two to a seller is nobody's change of behaviour: messages to at least three accounts.
            // (Activity of kinds the contract does not name — a profile update, a transfer — was
            // tried: it is lumped with searches and likes, and flagged more honest accounts than takeovers.)
            s.messages = messaged.count
            if s.messages >= 3 { s.messagesUnusual = ownTail(s.messages, ownMessages, lastAt: lastMessageAt) < log(0.001) }
            // An account whose own life never paid has no instrument to be new against (its first
            // order's card is no stranger's); there, money moved by an event the contract does not
            // name (a balance transfer) to an instrument the footprint did not pay with is the new
            // one: paid with the stored card, sent to another. (Any two instruments in the footprint
            // was tried: it found the same takeovers and flagged honest owners who paid two orders
            // with two cards — 3 more on one development world.)
            if knownPayments.isEmpty && !footMoved.subtracting(footPaid).isEmpty { s.newPayment = true }
            // A first-ever activity of a kind the contract does not name (a profile update, a
            // transfer) is a change of the account itself — but a new phone's owner sets it up too:
            // it counts only beside a break in spending (a new address or card, orders or values far
            // beyond the account's own).
            // And only from a stranger's session: a device used at no other time, or a network the
            // owner's own life never used — a new phone's owner goes on from it.
            if s.foreignDevice || (s.netAnchor && s.newNetwork) { s.strangerSession = true; s.rawNovelIDs = s.novelIDs; s.ownTypeIDs = Array(ownTypes) }
            // With `novelBesideOrders`, the intruder's own order (`sessionOrders`) is spending enough (see there) —
            // when the device that took over is a stranger's, used on the account only briefly (`deviceBrief`: the
            // owner's own phone abroad or roaming is a new network only, and an owner's new phone on mobile data
            // goes on being used: review61 #2), on an account with a life before the sequence (one the log opens
            // with has no owner's habits to break: an owner's first day on an old phone and the next on a new one,
            // changing the e-mail there), and only for a change of the account, not a habit's first time
            // (`habitTypes`: a traveller's first search abroad on a hotel's PC, with an order, is the second
            // generator's 4105).
            let spentBreak = s.newAddress || s.newPayment || s.ordersRare || s.high
            let sessionSpent = novelBesideOrders && s.sessionOrders > 0 && firstIdx > 0 && s.deviceBrief
            var keep: [Int] = []
            if (spentBreak || sessionSpent) && (s.foreignDevice || (s.netAnchor && s.newNetwork)) {
                keep = spentBreak ? Array(s.novelIDs.indices) : s.novelIDs.indices.filter { !habits.contains(s.novelIDs[$0]) }
            }
            if keep.count < s.novelIDs.count {
                // The dropped types' rows are no evidence of the finding either (review61 #7).
                let dropped = Set(s.novelRows.indices.filter { !keep.contains($0) }.map { s.novelRows[$0] })
                s.evidence.removeAll { dropped.contains($0) }
                s.novelTypes = keep.map { s.novelTypes[$0] }; s.novelIDs = keep.map { s.novelIDs[$0] }; s.novelRows = keep.map { s.novelRows[$0] }
            }
            s.novelActivity = !s.novelIDs.isEmpty
            s.newCountry = loginCountry >= 0 && !knownCountries.contains(loginCountry)
            out.append(s)
        }
        return out
    }
}
