import Foundation

/// How the tests run Python: `.venv/bin/python3` of the repository (what `make setup-python`
/// creates) when it exists, else `python3` from `PATH`.
public enum Python {
    /// The repository root (this file is Tests/TestSupport/Python.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The virtual environment's interpreter, if `make setup-python` made one.
    public static var virtualEnvironment: URL? {
        let candidate = repositoryRoot.appendingPathComponent(".venv/bin/python3")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }

    /// What to run when a package is missing.
    public static let installHint = "run `make setup-python` (a virtual environment in .venv with Tests/Interop/requirements.txt)"

    /// A process (not started) that runs Python with `arguments`.
    public static func process(_ arguments: [String]) -> Process {
        let process = Process()
        if let virtualEnvironment {
            process.executableURL = virtualEnvironment
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
        }
        return process
    }

    /// The interpreter's name for messages: the venv's path or `python3`.
    public static var name: String { virtualEnvironment?.path ?? "python3" }
}
