import Foundation
import Tributary

/// One registration of a source key as the registrar records it on its control topic `<p>.registrar`
/// (key: the source key; a tombstone once the run is over). Its run id keys the provider calls' `io`
/// tasks and their idempotency keys; a new leader resumes an unfinished run with the same id and the
/// completed tasks memoized.
struct RegistrationRun: Sendable, Hashable, Codable {
    /// The format version.
    var v = 1
    /// The source key.
    var sourceKey: String
    /// `reg_` + a UUID: new for every registration, kept by its retried attempts.
    var runId: String
    /// Attempts started so far.
    var attempt: Int
    /// When the run started.
    var startedAt: Date
    /// The `io` task records of the run.
    var tasks: [TaskRecord]

    /// A new run for a source key.
    init(sourceKey: String, startedAt: Date = Date()) {
        self.sourceKey = sourceKey
        self.runId = "reg_" + UUID().uuidString.lowercased()
        self.attempt = 0
        self.startedAt = startedAt
        self.tasks = []
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }

    /// The JSON value on the control topic.
    func encoded() throws -> [UInt8] { Array(try Self.encoder.encode(self)) }

    /// Reads a control-topic value; throws for another version.
    init(bytes: [UInt8]) throws {
        self = try Self.decoder.decode(RegistrationRun.self, from: Data(bytes))
        guard v == 1 else { throw WireFormatError("unsupported registration run version \(v)") }
    }
}

/// The `io` task store of one registration run (the registrar's provider calls for one source key):
/// every save is written to the control topic `<p>.registrar` as the whole `RegistrationRun` (and
/// acknowledged) before the provider call it precedes or follows goes on, so a new leader resumes the
/// run with its completed tasks memoized. Not the runner's `RunTaskStore`, which keeps a job run's
/// tasks on `<p>.runs` inside the run's record.
actor RegistrationTaskStore: TaskStore {
    /// The run with the tasks saved so far.
    private(set) var run: RegistrationRun
    private let persist: @Sendable (RegistrationRun) async throws -> Void

    /// A store for `run` (holding its restored tasks) that writes the run through `persist` on every save.
    init(run: RegistrationRun, persist: @escaping @Sendable (RegistrationRun) async throws -> Void) {
        self.run = run
        self.persist = persist
    }

    func task(runId: String, key: String) -> TaskRecord? {
        run.runId == runId ? run.tasks.first { $0.key == key } : nil
    }

    func save(_ task: TaskRecord) async throws {
        if let index = run.tasks.firstIndex(where: { $0.key == task.key }) {
            run.tasks[index] = task
        } else {
            run.tasks.append(task)
        }
        try await persist(run)
    }

    func tasks(runId: String) -> [TaskRecord] { run.runId == runId ? run.tasks : [] }
}
