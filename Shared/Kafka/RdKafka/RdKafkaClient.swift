import CRdKafka
import Foundation
import Logging

/// One librdkafka instance (`rd_kafka_t`): the only type in the module that calls into librdkafka,
/// besides the mock cluster. Its methods marked *blocking* must run on a dedicated thread, never on
/// Swift's cooperative pool.
final class RdKafkaClient: @unchecked Sendable {
    let handle: OpaquePointer
    let context: RdKafkaContext
    let kind: RdKafkaKind
    /// The consumer's queue, fetched on first poll (only the poll thread touches it).
    private var consumerQueue: OpaquePointer?

    init(
        kind: RdKafkaKind, settings: [(key: String, value: String, origin: String?)], context: RdKafkaContext
    ) throws(KafkaError) {
        let config = try RdKafkaConfig(kind: kind, settings: settings)
        rd_kafka_conf_set_opaque(config.pointer, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(config.pointer, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(config.pointer, rdKafkaErrorCallback)
        if kind == .producer {
            rd_kafka_conf_set_dr_msg_cb(config.pointer, rdKafkaDeliveryCallback)
        } else if context.onAssign != nil || context.onRevoke != nil {
            rd_kafka_conf_set_rebalance_cb(config.pointer, rdKafkaRebalanceCallback)
        }
        var errstr = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(kind.c, config.pointer, &errstr, errstr.count) else {
            throw .configuration(errorText(errstr))
        }
        config.release()
        self.handle = handle
        self.context = context
        self.kind = kind
    }

    /// Destroys the instance. Blocking. Call once, after the consumer was closed or the producer flushed.
    func destroy() {
        if let consumerQueue { rd_kafka_queue_destroy(consumerQueue) }
        rd_kafka_destroy(handle)
    }

    // MARK: Producer

    /// Enqueues one record; its delivery report later reaches `rdKafkaDeliveryCallback` with `opaque`.
    /// Returns the error if librdkafka refused the record at once (nothing was enqueued then).
    func produce(_ message: KafkaProducerMessage, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        var headers: OpaquePointer? = nil
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            // `withCString`, not the String passed as a `const char *`: that bridging copies the name into
            // a new array for every header of every message.
            for header in message.headers {
                header.name.withCString { name in
                    if let value = header.value {
                        value.withUnsafeBytes { bytes in
                            _ = rd_kafka_header_add(headers, name, -1, bytes.baseAddress ?? emptyBytePointer, bytes.count)
                        }
                    } else {
                        _ = rd_kafka_header_add(headers, name, -1, nil, 0)
                    }
                }
            }
        }
        let error: OpaquePointer? = message.topic.withCString { topic in
            withOptionalBytes(message.key) { key, keyCount in
                withOptionalBytes(message.value) { value, valueCount in
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { vus in
                        var count = 0
                        func add(_ configure: (inout rd_kafka_vu_t) -> Void) {
                            var vu = rd_kafka_vu_t()
                            configure(&vu)
                            vus[count] = vu
                            count += 1
                        }
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_TOPIC; $0.u.cstr = topic
                        }
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_MSGFLAGS; $0.u.i = RD_KAFKA_MSG_F_COPY
                        }
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_VALUE; $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value);
                            $0.u.mem.size = valueCount
                        }
                        if key != nil || keyCount > 0 {
                            add {
                                $0.vtype = RD_KAFKA_VTYPE_KEY; $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key);
                                $0.u.mem.size = keyCount
                            }
                        }
                        if let partition = message.partition {
                            add {
                                $0.vtype = RD_KAFKA_VTYPE_PARTITION; $0.u.i32 = partition
                            }
                        }
                        if let headers {
                            add {
                                $0.vtype = RD_KAFKA_VTYPE_HEADERS; $0.u.headers = headers
                            }
                        }
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_OPAQUE; $0.u.ptr = opaque
                        }
                        return rd_kafka_produceva(handle, vus.baseAddress, count)
                    }
                }
            }
        }
        guard let error else { return nil }
        let code = rd_kafka_error_code(error)
        let result = KafkaError(rdKafka: code, context: "cannot enqueue a record for \(message.topic)")
        rd_kafka_error_destroy(error)
        if let headers { rd_kafka_headers_destroy(headers) }  // still ours when produceva failed
        return result
    }

    /// Serves delivery reports and other callbacks. Blocking for up to `timeoutMs`.
    func poll(timeoutMs: Int32) {
        rd_kafka_poll(handle, timeoutMs)
    }

    /// Waits until every enqueued record was delivered or failed. Blocking.
    func flush(timeoutMs: Int32) -> KafkaError? {
        let code = rd_kafka_flush(handle, timeoutMs)
        return code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(rdKafka: code, context: "flush")
    }

    /// Fails every record still queued (their delivery reports say so); used after a flush that timed out.
    func purgeQueued() {
        rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
    }

    /// Records waiting for delivery.
    var outQueueLength: Int32 { rd_kafka_outq_len(handle) }

    // MARK: Transactions (a producer with `transactional.id`)

    /// Registers the transactional id with its coordinator: fences any earlier producer with the same
    /// id and completes or aborts its open transaction. Blocking, up to `timeoutMs`.
    func initTransactions(timeoutMs: Int32) throws(KafkaError) {
        try check(rd_kafka_init_transactions(handle, timeoutMs), "init transactions")
    }

    /// Starts a transaction (local: no request is sent until a record is produced).
    func beginTransaction() throws(KafkaError) {
        try check(rd_kafka_begin_transaction(handle), "begin transaction")
    }

    /// Flushes the transaction's records and commits it. Blocking, up to `timeoutMs`.
    func commitTransaction(timeoutMs: Int32) throws(KafkaError) {
        try check(rd_kafka_commit_transaction(handle, timeoutMs), "commit transaction")
    }

    /// Aborts the current transaction: its records are never seen by `read_committed` readers. Blocking.
    func abortTransaction(timeoutMs: Int32) throws(KafkaError) {
        try check(rd_kafka_abort_transaction(handle, timeoutMs), "abort transaction")
    }

    /// Throws (and frees) a transactional API's error object, with librdkafka's flags.
    private func check(_ error: OpaquePointer?, _ what: String) throws(KafkaError) {
        guard let error else { return }
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let text = rd_kafka_error_string(error).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(code))
        throw KafkaError(
            code: KafkaError.Code(rawValue: code.rawValue), message: "\(what): \(text)",
            isRetriable: rd_kafka_error_is_retriable(error) != 0, isFatal: rd_kafka_error_is_fatal(error) != 0,
            requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0)
    }

    // MARK: Consumer

    /// Joins the group's subscription to these topics.
    func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let code = rd_kafka_subscribe(handle, list)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(rdKafka: code, context: "subscribe") }
        rd_kafka_poll_set_consumer(handle)
    }

    /// Assigns partitions directly (no group), each from the given offset (`nil`: the beginning).
    func assign(_ partitions: [(KafkaTopicPartition, Int64?)]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in partitions {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)
            element?.pointee.offset = offset ?? Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        let code = rd_kafka_assign(handle, list)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(rdKafka: code, context: "assign") }
        rd_kafka_poll_set_consumer(handle)
    }

    /// What one consumer poll returned.
    enum Polled {
        case message(KafkaMessage)
        case partitionEnd(KafkaTopicPartition, offset: Int64)
        case error(KafkaError)
    }

    /// Waits up to `timeoutMs` for a record, partition end or error, then takes up to `maximum - 1` more
    /// that are already there without waiting (librdkafka's batch call alone would wait for a full batch).
    /// Serves rebalance callbacks too. Empty when nothing arrived in time. Blocking.
    func consumerPoll(timeoutMs: Int32, maximum: Int = 512) -> [Polled] {
        guard let first = rd_kafka_consumer_poll(handle, timeoutMs) else { return [] }
        var topicNames: [OpaquePointer: String] = [:]
        var result: [Polled] = [convert(first, topicNames: &topicNames)]
        rd_kafka_message_destroy(first)
        if consumerQueue == nil { consumerQueue = rd_kafka_queue_get_consumer(handle) }
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<rd_kafka_message_t>?.self, capacity: maximum - 1) { buffer in
            let count = rd_kafka_consume_batch_queue(consumerQueue, 0, buffer.baseAddress, maximum - 1)
            guard count > 0 else { return }
            result.reserveCapacity(count + 1)
            for index in 0..<count {
                guard let pointer = buffer[index] else { continue }
                result.append(convert(pointer, topicNames: &topicNames))
                rd_kafka_message_destroy(pointer)
            }
        }
        return result
    }

    private func convert(_ pointer: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout [OpaquePointer: String]) -> Polled {
        let raw = pointer.pointee
        var topic = ""
        if let rkt = raw.rkt {
            if let known = topicNames[rkt] {
                topic = known
            } else {
                topic = String(cString: rd_kafka_topic_name(rkt))
                topicNames[rkt] = topic
            }
        }
        if raw.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
            return .partitionEnd(KafkaTopicPartition(topic: topic, partition: raw.partition), offset: raw.offset)
        }
        if raw.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let detail = raw.payload.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: raw.len), as: UTF8.self) }
            return .error(KafkaError(rdKafka: raw.err, context: detail.map { "consume \(topic): \($0)" } ?? "consume \(topic)"))
        }
        let value = raw.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: raw.len)) }
        let key = raw.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer? = nil
        if rd_kafka_message_headers(pointer, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            headers.reserveCapacity(rd_kafka_header_cnt(headerList))  // one allocation, not one per doubling
            var index = 0
            var name: UnsafePointer<CChar>? = nil
            var valuePointer: UnsafeRawPointer? = nil
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = valuePointer.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: headerValue))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(pointer, &timestampType)
        let timestamp = timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return .message(
            KafkaMessage(
                topic: topic, partition: raw.partition, offset: raw.offset, key: key, value: value,
                headers: headers, timestamp: timestamp))
    }

    /// Stores `offset` as the next offset to commit for that partition (after a message is done). Not blocking.
    func storeOffset(_ partition: KafkaTopicPartition, offset: Int64) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        let code = rd_kafka_offsets_store(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rdKafka: code, context: "store offset for \(partition)") }
        if let element = list?.pointee.elems, element.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(rdKafka: element.pointee.err, context: "store offset for \(partition)")
        }
    }

    /// Commits the stored offsets and waits for the coordinator's answer. Blocking.
    func commitStored() throws(KafkaError) {
        let code = rd_kafka_commit(handle, nil, 0)
        if code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        throw KafkaError(rdKafka: code, context: "commit")
    }

    /// The committed offsets of these partitions for the group (-1001 when none). Blocking.
    func committed(_ partitions: [KafkaTopicPartition], timeoutMs: Int32) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions { rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition) }
        let code = rd_kafka_committed(handle, list, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(rdKafka: code, context: "committed offsets") }
        return Dictionary(uniqueKeysWithValues: topicPartitions(list).map { ($0.0, $0.1) })
    }

    /// Commits these offsets (the next offset to read of each partition) and waits for the answer. Blocking.
    func commit(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        let code = rd_kafka_commit(handle, list, 0)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(rdKafka: code, context: "commit") }
    }

    /// Moves the fetch position of assigned partitions (records already fetched for them are dropped);
    /// returns the partitions that did not move, each with its error. Blocking.
    func seek(_ offsets: [KafkaTopicPartition: Int64], timeoutMs: Int32) throws(KafkaError) -> [KafkaTopicPartition: KafkaError] {
        guard !offsets.isEmpty else { return [:] }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        if let error = rd_kafka_seek_partitions(handle, list, timeoutMs) {
            let code = rd_kafka_error_code(error)
            rd_kafka_error_destroy(error)
            throw KafkaError(rdKafka: code, context: "seek")
        }
        // Each partition's outcome is in its element's `err` (e.g. `__STATE` while its fetcher has
        // not started yet: the assignment's committed offsets are still being fetched).
        guard let list else { return [:] }
        var failed: [KafkaTopicPartition: KafkaError] = [:]
        for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let element = list.pointee.elems[index]
            let partition = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            failed[partition] = KafkaError(rdKafka: element.err, context: "seek of \(partition)")
        }
        return failed
    }

    /// The earliest offset whose timestamp is at or after `milliseconds` since 1970, per partition, as
    /// the brokers answer ListOffsets by time (-1: no such record, or a broker that cannot tell). Blocking.
    func offsetsForTimes(
        _ partitions: [KafkaTopicPartition], milliseconds: Int64, timeoutMs: Int32
    ) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = milliseconds
        }
        let code = rd_kafka_offsets_for_times(handle, list, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(rdKafka: code, context: "offsets for times") }
        return Dictionary(topicPartitions(list).map { ($0.0, $0.1) }) { first, _ in first }
    }

    /// Leaves the group: serves the final revocation, commits, and stops fetching. Blocking.
    func closeConsumer() {
        rd_kafka_consumer_close(handle)
    }

    // MARK: Metadata and admin

    /// Every topic the cluster knows, with its partitions. Blocking. Never creates a topic.
    func topics(timeoutMs: Int32) throws(KafkaError) -> [KafkaTopicDescription] {
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        let code = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(rdKafka: code, context: "metadata")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var result: [KafkaTopicDescription] = []
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            let partitions = (0..<Int(topic.partition_cnt)).map { topic.partitions[$0].id }.sorted()
            let replicas = topic.partition_cnt > 0 ? Int(topic.partitions[0].replica_cnt) : 0
            result.append(
                KafkaTopicDescription(name: String(cString: topic.topic), partitions: partitions, replicationFactor: replicas))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The low and high watermarks of one partition, asked of its leader. Blocking.
    func watermarks(_ partition: KafkaTopicPartition, timeoutMs: Int32) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let code = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(rdKafka: code, context: "watermarks of \(partition)") }
        return (low, high)
    }

    /// Sends CreateTopics and waits for the answer. Per topic: nil on success, or its error. Blocking.
    func createTopics(_ specifications: [KafkaTopicSpecification], timeoutMs: Int32) throws(KafkaError) -> [String: KafkaError?] {
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
        for specification in specifications {
            guard
                let topic = rd_kafka_NewTopic_new(
                    specification.name, specification.partitions, specification.replicationFactor, &errstr, errstr.count)
            else { throw .configuration("topic \(specification.name): \(errorText(errstr))") }
            newTopics.append(topic)
            for (key, value) in specification.configs.sorted(by: { $0.key < $1.key }) {
                let code = rd_kafka_NewTopic_set_config(topic, key, value)
                if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError(rdKafka: code, context: "topic \(specification.name) config \(key)")
                }
            }
        }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errstr, errstr.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errstr, errstr.count)
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 2000) else {
            throw KafkaError(code: .timedOut, message: "CreateTopics was not answered", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(rdKafka: eventError, context: "CreateTopics")
        }
        var results: [String: KafkaError?] = [:]
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return results }
        var count = 0
        guard let topics = rd_kafka_CreateTopics_result_topics(result, &count) else { return results }
        for index in 0..<count {
            let topic = topics[index]
            let name = String(cString: rd_kafka_topic_result_name(topic))
            let code = rd_kafka_topic_result_error(topic)
            if code == RD_KAFKA_RESP_ERR_NO_ERROR {
                results[name] = .some(nil)
            } else {
                let message = rd_kafka_topic_result_error_string(topic).map { String(cString: $0) }
                results[name] = KafkaError(rdKafka: code, context: message ?? "create topic \(name)")
            }
        }
        return results
    }
}

