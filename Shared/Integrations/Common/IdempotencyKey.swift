import Crypto
import Tributary

/// The `Idempotency-Key` of a provider call made inside an `io` task: derived from the run and the task
/// key, so retries of the call (by the client, or by a later attempt of the same run) carry the same key
/// and the provider carries the mutation out once, while another run gets fresh keys.
public enum IdempotencyKey {
    /// `tributary-` and 40 hex digits of SHA-256(run id, task key).
    public static func derive(runId: String, taskKey: String) -> String {
        var hash = SHA256()
        hash.update(data: Array(runId.utf8))
        hash.update(data: [0])
        hash.update(data: Array(taskKey.utf8))
        return "tributary-" + Hex.encode(hash.finalize().prefix(20))
    }
}
