using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// A task as the domain holds it. <see cref="Ordinal"/> is its place in definition order. Equality
/// compares the lists by their items.
/// </summary>
public sealed record TaskRecord(
    string TaskId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    TaskState Status,
    DateTimeOffset DefinedAt,
    long Ordinal)
{
    /// <summary>The newest history entries kept per task.</summary>
    public const int HistoryLimit = 200;

    /// <summary>Tasks that must be COMPLETED first.</summary>
    public ImmutableArray<string> DependsOn { get; init; } = [];

    /// <summary>Claims it gets in a round before it is DEAD.</summary>
    public int MaxAttempts { get; init; } = TaskDefined.DefaultMaxAttempts;

    /// <summary>JSON handed to the claiming agent.</summary>
    public string? Payload { get; init; }

    /// <summary>Who defined it, when known.</summary>
    public string? DefinedBy { get; init; }

    /// <summary>Claims in this round.</summary>
    public int Attempts { get; init; }

    /// <summary>The current claim while CLAIMED.</summary>
    public ClaimInfo? Claim { get; init; }

    /// <summary>While FAILED: when it becomes READY again.</summary>
    public DateTimeOffset? RetryAt { get; init; }

    /// <summary>The result once COMPLETED.</summary>
    public string? Result { get; init; }

    /// <summary>Why it last failed, died or was cancelled.</summary>
    public string? Reason { get; init; }

    /// <summary>While DEAD because of a dependency: that dependency.</summary>
    public string? KilledBy { get; init; }

    /// <summary>The time of its last transition (for a READY task: since when it waits).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Its place in the READY queue while READY.</summary>
    public long ReadySeq { get; init; }

    /// <summary>The claim that ended last, to tell an idempotent repeat from a stale message.</summary>
    public ClaimInfo? LastClaim { get; init; }

    /// <summary>How <see cref="LastClaim"/> ended: COMPLETED, FAILED, EXPIRED or CANCELLED.</summary>
    public ClaimOutcome? LastClaimOutcome { get; init; }

    /// <summary>Its tags, each once, in the order first given.</summary>
    public ImmutableArray<string> Tags { get; init; } = [];

    /// <summary>A scheduled task's time: it is not READY before it.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>While PENDING with every dependency COMPLETED, waiting only for <see cref="NotBefore"/>: that time (its deadline).</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>The question a holder asked (kept once answered, for the next claimer).</summary>
    public string? Question { get; init; }

    /// <summary>While WAITING: when it fails without an answer (its deadline); null: no limit.</summary>
    public DateTimeOffset? AnswerBy { get; init; }

    /// <summary>The answer to <see cref="Question"/>, JSON.</summary>
    public string? Input { get; init; }

    /// <summary>
    /// The status of a task that may now leave PENDING (defined with its dependencies COMPLETED, its
    /// last dependency completed, or requeued) at <paramref name="at"/>: READY, or PENDING until
    /// <see cref="NotBefore"/> when that is still ahead. <see cref="DueAt"/> to go with it.
    /// </summary>
    public static (TaskState Status, DateTimeOffset? DueAt) Released(DateTimeOffset? notBefore, DateTimeOffset at) =>
        notBefore is { } time && time > at ? (TaskState.Pending, time) : (TaskState.Ready, null);

    /// <summary>The newest <see cref="HistoryLimit"/> transitions, oldest first.</summary>
    public ImmutableList<TaskHistoryEntry> History { get; init; } = [];

    /// <summary>Older transitions dropped from <see cref="History"/>.</summary>
    public int HistoryDropped { get; init; }

    /// <summary>The protocol's view of this task.</summary>
    public TaskView ToView() => new(TaskId, Agent, TaskFile, Priority, Status, DefinedAt,
        DependsOn, MaxAttempts, Attempts, ClaimIds.Public(Claim), RetryAt, Reason, UpdatedAt) { Tags = Tags.IsEmpty ? null : Tags, NotBefore = NotBefore, Question = Question, AnswerBy = AnswerBy };

    /// <summary>True when the definition (agent, file, priority) is the same as the given one.</summary>
    public bool HasDefinition(string agent, string taskFile, TaskPriority priority) =>
        string.Equals(Agent, agent, StringComparison.Ordinal)
        && string.Equals(TaskFile, taskFile, StringComparison.Ordinal)
        && Priority == priority;

    /// <summary>When the orchestrator must act on this task by itself (lease end, retry, a scheduled task's time), if ever.</summary>
    public DateTimeOffset? Deadline => Status switch
    {
        TaskState.Claimed => Claim?.LeaseUntil,
        TaskState.Failed => RetryAt,
        TaskState.Pending => DueAt,
        TaskState.Waiting => AnswerBy,
        _ => null,
    };

    /// <summary>Its entry in its agent's READY queue (while READY).</summary>
    public ReadyEntry QueueEntry => new(Priority, ReadySeq, TaskId);

    /// <summary>True for COMPLETED, DEAD and CANCELLED.</summary>
    public bool IsFinished => Status is TaskState.Completed or TaskState.Dead or TaskState.Cancelled;

    /// <summary>This record with one more history entry, keeping the newest <see cref="HistoryLimit"/>.</summary>
    public TaskRecord WithHistory(TaskHistoryEntry entry) =>
        History.Count < HistoryLimit
            ? this with { History = History.Add(entry) }
            : this with { History = History.RemoveAt(0).Add(entry), HistoryDropped = HistoryDropped + 1 };

    /// <inheritdoc />
    public bool Equals(TaskRecord? other) =>
        other is not null
        && TaskId == other.TaskId && Agent == other.Agent && TaskFile == other.TaskFile && Priority == other.Priority
        && Status == other.Status && DefinedAt == other.DefinedAt && Ordinal == other.Ordinal
        && DependsOn.SequenceEqual(other.DependsOn) && MaxAttempts == other.MaxAttempts && Payload == other.Payload
        && DefinedBy == other.DefinedBy && Attempts == other.Attempts && Claim == other.Claim && RetryAt == other.RetryAt
        && Result == other.Result && Reason == other.Reason && KilledBy == other.KilledBy && UpdatedAt == other.UpdatedAt
        && ReadySeq == other.ReadySeq && LastClaim == other.LastClaim && LastClaimOutcome == other.LastClaimOutcome
        && History.SequenceEqual(other.History) && HistoryDropped == other.HistoryDropped && Tags.SequenceEqual(other.Tags)
        && NotBefore == other.NotBefore && DueAt == other.DueAt && Question == other.Question && AnswerBy == other.AnswerBy && Input == other.Input;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(TaskId, Status, Attempts, UpdatedAt);
}

