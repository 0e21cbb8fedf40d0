using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>A state manager on a fresh SQLite file whose time moves only when the spec says (<see cref="Time"/>).</summary>
public abstract class LifecycleSpec : SqliteSpec
{
    protected LifecycleSpec(ITestOutputHelper output, string extraConfig = "")
        : this(new ManualClock(ManualTime.Start), output, extraConfig)
    {
    }

    private LifecycleSpec(ManualClock clock, ITestOutputHelper output, string extraConfig)
        : base(output, ManualTime.SchedulerConfig + "\n" + extraConfig, clock)
    {
        Time = new ManualTime(clock, Sys);
    }

    protected ManualTime Time { get; }

    /// <summary>A probe subscribed to the task transitions that match <paramref name="filter"/> (all by default).</summary>
    protected Akka.TestKit.TestProbe Subscriber(Protocol.Subscriptions.SubscribeToTasks? filter = null)
    {
        var probe = CreateTestProbe();
        StateManager.Tell(filter ?? new Protocol.Subscriptions.SubscribeToTasks(), probe.Ref);
        probe.ExpectMsg<Protocol.Subscriptions.SubscribedToTasks>();
        return probe;
    }
}
