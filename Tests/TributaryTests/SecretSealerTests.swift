import Foundation
import Testing
import Tributary

/// `SecretSealer` as a key ring: key ids on sealed values, the current key seals, every key unseals,
/// values sealed before key ids existed still unseal, a removed key is named, bad keys are refused.
@Suite struct SecretSealerTests {
    let keyA = SecretSealer.generateKey()
    let keyB = SecretSealer.generateKey()

    /// How `tributary` sealed secrets before key ids: base64 of the AES-GCM combined box (nonce,
    /// ciphertext, tag), nothing else: today's value without its `<key id>:`.
    static func legacySeal(_ secret: String, key: String) throws -> String {
        let sealed = try SecretSealer(base64Key: key).seal(secret)
        return String(sealed.drop { $0 != ":" }.dropFirst())
    }

    @Test func aSealedValueNamesTheKeyThatSealedIt() throws {
        let a = try SecretSealer(base64Key: keyA)
        let sealed = try a.seal("whsec_1")
        let id = SecretSealer.keyId(of: sealed)
        #expect(id == a.currentKeyId)
        #expect(a.currentKeyId.count == 8 && a.currentKeyId.allSatisfy(\.isHexDigit))
        #expect(!sealed.contains("whsec_1"))
        #expect(try a.unseal(sealed) == "whsec_1")
        #expect(a.isSealedWithCurrentKey(sealed))
        // Every seal has its own nonce; the key id is stable for a key, and differs between keys.
        #expect(try a.seal("whsec_1") != sealed)
        let again = try SecretSealer(base64Key: keyA)
        #expect(again.currentKeyId == a.currentKeyId)
        let b = try SecretSealer(base64Key: keyB)
        #expect(b.currentKeyId != a.currentKeyId)
    }

    @Test func theCurrentKeySealsAndEveryKeyUnseals() throws {
        let a = try SecretSealer(base64Key: keyA)
        let sealedWithA = try a.seal("whsec_a")
        let rotated = try SecretSealer(base64Key: keyB, previous: [keyA])
        #expect(rotated.keyIds == [try SecretSealer(base64Key: keyB).currentKeyId, a.currentKeyId])
        #expect(try rotated.unseal(sealedWithA) == "whsec_a")
        #expect(!rotated.isSealedWithCurrentKey(sealedWithA))
        let sealedWithB = try rotated.seal("whsec_b")
        #expect(rotated.isSealedWithCurrentKey(sealedWithB))
        #expect(SecretSealer.keyId(of: sealedWithB) == rotated.currentKeyId)
        // A sealer with only the old key cannot read what the new one sealed: the value names the key.
        #expect {
            try a.unseal(sealedWithB)
        } throws: { error in
            (error as? SecretSealer.Failure)?.unknownKeyId == rotated.currentKeyId
        }
    }

    @Test func aValueSealedOnlyWithARemovedKeyIsReportedWithItsKeyId() throws {
        let a = try SecretSealer(base64Key: keyA)
        let sealedWithA = try a.seal("whsec_a")
        let onlyB = try SecretSealer(base64Key: keyB)
        do {
            _ = try onlyB.unseal(sealedWithA)
            Issue.record("a value sealed with a removed key unsealed")
        } catch let failure as SecretSealer.Failure {
            #expect(failure.unknownKeyId == a.currentKeyId)
            #expect(failure.description.contains(a.currentKeyId))
            #expect(failure.description.contains("TRIBUTARY_SECRET_KEY_PREVIOUS"))
        }
    }

    @Test func aValueSealedBeforeKeyIdsUnsealsWithWhicheverKeyOpensIt() throws {
        let legacy = try Self.legacySeal("whsec_old", key: keyA)
        #expect(SecretSealer.keyId(of: legacy) == nil)
        #expect(try SecretSealer(base64Key: keyA).unseal(legacy) == "whsec_old")
        // A as a previous key still opens it; a rotation re-seals it (it is not sealed with the current key).
        let rotated = try SecretSealer(base64Key: keyB, previous: [keyA])
        #expect(try rotated.unseal(legacy) == "whsec_old")
        #expect(!rotated.isSealedWithCurrentKey(legacy))
        // Without A nothing opens it: a clear failure, not a wrong secret.
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer(base64Key: keyB).unseal(legacy) }
    }

    @Test func tamperedOrMalformedValuesFail() throws {
        let a = try SecretSealer(base64Key: keyA)
        let sealed = try a.seal("whsec_1")
        let id = try #require(SecretSealer.keyId(of: sealed))
        var bytes = Array(try #require(Data(base64Encoded: String(sealed.dropFirst(id.count + 1)))))
        bytes[bytes.count - 1] ^= 1
        let tampered = id + ":" + Data(bytes).base64EncodedString()
        #expect(throws: SecretSealer.Failure.self) { try a.unseal(tampered) }
        #expect(throws: SecretSealer.Failure.self) { try a.unseal(id + ":not base64!") }
        #expect(throws: SecretSealer.Failure.self) { try a.unseal(id + ":" + Data([1, 2, 3]).base64EncodedString()) }
        #expect(throws: SecretSealer.Failure.self) { try a.unseal("") }
    }

    @Test func badKeysAreRefused() throws {
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer(base64Key: "not base64!") }
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer(base64Key: Data([1, 2, 3]).base64EncodedString()) }
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer(base64Key: keyA, previous: ["c2hvcnQ="]) }
        // The same key as current and previous is a mistake, not a second key.
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer(base64Key: keyA, previous: [keyA]) }
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer(keys: []) }
    }

    @Test func theEnvironmentGivesTheCurrentKeyAndACommaSeparatedListOfPreviousOnes() throws {
        let keyC = SecretSealer.generateKey()
        let sealer = try SecretSealer.fromEnvironment([
            "TRIBUTARY_SECRET_KEY": keyC, "TRIBUTARY_SECRET_KEY_PREVIOUS": " \(keyA), \(keyB) ,",
        ])
        let ids = try [keyC, keyA, keyB].map { try SecretSealer(base64Key: $0).currentKeyId }
        #expect(sealer.keyIds == ids)
        #expect(SecretSealer.previousKeys(nil).isEmpty && SecretSealer.previousKeys(" , ").isEmpty)
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer.fromEnvironment(["TRIBUTARY_SECRET_KEY_PREVIOUS": keyA]) }
    }
}
