import Foundation
import Testing
import Tributary
import TributaryConsole

/// The console in Debian's Chromium, headless, driven by Selenium through Debian's chromedriver
/// (Tests/Interop/console_browser.py): log in, run the price.created example from the Testing UI,
/// see the run appear live with "price created!" in its log, replay a dead letter, log out. The
/// screenshots land in .build/console-screenshots/.
@Suite("console: a real browser", .serialized, .tags(.browser, .python), .notInFastRun)
struct ConsoleBrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("log in, run a test event and watch its run arrive live, replay a dead letter, log out")
    func browser() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: `make setup` (or .ci/run) installs Debian's chromium and chromium-driver")
            return
        }
        let check = Python.process(["-c", "import selenium"])
        try launch(check)
        _ = await waitForExit(check)
        guard check.terminationStatus == 0 else {
            Issue.record("\(Python.name) lacks selenium: \(Python.installHint)")
            return
        }
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
        try await ConsoleSystem.writeStripeSource(harness, sealer: sealer)
        let system = try await ConsoleSystem.start(harness, sealer: sealer)
        let shots = Self.repository.appendingPathComponent(".build/console-screenshots")
        try? FileManager.default.removeItem(at: shots)

        let script = Self.repository.appendingPathComponent("Tests/Interop/console_browser.py").path
        let process = Python.process([script, "http://127.0.0.1:\(system.consolePort)", ConsoleHarness.password, shots.path])
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try launch(process)
        // Off the cooperative pool: the browser talks to the console's handlers in this process.
        let message = String(decoding: await waitForExit(process, reading: [errors])[0], as: UTF8.self)
        #expect(process.terminationStatus == 0, "the browser test failed: \(message)")
        for page in ["login", "catalog", "runs", "run", "dlq", "dlq-replayed"] {
            let data = try? Data(contentsOf: shots.appendingPathComponent("\(page).png"))
            #expect(data?.starts(with: [0x89, 0x50, 0x4E, 0x47]) == true, "no screenshot of \(page)")
        }
        // What the browser did is on the topics: the example's run succeeded, the dead letter was replayed.
        let runs = try system.console.store.runs(RunFilter(job: "stripe-on-price"))
        #expect(runs.contains { $0.status == "succeeded" } && runs.contains { $0.status == "dead-lettered" })
        let replays = try await harness.messages(harness.topics.events.name).filter {
            WireRecord($0).headerString("tributary_replay_job") != nil
        }
        #expect(replays.count == 1)
        try await system.stop()
    }
}
