import Tributary

extension StripeIntegration: ProviderIntegration {
    /// Stripe: `STRIPE_API_KEY` (registration), `STRIPE_API_BASE`; sources `stripe.webhook` and
    /// `stripe.webhook.connect`; every single-event specification of `StripeEvents` for `send`.
    public static let provider = Provider(
        id: "stripe", name: "Stripe", summary: "Stripe credentials",
        variables: StripeConfiguration.variables,
        sourceKeys: ["stripe.webhook", "stripe.webhook.connect"].map { form in
            SourceKeyRule(form: form) { key in
                key == form
                    ? SourceState(key: key, sourceId: "stripe.webhook", params: ["connect": .bool(key.hasSuffix(".connect"))], active: true)
                    : nil
            }
        },
        events: Dictionary(grouping: StripeEvents.allExamples, by: \.name)
            .map { name, pairs in ProviderEvent(names: [name], source: StripeEvents.source, examples: pairs.map(\.example)) }
            .sorted { $0.names[0] < $1.names[0] }, apiBase: StripeConfiguration.apiBaseVariable,
        signDelivery: SignedDelivery.stripe)

    /// Reads `STRIPE_API_KEY` and `STRIPE_API_BASE`.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> StripeIntegration {
        StripeIntegration(
            configuration: try StripeConfiguration.build(from: environment), httpClient: environment.httpClient, logger: environment.logger)
    }

    /// The `stripe.webhook` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}

extension IntegrationCatalog {
    /// The Stripe integration.
    public var stripe: StripeIntegration {
        get { required(StripeIntegration.self) }
        set { self[StripeIntegration.self] = newValue }
    }
}
