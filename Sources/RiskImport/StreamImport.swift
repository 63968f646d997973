import Foundation
import RiskStore

/// Streams a plan's rows into an `ImportSink` (a team store) with no local store in between:
/// the same readers, the same checks (`RowChecker`) and the same rejects — file, line, reason,
/// the record verbatim — as `Importer` writes to a SQLite store. What the sink does with the
/// rows (de-duplication, links, counts) and when they become visible is the sink's business;
/// a team store makes the whole import one transaction.
public final class StreamImporter<S: ImportSink> {
    public let sink: S
    public var options: ImportOptions
    private let checker: RowChecker
    private var started = Date()
    private var lastProgress = Date.distantPast
    private var rows: Int64 = 0

    /// Rows read and rejected per file (what is stored is known only when the sink merges).
    public struct FileCount: Sendable {
        public var path: String
        public var kind: ContractKind
        public var rowsRead: Int64 = 0
        public var rejected: Int64 = 0
        public var bytes: Int64 = 0
    }

    public init(sink: S, options: ImportOptions) {
        self.sink = sink
        self.options = options
        checker = RowChecker(timeWindow: options.timeWindow)
    }

    /// The source names rejects carry: absolute paths, `<stdin>` (as `Importer` records them).
    public static func sourceNames(_ plan: ImportPlan) -> [String] {
        plan.inputs.map { input in
            if input.path == "-" { return "<stdin>" }
            if input.path.hasPrefix("/") { return (input.path as NSString).standardizingPath }
            return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(input.path) as NSString).standardizingPath
        }
    }

    /// Streams every input into the sink. Throws `CancellationError` when `options.shouldStop`
    /// asks it to stop (a team import is all or nothing: the caller rolls back).
    /// Specialized for the team store's sink: called from another module, the generic code
    /// would bind every value through witness tables and runtime metadata checks (~8 % of
    /// the client's CPU in a profile).
    @_specialize(where S == PGImportSink)
    public func run(_ plan: ImportPlan) throws -> [FileCount] {
        started = Date()
        let sources = Self.sourceNames(plan)
        for s in plan.skipped { options.note?("skipped \(s)") }
        var out: [FileCount] = []
        for (i, input) in plan.inputs.enumerated() {
            var fc = FileCount(path: sources[i], kind: input.kind)
            try streamFile(plan.readers[i], input: input, source: sources[i], into: &fc, totalBytes: plan.totalBytes)
            out.append(fc)
        }
        return out
    }

    private func streamFile(_ reader: RecordReader, input: ImportInput, source: String, into fc: inout FileCount,
                            totalBytes: Int64?) throws {
        let fields = input.kind.fields
        var slots = RowSlots(fieldCount: fields.count)
        let table: ImportTable = input.kind == .events ? .events : input.kind == .accounts ? .accounts : .items
        let row = try sink.begin(table, columns: fields.map(\.name) + ["extra"])
        let name = input.displayName
        checker.timeWindow = options.timeWindow
        loop: while true {
            if rows & 1023 == 0 {
                if options.shouldStop() { throw CancellationError() }
                report(file: name, done: reader.source.bytesConsumed, total: totalBytes)
            }
            switch try reader.next(into: &slots) {
            case .end:
                if let buf = reader.inputBuffer, let why = buf.breakMessage {
                    // As a local import: the rows before the break are kept, the break is a reject.
                    let at = buf.brokenAt ?? 0
                    let reason = "\(name): \(why); rows up to decompressed byte \(at.grouped) (line \(reader.line)) were imported, "
                        + (buf.brokenTail.isEmpty ? "the rest of the file is missing" : "the cut-off line here and the rest of the file are missing")
                    fc.rowsRead += 1
                    try buf.brokenTail.withUnsafeBufferPointer { tail in
                        try reject(Slice(ptr: tail.baseAddress, len: tail.count), line: reader.line + 1, source: source,
                                   kind: input.kind, reason: reason, into: &fc)
                    }
                    options.note?(reason)
                }
                break loop
            case .idle:
                continue        // only a followed file idles; a team import reads whole files
            case .bad(let why):
                fc.rowsRead += 1
                try reject(reader.raw, line: reader.line, source: source, kind: input.kind, reason: why, into: &fc)
            case .row:
                fc.rowsRead += 1
                if let why = checker.bind(row, &slots, fields) {
                    sink.discardRow()
                    try reject(reader.raw, line: reader.line, source: source, kind: input.kind, reason: why, into: &fc)
                } else {
                    try sink.endRow()
                }
            }
            rows += 1
        }
        try sink.end()
        fc.bytes = reader.source.bytesConsumed
    }

    private func reject(_ raw: Slice, line: Int, source: String, kind: ContractKind, reason: String, into fc: inout FileCount) throws {
        var raw = raw
        raw.len = min(raw.len, maxRecordBytes)   // a huge record is kept as its first MiB
        var h: UInt64 = 0xcbf2_9ce4_8422_2325    // FNV-1a, as Importer hashes it
        if let p = raw.ptr { for i in 0..<raw.len { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 } }
        try sink.reject(source: source, line: line, kind: kind.rawValue, raw: UnsafeRawBufferPointer(start: raw.ptr, count: raw.len),
                        reason: reason, hash: Int64(bitPattern: h))
        fc.rejected += 1
    }

    private func report(file: String, done: Int64, total: Int64?) {
        guard let progress = options.progress else { return }
        let now = Date()
        if now.timeIntervalSince(lastProgress) < 0.1 { return }
        lastProgress = now
        progress(ImportProgress(phase: "streaming", file: file, bytesDone: done, bytesTotal: total,
                                rows: rows, elapsed: now.timeIntervalSince(started)))
    }
}