/// A placeholder address for empty (but present) byte strings, which librdkafka would otherwise read as null.
nonisolated(unsafe) private let emptyBytePointer = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { buffer in body(buffer.baseAddress ?? emptyBytePointer, buffer.count) }
}

private func topicPartitions(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [(KafkaTopicPartition, Int64)] {
    guard let list else { return [] }
    return (0..<Int(list.pointee.cnt)).map { index in
        let element = list.pointee.elems[index]
        return (KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition), element.offset)
    }
}

/// A produced record's outcome, from the producer's poll thread.
let rdKafkaDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, _ in
    guard let message, let opaque = message.pointee._private else { return }
    let raw = message.pointee
    let outcome: Result<(partition: Int32, offset: Int64), KafkaError> =
        raw.err == RD_KAFKA_RESP_ERR_NO_ERROR
        ? .success((raw.partition, raw.offset)) : .failure(KafkaError(rdKafka: raw.err, context: "delivery failed"))
    Unmanaged<DeliveryPromise>.fromOpaque(opaque).takeRetainedValue().complete(outcome)
}

/// Rebalances of a consumer group, on the consumer's poll thread: the Swift hooks run before the
/// assignment takes effect and before a revocation is committed and released.
let rdKafkaRebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
    ) -> Void = { rk, code, list, _ in
        guard let rk, let context = RdKafkaContext.from(rk) else { return }
        let partitions = topicPartitions(list).map(\.0)
        if code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            var uncommitted: [KafkaTopicPartition] = []
            if context.resolvesStartOffsets, let list, list.pointee.cnt > 0 {
                // Which partitions the group never committed: the application decides where they start.
                let probe = rd_kafka_topic_partition_list_copy(list)
                defer { rd_kafka_topic_partition_list_destroy(probe) }
                let fetched = rd_kafka_committed(rk, probe, 10_000)
                if fetched == RD_KAFKA_RESP_ERR_NO_ERROR {
                    uncommitted = topicPartitions(probe).filter { $0.1 < 0 }.map(\.0)
                } else {
                    context.logger.warning("committed offsets unavailable at assignment: \(String(cString: rd_kafka_err2str(fetched)))")
                }
            }
            let starts = context.onAssign?(partitions, uncommitted) ?? [:]
            if let list, !starts.isEmpty {
                for index in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[index]
                    let key = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    if let start = starts[key] { list.pointee.elems[index].offset = start }
                }
            }
            rd_kafka_assign(rk, list)
            if !starts.isEmpty {
                // Commit the chosen starts at once, so that a restart resumes there instead of choosing again.
                let commitList = rd_kafka_topic_partition_list_new(Int32(starts.count))
                defer { rd_kafka_topic_partition_list_destroy(commitList) }
                for (partition, offset) in starts {
                    rd_kafka_topic_partition_list_add(commitList, partition.topic, partition.partition)?.pointee.offset = offset
                }
                let commit = rd_kafka_commit(rk, commitList, 0)
                if commit != RD_KAFKA_RESP_ERR_NO_ERROR {
                    context.logger.warning("committing start offsets failed: \(String(cString: rd_kafka_err2str(commit)))")
                }
            }
        } else {
            context.onRevoke?(partitions)
            let commit = rd_kafka_commit(rk, nil, 0)
            if commit != RD_KAFKA_RESP_ERR_NO_ERROR && commit != RD_KAFKA_RESP_ERR__NO_OFFSET {
                context.logger.warning("commit on revocation failed: \(String(cString: rd_kafka_err2str(commit)))")
            }
            rd_kafka_assign(rk, nil)
        }
    }

/// Who waits for a record's delivery report, kept alive through librdkafka's per-message opaque pointer.
/// Delivery reports arrive on the producer's poll thread.
class DeliveryPromise {
    func complete(_ outcome: Result<(partition: Int32, offset: Int64), KafkaError>) {}
}
