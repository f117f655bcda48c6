/// What a source handler returns for an accepted request.
public struct HandlerResult: Sendable {
    /// The events to publish (possibly none, e.g. for a ping).
    public var events: [EventRecord]
    /// The HTTP response to give the provider; `nil` means an empty 200.
    public var response: SourceResponse?
    /// Metadata to keep and pass to the next call of the handler; `nil` keeps the current one.
    public var metadata: JSON?
    /// Creates a result.
    public init(events: [EventRecord], response: SourceResponse? = nil, metadata: JSON? = nil) {
        self.events = events; self.response = response; self.metadata = metadata
    }
}

/// An HTTP response a handler wants the provider to get.
public struct SourceResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// Headers.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]
    /// Creates a response.
    public init(status: Int = 200, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status; self.headers = headers; self.body = body
    }
}

/// A handler's refusal of a request; the receiver answers it with `status` (a 4xx) and publishes nothing.
public struct SourceRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why a request was rejected.
    public enum Reason: String, Sendable, Hashable, Codable {
        /// The signature is missing, malformed, wrong or too old.
        case badSignature
        /// The body could not be parsed.
        case malformedBody
        /// The request is not one this source accepts (wrong method, unknown event, …).
        case unsupported
    }
    /// The reason.
    public var reason: Reason
    /// A human explanation (never containing secrets).
    public var message: String
    /// The HTTP status to answer with.
    public var status: Int

    /// Creates a rejection; the status defaults to 401 for bad signatures and 400 otherwise.
    public init(_ reason: Reason, _ message: String, status: Int? = nil) {
        self.reason = reason
        self.message = message
        self.status = status ?? (reason == .badSignature ? 401 : 400)
    }

    /// A bad-signature rejection.
    public static func badSignature(_ message: String) -> SourceRejection { .init(.badSignature, message) }
    /// A malformed-body rejection.
    public static func malformedBody(_ message: String) -> SourceRejection { .init(.malformedBody, message) }

    public var description: String { "\(reason.rawValue): \(message)" }
}
