import Foundation
import Tributary

/// Linear's webhook signature: `Linear-Signature` is the hex HMAC-SHA256 of the raw body, keyed with
/// the webhook's signing secret; the body's `webhookTimestamp` (Unix milliseconds) must be within the
/// tolerance (Linear's 60 seconds) either way. A body that is not JSON is left to the parser (400).
public struct LinearSignature: WebhookSignatureScheme {
    /// The header carrying the signature.
    public static let signatureHeader = "Linear-Signature"

    /// Why a signed body's timestamp is refused.
    public enum TimestampError: Error, CustomStringConvertible {
        /// No numeric `webhookTimestamp` in the body.
        case missing
        /// Outside the window.
        case outsideWindow(WebhookSignatureError)

        public var description: String {
            switch self {
            case .missing: "the body has no numeric webhookTimestamp"
            case .outsideWindow(let error): "webhookTimestamp: \(error)"
            }
        }
    }

    /// How far `webhookTimestamp` may be from now, either way.
    public var tolerance: Duration

    /// A verifier with the given tolerance.
    public init(tolerance: Duration = .seconds(60)) {
        self.tolerance = tolerance
    }

    /// `Linear-Signature`, the header a rejection names.
    public var signatureHeaderName: String { Self.signatureHeader }

    /// Checks the request's signature against its body and `secret`, then the body's timestamp at `now`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(body: request.body, signature: request.header(Self.signatureHeader), secret: secret, now: now)
    }

    /// Checks `signature` against `body` and `secret`, then `webhookTimestamp` at `now`.
    public func verify(body: [UInt8], signature: String?, secret: String, now: Date = Date()) throws {
        guard !secret.isEmpty else { throw WebhookSignatureError.unusableSecret }
        guard let signature, !signature.isEmpty else { throw WebhookSignatureError.missingHeader(Self.signatureHeader) }
        guard let candidate = Hex.decode(signature) else { throw WebhookSignatureError.malformedHeader(Self.signatureHeader) }
        guard HMACSHA256.isValid(candidate, key: Array(secret.utf8), message: body) else { throw WebhookSignatureError.mismatch }
        guard let payload = try? JSON(parsing: body) else { return }
        guard let milliseconds = payload["webhookTimestamp"]?.numberValue else { throw TimestampError.missing }
        do {
            try TimestampWindow(tolerance: tolerance).check(Int64((milliseconds / 1000).rounded(.down)), now: now)
        } catch let error as WebhookSignatureError {
            throw TimestampError.outsideWindow(error)
        }
    }

    /// The `Linear-Signature` value Linear would send for `body` under `secret`.
    public static func header(body: [UInt8], secret: String) -> String {
        Hex.encode(HMACSHA256.mac(key: Array(secret.utf8), message: body))
    }
}
