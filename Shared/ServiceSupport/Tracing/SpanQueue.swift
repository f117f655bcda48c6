import Synchronization

/// The bounded queue between ended spans and the exporter (the OpenTelemetry batch span processor's
/// queue): ending a span appends under a lock and wakes the exporter only when a whole batch is
/// ready, so a span costs no task switch; a full queue drops new spans and counts them.
final class SpanQueue: Sendable {
    /// The most spans held (`OTEL_BSP_MAX_QUEUE_SIZE`).
    let capacity: Int
    /// The spans that wake the exporter before its schedule (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`).
    let batchSize: Int
    private let state: Mutex<State>

    private struct State {
        var spans: [RecordedSpan] = []
        var dropped = 0
        var waiter: CheckedContinuation<Void, Never>?
        /// A wake-up that came while the exporter was not waiting: its next wait returns at once.
        var woken = false
        var closed = false
    }

    init(capacity: Int, batchSize: Int) {
        self.capacity = capacity
        self.batchSize = batchSize
        state = Mutex(State())
    }

    /// Queues an ended span, or drops it when the queue is full or closed.
    func append(_ span: RecordedSpan) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard !state.closed, state.spans.count < capacity else {
                state.dropped += 1
                return nil
            }
            state.spans.append(span)
            guard state.spans.count >= batchSize else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Suspends until a batch is ready, `delay` has passed, the queue closes, or the task is cancelled.
    func waitForBatch(atMost delay: Duration) async {
        await withTaskCancellationHandler {
            await waitForBatchOrTimer(delay)
        } onCancel: {
            wake()
        }
    }

    private func waitForBatchOrTimer(_ delay: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard (try? await Task.sleep(for: delay)) != nil else { return }
                self.wake()
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.woken || state.closed || state.spans.count >= batchSize {
                        state.woken = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
            group.cancelAll()
        }
    }

    /// Wakes the exporter (its schedule, a flush).
    func wake() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.woken = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Closes the queue (shutdown): later spans are dropped, the exporter drains what is held.
    func close() {
        state.withLock { $0.closed = true }
        wake()
    }

    /// Takes every span held (the exporter sends them in batches of `batchSize`), the count dropped
    /// since the last take, and whether the queue is closed. The lock is held only to swap the
    /// buffer for a fresh one.
    func take() -> (spans: [RecordedSpan], dropped: Int, closed: Bool) {
        var fresh: [RecordedSpan] = []
        fresh.reserveCapacity(batchSize)
        return state.withLock { state in
            swap(&state.spans, &fresh)
            defer { state.dropped = 0 }
            return (fresh, state.dropped, state.closed)
        }
    }

    /// The number of spans held.
    var count: Int { state.withLock { $0.spans.count } }
}
