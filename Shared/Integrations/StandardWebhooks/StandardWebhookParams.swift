/// The params of a Standard Webhooks source: which sender it is. The operator gives its secret
/// (`tributary sources set-secret KEY SECRET`, or configuration); there is no provider API to call.
public struct StandardWebhookParams: Codable, Sendable, Hashable {
    /// A short name for the sender, e.g. `resend`, `clerk`; the source key is `webhooks.<name>`.
    public var name: String
    /// The CloudEvents source of its events, e.g. `resend.com` (defaults to the name).
    public var eventSource: String?

    /// Params.
    public init(name: String, eventSource: String? = nil) {
        self.name = name
        self.eventSource = eventSource
    }

    /// The source key: `webhooks.<name>`.
    public var key: String { "webhooks.\(name)" }

    /// The source events are published under.
    public var source: String { eventSource ?? name }
}
