/// A configuration value that is missing or invalid at start-up (an environment variable, a flag, a
/// provider credential, a job list). The one configuration error of every module: services, providers
/// and the tool throw it, and its message names the variable at fault.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The environment variable (or flag) at fault, when there is one.
    public var variable: String?
    /// What is wrong; it names `variable` when there is one.
    public var message: String

    /// An error whose `message` already names the variable (e.g. `"LOG_LEVEL=loud is not one of …"`).
    public init(_ message: String, variable: String? = nil) {
        self.variable = variable
        self.message = message
    }

    /// An error about `variable`: the message is `"<variable>: <problem>"`.
    public init(variable: String, problem: String) {
        self.init("\(variable): \(problem)", variable: variable)
    }

    /// The message.
    public var description: String { message }
}
