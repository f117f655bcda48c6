import Synchronization
import Testing
@testable import TributaryRunner

/// The handle that cancels a run's body, which runs in the calling task (no task per attempt).
@Suite("Run cancellation")
struct RunCancellationTests {
    @Test("a cancel while the body runs cancels the calling task: the body sees it, and the task stays cancelled")
    func cancelWhileRunning() async {
        let cancellation = RunCancellation()
        let started = AsyncStream<Void>.makeStream()
        let worker = Task {
            let failure = await cancellation.run {
                started.continuation.yield()
                try await Task.sleep(for: .seconds(3600))
            }
            return (failure is CancellationError, Task.isCancelled)
        }
        var iterator = started.stream.makeAsyncIterator()
        await iterator.next()
        cancellation.cancel(reason: "asked")
        let (sawCancellation, stillCancelled) = await worker.value
        #expect(sawCancellation)
        #expect(stillCancelled)
        #expect(cancellation.cancelledItsTask)
        #expect(cancellation.reason == "asked")
    }

    @Test("a run cancelled before its body starts does not run it, and leaves the calling task alone")
    func cancelBeforeRunning() async {
        let cancellation = RunCancellation()
        cancellation.cancel(reason: "early")
        let ran = Atomic<Bool>(false)
        let failure = await cancellation.run { ran.store(true, ordering: .relaxed) }
        let bodyRan = ran.load(ordering: .relaxed)
        #expect(failure is CancellationError)
        #expect(!bodyRan)
        #expect(!Task.isCancelled)
        #expect(!cancellation.cancelledItsTask)
        #expect(cancellation.reason == "early")
    }

    @Test("a cancel after the body returned only records the reason: the task that ran it is not cancelled")
    func cancelAfterRunning() async {
        let cancellation = RunCancellation()
        struct Failed: Error {}
        let failure = await cancellation.run { throw Failed() }
        #expect(failure is Failed)
        cancellation.cancel(reason: "late")
        #expect(!Task.isCancelled)
        #expect(!cancellation.cancelledItsTask)
        #expect(cancellation.reason == "late")
    }

    @Test("a second cancel keeps the first reason")
    func firstReasonWins() async {
        let cancellation = RunCancellation()
        cancellation.cancel(reason: "first")
        cancellation.cancel(reason: "second")
        #expect(cancellation.reason == "first")
    }
}
