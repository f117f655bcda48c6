import ArgumentParser
import Foundation

/// `tributary init NAME`: writes a package that hosts one job of its own: the job and its event in
/// a library, an executable whose `dev` runs the whole system locally with it (`TributaryJobsMain`),
/// a test that runs the job in-process with `JobTester` in milliseconds, and a README.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a new package with one job, its test and a README.",
        discussion: "Example: tributary init my-jobs && cd my-jobs && swift test && swift run my-jobs dev")

    @Argument(help: "The package's name (letters, digits, - and _), e.g. my-jobs; also its directory.") var name: String
    @Option(help: "The Tributary checkout to depend on by path (default: the one this tool was built from).") var tributaryPath: String?
    @Option(help: "Depend on Tributary by this git URL instead of a path (with --from).") var tributaryURL: String?
    @Option(help: "The version to depend on with --tributary-url.") var from: String = "0.1.0"
    @Option(help: "The directory to write the package into (default: ./NAME).") var directory: String?

    func validate() throws {
        guard let first = name.unicodeScalars.first, CharacterSet.letters.contains(first),
            name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" })
        else { throw ValidationError("'\(name)' is not a package name: start with a letter; use letters, digits, - and _") }
    }

    func run() throws {
        let target = URL(fileURLWithPath: directory ?? name)
        if FileManager.default.fileExists(atPath: target.path),
            (try? FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty) == false
        {
            throw ToolError("\(target.path) exists and is not empty: choose another name or --directory")
        }
        let dependency: String
        if let tributaryURL {
            dependency = ".package(url: \"\(tributaryURL)\", from: \"\(from)\")"
        } else {
            let path = tributaryPath ?? Self.checkout
            guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent("Package.swift").path) else {
                throw ToolError("no Tributary package at \(path): pass --tributary-path (a checkout) or --tributary-url")
            }
            dependency = ".package(name: \"Tributary\", path: \"\(URL(fileURLWithPath: path).standardizedFileURL.path)\")"
        }
        let template = PackageTemplate(name: name, dependency: dependency)
        for (path, contents) in template.files {
            let url = target.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
        print("wrote \(target.path): \(template.files.keys.sorted().joined(separator: ", "))")
        print("next: cd \(target.path) && swift test && swift run \(name) dev")
    }

    /// The checkout this tool was built from (its sources are there).
    static var checkout: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

/// The files of a new jobs package, by path.
struct PackageTemplate {
    /// The package (and executable) name, e.g. `my-jobs`.
    var name: String
    /// The `.package(...)` line for Tributary.
    var dependency: String

    /// The Swift module name of the jobs library, e.g. `MyJobs` for `my-jobs`.
    var module: String {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    var files: [String: String] {
        [
            "Package.swift": packageSwift,
            "Sources/\(module)/\(module).swift": jobs,
            "Sources/\(name)/Main.swift": main,
            "Tests/\(module)Tests/\(module)Tests.swift": tests,
            "README.md": readme,
            ".gitignore": ".build/\nPackage.resolved\n.tributary/\n",
        ]
    }

    var packageSwift: String {
        """
        // swift-tools-version:6.0
        import PackageDescription

        let package = Package(
            name: "\(name)",
            platforms: [.macOS(.v15)],
            products: [.executable(name: "\(name)", targets: ["\(name)"])],
            dependencies: [
                \(dependency),
            ],
            targets: [
                // Your events and jobs.
                .target(
                    name: "\(module)",
                    dependencies: [.product(name: "Tributary", package: "Tributary"), .product(name: "TributaryRunner", package: "Tributary")]
                ),
                // `\(name) dev`: the whole system locally with your jobs; `\(name) run`: a runner against your Kafka.
                .executableTarget(
                    name: "\(name)",
                    dependencies: ["\(module)", .product(name: "TributaryDev", package: "Tributary")]
                ),
                .testTarget(name: "\(module)Tests", dependencies: ["\(module)", .product(name: "Tributary", package: "Tributary")]),
            ]
        )

        """
    }

    var jobs: String {
        """
        import Tributary
        import TributaryRunner

        /// The events your jobs take and the jobs themselves.
        public enum \(module) {
            /// A greeting, as `greeting.sent` carries it.
            public struct Greeting: Codable, Sendable {
                /// Who is greeted.
                public var name: String

                /// A greeting of `name`.
                public init(name: String) { self.name = name }
            }

            /// `greeting.sent` from `\(name).example`: any system can publish it to `<p>.events`
            /// (`tributary send greeting.sent --source \(name).example --payload greeting.json`).
            public static let greetingSent = EventSpecification<Greeting>(
                name: "greeting.sent", title: "Greeting sent", source: "\(name).example",
                examples: [EventExample(id: "world", name: "Hello, world", payload: ["name": "world"])])

            /// Greets: a keyed task (memoized across retries), then a log line.
            public static let greet = Job(
                id: "greet", name: "Greet", version: "1.0.0", trigger: Trigger(event: greetingSent)
            ) { greeting, io, _ in
                let text: String = try await io.runTask("compose") { "hello, \\(greeting.name)!" }
                io.logger.info("greeted", metadata: ["text": "\\(text)"])
            }

            /// Every job this package hosts.
            public static let all: [RunnerJob] = [RunnerJob(greet)]
        }

        """
    }

    var main: String {
        """
        import TributaryDev
        import \(module)

        /// `swift run \(name) dev` runs the whole system locally with your jobs; `swift run \(name)` (or
        /// `\(name) run`) a runner against the Kafka of `KAFKA_BROKERS`.
        @main
        enum Main {
            static func main() async {
                await TributaryJobsMain.main(jobs: \(module).all)
            }
        }

        """
    }

    var tests: String {
        """
        import Testing
        import Tributary
        import \(module)

        /// The job runs in-process with `JobTester`: no Kafka, waits fast-forwarded, logs captured.
        @Suite struct \(module)Tests {
            @Test func greetsTheExample() async throws {
                let result = try await JobTester(\(module).greet).run(example: 0)
                #expect(result.succeeded, "\\(result.error ?? "")")
                #expect(result.logs.last?.metadata["text"] == "hello, world!")
            }

            @Test func greetsAPayloadOfYourOwn() async throws {
                let result = try await JobTester(\(module).greet).run(payload: \(module).Greeting(name: "Ada"))
                #expect(result.logs.last?.metadata["text"] == "hello, Ada!")
                #expect(result.tasks.map(\\.key) == ["compose"])
            }
        }

        """
    }

    var readme: String {
        """
        # \(name)

        Tributary jobs: `Sources/\(module)/\(module).swift` holds the event and the job.

        ```sh
        swift test                 # runs the job in-process (JobTester): well under a second once built
        swift run \(name) dev        # the whole system locally with your jobs, on an in-memory Kafka
        ```

        With dev running, in another terminal in this directory (dev wrote `.tributary/dev.env`, so no
        export is needed):

        ```sh
        swift run \(name) send greeting.sent    # your trigger's example event
        echo '{"name": "you"}' > greeting.json
        tributary send greeting.sent --source \(name).example --payload greeting.json   # or a payload of yours
        tributary runs --follow --logs
        ```

        In production, `swift run \(name)` (or `\(name) run`) is a runner of your jobs against the
        Kafka of `KAFKA_BROKERS`, configured like the reference runner.

        """
    }
}
