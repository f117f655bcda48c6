import Foundation

/// Stripe's webhook signature scheme: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, where each
/// `v1` is the hex HMAC-SHA256 of `<t>.<raw body>` keyed with the endpoint secret (`whsec_…`, used as is).
///
/// Any one matching `v1` is enough (Stripe sends several while a secret is being rolled). Unlike Stripe's
/// own libraries, which only refuse old timestamps, a timestamp further than the tolerance in the future is
/// refused too.
public struct StripeSignature: Sendable {
    /// The header that carries the signature.
    public static let headerName = "Stripe-Signature"

    /// How far the signed timestamp may be from now, either way (Stripe's default: 300 s).
    public var tolerance: Duration

    /// A verifier with the given tolerance.
    public init(tolerance: Duration = .seconds(300)) {
        self.tolerance = tolerance
    }

    /// Checks `header` against `body` and `secret` at time `now`; returns the signed timestamp.
    @discardableResult
    public func verify(body: [UInt8], header: String?, secret: String, now: Date = Date()) throws(WebhookSignatureError) -> Int64 {
        guard !secret.isEmpty else { throw .unusableSecret }
        guard let header, !header.isEmpty else { throw .missingHeader(Self.headerName) }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let key = HeaderText.trimmed(item[..<equals])
            let value = HeaderText.trimmed(item[item.index(after: equals)...])
            switch key {
            case "t":
                guard timestamp == nil, let parsed = Int64(value) else { throw .malformedHeader(Self.headerName) }
                timestamp = parsed
            case "v1":
                // A v1 that is not 32 bytes of hex can never match; it is skipped like a wrong one.
                if let bytes = Hex.decode(value) { signatures.append(bytes) } else { signatures.append([]) }
            default:
                continue
            }
        }
        guard let timestamp else { throw .malformedHeader(Self.headerName) }
        guard !signatures.isEmpty else { throw .noSignatureOfScheme("v1") }
        try TimestampWindow(tolerance: tolerance).check(timestamp, now: now)
        var message: [UInt8] = []
        message.reserveCapacity(body.count + 21)
        message.append(contentsOf: String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let key = Array(secret.utf8)
        guard signatures.contains(where: { HMACSHA256.isValid($0, key: key, message: message) }) else {
            throw .mismatch
        }
        return timestamp
    }

    /// The `Stripe-Signature` value Stripe would send for `body` signed with each of `secrets` at `timestamp`.
    public static func header(body: [UInt8], secrets: [String], timestamp: Int64) -> String {
        let message = Array("\(timestamp).".utf8) + body
        let parts = secrets.map { "v1=" + Hex.encode(HMACSHA256.mac(key: Array($0.utf8), message: message)) }
        return (["t=\(timestamp)"] + parts).joined(separator: ",")
    }
}
