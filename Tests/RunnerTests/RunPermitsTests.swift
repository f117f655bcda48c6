import Synchronization
import Testing
@testable import TributaryRunner

/// The order in which tasks got a permit.
private final class Order: Sendable {
    private let taken = Mutex<[Int]>([])
    func append(_ i: Int) { taken.withLock { $0.append(i) } }
    var all: [Int] { taken.withLock { $0 } }
}

/// The runner's counting semaphore, without Kafka.
@Suite("Run permits")
struct RunPermitsTests {
    @Test("free permits are taken at once; the next acquirer waits until one is released")
    func waitsForRelease() async {
        let permits = RunPermits(2)
        await permits.acquire()
        await permits.acquire()
        let got = Atomic<Bool>(false)
        let waiter = Task {
            await permits.acquire()
            got.store(true, ordering: .sequentiallyConsistent)
        }
        try? await Task.sleep(for: .milliseconds(50))
        let early = got.load(ordering: .sequentiallyConsistent)
        #expect(!early)
        permits.release()
        await waiter.value
        let late = got.load(ordering: .sequentiallyConsistent)
        #expect(late)
    }

    @Test("waiters are served first come, first served")
    func fifo() async {
        let permits = RunPermits(0)
        let order = Order()
        var waiters: [Task<Void, Never>] = []
        for i in 0..<5 {
            waiters.append(
                Task {
                    await permits.acquire()
                    order.append(i)
                })
            // Let each waiter queue before the next one starts.
            while permits.waiting < i + 1 { await Task.yield() }
        }
        for i in 0..<5 {
            permits.release()
            while order.all.count < i + 1 { await Task.yield() }
        }
        #expect(order.all == [0, 1, 2, 3, 4])
        #expect(permits.waiting == 0)
    }

    @Test("a release of several wakes as many waiters and keeps the rest for later")
    func several() async {
        let permits = RunPermits(0)
        let first = Task { await permits.acquire() }
        let second = Task { await permits.acquire() }
        while permits.waiting < 2 { await Task.yield() }
        permits.release(5)
        await first.value
        await second.value
        #expect(permits.waiting == 0)
        for _ in 0..<3 { await permits.acquire() }  // the three left over, without waiting
        #expect(permits.waiting == 0)
    }
}
