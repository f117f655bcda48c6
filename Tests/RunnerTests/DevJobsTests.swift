import Foundation
import ServiceSupport
import Testing

/// Your own jobs in dev (`TributaryJobsMain`'s `dev`), and the settings file that spares the export.
@Suite("Your jobs in dev", .tags(.processes), .notInFastRun)
struct DevJobsTests {
    /// The test's environment without the variables the settings file provides.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in DevSettings.names { environment[name] = nil }
        return environment
    }

    static func tool(_ arguments: [String], in directory: URL) async throws -> ChildProcess {
        let child = try ChildProcess(productURL("tributary"), arguments, environment: environment, directory: directory, errors: .merged)
        try await eventually("tributary \(arguments.joined(separator: " ")) exits", timeout: .seconds(60)) { !child.isRunning }
        child.waitUntilExit()
        return child
    }

    @Test("an executable with its own job runs it in dev; the tool in the same directory finds dev (on its --kafka-port) without an export")
    func ownJobInDev() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dev-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = DevSettings.url(in: directory)

        let kafkaPort = try freePort()
        let dev = try ChildProcess(
            productURL("DevJobsProbe"), ["dev", "--port", "\(try freePort())", "--kafka-port", "\(kafkaPort)"],
            environment: Self.environment,
            directory: directory, errors: .merged)
        defer { dev.terminate() }
        try await eventually("dev prints its banner", timeout: .seconds(90)) { dev.lines.contains { $0.contains("Jobs: probe-pong") } }
        #expect(dev.lines.contains { $0.contains("no export needed") }, "\(dev.lines)")
        let written = try #require(DevSettings.read(from: settings))
        #expect(written.values["KAFKA_BROKERS"] == "127.0.0.1:\(kafkaPort)", "--kafka-port pins the bootstrap the tool uses")
        #expect(written.values["TRIBUTARY_SECRET_KEY"]?.isEmpty == false)
        let mode = try FileManager.default.attributesOfItem(atPath: settings.path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the file holds the secret key")

        let payload = directory.appendingPathComponent("ping.json")
        try Data(#"{"message": "from the test"}"#.utf8).write(to: payload)
        let sent = try await Self.tool(["send", "probe.ping", "--source", "probe.example", "--payload", payload.path], in: directory)
        #expect(sent.exitCode == 0, "\(sent.lines)")
        try await eventually("the hosted job ran", timeout: .seconds(60)) {
            dev.lines.contains { $0.contains("pong") && $0.contains("from the test") }
        }

        // The executable's own `send` publishes its job's example (it finds dev the same way).
        let own = try ChildProcess(
            productURL("DevJobsProbe"), ["send", "probe.ping"], environment: Self.environment, directory: directory, errors: .merged)
        try await eventually("DevJobsProbe send exits", timeout: .seconds(60)) { !own.isRunning }
        own.waitUntilExit()
        #expect(own.exitCode == 0, "\(own.lines)")
        try await eventually("the hosted job ran on its example", timeout: .seconds(60)) {
            dev.lines.contains { $0.contains("pong") && $0.contains("message=hello") }
        }

        #expect(dev.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: settings.path), "a clean stop removes the settings file")

        // A file a killed dev left behind: the tool says where the brokers came from.
        let closed = try ClosedPort()
        try DevSettings(values: ["KAFKA_BROKERS": "127.0.0.1:\(closed.port)"]).write(to: settings)
        let stale = try await Self.tool(["runs"], in: directory)
        withExtendedLifetime(closed) {}
        let output = stale.lines.joined(separator: "\n")
        #expect(stale.exitCode != 0)
        #expect(output.contains("cannot reach Kafka") && output.contains(DevSettings.relativePath), "\(output)")
    }

    @Test(
        "send --signed delivers through the receiver signed as Stripe, GitHub and Standard Webhooks sign; the runs happen; a source without a secret is an error"
    )
    func signedDeliveries() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dev-signed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freePort()
        let dev = try ChildProcess(
            productURL("tributary"), ["dev", "--port", "\(port)"], environment: Self.environment, directory: directory, errors: .merged)
        defer { dev.terminate() }
        try await eventually("dev prints its banner", timeout: .seconds(90)) { dev.lines.contains { $0.contains("Jobs: ") } }
        let receiver = ["--receiver", "http://127.0.0.1:\(port)"]

        let none = try await Self.tool(["send", "price.created", "--signed"] + receiver, in: directory)
        let noneOutput = none.lines.joined(separator: "\n")
        #expect(none.exitCode != 0 && noneOutput.contains("stripe.webhook"), "\(noneOutput)")

        let secrets = [
            ("stripe.webhook", "whsec_test_stripe"), ("acme/website", "github-secret"),
            ("webhooks.resend", "whsec_" + Data("resend-key-32-bytes-long-enough!".utf8).base64EncodedString()),
        ]
        for (key, secret) in secrets {
            let set = try await Self.tool(["sources", "set-secret", key, secret], in: directory)
            #expect(set.exitCode == 0, "\(set.lines)")
        }
        for (event, ran) in [("price.created", "price created!"), ("push", "pushed"), ("email.delivered", "email delivered")] {
            // The receiver follows <p>.sources: until it has seen the new secret, a delivery is refused.
            try await eventually("\(event) is delivered signed and accepted", timeout: .seconds(30)) {
                let sent = try await Self.tool(["send", event, "--signed"] + receiver, in: directory)
                return sent.exitCode == 0 && sent.lines.contains { $0.contains("delivered \(event)") && $0.contains(": 2") }
            }
            try await eventually("the job on \(event) ran", timeout: .seconds(30)) { dev.lines.contains { $0.contains(ran) } }
        }
    }
}
