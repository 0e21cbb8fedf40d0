using System.Diagnostics;

namespace Orchestrator.Actors.Benchmarks.Soak;

/// <summary>
/// The soak's <c>orchestrator serve</c>, one incarnation after another on the same ports and data
/// directory. Each incarnation's output is kept in <c>logs/node-N.log</c> under the data directory
/// (kept when the soak fails), and a start reports how long recovery took and the errors it logged.
/// </summary>
internal sealed class SoakNode(Func<HostProcess> start, string logDirectory, TimeSpan patience) : IDisposable
{
    private int _incarnation;
    private HostProcess? _process;

    public HostProcess Process => _process ?? throw new InvalidOperationException("the node was not started");

    /// <summary>Starts the next incarnation and waits for the default namespace's recovery.</summary>
    public async Task<string> StartAsync()
    {
        Directory.CreateDirectory(logDirectory);
        _incarnation++;
        var recovering = Stopwatch.StartNew();
        _process = start();
        await _process.WaitForLineAsync("Recovered state-manager-default", patience);
        var errors = Process.Output.Concat(Process.Errors).Where(l => l.Contains(" fail: ", StringComparison.Ordinal)).ToList();
        return errors.Count == 0
            ? $"recovered in {recovering.Elapsed.TotalSeconds:0.0} s"
            : $"recovered in {recovering.Elapsed.TotalSeconds:0.0} s after {errors.Count} errors (node-{_incarnation}.log; first: {Shorten(errors[0])})";
    }

    /// <summary>SIGKILL, and the incarnation's log kept.</summary>
    public async Task KillAsync()
    {
        Process.Send(Signal.Kill);
        await Process.WaitForExitAsync(patience);
        Retire();
    }

    /// <summary>How many journal writes this incarnation has logged as failed so far.</summary>
    public int FailedWrites => Process.Output.Concat(Process.Errors).Count(l => l.Contains("Failed to persist", StringComparison.Ordinal));

    public void Dispose()
    {
        if (_process is not null) Retire();
    }

    private void Retire()
    {
        var process = Process;
        _process = null;
        process.Dispose();
        File.WriteAllLines(Path.Combine(logDirectory, $"node-{_incarnation}.log"), process.Output.Concat(["--- stderr ---"]).Concat(process.Errors));
    }

    private static string Shorten(string line)
    {
        // Akka's lines carry a long prefix (time, thread, actor path) before what happened.
        var text = line[(line.LastIndexOf("] ", StringComparison.Ordinal) + 1)..].Trim();
        return text.Length <= 160 ? text : text[..160] + "…";
    }
}
