import ExampleJobs
import ArgumentParser
import AsyncHTTPClient
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
    @Option(help: "The source key to attach (e.g. stripe.webhook); with --signed, the source to deliver to.") var sourceKey: String?
    @Flag(help: "Deliver through the receiver as the provider does, signed with the source's secret (TRIBUTARY_SECRET_KEY unseals it).")
    var signed = false
    @Option(help: "The receiver's base URL for --signed [RECEIVER_URL] (default http://localhost:8080).") var receiver: String?

    func validate() throws {
        guard example == nil || payload == nil else { throw ValidationError("give --example or --payload, not both") }
    }

    func run() async throws {
        let specifications = EventCatalog.all.filter { $0.names.contains(event) }
        let body: JSON
        var eventSource = source
        if payload == nil {
            guard let specification = specifications.first(where: { source == nil || $0.source == source }) else {
                throw ToolError(EventCatalog.unknown(event, source: source))
            }
            guard !specification.examples.isEmpty else {
                throw ToolError("\(event) from \(specification.source) has no example: give --payload FILE (or - for standard input)")
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
        if signed { return try await deliverSigned(record) }
        let producer = try KafkaProducer(configuration: try await cluster.kafka(), logger: toolLogger())
        let report = try await producer.send(KafkaProducerMessage(topic: cluster.topics.events.name, record: CloudEvent.encode(record)))
        await producer.shutdown()
        print("sent \(record.name) \(record.key) to \(report.topic)[\(report.partition)]@\(report.offset)")
    }
}

extension SendCommand {
    /// `--signed`: the delivery the source's provider would make of `record`, signed with the
    /// source's secret from `<p>.sources`, posted to the receiver; its answer is printed, and a
    /// refusal (401, 404, …) is an error carrying the receiver's reason.
    func deliverSigned(_ record: EventRecord) async throws {
        guard let key = sourceKey ?? Self.defaultSourceKey(for: record) else {
            throw ToolError("give --source-key: which source of \(record.source) should receive the delivery?")
        }
        let sealer = try cluster.sealer(required: true)!
        let sources = try await readTable(cluster.topics.sources.name, configuration: try await cluster.kafka())
        guard let value = sources[key] else {
            throw ToolError("no source \(key) on \(cluster.topics.sources.name): `tributary sources` lists them")
        }
        let state: SourceState
        switch SourceEntry(value: value, sealer: sealer) {
        case .state(let found): state = found
        case .unreadable(let reason): throw ToolError("the state of \(key) cannot be read: \(reason)")
        }
        guard let secret = state.secret else {
            throw ToolError("\(key) holds no secret yet: `tributary sources set-secret \(key) SECRET` sets one")
        }
        guard let provider = Self.provider(of: state) else {
            throw ToolError("no provider makes deliveries for \(key) (\(state.sourceId))")
        }
        guard let sign = provider.signDelivery else {
            throw ToolError("\(provider.name)'s deliveries cannot be made with the secret we hold: send without --signed")
        }
        var event = record
        event.sourceKey = key
        let delivery: SignedDelivery
        do { delivery = try sign(event, secret, Date()) } catch { throw ToolError("cannot sign the delivery: \(error)") }
        let base = ServiceEnvironment().string("RECEIVER_URL", override: receiver) ?? "http://localhost:8080"
        let path = key.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
        let url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/sources/" + path.joined(separator: "/")
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in delivery.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(delivery.body)
        let response: HTTPClientResponse
        do { response = try await HTTPClient.shared.execute(request, timeout: .seconds(10)) } catch {
            throw ToolError("cannot reach the receiver at \(url) (--receiver, RECEIVER_URL): \(error)")
        }
        let answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw ToolError("the receiver refused the delivery to \(url): \(response.status.code) \(answer)")
        }
        print("delivered \(record.name) \(record.id) to \(url), signed as \(provider.name) signs: \(response.status.code) \(answer)")
    }

    /// The source key a delivery of `record` goes to without `--source-key`: the key of the hosted
    /// job whose trigger takes it, else its provider's one fixed key (e.g. `stripe.webhook`).
    static func defaultSourceKey(for record: EventRecord) -> String? {
        for job in ExampleJobs.all.map(\.job) {
            guard let declaration = try? job.declaration(), declaration.eventSource == record.source,
                declaration.events.contains(record.name), let key = declaration.source?.key
            else { continue }
            return key
        }
        let provider = Providers.all.map { $0.provider }.first { $0.events.contains { $0.source == record.source } }
        return provider?.sourceKeys.map(\.form).first { !$0.contains("<") && !$0.contains("/") }
    }

    /// The provider whose sources include `state`'s.
    static func provider(of state: SourceState) -> Provider? {
        Providers.all.map { $0.provider }.first { provider in
            provider.sourceKeys.contains { $0.newState(state.key)?.sourceId == state.sourceId }
        }
    }
}

