import Foundation
import ServiceSupport
import Testing
import Tributary

/// The audit entries the registrar's leader writes on `<p>.audit`, one per command it applies, in the
/// transaction of the command's result; never holding a secret, sealed or not.
@Suite(.serialized) struct AuditTrailTests {
    static let resend = TriggerSource(
        channel: .http, id: "standardwebhooks", version: "1", key: "webhooks.resend", params: ["name": "resend"])

    @Test func everyCommandTheLeaderAppliesIsAuditedWithoutItsSecret() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-email", events: ["email.sent"], source: Self.resend, eventSource: "resend")
            var configuration = h.configuration()
            configuration.instanceName = "registrar@audit"
            let registrar = try await h.start(configuration, catalog: h.catalog(credentials: false))
            try await eventually("the source is active") { try await h.state("webhooks.resend")?.active == true }

            let secret = "whsec_" + Data(repeating: 9, count: 24).base64EncodedString()
            let set = try h.setSecret("webhooks.resend", secret)
            let sealed = try #require(set.sealedSecret)
            let commands = [
                set,
                CommandRecord.reregister(source: "webhooks.resend", issuedBy: "ana@laptop"),
                CommandRecord.clearSecret(source: "webhooks.nobody", issuedBy: "ana@laptop"),  // refused
                CommandRecord.rotateKeys(expectingKeyId: h.sealer.currentKeyId, issuedBy: "ana@laptop"),
                CommandRecord.clearSecret(source: "webhooks.resend", issuedBy: "bo@desk"),
            ]
            var results: [CommandResult] = []
            for command in commands { results.append(try await h.command(command)) }
            #expect(results.map(\.ok) == [true, true, false, true, true], "\(results.map(\.message))")

            // Each entry follows its result in the same transaction: wait for the last one.
            try await eventually("every command is audited") { try await h.records(h.topics.audit.name).count >= commands.count }
            let records = try await h.records(h.topics.audit.name)
            let entries = try records.map { try AuditRecord(record: WireRecord($0)) }
            #expect(entries.map(\.commandId) == commands.map(\.id))
            #expect(entries.map(\.action) == ["set-secret", "re-register", "clear-secret", "rotate-keys", "clear-secret"])
            #expect(entries.map(\.actor) == ["test@harness", "ana@laptop", "ana@laptop", "ana@laptop", "bo@desk"])
            #expect(entries.map(\.outcome) == [.ok, .ok, .refused, .ok, .ok])
            #expect(entries.map(\.target) == ["webhooks.resend", "webhooks.resend", "webhooks.nobody", "*", "webhooks.resend"])
            #expect(entries.map(\.message) == results.map(\.message))
            #expect(entries.allSatisfy { $0.appliedBy == "registrar@audit" })
            #expect(entries[3].details?["keyId"]?.stringValue == h.sealer.currentKeyId)
            // No entry holds the secret, its sealed form, or any part of a key.
            for record in records {
                let text = String(decoding: record.value ?? [], as: UTF8.self)
                #expect(!text.contains(secret) && !text.contains(sealed) && !text.contains(h.secretKey), "\(text)")
                #expect(!text.contains("sealedSecret"))
            }
            await registrar.stop()
        }
    }
}
