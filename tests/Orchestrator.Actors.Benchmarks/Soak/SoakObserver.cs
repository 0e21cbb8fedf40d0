using System.Collections.Concurrent;
using Orchestrator.Actors.Client;

namespace Orchestrator.Actors.Benchmarks.Soak;

/// <summary>Reads back, from a recovered node over Akka.Remote, every task and document the ledger names.</summary>
internal static class SoakObserver
{
    private const int InFlight = 16;

    /// <summary>
    /// A client of the node at 127.0.0.1:<paramref name="port"/>, asking again each second for up to
    /// <paramref name="patience"/>: a node just restarted is not reachable at once (Akka.Remote gates a
    /// lost address for a moment and answers an Identify locally with no actor).
    /// </summary>
    public static async Task<OrchestratorClient> ConnectAsync(Akka.Actor.ActorSystem system, int port, TimeSpan timeout, TimeSpan patience)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await OrchestratorClient.ConnectAsync(system, $"127.0.0.1:{port}", new OrchestratorClientOptions(Timeout: timeout, Retries: 0));
            }
            catch (OrchestratorUnreachableException) when (waited.Elapsed < patience)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    public static async Task<SoakObservation> ObserveAsync(OrchestratorClient client, IReadOnlyList<Acknowledged> ledger)
    {
        var taskIds = ledger.Select(e => e switch
        {
            AckDefined d => d.TaskId,
            AckLease l => l.TaskId,
            AckEnded x => x.TaskId,
            _ => null,
        }).OfType<string>().ToHashSet();
        var documents = ledger.OfType<AckSaved>().Select(s => (s.OwnerId, s.Key)).ToHashSet();

        var tasks = new ConcurrentDictionary<string, SeenTask>();
        await Parallel.ForEachAsync(taskIds, new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (id, cancellation) =>
        {
            try
            {
                var found = await client.GetTaskAsync(id, cancellation);
                var history = await client.GetTaskHistoryAsync(id, cancellation);
                var view = found.Task;
                tasks[id] = new SeenTask(id, view.Status.ToString().ToUpperInvariant(), view.DependsOn ?? [], view.Claim?.ClaimId, view.Claim?.LeaseUntil,
                    history.Entries.Select(h => new SeenEntry(h.Event, h.ClaimId, h.At)).ToList(), history.Dropped);
            }
            catch (OrchestratorNotFoundException)
            {
                // Not there: the checker names each acknowledged operation on it.
            }
        });

        var seen = new ConcurrentDictionary<(string Owner, string Key), SeenDocument>();
        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (document, cancellation) =>
        {
            try
            {
                var state = await client.GetStateAsync(document.OwnerId, document.Key, cancellation);
                seen[document] = new SeenDocument(state.OwnerId, state.Key, state.Version, state.Json);
            }
            catch (OrchestratorNotFoundException)
            {
            }
        });
        return new SoakObservation(tasks, seen);
    }
}
