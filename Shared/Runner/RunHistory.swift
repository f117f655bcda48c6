import Foundation
import Kafka
import Logging
import ServiceSupport
import Synchronization
import Tributary

/// What a runner knows about earlier runs, rebuilt from `<p>.runs` when partitions are assigned:
/// which runs finished (succeeded or dead-lettered) and, for unfinished ones, their last attempt and
/// their tasks (completed tasks are not run again).
final class RunHistory: Sendable {
    /// An earlier run as the latest record of its key tells it.
    struct Entry: Sendable {
        /// The `<p>.runs` partition it lives on.
        var runsPartition: Int32
        /// Succeeded, or failed for good and dead-lettered.
        var finished: Bool
        /// The last attempt recorded.
        var attempt: Int
        /// The tasks recorded (empty once finished).
        var tasks: [TaskRecord]
    }

    /// The message of the log line that marks a run's final failure, after its event was dead-lettered.
    static let deadLetteredMessage = "run failed for good; event dead-lettered"

    private let entries = Mutex<[String: Entry]>([:])

    /// The entry of a run key (`<event key>/<job id>`).
    func entry(_ runKey: String) -> Entry? { entries.withLock { $0[runKey] } }

    /// Records what this runner learned about a run.
    func update(_ runKey: String, _ entry: Entry) { entries.withLock { $0[runKey] = entry } }

    /// Forgets the runs of partitions this runner no longer reads.
    func forget(runsPartitions: Set<Int32>) {
        entries.withLock { $0 = $0.filter { !runsPartitions.contains($0.value.runsPartition) } }
    }

    /// Whether a record ends its run for good.
    static func isFinal(_ record: RunRecord) -> Bool {
        switch record.status {
        case .succeeded: true
        case .failed: record.logs.last?.message == deadLetteredMessage
        case .started: false
        }
    }

    /// Reads `partitions` of the runs topic from the beginning up to their current end and replaces
    /// what is known about them. Returns how many records were read.
    @discardableResult
    func rebuild(configuration: KafkaConfiguration, runsTopic: String, partitions: Set<Int32>, logger: Logger) async throws -> Int {
        guard !partitions.isEmpty else { return 0 }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        let reader = try KafkaTopicReader(configuration: configuration, topic: runsTopic, partitions: partitions.sorted(), logger: quiet)
        var fresh: [String: Entry] = [:]
        var count = 0
        var caughtUp = false
        for await event in reader {
            guard case .message(let message) = event else {
                caughtUp = true
                break
            }
            count += 1
            guard let key = message.keyString else { continue }
            guard message.value != nil else {
                fresh[key] = nil
                continue
            }
            do {
                let record = try RunRecord(record: WireRecord(message))
                let final = Self.isFinal(record)
                fresh[key] = Entry(runsPartition: message.partition, finished: final, attempt: record.attempt,
                                   tasks: final ? [] : record.tasks)
            } catch {
                logger.warning("unreadable run record skipped", metadata: [
                    LogKey.topic: "\(runsTopic)", LogKey.partition: "\(message.partition)",
                    LogKey.offset: "\(message.offset)", LogKey.error: "\(error)"])
            }
        }
        await reader.close()
        guard caughtUp else {
            throw KafkaError(code: .timedOut, message: "reading \(runsTopic) \(partitions.sorted()) ended before it caught up", isRetriable: true)
        }
        entries.withLock { entries in
            entries = entries.filter { !partitions.contains($0.value.runsPartition) }
            entries.merge(fresh) { _, new in new }
        }
        return count
    }
}
