// A consumer-group member in its own process, for the Kafka tests: it prints what it gets.
//
//   KafkaProbe <bootstrap> <group> <topic> [--no-commit]
//
// Output lines: `assigned <p,p,...>` after every rebalance, `message <partition> <offset> <key>` per record.
// With --no-commit it never marks a record done, so its partitions restart from scratch elsewhere.
import Foundation
import TributaryKafka

/// Writes one line to standard output at once (no buffering), so the test sees it immediately.
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: KafkaProbe <bootstrap> <group> <topic> [--no-commit]\n".utf8))
    exit(2)
}
let commits = !arguments.contains("--no-commit")
var settings = KafkaConsumerConfiguration(groupID: arguments[2], topics: [arguments[3]])
settings.sessionTimeout = .seconds(6)
let consumer = try KafkaConsumer(
    configuration: KafkaConfiguration(bootstrapServers: arguments[1]),
    consumerConfiguration: settings,
    rebalanceHandler: KafkaRebalanceHandler(
        onAssign: { partitions in emit("assigned \(partitions.map { "\($0.partition)" }.joined(separator: ","))") },
        onRevoke: { _ in emit("revoked") }))
for await message in consumer {
    emit("message \(message.partition) \(message.offset) \(message.keyString ?? "")")
    if commits { try consumer.markDone(message) }
}
