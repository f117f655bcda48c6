import Foundation
import Testing

/// `tributary init NAME`: the package it writes, and (slow) that it builds, its test passes and its
/// job runs in its own `dev`.
@Suite("tributary init", .tags(.processes), .notInFastRun)
struct InitTemplateTests {
    /// The checkout under test (the template depends on it by path: tests cannot reach a remote repository).
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["KAFKA_BROKERS", "TRIBUTARY_TOPIC_PREFIX", "TRIBUTARY_SECRET_KEY"] { environment[name] = nil }
        return environment
    }

    static func run(
        _ executable: URL, _ arguments: [String], in directory: URL, timeout: Duration = .seconds(60)
    ) async throws
        -> ChildProcess
    {
        let child = try ChildProcess(executable, arguments, environment: environment, directory: directory, errors: .merged)
        try await eventually("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) exits", timeout: timeout) {
            !child.isRunning
        }
        child.waitUntilExit()
        return child
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("writes a package with a job, an executable, a JobTester test and a README; refuses bad names and a non-empty directory")
    func writesThePackage() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try await Self.run(productURL("tributary"), ["init", "my-jobs", "--tributary-path", Self.checkout.path], in: directory)
        #expect(made.exitCode == 0, "\(made.lines)")
        let package = directory.appendingPathComponent("my-jobs")
        for file in [
            "Package.swift", "README.md", "Sources/MyJobs/MyJobs.swift", "Sources/my-jobs/Main.swift",
            "Tests/MyJobsTests/MyJobsTests.swift",
        ] {
            #expect(FileManager.default.fileExists(atPath: package.appendingPathComponent(file).path), "\(file) is missing")
        }
        let manifest = try String(contentsOf: package.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.contains("path: \"\(Self.checkout.standardizedFileURL.path)\""), "\(manifest)")
        let test = try String(contentsOf: package.appendingPathComponent("Tests/MyJobsTests/MyJobsTests.swift"), encoding: .utf8)
        #expect(test.contains("JobTester(MyJobs.greet)"))

        let again = try await Self.run(productURL("tributary"), ["init", "my-jobs"], in: directory)
        #expect(again.exitCode != 0 && again.lines.joined().contains("exists and is not empty"), "\(again.lines)")
        let bad = try await Self.run(productURL("tributary"), ["init", "9 lives"], in: directory)
        #expect(bad.exitCode != 0 && bad.lines.joined().contains("is not a package name"), "\(bad.lines)")
    }

    @Test(
        "the package builds, its test passes in well under a second, and `swift run NAME dev` runs its job on an event sent with the tool",
        .tags(.slow), .onlyInSlowRun, .timeLimit(.minutes(60)))
    func buildsTestsAndRunsInDev() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let swift = URL(fileURLWithPath: "/usr/bin/env")
        _ = try await Self.run(productURL("tributary"), ["init", "my-jobs", "--tributary-path", Self.checkout.path], in: directory)
        let package = directory.appendingPathComponent("my-jobs")
        let built = try await Self.run(swift, ["swift", "build", "--build-tests"], in: package, timeout: .seconds(3000))
        #expect(built.exitCode == 0, "\(built.lines.suffix(30))")
        let tested = try await Self.run(swift, ["swift", "test", "--skip-build"], in: package, timeout: .seconds(120))
        let testOutput = tested.lines.joined(separator: "\n")
        #expect(tested.exitCode == 0 && testOutput.contains("2 tests"), "\(testOutput)")

        let started = ContinuousClock.now
        let dev = try ChildProcess(
            package.appendingPathComponent(".build/debug/my-jobs"), ["dev", "--port", "\(try freePort())"], environment: Self.environment,
            directory: package, errors: .merged)
        defer { dev.terminate() }
        try await eventually("dev prints its banner", timeout: .seconds(90)) { dev.lines.contains { $0.contains("Jobs: greet") } }
        try Data(#"{"name": "test"}"#.utf8).write(to: package.appendingPathComponent("greeting.json"))
        let sent = try await Self.run(
            productURL("tributary"), ["send", "greeting.sent", "--source", "my-jobs.example", "--payload", "greeting.json"], in: package)
        #expect(sent.exitCode == 0, "\(sent.lines)")
        try await eventually("the template's job ran", timeout: .seconds(60)) { dev.lines.contains { $0.contains("hello, test!") } }
        print("tributary init: dev start to the template's job running took \(ContinuousClock.now - started)")
    }
}
