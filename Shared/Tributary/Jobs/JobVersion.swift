/// Orders job versions: dot-separated parts compare as numbers where both are numbers (`1.10.0` is
/// newer than `1.9.2`, `2` newer than `1.0.0`), otherwise as text; a missing part counts as 0.
public enum JobVersion {
    /// Whether `a` is older than `b`.
    public static func isOlder(_ a: String, than b: String) -> Bool { compare(a, b) < 0 }

    /// -1, 0 or 1 as `a` is older than, the same as, or newer than `b`.
    public static func compare(_ a: String, _ b: String) -> Int {
        let left = a.split(separator: ".", omittingEmptySubsequences: false)
        let right = b.split(separator: ".", omittingEmptySubsequences: false)
        for index in 0..<max(left.count, right.count) {
            let l = index < left.count ? String(left[index]) : "0"
            let r = index < right.count ? String(right[index]) : "0"
            if let ln = Int(l), let rn = Int(r) {
                if ln != rn { return ln < rn ? -1 : 1 }
            } else if l != r {
                return l < r ? -1 : 1
            }
        }
        return 0
    }
}
