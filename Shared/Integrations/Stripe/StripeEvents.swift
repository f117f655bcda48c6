import Tributary

/// The event specifications of Stripe events (source `stripe.com`): one per event type, plus one per
/// object covering all its types (e.g. `price` for `price.created`, `price.updated`, `price.deleted`).
/// Price, product, customer, checkout session, subscription, invoice, charge and payment intent events
/// have typed payloads; the others are JSON.
public enum StripeEvents {
    /// The CloudEvents source of Stripe events.
    public static let source = "stripe.com"

    /// Event types whose triggers use a Connect endpoint unless told otherwise.
    public static let connectByDefault: Set<String> = ["account.updated"]

    // MARK: price

    /// `price.created`.
    public static let priceCreated = spec("price.created", "Price created", StripeExamples.price, prices)
    /// `price.updated`.
    public static let priceUpdated = spec("price.updated", "Price updated", StripeExamples.price, prices)
    /// `price.deleted`.
    public static let priceDeleted = spec(
        "price.deleted", "Price deleted", StripeExamples.with(StripeExamples.price, ["active": false]), prices)
    /// Any `price.*` event.
    public static let price = group("Price created, updated or deleted", [priceCreated, priceUpdated, priceDeleted])

    // MARK: product

    /// `product.created`.
    public static let productCreated = spec("product.created", "Product created", StripeExamples.product, products)
    /// `product.updated`.
    public static let productUpdated = spec("product.updated", "Product updated", StripeExamples.product, products)
    /// `product.deleted`.
    public static let productDeleted = spec(
        "product.deleted", "Product deleted", StripeExamples.with(StripeExamples.product, ["active": false]), products)
    /// Any `product.*` event.
    public static let product = group("Product created, updated or deleted", [productCreated, productUpdated, productDeleted])

    // MARK: customer

    /// `customer.created`.
    public static let customerCreated = spec("customer.created", "Customer created", StripeExamples.customer, customers)
    /// `customer.updated`.
    public static let customerUpdated = spec("customer.updated", "Customer updated", StripeExamples.customer, customers)
    /// `customer.deleted`.
    public static let customerDeleted = spec(
        "customer.deleted", "Customer deleted", StripeExamples.with(StripeExamples.customer, ["deleted": true]), customers)
    /// Any of `customer.created`, `customer.updated`, `customer.deleted`.
    public static let customer = group("Customer created, updated or deleted", [customerCreated, customerUpdated, customerDeleted])

    // MARK: checkout.session

    /// `checkout.session.completed`.
    public static let checkoutSessionCompleted = spec(
        "checkout.session.completed", "Checkout session completed", StripeExamples.checkoutSession, sessions)
    /// `checkout.session.expired`.
    public static let checkoutSessionExpired = spec(
        "checkout.session.expired", "Checkout session expired",
        StripeExamples.with(StripeExamples.checkoutSession, ["status": "expired", "payment_status": "unpaid", "payment_intent": nil]),
        sessions)
    /// `checkout.session.async_payment_succeeded`.
    public static let checkoutSessionAsyncPaymentSucceeded = spec(
        "checkout.session.async_payment_succeeded", "Checkout session async payment succeeded", StripeExamples.checkoutSession, sessions)
    /// `checkout.session.async_payment_failed`.
    public static let checkoutSessionAsyncPaymentFailed = spec(
        "checkout.session.async_payment_failed", "Checkout session async payment failed",
        StripeExamples.with(StripeExamples.checkoutSession, ["payment_status": "unpaid"]), sessions)
    /// Any `checkout.session.*` event.
    public static let checkoutSession = group(
        "Checkout session event",
        [checkoutSessionCompleted, checkoutSessionExpired, checkoutSessionAsyncPaymentSucceeded, checkoutSessionAsyncPaymentFailed])

    // MARK: customer.subscription

