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
        .webhook(
            id: "standardwebhooks", key: { $0.key },
            validate: { params in
                guard !params.name.isEmpty, params.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
                else {
                    throw SourceParamsError(
                        sourceId: "standardwebhooks", message: "name '\(params.name)' must be letters, digits, '-', '_' or '.'")
                }
            },
            handler: WebhookHandler(
                scheme: signature,
                missingSecret: {
                    "no secret is configured for \($0.params.key); run `tributary sources set-secret \($0.params.key) whsec_…`"
                },
                parse: { delivery, state in try Self.parse(delivery, params: state.params) }))
    }

    /// An event specification for the sender's event `type`, e.g. `event("email.delivered", source: "resend.com", …)`.
    public static func event(
        _ type: String, title: String, source: String, icon: String? = nil, example: JSON? = nil
    ) -> EventSpecification<JSON> {
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

    /// Parses one verified delivery. The payload is the whole body (`{type, timestamp, data}`).
    static func parse(_ delivery: WebhookDelivery, params: StandardWebhookParams) throws -> HandlerResult {
        let id = try delivery.requiredHeader(StandardWebhookSignature.idHeader)
        let payload = try delivery.json()
        guard let type = payload["type"]?.stringValue, !type.isEmpty else {
            throw SourceRejection.malformedBody("the payload has no string 'type'")
        }
        let signedAt =
            delivery.header(StandardWebhookSignature.timestampHeader).flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
            ?? delivery.now
        return HandlerResult(events: [
            EventRecord(
                id: id, name: type, source: params.source, timestamp: signedAt, payload: payload,
                context: ["webhookId": .string(id), "timestamp": payload["timestamp"] ?? .null], payloadBytes: delivery.body)
        ])
    }
}
