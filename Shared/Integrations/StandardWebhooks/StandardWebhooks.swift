import Foundation
import Tributary

/// Senders that follow standardwebhooks.com (Svix, Resend, Clerk…): the `standardwebhooks` external source
/// and event specifications for their event types.
public struct StandardWebhooks: Sendable {
    /// How the handler checks signatures (tolerance).
    public let signature: StandardWebhookSignature

    /// The integration.
    public init(signature: StandardWebhookSignature = StandardWebhookSignature()) {
        self.signature = signature
    }

    /// The external source: the handler verifies `webhook-id`, `webhook-timestamp` and `webhook-signature`
    /// and emits one event named by the payload's `type`, with id `webhook-id`; `register` calls no API and
    /// keeps the operator's secret.
    public var source: ExternalSource<StandardWebhookParams> {
        ExternalSource(
            channel: .http, id: "standardwebhooks", version: "1",
            key: { $0.key },
            validate: { params in
                guard !params.name.isEmpty, params.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                    throw SourceParamsError(sourceId: "standardwebhooks", message: "name '\(params.name)' must be letters, digits, '-', '_' or '.'")
                }
            },
            handler: { request, state in try handle(request, params: state.params, secret: state.secret) },
            register: { event, _, _ in
                // Nothing to call: the subscription is made at the sender with the operator's secret.
                .registered(data: event.source.data, secret: event.source.secret, options: ["event": event.events.desired.sorted()])
            }
        )
    }

    /// An event specification for the sender's event `type`, e.g. `event("email.delivered", source: "resend.com", …)`.
    public static func event(_ type: String, title: String, source: String, icon: String? = nil, example: JSON? = nil) -> EventSpecification<JSON> {
        EventSpecification(
            name: type, title: title, source: source, icon: icon,
            examples: example.map { [EventExample(id: type, name: title, icon: icon, payload: $0)] } ?? [],
            runProperties: { payload in
                var properties = [RunProperty(label: "Type", text: payload["type"]?.stringValue ?? type)]
                if let id = payload["data"]?["id"]?.stringValue ?? payload["data"]?["email_id"]?.stringValue {
                    properties.append(RunProperty(label: "Object", text: id))
                }
                return properties
            }
        )
    }

    /// A trigger on `event` from the sender named in `params`.
    public func trigger(_ event: EventSpecification<JSON>, params: StandardWebhookParams, filter: EventFilter = .all) -> Trigger<JSON> {
        Trigger(event: event, source: source, params: params, filter: filter)
    }

    /// Verifies and parses one delivery. The payload is the whole body (`{type, timestamp, data}`).
    func handle(_ request: SourceRequest, params: StandardWebhookParams, secret: String?, now: Date = Date()) throws -> HandlerResult {
        guard let secret, !secret.isEmpty else {
            throw SourceRejection(.badSignature, "no secret is configured for \(params.key); run `tributary sources set-secret \(params.key) whsec_…`", status: 503)
        }
        let id: String
        do {
            id = try signature.verify(
                body: request.body, id: request.header(StandardWebhookSignature.idHeader),
                timestamp: request.header(StandardWebhookSignature.timestampHeader),
                signature: request.header(StandardWebhookSignature.signatureHeader), secret: secret, now: now)
        } catch {
            throw SourceRejection.badSignature("webhook-signature: \(error)")
        }
        let payload: JSON
        do { payload = try JSON(parsing: request.body) } catch { throw SourceRejection.malformedBody("the body is not JSON: \(error)") }
        guard let type = payload["type"]?.stringValue, !type.isEmpty else {
            throw SourceRejection.malformedBody("the payload has no string 'type'")
        }
        let signedAt = request.header(StandardWebhookSignature.timestampHeader).flatMap(Double.init).map { Date(timeIntervalSince1970: $0) } ?? now
        return HandlerResult(events: [
            EventRecord(id: id, name: type, source: params.source, timestamp: signedAt, payload: payload,
                        context: ["webhookId": .string(id), "timestamp": payload["timestamp"] ?? .null], payloadBytes: request.body)
        ])
    }
}
