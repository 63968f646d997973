import ArgumentParser
import RiskDetect
import RiskStore
import Workbench

// Typed option values: a bad value gets ArgumentParser's error listing the choices.

extension ResultFormat: ExpressibleByArgument {}
extension CaseStatus: ExpressibleByArgument {}
extension DashRange: ExpressibleByArgument {}

/// `label --as`: any case (FRAUD, Legit).
extension LabelValue: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// What `eval` prints.
enum EvalFormat: String, CaseIterable, ExpressibleByArgument { case text, json }

/// What the export commands write.
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case csv, jsonl
    var result: ResultFormat { self == .csv ? .csv : .jsonl }
}

/// `train --kind`: every candidate (auto) or one model kind.
extension BandTest: ExpressibleByArgument {}

enum TrainKind: String, CaseIterable, ExpressibleByArgument {
    case auto, gbdt, logreg, stacked, stackedLogreg = "stacked_logreg"
    var model: ModelKind? { ModelKind(rawValue: rawValue) }
}
