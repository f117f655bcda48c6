import Foundation

/// A polling source: for APIs without webhooks, the registrar's leader calls `poll` every `interval`
/// with the cursor it stored last time, publishes the returned events to `<p>.events` and stores the
/// returned cursor on the source state (`data.cursor` on `<p>.sources`) once the broker acknowledged them.
///
/// Events must have stable ids (the same change always yields the same id), so overlapping polls and
/// polls repeated after a failure produce no duplicate runs: the runner's run id is `(event key, job id)`.
public struct PollingSource<Params: Codable & Sendable>: Sendable {
    /// Reads what changed since the cursor; provider calls go through `io` tasks.
    public typealias Poll = @Sendable (PollRequest<Params>, IO) async throws -> PollResult

    /// The source id, e.g. `notion.database`.
    public var id: String
    /// The source version.
    public var version: String
    /// The source key for given params, e.g. `notion.<database id>`.
    public var key: @Sendable (Params) -> String
    /// How long to wait between two polls for given params.
    public var interval: @Sendable (Params) -> Duration
    /// A filter the source adds to its triggers for given params.
    public var filter: @Sendable (Params) -> EventFilter
    /// Throws when params are not acceptable.
    public var validate: @Sendable (Params) throws -> Void
    /// The poll function.
    public var poll: Poll

    /// Creates a polling source.
    public init(
        id: String, version: String = "1",
        key: @escaping @Sendable (Params) -> String,
        interval: @escaping @Sendable (Params) -> Duration = { _ in .seconds(60) },
        filter: @escaping @Sendable (Params) -> EventFilter = { _ in .all },
        validate: @escaping @Sendable (Params) throws -> Void = { _ in },
        poll: @escaping Poll
    ) {
        self.id = id; self.version = version; self.key = key; self.interval = interval
        self.filter = filter; self.validate = validate; self.poll = poll
    }

    /// This source as an `ExternalSource` on the `polling` channel, for triggers
    /// (`Trigger(event:source:params:)`). Its handler refuses every request (nothing posts to a
    /// polling source) and its register function changes nothing.
    public var externalSource: ExternalSource<Params> {
        let id = self.id
        return ExternalSource(
            channel: .polling, id: id, version: version, key: key, filter: filter, validate: validate,
            handler: { _, _ in throw SourceRejection(.unsupported, "source \(id) is polled; it accepts no requests", status: 404) },
            register: { _, _, _ in .unchanged })
    }

    /// This source with its params as JSON, for the registrar.
    public var erased: AnyPollingSource { AnyPollingSource(self) }
}
