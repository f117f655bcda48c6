import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TributaryKafka
import Tributary
import TributaryIntegrations
import Testing

@Suite("receiver: POST /sources/{key}", .serialized)
struct ReceiverTests {
    static let stripeHeader = HTTPField.Name("Stripe-Signature")!

    @Test("a source key with a slash (GitHub owner/repo) is reached as one escaped path segment")
    func escapedSourceKey() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        try await harness.writeSource(
            SourceState(
                key: "acme/web", sourceId: "github.webhook", params: ["owner": "acme", "repository": "web"], active: true,
                url: "https://hooks.example.com/sources/acme%2Fweb", secret: "ghsecret"))
        let app = try await harness.receiver()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            // Unsigned: the GitHub handler refuses it, which shows the key found its source (not a 404).
            let response = try await client.postWebhook("acme%2Fweb", body: Array("{}".utf8), headers: [:])
            #expect(response.status == .unauthorized)
        }
    }

    @Test("/sources/owner/repo reaches the key owner/repo as well as owner%2Frepo; a 404 body names the unknown key")
    func slashedSourceKey() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        try await harness.writeSource(
            SourceState(
                key: "acme/website", sourceId: "github.webhook", params: ["owner": "acme", "repository": "website"], active: true,
                url: "https://hooks.example.com/sources/acme/website", secret: "ghsecret"))
        let app = try await harness.receiver()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let slashed = try await client.postWebhook("acme/website", body: Array("{}".utf8), headers: [:])
            #expect(slashed.status == .unauthorized, "the GitHub handler refused the unsigned delivery: the key was found")
            let escaped = try await client.postWebhook("acme%2Fwebsite", body: Array("{}".utf8), headers: [:])
            #expect(escaped.status == .unauthorized)

            let unknown = try await client.postWebhook("acme/nothing", body: Array("{}".utf8), headers: [:])
            let unknownBody = String(buffer: unknown.body)
            #expect(unknown.status == .notFound)
            #expect(unknownBody.contains("unknown source key acme/nothing"), "\(unknownBody)")
            let unknownEscaped = try await client.postWebhook("acme%2Fnothing", body: Array("{}".utf8), headers: [:])
            let unknownEscapedBody = String(buffer: unknownEscaped.body)
            #expect(unknownEscaped.status == .notFound)
            #expect(unknownEscapedBody.contains("unknown source key acme/nothing"), "\(unknownEscapedBody)")
        }
    }

    @Test("every outcome: 404, 413, 401 (bad, missing, stale signature), 400, 200 with the event on <p>.events")
    func outcomes() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        try await harness.writeSource(ReceiverHarness.stripeState)
        let app = try await harness.receiver(bodyLimit: 64 * 1024)
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let (body, signature) = ReceiverHarness.stripePriceCreated()

            let unknown = try await client.postWebhook("no.such.source", body: body, headers: [Self.stripeHeader: signature])
            #expect(unknown.status == .notFound)
            #expect(String(buffer: unknown.body).contains("unknown source key"))

            let huge = [UInt8](repeating: UInt8(ascii: "a"), count: 65 * 1024)
            let tooLarge = try await client.postWebhook("stripe.webhook", body: huge, headers: [Self.stripeHeader: signature])
            #expect(tooLarge.status == .contentTooLarge)

            var tampered = body
            tampered[tampered.count - 3] = UInt8(ascii: "9")
            let forged = try await client.postWebhook("stripe.webhook", body: tampered, headers: [Self.stripeHeader: signature])
            #expect(forged.status == .unauthorized)

            let unsigned = try await client.postWebhook("stripe.webhook", body: body, headers: [:])
            #expect(unsigned.status == .unauthorized)

            let wrongSecret = ReceiverHarness.stripePriceCreated(secret: "whsec_someoneelse")
            let wrong = try await client.postWebhook(
                "stripe.webhook", body: wrongSecret.body, headers: [Self.stripeHeader: wrongSecret.signature])
            #expect(wrong.status == .unauthorized)

            let old = ReceiverHarness.stripePriceCreated(at: Date().addingTimeInterval(-3600))
            let stale = try await client.postWebhook("stripe.webhook", body: old.body, headers: [Self.stripeHeader: old.signature])
            #expect(stale.status == .unauthorized)

            let garbage = Array("{not json".utf8)
            let now = Int64(Date().timeIntervalSince1970)
            let garbageSignature = StripeSignature.header(body: garbage, secrets: [ReceiverHarness.stripeSecret], timestamp: now)
            let malformed = try await client.postWebhook("stripe.webhook", body: garbage, headers: [Self.stripeHeader: garbageSignature])
            #expect(malformed.status == .badRequest)

            #expect(try await harness.publishedEvents().isEmpty, "a rejected delivery published something")

            let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            let accepted = try await client.postWebhook(
                "stripe.webhook", body: body,
                headers: [Self.stripeHeader: signature, HTTPField.Name("traceparent")!: traceparent])
            #expect(accepted.status == .ok)

            // The 200 came after the broker's acknowledgement: the event is on the topic now.
            let events = try await harness.publishedEvents()
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event.keyString == "stripe.com/evt_price_1")
            #expect(event.headers.first(named: "ce_specversion")?.stringValue == "1.0")
            #expect(event.headers.first(named: "ce_id")?.stringValue == "evt_price_1")
            #expect(event.headers.first(named: "ce_source")?.stringValue == "stripe.com")
            #expect(event.headers.first(named: "ce_type")?.stringValue == "price.created")
            #expect(event.headers.first(named: "ce_time") != nil)
            #expect(event.headers.first(named: "content-type")?.stringValue == "application/json")
            #expect(event.headers.first(named: "ce_tributarysourcekey")?.stringValue == "stripe.webhook")
            #expect(event.headers.first(named: "traceparent")?.stringValue == traceparent)
            let payload = try JSON(parsing: event.value ?? [])
            #expect(payload["currency"]?.stringValue == "eur")

            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"tributary_receiver_requests_total{source="stripe.webhook",outcome="accepted"} 1"#))
            #expect(metrics.contains(#"tributary_receiver_signature_failures_total{source="stripe.webhook"} 4"#))
            #expect(metrics.contains("tributary_receiver_events_published_total 1"))

            // Each request is on <p>.deliveries (written after the answer, so waited for), with its
            // outcome and reason; the accepted one with its event id and body; none with a secret or header.
            var deliveries: [(record: DeliveryRecord, raw: String)] = []
            try await eventually("the eight deliveries are recorded") {
                deliveries = try await harness.deliveries()
                return deliveries.count >= 8
            }
            // Records of different source keys go to different partitions: their order across keys is
            // not the requests' order (it differed on a loaded machine), so each is found by its outcome.
            let outcomes = deliveries.map(\.record.outcome.rawValue)
            #expect(
                outcomes.sorted()
                    == [
                        "unknown-source", "too-large", "bad-signature", "bad-signature", "bad-signature", "stale", "malformed", "accepted",
                    ].sorted())
            let byOutcome = { (outcome: String) in deliveries.first { $0.record.outcome.rawValue == outcome }?.record }
            #expect(
                ["unknown-source", "too-large", "bad-signature", "stale", "malformed", "accepted"].map { byOutcome($0)?.status }
                    == [404, 413, 401, 401, 400, 200])
            #expect(byOutcome("unknown-source")?.reason == "unknown source key no.such.source")
            #expect(byOutcome("stale")?.reason?.contains("signed timestamp") == true)
            let acceptedRecord = try #require(byOutcome("accepted"))
            #expect(acceptedRecord.eventIds == ["evt_price_1"] && acceptedRecord.reason == nil)
            #expect(acceptedRecord.body == String(decoding: body, as: UTF8.self) && acceptedRecord.size == body.count)
            #expect(deliveries.allSatisfy { $0.record.outcome == .accepted || $0.record.body == nil }, "a refused body was recorded")
            for delivery in deliveries {
                #expect(
                    !delivery.raw.contains(ReceiverHarness.stripeSecret) && !delivery.raw.contains("v1="), "a secret or signature leaked")
            }
        }
    }

    @Test("brokers silent: 503 with Retry-After and nothing acknowledged; once they answer again the retry is accepted")
    func brokersDown() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        try await harness.writeSource(ReceiverHarness.stripeState)
        let app = try await harness.receiver(publishTimeout: .seconds(2))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let (body, signature) = ReceiverHarness.stripePriceCreated(id: "evt_during_outage")

            // Brokers that answer nothing within the publish timeout (2 s): 4 s per response.
            harness.cluster.holdAllResponses(for: .seconds(4))
            let refused = try await client.postWebhook("stripe.webhook", body: body, headers: [Self.stripeHeader: signature])
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] != nil)
            #expect(try await client.execute(uri: "/readyz", method: .get) { $0.status } == .serviceUnavailable)

            harness.cluster.holdAllResponses(for: nil)
            try await eventually("the provider's retry is accepted") {
                let retried = try await client.postWebhook("stripe.webhook", body: body, headers: [Self.stripeHeader: signature])
                return retried.status == .ok
            }
            let events = try await harness.publishedEvents()
            #expect(events.contains { $0.keyString == "stripe.com/evt_during_outage" })
        }
    }

    @Test("a source written to <p>.sources while running is served without a restart")
    func liveSources() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        let app = try await harness.receiver()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let secretBytes = [UInt8](repeating: 7, count: 24)
            let secret = "whsec_" + Data(secretBytes).base64EncodedString()
            let body = Array(#"{"type":"email.sent","data":{"to":"a@example.com"}}"#.utf8)
            let id = "msg_1"
            let timestamp = Int64(Date().timeIntervalSince1970)
            let signature = try #require(StandardWebhookSignature.header(body: body, id: id, timestamp: timestamp, secrets: [secret]))
            let headers: HTTPFields = [
                HTTPField.Name("webhook-id")!: id, HTTPField.Name("webhook-timestamp")!: "\(timestamp)",
                HTTPField.Name("webhook-signature")!: signature,
            ]
            #expect(try await client.postWebhook("webhooks.resend", body: body, headers: headers).status == .notFound)

            try await harness.writeSource(
                SourceState(
                    key: "webhooks.resend", sourceId: "standardwebhooks", params: ["name": "resend", "eventSource": "resend.com"],
                    active: true, secret: secret))
            try await eventually("the new source is served") {
                try await client.postWebhook("webhooks.resend", body: body, headers: headers).status == .ok
            }
            let events = try await harness.publishedEvents()
            #expect(events.map(\.keyString) == ["resend.com/msg_1"])
            #expect(events.first?.headers.first(named: "ce_type")?.stringValue == "email.sent")
        }
    }

    @Test("/healthz answers while alive; /readyz only once the sources view caught up")
    func probes() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        let app = try await harness.receiver()
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get) { $0.status } == .ok)
            try await client.waitUntilReady()
        }
    }
}
