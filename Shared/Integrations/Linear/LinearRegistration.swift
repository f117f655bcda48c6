import Tributary

/// Registration of a `linear.<team>` source: exactly one webhook of the team at our URL (every page of
/// `webhooks` listed to find it), for the resource types its triggers want, created or updated together
/// with a signing secret we generate (Linear's own when its answer carries one), extra webhooks at our
/// URL deleted, and drift (deleted, disabled, other URL or types) repaired at each resync.
struct LinearRegistration: Sendable {
    let integration: LinearIntegration

    /// Reconciles the team's webhook with the resource types its triggers want.
    func register(_ event: RegisterEvent<NamedSourceParams>, io: IO) async throws -> RegisterResult {
        let linear = integration
        let source = event.source
        let desired = event.events.desired.sorted()
        let knownId = source.data["id"]?.stringValue

        if desired.isEmpty {
            for hook in try await linear.listWebhooks(io, "list-webhooks") where hook.url == source.url {
                try await linear.deleteWebhook(io, "delete-webhook-\(hook.id)", id: hook.id)
            }
            return .registered(data: .object([:]), secret: nil, options: ["event": []])
        }

        if source.active, source.secret != nil, event.events.isSettled, let knownId {
            // Check Linear still has it as we left it (drift repair); otherwise reconcile below.
            if let current = try? await linear.getWebhook(io, "get-webhook", id: knownId), current.url == source.url, current.enabled,
                Set(current.resourceTypes).isSuperset(of: desired)
            {
                return .unchanged
            }
        }

        var teamId = source.data["teamId"]?.stringValue ?? ""
        if teamId.isEmpty { teamId = try await linear.teamId(io, "team-id", team: event.params.name) }
        for round in 1...2 {
            let matching = try await linear.listWebhooks(io, "list-webhooks-\(round)").filter { $0.url == source.url }
            if let hook = matching.first(where: { $0.id == knownId }) ?? matching.first {
                // The secret we hold is only good for the webhook we registered; any other gets a new one.
                let sent = (hook.id == knownId ? source.secret : nil) ?? GeneratedSecret.generate()
                for extra in matching where extra.id != hook.id {
                    try await linear.deleteWebhook(io, "delete-webhook-\(extra.id)", id: extra.id)
                }
                let updated = try await linear.updateWebhook(
                    io, "update-webhook-\(GeneratedSecret.fingerprint(sent))", id: hook.id, url: source.url, resourceTypes: desired,
                    secret: sent)
                return registered(updated, teamId: teamId, secret: updated.secret ?? sent, events: desired)
            }
            let sent = GeneratedSecret.generate()
            do {
                let created = try await linear.createWebhook(
                    io, "create-webhook-\(round)-\(GeneratedSecret.fingerprint(sent))", url: source.url, teamId: teamId,
                    resourceTypes: desired, secret: sent, label: "Tributary \(source.key)")
                return registered(created, teamId: teamId, secret: created.secret ?? sent, events: desired)
            } catch let error as TaskFailedError where round == 1 && ((error.underlying as? ProviderAPIError)?.isTransient ?? false) {
                // It may exist now (a lost answer): look again rather than create a second webhook.
                continue
            }
        }
        throw ProviderAPIError(
            provider: "Linear", operation: "webhookCreate", status: nil, message: "could not create or find the webhook for \(source.url)")
    }

    private func registered(_ hook: LinearWebhook, teamId: String, secret: String, events: [String]) -> RegisterResult {
        .registered(data: ["id": .string(hook.id), "teamId": .string(teamId)], secret: secret, options: ["event": events])
    }
}
