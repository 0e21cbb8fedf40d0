using Akka.Configuration;
using Orchestrator.Actors.Configuration;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>Configurations for specs: the real hocon.conf with a fresh data directory and short backoffs.</summary>
public static class TestConfigs
{
    // Generous expectation timeouts: xunit runs classes in parallel on two cores.
    private const string Common = """
        orchestrator.supervision.min-backoff = 300ms
        orchestrator.supervision.max-backoff = 2s
        orchestrator.supervision.random-factor = 0
        akka.test.single-expect-default = 15s
        akka.test.default-timeout = 15s
        akka.remote.dot-netty.tcp.port = 0
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    public static string NewDataDirectory() => Directory.CreateTempSubdirectory("orchestrator-spec-").FullName;

    /// <summary>Removes a spec's data directory once no pooled SQLite connection holds its files.</summary>
    public static void DeleteDataDirectory(string dataDirectory)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Still held by a process that is going away: the OS cleans its temp folder.
        }
    }

    /// <summary>The repository's root folder (where Orchestrator.Actors.sln and config/ are), found above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.Actors.sln"))) return dir.FullName;
        throw new InvalidOperationException("Orchestrator.Actors.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>hocon.conf on a SQLite file in <paramref name="dataDirectory"/>.</summary>
    public static Config Sqlite(string dataDirectory, string extra = "") =>
        OrchestratorConfig.Load(overrides: ConfigurationFactory.ParseString(
            $"orchestrator.data-dir = {OrchestratorConfig.Quote(dataDirectory)}\n{Common}\n{extra}"));

    /// <summary>Akka.Persistence.TestKit's journal (fault injection) and an in-memory snapshot store, as HOCON (also an overlay for serve).</summary>
    public const string TestJournalHocon = """
        akka.persistence.journal {
          plugin = "akka.persistence.journal.test"
          test {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;

    /// <summary>hocon.conf with Akka.Persistence.TestKit's journal (fault injection) and an in-memory snapshot store.</summary>
    public static Config TestJournal(string extra = "") =>
        OrchestratorConfig.Load(overrides: ConfigurationFactory.ParseString(
            $"orchestrator.data-dir = {OrchestratorConfig.Quote(NewDataDirectory())}\n{TestJournalHocon}\n{Common}\n{extra}"));
}
