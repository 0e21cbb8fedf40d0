using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Host.Commands;

/// <summary>define, get, history, list, cancel and requeue.</summary>
internal static class TaskCommands
{
    public static IEnumerable<Command> Create() => [Define(), Get(), History(), List(), Cancel(), Requeue(), CancelAll(), RequeueAll(), PurgeAll()];

    private static Argument<string> TaskId() => CliOptions.Id("TASK_ID", "The task's id: 1-200 ASCII letters, digits and ._:/-");

    private static Command Define()
    {
        var taskId = TaskId();
        taskId.Arity = ArgumentArity.ZeroOrOne;
        var agent = CliOptions.Text("--agent", "AGENT", "The agent that should do it, or * for any agent.", required: false);
        var file = CliOptions.Text("--file", "PATH", "Where the task's instructions live.", required: false);
        var priority = CliOptions.Priority("CRITICAL, HIGH, MEDIUM (the default) or LOW.");
        var dependsOn = new Option<string[]>("--depends-on")
        {
            Description = "Tasks that must be COMPLETED first (repeat the option or list several ids).",
            HelpName = "TASK_ID",
            AllowMultipleArgumentsPerToken = true,
        };
        var payload = CliOptions.JsonDocument("--payload", "JSON handed to the agent that claims the task.");
        var notBefore = CliOptions.Time("--not-before", "Schedule it: not READY before this time (ISO 8601, or a duration from now such as 10m).");
        var tags = new Option<string[]>("--tag")
        {
            Description = "A tag to find the task by (list --tag); repeat the option or list several.",
            HelpName = "TAG",
            AllowMultipleArgumentsPerToken = true,
        };
        var maxAttempts = CliOptions.Number("--max-attempts", "N", "Claims it gets before it is DEAD (the orchestrator's default when omitted).", 1);
        var fromFile = new Option<string?>("--from-file")
        {
            Description = "Define the tasks of a JSON Lines file instead, one {\"taskId\", \"agent\", \"taskFile\", ...} per line, " +
                          $"in file order, at most {DefinitionBatch:N0} to a message.",
            HelpName = "PATH",
        };

        var command = new Command("define", "Define a task; an identical definition again is a success that changes nothing.")
        {
            taskId, agent, file, priority, dependsOn, payload, maxAttempts, tags, notBefore, fromFile,
        };
        command.Validators.Add(result =>
        {
            (string Name, bool Given)[] single =
            [
                ("TASK_ID", result.GetResult(taskId) is { Tokens.Count: > 0 }), ("--agent", result.GetResult(agent) is not null),
                ("--file", result.GetResult(file) is not null), ("--priority", result.GetResult(priority) is not null),
                ("--depends-on", result.GetResult(dependsOn) is not null), ("--payload", result.GetResult(payload) is not null),
                ("--max-attempts", result.GetResult(maxAttempts) is not null), ("--tag", result.GetResult(tags) is not null),
                ("--not-before", result.GetResult(notBefore) is not null),
            ];
            if (result.GetResult(fromFile) is not null)
            {
                if (single.Where(o => o.Given).Select(o => o.Name).ToList() is { Count: > 0 } both)
                    result.AddError($"--from-file takes every definition from the file; it cannot be combined with {string.Join(", ", both)}");
            }
            else if (single[..3].Where(o => !o.Given).Select(o => $"'{o.Name}'").ToList() is { Count: > 0 } missing)
            {
                result.AddError($"missing {string.Join(", ", missing)}: define takes TASK_ID --agent AGENT --file PATH, or --from-file PATH");
            }
        });
        return command.WithClient(async (parse, client, cancellation) =>
        {
            if (parse.GetValue(fromFile) is { } path) return await DefineFromFileAsync(parse, client, path, cancellation);

            var dependencies = parse.GetValue(dependsOn) is { Length: > 0 } ids ? ids : null;
            var accepted = await client.DefineTaskAsync(new DefineTask(
                parse.GetValue(taskId)!, parse.GetValue(agent)!, parse.GetValue(file)!, parse.GetValue(priority),
                dependencies, parse.GetValue(maxAttempts), parse.GetValue(payload), Tags: parse.GetValue(tags) is { Length: > 0 } given ? given : null,
                NotBefore: parse.GetValue(notBefore)), cancellation);
            var task = accepted.Task;
            if (parse.GetValue(CliOptions.Json))
            {
                var json = Output.TaskObject(task);
                json["alreadyDefined"] = accepted.AlreadyDefined;
                Output.Json(json);
            }
            else
            {
                Console.Out.WriteLine(accepted.AlreadyDefined ? AlreadyDefined(task) : $"defined task '{task.TaskId}' ({ProtocolNames.Of(task.Status)})");
            }
            return ExitCodes.Success;
        });
    }

