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

    @Test("an executable with its own job runs it in dev; the tool in the same directory finds dev without an export")
    func ownJobInDev() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dev-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = DevSettings.url(in: directory)

        let dev = try ChildProcess(
            productURL("DevJobsProbe"), ["dev", "--port", "\(try freePort())"], environment: Self.environment, directory: directory,
            errors: .merged)
        defer { dev.terminate() }
        try await eventually("dev prints its banner", timeout: .seconds(90)) { dev.lines.contains { $0.contains("Jobs: probe-pong") } }
        #expect(dev.lines.contains { $0.contains("no export needed") }, "\(dev.lines)")
        let written = try #require(DevSettings.read(from: settings))
        #expect(written.values["KAFKA_BROKERS"]?.isEmpty == false)
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

        #expect(dev.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: settings.path), "a clean stop removes the settings file")

        // A file a killed dev left behind: the tool says where the brokers came from.
        try DevSettings(values: ["KAFKA_BROKERS": "127.0.0.1:\(try freePort())"]).write(to: settings)
        let stale = try await Self.tool(["runs"], in: directory)
        let output = stale.lines.joined(separator: "\n")
        #expect(stale.exitCode != 0)
        #expect(output.contains("cannot reach Kafka") && output.contains(DevSettings.relativePath), "\(output)")
    }
}
