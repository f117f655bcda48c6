import FakeProviders
import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

/// `linear.<team>` registration against the fake GraphQL API, as the registrar runs it.
@Suite struct LinearRegistrationTests {
    let url = "https://hooks.acme.example/sources/linear.ENG"

    func simulator(_ server: FakeProviderServer, _ base: String, key: String? = nil) -> RegistrarSimulator<NamedSourceParams> {
        let linear = LinearIntegration(
            configuration: LinearConfiguration(apiKey: key ?? server.linear.apiKey, apiBase: base, retryPolicy: testRetryPolicy))
        return RegistrarSimulator(source: linear.source, params: NamedSourceParams(name: "ENG"), url: url)
    }

    func ours(_ server: FakeProviderServer) -> [FakeLinearAPI.Webhook] { server.linear.webhooks.filter { $0.url == url } }

    func mutations(_ server: FakeProviderServer) -> [FakeRequestRecord] {
        server.linear.requests.filter {
            $0.path.hasPrefix("/graphql#webhookCreate") || $0.path.hasPrefix("/graphql#webhookUpdate")
                || $0.path.hasPrefix("/graphql#webhookDelete")
        }
    }

    /// Whether a delivery signed as Linear signs it verifies with the secret we hold.
    func verifies(_ hook: FakeLinearAPI.Webhook, heldSecret: String?) async throws -> Bool {
        let body = Array(#"{"action":"create","type":"Issue","data":{"id":"i1"},"webhookTimestamp":\#(unixNow * 1000)}"#.utf8)
        let result = try await deliver(
            LinearIntegration().source, name: "ENG", secret: heldSecret,
            headers: [
                (LinearSignature.signatureHeader, LinearSignature.header(body: body, secret: hook.secret)), ("Linear-Delivery", "d1"),
            ],
            body: body)
        return result.events.map(\.id) == ["d1"]
    }

    @Test func firstRegistrationCreatesOneWebhookWithOurSecret() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base)
            try await sim.register(["Issue", "Comment"])
            let hooks = ours(server)
            #expect(hooks.count == 1)
            let hook = try #require(hooks.first)
            #expect(hook.teamId == server.linear.teams["ENG"] && hook.resourceTypes == ["Comment", "Issue"] && hook.enabled)
            #expect(sim.secret == hook.secret && sim.secret?.count == 64, "our generated secret is the webhook's")
            #expect(sim.data["id"]?.stringValue == hook.id && sim.data["teamId"]?.stringValue == hook.teamId)
            #expect(try await verifies(hook, heldSecret: sim.secret))
            let tasks = await (sim.lastIO!.store as! InMemoryTaskStore).tasks(runId: sim.lastIO!.runId)
            #expect(!tasks.contains { $0.output?.jsonString.contains(hook.secret) == true }, "no task output holds the secret")
        }
    }

    @Test func whenLinearMakesItsOwnSecretWeHoldThatOne() async throws {
        try await withFakeProviders { server, base in
            server.linear.setAcceptsSecret(false)
            var sim = simulator(server, base)
            try await sim.register(["Issue"])
            let hook = try #require(ours(server).first)
            #expect(hook.secret.hasPrefix("lin_wh_") && sim.secret == hook.secret)
            #expect(try await verifies(hook, heldSecret: sim.secret))
        }
    }

    @Test func aNewJobUpdatesTheSameWebhookAndSettledMakesNoCall() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base)
            try await sim.register(["Issue"])
            let first = try #require(ours(server).first)
            try await sim.register(["Issue", "Project"])
            #expect(ours(server).map(\.id) == [first.id])
            #expect(ours(server).first?.resourceTypes == ["Issue", "Project"] && ours(server).first?.secret == sim.secret)

            let before = mutations(server).count
            #expect(try await sim.register(["Issue", "Project"]) == .unchanged)
            #expect(mutations(server).count == before)

            try await sim.register([])
            #expect(ours(server).isEmpty && sim.secret == nil)
        }
    }

    @Test func aWebhookDeletedOrDisabledBehindOurBackIsRepaired() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base)
            try await sim.register(["Issue"])
            let first = try #require(ours(server).first)
            server.linear.modify(id: first.id) { $0.enabled = false }
            try await sim.register(["Issue"])
            #expect(ours(server).first?.enabled == true && ours(server).first?.id == first.id)

            server.linear.remove(id: first.id)
            try await sim.register(["Issue"])
            let again = try #require(ours(server).first)
            #expect(ours(server).count == 1 && again.id != first.id && sim.secret == again.secret)
        }
    }

    @Test func strangersAtOurURLAreReplacedAndEveryPageIsListed() async throws {
        try await withFakeProviders { server, base in
            for i in 0..<120 { server.linear.seed(url: "https://tenant\(i).example/linear") }
            // Two at our URL on the last page, made by hand: one is kept with a new secret, the other deleted.
            let stranger = server.linear.seed(url: url)
            server.linear.seed(url: url)
            var sim = simulator(server, base)
            try await sim.register(["Issue"])
            let hooks = ours(server)
            #expect(hooks.count == 1 && hooks[0].id == stranger.id)
            #expect(hooks[0].secret != stranger.secret && hooks[0].secret == sim.secret)
            #expect(server.linear.webhooks.count == 121)
            #expect(server.linear.requests.filter { $0.path == "/graphql#webhooks" }.count == 3, "three pages of at most 50")
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedAndALostCreateIsNotDuplicated() async throws {
        try await withFakeProviders { server, base in
            server.linear.inject(
                FakeFailure(status: 429, retryAfter: "0", method: "webhooks"), FakeFailure(status: 500, method: "webhooks"),
                FakeFailure(status: 429, retryAfter: "0", method: "webhookCreate"),
                FakeFailure(status: 502, method: "webhookCreate", afterProcessing: true))
            var sim = simulator(server, base)
            try await sim.register(["Issue"])
            #expect(server.linear.requests.filter { $0.path == "/graphql#webhookCreate" }.map(\.status) == [429, 502])
            let hooks = ours(server)
            #expect(hooks.count == 1, "the lost create was found by listing again, not repeated")
            #expect(sim.secret == hooks.first?.secret, "the found webhook got a secret we hold")
        }
    }

    @Test func persistentFailuresAndGraphQLErrorsSurface() async throws {
        try await withFakeProviders { server, base in
            var wrong = simulator(server, base, key: "wrong")
            let denied = await #expect(throws: TaskFailedError.self) { try await wrong.register(["Issue"]) }
            let api = try #require(denied?.underlying as? ProviderAPIError)
            #expect(api.status == 401 && api.message == "Authentication required, not authenticated")

            var unknownTeam = RegistrarSimulator(
                source: LinearIntegration(
                    configuration: LinearConfiguration(apiKey: server.linear.apiKey, apiBase: base, retryPolicy: testRetryPolicy)
                ).source, params: NamedSourceParams(name: "OPS"), url: url)
            let noTeam = await #expect(throws: TaskFailedError.self) { try await unknownTeam.register(["Issue"]) }
            #expect((noTeam?.underlying as? ProviderAPIError)?.message == "no team has the key OPS")
            #expect(server.linear.webhooks.isEmpty)
        }
    }
}
