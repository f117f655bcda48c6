// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tributary",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Tributary", targets: ["Tributary"]),
        .library(name: "TributaryIntegrations", targets: ["TributaryIntegrations"]),
        .executable(name: "tributary", targets: ["TributaryTool"]),
        .executable(name: "fake-providers", targets: ["fake-providers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.21.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
    ],
    targets: [
        // librdkafka (Debian: librdkafka-dev 2.0.2), seen only by the Kafka module's RdKafka/ folder.
        .systemLibrary(
            name: "CRdKafka",
            path: "Shared/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // The Swift Kafka client: producer, consumer group, catch-up reader, admin, embedded broker.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Kafka"
        ),
        // The job author's SDK: event specifications, filters, sources, triggers, jobs, io, wire formats.
        .target(
            name: "Tributary",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Shared/Tributary"
        ),
        // Stripe, GitHub and Standard Webhooks.
        .target(
            name: "TributaryIntegrations",
            dependencies: [
                "Tributary",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Integrations"
        ),
        // Stateful fakes of the Stripe and GitHub webhook APIs (loopback HTTP), for tests and system tests.
        .target(
            name: "FakeProviders",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/FakeProviders"
        ),
        // `fake-providers --port N`: serves both fakes; prints its base URL as the first stdout line.
        .executableTarget(
            name: "fake-providers",
            dependencies: [
                "FakeProviders",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/FakeProvidersServer"
        ),
        // The `tributary` command-line tool.
        .executableTarget(
            name: "TributaryTool",
            dependencies: [
                "Kafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Tributary"
        ),
        // A small consumer process the Kafka tests start twice to check group behaviour across processes.
        .executableTarget(
            name: "KafkaProbe",
            dependencies: ["Kafka"],
            path: "Tests/KafkaProbe"
        ),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "KafkaProbe"], path: "Tests/KafkaTests"),
        .testTarget(name: "TributaryTests", dependencies: ["Tributary"], path: "Tests/TributaryTests"),
        .testTarget(
            name: "IntegrationsTests",
            dependencies: [
                "TributaryIntegrations",
                "Tributary",
                "FakeProviders",
                "fake-providers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/IntegrationsTests"
        ),
    ]
)
