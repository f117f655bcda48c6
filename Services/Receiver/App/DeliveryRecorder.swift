import Foundation
import Logging
import ServiceSupport
import Synchronization
import Tributary
import TributaryKafka

/// Writes the receiver's ``DeliveryRecord``s to `<p>.deliveries` on a producer of its own, off the
/// webhook's path: ``record(_:sourceKey:status:)`` returns at once, the send happens in a task of
/// its own, and a failed send is logged, never answered. ``DeliveryThrottle`` decides what is recorded.
final class DeliveryRecorder: Sendable {
    private let producer: KafkaProducer
    private let topic: String
    private let bodyLimit: Int
    private let throttle = Mutex(DeliveryThrottle())
    private let logger: Logger

    /// Longest source key recorded as it is (longer ones are cut: a key is the provider's or forged).
    static let keyLimit = 200

    /// A recorder sending to `topic` on `producer`, keeping accepted bodies up to `bodyLimit` bytes.
    init(producer: KafkaProducer, topic: String, bodyLimit: Int, logger: Logger) {
        self.producer = producer
        self.topic = topic
        self.bodyLimit = bodyLimit
        self.logger = logger
    }

    /// Records one answered request, unless the throttle only counts it; never waits for the broker.
    func record(_ note: DeliveryNote, sourceKey: String, status: Int, at time: Date = Date()) {
        let decision = throttle.withLock {
            $0.admit(sourceKey: sourceKey, outcome: note.outcome, second: Int64(time.timeIntervalSince1970))
        }
        guard case .record(let unrecorded) = decision else { return }
        let record = Self.record(note, sourceKey: sourceKey, status: status, at: time, bodyLimit: bodyLimit, unrecorded: unrecorded)
        let producer = producer
        let topic = topic
        let logger = logger
        // Detached: the send needs none of the request's task-local values (its trace context), and
        // a plain `Task` would copy them for every webhook.
        Task.detached {
            do {
                _ = try await producer.send(KafkaProducerMessage(topic: topic, record: try record.record()))
            } catch {
                logger.debug("delivery not recorded", metadata: [LogKey.error: "\(error)"])
            }
        }
    }

    /// The record of a note: the key cut at ``keyLimit``, an accepted body kept as text up to `bodyLimit`.
    static func record(
        _ note: DeliveryNote, sourceKey: String, status: Int, at time: Date, bodyLimit: Int, unrecorded: Int
    ) -> DeliveryRecord {
        var body: String?
        var truncated = false
        if note.outcome == .accepted && !note.body.isEmpty {
            let kept = note.body.prefix(bodyLimit)
            truncated = kept.count < note.body.count
            body = String(decoding: kept, as: UTF8.self)
        }
        return DeliveryRecord(
            receivedAt: time, sourceKey: String(sourceKey.prefix(keyLimit)), outcome: note.outcome, reason: note.reason,
            status: status, size: note.size, eventIds: note.eventIds, body: body, bodyTruncated: truncated,
            unrecorded: unrecorded)
    }

    /// Flushes and frees the producer.
    func shutdown() async { await producer.shutdown() }
}
