import Logging
import ServiceSupport
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

extension SourceStateTable {
    /// Records a failed registration or poll of `plan`: counted in `metrics`, written on the source's
    /// newest state (else `fallback`, else a new state for `url`) with its failures counted. A write
    /// that fails for another reason than lost leadership is logged, not thrown. Returns the state as recorded.
    func recordFailure(
        _ error: any Error, of plan: SourcePlan, fallback: SourceState?, url: String? = nil,
        metrics: RegistrarMetrics, logger: Logger
    ) async throws -> SourceState {
        metrics.reconciliation(source: plan.key, outcome: "failed")
        var failed = (state(plan.key) ?? fallback ?? plan.newState(url: url)).recordingFailure(RegistrationError.message(of: error))
        if failed.url == nil { failed.url = url }
        metrics.sourceState(source: plan.key, registered: failed.active, consecutiveFailures: failed.lastError?.attempts ?? 1)
        do {
            try await write(failed)
        } catch let lost as LeadershipLost {
            throw lost
        } catch {
            logger.error("cannot record the failure on the source state", metadata: [LogKey.error: "\(error)"])
        }
        return failed
    }
}

extension RegistrationError {
    /// What a failure says on the source state and in command results: a failed task's own error.
    static func message(of error: any Error) -> String {
        if let failed = error as? TaskFailedError { return "\(failed.underlying)" }
        return "\(error)"
    }
}
