import Logging

/// `LOG_FORMAT=text`: swift-log's stream format, with the metadata formatted only for a line that is
/// printed. swift-log's `StreamLogHandler` formats (sorts and joins) its metadata each time it is set,
/// and the HTTP server sets a request id on every request's logger, so the receiver formatted
/// metadata for every webhook and printed it for almost none.
public struct TextLogHandler: LogHandler {
    /// The logger's label (`tributary.receiver`, …).
    public let label: String
    /// Lines below this level are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata set on the logger.
    public var metadata: Logger.Metadata = [:]
    /// Adds metadata from the task's context (trace and span ids) to each line.
    public var metadataProvider: Logger.MetadataProvider?
    private let stream: (any TextOutputStream & Sendable)?

    /// A handler printing to `stream` (nil: standard error).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, stream: (any TextOutputStream & Sendable)? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.stream = stream
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var handler =
            stream.map { StreamLogHandler(label: label, stream: $0, metadataProvider: metadataProvider) }
            ?? StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
        handler.logLevel = logLevel
        handler.metadata = metadata
        handler.log(event: event)
    }
}
