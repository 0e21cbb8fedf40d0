namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>Which design a row measures; ratios compare rows of the same kind or against the ceiling.</summary>
internal enum RowKind
{
    InProcess,
    /// <summary>DefineTasks of 1,000 in this process.</summary>
    InProcessBatch,
    Remote,
    Http,
    HttpBatch,
    Mcp,
    Ceiling,
    /// <summary>The ceiling with N writers and group commit: the orchestrator rows' own concurrency.</summary>
    GroupCeiling,
    OldDesign,
}

/// <summary>Latency percentiles and the maximum, in milliseconds (null where a source does not give it).</summary>
internal sealed record LatencySummary(double P50, double P95, double P99, double? Max)
{
    /// <summary>Nearest-rank percentiles of <paramref name="milliseconds"/> (sorted here).</summary>
    public static LatencySummary Of(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        if (sorted.Length == 0) return new LatencySummary(double.NaN, double.NaN, double.NaN, double.NaN);
        return new LatencySummary(Rank(sorted, 0.50), Rank(sorted, 0.95), Rank(sorted, 0.99), sorted[^1]);
    }

    private static double Rank(double[] sorted, double share) =>
        sorted[Math.Max(0, (int)Math.Ceiling(share * sorted.Length) - 1)];
}

/// <summary>What a peak-memory figure is: the in-process rows sample the managed heap, the remote rows read the server's RSS peak.</summary>
/// <param name="StartBytes">The settled managed heap when the row began: what earlier rows left reachable counts in the peak too.</param>
internal sealed record PeakMemory(long Bytes, string What, long? StartBytes = null);

/// <summary>
/// One line of the table. <see cref="Failures"/> lists every acknowledgment check that failed (empty
/// when every task was acknowledged exactly once); <see cref="NotRun"/> says why a row was skipped.
/// </summary>
internal sealed record RowResult(
    RowKind Kind,
    string Row,
    int Agents,
    long Preexisting,
    long Definitions,
    TimeSpan Elapsed,
    LatencySummary? Latency,
    PeakMemory? Peak,
    IReadOnlyList<string> Failures,
    string? NotRun = null,
    TimeSpan? ServerCpu = null,
    TimeSpan? ClientCpu = null)
{
    /// <summary>The server process's CPU time per acknowledged definition while the definitions ran (the rows with a server child), in microseconds.</summary>
    public double? ServerCpuMicrosecondsPerDefinition =>
        ServerCpu is { } cpu && Definitions > 0 ? cpu.TotalMilliseconds * 1000 / Definitions : null;

    /// <summary>This process's CPU time (the clients, and whatever else it runs) per acknowledged definition while they ran, in microseconds.</summary>
    public double? ClientCpuMicrosecondsPerDefinition =>
        ClientCpu is { } cpu && Definitions > 0 ? cpu.TotalMilliseconds * 1000 / Definitions : null;

    /// <summary>Acknowledged definitions per second of the whole row.</summary>
    public double PerSecond => Elapsed > TimeSpan.Zero ? Definitions / Elapsed.TotalSeconds : double.NaN;

    /// <summary>A row that ran and produced a figure (not NaN, not zero).</summary>
    public bool HasFigure => NotRun is null && double.IsFinite(PerSecond) && PerSecond > 0;

    public static RowResult Skipped(RowKind kind, string row, int agents, long preexisting, string why) =>
        new(kind, row, agents, preexisting, 0, TimeSpan.Zero, null, null, [], why);
}

/// <summary>Failed acknowledgment checks, collected rather than thrown so that every row still prints.</summary>
internal sealed class Checks
{
    private readonly List<string> _failures = [];

    public IReadOnlyList<string> Failures => _failures;

    public void That(bool condition, string failure)
    {
        if (!condition) _failures.Add(failure);
    }
}
