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
