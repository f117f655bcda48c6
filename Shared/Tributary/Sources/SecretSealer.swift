import Crypto
import Foundation

/// Seals and unseals source secrets with AES-256-GCM under `TRIBUTARY_SECRET_KEY`
/// (32 bytes, base64). A sealed secret is base64 of nonce (12) + ciphertext + tag (16).
public struct SecretSealer: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Why a key or a sealed secret is unusable.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// A sealer with the given 32-byte key.
    public init(key: [UInt8]) throws {
        guard key.count == 32 else { throw Failure(description: "the secret key must be 32 bytes, got \(key.count)") }
        self.keyBytes = key
    }

    /// A sealer from a base64 key.
    public init(base64Key: String) throws {
        guard let d = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "the secret key is not base64")
        }
        try self.init(key: Array(d))
    }

    /// A sealer from the `TRIBUTARY_SECRET_KEY` environment variable.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretSealer {
        guard let k = env["TRIBUTARY_SECRET_KEY"] else { throw Failure(description: "TRIBUTARY_SECRET_KEY is not set") }
        return try SecretSealer(base64Key: k)
    }

    /// A fresh random key, base64 encoded (for `tributary dev` and tests).
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Seals a secret.
    public func seal(_ secret: String) throws -> String {
        let box = try AES.GCM.seal(Array(secret.utf8), using: key)
        guard let combined = box.combined else { throw Failure(description: "cannot combine sealed box") }
        return combined.base64EncodedString()
    }

    /// Unseals a sealed secret; fails if it was tampered with or sealed under another key.
    public func unseal(_ sealed: String) throws -> String {
        guard let d = Data(base64Encoded: sealed) else { throw Failure(description: "sealed secret is not base64") }
        do {
            let box = try AES.GCM.SealedBox(combined: d)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw Failure(description: "cannot unseal secret (wrong key or tampered)")
        }
    }
}
