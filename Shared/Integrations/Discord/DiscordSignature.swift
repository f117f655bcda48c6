import Crypto
import Foundation
import Tributary

/// Discord's interaction signing: `X-Signature-Ed25519` (hex) is the Ed25519 signature of
/// `<X-Signature-Timestamp><raw body>` by Discord, checked with the application's public key (hex,
/// from the developer portal), which is what the source holds as its "secret". The timestamp must be
/// within the tolerance either way, so a captured request cannot be replayed later.
public struct DiscordSignature: WebhookSignatureScheme {
    /// The header carrying the signature.
    public static let signatureHeader = "X-Signature-Ed25519"
    /// The header carrying the signed Unix timestamp.
    public static let timestampHeader = "X-Signature-Timestamp"

    /// How far the signed timestamp may be from now, either way.
    public var tolerance: Duration

    /// A verifier with the given tolerance.
    public init(tolerance: Duration = .seconds(300)) {
        self.tolerance = tolerance
    }

    /// `X-Signature-Ed25519`, the header a rejection names.
    public var signatureHeaderName: String { Self.signatureHeader }

    /// Checks the request's two headers against its body and the public key `secret` at `now`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(
            body: request.body, timestamp: request.header(Self.timestampHeader), signature: request.header(Self.signatureHeader),
            publicKey: secret, now: now)
    }

    /// Checks `signature` and `timestamp` against `body` with `publicKey` (hex) at `now`.
    public func verify(
        body: [UInt8], timestamp: String?, signature: String?, publicKey: String, now: Date = Date()
    ) throws(WebhookSignatureError) {
        guard let keyBytes = Hex.decode(publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else {
            throw .unusableSecret
        }
        guard let timestamp, !timestamp.isEmpty else { throw .missingHeader(Self.timestampHeader) }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard let seconds = Int64(timestamp) else { throw .malformedHeader(Self.timestampHeader) }
        guard let candidate = Hex.decode(signature), candidate.count == 64 else { throw .malformedHeader(Self.signatureHeader) }
        try TimestampWindow(tolerance: tolerance).check(seconds, now: now)
        guard key.isValidSignature(candidate, for: Array(timestamp.utf8) + body) else { throw .mismatch }
    }

    /// The `X-Signature-Ed25519` value Discord would send for `body` at `timestamp`, signed with `privateKey`.
    public static func header(body: [UInt8], timestamp: String, privateKey: Curve25519.Signing.PrivateKey) throws -> String {
        Hex.encode(try privateKey.signature(for: Array(timestamp.utf8) + body))
    }

    /// The hex public key of `privateKey`, as the developer portal shows it.
    public static func publicKeyHex(_ privateKey: Curve25519.Signing.PrivateKey) -> String {
        Hex.encode(privateKey.publicKey.rawRepresentation)
    }
}
