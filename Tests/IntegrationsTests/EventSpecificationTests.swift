import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct StripeEventSpecificationTests {
    /// The event types the issue asks for, written out independently of `StripeEvents`.
    static let required: [String] =
        ["price", "product", "customer"].flatMap { o in ["created", "updated", "deleted"].map { "\(o).\($0)" } }
        + ["completed", "expired", "async_payment_succeeded", "async_payment_failed"].map { "checkout.session.\($0)" }
        + ["created", "updated", "deleted", "paused", "resumed", "trial_will_end", "pending_update_applied", "pending_update_expired"].map {
            "customer.subscription.\($0)"
        }
        + ["account.updated"]
        + ["account.external_account", "person"].flatMap { o in ["created", "updated", "deleted"].map { "\(o).\($0)" } }
        + ["captured", "expired", "failed", "pending", "refunded", "succeeded", "updated"].map { "charge.\($0)" }
        + ["payment_intent.succeeded", "payout.paid", "invoice.paid", "invoiceitem.created"]

    @Test func everyRequiredEventHasASpecification() {
        let names = Set(StripeEvents.allEventNames)
        #expect(names.count == StripeEvents.allEventNames.count, "no duplicates")
        for name in Self.required { #expect(names.contains(name), "\(name)") }
    }

    @Test func everyEventHasAnExampleWithTheRightObject() {
        let examples = StripeEvents.allExamples
        #expect(Set(examples.map(\.name)) == Set(StripeEvents.allEventNames))
        for (name, example) in examples {
            let object = example.payload["object"]?.stringValue ?? ""
            let expected =
                name.hasPrefix("account.external_account")
                ? "bank_account"
                : name.hasPrefix("customer.subscription")
                    ? "subscription"
                    : String(name[..<name.lastIndex(of: ".")!])
            #expect(object == expected, "\(name): example object \(object)")
        }
    }

    @Test func typedExamplesParseAndHaveRunProperties() throws {
        func check<P>(_ spec: EventSpecification<P>) throws {
            for example in spec.examples {
                let payload = try spec.parse(example.payload)
                let properties = spec.runProperties(payload)
                #expect(!properties.isEmpty && properties.allSatisfy { !$0.text.isEmpty }, "\(example.id)")
            }
        }
        try check(StripeEvents.price); try check(StripeEvents.product); try check(StripeEvents.customer)
        try check(StripeEvents.checkoutSession); try check(StripeEvents.subscription); try check(StripeEvents.invoice)
        try check(StripeEvents.charge); try check(StripeEvents.paymentIntent); try check(StripeEvents.payout)
        try check(StripeEvents.accountUpdated); try check(StripeEvents.person); try check(StripeEvents.invoiceItem)
        #expect(try StripeEvents.chargeSucceeded.parse(StripeEvents.chargeSucceeded.examples[0].payload).amount == 2000)
        #expect(
            StripeEvents.chargeSucceeded.runProperties(
                try StripeEvents.chargeSucceeded.parse(StripeEvents.chargeSucceeded.examples[0].payload)
            )
            .contains(RunProperty(label: "Amount", text: "20.00 USD")))
        #expect(
            try StripeEvents.subscriptionCreated.parse(StripeEvents.subscriptionCreated.examples[0].payload).items?.data.first?.price?
                .unitAmount == 2000)
        #expect(try StripeEvents.invoiceUpcoming.parse(StripeEvents.invoiceUpcoming.examples[0].payload).id == nil)
    }

    @Test func triggersPickTheSourceKey() throws {
        let stripe = StripeIntegration(configuration: StripeConfiguration(apiKey: "sk_test"))
        #expect(
            stripe.trigger(StripeEvents.accountUpdated).source?.key == "stripe.webhook.connect", "account.updated is connect by default")
        #expect(stripe.trigger(StripeEvents.accountUpdated, connect: false).source?.key == "stripe.webhook")
        let trigger = stripe.trigger(StripeEvents.price, filter: ["currency": ["usd"]])
        #expect(trigger.source?.key == "stripe.webhook")
        try trigger.validate()
        let usd = EventRecord(
            id: "evt_1", name: "price.created", source: "stripe.com", payload: StripeEvents.priceCreated.examples[0].payload,
            sourceKey: "stripe.webhook")
        var eur = usd
        eur.payload = StripeExamples.with(usd.payload, ["currency": "eur"])
        #expect(trigger.matches(usd) && !trigger.matches(eur))
    }
}

@Suite struct GitHubEventSpecificationTests {
    @Test func everyEventHasAnExampleAndRunProperties() {
        #expect(
            GitHubEvents.all.map(\.name) == [
                "push", "pull_request", "issues", "issue_comment", "release", "workflow_run", "star", "fork", "create", "delete",
            ])
        for spec in GitHubEvents.all {
            let example = spec.examples[0].payload
            #expect(example["repository"]?["full_name"] == "acme/web", "\(spec.name)")
            #expect(spec.runProperties(example).first == RunProperty(label: "Repository", text: "acme/web"))
        }
    }

    @Test func actionsAreChosenByFilter() throws {
        let github = GitHubIntegration(configuration: GitHubConfiguration(token: "t"))
        let trigger = github.trigger(
            GitHubEvents.pullRequest, on: .repository(owner: "acme", name: "web"), actions: ["opened", "reopened"])
        try trigger.validate()
        #expect(trigger.source?.key == "acme/web")
        let opened = EventRecord(
            id: "d1", name: "pull_request", source: "github.com", payload: GitHubExamples.pullRequest, sourceKey: "acme/web")
        var closed = opened
        closed.payload = StripeExamples.with(GitHubExamples.pullRequest, ["action": "closed"])
        var otherRepo = opened
        otherRepo.sourceKey = "acme/api"
        #expect(trigger.matches(opened) && !trigger.matches(closed) && !trigger.matches(otherRepo))
    }

    @Test func paramsAreValidated() {
        #expect(throws: (any Error).self) { try GitHubSourceParams(.repository(owner: "acme", name: "a/b")).validate() }
        #expect(throws: Never.self) { try GitHubSourceParams(.organization("acme")).validate() }
        #expect(GitHubHookOwner(key: "acme/web") == .repository(owner: "acme", name: "web"))
        #expect(GitHubHookOwner(key: "acme") == .organization("acme"))
        #expect(GitHubHookOwner(key: "a/b/c") == nil && GitHubHookOwner(key: "") == nil)
    }
}
