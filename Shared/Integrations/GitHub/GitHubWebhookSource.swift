import Crypto
import Foundation
import Tributary

/// The `github.webhook` external source: a handler that checks `X-Hub-Signature-256` (a delivery without
/// it is refused), and a register function that keeps exactly one hook per URL with a secret we generated.
struct GitHubWebhookSource: Sendable {
    let integration: GitHubIntegration

    var externalSource: ExternalSource<GitHubSourceParams> {
        .webhook(
            id: "github.webhook", key: { $0.key },
            validate: { try $0.validate() },
            handler: WebhookHandler(scheme: GitHubSignature(), parse: { delivery, _ in try Self.parse(delivery) }),
            register: { event, io, _ in try await register(event, io: io) })
    }

    // MARK: handler

    /// Parses a verified delivery; a `ping` is answered 200 with no event, anything else becomes one
    /// event named by `X-GitHub-Event` with the id `X-GitHub-Delivery`.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        let name = try delivery.requiredHeader("X-GitHub-Event")
        let id = try delivery.requiredHeader("X-GitHub-Delivery")
        if delivery.header("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
            throw SourceRejection.malformedBody(
                "form-encoded deliveries are not supported; set the hook's content type to application/json")
        }
        // The whole body is the payload: checked, not built; its text is published as it came.
        guard let payload = try delivery.json(deferring: []).deferred, payload.first == UInt8(ascii: "{") else {
            throw SourceRejection.malformedBody("the body is not a JSON object")
        }
        if name == "ping" {
            return HandlerResult(
                events: [],
                response: SourceResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(#"{"ok":true}"#.utf8)))
        }
        var context: [String: JSON] = ["delivery": .string(id)]
        if let hookId = delivery.header("X-GitHub-Hook-ID") { context["hookId"] = .string(hookId) }
        if let type = delivery.header("X-GitHub-Hook-Installation-Target-Type") { context["targetType"] = .string(type) }
        if let targetId = delivery.header("X-GitHub-Hook-Installation-Target-ID") { context["targetId"] = .string(targetId) }
        return HandlerResult(events: [
            EventRecord(
                id: id, name: name, source: GitHubEvents.source, timestamp: delivery.now, payloadText: payload,
                context: .object(context))
        ])
    }

    // MARK: register

    /// Reconciles the hook of one repository or organization with the events its triggers want.
    func register(_ event: RegisterEvent<GitHubSourceParams>, io: IO) async throws -> RegisterResult {
        let github = integration
        let source = event.source
        let target = event.params.target
        let desired = event.events.desired.sorted()
        let known = try? source.data.decode(as: GitHubHook.self)

        if desired.isEmpty {
            for hook in try await github.listHooks(io, "list-hooks", on: target) where hook.config.url == source.url {
                try await github.deleteHook(io, "delete-hook-\(hook.id)", on: target, id: hook.id)
            }
            return .registered(data: .object([:]), secret: nil, options: ["event": []])
        }

        if source.active, let known, source.secret != nil, event.events.isSettled {
            // Check GitHub still has it as we left it (drift repair); otherwise reconcile below.
            let current = try? await github.getHook(io, "get-hook", on: target, id: known.id)
            if let current, current.config.url == source.url, current.active, Set(current.events).isSuperset(of: desired) {
                return .unchanged
            }
        }

        for round in 1...2 {
            let matching = try await github.listHooks(io, "list-hooks-\(round)", on: target).filter { $0.config.url == source.url }
            if let hook = matching.first(where: { $0.id == known?.id }) ?? matching.first {
                // The secret we hold is only good for the hook we registered; any other hook gets a new one.
                let secret = (hook.id == known?.id ? source.secret : nil) ?? GitHubSignature.generateSecret()
                for extra in matching where extra.id != hook.id {
                    try await github.deleteHook(io, "delete-hook-\(extra.id)", on: target, id: extra.id)
                }
                // The task key names the secret's fingerprint: a replayed attempt with another secret sends it.
                let updated = try await github.updateHook(
                    io, "update-hook-\(Self.fingerprint(secret))", on: target, id: hook.id, url: source.url, events: desired, secret: secret
                )
                return try registered(updated, secret: secret, events: desired)
            }
            let secret = GitHubSignature.generateSecret()
            do {
                let created = try await github.createHook(
                    io, "create-hook-\(round)-\(Self.fingerprint(secret))", on: target, url: source.url, events: desired, secret: secret)
                return try registered(created, secret: secret, events: desired)
            } catch let error as TaskFailedError where round == 1 && isAmbiguous(error.underlying) {
                // The hook may exist now (a lost answer, or a concurrent create): look again rather than
                // create a second hook for the URL.
                continue
            }
        }
        throw ProviderAPIError(
            provider: "GitHub", operation: "POST \(target.hooksPath)", status: nil,
            message: "could not create or find the hook for \(source.url)")
    }

    /// 8 hex digits of SHA-256(secret): tells secrets apart in task keys without revealing them.
    static func fingerprint(_ secret: String) -> String {
        Hex.encode(SHA256.hash(data: Array(secret.utf8)).prefix(4))
    }

    private func isAmbiguous(_ error: any Error) -> Bool {
        guard let error = error as? ProviderAPIError else { return false }
        return error.isTransient || error.status == 422
    }

    private func registered(_ hook: GitHubHook, secret: String, events: [String]) throws -> RegisterResult {
        .registered(data: try JSON(encoding: hook), secret: secret, options: ["event": events])
    }
}

extension GitHubSignature: WebhookSignatureScheme {
    /// `X-Hub-Signature-256`, the header a rejection names.
    public var signatureHeaderName: String { Self.headerName }

    /// Checks the request's `X-Hub-Signature-256` against its body and `secret` (GitHub signs no time).
    public func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        try verify(body: request.body, header: request.header(Self.headerName), secret: secret)
    }
}
