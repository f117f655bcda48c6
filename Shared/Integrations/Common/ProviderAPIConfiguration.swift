import Tributary

/// What every provider's API configuration holds and how it is read from the environment: a
/// credential (required to call the provider) and the API's base URL (optional, checked to be
/// http(s)), beside its retries and timeout. Stripe, GitHub and Notion conform; a new provider that
/// calls an API does too, and gets ``fromEnvironment(_:)``, ``build(from:)`` and ``variables``.
public protocol ProviderAPIConfiguration: Sendable {
    /// The credential's variable, e.g. `STRIPE_API_KEY`.
    static var credentialVariable: String { get }
    /// The base URL's variable, e.g. `STRIPE_API_BASE`.
    static var apiBaseVariable: String { get }
    /// The API's base URL when its variable is not set, e.g. `https://api.stripe.com`.
    static var defaultAPIBase: String { get }
    /// A configuration with this credential and base URL, default retries and timeout.
    init(credential: String, apiBase: String)
}

extension ProviderAPIConfiguration {
    /// Reads the credential (required) and the base URL (optional); the error names the variable.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> Self {
        Self(
            credential: try ConfigurationError.required(credentialVariable, in: environment),
            apiBase: try ConfigurationError.baseURL(apiBaseVariable, in: environment, default: defaultAPIBase))
    }

    /// The configuration a provider's `build(from:)` uses: read from the environment when the
    /// credential is set, otherwise one without a credential (handlers still verify webhooks; calls
    /// to the provider fail naming the variable) at the unvalidated base URL.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> Self {
        environment.hasCredential
            ? try fromEnvironment(environment.values)
            : Self(credential: "", apiBase: environment.value(apiBaseVariable, or: defaultAPIBase))
    }

    /// The provider's variables for its ``Provider`` descriptor: the credential, then the base URL.
    public static var variables: [ProviderVariable] {
        [.credential(credentialVariable), .setting(apiBaseVariable, default: defaultAPIBase)]
    }
}

extension ConfigurationError {
    /// Reads a required, non-empty variable.
    static func required(_ name: String, in environment: [String: String]) throws(ConfigurationError) -> String {
        guard let value = environment[name], !value.isEmpty else {
            throw ConfigurationError(variable: name, problem: "is not set; it must hold the API credential")
        }
        return value
    }

    /// Reads an optional base URL, checking it is http(s) and dropping a trailing slash.
    static func baseURL(_ name: String, in environment: [String: String], default fallback: String) throws(ConfigurationError) -> String {
        guard let value = environment[name], !value.isEmpty else { return fallback }
        guard value.hasPrefix("https://") || value.hasPrefix("http://") else {
            throw ConfigurationError(variable: name, problem: "must be an http(s) URL, got \(value)")
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }
}
