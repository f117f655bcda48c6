import Foundation
import TributaryKafka
import TestSupport
import Testing
import Tributary
import TributaryIntegrations

/// Rotating `TRIBUTARY_SECRET_KEY` with the services as their own processes on `tributary broker`:
/// secrets set with key A, the receiver and the registrar restarted with B (A previous), `tributary keys
/// rotate`, restarted with B alone; the webhooks verify throughout, and a state sealed only with the
/// removed key is reported (metric, `tributary sources`, `tributary keys`, a 503 from the receiver).
@Suite("system: secret-key rotation", .serialized, .tags(.processes), .notInFastRun)
struct KeyRotationTests {
    static let prefix = "kr"
    let keyA = SecretSealer.generateKey()
    let keyB = SecretSealer.generateKey()

    /// The receiver and the registrar, with the keys they were started with.
    struct Services {
        let receiver: ServiceProcess
        let registrar: ServiceProcess

        func stop() {
            receiver.terminate()
            registrar.terminate()
        }
    }

    /// Starts the receiver and the registrar with `keys` (TRIBUTARY_SECRET_KEY and, when given,
    /// TRIBUTARY_SECRET_KEY_PREVIOUS), and waits until the receiver is ready.
    func start(_ keys: [String: String], bootstrap: String, receiverPort: Int, adminPort: Int, round: String) async throws -> Services {
        let common = ["KAFKA_BROKERS": bootstrap, "TRIBUTARY_TOPIC_PREFIX": Self.prefix].merging(keys) { _, new in new }
        let registrar = try ServiceProcess(
            "kr-registrar-\(round)", "registrar",
            environment: common.merging([
                "PUBLIC_URL": "http://127.0.0.1:\(receiverPort)", "REGISTRAR_ADMIN_HOST": "127.0.0.1",
                "REGISTRAR_ADMIN_PORT": "\(adminPort)", "REGISTRAR_SESSION_TIMEOUT": "6s",
            ]) { _, new in new })
        let receiver = try ServiceProcess(
            "kr-receiver-\(round)", "receiver",
            environment: common.merging(["RECEIVER_HOST": "127.0.0.1", "RECEIVER_PORT": "\(receiverPort)"]) { _, new in new })
        try await eventually("the receiver is ready", timeout: .seconds(60)) {
            (try? await HTTP.get("http://127.0.0.1:\(receiverPort)/readyz").status) == 200
        }
        return Services(receiver: receiver, registrar: registrar)
    }

    /// Runs `tributary <arguments>` with `keys` and waits until it exited.
    func tool(
        _ arguments: [String], keys: [String: String], bootstrap: String
    ) async throws -> (
        status: Int32, output: [String], errors: [String]
    ) {
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_BROKERS"] = bootstrap
        environment["TRIBUTARY_TOPIC_PREFIX"] = Self.prefix
        environment["TRIBUTARY_SECRET_KEY"] = nil
        environment["TRIBUTARY_SECRET_KEY_PREVIOUS"] = nil
        environment.merge(keys) { _, new in new }
        let child = try ChildProcess(productURL("tributary"), arguments, environment: environment)
        try await eventually("tributary \(arguments.joined(separator: " ")) exits", timeout: .seconds(60)) { !child.isRunning }
        child.waitUntilExit()
        return (child.exitCode, child.lines, child.errorLines)
    }

