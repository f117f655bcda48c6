import Tributary
import TributaryIntegrations

/// The registrar's one way to find what serves a planned source: the catalog's sources by id, and the
/// provider credential that must be set first. `Reconciler` looks up external sources (to register),
/// `Poller` polling sources (to poll); both build a new source's state here.
struct SourceIntegrations<Source: Sendable>: Sendable {
    /// What the registrar does with the source, for error messages.
    enum Purpose: Sendable {
        /// `register`: external sources.
        case register
        /// `poll`: polling sources.
        case poll
    }

    private let sources: [String: Source]
    /// (provider id, variable) by source id, for the sources whose provider's credential is missing.
    private let missing: [String: (provider: String, variable: String)]
    private let purpose: Purpose

    /// The first source of each id in `sources` (as `catalog` lists them), for `purpose`.
    init(_ sources: [Source], id: (Source) -> String, catalog: IntegrationCatalog, purpose: Purpose) {
        self.sources = Dictionary(sources.map { (id($0), $0) }, uniquingKeysWith: { first, _ in first })
        self.missing = self.sources.keys.reduce(into: [:]) { missing, sourceId in
            missing[sourceId] = catalog.missingCredential(forSourceId: sourceId)
        }
        self.purpose = purpose
    }

    /// The source with this id, whether or not its credential is set.
    subscript(sourceId: String) -> Source? { sources[sourceId] }

    /// The source serving `plan`; throws when no integration has it or its provider's credential is missing.
    func source(for plan: SourcePlan) throws -> Source {
        guard let source = sources[plan.sourceId] else {
            throw RegistrationError("no integration \(purpose == .register ? "handles" : "polls") source id \(plan.sourceId)")
        }
        if let (provider, variable) = missing[plan.sourceId] {
            let action = purpose == .register ? "register source \(plan.key) with" : "poll source \(plan.key) at"
            throw RegistrationError("\(variable) is not set: the registrar cannot \(action) \(provider)")
        }
        return source
    }
}

extension SourcePlan {
    /// The state of a source the registrar has not written yet: inactive, with no secret; `url` is where
    /// its webhooks go (none for a polling source).
    func newState(url: String? = nil) -> SourceState {
        SourceState(key: key, sourceId: sourceId, version: version, channel: channel, params: params, active: false, url: url)
    }
}