/// <summary>The key of a saved document.</summary>
public readonly record struct DocumentKey(string OwnerId, string Key);

/// <summary>A saved document at its current version.</summary>
public sealed record DocumentRecord(string OwnerId, string Key, string Json, long Version, DateTimeOffset SavedAt);

/// <summary>An agent: registered with capabilities, or only seen claiming.</summary>
public sealed record AgentRecord(string Agent, ImmutableArray<string> Capabilities, bool Registered, DateTimeOffset? RegisteredAt, DateTimeOffset LastSeen)
{
    /// <summary>Claims it completed.</summary>
    public int Completed { get; init; }

    /// <summary>Claims it reported failed.</summary>
    public int Failed { get; init; }

    /// <summary>Claims whose lease ran out while it held them.</summary>
    public int LeasesExpired { get; init; }

    /// <summary>What the protocol shows of it, with the claims it holds now.</summary>
    public AgentView ToView(int claimsHeld) =>
        new(Agent, Capabilities, Registered, RegisteredAt, LastSeen, claimsHeld, Completed, Failed, LeasesExpired);

    /// <inheritdoc />
    public bool Equals(AgentRecord? other) =>
        other is not null && Agent == other.Agent && Capabilities.SequenceEqual(other.Capabilities)
        && Registered == other.Registered && RegisteredAt == other.RegisteredAt && LastSeen == other.LastSeen
        && Completed == other.Completed && Failed == other.Failed && LeasesExpired == other.LeasesExpired;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Agent, Registered, LastSeen);
}

/// <summary>A READY task's place in its agent's queue: priority first, then arrival.</summary>
public readonly record struct ReadyEntry(TaskPriority Priority, long Seq, string TaskId) : IComparable<ReadyEntry>
{
    /// <inheritdoc />
    public int CompareTo(ReadyEntry other)
    {
        var byPriority = Priority.CompareTo(other.Priority);
        if (byPriority != 0) return byPriority;
        var bySeq = Seq.CompareTo(other.Seq);
        // Sequence numbers are unique in a consistent state; the id keeps two entries apart in any case.
        return bySeq != 0 ? bySeq : string.CompareOrdinal(TaskId, other.TaskId);
    }
}

/// <summary>A time at which the orchestrator acts on a task by itself.</summary>
public readonly record struct Deadline(DateTimeOffset At, string TaskId) : IComparable<Deadline>
{
    /// <inheritdoc />
    public int CompareTo(Deadline other)
    {
        var byTime = At.CompareTo(other.At);
        return byTime != 0 ? byTime : string.CompareOrdinal(TaskId, other.TaskId);
    }
}

