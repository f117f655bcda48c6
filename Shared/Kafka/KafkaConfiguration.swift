import Foundation

/// Connection settings shared by every Kafka client: the bootstrap servers and librdkafka properties.
///
/// `fromEnvironment` reads `KAFKA_BROKERS` and turns every other `KAFKA_<NAME>` variable into the
/// librdkafka property `<name>` (lower-cased, `_` to `.`), so `KAFKA_SECURITY_PROTOCOL=SASL_SSL` or
/// `KAFKA_SASL_MECHANISMS=PLAIN` configure a real cluster without code. ``validate()`` checks every
/// property against librdkafka and names the variable it came from.
public struct KafkaConfiguration: Sendable, Hashable {
    /// Comma-separated `host:port` list.
    public var bootstrapServers: String
    /// librdkafka properties passed through to every client.
    public var properties: [String: String]
    /// For each property in `properties`, where it came from (an environment variable name), for error messages.
    public var origins: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
        self.origins = [:]
    }

    /// Reads `KAFKA_BROKERS` and the `KAFKA_*` passthrough properties, then validates them.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(KafkaError) -> KafkaConfiguration {
        guard let brokers = environment["KAFKA_BROKERS"]?.trimmingCharacters(in: .whitespaces), !brokers.isEmpty
        else {
            throw .configuration("KAFKA_BROKERS is not set: give the bootstrap servers, e.g. KAFKA_BROKERS=localhost:9092")
        }
        var configuration = KafkaConfiguration(bootstrapServers: brokers)
        for (name, value) in environment where name.hasPrefix("KAFKA_") && name != "KAFKA_BROKERS" {
            let property = name.dropFirst("KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            guard !property.isEmpty else { continue }
            configuration.properties[property] = value
            configuration.origins[property] = name
        }
        try configuration.validate()
        return configuration
    }

    /// Checks every property against librdkafka; the error names the property and the variable it came from.
    public func validate() throws(KafkaError) {
        _ = try RdKafkaConfig(kind: .producer, settings: librdkafkaSettings(extra: [:]))
    }

    /// The properties for one client: ours first, then the user's passthrough, then the client's own.
    func librdkafkaSettings(extra: [String: String]) -> [(key: String, value: String, origin: String?)] {
        var settings: [(String, String, String?)] = [("bootstrap.servers", bootstrapServers, "KAFKA_BROKERS")]
        for key in properties.keys.sorted() {
            settings.append((key, properties[key]!, origins[key]))
        }
        for key in extra.keys.sorted() {
            settings.append((key, extra[key]!, nil))
        }
        return settings
    }
}
