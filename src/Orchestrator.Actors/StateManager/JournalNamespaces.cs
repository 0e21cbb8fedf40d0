using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.StateManager;

/// <summary>
/// The namespaces a single node's journal holds state for, so that the node starts each of them
/// at once: a namespace whose claims hold leases must have its timers running again after a
/// restart, before any request for it arrives. (In a cluster, remember-entities does this.)
/// </summary>
public static class JournalNamespaces
{
    /// <summary>The prefix of every state manager's persistence id.</summary>
    public const string PersistenceIdPrefix = "state-manager-";

    /// <summary>
    /// The namespaces in the SQL journal (Akka.Persistence.Sql's query side), or none when the
    /// journal is another plugin (in memory, the TestKit's).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ReadAsync(ActorSystem system)
    {
        if (system.Settings.Config.GetString("akka.persistence.journal.plugin", "") != "akka.persistence.journal.sql")
            return [];
        // The query side reads the journal's own database: hocon.conf names neither its class nor
        // its connection (filled in at start-up for the journal), so they are given here, over the
        // plugin's defaults.
        var writer = system.Settings.Config.GetConfig("akka.persistence.journal.sql");
        system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString($$"""
            akka.persistence.query.journal.sql {
              class = "Akka.Persistence.Sql.Query.SqlReadJournalProvider, Akka.Persistence.Sql"
              write-plugin = "akka.persistence.journal.sql"
              provider-name = {{OrchestratorConfig.Quote(writer.GetString("provider-name", ""))}}
              connection-string = {{OrchestratorConfig.Quote(writer.GetString("connection-string", ""))}}
              table-mapping = {{OrchestratorConfig.Quote(writer.GetString("table-mapping", "default"))}}
            }
            """).WithFallback(SqlPersistence.DefaultQueryConfiguration));
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var ids = await journal.CurrentPersistenceIds().RunWith(Sink.Seq<string>(), system.Materializer());
        return ids
            .Where(id => id.StartsWith(PersistenceIdPrefix, StringComparison.Ordinal))
            .Select(id => id[PersistenceIdPrefix.Length..])
            .Where(ns => Namespaces.Check(ns) is null)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
