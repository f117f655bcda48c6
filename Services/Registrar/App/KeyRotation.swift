import Foundation
import ServiceSupport
import Tributary

/// What a `rotate-keys` command does to `<p>.sources`, decided without I/O: which source states are
/// re-sealed with the registrar's current key, which already are, which hold no secret, and which
/// cannot be read (sealed only with a key no longer configured, or another version) and are left alone
/// and reported, never dropped.
struct KeyRotation: Sendable, Hashable {
    /// The states to write again (their secrets sealed with the current key when written), by key order.
    var reseal: [SourceState] = []
    /// Source keys whose secret is already sealed with the current key.
    var current: [String] = []
    /// Source keys without a secret.
    var withoutSecret: [String] = []
    /// Source keys whose state cannot be read, with the reason.
    var unreadable: [String: String] = [:]
    /// Why the command is refused (nothing is written), if it is.
    var refusal: String?
    /// The current key's id.
    var keyId: String

    /// The rotation `command` asks for, given the newest value of every source key (as on the topic).
    static func plan(_ command: CommandRecord, values: [String: [UInt8]], sealer: SecretSealer, now: Date) -> KeyRotation {
        var rotation = KeyRotation(keyId: sealer.currentKeyId)
        if let expected = command.expectedKeyId, expected != sealer.currentKeyId {
            rotation.refusal = """
                the registrar seals with key \(sealer.currentKeyId), not \(expected) (the sender's TRIBUTARY_SECRET_KEY): \
                restart the registrar with the new TRIBUTARY_SECRET_KEY (and the old one in TRIBUTARY_SECRET_KEY_PREVIOUS) \
                first; nothing was changed
                """
            return rotation
        }
        for key in values.keys.sorted() {
            let value = values[key]!
            switch SourceEntry(value: value, sealer: sealer) {
            case .unreadable(let reason):
                rotation.unreadable[key] = reason
            case .state(var state):
                guard state.secret != nil, let sealed = SourceState.sealedSecret(inValue: value) else {
                    rotation.withoutSecret.append(key)
                    continue
                }
                if sealer.isSealedWithCurrentKey(sealed) {
                    rotation.current.append(key)
                } else {
                    state.updatedAt = now
                    rotation.reseal.append(state)
                }
            }
        }
        return rotation
    }

    /// Whether every readable source now has its secret sealed with the current key and none is unreadable.
    var isComplete: Bool { refusal == nil && unreadable.isEmpty }

    /// The result's message, for people.
    var message: String {
        if let refusal { return refusal }
        var text =
            "re-sealed \(reseal.count) source state\(reseal.count == 1 ? "" : "s") with key \(keyId)"
            + " (\(current.count) already sealed with it, \(withoutSecret.count) without a secret)"
        if !unreadable.isEmpty {
            let list = unreadable.keys.sorted().map { "\($0): \(unreadable[$0]!)" }.joined(separator: "; ")
            text += "; \(unreadable.count) cannot be read and \(unreadable.count == 1 ? "was" : "were") left alone: \(list)"
        }
        return text
    }

    /// The result's details, for programs: `keyId`, `resealed`, `current`, `withoutSecret` (source keys)
    /// and `unreadable` (source key to reason).
    var details: JSON {
        [
            "keyId": .string(keyId),
            "resealed": .array(reseal.map { .string($0.key) }),
            "current": .array(current.map { .string($0) }),
            "withoutSecret": .array(withoutSecret.map { .string($0) }),
            "unreadable": .object(unreadable.mapValues { .string($0) }),
        ]
    }
}
