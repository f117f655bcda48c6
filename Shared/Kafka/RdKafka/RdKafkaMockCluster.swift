import CRdKafka

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`): real Kafka protocol on loopback TCP,
/// in memory. Owns the helper instance the cluster needs and the cluster itself.
final class RdKafkaMockCluster: @unchecked Sendable {
    private let owner: RdKafkaClient
    private let cluster: OpaquePointer
    let bootstrapServers: String

    init(brokers: Int, context: RdKafkaContext) throws(KafkaError) {
        // The mock brokers' sockets take their owner's `socket.nagle.disable`. Without it a broker holds back
        // a response behind an unacknowledged one (Nagle against the client's delayed ACK): with three or
        // more produce requests in flight on a connection each batch waited ~40 ms, not ~2 ms.
        owner = try RdKafkaClient(kind: .producer, settings: [(key: "socket.nagle.disable", value: "true", origin: nil)], context: context)
        guard let cluster = rd_kafka_mock_cluster_new(owner.handle, Int32(brokers)) else {
            owner.destroy()
            throw KafkaError(code: .invalidConfiguration, message: "could not start the mock cluster")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32) throws(KafkaError) {
        let code = rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rdKafka: code, context: "create topic \(name)") }
    }

    func setBroker(_ id: Int32, up: Bool) {
        if up { _ = rd_kafka_mock_broker_set_up(cluster, id) } else { _ = rd_kafka_mock_broker_set_down(cluster, id) }
    }

    func setRoundTripTime(broker id: Int32, milliseconds: Int32) {
        _ = rd_kafka_mock_broker_set_rtt(cluster, id, milliseconds)
    }

    /// Makes the next requests of that API key (e.g. 0 = Produce) fail with these broker error codes, in order.
    func pushRequestErrors(apiKey: Int16, codes: [Int32]) {
        var errors = codes.map { rd_kafka_resp_err_t(rawValue: $0) }
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, errors.count, &errors)
    }

    func destroy() {
        rd_kafka_mock_cluster_destroy(cluster)
        owner.destroy()
    }
}
