import Tributary

/// The event specifications of common Slack Events API events (source `slack.com`), named by the
/// inner event's `type`; the payload is that inner `event` object.
public enum SlackEvents {
    /// `message`: a message posted in a channel the app is in (subtypes via `subtype`).
    public static let message = namedEvent(
        "message", title: "Message", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "message", "channel": "C0784AB2CDE", "user": "U061F7AUR", "text": "Deploy finished :rocket:",
            "ts": "1721917439.000200", "event_ts": "1721917439.000200", "channel_type": "channel", "team": "T061EG9R6",
        ],
        properties: properties)
    /// `app_mention`: the app was @-mentioned.
    public static let appMention = namedEvent(
        "app_mention", title: "App mention", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "app_mention", "user": "U061F7AUR", "text": "<@U0LAN0Z89> is the build green?", "ts": "1721917501.000300",
            "channel": "C0784AB2CDE", "event_ts": "1721917501.000300", "team": "T061EG9R6",
        ],
        properties: properties)
    /// `reaction_added`: a reaction was added to an item.
    public static let reactionAdded = namedEvent(
        "reaction_added", title: "Reaction added", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "reaction_added", "user": "U061F7AUR", "reaction": "white_check_mark", "item_user": "U0G9QF9C6",
            "item": ["type": "message", "channel": "C0784AB2CDE", "ts": "1721917439.000200"], "event_ts": "1721917560.000400",
        ],
        properties: properties)
    /// `member_joined_channel`: a user joined a channel.
    public static let memberJoinedChannel = namedEvent(
        "member_joined_channel", title: "Member joined channel", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "member_joined_channel", "user": "W06GH7XHN", "channel": "C0784AB2CDE", "channel_type": "C",
            "team": "T061EG9R6", "inviter": "U061F7AUR", "event_ts": "1721917600.000500",
        ],
        properties: properties)
    /// `app_home_opened`: a user opened the app's Home tab.
    public static let appHomeOpened = namedEvent(
        "app_home_opened", title: "App home opened", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "app_home_opened", "user": "U061F7AUR", "channel": "D0LAN2Q65", "tab": "home", "event_ts": "1721917700.000600",
        ],
        properties: properties)

    /// Every specification above.
    public static let all = [message, appMention, reactionAdded, memberJoinedChannel, appHomeOpened]

    private static let properties: @Sendable (JSON) -> [RunProperty] = { payload in
        [
            RunProperty(label: "User", text: payload["user"]?.stringValue ?? ""),
            RunProperty(label: "Channel", text: payload["channel"]?.stringValue ?? payload["item"]?["channel"]?.stringValue ?? ""),
        ]
    }
}
