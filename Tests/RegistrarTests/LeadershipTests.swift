import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing
import Tributary

/// Two `registrar` processes on one broker: one leads; when it is killed (SIGKILL, so it never leaves
/// the group) the other takes over within 30 s, and no endpoint is duplicated.
@Suite(.serialized, .tags(.processes), .notInFastRun) struct LeadershipTests {
    /// The admin port a child logged (`admin server listening … port=N`).
    func adminPort(_ child: ChildProcess) -> Int? {
        for line in child.lines where line.contains("admin server listening") {
            guard let range = line.range(of: "port=") else { continue }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }

    /// Whether a child's `/metrics` says it leads (nil when it does not answer).
    func leads(_ port: Int) async -> Bool? {
        guard
            let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(2)),
            let body = try? await response.body.collect(upTo: 1 << 20)
        else { return nil }
        return leaderGauge(String(buffer: body)) == 1
    }

    @Test func oneLeadsAndAnotherTakesOverWithin30sOfAKill() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-price", events: ["price.created"])
            let executable = productURL("registrar")
            let a = try ChildProcess(executable, environment: h.childEnvironment(), errors: .merged)
            let b = try ChildProcess(executable, environment: h.childEnvironment(), errors: .merged)
            defer { a.kill(); b.kill() }
            var ports: [Int] = []
            try await eventually("both admin servers listen", timeout: .seconds(60)) {
                ports = [a, b].compactMap(adminPort)
                return ports.count == 2
            }
            try await eventually("the source is registered") { try await h.state("stripe.webhook")?.active == true }

            // Exactly one leads.
            var leaders: [Bool] = []
            var answers: [Bool?] = []
            do {
                try await eventually("one registrar leads, the other stands by") {
                    answers = []
                    for port in ports { answers.append(await leads(port)) }
                    leaders = answers.map { $0 ?? false }
                    return leaders.filter { $0 }.count == 1
                }
            } catch {
                Issue.record(
                    "admin ports \(ports) answered \(answers); output:\n\(a.lines.suffix(15).joined(separator: "\n"))\n---\n\(b.lines.suffix(15).joined(separator: "\n"))"
                )
                throw error
            }
            let (leader, follower) = leaders[0] ? (a, b) : (b, a)
            let followerPort = leaders[0] ? ports[1] : ports[0]

            // Whether or not the follower is in the group yet, it must lead within 30 s of the kill.
            leader.kill()
            let killedAt = ContinuousClock.now
            try await h.declare(job: "on-invoice", events: ["invoice.paid"])
            try await eventually("the other registrar registers the new event", timeout: .seconds(30)) {
                h.fakes.stripe.endpoints.first?.enabledEvents.sorted() == ["invoice.paid", "price.created"]
            }
            let takeover = ContinuousClock.now - killedAt
            print("leadership taken over \(takeover) after the kill")
            #expect(takeover < .seconds(30))
            #expect(await leads(followerPort) == true)
            #expect(h.fakes.stripe.endpoints.count == 1)
            // One create. A term that loses the partition between the create and its task record hands the
            // run to its successor, which repeats the call with the same idempotency key: Stripe replays the
            // answer, so a second POST under the same key is not a second endpoint.
            let creates = h.fakes.stripe.requests.filter { $0.method == "POST" && $0.path == "/v1/webhook_endpoints" }
            let createKeys = Set(creates.map { $0.idempotencyKey ?? "none" })
            #expect(createKeys.count == 1 && !createKeys.contains("none"), "creates: \(creates)")
            let state = try #require(try await h.state("stripe.webhook"))
            #expect(state.secret == h.fakes.stripe.endpoints.first?.secret)
            // SIGTERM: graceful shutdown (the leader stops, leaves the group, the producer flushes), exit 0.
            #expect(follower.terminate() == 0)
        }
    }
}
