import Tributary

/// The event specifications of GitHub webhook events (source `github.com`), named as in
/// `X-GitHub-Event`. Payloads are JSON; a trigger picks actions (`opened`, `closed`…) with a filter,
/// e.g. `github.trigger(GitHubEvents.pullRequest, on: repo, actions: ["opened"])`.
public enum GitHubEvents {
    /// The CloudEvents source of GitHub events.
    public static let source = "github.com"

    /// `push`: commits pushed to a branch or tag.
    public static let push = spec("push", "Push", GitHubExamples.push) { p in
        [
            RunProperty(label: "Ref", text: p["ref"]?.stringValue ?? ""),
            RunProperty(label: "Head commit", text: p["after"]?.stringValue ?? ""),
        ]
    }
    /// `pull_request`: opened, closed, reopened, synchronize, edited, labeled… (filter on `action`).
    public static let pullRequest = spec("pull_request", "Pull request", GitHubExamples.pullRequest) { p in
        [
            RunProperty(
                label: "Pull request", text: "#\(Int(p["number"]?.numberValue ?? 0)) \(p["pull_request"]?["title"]?.stringValue ?? "")",
                url: p["pull_request"]?["html_url"]?.stringValue)
        ]
    }
    /// `issues`: opened, edited, closed, labeled, assigned…
    public static let issues = spec("issues", "Issue", GitHubExamples.issues) { p in
        [
            RunProperty(
                label: "Issue", text: "#\(Int(p["issue"]?["number"]?.numberValue ?? 0)) \(p["issue"]?["title"]?.stringValue ?? "")",
                url: p["issue"]?["html_url"]?.stringValue)
        ]
    }
    /// `issue_comment`: created, edited, deleted (on issues and pull requests).
    public static let issueComment = spec("issue_comment", "Issue comment", GitHubExamples.issueComment) { p in
        [
            RunProperty(label: "Issue", text: "#\(Int(p["issue"]?["number"]?.numberValue ?? 0))"),
            RunProperty(
                label: "Comment", text: "\(Int(p["comment"]?["id"]?.numberValue ?? 0))", url: p["comment"]?["html_url"]?.stringValue),
        ]
    }
    /// `release`: published, created, released, prereleased, edited, deleted…
    public static let release = spec("release", "Release", GitHubExamples.release) { p in
        [RunProperty(label: "Tag", text: p["release"]?["tag_name"]?.stringValue ?? "", url: p["release"]?["html_url"]?.stringValue)]
    }
    /// `workflow_run`: requested, in_progress, completed.
    public static let workflowRun = spec("workflow_run", "Workflow run", GitHubExamples.workflowRun) { p in
        [
            RunProperty(label: "Workflow", text: p["workflow_run"]?["name"]?.stringValue ?? ""),
            RunProperty(label: "Conclusion", text: p["workflow_run"]?["conclusion"]?.stringValue ?? "pending"),
        ]
    }
    /// `star`: created, deleted.
    public static let star = spec("star", "Star", GitHubExamples.star) { _ in [] }
    /// `fork`: a repository was forked.
    public static let fork = spec("fork", "Fork", GitHubExamples.fork) { p in
        [RunProperty(label: "Fork", text: p["forkee"]?["full_name"]?.stringValue ?? "", url: p["forkee"]?["html_url"]?.stringValue)]
    }
    /// `create`: a branch or tag was created.
    public static let create = spec("create", "Branch or tag created", GitHubExamples.create) { p in
        [RunProperty(label: p["ref_type"]?.stringValue ?? "ref", text: p["ref"]?.stringValue ?? "")]
    }
    /// `delete`: a branch or tag was deleted.
    public static let delete = spec("delete", "Branch or tag deleted", GitHubExamples.delete) { p in
        [RunProperty(label: p["ref_type"]?.stringValue ?? "ref", text: p["ref"]?.stringValue ?? "")]
    }

    /// Every specification above.
    public static let all = [push, pullRequest, issues, issueComment, release, workflowRun, star, fork, create, delete]

    private static func spec(
        _ name: String, _ title: String, _ example: JSON, _ properties: @escaping @Sendable (JSON) -> [RunProperty]
    ) -> EventSpecification<JSON> {
        EventSpecification(
            name: name, title: title, source: source, icon: "github",
            examples: [EventExample(id: name, name: title, icon: "github", payload: example)],
            runProperties: { payload in
                var common = [
                    RunProperty(
                        label: "Repository",
                        text: payload["repository"]?["full_name"]?.stringValue ?? payload["organization"]?["login"]?.stringValue ?? "")
                ]
                if let action = payload["action"]?.stringValue { common.append(RunProperty(label: "Action", text: action)) }
                if let sender = payload["sender"]?["login"]?.stringValue { common.append(RunProperty(label: "Sender", text: sender)) }
                return common + properties(payload)
            }
        )
    }
}
