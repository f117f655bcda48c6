import ArgumentParser
import ServiceSupport
import Testing
import Tributary
import TributaryRegistrar

/// `RegistrarConfiguration.fromEnvironment`: defaults, flags over the environment, errors naming the variable.
@Suite struct ConfigurationTests {
    let base = [
        "KAFKA_BROKERS": "127.0.0.1:9092",
        "TRIBUTARY_SECRET_KEY": SecretSealer.generateKey(),
        "PUBLIC_URL": "https://hooks.example.com/",
    ]

    @Test func defaultsAndTheWebhookURL() throws {
        let configuration = try RegistrarConfiguration.fromEnvironment(ServiceEnvironment(base))
        #expect(configuration.topicPrefix == "tributary")
        #expect(configuration.resyncInterval == .seconds(300))
        #expect(configuration.sessionTimeout == .seconds(10))
        #expect(configuration.adminPort == 9091)
        #expect(configuration.webhookURL(sourceKey: "stripe.webhook") == "https://hooks.example.com/sources/stripe.webhook")
        #expect(configuration.webhookURL(sourceKey: "acme/web") == "https://hooks.example.com/sources/acme%2Fweb")
    }

    @Test func flagsOverrideTheEnvironment() throws {
        var environment = base
        environment["REGISTRAR_RESYNC_INTERVAL"] = "10m"
        environment["REGISTRAR_ADMIN_PORT"] = "9000"
        var overrides = RegistrarConfiguration.Overrides()
        overrides.resyncInterval = "30s"
        overrides.publicURL = "http://localhost:8080"
        overrides.topicPrefix = "dev"
        let configuration = try RegistrarConfiguration.fromEnvironment(ServiceEnvironment(environment), overrides: overrides)
        #expect(configuration.resyncInterval == .seconds(30))
        #expect(configuration.adminPort == 9000)
        #expect(configuration.publicURL == "http://localhost:8080")
        #expect(configuration.topicPrefix == "dev")
    }

    @Test func theSharedFlagsAndTheRegistrarsOwnOverrideTheEnvironment() throws {
        var environment = base
        environment["REGISTRAR_ADMIN_PORT"] = "9000"
        let flags = try RegistrarConfiguration.Flags.parse([
            "--brokers", "b:9092", "--topic-prefix", "dev", "--log-level", "debug", "--public-url", "http://localhost:8080",
            "--resync-interval", "30s", "--admin-host", "127.0.0.1", "--admin-port", "0",
        ])
        let configuration = try RegistrarConfiguration.fromEnvironment(ServiceEnvironment(environment), flags: flags)
        #expect(configuration.kafka.bootstrapServers == "b:9092")
        #expect(configuration.topicPrefix == "dev" && configuration.topics.sources.name == "dev.sources")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.publicURL == "http://localhost:8080")
        #expect(configuration.resyncInterval == .seconds(30))
        #expect(configuration.adminHost == "127.0.0.1" && configuration.adminPort == 0)
    }

    @Test(arguments: [
        ("PUBLIC_URL", nil as String?),
        ("PUBLIC_URL", "ftp://x"),
        ("TRIBUTARY_SECRET_KEY", nil),
        ("TRIBUTARY_SECRET_KEY", "c2hvcnQ="),
        ("TRIBUTARY_SECRET_KEY_PREVIOUS", "c2hvcnQ="),
        ("TRIBUTARY_SECRET_KEY_PREVIOUS", "not base64!"),
        ("KAFKA_BROKERS", nil),
        ("REGISTRAR_RESYNC_INTERVAL", "often"),
        ("LOG_LEVEL", "loud"),
    ])
    func errorsNameTheVariable(variable: String, value: String?) {
        var environment = base
        environment[variable] = value
        #expect {
            try RegistrarConfiguration.fromEnvironment(ServiceEnvironment(environment))
        } throws: { error in
            "\(error)".contains(variable)
        }
    }

    @Test func previousKeysUnsealAndTheCurrentKeySeals() throws {
        var environment = base
        let old = SecretSealer.generateKey()
        environment["TRIBUTARY_SECRET_KEY_PREVIOUS"] = old
        let configuration = try RegistrarConfiguration.fromEnvironment(ServiceEnvironment(environment))
        let oldId = try SecretSealer(base64Key: old).currentKeyId
        #expect(configuration.sealer.keyIds.count == 2 && configuration.sealer.keyIds.last == oldId)
        #expect(configuration.sealer.currentKeyId == (try SecretSealer(base64Key: base["TRIBUTARY_SECRET_KEY"]!).currentKeyId))
        // The current key again as a previous one: refused, naming the variable.
        environment["TRIBUTARY_SECRET_KEY_PREVIOUS"] = base["TRIBUTARY_SECRET_KEY"]
        #expect {
            try RegistrarConfiguration.fromEnvironment(ServiceEnvironment(environment))
        } throws: { error in
            (error as? ConfigurationError)?.variable == "TRIBUTARY_SECRET_KEY_PREVIOUS"
        }
    }
}
