/// GitHub's webhook signature scheme: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`,
/// keyed with the hook's secret. GitHub signs no timestamp, so there is no replay window to check.
public struct GitHubSignature: Sendable {
    /// The header that carries the signature.
    public static let headerName = "X-Hub-Signature-256"

    /// A verifier.
    public init() {}

    /// Checks `header` against `body` and `secret`. A delivery without the header is refused.
    public func verify(body: [UInt8], header: String?, secret: String) throws(WebhookSignatureError) {
        guard !secret.isEmpty else { throw .unusableSecret }
        guard let header, !header.isEmpty else { throw .missingHeader(Self.headerName) }
        let trimmed = header.trimmingPrefix(while: { $0 == " " })
        guard trimmed.hasPrefix("sha256=") else { throw .noSignatureOfScheme("sha256") }
        guard let candidate = Hex.decode(trimmed.dropFirst("sha256=".count)) else {
            throw .malformedHeader(Self.headerName)
        }
        guard HMACSHA256.isValid(candidate, key: Array(secret.utf8), message: body) else { throw .mismatch }
    }

    /// The `X-Hub-Signature-256` value GitHub would send for `body` under `secret`.
    public static func header(body: [UInt8], secret: String) -> String {
        "sha256=" + Hex.encode(HMACSHA256.mac(key: Array(secret.utf8), message: body))
    }
}

extension GitHubSignature {
    /// A new hook secret: 32 bytes from the system's secure generator, as 64 hex digits.
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
