import FakeProviders
import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Testing
import Tributary
import TributaryRegistrar

/// Commands on `<p>.commands` that the registrar's leader applies (set-secret, clear-secret,
/// re-register), its transactional writes, and failover, against the embedded broker and the fakes.
@Suite(.serialized) struct SourceCommandTests {
    static let resend = TriggerSource(
        channel: .http, id: "standardwebhooks", version: "1", key: "webhooks.resend", params: ["name": "resend"])

    func configuration(_ h: RegistrarHarness, name: String) -> RegistrarConfiguration {
        var configuration = h.configuration()
        configuration.instanceName = name
        return configuration
    }

    @Test func fiftySetSecretsInterleavedWithFiftyDeclarationsAcrossAFailoverLoseNothing() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-email", events: ["email.sent"], source: Self.resend, eventSource: "resend")
            let first = try await h.start(configuration(h, name: "first"), catalog: h.catalog(), name: "first")
            try await eventually("the first registrar leads") { first.isLeader }
            let second = try await h.start(configuration(h, name: "second"), catalog: h.catalog(), name: "second")
            let client = try h.commandClient()
            var commands: [CommandRecord] = []
            var resendEvents: Set<String> = ["email.sent"]
            var stripeEvents: Set<String> = []
            var failover: Task<Void, Never>?
            // The second registrar joining the group may itself take leadership (the group's assignor
            // decides): whichever leads at the 25th command is the one stopped.
            var survivor = second
            for index in 0..<50 {
                if index == 25 {
                    // A registrar has answered commands; now the leader stops while the traffic goes on.
                    try await eventually("a registrar answered a command") { try await h.results()[commands[0].id] != nil }
                    try await eventually("one registrar leads") { first.isLeader || second.isLeader }
                    let leader = first.isLeader ? first : second
                    survivor = first.isLeader ? second : first
                    failover = Task { await leader.stop() }
                }
                if index == 40 { await failover?.value }  // the last ten can only be answered by the survivor
                if index.isMultiple(of: 2) {
                    try await h.declare(job: "email-\(index)", events: ["email.e\(index)"], source: Self.resend, eventSource: "resend")
                    resendEvents.insert("email.e\(index)")
                } else {
                    try await h.declare(job: "charge-\(index)", events: ["charge.e\(index)"])
                    stripeEvents.insert("charge.e\(index)")
                }
                let command = try h.setSecret("webhooks.resend", "whsec_\(index)")
                try await client.publish(command)
                commands.append(command)
            }
            await client.shutdown()

