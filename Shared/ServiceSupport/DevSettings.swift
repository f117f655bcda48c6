import Foundation

/// The connection settings `tributary dev` (or your jobs' `dev`) writes to `.tributary/dev.env` in
/// its working directory, so that the tool started there finds the embedded broker, topic prefix and
/// secret key without an export: one `NAME=value` line per variable. Variables already set in the
/// environment win over the file. The file is removed when dev stops cleanly.
public struct DevSettings: Sendable, Hashable {
    /// The file, relative to the working directory.
    public static let relativePath = ".tributary/dev.env"
    /// The variables dev writes.
    public static let names = ["KAFKA_BROKERS", "TRIBUTARY_TOPIC_PREFIX", "TRIBUTARY_SECRET_KEY"]

    /// The variables, by name.
    public var values: [String: String]

    /// Settings with these values.
    public init(values: [String: String]) { self.values = values }

    /// The file in `directory` (the working directory by default).
    public static func url(in directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) -> URL {
        directory.appendingPathComponent(relativePath)
    }

    /// Writes the settings (readable by the owner only: it holds the secret key).
    public func write(to url: URL = DevSettings.url()) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let text =
            "# Written by tributary dev; removed when it stops. The tool reads it when KAFKA_BROKERS is not set.\n"
            + values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// The settings in the file, or nil when there is none (lines that are not `NAME=value` are ignored).
    public static func read(from url: URL = DevSettings.url()) -> DevSettings? {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            return nil
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = String(line[..<equals]).trimmingCharacters(in: .whitespaces)
            if names.contains(name) { values[name] = String(line[line.index(after: equals)...]).trimmingCharacters(in: .whitespaces) }
        }
        return DevSettings(values: values)
    }

    /// Sets, in this process's environment, the variables of the file that are not set already;
    /// returns the names it set. Call it first thing, before anything reads the environment.
    @discardableResult
    public static func applyToEnvironment(from url: URL = DevSettings.url()) -> [String] {
        guard let settings = read(from: url) else { return [] }
        let environment = ProcessInfo.processInfo.environment
        guard environment["KAFKA_BROKERS"]?.isEmpty ?? true else { return [] }
        var applied: [String] = []
        for (name, value) in settings.values.sorted(by: { $0.key < $1.key }) where environment[name]?.isEmpty ?? true {
            setenv(name, value, 1)
            applied.append(name)
        }
        return applied
    }
}
