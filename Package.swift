// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Tributary",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TributaryKafka", targets: ["TributaryKafka"]),
        .library(name: "Tributary", targets: ["Tributary"]),
        .library(name: "TributaryIntegrations", targets: ["TributaryIntegrations"]),
        .executable(name: "tributary", targets: ["TributaryTool"]),
        .library(name: "TributaryReceiver", targets: ["TributaryReceiver"]),
        .executable(name: "receiver", targets: ["Receiver"]),
        .library(name: "TributaryRegistrar", targets: ["TributaryRegistrar"]),
        .executable(name: "registrar", targets: ["Registrar"]),
        .library(name: "TributaryRunner", targets: ["TributaryRunner"]),
        .library(name: "TributaryDev", targets: ["TributaryDev"]),
        .executable(name: "runner", targets: ["Runner"]),
        .library(name: "TributaryConsole", targets: ["TributaryConsole"]),
        .executable(name: "console", targets: ["Console"]),
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
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
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
            name: "TributaryKafka",
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
                // Spans of `io` tasks and waits (no-op unless a service installed a tracer).
                .product(name: "Tracing", package: "swift-distributed-tracing"),
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
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Shared/Integrations"
        ),
        // What the services share: topics, typed configuration, log keys, Kafka <-> wire mapping, admin routes.
        .target(
            name: "ServiceSupport",
            dependencies: [
                "TributaryKafka",
                "Tributary",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                // The OTLP/HTTP trace exporter's client (Tracing/OTLPExporter.swift).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Shared/ServiceSupport"
        ),
        // The receiver: verified webhooks into Kafka (a library product, so tests, `tributary dev` and a
        // user's own `@main` build it too).
        .target(
            name: "TributaryReceiver",
            dependencies: [
                "TributaryKafka",
                "Tributary",
                "ServiceSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Services/Receiver/App"
        ),
        // The registrar: webhook subscriptions kept in line with the declared triggers (a library product,
        // so tests, `tributary dev` and a user's own `@main` build it too).
        .target(
            name: "TributaryRegistrar",
            dependencies: [
                "TributaryKafka",
                "Tributary",
                "TributaryIntegrations",
                "ServiceSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Services/Registrar/App"
        ),
        // `registrar`: reads configuration, builds the registrar, runs its services until SIGTERM/SIGINT.
        .executableTarget(
            name: "Registrar",
            dependencies: [
                "TributaryRegistrar",
                "TributaryIntegrations",
                "ServiceSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Registrar/Main"
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
        // `receiver`: reads configuration, builds the receiver, runs its services until SIGTERM/SIGINT.
        .executableTarget(
            name: "Receiver",
            dependencies: [
                "TributaryReceiver",
                "TributaryIntegrations",
                "ServiceSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Receiver/Main"
        ),
        // The runner library: consumes events, runs jobs, records runs, restores on rebalance.
        .target(
            name: "TributaryRunner",
            dependencies: [
                "TributaryKafka",
                "Tributary",
                "ServiceSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Services/Runner/App"
        ),
        // The example jobs of the reference runner and `tributary dev`.
        .target(
            name: "ExampleJobs",
            dependencies: ["TributaryRunner", "Tributary", "TributaryIntegrations"],
            path: "Services/Runner/Jobs"
        ),
        // The reference runner (`runner`) with the example jobs.
        .executableTarget(
            name: "Runner",
            dependencies: [
                "ExampleJobs",
                "TributaryRunner",
                "Tributary",
                "ServiceSupport",
                "TributaryKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Runner/Main"
        ),
        // The console: the topics projected into SQLite (GRDB), served as pages, a JSON API and live
        // updates behind a login (a library product, so tests, `tributary dev` and a user's own `@main`
        // build it too).
        .target(
            name: "TributaryConsole",
            dependencies: [
                "TributaryKafka",
                "Tributary",
                "TributaryIntegrations",
                "ServiceSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/Console/App"
        ),
        // `console`: reads configuration, builds the console, runs its services until SIGTERM/SIGINT.
        .executableTarget(
            name: "Console",
            dependencies: [
                "TributaryConsole",
                "TributaryIntegrations",
                "ExampleJobs",
                "ServiceSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Console/Main"
        ),
        // The whole system in one process (`dev`) with any jobs, and the `main` of your jobs' executable.
        .target(
            name: "TributaryDev",
            dependencies: [
                "TributaryKafka",
                "Tributary",
                "TributaryIntegrations",
                "ServiceSupport",
                "TributaryReceiver",
                "TributaryRegistrar",
                "TributaryRunner",
                "TributaryConsole",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Services/Dev"
        ),
        // The `tributary` command-line tool.
        .executableTarget(
            name: "TributaryTool",
            dependencies: [
                "TributaryKafka",
                "ExampleJobs",
                "TributaryReceiver",
                "TributaryRegistrar",
                "TributaryRunner",
                "TributaryConsole",
                "TributaryDev",
                "ServiceSupport",
                "Tributary",
                "TributaryIntegrations",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Tool"
        ),
        // A small consumer process the Kafka tests start twice to check group behaviour across processes.
        .executableTarget(
            name: "KafkaProbe",
            dependencies: ["TributaryKafka"],
            path: "Tests/KafkaProbe"
        ),
        // Produce and consume throughput of the Kafka client (Benchmarks/kafka-bench.sh runs it beside a C ceiling).
        .executableTarget(
            name: "KafkaBench",
            dependencies: ["TributaryKafka", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/KafkaBench"
        ),
        // The receiver benchmark's setup (source state, signed body) and fixed-rate load generator.
        .executableTarget(
            name: "ReceiverBench",
            dependencies: [
                "TributaryKafka", "Tributary", "TributaryIntegrations", "ServiceSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/ReceiverBench"
        ),
        // The console's projection ingest from <p>.runs beside a raw read, and its runs page and /api/runs
        // with 1,000,000 runs in the database (Benchmarks/console-bench.sh).
        .executableTarget(
            name: "ConsoleBench",
            dependencies: [
                "TributaryConsole", "Tributary", "TributaryKafka", "ServiceSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/ConsoleBench"
        ),
        // A runner process the runner tests start, kill and restart: test jobs with a side-effect sink.
        .executableTarget(
            name: "RunnerProbe",
            dependencies: [
                "TributaryRunner", "Tributary", "TributaryKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/RunnerProbe"
        ),
        // An executable hosting its own job through TributaryJobsMain, as a user's package does (the dev tests run it).
        .executableTarget(
            name: "DevJobsProbe",
            dependencies: ["TributaryDev", "TributaryRunner", "Tributary"],
            path: "Tests/DevJobsProbe"
        ),
        // Runner throughput and publish-to-start latency (Benchmarks/runner-bench.sh runs it beside the Kafka ceiling).
        .executableTarget(
            name: "RunnerBench",
            dependencies: [
                "TributaryRunner", "Tributary", "TributaryIntegrations", "TributaryKafka", "ServiceSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/RunnerBench"
        ),
        // Restore of one <p>.runs partition of 1,000,000 run records fed to RunHistoryFold, beside a raw
        // pass and the old JSON restore (Benchmarks/restore-bench.sh).
        .executableTarget(
            name: "RestoreBench",
            dependencies: ["TributaryRunner", "Tributary", "CMalloc"],
            path: "Benchmarks/RestoreBench"
        ),
        // glibc's mallinfo2 and malloc_trim, for RestoreBench's memory figures.
        .systemLibrary(name: "CMalloc", path: "Benchmarks/CMalloc"),
        .testTarget(
            name: "RunnerTests",
            dependencies: [
                "TestSupport", "TributaryRunner", "Tributary", "TributaryKafka", "ServiceSupport", "RunnerProbe", "ExampleJobs",
                "DevJobsProbe", "TributaryDev", "TributaryIntegrations",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/RunnerTests"
        ),
        // The whole system as separate processes (broker, fake Stripe, registrar, receiver, two runners).
        .testTarget(
            name: "SystemTests",
            dependencies: [
                "TestSupport",
                "TributaryKafka", "Tributary", "TributaryIntegrations",
                "TributaryTool", "Receiver", "Registrar", "Runner", "fake-providers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/SystemTests"
        ),
        // What the test targets share: waiting with a deadline, child processes, free ports, tags,
        // quiet loggers (TRIBUTARY_TEST_LOG_LEVEL), the interop tests' Python (.venv).
        .target(name: "TestSupport", dependencies: [.product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport"),
        .testTarget(name: "KafkaTests", dependencies: ["TributaryKafka", "KafkaProbe", "TestSupport"], path: "Tests/KafkaTests"),
        .testTarget(
            name: "ReceiverTests",
            dependencies: [
                "TestSupport",
                "TributaryReceiver", "TributaryIntegrations", "Tributary", "TributaryKafka", "ServiceSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ReceiverTests"
        ),
        .testTarget(
            name: "RegistrarTests",
            dependencies: [
                "TestSupport",
                "TributaryRegistrar", "Registrar", "TributaryIntegrations", "Tributary", "TributaryKafka", "ServiceSupport",
                "FakeProviders", "RunnerProbe",
                "TributaryRunner", "TributaryTool",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/RegistrarTests"
        ),
        // deploy/ against the code: YAML parses, every variable set is one the services read, commands exist.
        .testTarget(
            name: "DeployTests",
            dependencies: [
                "TestSupport",
                "TributaryKafka", "Tributary", "TributaryIntegrations", "ServiceSupport",
                "TributaryReceiver", "TributaryRegistrar", "TributaryRunner", "TributaryConsole",
                "TributaryTool", "Receiver", "Registrar", "Runner", "Console", "ExampleJobs",
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/DeployTests"
        ),
        .testTarget(name: "TributaryTests", dependencies: ["Tributary"], path: "Tests/TributaryTests"),
        // The console: projection, store, routes and auth in memory; live against the embedded broker;
        // a headless Chromium driven by Selenium (Tests/Interop/console_browser.py).
        .testTarget(
            name: "ConsoleTests",
            dependencies: [
                "TestSupport",
                "TributaryConsole", "TributaryRunner", "TributaryReceiver", "ExampleJobs",
                "Tributary", "TributaryKafka", "ServiceSupport", "TributaryIntegrations",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ConsoleTests"
        ),
        .testTarget(
            name: "IntegrationsTests",
            dependencies: [
                "TestSupport",
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
