import TributaryKafka

/// Tributary's topics under a prefix, with their partition counts and cleanup policies.
public struct TributaryTopics: Sendable {
    /// The prefix `<p>` (`TRIBUTARY_TOPIC_PREFIX`, default `tributary`).
    public var prefix: String
    /// Partitions of `<p>.events`; `<p>.runs` has the same number (co-partitioned).
    public var partitions: Int32
    /// Replicas of every topic when created.
    public var replicationFactor: Int32

    /// The topics under `prefix`; `partitions` and `replicationFactor` matter only to whoever creates them.
    public init(prefix: String, partitions: Int32 = 12, replicationFactor: Int32 = 1) {
        self.prefix = prefix
        self.partitions = partitions
        self.replicationFactor = replicationFactor
    }

    /// `<p>.events`: the events runners run jobs on.
    public var events: KafkaTopicSpecification { topic("events", partitions: partitions, cleanup: "delete") }
    /// `<p>.runs`: run records, co-partitioned with `<p>.events`.
    public var runs: KafkaTopicSpecification { topic("runs", partitions: partitions, cleanup: "compact") }
    /// `<p>.waits`: open event waits of waiting runs, their matches and cancel requests
    /// (`WaitRecord`), co-partitioned with `<p>.runs` (a record is on its run's partition).
    public var waits: KafkaTopicSpecification { topic("waits", partitions: partitions, cleanup: "compact") }
    /// `<p>.flow`: the events of flow-controlled jobs, routed by their key (record key `<job id>/<key>`,
    /// partition by a stable hash of it) so that one runner owns each key; co-partitioned with
    /// `<p>.runs` (a key's runs are on its partition).
    public var flow: KafkaTopicSpecification { topic("flow", partitions: partitions, cleanup: "delete") }
    /// `<p>.sources`: source states, written by the registrar only.
    public var sources: KafkaTopicSpecification { topic("sources", partitions: 1, cleanup: "compact") }
    /// `<p>.triggers`: trigger declarations and runner presence.
    public var triggers: KafkaTopicSpecification { topic("triggers", partitions: 1, cleanup: "compact") }
    /// `<p>.dlq`: dead-lettered runs.
    public var deadLetters: KafkaTopicSpecification { topic("dlq", partitions: partitions, cleanup: "delete") }
    /// `<p>.deliveries`: one record per request to the receiver's `POST /sources/<key>`
    /// (`DeliveryRecord`, key: the source key), for the console. Short retention
    /// (``deliveryRetention``): it shows what arrived lately, not an archive.
    public var deliveries: KafkaTopicSpecification {
        topic("deliveries", partitions: 1, cleanup: "delete", configs: ["retention.ms": "\(Int64(Self.deliveryRetention.milliseconds))"])
    }
    /// `<p>.schedules`: the last tick the registrar's leader emitted per scheduled job (`ScheduleRecord`,
    /// key: job id), written in the same transaction as the tick's event on `<p>.events`.
    public var schedules: KafkaTopicSpecification { topic("schedules", partitions: 1, cleanup: "compact") }
    /// Single-partition topic whose group membership elects the registrar leader.
    public var registrarControl: KafkaTopicSpecification { topic("registrar", partitions: 1, cleanup: "compact") }

    /// Commands to the registrar and the runners and their results (`CommandTopicRecord`), keyed by
    /// target. One partition: commands apply in the order they were sent. Short retention (1 day): a
    /// command is for now; the sources and runs keep what it changed.
    public var commands: KafkaTopicSpecification {
        topic("commands", partitions: 1, cleanup: "delete", configs: ["retention.ms": "\(Int64(Self.commandRetention.milliseconds))"])
    }

    /// The audit trail (`AuditRecord`, key: the target): who asked for which state-changing action and
    /// how it ended. One partition (one order), cleanup `delete`, kept ``auditRetention`` (a year).
    public var audit: KafkaTopicSpecification {
        topic("audit", partitions: 1, cleanup: "delete", configs: ["retention.ms": "\(Int64(Self.auditRetention.milliseconds))"])
    }

    /// How long `<p>.audit` keeps an entry: 365 days.
    public static let auditRetention: Duration = .seconds(365 * 86_400)

    /// `<p>.<suffix>` with `partitions`, the replication factor and `cleanup.policy` (plus `configs`).
    private func topic(_ suffix: String, partitions: Int32, cleanup: String, configs: [String: String] = [:]) -> KafkaTopicSpecification {
        KafkaTopicSpecification(
            name: "\(prefix).\(suffix)", partitions: partitions, replicationFactor: replicationFactor,
            configs: configs.merging(["cleanup.policy": cleanup]) { _, policy in policy })
    }

    /// How long `<p>.commands` keeps a command: 1 day.
    public static let commandRetention: Duration = .seconds(86_400)

    /// How long `<p>.deliveries` keeps a delivery: 3 days.
    public static let deliveryRetention: Duration = .seconds(3 * 86_400)

    /// The transactional id of the registrar leader's writes (`<p>.sources` and command results): one id
    /// for every registrar, so the broker fences a deposed leader once the new one initialises it.
    public var registrarTransactionalID: String { "\(prefix).registrar.sources" }

    /// The transactional id of the registrar leader's scheduler (tick events and `<p>.schedules`): one id
    /// for every registrar, so the broker fences a deposed leader's scheduler once the new one initialises it.
    public var schedulerTransactionalID: String { "\(prefix).registrar.schedules" }

    /// Every topic, as `tributary topics create`, `tributary broker` and `tributary dev` create them.
    public var all: [KafkaTopicSpecification] {
        [events, runs, waits, flow, sources, triggers, deadLetters, registrarControl, commands, schedules, audit, deliveries]
    }
}
