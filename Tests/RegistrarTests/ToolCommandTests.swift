import Foundation
import TributaryKafka
import Testing
import Tributary

/// `tributary sources set-secret`, `clear-secret` and `reregister` as a user runs them (the built
/// executable), against a registrar in this process.
@Suite(.serialized) struct ToolCommandTests {
    /// Runs `tributary sources <arguments>` against the harness's cluster and waits for it to exit.
    func tool(
        _ h: RegistrarHarness, _ arguments: [String], command: String = "sources", secretKey: String? = nil, user: String = "ana",
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: [String], errors: [String]) {
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_BROKERS"] = h.cluster.bootstrapServers
        environment["TRIBUTARY_TOPIC_PREFIX"] = RegistrarHarness.prefix
        environment["TRIBUTARY_SECRET_KEY"] = secretKey ?? h.secretKey
        environment["TRIBUTARY_USER"] = user
        let child = try ChildProcess(productURL("tributary"), [command] + arguments, environment: environment)
        try await eventually("tributary sources \(arguments.joined(separator: " ")) exits", timeout: timeout) { !child.isRunning }
        // Its last lines may still be on their way through the pipes.
        try? await eventually("its output is read", timeout: .seconds(2)) { !(child.lines + child.errorLines).isEmpty }
        return (child.exitCode, child.lines, child.errorLines)
    }

    @Test func setSecretClearSecretAndReregisterAreAnsweredByTheLeader() async throws {
        try await RegistrarHarness.with { h in
            let resend = TriggerSource(
                channel: .http, id: "standardwebhooks", version: "1", key: "webhooks.resend", params: ["name": "resend"])
            try await h.declare(job: "on-email", events: ["email.sent"], source: resend, eventSource: "resend")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(credentials: false))
            try await eventually("the source is active") { try await h.state("webhooks.resend")?.active == true }

            let set = try await tool(h, ["set-secret", "webhooks.resend", "whsec_dG9vbA=="])
            #expect(set.status == 0, "\(set.errors)")
            #expect(set.output == ["secret set for webhooks.resend"])
            #expect(try await h.state("webhooks.resend")?.secret == "whsec_dG9vbA==")
            // On the commands topic the secret is sealed, never in the clear.
            let commands = try await h.records(h.topics.commands.name)
            #expect(!commands.contains { String(decoding: $0.value ?? [], as: UTF8.self).contains("whsec_dG9vbA==") })
            guard case .command(let sent)? = commands.first.flatMap({ try? CommandTopicRecord(record: WireRecord($0)) }) else {
                Issue.record("no command on the topic")
                return
            }
            #expect(sent.kind == .setSecret)
            #expect(sent.issuedBy.hasPrefix("ana@"))

            let reregister = try await tool(h, ["reregister", "webhooks.resend"])
            #expect(reregister.status == 0, "\(reregister.errors)")
            #expect(reregister.output.first?.contains("webhooks.resend") == true)

            let clear = try await tool(h, ["clear-secret", "webhooks.resend"], user: "bo")
            #expect(clear.status == 0, "\(clear.errors)")
            #expect(clear.output == ["secret cleared for webhooks.resend"])
            #expect(try await h.state("webhooks.resend")?.secret == nil)

            // A refusal is an error naming why.
            let refused = try await tool(h, ["clear-secret", "webhooks.nobody"])
            #expect(refused.status != 0)
            #expect(refused.errors.joined().contains("there is no source webhooks.nobody"), "\(refused.errors)")

            // `tributary audit` lists each, with who asked and how it ended; `--json` holds no secret.
            // Each entry follows its command's result in the same transaction: the last may trail it a little.
            try await eventually("the last command is audited") { try await h.records(h.topics.audit.name).count == 4 }
            let audit = try await tool(h, [], command: "audit")
            #expect(audit.status == 0, "\(audit.errors)")
            let rows = audit.output.dropFirst()
            #expect(rows.count == 4, "\(audit.output)")
            #expect(audit.output.first?.hasPrefix("WHEN") == true)
            let expected = [
                ("ana@", "set-secret", "webhooks.resend", "ok"), ("ana@", "re-register", "webhooks.resend", "ok"),
                ("bo@", "clear-secret", "webhooks.resend", "ok"), ("ana@", "clear-secret", "webhooks.nobody", "refused"),
            ]
            for (row, (who, action, target, outcome)) in zip(rows, expected) {
                let cells = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                #expect(
                    cells.count > 4 && cells[1].hasPrefix(who) && cells[2] == action && cells[3] == target && cells[4] == outcome, "\(row)")
            }
            let json = try await tool(h, ["--json", "--target", "webhooks.resend"], command: "audit")
            #expect(json.output.count == 3, "\(json.output)")
            #expect(!json.output.joined().contains("whsec_dG9vbA=="))
            let byBo = try await tool(h, ["--actor", "bo@"], command: "audit")
            #expect(byBo.output.count == 2, "\(byBo.output)")
            await registrar.stop()
        }
    }

    @Test func setSecretWithAnotherKeyIsRefusedBeforeAnythingIsSent() async throws {
        try await RegistrarHarness.with { h in
            try await h.write(
                SourceState(
                    key: "webhooks.resend", sourceId: "standardwebhooks", params: ["name": "resend"], active: true, secret: "whsec_old"))
            let otherKey = SecretSealer.generateKey()
            let refused = try await tool(h, ["set-secret", "webhooks.resend", "whsec_new"], secretKey: otherKey)
            #expect(refused.status != 0)
            #expect(refused.errors.joined().contains("TRIBUTARY_SECRET_KEY"), "\(refused.errors)")
            #expect(refused.errors.joined().contains("Nothing was changed"))
            #expect(try await h.records(h.topics.commands.name).isEmpty)
            #expect(try await h.state("webhooks.resend")?.secret == "whsec_old")
        }
    }

    @Test func withoutARegistrarTheToolSaysNoLeaderAnsweredWithinFiveSeconds() async throws {
        try await RegistrarHarness.with { h in
            let started = ContinuousClock.now
            let unanswered = try await tool(h, ["set-secret", "webhooks.resend", "whsec_x"])
            let elapsed = ContinuousClock.now - started
            #expect(unanswered.status != 0)
            #expect(unanswered.errors.joined().contains("no registrar leader answered within 5"), "\(unanswered.errors)")
            #expect(elapsed >= .seconds(5))
            #expect(elapsed < .seconds(30))
            // The command waits on the topic for the next leader, and the audit trail says nobody answered it yet.
            #expect(try await h.commandRecords().count == 1)
            let audit = try await tool(h, ["--json"], command: "audit")
            let entries = audit.output.compactMap { try? AuditRecord(record: WireRecord(key: nil, value: Array($0.utf8))) }
            #expect(entries.map(\.outcome) == [.unanswered], "\(audit.output) \(audit.errors)")
            #expect(entries.first?.action == "set-secret" && entries.first?.actor.hasPrefix("ana@") == true)
        }
    }
}
