import Foundation
import Tributary

/// Reads typed settings from environment variables once, at start-up, and names the variable in
/// every error. Command-line flags override it: services pass a flag's value as `override`.
public struct ServiceEnvironment: Sendable {
    /// The variables, by name.
    public var values: [String: String]

    /// The process's environment, or given variables (tests).
    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// A text value; empty counts as unset.
    public func string(_ name: String, override: String? = nil) -> String? {
        if let override { return override }
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// A text value that must be present.
    public func required(_ name: String, override: String? = nil, hint: String) throws(ConfigurationError) -> String {
        guard let value = string(name, override: override) else { throw ConfigurationError("\(name) is not set: \(hint)", variable: name) }
        return value
    }

    /// An integer within `range`.
    public func int(_ name: String, override: Int? = nil, default fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int
    {
        let value: Int
        if let override {
            value = override
        } else if let text = string(name) {
            guard let parsed = Int(text) else { throw ConfigurationError("\(name)=\(text) is not a whole number", variable: name) }
            value = parsed
        } else {
            value = fallback
        }
        guard range.contains(value) else {
            throw ConfigurationError("\(name)=\(value) is out of range \(range.lowerBound)...\(range.upperBound)", variable: name)
        }
        return value
    }

    /// A duration written as `250ms`, `10s`, `5m`, `1h` or a plain number of seconds.
    public func duration(
        _ name: String, override: String? = nil, default fallback: Duration, allowZero: Bool = false
    ) throws(ConfigurationError) -> Duration {
        guard let text = string(name, override: override) else { return fallback }
        guard let parsed = Self.parseDuration(text), parsed > .zero || (allowZero && parsed == .zero) else {
            throw ConfigurationError("\(name)=\(text) is not a duration (examples: 250ms, 10s, 5m, 7d)", variable: name)
        }
        return parsed
    }

    /// `seconds` to the nearest microsecond (`0.5ms` is half a millisecond, not zero).
    private static func microseconds(_ seconds: Double) -> Duration? {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return nil }
        return .microseconds(Int64((seconds * 1e6).rounded()))
    }

    /// Parses `250ms`, `0.5ms`, `10s`, `5m`, `1h`, `7d` or a plain number of seconds.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)) else { continue }
            return microseconds(number * seconds)
        }
        return Double(text).flatMap { microseconds($0) }
    }
}

import Logging

extension ServiceEnvironment {
    /// `LOG_LEVEL` (`trace` … `critical`), default `info`; `override` is a `--log-level` flag.
    public func logLevel(override: String? = nil) throws(ConfigurationError) -> Logger.Level {
        guard let text = string("LOG_LEVEL", override: override) else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError(
                "LOG_LEVEL=\(text) is not one of trace, debug, info, notice, warning, error, critical", variable: "LOG_LEVEL")
        }
        return level
    }
}

import TributaryKafka

extension ServiceEnvironment {
    /// The cluster: `brokers` (a `--brokers` flag) over `KAFKA_BROKERS`, plus the `KAFKA_*` passthrough.
    public func kafka(brokers: String? = nil) throws -> KafkaConfiguration {
        var values = values
        if let brokers { values["KAFKA_BROKERS"] = brokers }
        return try KafkaConfiguration.fromEnvironment(values)
    }

    /// The sealer of source secrets: the required `TRIBUTARY_SECRET_KEY` seals (and unseals), the keys
    /// of the optional `TRIBUTARY_SECRET_KEY_PREVIOUS` (comma-separated) only unseal: see ``SecretSealer``.
    public func sealer() throws(ConfigurationError) -> SecretSealer {
        let key = try required(
            "TRIBUTARY_SECRET_KEY", hint: "give the 32-byte key (base64) that seals source secrets; `openssl rand -base64 32` makes one")
        let current: SecretSealer
        do { current = try SecretSealer(base64Key: key) } catch {
            throw ConfigurationError("TRIBUTARY_SECRET_KEY is invalid: \(error)", variable: "TRIBUTARY_SECRET_KEY")
        }
        let previous = SecretSealer.previousKeys(string("TRIBUTARY_SECRET_KEY_PREVIOUS"))
        for (index, old) in previous.enumerated() {
            do { _ = try SecretSealer(base64Key: old) } catch {
                throw ConfigurationError(
                    "TRIBUTARY_SECRET_KEY_PREVIOUS is invalid: its key #\(index + 1) (comma-separated): \(error)",
                    variable: "TRIBUTARY_SECRET_KEY_PREVIOUS")
            }
        }
        do { return try SecretSealer(base64Key: key, previous: previous) } catch {
            throw ConfigurationError(
                "TRIBUTARY_SECRET_KEY_PREVIOUS is invalid: \(error) (the key \(current.currentKeyId) of TRIBUTARY_SECRET_KEY, or one given twice)",
                variable: "TRIBUTARY_SECRET_KEY_PREVIOUS")
        }
    }
}
