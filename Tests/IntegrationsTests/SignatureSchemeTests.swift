import Foundation
import Testing
@testable import TributaryIntegrations

@Suite struct StripeSignatureTests {
    let body = Array(#"{"id":"evt_1","object":"event","type":"price.created"}"#.utf8)
    let secret = "whsec_test_secret"
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    var t: Int64 { 1_700_000_000 }

    @Test func validSignatureIsAccepted() throws {
        let header = StripeSignature.header(body: body, secrets: [secret], timestamp: t - 10)
        #expect(try StripeSignature().verify(body: body, header: header, secret: secret, now: now) == t - 10)
    }

    @Test func tamperedBodyIsRejected() {
        let header = StripeSignature.header(body: body, secrets: [secret], timestamp: t)
        var tampered = body
        tampered[10] ^= 1
        #expect(throws: WebhookSignatureError.mismatch) {
            try StripeSignature().verify(body: tampered, header: header, secret: secret, now: now)
        }
    }

    @Test func wrongSecretIsRejected() {
        let header = StripeSignature.header(body: body, secrets: ["whsec_other"], timestamp: t)
        #expect(throws: WebhookSignatureError.mismatch) {
            try StripeSignature().verify(body: body, header: header, secret: secret, now: now)
        }
    }

    @Test func missingHeaderIsRejected() {
        #expect(throws: WebhookSignatureError.missingHeader("Stripe-Signature")) {
            try StripeSignature().verify(body: body, header: nil, secret: secret, now: now)
        }
        #expect(throws: WebhookSignatureError.missingHeader("Stripe-Signature")) {
            try StripeSignature().verify(body: body, header: "", secret: secret, now: now)
        }
    }

    @Test func malformedHeaderIsRejected() {
        let sig = Hex.encode(HMACSHA256.mac(key: Array(secret.utf8), message: Array("\(t).".utf8) + body))
        #expect(throws: WebhookSignatureError.malformedHeader("Stripe-Signature")) {
            try StripeSignature().verify(body: body, header: "v1=\(sig)", secret: secret, now: now)
        }
        #expect(throws: WebhookSignatureError.malformedHeader("Stripe-Signature")) {
            try StripeSignature().verify(body: body, header: "t=abc,v1=\(sig)", secret: secret, now: now)
        }
        #expect(throws: WebhookSignatureError.noSignatureOfScheme("v1")) {
            try StripeSignature().verify(body: body, header: "t=\(t),v0=\(sig)", secret: secret, now: now)
        }
        #expect(throws: WebhookSignatureError.mismatch) {
            try StripeSignature().verify(body: body, header: "t=\(t),v1=zz\(sig.dropFirst(2))", secret: secret, now: now)
        }
    }

    @Test func staleTimestampIsRejected() {
        let header = StripeSignature.header(body: body, secrets: [secret], timestamp: t - 301)
        #expect(throws: WebhookSignatureError.timestampTooOld(age: 301)) {
            try StripeSignature().verify(body: body, header: header, secret: secret, now: now)
        }
        // Within a configured, longer tolerance it passes.
        #expect(throws: Never.self) {
            try StripeSignature(tolerance: .seconds(600)).verify(body: body, header: header, secret: secret, now: now)
        }
    }

    @Test func futureTimestampIsRejected() {
        let header = StripeSignature.header(body: body, secrets: [secret], timestamp: t + 301)
        #expect(throws: WebhookSignatureError.timestampInFuture(ahead: 301)) {
            try StripeSignature().verify(body: body, header: header, secret: secret, now: now)
        }
        let nearFuture = StripeSignature.header(body: body, secrets: [secret], timestamp: t + 299)
        #expect(throws: Never.self) { try StripeSignature().verify(body: body, header: nearFuture, secret: secret, now: now) }
    }

    @Test func anyOfSeveralV1SignaturesIsEnough() throws {
        // Stripe sends one v1 per active secret while a secret is rolled.
        let header = StripeSignature.header(body: body, secrets: ["whsec_old", secret], timestamp: t)
        #expect(header.components(separatedBy: "v1=").count == 3)
        try StripeSignature().verify(body: body, header: header, secret: secret, now: now)
        try StripeSignature().verify(body: body, header: header, secret: "whsec_old", now: now)
        #expect(throws: WebhookSignatureError.mismatch) {
            try StripeSignature().verify(body: body, header: header, secret: "whsec_third", now: now)
        }
    }

    @Test func emptySecretIsUnusable() {
        let header = StripeSignature.header(body: body, secrets: [""], timestamp: t)
        #expect(throws: WebhookSignatureError.unusableSecret) {
            try StripeSignature().verify(body: body, header: header, secret: "", now: now)
        }
    }
}

