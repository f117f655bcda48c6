import Foundation
import Logging
import Synchronization
import Tributary

/// `LOG_FORMAT=json`: each log line is one JSON object on one line, for a log pipeline to parse.
/// The keys are `timestamp` (RFC 3339, UTC, milliseconds), `level`, `logger` (the label),
/// `message`, and every metadata key as it is (the ``LogKey`` names, `trace_id` and `span_id` from
/// the metadata provider), with its value as a string (lists and dictionaries as JSON).
public struct JSONLogHandler: LogHandler {
    /// The logger's label (`tributary.receiver`, …).
    public let label: String
    /// Lines below this level are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata set on the logger.
    public var metadata: Logger.Metadata = [:]
    /// Adds metadata from the task's context (trace and span ids) to each line.
    public var metadataProvider: Logger.MetadataProvider?
    private let write: @Sendable ([UInt8]) -> Void

    /// A handler writing each line with `write` (default: standard error, one line at a time).
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(Self.line(event, label: label, metadata: metadata, provided: metadataProvider?.get() ?? [:]))
    }

    /// The line of `event`: its JSON object and a newline. Metadata of the event wins over the
    /// logger's, which wins over the provider's; the fixed keys win over all.
    static func line(
        _ event: LogEvent, label: String, metadata: Logger.Metadata, provided: Logger.Metadata, at date: Date = Date()
    )
        -> [UInt8]
    {
        var object: [String: JSON] = [:]
        for (key, value) in provided { object[key] = json(value) }
        for (key, value) in metadata { object[key] = json(value) }
        for (key, value) in event.metadata ?? [:] { object[key] = json(value) }
        object["timestamp"] = .string(RFC3339.string(from: date))
        object["level"] = .string(event.level.rawValue)
        object["logger"] = .string(label)
        object["message"] = .string(event.message.description)
        var bytes = JSON.object(object).encoded()
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSON {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(json))
        case .dictionary(let values): return .object(values.mapValues(json))
        }
    }

    private static let output = Mutex(())

    /// Writes a line to standard error, one writer at a time.
    public static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        output.withLock { _ in
            FileHandle.standardError.write(Data(bytes))
        }
    }
}
