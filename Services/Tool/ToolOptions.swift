import ArgumentParser
import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Tributary

/// Options every command that talks to Kafka shares: the cluster and the topic prefix.
struct ClusterOptions: ParsableArguments {
    @Option(help: "Kafka bootstrap servers [KAFKA_BROKERS].") var brokers: String?
    @Option(help: "Topic prefix [TRIBUTARY_TOPIC_PREFIX].") var topicPrefix: String?

    /// How long a command waits for the brokers to answer before it says it cannot reach them (4 s, so
    /// that the command has failed within 5 s of its start).
    static let reachTimeout: Duration = .seconds(4)

    /// The cluster configuration (`--brokers` over `KAFKA_BROKERS`, plus the `KAFKA_*` passthrough),
    /// once the brokers answered a metadata request within ``reachTimeout``: every command that talks
    /// to Kafka calls this first, so an unreachable cluster is an error naming the brokers within 5 s
    /// instead of a hang or a producer's `Message timed out`.
    func kafka() async throws -> KafkaConfiguration {
        let configuration = try configuration()
        let fromFile = ToolStart.settingsApplied.withLock { $0.contains("KAFKA_BROKERS") }
        let origin =
            brokers != nil
            ? "--brokers"
            : fromFile ? "KAFKA_BROKERS from \(DevSettings.relativePath), which a dev that is gone may have left" : "KAFKA_BROKERS"
        do throws(KafkaError) {
            let admin = try KafkaAdmin(configuration: configuration, logger: toolLogger())
            _ = try await admin.listTopics(timeout: Self.reachTimeout)
        } catch {
            throw ToolError(
                "cannot reach Kafka at \(configuration.bootstrapServers) (\(origin)): \(error.message); is the cluster (or `tributary dev`) running, and are the brokers the ones it printed?"
            )
        }
        return configuration
    }

    /// The cluster configuration without contacting it.
    func configuration() throws -> KafkaConfiguration {
        var environment = ProcessInfo.processInfo.environment
        if let brokers { environment["KAFKA_BROKERS"] = brokers }
        do {
            return try KafkaConfiguration.fromEnvironment(environment)
        } catch {
            throw ToolError("\(error.message) (or pass --brokers)")
        }
    }

    var prefix: String { ServiceEnvironment().string("TRIBUTARY_TOPIC_PREFIX", override: topicPrefix) ?? "tributary" }

    var topics: TributaryTopics { TributaryTopics(prefix: prefix) }

    /// The sealer for source secrets (`TRIBUTARY_SECRET_KEY`), if configured.
    func sealer(required: Bool) throws -> SecretSealer? {
        guard let key = ServiceEnvironment().string("TRIBUTARY_SECRET_KEY") else {
            if required {
                throw ToolError("TRIBUTARY_SECRET_KEY is not set: it seals source secrets (the same key the registrar and receiver use)")
            }
            return nil
        }
        do { return try SecretSealer(base64Key: key) } catch { throw ToolError("TRIBUTARY_SECRET_KEY is invalid: \(error)") }
    }
}

/// Output options: tables for people, JSON lines for scripts.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object per line instead of a table.") var json = false
}

/// A quiet logger for the tool: librdkafka's warnings only when something is wrong.
func toolLogger() -> Logger {
    var logger = Logger(label: "tributary")
    logger.logLevel = .error
    return logger
}

/// Reads a compacted topic to its end (latest value per key).
func readTable(_ topic: String, configuration: KafkaConfiguration) async throws -> [String: [UInt8]] {
    let view = try KafkaTableView(configuration: configuration, topic: topic, logger: toolLogger())
    let running = Task { await view.run() }
    await view.waitUntilCaughtUp()
    let snapshot = view.snapshot
    await view.stop()
    await running.value
    return snapshot
}

/// Prints rows as an aligned table with a header.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    print(line(header))
    for row in rows { print(line(row)) }
}

/// Writes a line to standard error (progress and notes that must not mix with `--json` output).
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A failure the tool reports as `Error: <message>` (without the usage text a flag mistake gets).
struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
