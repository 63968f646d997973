import CZlib
import Foundation
import RiskStore

/// An error reading input that names the file and, where known, the line.
public struct ImportError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a read returned.
enum ReadResult {
    case bytes(Int)
    case eof
    /// No data right now (a followed file that hasn't grown): try again later.
    case idle
}

/// A stream of raw bytes.
protocol ByteSource: AnyObject {
    var name: String { get }
    /// Bytes consumed from the underlying file (compressed bytes for gzip), for progress.
    var bytesConsumed: Int64 { get }
    func read(into buf: UnsafeMutableRawPointer, capacity: Int) throws -> ReadResult
}

/// A plain file descriptor (a file, or standard input).
final class FileSource: ByteSource {
    let name: String
    let fd: Int32
    let ownsFD: Bool
    private(set) var bytesConsumed: Int64 = 0

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ImportError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw ImportError("\(path): is a directory")
        }
        self.name = path
        self.fd = fd
        self.ownsFD = true
    }

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
        self.ownsFD = false
    }

    deinit { if ownsFD { close(fd) } }

    func read(into buf: UnsafeMutableRawPointer, capacity: Int) throws -> ReadResult {
        while true {
            let n = Glibc.read(fd, buf, capacity)
            if n > 0 { bytesConsumed += Int64(n); return .bytes(n) }
            if n == 0 { return .eof }
            if errno == EINTR { continue }
            throw ImportError("\(name): read failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads a file that keeps growing (`import --follow`): at its end, reports `.idle`
/// instead of `.eof`, so the importer can commit and wait. A file that shrinks (truncated) or
/// is replaced (rotated: a new file under the name) is read again from its start, with a
/// `RestartSignal` that says whether the new content starts as the old did:
/// - it does (the same export rewritten, or grown): `continues` — rows already stored are
///   skipped by event_id, ids made from lines come out the same;
/// - it does not (a rotated log's next file): a new file — ids made from lines get a new
///   generation (`name#2:1`) so they don't collide with the old file's.
/// Undecided — the new file is so far only what the old one began with, up to `dataStart`
/// (its header), or empty — it waits: the old file is read on meanwhile (a writer that has not
/// reopened the log yet still appends to it), and the choice is made when the new file grows.
final class FollowSource: ByteSource {
    let name: String
    private var fd: Int32
    private var offset: Int64 = 0
    private(set) var bytesConsumed: Int64 = 0
    /// The first bytes of the file being read (up to `headLimit`), to recognise the same content.
    private var head: [UInt8] = []
    static let headLimit = 1 << 16
    /// Where the rows begin (after a header, skipped lines): a new file no longer than this
    /// that starts like the old one can't be told apart from it yet. Set by the reader.
    var dataStart: Int64 = 0
    /// The file's offset the buffer has read up to (for `dataStart`).
    var fileOffset: Int64 { offset }

    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ImportError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        name = path
    }
    deinit { close(fd) }

    func read(into buf: UnsafeMutableRawPointer, capacity: Int) throws -> ReadResult {
        let n = pread(fd, buf, capacity, off_t(offset))
        if n > 0 {
            if offset < Int64(Self.headLimit) {
                let keep = min(n, Self.headLimit - Int(offset))
                if Int64(head.count) == offset {
                    head.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: keep).bindMemory(to: UInt8.self))
                }
            }
            offset += Int64(n)
            bytesConsumed += Int64(n)
            return .bytes(n)
        }
        if n < 0 && errno != EINTR { throw ImportError("\(name): read failed: \(String(cString: strerror(errno)))") }
        // At the end: has the file been truncated or replaced?
        var st = stat()
        guard stat(name, &st) == 0 else { return .idle }
        var cur = stat()
        fstat(fd, &cur)
        let replaced = st.st_ino != cur.st_ino || st.st_dev != cur.st_dev
        guard replaced || Int64(st.st_size) < offset else { return .idle }
        let newFD = replaced ? open(name, O_RDONLY | O_CLOEXEC) : fd
        guard newFD >= 0 else { return .idle }
        // What the new content begins with, against what the old began with.
        let want = min(head.count, Self.headLimit)
        var prefix = [UInt8](repeating: 0, count: want)
        let got = want == 0 ? 0 : prefix.withUnsafeMutableBytes { pread(newFD, $0.baseAddress!, want, 0) }
        let newSize = Int64(replaced ? { var s = stat(); fstat(newFD, &s); return s.st_size }() : st.st_size)
        let same = got >= 0 && prefix[0..<max(got, 0)].elementsEqual(head[0..<max(got, 0)])
        if same && got < want && newSize <= max(dataStart, 0) {
            // Nothing yet beyond what every file of this export begins with: wait.
            if replaced { close(newFD) }
            return .idle
        }
        // The same bytes past the header: the same content (rewritten or grown) goes on.
        let continues = same && got > 0 && Int64(got) > dataStart
        if replaced { close(fd); fd = newFD }
        offset = 0
        head = []
        throw RestartSignal(continues: continues)
    }

    struct RestartSignal: Error {
        /// The new content starts as the old did (the same rows again); false: a new file.
        var continues: Bool
    }
}

