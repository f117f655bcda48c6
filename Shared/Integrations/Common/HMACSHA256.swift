import Crypto

/// HMAC-SHA256 signing and constant-time checking, shared by every signature scheme.
enum HMACSHA256 {
    /// The MAC of `message` under `key`.
    static func mac(key: some Sequence<UInt8>, message: some Sequence<UInt8>) -> [UInt8] {
        let key = SymmetricKey(data: Array(key))
        return Array(HMAC<SHA256>.authenticationCode(for: Array(message), using: key))
    }

    /// True when `candidate` is the MAC of `message` under `key`; the comparison takes constant time.
    static func isValid(_ candidate: [UInt8], key: some Sequence<UInt8>, message: [UInt8]) -> Bool {
        guard candidate.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: message, using: SymmetricKey(data: Array(key)))
    }
}

extension HMACSHA256 {
    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
