import Foundation
import Logging
import Tributary
import TributaryKafka

/// Writes and reads the audit trail on `<p>.audit` (``AuditRecord``). The registrar's leader writes
/// its entries itself, in the transaction of the command's result; the tool (and the console) write
/// theirs here, for the actions they carry out themselves and for commands nobody answered.
public enum AuditTrail {
    /// Publishes one entry (acknowledged by the broker).
    public static func publish(
        _ entry: AuditRecord, configuration: KafkaConfiguration, topics: TributaryTopics, logger: Logger = Logger(label: "tributary.audit")
    ) async throws {
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        do {
            try await producer.send(KafkaProducerMessage(topic: topics.audit.name, record: try entry.record()))
            await producer.shutdown()
        } catch {
            await producer.shutdown()
            throw error
        }
    }

    /// Every entry on `<p>.audit` now, in order; an entry that cannot be read (another version) is
    /// logged as an error and left out.
    public static func entries(
        configuration: KafkaConfiguration, topics: TributaryTopics, logger: Logger = Logger(label: "tributary.audit")
    ) async throws -> [AuditRecord] {
        let reader = try KafkaTopicReader(configuration: configuration, topic: topics.audit.name, logger: logger)
        var entries: [AuditRecord] = []
        for await event in reader {
            switch event {
            case .message(let message):
                do { entries.append(try AuditRecord(record: WireRecord(message))) } catch {
                    logger.error(
                        "an audit record cannot be read; it is left out",
                        metadata: [LogKey.topic: "\(topics.audit.name)", LogKey.offset: "\(message.offset)", LogKey.error: "\(error)"])
                }
            case .caughtUp:
                await reader.close()
                return entries
            }
        }
        return entries
    }
}
