namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// One <c>orchestrator serve</c> for a spec class, on a free port and a fresh data directory, ready
/// once it logged its recovery; stopped with SIGTERM at the end.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();
    private HostProcess? _host;

    /// <summary>HOST:PORT, for --server.</summary>
    public string Server { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var port = HostProcess.FreePort();
        _host = await HostProcess.StartServeAsync(port, _dataDirectory, Patience);
        Server = $"127.0.0.1:{port}";
    }

    /// <summary>Runs <c>orchestrator ARGS --server THIS</c>.</summary>
    public Task<CliResult> RunAsync(params string[] args) => HostProcess.RunAsync(Patience, [.. args, "--server", Server]);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            _host.Send(Signal.Terminate);
            await _host.WaitForExitAsync(Patience);
            _host.Dispose();
        }
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }
}
