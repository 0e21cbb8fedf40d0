using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.StateManager;
using Orchestrator.Actors.Storage;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>A TestKit spec whose ActorSystem runs the state manager on a fresh SQLite file.</summary>
public abstract class SqliteSpec : Akka.TestKit.Xunit2.TestKit
{
    /// <param name="output">xunit's output.</param>
    /// <param name="extraConfig">HOCON layered over the spec configuration.</param>
    /// <param name="clock">The state manager's clock; the system clock when null.</param>
    protected SqliteSpec(ITestOutputHelper output, string extraConfig = "", TimeProvider? clock = null)
        : this(TestConfigs.NewDataDirectory(), output, extraConfig, clock ?? TimeProvider.System)
    {
    }

    private SqliteSpec(string dataDirectory, ITestOutputHelper output, string extraConfig, TimeProvider clock)
        : base(TestConfigs.Sqlite(dataDirectory, extraConfig), "orchestrator-spec", output)
    {
        DataDirectory = dataDirectory;
        Settings = OrchestratorSettings.FromConfig(Sys.Settings.Config);
        SqliteDatabase.Prepare(Settings);
        Database = new JournalDatabase(Settings.DatabasePath);
        StateManager = Sys.ActorOf(StateManagerGateway.Props(Settings, clock), StateManagerGateway.Name);
    }

    protected string DataDirectory { get; }
    protected OrchestratorSettings Settings { get; }
    protected JournalDatabase Database { get; }
    protected IActorRef StateManager { get; }

    protected Config NodeConfig(string extra = "") => TestConfigs.Sqlite(DataDirectory, extra);

    protected override void AfterAll()
    {
        base.AfterAll();
        TestConfigs.DeleteDataDirectory(DataDirectory);
    }
}
