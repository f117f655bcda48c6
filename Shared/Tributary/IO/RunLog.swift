import Foundation
import Logging
import Synchronization

/// One log line of a run.
public struct RunLogLine: Sendable, Hashable, Codable {
    /// When it was logged.
    public var time: Date
    /// The level, e.g. `info`.
    public var level: String
    /// The message.
    public var message: String
    /// Structured metadata.
    public var metadata: [String: String]
    /// Creates a line.
    public init(time: Date, level: String, message: String, metadata: [String: String] = [:]) {
        self.time = time; self.level = level; self.message = message; self.metadata = metadata
    }
}

/// The log lines of one run attempt, collected by `io.logger`.
public final class RunLog: Sendable {
    private let lines_ = Mutex<[RunLogLine]>([])
    /// An empty log.
    public init() {}
    /// The lines so far.
    public var lines: [RunLogLine] { lines_.withLock { $0 } }
    /// Appends a line.
    public func append(_ line: RunLogLine) { lines_.withLock { $0.append(line) } }
}

/// A swift-log handler that records each line on a `RunLog` and forwards it to another handler (to print it).
public struct RunLogHandler: LogHandler {
    /// The log lines are recorded here.
    public let log: RunLog
    private var forward: (any LogHandler)?
    private let now: @Sendable () -> Date
    /// Handler metadata (forwarded when printing).
    public var metadata: Logger.Metadata = [:]
    /// The handler's level (the `Logger` filters first).
    public var logLevel: Logger.Level = .info

    /// Creates a handler recording into `log` and forwarding to `forward` (nil: record only).
    public init(log: RunLog, forward: (any LogHandler)?, now: @escaping @Sendable () -> Date = Date.init) {
        self.log = log; self.forward = forward; self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = [String: String]()
        for (k, v) in event.metadata ?? [:] { all[k] = "\(v)" }
        log.append(RunLogLine(time: now(), level: event.level.rawValue, message: event.message.description, metadata: all))
        if var f = forward {
            for (k, v) in metadata { f[metadataKey: k] = v }
            f.logLevel = .trace
            f.log(event: event)
        }
    }
}