/// <summary>
/// The whole state of one state manager. Immutable: every change is an event passed to
/// <see cref="OrchestratorDomain.Apply"/>, which returns the next state. Tasks change only through
/// <see cref="Put"/>, which keeps the indexes (READY queues, deadlines, dependants) in step.
/// </summary>
public sealed record OrchestratorState(
    ImmutableDictionary<string, TaskRecord> Tasks,
    ImmutableDictionary<DocumentKey, DocumentRecord> Documents,
    long NextOrdinal)
{
    /// <summary>Known agents by name.</summary>
    public ImmutableDictionary<string, AgentRecord> Agents { get; init; } = ImmutableDictionary.Create<string, AgentRecord>(StringComparer.Ordinal);

    /// <summary>The number of the next claim id.</summary>
    public long NextClaim { get; init; } = 1;

    /// <summary>The claim limits in force; null when none is set.</summary>
    public ClaimLimits? ClaimLimits { get; private init; }

    /// <summary>The READY tasks by fairness group while fairness is on (<see cref="Protocol.Replies.ClaimLimits.FairBy"/>), in place of <see cref="Ready"/>; null otherwise.</summary>
    public FairQueues? Fair { get; private init; }

    /// <summary>
    /// This state with <paramref name="limits"/> in force (null: none). Turning fairness on, or to
    /// another prefix, groups the READY tasks anew (one pass over them); the same prefix keeps the
    /// groups and their turns. Turning it off merges the groups back into <see cref="Ready"/>.
    /// </summary>
    public OrchestratorState WithClaimLimits(ClaimLimits? limits)
    {
        var fair = limits?.FairBy is not { } prefix ? null : Fair?.Prefix == prefix ? Fair : FairQueues.Of(prefix, ReadyQueues(), Tasks);
        return this with
        {
            ClaimLimits = limits,
            Fair = fair,
            Ready = ReferenceEquals(fair, Fair) ? Ready
                : fair is null ? ImmutableDictionary.CreateRange(StringComparer.Ordinal, ReadyQueues())
                : Ready.Clear(),
            // A tag no longer rated forgets its spacing; one still rated keeps it (under its new rate).
            ClaimRateDue = limits is null ? ClaimRateDue.Clear() : ClaimRateDue.RemoveRange(ClaimRateDue.Keys.Where(t => !limits.MaxClaimsPerSecondPerTag.ContainsKey(t)).ToList()),
        };
    }

    /// <summary>The READY tasks per agent (<c>*</c> included) in claim order, from <see cref="Ready"/> or, while fairness is on, from <see cref="Fair"/>'s groups merged (a pass over them).</summary>
    public IEnumerable<KeyValuePair<string, ImmutableSortedSet<ReadyEntry>>> ReadyQueues() =>
        Fair is { } fair ? fair.ReadyQueues() : Ready.Where(q => q.Value.Count > 0);

    /// <summary>The sorted sets the READY tasks <paramref name="agent"/> may claim are in: its own queue and <c>*</c>'s, or their fairness groups.</summary>
    internal IEnumerable<ImmutableSortedSet<ReadyEntry>> ReadySetsFor(string agent)
    {
        foreach (var name in agent == ProtocolNames.AnyAgent ? [agent] : new[] { agent, ProtocolNames.AnyAgent })
        {
            if (Fair is { } fair)
                foreach (var group in fair.GroupsOf(name)) yield return group;
            else if (Ready.TryGetValue(name, out var queue) && queue.Count > 0)
                yield return queue;
        }
    }

    /// <summary>Per rated tag, the time its claims are spaced from (<see cref="ClaimRates"/>); a tag not here has its whole burst.</summary>
    public ImmutableDictionary<string, DateTimeOffset> ClaimRateDue { get; init; } = ImmutableDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    /// <summary>This state after <paramref name="task"/> was claimed at <paramref name="at"/>: each of its rated tags' spacing moved on.</summary>
    public OrchestratorState WithClaimRated(TaskRecord task, DateTimeOffset at)
    {
        if (ClaimLimits is not { MaxClaimsPerSecondPerTag: { Count: > 0 } rates }) return this;
        var due = ClaimRateDue;
        foreach (var tag in task.Tags)
            if (rates.TryGetValue(tag, out var rate) && rate > 0)
                due = due.SetItem(tag, ClaimRates.After(rate, due.TryGetValue(tag, out var d) ? d : null, at));
        return ReferenceEquals(due, ClaimRateDue) ? this : this with { ClaimRateDue = due };
    }

    /// <summary>This state with the fairness groups' turns as a snapshot held them (fairness on).</summary>
    public OrchestratorState WithFairTurns(IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> served, long turn) =>
        Fair is null ? this : this with { Fair = Fair.WithTurns(served, turn) };

    /// <summary>How long finished tasks are kept before the retention sweep purges them; null: for good.</summary>
    public TimeSpan? Retention { get; init; }

    /// <summary>How many finished tasks have been purged, all told.</summary>
    public long Purged { get; init; }

    /// <summary>
    /// This state without the finished tasks <paramref name="taskIds"/> (each present, finished, and
    /// depended on by no task that stays): gone from the table, the counts and every kept order, and
    /// from their dependencies' lists of dependants. The orders they were in note their slots as
    /// removed (<see cref="TaskOrder.Without"/>: the cost of the purged, not of the kept); the READY
    /// queues and deadlines never hold a finished task.
    /// </summary>
    public OrchestratorState WithoutTasks(IReadOnlyCollection<string> taskIds)
    {
        var purged = taskIds.ToHashSet(StringComparer.Ordinal);
        var ordinals = new List<long>(purged.Count);
        var counts = Counts;
        var dependants = Dependants;
        // Each order is given the ordinals of its own purged tasks: its cost is theirs.
        var byAgent = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        var byTag = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        foreach (var id in purged)
        {
            var task = Tasks[id];
            ordinals.Add(task.Ordinal);
            counts = counts.Removing(task);
            Note(byAgent, task.Agent, task.Ordinal);
            foreach (var tag in task.Tags) Note(byTag, tag, task.Ordinal);
            dependants = dependants.Remove(id);
            foreach (var dependency in task.DependsOn)
                if (!purged.Contains(dependency) && dependants.TryGetValue(dependency, out var list))
                    dependants = list.Remove(id) is { Count: > 0 } rest ? dependants.SetItem(dependency, rest) : dependants.Remove(dependency);
        }
        return this with
        {
            Tasks = Tasks.RemoveRange(purged),
            Counts = counts,
            Dependants = dependants,
            Order = Order.Without(ordinals),
            OrderByAgent = Thinned(OrderByAgent, byAgent),
            OrderByTag = Thinned(OrderByTag, byTag),
            Purged = Purged + purged.Count,
        };

        static void Note(Dictionary<string, List<long>> lists, string key, long ordinal)
        {
            if (!lists.TryGetValue(key, out var list)) lists[key] = list = [];
            list.Add(ordinal);
        }

        static ImmutableDictionary<string, TaskOrder> Thinned(ImmutableDictionary<string, TaskOrder> orders, Dictionary<string, List<long>> removed)
        {
            foreach (var (key, ordinals) in removed)
                orders = orders[key].Without(ordinals) is { Count: > 0 } rest ? orders.SetItem(key, rest) : orders.Remove(key);
            return orders;
        }
    }

    /// <summary>The recurring schedules by id.</summary>
    public ImmutableSortedDictionary<string, ScheduleView> Schedules { get; private init; } = ImmutableSortedDictionary.Create<string, ScheduleView>(StringComparer.Ordinal);

    /// <summary>The schedules' next occurrences, earliest first (a <see cref="Deadline"/> names the schedule).</summary>
    public ImmutableSortedSet<Deadline> ScheduleTimes { get; private init; } = ImmutableSortedSet<Deadline>.Empty;

    /// <summary>This state with <paramref name="schedule"/> stored (or replaced), its next occurrence kept in <see cref="ScheduleTimes"/>.</summary>
    public OrchestratorState WithSchedule(ScheduleView schedule)
    {
        var times = WithoutTime(schedule.ScheduleId);
        return this with
        {
            Schedules = Schedules.SetItem(schedule.ScheduleId, schedule),
            ScheduleTimes = schedule.NextAt is { } next ? times.Add(new Deadline(next, schedule.ScheduleId)) : times,
        };
    }

    /// <summary>This state without the schedule <paramref name="scheduleId"/>.</summary>
    public OrchestratorState WithoutSchedule(string scheduleId) =>
        this with { Schedules = Schedules.Remove(scheduleId), ScheduleTimes = WithoutTime(scheduleId) };

    private ImmutableSortedSet<Deadline> WithoutTime(string scheduleId) =>
        Schedules.TryGetValue(scheduleId, out var before) && before.NextAt is { } at ? ScheduleTimes.Remove(new Deadline(at, scheduleId)) : ScheduleTimes;

    /// <summary>The idempotency keys remembered and what was done under each.</summary>
    public RequestKeys RequestKeys { get; init; } = RequestKeys.Empty;

    /// <summary>The next place in the READY queues.</summary>
    public long NextReadySeq { get; init; }

    /// <summary>READY tasks per agent they are defined for (<c>*</c> included), in claim order; empty while fairness is on (<see cref="Fair"/> holds them then, see <see cref="ReadyQueues"/>).</summary>
    public ImmutableDictionary<string, ImmutableSortedSet<ReadyEntry>> Ready { get; private init; } =
        ImmutableDictionary.Create<string, ImmutableSortedSet<ReadyEntry>>(StringComparer.Ordinal);

    /// <summary>Lease ends and retry times, earliest first.</summary>
    public ImmutableSortedSet<Deadline> Deadlines { get; private init; } = ImmutableSortedSet<Deadline>.Empty;

    /// <summary>For each task, the tasks that depend on it, in definition order.</summary>
    public ImmutableDictionary<string, ImmutableList<string>> Dependants { get; private init; } =
        ImmutableDictionary.Create<string, ImmutableList<string>>(StringComparer.Ordinal);

    private static readonly TaskPriority[] Priorities = Enum.GetValues<TaskPriority>();

    /// <summary>The task ids in definition order, kept by <see cref="Put"/>.</summary>
    public TaskOrder Order { get; private init; } = TaskOrder.Empty;

    /// <summary>
    /// The task ids defined for each agent (<c>*</c> included), in definition order, kept by
    /// <see cref="Put"/>: a list by agent reads that agent's tasks, not every task.
    /// </summary>
    public ImmutableDictionary<string, TaskOrder> OrderByAgent { get; private init; } =
        ImmutableDictionary.Create<string, TaskOrder>(StringComparer.Ordinal);

    /// <summary>
    /// The task ids carrying each tag, in definition order, kept by <see cref="Put"/>: a list by tag
    /// reads that tag's tasks, not every task. Tags are set at definition and never change.
    /// </summary>
    public ImmutableDictionary<string, TaskOrder> OrderByTag { get; private init; } =
        ImmutableDictionary.Create<string, TaskOrder>(StringComparer.Ordinal);

    /// <summary>The tasks by status and priority and the claims by agent, kept by <see cref="Put"/>.</summary>
    public TaskCounts Counts { get; private init; } = TaskCounts.Empty;

    /// <summary>No tasks, no documents.</summary>
    public static OrchestratorState Empty { get; } = new(
        ImmutableDictionary.Create<string, TaskRecord>(StringComparer.Ordinal),
        ImmutableDictionary<DocumentKey, DocumentRecord>.Empty,
        0);

    /// <summary>The earliest time the orchestrator must act on its own, if any.</summary>
    public DateTimeOffset? NextDeadline
    {
        get
        {
            DateTimeOffset? task = Deadlines.Count == 0 ? null : Deadlines.Min.At;
            DateTimeOffset? schedule = ScheduleTimes.Count == 0 ? null : ScheduleTimes.Min.At;
            return task is null ? schedule : schedule is null || task <= schedule ? task : schedule;
        }
    }

    /// <summary>The tasks that depend on <paramref name="taskId"/>.</summary>
    public ImmutableList<string> DependantsOf(string taskId) =>
        Dependants.TryGetValue(taskId, out var list) ? list : [];

    /// <summary>
    /// The instance of an agent's name the state already holds (as the key of its READY queue or of
    /// the known agents), else <paramref name="name"/>: a million tasks of a thousand agents hold a
    /// thousand copies of the names, not a million.
    /// </summary>
    public string SharedName(string name) =>
        Ready.TryGetKey(name, out var held) || Fair?.Queues.TryGetKey(name, out held) == true || Agents.TryGetKey(name, out held) ? held : name;

    /// <summary>The READY task the agent would get now: its own queue's head or the <c>*</c> queue's, whichever comes first (with fairness on, as <see cref="FairQueues.Next"/> picks it).</summary>
    public ReadyEntry? NextReadyFor(string agent)
    {
        if (Fair is { } fair) return fair.Next(agent);
        ReadyEntry? own = Ready.TryGetValue(agent, out var mine) && mine.Count > 0 ? mine.Min : null;
        ReadyEntry? any = Ready.TryGetValue(ProtocolNames.AnyAgent, out var shared) && shared.Count > 0 ? shared.Min : null;
        if (own is null) return any;
        if (any is null) return own;
        return own.Value.CompareTo(any.Value) <= 0 ? own : any;
    }

    /// <summary>
    /// The READY task that became READY first (the smallest place in the READY queues): the head of
    /// each priority's run in each agent's queue, found by binary search, so its cost grows with the
    /// number of queues, not of tasks.
    /// </summary>
    public TaskRecord? LongestReady()
    {
        ReadyEntry? first = null;
        foreach (var queue in Fair is { } fair ? fair.Queues.Keys.SelectMany(fair.GroupsOf) : Ready.Values)
        {
            foreach (var priority in Priorities)
            {
                // Not in the set (no task id is empty): the complement is where the priority's run starts.
                var at = ~queue.IndexOf(new ReadyEntry(priority, long.MinValue, ""));
                if (at < 0 || at >= queue.Count) continue;
                var head = queue[at];
                if (head.Priority == priority && (first is null || head.Seq < first.Value.Seq)) first = head;
            }
        }
        return first is { } entry ? Tasks[entry.TaskId] : null;
    }

    /// <summary>
    /// This state (which holds no tasks yet) with <paramref name="tasksInDefinitionOrder"/> stored and
    /// the indexes built in one pass each, as <see cref="Put"/> one by one would leave them, without
    /// copying a path of every immutable tree per task: loading a snapshot of a million tasks. The
    /// table of tasks and the indexes are built side by side, on two cores where there are two.
    /// </summary>
    /// <exception cref="ArgumentException">A task id occurs twice, or this state already holds tasks.</exception>
    public OrchestratorState WithTasks(IReadOnlyList<TaskRecord> tasksInDefinitionOrder)
    {
        if (!Tasks.IsEmpty || Fair is not null) throw new ArgumentException("WithTasks needs a state without tasks or fairness", nameof(tasksInDefinitionOrder));
        ImmutableDictionary<string, TaskRecord> stored = Tasks;
        var indexed = this;
        try
        {
            Parallel.Invoke(
                () => stored = Table(tasksInDefinitionOrder),
                () => indexed = Indexed(tasksInDefinitionOrder));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
        return indexed with { Tasks = stored };

        static ImmutableDictionary<string, TaskRecord> Table(IReadOnlyList<TaskRecord> tasks)
        {
            var table = ImmutableDictionary.CreateBuilder<string, TaskRecord>(StringComparer.Ordinal);
            foreach (var task in tasks)
                if (!table.TryAdd(task.TaskId, task))
                    throw new ArgumentException($"lists task '{task.TaskId}' twice");
            return table.ToImmutable();
        }
    }

    // The indexes and counts of tasks given in definition order (WithTasks).
    private OrchestratorState Indexed(IReadOnlyList<TaskRecord> tasks)
    {
        var ready = new Dictionary<string, List<ReadyEntry>>(StringComparer.Ordinal);
        var deadlines = new List<Deadline>();
        var dependants = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var order = new OrderEntry[tasks.Count];
        var byAgent = new Dictionary<string, List<OrderEntry>>(StringComparer.Ordinal);
        var byTag = new Dictionary<string, List<OrderEntry>>(StringComparer.Ordinal);
        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            var entry = new OrderEntry(task.TaskId, task.Ordinal);
            order[i] = entry;
            if (!byAgent.TryGetValue(task.Agent, out var ids)) byAgent[task.Agent] = ids = [];
            ids.Add(entry);
            foreach (var tag in task.Tags)
            {
                if (!byTag.TryGetValue(tag, out var tagged)) byTag[tag] = tagged = [];
                tagged.Add(entry);
            }
            if (task.Status == TaskState.Ready)
            {
                if (!ready.TryGetValue(task.Agent, out var queue)) ready[task.Agent] = queue = [];
                queue.Add(task.QueueEntry);
            }
            if (task.Deadline is { } at) deadlines.Add(new Deadline(at, task.TaskId));
            foreach (var dependency in task.DependsOn)
            {
                if (!dependants.TryGetValue(dependency, out var list)) dependants[dependency] = list = [];
                list.Add(task.TaskId);
            }
        }

        var readyQueues = ImmutableDictionary.CreateBuilder<string, ImmutableSortedSet<ReadyEntry>>(StringComparer.Ordinal);
        foreach (var (agent, entries) in ready) readyQueues[agent] = ImmutableSortedSet.CreateRange(entries);
        var dependantLists = ImmutableDictionary.CreateBuilder<string, ImmutableList<string>>(StringComparer.Ordinal);
        foreach (var (dependency, list) in dependants) dependantLists[dependency] = ImmutableList.CreateRange(list);
        var orderByAgent = ImmutableDictionary.CreateBuilder<string, TaskOrder>(StringComparer.Ordinal);
        foreach (var (agent, ids) in byAgent) orderByAgent[agent] = TaskOrder.Of(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids));
        var orderByTag = ImmutableDictionary.CreateBuilder<string, TaskOrder>(StringComparer.Ordinal);
        foreach (var (tag, ids) in byTag) orderByTag[tag] = TaskOrder.Of(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids));
        return this with
        {
            Order = TaskOrder.Of(order),
            OrderByAgent = orderByAgent.ToImmutable(),
            OrderByTag = orderByTag.ToImmutable(),
            Counts = TaskCounts.Of(tasks),
            Ready = readyQueues.ToImmutable(),
            Deadlines = ImmutableSortedSet.CreateRange(deadlines),
            Dependants = dependantLists.ToImmutable(),
        };
    }

    /// <summary>
    /// This state with <paramref name="task"/> stored, the indexes updated for the change. The same
    /// rules as <see cref="Builder.Put"/>, on the immutable collections: going through a builder for
    /// one change cost a claim 0.4-0.6 KB more (DomainBenchmarks.Decide_claim). ReplaySpecs and every
    /// AssertSameState hold the two to the same result.
    /// </summary>
    public OrchestratorState Put(TaskRecord task)
    {
        Tasks.TryGetValue(task.TaskId, out var before);
        // With fairness on, its groups hold the READY tasks instead.
        var ready = Ready;
        if (before is { Status: TaskState.Ready } && Fair is null)
            ready = ready.SetItem(before.Agent, ready[before.Agent].Remove(before.QueueEntry));
        if (task.Status == TaskState.Ready && Fair is null)
        {
            var queue = ready.TryGetValue(task.Agent, out var q) ? q : ImmutableSortedSet<ReadyEntry>.Empty;
            ready = ready.SetItem(task.Agent, queue.Add(task.QueueEntry));
        }

        var deadlines = Deadlines;
        if (before?.Deadline is { } old) deadlines = deadlines.Remove(new Deadline(old, before.TaskId));
        if (task.Deadline is { } next) deadlines = deadlines.Add(new Deadline(next, task.TaskId));

        var dependants = Dependants;
        if (before is null)
        {
            foreach (var dependency in task.DependsOn)
                dependants = dependants.SetItem(dependency, (dependants.TryGetValue(dependency, out var list) ? list : []).Add(task.TaskId));
        }

        return this with
        {
            Tasks = Tasks.SetItem(task.TaskId, task),
            Order = before is null ? Order.Add(task.TaskId, task.Ordinal) : Order,
            OrderByAgent = before is null
                ? OrderByAgent.SetItem(task.Agent, (OrderByAgent.TryGetValue(task.Agent, out var mine) ? mine : TaskOrder.Empty).Add(task.TaskId, task.Ordinal))
                : OrderByAgent,
            OrderByTag = before is null && !task.Tags.IsEmpty ? Tagged(OrderByTag, task) : OrderByTag,
            Counts = Counts.Replacing(before, task),
            Fair = Fair?.Replacing(before, task),
            Ready = ready,
            Deadlines = deadlines,
            Dependants = dependants,
        };
    }

    private static ImmutableDictionary<string, TaskOrder> Tagged(ImmutableDictionary<string, TaskOrder> byTag, TaskRecord task)
    {
        foreach (var tag in task.Tags)
            byTag = byTag.SetItem(tag, (byTag.TryGetValue(tag, out var tagged) ? tagged : TaskOrder.Empty).Add(task.TaskId, task.Ordinal));
        return byTag;
    }

    /// <summary>A builder starting from this state, for many changes at once (<see cref="Builder"/>).</summary>
    public Builder ToBuilder() => new(this);

    /// <summary>
    /// Many tasks stored one after the other (a batch of definitions replayed or decided), with the
    /// same index rules as <see cref="OrchestratorState.Put"/>, on the collections' builders: a run of
    /// N changes copies the path of each immutable tree once, not N times. <see cref="ToState"/>
    /// gives the state <see cref="OrchestratorState.Put"/> one by one would have left.
    /// </summary>
    public sealed class Builder
    {
        private readonly OrchestratorState _start;
        private readonly ImmutableDictionary<string, TaskRecord>.Builder _tasks;
        private readonly ImmutableDictionary<string, ImmutableSortedSet<ReadyEntry>>.Builder _ready;
        // The READY queues changed so far, as builders (made on first use: one Put changes one or two).
        private Dictionary<string, ImmutableSortedSet<ReadyEntry>.Builder>? _queues;
        private readonly ImmutableSortedSet<Deadline>.Builder _deadlines;
        private readonly ImmutableDictionary<string, ImmutableList<string>>.Builder _dependants;
        private TaskCounts _counts;
        private FairQueues? _fair;
        private TaskOrder _order;
        // The agents' and tags' orders changed so far (written back by ToState).
        private Dictionary<string, TaskOrder>? _byAgent;
        private Dictionary<string, TaskOrder>? _byTag;
        private Dictionary<string, string>? _tagNames;

        internal Builder(OrchestratorState start)
        {
            _start = start;
            _tasks = start.Tasks.ToBuilder();
            _ready = start.Ready.ToBuilder();
            _deadlines = start.Deadlines.ToBuilder();
            _dependants = start.Dependants.ToBuilder();
            _counts = start.Counts;
            _fair = start.Fair;
            _order = start.Order;
            NextOrdinal = start.NextOrdinal;
            NextReadySeq = start.NextReadySeq;
        }

        /// <summary>The next task's place in definition order.</summary>
        public long NextOrdinal { get; set; }

        /// <summary>The next place in the READY queues.</summary>
        public long NextReadySeq { get; set; }

        /// <summary>How many tasks the state holds so far.</summary>
        public int TaskCount => _tasks.Count;

        /// <summary>The task stored under <paramref name="taskId"/>, if any.</summary>
        public bool TryGetTask(string taskId, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TaskRecord task) =>
            _tasks.TryGetValue(taskId, out task);

        /// <summary>As <see cref="OrchestratorState.SharedName"/>.</summary>
        public string SharedName(string name) =>
            _ready.TryGetKey(name, out var held) || _fair?.Queues.TryGetKey(name, out held) == true || _start.Agents.TryGetKey(name, out held) ? held : name;

        /// <summary>The instance of a tag the state already holds (a key of its index), else <paramref name="tag"/>: a million tasks of one tag hold it once.</summary>
        public string SharedTag(string tag)
        {
            if (_start.OrderByTag.TryGetKey(tag, out var held)) return held;
            _tagNames ??= new Dictionary<string, string>(StringComparer.Ordinal);
            if (_tagNames.TryGetValue(tag, out held)) return held;
            _tagNames[tag] = tag;
            return tag;
        }

        /// <summary>Stores <paramref name="task"/> and updates the indexes, as <see cref="OrchestratorState.Put"/> does.</summary>
        public void Put(TaskRecord task)
        {
            _tasks.TryGetValue(task.TaskId, out var before);
            if (_fair is null)
            {
                if (before is { Status: TaskState.Ready }) Queue(before.Agent).Remove(before.QueueEntry);
                if (task.Status == TaskState.Ready) Queue(task.Agent).Add(task.QueueEntry);
            }
            if (before?.Deadline is { } old) _deadlines.Remove(new Deadline(old, before.TaskId));
            if (task.Deadline is { } next) _deadlines.Add(new Deadline(next, task.TaskId));
            if (before is null)
            {
                foreach (var dependency in task.DependsOn)
                    _dependants[dependency] = (_dependants.TryGetValue(dependency, out var list) ? list : []).Add(task.TaskId);
                _order = _order.Add(task.TaskId, task.Ordinal);
                _byAgent ??= new Dictionary<string, TaskOrder>(StringComparer.Ordinal);
                if (!_byAgent.TryGetValue(task.Agent, out var mine) && !_start.OrderByAgent.TryGetValue(task.Agent, out mine)) mine = TaskOrder.Empty;
                _byAgent[task.Agent] = mine.Add(task.TaskId, task.Ordinal);
                foreach (var tag in task.Tags)
                {
                    _byTag ??= new Dictionary<string, TaskOrder>(StringComparer.Ordinal);
                    if (!_byTag.TryGetValue(tag, out var tagged) && !_start.OrderByTag.TryGetValue(tag, out tagged)) tagged = TaskOrder.Empty;
                    _byTag[tag] = tagged.Add(task.TaskId, task.Ordinal);
                }
            }
            _tasks[task.TaskId] = task;
            _counts = _counts.Replacing(before, task);
            _fair = _fair?.Replacing(before, task);
        }

        /// <summary>The state with every change made so far.</summary>
        public OrchestratorState ToState()
        {
            if (_queues is not null)
            {
                foreach (var (agent, queue) in _queues) _ready[agent] = queue.ToImmutable();
                _queues = null;
            }
            return _start with
            {
                Tasks = _tasks.ToImmutable(),
                Order = _order,
                OrderByAgent = _byAgent is null ? _start.OrderByAgent : _start.OrderByAgent.SetItems(_byAgent),
                OrderByTag = _byTag is null ? _start.OrderByTag : _start.OrderByTag.SetItems(_byTag),
                Counts = _counts,
                Fair = _fair,
                Ready = _ready.ToImmutable(),
                Deadlines = _deadlines.ToImmutable(),
                Dependants = _dependants.ToImmutable(),
                NextOrdinal = NextOrdinal,
                NextReadySeq = NextReadySeq,
            };
        }

        private ImmutableSortedSet<ReadyEntry>.Builder Queue(string agent)
        {
            _queues ??= new Dictionary<string, ImmutableSortedSet<ReadyEntry>.Builder>(StringComparer.Ordinal);
            if (_queues.TryGetValue(agent, out var queue)) return queue;
            queue = (_ready.TryGetValue(agent, out var held) ? held : ImmutableSortedSet<ReadyEntry>.Empty).ToBuilder();
            // A new queue's key is this instance of the name, which SharedName hands out from now on.
            if (held is null) _ready[agent] = ImmutableSortedSet<ReadyEntry>.Empty;
            _queues[agent] = queue;
            return queue;
        }
    }
}
