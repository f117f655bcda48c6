import Tributary

/// Registration of a `shopify.<shop>` source: exactly one JSON subscription per desired topic at our
/// address, found by listing every page of the shop's subscriptions; missing ones created, extra ones
/// (topics no trigger wants, duplicates, XML) deleted, at every resync, so drift is repaired. Shopify
/// signs every delivery with the app's client secret, which the operator sets on the source
/// (`sources set-secret`): no subscription is made before that secret is held.
struct ShopifyRegistration: Sendable {
    let integration: ShopifyIntegration

    /// Why a source without the app secret is not registered.
    struct NoAppSecret: Error, CustomStringConvertible {
        var key: String
        var description: String {
            "Shopify signs webhooks with the app's client secret, which \(key) does not hold yet: run "
                + "`tributary sources set-secret \(key) <app secret>`; no subscription was made"
        }
    }

    /// Reconciles the shop's subscriptions to our address with the topics its triggers want.
    func register(_ event: RegisterEvent<NamedSourceParams>, io: IO) async throws -> RegisterResult {
        let shopify = integration
        let shop = event.params.name
        let source = event.source
        let desired = Set(event.events.desired)
        guard desired.isEmpty || source.secret != nil else { throw NoAppSecret(key: source.key) }

        var changed = false
        for round in 1...2 {
            let ours = try await shopify.listSubscriptions(io, "list-subscriptions-\(round)", shop: shop).filter {
                $0.address == source.url
            }
            var kept: [String: ShopifyWebhookSubscription] = [:]
            for subscription in ours.sorted(by: { $0.id < $1.id }) {
                if desired.contains(subscription.topic), kept[subscription.topic] == nil, (subscription.format ?? "json") == "json" {
                    kept[subscription.topic] = subscription
                } else {
                    try await shopify.deleteSubscription(io, "delete-subscription-\(subscription.id)", shop: shop, id: subscription.id)
                    changed = true
                }
            }
            var ambiguous = false
            for topic in desired.sorted() where kept[topic] == nil {
                do {
                    kept[topic] = try await shopify.createSubscription(
                        io, "create-subscription-\(round)-\(topic)", shop: shop, topic: topic, address: source.url)
                    changed = true
                } catch let error as TaskFailedError where round == 1 && Self.isAmbiguous(error.underlying) {
                    // It may exist now (a lost answer, or a concurrent create): list again rather than create twice.
                    ambiguous = true
                }
            }
            if ambiguous { continue }
            if !changed, source.active, event.events.isSettled { return .unchanged }
            let ids = kept.mapValues { JSON.number(Double($0.id)) }
            let data: JSON =
                desired.isEmpty
                ? .object([:]) : ["shop": .string(ShopifyConfiguration.domain(ofShop: shop)), "subscriptions": .object(ids)]
            return .registered(data: data, secret: source.secret, options: ["event": desired.sorted()])
        }
        throw ProviderAPIError(
            provider: "Shopify", operation: "POST \(ShopifyClient.root)/webhooks.json", status: nil,
            message: "could not create or find the subscriptions of \(source.url)")
    }

    /// A failure after which a create may have happened: no answer, 5xx, or 422 (the topic is taken).
    static func isAmbiguous(_ error: any Error) -> Bool {
        guard let error = error as? ProviderAPIError else { return false }
        return error.isTransient || error.status == 422
    }
}
