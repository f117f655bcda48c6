import Foundation
import TestSupport
import Testing
import Tributary
@testable import TributaryIntegrations

/// Our signature schemes against the official Python packages (`stripe`, `standardwebhooks`).
@Suite(.serialized, .tags(.python), .notInFastRun) struct InteropTests {
    let body = Array(
        #"{"id":"evt_3PgahVB7WZ01zgkW","object":"event","type":"charge.succeeded","created":1721917650,"data":{"object":{"id":"ch_1","amount":2000,"note":"caf\u00e9 ✓"}}}"#
            .utf8)
    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    @Test func pythonPackagesAreInstalled() async {
        let answer = await PythonInterop.call("check")
        #expect(answer?["stripe"] != nil)
    }

    @Test func stripePackageAcceptsOurSignatures() async throws {
        let secret = "whsec_" + GitHubSignature.generateSecret()
        let header = StripeSignature.header(body: body, secrets: ["whsec_rotated_out", secret], timestamp: now)
        let answer = await PythonInterop.call(
            "stripe-verify", ["body": Data(body).base64EncodedString(), "header": header, "secret": secret])
        #expect(answer?["ok"] as? Bool == true, "\(answer ?? [:])")
        #expect(answer?["event_id"] as? String == "evt_3PgahVB7WZ01zgkW")
        // And refuses a tampered body signed by us, so the check above can fail.
        let tampered = await PythonInterop.call(
            "stripe-verify", ["body": Data(body + [0x20]).base64EncodedString(), "header": header, "secret": secret])
        #expect(tampered?["ok"] as? Bool == false)
    }

    @Test func ourStripeHandlerAcceptsStripesDocumentedScheme() async throws {
        let secret = "whsec_" + GitHubSignature.generateSecret()
        let t = now
        let answer = try #require(
            await PythonInterop.call("stripe-sign", ["body": Data(body).base64EncodedString(), "secret": secret, "timestamp": t]))
        let header = try #require(answer["header"] as? String)
        #expect(try StripeSignature().verify(body: body, header: header, secret: secret) == t)
        #expect(throws: WebhookSignatureError.mismatch) {
            try StripeSignature().verify(body: body + [0x20], header: header, secret: secret)
        }
    }

    @Test func standardWebhooksPackageSignaturesAreAcceptedAndTamperingIsNot() async throws {
        let secret = StandardWebhookSignature.generateSecret()
        let t = now
        let answer = try #require(
            await PythonInterop.call(
                "swh-sign",
                ["body": Data(body).base64EncodedString(), "secret": secret, "id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "timestamp": t]))
        let signature = try #require(answer["signature"] as? String)
        let verifier = StandardWebhookSignature()
        #expect(
            try verifier.verify(body: body, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: String(t), signature: signature, secret: secret)
                == "msg_p5jXN8AQM9LWM0D4loKWxJek")
        #expect(throws: WebhookSignatureError.mismatch) {
            try verifier.verify(
                body: body + [0x20], id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: String(t), signature: signature, secret: secret)
        }
        #expect(throws: WebhookSignatureError.mismatch) {
            try verifier.verify(body: body, id: "msg_other", timestamp: String(t), signature: signature, secret: secret)
        }
    }

    @Test func standardWebhooksPackageAcceptsOurSignaturesAndRejectsTamperedOnes() async throws {
        let secret = StandardWebhookSignature.generateSecret()
        let t = now
        let signature = try #require(
            StandardWebhookSignature.header(
                body: body, id: "msg_1", timestamp: t, secrets: [StandardWebhookSignature.generateSecret(), secret]))
        let ok = await PythonInterop.call(
            "swh-verify",
            ["body": Data(body).base64EncodedString(), "secret": secret, "id": "msg_1", "timestamp": t, "signature": signature])
        #expect(ok?["ok"] as? Bool == true, "\(ok ?? [:])")
        let tampered = await PythonInterop.call(
            "swh-verify",
            ["body": Data(body + [0x20]).base64EncodedString(), "secret": secret, "id": "msg_1", "timestamp": t, "signature": signature])
        #expect(tampered?["ok"] as? Bool == false)
    }
}
