// The README's Swift examples, compiled here (`DocExamplesTests` checks that every Swift block of
// README.md and docs/ appears in one of the compiled example files, whitespace and `@main` aside:
// a test bundle has its own entry point). The JobTester example runs as a test.
import ExampleJobs
import Foundation
import Testing
import TributaryDev
import Tributary
import TributaryIntegrations
import TributaryRunner

let stripe = StripeIntegration(configuration: .init(apiKey: ""))  // the runner never calls Stripe's API

let onPrice = Job(
    id: "stripe-on-price", name: "On price created", version: "1.0.0",
    trigger: stripe.trigger(StripeEvents.priceCreated)
) { price, io, ctx in
    io.logger.info("price created!", metadata: ["currency": "\(price.currency)"])
}

let onBigInvoice = Job(
    id: "big-invoice", name: "Big invoice paid", version: "1.0.0",
    trigger: stripe.trigger(
        StripeEvents.invoicePaid,
        filter: ["amount_paid": [["$gte": 100_000]]])
) { invoice, io, ctx in
    // Keyed tasks are memoized per run: a retried or resumed run does not repeat a finished task.
    let ticket: String = try await io.runTask("open-ticket", retry: .standardBackoff) { try await openTicket(invoice) }
    try await io.wait("cool-off", for: .seconds(30))  // a durable delay
    io.logger.info("ticket opened", metadata: ["ticket": "\(ticket)"])
}

/// Stands in for the README's ticketing call.
func openTicket(_ invoice: StripeInvoice) async throws -> String { "ticket_\(invoice.id ?? "none")" }

/// The README's `otherJob`.
let otherJob = Job(id: "other-job", name: "Other job", version: "1.0.0", trigger: stripe.trigger(StripeEvents.priceCreated)) {
    _, _, _ in
}

struct MyJobs {
    static func main() async {
        await TributaryJobsMain.main(jobs: [RunnerJob(onPrice), RunnerJob(onBigInvoice, concurrentRuns: true)])
    }
}

@Suite struct ReadmeExampleTests {
    @Test func greetsTheExample() async throws {
        let result = try await JobTester(onPrice).run(example: 0)
        #expect(result.succeeded)
        #expect(result.logs.map(\.message) == ["price created!"])
    }
}

import ServiceLifecycle
import Tributary
import TributaryRunner

let onOrder = Job(
    id: "on-order", name: "On order", version: "1.0.0",
    trigger: Trigger(
        event: EventSpecification<JSON>(
            name: "order.placed", title: "Order placed",
            source: "shop.example"),
        filter: ["total": [["$gte": 100]]])
) { order, io, ctx in
    let invoice: String = try await io.runTask("create-invoice", retry: .standardBackoff) { "inv_\(ctx.event.id)" }
    io.logger.info("invoiced", metadata: ["invoice": "\(invoice)"])
}

struct MyRunner {
    static func main() async throws {
        let configuration = try RunnerConfiguration.fromEnvironment()  // KAFKA_BROKERS, RUNNER_*, …
        let runner = try buildRunner(
            configuration: configuration,
            jobs: [
                RunnerJob(onOrder),  // ordered, 3 attempts from 1 s
                RunnerJob(otherJob, retry: .standard, concurrentRuns: true),  // Trigger.dev's retry, runs may overlap
            ])
        try await ServiceGroup(
            services: runner.services,  // until SIGTERM / SIGINT
            gracefulShutdownSignals: [.sigterm, .sigint]
        ).run()
    }
}

/// The README's fragment of waits and events, inside a job.
let readmeWaits = Job(id: "readme-waits", name: "README waits", version: "1.0.0", trigger: Trigger(event: ShopEvents.orderPlaced)) {
    order, io, _ in
    try await io.wait("cool-off", for: .seconds(86_400))  // suspended: no lane, permit or partition held
    let shipped = try await io.waitForEvent(
        "shipped", ShopEvents.orderShipped,
        filter: ["orderId": [.string(order.orderId)]], timeout: .seconds(7 * 86_400))
    try await io.sendEvent("notify", ShopEvents.orderShipped, payload: ["orderId": order.orderId, "carrier": "dhl"])
    // Job(…, cancelOn: CancelOn(ShopEvents.orderCancelled) { order in ["orderId": [.string(order.orderId)]] }) { … }
    _ = shipped
}
