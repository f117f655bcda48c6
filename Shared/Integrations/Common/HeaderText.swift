/// Header values as their UTF-8 bytes: the parsing the signature checks do on every delivery, without
/// Foundation's `trimmingCharacters` (which bridges through `NSString` and cost a third of a Stripe check).
enum HeaderText {
    /// `text` without leading and trailing ASCII spaces and tabs (header whitespace, RFC 9110 §5.6.3).
    static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isSpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return Substring(utf8[start..<end])
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}