@Suite struct GitHubSignatureTests {
    let body = Array(#"{"zen":"Keep it logically awesome.","hook_id":1}"#.utf8)
    let secret = "It's a Secret to Everybody"

    @Test func matchesGitHubsDocumentedExample() throws {
        // GitHub's documentation: secret "It's a Secret to Everybody", payload "Hello, World!".
        let header = GitHubSignature.header(body: Array("Hello, World!".utf8), secret: secret)
        #expect(header == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
        try GitHubSignature().verify(body: Array("Hello, World!".utf8), header: header, secret: secret)
    }

    @Test func tamperedBodyWrongSecretAndMissingHeaderAreRejected() {
        let header = GitHubSignature.header(body: body, secrets: secret)
        #expect(throws: WebhookSignatureError.mismatch) {
            try GitHubSignature().verify(body: body + [0x20], header: header, secret: secret)
        }
        #expect(throws: WebhookSignatureError.mismatch) { try GitHubSignature().verify(body: body, header: header, secret: "other") }
        #expect(throws: WebhookSignatureError.missingHeader("X-Hub-Signature-256")) {
            try GitHubSignature().verify(body: body, header: nil, secret: secret)
        }
        #expect(throws: WebhookSignatureError.noSignatureOfScheme("sha256")) {
            try GitHubSignature().verify(body: body, header: "sha1=abc", secret: secret)
        }
        #expect(throws: WebhookSignatureError.malformedHeader("X-Hub-Signature-256")) {
            try GitHubSignature().verify(body: body, header: "sha256=xyz", secret: secret)
        }
    }

    @Test func generatedSecretsAre32RandomBytes() {
        let a = GitHubSignature.generateSecret(), b = GitHubSignature.generateSecret()
        #expect(a.count == 64 && Hex.decode(a)?.count == 32)
        #expect(a != b)
    }
}

extension GitHubSignature {
    static func header(body: [UInt8], secrets secret: String) -> String { header(body: body, secret: secret) }
}

@Suite struct StandardWebhookSignatureTests {
    let body = Array(#"{"type":"user.created","data":{"id":"user_1"}}"#.utf8)
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    let t: Int64 = 1_700_000_000

    func verify(
        _ body: [UInt8], id: String? = "msg_1", timestamp: Int64? = nil, signature: String?, secret: String? = nil
    ) throws(WebhookSignatureError) {
        try StandardWebhookSignature().verify(
            body: body, id: id, timestamp: (timestamp ?? t).description, signature: signature, secret: secret ?? self.secret, now: now)
    }

    @Test func validSignatureIsAccepted() throws {
        let signature = StandardWebhookSignature.header(body: body, id: "msg_1", timestamp: t, secrets: [secret])
        try verify(body, signature: signature)
    }

    @Test func knownAnswerFromTheSpecification() throws {
        // The standard's reference example (svix docs): secret, id, timestamp, payload and expected signature.
        let payload = Array(#"{"test": 2432232314}"#.utf8)
        let signature = StandardWebhookSignature.header(
            body: payload, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, secrets: [secret])
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func tamperedWrongSecretMissingAndMalformedAreRejected() {
        let signature = StandardWebhookSignature.header(body: body, id: "msg_1", timestamp: t, secrets: [secret])
        #expect(throws: WebhookSignatureError.mismatch) { try verify(body + [0x20], signature: signature) }
        #expect(throws: WebhookSignatureError.mismatch) { try verify(body, id: "msg_2", signature: signature) }
        #expect(throws: WebhookSignatureError.mismatch) {
            try verify(body, signature: signature, secret: "whsec_" + Data(repeating: 7, count: 24).base64EncodedString())
        }
        #expect(throws: WebhookSignatureError.missingHeader("webhook-signature")) { try verify(body, signature: nil) }
        #expect(throws: WebhookSignatureError.missingHeader("webhook-id")) { try verify(body, id: nil, signature: signature) }
        #expect(throws: WebhookSignatureError.noSignatureOfScheme("v1")) { try verify(body, signature: "v1a,abc") }
        #expect(throws: WebhookSignatureError.unusableSecret) { try verify(body, signature: signature, secret: "whsec_") }
        #expect(throws: WebhookSignatureError.malformedHeader("webhook-timestamp")) {
            try StandardWebhookSignature().verify(
                body: body, id: "msg_1", timestamp: "soon", signature: signature, secret: secret, now: now)
        }
    }

    @Test func staleAndFutureTimestampsAreRejected() {
        let old = StandardWebhookSignature.header(body: body, id: "msg_1", timestamp: t - 301, secrets: [secret])
        #expect(throws: WebhookSignatureError.timestampTooOld(age: 301)) { try verify(body, timestamp: t - 301, signature: old) }
        let future = StandardWebhookSignature.header(body: body, id: "msg_1", timestamp: t + 301, secrets: [secret])
        #expect(throws: WebhookSignatureError.timestampInFuture(ahead: 301)) { try verify(body, timestamp: t + 301, signature: future) }
    }

    @Test func anyOfSeveralV1SignaturesIsEnough() throws {
        let other = StandardWebhookSignature.generateSecret()
        let signature = StandardWebhookSignature.header(body: body, id: "msg_1", timestamp: t, secrets: [other, secret])!
        #expect(signature.split(separator: " ").count == 2)
        try verify(body, signature: signature)
        try verify(body, signature: signature, secret: other)
        try verify(body, signature: "v1a,ignored " + signature)
    }
}
