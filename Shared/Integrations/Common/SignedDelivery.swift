import Foundation
import Tributary

/// A webhook delivery made the way a provider makes it: the body it would send for an event and the
/// headers that sign it with the source's secret. `tributary send --signed` posts it to the receiver,
/// which then checks it exactly as it checks the provider's own.
public struct SignedDelivery: Sendable, Hashable {
    /// The request body.
    public var body: [UInt8]
    /// The headers (the signature among them), in order.
    public var headers: [String: String]

    /// A delivery.
    public init(body: [UInt8], headers: [String: String]) {
        self.body = body
        self.headers = headers
    }
}

/// Makes a provider's delivery of `event` signed with `secret` at `now` (throws when the event
/// cannot be sent that way, e.g. a payload the provider's body cannot hold).
public typealias DeliverySigner = @Sendable (_ event: EventRecord, _ secret: String, _ now: Date) throws -> SignedDelivery

extension SignedDelivery {
    /// Stripe: an `event` object around the payload (`data.object`), signed `t=…,v1=…`.
    public static let stripe: DeliverySigner = { event, secret, now in
        let timestamp = Int64(now.timeIntervalSince1970)
        let body: JSON = [
            "id": .string(event.id), "object": "event", "type": .string(event.name), "created": .number(Double(timestamp)),
            "livemode": false, "data": ["object": event.payload],
        ]
        let bytes = body.encoded()
        return SignedDelivery(
            body: bytes,
            headers: [
                "Content-Type": "application/json",
                StripeSignature.headerName: StripeSignature.header(body: bytes, secrets: [secret], timestamp: timestamp),
            ])
    }

    /// GitHub: the payload as the body, the event in `X-GitHub-Event`, signed `sha256=…`.
    public static let github: DeliverySigner = { event, secret, _ in
        let bytes = event.payload.encoded()
        return SignedDelivery(
            body: bytes,
            headers: [
                "Content-Type": "application/json", "X-GitHub-Event": event.name, "X-GitHub-Delivery": event.id,
                GitHubSignature.headerName: GitHubSignature.header(body: bytes, secret: secret),
            ])
    }

    /// Standard Webhooks: the payload (`{type, timestamp, data}`) as the body, `webhook-id`,
    /// `webhook-timestamp` and `webhook-signature: v1,…`.
    public static let standardWebhooks: DeliverySigner = { event, secret, now in
        var payload = event.payload
        if payload["type"] == nil, case .object(var fields) = payload {
            fields["type"] = .string(event.name)
            payload = .object(fields)
        }
        let bytes = payload.encoded()
        let timestamp = Int64(now.timeIntervalSince1970)
        guard let signature = StandardWebhookSignature.header(body: bytes, id: event.id, timestamp: timestamp, secrets: [secret]) else {
            throw SignedDeliveryError("the source's secret is not a Standard Webhooks secret (whsec_ and base64)")
        }
        return SignedDelivery(
            body: bytes,
            headers: [
                "Content-Type": "application/json", StandardWebhookSignature.idHeader: event.id,
                StandardWebhookSignature.timestampHeader: "\(timestamp)", StandardWebhookSignature.signatureHeader: signature,
            ])
    }
}

/// A delivery that cannot be made (its message says why).
public struct SignedDeliveryError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var description: String
    /// An error.
    public init(_ description: String) { self.description = description }
}
