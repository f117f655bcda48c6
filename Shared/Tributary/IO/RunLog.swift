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

/// The log lines of one run attempt, collected by `io.logger`, kept up to a byte limit (the run record
/// carries them to `<p>.runs`, so they are kept as long as the run is: see the README's retention).
/// Past the limit, lines are counted, not kept, and ``lines`` ends with one line saying how many were
/// dropped.
public final class RunLog: Sendable {
    private struct State {
        var lines: [RunLogLine] = []
        var bytes = 0
        var dropped = 0
        var firstDropped: Date?
    }
    private let state = Mutex(State())
    /// The most bytes of messages and metadata kept (`RUNNER_LOG_LIMIT`; `Int.max`: no limit).
    public let limit: Int

    /// An empty log keeping at most `limit` bytes of messages and metadata.
    public init(limit: Int = .max) { self.limit = limit }

    /// The lines kept so far, plus a `warning` line counting the dropped ones when some were.
    public var lines: [RunLogLine] {
        state.withLock { state in
            guard state.dropped > 0, let at = state.firstDropped else { return state.lines }
            return state.lines + [
                RunLogLine(
                    time: at, level: "warning",
                    message:
                        "\(state.dropped) more log line\(state.dropped == 1 ? "" : "s") dropped: over the run's log limit of \(limit) bytes (RUNNER_LOG_LIMIT)"
                )
            ]
        }
    }

    /// Appends a line, or counts it when the log is over its limit.
    public func append(_ line: RunLogLine) {
        let size = Self.size(of: line)
        state.withLock { state in
            if state.dropped == 0, size <= limit - state.bytes {
                state.lines.append(line)
                state.bytes += size
            } else {
                state.dropped += 1
                if state.firstDropped == nil { state.firstDropped = line.time }
            }
        }
    }

    /// What a line counts against the limit: its message's and metadata's UTF-8 bytes.
    static func size(of line: RunLogLine) -> Int {
        line.message.utf8.count + line.metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
    }
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
