import Testing
import TributaryConsole

/// The live-update hub the event stream reads.
@Suite struct ConsoleUpdatesTests {
    @Test("every subscriber gets what is published after it subscribed; close ends every stream, later ones at once")
    func fanOut() async {
        let updates = ConsoleUpdates()
        let first = updates.subscribe().updates
        let second = updates.subscribe().updates
        #expect(updates.subscriberCount == 2)
        updates.publish(ConsoleUpdate(channel: .runs, runIds: ["run_1"]))
        updates.publish(ConsoleUpdate(channel: .deliveries))
        updates.close()
        var got: [[ConsoleUpdate]] = []
        for stream in [first, second] {
            var items: [ConsoleUpdate] = []
            for await update in stream { items.append(update) }
            got.append(items)
        }
        let expected = [ConsoleUpdate(channel: .runs, runIds: ["run_1"]), ConsoleUpdate(channel: .deliveries)]
        #expect(got == [expected, expected])
        var late: [ConsoleUpdate] = []
        for await update in updates.subscribe().updates { late.append(update) }
        #expect(late.isEmpty)
    }

    @Test("an unsubscribed stream ends and is forgotten; the others go on")
    func unsubscribe() async {
        let updates = ConsoleUpdates()
        let (gone, id) = updates.subscribe()
        let (staying, _) = updates.subscribe()
        updates.unsubscribe(id)
        #expect(updates.subscriberCount == 1)
        var ended: [ConsoleUpdate] = []
        for await update in gone { ended.append(update) }
        #expect(ended.isEmpty)
        updates.publish(ConsoleUpdate(channel: .jobs))
        var iterator = staying.makeAsyncIterator()
        let next = await iterator.next()
        #expect(next == ConsoleUpdate(channel: .jobs))
    }
}
