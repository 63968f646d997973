import Foundation

/// A name given to `disable` that is neither a detector nor a scoring layer.
public struct UnknownDetectorError: Error, CustomStringConvertible {
    public let name: String
    public let known: [String]
    public var description: String { "no detector or layer named '\(name)' (known: \(known.joined(separator: ", ")))" }
}

extension DetectionEngine {
    /// Switches detectors (or the score's layers: calibration, anomaly, propagation) off by name (e.g. to see what the other layers catch without one).
    public func disable(_ names: [String]) throws {
        let known = detectors.map(\.name) + ScoringLayers.names
        for n in names where !known.contains(n) { throw UnknownDetectorError(name: n, known: known) }
        detectors.removeAll { names.contains($0.name) }
        if names.contains("calibration") { layers.calibration = false }
        if names.contains("anomaly") { layers.anomaly = false }
        if names.contains("propagation") { layers.propagation = false }
    }
}

/// A name given to `enableSigns` that is not a sign kept off by default.
public struct UnknownSignError: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "no sign named '\(name)' (known: \(DetectionEngine.offSigns.joined(separator: ", ")))" }
}

extension DetectionEngine {
    /// The signs that are built and tested but off by default, each until what docs/detection.md lists for it is done.
    public static let offSigns = ["graded-tails", "referral-codes", "refund-fdr", "returner-spread", "room-timetable", "timetable-strength"]

    /// Switches signs that are off by default on by name (for measuring one against the default ranking).
    public func enableSigns(_ names: [String]) throws {
        for n in names where !Self.offSigns.contains(n) { throw UnknownSignError(name: n) }
        setSigns(Set(names), true)
    }
}

/// A name given to `disableSigns` that is not a sign on by default.
public struct UnknownOnSignError: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "no sign on by default named '\(name)' (known: \(DetectionEngine.onSigns.joined(separator: ", ")))" }
}

extension DetectionEngine {
    /// The signs that were off and are on by default now, each switchable off by name (review41a #8: an
    /// operator, or the next session's A/B runs, can measure the ranking without one).
    public static let onSigns = ["sleepers", "room-crews", "place-codes", "habits", "pace", "owner-networks", "shop-crews", "households", "code-lives", "spread-waves", "entry-devices", "own-activity", "day-cohorts", "job-odds", "used-hands", "owned-ips", "own-logins", "mailbox-spellings", "entry-victims", "scalper-leads", "busy-pace", "abroad", "card-strangers", "mailbox-sharers", "audience-company", "page-returns", "lone-claimants", "novel-orders", "claim-scripts", "customer-pace", "sitting-strays", "coarse-clocks", "drops-abroad", "lone-outliers", "rewalk-people", "tenth-spread", "tight-windows", "order-rings", "shopper-groups", "repeat-follows", "away-pairs", "follow-crews"]

    /// Switches signs that are on by default off by name; unknown names are refused before anything changes.
    public func disableSigns(_ names: [String]) throws {
        for n in names where !Self.onSigns.contains(n) { throw UnknownOnSignError(name: n) }
        setSigns(Set(names), false)
    }

    /// Sets each named sign's switch in its detector (names checked by the callers).
    private func setSigns(_ names: Set<String>, _ value: Bool) {
        if names.contains("owned-ips") { layers.ownedIPs = value }
        if names.contains("own-logins") { layers.ownLogins = value }
        if names.contains("returner-spread") { layers.returnerSpread = value }
        if names.contains("scalper-leads") { layers.scalperLeads = value }
        if names.contains("busy-pace") { layers.busyPace = value }
        if names.contains("tenth-spread") { layers.tenthSpread = value }
        if names.contains("abroad") { layers.abroad = value }
        if names.contains("card-strangers") { layers.cardStrangers = value }
        if names.contains("mailbox-sharers") { layers.mailboxSharers = value }
        if names.contains("audience-company") { layers.audienceCompany = value }
        if names.contains("page-returns") { layers.pageReturns = value }
        if names.contains("repeat-follows") { layers.repeatFollows = value }
        if names.contains("lone-outliers") { layers.loneOutliers = value }
        detectors = detectors.map { d in
            switch d {
            case var s as ScalperDetector where !names.isDisjoint(with: ["graded-tails", "habits", "pace", "customer-pace", "drops-abroad"]):
                if names.contains("graded-tails") { s.gradedSigns = value }
                if names.contains("habits") { s.habits = value }
                if names.contains("pace") { s.pace = value }
                if names.contains("customer-pace") { s.customerPace = value }
                if names.contains("drops-abroad") { s.dropsAbroad = value }
                return s
            case var s as IdentityDetector where !names.isDisjoint(with: ["referral-codes", "code-lives", "place-codes", "households", "mailbox-spellings"]):
                if names.contains("referral-codes") { s.ringReferralCodes = value }
                if names.contains("code-lives") { s.ringCodeLives = value }
                if names.contains("place-codes") { s.ringPlaceCodes = value }
                if names.contains("households") { s.ringHouseholds = value }
                if names.contains("mailbox-spellings") { s.ringMailboxSpellings = value }
                return s
            case var s as RefundAbuseDetector where !names.isDisjoint(with: ["lone-claimants", "refund-fdr", "returner-spread", "claim-scripts"]):
                if names.contains("lone-claimants") { s.loneClaimants = value }
                if names.contains("refund-fdr") { s.unitFDR = value }
                if names.contains("returner-spread") { s.returnerSpread = value }
                if names.contains("claim-scripts") { s.claimScripts = value }
                return s
            case var s as TakeoverDetector where !names.isDisjoint(with: ["sleepers", "owner-networks", "spread-waves", "entry-devices", "used-hands", "entry-victims", "novel-orders", "sitting-strays"]):
                if names.contains("sleepers") { s.sleepers = value }
                if names.contains("owner-networks") { s.ownerNetworks = value }
                if names.contains("spread-waves") { s.spreadWaves = value }
                if names.contains("entry-devices") { s.entryDevices = value }
                if names.contains("used-hands") { s.usedHands = value }
                if names.contains("entry-victims") { s.entryVictims = value }
                if names.contains("novel-orders") { s.novelBesideOrders = value }
                if names.contains("sitting-strays") { s.sittingStrays = value }
                return s
            case var s as ClickFarmDetector where !names.isDisjoint(with: ["room-crews", "room-timetable", "timetable-strength", "shop-crews", "own-activity", "day-cohorts", "job-odds", "tight-windows", "shopper-groups", "away-pairs", "follow-crews"]):
                if names.contains("room-crews") { s.roomCrews = value }
                if names.contains("room-timetable") { s.roomTimetable = value }
                if names.contains("timetable-strength") { s.timetableStrength = value }
                if names.contains("shop-crews") { s.shopCrews = value }
                if names.contains("own-activity") { s.ownActivity = value }
                if names.contains("day-cohorts") { s.dayCohorts = value }
                if names.contains("job-odds") { s.jobOdds = value }
                if names.contains("tight-windows") { s.tightWindows = value }
                if names.contains("shopper-groups") { s.shopperGroups = value }
                if names.contains("away-pairs") { s.awayPairs = value }
                if names.contains("follow-crews") { s.followCrews = value }
                return s
            case var s as ScrapingDetector where !names.isDisjoint(with: ["coarse-clocks", "rewalk-people"]):
                if names.contains("coarse-clocks") { s.coarseClocks = value }
                if names.contains("rewalk-people") { s.rewalkAgainstPeople = value }
                return s
            case var s as BrushingDetector where names.contains("order-rings"):
                s.orderRings = value
                return s
            default: return d
            }
        }
    }
}
