/// A polling source whose params travel as JSON: what the registrar holds.
public struct AnyPollingSource: Sendable {
    /// The source id.
    public let id: String
    /// The source version.
    public let version: String
    private let _key: @Sendable (JSON) throws -> String
    private let _interval: @Sendable (JSON) throws -> Duration
    private let _poll: @Sendable (PollRequest<JSON>, IO) async throws -> PollResult

    /// Erases a typed source.
    public init<Params>(_ s: PollingSource<Params>) {
        id = s.id
        version = s.version
        let decode: @Sendable (JSON) throws -> Params = { try SourceParamsError.decode($0, sourceId: s.id, validate: s.validate) }
        _key = { try s.key(decode($0)) }
        _interval = { try s.interval(decode($0)) }
        _poll = { request, io in
            let p = try decode(request.params)
            var result = try await s.poll(PollRequest(key: request.key, params: p, cursor: request.cursor), io)
            for i in result.events.indices where result.events[i].sourceKey == nil {
                result.events[i].sourceKey = request.key
            }
            return result
        }
    }

    /// The source key for JSON params (decoded and validated).
    public func key(params: JSON) throws -> String { try _key(params) }
    /// The poll interval for JSON params.
    public func interval(params: JSON) throws -> Duration { try _interval(params) }
    /// Runs one poll with JSON params; events get the request's key as their source key.
    public func poll(_ request: PollRequest<JSON>, io: IO) async throws -> PollResult { try await _poll(request, io) }
}
