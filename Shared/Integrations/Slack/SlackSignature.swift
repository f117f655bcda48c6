import Foundation
import Tributary

/// Slack's request signing (Events API, interactivity, slash commands): `X-Slack-Signature: v0=<hex>`,
/// the HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>` keyed with the app's signing secret;
/// the timestamp must be within the tolerance (Slack's 5 minutes) either way.
public struct SlackSignature: WebhookSignatureScheme {
    /// The header carrying the signature.
    public static let signatureHeader = "X-Slack-Signature"
    /// The header carrying the signed Unix timestamp.
    public static let timestampHeader = "X-Slack-Request-Timestamp"

    /// How far the signed timestamp may be from now, either way.
    public var tolerance: Duration

    /// A verifier with the given tolerance.
    public init(tolerance: Duration = .seconds(300)) {
        self.tolerance = tolerance
    }

    /// `X-Slack-Signature`, the header a rejection names.
    public var signatureHeaderName: String { Self.signatureHeader }

    /// Checks the request's two headers against its body and `secret` at `now`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(
            body: request.body, timestamp: request.header(Self.timestampHeader), signature: request.header(Self.signatureHeader),
            secret: secret, now: now)
    }

    /// Checks `signature` (`v0=<hex>`) and `timestamp` against `body` and `secret` at `now`.
    public func verify(
        body: [UInt8], timestamp: String?, signature: String?, secret: String, now: Date = Date()
    ) throws(WebhookSignatureError) {
        guard !secret.isEmpty else { throw .unusableSecret }
        guard let timestamp, !timestamp.isEmpty else { throw .missingHeader(Self.timestampHeader) }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard let seconds = Int64(timestamp) else { throw .malformedHeader(Self.timestampHeader) }
        guard signature.hasPrefix("v0=") else { throw .noSignatureOfScheme("v0") }
        guard let candidate = Hex.decode(signature.dropFirst(3)) else { throw .malformedHeader(Self.signatureHeader) }
        try TimestampWindow(tolerance: tolerance).check(seconds, now: now)
        guard HMACSHA256.isValid(candidate, key: Array(secret.utf8), message: Array("v0:\(timestamp):".utf8) + body) else {
            throw .mismatch
        }
    }

    /// The `X-Slack-Signature` value Slack would send for `body` at `timestamp` under `secret`.
    public static func header(body: [UInt8], timestamp: Int64, secret: String) -> String {
        "v0=" + Hex.encode(HMACSHA256.mac(key: Array(secret.utf8), message: Array("v0:\(timestamp):".utf8) + body))
    }
}
