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

    /// The seed's job: on Stripe's `price.created`, log "price created!" with the currency.
    static let stripeOnPrice = Job(
        id: "stripe-on-price", name: "On price created", version: "1.0.0", trigger: stripe.trigger(StripeEvents.priceCreated)
    ) { price, io, _ in
        io.logger.info("price created!", metadata: ["currency": "\(price.currency)"])
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
            StandardWebhooks.event("email.delivered", title: "Email delivered", source: "resend.com"),
            params: StandardWebhookParams(name: "resend", eventSource: "resend.com"))
    ) { payload, io, _ in
        io.logger.info("email delivered", metadata: ["to": "\(payload["data"]?["to"] ?? .null)"])
    }

    /// An order another system put on Kafka: reserve stock, then charge, as keyed tasks with retries,
    /// so a rerun after a failure or a crash neither reserves nor charges twice.
    static let orderFulfilment = Job(
        id: "order-fulfilment", name: "Fulfil an order", version: "1.0.0",
        trigger: Trigger(event: EventSpecification<JSON>(name: "order.placed", title: "Order placed", source: "shop.example"))
    ) { order, io, _ in
        let reservation: String = try await io.runTask("reserve-stock", retry: .standardBackoff) {
            "res_\(order["id"]?.stringValue ?? "unknown")"
        }
        let charge: String = try await io.runTask("charge", retry: .standardBackoff) { "ch_\(reservation)" }
        io.logger.info("order fulfilled", metadata: ["reservation": "\(reservation)", "charge": "\(charge)"])
    }
}
