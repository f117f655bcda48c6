import AsyncHTTPClient
import FakeProviders
import Foundation
import NIOHTTP1
import TestSupport
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct ProviderClientTests {
    @Test func configurationsComeFromTheEnvironmentAndNameTheMissingVariable() throws {
        let stripe = try StripeConfiguration.fromEnvironment(["STRIPE_API_KEY": "sk_test_1", "STRIPE_API_BASE": "http://127.0.0.1:9/"])
        #expect(stripe.apiKey == "sk_test_1" && stripe.apiBase == "http://127.0.0.1:9")
        #expect(try StripeConfiguration.fromEnvironment(["STRIPE_API_KEY": "k"]).apiBase == "https://api.stripe.com")
        #expect(throws: ConfigurationError.self) { try StripeConfiguration.fromEnvironment([:]) }
        do { _ = try StripeConfiguration.fromEnvironment([:]) } catch { #expect(error.description.contains("STRIPE_API_KEY")) }
        do { _ = try StripeConfiguration.fromEnvironment(["STRIPE_API_KEY": "k", "STRIPE_API_BASE": "ftp://x"]) } catch {
            #expect(error.variable == "STRIPE_API_BASE")
        }
        #expect(try GitHubConfiguration.fromEnvironment(["GITHUB_TOKEN": "t"]).apiBase == "https://api.github.com")
        do { _ = try GitHubConfiguration.fromEnvironment(["GITHUB_TOKEN": ""]) } catch { #expect(error.variable == "GITHUB_TOKEN") }
    }

    @Test func retryAfterIsReadAsSecondsOrDate() {
        var headers = HTTPHeaders()
        headers.add(name: "Retry-After", value: "2")
        #expect(ProviderHTTP.retryAfter(headers) == .seconds(2))
        #expect(RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1)).delay(afterAttempt: 1, retryAfter: .seconds(2)) == .seconds(2))
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(400))
        for attempt in 1...6 { #expect(policy.delay(afterAttempt: attempt, retryAfter: nil) <= .milliseconds(400)) }
    }

    @Test func linkHeadersAreFollowed() {
        let header =
            #"<https://api.github.com/repositories/1/hooks?page=2>; rel="next", <https://api.github.com/repositories/1/hooks?page=5>; rel="last""#
        #expect(GitHubClient.nextLink(header) == "https://api.github.com/repositories/1/hooks?page=2")
        #expect(GitHubClient.nextLink(#"<https://x/hooks?page=1>; rel="prev""#) == nil)
    }

    @Test func stripeListsEveryPageAndSendsBearerAuth() async throws {
        try await withFakeProviders { server, base in
            for i in 0..<250 { server.stripe.seed(url: "https://t\(i).example") }
            let all = try await stripeClient(base).allWebhookEndpoints()
            #expect(all.count == 250 && Set(all.map(\.id)).count == 250)
            #expect(server.stripe.requests.count == 3)
        }
    }

    @Test func githubListsEveryPageButSendsItsTokenOnlyToItsAPI() async throws {
        try await withFakeProviders { server, base in
            for i in 0..<205 { server.github.seed(owner: "orgs/acme", url: "https://t\(i).example") }
            let all = try await githubClient(base).allHooks(of: .organization("acme"))
            #expect(all.count == 205)
            #expect(server.github.requests.count == 3)
            server.github.setBaseURL("http://127.0.0.2:9")
            let error = await #expect(throws: ProviderAPIError.self) { try await githubClient(base).allHooks(of: .organization("acme")) }
            #expect(error?.message.contains("refusing") == true)
        }
    }

    @Test func retriesGiveUpAfterTheLastAttempt() async throws {
        try await withFakeProviders { server, base in
            for _ in 0..<4 { server.stripe.inject(FakeFailure(status: 500)) }
            let error = await #expect(throws: ProviderAPIError.self) { try await stripeClient(base).listWebhookEndpoints() }
            #expect(error?.status == 500)
            #expect(server.stripe.requests.count == testRetryPolicy.maxAttempts)
        }
    }

    @Test func aRetryAfterBeyondTheLimitIsNotWaitedFor() async throws {
        try await withFakeProviders { server, base in
            server.stripe.inject(FakeFailure(status: 429, retryAfter: "3600"))
            let error = await #expect(throws: ProviderAPIError.self) { try await stripeClient(base).listWebhookEndpoints() }
            #expect(error?.status == 429 && server.stripe.requests.count == 1)
        }
    }

    @Test func anUnreachableAPIIsATransportError() async throws {
        let client = StripeClient(
            configuration: StripeConfiguration(
                apiKey: "k", apiBase: "http://127.0.0.1:1", retryPolicy: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1)),
                requestTimeout: .milliseconds(300)))
        let error = await #expect(throws: ProviderAPIError.self) { try await client.listWebhookEndpoints() }
        #expect(error?.status == nil && error?.isTransient == true)
        #expect(error?.operation == "GET /v1/webhook_endpoints")
    }
}

@Suite(.tags(.processes), .notInFastRun) struct FakeProvidersProcessTests {
    /// The `fake-providers` executable built beside the test binary.
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(
            "fake-providers")
    }

    @Test func servesBothFakesAndPrintsItsBaseURLFirst() async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0", "--stripe-key", "sk_test_proc"]
        let stdout = Pipe()
        process.standardOutput = stdout
        try launch(process)
        defer { process.terminate(); process.waitUntilExit() }
        let lines = AsyncStream<String> { continuation in
            Thread.detachNewThread {
                var buffer = Data()
                while true {
                    let chunk = stdout.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    buffer += chunk
                    if let newline = buffer.firstIndex(of: 0x0a) {
                        continuation.yield(String(decoding: buffer[..<newline], as: UTF8.self))
                        break
                    }
                }
                continuation.finish()
            }
        }
        let base = try await firstValue(of: lines, within: .seconds(20), what: "fake-providers to print its base URL")
        #expect(base.hasPrefix("http://127.0.0.1:"))
        let client = StripeClient(configuration: StripeConfiguration(apiKey: "sk_test_proc", apiBase: base, retryPolicy: testRetryPolicy))
        let created = try await client.createWebhookEndpoint(
            url: "https://x.example/hook", enabledEvents: ["price.created"], connect: false, idempotencyKey: "k1")
        #expect(created.secret?.hasPrefix("whsec_") == true)
        #expect(try await client.allWebhookEndpoints().map(\.id) == [created.id])
        let hooks = try await GitHubClient(
            configuration: GitHubConfiguration(token: "ghp_fake", apiBase: base, retryPolicy: testRetryPolicy)
        ).allHooks(of: .organization("acme"))
        #expect(hooks.isEmpty)
    }
}
