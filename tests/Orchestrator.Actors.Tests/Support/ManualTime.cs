using Akka.Actor;
using Akka.TestKit;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>A clock that moves only when the spec moves it.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;
    private int _failNext;

    public override DateTimeOffset GetUtcNow() =>
        Interlocked.Exchange(ref _failNext, 0) == 1
            ? throw new InvalidOperationException("clock failure injected by the spec")
            : new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    /// <summary>The next read throws: the state manager fails inside a decision and is restarted.</summary>
    public void FailNextRead() => Interlocked.Exchange(ref _failNext, 1);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>
/// Time under the spec's control: the state manager's clock and the ActorSystem's
/// <see cref="TestScheduler"/> (which runs its timers) move together, and only when told.
/// </summary>
public sealed class ManualTime(ManualClock clock, ActorSystem system)
{
    /// <summary>Makes an ActorSystem use Akka.TestKit's <see cref="TestScheduler"/>.</summary>
    public const string SchedulerConfig = """akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit" """;

    public static readonly DateTimeOffset Start = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    public ManualClock Clock { get; } = clock;

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Moves the clock, then runs every timer that is due by then.</summary>
    public void Advance(TimeSpan by)
    {
        Clock.Advance(by);
        ((TestScheduler)system.Scheduler).Advance(by);
    }

    /// <summary>Runs the timers that are already due (a delay of zero still waits for the scheduler).</summary>
    public void RunDueTimers() => ((TestScheduler)system.Scheduler).Advance(TimeSpan.Zero);
}

/// <summary>Asks that check the reply's type and say what came instead.</summary>
public static class StateManagerAsks
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static async Task<T> Expect<T>(this IActorRef stateManager, object request) where T : class
    {
        var reply = await stateManager.Ask<object>(request, Timeout);
        return reply as T ?? throw new Xunit.Sdk.XunitException($"{request} was answered {reply}, not {typeof(T).Name}");
    }

    /// <summary>
    /// Returns once every write decided before it is journaled: a SaveState's reply waits for the
    /// batches ahead of it, which include any deadline the scheduler just fired.
    /// </summary>
    public static Task Barrier(this IActorRef stateManager) =>
        stateManager.Expect<StateSaved>(new SaveState("spec", "barrier", "{}"));

    public static async Task<TaskView> View(this IActorRef stateManager, string taskId) =>
        (await stateManager.Expect<TaskFound>(new Protocol.Queries.GetTask(taskId))).Task;

    public static async Task<TaskAssigned> Claim(this IActorRef stateManager, string agent, TimeSpan? lease = null) =>
        await stateManager.Expect<TaskAssigned>(new ClaimTask(agent, lease));

    public static Task<TaskDefinitionAccepted> Define(this IActorRef stateManager, string id, string agent = "*", string? priority = null,
        IReadOnlyList<string>? dependsOn = null, int? maxAttempts = null) =>
        stateManager.Expect<TaskDefinitionAccepted>(new DefineTask(id, agent, $"tasks/{id}.md", priority, dependsOn, maxAttempts));

    public static string Of(TaskState state) => ProtocolNames.Of(state);
}
