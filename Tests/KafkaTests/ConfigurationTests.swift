import Kafka
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
        #expect(configuration.properties == [
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
}
