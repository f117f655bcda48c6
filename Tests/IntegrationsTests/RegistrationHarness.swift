import Foundation
import Tributary
@testable import TributaryIntegrations

/// Plays the registrar for one source key: keeps the source state, computes the event change, calls
/// `register` in a fresh run, and applies the result.
struct RegistrarSimulator<Params: Codable & Sendable> {
    let source: ExternalSource<Params>
    let params: Params
    let url: String
    var active = false
    var data: JSON = .object([:])
    var secret: String?
    var registered: [String] = []
    /// The io of the last registration, to inspect its tasks.
    var lastIO: IO?

    init(source: ExternalSource<Params>, params: Params, url: String) {
        self.source = source
        self.params = params
        self.url = url
    }

    var key: String { source.key(params) }

    @discardableResult
    mutating func register(_ desired: [String]) async throws -> RegisterResult {
        let runId = "reg_" + UUID().uuidString
        let io = IO(runId: runId, store: InMemoryTaskStore(), print: false)
        lastIO = io
        let context = RunContext(
            runId: runId, job: JobInfo(id: "registrar", name: "Registrar", version: "1"),
            event: EventInfo(id: runId, name: "register", source: "tributary", timestamp: Date()), attempt: 1)
        let event = RegisterEvent(
            params: params,
            source: RegisterSource(key: key, active: active, data: data, url: url, secret: secret),
            options: ["event": OptionChange(desired: desired, registered: registered)])
        let result = try await source.register(event, io, context)
        if case .registered(let data, let secret, let options) = result {
            self.data = data
            self.secret = secret
            self.registered = options["event"] ?? []
            self.active = !self.registered.isEmpty
        }
        return result
    }
}
