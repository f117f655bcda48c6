import Foundation
import Logging
import Synchronization
import Testing

/// How loggers behave in the test process: quiet by default, and what was held back is printed
/// when a test fails.
///
/// ``bootstrap()`` makes every `Logger(label:)` created afterwards print only lines at
/// `TRIBUTARY_TEST_LOG_LEVEL` and above (`trace` … `critical`, default `error`), so librdkafka's
/// connection warnings do not flood the output. Inside ``keepingLogs(_:)`` (the cluster harnesses
/// use it) the quieter lines down to `info` are kept instead of dropped, and printed if the body
/// throws: a test that timed out waiting shows what its clients logged. Test failures themselves
/// (`#expect`, `Issue.record`) go through Swift Testing and are never affected.
public enum TestLogging {
    /// Lines at this level and above are printed as they come (`TRIBUTARY_TEST_LOG_LEVEL`, default `error`).
    public static let printLevel: Logger.Level = {
        let text = ProcessInfo.processInfo.environment["TRIBUTARY_TEST_LOG_LEVEL"]?.lowercased() ?? ""
        if text.isEmpty { return .error }
        guard let level = Logger.Level(rawValue: text) else {
            FileHandle.standardError.write(
                Data(
                    "TRIBUTARY_TEST_LOG_LEVEL=\(text) is not one of trace, debug, info, notice, warning, error, critical; using error\n"
                        .utf8))
            return .error
        }
        return level
    }()

    /// The quietest level kept for a failure report.
    static let keptLevel: Logger.Level = .info

    /// Installs the test log handler as swift-log's backend, once per test process. Loggers made
    /// before it keep swift-log's default (print everything from `info`).
    public static func bootstrap() { _ = installed }

    private static let installed: Void = {
        LoggingSystem.bootstrap { label in TestLogHandler(label: label, kept: KeptLog.current) }
    }()

    /// A logger for something a test creates: quiet by default (see ``TestLogging``).
    public static func logger(_ label: String) -> Logger {
        bootstrap()
        return Logger(label: label)
    }

    /// Runs `body`; loggers created inside it keep their held-back lines, which are printed to
    /// standard error, after the name of the current test, if `body` throws.
    public static func keepingLogs<T>(_ body: () async throws -> T) async throws -> T {
        bootstrap()
        let kept = KeptLog()
        do {
            return try await KeptLog.$current.withValue(kept) { try await body() }
        } catch {
            kept.report(test: Test.current?.name, error: error)
            throw error
        }
    }
}

/// The log lines a test's loggers held back, the newest ``capacity`` of them.
final class KeptLog: Sendable {
    /// The log of the harness the current task runs in, if any.
    @TaskLocal static var current: KeptLog?

    static let capacity = 2_000
    private let state = Mutex<(lines: [String], dropped: Int)>(([], 0))

    func append(_ line: String) {
        state.withLock { state in
            if state.lines.count == Self.capacity {
                state.lines.removeFirst(Self.capacity / 4)
                state.dropped += Self.capacity / 4
            }
            state.lines.append(line)
        }
    }

    func report(test: String?, error: any Error) {
        let (lines, dropped) = state.withLock { ($0.lines, $0.dropped) }
        guard !lines.isEmpty else { return }
        var text = "── log lines held back (below \(TestLogging.printLevel)) for \(test ?? "a test") that threw \(error) ──\n"
        if dropped > 0 { text += "(\(dropped) older lines dropped)\n" }
        text += lines.joined(separator: "\n") + "\n── end of held-back log lines ──\n"
        TestLogHandler.write(text)
    }
}

/// Prints lines at ``TestLogging/printLevel`` and above; keeps quieter ones in a ``KeptLog`` when
/// the logger was made inside ``TestLogging/keepingLogs(_:)``.
struct TestLogHandler: LogHandler {
    let label: String
    let kept: KeptLog?
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(label: String, kept: KeptLog?) {
        self.label = label
        self.kept = kept
        logLevel = kept == nil ? TestLogging.printLevel : min(TestLogging.printLevel, TestLogging.keptLevel)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let printed = event.level >= TestLogging.printLevel
        guard printed || kept != nil else { return }
        var all = metadata
        for (key, value) in event.metadata ?? [:] { all[key] = value }
        let fields = all.isEmpty ? "" : " " + all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: " ")
        let line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(event.message)\(fields)"
        if printed { Self.write(line + "\n") } else { kept?.append(line) }
    }

    private static let output = Mutex(())

    /// Writes to standard error, one writer at a time.
    static func write(_ text: String) {
        output.withLock { _ in FileHandle.standardError.write(Data(text.utf8)) }
    }
}
