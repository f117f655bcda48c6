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
