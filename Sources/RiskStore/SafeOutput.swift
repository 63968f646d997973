import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output that never loses data silently and never crashes: every `write(2)` is checked,
/// the first failure is kept (and later writes skipped) so a streaming writer can stop, and
/// `finish()` reports it naming the destination.
///
/// `FileOutput` writes a file atomically: into a temporary file in the same directory, then
/// fsync and rename, so the final name holds either the whole export or nothing new. A
/// symbolic link keeps pointing where it did (its target is replaced), a destination that is
/// not a file (a device, a FIFO) is written in place, and /dev/stdout (/dev/fd/N) is the
/// descriptor itself — never replaced.
/// `DescriptorOutput` writes an already open descriptor (standard output), where a partial
/// write cannot be undone but is always reported.
public class CheckedOutput {
    /// What the messages call the destination: a path, or "standard output".
    public let name: String
    let fd: Int32
    private var buffer: [UInt8] = []
    private let bufferSize: Int
    /// The first write error (nil while every write succeeded).
    public private(set) var failure: StoreError?

    init(fd: Int32, name: String, bufferSize: Int) {
        self.fd = fd
        self.name = name
        self.bufferSize = bufferSize
        buffer.reserveCapacity(bufferSize)
    }

    public var failed: Bool { failure != nil }

    /// Queues text; flushes when the buffer is full. After a failure, does nothing.
    public func write(_ s: String) {
        guard failure == nil else { return }
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= bufferSize { flushBuffer() }
    }

    public func write(bytes: [UInt8]) {
        guard failure == nil else { return }
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferSize { flushBuffer() }
    }

    func flushBuffer() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil, !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    let why = n == 0 ? "nothing written" : String(cString: strerror(errno))
                    failure = StoreError("\(name): write failed: \(why)")
                    return
                }
                off += n
            }
        }
    }

    /// Writes what is buffered; throws the first error of this output.
    public func flush() throws {
        flushBuffer()
        if let failure { throw failure }
    }
}

/// Standard output (or any open descriptor): buffered, checked writes.
public final class DescriptorOutput: CheckedOutput {
    public override init(fd: Int32 = 1, name: String = "standard output", bufferSize: Int = 1 << 16) {
        super.init(fd: fd, name: name, bufferSize: bufferSize)
    }

    /// Flushes; throws when anything written so far failed.
    public func finish() throws { try flush() }
}

/// A file written whole or not at all: a temporary file beside `path` until `commit()`.
/// A destination that exists and is not a regular file (a terminal, /dev/null, a FIFO) is
/// written directly, and /dev/stdout, /dev/stderr, /dev/fd/N through the descriptor itself:
/// a rename would put a plain file in its place (or behind a shell's redirection).
public final class FileOutput: CheckedOutput {
    public let path: String
    /// The temporary file; nil when writing a device or FIFO in place.
    let tempPath: String?
    /// Where the temporary file is renamed to: `path`, or the file a symbolic link at `path`
    /// points to (so the link stays a link).
    let target: String
    private var done = false
    private var closed = false

    /// Creates the temporary file (mode 0644 less the umask) beside `path` (beside the file a
    /// symbolic link names), or opens a device or FIFO at `path` for writing.
    public init(path: String, bufferSize: Int = 1 << 16) throws {
        self.path = path
        // /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: the descriptor itself, where it
        // stands (stdout redirected to a file is appended to, not replaced behind the shell's back).
        if let n = FileOutput.descriptor(named: path) {
            let fd = fcntl(n, F_DUPFD_CLOEXEC, 0)
            if fd < 0 { throw StoreError("\(path): cannot write: \(String(cString: strerror(errno)))") }
            tempPath = nil
            target = path
            super.init(fd: fd, name: path, bufferSize: bufferSize)
            return
        }
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw StoreError("\(path): cannot create the file: it is a directory") }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            if fd < 0 { throw StoreError("\(path): cannot write: \(String(cString: strerror(errno)))") }
            tempPath = nil
            target = path
            super.init(fd: fd, name: path, bufferSize: bufferSize)
            return
        }
        // A link to a file: replace the file it names, keep the link.
        var resolved = path
        var lst = stat()
        if lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK, let real = realpath(path, nil) {
            resolved = String(cString: real)
            free(real)
        }
        target = resolved
        let url = URL(fileURLWithPath: resolved)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw StoreError("\(path): cannot create the file: no such directory \(dir)")
        }
        let temp = (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw StoreError("\(path): cannot create the file: \(String(cString: strerror(errno)))") }
        tempPath = temp
        super.init(fd: fd, name: path, bufferSize: bufferSize)
    }

    /// The descriptor a path names: /dev/stdout 1, /dev/stderr 2, /dev/fd/N and /proc/self/fd/N N.
    static func descriptor(named path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// Flushes, syncs and renames onto `path`; on any failure removes the temporary file
    /// and throws (an older file at `path` is left as it was). A device or FIFO: flushes and
    /// closes, throwing the first write error.
    public func commit() throws {
        guard !done else { return }
        done = true
        flushBuffer()
        guard let tempPath else {
            closed = true
            close(fd)
            if let failure { throw failure }
            return
        }
        if let failure { discard(); throw failure }
        if fsync(fd) != 0 {
            let e = StoreError("\(path): write failed: \(String(cString: strerror(errno)))")
            discard(); throw e
        }
        closed = true
        if close(fd) != 0 {
            let e = StoreError("\(path): write failed: \(String(cString: strerror(errno)))")
            unlink(tempPath); throw e
        }
        if rename(tempPath, target) != 0 {
            let e = StoreError("\(path): cannot write: \(String(cString: strerror(errno)))")
            unlink(tempPath); throw e
        }
        // Make the rename itself durable.
        let dir = open((target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Removes the temporary file; `path` is untouched (a device or FIFO keeps what was
    /// already written to it).
    public func discard() {
        if !closed {
            closed = true
            close(fd)
            if let tempPath { unlink(tempPath) }
        }
        done = true
    }

    deinit { if !done { discard() } }
}

/// Text from the store made safe to print to a terminal: control characters (C0, DEL, C1)
/// and bidirectional overrides shown as `·`, so imported data can't clear the screen,
/// set the title, write the clipboard (OSC 52) or reorder what the analyst reads.
/// Machine formats (CSV, JSON) escape instead and don't use this.
public enum TerminalText {
    /// - Parameter newlines: what a line break becomes (`⏎` in a table cell).
    public static func sanitize(_ s: String, newline: String = "⏎") -> String {
        guard s.unicodeScalars.contains(where: needsReplacing) else { return s }
        var out = String.UnicodeScalarView()
        var previousCR = false
        for u in s.unicodeScalars {
            defer { previousCR = u == "\r" }
            if u == "\n" {
                if !previousCR { out.append(contentsOf: newline.unicodeScalars) }
            } else if u == "\r" {
                out.append(contentsOf: newline.unicodeScalars)
            } else if u == "\t" {
                out.append(" ")
            } else if needsReplacing(u) {
                out.append("·")
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    @inline(__always)
    static func needsReplacing(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || (v >= 0x7F && v < 0xA0) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }
}
