import TributaryKafka

/// Long-lived child tasks that are stopped together, on request, before their task group ends: a
/// service's ``run(_:)`` runs them as children of the calling task (structured concurrency), and
/// ``stop()`` cancels them and returns once they are cancelled. They are not awaited by `stop()`:
/// the enclosing task group awaits them when it ends.
final class StoppableTasks: Sendable {
    private let requested = Latch()
    private let cancelled = Latch()

    init() {}

    /// Runs `bodies` as child tasks until ``stop()`` is called (or the calling task is cancelled),
    /// then cancels them; returns when all of them have ended.
    func run(_ bodies: [@Sendable () async -> Void]) async {
        await withDiscardingTaskGroup { group in
            for body in bodies { group.addTask { await body() } }
            await requested.wait()
            group.cancelAll()
            cancelled.raise()
        }
    }

    /// Cancels the tasks of ``run(_:)``; returns once they are cancelled (so nothing they do after
    /// seeing the cancellation comes before this returns), without waiting for them to end.
    func stop() async {
        requested.raise()
        await cancelled.wait()
    }
}
