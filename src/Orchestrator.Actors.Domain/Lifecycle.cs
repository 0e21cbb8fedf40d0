using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

// The task lifecycle: claim, heartbeat, complete, fail, cancel, requeue, deadlines, agents.
public static partial class OrchestratorDomain
{
    /// <summary>
    /// The backoff before the retry that follows a failure of attempt <paramref name="attempt"/> (1 for
    /// the first claim; attempts whose lease expired count): <c>base * 2^(attempt-1)</c>, capped, then
    /// stretched by <c>1 + jitter * random</c>.
    /// </summary>
    public static TimeSpan RetryDelay(int attempt, LifecyclePolicy policy, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 40);
        var ticks = Math.Min(policy.LongestRetryDelay.Ticks, policy.FirstRetryDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ticks * (1 + policy.RetryJitter * Math.Clamp(random, 0, 1))));
    }

    private static Decision DecideClaim(OrchestratorState state, ClaimTask command, DecisionContext context)
    {
        var invalid = Validation.AgentName("agent", command.Agent) ?? Validation.Lease("lease", command.Lease, context.Policy);
        if (invalid is not null) return Decision.Answer(invalid);

        string? limited = null;
        DateTimeOffset? until = null;
        var eligible = state.ClaimLimits is { } limits ? NextEligible(state, command.Agent, limits, context.Now, out limited, out until) : state.NextReadyFor(command.Agent);
        if (eligible is not { } next)
        {
            // Journal an idle agent's visit now and then, so that its last-seen time stays meaningful.
            var stale = !state.Agents.TryGetValue(command.Agent, out var agent) || context.Now - agent.LastSeen >= context.Policy.SeenResolution;
            var none = new NoTaskReady(command.Agent) { Limited = limited, LimitedUntil = until };
            return stale ? Decision.Persist(new AgentSeen(command.Agent, context.Now), none) : Decision.Answer(none);
        }

        var task = state.Tasks[next.TaskId];
        var lease = command.Lease ?? context.Policy.Lease;
        var claimed = new TaskClaimed(task.TaskId, command.Agent, context.ClaimId(state.NextClaim), task.Attempts + 1,
            lease, context.Now + lease, context.Now);
        return Respond(state, [claimed], after =>
            new TaskAssigned(after.Tasks[task.TaskId].ToView(), claimed.ClaimId, claimed.LeaseUntil, task.Payload) { Input = task.Input });
    }

    private static Decision DecideHeartbeat(OrchestratorState state, Heartbeat command, DecisionContext context)
    {
        if (ClaimedTask(state, "heartbeat", command.TaskId, command.Agent, command.ClaimId, context.Policy, command.Lease) is { } refused)
            return Decision.Answer(refused);

        var claim = state.Tasks[command.TaskId].Claim!;
        var lease = command.Lease ?? claim.LeaseDuration;
        var renewed = new Protocol.Events.LeaseRenewed(command.TaskId, command.Agent, claim.ClaimId, lease, context.Now + lease, context.Now);
        return Decision.Persist(renewed, new Protocol.Replies.LeaseRenewed(command.TaskId, claim.ClaimId, renewed.LeaseUntil));
    }

    private static Decision DecideComplete(OrchestratorState state, CompleteTask command, DecisionContext context)
    {
        var invalid = ValidateClaimMessage(command.TaskId, command.Agent, command.ClaimId)
                      ?? (command.Result is null ? null : Validation.JsonDocumentText("result", command.Result, context.Limits.MaxDocumentBytes));
        if (invalid is not null) return Decision.Answer(invalid);
        if (IsRepeat(state, command.TaskId, command.Agent, command.ClaimId, ClaimOutcome.Completed) is { } done && done.Result == command.Result)
            return Decision.Answer(new TaskUpdated(done.ToView()));
        if (ClaimedTask(state, "complete", command.TaskId, command.Agent, command.ClaimId, context.Policy) is { } refused)
            return Decision.Answer(refused);

        var task = state.Tasks[command.TaskId];
        var events = new List<IOrchestratorEvent> { new TaskCompleted(task.TaskId, command.Agent, task.Claim!.ClaimId, command.Result, context.Now) };
        foreach (var dependantId in state.DependantsOf(task.TaskId))
        {
            var dependant = state.Tasks[dependantId];
            if (dependant.Status == TaskState.Pending
                && dependant.DependsOn.All(d => d == task.TaskId || state.Tasks[d].Status == TaskState.Completed))
                events.Add(new DependenciesMet(dependantId, task.TaskId, command.Agent, context.Now));
        }
        return Respond(state, events, after => new TaskUpdated(after.Tasks[task.TaskId].ToView()));
    }

    private static Decision DecideFail(OrchestratorState state, FailTask command, DecisionContext context)
    {
        var invalid = ValidateClaimMessage(command.TaskId, command.Agent, command.ClaimId) ?? Validation.Text("reason", command.Reason);
        if (invalid is not null) return Decision.Answer(invalid);
        if (IsRepeat(state, command.TaskId, command.Agent, command.ClaimId, ClaimOutcome.Failed) is { } failed)
            return Decision.Answer(new TaskUpdated(failed.ToView()));
        if (ClaimedTask(state, "fail", command.TaskId, command.Agent, command.ClaimId, context.Policy) is { } refused)
            return Decision.Answer(refused);

        var task = state.Tasks[command.TaskId];
        var retryAt = RetryAfterFailure(task, context);
        var events = new List<IOrchestratorEvent>
        {
            new TaskFailed(task.TaskId, command.Agent, task.Claim!.ClaimId, command.Reason, task.Attempts, retryAt, context.Now),
        };
        if (retryAt is null) events.AddRange(KillDependants(state, task.TaskId, TaskState.Dead, command.Agent, context.Now));
        return Respond(state, events, after => new TaskUpdated(after.Tasks[task.TaskId].ToView()));
    }

    // When a failed attempt is tried again: after the backoff, or never (null) when it was the task's
    // last, and the task is DEAD. One random draw for the jitter.
    private static DateTimeOffset? RetryAfterFailure(TaskRecord task, DecisionContext context) =>
        task.Attempts >= task.MaxAttempts ? null : context.Now + RetryDelay(task.Attempts, context.Policy, context.Random());

    /// <summary>The longest wait for an answer a question may set.</summary>
    public static readonly TimeSpan LongestAnswerWait = TimeSpan.FromDays(30);

    private static Decision DecideRequestInput(OrchestratorState state, RequestInput command, DecisionContext context)
    {
        var invalid = ValidateClaimMessage(command.TaskId, command.Agent, command.ClaimId) ?? Validation.Text("question", command.Question)
                      ?? (command.AnswerWithin is { } wait && (wait < TimeSpan.FromSeconds(1) || wait > LongestAnswerWait)
                          ? Validation.Reject("answerWithin", ProtocolNames.Of(wait), $"must be between 1s and {ProtocolNames.Of(LongestAnswerWait)}")
                          : null);
        if (invalid is not null) return Decision.Answer(invalid);
        if (IsRepeat(state, command.TaskId, command.Agent, command.ClaimId, ClaimOutcome.Waiting) is { } waiting && waiting.Question == command.Question)
            return Decision.Answer(new TaskUpdated(waiting.ToView()));
        if (ClaimedTask(state, "request input for", command.TaskId, command.Agent, command.ClaimId, context.Policy) is { } refused)
            return Decision.Answer(refused);

        var task = state.Tasks[command.TaskId];
        var asked = new InputRequested(task.TaskId, command.Agent, task.Claim!.ClaimId, command.Question, context.Now + command.AnswerWithin, context.Now);
        return Respond(state, [asked], after => new TaskUpdated(after.Tasks[task.TaskId].ToView()));
    }

    private static Decision DecideProvideInput(OrchestratorState state, ProvideInput command, DecisionContext context)
    {
        var invalid = Validation.Id("taskId", command.TaskId)
                      ?? Validation.JsonDocumentText("input", command.Input, context.Limits.MaxDocumentBytes)
                      ?? Validation.By("by", command.By);
        if (invalid is not null) return Decision.Answer(invalid);
        if (!state.Tasks.TryGetValue(command.TaskId, out var task)) return Decision.Answer(new TaskNotFound(command.TaskId));
        if (task.Status != TaskState.Waiting)
            return Decision.Answer(new TransitionRejected(task.TaskId, task.Status, "provide input", "only WAITING tasks take input"));
        var provided = new InputProvided(task.TaskId, command.Input, command.By ?? Causes.Operator, context.Now);
        return Respond(state, [provided], after => new TaskUpdated(after.Tasks[task.TaskId].ToView()));
    }

    private static Decision DecideCancel(OrchestratorState state, CancelTask command, DecisionContext context)
    {
        var invalid = Validation.Id("taskId", command.TaskId) ?? Validation.Text("reason", command.Reason) ?? Validation.By("by", command.By);
        if (invalid is not null) return Decision.Answer(invalid);
        if (!state.Tasks.TryGetValue(command.TaskId, out var task)) return Decision.Answer(new TaskNotFound(command.TaskId));
        if (task.Status == TaskState.Cancelled) return Decision.Answer(new TaskUpdated(task.ToView()));
        if (task.Status is TaskState.Completed or TaskState.Dead)
            return Decision.Answer(new TransitionRejected(task.TaskId, task.Status, "cancel",
                "only unfinished tasks (PENDING, READY, CLAIMED, WAITING, FAILED) can be cancelled"));

        var events = Cancelled(state, task.TaskId, command.Reason, command.By ?? Causes.Operator, context.Now);
        return Respond(state, events, after => new TaskUpdated(after.Tasks[task.TaskId].ToView()));
    }

    // An unfinished task's cancel and the deaths of its PENDING dependants (CancelTask, CancelTasks).
    private static List<IOrchestratorEvent> Cancelled(OrchestratorState state, string taskId, string reason, string by, DateTimeOffset now) =>
        [new TaskCancelled(taskId, reason, by, now), .. KillDependants(state, taskId, TaskState.Cancelled, by, now)];

    private static Decision DecideRequeue(OrchestratorState state, RequeueDeadTask command, DecisionContext context)
    {
        var invalid = Validation.Id("taskId", command.TaskId) ?? Validation.By("by", command.By);
        if (invalid is not null) return Decision.Answer(invalid);
        if (!state.Tasks.TryGetValue(command.TaskId, out var task)) return Decision.Answer(new TaskNotFound(command.TaskId));
        if (task.Status != TaskState.Dead)
            return Decision.Answer(new TransitionRejected(task.TaskId, task.Status, "requeue", "only DEAD tasks can be requeued"));
        var deadDependency = task.DependsOn.Select(d => state.Tasks[d]).FirstOrDefault(d => d.Status is TaskState.Dead or TaskState.Cancelled);
        if (deadDependency is not null)
            return Decision.Answer(new TransitionRejected(task.TaskId, task.Status, "requeue",
                $"its dependency '{deadDependency.TaskId}' is {ProtocolNames.Of(deadDependency.Status)}" +
                (deadDependency.Status == TaskState.Dead ? "; requeue that one first" : " and can never complete")));

        var events = Requeued(state, task.TaskId, command.By ?? Causes.Operator, context.Now);
        return Respond(state, events, after => new TaskUpdated(after.Tasks[task.TaskId].ToView()));
    }

    // A DEAD task's requeue with the dependants that died with it (RequeueDeadTask, RequeueTasks).
    private static List<IOrchestratorEvent> Requeued(OrchestratorState state, string taskId, string by, DateTimeOffset now) =>
        [new TaskRequeued(taskId, by, null, now), .. Revivable(state, taskId).Select(id => new TaskRequeued(id, by, taskId, now))];

    private static Decision DecideRegister(OrchestratorState state, RegisterAgent command, DecisionContext context)
    {
        var capabilities = command.Capabilities ?? [];
        var invalid = Validation.AgentName("agent", command.Agent)
                      ?? (capabilities.Count > Validation.MaxCapabilities
                          ? Validation.Reject("capabilities", $"{capabilities.Count} names", $"lists too many; at most {Validation.MaxCapabilities} are allowed")
                          : null)
                      ?? capabilities.Select(c => Validation.Name("capabilities", c)).FirstOrDefault(r => r is not null);
        if (invalid is not null) return Decision.Answer(invalid);

        var registered = new AgentRegistered(command.Agent, capabilities.Distinct(StringComparer.Ordinal).ToList(), context.Now);
        return Respond(state, [registered], after =>
        {
            var agent = after.Agents[command.Agent];
            var held = after.Tasks.Values.Count(t => t.Status == TaskState.Claimed && t.Claim?.Agent == command.Agent);
            return new AgentRegistrationAccepted(agent.ToView(held));
        });
    }

    // Each lease that ended by now runs its full duration again from now (a lease renewal, by the
    // orchestrator); leases still running, and retries, are left as they are.
    // At recovery every lease is brought within [now, now + its duration] on this node's clock: one
    // that ended while the namespace was not served gets a full lease again, and one that would run
    // longer than a full lease (the node that wrote it had a clock ahead of this one's, as after a
    // hand-off between skewed members) is held to a full lease, which is never shorter than what was
    // left of it in real time.
    private static Decision DecideResumeLeases(OrchestratorState state, DecisionContext context)
    {
        var renewed = new List<IOrchestratorEvent>();
        foreach (var deadline in state.Deadlines)
        {
            if (state.Tasks[deadline.TaskId] is not { Status: TaskState.Claimed, Claim: { } claim } task) continue;
            if (deadline.At > context.Now && deadline.At <= context.Now + claim.LeaseDuration) continue;
            renewed.Add(new Protocol.Events.LeaseRenewed(task.TaskId, claim.Agent, claim.ClaimId, claim.LeaseDuration, context.Now + claim.LeaseDuration, context.Now));
        }
        return new Decision(renewed, new LeasesResumed(renewed.Count));
    }

    private static Decision DecideDeadlines(OrchestratorState state, DecisionContext context)
    {
        var events = new List<IOrchestratorEvent>();
        var current = state;
        var acted = 0;
        foreach (var deadline in state.Deadlines)
        {
            // The rest (after a long outage, say) follow in the next decisions: the timer fires again at once.
            if (deadline.At > context.Now || acted++ == context.Policy.MaxDeadlinesPerDecision) break;
            var task = current.Tasks[deadline.TaskId];
            IReadOnlyList<IOrchestratorEvent> due = task.Status switch
            {
                TaskState.Claimed when task.Attempts >= task.MaxAttempts =>
                [
                    new LeaseExpired(task.TaskId, task.Claim!.Agent, task.Claim.ClaimId, task.Attempts, OutOfAttempts: true, context.Now),
                    .. KillDependants(current, task.TaskId, TaskState.Dead, Causes.Orchestrator, context.Now),
                ],
                TaskState.Claimed => [new LeaseExpired(task.TaskId, task.Claim!.Agent, task.Claim.ClaimId, task.Attempts, OutOfAttempts: false, context.Now)],
                TaskState.Failed => [new RetryDue(task.TaskId, context.Now)],
                TaskState.Pending => [new TaskDue(task.TaskId, context.Now)],
                // No answer in time: the attempt failed, as a reported failure does.
                TaskState.Waiting when RetryAfterFailure(task, context) is var retryAt =>
                [
                    new InputTimedOut(task.TaskId, task.Attempts, retryAt, context.Now),
                    .. retryAt is null ? KillDependants(current, task.TaskId, TaskState.Dead, Causes.Orchestrator, context.Now) : [],
                ],
                _ => [],
            };
            events.AddRange(due);
            current = ApplyAll(current, due);
        }
        current = DecideSchedules(current, context, events, ref acted);
        return new Decision(events, new DeadlinesProcessed(events.Count(e => e is LeaseExpired or RetryDue or TaskDue or InputTimedOut or ScheduleFired))) { After = current };
    }

    // A task's dependants that are still waiting (PENDING) can never run once it is DEAD or CANCELLED;
    // they die too, and so do theirs. Only PENDING ones: a task further along has all its
    // dependencies COMPLETED, and a COMPLETED task never dies.
    private static IEnumerable<TaskKilled> KillDependants(OrchestratorState state, string rootId, TaskState rootStatus, string by, DateTimeOffset now)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal) { rootId };
        var queue = new Queue<string>([rootId]);
        while (queue.TryDequeue(out var id))
        {
            foreach (var dependantId in state.DependantsOf(id))
            {
                if (!visited.Add(dependantId) || state.Tasks[dependantId].Status != TaskState.Pending) continue;
                var reason = id == rootId
                    ? $"dependency '{id}' is {ProtocolNames.Of(rootStatus)}"
                    : $"dependency '{id}' is DEAD (because '{rootId}' is {ProtocolNames.Of(rootStatus)})";
                yield return new TaskKilled(dependantId, id, reason, by, now);
                queue.Enqueue(dependantId);
            }
        }
    }

    // The dependants that died because of the requeued task (directly or through each other), and
    // whose other dependencies are alive or come back with them. In breadth-first order.
    private static List<string> Revivable(OrchestratorState state, string rootId)
    {
        var order = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { rootId };
        var queue = new Queue<string>([rootId]);
        while (queue.TryDequeue(out var id))
        {
            foreach (var dependantId in state.DependantsOf(id))
            {
                var dependant = state.Tasks[dependantId];
                if (dependant.Status != TaskState.Dead || dependant.KilledBy is null || !visited.Add(dependantId)) continue;
                order.Add(dependantId);
                queue.Enqueue(dependantId);
            }
        }

        var coming = new HashSet<string>(order, StringComparer.Ordinal) { rootId };
        bool changed;
        do
        {
            changed = false;
            foreach (var id in order.Where(coming.Contains).ToList())
            {
                var blocked = state.Tasks[id].DependsOn.Any(d =>
                    !coming.Contains(d) && state.Tasks[d].Status is TaskState.Dead or TaskState.Cancelled);
                if (blocked) changed |= coming.Remove(id);
            }
        } while (changed);
        return order.Where(coming.Contains).ToList();
    }

    // The task, when the sender holds its current claim; otherwise the reply that refuses the action.
    private static IOrchestratorReply? ClaimedTask(OrchestratorState state, string action, string taskId, string agent, string? claimId,
        LifecyclePolicy policy, TimeSpan? lease = null)
    {
        var invalid = ValidateClaimMessage(taskId, agent, claimId) ?? Validation.Lease("lease", lease, policy);
        if (invalid is not null) return invalid;
        if (!state.Tasks.TryGetValue(taskId, out var task)) return new TaskNotFound(taskId);

        if (task is { Status: TaskState.Claimed, Claim: { } claim } && claim.Agent == agent && claimId == claim.ClaimId)
            return null;

        // Refused outright (not stale): a claim id that is (or was) another agent's, a task another agent
        // holds unless the sender quotes its own ended claim, and a task never claimed.
        // (Claim ids are unique: quoting another agent's current claim is a case of the second.)
        var quotesOwnEnded = task.LastClaim is { } ended && ended.ClaimId == claimId && ended.Agent == agent;
        var quotesOthersEnded = task.LastClaim is { } other && other.ClaimId == claimId && other.Agent != agent;
        var heldByAnother = task.Claim is { } held && held.Agent != agent && !quotesOwnEnded;
        var neverClaimed = task.Claim is null && task.LastClaim is null;
        if (quotesOthersEnded || heldByAnother || neverClaimed)
            return new TransitionRejected(task.TaskId, task.Status, action, task.Claim is { } holder
                ? $"agent '{holder.Agent}' holds it; only the holder of the current claim may {action} it"
                : $"only the holder of a current claim may {action} it");

        string reason;
        if (task.LastClaim is { } last && claimId == last.ClaimId)
            reason = $"claim '{last.ClaimId}' ended: " + task.LastClaimOutcome switch
            {
                ClaimOutcome.Expired => "its lease expired before a heartbeat",
                ClaimOutcome.Cancelled => "the task was cancelled",
                ClaimOutcome.Completed => "the task was completed under it",
                _ => "a failure was reported under it",
            };
        else if (task.Claim is { } current)
            reason = $"the current claim is '{ClaimIds.Public(current.ClaimId)}' by agent '{current.Agent}'";
        else
            reason = $"'{claimId}' is not the task's current claim";
        return new StaleClaim(task.TaskId, agent, claimId, task.Status, reason);
    }

    // The claim id is required: it fences the claim (an earlier claim's late message never acts on a
    // newer one), and it is not guessable (DecisionContext.ClaimId), so naming an agent is not enough.
    private static CommandRejected? ValidateClaimMessage(string taskId, string agent, string? claimId) =>
        Validation.Id("taskId", taskId) ?? Validation.AgentName("agent", agent)
        ?? (string.IsNullOrEmpty(claimId)
            ? Validation.Reject("claimId", claimId ?? "", "is required: pass the claim id that the claim answered (TaskAssigned.ClaimId)")
            : Validation.Id("claimId", claimId));

    // An identical repeat of the completion or failure that ended the task's last claim: answered
    // again, nothing journaled (a client that lost the reply may retry safely).
    private static TaskRecord? IsRepeat(OrchestratorState state, string taskId, string agent, string? claimId, ClaimOutcome outcome) =>
        state.Tasks.TryGetValue(taskId, out var task)
        && task.LastClaimOutcome == outcome
        && task.LastClaim is { } last
        && last.Agent == agent
        && claimId == last.ClaimId
            ? task
            : null;

    // The agent seen at `at`, with its tally of outcomes counted by `count` if given.
    private static OrchestratorState Seen(OrchestratorState state, string agent, DateTimeOffset at, Func<AgentRecord, AgentRecord>? count = null)
    {
        var seen = state.Agents.TryGetValue(agent, out var known)
            ? known with { LastSeen = at > known.LastSeen ? at : known.LastSeen }
            : new AgentRecord(agent, [], false, null, at);
        return state with { Agents = state.Agents.SetItem(agent, count is null ? seen : count(seen)) };
    }
}
