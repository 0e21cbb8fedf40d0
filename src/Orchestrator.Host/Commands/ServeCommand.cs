using System.CommandLine;
using Akka.Configuration;
using Orchestrator.Actors;
using Orchestrator.Actors.Configuration;

namespace Orchestrator.Host.Commands;

/// <summary><c>orchestrator serve</c>: runs the orchestrator node until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var configOption = new Option<FileInfo?>("--config") { Description = "A HOCON overlay over hocon.conf (see config/)." };
        var dataDirOption = new Option<DirectoryInfo?>("--data-dir") { Description = "Where the SQLite database lives (default ./data)." };
        var hostOption = new Option<string?>("--host") { Description = "The interface to listen on (default 127.0.0.1, from hocon.conf)." };
        var portOption = new Option<int?>("--port") { Description = "The TCP port to listen on (default 4053, from hocon.conf; 0 for any free port)." };
        var publicHostOption = new Option<string?>("--public-hostname") { Description = "The host name other machines use to reach this node." };

        var serve = new Command("serve", "Run the orchestrator until Ctrl+C or SIGTERM.") { configOption, dataDirOption, hostOption, portOption, publicHostOption };
        serve.SetAction(async (parse, cancellation) =>
        {
            OrchestratorNode node;
            string storage;
            try
            {
                var lines = new List<string>();
                if (parse.GetValue(dataDirOption) is { } dataDir)
                    lines.Add($"orchestrator.data-dir = {OrchestratorConfig.Quote(dataDir.FullName)}");
                if (parse.GetValue(hostOption) is { } host)
                    lines.Add($"akka.remote.dot-netty.tcp.hostname = {OrchestratorConfig.Quote(host)}");
                if (parse.GetValue(portOption) is { } port)
                {
                    if (port is < 0 or > 65535)
                    {
                        Console.Error.WriteLine($"orchestrator: invalid --port '{port}': expected 0 to 65535");
                        return 2;
                    }
                    lines.Add($"akka.remote.dot-netty.tcp.port = {port}");
                }
                if (parse.GetValue(publicHostOption) is { } publicHost)
                    lines.Add($"akka.remote.dot-netty.tcp.public-hostname = {OrchestratorConfig.Quote(publicHost)}");
                var overrides = lines.Count > 0 ? ConfigurationFactory.ParseString(string.Join("\n", lines)) : null;
                var config = OrchestratorConfig.Load(parse.GetValue(configOption)?.FullName, overrides);
                node = OrchestratorNode.Start(config);
                storage = OrchestratorConfig.DescribeJournal(config);
            }
            catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException)
            {
                Console.Error.WriteLine($"orchestrator: {ex.Message}");
                return 2;
            }
            catch (Exception ex) when (ex is Akka.Remote.RemoteTransportException || ex.InnerException is Akka.Remote.RemoteTransportException)
            {
                // Typically the port is taken by another process.
                var cause = ex.InnerException?.InnerException ?? ex.InnerException ?? ex;
                Console.Error.WriteLine($"orchestrator: cannot listen: {cause.Message.ReplaceLineEndings(" ")}");
                return 1;
            }

            Console.WriteLine($"orchestrator: listening at {node.Address}; state manager at {node.StateManagerAddress}; data in {storage}");
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
        return serve;
    }
}
