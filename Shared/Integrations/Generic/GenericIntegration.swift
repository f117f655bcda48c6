import Crypto
import Foundation
import Tributary

/// Webhooks from senders Tributary has no code for, configured per source key: `hmac.<name>` (an HMAC
/// of the body, or of timestamp and body, in a header), `shared-secret.<name>` (the secret itself in a
/// header) and `url-token.<name>` (the secret as `?token=` in the URL). The secret is set with
/// `tributary sources set-secret KEY SECRET`, the scheme's details with `tributary sources configure KEY
/// name=value…` (see ``GenericPresetSettings``). A delivery that passes becomes one event named by
/// `eventHeader`, `eventField` or `webhook`, with source `<name>`; the payload is the JSON body (or the
/// body as a string when it is not JSON).
public struct GenericIntegration: Sendable {
    /// `hmac`.
    public static let hmacId = GenericPresets.hmacId
    /// `shared-secret`.
    public static let sharedSecretId = GenericPresets.sharedSecretId
    /// `url-token`.
    public static let urlTokenId = GenericPresets.urlTokenId

    /// The integration.
    public init() {}

    /// The source of `id` (`hmac`, `shared-secret` or `url-token`), keys `<id>.<name>`.
    public func source(_ id: String) -> ExternalSource<NamedSourceParams> {
        ExternalSource(
            channel: .http, id: id, key: { "\(id).\($0.name)" },
            validate: { params in
                guard NamedSourceParams.isValid(params.name) else {
                    throw SourceParamsError(sourceId: id, message: "name '\(params.name)' must be letters, digits, '-', '_' or '.'")
                }
            },
            handler: { request, state in try Self.handle(request, state: state, sourceId: id, now: Date()) },
            register: { event, _, _ in .keepingOperatorSecret(event) })
    }

    /// A trigger on `event` from the generic source `<id>.<name>`.
    public func trigger(_ event: EventSpecification<JSON>, preset id: String, name: String, filter: EventFilter = .all) -> Trigger<JSON> {
        Trigger(event: event, source: source(id), params: NamedSourceParams(name: name), filter: filter)
    }

    /// Verifies one request with the source's settings and secret, then parses it. No secret, or no
    /// usable settings: 503 naming the command to run (the sender retries); a bad signature: 401.
    static func handle(
        _ request: SourceRequest, state: HandlerState<NamedSourceParams>, sourceId: String, now: Date
    ) throws -> HandlerResult {
        guard let secret = state.secret, !secret.isEmpty else {
            throw SourceRejection(
                .badSignature, "no secret is configured for \(state.key); run `tributary sources set-secret \(state.key) <secret>`",
                status: 503)
        }
        let settings: GenericPresetSettings
        let scheme: any WebhookSignatureScheme
        do {
            settings = try (state.data["settings"] ?? .object([:])).decode(as: GenericPresetSettings.self)
            scheme = try GenericPresets.scheme(sourceId: sourceId, settings: settings)
        } catch {
            throw SourceRejection(
                .badSignature, "\(state.key) is not configured (\(error)); run `tributary sources configure \(state.key) header=…`",
                status: 503)
        }
        do {
            try scheme.verify(request, secret: secret, now: now)
        } catch {
            throw SourceRejection.badSignature("\(scheme.signatureHeaderName): \(error)")
        }
        return parse(WebhookDelivery(request: request, now: now), settings: settings, name: state.params.name)
    }

    /// One event from a verified delivery.
    static func parse(_ delivery: WebhookDelivery, settings: GenericPresetSettings, name: String) -> HandlerResult {
        let json = try? JSON(parsing: delivery.body)
        let payload = json ?? .string(String(decoding: delivery.body, as: UTF8.self))
        func named(_ header: String?, _ field: String?) -> String? {
            if let header, let value = delivery.header(header), !value.isEmpty { return value }
            if let field, let value = json?[field], !value.isNull {
                return value.stringValue ?? value.numberValue.map { String(format: "%.0f", $0) }
            }
            return nil
        }
        let eventName = named(settings.eventHeader, settings.eventField) ?? "webhook"
        // No id from the sender: a hash of the body, the same on the sender's retries.
        let id = named(settings.idHeader, settings.idField) ?? "sha256-" + Hex.encode(SHA256.hash(data: delivery.body).prefix(16))
        return HandlerResult(events: [
            EventRecord(
                id: id, name: eventName, source: name, timestamp: delivery.now, payload: payload, context: .object([:]),
                payloadBytes: json == nil ? nil : delivery.body)
        ])
    }
}

extension GenericIntegration: ProviderIntegration {
    /// Generic webhooks: no variables; keys `hmac.<name>`, `shared-secret.<name>`, `url-token.<name>`.
    public static let provider = Provider(
        id: "generic", name: "Generic webhooks", summary: "any sender, configured per source key",
        sourceKeys: [hmacId, sharedSecretId, urlTokenId].map { .named(prefix: $0, sourceId: $0, form: "name") },
        events: [
            ProviderEvent(
                names: ["webhook"], source: "generic",
                examples: [EventExample(id: "webhook", name: "A generic delivery", payload: ["type": "order.paid", "id": "ord_1"])])
        ])

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> GenericIntegration {
        GenericIntegration()
    }

    /// The three generic sources.
    public var externalSources: [AnyExternalSource] { [Self.hmacId, Self.sharedSecretId, Self.urlTokenId].map { source($0).erased } }
}
