import Tributary
import TributaryDev
import TributaryRunner

/// An executable hosting a job of its own through `TributaryJobsMain`, as a user's package does:
/// the dev tests run its `dev`.
@main
enum DevJobsProbe {
    struct Ping: Codable, Sendable {
        var message: String
    }

    static let ping = EventSpecification<Ping>(
        name: "probe.ping", title: "Ping", source: "probe.example",
        examples: [EventExample(id: "hello", name: "Hello", payload: ["message": "hello"])])

    static let pong = Job(id: "probe-pong", name: "Pong", version: "1.0.0", trigger: Trigger(event: ping)) { ping, io, _ in
        io.logger.info("pong", metadata: ["message": "\(ping.message)"])
    }

    static func main() async {
        await TributaryJobsMain.main(jobs: [RunnerJob(pong)])
    }
}
