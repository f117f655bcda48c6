import Tributary

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
