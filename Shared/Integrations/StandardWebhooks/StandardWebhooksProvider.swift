import Tributary

extension StandardWebhooks: ProviderIntegration {
    /// Standard Webhooks senders: no variables (the operator sets each sender's secret); source keys
    /// `webhooks.<name>`; no fixed events (each sender has its own `type`s, see ``event(_:title:source:icon:example:)``).
    public static let provider = Provider(
        id: "standardwebhooks", name: "Standard Webhooks", summary: "any Standard Webhooks sender",
        sourceKeys: [
            SourceKeyRule(form: "webhooks.<name>") { key in
                guard key.hasPrefix("webhooks."), key.count > "webhooks.".count else { return nil }
                return SourceState(
                    key: key, sourceId: "standardwebhooks", params: ["name": .string(String(key.dropFirst("webhooks.".count)))],
                    active: true)
            }
        ], signDelivery: SignedDelivery.standardWebhooks)

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> StandardWebhooks {
        StandardWebhooks()
    }

    /// The `standardwebhooks` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}

extension IntegrationCatalog {
    /// The Standard Webhooks integration.
    public var standardWebhooks: StandardWebhooks {
        get { required(StandardWebhooks.self) }
        set { self[StandardWebhooks.self] = newValue }
    }
}
