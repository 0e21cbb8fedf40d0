using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Domain;

public static partial class OrchestratorDomain
{
    // Each definition is decided as a DefineTask would be, against the state the ones before it left
    // (one builder for the batch), so a repeat within the batch is unchanged (or a conflict) and a
    // dependency on an earlier one is met. The decision carries the state after the last one, so
    // nothing is applied twice.
    private static Decision DecideDefineTasks(OrchestratorState state, DefineTasks command, DecisionContext context)
    {
        var max = context.Limits.MaxBatchDefinitions;
        if (command.Tasks is not { Count: > 0 } definitions || definitions.Count > max)
            return Decision.Answer(Validation.Reject("tasks", command.Tasks is null ? null : $"{command.Tasks.Count} definitions",
                $"a batch holds 1 to {max} definitions"));

        var events = new List<IOrchestratorEvent>();
        var results = new TaskDefinitionResult[definitions.Count];
        var builder = state.ToBuilder();
        for (var i = 0; i < definitions.Count; i++)
        {
            if (definitions[i] is not { } definition)
            {
                results[i] = new TaskDefinitionResult(i, null, DefinitionOutcome.Invalid,
                    Error: Validation.Reject($"tasks[{i}]", null, "must be a task definition, not null"));
                continue;
            }
            if (definition.Namespace != Namespaces.Default && definition.Namespace != command.Namespace)
            {
                results[i] = new TaskDefinitionResult(i, definition.TaskId, DefinitionOutcome.Invalid,
                    Error: Validation.Reject("namespace", definition.Namespace,
                        $"must be the batch's namespace '{command.Namespace}' or left unset: a batch is decided in one namespace"));
                continue;
            }

            var (reply, defined) = DecideDefine(builder, definition, context);
            if (defined is not null) events.Add(defined);
            results[i] = reply switch
            {
                TaskDefinitionAccepted { AlreadyDefined: false } a => new TaskDefinitionResult(i, definition.TaskId, DefinitionOutcome.Created, Task: a.Task),
                TaskDefinitionAccepted a => new TaskDefinitionResult(i, definition.TaskId, DefinitionOutcome.Unchanged, Task: a.Task),
                TaskDefinitionConflict c => new TaskDefinitionResult(i, definition.TaskId, DefinitionOutcome.Conflict, Existing: c.Existing),
                CommandRejected r => new TaskDefinitionResult(i, definition.TaskId, DefinitionOutcome.Invalid, Error: r),
                var other => throw new InvalidOperationException($"unexpected reply {other.GetType().Name} to a definition"),
            };
        }
        WithinBudget(results, context.Limits);
        return events.Count == 0
            ? Decision.Answer(new TasksDefined(results))
            : new Decision(events, new TasksDefined(results)) { After = builder.ToState() };
    }

    // The results' task views within the reply's budget: what the results take without them (their
    // outcomes, ids and errors, an echo of the request) is counted first, then the views go in, in
    // order, while they fit; from the first that does not, the results carry none (a batch of
    // conflicts against tasks with long dependency lists would otherwise outgrow a frame).
    private static void WithinBudget(TaskDefinitionResult[] results, DomainLimits limits)
    {
        var spare = limits.MaxReplyBytes - ViewSizes.ReplyAllowance - results.Sum(r => ViewSizes.UpperBound(r with { Task = null, Existing = null }));
        for (var i = 0; i < results.Length; i++)
        {
            if ((results[i].Task ?? results[i].Existing) is not { } view) continue;
            spare -= ViewSizes.UpperBound(view);
            if (spare >= 0) continue;
            for (var j = i; j < results.Length; j++) results[j] = results[j] with { Task = null, Existing = null };
            return;
        }
    }
}
