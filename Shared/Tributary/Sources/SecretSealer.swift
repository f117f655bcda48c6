import Crypto
import Foundation

/// Seals and unseals source secrets with AES-256-GCM under a key ring: the current key
/// (`TRIBUTARY_SECRET_KEY`, 32 bytes, base64) seals, it and every previous key
/// (`TRIBUTARY_SECRET_KEY_PREVIOUS`, a comma-separated list) unseal.
///
/// A sealed secret is `<key id>:<base64 of nonce (12) + ciphertext + tag (16)>`, the key id naming the
/// key that sealed it (``keyId(of:)``). A value sealed before key ids existed is the base64 alone (base64
/// never contains `:`): it still unseals, with whichever configured key opens it. A value whose key id is
/// none of the configured keys fails with ``Failure/unknownKeyId``, so it is reported, never taken for
/// another key's.
public struct SecretSealer: Sendable {
    /// One key of the ring and its id.
    struct Key: Sendable {
        var id: String
        var bytes: [UInt8]
        var symmetric: SymmetricKey { SymmetricKey(data: bytes) }
    }

    /// The current key first, then the previous keys in the order given.
    private let keys: [Key]

    /// Why a key or a sealed secret is unusable.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public var description: String
        /// The key id the sealed value names when no configured key has it (the key was removed or
        /// never given); nil for every other failure.
        public var unknownKeyId: String?
    }

    /// A sealer with one 32-byte key (current, nothing previous).
    public init(key: [UInt8]) throws {
        try self.init(keys: [key])
    }

    /// A sealer whose first key seals and whose every key unseals; each key is 32 bytes.
    public init(keys: [[UInt8]]) throws {
        guard !keys.isEmpty else { throw Failure(description: "no secret key given") }
        var ring: [Key] = []
        for (index, key) in keys.enumerated() {
            guard key.count == 32 else {
                throw Failure(description: "the secret key\(keys.count > 1 ? " #\(index + 1)" : "") must be 32 bytes, got \(key.count)")
            }
            let id = Self.keyId(bytes: key)
            guard !ring.contains(where: { $0.id == id }) else {
                throw Failure(description: "the key \(id) is given twice")
            }
            ring.append(Key(id: id, bytes: key))
        }
        self.keys = ring
    }

    /// A sealer from a base64 key.
    public init(base64Key: String) throws {
        try self.init(key: try Self.decode(base64Key))
    }

    /// A sealer whose `current` key (base64) seals and whose every key, `previous` included, unseals.
    public init(base64Key current: String, previous: [String]) throws {
        try self.init(keys: [try Self.decode(current)] + previous.map { try Self.decode($0) })
    }

    /// The bytes of one base64 key.
    private static func decode(_ base64: String) throws -> [UInt8] {
        guard let d = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "the secret key is not base64")
        }
        return Array(d)
    }

    /// A sealer from the `TRIBUTARY_SECRET_KEY` and `TRIBUTARY_SECRET_KEY_PREVIOUS` environment variables.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretSealer {
        guard let k = env["TRIBUTARY_SECRET_KEY"] else { throw Failure(description: "TRIBUTARY_SECRET_KEY is not set") }
        return try SecretSealer(base64Key: k, previous: previousKeys(env["TRIBUTARY_SECRET_KEY_PREVIOUS"]))
    }

    /// The keys of a `TRIBUTARY_SECRET_KEY_PREVIOUS` value: comma-separated, blanks left out.
    public static func previousKeys(_ value: String?) -> [String] {
        (value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A fresh random key, base64 encoded (for `tributary dev` and tests).
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The id of a key: the first 8 hex digits of HMAC-SHA256(key, "tributary key id"). It names the key
    /// without revealing anything of it, and is the same wherever the key is configured.
    static func keyId(bytes: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("tributary key id".utf8), using: SymmetricKey(data: bytes))
        return mac.prefix(4).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// The id of the key that seals (`TRIBUTARY_SECRET_KEY`).
    public var currentKeyId: String { keys[0].id }

    /// The ids of every key that unseals, the current one first.
    public var keyIds: [String] { keys.map(\.id) }

    /// The key id a sealed value names, or nil for a value sealed before key ids existed.
    public static func keyId(of sealed: String) -> String? {
        guard let colon = sealed.firstIndex(of: ":") else { return nil }
        return String(sealed[..<colon])
    }

    /// Whether `sealed` was sealed with the current key (false for a value without a key id, which a
    /// rotation re-seals too).
    public func isSealedWithCurrentKey(_ sealed: String) -> Bool { Self.keyId(of: sealed) == currentKeyId }

    /// Seals a secret with the current key.
    public func seal(_ secret: String) throws -> String {
        let box = try AES.GCM.seal(Array(secret.utf8), using: keys[0].symmetric)
        guard let combined = box.combined else { throw Failure(description: "cannot combine sealed box") }
        return keys[0].id + ":" + combined.base64EncodedString()
    }

    /// Unseals a sealed secret with the key its id names (a value without a key id: with any key that
    /// opens it). Fails with ``Failure/unknownKeyId`` set when it names a key not configured, and when it
    /// was tampered with or no configured key opens it.
    public func unseal(_ sealed: String) throws -> String {
        let id = Self.keyId(of: sealed)
        let body = id.map { String(sealed.dropFirst($0.count + 1)) } ?? sealed
        guard let d = Data(base64Encoded: body) else { throw Failure(description: "sealed secret is not base64") }
        let candidates: [Key]
        if let id {
            guard let key = keys.first(where: { $0.id == id }) else {
                throw Failure(
                    description: """
                        sealed with key \(id), which is neither TRIBUTARY_SECRET_KEY nor in TRIBUTARY_SECRET_KEY_PREVIOUS \
                        (configured: \(keyIds.joined(separator: ", "))); add that key back to TRIBUTARY_SECRET_KEY_PREVIOUS, \
                        or set the secret again
                        """,
                    unknownKeyId: id)
            }
            candidates = [key]
        } else {
            candidates = keys
        }
        let box: AES.GCM.SealedBox
        do { box = try AES.GCM.SealedBox(combined: d) } catch {
            throw Failure(description: "sealed secret is too short or malformed")
        }
        for key in candidates {
            if let plain = try? AES.GCM.open(box, using: key.symmetric) { return String(decoding: plain, as: UTF8.self) }
        }
        throw Failure(
            description: id == nil
                ? "cannot unseal secret (sealed without a key id; none of the keys \(keyIds.joined(separator: ", ")) opens it: wrong key or tampered)"
                : "cannot unseal secret sealed with key \(id!) (tampered)")
    }
}
