using System.Diagnostics;
using System.Runtime.InteropServices;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>The README's run command: `orchestrator serve` as a separate process.</summary>
public sealed class HostSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    [Theory]
    [InlineData(Signal.Interrupt)]
    [InlineData(Signal.Terminate)]
    public async Task Serve_logs_where_its_data_lives_and_stops_cleanly_on_a_signal(Signal signal)
    {
        using var host = HostProcess.Start("serve", "--data-dir", _dataDirectory, "--port", "0");

        var started = await host.WaitForLineAsync("data in", Patience);
        Assert.Contains("listening at akka.tcp://orchestrator@127.0.0.1:", started);
        Assert.Contains("/user/state-manager", started);
        Assert.Contains(Path.Combine(_dataDirectory, "orchestrator.db"), started);
        await host.WaitForLineAsync("Recovered state-manager-default", Patience);

        host.Send(signal);
        var exitCode = await host.WaitForExitAsync(Patience);

        Assert.Equal(0, exitCode);
        Assert.Contains(host.Output, l => l.Contains("orchestrator: stopped"));
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "orchestrator.db")));
        Assert.Equal("ok", new JournalDatabase(Path.Combine(_dataDirectory, "orchestrator.db")).IntegrityCheck());
    }

    [Fact]
    public async Task Serve_with_a_bad_setting_exits_2_with_one_line_naming_it()
    {
        var overlay = Path.Combine(_dataDirectory, "bad.conf");
        await File.WriteAllTextAsync(overlay, "orchestrator.snapshots.every = 0\n");
        using var host = HostProcess.Start("serve", "--config", overlay, "--data-dir", _dataDirectory);

        var exitCode = await host.WaitForExitAsync(Patience);

        Assert.Equal(2, exitCode);
        var error = Assert.Single(host.Errors);
        Assert.Contains("orchestrator.snapshots.every = '0'", error);
    }

    [Fact]
    public async Task Serve_on_a_file_that_is_not_a_database_exits_with_one_line_naming_the_file()
    {
        var database = Path.Combine(_dataDirectory, "orchestrator.db");
        await File.WriteAllTextAsync(database, "this is not a SQLite database, just a stray text file of some length\n");
        using var host = HostProcess.Start("serve", "--data-dir", _dataDirectory);

        var exitCode = await host.WaitForExitAsync(Patience);

        Assert.Equal(2, exitCode);
        var error = Assert.Single(host.Errors);
        Assert.Contains(database, error);
        Assert.Contains("not a database", error);
    }

    public void Dispose() => TestConfigs.DeleteDataDirectory(_dataDirectory);

    public enum Signal
    {
        Interrupt = 2,
        Terminate = 15,
    }

    private sealed class HostProcess : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = [];
        private readonly List<string> _errors = [];
        private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiters = [];

        private HostProcess(Process process) => _process = process;

        public IReadOnlyList<string> Output { get { lock (_output) return _output.ToList(); } }
        public IReadOnlyList<string> Errors { get { lock (_output) return _errors.ToList(); } }

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
}
