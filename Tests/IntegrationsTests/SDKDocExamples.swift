// docs/sdk.md's first example, compiled here (its names would clash with the README's in the
// runner tests' module); `DocExamplesTests` checks it appears verbatim.
import Foundation
import Tributary
import TributaryIntegrations

let stripe = StripeIntegration(configuration: StripeConfiguration(apiKey: ProcessInfo.processInfo.environment["STRIPE_API_KEY"] ?? ""))
let onPrice = Job(
    id: "stripe-on-price", name: "On price created", version: "1.0.0",
    trigger: stripe.trigger(StripeEvents.priceCreated)
) { price, io, ctx in
    io.logger.info("price created!", metadata: ["currency": "\(price.currency)"])
}
