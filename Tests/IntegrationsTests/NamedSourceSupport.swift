import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

/// Runs the handler of `source` for the source named `name` on one request, through the erased source
/// as the receiver calls it.
func deliver(
    _ source: ExternalSource<NamedSourceParams>, name: String, secret: String?, headers: [(String, String)], body: [UInt8],
    url: String? = nil
) async throws -> HandlerResult {
    let params = NamedSourceParams(name: name)
    let state = SourceState(
        key: source.key(params), sourceId: source.id, params: try JSON(encoding: params), active: true, secret: secret)
    let request = SourceRequest(
        path: "/sources/\(state.key)", headers: headers.map { (name: $0.0, value: $0.1) }, body: body, url: url)
    return try await source.erased.handle(request, state: state)
}

/// The rejection `body` throws, or nil when it returns.
func rejectionOf(_ body: () async throws -> HandlerResult) async -> SourceRejection? {
    do {
        _ = try await body()
        return nil
    } catch let rejection as SourceRejection {
        return rejection
    } catch {
        Issue.record("expected a SourceRejection, got \(error)")
        return nil
    }
}

/// The Unix time now, in seconds.
var unixNow: Int64 { Int64(Date().timeIntervalSince1970) }

/// `bytes` with one byte near the end changed.
func tampered(_ bytes: [UInt8]) -> [UInt8] {
    var copy = bytes
    copy[copy.count - 3] = copy[copy.count - 3] == UInt8(ascii: "X") ? UInt8(ascii: "Y") : UInt8(ascii: "X")
    return copy
}

/// The provider's source-key rule and `send` examples, checked the same way for each named provider.
func checkNamedProvider(
    _ provider: Provider, prefix: String, sourceId: String, eventSource: String, events: [String], variables: [String] = []
) throws {
    let state = try SourceKeys.newState(forKey: "\(prefix).acme-1")
    #expect(state.sourceId == sourceId && state.params["name"] == "acme-1" && state.active)
    #expect(provider.sourceKeys.count == 1 && provider.sourceKeys[0].newState("\(prefix).") == nil)
    #expect(provider.sourceKeys[0].newState("\(prefix).a b") == nil)
    #expect(provider.variables.map(\.name) == variables)
    let names = provider.events.flatMap(\.names)
    #expect(names == events)
    for event in provider.events {
        #expect(event.source == eventSource && !event.examples.isEmpty, "\(event.names)")
        let known = Providers.events.filter { $0.names == event.names && $0.source == eventSource }
        #expect(known.count == 1, "tributary send finds \(event.names) from \(eventSource)")
    }
    let catalog = try IntegrationCatalog.fromEnvironment([:])
    #expect(catalog.sources.contains { $0.id == sourceId })
    #expect(catalog.provider(ofSourceId: sourceId)?.id == provider.id)
}
