import ArgumentParser
import Logging
import ServiceSupport
import Testing
import Tributary
import TributaryReceiver

/// `ReceiverConfiguration.fromEnvironment`: the environment, and the shared flags and the receiver's own over it.
@Suite struct ReceiverConfigurationTests {
    let base = ["KAFKA_BROKERS": "127.0.0.1:9092", "TRIBUTARY_SECRET_KEY": SecretSealer.generateKey()]

    @Test func defaults() throws {
        let configuration = try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(base))
        #expect(configuration.topicPrefix == "tributary" && configuration.topics.events.name == "tributary.events")
        #expect(configuration.host == "0.0.0.0" && configuration.port == 8080 && configuration.logLevel == .info)
        #expect(configuration.bodyLimit == 1 << 20 && configuration.publishTimeout == .seconds(10))
        #expect(configuration.publicURL == nil && configuration.publishLinger == .zero)
    }

    @Test func publishLingerTakesFractionsOfAMillisecondAndZero() throws {
        var environment = base
        environment["RECEIVER_PUBLISH_LINGER"] = "0.25ms"
        let linger = try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(environment)).publishLinger
        #expect(linger == .microseconds(250))
        environment["RECEIVER_PUBLISH_LINGER"] = "0"
        #expect(try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(environment)).publishLinger == .zero)
        environment["RECEIVER_PUBLISH_LINGER"] = "-1ms"
        #expect(throws: ConfigurationError.self) { try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(environment)) }
    }

    @Test func publicURLLosesItsTrailingSlash() throws {
        var environment = base
        environment["RECEIVER_PUBLIC_URL"] = "https://hooks.example.com/"
        let configuration = try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(environment))
        #expect(configuration.publicURL == "https://hooks.example.com")
    }

    @Test func flagsOverrideTheEnvironment() throws {
        var environment = base
        environment["RECEIVER_PORT"] = "9000"
        environment["LOG_LEVEL"] = "error"
        let flags = try ReceiverConfiguration.Flags.parse([
            "--brokers", "b:9092", "--topic-prefix", "dev", "--log-level", "debug", "--host", "127.0.0.1", "--port", "0",
            "--body-limit", "4096", "--publish-timeout", "2s",
        ])
        let configuration = try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(environment), flags: flags)
        #expect(configuration.kafka.bootstrapServers == "b:9092")
        #expect(configuration.topicPrefix == "dev" && configuration.topics.sources.name == "dev.sources")
        #expect(configuration.logLevel == .debug && configuration.host == "127.0.0.1" && configuration.port == 0)
        #expect(configuration.bodyLimit == 4096 && configuration.publishTimeout == .seconds(2))
    }

    @Test(arguments: ["LOG_LEVEL", "RECEIVER_PORT", "RECEIVER_PUBLISH_TIMEOUT", "RECEIVER_PUBLISH_LINGER", "RECEIVER_PUBLIC_URL"])
    func errorsNameTheVariable(variable: String) {
        var environment = base
        environment[variable] = "loud"
        #expect {
            try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(environment))
        } throws: { error in
            "\(error)".contains(variable)
        }
    }
}
