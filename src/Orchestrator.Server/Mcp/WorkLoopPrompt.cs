using System.ComponentModel;
using ModelContextProtocol.Server;

namespace Orchestrator.Server.Mcp;

/// <summary>The <c>work-loop</c> prompt: how a model is a good worker of this orchestrator.</summary>
[McpServerPromptType]
public static class WorkLoopPrompt
{
    [McpServerPrompt(Name = "work-loop")]
    [Description("How to work through tasks as a good worker: claim, heartbeat while working, keep notes, complete or fail with a reason.")]
    public static string WorkLoop(
        [Description("Your agent name, as tasks are defined for it.")] string agent,
        [Description("The namespace to work in (the server's own when left out).")] string? @namespace = null)
    {
        var ns = string.IsNullOrEmpty(@namespace) ? "" : $", namespace \"{@namespace}\"";
        return $"""
            You are the agent "{agent}" working through tasks of the orchestrator's MCP tools{ns}. Repeat:

            1. Call claim_task with agent "{agent}", a lease long enough for one step of your work (for example "2m"), and wait "30s".
               If claimed is false, nothing is ready: call it again, or stop when you were told to stop when idle.
            2. Read the task: its taskFile says what to do, its payload holds the data. Call get_state for notes you or others saved.
            3. While you work, call heartbeat with the taskId and the claimId before the lease runs out (every third of it is safe).
               If a heartbeat is refused as a stale claim, the task was given to another agent: stop working on it.
            4. Save what you learn along the way with save_state (ownerId "{agent}" or the taskId, a key such as "notes"), so a
               retry by you or another agent can pick up where you left off.
            5. When done, call complete_task with the taskId, your agent name, the claimId and the result as JSON.
               If you cannot finish, call fail_task with a reason that says what went wrong and what you tried: it is retried later,
               or becomes DEAD after its last attempt.
            6. To split work, call define_task or define_tasks (with dependsOn for order); a definition repeated identically is harmless.

            Tool errors name the field and the value that were refused: correct the call rather than repeat it unchanged.
            """;
    }
}
