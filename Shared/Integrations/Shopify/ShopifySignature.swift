import Foundation
import Tributary

/// Shopify's webhook signature: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body,
/// keyed with the app's client secret. Shopify signs no timestamp.
public struct ShopifySignature: WebhookSignatureScheme {
    /// The header carrying the signature.
    public static let signatureHeader = "X-Shopify-Hmac-Sha256"

    /// A verifier.
    public init() {}

    /// `X-Shopify-Hmac-Sha256`, the header a rejection names.
    public var signatureHeaderName: String { Self.signatureHeader }

    /// Checks the request's signature against its body and the app secret `secret`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(body: request.body, signature: request.header(Self.signatureHeader), secret: secret)
    }

    /// Checks `signature` against `body` and `secret`.
    public func verify(body: [UInt8], signature: String?, secret: String) throws(WebhookSignatureError) {
        guard !secret.isEmpty else { throw .unusableSecret }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard let candidate = Data(base64Encoded: signature) else { throw .malformedHeader(Self.signatureHeader) }
        guard HMACSHA256.isValid(Array(candidate), key: Array(secret.utf8), message: body) else { throw .mismatch }
    }

    /// The `X-Shopify-Hmac-Sha256` value Shopify would send for `body` under `secret`.
    public static func header(body: [UInt8], secret: String) -> String {
        Data(HMACSHA256.mac(key: Array(secret.utf8), message: body)).base64EncodedString()
    }
}
