import Foundation

/// Where a job declared for the first time starts reading its events: the author's choice, recorded
/// with its trigger declaration. A job that has run before always resumes where it left off.
public enum StartPosition: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Only events that arrive from the job's first start on (the default).
    case latest
    /// Every event still on the topics.
    case earliest
    /// Events from this time on (by record timestamp).
    case time(Date)

    /// `latest`, `earliest`, or an RFC 3339 time.
    public var description: String {
        switch self {
        case .latest: "latest"
        case .earliest: "earliest"
        case .time(let date): RFC3339.string(from: date)
        }
    }

    /// Reads `latest`, `earliest` or an RFC 3339 time; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "latest": self = .latest
        case "earliest": self = .earliest
        default:
            guard let date = RFC3339.date(from: text) else { return nil }
            self = .time(date)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let position = StartPosition(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "start position '\(text)' is not latest, earliest or an RFC 3339 time"))
        }
        self = position
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
