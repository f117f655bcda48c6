import AsyncHTTPClient
import Foundation
import Logging
import Tributary

/// Linear webhooks: `$PUBLIC_URL/sources/linear.<team key>`. With `LINEAR_API_KEY` the registrar makes
/// the team's webhook itself (GraphQL `webhookCreate` / `webhookUpdate` / `webhookDelete`, with a
/// signing secret it generates, see ``LinearRegistration``); without it the webhook is made in Linear's
/// settings and its signing secret set with `tributary sources set-secret linear.<team> <signing secret>`.
/// Each delivery becomes one event named by the payload's `type` (`Issue`, `Comment`…, Linear's resource
/// types; filter on `action`: `create`, `update`, `remove`), with id `Linear-Delivery`; the payload is
/// the whole body (`action`, `type`, `data`, `updatedFrom`, `url`…).
public struct LinearIntegration: Integration {
    /// The CloudEvents source of Linear events.
    public static let eventSource = "linear.app"

    /// `linear`; prefixes task keys.
    public let id: String
    /// Key, base URL and retries (an empty key: webhooks are made by hand).
    public let configuration: LinearConfiguration
    /// The GraphQL client.
    public let client: LinearClient
    /// How the handler checks signatures (tolerance).
    public let signature: LinearSignature

    /// The integration; without a key its sources keep the operator's secret and call nothing.
    public init(
        id: String = "linear", configuration: LinearConfiguration = LinearConfiguration(apiKey: ""),
        signature: LinearSignature = LinearSignature(), httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "tributary.linear")
    ) {
        self.id = id
        self.configuration = configuration
        self.signature = signature
        self.client = LinearClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// The `linear` external source, keys `linear.<team>`.
    public var source: ExternalSource<NamedSourceParams> {
        let registration = LinearRegistration(integration: self)
        var register: ExternalSource<NamedSourceParams>.Register?
        if !configuration.apiKey.isEmpty {
            register = { event, io, _ in try await registration.register(event, io: io) }
        }
        return .named(id: "linear", prefix: "linear", secretName: "signing secret", scheme: signature, register: register) {
            delivery, _ in try Self.parse(delivery)
        }
    }

    /// A trigger on `event` from `team` (the source `linear.<team>`), for `actions` (all when empty).
    public func trigger(
        _ event: EventSpecification<JSON>, team: String, actions: [String] = [], filter: EventFilter = .all
    ) -> Trigger<JSON> {
        let actionFilter = actions.isEmpty ? EventFilter.all : EventFilter(["action": .array(actions.map(JSON.string))])
        return Trigger(event: event, source: source, params: NamedSourceParams(name: team), filter: EventFilter.merge(actionFilter, filter))
    }

    /// Parses one verified delivery.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        let payload = try delivery.jsonObject()
        guard let type = payload["type"]?.stringValue, !type.isEmpty else {
            throw SourceRejection.malformedBody("the payload has no string 'type'")
        }
        let timestamp = payload["webhookTimestamp"]?.numberValue ?? delivery.now.timeIntervalSince1970 * 1000
        let fallbackId = "\(payload["data"]?["id"]?.stringValue ?? "").\(payload["action"]?.stringValue ?? "").\(Int64(timestamp))"
        let id = delivery.header("Linear-Delivery").flatMap { $0.isEmpty ? nil : $0 } ?? fallbackId
        let context: JSON = [
            "action": payload["action"] ?? .null, "organizationId": payload["organizationId"] ?? .null,
            "webhookId": payload["webhookId"] ?? .null,
        ]
        return HandlerResult(events: [
            EventRecord(
                id: id, name: type, source: eventSource, timestamp: Date(timeIntervalSince1970: timestamp / 1000), payload: payload,
                context: context, payloadBytes: delivery.body)
        ])
    }
}

extension LinearIntegration: ProviderIntegration {
    /// Linear: `LINEAR_API_KEY` (registration; without it webhooks are made by hand), `LINEAR_API_BASE`;
    /// keys `linear.<team>`.
    public static let provider = Provider(
        id: "linear", name: "Linear", summary: "Linear credentials",
        variables: LinearConfiguration.variables,
        sourceKeys: [.named(prefix: "linear", sourceId: "linear", form: "team")],
        events: LinearEvents.all.map(ProviderEvent.init), apiBase: LinearConfiguration.apiBaseVariable,
        subscribesByHandWithoutCredential: true, signDelivery: SignedDelivery.linear)

    /// Reads `LINEAR_API_KEY` and `LINEAR_API_BASE`.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> LinearIntegration {
        LinearIntegration(
            configuration: try LinearConfiguration.build(from: environment), httpClient: environment.httpClient,
            logger: environment.logger)
    }

    /// The `linear` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}