    /// A Standard Webhooks delivery for `webhooks.<name>` signed with `secret`: the receiver's status.
    func deliver(_ name: String, id: String, secret: String, port: Int) async throws -> Int {
        let body = Array(#"{"type":"email.sent","data":{"to":"a@example.com"}}"#.utf8)
        let timestamp = Int64(Date().timeIntervalSince1970)
        guard let signature = StandardWebhookSignature.header(body: body, id: id, timestamp: timestamp, secrets: [secret]) else {
            throw SystemTestError("cannot sign with \(secret)")
        }
        return try await HTTP.post(
            "http://127.0.0.1:\(port)/sources/webhooks.\(name)", body: body,
            headers: [("webhook-id", id), ("webhook-timestamp", "\(timestamp)"), ("webhook-signature", signature)])
    }

    /// The event keys on `<p>.events` now.
    func eventKeys(_ bootstrap: String) async throws -> Set<String> {
        let reader = try KafkaTopicReader(configuration: KafkaConfiguration(bootstrapServers: bootstrap), topic: "\(Self.prefix).events")
        var keys: Set<String> = []
        for await event in reader {
            switch event {
            case .message(let message): if let key = message.keyString { keys.insert(key) }
            case .caughtUp:
                await reader.close()
                return keys
            }
        }
        return keys
    }

    /// The newest sealed secret of each source on `<p>.sources` now.
    func sealedSecrets(_ bootstrap: String) async throws -> [String: String] {
        let reader = try KafkaTopicReader(configuration: KafkaConfiguration(bootstrapServers: bootstrap), topic: "\(Self.prefix).sources")
        var sealed: [String: String] = [:]
        for await event in reader {
            switch event {
            case .message(let message):
                if let key = message.keyString, let value = message.value { sealed[key] = SourceState.sealedSecret(inValue: value) }
            case .caughtUp:
                await reader.close()
                return sealed
            }
        }
        return sealed
    }

    @Test("sealed with A; restarted with B and A; rotated; restarted with B alone: every webhook still verifies")
    func rotation() async throws {
        let broker = try ServiceProcess("kr-broker", "tributary", ["broker", "--topic-prefix", Self.prefix, "--partitions", "4"])
        defer { broker.terminate() }
        let bootstrap = try await broker.firstLine()
        let port = try freePort()
        let adminPort = try freePort()
        let idA = try SecretSealer(base64Key: keyA).currentKeyId
        let idB = try SecretSealer(base64Key: keyB).currentKeyId
        let resend = "whsec_" + Data(repeating: 1, count: 24).base64EncodedString()
        let clerk = "whsec_" + Data(repeating: 2, count: 24).base64EncodedString()
        let onlyA = ["TRIBUTARY_SECRET_KEY": keyA]
        let both = ["TRIBUTARY_SECRET_KEY": keyB, "TRIBUTARY_SECRET_KEY_PREVIOUS": keyA]
        let onlyB = ["TRIBUTARY_SECRET_KEY": keyB]

        // 1. Key A: two sources get their secrets through the registrar; their webhooks verify.
        var services = try await start(onlyA, bootstrap: bootstrap, receiverPort: port, adminPort: adminPort, round: "a")
        for (name, secret) in [("resend", resend), ("clerk", clerk)] {
            let set = try await tool(
                ["sources", "set-secret", "webhooks.\(name)", secret, "--timeout", "30"], keys: onlyA, bootstrap: bootstrap)
            #expect(set.status == 0, "\(set.errors)")
        }
        try await eventually("webhooks.resend verifies with key A") {
            try await deliver("resend", id: "msg_a", secret: resend, port: port) == 200
        }
        let sealedWithA = try await sealedSecrets(bootstrap)
        #expect(sealedWithA.count == 2 && sealedWithA.values.allSatisfy { SecretSealer.keyId(of: $0) == idA })
        services.stop()

        // 2. B current, A previous: the states sealed with A still unseal, so the webhooks still verify.
        services = try await start(both, bootstrap: bootstrap, receiverPort: port, adminPort: adminPort, round: "ab")
        try await eventually("webhooks.clerk verifies with A as a previous key") {
            try await deliver("clerk", id: "msg_ab", secret: clerk, port: port) == 200
        }
        let before = try await tool(["keys"], keys: both, bootstrap: bootstrap)
        #expect(before.status == 0, "\(before.errors)")
        #expect(
            before.output.contains { $0.hasPrefix("webhooks.resend") && $0.contains(idA) && $0.contains("keys rotate") }, "\(before.output)"
        )

        // 3. The rotation, through the registrar's leader: both states re-sealed with B.
        let rotate = try await tool(["keys", "rotate", "--timeout", "30"], keys: both, bootstrap: bootstrap)
        #expect(rotate.status == 0, "\(rotate.output) \(rotate.errors)")
        #expect(rotate.output.contains { $0.contains("re-sealed 2 source states with key \(idB)") }, "\(rotate.output)")
        let sealedWithB = try await sealedSecrets(bootstrap)
        #expect(sealedWithB.count == 2 && sealedWithB.values.allSatisfy { SecretSealer.keyId(of: $0) == idB })
        // A second rotation has nothing left to do.
        let again = try await tool(["keys", "rotate", "--timeout", "30"], keys: both, bootstrap: bootstrap)
        #expect(
            again.output.contains { $0.contains("re-sealed 0 source states with key \(idB) (2 already sealed with it") }, "\(again.output)")
        // A tool that still has A as its current key is refused: the registrar does not seal with A.
        let stale = try await tool(["keys", "rotate", "--timeout", "30"], keys: onlyA, bootstrap: bootstrap)
        #expect(stale.status != 0)
        #expect(stale.errors.joined().contains("the registrar seals with key \(idB), not \(idA)"), "\(stale.errors)")
        services.stop()

