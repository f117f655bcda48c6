import Logging
import Synchronization
import Tributary

/// How a service prints its log lines (`LOG_FORMAT`): `text` (swift-log's stream format, the
/// default, by ``TextLogHandler``) or `json` (one ``JSONLogHandler`` object per line). Both carry the same metadata keys,
/// trace and span ids included while a span is current.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-01-01T00:00:00+0000 info tributary.receiver: source.key=stripe [TributaryReceiver] webhook rejected`.
    case text
    /// `{"level":"info","logger":"tributary.receiver","message":"webhook rejected","source.key":"stripe",…}`.
    case json

    /// Makes swift-log print in this format to standard error, with ``ServiceTracing/logMetadataProvider``.
    /// Only the first call in a process bootstraps swift-log (it can be bootstrapped once).
    public func bootstrap() {
        let first = Self.bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let provider = ServiceTracing.logMetadataProvider
        switch self {
        case .text:
            LoggingSystem.bootstrap(
                { label, provider in TextLogHandler(label: label, metadataProvider: provider) }, metadataProvider: provider)
        case .json:
            LoggingSystem.bootstrap(
                { label, provider in JSONLogHandler(label: label, metadataProvider: provider) }, metadataProvider: provider)
        }
    }

    private static let bootstrapped = Mutex(false)
}

extension ServiceEnvironment {
    /// `LOG_FORMAT`: `text` (default) or `json`.
    public func logFormat() throws(ConfigurationError) -> LogFormat {
        guard let text = string("LOG_FORMAT") else { return .text }
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigurationError("LOG_FORMAT=\(text) is not one of text, json", variable: "LOG_FORMAT")
        }
        return format
    }
}
