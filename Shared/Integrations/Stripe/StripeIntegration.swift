import AsyncHTTPClient
import Logging
import Tributary

/// The Stripe integration: its API client, its `stripe.webhook` external source and triggers on
/// `StripeEvents`.
public struct StripeIntegration: Integration {
    /// `stripe`; prefixes task keys.
    public let id: String
    /// Base URL, API key and retries.
    public let configuration: StripeConfiguration
    /// The API client.
    public let client: StripeClient
    /// How the handler checks signatures (tolerance).
    public let signature: StripeSignature

    /// An integration.
    public init(
        id: String = "stripe", configuration: StripeConfiguration, signature: StripeSignature = StripeSignature(),
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.stripe")
    ) {
        self.id = id
        self.configuration = configuration
        self.signature = signature
        self.client = StripeClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// The `stripe.webhook` external source (handler and register).
    public var source: ExternalSource<StripeSourceParams> {
        StripeWebhookSource(integration: self).externalSource
    }

    /// A trigger on `event` through the webhook source. `connect` defaults to true for the events in
    /// `StripeEvents.connectByDefault` (`account.updated`) and false otherwise.
    public func trigger<Payload>(
        _ event: EventSpecification<Payload>, connect: Bool? = nil, filter: EventFilter = .all
    ) -> Trigger<Payload> {
        let connect = connect ?? event.names.allSatisfy { StripeEvents.connectByDefault.contains($0) }
        return Trigger(event: event, source: source, params: StripeSourceParams(connect: connect), filter: filter)
    }
}