        // Something still sealed only with A (an old registrar's late write): after A is removed it must be reported.
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        let leftover = SourceState(
            key: "webhooks.leftover", sourceId: "standardwebhooks", params: ["name": "leftover"], active: true, secret: resend)
        let record = try leftover.record(sealer: try SecretSealer(base64Key: keyA))
        try await producer.send(KafkaProducerMessage(topic: "\(Self.prefix).sources", key: record.key, value: record.value))
        await producer.shutdown()

        // 4. B alone: the rotated sources verify; the leftover is refused with a 503 (the provider retries), never dropped.
        services = try await start(onlyB, bootstrap: bootstrap, receiverPort: port, adminPort: adminPort, round: "b")
        defer { services.stop() }
        try await eventually("webhooks.resend verifies with B alone") {
            try await deliver("resend", id: "msg_b1", secret: resend, port: port) == 200
        }
        #expect(try await deliver("clerk", id: "msg_b2", secret: clerk, port: port) == 200)
        #expect(try await deliver("leftover", id: "msg_b3", secret: resend, port: port) == 503)
        // A forged delivery is still refused.
        #expect(try await deliver("resend", id: "msg_forged", secret: clerk, port: port) == 401)
        try await eventually("the registrar counts the unreadable state", timeout: .seconds(60)) {
            let metrics = try await HTTP.get("http://127.0.0.1:\(adminPort)/metrics")
            return String(decoding: metrics.body, as: UTF8.self).contains("tributary_registrar_unreadable_sources 1")
        }
        let sources = try await tool(["sources"], keys: onlyB, bootstrap: bootstrap)
        #expect(
            sources.output.contains { $0.hasPrefix("webhooks.leftover") && $0.contains("UNREADABLE") && $0.contains(idA) },
            "\(sources.output)")
        #expect(
            sources.output.contains { $0.hasPrefix("webhooks.resend") && $0.contains(" yes ") && $0.contains(idB) }, "\(sources.output)")
        // A rotation now names it and fails, re-sealing nothing else.
        let blocked = try await tool(["keys", "rotate", "--timeout", "30"], keys: onlyB, bootstrap: bootstrap)
        #expect(blocked.status != 0)
        #expect(blocked.output.joined().contains("webhooks.leftover"), "\(blocked.output)")
        #expect(blocked.errors.joined().contains("1 source state cannot be read: webhooks.leftover"), "\(blocked.errors)")

        let events = try await eventKeys(bootstrap)
        for id in ["msg_a", "msg_ab", "msg_b1", "msg_b2"] { #expect(events.contains { $0.hasSuffix("/\(id)") }, "\(id) not published") }
        #expect(!events.contains { $0.hasSuffix("/msg_b3") || $0.hasSuffix("/msg_forged") })
    }
}
