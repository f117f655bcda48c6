import AsyncHTTPClient
import Foundation
import Logging
import Tributary

/// Typeform webhooks: `$PUBLIC_URL/sources/typeform.<form id>`. With `TYPEFORM_TOKEN` the registrar
/// makes the form's webhook itself (`PUT /forms/{id}/webhooks/{tag}` with a secret it generates, see
/// ``TypeformRegistration``); without it the webhook is made in the form's Connect settings and its
/// secret set with `tributary sources set-secret typeform.<form id> <secret>`. Each delivery becomes one
/// event named by `event_type` (`form_response`) with id `event_id`; the payload is the `form_response` object.
public struct TypeformIntegration: Integration {
    /// The CloudEvents source of Typeform events.
    public static let eventSource = "typeform.com"

    /// `typeform`; prefixes task keys.
    public let id: String
    /// Token, base URL and retries (an empty token: webhooks are made by hand).
    public let configuration: TypeformConfiguration
    /// The API client.
    public let client: TypeformClient
    /// How the handler checks signatures.
    public let signature: TypeformSignature

    /// The integration; without a token its sources keep the operator's secret.
    public init(
        id: String = "typeform", configuration: TypeformConfiguration = TypeformConfiguration(token: ""),
        signature: TypeformSignature = TypeformSignature(), httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "tributary.typeform")
    ) {
        self.id = id
        self.configuration = configuration
        self.signature = signature
        self.client = TypeformClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// The `typeform` external source, keys `typeform.<form id>`.
    public var source: ExternalSource<NamedSourceParams> {
        let registration = TypeformRegistration(integration: self)
        var register: ExternalSource<NamedSourceParams>.Register?
        if !configuration.token.isEmpty {
            register = { event, io, _ in try await registration.register(event, io: io) }
        }
        return .named(id: "typeform", prefix: "typeform", secretName: "webhook secret", scheme: signature, register: register) {
            delivery, _ in
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
    /// Typeform: `TYPEFORM_TOKEN` (registration; without it webhooks are made by hand), `TYPEFORM_API_BASE`;
    /// keys `typeform.<form id>`.
    public static let provider = Provider(
        id: "typeform", name: "Typeform", summary: "Typeform credentials",
        variables: TypeformConfiguration.variables,
        sourceKeys: [.named(prefix: "typeform", sourceId: "typeform", form: "form id")],
        events: TypeformEvents.all.map(ProviderEvent.init), apiBase: TypeformConfiguration.apiBaseVariable,
        subscribesByHandWithoutCredential: true, signDelivery: SignedDelivery.typeform)

    /// Reads `TYPEFORM_TOKEN` and `TYPEFORM_API_BASE`.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> TypeformIntegration {
        TypeformIntegration(
            configuration: try TypeformConfiguration.build(from: environment), httpClient: environment.httpClient,
            logger: environment.logger)
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
