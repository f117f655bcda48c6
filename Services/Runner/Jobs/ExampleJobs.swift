import Foundation
import Tributary
import TributaryIntegrations
import TributaryRunner

/// The reference runner's example jobs. The runner only declares their triggers and runs them; it
/// never calls the providers' APIs for them (the registrar registers the webhooks), so the
/// integrations here need no API keys.
public enum ExampleJobs {
    /// Every example job, as the runner hosts them.
    public static let all: [RunnerJob] = [
        RunnerJob(stripeOnPrice),
        RunnerJob(dailyDigest),
        RunnerJob(githubOnPush),
        RunnerJob(webhooksOnEmailDelivered),
        RunnerJob(orderFulfilment),
    ]

    static let environment = ProcessInfo.processInfo.environment
    static let stripe = StripeIntegration(configuration: StripeConfiguration(apiKey: environment["STRIPE_API_KEY"] ?? ""))
    static let github = GitHubIntegration(configuration: GitHubConfiguration(token: environment["GITHUB_TOKEN"] ?? ""))
    /// The repository whose pushes `github-on-push` follows (`EXAMPLE_GITHUB_REPOSITORY`, `owner/name`).
    static let repository =
        GitHubHookOwner(key: environment["EXAMPLE_GITHUB_REPOSITORY"] ?? "") ?? .repository(owner: "acme", name: "website")

    /// A scheduled job: weekdays at 09:00 UTC, log the tick's scheduled time (a missed tick is caught up once).
    static let dailyDigest = Job(
        id: "daily-digest", name: "Daily digest", version: "1.0.0", trigger: .cron("0 9 * * 1-5", timeZone: .gmt)
    ) { tick, io, _ in
        io.logger.info("daily digest", metadata: ["for": "\(RFC3339.string(from: tick.scheduledAt))", "catchUp": "\(tick.isCatchUp)"])
    }

    /// The seed's job: on Stripe's `price.created`, log "price created!" with the currency, as the
    /// keyed task `announce` (a retried run does not announce twice).
    static let stripeOnPrice = Job(
        id: "stripe-on-price", name: "On price created", version: "1.0.0", trigger: stripe.trigger(StripeEvents.priceCreated)
    ) { price, io, _ in
        let _: String = try await io.runTask("announce") {
            io.logger.info("price created!", metadata: ["currency": "\(price.currency)"])
            return price.currency
        }
    }

    /// On a push to the repository: log the branch and how many commits came.
    static let githubOnPush = Job(
        id: "github-on-push", name: "On push", version: "1.0.0", trigger: github.trigger(GitHubEvents.push, on: repository)
    ) { push, io, _ in
        let commits = push["commits"]?.arrayValue?.count ?? 0
        io.logger.info("pushed", metadata: ["ref": "\(push["ref"]?.stringValue ?? "?")", "commits": "\(commits)"])
    }

    /// On a Standard Webhooks delivery from Resend (`email.delivered`): log the recipients.
    static let webhooksOnEmailDelivered = Job(
        id: "webhooks-on-email-delivered", name: "On email delivered", version: "1.0.0",
        trigger: StandardWebhooks().trigger(
            StandardWebhooks.event(
                "email.delivered", title: "Email delivered", source: "resend.com",
                example: [
                    "type": "email.delivered", "created_at": "2026-01-01T00:00:00.000Z",
                    "data": [
                        "email_id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c", "from": "Acme <onboarding@resend.dev>",
                        "to": ["delivered@resend.dev"], "subject": "Sending this example", "created_at": "2026-01-01T00:00:00.000Z",
                    ],
                ]),
            params: StandardWebhookParams(name: "resend", eventSource: "resend.com"))
    ) { payload, io, _ in
        io.logger.info("email delivered", metadata: ["to": "\(payload["data"]?["to"] ?? .null)"])
    }

    /// An order another system put on Kafka (`order.placed` from `shop.example`): reserve stock as a
    /// keyed task with retries, then wait up to 7 days for `order.shipped` with the same `orderId`
    /// (the run is suspended meanwhile, holding no partition), then log "order shipped". An
    /// `order.cancelled` with the same `orderId` cancels the run while it waits.
    static let orderFulfilment = Job(
        id: "order-fulfilment", name: "Fulfil an order", version: "1.1.0", trigger: Trigger(event: ShopEvents.orderPlaced),
        cancelOn: CancelOn(ShopEvents.orderCancelled) { order in ["orderId": [.string(order.orderId)]] }
    ) { order, io, _ in
        let reservation: String = try await io.runTask("reserve-stock", retry: .standardBackoff) { "res_\(order.orderId)" }
        let shipped = try await io.waitForEvent(
            "shipped", ShopEvents.orderShipped, filter: ["orderId": [.string(order.orderId)]], timeout: .seconds(7 * 86_400))
        guard let shipment = shipped.payload else {
            io.logger.warning("order not shipped within 7 days", metadata: ["orderId": "\(order.orderId)"])
            return
        }
        io.logger.info(
            "order shipped",
            metadata: ["orderId": "\(order.orderId)", "reservation": "\(reservation)", "carrier": "\(shipment.carrier)"])
    }

    /// The custom events of the example jobs, for `tributary send` (with the specifications' examples).
    public static let events: [ProviderEvent] = [
        ProviderEvent(ShopEvents.orderPlaced), ProviderEvent(ShopEvents.orderShipped), ProviderEvent(ShopEvents.orderCancelled),
    ]
}

/// The custom events of an example shop (`shop.example`) that other systems publish to `<p>.events`;
/// their examples share the order id `ord_1001`, so `tributary send order.placed` and then
/// `tributary send order.shipped` take one order through `order-fulfilment`.
public enum ShopEvents {
    /// An order, as `order.placed` carries it.
    public struct Order: Codable, Sendable {
        /// The order id.
        public var orderId: String
        /// The total, in cents.
        public var total: Int?
    }

    /// A shipment, as `order.shipped` carries it.
    public struct Shipment: Codable, Sendable {
        /// The order id.
        public var orderId: String
        /// The carrier.
        public var carrier: String
    }

    /// A cancellation, as `order.cancelled` carries it.
    public struct Cancellation: Codable, Sendable {
        /// The order id.
        public var orderId: String
        /// Why.
        public var reason: String?
    }

    /// `order.placed`.
    public static let orderPlaced = EventSpecification<Order>(
        name: "order.placed", title: "Order placed", source: "shop.example",
        examples: [EventExample(id: "order.placed", name: "Order ord_1001", payload: ["orderId": "ord_1001", "total": 4200])],
        runProperties: { [RunProperty(label: "Order", text: $0.orderId)] })
    /// `order.shipped`.
    public static let orderShipped = EventSpecification<Shipment>(
        name: "order.shipped", title: "Order shipped", source: "shop.example",
        examples: [EventExample(id: "order.shipped", name: "Order ord_1001 shipped", payload: ["orderId": "ord_1001", "carrier": "dhl"])])
    /// `order.cancelled`.
    public static let orderCancelled = EventSpecification<Cancellation>(
        name: "order.cancelled", title: "Order cancelled", source: "shop.example",
        examples: [
            EventExample(id: "order.cancelled", name: "Order ord_1001 cancelled", payload: ["orderId": "ord_1001", "reason": "customer"])
        ])
}
