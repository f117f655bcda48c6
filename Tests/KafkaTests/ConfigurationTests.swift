import TributaryKafka
import Logging
import Synchronization
import Testing

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test("KAFKA_BROKERS is required and named in the error")
    func brokersRequired() {
        #expect {
            try KafkaConfiguration.fromEnvironment([:])
        } throws: { error in
            "\(error)".contains("KAFKA_BROKERS")
        }
    }

    @Test("KAFKA_<NAME> variables become librdkafka properties")
    func passthrough() throws {
        let configuration = try KafkaConfiguration.fromEnvironment([
            "KAFKA_BROKERS": "a:9092,b:9092",
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISMS": "PLAIN",
            "KAFKA_SASL_USERNAME": "user",
            "PATH": "/usr/bin",
        ])
        #expect(configuration.bootstrapServers == "a:9092,b:9092")
        #expect(
            configuration.properties == [
                "security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN", "sasl.username": "user",
            ])
    }

    @Test("an invalid property fails at start-up with librdkafka's message and the variable's name")
    func invalidProperty() {
        #expect {
            try KafkaConfiguration.fromEnvironment(["KAFKA_BROKERS": "a:9092", "KAFKA_SECURITY_PROTOCOL": "carrier-pigeon"])
        } throws: { error in
            let text = "\(error)"
            return text.contains("KAFKA_SECURITY_PROTOCOL") && text.contains("security.protocol")
                && (error as? KafkaError)?.code == .invalidConfiguration
        }
        #expect(throws: KafkaError.self) {
            try KafkaConfiguration.fromEnvironment(["KAFKA_BROKERS": "a:9092", "KAFKA_NO_SUCH_THING": "1"])
        }
    }

    @Test("Kubernetes service-link variables are skipped and listed; real properties still pass")
    func serviceLinksSkipped() throws {
        let configuration = try KafkaConfiguration.fromEnvironment([
            "KAFKA_BROKERS": "kafka:9092",
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_KERBEROS_SERVICE_NAME": "kafka",
            // What Kubernetes injects for a Service `kafka` with a port named `tcp-client`...
            "KAFKA_PORT": "tcp://10.0.0.1:9092",
            "KAFKA_PORT_9092_TCP": "tcp://10.0.0.1:9092",
            "KAFKA_PORT_9092_TCP_ADDR": "10.0.0.1",
            "KAFKA_PORT_9092_TCP_PORT": "9092",
            "KAFKA_PORT_9092_TCP_PROTO": "tcp",
            "KAFKA_SERVICE_HOST": "10.0.0.1",
            "KAFKA_SERVICE_PORT": "9092",
            "KAFKA_SERVICE_PORT_TCP_CLIENT": "9092",
            // ...and for a Service `kafka-headless` (the common Helm charts add one).
            "KAFKA_HEADLESS_SERVICE_HOST": "10.0.0.2",
            "KAFKA_HEADLESS_PORT": "tcp://10.0.0.2:9092",
            "KAFKA_HEADLESS_PORT_9092_TCP_ADDR": "10.0.0.2",
        ])
        #expect(configuration.properties == ["security.protocol": "SASL_SSL", "sasl.kerberos.service.name": "kafka"])
        #expect(configuration.origins["security.protocol"] == "KAFKA_SECURITY_PROTOCOL")
        #expect(
            configuration.skippedVariables == [
                "KAFKA_HEADLESS_PORT", "KAFKA_HEADLESS_PORT_9092_TCP_ADDR", "KAFKA_HEADLESS_SERVICE_HOST",
                "KAFKA_PORT", "KAFKA_PORT_9092_TCP", "KAFKA_PORT_9092_TCP_ADDR", "KAFKA_PORT_9092_TCP_PORT",
                "KAFKA_PORT_9092_TCP_PROTO", "KAFKA_SERVICE_HOST", "KAFKA_SERVICE_PORT", "KAFKA_SERVICE_PORT_TCP_CLIENT",
            ])
        #expect(try KafkaConfiguration.fromEnvironment(["KAFKA_BROKERS": "a:9092"]).skippedVariables.isEmpty)
    }

    @Test("the skipped variables are logged once, at notice level, with their names")
    func skippedVariablesLogged() throws {
        let configuration = try KafkaConfiguration.fromEnvironment(["KAFKA_BROKERS": "a:9092", "KAFKA_PORT": "tcp://10.0.0.1:9092"])
        let records = RecordedLog()
        configuration.logSkippedVariables(to: records.logger)
        let entries = records.entries
        #expect(entries.count == 1)
        #expect(entries.first?.level == .notice)
        #expect(entries.first?.metadata["variables"] == "KAFKA_PORT")
        #expect(entries.first?.message.contains("enableServiceLinks: false") == true)
        let none = RecordedLog()
        KafkaConfiguration(bootstrapServers: "a:9092").logSkippedVariables(to: none.logger)
        #expect(none.entries.isEmpty)
    }

    @Test(
        "cooperative-sticky is refused at start, naming the property and the variable",
        arguments: [
            "cooperative-sticky", "COOPERATIVE-STICKY", "range, cooperative-sticky",
        ])
    func cooperativeStickyRefused(value: String) {
        #expect {
            try KafkaConfiguration.fromEnvironment(["KAFKA_BROKERS": "a:9092", "KAFKA_PARTITION_ASSIGNMENT_STRATEGY": value])
        } throws: { error in
            let text = "\(error)"
            return text.contains("KAFKA_PARTITION_ASSIGNMENT_STRATEGY=\(value) is not supported")
                && text.contains("eager rebalancing") && (error as? KafkaError)?.code == .invalidConfiguration
        }
    }

    @Test("cooperative-sticky set in code is refused too, naming the property")
    func cooperativeStickyInCodeRefused() throws {
        let configuration = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:9", properties: ["partition.assignment.strategy": "cooperative-sticky"])
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains("partition.assignment.strategy=cooperative-sticky is not supported")
        }
        var settings = KafkaConsumerConfiguration(groupID: "g", topics: ["t"])
        settings.properties["partition.assignment.strategy"] = "cooperative-sticky"
        #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:9"), consumerConfiguration: settings)
        }
    }

    @Test("eager strategies are accepted", arguments: ["range", "roundrobin", "range,roundrobin"])
    func eagerStrategiesAccepted(value: String) throws {
        let configuration = try KafkaConfiguration.fromEnvironment([
            "KAFKA_BROKERS": "a:9092", "KAFKA_PARTITION_ASSIGNMENT_STRATEGY": value,
        ])
        #expect(configuration.properties["partition.assignment.strategy"] == value)
    }
}

/// Log entries kept in memory, to check what code logs.
final class RecordedLog: Sendable {
    /// One logged message.
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let stored = Mutex<[Entry]>([])

    /// What was logged so far.
    var entries: [Entry] { stored.withLock { $0 } }

    /// A logger that records into this log, at every level.
    var logger: Logger {
        Logger(label: "test.recorded") { _ in Handler(log: self) }
    }

    private struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let entry = Entry(
                level: event.level, message: "\(event.message)",
                metadata: (event.metadata ?? [:]).mapValues { "\($0)" })
            log.stored.withLock { $0.append(entry) }
        }
    }
}
