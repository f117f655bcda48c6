import Foundation
import Tributary
import TributaryIntegrations
import TributaryRunner

/// The reference runner's example jobs (hosted by `runner` and by `tributary dev`).
public enum ExampleJobs {
    /// The integrations the jobs' triggers are declared on. A runner never calls a provider's API,
    /// so no credentials are needed here; the registrar holds them.
    static let stripe = StripeIntegration(configuration: StripeConfiguration(apiKey: ""))
    static let github = GitHubIntegration(configuration: GitHubConfiguration(token: ""))
    static let standardWebhooks = StandardWebhooks()

    /// The repository the GitHub example watches: `EXAMPLE_GITHUB_REPOSITORY` (`owner/repo`), default `octo-org/octo-repo`.
    static let repository: GitHubHookOwner = ProcessInfo.processInfo.environment["EXAMPLE_GITHUB_REPOSITORY"]
        .flatMap(GitHubHookOwner.init(key:)) ?? .repository(owner: "octo-org", name: "octo-repo")

    /// Every example job, as the runner hosts them.
    public static let all: [RunnerJob] = [
        RunnerJob(stripeOnPrice),
        RunnerJob(githubOnPush),
        RunnerJob(webhooksOnEmailDelivered),
        RunnerJob(orderFulfilment, retry: RetryOptions(limit: 3, factor: 2, minTimeout: .seconds(1), randomize: false)),
    ]

    /// The seed's job: on Stripe's `price.created`, log "price created!" with the currency.
    static let stripeOnPrice = Job(
        id: "stripe-on-price", name: "On price created", version: "1.0.0",
        trigger: stripe.trigger(StripeEvents.priceCreated)
    ) { price, io, _ in
        io.logger.info("price created!", metadata: ["currency": "\(price.currency)"])
    }

    /// On a GitHub push: log the branch and how many commits came.
    static let githubOnPush = Job(
        id: "github-on-push", name: "On push", version: "1.0.0",
        trigger: github.trigger(GitHubEvents.push, on: repository)
    ) { push, io, _ in
        let commits = push["commits"]?.arrayValue?.count ?? 0
        io.logger.info("pushed", metadata: ["ref": "\(push["ref"]?.stringValue ?? "?")", "commits": "\(commits)"])
    }

    /// On a Standard Webhooks delivery (`email.delivered` from resend.com): log the recipient.
    static let webhooksOnEmailDelivered = Job(
        id: "webhooks-on-email-delivered", name: "On email delivered", version: "1.0.0",
        trigger: standardWebhooks.trigger(
            StandardWebhooks.event("email.delivered", title: "Email delivered", source: "resend.com"),
            params: StandardWebhookParams(name: "resend", eventSource: "resend.com"))
    ) { payload, io, _ in
        io.logger.info("email delivered", metadata: ["to": "\(payload["data"]?["to"] ?? .null)"])
    }

    /// An order placed by another system: reserve stock, then charge, as keyed tasks with retries, so
    /// a rerun after a failure or a crash does not reserve twice.
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
