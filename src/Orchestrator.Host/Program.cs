using System.CommandLine;
using Akka.Configuration;
using Orchestrator.Actors;
using Orchestrator.Actors.Configuration;

var configOption = new Option<FileInfo?>("--config") { Description = "A HOCON overlay over hocon.conf (see config/)." };
var dataDirOption = new Option<DirectoryInfo?>("--data-dir") { Description = "Where the SQLite database lives (default ./data)." };

var serve = new Command("serve", "Run the orchestrator until Ctrl+C or SIGTERM.") { configOption, dataDirOption };
serve.SetAction(async (parse, cancellation) =>
{
    OrchestratorNode node;
    try
    {
        var overrides = parse.GetValue(dataDirOption) is { } dataDir
            ? ConfigurationFactory.ParseString($"orchestrator.data-dir = {OrchestratorConfig.Quote(dataDir.FullName)}")
            : null;
        var config = OrchestratorConfig.Load(parse.GetValue(configOption)?.FullName, overrides);
        node = OrchestratorNode.Start(config);
    }
    catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException)
    {
        Console.Error.WriteLine($"orchestrator: {ex.Message}");
        return 2;
    }

    Console.WriteLine($"orchestrator: state manager at {node.StateManager.Path}; data in {node.Settings.DatabasePath}");
    Console.WriteLine("orchestrator: press Ctrl+C to stop");
    try
    {
        await Task.WhenAny(Task.Delay(Timeout.Infinite, cancellation), node.System.WhenTerminated);
    }
    finally
    {
        Console.WriteLine("orchestrator: stopping after the writes in flight");
        await node.StopAsync();
        Console.WriteLine("orchestrator: stopped");
    }
    return 0;
});

var root = new RootCommand("Orchestrator.Actors: task state for multi-agent systems on Akka.NET.") { serve };
return await root.Parse(args).InvokeAsync();
