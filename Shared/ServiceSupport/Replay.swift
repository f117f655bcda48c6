import Foundation
import TributaryKafka
import Logging
import Tributary

/// Replays a failed run: its original event is published again to `<p>.events` as a new event
/// (id `<id>.replay-<unix ms>`, so the runner computes a new run id and does not skip it as
/// finished) with the header ``Replay/jobHeader`` naming the one job to run, so jobs that already
/// succeeded on the original event do not run again. The `tributary_replay_of` header keeps the
/// original event key.
public enum Replay {
    /// The header that restricts a replayed event to one job.
    public static let jobHeader = "tributary_replay_job"
    /// The header carrying the original event's key.
    public static let originalHeader = "tributary_replay_of"

    /// Why a dead letter cannot be replayed.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// The record to publish to replay a dead letter's run, or why it cannot be replayed.
    public static func record(for letter: DLQRecord, at time: Date = Date()) throws(Refusal) -> WireRecord {
        guard let jobId = letter.jobId else {
            throw Refusal(description: "not an event (\(letter.reason)): fix its producer; there is no run to replay")
        }
        let event: EventRecord
        do {
            event = try CloudEvent.decode(letter.original)
        } catch {
            throw Refusal(description: "the original is not a CloudEvent: \(error.reason)")
        }
        var replayed = event
        replayed.id = "\(event.id).replay-\(Int64(time.timeIntervalSince1970 * 1000))"
        replayed.payloadBytes = letter.original.value
        var record = CloudEvent.encode(replayed)
        record.headers.append(WireHeader(jobHeader, jobId))
        record.headers.append(WireHeader(originalHeader, event.key))
        if let traceparent = letter.original.headerString("traceparent") {
            record.headers.append(WireHeader("traceparent", traceparent))
        }
        return record
    }

    /// Whether a dead letter is of a replayed event (its original carries ``originalHeader``).
    public static func isReplay(_ letter: DLQRecord) -> Bool {
        letter.original.headerString(originalHeader) != nil
    }

    /// Every dead letter on `<p>.dlq` now, oldest first; a record that cannot be read is logged (as an
    /// error, so the tool shows it) and left out.
    public static func deadLetters(
        configuration: KafkaConfiguration, topic: String, logger: Logger = Logger(label: "tributary.replay")
    ) async throws -> [DLQRecord] {
        let reader = try KafkaTopicReader(configuration: configuration, topic: topic, logger: logger)
        var letters: [DLQRecord] = []
        for await event in reader {
            switch event {
            case .message(let message):
                do { letters.append(try DLQRecord(record: WireRecord(message))) } catch {
                    // Another version's dead letter (or not one at all): said, left on the topic, not replayed.
                    logger.error(
                        "a dead letter cannot be read; it is left on the topic and not replayed",
                        metadata: [LogKey.topic: "\(topic)", LogKey.offset: "\(message.offset)", LogKey.error: "\(error)"])
                }
            case .caughtUp:
                await reader.close()
                return letters.sorted { $0.failedAt < $1.failedAt }
            }
        }
        return letters
    }
}
