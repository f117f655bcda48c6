import Foundation
import Tributary

/// The Standard Webhooks scheme (standardwebhooks.com; Svix, Resend, Clerk…): headers `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` (space-separated `v1,<base64>`), each `v1` the base64
/// HMAC-SHA256 of `<id>.<timestamp>.<raw body>` keyed with the base64 part of a `whsec_<base64>` secret.
/// Any one matching `v1` is enough (secret rotation); the timestamp must be within the tolerance either way.
public struct StandardWebhookSignature: WebhookSignatureScheme {
    /// The header carrying the message id.
    public static let idHeader = "webhook-id"
    /// The header carrying the signed Unix timestamp.
    public static let timestampHeader = "webhook-timestamp"
    /// The header carrying the signatures.
    public static let signatureHeader = "webhook-signature"

    /// How far the signed timestamp may be from now, either way (the standard's 5 minutes).
    public var tolerance: Duration

    /// A verifier with the given tolerance.
    public init(tolerance: Duration = .seconds(300)) {
        self.tolerance = tolerance
    }

    /// `webhook-signature`, the header a rejection names.
    public var signatureHeaderName: String { Self.signatureHeader }

    /// Checks the request's three headers against its body and `secret` at `now`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(
            body: request.body, id: request.header(Self.idHeader), timestamp: request.header(Self.timestampHeader),
            signature: request.header(Self.signatureHeader), secret: secret, now: now)
    }

    /// Checks the three headers against `body` and `secret` at time `now`; returns the message id.
    @discardableResult
    public func verify(
        body: [UInt8], id: String?, timestamp: String?, signature: String?, secret: String, now: Date = Date()
    ) throws(WebhookSignatureError) -> String {
        guard let key = Self.key(fromSecret: secret) else { throw .unusableSecret }
        guard let id, !id.isEmpty else { throw .missingHeader(Self.idHeader) }
        guard let timestamp, !timestamp.isEmpty else { throw .missingHeader(Self.timestampHeader) }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard let seconds = Int64(timestamp) else { throw .malformedHeader(Self.timestampHeader) }
        var candidates: [[UInt8]] = []
        for item in signature.split(separator: " ") {
            guard let comma = item.firstIndex(of: ",") else { continue }
            guard item[..<comma] == "v1" else { continue }
            candidates.append(Data(base64Encoded: String(item[item.index(after: comma)...])).map(Array.init) ?? [])
        }
        guard !candidates.isEmpty else { throw .noSignatureOfScheme("v1") }
        try TimestampWindow(tolerance: tolerance).check(seconds, now: now)
        let message = Array("\(id).\(seconds).".utf8) + body
        guard candidates.contains(where: { HMACSHA256.isValid($0, key: key, message: message) }) else {
            throw .mismatch
        }
        return id
    }

    /// The `webhook-signature` value a sender would put on `body` for `id` and `timestamp`, one `v1` per secret.
    public static func header(body: [UInt8], id: String, timestamp: Int64, secrets: [String]) -> String? {
        var parts: [String] = []
        for secret in secrets {
            guard let key = key(fromSecret: secret) else { return nil }
            let mac = HMACSHA256.mac(key: key, message: Array("\(id).\(timestamp).".utf8) + body)
            parts.append("v1," + Data(mac).base64EncodedString())
        }
        return parts.joined(separator: " ")
    }

    /// A new random secret in the `whsec_<base64>` form (24 bytes from the system's secure generator).
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    /// The HMAC key of a `whsec_<base64>` secret (the prefix is optional), or nil when it is unusable.
    static func key(fromSecret secret: String) -> [UInt8]? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        var padded = encoded
        while padded.count % 4 != 0 { padded += "=" }
        guard let data = Data(base64Encoded: padded), !data.isEmpty else { return nil }
        return Array(data)
    }
}
