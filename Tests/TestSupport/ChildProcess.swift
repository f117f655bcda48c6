import Foundation
import Synchronization
import Testing

/// A built executable of this package, next to the test bundle.
public func productURL(_ name: String) -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/debug/\(name)")
}

/// A process a test starts: its output lines are collected as they arrive, and it is killed when
/// the test drops it.
public final class ChildProcess: Sendable {
    /// Where the process's standard error goes.
    public enum ErrorOutput: Sendable {
        /// Collected apart, in ``ChildProcess/errorLines``.
        case separate
        /// Collected with standard output, in ``ChildProcess/lines``.
        case merged
        /// Written to a file (a service's logs, kept for a failed test).
        case file(String)
    }

    private let process: Process
    private let output = LineCollector()
    private let errors = LineCollector()

    /// Starts `executable`; `environment`, when given, replaces the test's environment; `directory`
    /// is its working directory (default: the test's).
    public init(
        _ executable: URL, _ arguments: [String] = [], environment: [String: String]? = nil, directory: URL? = nil,
        errors errorOutput: ErrorOutput = .separate
    ) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let outputPipe = Pipe()
        process.standardOutput = outputPipe
        var readers = [(outputPipe.fileHandleForReading, output)]
        switch errorOutput {
        case .separate:
            let errorPipe = Pipe()
            process.standardError = errorPipe
            readers.append((errorPipe.fileHandleForReading, errors))
        case .merged:
            process.standardError = outputPipe
        case .file(let path):
            FileManager.default.createFile(atPath: path, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: path)
        }
        // Each pipe is read by a thread of its own with blocking reads, not by `readabilityHandler`:
        // that handler's dispatch source can outlive the descriptor it watches (closed when the
        // handle goes, its number reused by a socket), and libdispatch's event loop then crashes on
        // the stale registration (seen once under load, in `_dispatch_event_loop_drain`).
        for (handle, collector) in readers {
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    collector.append(Data(buffer[0..<count]))
                }
                collector.end()
            }
        }
        self.collected = readers.map(\.1)
        try launch(process)
        self.launchedAt = .now
        self.process = process
    }

    /// When the process was started.
    private let launchedAt: ContinuousClock.Instant

    /// How long the process ran: from its start until its standard output closed (at its exit, unless
    /// a child of it holds the pipe); nil while it is open. Taken on the pipe reader's own thread, so a
    /// test whose tasks wait for a busy cooperative pool does not count the wait.
    public var runTime: Duration? { output.endedAt.map { $0 - launchedAt } }

    /// The collectors reading the process's pipes.
    private let collected: [LineCollector]

    /// After the process exited: waits (at most 2 s, a child of it may hold the pipe) until what it
    /// printed last is collected, so that ``lines`` ends with its last line.
    private func collectRest() {
        for collector in collected { collector.waitForEnd(timeout: 2) }
    }

    /// The standard output lines so far (with standard error too when merged).
    public var lines: [String] { output.lines }
    /// The standard error lines so far, when collected apart.
    public var errorLines: [String] { errors.lines }
    public var isRunning: Bool { process.isRunning }
    /// The exit status, once it exited.
    public var exitCode: Int32 { process.terminationStatus }

    /// The first line printed (e.g. an address), waiting for it.
    public func firstLine(timeout: Duration = .seconds(30)) async throws -> String {
        try await eventually("the process prints its first line", timeout: timeout) { !lines.isEmpty }
        return lines[0]
    }

    /// SIGKILL: the process dies at once (without leaving a consumer group, flushing or committing).
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the exit; returns the exit status. A process still running
    /// `killAfter` seconds later is killed (SIGKILL) and an issue is recorded: a graceful shutdown
    /// that hangs fails its test instead of holding the whole suite.
    @discardableResult
    public func terminate(killAfter: TimeInterval = 60) -> Int32 {
        if process.isRunning { process.terminate() }
        let exited = DispatchSemaphore(value: 0)
        let pid = process.processIdentifier
        let killed = Mutex(false)
        Thread.detachNewThread {
            guard exited.wait(timeout: .now() + killAfter) == .timedOut else { return }
            killed.withLock { $0 = true }
            Foundation.kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        exited.signal()
        collectRest()
        if killed.withLock({ $0 }) {
            let name = process.executableURL?.lastPathComponent ?? "a child process"
            Issue.record(
                "\(name) (pid \(pid)) did not exit within \(Int(killAfter)) s of SIGTERM: killed. Its last lines: \(lines.suffix(20))")
        }
        return process.terminationStatus
    }

    public func waitUntilExit() {
        process.waitUntilExit()
        collectRest()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Splits bytes arriving in pieces into lines.
public final class LineCollector: Sendable {
    private let state = Mutex<(lines: [String], partial: String, endedAt: ContinuousClock.Instant?)>(([], "", nil))
    private let ended = DispatchSemaphore(value: 0)

    public init() {}

    /// The writer closed its end (end of file).
    public func end() {
        state.withLock { $0.endedAt = .now }
        ended.signal()
    }

    /// When ``end()`` was called, once it was.
    public var endedAt: ContinuousClock.Instant? { state.withLock { $0.endedAt } }

    /// Waits until ``end()`` was called, at most `timeout` seconds (later calls return at once).
    public func waitForEnd(timeout: TimeInterval) {
        if ended.wait(timeout: .now() + timeout) == .success { ended.signal() }
    }

    public func append(_ data: Data) {
        state.withLock { state in
            state.partial += String(decoding: data, as: UTF8.self)
            while let newline = state.partial.firstIndex(of: "\n") {
                state.lines.append(String(state.partial[..<newline]))
                state.partial = String(state.partial[state.partial.index(after: newline)...])
            }
        }
    }

    public var lines: [String] { state.withLock { $0.lines } }
}

/// A loopback port nobody listens on right now.
public func freePort() throws -> Int { try ClosedPort().port }

/// A loopback port that refuses connections for as long as this value lives: its socket is bound
/// (without `SO_REUSEADDR`) and never listens, so no other server or ephemeral port of a test running
/// alongside can take it meanwhile. `freePort()` only says the port was free when it was asked; a
/// "nothing listens there" test that a parallel server's port lands on waits for timeouts instead.
public final class ClosedPort: Sendable {
    /// The port.
    public let port: Int
    private let fd: Int32

    /// Binds a free loopback port and holds it.
    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard fd >= 0, bound == 0 else {
            if fd >= 0 { close(fd) }
            throw WaitTimeout(what: "a port to hold closed", timeout: .zero)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

/// Reads `pipes` to their end and waits for `process` to exit on threads of their own, never on the
/// cooperative pool: it has one thread per core (two here), and a test blocked reading a child's
/// output there for seconds starves every other test in the process, including the servers the
/// child may be talking to. Returns each pipe's bytes, in order.
public func waitForExit(_ process: Process, reading pipes: [Pipe] = []) async -> [Data] {
    await withCheckedContinuation { (continuation: CheckedContinuation<[Data], Never>) in
        let results = Mutex<[Int: Data]>([:])
        let group = DispatchGroup()
        for (index, pipe) in pipes.enumerated() {
            group.enter()
            Thread.detachNewThread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                results.withLock { $0[index] = data }
                group.leave()
            }
        }
        Thread.detachNewThread {
            group.wait()
            process.waitUntilExit()
            let all = results.withLock { state in pipes.indices.map { state[$0] ?? Data() } }
            continuation.resume(returning: all)
        }
    }
}

/// Starts `process` while no other test in this process starts one, with room in the heap after the
/// directory buffer `Process.run()` reads `/proc/self/fd` into.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) finds the highest open descriptor by copying
/// each directory entry's whole 256-byte `d_name`, which reads past the end of an entry at the end of
/// glibc's 32 KiB buffer (swift-corelibs-foundation #5472). With more than ~1,350 open descriptors
/// the buffer fills up to its end (this test process holds 2,700 while the suite runs: embedded
/// clusters and clients), and when the buffer was carved from the very end of the thread's heap the
/// copy faults: two fresh-clone runs crashed there (a memcpy of a bad pointer in `Process.run`).
/// Freeing a 96 KiB block just before, with trimming off, leaves the top of this thread's heap large,
/// so the buffer that comes from it is followed by mapped memory.
public func launch(_ process: Process) throws {
    try launchLock.withLock {
        #if canImport(Glibc)
            heapRoomOnce
            free(malloc(96 << 10))
        #endif
        try process.run()
    }
}

#if canImport(Glibc)
    /// Keeps freed memory at the top of a heap from being returned (so the block freed above stays mapped).
    /// (`mallopt` is in `<malloc.h>`, which the Glibc module leaves out: it is looked up; `M_TRIM_THRESHOLD` is -1.)
    private let heapRoomOnce: Void = {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-1, 512 << 20)
    }()
#endif

private let launchLock = NSLock()
