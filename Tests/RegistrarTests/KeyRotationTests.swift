import Foundation
import ServiceSupport
import Testing
import Tributary
@testable import TributaryRegistrar

/// `KeyRotation.plan`, as a value: which source states a `rotate-keys` command re-seals, which it
/// leaves, which it reports unreadable, and when it refuses. No Kafka.
@Suite struct KeyRotationTests {
    let keyA = SecretSealer.generateKey()
    let keyB = SecretSealer.generateKey()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func value(_ key: String, secret: String?, sealer: SecretSealer) throws -> [UInt8] {
        let state = SourceState(
            key: key, sourceId: "standardwebhooks", params: ["name": .string(key)], active: true, secret: secret,
            updatedAt: Date(timeIntervalSince1970: 1))
        let record = try state.record(sealer: sealer)
        return try #require(record.value)
    }

    /// A value as written before key ids: the sealed secret without its `<key id>:`.
    func legacyValue(_ key: String, secret: String, sealer: SecretSealer) throws -> [UInt8] {
        let bytes = try value(key, secret: secret, sealer: sealer)
        var json = try JSON(parsing: bytes)
        guard case .object(var object) = json, let sealed = object["sealedSecret"]?.stringValue else {
            throw HarnessError("no sealed secret")
        }
        object["sealedSecret"] = .string(String(sealed.drop { $0 != ":" }.dropFirst()))
        json = .object(object)
        return Array(json.jsonString.utf8)
    }

    @Test func resealsWhatIsNotSealedWithTheCurrentKeyAndReportsWhatCannotBeRead() throws {
        let a = try SecretSealer(base64Key: keyA)
        let b = try SecretSealer(base64Key: keyB)
        let removed = try SecretSealer(base64Key: SecretSealer.generateKey())
        let ring = try SecretSealer(base64Key: keyB, previous: [keyA])
        let values = [
            "webhooks.a": try value("webhooks.a", secret: "whsec_a", sealer: a),
            "webhooks.b": try value("webhooks.b", secret: "whsec_b", sealer: b),
            "webhooks.legacy": try legacyValue("webhooks.legacy", secret: "whsec_l", sealer: a),
            "webhooks.none": try value("webhooks.none", secret: nil, sealer: a),
            "webhooks.removed": try value("webhooks.removed", secret: "whsec_r", sealer: removed),
        ]
        let rotation = KeyRotation.plan(
            .rotateKeys(expectingKeyId: ring.currentKeyId, issuedBy: "test"), values: values, sealer: ring, now: now)
        #expect(rotation.refusal == nil)
        #expect(rotation.reseal.map(\.key) == ["webhooks.a", "webhooks.legacy"])
        #expect(rotation.reseal.map(\.secret) == ["whsec_a", "whsec_l"])
        #expect(rotation.reseal.allSatisfy { $0.updatedAt == now })
        #expect(rotation.current == ["webhooks.b"])
        #expect(rotation.withoutSecret == ["webhooks.none"])
        #expect(Array(rotation.unreadable.keys) == ["webhooks.removed"])
        #expect(rotation.unreadable["webhooks.removed"]?.contains(removed.currentKeyId) == true)
        #expect(!rotation.isComplete)
        #expect(rotation.message.contains("re-sealed 2 source states with key \(ring.currentKeyId)"))
        #expect(rotation.message.contains("1 cannot be read and was left alone: webhooks.removed"))
        #expect(rotation.details["resealed"] == .array(["webhooks.a", "webhooks.legacy"]))
        #expect(rotation.details["unreadable"]?.objectValue?.keys.sorted() == ["webhooks.removed"])
        // What it writes unseals with B alone: after the rotation A can be removed.
        for state in rotation.reseal {
            let record = try state.record(sealer: ring)
            let bytes = try #require(record.value)
            let sealed = try #require(SourceState.sealedSecret(inValue: bytes))
            #expect(SecretSealer.keyId(of: sealed) == b.currentKeyId)
            #expect(try SourceState(record: record, sealer: b).secret == state.secret)
        }
        // A second rotation finds nothing more to do (but still reports the unreadable one).
        var after = values
        for state in rotation.reseal { after[state.key] = try state.record(sealer: ring).value }
        let again = KeyRotation.plan(.rotateKeys(expectingKeyId: nil, issuedBy: "test"), values: after, sealer: ring, now: now)
        #expect(again.reseal.isEmpty && again.current == ["webhooks.a", "webhooks.b", "webhooks.legacy"])
        #expect(again.unreadable.count == 1)
    }

    @Test func aRegistrarSealingWithAnotherKeyThanTheSendersRefusesChangingNothing() throws {
        let a = try SecretSealer(base64Key: keyA)
        let values = ["webhooks.a": try value("webhooks.a", secret: "whsec_a", sealer: a)]
        let senderExpects = try SecretSealer(base64Key: keyB).currentKeyId
        let rotation = KeyRotation.plan(.rotateKeys(expectingKeyId: senderExpects, issuedBy: "test"), values: values, sealer: a, now: now)
        #expect(rotation.refusal != nil)
        #expect(rotation.reseal.isEmpty)
        #expect(rotation.message.contains("the registrar seals with key \(a.currentKeyId), not \(senderExpects)"))
        #expect(rotation.message.contains("nothing was changed"))
    }

    @Test func rotateKeysIsQueuedByTheRegistrar() {
        var queue = CommandQueue()
        queue.receive(.command(.rotateKeys(expectingKeyId: nil, issuedBy: "test")))
        queue.caughtUp()
        #expect(queue.next?.kind == .rotateKeys)
        #expect(queue.next?.target == CommandRecord.allSources)
    }
}
