import Crypto
import Foundation
import Tributary

/// Twilio's request validation: `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed with the account's
/// auth token, of the full URL Twilio requested (scheme, host, path and query) followed by every POST
/// parameter (`application/x-www-form-urlencoded` body) sorted by name, each name then its value
/// appended. Twilio signs no timestamp. The URL comes from the receiver (`SourceRequest.url`, built
/// from `RECEIVER_PUBLIC_URL`), since behind a proxy the request's own host is not the one Twilio used.
public struct TwilioSignature: WebhookSignatureScheme {
    /// The header carrying the signature.
    public static let signatureHeader = "X-Twilio-Signature"

    /// A verifier.
    public init() {}

    /// `X-Twilio-Signature`, the header a rejection names.
    public var signatureHeaderName: String { Self.signatureHeader }

    /// The query parameter carrying the hex SHA-256 of a JSON body (Twilio then signs the URL alone).
    public static let bodyHashParameter = "bodySHA256"

    /// Checks the request's signature against its URL, form parameters and the auth token `secret`; a
    /// request whose URL has `bodySHA256` (a JSON body) is signed over the URL alone, and its body must
    /// hash to that value.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        guard let url = request.url else { throw WebhookSignatureError.unusableSecret }
        let signature = request.header(Self.signatureHeader)
        let hashes = SecretRedaction.queryValues(Self.bodyHashParameter, in: url)
        guard let hash = hashes.first else {
            try verify(url: url, body: request.body, signature: signature, authToken: secret)
            return
        }
        try verify(url: url, body: [], signature: signature, authToken: secret)
        guard hashes.count == 1, let expected = Hex.decode(hash) else {
            throw WebhookSignatureError.malformedHeader("query parameter \(Self.bodyHashParameter)")
        }
        guard ConstantTime.equal(expected, HMACSHA256.sha256(request.body)) else { throw WebhookSignatureError.mismatch }
    }

    /// The URL Twilio posts a JSON `body` to: `url` with `bodySHA256=<hex SHA-256 of body>` added.
    public static func url(_ url: String, withBodyHashOf body: [UInt8]) -> String {
        url + (url.contains("?") ? "&" : "?") + bodyHashParameter + "=" + Hex.encode(HMACSHA256.sha256(body))
    }

    /// Checks `signature` against `url` and the form-encoded `body` under `authToken`.
    public func verify(url: String, body: [UInt8], signature: String?, authToken: String) throws(WebhookSignatureError) {
        guard !authToken.isEmpty else { throw .unusableSecret }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard let candidate = Data(base64Encoded: signature), candidate.count == Insecure.SHA1.byteCount else {
            throw .malformedHeader(Self.signatureHeader)
        }
        let message = Self.signedText(url: url, parameters: TwilioForm.parameters(body))
        let key = SymmetricKey(data: Array(authToken.utf8))
        guard HMAC<Insecure.SHA1>.isValidAuthenticationCode(candidate, authenticating: Array(message.utf8), using: key) else {
            throw .mismatch
        }
    }

    /// The `X-Twilio-Signature` value Twilio would send for a POST of `parameters` to `url`.
    public static func header(url: String, parameters: [(name: String, value: String)], authToken: String) -> String {
        let key = SymmetricKey(data: Array(authToken.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(signedText(url: url, parameters: parameters).utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// The URL, then each distinct name in byte order with each of its distinct values in byte order (as
    /// Twilio's own validators do).
    static func signedText(url: String, parameters: [(name: String, value: String)]) -> String {
        let byName = Dictionary(grouping: parameters, by: \.name)
        var text = url
        for name in byName.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let values = Set(byName[name, default: []].map(\.value)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for value in values { text += name + value }
        }
        return text
    }
}

/// `application/x-www-form-urlencoded` decoding.
enum TwilioForm {
    /// The name/value pairs of `body`, in order (`+` is a space, `%XX` a byte).
    static func parameters(_ body: [UInt8]) -> [(name: String, value: String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// `pairs` form-encoded (for tests and fakes).
    static func encode(_ pairs: [(name: String, value: String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        let escape = { (text: String) in
            (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: "%20", with: "+")
        }
        return Array(pairs.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&").utf8)
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
