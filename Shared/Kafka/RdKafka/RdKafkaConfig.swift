import CRdKafka

/// Which kind of librdkafka instance to create.
enum RdKafkaKind {
    case producer
    case consumer

    var c: rd_kafka_type_t { self == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER }
}

/// Owns an `rd_kafka_conf_t` until `rd_kafka_new` takes it.
final class RdKafkaConfig {
    private(set) var pointer: OpaquePointer?

    init(kind: RdKafkaKind, settings: [(key: String, value: String, origin: String?)]) throws(KafkaError) {
        pointer = rd_kafka_conf_new()
        for setting in settings {
            try set(setting.key, setting.value, origin: setting.origin)
        }
    }

    func set(_ key: String, _ value: String, origin: String? = nil) throws(KafkaError) {
        var errstr = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, key, value, &errstr, errstr.count)
        guard result == RD_KAFKA_CONF_OK else {
            let reason = errorText(errstr)
            let what = origin.map { "\($0) (librdkafka property \(key))" } ?? "librdkafka property \(key)"
            throw .configuration("\(what) is invalid: \(reason)")
        }
    }

    /// Hands the configuration to librdkafka; it is no longer ours to free.
    func release() { pointer = nil }

    deinit {
        if let pointer { rd_kafka_conf_destroy(pointer) }
    }
}

/// The text librdkafka wrote into an error buffer.
func errorText(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
