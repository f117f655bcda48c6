import Foundation
import Kafka
import Synchronization

/// Waits until `condition` holds, checking every 20 ms, or fails after `timeout`.
func eventually(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimeoutError(what: what())
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for: \(what)" }
}

/// A fresh embedded cluster with one topic, stopped when the test ends.
func withCluster<T>(
    brokers: Int = 1, topic: String = "test", partitions: Int32 = 4,
    _ body: (EmbeddedKafkaCluster, KafkaConfiguration) async throws -> T
) async throws -> T {
    let cluster = try EmbeddedKafkaCluster(brokers: brokers)
    defer { cluster.shutdown() }
    try cluster.createTopic(KafkaTopicSpecification(name: topic, partitions: partitions))
    return try await body(cluster, cluster.configuration)
}

/// A built executable of this package, next to the test bundle.
func productURL(_ name: String) -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/debug/\(name)")
}

/// A child process whose standard output lines are collected as they arrive.
final class ChildProcess: Sendable {
    private let process: Process
    private let output = LineCollector()

    init(_ executable: URL, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        let output = output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.append(data) }
        }
        try process.run()
        self.process = process
    }

    var lines: [String] { output.lines }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Splits bytes arriving in pieces into lines.
final class LineCollector: Sendable {
    private let state = Mutex<(lines: [String], partial: String)>(([], ""))

    func append(_ data: Data) {
        state.withLock { state in
            state.partial += String(decoding: data, as: UTF8.self)
            while let newline = state.partial.firstIndex(of: "\n") {
                state.lines.append(String(state.partial[..<newline]))
                state.partial = String(state.partial[state.partial.index(after: newline)...])
            }
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
}
