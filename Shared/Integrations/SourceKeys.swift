import Tributary

/// The source keys an operator may name before any job declares them (e.g. `tributary sources
/// set-secret stripe.webhook whsec_…` for `stripe listen` forwarding), and the state such a source
/// starts with: the ``SourceKeyRule``s of ``Providers/all`` (`stripe.webhook`, `webhooks.<name>`,
/// `owner/repo`, …).
public enum SourceKeys {
    /// A key that names no known kind of source.
    public struct UnknownKey: Error, Sendable, CustomStringConvertible {
        /// The key.
        public var key: String
        public var description: String {
            "unknown source key \(key): use \(SourceKeys.forms) (or a key a job declares)"
        }
    }

    /// The forms of the keys that may be named by hand, for messages and help: `stripe.webhook, …, webhooks.<name> or owner/repo`.
    public static var forms: String {
        let forms = Providers.sourceKeyRules.map(\.form)
        guard forms.count > 1 else { return forms.first ?? "" }
        return forms.dropLast().joined(separator: ", ") + " or " + forms.last!
    }

    /// The state a source created by hand starts with (active, no secret yet).
    public static func newState(forKey key: String) throws(UnknownKey) -> SourceState {
        for rule in Providers.sourceKeyRules {
            if let state = rule.newState(key) { return state }
        }
        throw UnknownKey(key: key)
    }
}
