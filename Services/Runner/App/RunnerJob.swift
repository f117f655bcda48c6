import Tributary

/// A job as a runner hosts it: the job, how its failing runs are retried, and whether its runs of
/// one partition may overlap.
public struct RunnerJob: Sendable {
    /// The default retry policy of a run: 3 attempts, 1 s then 2 s apart.
    public static let defaultRetry = RetryOptions(
        limit: 3, factor: 2, minTimeout: .seconds(1), maxTimeout: .seconds(60),
        randomize: false)

    /// The job.
    public var job: any JobDefinition
    /// How a run that throws is retried; after the last attempt the event is dead-lettered.
    public var retry: RetryOptions
    /// `false` (the default): the job's runs for events of one partition run one after another, in
    /// offset order. `true`: they may run at the same time (up to the runner's cap).
    public var concurrentRuns: Bool
    /// Where the job starts when it is declared for the first time (nil: the runner's
    /// `RUNNER_START_POSITION`, `latest` by default). Recorded with its declaration; a job that has
    /// run before resumes where it left off.
    public var startPosition: StartPosition?

    /// Hosts `job` with a retry policy, an ordering choice and a first start position.
    public init(
        _ job: any JobDefinition, retry: RetryOptions = RunnerJob.defaultRetry, concurrentRuns: Bool = false,
        startPosition: StartPosition? = nil
    ) {
        self.job = job
        self.retry = retry
        self.concurrentRuns = concurrentRuns
        self.startPosition = startPosition
    }

    /// The job id.
    public var id: String { job.id }
}
