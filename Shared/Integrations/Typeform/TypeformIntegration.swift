import Foundation
import Tributary

/// Typeform webhooks (verification; the webhook is made in the form's Connect settings for now):
/// `$PUBLIC_URL/sources/typeform.<form id>`, its secret set with
/// `tributary sources set-secret typeform.<form id> <secret>`. Each delivery becomes one event named by
/// `event_type` (`form_response`) with id `event_id`; the payload is the `form_response` object.
public struct TypeformIntegration: Sendable {
    /// The CloudEvents source of Typeform events.
    public static let eventSource = "typeform.com"

    /// How the handler checks signatures.
    public let signature: TypeformSignature

    /// The integration.
    public init(signature: TypeformSignature = TypeformSignature()) {
        self.signature = signature
    }

    /// The `typeform` external source, keys `typeform.<form id>`.
    public var source: ExternalSource<NamedSourceParams> {
        .named(id: "typeform", prefix: "typeform", secretName: "webhook secret", scheme: signature) { delivery, _ in
            try Self.parse(delivery)
        }
    }

    /// A trigger on `event` from the form `formId` (the source `typeform.<form id>`).
    public func trigger(_ event: EventSpecification<JSON>, form formId: String, filter: EventFilter = .all) -> Trigger<JSON> {
        Trigger(event: event, source: source, params: NamedSourceParams(name: formId), filter: filter)
    }

    /// Parses one verified delivery.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        let body = try delivery.jsonObject()
        guard let id = body["event_id"]?.stringValue, !id.isEmpty else {
            throw SourceRejection.malformedBody("the payload has no string 'event_id'")
        }
        guard let type = body["event_type"]?.stringValue, !type.isEmpty else {
            throw SourceRejection.malformedBody("the payload has no string 'event_type'")
        }
        guard let response = body["form_response"], response.objectValue != nil else {
            throw SourceRejection.malformedBody("the payload has no object 'form_response'")
        }
        let submittedAt = response["submitted_at"]?.stringValue.flatMap { RFC3339.date(from: $0) } ?? delivery.now
        let context: JSON = ["eventId": .string(id), "formId": response["form_id"] ?? .null, "token": response["token"] ?? .null]
        return HandlerResult(events: [
            EventRecord(id: id, name: type, source: eventSource, timestamp: submittedAt, payload: response, context: context)
        ])
    }
}

extension TypeformIntegration: ProviderIntegration {
    /// Typeform: no variables in this version (the operator sets each form's webhook secret); keys `typeform.<form id>`.
    public static let provider = Provider(
        id: "typeform", name: "Typeform", summary: "Typeform webhooks",
        sourceKeys: [.named(prefix: "typeform", sourceId: "typeform", form: "form id")],
        events: TypeformEvents.all.map(ProviderEvent.init))

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> TypeformIntegration {
        TypeformIntegration()
    }

    /// The `typeform` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}

/// The event specifications of Typeform webhooks (source `typeform.com`).
public enum TypeformEvents {
    /// `form_response`: a respondent submitted the form; the payload is the `form_response`.
    public static let formResponse = namedEvent(
        "form_response", title: "Form response", source: TypeformIntegration.eventSource, icon: "typeform",
        example: [
            "form_id": "lT4Z3j", "token": "a3a12ec67a1365927098a606107fac15", "landed_at": "2024-07-25T14:00:01Z",
            "submitted_at": "2024-07-25T14:02:11Z",
            "hidden": ["plan": "pro"],
            "definition": [
                "id": "lT4Z3j", "title": "Webhooks example",
                "fields": [
                    ["id": "DlXFaesGBpoF", "ref": "nps", "type": "opinion_scale", "title": "How likely are you to recommend us?"],
                    ["id": "SMEUb7VJz92Q", "ref": "email", "type": "email", "title": "Your email"],
                ],
            ],
            "answers": [
                ["type": "number", "number": 9, "field": ["id": "DlXFaesGBpoF", "type": "opinion_scale", "ref": "nps"]],
                ["type": "email", "email": "laura@example.com", "field": ["id": "SMEUb7VJz92Q", "type": "email", "ref": "email"]],
            ],
        ],
        properties: { payload in
            [
                RunProperty(label: "Form", text: payload["form_id"]?.stringValue ?? ""),
                RunProperty(label: "Response", text: payload["token"]?.stringValue ?? ""),
            ]
        })

    /// Every specification above.
    public static let all = [formResponse]
}
