import Foundation
import Tributary

/// The `stripe.webhook` external source: a handler that checks `Stripe-Signature` and emits the event,
/// and a register function that keeps exactly one Stripe endpoint per source key, holding its secret.
struct StripeWebhookSource: Sendable {
    let integration: StripeIntegration

    var externalSource: ExternalSource<StripeSourceParams> {
        .webhook(
            id: "stripe.webhook", key: { $0.key },
            handler: WebhookHandler(scheme: integration.signature, parse: { delivery, _ in try Self.parse(delivery) }),
            register: { event, io, _ in try await register(event, io: io) })
    }

    // MARK: handler

    /// Turns a verified delivery into one event: id, type, `data.object`, `created`, and the api
    /// version, livemode, request, previous attributes and account as context.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        // data.object is the payload: checked, not built; its text is published as it came.
        let (event, object) = try delivery.json(deferring: ["data", "object"])
        guard let id = event["id"]?.stringValue, let type = event["type"]?.stringValue,
            let object, object.first == UInt8(ascii: "{")
        else { throw SourceRejection.malformedBody("not a Stripe event: id, type or data.object is missing") }
        let created = event["created"]?.numberValue.map { Date(timeIntervalSince1970: $0) } ?? delivery.now
        var context: [String: JSON] = [
            "apiVersion": event["api_version"] ?? .null,
            "livemode": event["livemode"] ?? .null,
            "request": event["request"] ?? .null,
            "previousAttributes": event["data"]?["previous_attributes"] ?? .null,
        ]
        if let account = event["account"] { context["account"] = account }
        return HandlerResult(events: [
            EventRecord(
                id: id, name: type, source: StripeEvents.source, timestamp: created, payloadText: object, context: .object(context))
        ])
    }

    // MARK: register

    /// Reconciles the Stripe endpoint of one source key with the events its triggers want.
    func register(_ event: RegisterEvent<StripeSourceParams>, io: IO) async throws -> RegisterResult {
        let stripe = integration
        let source = event.source
        let change = event.events
        let desired = change.desired.sorted()
        let known = try? source.data.decode(as: StripeWebhookEndpoint.self)

        if desired.isEmpty {
            // No trigger wants anything: an endpoint with no events is not allowed; remove ours.
            for endpoint in try await stripe.listWebhookEndpoints(io, "list-webhooks") where endpoint.url == source.url {
                try await stripe.deleteWebhookEndpoint(io, "delete-webhook-\(endpoint.id)", id: endpoint.id)
            }
            return .registered(data: .object([:]), secret: nil, options: ["event": []])
        }

        if source.active, let known, source.secret != nil {
            if change.isSettled {
                // Nothing to change on our side; check Stripe still has it as we left it (drift repair).
                let current = try? await stripe.retrieveWebhookEndpoint(io, "retrieve-webhook", id: known.id)
                if let current, current.url == source.url, current.status == "enabled", Set(current.enabledEvents).isSuperset(of: desired) {
                    return .unchanged
                }
            }
            do {
                let updated = try await stripe.updateWebhookEndpoint(
                    io, "update-webhook", id: known.id, url: source.url, enabledEvents: desired)
                return try registered(updated, secret: source.secret, events: desired)
            } catch let error as TaskFailedError where (error.underlying as? ProviderAPIError)?.isNotFound == true {
                // Deleted behind our back: find or create one below.
            }
        }

        let matching = try await stripe.listWebhookEndpoints(io, "list-webhooks").filter { $0.url == source.url }
        if let secret = source.secret, let ours = matching.first(where: { $0.id == known?.id }) {
            for other in matching where other.id != ours.id {
                try await stripe.deleteWebhookEndpoint(io, "delete-webhook-\(other.id)", id: other.id)
            }
            let updated = try await stripe.updateWebhookEndpoint(
                io, "update-found-webhook", id: ours.id, url: source.url, enabledEvents: desired)
            return try registered(updated, secret: secret, events: desired)
        }
        // Endpoints at our URL whose secret we do not hold cannot be verified: replace them.
        for endpoint in matching {
            try await stripe.deleteWebhookEndpoint(io, "delete-webhook-\(endpoint.id)", id: endpoint.id)
        }
        let created = try await stripe.createWebhookEndpoint(
            io, "create-webhook", url: source.url, enabledEvents: desired, connect: event.params.connect == true,
            description: "Tributary source \(source.key)")
        guard let secret = created.secret else {
            // Replayed from an earlier attempt, whose secret was not recorded: the next registration
            // (a new run) finds this endpoint without a held secret and replaces it.
            throw ProviderAPIError(
                provider: "Stripe", operation: "POST /v1/webhook_endpoints", status: 200,
                message: "the created endpoint's secret is not available in this attempt")
        }
        return try registered(created, secret: secret, events: desired)
    }

    private func registered(_ endpoint: StripeWebhookEndpoint, secret: String?, events: [String]) throws -> RegisterResult {
        var data = endpoint
        data.secret = nil  // the secret travels sealed, never in the data
        return .registered(data: try JSON(encoding: data), secret: secret, options: ["event": events])
    }
}

extension StripeSignature: WebhookSignatureScheme {
    /// `Stripe-Signature`, the header a rejection names.
    public var signatureHeaderName: String { Self.headerName }

    /// Checks the request's `Stripe-Signature` against its body and `secret` at `now`.
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(body: request.body, header: request.header(Self.headerName), secret: secret, now: now)
    }
}
