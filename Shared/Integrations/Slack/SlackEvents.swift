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

    /// `block_actions`: a user clicked a button or chose an option in a message or view (interactivity);
    /// the payload is the interaction payload.
    public static let blockActions = namedEvent(
        "block_actions", title: "Block actions", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "block_actions", "trigger_id": "7491233105.1216.3f8bb4b16c3d4e8e", "api_app_id": "A0MDYCDME",
            "team": ["id": "T061EG9R6", "domain": "acme"], "user": ["id": "U061F7AUR", "username": "mona", "team_id": "T061EG9R6"],
            "channel": ["id": "C0784AB2CDE", "name": "deploys"], "response_url": "https://hooks.slack.com/actions/T061EG9R6/1/abc",
            "actions": [
                [
                    "type": "button", "action_id": "approve", "block_id": "deploy-42", "value": "deploy-42",
                    "text": ["type": "plain_text", "text": "Approve"], "action_ts": "1721917800.000700",
                ]
            ],
        ],
        properties: interactionProperties)
    /// `view_submission`: a user submitted a modal; the payload carries `view.state.values`.
    public static let viewSubmission = namedEvent(
        "view_submission", title: "View submission", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "view_submission", "trigger_id": "7491233105.1216.9a1b2c3d4e5f", "api_app_id": "A0MDYCDME",
            "team": ["id": "T061EG9R6", "domain": "acme"], "user": ["id": "U061F7AUR", "username": "mona"],
            "view": [
                "id": "V0784AB2XYZ", "type": "modal", "callback_id": "release-notes",
                "state": ["values": ["notes": ["text": ["type": "plain_text_input", "value": "Faster checkout"]]]],
            ],
        ],
        properties: interactionProperties)
    /// `shortcut`: a user ran the app's global shortcut.
    public static let shortcut = namedEvent(
        "shortcut", title: "Shortcut", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "type": "shortcut", "callback_id": "open-incident", "trigger_id": "7491233105.1216.0f1e2d3c4b5a",
            "team": ["id": "T061EG9R6", "domain": "acme"], "user": ["id": "U061F7AUR", "username": "mona"],
            "action_ts": "1721917900.000800",
        ],
        properties: interactionProperties)
    /// `slash_command`: a user ran one of the app's slash commands; the payload is the form's fields
    /// (`command`, `text`, `user_id`, `channel_id`, `response_url`, `trigger_id`…).
    public static let slashCommand = namedEvent(
        "slash_command", title: "Slash command", source: SlackIntegration.eventSource, icon: "slack",
        example: [
            "command": "/deploy", "text": "web production", "team_id": "T061EG9R6", "team_domain": "acme", "channel_id": "C0784AB2CDE",
            "channel_name": "deploys", "user_id": "U061F7AUR", "user_name": "mona", "api_app_id": "A0MDYCDME",
            "response_url": "https://hooks.slack.com/commands/T061EG9R6/1/xyz", "trigger_id": "7491233105.1216.5e6f7a8b9c0d",
        ],
        properties: { payload in
            [
                RunProperty(label: "Command", text: "\(payload["command"]?.stringValue ?? "") \(payload["text"]?.stringValue ?? "")"),
                RunProperty(label: "User", text: payload["user_name"]?.stringValue ?? payload["user_id"]?.stringValue ?? ""),
            ]
        })

    /// Every specification above.
    public static let all = [
        message, appMention, reactionAdded, memberJoinedChannel, appHomeOpened, blockActions, viewSubmission, shortcut, slashCommand,
    ]

    private static let interactionProperties: @Sendable (JSON) -> [RunProperty] = { payload in
        [
            RunProperty(label: "User", text: payload["user"]?["id"]?.stringValue ?? ""),
            RunProperty(
                label: "Action",
                text: payload["actions"]?.arrayValue?.first?["action_id"]?.stringValue ?? payload["view"]?["callback_id"]?.stringValue
                    ?? payload["callback_id"]?.stringValue ?? ""),
        ]
    }

    private static let properties: @Sendable (JSON) -> [RunProperty] = { payload in
        [
            RunProperty(label: "User", text: payload["user"]?.stringValue ?? ""),
            RunProperty(label: "Channel", text: payload["channel"]?.stringValue ?? payload["item"]?["channel"]?.stringValue ?? ""),
        ]
    }
}
