import Crypto
import Foundation
import Tributary

/// The HMAC preset: a header carrying `prefix` + the hex or base64 MAC (SHA-1, SHA-256 or SHA-512) of
/// the body, or of `timestamp`, `separator`, body with the timestamp from `timestampHeader` checked
/// against `tolerance`. The comparison takes constant time.
public struct GenericHMACSignature: WebhookSignatureScheme, Hashable {
    /// The signature's header.
    public var header: String
    /// The MAC's hash.
    public var algorithm: GenericPresetSettings.Algorithm
    /// How the MAC is written.
    public var encoding: GenericPresetSettings.Encoding
    /// What precedes it in the header (may be empty).
    public var prefix: String
    /// The timestamp's header when the timestamp is signed, else nil.
    public var timestampHeader: String?
    /// Between timestamp and body.
    public var separator: String
    /// How far the timestamp may be from now.
    public var tolerance: Duration

    /// A scheme.
    public init(
        header: String, algorithm: GenericPresetSettings.Algorithm = .sha256, encoding: GenericPresetSettings.Encoding = .hex,
        prefix: String = "", timestampHeader: String? = nil, separator: String = ".", tolerance: Duration = .seconds(300)
    ) {
        self.header = header; self.algorithm = algorithm; self.encoding = encoding; self.prefix = prefix
        self.timestampHeader = timestampHeader; self.separator = separator; self.tolerance = tolerance
    }

    /// The header a rejection names.
    public var signatureHeaderName: String { header }

    /// Checks the request's signature (and timestamp) with `secret` at `now`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(
            body: request.body, signature: request.header(header), timestamp: timestampHeader.flatMap(request.header), secret: secret,
            now: now)
    }

    /// Checks `signature` (the header's value) and `timestamp` against `body` and `secret` at `now`.
    public func verify(body: [UInt8], signature: String?, timestamp: String?, secret: String, now: Date) throws(WebhookSignatureError) {
        guard !secret.isEmpty else { throw .unusableSecret }
        guard let signature, !signature.isEmpty else { throw .missingHeader(header) }
        let value = HeaderText.trimmed(Substring(signature))
        guard value.hasPrefix(prefix) else { throw .noSignatureOfScheme(prefix) }
        let encoded = value.dropFirst(prefix.count)
        let candidate: [UInt8]?
        switch encoding {
        case .hex: candidate = Hex.decode(encoded)
        case .base64: candidate = Data(base64Encoded: String(encoded)).map(Array.init)
        }
        guard let candidate else { throw .malformedHeader(header) }
        var seconds: Int64?
        if let timestampHeader {
            guard let timestamp, !timestamp.isEmpty else { throw .missingHeader(timestampHeader) }
            guard let parsed = Int64(HeaderText.trimmed(Substring(timestamp))) else { throw .malformedHeader(timestampHeader) }
            seconds = parsed
        }
        let message = signedBytes(body: body, timestamp: seconds)
        guard Self.isValid(candidate, algorithm: algorithm, key: Array(secret.utf8), message: message) else { throw .mismatch }
        if let seconds { try TimestampWindow(tolerance: tolerance).check(seconds, now: now) }
    }

    /// What is signed for `body` at `timestamp`.
    func signedBytes(body: [UInt8], timestamp: Int64?) -> [UInt8] {
        guard let timestamp else { return body }
        return Array("\(timestamp)\(separator)".utf8) + body
    }

    /// The header value a sender with this scheme sends for `body` (at `timestamp`) under `secret`.
    public func header(body: [UInt8], secret: String, timestamp: Int64? = nil) -> String {
        let mac = Self.mac(algorithm: algorithm, key: Array(secret.utf8), message: signedBytes(body: body, timestamp: timestamp))
        return prefix + (encoding == .hex ? Hex.encode(mac) : Data(mac).base64EncodedString())
    }

    static func mac(algorithm: GenericPresetSettings.Algorithm, key: [UInt8], message: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch algorithm {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }

    /// Constant-time check of `candidate` (Crypto's own comparison).
    static func isValid(_ candidate: [UInt8], algorithm: GenericPresetSettings.Algorithm, key: [UInt8], message: [UInt8]) -> Bool {
        let key = SymmetricKey(data: key)
        switch algorithm {
        case .sha1:
            return candidate.count == Insecure.SHA1.byteCount
                && HMAC<Insecure.SHA1>.isValidAuthenticationCode(candidate, authenticating: message, using: key)
        case .sha256:
            return candidate.count == SHA256.byteCount
                && HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: message, using: key)
        case .sha512:
            return candidate.count == SHA512.byteCount
                && HMAC<SHA512>.isValidAuthenticationCode(candidate, authenticating: message, using: key)
        }
    }
}

/// The shared-secret preset: a header whose value is the secret itself (compared in constant time).
public struct SharedSecretHeader: WebhookSignatureScheme, Hashable {
    /// The header.
    public var header: String

    /// A scheme.
    public init(header: String) { self.header = header }

    /// The header a rejection names.
    public var signatureHeaderName: String { header }

    /// Checks the header's value against `secret`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        guard !secret.isEmpty else { throw WebhookSignatureError.unusableSecret }
        guard let value = request.header(header), !value.isEmpty else { throw WebhookSignatureError.missingHeader(header) }
        guard ConstantTime.equal(Array(value.utf8), Array(secret.utf8)) else { throw WebhookSignatureError.mismatch }
    }
}

/// The secret-in-the-URL preset: `POST /sources/<key>?token=<secret>`. The token is a query parameter,
/// never a path segment, so it cannot be mistaken for (part of) a source key, whatever `/` the key
/// holds; it is compared in constant time and redacted by ``SecretRedaction`` wherever a URL is shown.
public struct URLTokenScheme: WebhookSignatureScheme, Hashable {
    /// The query parameter carrying the token.
    public static let parameter = "token"

    /// A scheme.
    public init() {}

    /// What a rejection names (not the token).
    public var signatureHeaderName: String { "?\(Self.parameter)=" }

    /// Checks the request's `token` query parameter against `secret`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        guard !secret.isEmpty else { throw WebhookSignatureError.unusableSecret }
        let values = SecretRedaction.queryValues(Self.parameter, in: request.path)
        guard let token = values.first, !token.isEmpty else {
            throw WebhookSignatureError.missingHeader("query parameter \(Self.parameter)")
        }
        guard values.count == 1 else { throw WebhookSignatureError.malformedHeader("query parameter \(Self.parameter) (given twice)") }
        guard ConstantTime.equal(Array(token.utf8), Array(secret.utf8)) else { throw WebhookSignatureError.mismatch }
    }
}

/// Comparison of secrets in constant time: both sides are hashed (so neither length nor content leaks
/// through timing) and the digests compared without an early exit.
enum ConstantTime {
    /// Whether `a` and `b` are equal.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let x = Array(SHA256.hash(data: a)), y = Array(SHA256.hash(data: b))
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
