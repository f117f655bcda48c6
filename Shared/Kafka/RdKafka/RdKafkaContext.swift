import CRdKafka
import Logging
import Synchronization

/// The Swift state librdkafka's C callbacks reach through the instance's opaque pointer.
final class RdKafkaContext: Sendable {
    let logger: Logger
    /// Called on the consumer's poll thread with the partitions just assigned, before they are fetched,
    /// and which of them have no committed offset; returns where those start (committed at once).
    let onAssign: (@Sendable (_ assigned: [KafkaTopicPartition], _ uncommitted: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64])?
    /// Whether `onAssign` wants to know the partitions without a committed offset (costs an OffsetFetch).
    let resolvesStartOffsets: Bool
    /// Called on the consumer's poll thread with the partitions being revoked, before they are committed and released.
    let onRevoke: (@Sendable ([KafkaTopicPartition]) -> Void)?
    /// The first fatal error librdkafka raised, after which the instance is unusable.
    let fatalError = Mutex<KafkaError?>(nil)

    init(
        logger: Logger,
        onAssign: (@Sendable ([KafkaTopicPartition], [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64])? = nil,
        onRevoke: (@Sendable ([KafkaTopicPartition]) -> Void)? = nil,
        resolvesStartOffsets: Bool = false
    ) {
        self.logger = logger
        self.onAssign = onAssign
        self.resolvesStartOffsets = resolvesStartOffsets
        self.onRevoke = onRevoke
    }

    static func from(_ rk: OpaquePointer?) -> RdKafkaContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RdKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// librdkafka's log lines, through swift-log (syslog levels: 0-2 error, 3-4 warning, 5-6 info, 7 debug;
/// librdkafka logs a refused connection, which it retries by itself, at level 3).
let rdKafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk, level, facility, buffer in
    guard let context = RdKafkaContext.from(rk) else { return }
    let swiftLevel: Logger.Level =
        switch level {
        case ...2: .error
        case 3, 4: .warning
        case 5, 6: .info
        default: .debug
        }
    let text = buffer.map { String(cString: $0) } ?? ""
    let facilityText = facility.map { String(cString: $0) } ?? ""
    context.logger.log(level: swiftLevel, "\(text)", metadata: ["librdkafka.facility": "\(facilityText)"])
}

/// Errors librdkafka reports outside any call (broker down, fatal idempotence errors).
let rdKafkaErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    rk, code, reason, _ in
    guard let context = RdKafkaContext.from(rk) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    if code == RD_KAFKA_RESP_ERR__FATAL.rawValue, let rk {
        var errstr = [CChar](repeating: 0, count: 512)
        let original = rd_kafka_fatal_error(rk, &errstr, errstr.count)
        let error = KafkaError(
            code: KafkaError.Code(rawValue: original.rawValue), message: errorText(errstr), isFatal: true)
        context.fatalError.withLock { if $0 == nil { $0 = error } }
        context.logger.critical("librdkafka fatal error: \(error.message)")
    } else {
        // Transient: librdkafka retries by itself (e.g. "all brokers down" while a broker restarts).
        context.logger.debug("librdkafka: \(text)", metadata: ["librdkafka.code": "\(code)"])
    }
}

extension KafkaError {
    /// An error from a librdkafka response code.
    init(rdKafka code: rd_kafka_resp_err_t, context message: String? = nil) {
        let text = String(cString: rd_kafka_err2str(code))
        self.init(
            code: Code(rawValue: code.rawValue),
            message: message.map { "\($0): \(text)" } ?? text,
            isRetriable: KafkaError.retriableCodes.contains(code.rawValue),
            isFatal: code == RD_KAFKA_RESP_ERR__FATAL
        )
    }

    /// Codes after which the same operation may succeed later.
    static let retriableCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue,
        RD_KAFKA_RESP_ERR__TRANSPORT.rawValue, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue,
        RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE.rawValue,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND.rawValue, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION.rawValue,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue, RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue,
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue,
    ]
}
