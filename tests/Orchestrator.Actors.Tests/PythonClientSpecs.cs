using System.Diagnostics;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// The Python client's own unittest suite (clients/python/tests), run by the README's test command:
/// it starts its own <c>orchestrator serve</c> processes (this build's orchestrator.dll) and talks to
/// them over HTTP with the standard library, as a Python agent would, the seed concurrency example
/// and the worker included. Its output is kept in artifacts/python-client-tests.txt, which
/// <c>.ci/run</c> prints.
/// </summary>
public sealed class PythonClientSpecs
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_Python_clients_unittest_suite_passes_against_this_build()
    {
        var root = TestConfigs.RepositoryRoot();
        var info = new ProcessStartInfo("python3")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-X", "dev", "-m", "unittest", "discover", "-s", Path.Combine("clients", "python", "tests"), "-v" })
            info.ArgumentList.Add(arg);
        info.Environment["ORCHESTRATOR_SERVE"] = Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");
        // The machine's own settings must not point the suite elsewhere.
        foreach (var name in new[] { "ORCHESTRATOR_URL", "ORCHESTRATOR_API_KEY", "ORCHESTRATOR_API_KEYS" }) info.Environment.Remove(name);
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var python = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        var output = python.StandardOutput.ReadToEndAsync();
        var errors = python.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(Patience))
        {
            try
            {
                await python.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                python.Kill(entireProcessTree: true);
                throw new TimeoutException($"the Python suite ran longer than {Patience}: {Tail(await errors)}");
            }
        }
        // unittest reports on stderr.
        var report = (await output) + (await errors);
        var folder = Path.Combine(root, "artifacts");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "python-client-tests.txt"), report);

        Assert.True(python.ExitCode == 0, $"python3 -m unittest exited {python.ExitCode}:{Environment.NewLine}{Tail(report)}");
        Assert.Matches(@"(?m)^Ran [1-9][0-9]* tests? in ", report);
        Assert.Matches(@"(?m)^OK\b", report);
        Assert.DoesNotContain("skipped", report.Split('\n').Last(l => l.StartsWith("OK", StringComparison.Ordinal)));
    }

    private static string Tail(string text) => string.Join(Environment.NewLine, text.Split('\n').TakeLast(60));
}
