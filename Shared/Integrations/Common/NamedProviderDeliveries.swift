import Foundation
import Tributary

/// `tributary send --signed` for Shopify, Typeform, Linear and Slack: the delivery each provider would
/// make of an event, signed with the source's secret (its handler accepts it).
extension SignedDelivery {
    /// Shopify: the payload as the body; topic, webhook id and `X-Shopify-Hmac-Sha256` headers.
    public static let shopify: DeliverySigner = { event, secret, _ in
        let bytes = event.payload.encoded()
        return SignedDelivery(
            body: bytes,
            headers: [
                "Content-Type": "application/json", ShopifyIntegration.topicHeader: event.name,
                ShopifyIntegration.webhookIdHeader: event.id,
                ShopifySignature.signatureHeader: ShopifySignature.header(body: bytes, secret: secret),
            ])
    }

    /// Typeform: `{event_id, event_type, form_response: payload}`, signed `sha256=…`.
    public static let typeform: DeliverySigner = { event, secret, _ in
        let bytes = JSON.object(["event_id": .string(event.id), "event_type": .string(event.name), "form_response": event.payload])
            .encoded()
        return SignedDelivery(
            body: bytes,
            headers: [
                "Content-Type": "application/json",
                TypeformSignature.signatureHeader: TypeformSignature.header(body: bytes, secret: secret),
            ])
    }

    /// Linear: the payload with `type` and a fresh `webhookTimestamp`, `Linear-Delivery` and `Linear-Signature`.
    public static let linear: DeliverySigner = { event, secret, now in
        guard case .object(var fields) = event.payload else { throw SignedDeliveryError("a Linear payload is a JSON object") }
        fields["type"] = .string(event.name)
        fields["webhookTimestamp"] = .number((now.timeIntervalSince1970 * 1000).rounded(.down))
        let bytes = JSON.object(fields).encoded()
        return SignedDelivery(
            body: bytes,
            headers: [
                "Content-Type": "application/json", "Linear-Delivery": event.id,
                LinearSignature.signatureHeader: LinearSignature.header(body: bytes, secret: secret),
            ])
    }

    /// Slack: an `event_callback` around the payload; an interaction as the form field `payload`; a
    /// slash command as its form fields; signed `v0=…` over `v0:<timestamp>:<body>`.
    public static let slack: DeliverySigner = { event, secret, now in
        let timestamp = Int64(now.timeIntervalSince1970)
        var contentType = "application/json"
        let bytes: [UInt8]
        if event.name == "slash_command", let fields = event.payload.objectValue {
            contentType = "application/x-www-form-urlencoded"
            var pairs = fields.keys.sorted().compactMap { key in fields[key]?.stringValue.map { (name: key, value: $0) } }
            if fields["trigger_id"] == nil { pairs.append((name: "trigger_id", value: event.id)) }
            bytes = TwilioForm.encode(pairs)
        } else if event.payload["trigger_id"] != nil || ["block_actions", "view_submission", "shortcut"].contains(event.name) {
            contentType = "application/x-www-form-urlencoded"
            bytes = TwilioForm.encode([(name: "payload", value: event.payload.jsonString)])
        } else {
            var inner = event.payload
            if inner["type"] == nil, case .object(var fields) = inner {
                fields["type"] = .string(event.name)
                inner = .object(fields)
            }
            bytes = JSON.object([
                "type": "event_callback", "event_id": .string(event.id), "event_time": .number(Double(timestamp)), "event": inner,
            ]).encoded()
        }
        return SignedDelivery(
            body: bytes,
            headers: [
                "Content-Type": contentType, SlackSignature.timestampHeader: "\(timestamp)",
                SlackSignature.signatureHeader: SlackSignature.header(body: bytes, timestamp: timestamp, secret: secret),
            ])
    }
}
