import Foundation
import Tributary

/// Slack's Events API: an app's Request URL set to `$PUBLIC_URL/sources/slack.<app name>` in its
/// settings (Slack has no API to register it), the signing secret set with
/// `tributary sources set-secret slack.<app name> <signing secret>` first. The handler answers
/// `url_verification` with its challenge and emits one event per `event_callback`, named by the inner
/// event's `type` (`message`, `app_mention`…), with id `event_id`; its payload is the inner `event`.
/// Interactivity requests (a form body whose `payload` field is JSON) become one event named by the
/// payload's `type` (`block_actions`, `view_submission`, `shortcut`…) and slash commands (a form body
/// with `command`) one `slash_command` event whose payload is the form's fields; both are acknowledged
/// with an empty 200 within Slack's 3 seconds, so a job answers through `response_url` or the Web API.
public struct SlackIntegration: Sendable {
    /// The CloudEvents source of Slack events.
    public static let eventSource = "slack.com"

    /// How the handler checks signatures (tolerance).
    public let signature: SlackSignature

    /// The integration.
    public init(signature: SlackSignature = SlackSignature()) {
        self.signature = signature
    }

    /// The `slack` external source, keys `slack.<app name>`.
    public var source: ExternalSource<NamedSourceParams> {
        .named(id: "slack", prefix: "slack", secretName: "signing secret", scheme: signature) { delivery, _ in try Self.parse(delivery) }
    }

    /// A trigger on `event` from the app `app` (the source `slack.<app>`).
    public func trigger(_ event: EventSpecification<JSON>, app: String, filter: EventFilter = .all) -> Trigger<JSON> {
        Trigger(event: event, source: source, params: NamedSourceParams(name: app), filter: filter)
    }

    /// Parses one verified delivery: `url_verification` is answered with its challenge (nothing is
    /// published), `app_rate_limited` is acknowledged, `event_callback` becomes one event.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        let first = delivery.body.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }
        if let first, first != UInt8(ascii: "{"), first != UInt8(ascii: "[") { return try parseForm(delivery) }
        let envelope = try delivery.jsonObject()
        switch envelope["type"]?.stringValue ?? "" {
        case "url_verification":
            guard let challenge = envelope["challenge"]?.stringValue else {
                throw SourceRejection.malformedBody("url_verification without a string 'challenge'")
            }
            return HandlerResult(
                events: [], response: SourceResponse(status: 200, headers: ["Content-Type": "text/plain"], body: Array(challenge.utf8)))
        case "app_rate_limited":
            return HandlerResult(events: [])
        case "event_callback":
            guard let event = envelope["event"], let type = event["type"]?.stringValue, !type.isEmpty else {
                throw SourceRejection.malformedBody("event_callback without an 'event' of a string 'type'")
            }
            guard let id = envelope["event_id"]?.stringValue, !id.isEmpty else {
                throw SourceRejection.malformedBody("event_callback without a string 'event_id'")
            }
            let time = envelope["event_time"]?.numberValue.map { Date(timeIntervalSince1970: $0) } ?? delivery.now
            let context: JSON = [
                "teamId": envelope["team_id"] ?? .null, "apiAppId": envelope["api_app_id"] ?? .null,
                "eventId": .string(id), "eventTime": envelope["event_time"] ?? .null,
                "eventContext": envelope["event_context"] ?? .null,
                "retryNum": delivery.header("X-Slack-Retry-Num").flatMap(Double.init).map(JSON.number) ?? .null,
            ]
            return HandlerResult(events: [
                EventRecord(id: id, name: type, source: eventSource, timestamp: time, payload: event, context: context)
            ])
        case let other:
            throw SourceRejection(.unsupported, "unsupported Slack payload type '\(other)'")
        }
    }
}

extension SlackIntegration {
    /// The empty 200 that acknowledges an interaction or a slash command.
    static let acknowledgement = SourceResponse(status: 200, headers: [:], body: [])

    /// Parses a form-encoded request: an interaction (`payload=<JSON>`) or a slash command (`command=…`).
    static func parseForm(_ delivery: WebhookDelivery) throws -> HandlerResult {
        var fields: [String: String] = [:]
        for (name, value) in TwilioForm.parameters(delivery.body) where fields[name] == nil { fields[name] = value }
        // Without an id from Slack, a hash of the body: the same on Slack's retries.
        let bodyHash = "sha256-" + Hex.encode(HMACSHA256.sha256(delivery.body).prefix(16))
        if let text = fields["payload"] {
            let payload: JSON
            do { payload = try JSON(parsing: Array(text.utf8)) } catch {
                throw SourceRejection.malformedBody("the form field 'payload' is not JSON: \(error)")
            }
            guard let type = payload["type"]?.stringValue, !type.isEmpty else {
                throw SourceRejection.malformedBody("the interaction payload has no string 'type'")
            }
            let id = payload["trigger_id"]?.stringValue ?? bodyHash
            let context: JSON = [
                "teamId": payload["team"]?["id"] ?? .null, "userId": payload["user"]?["id"] ?? .null,
                "apiAppId": payload["api_app_id"] ?? .null,
            ]
            return HandlerResult(
                events: [EventRecord(id: id, name: type, source: eventSource, timestamp: delivery.now, payload: payload, context: context)],
                response: acknowledgement)
        }
        if let command = fields["command"], !command.isEmpty {
            let id = fields["trigger_id"].flatMap { $0.isEmpty ? nil : $0 } ?? bodyHash
            let payload = JSON.object(fields.mapValues(JSON.string))
            let context: JSON = ["teamId": fields["team_id"].map(JSON.string) ?? .null, "command": .string(command)]
            return HandlerResult(
                events: [
                    EventRecord(
                        id: id, name: "slash_command", source: eventSource, timestamp: delivery.now, payload: payload, context: context)
                ],
                response: acknowledgement)
        }
        throw SourceRejection.malformedBody("a form body with neither 'payload' (an interaction) nor 'command' (a slash command)")
    }
}

extension SlackIntegration: ProviderIntegration {
    /// Slack: no variables (the operator sets each app's signing secret); source keys `slack.<app name>`.
    public static let provider = Provider(
        id: "slack", name: "Slack", summary: "Slack Events API apps",
        sourceKeys: [.named(prefix: "slack", sourceId: "slack", form: "app name")],
        events: SlackEvents.all.map(ProviderEvent.init), signDelivery: SignedDelivery.slack)

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> SlackIntegration {
        SlackIntegration()
    }

    /// The `slack` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}
