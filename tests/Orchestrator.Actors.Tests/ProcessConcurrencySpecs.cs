using System.Text.Json;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// The old state manager's failure, asked of separate processes: 25 `orchestrator define` processes
/// at once against `orchestrator serve`, repeats and conflicts, and a SIGKILL of the server while a
/// second wave runs. What a process was told is done is there after the restart, once.
/// </summary>
public sealed class ProcessConcurrencySpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    [Fact]
    public async Task Twenty_five_define_processes_at_once_then_repeats_and_conflicts_then_a_SIGKILL_mid_wave_loses_nothing_acknowledged()
    {
        var port = HostProcess.FreePort();
        var server = $"127.0.0.1:{port}";
        using (var first = await HostProcess.StartServeAsync(port, _dataDirectory, Patience))
        {
            // Wave 1: 25 processes, distinct ids, all at once.
            // 25 processes starting at once on two cores take a while to connect: a generous timeout.
            var wave1 = await Task.WhenAll(Enumerable.Range(0, 25).Select(i => Define(server, $"w1-{i:D2}", $"tasks/{i}.md", "30s")));
            Assert.All(wave1, r => Assert.True(r.ExitCode == 0, r.ToString()));

            // Repeats: identical ones exit 0, ones with another file exit 3 naming the id.
            var repeats = await Task.WhenAll(Enumerable.Range(0, 25).Select(i =>
                Define(server, $"w1-{i:D2}", i % 2 == 0 ? $"tasks/{i}.md" : $"tasks/{i}-other.md", "30s")));
            for (var i = 0; i < 25; i++)
            {
                Assert.True(repeats[i].ExitCode == (i % 2 == 0 ? 0 : 3), repeats[i].ToString());
                if (i % 2 == 1) Assert.Contains($"w1-{i:D2}", Assert.Single(repeats[i].Errors));
            }

            // Wave 2: the server is killed with SIGKILL as soon as one of its processes was told it is done.
            var wave2 = Enumerable.Range(0, 25).Select(i => Define(server, $"w2-{i:D2}", $"tasks/w2/{i}.md", "5s")).ToList();
            var firstDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var process in wave2)
                _ = process.ContinueWith(p => { if (p.IsCompletedSuccessfully && p.Result.ExitCode == 0) firstDone.TrySetResult(); }, TaskScheduler.Default);
            await Task.WhenAny(firstDone.Task, Task.WhenAll(wave2));
            first.Send(Signal.Kill);
            await first.WaitForExitAsync(Patience);
            var results = await Task.WhenAll(wave2);
            // Each process either succeeded or failed with one line (unreachable or no answer): exit 1.
            Assert.All(results, r => Assert.True(r.ExitCode is 0 or 1 && (r.ExitCode == 0 || r.Errors.Count == 1), r.ToString()));
            Assert.Contains(results, r => r.ExitCode == 0);

            using var second = await HostProcess.StartServeAsync(port, _dataDirectory, Patience);
            var list = await HostProcess.RunAsync(Patience, "list", "--json", "--server", server);
            Assert.True(list.ExitCode == 0, list.ToString());
            var ids = JsonDocument.Parse(string.Join("\n", list.Output)).RootElement.EnumerateArray()
                .Select(t => t.GetProperty("taskId").GetString()!).ToList();

            // Every acknowledged id is there; none twice.
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Superset(Enumerable.Range(0, 25).Select(i => $"w1-{i:D2}").ToHashSet(), ids.ToHashSet());
            for (var i = 0; i < 25; i++)
                if (results[i].ExitCode == 0) Assert.Contains($"w2-{i:D2}", ids);

            second.Send(Signal.Terminate);
            Assert.Equal(0, await second.WaitForExitAsync(Patience));

            var db = new JournalDatabase(Path.Combine(_dataDirectory, "orchestrator.db"));
            Assert.Equal("ok", db.IntegrityCheck());
            // One definition event per task, however the retries went.
            Assert.Equal(ids.Count, db.EventManifests().Count(m => m == "task-defined.v1"));
        }
    }

    private static Task<CliResult> Define(string server, string id, string file, string timeout) =>
        HostProcess.RunAsync(Patience, "define", id, "--agent", "loader", "--file", file, "--server", server, "--timeout", timeout);

    public void Dispose() => TestConfigs.DeleteDataDirectory(_dataDirectory);
}