    /// `customer.subscription.created`.
    public static let subscriptionCreated = spec(
        "customer.subscription.created", "Subscription created", StripeExamples.subscription, subscriptions)
    /// `customer.subscription.updated`.
    public static let subscriptionUpdated = spec(
        "customer.subscription.updated", "Subscription updated", StripeExamples.subscription, subscriptions)
    /// `customer.subscription.deleted`.
    public static let subscriptionDeleted = spec(
        "customer.subscription.deleted", "Subscription deleted",
        StripeExamples.with(StripeExamples.subscription, ["status": "canceled", "canceled_at": 1722004100]), subscriptions)
    /// `customer.subscription.paused`.
    public static let subscriptionPaused = spec(
        "customer.subscription.paused", "Subscription paused", StripeExamples.with(StripeExamples.subscription, ["status": "paused"]),
        subscriptions)
    /// `customer.subscription.resumed`.
    public static let subscriptionResumed = spec(
        "customer.subscription.resumed", "Subscription resumed", StripeExamples.subscription, subscriptions)
    /// `customer.subscription.trial_will_end`.
    public static let subscriptionTrialWillEnd = spec(
        "customer.subscription.trial_will_end", "Subscription trial will end",
        StripeExamples.with(StripeExamples.subscription, ["status": "trialing", "trial_end": 1722176900]), subscriptions)
    /// `customer.subscription.pending_update_applied`.
    public static let subscriptionPendingUpdateApplied = spec(
        "customer.subscription.pending_update_applied", "Subscription pending update applied", StripeExamples.subscription, subscriptions)
    /// `customer.subscription.pending_update_expired`.
    public static let subscriptionPendingUpdateExpired = spec(
        "customer.subscription.pending_update_expired", "Subscription pending update expired", StripeExamples.subscription, subscriptions)
    /// Any `customer.subscription.*` event.
    public static let subscription = group(
        "Subscription event",
        [
            subscriptionCreated, subscriptionUpdated, subscriptionDeleted, subscriptionPaused, subscriptionResumed,
            subscriptionTrialWillEnd, subscriptionPendingUpdateApplied, subscriptionPendingUpdateExpired,
        ])

    // MARK: account (Connect)

    /// `account.updated` (triggers default to a Connect endpoint).
    public static let accountUpdated = json("account.updated", "Account updated", StripeExamples.account)
    /// `account.external_account.created`.
    public static let externalAccountCreated = json(
        "account.external_account.created", "External account created", StripeExamples.externalAccount)
    /// `account.external_account.updated`.
    public static let externalAccountUpdated = json(
        "account.external_account.updated", "External account updated", StripeExamples.externalAccount)
    /// `account.external_account.deleted`.
    public static let externalAccountDeleted = json(
        "account.external_account.deleted", "External account deleted", StripeExamples.externalAccount)
    /// Any `account.external_account.*` event.
    public static let externalAccount = group(
        "External account event", [externalAccountCreated, externalAccountUpdated, externalAccountDeleted])
    /// `person.created`.
    public static let personCreated = json("person.created", "Person created", StripeExamples.person)
    /// `person.updated`.
    public static let personUpdated = json("person.updated", "Person updated", StripeExamples.person)
    /// `person.deleted`.
    public static let personDeleted = json("person.deleted", "Person deleted", StripeExamples.person)
    /// Any `person.*` event.
    public static let person = group("Person event", [personCreated, personUpdated, personDeleted])

    // MARK: charge

