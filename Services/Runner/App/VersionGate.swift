import Foundation
import Tributary

/// Decides whether this runner consumes a job's events now, from the live runners' presence: the
/// newest version hosted by a live runner decides. A value with no I/O, tested on its own.
///
/// - A runner that hosts an older version than a live runner *yields*: it stops taking the job's
///   events and hands its partitions back from the time the newer version appeared (`since`), so that
///   events the older version passed over after that time reach the newer one (runs the older one
///   finished are not repeated: the run history skips them).
/// - A runner with the newest version *waits* until the runners of older versions have yielded (their
///   presence says the job is inactive, or they stopped heartbeating), so that it never shares the
///   job's consumer group with them.
/// - Otherwise it *consumes*: runners of the same version share the group and split its partitions.
struct VersionGate: Sendable, Hashable {
    /// What the gate says.
    enum Decision: Sendable, Hashable {
        /// Join the job's group and run its events.
        case consume
        /// Runners of older versions still consume: wait for them to yield.
        case waitForOlder(runners: [String])
        /// A newer version is live: do not consume; hand back what came after `since`.
        case yield(to: String, since: Date)
    }

    /// The job.
    var jobId: String
    /// The version this runner hosts.
    var version: String
    /// This runner's id (its own presence is not a peer).
    var runnerId: String

    /// The decision for the live runners in `directory`.
    func decide(_ directory: JobDirectory) -> Decision {
        var newest: String?
        var newerSince: Date?
        var olderActive: [String] = []
        for presence in directory.live where presence.runnerId != runnerId {
            for hosted in presence.jobs where hosted.jobId == jobId {
                let order = JobVersion.compare(hosted.version, version)
                if order > 0 {
                    if newest.map({ JobVersion.compare(hosted.version, $0) > 0 }) ?? true { newest = hosted.version }
                    newerSince = min(newerSince ?? presence.startedAt, presence.startedAt)
                } else if order < 0 && hosted.active {
                    olderActive.append(presence.runnerId)
                }
            }
        }
        if let newest, let newerSince { return .yield(to: newest, since: newerSince) }
        if !olderActive.isEmpty { return .waitForOlder(runners: olderActive.sorted()) }
        return .consume
    }
}
