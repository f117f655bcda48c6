import ServiceSupport
import Testing
import Tributary
import TributaryConsole

/// The console's settings: what each bad value gets, naming the variable.
@Suite struct ConsoleConfigurationTests {
    static let base = ["KAFKA_BROKERS": "127.0.0.1:9092"]

    func load(_ values: [String: String]) throws -> ConsoleConfiguration {
        try ConsoleConfiguration.fromEnvironment(ServiceEnvironment(Self.base.merging(values) { $1 }))
    }

    @Test("without CONSOLE_PASSWORD it refuses to start off loopback, and on loopback makes a password of its own")
    func password() throws {
        let error = #expect(throws: ConfigurationError.self) { try load([:]) }
        #expect(error?.variable == "CONSOLE_PASSWORD")
        let local = try load(["CONSOLE_HOST": "127.0.0.1"])
        #expect(local.generatedPassword && local.password.count == 32)
        let given = try load(["CONSOLE_PASSWORD": "s3cret-enough", "CONSOLE_PORT": "9000", "CONSOLE_RETENTION": "2d"])
        #expect(!given.generatedPassword && given.password == "s3cret-enough" && given.port == 9000)
        #expect(given.retention == .seconds(2 * 86_400) && given.host == "0.0.0.0" && given.databasePath == "console.sqlite")
    }

    @Test(
        "bad values name their variable",
        arguments: [
            ("CONSOLE_PASSWORD", "short"), ("CONSOLE_PORT", "70000"), ("CONSOLE_PORT", "http"), ("CONSOLE_RETENTION", "forever"),
            ("CONSOLE_SESSION_LIFETIME", "-1h"), ("LOG_LEVEL", "loud"), ("TRIBUTARY_PARTITIONS", "0"),
            ("TRIBUTARY_SECRET_KEY", "not-a-key"),
        ])
    func badValues(variable: String, value: String) {
        var values = ["CONSOLE_PASSWORD": "long-enough-password"]
        values[variable] = value
        let error = #expect(throws: ConfigurationError.self) { try load(values) }
        #expect(error?.variable == variable)
    }

    @Test("the login link names a reachable host and escapes the password")
    func loginLink() {
        #expect(consoleLoginLink(host: "0.0.0.0", port: 8088, password: "a b&c") == "http://localhost:8088/login?token=a%20b%26c")
        #expect(consoleLoginLink(host: "127.0.0.1", port: 1, password: "x") == "http://127.0.0.1:1/login?token=x")
    }
}