            try await eventually("every command is answered", timeout: .seconds(90)) {
                let results = try await h.results()
                return commands.allSatisfy { results[$0.id] != nil }
            }
            let results = try await h.results()
            for command in commands {
                #expect(results[command.id]?.allSatisfy(\.ok) == true, "\(command.id): \(results[command.id] ?? [])")
            }
            #expect(Set(results.values.flatMap { $0.map(\.by) }) == ["first", "second"])
            try await eventually("every declared event is registered", timeout: .seconds(60)) {
                let resend = try await h.state("webhooks.resend")?.registered["event"].map(Set.init)
                let stripe = try await h.state("stripe.webhook")?.registered["event"].map(Set.init)
                return resend == resendEvents && stripe == stripeEvents
            }
            let state = try #require(try await h.state("webhooks.resend"))
            #expect(state.secret == "whsec_49")
            #expect(state.active)
            // No write ever went back to an older secret (a lost update would).
            let secrets = try await h.history("webhooks.resend").compactMap { $0.secret.flatMap { Int($0.dropFirst("whsec_".count)) } }
            #expect(secrets == secrets.sorted())
            #expect(h.fakes.stripe.endpoints.count == 1)
            #expect(Set(h.fakes.stripe.endpoints.first?.enabledEvents ?? []) == stripeEvents)
            #expect(try await h.state("stripe.webhook")?.secret == h.fakes.stripe.endpoints.first?.secret)
            #expect(survivor.isLeader)
            await survivor.stop()
        }
    }

    @Test func setSecretIsRefusedChangingNothingWhenTheKeyCannotUnsealTheCommandOrTheState() async throws {
        try await RegistrarHarness.with { h in
            let other = try SecretSealer(base64Key: SecretSealer.generateKey())
            let foreign = SourceState(
                key: "webhooks.foreign", sourceId: "standardwebhooks", params: ["name": "foreign"], active: true, secret: "whsec_old")
            try await h.write(foreign, sealer: other)
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(credentials: false))
            try await eventually("the registrar leads") { registrar.isLeader }

            // The sender's TRIBUTARY_SECRET_KEY is not the registrar's: its sealed secret does not unseal.
            let wrongKey = try await h.command(h.setSecret("webhooks.resend", "whsec_wrong", sealer: other))
            #expect(!wrongKey.ok)
            #expect(wrongKey.message.contains("TRIBUTARY_SECRET_KEY"), "\(wrongKey.message)")
            #expect(wrongKey.message.contains("nothing was changed"))
            #expect(try await h.state("webhooks.resend") == nil)

            // The existing state does not unseal with the registrar's key: it is left as it is.
            let unreadable = try await h.command(h.setSecret("webhooks.foreign", "whsec_new"))
            #expect(!unreadable.ok)
            #expect(unreadable.message.contains("TRIBUTARY_SECRET_KEY"), "\(unreadable.message)")
            let records = try await h.records(h.topics.sources.name).filter { $0.keyString == "webhooks.foreign" }
            #expect(records.count == 1)
            #expect(try SourceState(record: WireRecord(records[0]), sealer: other).secret == "whsec_old")

            // With the right key the source is set at once: nothing was left behind by the refusal.
            let right = try await h.command(h.setSecret("webhooks.resend", "whsec_right"))
            #expect(right.ok, "\(right.message)")
            let state = try #require(try await h.state("webhooks.resend"))
            #expect(state.secret == "whsec_right")
            #expect(state.sourceId == "standardwebhooks")
            #expect(registrar.metricsText.contains(#"tributary_registrar_commands_total{kind="set-secret",outcome="refused"} 2"#))
            await registrar.stop()
        }
    }

    @Test func aCommandOfAnUnknownKindGetsNoResultAndBreaksNothing() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-email", events: ["email.sent"], source: Self.resend, eventSource: "resend")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(credentials: false))
            try await eventually("the source is active") { try await h.state("webhooks.resend")?.active == true }

            // A runner's command (job id target) and an unknown kind on a source key, then an unreadable record.
            let rewind = CommandRecord(
                kind: "rewind", target: "on-email", arguments: ["to": "2026-01-01T00:00:00Z"], issuedBy: "test@harness")
            let unknown = CommandRecord(kind: "frobnicate", target: "webhooks.resend", issuedBy: "test@harness")
            let client = try h.commandClient()
            try await client.publish(rewind)
            try await client.publish(unknown)
            try await client.publish(h.setSecret("webhooks.resend", "whsec_before"))
            await client.shutdown()
            try await h.send(KafkaProducerMessage(topic: h.topics.commands.name, key: "webhooks.resend", value: Array("not json".utf8)))

            // Commands apply in order: once a later one is answered, the earlier ones were passed over.
            let after = try await h.command(h.setSecret("webhooks.resend", "whsec_after"))
            #expect(after.ok, "\(after.message)")
            var results = try await h.results()
            #expect(results[rewind.id] == nil)
            #expect(results[unknown.id] == nil)
            #expect(try await h.state("webhooks.resend")?.secret == "whsec_after")

            // A new leader reads the topic from the beginning: still no answer to them, and it goes on.
            await registrar.stop()
            let next = try await h.start(h.configuration(), catalog: h.catalog(credentials: false), name: "next")
            let again = try await h.command(h.setSecret("webhooks.resend", "whsec_again"))
            #expect(again.ok, "\(again.message)")
            results = try await h.results()
            #expect(results[rewind.id] == nil)
            #expect(results[unknown.id] == nil)
            #expect(results.values.allSatisfy { $0.count == 1 }, "a command was answered twice: \(results)")
            #expect(try await h.state("webhooks.resend")?.secret == "whsec_again")
            await next.stop()
        }
    }

    @Test func reregisterRepairsNowAndClearSecretRemovesTheSecret() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-price", events: ["price.created"])
            try await h.declare(job: "on-email", events: ["email.sent"], source: Self.resend, eventSource: "resend")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog())
            try await eventually("both sources are active") {
                let stripe = try await h.state("stripe.webhook")
                let resend = try await h.state("webhooks.resend")
                return stripe?.active == true && resend?.active == true
            }

            // Events changed behind our back: re-register repairs them now (the resync is 5 minutes away).
            let endpoint = try h.onlyEndpoint()
            h.fakes.stripe.setEvents(id: endpoint.id, ["charge.failed"])
            let reregistered = try await h.command(.reregister(source: "stripe.webhook", issuedBy: "test@harness"))
            #expect(reregistered.ok, "\(reregistered.message)")
            #expect(reregistered.message.contains("price.created"))
            #expect(h.fakes.stripe.endpoints.map(\.enabledEvents) == [["price.created"]])
            #expect(try h.onlyEndpoint().id == endpoint.id)

            #expect(try await h.command(h.setSecret("webhooks.resend", "whsec_set")).ok)
            let cleared = try await h.command(.clearSecret(source: "webhooks.resend", issuedBy: "test@harness"))
            #expect(cleared.ok)
            #expect(cleared.message == "secret cleared for webhooks.resend")
            #expect(try await h.state("webhooks.resend")?.secret == nil)
            let again = try await h.command(.clearSecret(source: "webhooks.resend", issuedBy: "test@harness"))
            #expect(again.ok)
            #expect(again.message == "webhooks.resend has no secret")

            // Sources that do not exist are refused, naming them.
            let nobody = try await h.command(.reregister(source: "webhooks.nobody", issuedBy: "test@harness"))
            #expect(!nobody.ok)
            #expect(nobody.message.contains("webhooks.nobody"))
            #expect(!(try await h.command(.clearSecret(source: "webhooks.nobody", issuedBy: "test@harness"))).ok)
            let unknownKey = try await h.command(h.setSecret("no-such-kind", "whsec_x"))
            #expect(!unknownKey.ok)
            #expect(unknownKey.message.contains("unknown source key no-such-kind"))
            await registrar.stop()
        }
    }

    /// A real broker fences the leader's producer once another producer initialised the registrar's
    /// transactional id. The 2.0.2 mock cluster does not (it gives every producer a new id), so the
    /// broker's answer (PRODUCER_FENCED on AddPartitionsToTxn) is injected, as in the Kafka tests.
    @Test func aFencedLeaderStopsLeadingRejoinsAndWritesNothingUntilItLeadsAgain() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-email", events: ["email.sent"], source: Self.resend, eventSource: "resend")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(credentials: false))
            try await eventually("the source is active") { try await h.state("webhooks.resend")?.active == true }
            let before = try await h.history("webhooks.resend").count

            let usurper = try KafkaTransactionalProducer(
                configuration: h.cluster.configuration, transactionalID: h.topics.registrarTransactionalID)
            try await usurper.initTransactions()
            h.cluster.failNextRequests(apiKey: 24, withErrorCodes: [90])
            // The leader's write for this command is fenced: it stops leading, leaves the group and joins
            // again; as the only member it leads again (fencing the usurper in turn) and applies the command.
            let result = try await h.command(h.setSecret("webhooks.resend", "whsec_after_fencing"), timeout: .seconds(60))
            #expect(result.ok, "\(result.message)")
            #expect(registrar.metricsText.contains("tributary_registrar_leadership_lost_total 1"), "\(registrar.metricsText)")
            let history = try await h.history("webhooks.resend")
            #expect(history.count == before + 1)
            #expect(history.last?.secret == "whsec_after_fencing")
            #expect(registrar.isLeader)
            await usurper.shutdown()
            await registrar.stop()
        }
    }
}
