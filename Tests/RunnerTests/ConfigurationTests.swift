import ArgumentParser
import TributaryKafka
import Logging
import ServiceSupport
import Testing
import TributaryRunner

@Suite("Runner configuration")
struct ConfigurationTests {
    @Test("defaults, environment, and flags over environment")
    func readsEnvironment() throws {
        let defaults = try RunnerConfiguration.fromEnvironment(ServiceEnvironment(["KAFKA_BROKERS": "k:9092"]))
        #expect(defaults.topicPrefix == "tributary" && defaults.groupID == "tributary-runners")
        #expect(defaults.eventsTopic == "tributary.events" && defaults.extraTopics.isEmpty)
        #expect(defaults.maxConcurrentRuns == 256 && defaults.drainTimeout == .seconds(30) && defaults.adminPort == 9090)

        let environment = ServiceEnvironment([
            "KAFKA_BROKERS": "k:9092", "TRIBUTARY_TOPIC_PREFIX": "acme", "RUNNER_TOPICS": "orders.v1, shipments",
            "RUNNER_MAX_CONCURRENT_RUNS": "8", "RUNNER_DRAIN_TIMEOUT": "5s", "RUNNER_ADMIN_PORT": "9100",
        ])
        let read = try RunnerConfiguration.fromEnvironment(environment)
        #expect(read.groupID == "acme-runners" && read.runsTopic == "acme.runs")
        #expect(read.extraTopics == ["orders.v1", "shipments"])
        #expect(read.maxConcurrentRuns == 8 && read.drainTimeout == .seconds(5) && read.adminPort == 9100)

        var overrides = RunnerConfiguration.Overrides()
        overrides.group = "mine"
        overrides.maxConcurrentRuns = 2
        let overridden = try RunnerConfiguration.fromEnvironment(environment, overrides: overrides)
        #expect(overridden.groupID == "mine" && overridden.maxConcurrentRuns == 2)
    }

    @Test("the shared flags and the runner's own parse into overrides of the environment")
    func flags() throws {
        let flags = try RunnerConfiguration.Flags.parse([
            "--brokers", "b:9092", "--topic-prefix", "acme", "--log-level", "debug", "--admin-host", "127.0.0.1",
            "--admin-port", "0", "--group", "g", "--max-concurrent-runs", "3", "--drain-timeout", "2s", "--topics", "orders",
        ])
        let read = try RunnerConfiguration.fromEnvironment(
            ServiceEnvironment(["KAFKA_BROKERS": "k:9092", "LOG_LEVEL": "error"]), flags: flags)
        #expect(read.kafka.bootstrapServers == "b:9092" && read.topicPrefix == "acme" && read.logLevel == .debug)
        #expect(read.eventsTopic == "acme.events" && read.runsTopic == "acme.runs" && read.deadLetterTopic == "acme.dlq")
        // The names the runner writes by are the names of the topics the tool creates.
        let topics = read.topics
        #expect(
            [read.eventsTopic, read.runsTopic, read.triggersTopic, read.deadLetterTopic, read.waitsTopic, read.flowTopic]
                == [topics.events, topics.runs, topics.triggers, topics.deadLetters, topics.waits, topics.flow].map(\.name))
        #expect(read.adminHost == "127.0.0.1" && read.adminPort == 0 && read.groupID == "g")
        #expect(read.maxConcurrentRuns == 3 && read.drainTimeout == .seconds(2) && read.extraTopics == ["orders"])

        let defaults = try RunnerConfiguration.fromEnvironment(ServiceEnvironment(["KAFKA_BROKERS": "k:9092"]), flags: .parse([]))
        #expect(defaults.adminHost == "0.0.0.0" && defaults.logLevel == .info && defaults.triggersTopic == "tributary.triggers")
    }

    @Test("invalid values fail at start, naming the variable")
    func namesTheVariable() {
        func message(_ values: [String: String]) -> String {
            do {
                _ = try RunnerConfiguration.fromEnvironment(ServiceEnvironment(values))
                return ""
            } catch { return "\(error)" }
        }
        #expect(message([:]).contains("KAFKA_BROKERS"))
        #expect(message(["KAFKA_BROKERS": "k", "RUNNER_MAX_CONCURRENT_RUNS": "many"]).contains("RUNNER_MAX_CONCURRENT_RUNS"))
        #expect(message(["KAFKA_BROKERS": "k", "RUNNER_MAX_CONCURRENT_RUNS": "0"]).contains("RUNNER_MAX_CONCURRENT_RUNS"))
        #expect(message(["KAFKA_BROKERS": "k", "RUNNER_DRAIN_TIMEOUT": "soon"]).contains("RUNNER_DRAIN_TIMEOUT"))
        #expect(message(["KAFKA_BROKERS": "k", "RUNNER_ADMIN_PORT": "70000"]).contains("RUNNER_ADMIN_PORT"))
        #expect(message(["KAFKA_BROKERS": "k", "TRIBUTARY_TOPIC_PREFIX": "a b"]).contains("TRIBUTARY_TOPIC_PREFIX"))
        #expect(message(["KAFKA_BROKERS": "k", "LOG_LEVEL": "loud"]).contains("LOG_LEVEL"))
    }

    @Test("RUNNER_LOG_LIMIT: 64 KiB by default, read from the environment, refused out of range naming the variable")
    func logLimit() throws {
        #expect(try RunnerConfiguration.fromEnvironment(ServiceEnvironment(["KAFKA_BROKERS": "k:9092"])).logLimit == 65536)
        let set = try RunnerConfiguration.fromEnvironment(ServiceEnvironment(["KAFKA_BROKERS": "k:9092", "RUNNER_LOG_LIMIT": "1024"]))
        #expect(set.logLimit == 1024)
        for bad in ["-1", "lots", "999999999"] {
            #expect {
                try RunnerConfiguration.fromEnvironment(ServiceEnvironment(["KAFKA_BROKERS": "k:9092", "RUNNER_LOG_LIMIT": bad]))
            } throws: { error in
                "\(error)".contains("RUNNER_LOG_LIMIT")
            }
        }
    }
}
