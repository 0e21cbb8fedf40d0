using Akka.Actor;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.StateManager;
using Orchestrator.Actors.Storage;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>A state manager on a fresh SQLite file whose time moves only when the spec says (<see cref="Time"/>).</summary>
public abstract class LifecycleSpec : Akka.TestKit.Xunit2.TestKit
{
    protected LifecycleSpec(ITestOutputHelper output, string extraConfig = "")
        : this(TestConfigs.NewDataDirectory(), output, extraConfig)
    {
    }

    private LifecycleSpec(string dataDirectory, ITestOutputHelper output, string extraConfig)
        : base(TestConfigs.Sqlite(dataDirectory, ManualTime.SchedulerConfig + "\n" + extraConfig), "lifecycle-spec", output)
    {
        DataDirectory = dataDirectory;
        Time = new ManualTime(new ManualClock(ManualTime.Start), Sys);
        Settings = OrchestratorSettings.FromConfig(Sys.Settings.Config);
        SqliteDatabase.Prepare(Settings);
        Database = new JournalDatabase(Settings.DatabasePath);
        StateManager = Sys.ActorOf(StateManagerGateway.Props(Settings, Time.Clock), StateManagerGateway.Name);
    }

    protected string DataDirectory { get; }
    protected ManualTime Time { get; }
    protected OrchestratorSettings Settings { get; }
    protected JournalDatabase Database { get; }
    protected IActorRef StateManager { get; }

    /// <summary>A probe subscribed to the task transitions that match <paramref name="filter"/> (all by default).</summary>
    protected Akka.TestKit.TestProbe Subscriber(Protocol.Subscriptions.SubscribeToTasks? filter = null)
    {
        var probe = CreateTestProbe();
        StateManager.Tell(filter ?? new Protocol.Subscriptions.SubscribeToTasks(), probe.Ref);
        probe.ExpectMsg<Protocol.Subscriptions.SubscribedToTasks>();
        return probe;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        TestConfigs.DeleteDataDirectory(DataDirectory);
    }
}