/// Inflates a gzip stream (several concatenated members allowed, as `cat a.gz b.gz` makes).
final class GzipSource: ByteSource {
    let inner: ByteSource
    var name: String { inner.name }
    var bytesConsumed: Int64 { inner.bytesConsumed }
    private var stream = z_stream()
    private var input: UnsafeMutableRawPointer
    private let inputCapacity = 1 << 18
    private var inputEOF = false
    private var finished = false
    private var memberEnded = false
    /// Decompressed bytes handed out so far.
    private(set) var bytesDecoded: Int64 = 0
    /// Set when the stream breaks (truncated or corrupt): the bytes before the break have
    /// been handed out, and the source then reports its end. Says where and why.
    private(set) var breakMessage: String?

    init(_ inner: ByteSource, prefix: [UInt8]) throws {
        self.inner = inner
        input = UnsafeMutableRawPointer.allocate(byteCount: inputCapacity, alignment: 16)
        // Hand zlib the bytes that were already read to sniff the format.
        prefix.withUnsafeBytes { input.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        stream.next_in = input.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(prefix.count)
        let rc = riskdesk_inflate_init2(&stream, 15 + 32)
        if rc != Z_OK { throw ImportError("\(inner.name): cannot start gzip decoder (zlib error \(rc))") }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buf: UnsafeMutableRawPointer, capacity: Int) throws -> ReadResult {
        if finished { return .eof }
        stream.next_out = buf.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(capacity)
        while stream.avail_out == uInt(capacity) {
            if stream.avail_in == 0 && !inputEOF {
                switch try inner.read(into: input, capacity: inputCapacity) {
                case .bytes(let n):
                    stream.next_in = input.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(n)
                case .eof: inputEOF = true
                case .idle: return .idle
                }
            }
            if memberEnded {
                // Another gzip member follows, or trailing bytes / the end.
                if stream.avail_in == 0 && inputEOF { finished = true; return .eof }
                if stream.avail_in == 0 { continue }
                inflateReset(&stream)
                memberEnded = false
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            var broken: String?
            if rc == Z_STREAM_END {
                memberEnded = true
            } else if rc == Z_BUF_ERROR {
                if inputEOF && stream.avail_in == 0 {
                    broken = "gzip stream is truncated (it ends before its end marker, at compressed byte \(bytesConsumed.grouped))"
                }
            } else if rc != Z_OK {
                let msg = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                let at = bytesConsumed - Int64(stream.avail_in)
                broken = "corrupt gzip data near compressed byte \(at.grouped): \(msg)"
            }
            if let broken {
                // Keep what was decoded before the break; the reader sees the end of input.
                breakMessage = broken
                finished = true
                let n = capacity - Int(stream.avail_out)
                bytesDecoded += Int64(n)
                return n > 0 ? .bytes(n) : .eof
            }
        }
        let n = capacity - Int(stream.avail_out)
        bytesDecoded += Int64(n)
        return .bytes(n)
    }
}

/// Returns a source that yields the decoded bytes of `raw`, decompressing gzip when the
/// first bytes are gzip's magic number (whatever the file is called).
func openDecoded(_ raw: ByteSource) throws -> (ByteSource, prefix: [UInt8]) {
    var prefix = [UInt8](repeating: 0, count: 2)
    var got = 0
    while got < 2 {
        let r = try prefix.withUnsafeMutableBytes { try raw.read(into: $0.baseAddress! + got, capacity: 2 - got) }
        switch r {
        case .bytes(let n): got += n
        case .eof, .idle: return (raw, Array(prefix[0..<got]))
        }
    }
    if prefix[0] == 0x1f && prefix[1] == 0x8b {
        return (try GzipSource(raw, prefix: prefix), [])
    }
    return (raw, prefix)
}

/// Validates UTF-8 (rejecting overlongs, surrogates and values past U+10FFFF).
@inline(__always)
func isValidUTF8(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    // Fast path: 8 ASCII bytes at a time.
    while i + 8 <= n {
        let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
        if w & 0x8080_8080_8080_8080 != 0 { break }
        i += 8
    }
    while i < n {
        let c = p[i]
        if c < 0x80 { i += 1; continue }
        let need: Int
        var cp: UInt32
        if c & 0xE0 == 0xC0 { need = 1; cp = UInt32(c & 0x1F); if c < 0xC2 { return false } }
        else if c & 0xF0 == 0xE0 { need = 2; cp = UInt32(c & 0x0F) }
        else if c & 0xF8 == 0xF0 { need = 3; cp = UInt32(c & 0x07); if c > 0xF4 { return false } }
        else { return false }
        if i + need >= n { return false }
        for k in 1...need {
            let cc = p[i + k]
            if cc & 0xC0 != 0x80 { return false }
            cp = (cp << 6) | UInt32(cc & 0x3F)
        }
        switch need {
        case 2: if cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) { return false }
        case 3: if cp < 0x10000 || cp > 0x10FFFF { return false }
        default: break
        }
        i += need + 1
    }
    return true
}
