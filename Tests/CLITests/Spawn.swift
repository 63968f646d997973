import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Child processes for the end-to-end tests, on posix_spawn + waitpid.
///
/// Foundation's `Process` reaps children from a SIGCHLD-driven thread; with fast-exiting
/// children that daemonise (the tmux client) `waitUntilExit` was seen to hang forever on a
/// machine without a controlling terminal. Here every wait has a deadline, children get
/// default signal dispositions and an empty mask (a CI runner started with `&` ignores SIGINT),
/// and output goes to files, so no grandchild can hold a pipe open.
final class Child: @unchecked Sendable {
    let pid: pid_t
    let description: String
    private var exit: Int32?
    private let lock = NSLock()

    init(pid: pid_t, description: String) {
        self.pid = pid
        self.description = description
    }

    /// Exit code, or 128 + signal number when a signal ended it (as a shell reports it).
    var status: Int32? {
        lock.lock(); defer { lock.unlock() }
        if exit == nil {
            var st: Int32 = 0
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid { exit = Child.decode(st) }
        }
        return exit
    }

    var isRunning: Bool { status == nil }

    func signal(_ sig: Int32) { if isRunning { kill(pid, sig) } }

    /// Waits for the child; after `timeout` it is killed and the test fails.
    @discardableResult
    func wait(timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = status { return s }
            usleep(5_000)
        }
        XCTFail("\(description) did not finish within \(Int(timeout)) s; killed", file: file, line: line)
        kill(pid, SIGKILL)
        while status == nil { usleep(5_000) }
        return status!
    }

    static func decode(_ st: Int32) -> Int32 {
        let sig = st & 0x7f
        return sig == 0 ? (st >> 8) & 0xff : 128 + sig
    }
}

enum Spawn {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts `argv[0]` (a path, or a name looked up in PATH) with stdin/stdout/stderr
    /// redirected to the given files.
    static func start(_ argv: [String], env: [String: String]? = nil, cwd: String? = nil,
                      stdin: String = "/dev/null", stdout: String = "/dev/null", stderr: String = "/dev/null") throws -> Child {
        var args = argv
        if let cwd { args = ["/usr/bin/env", "-C", cwd] + args }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = env ?? ProcessInfo.processInfo.environment
        let cArgs = args.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = args[0].contains("/")
            ? posix_spawn(&pid, args[0], &actions, &attr, cArgs, cEnv)
            : posix_spawnp(&pid, args[0], &actions, &attr, cArgs, cEnv)
        guard rc == 0 else {
            throw NSError(domain: "Spawn", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot start \(args[0]): \(String(cString: strerror(rc)))"])
        }
        return Child(pid: pid, description: argv.prefix(4).joined(separator: " "))
    }

    /// Runs a command to completion with optional stdin bytes and returns its output.
    static func run(_ argv: [String], env: [String: String]? = nil, cwd: String? = nil, input: Data? = nil,
                    timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line) throws -> Output {
        let tmp = NSTemporaryDirectory() + "rd-spawn-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        var stdin = "/dev/null"
        if let input {
            stdin = tmp + "/in"
            try input.write(to: URL(fileURLWithPath: stdin))
        }
        let child = try start(argv, env: env, cwd: cwd, stdin: stdin, stdout: tmp + "/out", stderr: tmp + "/err")
        let status = child.wait(timeout: timeout, file: file, line: line)
        func read(_ p: String) -> String {
            String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: p))) ?? Data(), as: UTF8.self)
        }
        return Output(status: status, stdout: read(tmp + "/out"), stderr: read(tmp + "/err"))
    }
}
