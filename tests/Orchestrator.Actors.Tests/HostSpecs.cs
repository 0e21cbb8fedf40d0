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

    [Theory]
    [InlineData("--seed 127.0.0.1:4053", "--seed needs --cluster")]
    [InlineData("--role agent", "--role needs --cluster")]
    [InlineData("--cluster", "--cluster needs a journal every node shares")]
    [InlineData("--cluster --config ../config/in-memory.conf", "--cluster needs a journal every node shares")]
    [InlineData("--cluster --seed 127.0.0.1:http", "invalid server '127.0.0.1:http'")]
    [InlineData("--host 0.0.0.0", "remoting would listen on '0.0.0.0' (--host or akka.remote.dot-netty.tcp.hostname), beyond loopback, without TLS")]
    public async Task Serve_with_bad_cluster_options_exits_2_with_one_line_naming_them(string options, string expected)
    {
        var args = new List<string> { "serve", "--data-dir", _dataDirectory, "--port", "0" };
        foreach (var option in options.Split(' '))
            args.Add(option.StartsWith("../", StringComparison.Ordinal) ? Path.Combine(TestConfigs.RepositoryRoot(), option[3..]) : option);
        using var host = HostProcess.Start([.. args]);

        var exitCode = await host.WaitForExitAsync(Patience);

        Assert.Equal(2, exitCode);
        var error = Assert.Single(host.Errors);
        Assert.Contains(expected, error);
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
}