    // The orchestrator's default limit (orchestrator.limits.max-batch-definitions), and a size that
    // leaves room in remoting's 16 MiB frame for a payload's growth in JSON escaping.
    private const int DefinitionBatch = DomainLimits.DefaultMaxBatchDefinitions;
    private const long DefinitionBatchBytes = 4 * 1024 * 1024;

    private static async Task<int> DefineFromFileAsync(ParseResult parse, OrchestratorClient client, string path, CancellationToken cancellation)
    {
        // Every line is checked before the first message goes out.
        var lines = await DefinitionFile.ReadAsync(path, cancellation);
        var results = new List<(int Line, TaskDefinitionResult Result)>(lines.Count);
        foreach (var chunk in DefinitionFile.Messages(lines, DefinitionBatch, DefinitionBatchBytes))
        {
            var defined = await client.DefineTasksAsync(new DefineTasks(chunk.Select(l => l.Definition).ToList()), cancellation);
            // Numbered through the file, not per message.
            var first = results.Count;
            results.AddRange(defined.Results.Select(r => (chunk[r.Index].Number, r with { Index = first + r.Index })));
        }

        var count = Enum.GetValues<DefinitionOutcome>().ToDictionary(o => o, o => results.Count(r => r.Result.Outcome == o));
        if (parse.GetValue(CliOptions.Json))
        {
            Output.Json(new JsonObject
            {
                ["results"] = new JsonArray(results.Select(r =>
                {
                    var json = Output.Object(r.Result);
                    json["line"] = r.Line;
                    return (JsonNode)json;
                }).ToArray()),
                ["created"] = count[DefinitionOutcome.Created],
                ["unchanged"] = count[DefinitionOutcome.Unchanged],
                ["conflicts"] = count[DefinitionOutcome.Conflict],
                ["invalid"] = count[DefinitionOutcome.Invalid],
            });
        }
        else
        {
            foreach (var (line, result) in results)
            {
                var said = result switch
                {
                    { Outcome: DefinitionOutcome.Unchanged, Task: { } task } => AlreadyDefined(task),
                    { Outcome: DefinitionOutcome.Conflict, Existing: { } existing } => new TaskDefinitionConflict(result.TaskId!, existing).Message,
                    // Past the reply's budget a result carries no task: its outcome alone.
                    { Outcome: DefinitionOutcome.Unchanged } => $"task '{result.TaskId}' was already defined identically; nothing changed",
                    { Outcome: DefinitionOutcome.Conflict } => $"task '{result.TaskId}' is already defined differently",
                    { Outcome: DefinitionOutcome.Invalid, Error: { } error } =>
                        error.Message + (result.TaskId is { } id && error.Field != "taskId" ? $" (task '{id}')" : ""),
                    _ => null,
                };
                if (said is not null) Console.Out.WriteLine($"line {line}: {said}");
            }
            Console.Out.WriteLine($"defined {count[DefinitionOutcome.Created]}, unchanged {count[DefinitionOutcome.Unchanged]}, " +
                                  $"conflicts {count[DefinitionOutcome.Conflict]}, invalid {count[DefinitionOutcome.Invalid]}");
        }
        return count[DefinitionOutcome.Invalid] > 0 ? ExitCodes.InvalidInput
            : count[DefinitionOutcome.Conflict] > 0 ? ExitCodes.Conflict
            : ExitCodes.Success;
    }

