import Foundation
import Tributary

/// Typeform's webhook signature: `Typeform-Signature: sha256=<base64>`, the HMAC-SHA256 of the raw
/// body keyed with the webhook's secret. Typeform signs no timestamp.
public struct TypeformSignature: WebhookSignatureScheme {
    /// The header carrying the signature.
    public static let signatureHeader = "Typeform-Signature"

    /// A verifier.
    public init() {}

    /// `Typeform-Signature`, the header a rejection names.
    public var signatureHeaderName: String { Self.signatureHeader }

    /// Checks the request's signature against its body and `secret`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(body: request.body, signature: request.header(Self.signatureHeader), secret: secret)
    }

    /// Checks `signature` against `body` and `secret`.
    public func verify(body: [UInt8], signature: String?, secret: String) throws(WebhookSignatureError) {
        guard !secret.isEmpty else { throw .unusableSecret }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard signature.hasPrefix("sha256=") else { throw .noSignatureOfScheme("sha256") }
        guard let candidate = Data(base64Encoded: String(signature.dropFirst("sha256=".count))) else {
            throw .malformedHeader(Self.signatureHeader)
        }
        guard HMACSHA256.isValid(Array(candidate), key: Array(secret.utf8), message: body) else { throw .mismatch }
    }

    /// The `Typeform-Signature` value Typeform would send for `body` under `secret`.
    public static func header(body: [UInt8], secret: String) -> String {
        "sha256=" + Data(HMACSHA256.mac(key: Array(secret.utf8), message: body)).base64EncodedString()
    }
}
