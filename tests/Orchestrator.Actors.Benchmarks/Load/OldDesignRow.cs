using System.Diagnostics;
using System.Text.Json;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// Row 4, the old design: N agents (async loops) define tasks in one JSON file of every task behind an
/// exclusive file lock. Each definition opens the file with <see cref="FileShare.None"/> (retrying
/// after a short async delay while another holds it), reads and parses all of it, checks "already
/// defined", adds the task, and serializes and rewrites the whole file. The row is time-bound: it
/// manages tens of definitions a second and gets slower as the file grows. At the end, agents still
/// waiting for the lock give up (their definitions were never written and count as not acknowledged);
/// a definition that holds the lock finishes.
/// </summary>
internal static class OldDesignRow
{
    public const string Name = "old design: JSON file + lock";

    public static async Task<RowResult> RunAsync(string directory, int agents, int preexisting, TimeSpan duration, Action<string> progress)
    {
        Directory.CreateDirectory(directory);
        var store = new JsonFileTaskStore(Path.Combine(directory, "tasks.json"));
        store.Fill(Enumerable.Range(0, preexisting).Select(i => OldTask.New(DefiningAgents.TaskId("pre-", i), "load-agent-0000")));

        PeakMemory peak;
        using var end = new CancellationTokenSource(duration);
        var stopwatch = Stopwatch.StartNew();
        (List<string> Acknowledged, List<double> LatenciesMs, List<string> Errors, int GaveUp)[] results;
        await using (var heap = new HeapSampler())
        {
            results = await Task.WhenAll(Enumerable.Range(0, agents).Select(a => Task.Run(() => AgentAsync(store, agents, a, end.Token))));
            stopwatch.Stop();
            peak = heap.Result;
        }
        progress($"  {results.Sum(r => r.GaveUp)} agents were still waiting for the lock at the end and gave up");

        var acknowledged = results.SelectMany(r => r.Acknowledged).ToList();
        var errors = results.SelectMany(r => r.Errors).ToList();
        var checks = new Checks();
        checks.That(errors.Count == 0, $"{errors.Count} definitions refused; first: {errors.FirstOrDefault()}");
        var (ids, duplicates) = store.ReadIds();
        checks.That(duplicates == 0, $"the file holds {duplicates} duplicate ids");
        checks.That(ids.Count == preexisting + acknowledged.Count, $"the file holds {ids.Count} tasks, not {preexisting} + {acknowledged.Count}");
        var missing = acknowledged.Count(id => !ids.Contains(id));
        checks.That(missing == 0, $"{missing} acknowledged tasks are missing from the file");

        return new RowResult(RowKind.OldDesign, Name, agents, preexisting, acknowledged.Count, stopwatch.Elapsed,
            LatencySummary.Of(results.SelectMany(r => r.LatenciesMs)), peak, checks.Failures);
    }

    private static async Task<(List<string>, List<double>, List<string>, int)> AgentAsync(
        JsonFileTaskStore store, int agents, int agent, CancellationToken end)
    {
        var acknowledged = new List<string>();
        var latencies = new List<double>();
        var errors = new List<string>();
        var name = $"load-agent-{agent:D4}";
        for (var n = 0; !end.IsCancellationRequested; n++)
        {
            var task = OldTask.New($"old-{agents}-{agent:D4}-{n:D6}", name);
            var started = Stopwatch.GetTimestamp();
            bool defined;
            try
            {
                defined = await store.DefineAsync(task, end);
            }
            catch (OperationCanceledException)
            {
                return (acknowledged, latencies, errors, 1);
            }
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (defined) acknowledged.Add(task.Id);
            else errors.Add($"Task already defined: {task.Id}");
        }
        return (acknowledged, latencies, errors, 0);
    }
}

/// <summary>A task as the old state manager kept it.</summary>
internal sealed record OldTask(string Id, string Agent, string File, string Status, string Priority, int Attempts, DateTimeOffset DefinedAt, string DefinedBy)
{
    public static OldTask New(string id, string agent) =>
        new(id, agent, $"tasks/{id}.md", "READY", "MEDIUM", 0, DateTimeOffset.UtcNow, agent);
}

/// <summary>The old state manager's storage: every task in one JSON object keyed by id, rewritten whole under an exclusive lock.</summary>
internal sealed class JsonFileTaskStore(string path)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>Adds the task unless its id is already in the file; false is the old "Task already defined".</summary>
    /// <exception cref="OperationCanceledException">Given up while waiting for the lock: nothing was written.</exception>
    public async Task<bool> DefineAsync(OldTask task, CancellationToken giveUp)
    {
        while (true)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                // Another agent holds the lock: try again shortly.
                await Task.Delay(RetryDelay, giveUp);
                continue;
            }
            using (stream)
            {
                var tasks = stream.Length == 0
                    ? new Dictionary<string, OldTask>()
                    : JsonSerializer.Deserialize<Dictionary<string, OldTask>>(stream)!;
                if (tasks.ContainsKey(task.Id)) return false;
                tasks[task.Id] = task;
                stream.Position = 0;
                stream.SetLength(0);
                JsonSerializer.Serialize(stream, tasks);
                stream.Flush();
                return true;
            }
        }
    }

    /// <summary>Writes the preexisting tasks at once.</summary>
    public void Fill(IEnumerable<OldTask> tasks)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        JsonSerializer.Serialize(stream, tasks.ToDictionary(t => t.Id));
    }

    /// <summary>The ids in the file, and how many property names occurred more than once.</summary>
    public (HashSet<string> Ids, int Duplicates) ReadIds()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = 0;
        foreach (var property in document.RootElement.EnumerateObject())
            if (!ids.Add(property.Name)) duplicates++;
        return (ids, duplicates);
    }
}
