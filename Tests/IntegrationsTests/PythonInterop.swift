import Foundation
import TestSupport
import Testing

/// Runs `Tests/Interop/interop.py` with Python (`.venv/bin/python3` when `make setup-python` made it,
/// else `python3`): one JSON request on stdin, one JSON answer on stdout. Fails the test (never skips)
/// when Python or a package is missing, saying how to install them.
enum PythonInterop {
    static let hint = Python.installHint

    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop").appendingPathComponent("interop.py")
    }

    /// The answer of `command` to `request`, or a recorded failure and nil.
    static func call(
        _ command: String, _ request: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async -> [String: Any]? {
        let process = Python.process([script.path, command])
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try launch(process)
        } catch {
            Issue.record("cannot start \(Python.name) (\(error)); install Python 3 and \(hint)", sourceLocation: sourceLocation)
            return nil
        }
        let input = (try? JSONSerialization.data(withJSONObject: request)) ?? Data("{}".utf8)
        stdin.fileHandleForWriting.write(input)
        try? stdin.fileHandleForWriting.close()
        let read = await waitForExit(process, reading: [stdout, stderr])
        let output = read[0], errors = read[1]
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let why = process.terminationStatus == 127 ? "python3 is not installed" : message
            let advice = why.contains(hint) ? "" : "; \(hint)"
            Issue.record(
                "python interop '\(command)' failed (exit \(process.terminationStatus)): \(why)\(advice)", sourceLocation: sourceLocation)
            return nil
        }
        guard let answer = try? JSONSerialization.jsonObject(with: output) as? [String: Any] else {
            Issue.record(
                "python interop '\(command)' answered no JSON: \(String(decoding: output, as: UTF8.self))", sourceLocation: sourceLocation)
            return nil
        }
        return answer
    }
}
