namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// What one run of the table does. The full defaults keep the whole run near ten minutes on two
/// cores; smoke mode is seconds, for CI, and checks acknowledgments only.
/// </summary>
/// <param name="InProcessTasks">Definitions per in-process row, by agent count (a row not listed uses the largest).</param>
/// <param name="RemoteTasks">Definitions per remote row, by agent count.</param>
/// <param name="CeilingTasks">Rows inserted (and timed) by the ceiling.</param>
/// <param name="BatchRequests">Concurrent requests of the tasks:batch row (--batch-requests).</param>
/// <param name="HttpBatchTasks">Definitions per tasks:batch row (the single-definition HTTP rows define as many as the remote rows).</param>
/// <param name="OldDesignPreexisting">The old design's preexisting tasks besides 0 (it is never run at <paramref name="Preexisting"/>).</param>
/// <param name="OldDesignSeconds">How long each old-design row keeps its agents defining.</param>
/// <param name="SnapshotEvery">orchestrator.snapshots.every for the run that measures reply delays during a snapshot.</param>
/// <param name="WorkParent">--work-dir: where the run's own directory is made (the temp folder when null).</param>
/// <param name="SeedAgents">Concurrent askers that seed the template.</param>
/// <param name="Template">A data directory of <paramref name="Preexisting"/> tasks seeded earlier, used instead of seeding one.</param>
/// <param name="RowLimit">The longest one row's definitions may take; a row that reaches it stops and fails its checks.</param>
/// <param name="ServeConfig">--serve-config: HOCON laid over the configuration of the rows' <c>orchestrator serve</c>.</param>
/// <param name="Dashboard">--dashboard: the dashboard open in headless Chromium on every serve row while its clients run.</param>
/// <param name="InProcessMetrics">--in-process-metrics: the orchestrator's meter collected in this process by an OpenTelemetry meter provider.</param>
internal sealed record LoadOptions(
    bool Smoke,
    IReadOnlyList<int> Agents,
    IReadOnlyDictionary<int, int> InProcessTasks,
    IReadOnlyDictionary<int, int> RemoteTasks,
    int CeilingTasks,
    int HttpBatchTasks,
    int Preexisting,
    int OldDesignPreexisting,
    TimeSpan OldDesignSeconds,
    int SnapshotEvery,
    int SeedAgents,
    TimeSpan RowLimit,
    string? WorkParent,
    bool Markdown,
    string? Template = null,
    IReadOnlySet<TableRows>? Rows = null,
    int BatchRequests = HttpRow.BatchRequests,
    string ServeConfig = "",
    bool Dashboard = false,
    bool InProcessMetrics = false)
{
    /// <summary>How the serve rows run their server.</summary>
    public ServeSettings Serve => new(ServeConfig, Dashboard);

    /// <summary>Which rows and measurements run (--rows); all of them by default.</summary>
    public IReadOnlySet<TableRows> Selected => Rows ?? TableRowNames.All;

    public bool Runs(TableRows rows) => Selected.Contains(rows);

    public static LoadOptions Defaults(bool smoke, string? workDirectory) => smoke
        ? new LoadOptions(
            Smoke: true,
            Agents: [25, 200],
            InProcessTasks: new Dictionary<int, int> { [25] = 1_000, [200] = 2_000 },
            RemoteTasks: new Dictionary<int, int> { [25] = 500, [200] = 1_000 },
            CeilingTasks: 2_000,
            HttpBatchTasks: 4_000,
            Preexisting: 2_000,
            OldDesignPreexisting: 500,
            OldDesignSeconds: TimeSpan.FromSeconds(0.5),
            SnapshotEvery: 500,
            SeedAgents: 200,
            RowLimit: TimeSpan.FromSeconds(60),
            WorkParent: workDirectory,
            Markdown: false)
        : new LoadOptions(
            Smoke: false,
            Agents: [25, 200],
            InProcessTasks: new Dictionary<int, int> { [25] = 50_000, [200] = 100_000 },
            RemoteTasks: new Dictionary<int, int> { [25] = 25_000, [200] = 50_000 },
            CeilingTasks: 100_000,
            HttpBatchTasks: 100_000,
            Preexisting: 1_000_000,
            OldDesignPreexisting: 5_000,
            OldDesignSeconds: TimeSpan.FromSeconds(8),
            SnapshotEvery: 20_000,
            SeedAgents: 1_000,
            RowLimit: TimeSpan.FromMinutes(5),
            WorkParent: workDirectory,
            Markdown: false);

    /// <summary>The same number of definitions for every row.</summary>
    public LoadOptions WithTasks(int tasks) => this with
    {
        InProcessTasks = Agents.ToDictionary(a => a, _ => tasks),
        RemoteTasks = Agents.ToDictionary(a => a, _ => tasks),
        CeilingTasks = tasks,
        HttpBatchTasks = tasks,
    };

    public int InProcessTasksFor(int agents) => TasksFor(InProcessTasks, agents);

    public int RemoteTasksFor(int agents) => TasksFor(RemoteTasks, agents);

    /// <summary>The HTTP rows at N clients define as many tasks as the Akka.Remote rows at N agents, so that they compare.</summary>
    public int HttpTasksFor(int agents) => TasksFor(RemoteTasks, agents);

    /// <summary>The MCP rows at N sessions define as many tasks as the HTTP rows at N clients, so that they compare.</summary>
    public int McpTasksFor(int agents) => HttpTasksFor(agents);

    private static int TasksFor(IReadOnlyDictionary<int, int> byAgents, int agents) =>
        byAgents.TryGetValue(agents, out var tasks) ? tasks : byAgents.Values.Max();

    /// <summary>A fresh directory for this run (under --work-dir when given), deleted at its end.</summary>
    public string CreateWorkDirectory()
    {
        if (WorkParent is null) return Directory.CreateTempSubdirectory("orchestrator-load-").FullName;
        var directory = Path.Combine(Path.GetFullPath(WorkParent), $"orchestrator-load-{Guid.NewGuid():N}"[..27]);
        Directory.CreateDirectory(directory);
        return directory;
    }
}

