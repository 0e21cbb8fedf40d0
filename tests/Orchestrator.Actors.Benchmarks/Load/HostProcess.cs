using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// <c>orchestrator.dll</c> (built beside the benchmarks through the ProjectReference) as a child
/// process, its stdout and stderr read line by line; waits on its lines and its exit, never the clock.
/// </summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiters = [];

    private HostProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public IReadOnlyList<string> Output { get { lock (_output) return _output.ToList(); } }
    public IReadOnlyList<string> Errors { get { lock (_output) return _errors.ToList(); } }

    public static HostProcess Start(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"the orchestrator host is not beside the benchmarks: {dll}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var host = new HostProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        host._process.OutputDataReceived += (_, e) => host.Record(e.Data, error: false);
        host._process.ErrorDataReceived += (_, e) => host.Record(e.Data, error: true);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Runs <c>orchestrator ARGS</c> to its end: its exit code and stdout lines.</summary>
    public static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var process = Start(args);
        var exitCode = await process.WaitForExitAsync(timeout);
        return (exitCode, process.Output, process.Errors);
    }

    /// <summary>The first line of stdout containing <paramref name="text"/>, printed already or to come; never completes if none is.</summary>
    public Task<string> LineContaining(string text)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            var line = _output.FirstOrDefault(l => l.Contains(text));
            if (line is not null) return Task.FromResult(line);
            _waiters.Add((text, seen));
        }
        return seen.Task;
    }

    /// <summary>Waits for a line of stdout containing <paramref name="text"/>; fails if the process exits first.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = LineContaining(text);
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(seen, exited).WaitAsync(timeout) == seen) return await seen;
        throw new InvalidOperationException(
            $"orchestrator exited ({_process.ExitCode}) before printing '{text}': {string.Join(" | ", Errors.Concat(Output).TakeLast(5))}");
    }

    /// <summary>SIGTERM, as a service manager stops it: the node finishes its writes, then exits.</summary>
    public void Terminate()
    {
        if (!_process.HasExited && kill(_process.Id, 15) != 0)
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the exit and for the end of both output streams.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>A TCP port of the loopback interface that nothing listens on (at the moment it is returned).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Record(string? line, bool error)
    {
        if (line is null) return;
        lock (_output)
        {
            (error ? _errors : _output).Add(line);
            foreach (var waiter in _waiters.Where(w => !error && line.Contains(w.Text)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Seen.TrySetResult(line);
            }
        }
    }

    /// <summary>SIGKILL, the process and its children.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