    /// `charge.captured`.
    public static let chargeCaptured = spec("charge.captured", "Charge captured", StripeExamples.charge, charges)
    /// `charge.expired`.
    public static let chargeExpired = spec(
        "charge.expired", "Charge expired",
        StripeExamples.with(StripeExamples.charge, ["captured": false, "amount_captured": 0, "status": "failed"]), charges)
    /// `charge.failed`.
    public static let chargeFailed = spec(
        "charge.failed", "Charge failed",
        StripeExamples.with(
            StripeExamples.charge,
            [
                "status": "failed", "paid": false, "captured": false, "amount_captured": 0,
                "failure_code": "card_declined", "failure_message": "Your card was declined.",
            ]), charges)
    /// `charge.pending`.
    public static let chargePending = spec(
        "charge.pending", "Charge pending", StripeExamples.with(StripeExamples.charge, ["status": "pending"]), charges)
    /// `charge.refunded`.
    public static let chargeRefunded = spec(
        "charge.refunded", "Charge refunded", StripeExamples.with(StripeExamples.charge, ["refunded": true, "amount_refunded": 2000]),
        charges)
    /// `charge.succeeded`.
    public static let chargeSucceeded = spec("charge.succeeded", "Charge succeeded", StripeExamples.charge, charges)
    /// `charge.updated`.
    public static let chargeUpdated = spec("charge.updated", "Charge updated", StripeExamples.charge, charges)
    /// Any of the charge events above.
    public static let charge = group(
        "Charge event", [chargeCaptured, chargeExpired, chargeFailed, chargePending, chargeRefunded, chargeSucceeded, chargeUpdated])

    // MARK: payment_intent

    /// `payment_intent.created`.
    public static let paymentIntentCreated = spec(
        "payment_intent.created", "Payment intent created",
        StripeExamples.with(
            StripeExamples.paymentIntent, ["status": "requires_payment_method", "amount_received": 0, "latest_charge": nil]), paymentIntents
    )
    /// `payment_intent.succeeded`.
    public static let paymentIntentSucceeded = spec(
        "payment_intent.succeeded", "Payment intent succeeded", StripeExamples.paymentIntent, paymentIntents)
    /// `payment_intent.canceled`.
    public static let paymentIntentCanceled = spec(
        "payment_intent.canceled", "Payment intent canceled",
        StripeExamples.with(
            StripeExamples.paymentIntent, ["status": "canceled", "cancellation_reason": "abandoned", "amount_received": 0]), paymentIntents)
    /// `payment_intent.processing`.
    public static let paymentIntentProcessing = spec(
        "payment_intent.processing", "Payment intent processing",
        StripeExamples.with(StripeExamples.paymentIntent, ["status": "processing", "amount_received": 0]), paymentIntents)
    /// `payment_intent.requires_action`.
    public static let paymentIntentRequiresAction = spec(
        "payment_intent.requires_action", "Payment intent requires action",
        StripeExamples.with(StripeExamples.paymentIntent, ["status": "requires_action", "amount_received": 0]), paymentIntents)
    /// `payment_intent.amount_capturable_updated`.
    public static let paymentIntentAmountCapturableUpdated = spec(
        "payment_intent.amount_capturable_updated", "Payment intent amount capturable updated",
        StripeExamples.with(
            StripeExamples.paymentIntent,
            ["status": "requires_capture", "amount_capturable": 2000, "amount_received": 0, "capture_method": "manual"]), paymentIntents)
    /// `payment_intent.payment_failed`.
    public static let paymentIntentPaymentFailed = spec(
        "payment_intent.payment_failed", "Payment intent payment failed",
        StripeExamples.with(
            StripeExamples.paymentIntent,
            [
                "status": "requires_payment_method", "amount_received": 0,
                "last_payment_error": [
                    "code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds.",
                    "type": "card_error",
                ],
            ]), paymentIntents)
    /// `payment_intent.partially_funded`.
    public static let paymentIntentPartiallyFunded = spec(
        "payment_intent.partially_funded", "Payment intent partially funded",
        StripeExamples.with(StripeExamples.paymentIntent, ["status": "requires_payment_method", "amount_received": 500]), paymentIntents)
    /// Any `payment_intent.*` event.
    public static let paymentIntent = group(
        "Payment intent event",
        [
            paymentIntentCreated, paymentIntentSucceeded, paymentIntentCanceled, paymentIntentProcessing, paymentIntentRequiresAction,
            paymentIntentAmountCapturableUpdated, paymentIntentPaymentFailed, paymentIntentPartiallyFunded,
        ])

