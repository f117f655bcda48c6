import Foundation
import Testing
import Tributary

// The schedules example of docs/sdk.md and the README, verbatim (checked by the test below).
// docs-example: schedules
let dailyDigest = Job(
    id: "daily-digest", name: "Daily digest", version: "1.0.0",
    trigger: .cron("0 9 * * 1-5", timeZone: TimeZone(identifier: "Europe/Berlin")!)
) { tick, io, ctx in
    // One run per tick, whichever runner takes it; ctx.event.timestamp is the scheduled time too.
    io.logger.info("digest", metadata: ["for": "\(RFC3339.string(from: tick.scheduledAt))", "catchUp": "\(tick.isCatchUp)"])
}

let heartbeat = Job(
    id: "heartbeat", name: "Heartbeat", version: "1.0.0",
    trigger: .interval(.minutes(5), catchUp: 0)  // missed ticks are skipped
) { tick, io, ctx in
    io.logger.info("alive")
}
// docs-example: end

/// The docs' schedule example compiles (it is this file) and is the same text in docs/sdk.md and the README.
@Suite struct ScheduleDocExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func block(_ text: String) -> String? {
        guard let start = text.range(of: "// docs-example: schedules\n"),
            let end = text.range(of: "// docs-example: end", range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    @Test(arguments: ["docs/sdk.md", "README.md"])
    func theDocumentShowsTheCompiledExample(_ document: String) throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let example = try #require(Self.block(source))
        let text = try String(contentsOf: Self.root.appendingPathComponent(document), encoding: .utf8)
        let shown = text.contains("```swift\n" + example + "```")
        #expect(shown, "\(document) does not show the example of \(#filePath) verbatim")
    }

    @Test func theExampleJobsRunOnTheirOwnTicks() async throws {
        let at = RFC3339.date(from: "2026-12-07T08:00:00Z")!
        let event = ScheduledTick(jobId: "daily-digest", scheduledAt: at).event
        #expect(dailyDigest.matches(event))
        #expect(!heartbeat.matches(event))
        let context = RunContext(job: dailyDigest, event: event, attempt: 1)
        let io = IO(runId: context.runId, store: InMemoryTaskStore(), print: false)
        try await dailyDigest.run(event, io: io, context: context)
        let logged = io.log.lines.first?.metadata
        #expect(logged == ["for": "2026-12-07T08:00:00Z", "catchUp": "false"])
        let next = try dailyDigest.declaration().schedule?.next(after: at).map(RFC3339.string(from:))
        #expect(next == "2026-12-08T08:00:00Z")
    }
}
