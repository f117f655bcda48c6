/// Why a webhook delivery's signature was not accepted. Never carries a secret or the body.
public enum WebhookSignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A required header is absent (its name).
    case missingHeader(String)
    /// A header is present but cannot be parsed (its name).
    case malformedHeader(String)
    /// The header carries no signature of the scheme we verify (`v1`, `sha256`).
    case noSignatureOfScheme(String)
    /// No signature in the header matches the body under our secret.
    case mismatch
    /// The signed timestamp is older than the tolerance allows.
    case timestampTooOld(age: Int64)
    /// The signed timestamp is further in the future than the tolerance allows.
    case timestampInFuture(ahead: Int64)
    /// The secret we hold cannot be used (empty, or not in the expected format).
    case unusableSecret

    public var description: String {
        switch self {
        case .missingHeader(let name): "missing header \(name)"
        case .malformedHeader(let name): "malformed header \(name)"
        case .noSignatureOfScheme(let scheme): "no \(scheme) signature in the header"
        case .mismatch: "no signature matches the body"
        case .timestampTooOld(let age): "signed timestamp is \(age) s old, beyond the tolerance"
        case .timestampInFuture(let ahead): "signed timestamp is \(ahead) s in the future, beyond the tolerance"
        case .unusableSecret: "the source's secret is empty or malformed"
        }
    }
}
