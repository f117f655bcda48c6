import Synchronization

/// Carries a secret out of an `io` task without it becoming the task's recorded output (task outputs are
/// written to `<p>.runs`, where secrets must never go). Empty when the task was replayed from a record.
final class SecretHandoff: Sendable {
    private let value = Mutex<String?>(nil)

    /// Keeps `secret`.
    func put(_ secret: String?) { value.withLock { $0 = secret } }

    /// The secret put by this attempt, if any.
    var secret: String? { value.withLock { $0 } }
}
