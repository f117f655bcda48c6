import Foundation
import Tributary

/// Linear webhooks (verification; the webhook is made in Linear's settings for now):
/// `$PUBLIC_URL/sources/linear.<team>`, its signing secret set with
/// `tributary sources set-secret linear.<team> <signing secret>`. Each delivery becomes one event named
/// by the payload's `type` (`Issue`, `Comment`…; filter on `action`: `create`, `update`, `remove`), with
/// id `Linear-Delivery`; the payload is the whole body (`action`, `type`, `data`, `updatedFrom`, `url`…).
public struct LinearIntegration: Sendable {
    /// The CloudEvents source of Linear events.
    public static let eventSource = "linear.app"

    /// How the handler checks signatures (tolerance).
    public let signature: LinearSignature

    /// The integration.
    public init(signature: LinearSignature = LinearSignature()) {
        self.signature = signature
    }

    /// The `linear` external source, keys `linear.<team>`.
    public var source: ExternalSource<NamedSourceParams> {
        .named(id: "linear", prefix: "linear", secretName: "signing secret", scheme: signature) { delivery, _ in try Self.parse(delivery) }
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
    /// Linear: no variables in this version (the operator sets each webhook's signing secret); keys `linear.<team>`.
    public static let provider = Provider(
        id: "linear", name: "Linear", summary: "Linear webhooks",
        sourceKeys: [.named(prefix: "linear", sourceId: "linear", form: "team")],
        events: LinearEvents.all.map(ProviderEvent.init))

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> LinearIntegration {
        LinearIntegration()
    }

    /// The `linear` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}
