using System.Diagnostics;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol.Commands;

namespace Orchestrator.Host.Load;

/// <summary>What a load run does: <paramref name="Agents"/> concurrent agents define <paramref name="Tasks"/> distinct tasks between them, and send a share of them again.</summary>
/// <param name="RepeatFraction">The share of the tasks whose definition is sent a second time, identical: an idempotent repeat.</param>
internal sealed record LoadPlan(int Agents, int Tasks, double RepeatFraction)
{
    /// <summary>How many definitions are sent again.</summary>
    public int Repeats => (int)Math.Round(Tasks * RepeatFraction, MidpointRounding.AwayFromZero);

    /// <summary>Every request: each task once, plus the repeats.</summary>
    public int Requests => Tasks + Repeats;

    /// <summary>Whether task <paramref name="index"/> is one of those sent again; the repeats are spread evenly.</summary>
    public bool IsRepeated(int index) => (long)(index + 1) * Repeats / Tasks > (long)index * Repeats / Tasks;
}

/// <summary>Latency percentiles, in milliseconds.</summary>
internal sealed record Latency(double P50, double P95, double P99);

/// <summary>What a load run measured.</summary>
/// <param name="TaskPrefix">The run's task ids are this prefix and a number (each run has its own).</param>
/// <param name="Defined">Definitions answered "defined" (a new task, its event journaled).</param>
/// <param name="IdempotentRepeats">Definitions answered "already defined", identically.</param>
/// <param name="Conflicts">Definitions answered with a conflict (the id was defined differently before this run).</param>
/// <param name="Errors">Definitions that failed otherwise (rejected, unavailable, timed out).</param>
/// <param name="DefinitionsPerSecond">Definitions answered as a success (defined and repeats) per second of the run.</param>
/// <param name="LatencyMs">From sending a definition to its answer, every request counted.</param>
/// <param name="FirstError">The first error's message, if any.</param>
internal sealed record LoadReport(
    string TaskPrefix, int Agents, int Tasks, int Requests, int Defined, int IdempotentRepeats, int Conflicts, int Errors,
    double ElapsedMs, double DefinitionsPerSecond, Latency LatencyMs, string? FirstError);

/// <summary>
/// Runs a <see cref="LoadPlan"/> against one orchestrator: one async loop per agent, all sharing the
/// client (so one ActorSystem and one Akka.Remote association); each agent defines every Nth task, and
/// a task picked for a repeat is defined again as soon as its first definition is answered.
/// </summary>
internal sealed class LoadRun(OrchestratorClient client, LoadPlan plan)
{
    // Unique per run, so that runs against the same orchestrator define distinct tasks.
    private readonly string _prefix = $"load-{Guid.NewGuid().ToString("N")[..8]}-";
    private int _answered, _defined, _repeats, _conflicts, _errors;
    private string? _firstError;

    /// <summary>Requests answered so far, for progress displays.</summary>
    public int Answered => Volatile.Read(ref _answered);

    public async Task<LoadReport> RunAsync(CancellationToken cancellation)
    {
        var stopwatch = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, plan.Agents).Select(agent => AgentAsync(agent, cancellation)));
        stopwatch.Stop();

        var sorted = latencies.SelectMany(l => l).Order().ToArray();
        var elapsedMs = stopwatch.Elapsed.TotalMilliseconds;
        return new LoadReport(
            _prefix, plan.Agents, plan.Tasks, plan.Requests, _defined, _repeats, _conflicts, _errors,
            Math.Round(elapsedMs, 1),
            Math.Round((_defined + _repeats) / stopwatch.Elapsed.TotalSeconds, 1),
            new Latency(Percentile(sorted, 0.50), Percentile(sorted, 0.95), Percentile(sorted, 0.99)),
            _firstError);
    }

    private async Task<List<double>> AgentAsync(int agent, CancellationToken cancellation)
    {
        // Each loop starts on the thread pool, so the agents send concurrently from the start.
        await Task.Yield();
        var latencies = new List<double>();
        var name = $"load-agent-{agent}";
        for (var index = agent; index < plan.Tasks; index += plan.Agents)
        {
            var definition = new DefineTask($"{_prefix}{index:D7}", name, $"load/{_prefix}{index:D7}.md", By: name);
            latencies.Add(await DefineAsync(definition, cancellation));
            if (plan.IsRepeated(index)) latencies.Add(await DefineAsync(definition, cancellation));
        }
        return latencies;
    }

    private async Task<double> DefineAsync(DefineTask definition, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var accepted = await client.DefineTaskAsync(definition, cancellation);
            Interlocked.Increment(ref accepted.AlreadyDefined ? ref _repeats : ref _defined);
        }
        catch (OrchestratorConflictException)
        {
            Interlocked.Increment(ref _conflicts);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.CompareExchange(ref _firstError, ex.Message, null);
        }
        Interlocked.Increment(ref _answered);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Nearest rank: the smallest value with at least that share of the values at or below it.</summary>
    private static double Percentile(double[] sorted, double share) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Max(0, (int)Math.Ceiling(share * sorted.Length) - 1)], 2);
}
