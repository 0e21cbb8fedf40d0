using BenchmarkDotNet.Attributes;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// Replay: <see cref="Events"/> definitions of 1,000 agents folded onto an empty state <see cref="BatchSize"/>
/// at a time (270: one journal entry of the seeded template at a time; 65,536: as the state manager's
/// recovery folds what it replayed). The events are made once; each invocation folds them all.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ReplayBenchmarks
{
    private List<IOrchestratorEvent[]> _batches = null!;

    /// <summary>Events replayed per invocation.</summary>
    [Params(100_000)]
    public int Events { get; set; }

    /// <summary>Events folded at once.</summary>
    [Params(270, 65_536)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var at = BenchmarkStates.T0;
        _batches = Enumerable.Range(0, Events)
            .Select(i => (IOrchestratorEvent)new TaskDefined($"seed-{i:D7}", $"load-agent-{i % 1000:D4}", $"tasks/seed-{i:D7}.md",
                TaskPriority.Medium, at, [], 3, Payload: null, By: $"load-agent-{i % 1000:D4}"))
            .Chunk(BatchSize)
            .ToList();
    }

    /// <summary>Every batch folded in order, as the state manager's recovery does.</summary>
    [Benchmark]
    public OrchestratorState Replay()
    {
        var state = OrchestratorState.Empty;
        foreach (var batch in _batches) state = OrchestratorDomain.ApplyAll(state, batch);
        if (state.Tasks.Count != Events) throw new InvalidOperationException($"replayed {state.Tasks.Count} tasks, not {Events}");
        return state;
    }
}
