import ExampleJobs
import ArgumentParser
import Foundation
import TributaryKafka
import ServiceSupport
import Tributary
import TributaryIntegrations

/// `tributary send`: publishes a test event, from an event specification's example or a payload.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Publish a test event to <p>.events, as Trigger.dev's test UI did.",
        discussion: "Example: tributary send price.created --example usd")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The event name, e.g. price.created.") var event: String
    @Option(help: "The event's source, e.g. stripe.com (default: the specification's).") var source: String?
    @Option(help: "The id of one of the specification's examples (default: its first).") var example: String?
    @Option(help: "A JSON payload file, or - for standard input.") var payload: String?
    @Option(help: "The event id (default: a new one).") var id: String?
    @Option(help: "The source key to attach (e.g. stripe.webhook).") var sourceKey: String?

    func validate() throws {
        guard example == nil || payload == nil else { throw ValidationError("give --example or --payload, not both") }
    }

    func run() async throws {
        let specifications = EventCatalog.all.filter { $0.names.contains(event) }
        let body: JSON
        var eventSource = source
        if payload == nil {
            guard let specification = specifications.first(where: { source == nil || $0.source == source }) else {
                throw ToolError(
                    "no event specification for \(event)\(source.map { " from \($0)" } ?? ""); known: \(EventCatalog.all.flatMap(\.names).sorted().joined(separator: ", "))"
                )
            }
            let wanted = example ?? specification.examples.first?.id ?? ""
            guard let found = specification.examples.first(where: { $0.id == wanted || $0.id == "\(event).\(wanted)" }) else {
                throw ToolError("\(event) has no example \(wanted); examples: \(specification.examples.map(\.id).joined(separator: ", "))")
            }
            body = found.payload
            eventSource = eventSource ?? specification.source
        } else {
            let data =
                payload == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: payload!))
            do { body = try JSON(parsing: Array(data)) } catch { throw ToolError("the payload is not JSON: \(error)") }
            eventSource = eventSource ?? specifications.first?.source
        }
        guard let eventSource else { throw ToolError("give --source: \(event) is not a known event") }
        let record = EventRecord(
            id: id ?? "test_\(UUID().uuidString.lowercased())", name: event, source: eventSource, timestamp: Date(),
            payload: body, sourceKey: sourceKey)
        let producer = try KafkaProducer(configuration: try cluster.kafka(), logger: toolLogger())
        let report = try await producer.send(KafkaProducerMessage(topic: cluster.topics.events.name, record: CloudEvent.encode(record)))
        await producer.shutdown()
        print("sent \(record.name) \(record.key) to \(report.topic)[\(report.partition)]@\(report.offset)")
    }
}

/// The event specifications `send --example` can draw from: every provider's (``Providers/events``),
/// type-erased to their names, source and examples.
typealias EventCatalog = ProviderEvent

extension ProviderEvent {
    /// Every provider's event specifications, in ``Providers/all``'s order, then the example jobs' custom events.
    static var all: [ProviderEvent] { Providers.events + ExampleJobs.events }
}
