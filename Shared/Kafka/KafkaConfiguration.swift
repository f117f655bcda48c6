import Foundation
import Logging

/// Connection settings shared by every Kafka client: the bootstrap servers and librdkafka properties.
///
/// `fromEnvironment` reads `KAFKA_BROKERS` and turns every other `KAFKA_<NAME>` variable into the
/// librdkafka property `<name>` (lower-cased, `_` to `.`), so `KAFKA_SECURITY_PROTOCOL=SASL_SSL` or
/// `KAFKA_SASL_MECHANISMS=PLAIN` configure a real cluster without code. Kubernetes service-link
/// variables (`KAFKA_PORT`, `KAFKA_SERVICE_HOST`, ...) are not properties: they are skipped and listed in
/// ``skippedVariables``. ``validate()`` checks every property against librdkafka and names the variable
/// it came from.
public struct KafkaConfiguration: Sendable, Hashable {
    /// Comma-separated `host:port` list.
    public var bootstrapServers: String
    /// librdkafka properties passed through to every client.
    public var properties: [String: String]
    /// For each property in `properties`, where it came from (an environment variable name), for error messages.
    public var origins: [String: String]
    /// `KAFKA_*` variables that `fromEnvironment` did not pass through because they are Kubernetes
    /// service links, sorted; services log them once at start (``logSkippedVariables(to:)``).
    public var skippedVariables: [String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
        self.origins = [:]
        self.skippedVariables = []
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
            if isServiceLinkVariable(name) {
                configuration.skippedVariables.append(name)
                continue
            }
            let property = name.dropFirst("KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            guard !property.isEmpty else { continue }
            configuration.properties[property] = value
            configuration.origins[property] = name
        }
        configuration.skippedVariables.sort()
        try configuration.validate()
        return configuration
    }

    /// Whether an environment variable is one Kubernetes injects for a Service whose name starts with
    /// `kafka` (`kafka`, `kafka-headless`, ...): `<S>_SERVICE_HOST`, `<S>_SERVICE_PORT[_<PORT NAME>]`,
    /// `<S>_PORT` and `<S>_PORT_<number>_<TCP|UDP|SCTP>[_PROTO|_PORT|_ADDR]`. For the Service `kafka`
    /// itself every `KAFKA_PORT_*` and `KAFKA_SERVICE_*` counts. No librdkafka property has these shapes.
    public static func isServiceLinkVariable(_ name: String) -> Bool {
        guard name.hasPrefix("KAFKA_") else { return false }
        if name == "KAFKA_PORT" || name.hasPrefix("KAFKA_PORT_") || name.hasPrefix("KAFKA_SERVICE_") { return true }
        let words = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        // Find where the service name ends: at a `SERVICE` followed by `HOST` or `PORT`, or at a `PORT`
        // that ends the name or is followed by `<number>_<protocol>`.
        for index in words.indices.dropFirst() {
            let rest = Array(words[(index + 1)...])
            switch words[index] {
            case "SERVICE":
                if rest == ["HOST"] || rest.first == "PORT" { return true }
            case "PORT":
                if rest.isEmpty { return true }
                if rest.count >= 2, rest.count <= 3, !rest[0].isEmpty, rest[0].allSatisfy(\.isNumber),
                    ["TCP", "UDP", "SCTP"].contains(rest[1]),
                    rest.count == 2 || ["PROTO", "PORT", "ADDR"].contains(rest[2])
                {
                    return true
                }
            default:
                continue
            }
        }
        return false
    }

    /// Logs, at notice level, the `KAFKA_*` variables ``fromEnvironment(_:)`` skipped as Kubernetes
    /// service links (nothing when there are none). Each service calls it once at start.
    public func logSkippedVariables(to logger: Logger) {
        guard !skippedVariables.isEmpty else { return }
        logger.notice(
            "KAFKA_* variables that look like Kubernetes service links are not passed to librdkafka (set enableServiceLinks: false in the pod spec to drop them)",
            metadata: ["variables": "\(skippedVariables.joined(separator: ","))"])
    }

    /// Checks every property against librdkafka; the error names the property and the variable it came from.
    /// `partition.assignment.strategy` with `cooperative-sticky` is refused: Tributary's consumers
    /// rebalance eagerly (every revocation is committed and released as a whole).
    public func validate() throws(KafkaError) {
        let settings = librdkafkaSettings(extra: [:])
        try Self.refuseUnsupported(settings)
        _ = try RdKafkaConfig(kind: .producer, settings: settings)
    }

    /// Refuses settings the clients cannot honour, naming the property and where it came from.
    static func refuseUnsupported(_ settings: [(key: String, value: String, origin: String?)]) throws(KafkaError) {
        for setting in settings where setting.key == "partition.assignment.strategy" {
            let strategies = setting.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard strategies.contains("cooperative-sticky") else { continue }
            let what =
                setting.origin.map { "\($0)=\(setting.value)" } ?? "librdkafka property partition.assignment.strategy=\(setting.value)"
            throw .configuration(
                "\(what) is not supported: Tributary's consumers use eager rebalancing (range or roundrobin); "
                    + "give range, roundrobin or both, or leave it unset")
        }
    }

    /// The properties for one client: ours first, then the user's passthrough, then the client's own.
    func librdkafkaSettings(extra: [String: String]) -> [(key: String, value: String, origin: String?)] {
        // TCP_NODELAY, as Kafka's own clients set it: a client's small requests (several produce requests on
        // one connection) must not wait for the broker's delayed ACKs. `KAFKA_PROPERTIES` may still say otherwise.
        var settings: [(String, String, String?)] = [
            ("bootstrap.servers", bootstrapServers, "KAFKA_BROKERS"), ("socket.nagle.disable", "true", nil),
        ]
        for key in properties.keys.sorted() {
            settings.append((key, properties[key]!, origins[key]))
        }
        for key in extra.keys.sorted() {
            settings.append((key, extra[key]!, nil))
        }
        return settings
    }
}
