import AsyncHTTPClient
import Foundation
@_exported import TestSupport
import TributaryKafka
import NIOCore

struct SystemTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A service process started by a system test from its built executable: standard output lines are
/// collected, standard error goes to a log file in the temporary folder, and it dies with the test.
final class ServiceProcess: Sendable {
    let name: String
    /// The file its standard error (its log) goes to.
    let logPath: String
    private let child: ChildProcess

    init(_ name: String, _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.name = name
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        merged["LOG_LEVEL"] = merged["LOG_LEVEL"] ?? "info"
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-system-\(name)-\(getpid()).log").path
        logPath = log
        child = try ChildProcess(productURL(executable), arguments, environment: merged, errors: .file(log))
    }

    var lines: [String] { child.lines }
    var isRunning: Bool { child.isRunning }
    func firstLine(timeout: Duration = .seconds(30)) async throws -> String { try await child.firstLine(timeout: timeout) }
    func kill() { child.kill() }
    func terminate() { child.terminate() }
}

/// Runs a command to completion and returns its standard output.
func runToCompletion(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = productURL(executable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.merge(environment) { _, new in new }
    process.environment = merged
    let stdout = Pipe()
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try launch(process)
    let data = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Small HTTP calls for the tests.
enum HTTP {
    static func get(_ url: String) async throws -> (status: Int, body: [UInt8]) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    static func post(_ url: String, body: [UInt8], headers: [(String, String)]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
