import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// The background service that exports ``OTLPTracer``'s spans over OTLP/HTTP: every
/// `OTEL_BSP_SCHEDULE_DELAY`, or as soon as a batch (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`) is queued, it
/// takes what is queued and POSTs it to the collector a batch per request, one request at a time,
/// each bounded by the export timeout. A collector that fails, answers slowly or not at all costs queued spans (dropped
/// when the queue is full, and logged), never a caller's time. At graceful shutdown it exports what
/// is queued, then stops.
struct OTLPExporter: Service {
    let queue: SpanQueue
    let configuration: OTLPConfiguration
    let encoding: OTLPTraceEncoding
    let logger: Logger

    func run() async throws {
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.tracing.tracer = nil  // the exporter's own requests make no spans
        clientConfiguration.timeout.connect = .milliseconds(Int64(min(configuration.timeoutMilliseconds, 10_000)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        await withGracefulShutdownHandler {
            while true {
                await queue.waitForBatch(atMost: configuration.scheduleDelay)
                let (spans, dropped, closed) = queue.take()
                if dropped > 0 {
                    logger.warning(
                        "trace spans dropped: the export queue was full",
                        metadata: ["dropped": "\(dropped)", "queue_size": "\(queue.capacity)"])
                }
                var start = 0
                while start < spans.count {
                    let end = min(start + queue.batchSize, spans.count)
                    await export(spans[start..<end], client: client)
                    start = end
                }
                // Shutdown: once the queue is drained. Cancelled (the group failed): at once.
                if (closed && queue.count == 0) || Task.isCancelled { break }
            }
        } onGracefulShutdown: {
            queue.close()
        }
        try? await client.shutdown()
    }

    /// POSTs one batch; a failure is logged and the batch dropped (a 429, 502, 503 or 504 answer is
    /// tried again once after a second, within the export timeout).
    private func export(_ spans: ArraySlice<RecordedSpan>, client: HTTPClient) async {
        let body = configuration.json ? encoding.json(spans) : encoding.protobuf(spans)
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: configuration.json ? "application/json" : "application/x-protobuf")
        for (name, value) in configuration.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .milliseconds(Int64(configuration.timeoutMilliseconds))
        for attempt in 1...2 {
            do {
                let response = try await client.execute(request, deadline: deadline)
                let status = response.status.code
                _ = try? await response.body.collect(upTo: 1 << 20)
                if (200..<300).contains(status) { return }
                let retryable = status == 429 || status == 502 || status == 503 || status == 504
                if retryable, attempt == 1, NIODeadline.now() + .seconds(1) < deadline {
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                logger.warning(
                    "trace export refused by the collector", metadata: ["status": "\(status)", "spans": "\(spans.count)"])
                return
            } catch {
                logger.warning("trace export failed", metadata: ["error": "\(error)", "spans": "\(spans.count)"])
                return
            }
        }
    }
}
