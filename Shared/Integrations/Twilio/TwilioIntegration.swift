import Foundation
import Tributary

/// Twilio webhooks (Messaging and Voice): a number's or service's webhook (or status callback) URL set
/// to `$PUBLIC_URL/sources/twilio.<name>`, its account's auth token set with
/// `tributary sources set-secret twilio.<name> <auth token>`, and `RECEIVER_PUBLIC_URL` set on the
/// receiver (Twilio signs the URL). Each request becomes one event: `message.received`,
/// `message.status`, `call.incoming` or `call.status`, its payload the form parameters as a JSON
/// object of strings (or a JSON body, whose hash Twilio puts in the URL as `bodySHA256`: that object,
/// named by `type` when it is not a message or call); the answer is an empty TwiML `<Response/>` (no reply message; a call ends), so a
/// job replies through Twilio's API.
public struct TwilioIntegration: Sendable {
    /// The CloudEvents source of Twilio events.
    public static let eventSource = "twilio.com"

    /// How the handler checks signatures.
    public let signature: TwilioSignature

    /// The integration.
    public init(signature: TwilioSignature = TwilioSignature()) {
        self.signature = signature
    }

    /// The `twilio` external source, keys `twilio.<name>`; 503 while the receiver has no `RECEIVER_PUBLIC_URL`.
    public var source: ExternalSource<NamedSourceParams> {
        var source = ExternalSource<NamedSourceParams>.named(id: "twilio", prefix: "twilio", secretName: "auth token", scheme: signature) {
            delivery, _ in
            try Self.parse(delivery)
        }
        let verifyAndParse = source.handler
        source.handler = { request, state in
            guard request.url != nil else {
                throw SourceRejection(
                    .unsupported, "RECEIVER_PUBLIC_URL is not set on the receiver; Twilio signs the URL it posts to", status: 503)
            }
            return try await verifyAndParse(request, state)
        }
        return source
    }

    /// A trigger on `event` from the source `twilio.<name>`.
    public func trigger(_ event: EventSpecification<JSON>, name: String, filter: EventFilter = .all) -> Trigger<JSON> {
        Trigger(event: event, source: source, params: NamedSourceParams(name: name), filter: filter)
    }

    static let emptyTwiML = Array(#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#.utf8)

    /// The event name and id of a request's parameters.
    static func classify(_ fields: [String: JSON]) throws -> (name: String, id: String) {
        if let sid = fields["MessageSid"]?.stringValue ?? fields["SmsSid"]?.stringValue {
            if let status = fields["MessageStatus"]?.stringValue, status != "received" { return ("message.status", "\(sid).\(status)") }
            return ("message.received", sid)
        }
        guard let sid = fields["CallSid"]?.stringValue else {
            throw SourceRejection.malformedBody("neither MessageSid nor CallSid among the form parameters")
        }
        let status = fields["CallStatus"]?.stringValue ?? ""
        return status == "ringing" ? ("call.incoming", sid) : ("call.status", "\(sid).\(status)")
    }

    /// Parses one verified request: a message (`MessageSid`) or a call (`CallSid`), incoming or a status callback.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        var fields: [String: JSON] = [:]
        let name: String
        let id: String
        if let url = delivery.request.url, !SecretRedaction.queryValues(TwilioSignature.bodyHashParameter, in: url).isEmpty {
            // A JSON body (its hash in the signed URL): a message or call, or an event with `type` and `id`.
            guard let object = try delivery.jsonObject().objectValue else {
                throw SourceRejection.malformedBody("the body is not a JSON object")
            }
            fields = object
            if object["MessageSid"] != nil || object["SmsSid"] != nil || object["CallSid"] != nil {
                (name, id) = try classify(fields)
            } else if let type = object["type"]?.stringValue, let eventId = object["id"]?.stringValue {
                (name, id) = (type, eventId)
            } else {
                throw SourceRejection.malformedBody("a JSON body with neither MessageSid, CallSid nor a string 'type' and 'id'")
            }
        } else {
            for (name, value) in TwilioForm.parameters(delivery.body) where fields[name] == nil { fields[name] = .string(value) }
            (name, id) = try classify(fields)
        }
        let context: JSON = ["accountSid": fields["AccountSid"] ?? .null, "url": delivery.request.url.map(JSON.string) ?? .null]
        return HandlerResult(
            events: [
                EventRecord(id: id, name: name, source: eventSource, timestamp: delivery.now, payload: .object(fields), context: context)
            ],
            response: SourceResponse(status: 200, headers: ["Content-Type": "text/xml"], body: emptyTwiML))
    }
}

extension TwilioIntegration: ProviderIntegration {
    /// Twilio: no variables (the operator sets each source's auth token); source keys `twilio.<name>`.
    public static let provider = Provider(
        id: "twilio", name: "Twilio", summary: "Twilio Messaging and Voice webhooks",
        sourceKeys: [.named(prefix: "twilio", sourceId: "twilio", form: "name")],
        events: TwilioEvents.all.map(ProviderEvent.init))

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> TwilioIntegration {
        TwilioIntegration()
    }

    /// The `twilio` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}
