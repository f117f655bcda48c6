import AsyncHTTPClient
import Foundation
import Logging
import Tributary

/// The one list of providers: everything else (the catalog, the registrar's credentials and help
/// text, the tool's `send` and `sources`, the checks on README.md and deploy/) is derived from it.
/// A new provider is its folder plus one line here.
public enum Providers {
    /// Every provider, in the order their sources are offered to the services.
    public static let all: [any ProviderIntegration.Type] = [
        StripeIntegration.self,
        GitHubIntegration.self,
        StandardWebhooks.self,
        NotionIntegration.self,
        SlackIntegration.self,
        DiscordIntegration.self,
        TwilioIntegration.self,
        ShopifyIntegration.self,
        LinearIntegration.self,
        TypeformIntegration.self,
        GenericIntegration.self,
    ]

    /// The descriptors of ``all``.
    public static var descriptors: [Provider] { all.map { $0.provider } }

    /// Every variable the providers read, in order (for help texts).
    public static var variableNames: [String] { descriptors.flatMap { $0.variables.map(\.name) } }

    /// Every event specification the providers declare, for `tributary send`.
    public static var events: [ProviderEvent] { descriptors.flatMap(\.events) }

    /// The source keys an operator may name by hand, across providers.
    public static var sourceKeyRules: [SourceKeyRule] { descriptors.flatMap(\.sourceKeys) }
}

/// The integrations a deployment knows, configured once from the environment: what the receiver
/// (handlers) and the registrar (register functions) look sources up in, by source id.
///
/// Provider credentials are optional here: without `STRIPE_API_KEY` or `GITHUB_TOKEN` handlers still
/// verify webhooks, and registration fails with an error naming the missing variable. Typed access
/// (`catalog.stripe`, …) is declared in each provider's folder.
public struct IntegrationCatalog: Sendable {
    /// The integrations by provider id, in ``Providers/all``'s order.
    public private(set) var integrations: [any ProviderIntegration]
    /// Variables that were missing, by provider id, for registration errors.
    public var missingCredentials: [String: String]

    /// A catalog of exactly these integrations (none missing credentials).
    public init(_ integrations: [any ProviderIntegration]) {
        self.integrations = integrations
        self.missingCredentials = [:]
    }

    /// Builds every provider of ``Providers/all`` from the environment (each reads the variables its
    /// descriptor names); a provider whose credential is not set is built without it and, unless its
    /// sources are then subscribed by hand (``Provider/subscribesByHandWithoutCredential``), recorded in
    /// ``missingCredentials``.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.integrations")
    ) throws(ConfigurationError) -> IntegrationCatalog {
        var catalog = IntegrationCatalog([])
        for type in Providers.all {
            let provider = type.provider
            let hasCredential = provider.hasCredential(in: environment)
            if !hasCredential, !provider.subscribesByHandWithoutCredential, let credential = provider.credential {
                catalog.missingCredentials[provider.id] = credential.name
            }
            catalog.integrations.append(
                try type.build(
                    from: ProviderEnvironment(
                        values: environment, hasCredential: hasCredential, httpClient: httpClient, logger: logger)))
        }
        return catalog
    }

    /// The integration of type `I`, or nil when the catalog has none. Setting replaces it (or adds it).
    public subscript<I: ProviderIntegration>(_ type: I.Type) -> I? {
        get { integrations.lazy.compactMap { $0 as? I }.first }
        set {
            let index = integrations.firstIndex { $0 is I }
            switch (index, newValue) {
            case let (index?, value?): integrations[index] = value
            case let (index?, nil): integrations.remove(at: index)
            case let (nil, value?): integrations.append(value)
            case (nil, nil): break
            }
        }
    }

    /// The integration of type `I`; the catalog must hold one (``fromEnvironment(_:httpClient:logger:)`` holds every provider).
    public func required<I: ProviderIntegration>(_ type: I.Type) -> I {
        guard let integration = self[type] else { preconditionFailure("the catalog holds no \(I.provider.name) integration") }
        return integration
    }

    /// Every external source, type-erased for the services.
    public var sources: [AnyExternalSource] { integrations.flatMap(\.externalSources) }

    /// Every polling source, type-erased for the registrar.
    public var pollingSources: [AnyPollingSource] { integrations.flatMap(\.pollingSources) }

    /// The provider whose integration brings the source id (external or polling), or nil.
    public func provider(ofSourceId sourceId: String) -> Provider? {
        for integration in integrations {
            let ids = integration.externalSources.map(\.id) + integration.pollingSources.map(\.id)
            if ids.contains(sourceId) { return type(of: integration).provider }
        }
        return nil
    }

    /// The variable that must be set before sources of `sourceId` can be registered or polled, when it is missing.
    public func missingCredential(forSourceId sourceId: String) -> (provider: String, variable: String)? {
        guard let provider = provider(ofSourceId: sourceId), let variable = missingCredentials[provider.id] else { return nil }
        return (provider.id, variable)
    }
}
