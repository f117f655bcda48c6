import Foundation
import Tributary

/// A webhook signature scheme: checks a delivery's headers and raw body against the source's secret.
/// With a parser it is most of a webhook-only integration (see ``WebhookHandler``).
public protocol WebhookSignatureScheme: Sendable {
    /// The header a rejection names, e.g. `Stripe-Signature`.
    var signatureHeaderName: String { get }
    /// Throws (any error; its description goes into the 401) unless `request` is signed with `secret` at `now`.
    func verify(_ request: SourceRequest, secret: String, now: Date) throws
}

/// One delivery whose signature was verified, for a parser: the request, the time it arrived, and the
/// checks every parser needs, each throwing the `SourceRejection` the receiver answers 400 with.
public struct WebhookDelivery: Sendable {
    /// The request.
    public var request: SourceRequest
    /// When it is handled.
    public var now: Date

    /// A delivery.
    public init(request: SourceRequest, now: Date) {
        self.request = request
        self.now = now
    }

    /// The raw body.
    public var body: [UInt8] { request.body }

    /// The header's value, case-insensitively.
    public func header(_ name: String) -> String? { request.header(name) }

    /// The header's non-empty value, or a 400 `missing header <name>`.
    public func requiredHeader(_ name: String) throws -> String {
        guard let value = request.header(name), !value.isEmpty else { throw SourceRejection.malformedBody("missing header \(name)") }
        return value
    }

    /// The body as JSON, or a 400 `the body is not JSON: …`.
    public func json() throws -> JSON {
        do { return try JSON(parsing: request.body) } catch { throw SourceRejection.malformedBody("the body is not JSON: \(error)") }
    }

    /// The body as JSON with the value at `path` checked but not built (see `JSON.parse(_:deferring:)`):
    /// the tree, with `null` there, and that value's text (nil when the path is not in the body); or a
    /// 400 `the body is not JSON: …`. A parser whose payload is a part of the body publishes that text.
    public func json(deferring path: [String]) throws -> (tree: JSON, deferred: [UInt8]?) {
        let body = request.body
        do {
            let (tree, range) = try JSON.parse(body, deferring: path)
            // The whole body (no whitespace around it) is shared, not copied.
            return (tree, range.map { $0 == body.indices ? body : Array(body[$0]) })
        } catch { throw SourceRejection.malformedBody("the body is not JSON: \(error)") }
    }
}

/// "Verify a signature, parse, emit events": the handler of a webhook source. It answers 503 while the
/// source has no secret (so the provider retries), 401 when the scheme refuses the signature (naming the
/// scheme's header), and otherwise whatever the parser returns or throws.
public struct WebhookHandler<Params: Sendable>: Sendable {
    /// Turns a verified delivery into events (or a response), or throws a `SourceRejection`.
    public typealias Parse = @Sendable (WebhookDelivery, HandlerState<Params>) throws -> HandlerResult

    /// The signature scheme.
    public var scheme: any WebhookSignatureScheme
    /// The 503's message when the source has no secret yet.
    public var missingSecret: @Sendable (HandlerState<Params>) -> String
    /// The parser.
    public var parse: Parse

    /// A handler; by default a source without a secret is `the source has no signing secret yet`.
    public init(
        scheme: any WebhookSignatureScheme,
        missingSecret: @escaping @Sendable (HandlerState<Params>) -> String = { _ in "the source has no signing secret yet" },
        parse: @escaping Parse
    ) {
        self.scheme = scheme
        self.missingSecret = missingSecret
        self.parse = parse
    }

    /// Verifies and parses one request.
    public func handle(_ request: SourceRequest, state: HandlerState<Params>, now: Date = Date()) throws -> HandlerResult {
        guard let secret = state.secret, !secret.isEmpty else {
            throw SourceRejection(.badSignature, missingSecret(state), status: 503)
        }
        do {
            try scheme.verify(request, secret: secret, now: now)
        } catch {
            throw SourceRejection.badSignature("\(scheme.signatureHeaderName): \(error)")
        }
        return try parse(WebhookDelivery(request: request, now: now), state)
    }
}

extension ExternalSource {
    /// A webhook (`http` channel) source whose handler is `handler`. `register` defaults to
    /// ``RegisterResult/keepingOperatorSecret(_:)``: a sender with no subscription API, whose secret
    /// the operator sets (`tributary sources set-secret KEY SECRET`).
    public static func webhook(
        id: String, version: String = "1", key: @escaping @Sendable (Params) -> String,
        validate: @escaping @Sendable (Params) throws -> Void = { _ in },
        handler: WebhookHandler<Params>,
        register: @escaping Register = { event, _, _ in .keepingOperatorSecret(event) }
    ) -> ExternalSource {
        ExternalSource(
            channel: .http, id: id, version: version, key: key, validate: validate,
            handler: { request, state in try handler.handle(request, state: state) },
            register: register)
    }
}

extension RegisterResult {
    /// The registration of a source with no provider API to call: the subscription is made at the
    /// sender with the operator's secret, which is kept, as is the source's data.
    public static func keepingOperatorSecret<Params>(_ event: RegisterEvent<Params>) -> RegisterResult {
        .registered(data: event.source.data, secret: event.source.secret, options: ["event": event.events.desired.sorted()])
    }
}
