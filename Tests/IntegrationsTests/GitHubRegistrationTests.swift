import FakeProviders
import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct GitHubRegistrationTests {
    let url = "https://hooks.acme.example/sources/acme/web"
    let target = GitHubHookOwner.repository(owner: "acme", name: "web")

    func simulator(_ base: String, target: GitHubHookOwner? = nil, token: String = "ghp_fake") -> RegistrarSimulator<GitHubSourceParams> {
        let github = GitHubIntegration(configuration: GitHubConfiguration(token: token, apiBase: base, retryPolicy: testRetryPolicy))
        return RegistrarSimulator(source: github.source, params: GitHubSourceParams(target ?? self.target), url: url)
    }

    func creates(_ fake: FakeGitHubAPI) -> Int { fake.requests.filter { $0.method == "POST" }.count }

    @Test func firstRegistrationCreatesAJSONHookWithOurGeneratedSecret() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            #expect(sim.key == "acme/web")
            try await sim.register(["push", "pull_request"])
            let hooks = server.github.hooks
            #expect(hooks.count == 1)
            #expect(hooks[0].owner == "repos/acme/web" && hooks[0].url == url && hooks[0].contentType == "json")
            #expect(hooks[0].events.sorted() == ["pull_request", "push"])
            let secret = try #require(sim.secret)
            #expect(hooks[0].secret == secret)
            #expect(secret.count == 64 && Hex.decode(secret)?.count == 32)
            #expect(sim.data["id"]?.numberValue == Double(hooks[0].id))
        }
    }

    @Test func organizationHooksUseTheOrgKeyAndPath() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base, target: .organization("acme"))
            #expect(sim.key == "acme")
            try await sim.register(["release"])
            #expect(server.github.hooks.map(\.owner) == ["orgs/acme"])
        }
    }

    @Test func addingAndRemovingEventsPatchesTheSameHook() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["push"])
            let id = server.github.hooks[0].id
            let secret = sim.secret
            try await sim.register(["push", "issues"])
            #expect(server.github.hooks.map(\.id) == [id])
            #expect(server.github.hooks[0].events.sorted() == ["issues", "push"])
            #expect(sim.secret == secret && server.github.hooks[0].secret == secret)
            try await sim.register(["issues"])
            #expect(server.github.hooks[0].events == ["issues"])
            let mutationsBefore = server.github.requests.filter { $0.method != "GET" }.count
            #expect(try await sim.register(["issues"]) == .unchanged)
            #expect(server.github.requests.filter { $0.method != "GET" }.count == mutationsBefore)
            try await sim.register([])
            #expect(server.github.hooks.isEmpty)
            #expect(creates(server.github) == 1)
        }
    }

    @Test func hookDeletedBehindOurBackIsRecreated() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["push"])
            let old = server.github.hooks[0]
            server.github.remove(id: old.id)
            try await sim.register(["push"])
            let hooks = server.github.hooks
            #expect(hooks.count == 1 && hooks[0].id != old.id)
            #expect(hooks[0].secret == sim.secret)
        }
    }

    @Test func hookWhoseSecretWeLostGetsANewSecretNotASecondHook() async throws {
        try await withFakeProviders { server, base in
            let existing = server.github.seed(owner: "repos/acme/web", url: url, events: ["push"], secret: "someone-elses")
            server.github.seed(owner: "repos/acme/web", url: "https://ci.acme.example/hook")
            var sim = simulator(base)
            try await sim.register(["push", "release"])
            let ours = server.github.hooks.filter { $0.url == url }
            #expect(ours.count == 1 && ours[0].id == existing.id)
            #expect(ours[0].secret == sim.secret && sim.secret != "someone-elses")
            #expect(ours[0].events.sorted() == ["push", "release"])
            #expect(creates(server.github) == 0)
            #expect(server.github.hooks.count == 2)
        }
    }

    @Test func moreThan100HooksArePagedThroughByLinkHeader() async throws {
        try await withFakeProviders { server, base in
            for i in 0..<130 { server.github.seed(owner: "repos/acme/web", url: "https://tenant\(i).example/hook") }
            let existing = server.github.seed(owner: "repos/acme/web", url: url, events: ["push"])  // on page 2
            var sim = simulator(base)
            try await sim.register(["push"])
            #expect(creates(server.github) == 0)
            #expect(server.github.hooks.filter { $0.url == url }.map(\.id) == [existing.id])
            #expect(server.github.requests.filter { $0.method == "GET" && $0.path == "/repos/acme/web/hooks" }.count == 2)
        }
    }

    @Test func aLostCreateAnswerDoesNotMakeASecondHook() async throws {
        try await withFakeProviders { server, base in
            server.github.inject(FakeFailure(status: 502, method: "POST", afterProcessing: true))
            var sim = simulator(base)
            try await sim.register(["push"])
            let hooks = server.github.hooks
            #expect(hooks.count == 1)
            #expect(hooks[0].secret == sim.secret, "the hook found again got the secret we hold")
        }
    }

    @Test func rateLimitsAreRetried() async throws {
        try await withFakeProviders { server, base in
            server.github.inject(FakeFailure(status: 429, retryAfter: "0"), FakeFailure(status: 500, method: "GET"))
            var sim = simulator(base)
            try await sim.register(["star"])
            #expect(server.github.hooks.count == 1)
            #expect(server.github.requests.prefix(2).map(\.status) == [429, 500])
        }
    }

    @Test func badCredentialsSurfaceGitHubsMessage() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base, token: "ghp_wrong")
            let error = await #expect(throws: TaskFailedError.self) { try await sim.register(["push"]) }
            let api = try #require(error?.underlying as? ProviderAPIError)
            #expect(api.status == 401 && api.message == "Bad credentials")
        }
    }
}
