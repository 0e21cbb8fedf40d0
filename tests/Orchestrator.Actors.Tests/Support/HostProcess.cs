using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>The POSIX signals the specs send to a child process.</summary>
public enum Signal
{
    Interrupt = 2,
    Terminate = 15,
    Kill = 9,
}

/// <summary>What a finished <c>orchestrator</c> process left: its exit code and its lines on stdout and stderr.</summary>
public sealed record CliResult(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)
{
    public override string ToString() =>
        $"exit {ExitCode}; stdout: [{string.Join(" | ", Output)}]; stderr: [{string.Join(" | ", Errors)}]";
}

/// <summary>
/// <c>orchestrator.dll</c>, copied beside the tests, run as a child process with its stdout and stderr
/// read line by line. Specs wait on its lines and its exit, never on the clock.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiters = [];

    private HostProcess(Process process) => _process = process;

    public IReadOnlyList<string> Output { get { lock (_output) return _output.ToList(); } }
    public IReadOnlyList<string> Errors { get { lock (_output) return _errors.ToList(); } }

    /// <summary>Starts <c>orchestrator serve</c> on <paramref name="port"/> and <paramref name="dataDirectory"/>, and returns once it has recovered.</summary>
    public static async Task<HostProcess> StartServeAsync(int port, string dataDirectory, TimeSpan patience)
    {
        var host = Start("serve", "--port", port.ToString(), "--data-dir", dataDirectory);
        await host.WaitForLineAsync("Recovered state-manager-default", patience);
        return host;
    }

    public static HostProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "orchestrator.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var host = new HostProcess(new Process { StartInfo = info });
        host._process.OutputDataReceived += (_, e) => host.Record(e.Data, error: false);
        host._process.ErrorDataReceived += (_, e) => host.Record(e.Data, error: true);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Runs <c>orchestrator ARGS</c> to its end.</summary>
    public static async Task<CliResult> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var process = Start(args);
        var exitCode = await process.WaitForExitAsync(timeout);
        return new CliResult(exitCode, process.Output, process.Errors);
    }

    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            var line = _output.FirstOrDefault(l => l.Contains(text));
            if (line is not null) return line;
            _waiters.Add((text, seen));
        }
        return await seen.Task.WaitAsync(timeout);
    }

    public void Send(Signal signal) => Assert.Equal(0, kill(_process.Id, (int)signal));

    /// <summary>Waits for the exit and for the end of both output streams.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    private void Record(string? line, bool error)
    {
        if (line is null) return;
        lock (_output)
        {
            (error ? _errors : _output).Add(line);
            foreach (var waiter in _waiters.Where(w => line.Contains(w.Text)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Seen.TrySetResult(line);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
