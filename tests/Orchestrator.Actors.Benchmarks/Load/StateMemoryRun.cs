using Orchestrator.Actors.Benchmarks.Micro;
using Orchestrator.Actors.Domain;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// <c>state-memory [--tasks N] [--tags T]</c>: the managed memory a state of N READY tasks holds, each
/// with one of T tenant tags (0: none), measured as the heap after a full collection before and after
/// the state is built from its events in-process (no node, no journal). Run it against two builds to
/// compare what a change keeps per task.
/// </summary>
internal static class StateMemoryRun
{
    public static int Run(string[] args)
    {
        var tasks = ClaimsRun.Option(args, "--tasks", 1_000_000);
        var tags = ClaimsRun.Option(args, "--tags", 100);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, Enumerable.Range(0, tasks).Select(i =>
            BenchmarkStates.Defined(i) with { Tags = tags == 0 ? [] : [$"tenant={i % tags}"] }));
        var held = GC.GetTotalMemory(forceFullCollection: true) - before;
        if (state.Tasks.Count != tasks) throw new InvalidOperationException($"the state holds {state.Tasks.Count} tasks, not {tasks}");
        Console.WriteLine($"{tasks:N0} tasks, {tags} tags: {held / (1024.0 * 1024):N0} MiB held, {(double)held / tasks:N1} bytes a task");
        GC.KeepAlive(state);
        return 0;
    }
}
