import TributaryKafka
import Tributary

extension KafkaProducerMessage {
    /// A Tributary wire record (key, value, headers) as a record for `topic`.
    public init(topic: String, partition: Int32? = nil, record: WireRecord) {
        self.init(
            topic: topic, partition: partition, key: record.key, value: record.value,
            headers: record.headers.map { KafkaHeader(name: $0.name, value: $0.value) })
    }
}

extension WireRecord {
    /// A record read from Kafka, as Tributary's broker-neutral wire record.
    public init(_ message: KafkaMessage) {
        self.init(
            key: message.key, value: message.value,
            headers: message.headers.map { WireHeader($0.name, $0.value ?? []) })
    }
}
