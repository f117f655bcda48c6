import ExampleJobs
import Foundation
import Tributary
import TributaryRunner

// The examples of docs/sdk.md's "Waits, events and cancellation" section, compiled here:
// `DocExamplesTests` checks that every Swift block of that section appears in this file verbatim
// (whitespace aside), so the documentation cannot drift from an API that compiles.

/// Events of an example account system, for the documented examples.
enum Accounts {
    struct Trial: Codable, Sendable {
        var accountId: String
    }

    static let trialStarted = EventSpecification<Trial>(name: "trial.started", title: "Trial started", source: "accounts.example")
    static let trialConverted = EventSpecification<Trial>(name: "trial.converted", title: "Trial converted", source: "accounts.example")
}

enum DocExamples {
    // docs: wait
    static let reminder = Job(
        id: "trial-reminder", name: "Remind before a trial ends", version: "1.0.0",
        trigger: Trigger(event: Accounts.trialStarted)
    ) { trial, io, _ in
        try await io.wait("day-12", for: .seconds(12 * 86_400))
        io.logger.info("trial ends in 2 days", metadata: ["account": "\(trial.accountId)"])
    }

    // docs: waitForEvent
    static let nudge = Job(
        id: "trial-nudge", name: "Nudge trials that do not convert", version: "1.0.0",
        trigger: Trigger(event: Accounts.trialStarted)
    ) { trial, io, _ in
        let converted = try await io.waitForEvent(
            "converted", Accounts.trialConverted, filter: ["accountId": [.string(trial.accountId)]],
            timeout: .seconds(14 * 86_400), lookback: .seconds(300))
        if converted.payload == nil {
            io.logger.info("trial ended without converting", metadata: ["account": "\(trial.accountId)"])
        }
    }

    // docs: waitForEvent anyOf
    static let firstReply = Job(
        id: "first-reply", name: "First reply", version: "1.0.0", trigger: Trigger(event: Accounts.trialStarted)
    ) { trial, io, _ in
        let filter: EventFilter = ["accountId": [.string(trial.accountId)]]
        let reply = try await io.waitForEvent(
            "reply", anyOf: [Accounts.trialConverted.waitOption(filter: filter), ShopEvents.orderPlaced.waitOption()],
            timeout: .seconds(3600))
        io.logger.info("first reply", metadata: ["event": "\(reply?.name ?? "none")"])
    }

    // docs: sendEvent
    static let welcome = Job(
        id: "welcome", name: "Welcome", version: "1.0.0", trigger: Trigger(event: Accounts.trialStarted)
    ) { trial, io, _ in
        try await io.sendEvent("converted", Accounts.trialConverted, payload: ["accountId": trial.accountId])
    }

    // docs: cancelOn
    static let fulfil = Job(
        id: "fulfil", name: "Fulfil", version: "1.0.0", trigger: Trigger(event: ShopEvents.orderPlaced),
        cancelOn: CancelOn(ShopEvents.orderCancelled) { order in ["orderId": [.string(order.orderId)]] }
    ) { order, io, _ in
        _ = try await io.waitForEvent(
            "shipped", ShopEvents.orderShipped, filter: ["orderId": [.string(order.orderId)]], timeout: .seconds(7 * 86_400))
    }

    // docs: flow control
    static let invoice = Job(
        id: "rebuild-invoice", name: "Rebuild an invoice", version: "1.0.0", trigger: Trigger(event: ShopEvents.orderPlaced),
        flow: FlowControl(key: .payload("orderId"), concurrency: 1, rateLimit: .init(100, per: .seconds(60)))
    ) { order, io, _ in
        io.logger.info("invoice rebuilt", metadata: ["order": "\(order.orderId)"])
    }

    // docs: throttle and debounce
    static let sync = Job(
        id: "sync-customer", name: "Sync a customer", version: "1.0.0", trigger: Trigger(event: Accounts.trialStarted),
        flow: FlowControl(
            key: .payload("accountId"), throttle: .init(10, per: .seconds(1)),
            debounce: .init(.seconds(30), maxDelay: .seconds(300)))
    ) { trial, io, _ in
        io.logger.info("customer synced", metadata: ["account": "\(trial.accountId)"])
    }

    // docs: idempotency
    static let charge = Job(
        id: "charge-once", name: "Charge once per order", version: "1.0.0", trigger: Trigger(event: ShopEvents.orderPlaced),
        flow: FlowControl(
            key: .payload("orderId"), idempotency: .init(key: .payload("orderId"), window: .seconds(86_400)))
    ) { order, io, _ in
        io.logger.info("charged", metadata: ["order": "\(order.orderId)"])
    }

    // docs: batch
    static let digest = BatchJob(
        id: "order-digest", name: "Order digest", version: "1.0.0", trigger: Trigger(event: ShopEvents.orderPlaced),
        batch: .init(maxSize: 50, within: .seconds(10))
    ) { orders, io, _ in
        io.logger.info("digest", metadata: ["orders": "\(orders.count)"])
    }
}
