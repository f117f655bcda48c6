import AsyncHTTPClient
import Logging
import Tributary

/// What a provider folder declares about itself, once: its id, the variables the registrar reads for
/// it, the source keys an operator may name by hand, and the event specifications the tool can send.
/// `IntegrationCatalog`, the registrar (credentials, help text), the tool (`send`, `sources`) and the
/// deploy files' tests all read it from ``Providers/all``; a new provider adds its type there and
/// nothing else outside its folder.
public struct Provider: Sendable {
    /// The provider id, e.g. `stripe`: the key of `IntegrationCatalog.missingCredentials`.
    public var id: String
    /// The provider's name for people, e.g. `Stripe`.
    public var name: String
    /// What the README's Configuration table says of its variables, e.g. `Stripe credentials`.
    public var summary: String
    /// The variables the registrar reads for it, in the README's order (credential first).
    public var variables: [ProviderVariable]
    /// The source keys an operator may name before any job declares them (`sources set-secret`).
    public var sourceKeys: [SourceKeyRule]
    /// The event specifications `tributary send --example` can draw from.
    public var events: [ProviderEvent]
    /// The variable that points its API client at another base URL (e.g. `STRIPE_API_BASE`), which
    /// tests and `tributary dev` set to the stateful fake of its API (`fake-providers`, whose
    /// `FakeProviderServer.providers` must list this id); nil for a provider without an API.
    public var apiBase: String?
    /// Whether its sources still work without the credential, subscribed by hand at the provider with
    /// the operator's secret (`sources set-secret`), rather than failing to register: true for providers
    /// whose registration is a convenience (Shopify, Linear, Typeform), false for Stripe and GitHub.
    public var subscribesByHandWithoutCredential: Bool
    /// How `tributary send --signed` makes a delivery of an event as the provider does (nil: the
    /// provider's deliveries cannot be made with the secret we hold, e.g. Discord's public key).
    public var signDelivery: DeliverySigner?

    /// A provider.
    public init(
        id: String, name: String, summary: String, variables: [ProviderVariable] = [],
        sourceKeys: [SourceKeyRule] = [], events: [ProviderEvent] = [], apiBase: String? = nil,
        subscribesByHandWithoutCredential: Bool = false, signDelivery: DeliverySigner? = nil
    ) {
        self.subscribesByHandWithoutCredential = subscribesByHandWithoutCredential
        self.signDelivery = signDelivery
        self.id = id
        self.name = name
        self.summary = summary
        self.variables = variables
        self.sourceKeys = sourceKeys
        self.events = events
        self.apiBase = apiBase
    }

    /// The variable without which its sources cannot be registered or polled (nil: none is needed).
    public var credential: ProviderVariable? { variables.first { $0.isCredential } }

    /// Whether the credential is set (non-empty) in `environment`; true when the provider needs none.
    public func hasCredential(in environment: [String: String]) -> Bool {
        guard let credential else { return true }
        return environment[credential.name]?.isEmpty == false
    }
}

/// One environment variable a provider's integration reads.
public struct ProviderVariable: Sendable, Hashable {
    /// The variable, e.g. `STRIPE_API_KEY`.
    public var name: String
    /// Its default, or nil when it has none (`-` in the README).
    public var defaultValue: String?
    /// Whether registration needs it (the token or key); such a variable is a secret in deploy/.
    public var isCredential: Bool

    /// A credential: required for registration, held in deploy/'s secrets, no default.
    public static func credential(_ name: String) -> ProviderVariable {
        ProviderVariable(name: name, defaultValue: nil, isCredential: true)
    }

    /// An optional setting with a default (e.g. the API's base URL).
    public static func setting(_ name: String, default value: String) -> ProviderVariable {
        ProviderVariable(name: name, defaultValue: value, isCredential: false)
    }
}

/// A kind of source key an operator may name by hand, and the state such a source starts with.
public struct SourceKeyRule: Sendable {
    /// The key's form for help texts, e.g. `stripe.webhook` or `owner/repo`.
    public var form: String
    /// The state of a source created under `key` (active, no secret yet), or nil when the key is not of this form.
    public var newState: @Sendable (_ key: String) -> SourceState?

    /// A rule.
    public init(form: String, newState: @escaping @Sendable (_ key: String) -> SourceState?) {
        self.form = form
        self.newState = newState
    }
}

/// An event specification reduced to what the tool sends: its names, source and examples.
public struct ProviderEvent: Sendable {
    /// The event names it matches.
    public var names: [String]
    /// The CloudEvents source, e.g. `stripe.com`.
    public var source: String
    /// Its examples (payloads).
    public var examples: [EventExample]
    /// The specification's title, e.g. "On price created" (the console's Testing UI shows it).
    public var title: String?
    /// The specification's icon name, e.g. `stripe`.
    public var icon: String?

    /// An entry.
    public init(names: [String], source: String, examples: [EventExample], title: String? = nil, icon: String? = nil) {
        self.names = names
        self.source = source
        self.examples = examples
        self.title = title
        self.icon = icon
    }

    /// The entry of a specification.
    public init<Payload>(_ specification: EventSpecification<Payload>) {
        self.init(
            names: specification.names, source: specification.source, examples: specification.examples,
            title: specification.title, icon: specification.icon)
    }
}

/// What a provider's integration is built from: the environment, whether its credential is set, and
/// the HTTP client and logger the services share.
public struct ProviderEnvironment: Sendable {
    /// The environment variables.
    public var values: [String: String]
    /// Whether the provider's credential is set (always true for a provider that needs none).
    public var hasCredential: Bool
    /// The HTTP client for provider calls.
    public var httpClient: HTTPClient
    /// The logger.
    public var logger: Logger

    /// An environment.
    public init(
        values: [String: String], hasCredential: Bool, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "tributary.integrations")
    ) {
        self.values = values
        self.hasCredential = hasCredential
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The value of `name`, or `fallback` when it is not set (unvalidated: for an integration built
    /// without its credential, which never calls the provider).
    public func value(_ name: String, or fallback: String) -> String {
        values[name] ?? fallback
    }
}

/// An integration type that is a provider: its descriptor, how it is built from the environment, and
/// the sources it brings. Conforming in the provider's folder and adding the type to
/// ``Providers/all`` is all a provider needs outside its folder.
public protocol ProviderIntegration: Sendable {
    /// The provider's descriptor.
    static var provider: Provider { get }
    /// The integration configured from `environment`. Without its credential it must still build
    /// (handlers verify webhooks; registration fails naming the variable); other invalid values throw.
    static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> Self
    /// Its external sources (webhook handlers and register functions), type-erased.
    var externalSources: [AnyExternalSource] { get }
    /// Its polling sources, type-erased (none by default).
    var pollingSources: [AnyPollingSource] { get }
}

extension ProviderIntegration {
    /// No polling sources.
    public var pollingSources: [AnyPollingSource] { [] }
}
