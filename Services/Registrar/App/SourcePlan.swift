import Foundation
import Tributary

/// What the declared triggers want of one source key: the source (id, version, channel, params) and
/// the union of their events, against what the source state says is registered.
struct SourcePlan: Sendable, Hashable {
    var key: String
    var sourceId: String
    var version: String
    var channel: SourceChannel
    var params: JSON
    /// The jobs declaring a trigger on this source key.
    var jobs: [String]
    /// The `event` option: desired, missing and orphaned.
    var events: OptionChange

    /// Plans every source key that is declared or has a state. A key with a state but no declaration
    /// is planned with no desired events (its events are orphaned; its endpoint goes).
    static func all(declarations: [TriggerDeclaration], states: [String: SourceState]) -> [String: SourcePlan] {
        var plans: [String: SourcePlan] = [:]
        let declared = grouped(declarations)
        for key in Set(declared.keys).union(states.keys) {
            plans[key] = plan(key, declared: declared[key] ?? [], state: states[key])
        }
        return plans
    }

    /// The declarations that name a source, by source key.
    static func grouped(_ declarations: [TriggerDeclaration]) -> [String: [TriggerDeclaration]] {
        Dictionary(grouping: declarations.filter { $0.source != nil }, by: { $0.source!.key })
    }

    /// The plan of one source key from its declarations and state; nil when it has neither.
    static func plan(_ key: String, declared: [TriggerDeclaration], state: SourceState?) -> SourcePlan? {
        let group = declared.sorted { $0.jobId < $1.jobId }
        guard
            let source = group.first?.source
                ?? state.map({
                    TriggerSource(channel: $0.channel, id: $0.sourceId, version: $0.version, key: $0.key, params: $0.params)
                })
        else { return nil }
        let desired = Set(group.flatMap(\.events))
        return SourcePlan(
            key: key, sourceId: source.id, version: source.version, channel: source.channel, params: source.params,
            jobs: group.map(\.jobId),
            events: OptionChange(desired: desired, registered: state?.registered["event"] ?? []))
    }
}
