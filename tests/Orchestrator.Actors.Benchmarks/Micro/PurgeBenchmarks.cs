using BenchmarkDotNet.Attributes;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// Issue 17: what a purge costs at a million tasks. The kept orders are append-only tries, so a purge
/// builds the orders it touches anew: the whole order of a million ids, and the agents' and tags'
/// orders of the purged tasks. The 1,000 oldest tasks (of 100 tenant tags) are CANCELLED; a purge
/// of them by status, and the retention's sweep of them, are decided.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
[GcForce(false)]
public class PurgeBenchmarks
{
    private OrchestratorState _state = null!;
    private OrchestratorState _retained = null!;
    private DecisionContext _context = null!;
    private readonly PurgeTasks _purge = new(new TaskFilter(Status: "CANCELLED"));

    /// <summary>Tasks defined before the benchmark.</summary>
    [Params(1_000_000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, Enumerable.Range(0, Tasks).Select(i =>
            BenchmarkStates.Defined(i) with { Tags = [$"tenant={i % 100}"] }));
        _state = OrchestratorDomain.Apply(state, new TasksCancelled([.. Enumerable.Range(0, 1000).Select(BenchmarkStates.TaskId)], "called off", "ops", BenchmarkStates.T0));
        _context = BenchmarkStates.Context(BenchmarkStates.T0.AddHours(2));
        _retained = OrchestratorDomain.Decide(_state, new SetRetention(TimeSpan.FromHours(1)), _context).StateAfter(_state);
        if (OrchestratorDomain.Decide(_state, _purge, _context).Reply is not TasksChanged { Count: 1000 }
            || OrchestratorDomain.Decide(_retained, SweepRetention.Instance, _context).Reply is not RetentionSwept { Count: 1000 })
            throw new InvalidOperationException("the purge did not find the 1,000 cancelled tasks");
    }

    /// <summary>PurgeTasks by status: reads the order up to the last CANCELLED task, then removes 1,000.</summary>
    [Benchmark(Baseline = true)]
    public Decision Decide_purge_of_1000() => OrchestratorDomain.Decide(_state, _purge, _context);

    /// <summary>The retention's sweep: the 10,000 oldest tasks looked at, the 1,000 finished purged.</summary>
    [Benchmark]
    public Decision Decide_retention_sweep_of_1000() => OrchestratorDomain.Decide(_retained, SweepRetention.Instance, _context);
}