    // MARK: payout

    /// `payout.canceled`.
    public static let payoutCanceled = json(
        "payout.canceled", "Payout canceled", StripeExamples.with(StripeExamples.payout, ["status": "canceled"]))
    /// `payout.created`.
    public static let payoutCreated = json(
        "payout.created", "Payout created", StripeExamples.with(StripeExamples.payout, ["status": "pending"]))
    /// `payout.failed`.
    public static let payoutFailed = json(
        "payout.failed", "Payout failed",
        StripeExamples.with(
            StripeExamples.payout,
            ["status": "failed", "failure_code": "account_closed", "failure_message": "The bank account has been closed."]))
    /// `payout.paid`.
    public static let payoutPaid = json("payout.paid", "Payout paid", StripeExamples.payout)
    /// `payout.reconciliation_completed`.
    public static let payoutReconciliationCompleted = json(
        "payout.reconciliation_completed", "Payout reconciliation completed",
        StripeExamples.with(StripeExamples.payout, ["reconciliation_status": "completed"]))
    /// `payout.updated`.
    public static let payoutUpdated = json("payout.updated", "Payout updated", StripeExamples.payout)
    /// Any `payout.*` event.
    public static let payout = group(
        "Payout event", [payoutCanceled, payoutCreated, payoutFailed, payoutPaid, payoutReconciliationCompleted, payoutUpdated])

    // MARK: invoice

    /// `invoice.created`.
    public static let invoiceCreated = spec(
        "invoice.created", "Invoice created",
        StripeExamples.with(StripeExamples.invoice, ["status": "draft", "paid": false, "amount_paid": 0, "amount_remaining": 6000]),
        invoices)
    /// `invoice.deleted`.
    public static let invoiceDeleted = spec(
        "invoice.deleted", "Invoice deleted",
        StripeExamples.with(StripeExamples.invoice, ["status": "draft", "paid": false, "amount_paid": 0]), invoices)
    /// `invoice.finalized`.
    public static let invoiceFinalized = spec(
        "invoice.finalized", "Invoice finalized",
        StripeExamples.with(StripeExamples.invoice, ["status": "open", "paid": false, "amount_paid": 0, "amount_remaining": 6000]), invoices
    )
    /// `invoice.finalization_failed`.
    public static let invoiceFinalizationFailed = spec(
        "invoice.finalization_failed", "Invoice finalization failed",
        StripeExamples.with(StripeExamples.invoice, ["status": "draft", "paid": false, "amount_paid": 0]), invoices)
    /// `invoice.marked_uncollectible`.
    public static let invoiceMarkedUncollectible = spec(
        "invoice.marked_uncollectible", "Invoice marked uncollectible",
        StripeExamples.with(StripeExamples.invoice, ["status": "uncollectible", "paid": false, "amount_paid": 0]), invoices)
    /// `invoice.overdue`.
    public static let invoiceOverdue = spec(
        "invoice.overdue", "Invoice overdue",
        StripeExamples.with(
            StripeExamples.invoice,
            ["status": "open", "paid": false, "amount_paid": 0, "collection_method": "send_invoice", "due_date": 1722522500]), invoices)
    /// `invoice.paid`.
    public static let invoicePaid = spec("invoice.paid", "Invoice paid", StripeExamples.invoice, invoices)
    /// `invoice.payment_action_required`.
    public static let invoicePaymentActionRequired = spec(
        "invoice.payment_action_required", "Invoice payment action required",
        StripeExamples.with(StripeExamples.invoice, ["status": "open", "paid": false, "amount_paid": 0]), invoices)
    /// `invoice.payment_failed`.
    public static let invoicePaymentFailed = spec(
        "invoice.payment_failed", "Invoice payment failed",
        StripeExamples.with(StripeExamples.invoice, ["status": "open", "paid": false, "amount_paid": 0, "amount_remaining": 6000]), invoices
    )
    /// `invoice.payment_succeeded`.
    public static let invoicePaymentSucceeded = spec(
        "invoice.payment_succeeded", "Invoice payment succeeded", StripeExamples.invoice, invoices)
    /// `invoice.sent`.
    public static let invoiceSent = spec(
        "invoice.sent", "Invoice sent",
        StripeExamples.with(
            StripeExamples.invoice, ["status": "open", "paid": false, "amount_paid": 0, "collection_method": "send_invoice"]), invoices)
    /// `invoice.upcoming` (the invoice has no id yet).
    public static let invoiceUpcoming = spec(
        "invoice.upcoming", "Invoice upcoming",
        StripeExamples.with(StripeExamples.invoice, ["id": nil, "status": "draft", "paid": false, "amount_paid": 0, "number": nil]),
        invoices)
    /// `invoice.updated`.
    public static let invoiceUpdated = spec("invoice.updated", "Invoice updated", StripeExamples.invoice, invoices)
    /// `invoice.voided`.
    public static let invoiceVoided = spec(
        "invoice.voided", "Invoice voided",
        StripeExamples.with(StripeExamples.invoice, ["status": "void", "paid": false, "amount_paid": 0]), invoices)
    /// `invoice.will_be_due`.
    public static let invoiceWillBeDue = spec(
        "invoice.will_be_due", "Invoice will be due",
        StripeExamples.with(
            StripeExamples.invoice,
            ["status": "open", "paid": false, "amount_paid": 0, "collection_method": "send_invoice", "due_date": 1722522500]), invoices)
    /// Any `invoice.*` event.
    public static let invoice = group(
        "Invoice event",
        [
            invoiceCreated, invoiceDeleted, invoiceFinalized, invoiceFinalizationFailed, invoiceMarkedUncollectible, invoiceOverdue,
            invoicePaid, invoicePaymentActionRequired, invoicePaymentFailed, invoicePaymentSucceeded, invoiceSent, invoiceUpcoming,
            invoiceUpdated, invoiceVoided, invoiceWillBeDue,
        ])

