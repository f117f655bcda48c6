import ArgumentParser
import ExampleJobs
import TributaryDev

/// `tributary dev`: the whole system in one process on an embedded Kafka cluster with the example
/// jobs (`runDevSystem`; your own jobs run the same way with `TributaryJobsMain`'s `dev`).
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the whole system locally on an in-memory Kafka cluster.",
        discussion: """
            Without provider credentials it still works: sources that cannot be registered show their error in \
            `tributary sources`, and a secret can be set by hand for local forwarding, e.g. the one \
            `stripe listen --forward-to localhost:8080/sources/stripe.webhook` prints: \
            `tributary sources set-secret stripe.webhook whsec_...`. The connection settings go to \
            .tributary/dev.env, which the tool reads when KAFKA_BROKERS is not set.
            """)

    @OptionGroup var options: DevOptions

    func run() async throws {
        do { try await runDevSystem(jobs: ExampleJobs.all, options: options, events: EventCatalog.all) } catch let error as DevError {
            throw ToolError(error.description)
        }
    }
}
