import Tributary

/// The source keys an operator may name before any job declares them (e.g. `tributary sources
/// set-secret stripe.webhook whsec_…` for `stripe listen` forwarding), and the state such a source
/// starts with: `stripe.webhook` and `stripe.webhook.connect` are Stripe, `webhooks.<name>` is a
/// Standard Webhooks sender, `owner/repo` is a GitHub repository.
public enum SourceKeys {
    /// A key that names no known kind of source.
    public struct UnknownKey: Error, Sendable, CustomStringConvertible {
        /// The key.
        public var key: String
        public var description: String {
            "unknown source key \(key): use stripe.webhook, stripe.webhook.connect, webhooks.<name> or owner/repo (or a key a job declares)"
        }
    }

    /// The state a source created by hand starts with (active, no secret yet).
    public static func newState(forKey key: String) throws(UnknownKey) -> SourceState {
        if key == "stripe.webhook" || key == "stripe.webhook.connect" {
            return SourceState(key: key, sourceId: "stripe.webhook", params: ["connect": .bool(key.hasSuffix(".connect"))], active: true)
        }
        if key.hasPrefix("webhooks."), key.count > "webhooks.".count {
            return SourceState(key: key, sourceId: "standardwebhooks", params: ["name": .string(String(key.dropFirst("webhooks.".count)))], active: true)
        }
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty {
            return SourceState(key: key, sourceId: "github.webhook", params: ["owner": .string(String(parts[0])), "repository": .string(String(parts[1]))], active: true)
        }
        throw UnknownKey(key: key)
    }
}
