import Tributary

/// Registration of a `typeform.<form id>` source: one webhook per form under our tag, created or
/// replaced by `PUT` together with a secret we generate (so it never exists without a secret we hold),
/// any other webhook of the form at our URL removed, and drift (deleted, disabled, other URL or
/// events) repaired at each resync. Typeform's list of a form's webhooks is one page.
struct TypeformRegistration: Sendable {
    let integration: TypeformIntegration

    /// Our tag for webhooks to `url`: `tributary-` and 8 hex digits of SHA-256(url), so two deployments
    /// (other public URLs) on one form keep a webhook each.
    static func tag(for url: String) -> String { "tributary-" + GeneratedSecret.fingerprint(url) }

    /// Reconciles the form's webhook with the events its triggers want.
    func register(_ event: RegisterEvent<NamedSourceParams>, io: IO) async throws -> RegisterResult {
        let typeform = integration
        let formId = event.params.name
        let source = event.source
        let tag = Self.tag(for: source.url)
        let desired = event.events.desired.sorted()

        if desired.isEmpty {
            for hook in try await typeform.listWebhooks(io, "list-webhooks", form: formId) where hook.url == source.url || hook.tag == tag {
                try await typeform.deleteWebhook(io, "delete-webhook-\(hook.tag)", form: formId, tag: hook.tag)
            }
            return .registered(data: .object([:]), secret: nil, options: ["event": []])
        }

        if source.active, source.secret != nil, event.events.isSettled, source.data["tag"]?.stringValue == tag {
            // Check Typeform still has it as we left it (drift repair); otherwise put it back below.
            if let current = try? await typeform.getWebhook(io, "get-webhook", form: formId, tag: tag),
                current.url == source.url, current.enabled, current.events.isSuperset(of: desired)
            {
                return .unchanged
            }
        }

        for hook in try await typeform.listWebhooks(io, "list-webhooks", form: formId) where hook.url == source.url && hook.tag != tag {
            // Another webhook to our URL would deliver each response twice, signed with a secret we may not hold.
            try await typeform.deleteWebhook(io, "delete-webhook-\(hook.tag)", form: formId, tag: hook.tag)
        }
        // The PUT sets the secret: the one we hold stays valid, else a new one is set in the same call.
        let secret = source.secret ?? GeneratedSecret.generate()
        let hook = try await typeform.putWebhook(
            io, "put-webhook-\(GeneratedSecret.fingerprint(secret))", form: formId, tag: tag, url: source.url, events: desired,
            secret: secret)
        let data: JSON = ["formId": .string(formId), "tag": .string(tag), "id": hook.id.map(JSON.string) ?? .null]
        return .registered(data: data, secret: secret, options: ["event": desired])
    }
}