/// The event specifications `send --example` can draw from: every provider's (``Providers/events``),
/// type-erased to their names, source and examples.
typealias EventCatalog = ProviderEvent

extension ProviderEvent {
    /// Every provider's event specifications, in ``Providers/all``'s order, then the example jobs' custom
    /// events, then the events of every hosted job's trigger that neither covers (a Standard Webhooks
    /// sender's, a custom source's), with the job's examples.
    static var all: [ProviderEvent] {
        let known = Providers.events + ExampleJobs.events
        return known + hostedJobEvents(ExampleJobs.all.map(\.job), excluding: known)
    }

    /// The trigger events of `jobs` (not scheduled ones) that `known` has no specification for.
    static func hostedJobEvents(_ jobs: [any JobDefinition], excluding known: [ProviderEvent]) -> [ProviderEvent] {
        var covered = Set(known.flatMap { entry in entry.names.map { "\(entry.source) \($0)" } })
        var entries: [ProviderEvent] = []
        for job in jobs {
            guard let declaration = try? job.declaration(), declaration.schedule == nil else { continue }
            let names = declaration.events.filter { !covered.contains("\(declaration.eventSource) \($0)") }
            guard !names.isEmpty else { continue }
            let examples = job.exampleEvents.map { EventExample(id: $0.name, name: $0.name, payload: $0.payload) }
            entries.append(ProviderEvent(names: names, source: declaration.eventSource, examples: examples))
            for name in names { covered.insert("\(declaration.eventSource) \(name)") }
        }
        return entries
    }
}

extension ProviderEvent {
    /// The error for an event name (and source) no specification has: the closest known names,
    /// or, with `--source`, the events that source does have.
    static func unknown(_ event: String, source: String?, in catalog: [ProviderEvent] = all) -> String {
        let known = catalog.filter { source == nil || $0.source == source }
        if let source, known.isEmpty {
            let sources = Set(catalog.map(\.source)).sorted()
            return "no event specification from \(source); sources: \(sources.joined(separator: ", "))"
        }
        let near = suggestions(for: event, among: known.flatMap(\.names))
        let from = source.map { " from \($0)" } ?? ""
        guard !near.isEmpty else {
            return "no event specification for \(event)\(from); give --source and --payload to send any event"
        }
        return "no event specification for \(event)\(from); did you mean \(near.joined(separator: ", "))?"
    }

    /// The names closest to `name` by edit distance (at most a third of its length, and at most 5 of
    /// them), closest first; names that contain it or that it contains count as close too.
    static func suggestions(for name: String, among names: [String]) -> [String] {
        let wanted = name.lowercased()
        let limit = max(2, wanted.count / 3)
        let scored = Set(names).compactMap { candidate -> (name: String, distance: Int)? in
            let lowered = candidate.lowercased()
            let distance = editDistance(wanted, lowered)
            if distance <= limit { return (candidate, distance) }
            if wanted.count >= 3, lowered.contains(wanted) || wanted.contains(lowered) { return (candidate, limit + 1) }
            return nil
        }
        return scored.sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }.prefix(5).map(\.name)
    }

    /// Levenshtein distance (insertions, deletions, substitutions) between two strings.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
