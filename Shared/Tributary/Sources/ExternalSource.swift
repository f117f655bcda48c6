import Foundation
import Synchronization

/// An external source (Trigger.dev's `ExternalSource`): how events of a provider reach Tributary.
/// Triggers with equal `key(params)` share one provider subscription.
public struct ExternalSource<Params: Codable & Sendable>: Sendable {
    /// Checks a request's signature and turns it into events, or throws a `SourceRejection`.
    public typealias Handler = @Sendable (SourceRequest, HandlerState<Params>) async throws -> HandlerResult
    /// Creates, updates or deletes the provider subscription so it matches the desired options.
    public typealias Register = @Sendable (RegisterEvent<Params>, IO, RunContext) async throws -> RegisterResult

    /// How events arrive.
    public var channel: SourceChannel
    /// The source id, e.g. `stripe`.
    public var id: String
    /// The source version.
    public var version: String
    /// The subscription key for given params, e.g. `stripe.webhook` or `stripe.webhook.connect`.
    public var key: @Sendable (Params) -> String
    /// A filter the source adds to its triggers for given params.
    public var filter: @Sendable (Params) -> EventFilter
    /// Throws when params are not acceptable.
    public var validate: @Sendable (Params) throws -> Void
    /// The request handler.
    public var handler: Handler
    /// The register function.
    public var register: Register

    /// Creates an external source.
    public init(
        channel: SourceChannel = .http, id: String, version: String = "1",
        key: @escaping @Sendable (Params) -> String,
        filter: @escaping @Sendable (Params) -> EventFilter = { _ in .all },
        validate: @escaping @Sendable (Params) throws -> Void = { _ in },
        handler: @escaping Handler, register: @escaping Register
    ) {
        self.channel = channel; self.id = id; self.version = version; self.key = key; self.filter = filter
        self.validate = validate; self.handler = handler; self.register = register
    }

    /// This source with its params as JSON, for the services that host many sources.
    public var erased: AnyExternalSource { AnyExternalSource(self) }
}

/// What a handler knows about its source: key, secret, data, params and kept metadata.
public struct HandlerState<Params: Sendable>: Sendable {
    /// The source key.
    public var key: String
    /// The webhook signing secret, if registered.
    public var secret: String?
    /// Provider data kept by `register`.
    public var data: JSON
    /// The source params.
    public var params: Params
    /// Metadata the handler returned last time.
    public var metadata: JSON
    /// Creates a handler state.
    public init(key: String, secret: String?, data: JSON = .object([:]), params: Params, metadata: JSON = .object([:])) {
        self.key = key; self.secret = secret; self.data = data; self.params = params; self.metadata = metadata
    }
}

/// An external source whose params travel as JSON: what the receiver and registrar hold.
public struct AnyExternalSource: Sendable {
    /// How events arrive.
    public let channel: SourceChannel
    /// The source id.
    public let id: String
    /// The source version.
    public let version: String
    private let _key: @Sendable (JSON) throws -> String
    private let _filter: @Sendable (JSON) throws -> EventFilter
    private let _handle: @Sendable (SourceRequest, SourceState) async throws -> HandlerResult
    private let _register: @Sendable (RegisterEvent<JSON>, IO, RunContext) async throws -> RegisterResult

    /// Erases a typed source.
    public init<Params>(_ s: ExternalSource<Params>) {
        channel = s.channel
        id = s.id
        version = s.version
        let decode: @Sendable (JSON) throws -> Params = { try SourceParamsError.decode($0, sourceId: s.id, validate: s.validate) }
        _key = { try s.key(decode($0)) }
        _filter = { try s.filter(decode($0)) }
        let handled = LastDecodedParams(decode)
        _handle = { request, state in
            let p = try handled.params(state.params)
            let hs = HandlerState(key: state.key, secret: state.secret, data: state.data, params: p, metadata: state.metadata)
            var result: HandlerResult
            do {
                result = try await s.handler(request, hs)
            } catch let r as SourceRejection {
                throw r
            } catch let e as JSONParseError {
                throw SourceRejection.malformedBody(e.description)
            } catch let e as DecodingError {
                throw SourceRejection.malformedBody("\(e)")
            }
            for i in result.events.indices where result.events[i].sourceKey == nil {
                result.events[i].sourceKey = state.key
            }
            return result
        }
        _register = { event, io, ctx in
            let p = try decode(event.params)
            return try await s.register(RegisterEvent(params: p, source: event.source, options: event.options), io, ctx)
        }
    }

    /// The subscription key for JSON params (decoded and validated).
    public func key(params: JSON) throws -> String { try _key(params) }
    /// The source's filter for JSON params.
    public func filter(params: JSON) throws -> EventFilter { try _filter(params) }
    /// Runs the handler on a request for the source in `state`. Events get `state.key` as their
    /// source key; JSON and decoding errors become `malformedBody` rejections.
    public func handle(_ request: SourceRequest, state: SourceState) async throws -> HandlerResult {
        try await _handle(request, state)
    }
    /// Runs the register function with JSON params.
    public func register(_ event: RegisterEvent<JSON>, io: IO, context: RunContext) async throws -> RegisterResult {
        try await _register(event, io, context)
    }
}

/// Source params that do not decode or do not validate.
public struct SourceParamsError: Error, Sendable, CustomStringConvertible {
    /// The source id.
    public var sourceId: String
    /// What is wrong.
    public var message: String
    /// Creates an error (a source's `validate` may throw it).
    public init(sourceId: String, message: String) { self.sourceId = sourceId; self.message = message }
    public var description: String { "source \(sourceId): \(message)" }
}

extension SourceParamsError {
    /// Decodes JSON params into a source's typed params and validates them; either failure names the source.
    static func decode<Params: Decodable>(
        _ json: JSON, sourceId: String, validate: (Params) throws -> Void
    ) throws -> Params {
        let params: Params
        do { params = try json.decode(as: Params.self) } catch {
            throw SourceParamsError(sourceId: sourceId, message: "params do not decode: \(error)")
        }
        do { try validate(params) } catch {
            throw SourceParamsError(sourceId: sourceId, message: "params are invalid: \(error)")
        }
        return params
    }
}

/// The params a source's handler decoded last, with the JSON they came from: every delivery to a source
/// key carries the same params, and decoding them (Codable, validated) for each request cost 3% of the
/// receiver's CPU.
final class LastDecodedParams<Params: Sendable>: Sendable {
    private let decode: @Sendable (JSON) throws -> Params
    private let last = Mutex<(json: JSON, params: Params)?>(nil)

    init(_ decode: @escaping @Sendable (JSON) throws -> Params) { self.decode = decode }

    /// `json` decoded (from the last call when it was the same JSON).
    func params(_ json: JSON) throws -> Params {
        if let cached = last.withLock({ $0 }), cached.json == json { return cached.params }
        let params = try decode(json)
        last.withLock { $0 = (json, params) }
        return params
    }
}
