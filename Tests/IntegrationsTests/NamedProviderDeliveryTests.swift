import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

/// `tributary send --signed` for the named providers: every example of Shopify, Typeform, Linear and
/// Slack, made into the provider's delivery and signed, is accepted by the provider's own handler as
/// that event; with another secret it is a 401.
@Suite struct NamedProviderDeliveryTests {
    let secret = "delivery-secret-0123456789"

    @Test func everyExampleSignedAsTheProviderWouldIsAccepted() async throws {
        let sources: [(Provider, ExternalSource<NamedSourceParams>)] = [
            (ShopifyIntegration.provider, ShopifyIntegration().source), (TypeformIntegration.provider, TypeformIntegration().source),
            (LinearIntegration.provider, LinearIntegration().source), (SlackIntegration.provider, SlackIntegration().source),
        ]
        for (provider, source) in sources {
            let sign = try #require(provider.signDelivery, "\(provider.id) has no signer")
            for specification in provider.events {
                for example in specification.examples {
                    let name = specification.names[0]
                    let event = EventRecord(id: "evt-\(name)", name: name, source: specification.source, payload: example.payload)
                    let delivery = try sign(event, secret, Date())
                    let headers = delivery.headers.map { ($0.key, $0.value) }
                    let result = try await deliver(source, name: "acme", secret: secret, headers: headers, body: delivery.body)
                    #expect(result.events.map(\.name) == [name], "\(provider.id) \(name)")
                    let refused = await rejectionOf {
                        try await deliver(source, name: "acme", secret: "other", headers: headers, body: delivery.body)
                    }
                    #expect(refused?.status == 401, "\(provider.id) \(name)")
                }
            }
        }
    }
}