/// <summary>The parts of the table --rows names.</summary>
internal enum TableRows
{
    InProcess,
    /// <summary>DefineTasks of 1,000 in this process, a few requests at once.</summary>
    InProcessBatch,
    Remote,
    Http,
    HttpBatch,
    /// <summary>define_task over MCP (Streamable HTTP), beside the HTTP row.</summary>
    Mcp,
    Ceiling,
    /// <summary>The ceiling with as many writers as agents, committed in groups.</summary>
    GroupCeiling,
    OldDesign,
    /// <summary>Recovery, memory per task, snapshot size and write, reply delays during a snapshot (at P only).</summary>
    Measurements,
}

/// <summary>The names --rows takes.</summary>
internal static class TableRowNames
{
    public static readonly IReadOnlyDictionary<string, TableRows> ByName = new Dictionary<string, TableRows>(StringComparer.OrdinalIgnoreCase)
    {
        ["in-process"] = TableRows.InProcess,
        ["in-process-batch"] = TableRows.InProcessBatch,
        ["remote"] = TableRows.Remote,
        ["http"] = TableRows.Http,
        ["http-batch"] = TableRows.HttpBatch,
        ["mcp"] = TableRows.Mcp,
        ["ceiling"] = TableRows.Ceiling,
        ["group-ceiling"] = TableRows.GroupCeiling,
        ["old-design"] = TableRows.OldDesign,
        ["measurements"] = TableRows.Measurements,
    };

    public static readonly IReadOnlySet<TableRows> All = Enum.GetValues<TableRows>().ToHashSet();

    public static string NameOf(TableRows rows) => ByName.First(n => n.Value == rows).Key;
}
