import Foundation
import Tributary

/// Discord interactions: an application's Interactions Endpoint URL set to
/// `$PUBLIC_URL/sources/discord.<app name>` in the developer portal, after its public key is set with
/// `tributary sources set-secret discord.<app name> <public key hex>`. The handler answers PING with
/// PONG (Discord checks the endpoint so), and publishes every other interaction as
/// `interaction.<kind>` with the interaction's id, answering with a deferred response (a command or
/// modal: "thinking…"; a component: the message is left as is) so the job can follow up through the
/// interaction's `token` within 15 minutes; an autocomplete gets no choices.
public struct DiscordIntegration: Sendable {
    /// The CloudEvents source of Discord events.
    public static let eventSource = "discord.com"

    /// How the handler checks signatures (tolerance).
    public let signature: DiscordSignature

    /// The integration.
    public init(signature: DiscordSignature = DiscordSignature()) {
        self.signature = signature
    }

    /// The `discord` external source, keys `discord.<app name>`.
    public var source: ExternalSource<NamedSourceParams> {
        .named(id: "discord", prefix: "discord", secretName: "application public key (hex)", scheme: signature) { delivery, _ in
            try Self.parse(delivery)
        }
    }

    /// A trigger on `event` from the application `app` (the source `discord.<app>`).
    public func trigger(_ event: EventSpecification<JSON>, app: String, filter: EventFilter = .all) -> Trigger<JSON> {
        Trigger(event: event, source: source, params: NamedSourceParams(name: app), filter: filter)
    }

    /// The event name and the immediate response of each interaction type but PING (1).
    static let kinds: [Int: (name: String, response: JSON)] = [
        2: ("interaction.application_command", ["type": 5]),
        3: ("interaction.message_component", ["type": 6]),
        4: ("interaction.autocomplete", ["type": 8, "data": ["choices": []]]),
        5: ("interaction.modal_submit", ["type": 5]),
    ]

    /// Parses one verified interaction.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        let interaction = try delivery.jsonObject()
        guard let typeNumber = interaction["type"]?.numberValue, typeNumber == typeNumber.rounded() else {
            throw SourceRejection.malformedBody("the interaction has no numeric 'type'")
        }
        let type = Int(typeNumber)
        if type == 1 { return HandlerResult(events: [], response: response(["type": 1])) }
        guard let kind = kinds[type] else { throw SourceRejection(.unsupported, "unsupported interaction type \(type)") }
        guard let id = interaction["id"]?.stringValue, !id.isEmpty else {
            throw SourceRejection.malformedBody("the interaction has no string 'id'")
        }
        let signedAt =
            delivery.header(DiscordSignature.timestampHeader).flatMap(Double.init).map { Date(timeIntervalSince1970: $0) } ?? delivery.now
        let context: JSON = [
            "applicationId": interaction["application_id"] ?? .null, "guildId": interaction["guild_id"] ?? .null,
            "channelId": interaction["channel_id"] ?? .null,
        ]
        return HandlerResult(
            events: [
                EventRecord(
                    id: id, name: kind.name, source: eventSource, timestamp: signedAt, payload: interaction, context: context,
                    payloadBytes: delivery.body)
            ],
            response: response(kind.response))
    }

    private static func response(_ body: JSON) -> SourceResponse {
        SourceResponse(status: 200, headers: ["Content-Type": "application/json"], body: body.encoded())
    }
}

extension DiscordIntegration: ProviderIntegration {
    /// Discord: no variables (the operator sets each application's public key); source keys `discord.<app name>`.
    public static let provider = Provider(
        id: "discord", name: "Discord", summary: "Discord interactions",
        sourceKeys: [.named(prefix: "discord", sourceId: "discord", form: "app name")],
        events: DiscordEvents.all.map(ProviderEvent.init))

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> DiscordIntegration {
        DiscordIntegration()
    }

    /// The `discord` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}
