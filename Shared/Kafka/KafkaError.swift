/// The one error type of the Kafka module: librdkafka's error code and message, and whether a retry can help.
///
/// Codes are librdkafka's `rd_kafka_resp_err_t` values (negative for client-side errors, positive for
/// broker errors), plus a few of Tributary's own (10000 and up) for configuration and lifecycle errors.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An extensible error code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// A property or environment variable was rejected at start-up.
        public static let invalidConfiguration = Code(rawValue: 10_000)
        /// The client was shut down before the operation finished.
        public static let shutDown = Code(rawValue: 10_001)
        /// The operation did not complete within its deadline.
        public static let timedOut = Code(rawValue: -185)  // RD_KAFKA_RESP_ERR__TIMED_OUT
        /// The message was not acknowledged within the producer's delivery timeout.
        public static let messageTimedOut = Code(rawValue: -192)  // RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
        /// No broker could be reached.
        public static let allBrokersDown = Code(rawValue: -187)  // RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
        /// The producer's local queue is full.
        public static let queueFull = Code(rawValue: -184)  // RD_KAFKA_RESP_ERR__QUEUE_FULL
        /// The topic or partition does not exist.
        /// The operation does not fit the object's state now (e.g. a seek before a partition fetches).
        public static let state = Code(rawValue: -172)  // RD_KAFKA_RESP_ERR__STATE
        /// The client does not know the partition (yet).
        public static let unknownPartition = Code(rawValue: -190)  // RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION
        public static let unknownTopicOrPartition = Code(rawValue: 3)
        /// The topic exists already (CreateTopics).
        public static let topicAlreadyExists = Code(rawValue: 36)
        /// A fatal error: the client instance can no longer be used.
        public static let fatal = Code(rawValue: -150)  // RD_KAFKA_RESP_ERR__FATAL
        /// This transactional producer was fenced: another producer initialised the same transactional id.
        public static let fenced = Code(rawValue: -144)  // RD_KAFKA_RESP_ERR__FENCED
        /// The broker's answer to a fenced transactional producer (normalised to ``fenced`` by librdkafka).
        public static let producerFenced = Code(rawValue: 90)  // RD_KAFKA_RESP_ERR_PRODUCER_FENCED
        /// The broker's answer to a producer with an old epoch (a fenced one, before Kafka 2.7).
        public static let invalidProducerEpoch = Code(rawValue: 47)  // RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH

        public var description: String { "\(rawValue)" }
    }

    /// What went wrong, as a code.
    public var code: Code
    /// librdkafka's message, or ours.
    public var message: String
    /// Whether the same operation may succeed if tried again (e.g. a broker was down).
    public var isRetriable: Bool
    /// Whether the client that reported it can no longer be used.
    public var isFatal: Bool
    /// Whether the current transaction must be aborted before the producer can go on (a transactional
    /// producer's "abortable" error); the transaction can then be tried again.
    public var requiresAbort: Bool

    public init(code: Code, message: String, isRetriable: Bool = false, isFatal: Bool = false, requiresAbort: Bool = false) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.requiresAbort = requiresAbort
    }

    /// Whether a transactional producer was fenced: another producer took its transactional id (for
    /// the registrar: another registrar leads now).
    public var isFenced: Bool { code == .fenced || code == .producerFenced || code == .invalidProducerEpoch }

    public var description: String {
        var flags = ""
        if isFatal { flags += ", fatal" } else if isRetriable { flags += ", retriable" }
        if requiresAbort { flags += ", abort the transaction" }
        return "KafkaError(\(code)\(flags)): \(message)"
    }

    static func configuration(_ message: String) -> KafkaError {
        KafkaError(code: .invalidConfiguration, message: message)
    }

    static let shutDownError = KafkaError(code: .shutDown, message: "the Kafka client is shut down")
}
