using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Orchestrator.Actors.TestProcesses;

// Compiled into the test and the benchmark projects alike (linked from tests/Shared), so that both
// start, watch and stop the orchestrator host the same way.

/// <summary>The POSIX signals sent to a child process.</summary>
public enum Signal
{
    Interrupt = 2,
    Terminate = 15,
    Kill = 9,
    /// <summary>SIGCONT (Linux numbering): resumes a stopped process.</summary>
    Continue = 18,
    /// <summary>SIGSTOP (Linux numbering): freezes the process, which keeps its sockets open (a partition, as its peers see it).</summary>
    Stop = 19,
}

/// <summary>What a finished <c>orchestrator</c> process left: its exit code and its lines on stdout and stderr.</summary>
public sealed record CliResult(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)
{
    public override string ToString() =>
        $"exit {ExitCode}; stdout: [{string.Join(" | ", Output)}]; stderr: [{string.Join(" | ", Errors)}]";
}

/// <summary>
/// <c>orchestrator.dll</c>, built beside the caller through a ProjectReference, run as a child process
/// with its stdout and stderr read line by line. Callers wait on its lines and its exit, never on the clock.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly List<(Func<string, bool> Matches, TaskCompletionSource<string> Seen)> _waiters = [];

    private HostProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public IReadOnlyList<string> Output { get { lock (_output) return _output.ToList(); } }
    public IReadOnlyList<string> Errors { get { lock (_output) return _errors.ToList(); } }

    /// <summary>Starts <c>orchestrator serve</c> on <paramref name="port"/> and <paramref name="dataDirectory"/>, and returns once it has recovered.</summary>
    public static async Task<HostProcess> StartServeAsync(int port, string dataDirectory, TimeSpan patience)
    {
        var host = Start("serve", "--port", port.ToString(), "--data-dir", dataDirectory);
        await host.WaitForLineAsync("Recovered state-manager-default", patience);
        return host;
    }

    public static HostProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts <c>orchestrator ARGS</c> with <paramref name="environment"/> added to this process's environment.</summary>
    public static HostProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"the orchestrator host is not beside {AppContext.BaseDirectory}: {dll}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // Many nodes run side by side in the specs: each serve gets a free HTTP port of its own
        // unless the caller names one (orchestrator.http.port's 8080 would be taken by the first).
        if (args is ["serve", ..] && !args.Contains("--http-port"))
        {
            info.ArgumentList.Add("--http-port");
            info.ArgumentList.Add("0");
        }
        var host = new HostProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        host._process.OutputDataReceived += (_, e) => host.Record(e.Data, error: false);
        host._process.ErrorDataReceived += (_, e) => host.Record(e.Data, error: true);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Runs <c>orchestrator ARGS</c> to its end.</summary>
    public static Task<CliResult> RunAsync(TimeSpan timeout, params string[] args) => RunAsync(timeout, new Dictionary<string, string>(), args);

    /// <summary>Runs <c>orchestrator ARGS</c> to its end with <paramref name="environment"/> set.</summary>
    public static async Task<CliResult> RunAsync(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var exitCode = await process.WaitForExitAsync(timeout);
        return new CliResult(exitCode, process.Output, process.Errors);
    }

    /// <summary>The first line (stdout or stderr) containing <paramref name="text"/>, printed already or to come; never completes if none is.</summary>
    public Task<string> LineContaining(string text) => LineMatching(line => line.Contains(text));

    /// <summary>The first line (stdout or stderr) that <paramref name="matches"/>, printed already or to come; never completes if none does.</summary>
    public Task<string> LineMatching(Func<string, bool> matches)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            var line = _output.Concat(_errors).FirstOrDefault(matches);
            if (line is not null) return Task.FromResult(line);
            _waiters.Add((matches, seen));
        }
        return seen.Task;
    }

    /// <summary>Waits for a line containing <paramref name="text"/>; fails at once if the process exits first.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = LineContaining(text);
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(seen, exited).WaitAsync(timeout) == seen) return await seen;
        // The exit may have raced the last lines: a line that did arrive still counts.
        if (seen.IsCompleted) return await seen;
        throw new InvalidOperationException(
            $"orchestrator exited ({_process.ExitCode}) before printing '{text}': {string.Join(" | ", Errors.Concat(Output).TakeLast(5))}");
    }

    /// <summary>Sends <paramref name="signal"/>; SIGTERM stops the node as a service manager does (it finishes its writes first).</summary>
    /// <exception cref="InvalidOperationException">kill(2) failed.</exception>
    public void Send(Signal signal)
    {
        if (kill(_process.Id, (int)signal) != 0)
            throw new InvalidOperationException($"kill -{(int)signal} {_process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
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
        // The port is free when the listener lets it go; the node binds it a moment later.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
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

    private void Record(string? line, bool error)
    {
        if (line is null) return;
        lock (_output)
        {
            (error ? _errors : _output).Add(line);
            foreach (var waiter in _waiters.Where(w => w.Matches(line)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Seen.TrySetResult(line);
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
