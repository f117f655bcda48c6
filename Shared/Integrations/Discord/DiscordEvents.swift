import Tributary

/// The event specifications of Discord interactions (source `discord.com`); the payload is the whole
/// interaction (`id`, `token` for follow-ups, `data`, `member`…).
public enum DiscordEvents {
    static let member: JSON = [
        "user": ["id": "80351110224678912", "username": "nelly", "global_name": "Nelly", "discriminator": "0"],
        "roles": ["41771983423143936"], "joined_at": "2023-03-02T18:21:43.531000+00:00", "permissions": "2147483647",
    ]

    /// `interaction.application_command`: a slash command (or a user/message command) was used.
    public static let applicationCommand = namedEvent(
        "interaction.application_command", title: "Application command", source: DiscordIntegration.eventSource, icon: "discord",
        example: [
            "id": "1266012345678901234", "application_id": "1265998877665544332", "type": 2, "version": 1,
            "token": "aW50ZXJhY3Rpb246MTI2NjAxMjM0NTY3ODkwMTIzNDpleGFtcGxl", "guild_id": "613425648685547541",
            "channel_id": "645027906669510667", "locale": "en-US", "app_permissions": "442368", "member": member,
            "data": [
                "id": "1265999000111222333", "name": "deploy", "type": 1,
                "options": [["name": "environment", "type": 3, "value": "staging"]],
            ],
        ],
        properties: properties)
    /// `interaction.message_component`: a button or select menu of one of the app's messages was used.
    public static let messageComponent = namedEvent(
        "interaction.message_component", title: "Message component", source: DiscordIntegration.eventSource, icon: "discord",
        example: [
            "id": "1266012399999901234", "application_id": "1265998877665544332", "type": 3, "version": 1,
            "token": "aW50ZXJhY3Rpb246MTI2NjAxMjM5OTk5OTkwMTIzNDpleGFtcGxl", "guild_id": "613425648685547541",
            "channel_id": "645027906669510667", "locale": "en-US", "member": member,
            "message": ["id": "1266012300000001234", "channel_id": "645027906669510667", "content": "Deploy staging?"],
            "data": ["custom_id": "approve-deploy", "component_type": 2],
        ],
        properties: properties)
    /// `interaction.modal_submit`: a modal the app opened was submitted.
    public static let modalSubmit = namedEvent(
        "interaction.modal_submit", title: "Modal submit", source: DiscordIntegration.eventSource, icon: "discord",
        example: [
            "id": "1266012455555501234", "application_id": "1265998877665544332", "type": 5, "version": 1,
            "token": "aW50ZXJhY3Rpb246MTI2NjAxMjQ1NTU1NTUwMTIzNDpleGFtcGxl", "guild_id": "613425648685547541",
            "channel_id": "645027906669510667", "locale": "en-US", "member": member,
            "data": [
                "custom_id": "feedback",
                "components": [["type": 1, "components": [["type": 4, "custom_id": "text", "value": "Works great"]]]],
            ],
        ],
        properties: properties)

    /// `interaction.autocomplete`: a user is typing an autocompleted option (answered at once with no
    /// choices: Discord waits 3 s at most, so a job cannot fill them in).
    public static let autocomplete = namedEvent(
        "interaction.autocomplete", title: "Autocomplete", source: DiscordIntegration.eventSource, icon: "discord",
        example: [
            "id": "1266012500000001234", "application_id": "1265998877665544332", "type": 4, "version": 1,
            "token": "aW50ZXJhY3Rpb246MTI2NjAxMjUwMDAwMDAwMTIzNDpleGFtcGxl", "guild_id": "613425648685547541",
            "channel_id": "645027906669510667", "locale": "en-US", "member": member,
            "data": [
                "id": "1265999000111222333", "name": "deploy", "type": 1,
                "options": [["name": "environment", "type": 3, "value": "sta", "focused": true]],
            ],
        ],
        properties: properties)

    /// Every specification above.
    public static let all = [applicationCommand, messageComponent, modalSubmit, autocomplete]

    private static let properties: @Sendable (JSON) -> [RunProperty] = { payload in
        [
            RunProperty(label: "Command", text: payload["data"]?["name"]?.stringValue ?? payload["data"]?["custom_id"]?.stringValue ?? ""),
            RunProperty(
                label: "User", text: payload["member"]?["user"]?["username"]?.stringValue ?? payload["user"]?["username"]?.stringValue ?? ""
            ),
        ]
    }
}