    // MARK: invoiceitem

    /// `invoiceitem.created`.
    public static let invoiceItemCreated = json("invoiceitem.created", "Invoice item created", StripeExamples.invoiceItem)
    /// `invoiceitem.deleted`.
    public static let invoiceItemDeleted = json("invoiceitem.deleted", "Invoice item deleted", StripeExamples.invoiceItem)
    /// Any `invoiceitem.*` event.
    public static let invoiceItem = group("Invoice item event", [invoiceItemCreated, invoiceItemDeleted])

    /// Every single-event specification's name, in the order above.
    public static let allEventNames: [String] =
        price.names + product.names + customer.names + checkoutSession.names + subscription.names
        + [accountUpdated.name] + externalAccount.names + person.names + charge.names + paymentIntent.names
        + payout.names + invoice.names + invoiceItem.names

    /// Every example of every single-event specification, as (event name, example).
    public static var allExamples: [(name: String, example: EventExample)] {
        let groups: [[(String, [EventExample])]] = [
            pairs(price), pairs(product), pairs(customer), pairs(checkoutSession), pairs(subscription),
            [(accountUpdated.name, accountUpdated.examples)], pairs(externalAccount), pairs(person), pairs(charge),
            pairs(paymentIntent), pairs(payout), pairs(invoice), pairs(invoiceItem),
        ]
        return groups.flatMap { $0 }.flatMap { name, examples in examples.map { (name, $0) } }
    }

    // MARK: building

    private static func pairs<P>(_ group: EventSpecification<P>) -> [(String, [EventExample])] {
        group.names.map { name in (name, group.examples.filter { $0.id.hasPrefix(name + ".") || $0.id == name }) }
    }

