import TributaryKafka
import Logging
import ServiceSupport
import Tributary

/// The registrar's control topic `<p>.registrar` (one partition, held by the leader): unfinished
/// registration runs by source key, with their `io` task records, so a new leader resumes them.
final class ControlLog: Sendable {
    private let kafka: KafkaConfiguration
    private let producer: KafkaProducer
    let topic: String
    private let logger: Logger

    init(kafka: KafkaConfiguration, producer: KafkaProducer, topic: String, logger: Logger) {
        self.kafka = kafka
        self.producer = producer
        self.topic = topic
        self.logger = logger
    }

    /// Records a run (and its tasks) as unfinished; returns once the broker acknowledged it.
    func save(_ run: RegistrationRun) async throws {
        try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, key: run.sourceKey, value: try run.encoded()))
    }

    /// Marks the run of a source key over (a tombstone).
    func finish(_ sourceKey: String) async throws {
        try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, key: sourceKey, value: nil))
    }

    /// Reads the topic from the beginning to its current end: the unfinished runs by source key.
    func restore() async throws -> [String: RegistrationRun] {
        let reader = try KafkaTopicReader(configuration: kafka, topic: topic, logger: logger)
        var runs: [String: RegistrationRun] = [:]
        for await event in reader {
            switch event {
            case .message(let message):
                guard let key = message.keyString else { continue }
                guard let value = message.value else {
                    runs[key] = nil
                    continue
                }
                do {
                    runs[key] = try RegistrationRun(bytes: value)
                } catch {
                    logger.error(
                        "unreadable registration run on the control topic; it is dropped",
                        metadata: [LogKey.sourceKey: "\(key)", LogKey.error: "\(error)"])
                    runs[key] = nil
                }
            case .caughtUp:
                await reader.close()
                return runs
            }
        }
        return runs
    }
}