    private static string AlreadyDefined(TaskView task) =>
        $"task '{task.TaskId}' was already defined identically ({ProtocolNames.Of(task.Status)}); nothing changed";

    private static Command Get()
    {
        var taskId = TaskId();
        var command = new Command("get", "Show a task with its payload and, once COMPLETED, its result.") { taskId };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var found = await client.GetTaskAsync(parse.GetValue(taskId)!, cancellation);
            if (parse.GetValue(CliOptions.Json))
            {
                var json = Output.TaskObject(found.Task);
                json["payload"] = Output.Document(found.Payload);
                json["result"] = Output.Document(found.Result);
                json["input"] = Output.Document(found.Input);
                Output.Json(json);
            }
            else
            {
                Output.Lines(Output.TaskLines(found.Task).Append(("payload", found.Payload)).Append(("input", found.Input)).Append(("result", found.Result)));
            }
            return ExitCodes.Success;
        });
    }

    private static Command History()
    {
        var taskId = TaskId();
        var command = new Command("history", "Show a task's transitions, oldest first.") { taskId };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var history = await client.GetTaskHistoryAsync(parse.GetValue(taskId)!, cancellation);
            if (parse.GetValue(CliOptions.Json))
            {
                Output.Json(history);
                return ExitCodes.Success;
            }
            if (history.Dropped > 0) Console.Out.WriteLine($"({history.Dropped} older entries dropped)");
            Output.Table(["AT", "EVENT", "FROM", "TO", "BY", "CLAIM", "DETAIL"], history.Entries.Select(e => (IReadOnlyList<string>)
            [
                Output.Time(e.At), e.Event, e.From is { } from ? ProtocolNames.Of(from) : "-", ProtocolNames.Of(e.To),
                e.By ?? "-", e.ClaimId ?? "-", e.Detail ?? "",
            ]).ToList());
            return ExitCodes.Success;
        });
    }

    private static Command List()
    {
        var filters = FilterOptions.Create();
        var command = new Command("list", "List tasks in definition order (every page).");
        foreach (var option in filters.All) command.Add(option);
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var filter = filters.Of(parse);
            var query = new ListTasks(filter.Agent, filter.Status, filter.Priority, IdPrefix: filter.IdPrefix, Tag: filter.Tag);
            var tasks = new List<TaskView>();
            for (int? offset = 0; offset is { } next; )
            {
                var page = await client.ListTasksAsync(query with { Offset = next }, cancellation);
                tasks.AddRange(page.Tasks);
                offset = page.NextOffset;
            }

            if (parse.GetValue(CliOptions.Json))
                Output.Json(tasks);
            else if (tasks.Count == 0)
                Console.Out.WriteLine("no tasks");
            else
                Output.Table(["TASK", "STATUS", "PRIORITY", "AGENT", "ATTEMPTS", "FILE"], tasks.Select(t => (IReadOnlyList<string>)
                [
                    t.TaskId, ProtocolNames.Of(t.Status), ProtocolNames.Of(t.Priority), t.Agent, $"{t.Attempts}/{t.MaxAttempts}", t.TaskFile,
                ]).ToList());
            return ExitCodes.Success;
        });
    }

    private static Command Cancel()
    {
        var taskId = TaskId();
        var reason = CliOptions.Text("--reason", "REASON", "Why, for the task's history.");
        var key = CliOptions.IdempotencyKey();
        var command = new Command("cancel", "Cancel a task that is not finished; its PENDING dependants die.") { taskId, reason, key };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var updated = await client.CancelTaskAsync(new CancelTask(parse.GetValue(taskId)!, parse.GetValue(reason)!) { IdempotencyKey = parse.GetValue(key) }, cancellation);
            PrintUpdated(parse, updated.Task);
            return ExitCodes.Success;
        });
    }

    private static Command Requeue()
    {
        var taskId = TaskId();
        var key = CliOptions.IdempotencyKey();
        var command = new Command("requeue", "Give a DEAD task a new round of attempts.") { taskId, key };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var updated = await client.RequeueDeadTaskAsync(new RequeueDeadTask(parse.GetValue(taskId)!) { IdempotencyKey = parse.GetValue(key) }, cancellation);
            PrintUpdated(parse, updated.Task);
            return ExitCodes.Success;
        });
    }

    // The filters of list and of the bulk commands, as options.
    private sealed record FilterOptions(Option<string?> Status, Option<string> Agent, Option<string?> Priority, Option<string> IdPrefix, Option<string> Tag)
    {
        public static FilterOptions Create() => new(
            CliOptions.Status("Only tasks in this status."),
            CliOptions.Text("--agent", "AGENT", "Only tasks defined for this agent (* for those defined for any agent).", required: false),
            CliOptions.Priority("Only tasks of this priority."),
            CliOptions.Text("--id-prefix", "PREFIX", "Only tasks whose id starts with this (case-sensitive).", required: false),
            CliOptions.Text("--tag", "TAG", "Only tasks carrying this tag.", required: false));

        public IEnumerable<Option> All => [Status, Agent, Priority, IdPrefix, Tag];

        public TaskFilter Of(ParseResult parse) => new(parse.GetValue(Agent), parse.GetValue(Status), parse.GetValue(Priority), parse.GetValue(IdPrefix), parse.GetValue(Tag));
    }

    // Each round of a bulk command, sent until nothing more matches.
    private static async Task<int> RunBulkAsync(ParseResult parse, string done, Func<Task<TasksChanged>> round)
    {
        var ids = new List<string>();
        for (var more = true; more; )
        {
            var changed = await round();
            ids.AddRange(changed.TaskIds);
            more = changed.More;
        }
        if (parse.GetValue(CliOptions.Json))
            Output.Json(new TasksChanged(ids.Count, ids, false));
        else
            Console.Out.WriteLine(ids.Count == 0 ? $"no task {done}" : $"{done} {ids.Count} tasks: {string.Join(", ", ids)}");
        return ExitCodes.Success;
    }

    private static Command CancelAll()
    {
        var filters = FilterOptions.Create();
        var reason = CliOptions.Text("--reason", "REASON", "Why, for each task's history.");
        var command = new Command("cancel-all", "Cancel every unfinished task the filters match (1,000 to a request, until none is left).") { reason };
        foreach (var option in filters.All) command.Add(option);
        return command.WithClient((parse, client, cancellation) =>
            RunBulkAsync(parse, "cancelled", () => client.CancelTasksAsync(new CancelTasks(filters.Of(parse), parse.GetValue(reason)!), cancellation)));
    }

    private static Command RequeueAll()
    {
        var filters = FilterOptions.Create();
        var command = new Command("requeue-all", "Requeue every DEAD task the filters match (1,000 to a request, until none is left).");
        foreach (var option in filters.All.Where(o => o != filters.Status)) command.Add(option);
        return command.WithClient((parse, client, cancellation) =>
            RunBulkAsync(parse, "requeued", () => client.RequeueTasksAsync(new RequeueTasks(filters.Of(parse)), cancellation)));
    }

    private static Command PurgeAll()
    {
        var filters = FilterOptions.Create();
        var finishedFor = CliOptions.Duration("--finished-for", "Only tasks finished at least this long ago (such as 7d); any finished task when omitted.");
        var command = new Command("purge-all", "Purge every finished task (COMPLETED, CANCELLED, DEAD) the filters match from the state (1,000 to a request, until none is left); " +
                                               "a task a kept task depends on stays.") { finishedFor };
        foreach (var option in filters.All) command.Add(option);
        return command.WithClient((parse, client, cancellation) =>
            RunBulkAsync(parse, "purged", () => client.PurgeTasksAsync(new PurgeTasks(filters.Of(parse), parse.GetValue(finishedFor)), cancellation)));
    }

    /// <summary>The task after complete, fail, cancel or requeue.</summary>
    public static void PrintUpdated(ParseResult parse, TaskView task)
    {
        if (parse.GetValue(CliOptions.Json))
            Output.Json(task);
        else
            Console.Out.WriteLine(Output.Transitioned(task));
    }
}
