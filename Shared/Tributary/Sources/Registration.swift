/// What `register` is asked to do for one source key (Trigger.dev's `HandlerEvent<"HTTP">`).
public struct RegisterEvent<Params: Sendable>: Sendable {
    /// The source params.
    public var params: Params
    /// The current state of the subscription.
    public var source: RegisterSource
    /// Per option name (at least `event`): desired, missing and orphaned values.
    public var options: [String: OptionChange]

    /// Creates a register event.
    public init(params: Params, source: RegisterSource, options: [String: OptionChange]) {
        self.params = params; self.source = source; self.options = options
    }

    /// The change of the `event` option (empty when absent).
    public var events: OptionChange { options["event"] ?? OptionChange(desired: []) }
}

/// The subscription as the registrar knows it when calling `register`.
public struct RegisterSource: Sendable, Hashable {
    /// The source key.
    public var key: String
    /// Whether it is registered with the provider.
    public var active: Bool
    /// Provider data from the last registration (e.g. the endpoint id).
    public var data: JSON
    /// The URL the provider must post to.
    public var url: String
    /// The current secret, if any.
    public var secret: String?
    /// Creates a register source.
    public init(key: String, active: Bool, data: JSON = .object([:]), url: String, secret: String? = nil) {
        self.key = key; self.active = active; self.data = data; self.url = url; self.secret = secret
    }

    /// The register source for a known source state and the URL the provider must post to.
    public init(state: SourceState, url: String) {
        self.init(key: state.key, active: state.active, data: state.data, url: url, secret: state.secret)
    }
}

/// Desired, missing (desired but not registered) and orphaned (registered but no longer desired) values of an option.
public struct OptionChange: Sendable, Hashable, Codable {
    /// All values the triggers want.
    public var desired: [String]
    /// Desired values not registered yet.
    public var missing: [String]
    /// Registered values no trigger wants.
    public var orphaned: [String]

    /// Creates a change.
    public init(desired: [String], missing: [String] = [], orphaned: [String] = []) {
        self.desired = desired; self.missing = missing; self.orphaned = orphaned
    }

    /// Computes the change from what is desired and what is registered (sorted, deduplicated).
    public init(desired: some Sequence<String>, registered: some Sequence<String>) {
        let d = Set(desired), r = Set(registered)
        self.init(desired: d.sorted(), missing: d.subtracting(r).sorted(), orphaned: r.subtracting(d).sorted())
    }

    /// Whether nothing is missing or orphaned.
    public var isSettled: Bool { missing.isEmpty && orphaned.isEmpty }
}

/// What `register` returns.
public enum RegisterResult: Sendable, Hashable {
    /// Nothing changed at the provider; keep the state as it is.
    case unchanged
    /// The subscription now has this data, secret and registered values per option. The secret
    /// replaces the old one: `nil` means the source has no secret (e.g. the endpoint was removed).
    case registered(data: JSON, secret: String?, options: [String: [String]])
}