    private static func spec<P: Decodable & Sendable>(
        _ name: String, _ title: String, _ example: JSON, _ properties: @escaping @Sendable (P) -> [RunProperty]
    ) -> EventSpecification<P> {
        EventSpecification(
            name: name, title: title, source: source, icon: "stripe",
            examples: [EventExample(id: name, name: title, icon: "stripe", payload: example)],
            runProperties: properties
        )
    }

    private static func json(_ name: String, _ title: String, _ example: JSON) -> EventSpecification<JSON> {
        spec(name, title, example) { payload in
            [RunProperty(label: "ID", text: payload["id"]?.stringValue ?? "")]
        }
    }

    private static func group<P: Decodable & Sendable>(_ title: String, _ members: [EventSpecification<P>]) -> EventSpecification<P> {
        EventSpecification(
            names: members.flatMap(\.names), title: title, source: source, icon: "stripe",
            examples: members.flatMap(\.examples), runProperties: members[0].runProperties
        )
    }

    private static let prices: @Sendable (StripePrice) -> [RunProperty] = { p in
        [
            RunProperty(label: "Price ID", text: p.id), RunProperty(label: "Type", text: p.type),
            RunProperty(label: "Currency", text: p.currency),
        ]
            + (p.unitAmount.map { [RunProperty(label: "Unit amount", text: money($0, p.currency))] } ?? [])
    }
    private static let products: @Sendable (StripeProduct) -> [RunProperty] = { p in
        [RunProperty(label: "Product ID", text: p.id), RunProperty(label: "Name", text: p.name)]
    }
    private static let customers: @Sendable (StripeCustomer) -> [RunProperty] = { c in
        [RunProperty(label: "Customer ID", text: c.id)] + (c.email.map { [RunProperty(label: "Email", text: $0)] } ?? [])
    }
    private static let sessions: @Sendable (StripeCheckoutSession) -> [RunProperty] = { s in
        [
            RunProperty(label: "Session ID", text: s.id), RunProperty(label: "Mode", text: s.mode),
            RunProperty(label: "Payment status", text: s.paymentStatus),
        ]
            + (s.amountTotal.map { [RunProperty(label: "Amount", text: money($0, s.currency ?? ""))] } ?? [])
    }
    private static let subscriptions: @Sendable (StripeSubscription) -> [RunProperty] = { s in
        [
            RunProperty(label: "Subscription ID", text: s.id), RunProperty(label: "Status", text: s.status),
            RunProperty(label: "Customer", text: s.customer),
        ]
    }
    private static let invoices: @Sendable (StripeInvoice) -> [RunProperty] = { i in
        (i.id.map { [RunProperty(label: "Invoice ID", text: $0)] } ?? [])
            + [
                RunProperty(label: "Status", text: i.status ?? "none"),
                RunProperty(label: "Amount due", text: money(i.amountDue, i.currency)),
            ]
    }
    private static let charges: @Sendable (StripeCharge) -> [RunProperty] = { c in
        [
            RunProperty(label: "Charge ID", text: c.id), RunProperty(label: "Amount", text: money(c.amount, c.currency)),
            RunProperty(label: "Status", text: c.status),
        ]
    }
    private static let paymentIntents: @Sendable (StripePaymentIntent) -> [RunProperty] = { p in
        [
            RunProperty(label: "Payment intent ID", text: p.id), RunProperty(label: "Amount", text: money(p.amount, p.currency)),
            RunProperty(label: "Status", text: p.status),
        ]
    }

    /// `2000, "usd"` → `20.00 USD` (two-decimal currencies; others are shown in minor units).
    static func money(_ amount: Int, _ currency: String) -> String {
        let zeroDecimal: Set<String> = [
            "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
        ]
        if zeroDecimal.contains(currency.lowercased()) { return "\(amount) \(currency.uppercased())" }
        let sign = amount < 0 ? "-" : ""
        let cents = abs(amount) % 100
        return "\(sign)\(abs(amount) / 100).\(cents < 10 ? "0" : "")\(cents) \(currency.uppercased())"
    }
}
