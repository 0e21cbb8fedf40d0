using System.CommandLine;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Host.Commands;

/// <summary>What an agent does with its work: claim, heartbeat, complete and fail.</summary>
internal static class ClaimCommands
{
    public static IEnumerable<Command> Create() => [Claim(), Heartbeat(), Complete(), Fail(), RequestInput(), ProvideInput()];

    private static Argument<string> TaskId() => CliOptions.Id("TASK_ID", "The claimed task.");
    private static Option<string> Agent() => CliOptions.Text("--agent", "AGENT", "The agent (its own name, not *).");
    private static Option<string> ClaimId() =>
        CliOptions.Text("--claim", "CLAIM_ID", "The claim id that claim printed (required: it fences the claim).");

    private static Command Claim()
    {
        var agent = Agent();
        var lease = CliOptions.Duration("--lease", "How long the claim lasts without a heartbeat, such as 30s or 2m (the orchestrator's default when omitted).");
        var key = CliOptions.IdempotencyKey();
        var command = new Command("claim", "Claim the next READY task for an agent; exit 4 when none is ready.") { agent, lease, key };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var name = parse.GetValue(agent)!;
            var reply = await client.ClaimAsync(new ClaimTask(name, parse.GetValue(lease)) { IdempotencyKey = parse.GetValue(key) }, cancellation);
            if (reply is NoTaskReady none)
            {
                Output.Error(none.Message);
                return ExitCodes.NotFound;
            }
            var assigned = (TaskAssigned)reply;
            if (parse.GetValue(CliOptions.Json))
            {
                var json = Output.TaskObject(assigned.Task);
                json["claimId"] = assigned.ClaimId;
                json["leaseUntil"] = assigned.LeaseUntil;
                json["payload"] = Output.Document(assigned.Payload);
                json["input"] = Output.Document(assigned.Input);
                Output.Json(json);
            }
            else
            {
                Output.Lines(new (string, string?)[] { ("claimed", assigned.Task.TaskId), ("claim id", assigned.ClaimId), ("lease until", Output.Time(assigned.LeaseUntil)) }
                    .Concat(Output.TaskLines(assigned.Task).Skip(1))
                    .Append(("payload", assigned.Payload)).Append(("input", assigned.Input)));
            }
            return ExitCodes.Success;
        });
    }

    private static Command Heartbeat()
    {
        var (taskId, agent, claimId) = (TaskId(), Agent(), ClaimId());
        var lease = CliOptions.Duration("--lease", "A new lease duration for this and later heartbeats, such as 30s.");
        var command = new Command("heartbeat", "Extend the lease of a claim.") { taskId, agent, claimId, lease };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var renewed = await client.HeartbeatAsync(
                new Heartbeat(parse.GetValue(taskId)!, parse.GetValue(agent)!, parse.GetValue(claimId), parse.GetValue(lease)), cancellation);
            if (parse.GetValue(CliOptions.Json))
                Output.Json(renewed);
            else
                Console.Out.WriteLine($"claim '{renewed.ClaimId}' on task '{renewed.TaskId}' now runs until {Output.Time(renewed.LeaseUntil)}");
            return ExitCodes.Success;
        });
    }

    private static Command Complete()
    {
        var (taskId, agent, claimId) = (TaskId(), Agent(), ClaimId());
        var result = CliOptions.JsonDocument("--result", "The task's result, as JSON.");
        var key = CliOptions.IdempotencyKey();
        var command = new Command("complete", "Complete a claimed task.") { taskId, agent, claimId, result, key };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var updated = await client.CompleteTaskAsync(
                new CompleteTask(parse.GetValue(taskId)!, parse.GetValue(agent)!, parse.GetValue(claimId), parse.GetValue(result)) { IdempotencyKey = parse.GetValue(key) },
                cancellation);
            TaskCommands.PrintUpdated(parse, updated.Task);
            return ExitCodes.Success;
        });
    }

    private static Command RequestInput()
    {
        var (taskId, agent, claimId) = (TaskId(), Agent(), ClaimId());
        var question = CliOptions.Text("--question", "TEXT", "What the agent needs to know before it can go on.");
        var answerWithin = CliOptions.Duration("--answer-within", "How long the answer may take (1s to 30 days), such as 4h; no limit when omitted.");
        var key = CliOptions.IdempotencyKey();
        var command = new Command("request-input", "End the claim and make the task WAITING with a question, until provide-input answers it.")
        {
            taskId, agent, claimId, question, answerWithin, key,
        };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var updated = await client.RequestInputAsync(
                new Actors.Protocol.Commands.RequestInput(parse.GetValue(taskId)!, parse.GetValue(agent)!, parse.GetValue(claimId), parse.GetValue(question)!,
                    parse.GetValue(answerWithin)) { IdempotencyKey = parse.GetValue(key) }, cancellation);
            TaskCommands.PrintUpdated(parse, updated.Task);
            return ExitCodes.Success;
        });
    }

    private static Command ProvideInput()
    {
        var taskId = CliOptions.Id("TASK_ID", "The WAITING task.");
        var input = CliOptions.JsonDocument("--input", "The answer, as JSON.");
        input.Required = true;
        var by = CliOptions.Text("--by", "NAME", "Who answers, for the history (operator when omitted).", required: false);
        var key = CliOptions.IdempotencyKey();
        var command = new Command("provide-input", "Answer a WAITING task's question: it is READY again, and its next claim carries the answer.")
        {
            taskId, input, by, key,
        };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var updated = await client.ProvideInputAsync(
                new Actors.Protocol.Commands.ProvideInput(parse.GetValue(taskId)!, parse.GetValue(input)!, parse.GetValue(by)) { IdempotencyKey = parse.GetValue(key) },
                cancellation);
            TaskCommands.PrintUpdated(parse, updated.Task);
            return ExitCodes.Success;
        });
    }

    private static Command Fail()
    {
        var (taskId, agent, claimId) = (TaskId(), Agent(), ClaimId());
        var reason = CliOptions.Text("--reason", "REASON", "Why it failed.");
        var key = CliOptions.IdempotencyKey();
        var command = new Command("fail", "Report that a claimed task failed: it is retried after a backoff, or DEAD after its last attempt.")
        {
            taskId, agent, claimId, reason, key,
        };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var updated = await client.FailTaskAsync(
                new FailTask(parse.GetValue(taskId)!, parse.GetValue(agent)!, parse.GetValue(claimId), parse.GetValue(reason)!) { IdempotencyKey = parse.GetValue(key) },
                cancellation);
            TaskCommands.PrintUpdated(parse, updated.Task);
            return ExitCodes.Success;
        });
    }
}
